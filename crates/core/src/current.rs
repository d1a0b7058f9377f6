//! The current window of each metric series (SPEC §5.6): the window that ends on as_of's
//! local date in the series' marketplace, summed from the same per-day counts as the tables.
//! A series whose last day is long past therefore shows an empty window (`NONE`), never its
//! last busy week.

use std::collections::BTreeMap;

use chrono_tz::Tz;

use crate::marketplace::Marketplace;
use crate::metric::{cancel_rate, late_shipment, on_time_delivery, valid_tracking, Counts, Day, SeriesKey};
use crate::metric::{CancelCounts, LateCounts, OnTimeCounts, TrackingCounts};
use crate::timestamp::{local_day, Micros};

/// A window of local days (days since 1970-01-01, both ends included) and its summed counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentWindow<C> {
    pub start: i32,
    pub end: i32,
    pub counts: C,
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

/// Sums each series of `days` over the `len` days ending on its marketplace's today.
/// Every series with at least one day gets a window, empty or not.
pub fn current<K: SeriesKey, C: Counts>(days: &[Day<K, C>], len: i32, today: &Today) -> BTreeMap<K, CurrentWindow<C>> {
    let mut out: BTreeMap<K, CurrentWindow<C>> = BTreeMap::new();
    for d in days {
        let end = today.day_in(d.key.marketplace());
        let w = out.entry(d.key.clone()).or_insert(CurrentWindow { start: end - len + 1, end, counts: C::default() });
        if (w.start..=w.end).contains(&d.day) {
            w.counts = w.counts + d.counts;
        }
    }
    out
}

/// Per marketplace: the 7-day cancel-rate window ending today.
pub fn current_cancel(
    days: &[Day<Marketplace, CancelCounts>],
    today: &Today,
) -> BTreeMap<Marketplace, CurrentWindow<CancelCounts>> {
    current(days, cancel_rate::WINDOW, today)
}

/// Per marketplace: one window ending today of each length of `lengths`.
pub fn current_of_lengths<C: Counts, const N: usize>(
    days: &[Day<Marketplace, C>],
    lengths: [i32; N],
    today: &Today,
) -> BTreeMap<Marketplace, [CurrentWindow<C>; N]> {
    let mut out: BTreeMap<Marketplace, [CurrentWindow<C>; N]> = BTreeMap::new();
    for d in days {
        let end = today.day_in(d.key);
        let windows = out.entry(d.key).or_insert(lengths.map(|len| CurrentWindow {
            start: end - len + 1,
            end,
            counts: C::default(),
        }));
        for w in windows.iter_mut().filter(|w| (w.start..=w.end).contains(&d.day)) {
            w.counts = w.counts + d.counts;
        }
    }
    out
}

/// Per marketplace: the 10- and 30-day late-shipment windows ending today.
pub fn current_late(
    days: &[Day<Marketplace, LateCounts>],
    today: &Today,
) -> BTreeMap<Marketplace, [CurrentWindow<LateCounts>; late_shipment::WINDOWS.len()]> {
    current_of_lengths(days, late_shipment::WINDOWS, today)
}

/// Per marketplace: the 14- and 30-day on-time delivery windows ending today.
pub fn current_on_time(
    days: &[Day<Marketplace, OnTimeCounts>],
    today: &Today,
) -> BTreeMap<Marketplace, [CurrentWindow<OnTimeCounts>; on_time_delivery::WINDOWS.len()]> {
    current_of_lengths(days, on_time_delivery::WINDOWS, today)
}

/// Per series (a marketplace, or a marketplace's category): the 30-day valid-tracking window
/// ending today.
pub fn current_tracking<K: SeriesKey>(
    days: &[Day<K, TrackingCounts>],
    today: &Today,
) -> BTreeMap<K, CurrentWindow<TrackingCounts>> {
    current(days, valid_tracking::WINDOW, today)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timestamp::{epoch_days, parse_date, parse_instant};

    fn day(s: &str) -> i32 {
        epoch_days(parse_date(s).unwrap())
    }

    fn cancel_day(m: &str, d: &str, orders: i64, seller: i64) -> Day<Marketplace, CancelCounts> {
        Day {
            key: Marketplace::from_code(m).unwrap(),
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
        assert_eq!(c.keys().map(|m| m.code()).collect::<Vec<_>>(), ["BR", "DE", "US"]);
        let [br, de, us] = ["BR", "DE", "US"].map(|m| Marketplace::from_code(m).unwrap());
        // Idle since 2020: an empty window ending today, not the last busy week.
        assert_eq!((c[&br].start, c[&br].end, c[&br].counts.orders), (day("2026-04-11"), day("2026-04-17"), 0));
        assert_eq!((c[&de].start, c[&de].end), (day("2026-04-11"), day("2026-04-17")));
        assert_eq!((c[&de].counts.orders, c[&de].counts.seller_cancelled), (4, 1));
        assert_eq!((c[&us].end, c[&us].counts.orders), (day("2026-04-16"), 4));
        // --tz UTC moves every marketplace's today.
        let utc = Today { tz: Some(Tz::UTC), ..today };
        assert_eq!(current_cancel(&days, &utc)[&us].counts.orders, 13);
    }

    #[test]
    fn late_shipment_has_a_10_and_a_30_day_window() {
        let today = Today { as_of: parse_instant("2026-03-31T12:00:00Z").unwrap(), tz: Some(Tz::UTC) };
        let us = Marketplace::from_code("US").unwrap();
        let late =
            |d: &str, orders, late| Day { key: us, day: day(d), counts: LateCounts { orders, late, unconfirmed: 0 } };
        // D-9 is in the 10-day window, D-10 only in the 30-day one; D-30 in neither.
        let days =
            [late("2026-03-01", 7, 7), late("2026-03-02", 5, 1), late("2026-03-21", 2, 0), late("2026-03-22", 1, 1)];
        let [ten, thirty] = current_late(&days, &today)[&us];
        assert_eq!(
            (ten.start, ten.end, ten.counts.orders, ten.counts.late),
            (day("2026-03-22"), day("2026-03-31"), 1, 1)
        );
        assert_eq!((thirty.start, thirty.counts.orders, thirty.counts.late), (day("2026-03-02"), 8, 2));
    }
}
