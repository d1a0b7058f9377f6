//! Shards by key: every input is split by order id (scans by tracking number, the catalog by
//! SKU), so two threads absorb files at once into disjoint parts of the book, and a
//! distributed run would do the same across machines (docs/ARCHITECTURE.md).

use std::hash::BuildHasher;

/// How many shards the book has.
pub const SHARDS: usize = 16;

/// Order ids share long prefixes and differ in a few digits: a hash that mixes every byte
/// well (foldhash, fixed seed) keeps the table's probes short.
pub fn id_hash(id: &str) -> u64 {
    foldhash::fast::FixedState::with_seed(0x6f72_6465_7268_6561).hash_one(id)
}

/// Order ids in text order (`a.cmp(b)`), sooner: ids are 19 bytes or so, and their first
/// sixteen compared as one big-endian integer decide almost every comparison of the sorts
/// of a million ids (the view, a stored state), without a call to `memcmp` each.
pub fn id_order(a: &str, b: &str) -> std::cmp::Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    match (a.split_first_chunk::<16>(), b.split_first_chunk::<16>()) {
        (Some((head_a, tail_a)), Some((head_b, tail_b))) => {
            u128::from_be_bytes(*head_a).cmp(&u128::from_be_bytes(*head_b)).then_with(|| tail_a.cmp(tail_b))
        }
        _ => a.cmp(b),
    }
}

/// The shard of a key. Middle bits of the hash: the shard's own table uses the low bits
/// (bucket) and the top 7 (tag).
pub fn shard_of(key: &str) -> usize {
    partition_of(key, SHARDS)
}

/// [`shard_of`] a key whose [`id_hash`] is known.
pub fn shard_of_hash(hash: u64) -> usize {
    (hash >> 32) as usize % SHARDS
}

/// `items` split into `shards` parts by [`shard_of`] their key (modulo `shards`), each part in
/// the items' order.
pub fn spread<T>(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> &str, shards: usize) -> Vec<Vec<T>> {
    let mut parts: Vec<Vec<T>> = (0..shards.max(1)).map(|_| Vec::new()).collect();
    let n = parts.len();
    for item in items {
        if let Some(part) = parts.get_mut(shard_of(key(&item)) % n) {
            part.push(item);
        }
    }
    parts
}

/// The most partitions a store may have (`ingest --partitions`).
pub const MAX_PARTITIONS: usize = 4096;

/// The partition of a key among `partitions` (a multiple of [`SHARDS`], so that a partition
/// lies within one shard: `partition_of(k, n) % SHARDS == shard_of(k)`). The store keeps its
/// state in this many directories, and a distributed run gives each task one of them.
pub fn partition_of(key: &str, partitions: usize) -> usize {
    (id_hash(key) >> 32) as usize % partitions.max(1)
}

/// Whether `n` can be a store's partition count: a multiple of [`SHARDS`] up to
/// [`MAX_PARTITIONS`].
pub fn valid_partitions(n: usize) -> bool {
    (SHARDS..=MAX_PARTITIONS).contains(&n) && n.is_multiple_of(SHARDS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_order_is_text_order() {
        let ids = [
            "",
            "1",
            "111-1000000-0000001",
            "111-1000000-0000002",
            "111-1000000-000000",
            "111-1000000-0000001x",
            "111-1000000-00000",
            "111-1000000-0000",
            "112-0000000-0000000",
            "111-1000000-0000001\u{e9}",
            "\u{e9}",
            "ZZZZZZZZZZZZZZZZ",
            "ZZZZZZZZZZZZZZZZ\u{0}",
            "ZZZZZZZZZZZZZZZ\u{0}",
            "S01-1234567-7654321",
        ];
        for a in ids {
            for b in ids {
                assert_eq!(id_order(a, b), a.cmp(b), "{a:?} against {b:?}");
            }
        }
    }

    /// The shard of an id is part of the on-disk layout of anything partitioned by it: pinned.
    #[test]
    fn shard_of_is_stable() {
        let got: Vec<usize> = ["111-1000000-0000001", "111-1000000-0000002", "S01-1234567-7654321", ""]
            .iter()
            .map(|id| shard_of(id))
            .collect();
        assert!(got.iter().all(|&s| s < SHARDS));
        assert_eq!(got, PINNED);
    }

    const PINNED: [usize; 4] = [0, 4, 10, 12];

    /// A partition lies within one shard, at every allowed partition count.
    #[test]
    fn a_partition_lies_within_its_shard() {
        for n in [16, 32, 48, 64, 4096] {
            assert!(valid_partitions(n));
            for i in 0..2000 {
                let id = format!("111-{i:07}-0000001");
                assert_eq!(partition_of(&id, n) % SHARDS, shard_of(&id), "{id} at {n}");
            }
        }
        assert!(!valid_partitions(8) && !valid_partitions(40) && !valid_partitions(4112));
    }
}
