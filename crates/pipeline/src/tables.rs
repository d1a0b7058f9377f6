//! The output tables: their names and column orders (SPEC §3, §4, §5.6), declared once,
//! and the helpers that build typed polars columns from the core's plain vectors.

use orderhealth_core::limits::{Limit, Verdict};
use polars::prelude::*;

pub const CANCEL_RATE: &str = "cancel_rate";
pub const CANCEL_REASONS: &str = "cancel_reasons";
pub const AUTO_CANCEL: &str = "auto_cancel";
pub const VALID_TRACKING: &str = "valid_tracking";
pub const TRACKING_DEFECTS: &str = "tracking_defects";
pub const ORDERS: &str = "orders";
pub const LATE_SHIPMENT: &str = "late_shipment";
pub const CANCELLATIONS: &str = "cancellations";
pub const ON_TIME_DELIVERY: &str = "on_time_delivery";
/// The evidence behind `on_time_delivery`: each judged package not delivered on time.
pub const LATE_DELIVERIES: &str = "late_deliveries";

/// Every table `report` writes, in the order the summary lists them.
pub const REPORT_TABLES: &[&str] = &[
    CANCEL_RATE,
    CANCEL_REASONS,
    AUTO_CANCEL,
    VALID_TRACKING,
    TRACKING_DEFECTS,
    LATE_SHIPMENT,
    CANCELLATIONS,
    ON_TIME_DELIVERY,
    LATE_DELIVERIES,
];

pub const CANCEL_RATE_COLUMNS: &[&str] = &[
    "marketplace",
    "window_start",
    "window_end",
    "orders",
    "seller_cancelled",
    "auto_cancelled",
    "buyer_excluded",
    "rate",
    "status",
    "projected_cancelled",
    "projected_rate",
];
pub const CANCEL_REASONS_COLUMNS: &[&str] = &["marketplace", "reason", "orders"];
pub const AUTO_CANCEL_COLUMNS: &[&str] =
    &["order_id", "marketplace", "purchase_ts", "expected_ship_ts", "basis", "deadline", "days_left", "state"];
/// The leading columns of `valid_tracking`; one count column per defect follows.
pub const VALID_TRACKING_LEADING: &[&str] =
    &["marketplace", "category", "window_start", "window_end", "packages", "valid", "rate", "status"];
pub const TRACKING_DEFECTS_COLUMNS: &[&str] =
    &["order_id", "marketplace", "ship_date", "carrier", "tracking_number", "defect", "suggestion"];
pub const LATE_SHIPMENT_COLUMNS: &[&str] =
    &["marketplace", "window_days", "window_start", "window_end", "orders", "late", "unconfirmed", "rate", "status"];
pub const ON_TIME_DELIVERY_COLUMNS: &[&str] =
    &["marketplace", "window_days", "window_start", "window_end", "packages", "on_time", "late", "rate", "status"];
/// Amazon's numbers beside ours (given a seller performance report, §3.8).
pub const RECONCILE: &str = "reconcile";
pub const RECONCILE_ORDERS: &str = "reconcile_orders";
pub const RECONCILE_COLUMNS: &[&str] = &[
    "report",
    "marketplace",
    "metric",
    "window_start",
    "window_end",
    "amazon_count",
    "amazon_total",
    "amazon_rate",
    "amazon_status",
    "amazon_target",
    "count",
    "total",
    "rate",
    "status",
    "agrees",
];
pub const LATE_DELIVERIES_COLUMNS: &[&str] = &[
    "order_id",
    "marketplace",
    "promised_date",
    "carrier",
    "tracking_number",
    "delivered_ts",
    "confirmed_ts",
    "reason",
];
pub const CANCELLATIONS_COLUMNS: &[&str] = &[
    "order_id",
    "marketplace",
    "purchase_ts",
    "purchase_day",
    "class",
    "rule",
    "counted",
    "reasons",
    "cancel_seen_ts",
    "buyer_requested",
];
pub const ORDERS_COLUMNS: &[&str] = &[
    "order_id",
    "marketplace",
    "channel",
    "status",
    "purchase_ts",
    "expected_ship_ts",
    "expected_delivery_ts",
    "buyer_requested",
    "shipped",
    "cancelled",
    "open",
    "class",
];

/// The dtype of every timestamp column: microseconds, UTC.
pub fn timestamp_dtype() -> DataType {
    DataType::Datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
}

/// A timestamp column from microseconds since the epoch.
pub fn timestamps(name: &str, values: Vec<Option<i64>>) -> PolarsResult<Column> {
    // Built directly as a UTC datetime: a cast would drop the zone without polars'
    // `timezones` feature, which this project does not need otherwise.
    let DataType::Datetime(unit, zone) = timestamp_dtype() else { unreachable!() };
    Ok(Series::new(name.into(), values).into_datetime(unit, zone).into())
}

/// A date column from days since the epoch.
pub fn dates(name: &str, values: Vec<Option<i32>>) -> PolarsResult<Column> {
    Column::new(name.into(), values).cast(&DataType::Date)
}

pub fn strings<S: AsRef<str>>(name: &str, values: &[Option<S>]) -> Column {
    let v: Vec<Option<&str>> = values.iter().map(|s| s.as_ref().map(|s| s.as_ref())).collect();
    Column::new(name.into(), v)
}

pub fn frame(columns: Vec<Column>) -> PolarsResult<DataFrame> {
    DataFrame::new_infer_height(columns)
}

/// `rate` = part / whole, null when whole is 0.
pub fn ratio(part: Expr, whole: &str) -> Expr {
    when(col(whole).eq(lit(0i64)))
        .then(lit(Null {}).cast(DataType::Float64))
        .otherwise(part.cast(DataType::Float64) / col(whole).cast(DataType::Float64))
}

/// `status` by a metric's limit, as the integer comparison of `Limit::verdict`.
pub fn limit_status(limit: &Limit, part: Expr, whole: &str) -> Expr {
    let p = lit(limit.part_factor) * part;
    let w = lit(limit.whole_factor) * col(whole);
    let bad = if limit.bad_at_or_above { p.gt_eq(w) } else { p.lt_eq(w) };
    when(col(whole).eq(lit(0i64)))
        .then(lit(Verdict::None.as_str()))
        .when(bad)
        .then(lit(Verdict::Bad.as_str()))
        .otherwise(lit(Verdict::Good.as_str()))
}

/// Column expressions in a declared order.
pub fn select_in_order(columns: &[&str]) -> Vec<Expr> {
    columns.iter().map(|c| col(*c)).collect()
}

/// Sort by these columns, ascending, stable.
pub fn sort_by(columns: &[&str]) -> (Vec<PlSmallStr>, SortMultipleOptions) {
    (columns.iter().map(|c| PlSmallStr::from(*c)).collect(), SortMultipleOptions::default().with_maintain_order(true))
}

/// Reading a table back into typed rows (for `report.html`): each table's module reads its
/// own columns with these, so no caller looks a column up by name.
pub mod read {
    use polars::prelude::*;

    /// A text column, borrowed (an evidence table has a row per order or package: only the
    /// rows a page shows are copied).
    pub fn texts<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<Vec<&'a str>> {
        Ok(df.column(name)?.str()?.iter().map(Option::unwrap_or_default).collect())
    }

    pub fn ints(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i64>>> {
        Ok(df.column(name)?.cast(&DataType::Int64)?.i64()?.iter().collect())
    }

    pub fn floats(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<f64>>> {
        Ok(df.column(name)?.f64()?.iter().collect())
    }

    pub fn flags(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<bool>>> {
        Ok(df.column(name)?.bool()?.iter().collect())
    }

    /// A date column as days since the epoch.
    pub fn days(df: &DataFrame, name: &str) -> PolarsResult<Vec<Option<i32>>> {
        Ok(df.column(name)?.cast(&DataType::Int32)?.i32()?.iter().collect())
    }
}

/// The rolling series of a table by window length (`marketplace`, `window_days`,
/// `window_end`, `rate`): one series per length.
pub fn chart_points_by_length(df: &DataFrame) -> PolarsResult<Vec<ChartPoint<'_>>> {
    use read::{days, floats, ints, texts};
    let (m, len, end, rate) =
        (texts(df, "marketplace")?, ints(df, "window_days")?, days(df, "window_end")?, floats(df, "rate")?);
    Ok(m.iter()
        .zip(len)
        .zip(end.into_iter().zip(rate))
        .map(|((marketplace, len), (window_end, rate))| ChartPoint {
            marketplace,
            series: len.unwrap_or_default().to_string().into(),
            window_end,
            rate,
        })
        .collect())
}

/// One point of a metric's rolling series, as a chart draws it: the rate of the window that
/// ends on `window_end`, in one series (`rate`, a window length, a category) of a marketplace.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartPoint<'a> {
    pub marketplace: &'a str,
    pub series: std::borrow::Cow<'a, str>,
    pub window_end: Option<i32>,
    pub rate: Option<f64>,
}
