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

/// The shard of a key. Middle bits of the hash: the shard's own table uses the low bits
/// (bucket) and the top 7 (tag).
pub fn shard_of(key: &str) -> usize {
    (id_hash(key) >> 32) as usize % SHARDS
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
