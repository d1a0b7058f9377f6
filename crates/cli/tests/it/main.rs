//! The `orderhealth` command's tests, run as a user runs it, in one binary (each test binary
//! links polars: one link instead of four).

mod cancel_feed;
mod cli;
mod partitions;
mod real_files;
mod reconcile;
mod report_html;
mod store;
mod store_edges;
mod store_integrity;
mod threads;
