//! Amazon's own account-health numbers: the seller performance report
//! (`GET_V2_SELLER_PERFORMANCE_REPORT`, JSON, SPEC §1.7), read as it is written. It is the
//! reference a run reconciles its numbers with (§3.8); it never adds orders. What the report
//! does not give stays absent (`None`); `status` is Amazon's word, never recomputed.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::marketplace::Marketplace;
use crate::timestamp::{epoch_days, parse_date};

/// The metrics a report carries that orderhealth computes too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AmazonMetric {
    CancelRate,
    LateShipment,
    ValidTracking,
    OnTimeDelivery,
}

impl AmazonMetric {
    /// Our table's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            AmazonMetric::CancelRate => "cancel_rate",
            AmazonMetric::LateShipment => "late_shipment",
            AmazonMetric::ValidTracking => "valid_tracking",
            AmazonMetric::OnTimeDelivery => "on_time_delivery",
        }
    }
}

/// One window of one metric as Amazon gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmazonWindow {
    pub metric: AmazonMetric,
    /// The calendar dates of `reportingDateFrom` and `reportingDateTo` as written (days since
    /// 1970-01-01); `None` when the report gives no range.
    pub dates: Option<(i32, i32)>,
    pub count: Option<i64>,
    pub total: Option<i64>,
    pub rate: Option<f64>,
    pub status: Option<String>,
    pub target: Option<f64>,
}

/// One marketplace of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AmazonMarketplace {
    pub marketplace_id: String,
    /// `None`: a marketplace id orderhealth does not know.
    pub marketplace: Option<Marketplace>,
    pub windows: Vec<AmazonWindow>,
}

/// A seller performance report, as read from one file (and as a store keeps it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceReport {
    /// The file, as given.
    pub path: String,
    pub marketplaces: Vec<AmazonMarketplace>,
}

/// Is this JSON document a performance report? (A top-level `performanceMetrics` array.)
pub fn is_performance_report(v: &Value) -> bool {
    v.get("performanceMetrics").is_some_and(Value::is_array)
}

/// The fields of each metric: its name(s) in the report, its numerator and denominator.
const METRICS: &[(AmazonMetric, &[&str], &str, &str)] = &[
    (
        AmazonMetric::CancelRate,
        &["preFulfillmentCancellationRate", "prefulfillmentCancelRate"],
        "cancellationCount",
        "orderCount",
    ),
    (AmazonMetric::LateShipment, &["lateShipmentRate"], "lateShipmentCount", "orderCount"),
    (AmazonMetric::ValidTracking, &["validTrackingRate"], "validTrackingCount", "shipmentCount"),
    (AmazonMetric::OnTimeDelivery, &["onTimeDeliveryRate"], "onTimeDeliveryCount", "shipmentCountWithValidTracking"),
];

/// Reads a performance report; `Err` is the JSON path of what is malformed and why.
pub fn read_report(path: &str, v: &Value) -> Result<PerformanceReport, String> {
    let list = v.get("performanceMetrics").and_then(Value::as_array).ok_or("performanceMetrics: not an array")?;
    let mut marketplaces = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let at = format!("performanceMetrics[{i}]");
        if !m.is_object() {
            return Err(format!("{at}: not an object"));
        }
        let id = match m.get("marketplaceId") {
            Some(Value::String(s)) => s.trim_matches(' ').to_string(),
            None | Some(Value::Null) => return Err(format!("{at}.marketplaceId: missing")),
            Some(other) => return Err(format!("{at}.marketplaceId: not a string: {other}")),
        };
        let mut windows: Vec<AmazonWindow> = Vec::new();
        for (metric, names, count, total) in METRICS {
            for name in *names {
                let Some(entry) = m.get(*name).filter(|e| !e.is_null()) else { continue };
                windows.push(window(*metric, entry, &format!("{at}.{name}"), count, total)?);
            }
            if *metric == AmazonMetric::LateShipment {
                if let Some(list) = m.get("lateShipmentRateList").filter(|l| !l.is_null()) {
                    let entries = list.as_array().ok_or(format!("{at}.lateShipmentRateList: not an array"))?;
                    for (j, entry) in entries.iter().enumerate() {
                        let here = format!("{at}.lateShipmentRateList[{j}]");
                        windows.push(window(*metric, entry, &here, count, total)?);
                    }
                }
            }
        }
        marketplaces.push(AmazonMarketplace {
            marketplace: Marketplace::from_marketplace_id(&id),
            marketplace_id: id,
            windows: merge_same_windows(windows),
        });
    }
    Ok(PerformanceReport { path: path.to_string(), marketplaces })
}

/// A `lateShipmentRate` with the same dates as a list entry is that window: one, its counts
/// taken where given (§3.8).
fn merge_same_windows(windows: Vec<AmazonWindow>) -> Vec<AmazonWindow> {
    let mut out: Vec<AmazonWindow> = Vec::new();
    for w in windows {
        match out.iter_mut().find(|o| o.metric == w.metric && o.dates.is_some() && o.dates == w.dates) {
            Some(o) => {
                o.count = o.count.or(w.count);
                o.total = o.total.or(w.total);
                o.rate = o.rate.or(w.rate);
                o.status = o.status.take().or(w.status);
                o.target = o.target.or(w.target);
            }
            None => out.push(w),
        }
    }
    out
}

fn window(metric: AmazonMetric, e: &Value, at: &str, count: &str, total: &str) -> Result<AmazonWindow, String> {
    if !e.is_object() {
        return Err(format!("{at}: not an object"));
    }
    let integer = |name: &str| -> Result<Option<i64>, String> {
        match e.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) if n.as_i64().is_some() => Ok(n.as_i64()),
            Some(other) => {
                Err(format!("{at}.{name}: not a count: {}", crate::error::printable(&other.to_string(), 60)))
            }
        }
    };
    let fraction = |name: &str| -> Result<Option<f64>, String> {
        match e.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64()),
            Some(other) => {
                Err(format!("{at}.{name}: not a number: {}", crate::error::printable(&other.to_string(), 60)))
            }
        }
    };
    let range = e.get("reportingDateRange").filter(|r| !r.is_null());
    let dates = match range {
        None => None,
        Some(r) => {
            let date = |name: &str| -> Result<i32, String> {
                let text =
                    r.get(name).and_then(Value::as_str).ok_or(format!("{at}.reportingDateRange.{name}: missing"))?;
                // The calendar date as written: Amazon writes whole days as UTC instants.
                text.get(..10).and_then(parse_date).map(epoch_days).ok_or_else(|| {
                    format!("{at}.reportingDateRange.{name}: not a date: {}", crate::error::printable(text, 60))
                })
            };
            Some((date("reportingDateFrom")?, date("reportingDateTo")?))
        }
    };
    let target = match e.get("targetValue") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.parse().ok(),
        Some(_) => None,
    };
    Ok(AmazonWindow {
        metric,
        dates,
        count: integer(count)?,
        total: integer(total)?,
        rate: fraction("rate")?,
        status: e.get("status").and_then(Value::as_str).map(str::to_string),
        target,
    })
}
