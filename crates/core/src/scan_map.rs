//! Scans by normalised tracking number: the tallies in a vector, found through an index of
//! positions by the number's hash ([`OrderIndex`], as the order states are).
//!
//! A shard holds the scans of a tenth of a million numbers or more, and folding a scans file
//! adds each of its numbers into them: in a hash map each addition waited for a cache miss,
//! about a twentieth of a one-thread run (docs/BENCHMARKS.md). Adding a file's tallies
//! ([`ScanMap::add_all`]) asks for the index slots and entries of the numbers ahead first.

use crate::order_index::OrderIndex;
use crate::rows::ScanTally;
use crate::shard::id_hash;
use crate::Text;

/// How many numbers ahead an addition asks for an entry (twice as far for its index slot).
const AHEAD: usize = 8;

/// Scans by normalised tracking number. The numbers are kept inline (most are 12–22
/// characters), so looking one up reads the entry and not also a string elsewhere.
#[derive(Debug, Default, Clone)]
pub struct ScanMap {
    entries: Vec<(Text, ScanTally)>,
    index: OrderIndex,
}

impl ScanMap {
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Room for `additional` more numbers.
    pub fn reserve(&mut self, additional: usize) {
        self.entries.reserve(additional);
        self.index.reserve(additional);
    }

    fn position(&self, hash: u64, number: &str) -> Option<usize> {
        let entries = &self.entries;
        self.index.find(hash, |p| entries.get(p as usize).is_some_and(|(n, _)| n == number)).map(|p| p as usize)
    }

    pub fn get(&self, number: &str) -> Option<&ScanTally> {
        let at = self.position(id_hash(number), number)?;
        self.entries.get(at).map(|(_, t)| t)
    }

    pub fn get_mut(&mut self, number: &str) -> Option<&mut ScanTally> {
        let at = self.position(id_hash(number), number)?;
        self.entries.get_mut(at).map(|(_, t)| t)
    }

    /// The tally of `number` (whose hash is `hash`), made empty when it has none.
    pub(crate) fn tally_hashed(&mut self, hash: u64, number: &str) -> &mut ScanTally {
        let at = match self.position(hash, number) {
            Some(at) => at,
            None => {
                self.index.insert(hash, self.entries.len() as u32);
                self.entries.push((number.into(), ScanTally::default()));
                self.entries.len() - 1
            }
        };
        &mut self.entries.get_mut(at).expect("the index holds positions of entries only").1
    }

    /// The tally of `number`, made empty when it has none.
    pub fn tally_mut(&mut self, number: &str) -> &mut ScanTally {
        self.tally_hashed(id_hash(number), number)
    }

    /// Sets the tally of `number`.
    pub fn insert(&mut self, number: &str, tally: ScanTally) {
        *self.tally_mut(number) = tally;
    }

    /// Adds every tally of `more` to this number's ([`ScanTally::add`]), the index slots and
    /// entries of the numbers ahead asked for while one is added.
    pub fn add_all(&mut self, more: ScanMap) {
        self.reserve(more.len());
        let hashes: Vec<u64> = more.entries.iter().map(|(n, _)| id_hash(n)).collect();
        for (i, ((number, tally), &hash)) in more.entries.into_iter().zip(&hashes).enumerate() {
            self.index.prefetch_ahead(&hashes, i, AHEAD, |p| self.entries.get(p));
            self.tally_hashed(hash, &number).add(&tally);
        }
    }

    /// Asks the memory for the index slot of the number hashing to `hash` or, once that has
    /// arrived (`entry`), for its entry.
    pub fn prefetch(&self, hash: u64, entry: bool) {
        match entry {
            false => self.index.prefetch_slot(hash),
            true => self.index.prefetch_entry(hash, |p| self.entries.get(p)),
        }
    }

    /// The numbers and their tallies, in the order the numbers were first added.
    pub fn iter(&self) -> impl Iterator<Item = (&Text, &ScanTally)> {
        self.entries.iter().map(|(n, t)| (n, t))
    }

    pub fn keys(&self) -> impl Iterator<Item = &Text> {
        self.entries.iter().map(|(n, _)| n)
    }
}

impl IntoIterator for ScanMap {
    type Item = (Text, ScanTally);
    type IntoIter = std::vec::IntoIter<(Text, ScanTally)>;

    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl FromIterator<(Text, ScanTally)> for ScanMap {
    /// A number given twice keeps its last tally (as a map's `collect` does).
    fn from_iter<I: IntoIterator<Item = (Text, ScanTally)>>(iter: I) -> ScanMap {
        let mut map = ScanMap::default();
        for (number, tally) in iter {
            map.insert(&number, tally);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tally(scans: u32, first_delivered: Option<i64>) -> ScanTally {
        ScanTally { scans, delivered: first_delivered.is_some(), first_delivered }
    }

    #[test]
    fn adding_maps_sums_counts_and_keeps_the_earliest_delivery() {
        let mut all: ScanMap =
            [("1Z1".into(), tally(1, None)), ("9400".into(), tally(2, Some(50)))].into_iter().collect();
        let more: ScanMap = (0..100)
            .map(|i| (Text::from(format!("N{i}")), tally(1, None)))
            .chain([("9400".into(), tally(3, Some(40))), ("1Z1".into(), tally(1, Some(70)))])
            .collect();
        all.add_all(more);
        assert_eq!(all.len(), 102);
        assert_eq!(all.get("9400"), Some(&tally(5, Some(40))));
        assert_eq!(all.get("1Z1"), Some(&tally(2, Some(70))));
        assert_eq!(all.get("N99"), Some(&tally(1, None)));
        assert_eq!(all.get("N100"), None);
        all.tally_mut("new").scans += 1;
        assert_eq!(all.get("new"), Some(&tally(1, None)));
        assert_eq!(all.keys().next().map(|n| n.as_str()), Some("1Z1"), "first added first");
    }

    #[test]
    fn collecting_keeps_the_last_tally_of_a_number() {
        let map: ScanMap = [("A".into(), tally(1, None)), ("A".into(), tally(7, None))].into_iter().collect();
        assert_eq!(map.len(), 1);
        assert_eq!(map.get("A"), Some(&tally(7, None)));
    }
}
