//! The pipeline's integration tests, one binary: the reports' rows with their arithmetic.

mod reports;
mod store;
mod types;
