//! orderhealth-core's integration tests, one binary (fewer to link): reading every format,
//! the merge rules, the cancellation feed, the scale-out seam and the reader's properties.

mod cancel_feed;
mod common;
mod formats;
mod merge_rules;
mod partition;
mod reader_props;
mod sp_api;
