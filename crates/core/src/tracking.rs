//! Packages and their tracking defects (SPEC §3.3, §5.5): confirmations joined to orders;
//! where each package counts (its promised delivery day or its ship day), and whether the
//! carrier delivered it on time (§3.7).

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use orderhealth_carriers::{self as carriers, Carrier, Defect};

use crate::book::Book;
use crate::marketplace::{Marketplace, SalesChannel};
use crate::metric::{Day, OnTimeCounts, Series, TrackingCounts};
use crate::prefetch::prefetch;
use crate::rows::{ScanTally, ShipDate};
use crate::status::Channel;
use crate::timestamp::{local_day, Micros};
use crate::view::{OrderView, View};
use crate::Text;

/// Which day a package counts on in the valid tracking rate (`--tracking-basis`, §3.3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TrackingBasis {
    /// Amazon's: the local day of its order's promised delivery date; its ship day when the
    /// order has none.
    #[default]
    Promise,
    /// v1.3's: its ship day.
    Ship,
}

impl TrackingBasis {
    pub const ALL: [TrackingBasis; 2] = [TrackingBasis::Promise, TrackingBasis::Ship];

    pub fn as_str(self) -> &'static str {
        match self {
            TrackingBasis::Promise => "promise",
            TrackingBasis::Ship => "ship",
        }
    }
}

impl std::str::FromStr for TrackingBasis {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        TrackingBasis::ALL
            .into_iter()
            .find(|b| b.as_str() == s)
            .ok_or_else(|| format!("unknown tracking basis {s:?}: promise or ship"))
    }
}

/// How packages are judged: the options of a run that change a package's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageOptions {
    /// `--scan-grace-days`: packages shipped fewer days before as_of are judged without scans.
    pub scan_grace_days: i64,
    pub basis: TrackingBasis,
}

impl Default for PackageOptions {
    fn default() -> Self {
        PackageOptions { scan_grace_days: 7, basis: TrackingBasis::Promise }
    }
}

/// One package of an MFN Amazon order, judged. Borrows from the view and the book.
#[derive(Debug, Clone, PartialEq)]
pub struct Package<'a> {
    pub order_id: &'a str,
    pub marketplace: Marketplace,
    /// Local ship day, days since 1970-01-01.
    pub ship_day: i32,
    /// The local day it counts on in the valid tracking rate (by the basis).
    pub day: i32,
    /// `day` is its ship day: its order has no promised delivery date, or the basis is `ship`.
    pub placed_by_ship_day: bool,
    pub carrier: &'a str,
    /// As given, ASCII spaces trimmed; empty for a missing number.
    pub tracking: &'a str,
    pub defect: Option<Defect>,
    pub suggestion: Option<String>,
    /// The categories it counts in (`""` when its order has no catalogued SKU).
    pub categories: Vec<&'a str>,
    /// How it stands in the on-time delivery rate (`None`: not in it).
    pub delivery: Option<Delivery>,
}

/// A package in the on-time delivery rate (§3.7): a valid package of an order with a promised
/// delivery date, when a scans file was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Not delivered, and its promised day is not over yet: judged later.
    NotJudgedYet,
    OnTime,
    /// Late, and its first delivery scan if it has one.
    Late(LateReason, Option<Micros>),
}

/// Why a judged package is not on time, in the order the rule checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LateReason {
    /// No delivery scan, and its promised day is over.
    NotDelivered,
    /// Delivered after its promised local day.
    DeliveredLate,
    /// The shipment was confirmed after the promised local day.
    ConfirmedAfterPromise,
    /// The shipment was confirmed after the carrier delivered it.
    ConfirmedAfterDelivery,
}

impl LateReason {
    pub fn as_str(self) -> &'static str {
        match self {
            LateReason::NotDelivered => "not delivered by the promised date",
            LateReason::DeliveredLate => "delivered after the promised date",
            LateReason::ConfirmedAfterPromise => "shipment confirmed after the promised date",
            LateReason::ConfirmedAfterDelivery => "shipment confirmed after the delivery",
        }
    }
}

/// A judged package that was not delivered on time: the evidence behind the rate.
#[derive(Debug, Clone, PartialEq)]
pub struct LateDelivery<'a> {
    pub order_id: &'a str,
    pub marketplace: Marketplace,
    /// Local promised delivery day.
    pub promised_day: i32,
    pub carrier: &'a str,
    pub tracking: &'a str,
    /// The first `delivered` scan, if any.
    pub delivered_ts: Option<Micros>,
    pub confirmed_ts: Option<Micros>,
    pub reason: LateReason,
}

/// Package counts beside the metrics' per-day counts (the summary's). Additive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PackageCounters {
    /// Placed on their ship day in the valid tracking rate: their order has no promised
    /// delivery date, or `--tracking-basis ship` (`valid_tracking_placed_by_ship_day`).
    pub placed_by_ship_day: u64,
    /// In the on-time delivery rate but not judged yet (not delivered, promise not over).
    pub not_judged_yet: u64,
}

impl std::ops::Add for PackageCounters {
    type Output = PackageCounters;

    fn add(self, o: PackageCounters) -> PackageCounters {
        PackageCounters {
            placed_by_ship_day: self.placed_by_ship_day + o.placed_by_ship_day,
            not_judged_yet: self.not_judged_yet + o.not_judged_yet,
        }
    }
}

/// The counts without a subset's (never below 0).
impl std::ops::Sub for PackageCounters {
    type Output = PackageCounters;

    fn sub(self, o: PackageCounters) -> PackageCounters {
        PackageCounters {
            placed_by_ship_day: self.placed_by_ship_day.saturating_sub(o.placed_by_ship_day),
            not_judged_yet: self.not_judged_yet.saturating_sub(o.not_judged_yet),
        }
    }
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
    /// Judged packages per (marketplace, local promised day), sorted (§3.7).
    pub on_time: Series<Marketplace, OnTimeCounts>,
    /// The judged packages not delivered on time, sorted by order id, tracking number, carrier.
    pub late_deliveries: Vec<LateDelivery<'a>>,
    pub counters: PackageCounters,
}

/// What one rayon job accumulates.
#[derive(Default)]
struct Partial<'a> {
    days: FxHashMap<(Marketplace, &'a str, i32), TrackingCounts>,
    totals: FxHashMap<(Marketplace, i32), TrackingCounts>,
    on_time: FxHashMap<(Marketplace, i32), OnTimeCounts>,
    defective: Vec<Package<'a>>,
    late_deliveries: Vec<LateDelivery<'a>>,
    left_out: ConfirmationCounts,
    counters: PackageCounters,
    carriers: CarrierMemo,
}

impl<'a> Partial<'a> {
    fn count(&mut self, p: &Package<'a>, order: &'a OrderView) {
        let one = TrackingCounts::of(p.defect);
        for &category in &p.categories {
            add_to(&mut self.days, (p.marketplace, category, p.day), one);
        }
        add_to(&mut self.totals, (p.marketplace, p.day), one);
        self.counters.placed_by_ship_day += p.placed_by_ship_day as u64;
        let Some(delivery) = p.delivery else { return };
        let Some(promised_day) = order.expected_delivery_ts.map(|t| local_day(t, order.zone)) else { return };
        match delivery {
            Delivery::NotJudgedYet => self.counters.not_judged_yet += 1,
            Delivery::OnTime => add_to(&mut self.on_time, (p.marketplace, promised_day), OnTimeCounts::of(true)),
            Delivery::Late(reason, delivered_ts) => {
                add_to(&mut self.on_time, (p.marketplace, promised_day), OnTimeCounts::of(false));
                self.late_deliveries.push(LateDelivery {
                    order_id: p.order_id,
                    marketplace: p.marketplace,
                    promised_day,
                    carrier: p.carrier,
                    tracking: p.tracking,
                    delivered_ts,
                    confirmed_ts: order.confirmed_ts,
                    reason,
                });
            }
        }
    }

    fn merge(mut self, other: Partial<'a>) -> Partial<'a> {
        for (k, v) in other.days {
            add_to(&mut self.days, k, v);
        }
        for (k, v) in other.totals {
            add_to(&mut self.totals, k, v);
        }
        for (k, v) in other.on_time {
            add_to(&mut self.on_time, k, v);
        }
        self.defective.extend(other.defective);
        self.late_deliveries.extend(other.late_deliveries);
        self.left_out = self.left_out + other.left_out;
        self.counters = self.counters + other.counters;
        self
    }
}

fn add_to<K: std::hash::Hash + Eq, C: crate::metric::Counts>(days: &mut FxHashMap<K, C>, key: K, counts: C) {
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

/// How many orders ahead of the one judged [`prefetch_scans_ahead`] asks for where the scans
/// are, and twice as many ahead for where their entries are.
pub const AHEAD: usize = 4;

/// While `orders[i]` is judged, asks for what the orders a few places after it will look up
/// in `book`'s scans: where the entries of their packages' numbers are (`2 * AHEAD` places
/// ahead), then, once that has arrived, the entries (`AHEAD` ahead). A package's scans are a
/// miss into a shard's scans each, a fifth of a judging (docs/BENCHMARKS.md).
pub fn prefetch_scans_ahead(book: &Book, orders: &[OrderView], i: usize) {
    let ask = |o: &OrderView, entry: bool| {
        for row in &o.shipments {
            book.prefetch_scans(&row.tracking, entry);
        }
    };
    if let Some(o) = orders.get(i + 2 * AHEAD) {
        ask(o, false);
    }
    if let Some(o) = orders.get(i + AHEAD) {
        ask(o, true);
    }
}

/// Carrier names already looked up in the carrier table.
type CarrierMemo = FxHashMap<Box<str>, Option<&'static Carrier>>;

impl<'a> Tracking<'a> {
    /// Every package of every MFN Amazon order, judged and counted per day. Per-order work,
    /// run in parallel: a package never spans two orders.
    pub fn build(view: &'a View, book: &'a Book, opts: PackageOptions) -> Tracking<'a> {
        let unknown = ConfirmationCounts { unmatched: view.unknown_order_confirmations, ..Default::default() };
        // In runs of orders, so that what the orders a few places ahead need is asked for
        // while this one is judged: their shipment rows (allocated as the files were folded,
        // at addresses unrelated to the order's: reading the first was a cache miss per order,
        // two thirds of `packages_of`'s own time), then, once those have arrived, where their
        // numbers' scans are (a miss into a shard's scans per package), docs/BENCHMARKS.md.
        const RUN: usize = 1024;
        let partial = view
            .orders
            .par_chunks(RUN)
            .fold(Partial::default, |mut acc, run| {
                for (i, o) in run.iter().enumerate() {
                    if let Some(row) = run.get(i + 3 * AHEAD).and_then(|o| o.shipments.first()) {
                        prefetch(row);
                    }
                    prefetch_scans_ahead(book, run, i);
                    if o.shipments.is_empty() {
                        continue;
                    }
                    let (packages, left_out) = packages_of(o, book, view.as_of, opts, &mut acc.carriers);
                    for p in packages {
                        acc.count(&p, o);
                        if p.defect.is_some() {
                            acc.defective.push(p);
                        }
                    }
                    acc.left_out = acc.left_out + left_out;
                }
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
        let mut on_time: Series<Marketplace, OnTimeCounts> =
            partial.on_time.into_iter().map(|((key, day), counts)| Day { key, day, counts }).collect();
        on_time.sort_unstable_by_key(|d| (d.key, d.day));
        let mut late_deliveries = partial.late_deliveries;
        late_deliveries
            .par_sort_unstable_by(|a, b| (a.order_id, a.tracking, a.carrier).cmp(&(b.order_id, b.tracking, b.carrier)));
        let counters = partial.counters;
        Tracking { days, totals, defective, on_time, late_deliveries, counters, left_out: partial.left_out + unknown }
    }
}

fn packages_of<'a>(
    order: &'a OrderView,
    book: &'a Book,
    as_of: Option<Micros>,
    opts: PackageOptions,
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
            judge(order, marketplace, book, d, carrier, as_of, opts, categories.clone())
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
fn scan_defect(order: &OrderView, scans: Option<&ScanTally>) -> Option<Defect> {
    match scans {
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
    !book.has_scans()
        || (!carriers::is_missing(tracking)
            && scan_defect(order, book.scans_of(&carriers::normalise(tracking))).is_none())
}

#[allow(clippy::too_many_arguments)]
fn judge<'a>(
    order: &'a OrderView,
    marketplace: Marketplace,
    book: &Book,
    d: Draft<'a>,
    carrier: Option<&Carrier>,
    as_of: Option<Micros>,
    opts: PackageOptions,
    categories: Vec<&'a str>,
) -> Package<'a> {
    let mut defect = carriers::check_with(carrier, d.tracking).err();
    // Checks 1–5 passed: with a scans file, one lookup of its scans serves the scan checks and
    // the on-time delivery rate.
    let scans = (defect.is_none() && book.has_scans()).then(|| book.scans_of(&carriers::normalise(d.tracking)));
    let delivery = scans.and_then(|scans| delivery(order, scans, as_of));
    if let (Some(scans), Some(as_of)) = (scans, as_of) {
        // Carriers need time to scan and deliver: only packages old enough are judged.
        if (d.ship_day as i64) <= local_day(as_of, order.zone) as i64 - opts.scan_grace_days {
            defect = scan_defect(order, scans);
        }
    }
    let (day, placed_by_ship_day) = match (opts.basis, order.expected_delivery_ts) {
        (TrackingBasis::Promise, Some(promise)) => (local_day(promise, order.zone), false),
        _ => (d.ship_day, true),
    };
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
        day,
        placed_by_ship_day,
        delivery,
    }
}

/// How a valid package of `order` stands in the on-time delivery rate (§3.7); `None` when it
/// is not in it (its order has no promised delivery date). `scans`: the package's, from a
/// scans file.
fn delivery(order: &OrderView, scans: Option<&ScanTally>, as_of: Option<Micros>) -> Option<Delivery> {
    let promise = order.expected_delivery_ts?;
    let promised_day = local_day(promise, order.zone);
    let Some(delivered) = scans.and_then(|t| t.first_delivered) else {
        // Not delivered: late once its promised local day is over, else not judged yet.
        let over = as_of.is_some_and(|a| promised_day < local_day(a, order.zone));
        return Some(if over { Delivery::Late(LateReason::NotDelivered, None) } else { Delivery::NotJudgedYet });
    };
    let confirmed = order.confirmed_ts;
    let late = |reason| Delivery::Late(reason, Some(delivered));
    Some(if local_day(delivered, order.zone) > promised_day {
        late(LateReason::DeliveredLate)
    } else if confirmed.is_some_and(|c| local_day(c, order.zone) > promised_day) {
        late(LateReason::ConfirmedAfterPromise)
    } else if confirmed.is_some_and(|c| c > delivered) {
        late(LateReason::ConfirmedAfterDelivery)
    } else {
        Delivery::OnTime
    })
}

/// Days past its promised day after which a package not delivered yet is settled as late
/// (the store's settled orders): a late package's delivery scan mostly comes within them, and
/// a settled order a later scan reaches is read back from its segment and judged again, which
/// costs a report far more than judging it among the live ones.
pub const UNDELIVERED_LIVE_DAYS: i32 = 7;

/// Can what `order`'s packages add to the on-time delivery rate still change (§4.2, the
/// store's settled orders)? With scans, a package of an order with a promised delivery date is
/// judged once delivered, or once its promised day is more than [`UNDELIVERED_LIVE_DAYS`] over
/// (`as_of`'s local day later): it is late then whatever comes, but a delivery scan may still
/// come and move it (the store watches for that). Until then it is live. Checked over every
/// package with a number, valid or not (a superset: an order kept live is only judged again).
pub fn deliveries_settled(order: &OrderView, book: &Book, as_of: Micros) -> bool {
    let Some(promise) = order.expected_delivery_ts.filter(|_| book.has_scans()) else { return true };
    let over = local_day(promise, order.zone) + UNDELIVERED_LIVE_DAYS < local_day(as_of, order.zone);
    over || order.shipments.iter().all(|s| {
        carriers::is_missing(&s.tracking)
            || book.scans_of(&carriers::normalise(&s.tracking)).is_some_and(|t| t.first_delivered.is_some())
    })
}

/// The numbers (normalised) of `order`'s packages whose on-time judgement a later scan could
/// change (an earlier delivery scan): every package with a number of an order with a promised
/// delivery date, when scans are on. A store watches a settled order's numbers for them.
pub fn delivery_watch(order: &OrderView, book: &Book) -> Vec<String> {
    if order.expected_delivery_ts.is_none() || !book.has_scans() {
        return Vec::new();
    }
    order
        .shipments
        .iter()
        .filter(|s| !carriers::is_missing(&s.tracking))
        .map(|s| carriers::normalise(&s.tracking))
        .collect()
}
