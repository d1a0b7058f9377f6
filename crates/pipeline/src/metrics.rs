//! The registry of the metrics' words: what each metric says on the terminal and in
//! `report.html` ([`MetricWords`], defined in the metric's own module), in the order they are
//! shown. The terminal verdict, the "next" lines and the page's charts loop over [`METRICS`];
//! a new metric adds its entry here.

use orderhealth_core::limits::{Limit, Verdict};
use polars::prelude::PolarsResult;

use crate::reports::Reports;
use crate::summary::{MarketplaceCurrent, Summary};
use crate::tables::ChartPoint;
use crate::{cancel_rate, late_shipment, on_time_delivery, valid_tracking};

/// One line of the verdict table.
pub struct MetricLine<'a> {
    pub marketplace: &'a str,
    /// Where the window is in `summary.json`'s `current` (`late_shipment/10`,
    /// `valid_tracking/Books`); `valid_tracking` alone for the all-categories line.
    pub key: String,
    pub metric: String,
    pub window_start: &'a str,
    pub window_end: &'a str,
    pub rate: Option<f64>,
    pub part: i64,
    pub whole: i64,
    pub limit: &'static Limit,
    pub status: Verdict,
    /// A failing category shown beneath its marketplace's all-categories line.
    pub indent: bool,
}

/// What a metric says on the terminal and the page.
pub struct MetricWords {
    /// The lines of one marketplace's current windows (`all_categories`: every category,
    /// not only those that fail).
    pub lines: for<'a> fn(&'a Summary, &'a str, &'a MarketplaceCurrent, bool) -> Vec<MetricLine<'a>>,
    /// What to do when it fails somewhere (`None`: it fails nowhere).
    pub next_step: fn(&Summary) -> Option<String>,
    pub limit: &'static Limit,
    /// Its name in a column of the terminal's table (`late` → `late 10d`).
    pub short_name: &'static str,
    /// `report.html`'s chart: its name, its series in the order shown (key, name; others
    /// follow as categories), and its points, from the metric's table.
    pub chart_name: &'static str,
    pub chart_series: &'static [(&'static str, &'static str)],
    pub chart_points: fn(&Reports) -> PolarsResult<Vec<ChartPoint<'_>>>,
}

/// The registry of the metrics' words.
pub const METRICS: [MetricWords; 4] =
    [cancel_rate::WORDS, late_shipment::WORDS, valid_tracking::WORDS, on_time_delivery::WORDS];

/// The marketplaces a metric fails in, and what the current windows count there.
#[derive(Default)]
pub struct Failing {
    pub marketplaces: Vec<String>,
    pub count: i64,
    pub other: i64,
}

impl Failing {
    pub fn add(&mut self, marketplace: &str, count: i64, other: i64) {
        self.marketplaces.push(marketplace.to_string());
        self.count += count;
        self.other += other;
    }
}
