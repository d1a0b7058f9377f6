//! A settled directory's lists as read: which orders are settled (by id hash), the segment
//! that holds each one's rows, and the packages a later scan could change (by number hash).
//!
//! They are kept in generations (one per base's judging, docs/STORE.md), each sorted by
//! partition, then hash. A reader looks entries up generation by generation and never merges
//! them: a report asks about the orders of its layers (tens of thousands) among the settled
//! ones (most of a million), and merging every generation's lists into one sorted list per
//! partition was 14% of a layer night's CPU at the 58th night of the 1 M-order benchmark.

use std::ops::Range;
use std::path::Path;

use anyhow::{Context, Result};
use orderhealth_core::shard::SHARDS;
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{list_file, read_parquet, shard_dir, LISTS};

/// Every generation's lists, and which orders later generations dropped.
pub(in crate::store) struct Lists {
    /// Oldest first.
    generations: Vec<Generation>,
    /// Per shard: the newest generation that dropped each order (judged it again: settled
    /// again, it is in that generation's list; live now, in none).
    dropped: Vec<FxHashMap<u64, u32>>,
}

/// One generation's lists: three tables as read, each shard's rows one run.
struct Generation {
    number: u32,
    /// The settled orders' id hashes; beside them the segment holding each one's rows
    /// (`None`: a directory written before segments were recorded).
    id_hash: UInt64Chunked,
    segment: Option<UInt32Chunked>,
    ids: Vec<Range<usize>>,
    /// The watched packages: number hash, and the hash of the order's id.
    number_hash: UInt64Chunked,
    order_hash: UInt64Chunked,
    watch: Vec<Range<usize>>,
}

/// The hashes of the numbers the layers scanned, as [`Lists::scanned`] looks each watched
/// package up among them: most of a million lookups a night (every generation's watch lists)
/// into a set of tens of thousands, larger than a core's cache. A bitmap of them that fits in
/// it answers most lookups with one bit; only a set bit asks the set.
pub(in crate::store) struct Scanned {
    bits: Vec<u64>,
    /// Which bits of a hash pick its bit: the bitmap holds a power of two of them.
    mask: u64,
    set: FxHashSet<u64>,
}

impl Scanned {
    /// About sixteen bits a hash (one lookup in twenty of a hash not there reaches the set),
    /// from 4,096 to 16 M bits (2 MiB).
    pub fn of(hashes: impl IntoIterator<Item = u64>) -> Scanned {
        let set: FxHashSet<u64> = hashes.into_iter().collect();
        let n_bits = (set.len() * 16).next_power_of_two().clamp(1 << 12, 1 << 24);
        let mask = n_bits as u64 - 1;
        let mut bits = vec![0u64; n_bits / 64];
        for h in &set {
            let bit = h & mask;
            if let Some(word) = bits.get_mut((bit / 64) as usize) {
                *word |= 1 << (bit % 64);
            }
        }
        Scanned { bits, mask, set }
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }

    pub fn contains(&self, hash: u64) -> bool {
        let bit = hash & self.mask;
        self.bits.get((bit / 64) as usize).is_some_and(|word| word & (1 << (bit % 64)) != 0) && self.set.contains(&hash)
    }
}

/// A column's values as one slice: checked to be one chunk without nulls when read.
fn values<T: PolarsNumericType>(ca: &ChunkedArray<T>) -> &[T::Native] {
    ca.cont_slice().unwrap_or_default()
}

/// A column of `df` as one chunk without nulls (a damaged or foreign table is an error).
fn column<T: PolarsNumericType>(df: &DataFrame, name: &str) -> Result<ChunkedArray<T>> {
    let ca = df.column(name)?.as_materialized_series().unpack::<T>()?.rechunk().into_owned();
    anyhow::ensure!(ca.null_count() == 0 && (ca.is_empty() || ca.cont_slice().is_ok()), "nulls in {name}");
    Ok(ca)
}

/// Each shard's run of a table sorted by `shard`.
fn runs(df: &DataFrame) -> Result<Vec<Range<usize>>> {
    let shard = column::<UInt32Type>(df, "shard")?;
    let shards = values(&shard);
    anyhow::ensure!(shards.is_sorted(), "a list not sorted by shard");
    let starts: Vec<usize> = (0..=SHARDS as u32).map(|s| shards.partition_point(|&x| x < s)).collect();
    anyhow::ensure!(starts.last() == Some(&shards.len()), "a shard out of range");
    Ok(starts.windows(2).map(|w| w[0]..w[1]).collect())
}

impl Generation {
    fn read(dir: &Path, number: u32) -> Result<(Generation, Vec<(usize, u64)>)> {
        let table = |list: &str| -> Result<DataFrame> {
            read_parquet(&dir.join(list_file(list, number)))?
                .with_context(|| format!("no {list} of generation {number}"))
        };
        let [settled, watched, dropped] = [table(LISTS[0])?, table(LISTS[1])?, table(LISTS[2])?];
        let generation = Generation {
            number,
            id_hash: column(&settled, "id_hash")?,
            segment: Some(column(&settled, "segment")?),
            ids: runs(&settled)?,
            number_hash: column(&watched, "number_hash")?,
            order_hash: column(&watched, "order_hash")?,
            watch: runs(&watched)?,
        };
        let shard = column::<UInt32Type>(&dropped, "shard")?;
        let id = column::<UInt64Type>(&dropped, "id_hash")?;
        let dropped = values(&shard).iter().map(|&s| s as usize).zip(values(&id).iter().copied()).collect();
        Ok((generation, dropped))
    }

    /// Shard `i`'s settled orders' id hashes (sorted) and their segments (empty: not known).
    fn ids(&self, i: usize) -> (&[u64], &[u32]) {
        let run = self.ids.get(i).cloned().unwrap_or_default();
        let ids = values(&self.id_hash).get(run.clone()).unwrap_or_default();
        let segments = self.segment.as_ref().and_then(|s| values(s).get(run)).unwrap_or_default();
        (ids, segments)
    }

    /// Shard `i`'s watched packages: number hashes (sorted) and their orders' id hashes.
    fn watch(&self, i: usize) -> (&[u64], &[u64]) {
        let run = self.watch.get(i).cloned().unwrap_or_default();
        (
            values(&self.number_hash).get(run.clone()).unwrap_or_default(),
            values(&self.order_hash).get(run).unwrap_or_default(),
        )
    }
}

/// The positions of `keys` (sorted) whose value is in `probes` (sorted): one walk through
/// both.
fn matches<'a>(keys: &'a [u64], probes: &'a [u64]) -> impl Iterator<Item = usize> + 'a {
    let mut k = 0;
    keys.iter().enumerate().filter_map(move |(at, key)| {
        while probes.get(k).is_some_and(|p| p < key) {
            k += 1;
        }
        (probes.get(k) == Some(key)).then_some(at)
    })
}

impl Lists {
    /// The lists of a directory in `generations` (oldest first).
    pub fn read(dir: &Path, generations: &[u32]) -> Result<Lists> {
        let read: Vec<(Generation, Vec<(usize, u64)>)> =
            generations.par_iter().map(|&g| Generation::read(dir, g)).collect::<Result<_>>()?;
        let mut dropped: Vec<FxHashMap<u64, u32>> = (0..SHARDS).map(|_| FxHashMap::default()).collect();
        let mut lists = Vec::with_capacity(read.len());
        for (generation, drops) in read {
            for (s, h) in drops {
                let by = dropped.get_mut(s).context("a shard out of range")?.entry(h).or_insert(0);
                *by = (*by).max(generation.number);
            }
            lists.push(generation);
        }
        Ok(Lists { generations: lists, dropped })
    }

    /// The lists of a directory written with one of each per shard (before generations).
    pub fn read_per_shard(dir: &Path) -> Result<Lists> {
        type Read = (Vec<(u64, u32)>, bool, Vec<(u64, u64)>);
        let read: Vec<Read> = (0..SHARDS)
            .into_par_iter()
            .map(|i| -> Result<Read> {
                let dir = shard_dir(dir, i);
                let ids = read_parquet(&dir.join("settled_ids.parquet"))?.context("no settled ids")?;
                let watch = read_parquet(&dir.join("scan_watch.parquet"))?.context("no scan watch list")?;
                let hashes = column::<UInt64Type>(&ids, "id_hash")?;
                // Written since the segments were recorded; an older directory has none.
                let segments =
                    ids.column("segment").is_ok().then(|| column::<UInt32Type>(&ids, "segment")).transpose()?;
                let mut ids: Vec<(u64, u32)> = match &segments {
                    Some(s) => values(&hashes).iter().copied().zip(values(s).iter().copied()).collect(),
                    None => values(&hashes).iter().map(|&h| (h, 0)).collect(),
                };
                let (number, order) =
                    (column::<UInt64Type>(&watch, "number_hash")?, column::<UInt64Type>(&watch, "order_hash")?);
                let mut watch: Vec<(u64, u64)> =
                    values(&number).iter().copied().zip(values(&order).iter().copied()).collect();
                ids.sort_unstable();
                watch.sort_unstable();
                Ok((ids, segments.is_some(), watch))
            })
            .collect::<Result<_>>()?;
        let with_segments = read.iter().all(|r| r.1);
        let (ids, watch): (Vec<_>, Vec<_>) = read.into_iter().map(|(ids, _, watch)| (ids, watch)).unzip();
        Ok(Lists::one_generation(0, ids, with_segments, watch))
    }

    /// One generation numbered `number` of per-shard lists, each sorted.
    fn one_generation(
        number: u32,
        ids: Vec<Vec<(u64, u32)>>,
        with_segments: bool,
        watch: Vec<Vec<(u64, u64)>>,
    ) -> Lists {
        fn runs_of<T>(per_shard: &[Vec<T>]) -> Vec<Range<usize>> {
            let mut start = 0;
            per_shard
                .iter()
                .map(|s| {
                    start += s.len();
                    start - s.len()..start
                })
                .collect()
        }
        let (ids_runs, watch_runs) = (runs_of(&ids), runs_of(&watch));
        let (id_hash, segment): (Vec<u64>, Vec<u32>) = ids.into_iter().flatten().unzip();
        let (number_hash, order_hash): (Vec<u64>, Vec<u64>) = watch.into_iter().flatten().unzip();
        let generation = Generation {
            number,
            id_hash: UInt64Chunked::from_vec("id_hash".into(), id_hash),
            segment: with_segments.then(|| UInt32Chunked::from_vec("segment".into(), segment)),
            ids: ids_runs,
            number_hash: UInt64Chunked::from_vec("number_hash".into(), number_hash),
            order_hash: UInt64Chunked::from_vec("order_hash".into(), order_hash),
            watch: watch_runs,
        };
        Lists { generations: vec![generation], dropped: (0..SHARDS).map(|_| FxHashMap::default()).collect() }
    }

    /// No list at all (what a holder keeps once it has asked the lists everything).
    pub fn none() -> Lists {
        Lists { generations: Vec::new(), dropped: (0..SHARDS).map(|_| FxHashMap::default()).collect() }
    }

    /// Only what [`Lists::segment_of`] answers for the orders `touched` (their id hashes, per
    /// shard): what a report asks of the lists once it knows which settled orders its layers
    /// touch. The lists it replaces (tens of MB at a long history) are freed before the report
    /// reads the live states, which take that memory instead of pages the kernel must zero.
    pub fn only(&self, touched: &[FxHashSet<u64>]) -> Lists {
        let ids: Vec<Vec<(u64, u32)>> = (0..SHARDS)
            .map(|i| {
                let mut ids: Vec<(u64, u32)> =
                    touched.get(i).into_iter().flatten().map(|&h| (h, self.segment_of(i, h))).collect();
                ids.sort_unstable();
                ids
            })
            .collect();
        Lists::one_generation(0, ids, true, (0..SHARDS).map(|_| Vec::new()).collect())
    }

    /// Whether generation `g`'s entry of order `order` (shard `i`) stands: no later
    /// generation dropped the order.
    fn stands(&self, i: usize, order: u64, g: u32) -> bool {
        self.dropped.get(i).is_none_or(|d| d.get(&order).is_none_or(|&by| by <= g))
    }

    /// Those of `probes` (id hashes of shard `i`, sorted, distinct) that are settled orders'
    /// (a hash match: a false one takes the settled order of that hash out of the tally and
    /// judges it again, which gives the same counts; the writer keeps no settled hash equal
    /// to a live one), sorted.
    pub fn settled_among(&self, i: usize, probes: &[u64]) -> Vec<u64> {
        let mut found = Vec::new();
        if probes.is_empty() {
            return found;
        }
        for g in &self.generations {
            let (ids, _) = g.ids(i);
            found.extend(
                matches(ids, probes).filter_map(|at| ids.get(at).copied()).filter(|&h| self.stands(i, h, g.number)),
            );
        }
        // An order stands in one generation at most (a later one that settles it again drops it
        // from the older ones); sorted, as the generations' parts interleave.
        found.sort_unstable();
        found.dedup();
        found
    }

    /// The segment that holds the rows of shard `i`'s settled order of id hash `hash` (0: not
    /// known, or not settled; the reader looks in every segment).
    pub fn segment_of(&self, i: usize, hash: u64) -> u32 {
        for g in self.generations.iter().rev() {
            let (ids, segments) = g.ids(i);
            if let Ok(at) = ids.binary_search(&hash) {
                // Newest first: an entry that does not stand was dropped by a generation this
                // search has passed without finding the order again.
                return match self.stands(i, hash, g.number) {
                    true => segments.get(at).copied().unwrap_or(0),
                    false => 0,
                };
            }
        }
        0
    }

    /// The id hashes of shard `i`'s settled orders with a watched package whose number
    /// (hashed) is in `scanned`: a layer's scans may change how they are judged. Each watched
    /// package is looked up in the set: the scanned numbers are every partition's (150,000
    /// over a new base's nights in the 1 M-order benchmark), and walking them beside each
    /// shard's watch list of each generation (3,000 entries) was 256 walks through them all.
    pub fn scanned(&self, i: usize, scanned: &Scanned) -> Vec<u64> {
        let mut orders = Vec::new();
        if scanned.is_empty() {
            return orders;
        }
        for g in &self.generations {
            let (numbers, order) = g.watch(i);
            let hit = numbers.iter().zip(order).filter(|(n, _)| scanned.contains(**n)).map(|(_, &o)| o);
            orders.extend(hit.filter(|&o| self.stands(i, o, g.number)));
        }
        orders
    }

    /// Shard `i`'s settled orders' id hashes, sorted (every generation's that stand).
    #[cfg(test)]
    pub fn ids(&self, i: usize) -> Vec<u64> {
        let mut ids: Vec<u64> = self
            .generations
            .iter()
            .flat_map(|g| g.ids(i).0.iter().copied().filter(|&h| self.stands(i, h, g.number)))
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Shard `i`'s watched packages that stand, sorted.
    #[cfg(test)]
    pub fn watch(&self, i: usize) -> Vec<(u64, u64)> {
        let mut watch: Vec<(u64, u64)> = self
            .generations
            .iter()
            .flat_map(|g| {
                let (numbers, orders) = g.watch(i);
                numbers.iter().copied().zip(orders.iter().copied()).filter(|&(_, o)| self.stands(i, o, g.number))
            })
            .collect();
        watch.sort_unstable();
        watch
    }

    /// Per-shard lists of one generation (a test's).
    #[cfg(test)]
    pub fn of_shards(mut ids: Vec<Vec<(u64, u32)>>, mut watch: Vec<Vec<(u64, u64)>>) -> Lists {
        ids.resize_with(SHARDS, Vec::new);
        watch.resize_with(SHARDS, Vec::new);
        Lists::one_generation(0, ids, true, watch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a report keeps once it knows the touched orders answers their segments as the
    /// whole lists did, and nothing of the other orders or of the watched packages.
    #[test]
    fn the_lists_kept_for_the_touched_orders_give_their_segments() {
        let lists = Lists::of_shards(
            vec![vec![], vec![(10, 3), (20, 7), (25, 7)], vec![(5, 9)]],
            vec![vec![], vec![(100, 10), (300, 20)]],
        );
        let touched: Vec<FxHashSet<u64>> =
            vec![FxHashSet::default(), [25, 10, 11].into_iter().collect(), [5].into_iter().collect()];
        let kept = lists.only(&touched);
        assert_eq!((kept.segment_of(1, 10), kept.segment_of(1, 25), kept.segment_of(2, 5)), (3, 7, 9));
        assert_eq!(kept.segment_of(1, 11), 0, "touched but never settled: no segment, as before");
        assert_eq!(kept.segment_of(1, 20), 0, "not touched: not kept");
        assert!(kept.watch(1).is_empty(), "no watched package kept");
        assert_eq!(lists.segment_of(1, 20), 7, "the whole lists knew it");
    }

    #[test]
    fn a_walk_finds_the_keys_among_the_probes() {
        let keys = [2, 4, 6, 8];
        assert_eq!(matches(&keys, &[1, 4, 5, 8, 9]).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(matches(&keys, &[]).count(), 0);
        assert_eq!(matches(&[], &[1, 2]).count(), 0);
        assert_eq!(matches(&keys, &[2, 4, 6, 8]).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    #[test]
    fn a_lookup_reads_every_shard_run_of_one_generation() {
        let lists =
            Lists::of_shards(vec![vec![], vec![(3, 9), (5, 11), (7, 9)]], vec![vec![(40, 1)], vec![(10, 3), (10, 5)]]);
        assert_eq!(lists.settled_among(1, &[1, 3, 4, 7]), [3, 7]);
        assert_eq!(lists.settled_among(0, &[3, 7]), Vec::<u64>::new(), "another shard's orders");
        assert_eq!((lists.segment_of(1, 5), lists.segment_of(1, 6), lists.segment_of(0, 5)), (11, 0, 0));
        let scanned = Scanned::of([10, 40]);
        assert_eq!(lists.scanned(1, &scanned), [3, 5]);
        assert_eq!(lists.scanned(0, &scanned), [1]);
        assert_eq!(lists.ids(1), [3, 5, 7]);
    }

    /// The bitmap only ever sends a lookup on to the set: what is there is found, whatever bit
    /// it shares, and nothing else.
    #[test]
    fn scanned_numbers_are_found_through_the_bitmap_and_nothing_else_is() {
        let there: Vec<u64> = (0..50_000u64).map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).collect();
        let scanned = Scanned::of(there.iter().copied());
        assert!(there.iter().all(|&h| scanned.contains(h)));
        let sharing_bits = there.iter().map(|&h| h ^ (1 << 60)).filter(|h| !there.contains(h));
        assert!(sharing_bits.take(1000).all(|h| !scanned.contains(h)), "the same low bits, another hash");
        assert!((1..1000u64).all(|h| !scanned.contains(h << 40)));
        let none = Scanned::of([]);
        assert!(none.is_empty() && !none.contains(0) && !none.contains(u64::MAX));
    }
}
