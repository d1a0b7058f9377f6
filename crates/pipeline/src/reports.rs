//! The tables of one report run, by name: what `run_report` computes and what the writers,
//! `report.html` and the callers read.

use polars::prelude::DataFrame;

use crate::tables;

/// Every table of a report run, computed from one view.
pub struct Reports {
    pub cancel_rate: DataFrame,
    pub cancel_reasons: DataFrame,
    pub auto_cancel: DataFrame,
    pub valid_tracking: DataFrame,
    pub tracking_defects: DataFrame,
    pub late_shipment: DataFrame,
    pub cancellations: DataFrame,
    pub on_time_delivery: DataFrame,
    /// The judged packages not delivered on time, by promised date (the evidence).
    pub late_deliveries: DataFrame,
    /// Amazon's numbers beside ours: only when a performance report is given (§3.8).
    pub reconcile: Option<DataFrame>,
    /// The orders that could explain a window that does not agree (with `reconcile`).
    pub reconcile_orders: Option<DataFrame>,
}

impl Reports {
    /// (table name, frame), in the order of [`tables::REPORT_TABLES`].
    pub fn tables(&self) -> Vec<(&'static str, &DataFrame)> {
        let mut tables = vec![
            (tables::CANCEL_RATE, &self.cancel_rate),
            (tables::CANCEL_REASONS, &self.cancel_reasons),
            (tables::AUTO_CANCEL, &self.auto_cancel),
            (tables::VALID_TRACKING, &self.valid_tracking),
            (tables::TRACKING_DEFECTS, &self.tracking_defects),
            (tables::LATE_SHIPMENT, &self.late_shipment),
            (tables::CANCELLATIONS, &self.cancellations),
            (tables::ON_TIME_DELIVERY, &self.on_time_delivery),
            (tables::LATE_DELIVERIES, &self.late_deliveries),
        ];
        tables.extend(self.reconcile.as_ref().map(|df| (tables::RECONCILE, df)));
        tables.extend(self.reconcile_orders.as_ref().map(|df| (tables::RECONCILE_ORDERS, df)));
        tables
    }
}
