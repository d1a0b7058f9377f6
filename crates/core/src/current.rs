//! The current window of each metric series (SPEC §5.6): the window that ends on as_of's
//! local date in the series' marketplace, summed from the same per-day counts as the tables.
//! A series whose last day is long past therefore shows an empty window (`NONE`), never its
//! last busy week.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::daily::{CancelCounts, CancelDay, LateCounts, LateDay};
use crate::limits::{CANCEL_RATE_WINDOW, LATE_SHIPMENT_WINDOWS, VALID_TRACKING_WINDOW};
use crate::marketplace::Marketplace;
use crate::timestamp::{local_day, Micros};
use crate::tracking::TrackingDay;

/// A window of local days (days since 1970-01-01, both ends included) and its summed counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentWindow<C> {
    pub start: i32,
    pub end: i32,
    pub counts: C,
}

/// Packages of a valid-tracking window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrackingCounts {
    pub packages: i64,
    pub valid: i64,
    /// By defect, in the order of `Defect::ALL`.
    pub defects: [i64; 7],
}

/// Where "now" is for each marketplace: as_of's local date in its zone, or in `--tz`.
#[derive(Debug, Clone, Copy)]
pub struct Today {
    pub as_of: Micros,
    pub tz: Option<Tz>,
}

impl Today {
    pub fn day_in(&self, m: Marketplace) -> i32 {
        local_day(self.as_of, self.tz.unwrap_or(m.zone()))
    }
}

/// Sums `rows` of each series (key) over the `len` days ending on its marketplace's today.
/// Every key with at least one row gets a window, empty or not.
fn current<K: Ord, C: Default + Copy>(
    rows: impl Iterator<Item = (K, Marketplace, i32, C)>,
    len: i32,
    today: &Today,
    add: fn(&mut C, C),
) -> BTreeMap<K, CurrentWindow<C>> {
    let mut out: BTreeMap<K, CurrentWindow<C>> = BTreeMap::new();
    for (key, m, day, counts) in rows {
        let end = today.day_in(m);
        let w = out.entry(key).or_insert(CurrentWindow { start: end - len + 1, end, counts: C::default() });
        if (w.start..=w.end).contains(&day) {
            add(&mut w.counts, counts);
        }
    }
    out
}

/// Per marketplace code: the 7-day cancel-rate window ending today.
pub fn current_cancel(days: &[CancelDay], today: &Today) -> BTreeMap<&'static str, CurrentWindow<CancelCounts>> {
    let rows = days.iter().map(|d| (d.marketplace.code(), d.marketplace, d.day, d.counts));
    current(rows, CANCEL_RATE_WINDOW, today, CancelCounts::add)
}

/// Per marketplace code: the 10- and 30-day late-shipment windows ending today.
#[allow(clippy::indexing_slicing, reason = "both maps come from the same rows, so they have the same keys")]
pub fn current_late(
    days: &[LateDay],
    today: &Today,
) -> BTreeMap<&'static str, [CurrentWindow<LateCounts>; LATE_SHIPMENT_WINDOWS.len()]> {
    let per_len = LATE_SHIPMENT_WINDOWS.map(|len| {
        let rows = days.iter().map(|d| (d.marketplace.code(), d.marketplace, d.day, d.counts));
        current(rows, len, today, LateCounts::add)
    });
    let [ten, thirty] = per_len;
    ten.into_iter().map(|(m, w10)| (m, [w10, thirty[&m]])).collect()
}

/// Per (marketplace code, category): the 30-day valid-tracking window ending today.
pub fn current_tracking<'a>(
    days: &[TrackingDay<'a>],
    today: &Today,
) -> BTreeMap<(&'static str, &'a str), CurrentWindow<TrackingCounts>> {
    let rows = days.iter().map(|d| {
        let counts = TrackingCounts { packages: d.packages, valid: d.valid, defects: d.defects };
        ((d.marketplace.code(), d.category), d.marketplace, d.day, counts)
    });
    current(rows, VALID_TRACKING_WINDOW, today, |a, b| {
        a.packages += b.packages;
        a.valid += b.valid;
        for (x, y) in a.defects.iter_mut().zip(b.defects) {
            *x += y;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::{epoch_days, parse_date, parse_instant};

    fn day(s: &str) -> i32 {
        epoch_days(parse_date(s).unwrap())
    }

    fn cancel_day(m: &str, d: &str, orders: i64, seller: i64) -> CancelDay {
        CancelDay {
            marketplace: Marketplace::from_code(m).unwrap(),
            day: day(d),
            counts: CancelCounts { orders, seller_cancelled: seller, ..Default::default() },
        }
    }

    #[test]
    fn the_window_ends_on_as_of_local_date_not_on_the_last_day_with_data() {
        // 2026-04-17T05:00Z is still 04-16 in Los Angeles, 04-17 in São Paulo (02:00) and Berlin.
        let today = Today { as_of: parse_instant("2026-04-17T05:00:00Z").unwrap(), tz: None };
        let days = [
            cancel_day("BR", "2020-10-21", 2, 1),
            cancel_day("DE", "2026-04-10", 5, 1), // D-7: out
            cancel_day("DE", "2026-04-11", 3, 0), // D-6: in
            cancel_day("DE", "2026-04-17", 1, 1),
            cancel_day("US", "2026-04-16", 4, 0),
            cancel_day("US", "2026-04-17", 9, 9), // after as_of's local date: out
        ];
        let c = current_cancel(&days, &today);
        assert_eq!(c.keys().copied().collect::<Vec<_>>(), ["BR", "DE", "US"]);
        // Idle since 2020: an empty window ending today, not the last busy week.
        assert_eq!((c["BR"].start, c["BR"].end, c["BR"].counts.orders), (day("2026-04-11"), day("2026-04-17"), 0));
        assert_eq!((c["DE"].start, c["DE"].end), (day("2026-04-11"), day("2026-04-17")));
        assert_eq!((c["DE"].counts.orders, c["DE"].counts.seller_cancelled), (4, 1));
        assert_eq!((c["US"].end, c["US"].counts.orders), (day("2026-04-16"), 4));
        // --tz UTC moves every marketplace's today.
        let utc = Today { tz: Some(Tz::UTC), ..today };
        assert_eq!(current_cancel(&days, &utc)["US"].counts.orders, 13);
    }

    #[test]
    fn late_shipment_has_a_10_and_a_30_day_window() {
        let today = Today { as_of: parse_instant("2026-03-31T12:00:00Z").unwrap(), tz: Some(Tz::UTC) };
        let us = Marketplace::from_code("US").unwrap();
        let late = |d: &str, orders, late| LateDay {
            marketplace: us,
            day: day(d),
            counts: LateCounts { orders, late, unconfirmed: 0 },
        };
        // D-9 is in the 10-day window, D-10 only in the 30-day one; D-30 in neither.
        let days =
            [late("2026-03-01", 7, 7), late("2026-03-02", 5, 1), late("2026-03-21", 2, 0), late("2026-03-22", 1, 1)];
        let [ten, thirty] = current_late(&days, &today)["US"];
        assert_eq!(
            (ten.start, ten.end, ten.counts.orders, ten.counts.late),
            (day("2026-03-22"), day("2026-03-31"), 1, 1)
        );
        assert_eq!((thirty.start, thirty.counts.orders, thirty.counts.late), (day("2026-03-02"), 8, 2));
    }
}
