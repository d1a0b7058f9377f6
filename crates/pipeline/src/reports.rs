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
}

impl Reports {
    /// (table name, frame), in the order of [`tables::REPORT_TABLES`].
    pub fn tables(&self) -> [(&'static str, &DataFrame); 7] {
        [
            (tables::CANCEL_RATE, &self.cancel_rate),
            (tables::CANCEL_REASONS, &self.cancel_reasons),
            (tables::AUTO_CANCEL, &self.auto_cancel),
            (tables::VALID_TRACKING, &self.valid_tracking),
            (tables::TRACKING_DEFECTS, &self.tracking_defects),
            (tables::LATE_SHIPMENT, &self.late_shipment),
            (tables::CANCELLATIONS, &self.cancellations),
        ]
    }
}
