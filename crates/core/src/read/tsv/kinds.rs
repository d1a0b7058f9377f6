//! Per-kind row handling: where each canonical field is in a file of that kind, and what the
//! file accumulates (order rows are folded into one snapshot per order as they are read).

use hashbrown::HashTable;

use super::fields::{
    boolean, instant, integer, keep_max, keep_min, keep_min_text, non_empty, price, required, shown, trim_spaces,
    Columns, Row,
};
use crate::kind::{order_columns as oc, FileKind, Header};
use crate::marketplace::Marketplace;
use crate::rows::{CancelEvent, Confirmation, FeedRow, FileData, Initiator, ScanMap, ShipDate, Snapshot};
use crate::shard::{id_hash, shard_of_hash, SHARDS};
use crate::status::Channel;
use crate::timestamp::{parse_day, parse_instant, Micros};
use crate::Text;

/// Column positions of an order report.
pub(super) struct OrderCols {
    order_id: Option<usize>,
    purchase: Option<usize>,
    last_updated: Option<usize>,
    status: Option<usize>,
    channel: Option<usize>,
    sales_channel: Option<usize>,
    sku: Option<usize>,
    item_id: Option<usize>,
    quantity: Option<usize>,
    currency: Option<usize>,
    item_price: Option<usize>,
    shipping_price: Option<usize>,
    expected_ship: Option<usize>,
    expected_delivery: Option<usize>,
    buyer: Option<usize>,
    reporting: Option<usize>,
    quantity_shipped: Option<usize>,
    buyer_email: Option<usize>,
}

/// A file's order rows folded into one snapshot per order, by shard of the book (see
/// `shard::SHARDS`): each shard's snapshots in a vector, found through a table of their
/// positions. A map of whole snapshots moved every 300-byte snapshot each time it grew;
/// and an order's item rows usually follow one another, so the previous row's snapshot is
/// tried first, without hashing.
pub(super) struct FileSnapshots {
    shards: Vec<Vec<(Text, Snapshot)>>,
    index: Vec<HashTable<u32>>,
    /// (shard, position) of the previous row's snapshot.
    last: Option<(usize, usize)>,
}

/// Bytes of a file per order of a shard, at least: an order's rows take 190 bytes or more
/// in Amazon's reports (most take 230–330, and an order has 1.2 rows on average), over 16
/// shards. Vectors sized from it hold a file's orders without growing (growing moved every
/// snapshot again and faulted in fresh pages: 4% of a one-thread run, docs/BENCHMARKS.md);
/// room left unused is never touched, so it costs address space, not memory.
const BYTES_PER_SHARD_ORDER: u64 = 190 * SHARDS as u64;

/// The most orders per shard a file's size reserves room for (a larger file grows).
const MOST_RESERVED: u64 = 1 << 16;

impl FileSnapshots {
    /// Room for the orders of a file of `bytes` bytes.
    fn for_bytes(bytes: u64) -> FileSnapshots {
        let room = (bytes / BYTES_PER_SHARD_ORDER).min(MOST_RESERVED) as usize;
        FileSnapshots {
            shards: (0..SHARDS).map(|_| Vec::with_capacity(room)).collect(),
            index: (0..SHARDS).map(|_| HashTable::with_capacity(room)).collect(),
            last: None,
        }
    }

    /// The snapshot of order `id`, created empty when the file had no row of it yet.
    #[allow(clippy::indexing_slicing, reason = "shards and positions come from this structure's own vectors")]
    fn of(&mut self, id: &str) -> &mut Snapshot {
        let (shard, at) = match self.last {
            Some((shard, at)) if self.shards[shard][at].0 == id => (shard, at),
            _ => {
                let hash = id_hash(id);
                let shard = shard_of_hash(hash);
                let (list, index) = (&mut self.shards[shard], &mut self.index[shard]);
                let at = match index.find(hash, |&i| list[i as usize].0 == id) {
                    Some(&i) => i as usize,
                    None => {
                        list.push((id.into(), Snapshot::default()));
                        let at = list.len() - 1;
                        index.insert_unique(hash, at as u32, |&i| id_hash(&list[i as usize].0));
                        at
                    }
                };
                (shard, at)
            }
        };
        self.last = Some((shard, at));
        &mut self.shards[shard][at].1
    }

    /// The snapshots, one list per shard.
    fn into_lists(self) -> Vec<Vec<(Text, Snapshot)>> {
        self.shards
    }
}

/// Per-kind row handling: where each canonical field is, and what a file accumulates.
#[allow(clippy::large_enum_variant, reason = "one sink per file: its size costs nothing")]
pub(super) enum KindSink {
    Orders {
        c: OrderCols,
        has_status: bool,
        snapshots: FileSnapshots,
    },
    Events {
        order_id: Option<usize>,
        date: Option<usize>,
        by: Option<usize>,
        reason: Option<usize>,
        out: Vec<CancelEvent>,
    },
    Feed {
        order_id: Option<usize>,
        reason: Option<usize>,
        out: Vec<FeedRow>,
    },
    Confirmations {
        order_id: Option<usize>,
        date: Option<usize>,
        quantity: Option<usize>,
        code: Option<usize>,
        name: Option<usize>,
        tracking: Option<usize>,
        out: Vec<Confirmation>,
    },
    Scans {
        tracking: Option<usize>,
        date: Option<usize>,
        kind: Option<usize>,
        /// One map per shard of the book.
        out: Vec<ScanMap>,
    },
    Catalog {
        sku: Option<usize>,
        category: Option<usize>,
        out: Vec<(Text, Text)>,
    },
}

impl KindSink {
    /// The sink of a file of `kind` with header `h`, about `bytes` long (0: unknown).
    pub(super) fn new(kind: FileKind, h: &Header, bytes: u64) -> KindSink {
        match kind {
            FileKind::AllOrders | FileKind::NewOrders | FileKind::Unshipped => KindSink::Orders {
                c: OrderCols {
                    order_id: h.first_of(oc::ORDER_ID),
                    purchase: h.first_of(oc::PURCHASE_DATE),
                    last_updated: h.first_of(oc::LAST_UPDATED),
                    status: h.first_of(oc::ORDER_STATUS),
                    channel: h.first_of(oc::CHANNEL),
                    sales_channel: h.first_of(oc::SALES_CHANNEL),
                    sku: h.first_of(oc::SKU),
                    item_id: h.first_of(oc::ORDER_ITEM_ID),
                    quantity: h.first_of(oc::QUANTITY),
                    currency: h.first_of(oc::CURRENCY),
                    item_price: h.first_of(oc::ITEM_PRICE),
                    shipping_price: h.first_of(oc::SHIPPING_PRICE),
                    expected_ship: h.first_of(oc::EXPECTED_SHIP),
                    expected_delivery: h.first_of(oc::EXPECTED_DELIVERY),
                    buyer: h.first_of(oc::BUYER_REQUESTED),
                    reporting: h.first_of(oc::REPORTING_DATE),
                    quantity_shipped: h.first_of(oc::QUANTITY_SHIPPED),
                    buyer_email: h.first_of(oc::BUYER_EMAIL),
                },
                has_status: h.has("order-status"),
                snapshots: FileSnapshots::for_bytes(bytes),
            },
            FileKind::CancelEvents => KindSink::Events {
                order_id: h.index("order-id"),
                date: h.index("cancel-date"),
                by: h.index("initiated-by"),
                reason: h.index("reason"),
                out: Vec::new(),
            },
            FileKind::CancelFeed => KindSink::Feed {
                order_id: h.index("order-id"),
                reason: h.index("cancellation-reason-code"),
                out: Vec::new(),
            },
            FileKind::Confirmations => KindSink::Confirmations {
                order_id: h.index("order-id"),
                date: h.index("ship-date"),
                quantity: h.index("quantity"),
                code: h.index("carrier-code"),
                name: h.index("carrier-name"),
                tracking: h.index("tracking-number"),
                out: Vec::new(),
            },
            FileKind::Scans => KindSink::Scans {
                tracking: h.index("tracking-number"),
                date: h.index("scan-date"),
                kind: h.index("scan-type"),
                out: (0..SHARDS).map(|_| ScanMap::default()).collect(),
            },
            // SP-API JSON is never recognised from a header (`read::json` reads it): a sink
            // that finds no column.
            FileKind::Catalog | FileKind::SpApiOrders | FileKind::PerformanceReport => {
                KindSink::Catalog { sku: h.index("sku"), category: h.index("category"), out: Vec::new() }
            }
        }
    }

    /// The columns this file's rows are parsed from, in order: a row that ends before one of
    /// them is rejected, a row short of other columns only is read (§5.1 "Short rows").
    pub(super) fn parsed_columns(&self) -> Vec<usize> {
        let columns = match self {
            KindSink::Orders { c, .. } => vec![
                c.order_id,
                c.purchase,
                c.last_updated,
                c.status,
                c.channel,
                c.sales_channel,
                c.sku,
                c.item_id,
                c.quantity,
                c.currency,
                c.item_price,
                c.shipping_price,
                c.expected_ship,
                c.expected_delivery,
                c.buyer,
                c.reporting,
                c.quantity_shipped,
                c.buyer_email,
            ],
            KindSink::Events { order_id, date, by, reason, .. } => vec![*order_id, *date, *by, *reason],
            KindSink::Feed { order_id, reason, .. } => vec![*order_id, *reason],
            KindSink::Confirmations { order_id, date, quantity, code, name, tracking, .. } => {
                vec![*order_id, *date, *quantity, *code, *name, *tracking]
            }
            KindSink::Scans { tracking, date, kind, .. } => vec![*tracking, *date, *kind],
            KindSink::Catalog { sku, category, .. } => vec![*sku, *category],
        };
        let mut columns: Vec<usize> = columns.into_iter().flatten().collect();
        columns.sort_unstable();
        columns
    }

    /// Takes one row; returns the newest instant it observed, or why it is rejected.
    /// A row is validated whole before anything of it is kept.
    #[allow(clippy::indexing_slicing, reason = "one snapshot map per shard, and shard_of is below SHARDS")]
    pub(super) fn accept(&mut self, row: &Row, cols: &Columns, line_no: u64) -> Result<Option<Micros>, String> {
        match self {
            KindSink::Orders { c, snapshots, .. } => {
                required(row, cols, c.order_id, "order id")?;
                required(row, cols, c.purchase, "date")?;
                let purchase = instant(row, cols, c.purchase)?;
                let last_updated = instant(row, cols, c.last_updated)?;
                let expected_ship = instant(row, cols, c.expected_ship)?;
                integer(row, cols, c.quantity)?;
                let item = price(row, cols, c.item_price)?;
                let shipping = price(row, cols, c.shipping_price)?;
                // reporting-date times the snapshot only; unparseable counts as missing (§5.1).
                let reporting = parse_instant(row.get(c.reporting));
                // So is the promised delivery date (§3.3): it is only a promise.
                let expected_delivery = parse_instant(row.get(c.expected_delivery));
                let shipped_qty = row.get(c.quantity_shipped).parse::<i64>().unwrap_or(0);

                let snap = snapshots.of(row.get(c.order_id));
                snap.items_given = true;
                keep_min(&mut snap.purchase_ts, purchase);
                keep_max(&mut snap.last_updated, last_updated);
                keep_max(&mut snap.reporting, reporting);
                keep_max(&mut snap.expected_ship, expected_ship);
                keep_max(&mut snap.expected_delivery, expected_delivery);
                keep_min_text(&mut snap.status_raw, row.get(c.status));
                keep_min(&mut snap.channel, Channel::parse(row.get(c.channel)));
                keep_min_text(&mut snap.sales_channel, row.get(c.sales_channel));
                keep_min_text(&mut snap.currency, row.get(c.currency));
                if c.buyer_email.is_some() {
                    keep_min(&mut snap.email_marketplace, Marketplace::from_buyer_email(row.get(c.buyer_email)));
                }
                snap.buyer_requested |= boolean(row.get(c.buyer));
                snap.any_quantity_shipped |= shipped_qty > 0;
                snap.value_micros = snap.value_micros.saturating_add(item).saturating_add(shipping);
                let sku = row.get(c.sku);
                if !sku.is_empty() && !snap.skus.iter().any(|s| &**s == sku) {
                    snap.skus.push(sku.into());
                }
                if c.item_id.is_some() {
                    let item = row.get(c.item_id);
                    if !item.is_empty() && !snap.item_ids.iter().any(|s| &**s == item) {
                        snap.item_ids.push(item.into());
                    }
                }
                Ok([purchase, last_updated, reporting].into_iter().flatten().max())
            }
            KindSink::Events { order_id, date, by, reason, out } => {
                required(row, cols, *order_id, "order id")?;
                required(row, cols, *date, "date")?;
                let at = instant(row, cols, *date)?;
                let who = row.get(*by);
                let initiated_by = if who.eq_ignore_ascii_case("buyer") {
                    Initiator::Buyer
                } else if who.eq_ignore_ascii_case("seller") {
                    Initiator::Seller
                } else if who.eq_ignore_ascii_case("amazon") {
                    Initiator::Amazon
                } else {
                    return Err(format!("{} must be buyer, seller or amazon: {}", cols.name(*by), shown(who)));
                };
                out.push(CancelEvent {
                    order_id: row.get(*order_id).into(),
                    initiated_by,
                    reason: non_empty(row.get(*reason)),
                });
                Ok(at)
            }
            KindSink::Feed { order_id, reason, out } => {
                required(row, cols, *order_id, "order id")?;
                out.push(FeedRow { order_id: row.get(*order_id).into(), reason: non_empty(row.get(*reason)) });
                Ok(None)
            }
            KindSink::Confirmations { order_id, date, quantity, code, name, tracking, out } => {
                required(row, cols, *order_id, "order id")?;
                required(row, cols, *date, "date")?;
                let v = row.get(*date);
                let ship = match parse_day(v) {
                    Some(d) => ShipDate::Day(d),
                    None => ShipDate::At(
                        parse_instant(v)
                            .ok_or_else(|| format!("unparseable date in {}: {}", cols.name(*date), shown(v)))?,
                    ),
                };
                integer(row, cols, *quantity)?;
                let code_value = row.get(*code);
                let carrier = if code_value.eq_ignore_ascii_case("other") { row.get(*name) } else { code_value };
                out.push(Confirmation {
                    order_id: row.get(*order_id).into(),
                    ship,
                    carrier: carrier.into(),
                    tracking: trim_spaces(row.raw(*tracking)).into(),
                    line: line_no,
                });
                Ok(match ship {
                    ShipDate::At(t) => Some(t),
                    ShipDate::Day(_) => None,
                })
            }
            KindSink::Scans { tracking, date, kind, out } => {
                required(row, cols, *tracking, "tracking number")?;
                required(row, cols, *date, "date")?;
                let at = instant(row, cols, *date)?;
                let number = orderhealth_carriers::normalise(trim_spaces(row.raw(*tracking)));
                let hash = id_hash(&number);
                let t = out[shard_of_hash(hash)].tally_hashed(hash, &number);
                t.scans += 1;
                let k = row.get(*kind);
                let delivered = k.eq_ignore_ascii_case("delivered");
                t.delivered |= delivered || k.eq_ignore_ascii_case("attempted-delivery");
                if let (true, Some(a)) = (delivered, at) {
                    t.first_delivered = Some(t.first_delivered.map_or(a, |f| f.min(a)));
                }
                Ok(at)
            }
            KindSink::Catalog { sku, category, out } => {
                required(row, cols, *sku, "sku")?;
                out.push((row.get(*sku).into(), row.get(*category).into()));
                Ok(None)
            }
        }
    }

    pub(super) fn finish(self) -> FileData {
        match self {
            KindSink::Orders { has_status, mut snapshots, .. } => {
                if !has_status {
                    // Reports without order-status (§5.2): Unshipped, or PartiallyShipped
                    // when a row shows quantity-shipped > 0.
                    for (_, s) in snapshots.shards.iter_mut().flatten() {
                        let status = if s.any_quantity_shipped { "PartiallyShipped" } else { "Unshipped" };
                        s.status_raw = Some(status.into());
                    }
                }
                FileData::Orders(snapshots.into_lists())
            }
            KindSink::Events { out, .. } => FileData::Events(out),
            KindSink::Feed { out, .. } => FileData::Feed(out),
            KindSink::Confirmations { out, .. } => FileData::Confirmations(out),
            KindSink::Scans { out, .. } => FileData::Scans(out),
            KindSink::Catalog { out, .. } => FileData::Catalog(out),
        }
    }
}
