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

use super::{list_file, read_parquet, shard_dir};

/// Every generation's lists, and which orders later generations dropped.
pub(in crate::store) struct Lists {
    /// Oldest first.
    generations: Vec<Generation>,
    /// Per shard: the newest generation that dropped each order (judged it again: settled
    /// again, it is in that generation's list; live now, in none).
    dropped: Vec<FxHashMap<u64, u32>>,
}

/// One generation's lists as read ([`LIST_MAGIC`]): the file's words, and where each list's
/// run of each shard lies in them.
struct Generation {
    number: u32,
    words: Vec<u64>,
    /// The settled orders' id hashes (word ranges), sorted within each shard.
    ids: Vec<Range<usize>>,
    /// Beside them, the segment holding each one's rows: the `u32`s from this word on, in
    /// the order of the ids (`None`: lists written before segments were recorded).
    segments: Option<usize>,
    /// The watched packages: number hashes (sorted within each shard) and, as many words
    /// further on, the hash of each one's order's id.
    watch: Vec<Range<usize>>,
    order_hashes: usize,
}

/// The head of a generation's lists file (`lists.gNNNNNN.bin`), the first of its
/// little-endian 64-bit words. Then, per list (settled ids, watched packages, dropped
/// orders), each shard's count ([`SHARDS`] words each); then the settled orders' id hashes,
/// their segments (`u32`s, padded to a whole word), the watched packages' number hashes, their
/// orders' id hashes, and the dropped orders' id hashes, every shard's in shard order.
///
/// Not Parquet: every report reads every generation whole (19 MB at the 58th night of the
/// 1 M-order benchmark), and decoding them, into memory the process had to ask the kernel
/// for, was 9% of a layer night's CPU. Read straight into words, they are used where they lie.
/// Derived data like the rest of the directory: a file that does not parse is damage, and the
/// directory is judged again.
const LIST_MAGIC: u64 = u64::from_le_bytes(*b"OHLISTS1");

/// The words of a lists file for `ids` (id hash, segment), `watch` (number hash, order hash)
/// and `dropped` (id hashes), per shard, each sorted.
pub(super) fn list_bytes(ids: &[Vec<(u64, u32)>], watch: &[Vec<(u64, u64)>], dropped: &[Vec<u64>]) -> Vec<u8> {
    let words = |w: &mut Vec<u8>, values: &mut dyn Iterator<Item = u64>| values.for_each(|v| w.extend(v.to_le_bytes()));
    let counts = |lens: Vec<usize>| (0..SHARDS).map(move |i| lens.get(i).copied().unwrap_or(0) as u64);
    let mut out = Vec::new();
    words(&mut out, &mut std::iter::once(LIST_MAGIC));
    words(&mut out, &mut counts(ids.iter().map(Vec::len).collect()));
    words(&mut out, &mut counts(watch.iter().map(Vec::len).collect()));
    words(&mut out, &mut counts(dropped.iter().map(Vec::len).collect()));
    let shards = |n: usize| 0..n.min(SHARDS);
    words(&mut out, &mut shards(ids.len()).flat_map(|i| ids[i].iter().map(|h| h.0)));
    shards(ids.len()).flat_map(|i| ids[i].iter().map(|h| h.1)).for_each(|s| out.extend(s.to_le_bytes()));
    out.resize(out.len().div_ceil(8) * 8, 0);
    words(&mut out, &mut shards(watch.len()).flat_map(|i| watch[i].iter().map(|w| w.0)));
    words(&mut out, &mut shards(watch.len()).flat_map(|i| watch[i].iter().map(|w| w.1)));
    words(&mut out, &mut shards(dropped.len()).flat_map(|i| dropped[i].iter().copied()));
    out
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

/// Per shard, the word ranges of `counts` (one list's [`SHARDS`] counts) from word `at` on.
fn runs_from(at: usize, counts: &[u64]) -> Result<(Vec<Range<usize>>, usize)> {
    let mut end = at;
    let runs = counts
        .iter()
        .map(|&n| -> Result<Range<usize>> {
            let start = end;
            end = usize::try_from(n).ok().and_then(|n| end.checked_add(n)).context("a list too long")?;
            Ok(start..end)
        })
        .collect::<Result<_>>()?;
    Ok((runs, end))
}

impl Generation {
    fn read(dir: &Path, number: u32) -> Result<(Generation, Vec<(usize, u64)>)> {
        let path = dir.join(list_file(number));
        let (words, len) = super::super::integrity::read_checked_words(&path)?
            .with_context(|| format!("{}: no lists of generation {number}", path.display()))?;
        Generation::of_words(number, words, len).with_context(|| format!("{}: cannot read", path.display()))
    }

    /// Generation `number` from the words of its file (`len` bytes, [`LIST_MAGIC`]), and the
    /// orders it drops (shard, id hash).
    fn of_words(number: u32, mut words: Vec<u64>, len: usize) -> Result<(Generation, Vec<(usize, u64)>)> {
        // Little-endian on disk: a big-endian machine turns each word (and each segment) round.
        if cfg!(target_endian = "big") {
            words.iter_mut().for_each(|w| *w = u64::from_le(*w));
        }
        let head = 1 + 3 * SHARDS;
        anyhow::ensure!(
            len.is_multiple_of(8) && words.first() == Some(&LIST_MAGIC) && words.len() >= head,
            "not a lists file"
        );
        let (ids, segments_at) = runs_from(head, &words[1..1 + SHARDS])?;
        let segment_words = (segments_at - head).div_ceil(2);
        let (watch, order_hashes) = runs_from(segments_at + segment_words, &words[1 + SHARDS..1 + 2 * SHARDS])?;
        let watched = order_hashes - watch.first().map_or(order_hashes, |r| r.start);
        let (dropped_runs, end) = runs_from(order_hashes + watched, &words[1 + 2 * SHARDS..head])?;
        anyhow::ensure!(end == words.len(), "a lists file of another length");
        if cfg!(target_endian = "big") {
            // Turned round as words above: the segments' halves are back in their order, each
            // still to be turned round as a u32.
            let segments: &mut [u32] = bytemuck::cast_slice_mut(&mut words[segments_at..segments_at + segment_words]);
            segments.chunks_exact_mut(2).for_each(|pair| pair.swap(0, 1));
        }
        let dropped = dropped_runs
            .iter()
            .enumerate()
            .flat_map(|(s, run)| words[run.clone()].iter().map(move |&h| (s, h)))
            .collect();
        let generation = Generation { number, ids, segments: Some(segments_at), watch, order_hashes: watched, words };
        Ok((generation, dropped))
    }

    /// Shard `i`'s settled orders' id hashes (sorted) and their segments (empty: not known).
    fn ids(&self, i: usize) -> (&[u64], &[u32]) {
        let run = self.ids.get(i).cloned().unwrap_or_default();
        let ids = self.words.get(run.clone()).unwrap_or_default();
        let segments = self.segments.and_then(|at| {
            let first = self.ids.first()?.start;
            let words = self.words.get(at..)?;
            bytemuck::cast_slice::<u64, u32>(words).get(run.start - first..run.end - first)
        });
        (ids, segments.unwrap_or_default())
    }

    /// Shard `i`'s watched packages: number hashes (sorted) and their orders' id hashes.
    fn watch(&self, i: usize) -> (&[u64], &[u64]) {
        let run = self.watch.get(i).cloned().unwrap_or_default();
        let orders = run.start + self.order_hashes..run.end + self.order_hashes;
        (self.words.get(run).unwrap_or_default(), self.words.get(orders).unwrap_or_default())
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
        let bytes = list_bytes(&ids, &watch, &[]);
        let words: Vec<u64> =
            bytes.chunks_exact(8).map(|w| u64::from_ne_bytes(w.try_into().unwrap_or_default())).collect();
        // Laid out by `list_bytes` itself: it parses, or the lists are empty.
        let mut generation = match Generation::of_words(number, words, bytes.len()) {
            Ok((g, _)) => g,
            Err(_) => Generation {
                number,
                words: Vec::new(),
                ids: Vec::new(),
                segments: None,
                watch: Vec::new(),
                order_hashes: 0,
            },
        };
        if !with_segments {
            generation.segments = None;
        }
        Lists { generations: vec![generation], dropped: (0..SHARDS).map(|_| FxHashMap::default()).collect() }
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
    pub fn scanned(&self, i: usize, scanned: &FxHashSet<u64>) -> Vec<u64> {
        let mut orders = Vec::new();
        if scanned.is_empty() {
            return orders;
        }
        for g in &self.generations {
            let (numbers, order) = g.watch(i);
            let hit = numbers.iter().zip(order).filter(|(n, _)| scanned.contains(*n)).map(|(_, &o)| o);
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

    #[test]
    fn a_walk_finds_the_keys_among_the_probes() {
        let keys = [2, 4, 6, 8];
        assert_eq!(matches(&keys, &[1, 4, 5, 8, 9]).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(matches(&keys, &[]).count(), 0);
        assert_eq!(matches(&[], &[1, 2]).count(), 0);
        assert_eq!(matches(&keys, &[2, 4, 6, 8]).collect::<Vec<_>>(), [0, 1, 2, 3]);
    }

    /// The words as a file holds them (read into words as they lie, whatever the machine).
    fn words_of(bytes: &[u8]) -> Vec<u64> {
        bytes
            .chunks(8)
            .map(|w| {
                let mut word = [0u8; 8];
                word[..w.len()].copy_from_slice(w);
                u64::from_ne_bytes(word)
            })
            .collect()
    }

    #[test]
    fn a_lists_file_reads_back_as_written() {
        // Three settled orders in shard 2 (an odd count: the segments end in a padded word),
        // one in shard 0; watched packages in shards 0 and 15; one dropped order in shard 3.
        let mut ids = vec![Vec::new(); SHARDS];
        ids[0] = vec![(7, 40)];
        ids[2] = vec![(3, 9), (5, 11), (8, 12)];
        let mut watch = vec![Vec::new(); SHARDS];
        watch[0] = vec![(100, 7)];
        watch[15] = vec![(200, 9), (300, 9)];
        let mut dropped = vec![Vec::new(); SHARDS];
        dropped[3] = vec![77];
        let bytes = list_bytes(&ids, &watch, &dropped);
        // The head, 4 + 2 words of ids and segments, 3 + 3 of the watch list, 1 dropped.
        assert_eq!(bytes.len(), 8 * (1 + 3 * SHARDS + 4 + 2 + 3 + 3 + 1));
        let (g, drops) = Generation::of_words(40, words_of(&bytes), bytes.len()).expect("reads");
        assert_eq!(g.ids(2), (&[3, 5, 8][..], &[9, 11, 12][..]));
        assert_eq!(g.ids(0), (&[7][..], &[40][..]));
        assert_eq!(g.ids(1), (&[][..], &[][..]));
        assert_eq!(g.watch(15), (&[200, 300][..], &[9, 9][..]));
        assert_eq!(g.watch(0), (&[100][..], &[7][..]));
        assert_eq!(drops, [(3, 77)]);
        // Nothing at all: the head alone.
        let empty = list_bytes(&[], &[], &[]);
        let (g, drops) = Generation::of_words(1, words_of(&empty), empty.len()).expect("reads");
        assert!(g.ids(0).0.is_empty() && g.watch(15).0.is_empty() && drops.is_empty());
    }

    #[test]
    fn a_lists_file_cut_short_or_of_another_kind_is_not_read() {
        let ids = vec![vec![(1, 2), (3, 4)]; SHARDS];
        let bytes = list_bytes(&ids, &[], &[]);
        for len in [0, 7, 8, 100, bytes.len() - 8, bytes.len() - 3] {
            let cut = &bytes[..len];
            assert!(Generation::of_words(1, words_of(cut), cut.len()).is_err(), "{len} bytes");
        }
        let mut longer = bytes.clone();
        longer.extend([0u8; 8]);
        assert!(Generation::of_words(1, words_of(&longer), longer.len()).is_err());
        let mut other = bytes.clone();
        other[0] ^= 1;
        assert!(Generation::of_words(1, words_of(&other), other.len()).is_err());
        // A count that runs past the end (or overflows) is an error, not a panic.
        let mut huge = bytes.clone();
        huge[8..16].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(Generation::of_words(1, words_of(&huge), huge.len()).is_err());
    }

    #[test]
    fn a_lookup_reads_every_shard_run_of_one_generation() {
        let lists =
            Lists::of_shards(vec![vec![], vec![(3, 9), (5, 11), (7, 9)]], vec![vec![(40, 1)], vec![(10, 3), (10, 5)]]);
        assert_eq!(lists.settled_among(1, &[1, 3, 4, 7]), [3, 7]);
        assert_eq!(lists.settled_among(0, &[3, 7]), Vec::<u64>::new(), "another shard's orders");
        assert_eq!((lists.segment_of(1, 5), lists.segment_of(1, 6), lists.segment_of(0, 5)), (11, 0, 0));
        let scanned: FxHashSet<u64> = [10, 40].into_iter().collect();
        assert_eq!(lists.scanned(1, &scanned), [3, 5]);
        assert_eq!(lists.scanned(0, &scanned), [1]);
        assert_eq!(lists.ids(1), [3, 5, 7]);
    }
}
