//! The scale-out seam (docs/SCALE-OUT.md): what one partition of the orders contributes, and
//! how the partitions' contributions add up.
//!
//! A partition is one shard of order ids ([`crate::shard::shard_of`]); the store keeps every
//! per-order row with its shard. Everything an order's numbers need is in its own partition,
//! so a distributed run gives each worker one partition: fold its rows ([`BookShard`]),
//! merge and classify each order, count per (marketplace, local day). The only global value
//! is `as_of` (the newest observation of all partitions, a max, taken first). The per-day
//! counts of the partitions are then summed (`DailyCounts + DailyCounts`, [`crate::metric`]) and the rolling windows
//! run on those small sums. Valid tracking also needs the scans and the catalog, keyed by
//! tracking number and SKU: small tables a distributed run would broadcast to every worker.

use crate::book::{Book, BookShard};
pub use crate::metric::DailyCounts;
use crate::shard::SHARDS;
use crate::timestamp::Micros;
use crate::view::{View, ViewOptions};

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
    DailyCounts::of_orders(&view.orders)
}
