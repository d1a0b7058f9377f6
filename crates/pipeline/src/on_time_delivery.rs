//! The on-time delivery rate (SPEC §3.7): valid packages delivered by their promised delivery
//! date, over 14 and 30 local days by promised day (`on_time_delivery`); and the late packages
//! behind it (`late_deliveries`, listed in `report.html`, kept with a store's settled orders).

use orderhealth_core::current::CurrentWindow;
use orderhealth_core::limits::{rate, Verdict};
use orderhealth_core::metric::on_time_delivery::{LIMIT, WINDOWS};
use orderhealth_core::{LateDelivery, OnTimeCounts, OnTimeDay};
use polars::prelude::*;
use serde::Serialize;

use crate::metrics::{Failing, MetricLine, MetricWords};
use crate::reports::Reports;
use crate::summary::{day, MarketplaceCurrent, Summary};
use crate::tables::read::{days, ints, texts};
use crate::tables::{
    self, dates, frame, limit_status, ratio, select_in_order, sort_by, strings, timestamps, ChartPoint,
};
use crate::windows::{windows_of_lengths, DAY};
use crate::words::count;

const COUNTS: &[&str] = &["packages", "on_time"];

/// The per-day counts as a frame: marketplace, day and one column per count.
fn day_counts(days: &[OnTimeDay]) -> PolarsResult<DataFrame> {
    frame(vec![
        strings("marketplace", &days.iter().map(|d| Some(d.key.code())).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        Column::new("packages".into(), days.iter().map(|d| d.counts.packages).collect::<Vec<i64>>()),
        Column::new("on_time".into(), days.iter().map(|d| d.counts.on_time).collect::<Vec<i64>>()),
    ])
}

/// `on_time_delivery`: per marketplace, window length (14, 30) and promised day.
pub fn on_time_delivery(days: &[OnTimeDay]) -> PolarsResult<DataFrame> {
    let counts = day_counts(days)?;
    let (by, options) = sort_by(&["marketplace", "window_days", "window_end"]);
    windows_of_lengths(counts, COUNTS, &WINDOWS)?
        .with_columns([
            (col("packages") - col("on_time")).alias("late"),
            ratio(col("on_time"), "packages").alias("rate"),
            // 100 × on_time > 97 × packages is rate > 97%, compared in integers.
            limit_status(&LIMIT, col("on_time"), "packages").alias("status"),
        ])
        .select(select_in_order(tables::ON_TIME_DELIVERY_COLUMNS))
        .sort(by, options)
        .collect()
}

/// One current window (14 or 30 days) of a marketplace, as `summary.json` has it (§5.6).
#[derive(Debug, Clone, Serialize)]
pub struct OnTimeWindow {
    pub window_start: String,
    pub window_end: String,
    pub packages: i64,
    pub on_time: i64,
    pub rate: Option<f64>,
    pub status: Verdict,
}

impl OnTimeWindow {
    pub fn of(w: &CurrentWindow<OnTimeCounts>) -> OnTimeWindow {
        let c = &w.counts;
        OnTimeWindow {
            window_start: day(w.start),
            window_end: day(w.end),
            packages: c.packages,
            on_time: c.on_time,
            rate: rate(c.on_time, c.packages),
            status: LIMIT.verdict(c.on_time, c.packages),
        }
    }
}

/// `summary.json`'s `on_time_delivery` (§3.7): how many packages were judged, how many wait for
/// a delivery or their promised day, and why the table is empty when it is.
#[derive(Debug, Clone, Serialize)]
pub struct OnTimeSummary {
    pub packages_judged: i64,
    pub packages_not_judged_yet: u64,
    pub note: Option<String>,
}

/// The note when no scans file was given.
pub const NO_SCANS: &str = "no carrier scans file in the inputs: delivery scans are needed to judge on-time delivery";
/// The note when no valid package has a promised delivery date.
pub const NO_PROMISES: &str =
    "no valid package of an order with a promised delivery date (latest-delivery-date) to judge";
/// The note when packages wait for a delivery or their promise.
pub const NONE_YET: &str = "no package judged yet: none delivered and none past its promised delivery date";

impl OnTimeSummary {
    pub fn of(days: &[OnTimeDay], not_judged_yet: u64, has_scans: bool) -> OnTimeSummary {
        let judged: i64 = days.iter().map(|d| d.counts.packages).sum();
        let note = match (has_scans, judged, not_judged_yet) {
            (false, _, _) => Some(NO_SCANS),
            (true, 0, 0) => Some(NO_PROMISES),
            (true, 0, _) => Some(NONE_YET),
            _ => None,
        };
        OnTimeSummary { packages_judged: judged, packages_not_judged_yet: not_judged_yet, note: note.map(Into::into) }
    }
}

/// The late packages as rows of `late_deliveries` (in no particular order: a store keeps its
/// settled orders' rows and stacks them with the others', then [`sorted_late`]).
pub fn late_delivery_rows(late: &[LateDelivery]) -> PolarsResult<DataFrame> {
    frame(vec![
        strings("order_id", &late.iter().map(|l| Some(l.order_id)).collect::<Vec<_>>()),
        strings("marketplace", &late.iter().map(|l| Some(l.marketplace.code())).collect::<Vec<_>>()),
        dates("promised_date", late.iter().map(|l| Some(l.promised_day)).collect())?,
        strings("carrier", &late.iter().map(|l| Some(l.carrier)).collect::<Vec<_>>()),
        strings(
            "tracking_number",
            &late.iter().map(|l| Some(orderhealth_carriers::display_number(l.tracking))).collect::<Vec<_>>(),
        ),
        timestamps("delivered_ts", late.iter().map(|l| l.delivered_ts).collect())?,
        timestamps("confirmed_ts", late.iter().map(|l| l.confirmed_ts).collect())?,
        strings("reason", &late.iter().map(|l| Some(l.reason.as_str())).collect::<Vec<_>>()),
    ])?
    .lazy()
    .select(select_in_order(tables::LATE_DELIVERIES_COLUMNS))
    .collect()
}

/// Late packages of several sets of orders, stacked, in one order: promised date, order id,
/// tracking number.
pub fn sorted_late(rows: DataFrame) -> PolarsResult<DataFrame> {
    let (by, options) = sort_by(&["promised_date", "order_id", "tracking_number", "carrier"]);
    let mut df = rows.lazy().sort(by, options).collect()?;
    df.rechunk_mut();
    Ok(df)
}

/// A late package, as `report.html` lists it.
pub struct LateRow<'a> {
    pub order_id: &'a str,
    pub marketplace: &'a str,
    pub promised_date: Option<i32>,
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub delivered: Option<i64>,
    pub reason: &'a str,
}

/// The rows of the late packages, in their order.
pub fn late_rows(df: &DataFrame) -> PolarsResult<Vec<LateRow<'_>>> {
    let (ids, m, promised, carrier, number, reason) = (
        texts(df, "order_id")?,
        texts(df, "marketplace")?,
        days(df, "promised_date")?,
        texts(df, "carrier")?,
        texts(df, "tracking_number")?,
        texts(df, "reason")?,
    );
    let delivered = ints(df, "delivered_ts")?;
    Ok((0..df.height())
        .map(|i| LateRow {
            order_id: ids[i],
            marketplace: m[i],
            promised_date: promised[i],
            carrier: carrier[i],
            tracking_number: number[i],
            delivered: delivered[i],
            reason: reason[i],
        })
        .collect())
}

/// The on-time delivery rate's words: a line per window, and what to do when it fails.
pub const WORDS: MetricWords = MetricWords {
    lines,
    next_step,
    limit: &LIMIT,
    short_name: "on-time",
    chart_name: "on-time delivery rate",
    chart_series: &[("14", "14 days"), ("30", "30 days")],
    chart_points,
};

/// The rolling series of `on_time_delivery`, one per window length.
fn chart_points(reports: &Reports) -> PolarsResult<Vec<ChartPoint<'_>>> {
    tables::chart_points_by_length(&reports.on_time_delivery)
}

fn lines<'a>(_: &'a Summary, marketplace: &'a str, m: &'a MarketplaceCurrent, _: bool) -> Vec<MetricLine<'a>> {
    let line = |(days, w): (&String, &'a OnTimeWindow)| MetricLine {
        marketplace,
        key: format!("on_time_delivery/{days}"),
        metric: format!("on-time delivery, {days} days"),
        window_start: &w.window_start,
        window_end: &w.window_end,
        rate: w.rate,
        part: w.on_time,
        whole: w.packages,
        limit: &LIMIT,
        status: w.status,
        indent: false,
    };
    m.on_time_delivery.iter().flatten().map(line).collect()
}

fn next_step(summary: &Summary) -> Option<String> {
    let mut failing = Failing::default();
    for (m, current) in &summary.current {
        let bad = current.on_time_delivery.iter().flat_map(|l| l.values()).filter(|w| w.status == Verdict::Bad);
        if let Some(w) = bad.max_by_key(|w| w.packages - w.on_time) {
            failing.add(m, w.packages - w.on_time, 0);
        }
    }
    (!failing.marketplaces.is_empty()).then(|| {
        format!(
            "on-time delivery BAD in {}: {} not delivered by the promised date; ship earlier or choose faster services (see the late packages in report.html)",
            failing.marketplaces.join(", "),
            count(failing.count, "package", "packages")
        )
    })
}
