//! What a file contributes, typed: the rows of each kind as the reader yields them and the
//! book folds them (SPEC §1), and the rows rejected with why (§1.5).

use crate::kind::FileKind;
use crate::marketplace::Marketplace;
use crate::shard::spread;
use crate::status::Channel;
use crate::timestamp::Micros;
use crate::Text;

/// A snapshot's SKUs or item ids, in row order.
pub type Items = smallvec::SmallVec<[Text; 1]>;

/// One unusable row, as written to `rejected.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    pub kind: FileKind,
    pub reason: String,
}

/// One (file, order) group of order rows, merged by the rules of SPEC §5.2.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub purchase_ts: Option<Micros>,
    pub last_updated: Option<Micros>,
    pub reporting: Option<Micros>,
    pub status_raw: Option<Text>,
    pub channel: Option<Channel>,
    pub sales_channel: Option<Text>,
    /// From a `…@marketplace.amazon.<domain>` buyer e-mail (§1.4).
    pub email_marketplace: Option<Marketplace>,
    pub expected_ship: Option<Micros>,
    /// The promised delivery date (`latest-delivery-date`).
    pub expected_delivery: Option<Micros>,
    pub buyer_requested: bool,
    /// Its SKUs (most orders have one: kept inline, millions of snapshots allocate nothing).
    pub skus: Items,
    /// `order-item-id` of its rows (new-orders and unshipped reports have them).
    pub item_ids: Items,
    pub currency: Option<Text>,
    /// Σ(item-price + shipping-price) in millionths of the currency unit.
    pub value_micros: i64,
    pub any_quantity_shipped: bool,
    /// It lists the order's items (a flat file's rows always do; an SP-API order without
    /// nested items does not, and then leaves the items of other snapshots as they are).
    pub items_given: bool,
    /// Items given apart that join the snapshot of their order at this snapshot's time in
    /// the same file, folded before them (a big SP-API file is folded in parts): they add
    /// their items to it and are not a snapshot of their own.
    pub joins: bool,
}

impl Snapshot {
    /// The snapshot's time: its `last_updated_ts`, else the file's `reporting-date` (§2 item 1).
    pub fn time(&self) -> Option<Micros> {
        self.last_updated.or(self.reporting)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Buyer,
    Seller,
    Amazon,
}

#[derive(Debug, Clone)]
pub struct CancelEvent {
    pub order_id: Text,
    pub initiated_by: Initiator,
    pub reason: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct FeedRow {
    pub order_id: Text,
    pub reason: Option<Text>,
}

/// A ship date as given: a calendar date, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipDate {
    Day(i32),
    At(Micros),
}

#[derive(Debug, Clone)]
pub struct Confirmation {
    pub order_id: Text,
    pub ship: ShipDate,
    /// `carrier-code`, or `carrier-name` when the code is `Other` (§5.5), trimmed.
    pub carrier: Text,
    /// As given, ASCII spaces trimmed at the ends.
    pub tracking: Text,
    pub line: u64,
}

pub use crate::scan_map::ScanMap;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTally {
    pub scans: u32,
    /// A `delivered` or `attempted-delivery` scan (the scan checks of §3.3).
    pub delivered: bool,
    /// The earliest `delivered` scan (the on-time delivery rate, §3.7).
    pub first_delivered: Option<Micros>,
}

impl ScanTally {
    /// The scans of both: counts added, the earliest delivery kept.
    pub fn add(&mut self, other: &ScanTally) {
        self.scans += other.scans;
        self.delivered |= other.delivered;
        self.first_delivered = match (self.first_delivered, other.first_delivered) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What one file contributes, by kind.
#[derive(Debug)]
pub enum FileData {
    /// Snapshots of distinct orders, already split by shard (one list per shard).
    Orders(Vec<Vec<(Text, Snapshot)>>),
    /// Snapshots of distinct orders as a list (read back from the store: no map to build).
    Snapshots(Vec<(Text, Snapshot)>),
    Events(Vec<CancelEvent>),
    Feed(Vec<FeedRow>),
    Confirmations(Vec<Confirmation>),
    /// Keyed by the normalised tracking number, already split by shard (one map per shard).
    Scans(Vec<ScanMap>),
    /// (sku, category) in line order.
    Catalog(Vec<(Text, Text)>),
    /// A file that holds more than one kind of row (SP-API JSON: orders, and from v2026
    /// responses cancellation events and shipment confirmations).
    Several(Vec<FileData>),
}

impl FileData {
    /// Splits the data by shard of its key (order id, tracking number or SKU).
    #[allow(clippy::indexing_slicing, reason = "Orders has one map per shard, and `Several` one part per shard")]
    pub fn split(self, shards: usize) -> Vec<FileData> {
        match self {
            FileData::Orders(lists) => {
                assert_eq!(lists.len(), shards, "order snapshots are split by shard as they are read");
                lists.into_iter().map(|list| FileData::Orders(vec![list])).collect()
            }
            FileData::Snapshots(v) => spread(v, |(id, _)| id, shards).into_iter().map(FileData::Snapshots).collect(),
            FileData::Events(v) => spread(v, |e| &e.order_id, shards).into_iter().map(FileData::Events).collect(),
            FileData::Feed(v) => spread(v, |f| &f.order_id, shards).into_iter().map(FileData::Feed).collect(),
            FileData::Confirmations(v) => {
                spread(v, |c| &c.order_id, shards).into_iter().map(FileData::Confirmations).collect()
            }
            FileData::Scans(maps) => {
                assert_eq!(maps.len(), shards, "scans are split by shard as they are read");
                maps.into_iter().map(|map| FileData::Scans(vec![map])).collect()
            }
            FileData::Catalog(v) => spread(v, |(sku, _)| sku, shards).into_iter().map(FileData::Catalog).collect(),
            FileData::Several(parts) => {
                let mut out: Vec<Vec<FileData>> = (0..shards).map(|_| Vec::new()).collect();
                for part in parts {
                    for (i, piece) in part.split(shards).into_iter().enumerate() {
                        out[i].push(piece);
                    }
                }
                out.into_iter().map(FileData::Several).collect()
            }
        }
    }
}
