//! The late shipment rate (SPEC §3.5): orders confirmed after their expected ship date, and
//! open orders past it, over 10 and 30 local days by expected-ship day.

use orderhealth_core::current::CurrentWindow;
use orderhealth_core::limits::{rate, Verdict};
use orderhealth_core::metric::late_shipment::{LIMIT, WINDOWS};
use orderhealth_core::{LateCounts, LateDay};
use polars::prelude::*;
use serde::Serialize;

use crate::metrics::{Failing, MetricLine, MetricWords};
use crate::reports::Reports;
use crate::summary::{day, MarketplaceCurrent, Summary};
use crate::tables::{self, frame, limit_status, ratio, select_in_order, sort_by, strings, ChartPoint};
use crate::windows::{windows_of_lengths, DAY};
use crate::words::{count, thousands};

const COUNTS: &[&str] = &["orders", "late", "unconfirmed"];

/// The per-day counts as a frame: marketplace, day and one column per count.
fn day_counts(days: &[LateDay]) -> PolarsResult<DataFrame> {
    frame(vec![
        strings("marketplace", &days.iter().map(|d| Some(d.key.code())).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        Column::new("orders".into(), days.iter().map(|d| d.counts.orders).collect::<Vec<i64>>()),
        Column::new("late".into(), days.iter().map(|d| d.counts.late).collect::<Vec<i64>>()),
        Column::new("unconfirmed".into(), days.iter().map(|d| d.counts.unconfirmed).collect::<Vec<i64>>()),
    ])
}

pub fn late_shipment(days: &[LateDay]) -> PolarsResult<DataFrame> {
    let counts = day_counts(days)?;
    let (by, options) = sort_by(&["marketplace", "window_days", "window_end"]);
    windows_of_lengths(counts, COUNTS, &WINDOWS)?
        .with_columns([
            ratio(col("late"), "orders").alias("rate"),
            limit_status(&LIMIT, col("late"), "orders").alias("status"),
        ])
        .select(select_in_order(tables::LATE_SHIPMENT_COLUMNS))
        .sort(by, options)
        .collect()
}

/// One current window (10 or 30 days) of a marketplace, as `summary.json` has it (§5.6).
#[derive(Debug, Clone, Serialize)]
pub struct LateWindow {
    pub window_start: String,
    pub window_end: String,
    pub orders: i64,
    pub late: i64,
    pub rate: Option<f64>,
    pub status: Verdict,
    /// Open and past due (included in `late`).
    pub unconfirmed: i64,
}

impl LateWindow {
    pub fn of(w: &CurrentWindow<LateCounts>) -> LateWindow {
        let c = &w.counts;
        LateWindow {
            window_start: day(w.start),
            window_end: day(w.end),
            orders: c.orders,
            late: c.late,
            rate: rate(c.late, c.orders),
            status: LIMIT.verdict(c.late, c.orders),
            unconfirmed: c.unconfirmed,
        }
    }
}

/// The late shipment rate's words: a line per window, and what to do when it fails.
pub const WORDS: MetricWords = MetricWords {
    lines,
    next_step,
    limit: &LIMIT,
    short_name: "late",
    chart_name: "late shipment rate",
    chart_series: &[("10", "10 days"), ("30", "30 days")],
    chart_points,
};

/// The rolling series of `late_shipment`, one per window length.
fn chart_points(reports: &Reports) -> PolarsResult<Vec<ChartPoint<'_>>> {
    tables::chart_points_by_length(&reports.late_shipment)
}

fn lines<'a>(_: &'a Summary, marketplace: &'a str, m: &'a MarketplaceCurrent, _: bool) -> Vec<MetricLine<'a>> {
    let line = |(days, w): (&String, &'a LateWindow)| MetricLine {
        marketplace,
        key: format!("late_shipment/{days}"),
        metric: format!("late shipment, {days} days"),
        window_start: &w.window_start,
        window_end: &w.window_end,
        rate: w.rate,
        part: w.late,
        whole: w.orders,
        limit: &LIMIT,
        status: w.status,
        indent: false,
    };
    m.late_shipment.iter().flatten().map(line).collect()
}

fn next_step(summary: &Summary) -> Option<String> {
    let mut failing = Failing::default();
    for (m, current) in &summary.current {
        let bad = current.late_shipment.iter().flat_map(|l| l.values()).filter(|w| w.status == Verdict::Bad);
        if let Some(w) = bad.max_by_key(|w| w.late) {
            failing.add(m, w.late, w.unconfirmed);
        }
    }
    (!failing.marketplaces.is_empty()).then(|| {
        let unconfirmed = if failing.other > 0 {
            format!(" ({} of them not confirmed yet)", thousands(failing.other))
        } else {
            String::new()
        };
        format!(
            "late shipment BAD in {}: {} confirmed after the expected ship date{unconfirmed}; confirm each shipment the day it leaves (see late_shipment)",
            failing.marketplaces.join(", "),
            count(failing.count, "order", "orders")
        )
    })
}
