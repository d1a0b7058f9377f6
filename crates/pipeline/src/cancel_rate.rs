//! The cancellation-rate report (SPEC §3.1, §5.4): `cancel_rate` and `cancel_reasons`.

use std::collections::BTreeMap;

use orderhealth_core::limits::{CANCEL_RATE, CANCEL_RATE_WINDOW};
use orderhealth_core::{CancelCounts, CancelDay, OrderView};
use polars::prelude::*;

use crate::tables::{self, frame, limit_status, ratio, select_in_order, sort_by, strings};
use crate::windows::{rolling_windows, DAY};

const COUNTS: &[&str] = &["orders", "seller_cancelled", "auto_cancelled", "buyer_excluded", "projected_cancelled"];

/// The per-day counts as a frame: marketplace, day and one column per count.
fn day_counts(days: &[CancelDay]) -> PolarsResult<DataFrame> {
    let count = |name: &str, f: fn(&CancelCounts) -> i64| {
        Column::new(name.into(), days.iter().map(|d| f(&d.counts)).collect::<Vec<i64>>())
    };
    frame(vec![
        strings("marketplace", &days.iter().map(|d| Some(d.marketplace.code())).collect::<Vec<_>>()),
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
    rolling_windows(day_counts(days)?.lazy(), &["marketplace"], COUNTS, CANCEL_RATE_WINDOW)?
        .with_columns([
            ratio(charged(), "orders").alias("rate"),
            // Integer comparison: 40 × cancelled ≥ orders is rate ≥ 2.5%, with no rounding.
            limit_status(&CANCEL_RATE, charged(), "orders").alias("status"),
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
