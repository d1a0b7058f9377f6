//! orderhealth: the account-health reports of SPEC §3–§4 built on the merged order view of
//! `orderhealth-core`.
//!
//! The core hands over plain vectors (one merged row per order, one judged row per
//! package); this crate turns them into polars frames and runs one small lazy plan per
//! report ([`cancel_rate`], [`auto_cancel`], [`valid_tracking`]), all sharing the rolling
//! day windows of [`windows`], plus [`late_shipment`] and the evidence tables
//! [`cancellations`]. [`run`] computes the reports concurrently from one read of the inputs
//! and [`output`] swaps them into `--out` as a whole. Table names and column orders live in
//! [`tables`]; [`summary`], [`verdict`] and [`report_page`] (`report.html`, laid out by
//! `orderhealth-review`) are what a person reads.

pub mod auto_cancel;
pub mod cancel_feed;
pub mod cancel_rate;
pub mod cancellations;
pub mod error;
pub mod fleet;
pub mod late_shipment;
pub mod messages;
pub mod metrics;
pub mod on_time_delivery;
pub mod orders;
pub mod output;
mod parquet;
pub mod reconcile;
pub mod report_page;
pub mod reports;
pub mod run;
pub mod store;
pub mod summary;
pub mod tables;
pub mod valid_tracking;
pub mod verdict;
pub mod windows;
pub mod words;

pub use error::{exit_code, UsageError};
pub use output::Format;
pub use reports::Reports;
pub use run::{
    run_orders, run_partition, run_report, run_report_from_parts, OrdersOutcome, PartitionOutcome, Progress, Quiet,
    ReportOutcome, RunOptions,
};
pub use summary::Summary;

/// Runs `job` on polars' thread pool, so that the run has one pool: our parallel loops and
/// polars' share its threads, and a polars call made from one of them runs there instead of
/// being handed to a second pool and waited for (docs/BENCHMARKS.md). The pool is sized when
/// it first starts, from `POLARS_MAX_THREADS` (one thread per core without it).
pub fn on_the_pool<R: Send>(job: impl FnOnce() -> R + Send) -> R {
    polars_core::runtime::THREAD_POOL.install(job)
}
