//! Where each order's state is: positions in a shard's vector of states, found by the hash
//! of the order id, and asked for a few rows ahead.
//!
//! Folding a file probes this index once per order row, and a table of a million orders
//! does not fit in any cache: each probe was two cache misses (the slot, then the state it
//! points to), waited for one after the other — the largest single cost of reading
//! (docs/BENCHMARKS.md). Because a file's snapshots are all known before they are folded,
//! the fold asks the memory for the slot of the snapshot a few rows ahead and for the state
//! of the one half as far ahead ([`OrderIndex::prefetch_slot`], [`OrderIndex::guess`]),
//! so that both are in cache when their turn comes. hashbrown's table cannot be asked
//! where a key's bucket is, hence this small open-addressing table. The scans of a shard
//! are found the same way (`scan_map.rs`).
//!
//! A slot is one `u64`: the low 32 bits of the id's hash (the tag) above the position + 1;
//! 0 is an empty slot. Linear probing from the tag's low bits, at most half full. Growing
//! re-places slots by their tags alone, without reading a state.

use crate::prefetch::prefetch;

/// Positions of order states by the hash of their id.
#[derive(Debug, Default, Clone)]
pub struct OrderIndex {
    slots: Vec<u64>,
    len: usize,
}

const EMPTY: u64 = 0;

fn tag(hash: u64) -> u64 {
    hash & 0xffff_ffff
}

impl OrderIndex {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// Room for `additional` more positions without growing.
    pub fn reserve(&mut self, additional: usize) {
        let needed = (self.len + additional).saturating_mul(2);
        if needed <= self.slots.len() {
            return;
        }
        let size = needed.next_power_of_two().max(16);
        let old = std::mem::replace(&mut self.slots, vec![EMPTY; size]);
        for slot in old.into_iter().filter(|&s| s != EMPTY) {
            self.place(slot);
        }
    }

    /// Puts a slot in the first empty place from its tag's (room is reserved).
    #[allow(clippy::indexing_slicing, reason = "indices are masked by the table's size, a power of two")]
    fn place(&mut self, slot: u64) {
        let mask = self.mask();
        let mut i = (slot >> 32) as usize & mask;
        while self.slots[i] != EMPTY {
            i = (i + 1) & mask;
        }
        self.slots[i] = slot;
    }

    /// Records that the state at `position` has an id hashing to `hash` (a new id).
    pub fn insert(&mut self, hash: u64, position: u32) {
        self.reserve(1);
        self.place(tag(hash) << 32 | (u64::from(position) + 1));
        self.len += 1;
    }

    /// The position of the state whose id hashes to `hash` and for which `is_it` holds.
    #[allow(clippy::indexing_slicing, reason = "indices are masked by the table's size, a power of two")]
    pub fn find(&self, hash: u64, is_it: impl Fn(u32) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let (mask, tag) = (self.mask(), tag(hash));
        let mut i = tag as usize & mask;
        loop {
            let slot = self.slots[i];
            if slot == EMPTY {
                return None;
            }
            if slot >> 32 == tag {
                let position = (slot & 0xffff_ffff) as u32 - 1;
                if is_it(position) {
                    return Some(position);
                }
            }
            i = (i + 1) & mask;
        }
    }

    /// The position the id hashing to `hash` most likely has (the first slot with its tag),
    /// without comparing ids: only a hint of what to prefetch.
    pub fn guess(&self, hash: u64) -> Option<u32> {
        let (mask, tag) = (self.mask(), tag(hash));
        let mut i = tag as usize & mask;
        loop {
            let slot = *self.slots.get(i)?;
            if slot == EMPTY {
                return None;
            }
            if slot >> 32 == tag {
                return Some((slot & 0xffff_ffff) as u32 - 1);
            }
            i = (i + 1) & mask;
        }
    }

    /// Asks the memory for the slot where the search for `hash` starts.
    pub fn prefetch_slot(&self, hash: u64) {
        if let Some(slot) = self.slots.get(tag(hash) as usize & self.mask()) {
            prefetch(slot);
        }
    }

    /// Step `i` of a loop over the keys hashing to `hashes`: asks for the index slot of the
    /// key `2 * ahead` steps on, and for the entry (`entry_at` its position) of the key
    /// `ahead` steps on, whose slot was asked for `ahead` steps ago.
    pub fn prefetch_ahead<'a, T: 'a>(
        &self,
        hashes: &[u64],
        i: usize,
        ahead: usize,
        entry_at: impl Fn(usize) -> Option<&'a T>,
    ) {
        if let Some(&h) = hashes.get(i + 2 * ahead) {
            self.prefetch_slot(h);
        }
        if let Some(&h) = hashes.get(i + ahead) {
            self.prefetch_entry(h, entry_at);
        }
    }

    /// Asks the memory for the entry (`entry_at` its position) of the key hashing to `hash`,
    /// once its slot is in cache (the slot read is not checked against the key: a hint).
    pub fn prefetch_entry<'a, T: 'a>(&self, hash: u64, entry_at: impl Fn(usize) -> Option<&'a T>) {
        if let Some(entry) = self.guess(hash).and_then(|p| entry_at(p as usize)) {
            prefetch(entry);
        }
    }
}

/// How many states a block holds (about 1.6 MB of them).
const BLOCK: usize = 4096;

/// Values by position: those given whole first (a store's states), then those added since,
/// in blocks of `BLOCK` (4,096). A vector that doubles as it grows copied every state again and
/// faulted in twice the memory it ended with (5% of a one-thread run, docs/BENCHMARKS.md);
/// blocks are filled once, in place, and handed on as they are.
#[derive(Debug)]
pub struct Blocks<T> {
    given: Vec<T>,
    /// All full but the last.
    blocks: Vec<Vec<T>>,
}

impl<T> Default for Blocks<T> {
    fn default() -> Self {
        Blocks { given: Vec::new(), blocks: Vec::new() }
    }
}

impl<T> Blocks<T> {
    pub fn from_vec(given: Vec<T>) -> Blocks<T> {
        Blocks { given, blocks: Vec::new() }
    }

    pub fn len(&self) -> usize {
        self.given.len() + self.blocks.len().saturating_sub(1) * BLOCK + self.blocks.last().map_or(0, Vec::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, position: usize) -> Option<&T> {
        match position.checked_sub(self.given.len()) {
            None => self.given.get(position),
            Some(p) => self.blocks.get(p / BLOCK)?.get(p % BLOCK),
        }
    }

    pub fn get_mut(&mut self, position: usize) -> Option<&mut T> {
        match position.checked_sub(self.given.len()) {
            None => self.given.get_mut(position),
            Some(p) => self.blocks.get_mut(p / BLOCK)?.get_mut(p % BLOCK),
        }
    }

    /// Adds `value` at the end; its position.
    pub fn push(&mut self, value: T) -> usize {
        let position = self.len();
        match self.blocks.last_mut() {
            Some(block) if block.len() < BLOCK => block.push(value),
            _ => {
                let mut block = Vec::with_capacity(BLOCK);
                block.push(value);
                self.blocks.push(block);
            }
        }
        position
    }

    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.given.iter().chain(self.blocks.iter().flatten())
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.given.iter_mut().chain(self.blocks.iter_mut().flatten())
    }

    /// The values in one vector, in position order.
    pub fn into_vec(self) -> Vec<T> {
        let Blocks { mut given, blocks } = self;
        if given.is_empty() && blocks.len() <= 1 {
            return blocks.into_iter().next().unwrap_or_default();
        }
        given.reserve(blocks.iter().map(Vec::len).sum());
        for block in blocks {
            given.extend(block);
        }
        given
    }

    /// The values as they are kept (none copied), in position order.
    pub fn into_parts(self) -> Vec<Vec<T>> {
        let Blocks { given, blocks } = self;
        std::iter::once(given).filter(|g| !g.is_empty()).chain(blocks).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::id_hash;

    #[test]
    fn finds_every_inserted_id_across_growth_and_nothing_else() {
        let ids: Vec<String> = (0..5_000).map(|i| format!("111-{:07}-{:07}", i % 97, i)).collect();
        let mut index = OrderIndex::default();
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.find(id_hash(id), |p| ids[p as usize] == *id), None);
            index.insert(id_hash(id), i as u32);
        }
        assert_eq!(index.len(), ids.len());
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.find(id_hash(id), |p| ids[p as usize] == *id), Some(i as u32));
            assert_eq!(index.guess(id_hash(id)), Some(i as u32), "no two of these ids share 32 bits of hash");
        }
        assert_eq!(index.find(id_hash("999-0000000-0000000"), |p| ids[p as usize] == "999-0000000-0000000"), None);
    }

    #[test]
    fn blocks_keep_positions_across_blocks_after_the_given_values() {
        let mut values = Blocks::from_vec(vec![-1, -2, -3]);
        for i in 0..(2 * BLOCK + 5) {
            assert_eq!(values.push(i as i64), i + 3);
        }
        assert_eq!(values.len(), 2 * BLOCK + 8);
        assert_eq!(values.get(0), Some(&-1));
        assert_eq!(values.get(3), Some(&0));
        assert_eq!(values.get(BLOCK + 3), Some(&(BLOCK as i64)));
        assert_eq!(values.get(2 * BLOCK + 7), Some(&(2 * BLOCK as i64 + 4)));
        assert_eq!(values.get(2 * BLOCK + 8), None);
        *values.get_mut(BLOCK + 3).unwrap() = 7;
        let all: Vec<i64> = values.iter().copied().collect();
        assert_eq!(all.len(), values.len());
        assert_eq!(values.into_parts().iter().map(Vec::len).collect::<Vec<_>>(), [3, BLOCK, BLOCK, 5]);
        let mut again = Blocks::from_vec(vec![1]);
        again.push(2);
        assert_eq!(again.into_vec(), [1, 2]);
        assert!(Blocks::<u8>::default().is_empty());
        let mut one_block = Blocks::default();
        one_block.push(9u8);
        assert_eq!(one_block.into_vec(), [9]);
    }

    #[test]
    fn ids_with_the_same_tag_are_told_apart_by_comparing_them() {
        // Two ids forced onto one hash: the tag matches both, the comparison decides.
        let mut index = OrderIndex::default();
        index.insert(42, 0);
        index.insert(42, 1);
        assert_eq!(index.find(42, |p| p == 1), Some(1));
        assert_eq!(index.find(42, |p| p == 0), Some(0));
        assert_eq!(index.find(42, |_| false), None);
        assert_eq!(index.guess(7), None);
        assert_eq!(OrderIndex::default().guess(7), None);
        assert_eq!(OrderIndex::default().find(7, |_| true), None);
    }
}
