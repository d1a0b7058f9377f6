//! The cancellation-rate report (SPEC §3.1, §5.4): `cancel_rate` and `cancel_reasons`.

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
    let mut marketplaces = Vec::new();
    let mut reasons: Vec<Option<&str>> = Vec::new();
    for o in orders.iter().filter(|o| o.in_metrics() && o.cancelled) {
        let code = o.marketplace().map(|m| m.code());
        if o.reasons.is_empty() {
            marketplaces.push(code);
            reasons.push(Some("unknown"));
        }
        for r in &o.reasons {
            marketplaces.push(code);
            reasons.push(Some(r));
        }
    }
    let (by, options) = sort_by(&["marketplace", "reason"]);
    frame(vec![strings("marketplace", &marketplaces), Column::new("reason".into(), reasons)])?
        .lazy()
        .group_by([col("marketplace"), col("reason")])
        .agg([len().cast(DataType::Int64).alias("orders")])
        .select(select_in_order(tables::CANCEL_REASONS_COLUMNS))
        .sort(by, options)
        .collect()
}
