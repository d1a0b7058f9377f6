//! `summary.json` (SPEC §5.6) and the terminal summary printed at the end of a run.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use orderhealth_core::{FileSummary, Skipped};
use polars::prelude::*;
use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub as_of: Option<String>,
    pub auto_cancel_policy: String,
    pub inputs: Inputs,
    pub skipped_files: Vec<SkippedFile>,
    pub rejected_rows: u64,
    pub unsupported_marketplaces: BTreeMap<String, u64>,
    pub unmatched_confirmations: u64,
    pub non_amazon_confirmations: u64,
    pub unsupported_marketplace_confirmations: u64,
    pub auto_cancel: AutoCancelCounts,
    pub latest: Latest,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub files: Vec<InputFileSummary>,
    pub rows_read: u64,
    pub rows_rejected: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct InputFileSummary {
    pub path: String,
    pub kind: String,
    pub compression: String,
    pub encoding: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
    pub unknown_columns: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SkippedFile {
    pub path: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct AutoCancelCounts {
    pub auto_cancelled: u64,
    pub overdue: u64,
    pub at_risk: u64,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Latest {
    pub cancel_rate: Vec<LatestWindow>,
    pub valid_tracking: Vec<LatestWindow>,
}

/// The last window of one metric series.
#[derive(Debug, Clone, Serialize)]
pub struct LatestWindow {
    pub marketplace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub window_start: String,
    pub window_end: String,
    /// Orders (cancel rate) or packages (valid tracking) in the window.
    pub count: i64,
    pub rate: Option<f64>,
    pub status: String,
}

impl Inputs {
    pub fn new(files: &[FileSummary]) -> Inputs {
        Inputs {
            rows_read: files.iter().map(|f| f.rows_read).sum(),
            rows_rejected: files.iter().map(|f| f.rows_rejected).sum(),
            files: files
                .iter()
                .map(|f| InputFileSummary {
                    path: f.path.clone(),
                    kind: f.kind.as_str().into(),
                    compression: f.compression.as_str().into(),
                    encoding: f.encoding.as_str().into(),
                    rows_read: f.rows_read,
                    rows_used: f.rows_used(),
                    rows_rejected: f.rows_rejected,
                    unknown_columns: f.unknown_columns.clone(),
                })
                .collect(),
        }
    }
}

pub fn skipped_files(skipped: &[Skipped]) -> Vec<SkippedFile> {
    skipped.iter().map(|s| SkippedFile { path: s.path.clone(), reason: s.reason.clone() }).collect()
}

/// The row with the greatest `window_end` of each group of a sorted report table.
pub fn latest_windows(df: &DataFrame, count_column: &str, with_category: bool) -> PolarsResult<Vec<LatestWindow>> {
    let text = |name: &str| -> PolarsResult<Vec<Option<String>>> {
        Ok(df.column(name)?.str()?.iter().map(|v| v.map(String::from)).collect())
    };
    let day = |name: &str| -> PolarsResult<Vec<Option<i32>>> {
        Ok(df.column(name)?.cast(&DataType::Int32)?.i32()?.iter().collect())
    };
    let marketplace = text("marketplace")?;
    let category = if with_category { text("category")? } else { vec![None; df.height()] };
    let (start, end) = (day("window_start")?, day("window_end")?);
    let count: Vec<Option<i64>> = df.column(count_column)?.i64()?.iter().collect();
    let rate: Vec<Option<f64>> = df.column("rate")?.f64()?.iter().collect();
    let status = text("status")?;
    let mut latest: BTreeMap<(Option<String>, Option<String>), LatestWindow> = BTreeMap::new();
    let date = |d: Option<i32>| d.map(|d| orderhealth_core::timestamp::date_of(d).to_string()).unwrap_or_default();
    for i in 0..df.height() {
        let key = (marketplace[i].clone(), category[i].clone());
        let row = LatestWindow {
            marketplace: marketplace[i].clone().unwrap_or_default(),
            category: category[i].clone(),
            window_start: date(start[i]),
            window_end: date(end[i]),
            count: count[i].unwrap_or(0),
            rate: rate[i],
            status: status[i].clone().unwrap_or_default(),
        };
        match latest.get(&key) {
            Some(prev) if prev.window_end >= row.window_end => {}
            _ => {
                latest.insert(key, row);
            }
        }
    }
    Ok(latest.into_values().collect())
}

impl Summary {
    /// Some metric's latest window is BAD (`--fail-on-breach`; auto_cancel never counts).
    pub fn breach(&self) -> bool {
        self.latest.cancel_rate.iter().chain(&self.latest.valid_tracking).any(|w| w.status == "BAD")
    }

    /// The summary a person reads at the end of a run.
    pub fn render(&self) -> String {
        let mut s = String::new();
        let pct = |r: Option<f64>| r.map(|r| format!("{:.2}%", r * 100.0)).unwrap_or_else(|| "-".into());
        let _ = writeln!(s, "as of {}", self.as_of.as_deref().unwrap_or("(no observations)"));
        let mut marketplaces: Vec<&str> =
            self.latest.cancel_rate.iter().chain(&self.latest.valid_tracking).map(|w| w.marketplace.as_str()).collect();
        marketplaces.sort();
        marketplaces.dedup();
        for m in marketplaces {
            let _ = writeln!(s, "{m}");
            for w in self.latest.cancel_rate.iter().filter(|w| w.marketplace == m) {
                let _ = writeln!(
                    s,
                    "  cancel rate     {} .. {}  {:>8}  {:>4}  ({} orders)",
                    w.window_start,
                    w.window_end,
                    pct(w.rate),
                    w.status,
                    w.count
                );
            }
            for w in self.latest.valid_tracking.iter().filter(|w| w.marketplace == m) {
                let category = match w.category.as_deref() {
                    Some(c) if !c.is_empty() => format!(" [{c}]"),
                    _ => String::new(),
                };
                let _ = writeln!(
                    s,
                    "  valid tracking  {} .. {}  {:>8}  {:>4}  ({} packages){category}",
                    w.window_start,
                    w.window_end,
                    pct(w.rate),
                    w.status,
                    w.count
                );
            }
        }
        let a = &self.auto_cancel;
        let _ = writeln!(
            s,
            "auto-cancel: {} auto-cancelled, {} overdue, {} at risk",
            a.auto_cancelled, a.overdue, a.at_risk
        );
        let _ = writeln!(
            s,
            "inputs: {} files, {} rows read, {} rejected (see rejected.tsv), {} skipped files",
            self.inputs.files.len(),
            self.inputs.rows_read,
            self.rejected_rows,
            self.skipped_files.len()
        );
        let _ = writeln!(
            s,
            "confirmations left out: {} unmatched, {} non-Amazon, {} unsupported marketplace",
            self.unmatched_confirmations, self.non_amazon_confirmations, self.unsupported_marketplace_confirmations
        );
        s
    }
}
