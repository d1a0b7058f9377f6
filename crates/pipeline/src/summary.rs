//! `summary.json` (SPEC §5.6): the run's inputs, settings and the current window of every
//! metric series. The terminal verdict and `report.html` show the same numbers.

use std::collections::BTreeMap;

use orderhealth_core::current::{current_cancel, current_late, current_on_time, current_tracking, Today};
use orderhealth_core::limits::Verdict;
use orderhealth_core::metric::{late_shipment, on_time_delivery};
use orderhealth_core::timestamp::date_of;
use orderhealth_core::view::unsupported_marketplaces;
use orderhealth_core::{AutoState, DailyCounts, FileSummary, Marketplace, MarketplaceSource, OrderView, Skipped};
use serde::{Deserialize, Serialize};

pub use crate::cancel_rate::CancelWindow;
pub use crate::late_shipment::LateWindow;
pub use crate::on_time_delivery::{OnTimeSummary, OnTimeWindow};
pub use crate::valid_tracking::TrackingWindow;

/// The summary's counts of orders beside the metrics. Additive: a store adds its settled
/// orders' counts to those of the orders a report judges.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct OrderCounters {
    /// Orders without an expected ship date (`late_shipment_no_expected_ship_date`).
    pub late_unjudged: u64,
    pub default_marketplace_orders: u64,
    pub unsupported_marketplaces: BTreeMap<String, u64>,
    /// Cancellations counted against the seller with no event or feed row (rule 7).
    pub rule7: u64,
}

impl OrderCounters {
    pub fn of(orders: &[OrderView]) -> OrderCounters {
        let in_metrics = || orders.iter().filter(|o| o.in_metrics());
        OrderCounters {
            late_unjudged: in_metrics().filter(|o| o.late_unjudged).count() as u64,
            default_marketplace_orders: in_metrics()
                .filter(|o| o.marketplace_source == MarketplaceSource::Default)
                .count() as u64,
            unsupported_marketplaces: unsupported_marketplaces(orders),
            rule7: in_metrics().filter(|o| o.rule == Some(7)).count() as u64,
        }
    }

    /// Adds `sign` times `other` (−1 takes counted orders out; a value no order counts on any
    /// more is dropped).
    pub fn combine(&mut self, other: &OrderCounters, sign: i64) {
        let add = |a: u64, b: u64| if sign < 0 { a.saturating_sub(b) } else { a + b };
        self.late_unjudged = add(self.late_unjudged, other.late_unjudged);
        self.default_marketplace_orders = add(self.default_marketplace_orders, other.default_marketplace_orders);
        for (k, v) in &other.unsupported_marketplaces {
            let n = self.unsupported_marketplaces.entry(k.clone()).or_insert(0);
            *n = add(*n, *v);
        }
        self.unsupported_marketplaces.retain(|_, n| *n > 0);
        self.rule7 = add(self.rule7, other.rule7);
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// The program's version.
    pub version: String,
    pub as_of: Option<String>,
    /// The answer in one word: `BAD` (some current window is BAD), `GOOD`, or
    /// [`NO_ORDERS`] when the order reports hold no order row (§1.5: never "within limits").
    pub verdict: String,
    pub auto_cancel_policy: String,
    pub settings: Settings,
    pub inputs: Inputs,
    pub skipped_files: Vec<Skipped>,
    pub rejected_rows: u64,
    pub unsupported_marketplaces: BTreeMap<String, u64>,
    pub unmatched_confirmations: u64,
    pub non_amazon_confirmations: u64,
    pub unsupported_marketplace_confirmations: u64,
    /// Shipped or open MFN Amazon orders the late shipment rate cannot judge.
    pub late_shipment_no_expected_ship_date: u64,
    /// Packages the valid tracking rate placed on their ship day: no promised delivery date,
    /// or `--tracking-basis ship` (§3.3).
    pub valid_tracking_placed_by_ship_day: u64,
    /// Packages judged and waiting in the on-time delivery rate, and why it is empty (§3.7).
    pub on_time_delivery: OnTimeSummary,
    /// Amazon's numbers beside ours, per performance report and marketplace (§3.8); empty
    /// without a report.
    pub reconcile: BTreeMap<String, BTreeMap<String, Vec<crate::reconcile::ReconcileEntry>>>,
    /// MFN orders with neither a sales-channel nor a marketplace e-mail: counted in
    /// `settings.default_marketplace` (§1.4).
    pub default_marketplace_orders: u64,
    /// Cancelled orders no event or feed row explains, charged to the seller by rule 7 of
    /// §2.1: the cancellation event log or the seller's uploaded feeds would classify them.
    pub cancelled_without_explanation: u64,
    pub auto_cancel: AutoCancelCounts,
    /// Per marketplace: the window of each metric that ends on as_of's local date.
    pub current: BTreeMap<String, MarketplaceCurrent>,
    /// Per marketplace: valid tracking over all categories, each package once. For display
    /// only (the terminal, `report.html`); not in `summary.json` (§5.6).
    #[serde(skip)]
    pub tracking_all_categories: BTreeMap<String, TrackingWindow>,
}

/// Every option that changes a number (§5.6).
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    /// `--as-of` as given (`null`: the newest observation in the inputs).
    pub as_of: Option<String>,
    pub auto_cancel_policy: String,
    pub warn_days: i64,
    pub scan_grace_days: i64,
    /// `--tracking-basis`: `promise` (Amazon's) or `ship` (§3.3).
    pub tracking_basis: String,
    /// `--tz` (`null`: each marketplace's own zone).
    pub tz: Option<String>,
    pub default_marketplace: String,
    pub encoding: String,
    pub strict: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Inputs {
    pub files: Vec<FileSummary>,
    pub rows_read: u64,
    pub rows_rejected: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoCancelCounts {
    pub auto_cancelled: u64,
    pub overdue: u64,
    pub at_risk: u64,
}

impl AutoCancelCounts {
    /// The counts of `orders` (those in the metrics).
    pub fn of(orders: &[OrderView]) -> AutoCancelCounts {
        let mut counts = AutoCancelCounts::default();
        for o in orders.iter().filter(|o| o.in_metrics()) {
            match o.auto_state {
                Some(AutoState::AutoCancelled) => counts.auto_cancelled += 1,
                Some(AutoState::Overdue) => counts.overdue += 1,
                Some(AutoState::AtRisk) => counts.at_risk += 1,
                None => {}
            }
        }
        counts
    }

    /// Both sets of orders' counts.
    pub fn add(&mut self, other: &AutoCancelCounts) {
        self.auto_cancelled += other.auto_cancelled;
        self.overdue += other.overdue;
        self.at_risk += other.at_risk;
    }
}

/// The current windows of one marketplace; a metric with no row in its table is `null`
/// (cancel rate, late shipment) or absent (valid tracking categories).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MarketplaceCurrent {
    pub cancel_rate: Option<CancelWindow>,
    /// By window length in days: `"10"` and `"30"`.
    pub late_shipment: Option<BTreeMap<String, LateWindow>>,
    /// By category (`""` for orders without a catalogued SKU).
    pub valid_tracking: BTreeMap<String, TrackingWindow>,
    /// By window length in days: `"14"` and `"30"`.
    pub on_time_delivery: Option<BTreeMap<String, OnTimeWindow>>,
}

impl Inputs {
    pub fn new(files: &[FileSummary]) -> Inputs {
        Inputs {
            rows_read: files.iter().map(|f| f.rows_read).sum(),
            rows_rejected: files.iter().map(|f| f.rows_rejected).sum(),
            files: files.to_vec(),
        }
    }
}

impl MarketplaceCurrent {
    /// Every marketplace's current window of every metric, summed from the per-day counts
    /// the tables are made of.
    pub fn all(daily: &DailyCounts, today: &Today) -> BTreeMap<String, MarketplaceCurrent> {
        let mut current: BTreeMap<String, MarketplaceCurrent> = BTreeMap::new();
        fn entry(c: &mut BTreeMap<String, MarketplaceCurrent>, m: Marketplace) -> &mut MarketplaceCurrent {
            c.entry(m.code().to_string()).or_default()
        }
        for (m, w) in current_cancel(&daily.cancel, today) {
            entry(&mut current, m).cancel_rate = Some(CancelWindow::of(&w));
        }
        for (m, windows) in current_late(&daily.late, today) {
            let by_len = late_shipment::WINDOWS.iter().zip(&windows);
            let by_len = by_len.map(|(n, w)| (n.to_string(), LateWindow::of(w)));
            entry(&mut current, m).late_shipment = Some(by_len.collect());
        }
        for (m, windows) in current_on_time(&daily.on_time, today) {
            let by_len = on_time_delivery::WINDOWS.iter().zip(&windows);
            let by_len = by_len.map(|(n, w)| (n.to_string(), OnTimeWindow::of(w)));
            entry(&mut current, m).on_time_delivery = Some(by_len.collect());
        }
        for ((m, category), w) in current_tracking(&daily.tracking, today) {
            entry(&mut current, m).valid_tracking.insert(category.to_string(), TrackingWindow::of(&w));
        }
        current
    }
}

/// A local day as `YYYY-MM-DD`.
pub(crate) fn day(d: i32) -> String {
    date_of(d).to_string()
}

/// The verdict of inputs whose order reports hold no order row.
pub const NO_ORDERS: &str = "no orders in the inputs";

impl Summary {
    /// The verdict of these windows: [`NO_ORDERS`] when `no_orders`, else `BAD` or `GOOD`.
    pub fn verdict_of(&self, no_orders: bool) -> &'static str {
        match (no_orders, self.breach()) {
            (true, _) => NO_ORDERS,
            (false, true) => Verdict::Bad.as_str(),
            (false, false) => Verdict::Good.as_str(),
        }
    }

    /// The order reports held no order row.
    pub fn no_orders(&self) -> bool {
        self.verdict == NO_ORDERS
    }

    /// Every current window's status.
    pub fn statuses(&self) -> impl Iterator<Item = Verdict> + '_ {
        self.current.values().flat_map(|m| {
            m.cancel_rate
                .iter()
                .map(|w| w.status)
                .chain(m.late_shipment.iter().flat_map(|l| l.values().map(|w| w.status)))
                .chain(m.valid_tracking.values().map(|w| w.status))
                .chain(m.on_time_delivery.iter().flat_map(|l| l.values().map(|w| w.status)))
        })
    }

    /// Some `reconcile` row does not agree (`--fail-on-mismatch`, exit 4).
    pub fn mismatch(&self) -> bool {
        self.reconcile.values().flat_map(|m| m.values().flatten()).any(|r| r.agrees == Some(false))
    }

    /// Some metric's current window is BAD (`--fail-on-breach`; auto_cancel never counts).
    pub fn breach(&self) -> bool {
        self.statuses().any(|s| s == Verdict::Bad)
    }
}
