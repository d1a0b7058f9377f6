//! The valid-tracking report (SPEC §3.3, §5.5): `valid_tracking` and `tracking_defects`.

use orderhealth_carriers::{display_number, Defect};
use orderhealth_core::current::CurrentWindow;
use orderhealth_core::limits::{rate, Verdict};
use orderhealth_core::metric::valid_tracking::{TrackingDay, LIMIT, WINDOW};
use orderhealth_core::{Package, TrackingCounts};
use polars::prelude::*;
use serde::Serialize;

use crate::metrics::{Failing, MetricLine, MetricWords};
use crate::reports::Reports;
use crate::summary::{day, MarketplaceCurrent, Summary};
use crate::tables::read::{days, floats, texts};
use crate::tables::{self, dates, frame, limit_status, ratio, select_in_order, sort_by, strings, ChartPoint};
use crate::windows::{rolling_windows, DAY};
use crate::words::count;

/// The per-day counts as a frame: marketplace, category, day and one column per count.
fn day_counts(days: &[TrackingDay]) -> PolarsResult<DataFrame> {
    let mut columns = vec![
        strings("marketplace", &days.iter().map(|d| Some(d.key.0.code())).collect::<Vec<_>>()),
        strings("category", &days.iter().map(|d| Some(d.key.1.as_str())).collect::<Vec<_>>()),
        Column::new(DAY.into(), days.iter().map(|d| d.day).collect::<Vec<i32>>()),
        Column::new("packages".into(), days.iter().map(|d| d.counts.packages).collect::<Vec<i64>>()),
        Column::new("valid".into(), days.iter().map(|d| d.counts.valid).collect::<Vec<i64>>()),
    ];
    for (i, d) in Defect::ALL.iter().enumerate() {
        columns
            .push(Column::new(d.column().into(), days.iter().map(|day| day.counts.defects[i]).collect::<Vec<i64>>()));
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
    rolling_windows(day_counts(days)?.lazy(), &["marketplace", "category"], &values, WINDOW)?
        .with_columns([
            ratio(col("valid"), "packages").alias("rate"),
            // 20 × valid > 19 × packages is rate > 95%, compared in integers.
            limit_status(&LIMIT, col("valid"), "packages").alias("status"),
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

/// The current window of a marketplace's category (or of all its categories), as
/// `summary.json` has it (§5.6).
#[derive(Debug, Clone, Serialize)]
pub struct TrackingWindow {
    pub window_start: String,
    pub window_end: String,
    pub packages: i64,
    pub valid: i64,
    pub rate: Option<f64>,
    pub status: Verdict,
}

impl TrackingWindow {
    pub fn of(w: &CurrentWindow<TrackingCounts>) -> TrackingWindow {
        let c = &w.counts;
        TrackingWindow {
            window_start: day(w.start),
            window_end: day(w.end),
            packages: c.packages,
            valid: c.valid,
            rate: rate(c.valid, c.packages),
            status: LIMIT.verdict(c.valid, c.packages),
        }
    }
}

/// The valid tracking rate's words: a line over all categories, one per category that fails
/// (each with `all_categories`), and what to do when it fails.
pub const WORDS: MetricWords = MetricWords {
    lines,
    next_step,
    limit: &LIMIT,
    short_name: "tracking",
    chart_name: "valid tracking rate, 30 days",
    chart_series: &[("", "all packages")],
    chart_points,
};

/// The rolling series of `valid_tracking`, one per category.
fn chart_points(reports: &Reports) -> PolarsResult<Vec<ChartPoint<'_>>> {
    let df = &reports.valid_tracking;
    let (m, category, end, rate) =
        (texts(df, "marketplace")?, texts(df, "category")?, days(df, "window_end")?, floats(df, "rate")?);
    Ok((0..df.height())
        .map(|i| ChartPoint { marketplace: m[i], series: category[i].into(), window_end: end[i], rate: rate[i] })
        .collect())
}

/// A row of `tracking_defects`, as `report.html` lists it.
pub struct DefectRow<'a> {
    pub order_id: &'a str,
    pub marketplace: &'a str,
    pub ship_date: Option<i32>,
    pub carrier: &'a str,
    pub tracking_number: &'a str,
    pub defect: &'a str,
    pub suggestion: &'a str,
}

/// The rows of a `tracking_defects` table, in its order.
pub fn defect_rows(df: &DataFrame) -> PolarsResult<Vec<DefectRow<'_>>> {
    let (ids, m, ship, carrier, number, defect, suggestion) = (
        texts(df, "order_id")?,
        texts(df, "marketplace")?,
        days(df, "ship_date")?,
        texts(df, "carrier")?,
        texts(df, "tracking_number")?,
        texts(df, "defect")?,
        texts(df, "suggestion")?,
    );
    Ok((0..df.height())
        .map(|i| DefectRow {
            order_id: ids[i],
            marketplace: m[i],
            ship_date: ship[i],
            carrier: carrier[i],
            tracking_number: number[i],
            defect: defect[i],
            suggestion: suggestion[i],
        })
        .collect())
}

fn lines<'a>(
    summary: &'a Summary,
    marketplace: &'a str,
    m: &'a MarketplaceCurrent,
    all_categories: bool,
) -> Vec<MetricLine<'a>> {
    let line = |key: String, metric: String, w: &'a TrackingWindow, indent: bool| MetricLine {
        marketplace,
        key,
        metric,
        window_start: &w.window_start,
        window_end: &w.window_end,
        rate: w.rate,
        part: w.valid,
        whole: w.packages,
        limit: &LIMIT,
        status: w.status,
        indent,
    };
    let mut lines = Vec::new();
    let catalogued = m.valid_tracking.keys().any(|c| !c.is_empty());
    if let Some(w) = summary.tracking_all_categories.get(marketplace) {
        // Without a catalog every package is in category "": this line is that window.
        let key = if catalogued { "valid_tracking" } else { "valid_tracking/" };
        lines.push(line(key.into(), format!("valid tracking, {WINDOW} days"), w, false));
    }
    let shown = |w: &TrackingWindow| all_categories || w.status == Verdict::Bad;
    for (category, w) in m.valid_tracking.iter().filter(|(_, w)| catalogued && shown(w)) {
        let name = if category.is_empty() { "(no category)" } else { category.as_str() };
        lines.push(line(format!("valid_tracking/{category}"), format!("category {name}"), w, true));
    }
    lines
}

fn next_step(summary: &Summary) -> Option<String> {
    let mut failing = Failing::default();
    for (m, current) in &summary.current {
        if let Some(w) = summary.tracking_all_categories.get(m).filter(|w| w.status == Verdict::Bad) {
            failing.add(m, w.packages - w.valid, 0);
            continue;
        }
        // The marketplace passes, some of its categories do not: name them.
        let bad: Vec<(&String, &TrackingWindow)> =
            current.valid_tracking.iter().filter(|(_, w)| w.status == Verdict::Bad).collect();
        if !bad.is_empty() {
            let names: Vec<&str> =
                bad.iter().map(|(c, _)| if c.is_empty() { "(no category)" } else { c.as_str() }).collect();
            let invalid = bad.iter().map(|(_, w)| w.packages - w.valid).sum();
            failing.add(&format!("{m} (category {})", names.join(", ")), invalid, 0);
        }
    }
    (!failing.marketplaces.is_empty()).then(|| {
        format!(
            "valid tracking BAD in {}: {} without a valid tracking number in the last {WINDOW} days; fix the numbers and carrier names (see tracking_defects)",
            failing.marketplaces.join(", "),
            count(failing.count, "package", "packages")
        )
    })
}
