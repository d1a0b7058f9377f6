//! The scale-out seam (docs/SCALE-OUT.md): what one partition of the orders contributes, and
//! how the partitions' contributions add up.
//!
//! A partition is one shard of order ids ([`crate::shard::shard_of`]); the store keeps every
//! per-order row with its shard. Everything an order's numbers need is in its own partition,
//! so a distributed run gives each worker one partition: fold its rows ([`BookShard`]),
//! merge and classify each order, count per (marketplace, local day). The only global value
//! is `as_of` (the newest observation of all partitions, a max, taken first). The per-day
//! counts of the partitions are then summed (`DailyCounts + DailyCounts`) and the rolling windows
//! run on those small sums. Valid tracking also needs the scans and the catalog, keyed by
//! tracking number and SKU: small tables a distributed run would broadcast to every worker.

use std::collections::BTreeMap;

use crate::book::{Book, BookShard};
use crate::daily::{cancel_days, late_days, CancelCounts, CancelDay, LateCounts, LateDay};
use crate::marketplace::Marketplace;
use crate::shard::SHARDS;
use crate::timestamp::Micros;
use crate::view::{View, ViewOptions};

/// One partition's (or a sum of partitions') per-day counts, sorted by marketplace, day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyCounts {
    pub cancel: Vec<CancelDay>,
    pub late: Vec<LateDay>,
}

/// The newest observation of a partition: the first, global step (a max over partitions).
pub fn newest_observation(part: &BookShard) -> Option<Micros> {
    part.newest_observation()
}

/// Per partition `index`: fold, merge and classify each order as of `as_of` (`--as-of`, else
/// the max of [`newest_observation`] over all partitions), count per day.
pub fn partition_counts(index: usize, part: BookShard, opts: &ViewOptions, as_of: Option<Micros>) -> DailyCounts {
    let mut shards: Vec<BookShard> = (0..SHARDS).map(|_| BookShard::default()).collect();
    if let Some(slot) = shards.get_mut(index) {
        *slot = part;
    }
    let mut book = Book::from_shards(shards);
    let opts = ViewOptions { as_of: opts.as_of.or(as_of), ..opts.clone() };
    let view = View::build(&mut book, &opts);
    DailyCounts { cancel: cancel_days(&view.orders), late: late_days(&view.orders) }
}

/// The sum of two partitions' counts: per-day counts are additive.
impl std::ops::Add for DailyCounts {
    type Output = DailyCounts;

    fn add(self, other: DailyCounts) -> DailyCounts {
        fn sum<C: Copy + Default>(
            a: impl IntoIterator<Item = (Marketplace, i32, C)>,
            add: fn(&mut C, C),
        ) -> Vec<(Marketplace, i32, C)> {
            let mut m: BTreeMap<(&'static str, i32), (Marketplace, C)> = BTreeMap::new();
            for (mk, day, c) in a {
                add(&mut m.entry((mk.code(), day)).or_insert((mk, C::default())).1, c);
            }
            m.into_iter().map(|((_, day), (mk, c))| (mk, day, c)).collect()
        }
        let cancel = sum(
            self.cancel.into_iter().chain(other.cancel).map(|d| (d.marketplace, d.day, d.counts)),
            CancelCounts::add,
        );
        let late =
            sum(self.late.into_iter().chain(other.late).map(|d| (d.marketplace, d.day, d.counts)), LateCounts::add);
        DailyCounts {
            cancel: cancel
                .into_iter()
                .map(|(marketplace, day, counts)| CancelDay { marketplace, day, counts })
                .collect(),
            late: late.into_iter().map(|(marketplace, day, counts)| LateDay { marketplace, day, counts }).collect(),
        }
    }
}
