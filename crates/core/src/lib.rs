//! orderhealth-core: from downloaded Amazon report dumps to one classified view of each order.
//!
//! The flow, one module per step:
//! [`inputs`] finds the files and reads them in parallel with [`read`] (the TSV reader, over
//! [`source`] for compression and encoding, recognising each file's [`kind`]);
//! [`book`] folds every file into one state per order; [`view`] merges and classifies each
//! order (SPEC §2); [`tracking`] joins shipment confirmations to orders into judged packages.
//! No polars here: this crate builds and tests in seconds. The reports are built from its
//! output by the `orderhealth` crate.

// Input-dependent indexing is reviewed: a panic on a bad file is a bug (issue: no input can
// panic). Each place that indexes says why its index is in bounds.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

pub mod book;
pub mod cancel_feed;
pub mod current;
pub mod daily;
pub mod error;
pub mod inputs;
pub mod kind;
pub mod limits;
pub mod marketplace;
pub mod partition;
pub mod policy;
pub mod read;
pub mod rows;
pub mod shard;
pub mod source;
pub mod status;
pub mod timestamp;
pub mod tracking;
pub mod view;

/// Short text (order ids, SKUs, codes): stored inline up to 24 bytes, so the millions of
/// ids a run holds cost no allocation each.
pub type Text = compact_str::CompactString;

pub use daily::{cancel_days, late_days, CancelCounts, CancelDay, LateCounts, LateDay};
pub use error::InputError;
pub use inputs::{collect_inputs, load, FileSummary, InputFile, InputFiles, Loaded, Skipped};
pub use kind::FileKind;
pub use marketplace::{Marketplace, SalesChannel};
pub use policy::Policy;
pub use read::ReadOptions;
pub use rows::Rejected;
pub use source::EncodingChoice;
pub use status::{Channel, Status};
pub use tracking::{Package, Tracking, TrackingDay};
pub use view::{AutoState, Basis, Class, Lateness, MarketplaceSource, OrderView, View, ViewOptions};
