//! The cancellation-rate report (SPEC §3.1, §5.4): `cancel_rate` and `cancel_reasons`.

use std::collections::BTreeMap;

use orderhealth_core::current::CurrentWindow;
use orderhealth_core::limits::{rate, Verdict};
use orderhealth_core::metric::cancel_rate::{LIMIT, WINDOW};
use orderhealth_core::{CancelCounts, CancelDay, OrderView};
use polars::prelude::*;
use serde::Serialize;

use crate::metrics::{Failing, MetricLine, MetricWords};
use crate::reports::Reports;
use crate::summary::{day, MarketplaceCurrent, Summary};
use crate::tables::read::{days, floats, texts};
use crate::tables::{self, frame, limit_status, ratio, select_in_order, sort_by, strings, ChartPoint};
use crate::windows::{rolling_windows, DAY};
use crate::words::count;

const COUNTS: &[&str] = &["orders", "seller_cancelled", "auto_cancelled", "buyer_excluded", "projected_cancelled"];

/// The per-day counts as a frame: marketplace, day and one column per count.
fn day_counts(days: &[CancelDay]) -> PolarsResult<DataFrame> {
    let count = |name: &str, f: fn(&CancelCounts) -> i64| {
        Column::new(name.into(), days.iter().map(|d| f(&d.counts)).collect::<Vec<i64>>())
    };
    frame(vec![
        strings("marketplace", &days.iter().map(|d| Some(d.key.code())).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        count("orders", |c| c.orders),
        count("seller_cancelled", |c| c.seller_cancelled),
        count("auto_cancelled", |c| c.auto_cancelled),
        count("buyer_excluded", |c| c.buyer_excluded),
        count("projected_cancelled", |c| c.projected_cancelled),
    ])
}

pub fn cancel_rate(days: &[CancelDay]) -> PolarsResult<DataFrame> {
    let charged = || col("seller_cancelled") + col("auto_cancelled");
    let (by, options) = sort_by(&["marketplace", "window_end"]);
    rolling_windows(day_counts(days)?.lazy(), &["marketplace"], COUNTS, WINDOW)?
        .with_columns([
            ratio(charged(), "orders").alias("rate"),
            // Integer comparison: 40 × cancelled ≥ orders is rate ≥ 2.5%, with no rounding.
            limit_status(&LIMIT, charged(), "orders").alias("status"),
            ratio(charged() + col("projected_cancelled"), "orders").alias("projected_rate"),
        ])
        .select(select_in_order(tables::CANCEL_RATE_COLUMNS))
        .sort(by, options)
        .collect()
}

/// Distinct cancelled MFN Amazon orders per (marketplace, reason code), all time.
pub fn cancel_reasons(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    cancel_reasons_of(reason_counts(orders))
}

/// Per (marketplace, reason): how many cancelled MFN Amazon orders of `orders` carry it (an
/// order with two reasons counts under both; none: `unknown`, §5.4). Additive.
pub fn reason_counts(orders: &[OrderView]) -> BTreeMap<(String, String), i64> {
    let mut counts = BTreeMap::new();
    for o in orders.iter().filter(|o| o.in_metrics() && o.cancelled) {
        let code = o.marketplace().map(|m| m.code()).unwrap_or_default();
        let unknown = ["unknown".into()];
        let reasons: &[orderhealth_core::Text] = if o.reasons.is_empty() { &unknown } else { &o.reasons };
        for r in reasons {
            *counts.entry((code.to_string(), r.to_string())).or_insert(0) += 1;
        }
    }
    counts
}

/// The `cancel_reasons` table of reason counts: sorted by marketplace, reason (the map's
/// order, code point by code point as §5.6 sorts).
pub fn cancel_reasons_of(counts: BTreeMap<(String, String), i64>) -> PolarsResult<DataFrame> {
    let (keys, orders): (Vec<(String, String)>, Vec<i64>) = counts.into_iter().unzip();
    frame(vec![
        Column::new("marketplace".into(), keys.iter().map(|k| k.0.as_str()).collect::<Vec<&str>>()),
        Column::new("reason".into(), keys.iter().map(|k| k.1.as_str()).collect::<Vec<&str>>()),
        Column::new("orders".into(), orders),
    ])?
    .lazy()
    .select(select_in_order(tables::CANCEL_REASONS_COLUMNS))
    .collect()
}

/// The current window of a marketplace, as `summary.json` has it (§5.6).
#[derive(Debug, Clone, Serialize)]
pub struct CancelWindow {
    pub window_start: String,
    pub window_end: String,
    pub orders: i64,
    /// seller + auto.
    pub cancelled: i64,
    pub rate: Option<f64>,
    pub status: Verdict,
    /// Open orders in the window overdue or at risk of auto-cancellation.
    pub projected_cancelled: i64,
}

impl CancelWindow {
    pub fn of(w: &CurrentWindow<CancelCounts>) -> CancelWindow {
        let c = &w.counts;
        CancelWindow {
            window_start: day(w.start),
            window_end: day(w.end),
            orders: c.orders,
            cancelled: c.cancelled(),
            rate: rate(c.cancelled(), c.orders),
            status: LIMIT.verdict(c.cancelled(), c.orders),
            projected_cancelled: c.projected_cancelled,
        }
    }
}

/// The cancellation rate's words: its line, and what to do when it fails.
pub const WORDS: MetricWords = MetricWords {
    lines,
    next_step,
    limit: &LIMIT,
    short_name: "cancel",
    chart_name: "cancellation rate, 7 days",
    chart_series: &[("rate", "rate"), ("projected_rate", "projected: with the overdue and at-risk open orders")],
    chart_points,
};

/// The rolling series of `cancel_rate`: the rate, and the projected rate.
fn chart_points(reports: &Reports) -> PolarsResult<Vec<ChartPoint<'_>>> {
    let df = &reports.cancel_rate;
    let (m, end, rate, projected) =
        (texts(df, "marketplace")?, days(df, "window_end")?, floats(df, "rate")?, floats(df, "projected_rate")?);
    let point = |i: usize, series: &'static str, rate: Option<f64>| ChartPoint {
        marketplace: m[i],
        series: series.into(),
        window_end: end[i],
        rate,
    };
    Ok((0..df.height()).flat_map(|i| [point(i, "rate", rate[i]), point(i, "projected_rate", projected[i])]).collect())
}

fn lines<'a>(_: &'a Summary, marketplace: &'a str, m: &'a MarketplaceCurrent, _: bool) -> Vec<MetricLine<'a>> {
    let Some(w) = &m.cancel_rate else { return Vec::new() };
    vec![MetricLine {
        marketplace,
        key: "cancel_rate".into(),
        metric: format!("cancellation rate, {WINDOW} days"),
        window_start: &w.window_start,
        window_end: &w.window_end,
        rate: w.rate,
        part: w.cancelled,
        whole: w.orders,
        limit: &LIMIT,
        status: w.status,
        indent: false,
    }]
}

fn next_step(summary: &Summary) -> Option<String> {
    let mut failing = Failing::default();
    for (m, current) in &summary.current {
        if let Some(w) = current.cancel_rate.as_ref().filter(|w| w.status == Verdict::Bad) {
            failing.add(m, w.cancelled, 0);
        }
    }
    (!failing.marketplaces.is_empty()).then(|| {
        format!(
            "cancellation rate BAD in {}: {} against you; give the true reason when you cancel, and keep stock in step with listings (see cancellations)",
            failing.marketplaces.join(", "),
            count(failing.count, "cancellation counts", "cancellations count")
        )
    })
}
