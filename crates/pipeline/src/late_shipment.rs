//! The late shipment rate (SPEC §3.5): orders confirmed after their expected ship date, and
//! open orders past it, over 10 and 30 local days by expected-ship day.

use orderhealth_core::limits::{LATE_SHIPMENT, LATE_SHIPMENT_WINDOWS};
use orderhealth_core::LateDay;
use polars::prelude::*;

use crate::tables::{self, frame, limit_status, ratio, select_in_order, sort_by, strings};
use crate::windows::{rolling_windows, DAY};

const COUNTS: &[&str] = &["orders", "late", "unconfirmed"];

/// The per-day counts as a frame: marketplace, day and one column per count.
fn day_counts(days: &[LateDay]) -> PolarsResult<DataFrame> {
    frame(vec![
        strings("marketplace", &days.iter().map(|d| Some(d.marketplace.code())).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        Column::new("orders".into(), days.iter().map(|d| d.counts.orders).collect::<Vec<i64>>()),
        Column::new("late".into(), days.iter().map(|d| d.counts.late).collect::<Vec<i64>>()),
        Column::new("unconfirmed".into(), days.iter().map(|d| d.counts.unconfirmed).collect::<Vec<i64>>()),
    ])
}

pub fn late_shipment(days: &[LateDay]) -> PolarsResult<DataFrame> {
    let counts = day_counts(days)?;
    let windows = LATE_SHIPMENT_WINDOWS
        .iter()
        .map(|&n| {
            Ok(rolling_windows(counts.clone().lazy(), &["marketplace"], COUNTS, n)?
                .with_column(lit(n as i64).alias("window_days")))
        })
        .collect::<PolarsResult<Vec<_>>>()?;
    let (by, options) = sort_by(&["marketplace", "window_days", "window_end"]);
    concat(windows, UnionArgs::default())?
        .with_columns([
            ratio(col("late"), "orders").alias("rate"),
            limit_status(&LATE_SHIPMENT, col("late"), "orders").alias("status"),
        ])
        .select(select_in_order(tables::LATE_SHIPMENT_COLUMNS))
        .sort(by, options)
        .collect()
}
