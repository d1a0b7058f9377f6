//! Packages and their tracking defects (SPEC §3.3, §5.5): confirmations joined to orders.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use orderhealth_carriers::{self as carriers, Carrier, Defect};

use crate::book::Book;
use crate::marketplace::{Marketplace, SalesChannel};
use crate::metric::{Day, Series, TrackingCounts};
use crate::rows::ShipDate;
use crate::status::Channel;
use crate::timestamp::{local_day, Micros};
use crate::view::{OrderView, View};
use crate::Text;

/// One package of an MFN Amazon order, judged. Borrows from the view and the book.
#[derive(Debug, Clone, PartialEq)]
pub struct Package<'a> {
    pub order_id: &'a str,
    pub marketplace: Marketplace,
    /// Local ship day, days since 1970-01-01.
    pub ship_day: i32,
    pub carrier: &'a str,
    /// As given, ASCII spaces trimmed; empty for a missing number.
    pub tracking: &'a str,
    pub defect: Option<Defect>,
    pub suggestion: Option<String>,
    /// The categories it counts in (`""` when its order has no catalogued SKU).
    pub categories: Vec<&'a str>,
}

/// Confirmation rows left out of the metrics, by why (§5.5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConfirmationCounts {
    pub unmatched: u64,
    pub non_amazon: u64,
    pub unsupported_marketplace: u64,
}

/// Counts of two sets of orders: additive.
impl std::ops::Add for ConfirmationCounts {
    type Output = ConfirmationCounts;

    fn add(self, o: ConfirmationCounts) -> ConfirmationCounts {
        ConfirmationCounts {
            unmatched: self.unmatched + o.unmatched,
            non_amazon: self.non_amazon + o.non_amazon,
            unsupported_marketplace: self.unsupported_marketplace + o.unsupported_marketplace,
        }
    }
}

/// The counts without a subset's (never below 0).
impl std::ops::Sub for ConfirmationCounts {
    type Output = ConfirmationCounts;

    fn sub(self, o: ConfirmationCounts) -> ConfirmationCounts {
        ConfirmationCounts {
            unmatched: self.unmatched.saturating_sub(o.unmatched),
            non_amazon: self.non_amazon.saturating_sub(o.non_amazon),
            unsupported_marketplace: self.unsupported_marketplace.saturating_sub(o.unsupported_marketplace),
        }
    }
}

/// The valid-tracking inputs: per-day counts (every package), and the invalid packages
/// themselves (valid ones are only counted, never kept).
#[derive(Debug)]
pub struct Tracking<'a> {
    /// Per (marketplace, category, local ship day), sorted.
    pub days: Series<(Marketplace, Text), TrackingCounts>,
    /// Sorted by order id, ship day, tracking number, carrier.
    pub defective: Vec<Package<'a>>,
    pub left_out: ConfirmationCounts,
    /// Per (marketplace, day) over all categories, each package once: for display only —
    /// the table has no all-categories row (§5.6).
    pub totals: Series<Marketplace, TrackingCounts>,
}

/// What one rayon job accumulates.
#[derive(Default)]
struct Partial<'a> {
    days: FxHashMap<(Marketplace, &'a str, i32), TrackingCounts>,
    totals: FxHashMap<(Marketplace, i32), TrackingCounts>,
    defective: Vec<Package<'a>>,
    left_out: ConfirmationCounts,
    carriers: CarrierMemo,
}

impl<'a> Partial<'a> {
    fn count(&mut self, p: &Package<'a>) {
        let one = TrackingCounts::of(p.defect);
        for &category in &p.categories {
            add_to(&mut self.days, (p.marketplace, category, p.ship_day), one);
        }
        add_to(&mut self.totals, (p.marketplace, p.ship_day), one);
    }

    fn merge(mut self, other: Partial<'a>) -> Partial<'a> {
        for (k, v) in other.days {
            add_to(&mut self.days, k, v);
        }
        for (k, v) in other.totals {
            add_to(&mut self.totals, k, v);
        }
        self.defective.extend(other.defective);
        self.left_out = self.left_out + other.left_out;
        self
    }
}

fn add_to<K: std::hash::Hash + Eq>(days: &mut FxHashMap<K, TrackingCounts>, key: K, counts: TrackingCounts) {
    let sum = days.entry(key).or_default();
    *sum = *sum + counts;
}

/// Minimum order value (in millionths of a dollar) from which two scans are needed.
const TWO_SCAN_VALUE: i64 = 5_000_000;

/// A package before judging: where its rows agree, and the first row's carrier.
struct Draft<'a> {
    missing: bool,
    ship_day: i32,
    carrier: &'a str,
    carrier_position: (u32, u64),
    tracking: &'a str,
}

/// Carrier names already looked up in the carrier table.
type CarrierMemo = FxHashMap<Box<str>, Option<&'static Carrier>>;

impl<'a> Tracking<'a> {
    /// Every package of every MFN Amazon order, judged and counted per day. Per-order work,
    /// run in parallel: a package never spans two orders.
    pub fn build(view: &'a View, book: &'a Book, scan_grace_days: i64) -> Tracking<'a> {
        let unknown = ConfirmationCounts { unmatched: view.unknown_order_confirmations, ..Default::default() };
        let partial = view
            .orders
            .par_iter()
            .filter(|o| !o.shipments.is_empty())
            .fold(Partial::default, |mut acc, o| {
                let (packages, left_out) = packages_of(o, book, view.as_of, scan_grace_days, &mut acc.carriers);
                for p in packages {
                    acc.count(&p);
                    if p.defect.is_some() {
                        acc.defective.push(p);
                    }
                }
                acc.left_out = acc.left_out + left_out;
                acc
            })
            .reduce(Partial::default, Partial::merge);
        let mut defective = partial.defective;
        defective.par_sort_unstable_by(|a, b| {
            (a.order_id, a.ship_day, a.tracking, a.carrier).cmp(&(b.order_id, b.ship_day, b.tracking, b.carrier))
        });
        let mut days: Series<(Marketplace, Text), TrackingCounts> = partial
            .days
            .into_iter()
            .map(|((m, category, day), counts)| Day { key: (m, Text::from(category)), day, counts })
            .collect();
        days.sort_unstable_by(|a, b| (&a.key, a.day).cmp(&(&b.key, b.day)));
        let mut totals: Series<Marketplace, TrackingCounts> =
            partial.totals.into_iter().map(|((key, day), counts)| Day { key, day, counts }).collect();
        totals.sort_unstable_by_key(|d| (d.key, d.day));
        Tracking { days, totals, defective, left_out: partial.left_out + unknown }
    }
}

fn packages_of<'a>(
    order: &'a OrderView,
    book: &'a Book,
    as_of: Option<Micros>,
    grace_days: i64,
    memo: &mut CarrierMemo,
) -> (Vec<Package<'a>>, ConfirmationCounts) {
    let rows = order.shipments.len() as u64;
    let marketplace = match (&order.channel, &order.sales_channel) {
        (Channel::Afn, _) => return (Vec::new(), ConfirmationCounts { unmatched: rows, ..Default::default() }),
        (_, SalesChannel::NonAmazon) => {
            return (Vec::new(), ConfirmationCounts { non_amazon: rows, ..Default::default() })
        }
        (_, SalesChannel::Unsupported) => {
            return (Vec::new(), ConfirmationCounts { unsupported_marketplace: rows, ..Default::default() })
        }
        (Channel::Mfn, SalesChannel::Amazon(m)) => *m,
    };
    // Group rows into packages: by tracking number, or without one by (ship day, carrier).
    let mut drafts: Vec<Draft> = Vec::with_capacity(order.shipments.len());
    for row in &order.shipments {
        let ship_day = match row.ship {
            ShipDate::Day(d) => d,
            ShipDate::At(t) => local_day(t, order.zone),
        };
        let carrier = row.carrier.trim_matches(' ');
        let missing = carriers::is_missing(&row.tracking);
        let tracking: &str = if missing { "" } else { &row.tracking };
        let same = |d: &Draft| {
            d.missing == missing
                && if missing { d.ship_day == ship_day && d.carrier == carrier } else { d.tracking == tracking }
        };
        match drafts.iter_mut().find(|d| same(d)) {
            Some(d) => {
                d.ship_day = d.ship_day.min(ship_day);
                if row.position < d.carrier_position {
                    d.carrier_position = row.position;
                    d.carrier = carrier;
                }
            }
            None => drafts.push(Draft { missing, ship_day, carrier, carrier_position: row.position, tracking }),
        }
    }
    let categories = categories_of(order, book);
    let packages = drafts
        .into_iter()
        .map(|d| {
            let carrier = match memo.get(d.carrier) {
                Some(c) => *c,
                None => *memo.entry(d.carrier.into()).or_insert(Carrier::find(d.carrier)),
            };
            judge(order, marketplace, book, d, carrier, as_of, grace_days, categories.clone())
        })
        .collect();
    (packages, ConfirmationCounts::default())
}

/// The order's newest-snapshot SKUs looked up in the catalog; `""` when none is catalogued.
fn categories_of<'a>(order: &'a OrderView, book: &'a Book) -> Vec<&'a str> {
    let mut categories: Vec<&str> = order.skus.iter().filter_map(|sku| book.category(sku)).collect();
    categories.sort();
    categories.dedup();
    if categories.is_empty() {
        categories.push("");
    }
    categories
}

/// What the book's scans of package `tracking` of `order` find wrong, once the package is
/// older than the scan grace: no scan, or too few for its value.
fn scan_defect(order: &OrderView, book: &Book, tracking: &str) -> Option<Defect> {
    match book.scans_of(&carriers::normalise(tracking)) {
        None => Some(Defect::NoScan),
        Some(t) => {
            let usd = order.currency.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("USD"));
            let needs_two = usd && order.value_micros >= TWO_SCAN_VALUE;
            (needs_two && (t.scans < 2 || !t.delivered)).then_some(Defect::InsufficientScans)
        }
    }
}

/// Do the book's scans already make package `tracking` of `order` pass the scan checks? Scans
/// only accumulate, so a package they pass today passes at every later `as_of`, inside the
/// scan grace or past it (a book without scans runs no scan check at all).
pub fn scans_suffice(order: &OrderView, book: &Book, tracking: &str) -> bool {
    !book.has_scans() || (!carriers::is_missing(tracking) && scan_defect(order, book, tracking).is_none())
}

#[allow(clippy::too_many_arguments)]
fn judge<'a>(
    order: &'a OrderView,
    marketplace: Marketplace,
    book: &Book,
    d: Draft<'a>,
    carrier: Option<&Carrier>,
    as_of: Option<Micros>,
    grace_days: i64,
    categories: Vec<&'a str>,
) -> Package<'a> {
    let mut defect = carriers::check_with(carrier, d.tracking).err();
    if defect.is_none() {
        if let (true, Some(as_of)) = (book.has_scans(), as_of) {
            // Carriers need time to scan and deliver: only packages old enough are judged.
            if (d.ship_day as i64) <= local_day(as_of, order.zone) as i64 - grace_days {
                defect = scan_defect(order, book, d.tracking);
            }
        }
    }
    let suggestion = match defect {
        Some(Defect::HiddenCharacters) => carriers::suggestion(d.carrier, d.tracking),
        _ => None,
    };
    Package {
        order_id: &order.order_id,
        marketplace,
        ship_day: d.ship_day,
        carrier: d.carrier,
        tracking: d.tracking,
        defect,
        suggestion,
        categories,
    }
}
