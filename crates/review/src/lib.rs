//! `report.html` (SPEC §4.1): the review page a compliance reviewer opens offline or attaches
//! to an e-mail. This crate only lays out values it is given ([`Page`]); the pipeline fills
//! them from `summary.json`'s numbers and the report tables, so the page and the files agree.
//!
//! The page is one file: styles inline, charts as inline SVG ([`chart`]), no script, no
//! link to any other file or host, and no clock — the same page gives the same bytes.
//! Templates are [maud](https://maud.lambda.xyz) macros, which escape every value.

pub mod chart;
mod fleet;
mod page;

pub use chart::{Chart, Series};
pub use fleet::{render_fleet, FleetAccount, FleetPage};
pub use orderhealth_core::limits::Verdict;
pub use page::render;

/// Everything the page shows, already in a reader's words and numbers.
#[derive(Debug, Clone, Default)]
pub struct Page {
    /// "as of 2026-03-12T18:00:00Z (the newest observation in the inputs)".
    pub as_of: String,
    pub version: String,
    /// The one-line answer ("BAD in 2 of 5 marketplaces: …").
    pub verdict: String,
    pub breach: bool,
    /// Worst first.
    pub marketplaces: Vec<MarketplaceSection>,
    pub next_steps: Vec<String>,
    pub open_orders: Listing<OpenOrder>,
    pub counted_cancellations: Listing<CountedCancellation>,
    pub tracking_defects: Vec<DefectGroup>,
    pub late_deliveries: Listing<LateDelivery>,
    /// Amazon's numbers beside ours (given a seller performance report), in `reconcile`'s order.
    pub reconcile: Vec<ReconcileLine>,
    pub inputs: InputsSection,
    /// (option, value) of every setting that changes a number.
    pub settings: Vec<(String, String)>,
}

/// One marketplace: its current windows and the rolling series behind them.
#[derive(Debug, Clone, Default)]
pub struct MarketplaceSection {
    pub code: String,
    /// The worst status of its windows.
    pub status: Verdict,
    /// Worst first, one per metric window; a metric's categories are folded into its row's
    /// `note` and listed in `categories`.
    pub rows: Vec<VerdictRow>,
    /// Every category window (valid tracking by category), for the detail below the verdict.
    pub categories: Vec<VerdictRow>,
    pub charts: Vec<Chart>,
}

/// One current window.
#[derive(Debug, Clone, Default)]
pub struct VerdictRow {
    /// `cancel_rate`, `late_shipment/10`, `valid_tracking/Books` …: where the window is in
    /// `summary.json` (`data-window` on the row).
    pub key: String,
    pub metric: String,
    pub window: String,
    pub rate: String,
    pub part: String,
    pub whole: String,
    pub threshold: String,
    pub status: Verdict,
    /// A category beneath the all-categories line.
    pub indent: bool,
    /// Its categories folded ("1/8 BAD: Electronics 80.0%"), empty when none fails.
    pub note: String,
}

/// The first rows of a long list and how many there are in all.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub rows: Vec<T>,
    pub total: usize,
    /// The file that holds them all (`auto_cancel`, `cancellations`).
    pub table: String,
}

impl<T> Default for Listing<T> {
    fn default() -> Self {
        Listing { rows: Vec::new(), total: 0, table: String::new() }
    }
}

#[derive(Debug, Clone, Default)]
pub struct OpenOrder {
    pub order_id: String,
    pub marketplace: String,
    pub purchase: String,
    pub expected_ship: String,
    pub deadline: String,
    pub days_left: String,
    /// `overdue` or `at_risk`.
    pub state: String,
}

#[derive(Debug, Clone, Default)]
pub struct CountedCancellation {
    pub order_id: String,
    pub marketplace: String,
    pub purchase_day: String,
    pub class: String,
    pub rule: String,
    pub reasons: String,
}

/// The packages of one marketplace's current tracking window with one defect.
#[derive(Debug, Clone, Default)]
pub struct DefectGroup {
    pub marketplace: String,
    pub defect: String,
    pub packages: String,
    pub examples: Vec<DefectExample>,
}

#[derive(Debug, Clone, Default)]
pub struct DefectExample {
    pub order_id: String,
    pub ship_date: String,
    pub carrier: String,
    pub tracking_number: String,
    pub suggestion: String,
}

/// One window of Amazon's seller performance report beside ours.
#[derive(Debug, Clone, Default)]
pub struct ReconcileLine {
    pub report: String,
    pub marketplace: String,
    pub metric: String,
    pub window: String,
    pub amazon: String,
    pub ours: String,
    /// `agrees`, `differs` or `not comparable`.
    pub agrees: String,
    /// What could explain a difference ("1 buyer-requested, 4 edge-day").
    pub explain: String,
}

/// A package of a current on-time delivery window not delivered on time.
#[derive(Debug, Clone, Default)]
pub struct LateDelivery {
    pub order_id: String,
    pub marketplace: String,
    pub promised_date: String,
    pub carrier: String,
    pub tracking_number: String,
    /// Empty when not delivered.
    pub delivered: String,
    pub reason: String,
}

#[derive(Debug, Clone, Default)]
pub struct InputsSection {
    /// "12 files, 4,030 rows read = 4,030 used + 0 rejected".
    pub totals: String,
    pub kinds: Vec<KindRow>,
    pub skipped: Listing<(String, String)>,
    /// Encoding doubts, repeated headers, orders counted in the default marketplace…
    pub notes: Vec<String>,
}

/// The files of one kind.
#[derive(Debug, Clone, Default)]
pub struct KindRow {
    pub kind: String,
    pub files: String,
    pub rows_read: String,
    pub rows_used: String,
    pub rows_rejected: String,
    /// Columns no file of this kind's readers knows, each once.
    pub unknown_columns: Vec<String>,
}
