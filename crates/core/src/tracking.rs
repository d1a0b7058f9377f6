//! Packages and their tracking defects (SPEC §3.3, §5.5): confirmations joined to orders.

use rustc_hash::FxHashMap;

use orderhealth_carriers::{self as carriers, Defect};

use crate::book::Book;
use crate::marketplace::{Marketplace, SalesChannel};
use crate::read::ShipDate;
use crate::status::Channel;
use crate::timestamp::{local_day, Micros};
use crate::view::OrderView;

/// One package of an MFN Amazon order, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    pub order_id: Box<str>,
    pub marketplace: Marketplace,
    /// Local ship day, days since 1970-01-01.
    pub ship_day: i32,
    pub carrier: Box<str>,
    /// As given, ASCII spaces trimmed; empty for a missing number.
    pub tracking: Box<str>,
    pub defect: Option<Defect>,
    pub suggestion: Option<String>,
    /// The categories it counts in (`""` when its order has no catalogued SKU).
    pub categories: Vec<Box<str>>,
}

/// Confirmation rows left out of the metrics, by why (§5.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ConfirmationCounts {
    pub unmatched: u64,
    pub non_amazon: u64,
    pub unsupported_marketplace: u64,
}

#[derive(Debug)]
pub struct Tracking {
    pub packages: Vec<Package>,
    pub left_out: ConfirmationCounts,
}

/// Minimum order value (in millionths of a dollar) from which two scans are needed.
const TWO_SCAN_VALUE: i64 = 5_000_000;

#[derive(PartialEq, Eq, Hash)]
enum PackageKey<'a> {
    Numbered(&'a str, &'a str),
    Missing(&'a str, i32, &'a str),
}

struct Draft<'a> {
    order: &'a OrderView,
    marketplace: Marketplace,
    ship_day: i32,
    carrier: &'a str,
    carrier_pos: (u32, u64),
    tracking: &'a str,
}

impl Tracking {
    /// `orders` must be the view built from `book`, sorted by order id.
    pub fn build(book: &Book, orders: &[OrderView], as_of: Option<Micros>, scan_grace_days: i64) -> Tracking {
        let mut left_out = ConfirmationCounts::default();
        let mut drafts: FxHashMap<PackageKey, Draft> = FxHashMap::default();
        let find = |id: &str| orders.binary_search_by(|o| (*o.order_id).cmp(id)).ok().map(|i| &orders[i]);
        for c in &book.confirmations {
            let row = &c.row;
            let Some(order) = find(&row.order_id) else {
                left_out.unmatched += 1;
                continue;
            };
            let marketplace = match (&order.channel, &order.sales_channel) {
                (Channel::Afn, _) => {
                    left_out.unmatched += 1;
                    continue;
                }
                (_, SalesChannel::NonAmazon) => {
                    left_out.non_amazon += 1;
                    continue;
                }
                (_, SalesChannel::Unsupported) => {
                    left_out.unsupported_marketplace += 1;
                    continue;
                }
                (Channel::Mfn, SalesChannel::Amazon(m)) => *m,
            };
            let ship_day = match row.ship {
                ShipDate::Day(d) => d,
                ShipDate::At(t) => local_day(t, order.zone),
            };
            let carrier = row.carrier.trim_matches(' ');
            let key = if carriers::is_missing(&row.tracking) {
                PackageKey::Missing(&row.order_id, ship_day, carrier)
            } else {
                PackageKey::Numbered(&row.order_id, &row.tracking)
            };
            let pos = (c.rank, row.line);
            let draft = drafts.entry(key).or_insert(Draft {
                order,
                marketplace,
                ship_day,
                carrier,
                carrier_pos: pos,
                tracking: if carriers::is_missing(&row.tracking) { "" } else { &row.tracking },
            });
            draft.ship_day = draft.ship_day.min(ship_day);
            if pos < draft.carrier_pos {
                draft.carrier_pos = pos;
                draft.carrier = carrier;
            }
        }

        let mut packages: Vec<Package> = drafts.into_values().map(|d| judge(book, d, as_of, scan_grace_days)).collect();
        packages.sort_by(|a, b| {
            (&a.order_id, a.ship_day, &a.tracking, &a.carrier).cmp(&(&b.order_id, b.ship_day, &b.tracking, &b.carrier))
        });
        Tracking { packages, left_out }
    }
}

fn judge(book: &Book, d: Draft, as_of: Option<Micros>, grace_days: i64) -> Package {
    let mut defect = carriers::check(d.carrier, d.tracking).err();
    if defect.is_none() {
        if let (Some(scans), Some(as_of)) = (&book.scans, as_of) {
            // Carriers need time to scan and deliver: only packages old enough are judged.
            if (d.ship_day as i64) <= local_day(as_of, d.order.zone) as i64 - grace_days {
                defect = match scans.get(&carriers::normalise(d.tracking)) {
                    None => Some(Defect::NoScan),
                    Some(t) => {
                        let usd = d.order.currency.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("USD"));
                        let needs_two = usd && d.order.value_micros >= TWO_SCAN_VALUE;
                        (needs_two && (t.scans < 2 || !t.delivered)).then_some(Defect::InsufficientScans)
                    }
                };
            }
        }
    }
    let suggestion = match defect {
        Some(Defect::HiddenCharacters) => carriers::suggestion(d.carrier, d.tracking),
        _ => None,
    };
    let mut categories: Vec<Box<str>> =
        d.order.skus.iter().filter_map(|sku| book.catalog.get(&**sku).map(|(_, c)| c.clone())).collect();
    categories.sort();
    categories.dedup();
    if categories.is_empty() {
        categories.push("".into());
    }
    Package {
        order_id: d.order.order_id.clone(),
        marketplace: d.marketplace,
        ship_day: d.ship_day,
        carrier: d.carrier.into(),
        tracking: d.tracking.into(),
        defect,
        suggestion,
        categories,
    }
}
