//! Amazon's own numbers beside ours (SPEC §3.8, `reconcile`): for each seller performance
//! report given, each marketplace and metric window it carries, our count and total summed
//! over exactly Amazon's dates from the same per-day counts as our tables, and whether they
//! agree.

use std::collections::BTreeMap;

use orderhealth_core::amazon::{AmazonMetric, AmazonWindow, PerformanceReport};
use orderhealth_core::limits::{rate, Limit, Verdict};
use orderhealth_core::metric::{cancel_rate, late_shipment, on_time_delivery, valid_tracking, Counts, SeriesKey};
use orderhealth_core::{DailyCounts, Day, Marketplace};
use polars::prelude::*;
use serde::Serialize;

use crate::summary::day;
use crate::tables::{self, dates, frame, select_in_order, strings};

/// One row of `reconcile`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReconcileRow {
    pub report: String,
    pub marketplace: String,
    pub metric: AmazonMetric,
    pub window: Option<(i32, i32)>,
    pub amazon: AmazonWindow,
    /// Ours over Amazon's dates: (count, total); `None` without dates.
    pub ours: Option<(i64, i64)>,
    pub status: Option<Verdict>,
    /// `None`: not comparable (no dates, or Amazon gives nothing to compare).
    pub agrees: Option<bool>,
}

impl ReconcileRow {
    pub fn rate(&self) -> Option<f64> {
        self.ours.and_then(|(c, t)| rate(c, t))
    }
}

/// Σ of one marketplace's days from `from` to `to` (both included).
fn sum<K: SeriesKey, C: Counts>(days: &[Day<K, C>], m: Marketplace, (from, to): (i32, i32)) -> C {
    days.iter()
        .filter(|d| d.key.marketplace() == m && (from..=to).contains(&d.day))
        .fold(C::default(), |a, d| a + d.counts)
}

fn limit(metric: AmazonMetric) -> &'static Limit {
    match metric {
        AmazonMetric::CancelRate => &cancel_rate::LIMIT,
        AmazonMetric::LateShipment => &late_shipment::LIMIT,
        AmazonMetric::ValidTracking => &valid_tracking::LIMIT,
        AmazonMetric::OnTimeDelivery => &on_time_delivery::LIMIT,
    }
}

/// Our (count, total) of `metric` in marketplace `m` over `window`, as Amazon counts it: the
/// cancellations of the orders, the late of the orders, the valid of the packages (all
/// categories, each package once), the on-time of the packages judged.
fn ours(daily: &DailyCounts, metric: AmazonMetric, m: Option<Marketplace>, window: (i32, i32)) -> (i64, i64) {
    let Some(m) = m else { return (0, 0) };
    match metric {
        AmazonMetric::CancelRate => {
            let c = sum(&daily.cancel, m, window);
            (c.seller_cancelled + c.auto_cancelled, c.orders)
        }
        AmazonMetric::LateShipment => {
            let c = sum(&daily.late, m, window);
            (c.late, c.orders)
        }
        AmazonMetric::ValidTracking => {
            let c = sum(&daily.tracking_all, m, window);
            (c.valid, c.packages)
        }
        AmazonMetric::OnTimeDelivery => {
            let c = sum(&daily.on_time, m, window);
            (c.on_time, c.packages)
        }
    }
}

/// Every row of every report, sorted by report, marketplace, metric, window end and start.
pub fn reconcile_rows(reports: &[PerformanceReport], daily: &DailyCounts) -> Vec<ReconcileRow> {
    let mut rows = Vec::new();
    for r in reports {
        for m in &r.marketplaces {
            let code = m.marketplace.map_or_else(|| m.marketplace_id.clone(), |x| x.code().to_string());
            for w in &m.windows {
                let ours = w.dates.map(|window| ours(daily, w.metric, m.marketplace, window));
                let status = ours.map(|(c, t)| limit(w.metric).verdict(c, t));
                let agrees = ours.and_then(|(c, t)| {
                    if w.count.is_none() && w.total.is_none() && w.rate.is_none() {
                        return None;
                    }
                    let counts = w.count.is_none_or(|x| x == c) && w.total.is_none_or(|x| x == t);
                    // Without a numerator, the rates (to 0.005 of a percent).
                    let rates =
                        w.count.is_some() || w.rate.is_none_or(|a| rate(c, t).is_some_and(|o| (o - a).abs() < 0.00005));
                    Some(counts && rates)
                });
                rows.push(ReconcileRow {
                    report: r.path.clone(),
                    marketplace: code.clone(),
                    metric: w.metric,
                    window: w.dates,
                    amazon: w.clone(),
                    ours,
                    status,
                    agrees,
                });
            }
        }
    }
    rows.sort_by(|a, b| {
        let key = |r: &ReconcileRow| {
            (r.report.clone(), r.marketplace.clone(), r.metric.as_str(), r.window.map(|w| (w.1, w.0)))
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// The `reconcile` table (§3.8).
pub fn reconcile_table(rows: &[ReconcileRow]) -> PolarsResult<DataFrame> {
    let ints = |name: &str, v: Vec<Option<i64>>| Column::new(name.into(), v);
    let floats = |name: &str, v: Vec<Option<f64>>| Column::new(name.into(), v);
    frame(vec![
        strings("report", &rows.iter().map(|r| Some(r.report.as_str())).collect::<Vec<_>>()),
        strings("marketplace", &rows.iter().map(|r| Some(r.marketplace.as_str())).collect::<Vec<_>>()),
        strings("metric", &rows.iter().map(|r| Some(r.metric.as_str())).collect::<Vec<_>>()),
        dates("window_start", rows.iter().map(|r| r.window.map(|w| w.0)).collect())?,
        dates("window_end", rows.iter().map(|r| r.window.map(|w| w.1)).collect())?,
        ints("amazon_count", rows.iter().map(|r| r.amazon.count).collect()),
        ints("amazon_total", rows.iter().map(|r| r.amazon.total).collect()),
        floats("amazon_rate", rows.iter().map(|r| r.amazon.rate).collect()),
        strings("amazon_status", &rows.iter().map(|r| r.amazon.status.as_deref()).collect::<Vec<_>>()),
        floats("amazon_target", rows.iter().map(|r| r.amazon.target).collect()),
        ints("count", rows.iter().map(|r| r.ours.map(|o| o.0)).collect()),
        ints("total", rows.iter().map(|r| r.ours.map(|o| o.1)).collect()),
        floats("rate", rows.iter().map(ReconcileRow::rate).collect()),
        strings("status", &rows.iter().map(|r| r.status.map(|s| s.as_str())).collect::<Vec<_>>()),
        Column::new("agrees".into(), rows.iter().map(|r| r.agrees).collect::<Vec<Option<bool>>>()),
    ])?
    .lazy()
    .select(select_in_order(tables::RECONCILE_COLUMNS))
    .collect()
}

/// Amazon's side of a row in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct AmazonSide {
    pub count: Option<i64>,
    pub total: Option<i64>,
    pub rate: Option<f64>,
    pub status: Option<String>,
    pub target: Option<f64>,
}

/// Our side of a row in `summary.json`.
#[derive(Debug, Clone, Serialize)]
pub struct OurSide {
    pub count: Option<i64>,
    pub total: Option<i64>,
    pub rate: Option<f64>,
    pub status: Option<Verdict>,
}

/// A row of `summary.json`'s `reconcile`.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileEntry {
    pub metric: &'static str,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub agrees: Option<bool>,
    pub amazon: AmazonSide,
    pub ours: OurSide,
    /// For a window that does not agree: how many orders (or packages) of each `why` of
    /// `reconcile_orders` could explain it.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub could_explain: BTreeMap<&'static str, u64>,
}

/// `summary.json`'s `reconcile`: per report file and marketplace, its rows.
pub fn summary_of(
    rows: &[ReconcileRow],
    explained: &Explained,
) -> BTreeMap<String, BTreeMap<String, Vec<ReconcileEntry>>> {
    let mut out: BTreeMap<String, BTreeMap<String, Vec<ReconcileEntry>>> = BTreeMap::new();
    for r in rows {
        out.entry(r.report.clone()).or_default().entry(r.marketplace.clone()).or_default().push(ReconcileEntry {
            metric: r.metric.as_str(),
            window_start: r.window.map(|w| day(w.0)),
            window_end: r.window.map(|w| day(w.1)),
            agrees: r.agrees,
            amazon: AmazonSide {
                count: r.amazon.count,
                total: r.amazon.total,
                rate: r.amazon.rate,
                status: r.amazon.status.clone(),
                target: r.amazon.target,
            },
            ours: OurSide { count: r.ours.map(|o| o.0), total: r.ours.map(|o| o.1), rate: r.rate(), status: r.status },
            could_explain: r
                .window
                .and_then(|(a, b)| explained.get(&(r.report.clone(), r.marketplace.clone(), r.metric.as_str(), a, b)))
                .cloned()
                .unwrap_or_default(),
        });
    }
    out
}

/// One row of `reconcile_orders`: an order (or package) of a window that does not agree whose
/// treatment is a judgement call, and which one (§3.8).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Explaining {
    report: String,
    marketplace: String,
    metric: &'static str,
    window_end: i32,
    window_start: i32,
    day: i32,
    order_id: String,
    tracking_number: String,
    why: &'static str,
}

/// `reconcile_orders`: for each row that does not agree, the orders of its window whose
/// treatment is a judgement call (§3.8's list), sorted by report, marketplace, metric, window
/// end and start, day, order, tracking number, why. Valid tracking lists the invalid packages
/// (by defect) and every package placed by its ship day (`basis`: the run's).
///
/// `counted_elsewhere`: the same rows of orders not in `orders` (the partitions of a
/// distributed run, [`reconcile_candidates`]), for every window: those of the windows that do
/// not agree join the table.
pub fn reconcile_orders(
    rows: &[ReconcileRow],
    orders: &[orderhealth_core::OrderView],
    tracking: &orderhealth_core::Tracking,
    basis: orderhealth_core::TrackingBasis,
    counted_elsewhere: &[DataFrame],
) -> PolarsResult<(DataFrame, Explained)> {
    let mut out = explaining(rows, orders, tracking, basis, |r| r.agrees == Some(false));
    let disagreeing: std::collections::BTreeSet<(String, String, &'static str, i32, i32)> = rows
        .iter()
        .filter(|r| r.agrees == Some(false))
        .filter_map(|r| Some((r.report.clone(), r.marketplace.clone(), r.metric.as_str(), r.window?.0, r.window?.1)))
        .collect();
    for df in counted_elsewhere {
        out.extend(explaining_of(df)?.into_iter().filter(|e| {
            disagreeing.contains(&(e.report.clone(), e.marketplace.clone(), e.metric, e.window_start, e.window_end))
        }));
    }
    out.sort();
    let mut explained: Explained = BTreeMap::new();
    for e in &out {
        let key = (e.report.clone(), e.marketplace.clone(), e.metric, e.window_start, e.window_end);
        *explained.entry(key).or_default().entry(e.why).or_default() += 1;
    }
    Ok((explaining_frame(&out)?, explained))
}

/// The rows of `reconcile_orders` `orders` give for every window of Amazon's `reports`,
/// agreeing or not, in no particular order: a partition's share, before the sum says which
/// windows agree.
pub fn reconcile_candidates(
    reports: &[PerformanceReport],
    orders: &[orderhealth_core::OrderView],
    tracking: &orderhealth_core::Tracking,
    basis: orderhealth_core::TrackingBasis,
) -> PolarsResult<DataFrame> {
    let rows = reconcile_rows(reports, &DailyCounts::default());
    explaining_frame(&explaining(&rows, orders, tracking, basis, |r| r.window.is_some()))
}

/// Every `why` a row can give, to read a partition's rows back.
const WHYS: [&str; 10] = [
    "buyer-requested",
    "pending",
    "inferred-seller",
    "edge-day",
    "no-expected-ship-date",
    "unconfirmed",
    "confirmed-late-same-day",
    "placed-by-ship-day",
    "not-delivered",
    "late",
];

/// The rows of a frame [`explaining_frame`] wrote.
fn explaining_of(df: &DataFrame) -> PolarsResult<Vec<Explaining>> {
    use crate::tables::read::texts;
    let metrics = [
        AmazonMetric::CancelRate,
        AmazonMetric::LateShipment,
        AmazonMetric::ValidTracking,
        AmazonMetric::OnTimeDelivery,
    ];
    let known = |v: &str, list: &[&'static str]| -> PolarsResult<&'static str> {
        list.iter()
            .copied()
            .find(|k| *k == v)
            .ok_or_else(|| polars_err!(ComputeError: "a reconcile row of unknown kind {v:?}"))
    };
    let metrics: Vec<&'static str> = metrics.iter().map(|m| m.as_str()).collect();
    let whys: Vec<&'static str> =
        WHYS.iter().copied().chain(orderhealth_carriers::Defect::ALL.iter().map(|d| d.as_str())).collect();
    let date = |name: &str| -> PolarsResult<Vec<i32>> {
        Ok(df.column(name)?.date()?.physical().iter().map(|d| d.unwrap_or(0)).collect())
    };
    let (start, end, day) = (date("window_start")?, date("window_end")?, date("day")?);
    let (report, marketplace, metric) = (texts(df, "report")?, texts(df, "marketplace")?, texts(df, "metric")?);
    let (order_id, number, why) = (texts(df, "order_id")?, texts(df, "tracking_number")?, texts(df, "why")?);
    let mut out = Vec::with_capacity(df.height());
    for i in 0..df.height() {
        let at = |v: &Vec<&str>| v.get(i).copied().unwrap_or_default().to_string();
        out.push(Explaining {
            report: at(&report),
            marketplace: at(&marketplace),
            metric: known(&at(&metric), &metrics)?,
            window_end: end.get(i).copied().unwrap_or(0),
            window_start: start.get(i).copied().unwrap_or(0),
            day: day.get(i).copied().unwrap_or(0),
            order_id: at(&order_id),
            tracking_number: at(&number),
            why: known(&at(&why), &whys)?,
        });
    }
    Ok(out)
}

/// The rows of `rows` (those `wanted`) `orders` and their packages could explain.
fn explaining(
    rows: &[ReconcileRow],
    orders: &[orderhealth_core::OrderView],
    tracking: &orderhealth_core::Tracking,
    basis: orderhealth_core::TrackingBasis,
    wanted: impl Fn(&ReconcileRow) -> bool,
) -> Vec<Explaining> {
    use orderhealth_core::timestamp::local_day;
    use orderhealth_core::tracking::LateReason;
    use orderhealth_core::{Class, Lateness};
    let mut out: Vec<Explaining> = Vec::new();
    for r in rows.iter().filter(|r| wanted(r)) {
        let (Some((start, end)), Some(m)) = (r.window, Marketplace::from_code(&r.marketplace)) else { continue };
        let mut add = |day: i32, order_id: &str, tracking: &str, why: &'static str| {
            if (start..=end).contains(&day) {
                out.push(Explaining {
                    report: r.report.clone(),
                    marketplace: r.marketplace.clone(),
                    metric: r.metric.as_str(),
                    window_end: end,
                    window_start: start,
                    day,
                    order_id: order_id.to_string(),
                    tracking_number: tracking.to_string(),
                    why,
                });
            }
        };
        let edge = |day: i32| day == start || day == end;
        let in_m = |o: &&orderhealth_core::OrderView| o.in_metrics() && o.marketplace() == Some(m);
        match r.metric {
            AmazonMetric::CancelRate => {
                for o in orders.iter().filter(in_m) {
                    let day = local_day(o.purchase_ts, o.zone);
                    match (o.class, o.rule) {
                        (Some(Class::Buyer), _) => add(day, &o.order_id, "", "buyer-requested"),
                        (Some(Class::Pending), _) => add(day, &o.order_id, "", "pending"),
                        (_, Some(7)) => add(day, &o.order_id, "", "inferred-seller"),
                        _ => {}
                    }
                    let counted = !matches!(o.class, Some(Class::Buyer | Class::Pending | Class::Amazon));
                    if counted && edge(day) {
                        add(day, &o.order_id, "", "edge-day");
                    }
                }
            }
            AmazonMetric::LateShipment => {
                for o in orders.iter().filter(in_m) {
                    let Some(expected) = o.expected_ship_ts else {
                        if o.late_unjudged {
                            add(local_day(o.purchase_ts, o.zone), &o.order_id, "", "no-expected-ship-date");
                        }
                        continue;
                    };
                    let day = local_day(expected, o.zone);
                    match o.lateness {
                        Some(Lateness::Unconfirmed) => add(day, &o.order_id, "", "unconfirmed"),
                        Some(Lateness::Late) if o.confirmed_ts.is_some_and(|c| local_day(c, o.zone) == day) => {
                            add(day, &o.order_id, "", "confirmed-late-same-day")
                        }
                        _ => {}
                    }
                    if o.lateness.is_some() && edge(day) {
                        add(day, &o.order_id, "", "edge-day");
                    }
                }
            }
            AmazonMetric::ValidTracking => {
                for p in tracking.defective.iter().filter(|p| p.marketplace == m) {
                    let number = orderhealth_carriers::display_number(p.tracking);
                    if let Some(d) = p.defect {
                        add(p.day, p.order_id, &number, d.as_str());
                    }
                    if p.placed_by_ship_day && p.tracking.is_empty() {
                        // A package without a number is keyed by its ship day and carrier.
                        add(p.day, p.order_id, "", "placed-by-ship-day");
                    }
                    if edge(p.day) {
                        add(p.day, p.order_id, &number, "edge-day");
                    }
                }
                // Every package with a number placed by its ship day, valid or not: its
                // order has no promised delivery date, or the basis is the ship day.
                for o in orders.iter().filter(in_m) {
                    if basis == orderhealth_core::TrackingBasis::Promise && o.expected_delivery_ts.is_some() {
                        continue;
                    }
                    let mut packages: Vec<(&str, i32)> = Vec::new();
                    for s in o.shipments.iter().filter(|s| !orderhealth_carriers::is_missing(&s.tracking)) {
                        let ship = match s.ship {
                            orderhealth_core::rows::ShipDate::Day(d) => d,
                            orderhealth_core::rows::ShipDate::At(t) => local_day(t, o.zone),
                        };
                        match packages.iter_mut().find(|(n, _)| *n == &*s.tracking) {
                            Some((_, day)) => *day = (*day).min(ship),
                            None => packages.push((&s.tracking, ship)),
                        }
                    }
                    for (number, day) in packages {
                        add(day, &o.order_id, &orderhealth_carriers::display_number(number), "placed-by-ship-day");
                    }
                }
            }
            AmazonMetric::OnTimeDelivery => {
                for l in tracking.late_deliveries.iter().filter(|l| l.marketplace == m) {
                    let number = orderhealth_carriers::display_number(l.tracking);
                    let why = if l.reason == LateReason::NotDelivered { "not-delivered" } else { "late" };
                    add(l.promised_day, l.order_id, &number, why);
                    if edge(l.promised_day) {
                        add(l.promised_day, l.order_id, &number, "edge-day");
                    }
                }
            }
        }
    }
    out
}

/// `reconcile_orders`' columns of `out`, in its order.
fn explaining_frame(out: &[Explaining]) -> PolarsResult<DataFrame> {
    frame(vec![
        strings("report", &out.iter().map(|e| Some(e.report.as_str())).collect::<Vec<_>>()),
        strings("marketplace", &out.iter().map(|e| Some(e.marketplace.as_str())).collect::<Vec<_>>()),
        strings("metric", &out.iter().map(|e| Some(e.metric)).collect::<Vec<_>>()),
        dates("window_start", out.iter().map(|e| Some(e.window_start)).collect())?,
        dates("window_end", out.iter().map(|e| Some(e.window_end)).collect())?,
        strings("order_id", &out.iter().map(|e| Some(e.order_id.as_str())).collect::<Vec<_>>()),
        strings("tracking_number", &out.iter().map(|e| Some(e.tracking_number.as_str())).collect::<Vec<_>>()),
        dates("day", out.iter().map(|e| Some(e.day)).collect())?,
        strings("why", &out.iter().map(|e| Some(e.why)).collect::<Vec<_>>()),
    ])
}

/// Per (report, marketplace, metric, window start, end): how many orders of each `why` could
/// explain it.
pub type Explained = BTreeMap<(String, String, &'static str, i32, i32), BTreeMap<&'static str, u64>>;
