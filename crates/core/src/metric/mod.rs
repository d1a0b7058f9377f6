//! The metrics, one module each: how an order (or a package) counts on a local day, the
//! counts type, the limit and the window lengths. The polars plan, the table and the words a
//! person reads live in the `orderhealth` crate's module of the same name (polars stays out of
//! this crate).
//!
//! Counts are additive ([`Counts`]): the per-day counts of two sets of orders add up, and
//! those of a subset subtract out. That is what lets a store keep its settled orders as one
//! tally, and a distributed run sum its partitions. [`DailyCounts`] is the registry of the
//! per-day series: one field per metric series, summed and subtracted as a whole, so a
//! metric added here is carried by the store's tally and the partitions' sums with no more
//! code.
//!
//! To add a metric: a module here (its counts type, how an order counts, its limit and
//! windows), a field of [`DailyCounts`] (and a line in its `combine`), and its module in the
//! `orderhealth` crate (docs/ARCHITECTURE.md lists the files).

use std::collections::BTreeMap;
use std::ops::{Add, Sub};

use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::marketplace::Marketplace;
use crate::timestamp::{local_day, Micros};
use crate::view::OrderView;
use crate::Text;

pub mod cancel_rate;
pub mod late_shipment;
pub mod on_time_delivery;
pub mod valid_tracking;

pub use cancel_rate::CancelCounts;
pub use late_shipment::LateCounts;
pub use on_time_delivery::OnTimeCounts;
pub use valid_tracking::TrackingCounts;

/// `Add` and `Sub` of a metric's counts, field by field.
macro_rules! additive {
    ($t:ident { $($field:ident),* $(,)? }) => {
        impl std::ops::Add for $t {
            type Output = $t;

            fn add(self, o: $t) -> $t {
                $t { $($field: self.$field + o.$field),* }
            }
        }

        impl std::ops::Sub for $t {
            type Output = $t;

            fn sub(self, o: $t) -> $t {
                $t { $($field: self.$field - o.$field),* }
            }
        }
    };
}
use additive;

/// What a metric counts on one day: additive, and serialised as it is kept (the store's tally).
pub trait Counts:
    Copy + Default + PartialEq + Add<Output = Self> + Sub<Output = Self> + Serialize + DeserializeOwned + Send + Sync
{
    /// How many orders (or packages) the counts come from. A day keeps its row while one
    /// does, even if it counts as nothing (a day of Pending orders only still spans the
    /// table's range of days); a day whose orders were all subtracted out is dropped.
    fn members(&self) -> i64;
}

/// Who a series is about: a marketplace, or a (marketplace, category). Its local days are
/// the marketplace's.
pub trait SeriesKey: Ord + Clone + Send + Sync {
    fn marketplace(&self) -> Marketplace;
}

impl SeriesKey for Marketplace {
    fn marketplace(&self) -> Marketplace {
        *self
    }
}

/// A valid-tracking category of a marketplace (`""`: orders without a catalogued SKU).
impl SeriesKey for (Marketplace, Text) {
    fn marketplace(&self) -> Marketplace {
        self.0
    }
}

/// One series' counts on one local day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Day<K, C> {
    pub key: K,
    /// Days since 1970-01-01.
    pub day: i32,
    pub counts: C,
}

/// A series of days, sorted by key (marketplace code first), then day.
pub type Series<K, C> = Vec<Day<K, C>>;

/// Sums the rows of equal (key, day); sorted by key, then day. A row no order counts on
/// any more (after a subtraction) is dropped.
pub fn sum_days<K: Ord, C: Counts>(rows: impl IntoIterator<Item = Day<K, C>>) -> Series<K, C> {
    let mut sums: BTreeMap<(K, i32), C> = BTreeMap::new();
    for d in rows {
        let sum = sums.entry((d.key, d.day)).or_default();
        *sum = *sum + d.counts;
    }
    sums.into_iter().filter(|(_, c)| c.members() != 0).map(|((key, day), counts)| Day { key, day, counts }).collect()
}

fn minus<K, C: Counts>(rows: Series<K, C>) -> impl Iterator<Item = Day<K, C>> {
    rows.into_iter().map(|d| Day { counts: C::default() - d.counts, ..d })
}

/// Folds per-order counts of the MFN Amazon orders into per-(marketplace, local day) sums,
/// in parallel; sorted by marketplace code, then day. `count` gives an order's instant (its
/// day is local to the order's zone) and what it counts as, or `None` when it is not counted.
pub fn per_day<C: Counts>(
    orders: &[OrderView],
    count: impl Fn(&OrderView) -> Option<(Micros, C)> + Sync,
) -> Series<Marketplace, C> {
    let merged = orders
        .par_iter()
        .filter_map(|o| {
            let m = o.marketplace().filter(|_| o.in_metrics())?;
            count(o).map(|(ts, c)| (m, local_day(ts, o.zone), c))
        })
        .fold(FxHashMap::default, |mut acc: FxHashMap<(Marketplace, i32), C>, (m, day, c)| {
            let sum = acc.entry((m, day)).or_default();
            *sum = *sum + c;
            acc
        })
        .reduce(FxHashMap::default, |mut a, b| {
            for (k, v) in b {
                let sum = a.entry(k).or_default();
                *sum = *sum + v;
            }
            a
        });
    let mut days: Series<Marketplace, C> =
        merged.into_iter().map(|((key, day), counts)| Day { key, day, counts }).collect();
    days.sort_unstable_by_key(|d| (d.key, d.day));
    days
}

/// The registry of per-day series: every metric's counts by (series, local day). Additive:
/// a store adds its settled orders' counts to the live ones', a distributed run sums its
/// partitions'.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyCounts {
    /// By local purchase day (§3.1).
    pub cancel: Series<Marketplace, CancelCounts>,
    /// By local expected-ship day (§3.5).
    pub late: Series<Marketplace, LateCounts>,
    /// Packages by category and local day: the promised delivery day, or the ship day
    /// (§3.3, `--tracking-basis`).
    pub tracking: Series<(Marketplace, Text), TrackingCounts>,
    /// Packages over all categories, each once: for display only, the table has no
    /// all-categories row (§5.6).
    pub tracking_all: Series<Marketplace, TrackingCounts>,
    /// Judged packages by local promised delivery day (§3.7).
    pub on_time: Series<Marketplace, OnTimeCounts>,
}

impl DailyCounts {
    /// The order-level series of `orders` (cancel rate and late shipment); the packages'
    /// come from [`crate::Tracking::build`], which needs the scans and the catalog.
    pub fn of_orders(orders: &[OrderView]) -> DailyCounts {
        // Counted in parts on every thread and summed (the counts are additive, so the sum is
        // the one pass's, at any thread count): a single pass was a serial part of every run.
        orders
            .par_chunks(1 << 16)
            .map(|part| DailyCounts {
                cancel: cancel_rate::cancel_days(part),
                late: late_shipment::late_days(part),
                ..DailyCounts::default()
            })
            .reduce(DailyCounts::default, |a, b| a + b)
    }

    /// The package-level series (valid tracking by category and over all categories, on-time
    /// delivery) of packages judged in `tracking`.
    pub fn of_packages(tracking: &crate::Tracking) -> DailyCounts {
        DailyCounts {
            tracking: tracking.days.clone(),
            tracking_all: tracking.totals.clone(),
            on_time: tracking.on_time.clone(),
            ..DailyCounts::default()
        }
    }

    /// Every series: the orders' and their packages' (judged in `tracking`).
    pub fn of(orders: &[OrderView], tracking: &crate::Tracking) -> DailyCounts {
        let DailyCounts { cancel, late, .. } = DailyCounts::of_orders(orders);
        DailyCounts { cancel, late, ..DailyCounts::of_packages(tracking) }
    }

    /// Every series of `self` and of `other`, summed (`sign` 1) or `other` taken out (−1).
    fn combine(self, other: DailyCounts, sign: i8) -> DailyCounts {
        fn join<K: Ord, C: Counts>(a: Series<K, C>, b: Series<K, C>, sign: i8) -> Series<K, C> {
            if sign < 0 {
                sum_days(a.into_iter().chain(minus(b)))
            } else {
                sum_days(a.into_iter().chain(b))
            }
        }
        DailyCounts {
            cancel: join(self.cancel, other.cancel, sign),
            late: join(self.late, other.late, sign),
            tracking: join(self.tracking, other.tracking, sign),
            tracking_all: join(self.tracking_all, other.tracking_all, sign),
            on_time: join(self.on_time, other.on_time, sign),
        }
    }
}

/// The counts of two sets of orders (two partitions; the live and the settled orders).
impl Add for DailyCounts {
    type Output = DailyCounts;

    fn add(self, other: DailyCounts) -> DailyCounts {
        self.combine(other, 1)
    }
}

/// The counts without a subset's (orders counted before that changed since).
impl Sub for DailyCounts {
    type Output = DailyCounts;

    fn sub(self, other: DailyCounts) -> DailyCounts {
        self.combine(other, -1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cancel(m: &str, day: i32, orders: i64, members: i64) -> Day<Marketplace, CancelCounts> {
        let counts = CancelCounts { orders, orders_on_day: members, ..CancelCounts::default() };
        Day { key: Marketplace::from_code(m).unwrap(), day, counts }
    }

    /// Taking back out what was added leaves no day behind, but a day whose only order counts
    /// as nothing (a Pending-class cancellation) keeps its row; keys sort by marketplace code.
    #[test]
    fn subtracting_drops_only_the_days_no_order_counts_on() {
        let a = DailyCounts { cancel: vec![cancel("US", 100, 1, 1), cancel("DE", 3, 1, 1)], ..Default::default() };
        let pending_only = DailyCounts { cancel: vec![cancel("US", 102, 0, 1)], ..Default::default() };
        let touched = DailyCounts { cancel: vec![cancel("US", 100, 1, 1)], ..Default::default() };
        let sum = a + pending_only - touched;
        assert_eq!(sum.cancel, vec![cancel("DE", 3, 1, 1), cancel("US", 102, 0, 1)]);
    }

    #[test]
    fn daily_counts_read_back_as_written() {
        let d = DailyCounts { cancel: vec![cancel("JP", 7, 2, 3)], ..Default::default() };
        let json = serde_json::to_string(&d).unwrap();
        assert_eq!(serde_json::from_str::<DailyCounts>(&json).unwrap(), d);
    }
}
