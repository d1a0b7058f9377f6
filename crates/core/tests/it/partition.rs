//! The scale-out seam: per-partition counts, summed, equal the counts of the whole view.

use crate::common::*;
use orderhealth_core::partition::{newest_observation, partition_counts, DailyCounts};
use orderhealth_core::{cancel_days, late_days, ReadOptions, ViewOptions};

#[test]
fn partitions_counted_apart_and_summed_give_the_whole_counts() {
    let inputs = [testdata("sample")];
    let opts = ViewOptions::default();
    let (_, whole) = load_view(&inputs, &ReadOptions::default(), &opts);
    let expected =
        DailyCounts { cancel: cancel_days(&whole.orders), late: late_days(&whole.orders), ..DailyCounts::default() };
    assert!(expected.cancel.len() > 40 && expected.late.len() > 40, "the sample has many days");

    let parts = try_load(&inputs, &ReadOptions::default()).unwrap().book.into_shards();
    // First the one global value (a max), then each partition alone, then a sum.
    let as_of = parts.iter().filter_map(newest_observation).max();
    assert_eq!(as_of, whole.as_of);
    let summed = parts
        .into_iter()
        .enumerate()
        .map(|(i, part)| partition_counts(i, part, &opts, as_of))
        .fold(DailyCounts::default(), |sum, part| sum + part);
    assert_eq!(summed, expected);
}
