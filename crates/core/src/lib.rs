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

/// Serialised as its `as_str` name and read back from it (file kinds, compressions,
/// encodings in `summary.json` and the store's manifest).
macro_rules! serde_by_name {
    ($t:ty, $all:expr) => {
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $t {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<$t, D::Error> {
                let name = <String as serde::Deserialize>::deserialize(d)?;
                $all.into_iter()
                    .find(|v: &$t| v.as_str() == name)
                    .ok_or_else(|| serde::de::Error::custom(format!("unknown {} {name:?}", stringify!($t))))
            }
        }
    };
}
pub(crate) use serde_by_name;

pub mod amazon;
pub mod book;
pub mod cancel_feed;
pub mod current;
pub mod error;
pub mod inputs;
pub mod kind;
pub mod limits;
pub mod marketplace;
pub mod metric;
pub mod order_index;
pub mod partition;
pub mod policy;
pub mod prefetch;
pub mod read;
pub mod rows;
pub mod scan_map;
pub mod shard;
pub mod source;
pub mod status;
pub mod timestamp;
pub mod tracking;
pub mod view;

/// Short text (order ids, SKUs, codes): stored inline up to 24 bytes, so the millions of
/// ids a run holds cost no allocation each.
pub type Text = compact_str::CompactString;

pub use error::InputError;
pub use inputs::{check_inputs_exist, collect_inputs, load, FileSummary, InputFile, InputFiles, Loaded, Skipped};
pub use kind::FileKind;
pub use marketplace::{Marketplace, SalesChannel};
pub use metric::cancel_rate::{cancel_days, CancelDay};
pub use metric::late_shipment::{late_days, LateDay};
pub use metric::on_time_delivery::OnTimeDay;
pub use metric::valid_tracking::TrackingDay;
pub use metric::{CancelCounts, Counts, DailyCounts, Day, LateCounts, OnTimeCounts, Series, TrackingCounts};
pub use policy::Policy;
pub use read::ReadOptions;
pub use rows::Rejected;
pub use source::EncodingChoice;
pub use status::{Channel, Status};
pub use tracking::{LateDelivery, Package, PackageCounters, Tracking, TrackingBasis};
pub use view::{AutoState, Basis, Class, Lateness, MarketplaceSource, OrderView, View, ViewOptions};
