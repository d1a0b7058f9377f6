//! The kinds of input file and how each is recognised from its header (SPEC §1.1–§1.3, §5.1).
//! Every column name orderhealth reads is declared here and nowhere else.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileKind {
    AllOrders,
    Unshipped,
    NewOrders,
    CancelEvents,
    CancelFeed,
    Confirmations,
    Scans,
    Catalog,
    /// Orders from the Selling Partner API, as JSON (§1.6): recognised by its shapes, not by a
    /// header.
    SpApiOrders,
    /// Amazon's seller performance report (§1.7): the reference a run reconciles with.
    PerformanceReport,
}

/// Recognition in precedence order (§5.1): the first kind whose columns are all present wins.
const RECOGNISED_BY: &[(FileKind, &[&str])] = &[
    (FileKind::AllOrders, &["amazon-order-id", "order-status"]),
    (FileKind::Unshipped, &["order-id", "quantity-to-ship"]),
    (FileKind::NewOrders, &["order-id", "order-item-id", "purchase-date"]),
    (FileKind::CancelEvents, &["order-id", "initiated-by"]),
    (FileKind::CancelFeed, &["order-id", "cancellation-reason-code"]),
    (FileKind::Confirmations, &["order-id", "ship-date"]),
    (FileKind::Scans, &["tracking-number", "scan-date"]),
    (FileKind::Catalog, &["sku", "category"]),
];

/// Columns read from order reports, by canonical field; the first present column wins.
pub mod order_columns {
    pub const ORDER_ID: &[&str] = &["amazon-order-id", "order-id"];
    pub const ORDER_ITEM_ID: &[&str] = &["order-item-id"];
    pub const PURCHASE_DATE: &[&str] = &["purchase-date"];
    pub const LAST_UPDATED: &[&str] = &["last-updated-date"];
    pub const ORDER_STATUS: &[&str] = &["order-status"];
    pub const ITEM_STATUS: &[&str] = &["item-status"];
    pub const CHANNEL: &[&str] = &["fulfillment-channel"];
    pub const SALES_CHANNEL: &[&str] = &["sales-channel"];
    pub const SKU: &[&str] = &["sku"];
    pub const ASIN: &[&str] = &["asin"];
    pub const PRODUCT_NAME: &[&str] = &["product-name"];
    pub const QUANTITY: &[&str] = &["quantity", "quantity-purchased"];
    pub const CURRENCY: &[&str] = &["currency"];
    pub const ITEM_PRICE: &[&str] = &["item-price"];
    pub const SHIPPING_PRICE: &[&str] = &["shipping-price"];
    pub const EXPECTED_SHIP: &[&str] = &["latest-ship-date", "promise-date"];
    /// The promised delivery date (v1.4, §3.3, §3.7).
    pub const EXPECTED_DELIVERY: &[&str] = &["latest-delivery-date"];
    pub const BUYER_REQUESTED: &[&str] = &["is-buyer-requested-cancellation", "is-buyer-requested-cancelation"];
    pub const BUYER_CANCEL_REASON: &[&str] = &["buyer-requested-cancel-reason", "buyer-cancel-reason"];
    pub const REPORTING_DATE: &[&str] = &["reporting-date"];
    pub const QUANTITY_SHIPPED: &[&str] = &["quantity-shipped"];
    pub const QUANTITY_TO_SHIP: &[&str] = &["quantity-to-ship"];
    pub const BUYER_EMAIL: &[&str] = &["buyer-email"];
}

crate::serde_by_name!(FileKind, FileKind::ALL);

impl FileKind {
    pub const ALL: [FileKind; 10] = [
        FileKind::AllOrders,
        FileKind::Unshipped,
        FileKind::NewOrders,
        FileKind::CancelEvents,
        FileKind::CancelFeed,
        FileKind::Confirmations,
        FileKind::Scans,
        FileKind::Catalog,
        FileKind::SpApiOrders,
        FileKind::PerformanceReport,
    ];

    /// An order report of §1.1 (a run needs at least one).
    pub fn is_order_report(self) -> bool {
        matches!(self, FileKind::AllOrders | FileKind::NewOrders | FileKind::Unshipped | FileKind::SpApiOrders)
    }

    /// The name used in `rejected.tsv`, the summary and error messages (§5.6).
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::AllOrders => "all-orders",
            FileKind::NewOrders => "new-orders",
            FileKind::Unshipped => "unshipped",
            FileKind::CancelEvents => "cancel-events",
            FileKind::CancelFeed => "cancel-feed",
            FileKind::Confirmations => "confirmations",
            FileKind::Scans => "scans",
            FileKind::Catalog => "catalog",
            FileKind::SpApiOrders => "sp-api-orders",
            FileKind::PerformanceReport => "performance-report",
        }
    }

    fn recognised_by(self) -> &'static [&'static str] {
        RECOGNISED_BY.iter().find(|(k, _)| *k == self).map(|(_, c)| *c).unwrap_or(&[])
    }

    /// The name with its article, for sentences: "an all-orders", "a confirmations".
    pub fn with_article(self) -> String {
        let name = self.as_str();
        let article = if name.starts_with(['a', 'e', 'i', 'o', 'u']) { "an" } else { "a" };
        format!("{article} {name}")
    }

    /// Columns a recognised file must have (§5.1).
    pub fn required(self) -> &'static [&'static str] {
        match self {
            FileKind::AllOrders => &["amazon-order-id", "order-status", "purchase-date"],
            FileKind::NewOrders => &["order-id", "order-item-id", "purchase-date"],
            FileKind::Unshipped => &["order-id", "quantity-to-ship", "purchase-date"],
            FileKind::CancelEvents => &["order-id", "cancel-date", "initiated-by"],
            FileKind::CancelFeed => &["order-id", "cancellation-reason-code"],
            FileKind::Confirmations => &["order-id", "ship-date"],
            FileKind::Scans => &["tracking-number", "scan-date", "scan-type"],
            FileKind::Catalog => &["sku", "category"],
            FileKind::SpApiOrders | FileKind::PerformanceReport => &[],
        }
    }

    /// Every column the spec names for this kind; the others are "unknown columns".
    pub fn known_columns(self) -> Vec<&'static str> {
        use order_columns::*;
        match self {
            FileKind::AllOrders | FileKind::NewOrders | FileKind::Unshipped => [
                ORDER_ID,
                ORDER_ITEM_ID,
                PURCHASE_DATE,
                LAST_UPDATED,
                ORDER_STATUS,
                ITEM_STATUS,
                CHANNEL,
                SALES_CHANNEL,
                SKU,
                ASIN,
                PRODUCT_NAME,
                QUANTITY,
                CURRENCY,
                ITEM_PRICE,
                SHIPPING_PRICE,
                EXPECTED_SHIP,
                EXPECTED_DELIVERY,
                BUYER_REQUESTED,
                BUYER_CANCEL_REASON,
                REPORTING_DATE,
                QUANTITY_SHIPPED,
                QUANTITY_TO_SHIP,
                BUYER_EMAIL,
            ]
            .concat(),
            FileKind::CancelEvents => {
                vec!["order-id", "order-item-id", "cancel-date", "initiated-by", "reason"]
            }
            FileKind::CancelFeed => {
                vec!["order-id", "cancellation-reason-code", "amazon-order-item-code", "merchant-order-id"]
            }
            FileKind::Confirmations => vec![
                "order-id",
                "order-item-id",
                "quantity",
                "ship-date",
                "carrier-code",
                "carrier-name",
                "tracking-number",
                "ship-method",
            ],
            FileKind::Scans => vec!["tracking-number", "scan-date", "scan-type"],
            FileKind::Catalog => vec!["sku", "category"],
            // Its fields are listed in `read::json`.
            FileKind::SpApiOrders | FileKind::PerformanceReport => Vec::new(),
        }
    }

    /// The kind a header is, by the precedence of §5.1.
    pub fn recognise(header: &Header) -> Option<FileKind> {
        RECOGNISED_BY.iter().find(|(_, cols)| cols.iter().all(|c| header.has(c))).map(|(k, _)| *k)
    }

    /// For an unrecognised header: the kind whose recognising columns it shares most
    /// (first in precedence on a tie), and how many it shares.
    pub fn closest(header: &Header) -> (FileKind, usize) {
        let mut best = (FileKind::AllOrders, 0usize);
        for kind in FileKind::ALL {
            let shared = kind.recognised_by().iter().filter(|c| header.has(c)).count();
            if shared > best.1 {
                best = (kind, shared);
            }
        }
        best
    }
}

impl fmt::Display for FileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A header row: names as found, and their lower-cased, space-trimmed keys.
#[derive(Debug, Clone)]
pub struct Header {
    pub names: Vec<String>,
    keys: Vec<String>,
}

impl Header {
    pub fn new(names: Vec<String>) -> Header {
        let keys = names.iter().map(|n| n.trim_matches(' ').to_ascii_lowercase()).collect();
        Header { names, keys }
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    pub fn has(&self, column: &str) -> bool {
        self.index(column).is_some()
    }

    /// Index of a column, matched case-insensitively after trimming spaces.
    pub fn index(&self, column: &str) -> Option<usize> {
        self.keys.iter().position(|k| k == column)
    }

    /// The first present of several columns (first present wins: §5.1).
    pub fn first_of(&self, columns: &[&str]) -> Option<usize> {
        columns.iter().find_map(|c| self.index(c))
    }

    /// A line whose fields, trimmed and compared as header names, are this header (one
    /// dump appended to another).
    pub fn is_repeated_by<'f>(&self, fields: impl ExactSizeIterator<Item = &'f str>) -> bool {
        fields.len() == self.keys.len()
            && fields.zip(&self.keys).all(|(f, k)| f.trim_matches(' ').eq_ignore_ascii_case(k))
    }

    pub fn missing(&self, columns: &[&str]) -> Vec<String> {
        columns.iter().filter(|c| !self.has(c)).map(|c| c.to_string()).collect()
    }

    /// Columns this kind does not name, as found in the file.
    pub fn unknown_columns(&self, kind: FileKind) -> Vec<String> {
        let known = kind.known_columns();
        self.keys
            .iter()
            .zip(&self.names)
            .filter(|(k, _)| !k.is_empty() && !known.contains(&k.as_str()))
            .map(|(_, n)| n.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cols: &str) -> Header {
        Header::new(cols.split('\t').map(String::from).collect())
    }

    #[test]
    fn recognises_each_kind_by_precedence() {
        let cases = [
            ("amazon-order-id\tpurchase-date\torder-status", FileKind::AllOrders),
            ("order-id\torder-item-id\tpurchase-date\tquantity-to-ship", FileKind::Unshipped),
            ("order-id\torder-item-id\tpurchase-date\tsku", FileKind::NewOrders),
            ("order-id\tcancel-date\tinitiated-by", FileKind::CancelEvents),
            ("order-id\tcancellation-reason-code\tamazon-order-item-code", FileKind::CancelFeed),
            ("order-id\torder-item-id\tship-date\ttracking-number", FileKind::Confirmations),
            ("tracking-number\tscan-date\tscan-type", FileKind::Scans),
            ("sku\tcategory", FileKind::Catalog),
            (" Amazon-Order-ID \tORDER-STATUS", FileKind::AllOrders),
        ];
        for (cols, kind) in cases {
            assert_eq!(FileKind::recognise(&header(cols)), Some(kind), "{cols}");
        }
        assert_eq!(FileKind::recognise(&header("settlement-id\tamount")), None);
    }

    #[test]
    fn closest_kind_and_missing_columns() {
        let h = header("amazon-order-id\tpurchase-date");
        assert_eq!(FileKind::recognise(&h), None);
        assert_eq!(FileKind::closest(&h), (FileKind::AllOrders, 1));
        assert_eq!(FileKind::AllOrders.with_article(), "an all-orders");
        assert_eq!(FileKind::Confirmations.with_article(), "a confirmations");
        assert_eq!(h.missing(FileKind::AllOrders.required()), ["order-status"]);
    }

    #[test]
    fn unknown_columns_are_listed_as_found() {
        let h = header("amazon-order-id\torder-status\tpurchase-date\tShip-City\tpromotion-ids");
        assert_eq!(h.unknown_columns(FileKind::AllOrders), ["Ship-City", "promotion-ids"]);
    }
}
