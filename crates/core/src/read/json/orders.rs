//! SP-API orders and order items, v0 and v2026-01-01, as the rows the fold takes (SPEC §1.6):
//! one [`Snapshot`] per Order object, items given apart joined to their order's snapshot in
//! the same file (or a snapshot of their own with no time), and from v2026 orders the
//! cancellation events and the packages' shipment confirmations.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::Path;

use rustc_hash::{FxHashMap, FxHashSet};

use super::scan::{Doc, Node, Obj};
use crate::marketplace::Marketplace;
use crate::read::tsv::parse_decimal_micros;
use crate::rows::{CancelEvent, Confirmation, FileData, Initiator, Rejected, ShipDate, Snapshot};
use crate::status::Channel;
use crate::timestamp::{parse_instant, Micros};
use crate::Text;

/// v0 Order fields this reader maps; others are listed as the file's unknown fields.
const V0_ORDER: &[&str] = &[
    "AmazonOrderId",
    "PurchaseDate",
    "LastUpdateDate",
    "OrderStatus",
    "FulfillmentChannel",
    "SalesChannel",
    "MarketplaceId",
    "LatestShipDate",
    "LatestDeliveryDate",
    "BuyerInfo",
    "OrderItems",
    "BuyerRequestedCancel",
];
/// v0 OrderItem fields this reader maps.
const V0_ITEM: &[&str] = &[
    "AmazonOrderId",
    "OrderItemId",
    "SellerSKU",
    "ASIN",
    "Title",
    "QuantityOrdered",
    "ItemPrice",
    "ShippingPrice",
    "BuyerRequestedCancel",
];
/// v2026-01-01 order fields this reader maps.
const V2026_ORDER: &[&str] = &[
    "orderId",
    "createdTime",
    "lastUpdatedTime",
    "salesChannel",
    "buyer",
    "fulfillment",
    "orderItems",
    "packages",
    "cancellation",
];
/// v2026-01-01 order item fields this reader maps.
const V2026_ITEM: &[&str] = &["orderItemId", "quantityOrdered", "product", "cancellation"];

/// One file's orders, as they are read.
pub struct FileOrders<'p> {
    path: &'p Path,
    /// One per Order object, in file order.
    snapshots: Vec<(Text, Snapshot)>,
    /// Items given apart, by order id: they join that order's snapshot in this file.
    apart: FxHashMap<Text, Snapshot>,
    events: Vec<CancelEvent>,
    confirmations: Vec<Confirmation>,
    pub rejected: Vec<Rejected>,
    rows_read: u64,
    newest: Option<Micros>,
    unknown: BTreeSet<String>,
    /// SP-API error responses (an `errors` array and no data).
    pub error_responses: u64,
    /// Some rows were handed over before the end of the file ([`FileOrders::flush`]).
    flushed: bool,
    /// A second pass for the orders whose items were given apart: only their newest
    /// snapshot's time in the file is wanted ([`FileOrders::lookup`]).
    lookup: Option<(FxHashSet<Text>, NewestTimes)>,
}

/// Each order's newest snapshot time in a file.
pub type NewestTimes = FxHashMap<Text, Option<Micros>>;

/// Why a record is rejected: its JSON path and what is wrong there.
struct Bad(String);

/// `what` of the value `node` at `path.field`, the value shown (bounded).
fn bad(o: &Obj, node: Node, path: &JsonPath, field: &str, what: &str) -> Bad {
    let shown = o.doc.string(node).unwrap_or(Cow::Borrowed(o.doc.raw(node)));
    Bad(format!("{}: {what}: {}", join(path, field), crate::error::printable(&shown, 100)))
}

fn missing(path: &JsonPath, field: &str) -> Bad {
    Bad(format!("{}: missing", join(path, field)))
}

/// Where a record is, as a JSON path (`payload.Orders[17]`): written out only when a record
/// is rejected, so reading a good record builds no string.
#[derive(Clone, Copy)]
enum JsonPath<'a> {
    Top,
    Field(&'a JsonPath<'a>, &'a str),
    Index(&'a JsonPath<'a>, usize),
}

impl std::fmt::Display for JsonPath<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JsonPath::Top => Ok(()),
            // A field of the top value is its name alone.
            JsonPath::Field(JsonPath::Top, name) => write!(f, "{name}"),
            JsonPath::Field(parent, name) => write!(f, "{parent}.{name}"),
            JsonPath::Index(parent, i) => write!(f, "{parent}[{i}]"),
        }
    }
}

/// `path.field`, written out.
fn join(path: &JsonPath, field: &str) -> String {
    JsonPath::Field(path, field).to_string()
}

/// A required instant: present and parseable.
fn required_instant(o: &Obj, path: &JsonPath, field: &str) -> Result<Micros, Bad> {
    match o.at(field) {
        None => Err(missing(path, field)),
        Some(x) => o
            .doc
            .string(x)
            .and_then(|s| parse_instant(s.trim_matches(' ')))
            .ok_or_else(|| bad(o, x, path, field, "unparseable date")),
    }
}

/// An optional instant: absent, or parseable (§1.6: an unparseable one rejects its record).
fn optional_instant(o: &Obj, path: &JsonPath, field: &str) -> Result<Option<Micros>, Bad> {
    let Some(x) = o.at(field) else { return Ok(None) };
    match o.doc.string(x).as_deref().map(|s| s.trim_matches(' ')) {
        Some("") => Ok(None),
        Some(s) => parse_instant(s).map(Some).ok_or_else(|| bad(o, x, path, field, "unparseable date")),
        None => Err(bad(o, x, path, field, "unparseable date")),
    }
}

/// An integer quantity: a JSON integer, or a string of digits (the API gives both).
fn quantity(o: &Obj, path: &JsonPath, field: &str) -> Result<Option<i64>, Bad> {
    let Some(x) = o.at(field) else { return Ok(None) };
    let n = match o.doc.string(x) {
        Some(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s.parse().ok(),
        Some(_) => None,
        // A JSON number: an integer only (no fraction, no exponent).
        None => o.doc.raw(x).parse::<i64>().ok(),
    };
    n.map(Some).ok_or_else(|| bad(o, x, path, field, "not an integer"))
}

/// A decimal amount in millionths: a plain decimal string (§5.1), or a JSON number.
fn amount(o: &Obj, path: &JsonPath, field: &str) -> Result<Option<i64>, Bad> {
    let Some(x) = o.at(field) else { return Ok(None) };
    let micros = match o.doc.string(x) {
        Some(s) => parse_decimal_micros(s.trim_matches(' ')),
        None => serde_json::from_str::<serde_json::Number>(o.doc.raw(x))
            .ok()
            .and_then(|n| parse_decimal_micros(&n.to_string())),
    };
    micros.map(Some).ok_or_else(|| bad(o, x, path, field, "not a plain decimal"))
}

/// `"true"` or `true`, any case (§1.6): the API writes a string, legacy MWS a boolean.
fn flag(o: &Obj, dotted: &str) -> bool {
    let Some(x) = o.at(dotted) else { return false };
    match o.doc.string(x) {
        Some(s) => s.trim_matches(' ').eq_ignore_ascii_case("true"),
        None => o.doc.raw(x) == "true",
    }
}

/// The items of one snapshot, mapped: SKUs, item ids, currency, Σ prices, the buyer flag.
fn add_item(s: &mut Snapshot, sku: Option<&str>, item_id: Option<&str>, currency: Option<&str>, price: i64) {
    s.items_given = true;
    if let Some(sku) = sku {
        if !s.skus.iter().any(|x| &**x == sku) {
            s.skus.push(sku.into());
        }
    }
    if let Some(id) = item_id {
        if !s.item_ids.iter().any(|x| &**x == id) {
            s.item_ids.push(id.into());
        }
    }
    if let Some(c) = currency {
        if s.currency.as_deref().is_none_or(|x| c < x) {
            s.currency = Some(c.into());
        }
    }
    s.value_micros = s.value_micros.saturating_add(price);
}

impl<'p> FileOrders<'p> {
    pub fn new(path: &'p Path) -> FileOrders<'p> {
        FileOrders {
            path,
            snapshots: Vec::new(),
            apart: FxHashMap::default(),
            events: Vec::new(),
            confirmations: Vec::new(),
            rejected: Vec::new(),
            rows_read: 0,
            newest: None,
            unknown: BTreeSet::new(),
            error_responses: 0,
            flushed: false,
            lookup: None,
        }
    }

    /// A pass that only finds the time of the newest snapshot of each order in `ids`.
    pub fn lookup(path: &'p Path, ids: FxHashSet<Text>) -> FileOrders<'p> {
        FileOrders { lookup: Some((ids, FxHashMap::default())), ..FileOrders::new(path) }
    }

    /// What a [`FileOrders::lookup`] pass found: each order's newest snapshot time.
    pub fn newest_times(self) -> NewestTimes {
        self.lookup.map(|(_, found)| found).unwrap_or_default()
    }

    /// Hands the rows read so far to `fold` when there are many (a big file is then held a
    /// part at a time). Items given apart stay until the end: they join their order's
    /// snapshot wherever it is in the file.
    pub fn flush(&mut self, fold: crate::read::Fold, rows: usize) {
        if self.snapshots.len() + self.events.len() + self.confirmations.len() < rows {
            return;
        }
        self.flushed = true;
        let parts = vec![
            FileData::Snapshots(std::mem::take(&mut self.snapshots)),
            FileData::Events(std::mem::take(&mut self.events)),
            FileData::Confirmations(std::mem::take(&mut self.confirmations)),
        ];
        fold(FileData::Several(parts));
    }

    /// The orders whose items were given apart, when some of the file's snapshots were
    /// handed over already: a second pass must find their newest snapshot's time.
    pub fn orders_to_look_up(&self) -> Option<FxHashSet<Text>> {
        (self.flushed && !self.apart.is_empty()).then(|| self.apart.keys().cloned().collect())
    }

    /// A mapped order to go on with: `None` when it was rejected, or in a lookup pass (which
    /// only notes its time).
    fn kept(&mut self, line: u64, mapped: Result<(Text, Snapshot), Bad>) -> Option<(Text, Snapshot)> {
        match mapped {
            Err(why) => {
                self.reject(line, why);
                None
            }
            Ok((id, s)) if self.looked_up(&id, &s) => None,
            Ok(order) => Some(order),
        }
    }

    /// In a lookup pass: notes an order's snapshot time; true when the pass is one.
    fn looked_up(&mut self, id: &Text, s: &Snapshot) -> bool {
        let Some((ids, found)) = &mut self.lookup else { return false };
        if ids.contains(id) {
            let t = found.entry(id.clone()).or_insert(s.time());
            *t = (*t).max(s.time());
        }
        true
    }

    /// Whether the file held any order or item, read or rejected.
    pub fn any_order_data(&self) -> bool {
        self.rows_read > 0
    }

    /// A document that is not valid JSON: one rejected row (§1.6).
    pub fn reject_whole(&mut self, line: u64, why: String) {
        self.rows_read += 1;
        self.rejected.push(super::rejected(self.path, line, why));
    }

    fn reject(&mut self, line: u64, Bad(why): Bad) {
        self.rejected.push(super::rejected(self.path, line, why));
    }

    fn observe(&mut self, t: Option<Micros>) {
        if let Some(t) = t {
            self.newest = Some(self.newest.map_or(t, |n| n.max(t)));
        }
    }

    /// Every record of one document (a file, or a line of JSON lines).
    pub fn document(&mut self, doc: &Doc, _line: u64) {
        if let Some(root) = doc.root() {
            self.walk(doc, root, &JsonPath::Top);
        }
    }

    /// The records of element `index` of a top-level array read element by element.
    pub fn element(&mut self, doc: &Doc, index: u64) {
        if let Some(root) = doc.root() {
            self.walk(doc, root, &JsonPath::Index(&JsonPath::Top, index as usize));
        }
    }

    /// Finds the records of the shapes of §1.6 in `node` (at JSON path `path`).
    fn walk(&mut self, doc: &Doc, node: Node, path: &JsonPath) {
        if doc.is_array(node) {
            for (i, el) in doc.elements(node).into_iter().enumerate() {
                self.walk(doc, el, &JsonPath::Index(path, i));
            }
            return;
        }
        if !doc.is_object(node) {
            return;
        }
        let o = doc.object(node);
        let get = |name: &str| o.fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| *v);
        if let Some(payload) = get("payload") {
            return self.walk(doc, payload, &JsonPath::Field(path, "payload"));
        }
        if let Some(orders) = get("Orders") {
            for (i, el) in doc.elements(orders).into_iter().enumerate() {
                self.v0_order(doc, el, &JsonPath::Index(&JsonPath::Field(path, "Orders"), i));
            }
            return;
        }
        if let (Some(items), true) = (get("OrderItems"), o.has("AmazonOrderId") && !o.has("PurchaseDate")) {
            // A getOrderItems page: its items, given apart from their order.
            let id = o.at("AmazonOrderId").and_then(|n| doc.string(n)).map(Cow::into_owned).unwrap_or_default();
            for (i, el) in doc.elements(items).into_iter().enumerate() {
                self.item_apart(doc, el, &JsonPath::Index(&JsonPath::Field(path, "OrderItems"), i), Some(&id));
            }
            return;
        }
        if let Some(orders) = get("orders") {
            for (i, el) in doc.elements(orders).into_iter().enumerate() {
                self.v2026_order(doc, el, &JsonPath::Index(&JsonPath::Field(path, "orders"), i));
            }
            return;
        }
        if let Some(order) = get("order") {
            return self.v2026_order(doc, order, &JsonPath::Field(path, "order"));
        }
        if o.has("AmazonOrderId") {
            if o.has("OrderItemId") && !o.has("PurchaseDate") && !o.has("OrderStatus") {
                return self.item_apart(doc, node, path, None);
            }
            return self.v0_order(doc, node, path);
        }
        if o.has("orderId") {
            return self.v2026_order(doc, node, path);
        }
        if o.has("errors") {
            self.error_responses += 1;
        }
    }

    /// An order record, counted as a row read: the line it starts on and its fields (those
    /// not in `known` noted as unknown).
    fn order_record<'d, 'a>(&mut self, doc: &'d Doc<'a>, node: Node, known: &[&str]) -> (u64, Obj<'d, 'a>) {
        self.rows_read += 1;
        let o = doc.object(node);
        note_unknown(&mut self.unknown, &o, known);
        (doc.line_of(node), o)
    }

    /// A v0 Order: one snapshot (its nested items with it).
    fn v0_order(&mut self, doc: &Doc, node: Node, path: &JsonPath) {
        let (line, o) = self.order_record(doc, node, V0_ORDER);
        let mapped = (|| -> Result<(Text, Snapshot), Bad> {
            let id = o.text("AmazonOrderId").ok_or_else(|| missing(path, "AmazonOrderId"))?;
            let mut s = Snapshot {
                purchase_ts: Some(required_instant(&o, path, "PurchaseDate")?),
                last_updated: optional_instant(&o, path, "LastUpdateDate")?,
                expected_ship: optional_instant(&o, path, "LatestShipDate")?,
                // Only a promise: unparseable counts as none (§3.3).
                expected_delivery: o.text("LatestDeliveryDate").and_then(|t| parse_instant(&t)),
                status_raw: o.text("OrderStatus").map(|t| Text::from(t.as_ref())),
                channel: o.text("FulfillmentChannel").and_then(|t| Channel::parse(&t)),
                sales_channel: o.text("SalesChannel").map(|t| Text::from(t.as_ref())).or_else(|| {
                    o.text("MarketplaceId")
                        .and_then(|t| Marketplace::from_marketplace_id(&t))
                        .map(|m| m.sales_channel().into())
                }),
                email_marketplace: o.text("BuyerInfo.BuyerEmail").and_then(|t| Marketplace::from_buyer_email(&t)),
                buyer_requested: flag(&o, "BuyerRequestedCancel.IsBuyerRequestedCancel"),
                ..Snapshot::default()
            };
            if o.get("OrderItems").is_some() {
                s.items_given = true;
            }
            Ok((Text::from(id.as_ref()), s))
        })();
        let Some((id, mut s)) = self.kept(line, mapped) else { return };
        let items = JsonPath::Field(path, "OrderItems");
        for (i, item) in o.elements("OrderItems").into_iter().enumerate() {
            self.rows_read += 1;
            let item_path = JsonPath::Index(&items, i);
            let item = doc.object(item);
            note_unknown(&mut self.unknown, &item, V0_ITEM);
            if let Err(why) = v0_item(&item, &item_path, &mut s) {
                self.reject(line, why);
            }
        }
        self.observe(s.purchase_ts.max(s.last_updated));
        self.snapshots.push((id, s));
    }

    /// An item given apart (a getOrderItems page, an item record of an export).
    fn item_apart(&mut self, doc: &Doc, node: Node, path: &JsonPath, order: Option<&str>) {
        if self.lookup.is_some() {
            return;
        }
        self.rows_read += 1;
        let line = doc.line_of(node);
        let o = doc.object(node);
        let id = match order.filter(|o| !o.is_empty()) {
            Some(id) => Text::from(id),
            None => match o.text("AmazonOrderId") {
                Some(id) => Text::from(id.as_ref()),
                None => return self.reject(line, missing(path, "AmazonOrderId")),
            },
        };
        note_unknown(&mut self.unknown, &o, V0_ITEM);
        let result = v0_item(&o, path, self.apart.entry(id).or_default());
        if let Err(why) = result {
            self.reject(line, why);
        }
    }

    /// A v2026-01-01 order: a snapshot, and its cancellation events and packages.
    fn v2026_order(&mut self, doc: &Doc, node: Node, path: &JsonPath) {
        let (line, o) = self.order_record(doc, node, V2026_ORDER);
        let mapped = (|| -> Result<(Text, Snapshot), Bad> {
            let id = o.text("orderId").ok_or_else(|| missing(path, "orderId"))?;
            let status = o.text("fulfillment.fulfillmentStatus").map(|s| match s.as_ref() {
                "PENDING_AVAILABILITY" => Text::from("PendingAvailability"),
                "PENDING" => Text::from("Pending"),
                "UNSHIPPED" => Text::from("Unshipped"),
                "PARTIALLY_SHIPPED" => Text::from("PartiallyShipped"),
                "SHIPPED" => Text::from("Shipped"),
                "CANCELLED" => Text::from("Cancelled"),
                "UNFULFILLABLE" => Text::from("Unfulfillable"),
                other => Text::from(other),
            });
            let channel = match o.text("fulfillment.fulfilledBy").as_deref() {
                Some("MERCHANT") => Some(Channel::Mfn),
                Some("AMAZON") => Some(Channel::Afn),
                _ => None,
            };
            let sales_channel = if o.text("salesChannel.channelName").as_deref() == Some("NON_AMAZON") {
                Some(Text::from("Non-Amazon"))
            } else {
                o.text("salesChannel.marketplaceName").map(|t| Text::from(t.as_ref())).or_else(|| {
                    o.text("salesChannel.marketplaceId")
                        .and_then(|t| Marketplace::from_marketplace_id(&t))
                        .map(|m| m.sales_channel().into())
                })
            };
            let s = Snapshot {
                purchase_ts: Some(required_instant(&o, path, "createdTime")?),
                last_updated: optional_instant(&o, path, "lastUpdatedTime")?,
                expected_ship: optional_instant(&o, path, "fulfillment.shipByWindow.latestDateTime")?,
                expected_delivery: o.text("fulfillment.deliverByWindow.latestDateTime").and_then(|t| parse_instant(&t)),
                status_raw: status,
                channel,
                sales_channel,
                email_marketplace: o.text("buyer.buyerEmail").and_then(|t| Marketplace::from_buyer_email(&t)),
                items_given: o.get("orderItems").is_some(),
                ..Snapshot::default()
            };
            Ok((Text::from(id.as_ref()), s))
        })();
        let Some((id, mut s)) = self.kept(line, mapped) else { return };
        // The cancellation: on the order, or (as Amazon's model has it) on its items.
        let mut cancellations: Vec<Node> = o.at("cancellation").into_iter().collect();
        let items = JsonPath::Field(path, "orderItems");
        for (i, item) in o.elements("orderItems").into_iter().enumerate() {
            self.rows_read += 1;
            let item_path = JsonPath::Index(&items, i);
            let item = doc.object(item);
            note_unknown(&mut self.unknown, &item, V2026_ITEM);
            match v2026_item(&item, &item_path) {
                Ok(i) => add_item(&mut s, i.sku.as_deref(), i.item_id.as_deref(), i.currency.as_deref(), i.price),
                Err(why) => self.reject(line, why),
            }
            cancellations.extend(item.at("cancellation"));
        }
        let cancelled = s.status_raw.as_deref() == Some("Cancelled");
        for c in cancellations {
            let c = doc.object(c);
            if c.text("cancellationRequest.requester").is_some_and(|r| r.eq_ignore_ascii_case("BUYER")) {
                s.buyer_requested = true;
            }
            let by = match c.text("cancellationExecution.cancelledBy") {
                Some(b) if b.eq_ignore_ascii_case("BUYER") => Initiator::Buyer,
                Some(b) if b.eq_ignore_ascii_case("MERCHANT") => Initiator::Seller,
                Some(b) if b.eq_ignore_ascii_case("AMAZON") => Initiator::Amazon,
                _ => continue,
            };
            let reason = c.text("cancellationExecution.cancelReason").map(|t| Text::from(t.as_ref()));
            self.events.push(CancelEvent { order_id: id.clone(), initiated_by: by, reason });
        }
        if cancelled {
            self.observe(s.last_updated);
        }
        let packages = JsonPath::Field(path, "packages");
        for (i, p) in o.elements("packages").into_iter().enumerate() {
            let p = doc.object(p);
            let Some(number) = p.text("trackingNumber") else { continue };
            // A package with a number is a row (a confirmation), used or rejected.
            self.rows_read += 1;
            let package_path = JsonPath::Index(&packages, i);
            match optional_instant(&p, &package_path, "shipTime") {
                Ok(Some(t)) => {
                    self.observe(Some(t));
                    self.confirmations.push(Confirmation {
                        order_id: id.clone(),
                        ship: ShipDate::At(t),
                        carrier: p.text("carrier").as_deref().unwrap_or_default().into(),
                        tracking: Text::from(number.as_ref()),
                        line,
                    });
                }
                Ok(None) => self.reject(line, missing(&package_path, "shipTime")),
                Err(why) => self.reject(line, why),
            }
        }
        self.observe(s.purchase_ts.max(s.last_updated));
        self.snapshots.push((id, s));
    }

    /// The file's rows: its snapshots (items given apart joined to their order's newest
    /// snapshot here, or a snapshot of their own), events and confirmations; rows read; the
    /// newest observation; unknown fields; rejected records.
    ///
    /// `times`, when some snapshots were handed over already, is what a lookup pass found
    /// for the orders of the items given apart: they then join their order's newest snapshot
    /// as a row of their own ([`Snapshot::joins`]).
    pub fn finish(
        mut self,
        times: Option<NewestTimes>,
    ) -> (FileData, u64, Option<Micros>, BTreeSet<String>, Vec<Rejected>) {
        let mut apart: Vec<(Text, Snapshot)> = self.apart.drain().collect();
        apart.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(times) = times {
            for (id, mut items) in apart {
                if let Some(&time) = times.get(&id) {
                    (items.last_updated, items.joins) = (time, true);
                }
                self.snapshots.push((id, items));
            }
            apart = Vec::new();
        }
        // The newest snapshot of each order whose items were given apart (the last of equal
        // times): one lookup per snapshot.
        let mut newest: FxHashMap<&str, usize> = apart.iter().map(|(id, _)| (id.as_str(), usize::MAX)).collect();
        if !newest.is_empty() {
            for (i, (id, s)) in self.snapshots.iter().enumerate() {
                if let Some(slot) = newest.get_mut(id.as_str()) {
                    if self.snapshots.get(*slot).is_none_or(|(_, n)| s.time() >= n.time()) {
                        *slot = i;
                    }
                }
            }
        }
        let at: Vec<usize> =
            apart.iter().map(|(id, _)| newest.get(id.as_str()).copied().unwrap_or(usize::MAX)).collect();
        drop(newest);
        for ((id, items), i) in apart.into_iter().zip(at) {
            match self.snapshots.get_mut(i) {
                Some((_, s)) => {
                    for sku in &items.skus {
                        add_item(s, Some(sku), None, None, 0);
                    }
                    for item in &items.item_ids {
                        add_item(s, None, Some(item), None, 0);
                    }
                    add_item(s, None, None, items.currency.as_deref(), items.value_micros);
                    s.buyer_requested |= items.buyer_requested;
                }
                // Items alone: a snapshot with no time and no status (the oldest).
                None => self.snapshots.push((id, items)),
            }
        }
        let mut parts = vec![FileData::Snapshots(self.snapshots)];
        if !self.events.is_empty() {
            parts.push(FileData::Events(self.events));
        }
        if !self.confirmations.is_empty() {
            parts.push(FileData::Confirmations(self.confirmations));
        }
        let data = if parts.len() == 1 { parts.remove(0) } else { FileData::Several(parts) };
        (data, self.rows_read, self.newest, self.unknown, self.rejected)
    }
}

/// A v0 OrderItem into snapshot `s`; `Err` rejects the item alone.
fn v0_item(o: &Obj, path: &JsonPath, s: &mut Snapshot) -> Result<(), Bad> {
    quantity(o, path, "QuantityOrdered")?;
    let price = amount(o, path, "ItemPrice.Amount")?.unwrap_or(0);
    let shipping = amount(o, path, "ShippingPrice.Amount")?.unwrap_or(0);
    let currency = o.text("ItemPrice.CurrencyCode").or_else(|| o.text("ShippingPrice.CurrencyCode"));
    let (sku, item_id) = (o.text("SellerSKU"), o.text("OrderItemId"));
    add_item(s, sku.as_deref(), item_id.as_deref(), currency.as_deref(), price.saturating_add(shipping));
    s.buyer_requested |= flag(o, "BuyerRequestedCancel.IsBuyerRequestedCancel");
    Ok(())
}

/// Notes the fields of `o` this reader does not map (listed per file, like unknown columns).
fn note_unknown(unknown: &mut BTreeSet<String>, o: &Obj, known: &[&str]) {
    for (k, _) in &o.fields {
        if !known.contains(&k.as_ref()) && !unknown.contains(k.as_ref()) {
            unknown.insert(k.to_string());
        }
    }
}

/// What an item adds to its snapshot.
struct ItemRow<'a> {
    sku: Option<Cow<'a, str>>,
    item_id: Option<Cow<'a, str>>,
    currency: Option<Cow<'a, str>>,
    /// The line's price in millionths.
    price: i64,
}

/// A v2026 item: its line price is the unit price × the quantity (exact, in millionths).
fn v2026_item<'a>(o: &Obj<'_, 'a>, path: &JsonPath) -> Result<ItemRow<'a>, Bad> {
    let quantity = quantity(o, path, "quantityOrdered")?.unwrap_or(1);
    let unit = amount(o, path, "product.price.unitPrice.amount")?.unwrap_or(0);
    Ok(ItemRow {
        sku: o.text("product.sellerSku"),
        item_id: o.text("orderItemId"),
        currency: o.text("product.price.unitPrice.currencyCode"),
        price: unit.saturating_mul(quantity),
    })
}
