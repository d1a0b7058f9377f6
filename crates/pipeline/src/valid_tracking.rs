//! The valid-tracking report (SPEC §3.3, §5.5): `valid_tracking` and `tracking_defects`.

use orderhealth_carriers::{display_number, Defect};
use orderhealth_core::limits::{VALID_TRACKING, VALID_TRACKING_WINDOW};
use orderhealth_core::{Package, TrackingDay};
use polars::prelude::*;

use crate::tables::{self, dates, frame, limit_status, ratio, select_in_order, sort_by, strings};
use crate::windows::{rolling_windows, DAY};

/// The per-day counts as a frame: marketplace, category, day and one column per count.
fn day_counts(days: &[TrackingDay]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        strings("marketplace", &days.iter().map(|d| Some(d.marketplace.code())).collect::<Vec<_>>()),
        strings("category", &days.iter().map(|d| Some(d.category)).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        Column::new("packages".into(), days.iter().map(|d| d.packages).collect::<Vec<i64>>()),
        Column::new("valid".into(), days.iter().map(|d| d.valid).collect::<Vec<i64>>()),
    ];
    for (i, d) in Defect::ALL.iter().enumerate() {
        columns.push(Column::new(d.column().into(), days.iter().map(|day| day.defects[i]).collect::<Vec<i64>>()));
    }
    frame(columns)
}

fn value_columns() -> Vec<&'static str> {
    let mut v = vec!["packages", "valid"];
    v.extend(Defect::ALL.iter().map(|d| d.column()));
    v
}

pub fn valid_tracking(days: &[TrackingDay]) -> PolarsResult<DataFrame> {
    let values = value_columns();
    let mut order: Vec<&str> = tables::VALID_TRACKING_LEADING.to_vec();
    order.extend(Defect::ALL.iter().map(|d| d.column()));
    let (by, options) = sort_by(&["marketplace", "category", "window_end"]);
    rolling_windows(day_counts(days)?.lazy(), &["marketplace", "category"], &values, VALID_TRACKING_WINDOW)?
        .with_columns([
            ratio(col("valid"), "packages").alias("rate"),
            // 20 × valid > 19 × packages is rate > 95%, compared in integers.
            limit_status(&VALID_TRACKING, col("valid"), "packages").alias("status"),
        ])
        .select(select_in_order(&order))
        .sort(by, options)
        .collect()
}

/// The invalid packages, already sorted as §5.6 says.
pub fn tracking_defects(defective: &[Package]) -> PolarsResult<DataFrame> {
    sorted_defects(tracking_defect_rows(defective)?)
}

/// The table's rows in the table's order (§5.6). The sort is stable and a package's rows
/// never span two orders, so rows of several sets of orders, stacked, sort as one set.
pub fn sorted_defects(rows: DataFrame) -> PolarsResult<DataFrame> {
    let (by, options) = sort_by(&["order_id", "ship_date", "tracking_number", "carrier", "defect"]);
    let mut df = rows.lazy().sort(by, options).collect()?;
    df.rechunk_mut();
    Ok(df)
}

/// The rows of `defective` (sorted by order id, ship day, tracking number as given, carrier).
pub fn tracking_defect_rows(defective: &[Package]) -> PolarsResult<DataFrame> {
    let bad: Vec<&Package> = defective.iter().collect();
    frame(vec![
        strings("order_id", &bad.iter().map(|p| Some(p.order_id)).collect::<Vec<_>>()),
        strings("marketplace", &bad.iter().map(|p| Some(p.marketplace.code())).collect::<Vec<_>>()),
        dates("ship_date", bad.iter().map(|p| Some(p.ship_day)).collect())?,
        strings("carrier", &bad.iter().map(|p| Some(p.carrier)).collect::<Vec<_>>()),
        strings("tracking_number", &bad.iter().map(|p| Some(display_number(p.tracking))).collect::<Vec<_>>()),
        strings("defect", &bad.iter().map(|p| p.defect.map(|d| d.as_str())).collect::<Vec<_>>()),
        strings("suggestion", &bad.iter().map(|p| p.suggestion.as_deref()).collect::<Vec<_>>()),
    ])?
    .lazy()
    .select(select_in_order(tables::TRACKING_DEFECTS_COLUMNS))
    .collect()
}
