//! The cancellation-rate report (SPEC §3.1, §5.4): `cancel_rate` and `cancel_reasons`.

use orderhealth_core::{AutoState, Class, OrderView};
use polars::prelude::*;

use crate::tables::{self, frame, select_in_order, sort_by, strings};
use crate::windows::{rolling_windows, DAY};

const COUNTS: &[&str] = &["orders", "seller_cancelled", "auto_cancelled", "buyer_excluded", "projected_cancelled"];

/// One row per MFN Amazon order: its marketplace, local purchase day and what it counts as.
fn order_counts(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    let metric: Vec<&OrderView> = orders.iter().filter(|o| o.in_metrics()).collect();
    let flag = |f: &dyn Fn(&OrderView) -> bool| -> Vec<i64> { metric.iter().map(|o| f(o) as i64).collect() };
    let counted = |o: &OrderView| !matches!(o.class, Some(Class::Buyer | Class::Pending | Class::Amazon));
    frame(vec![
        strings("marketplace", &metric.iter().map(|o| o.marketplace().map(|m| m.code())).collect::<Vec<_>>()),
        Column::new(
            DAY.into(),
            metric.iter().map(|o| orderhealth_core::timestamp::local_day(o.purchase_ts, o.zone)).collect::<Vec<i32>>(),
        ),
        Column::new("orders".into(), flag(&counted)),
        Column::new("seller_cancelled".into(), flag(&|o| o.class == Some(Class::Seller))),
        Column::new("auto_cancelled".into(), flag(&|o| o.class == Some(Class::Auto))),
        Column::new("buyer_excluded".into(), flag(&|o| o.class == Some(Class::Buyer))),
        Column::new(
            "projected_cancelled".into(),
            flag(&|o| o.open && matches!(o.auto_state, Some(AutoState::Overdue | AutoState::AtRisk))),
        ),
    ])
}

/// `rate` = part / whole, null when whole is 0.
pub fn ratio(part: Expr, whole: &str) -> Expr {
    when(col(whole).eq(lit(0i64)))
        .then(lit(Null {}).cast(DataType::Float64))
        .otherwise(part.cast(DataType::Float64) / col(whole).cast(DataType::Float64))
}

pub fn cancel_rate(orders: &[OrderView]) -> PolarsResult<DataFrame> {
    let charged = || col("seller_cancelled") + col("auto_cancelled");
    let (by, options) = sort_by(&["marketplace", "window_end"]);
    rolling_windows(order_counts(orders)?.lazy(), &["marketplace"], COUNTS, 7)?
        .with_columns([
            ratio(charged(), "orders").alias("rate"),
            // Integer comparison: 40 × cancelled ≥ orders is rate ≥ 2.5%, with no rounding.
            when(col("orders").eq(lit(0i64)))
                .then(lit("NONE"))
                .when((lit(40i64) * charged()).gt_eq(col("orders")))
                .then(lit("BAD"))
                .otherwise(lit("GOOD"))
                .alias("status"),
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
