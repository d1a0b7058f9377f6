//! The order book: every file folded into one state per order (SPEC §2, §5.2).
//!
//! Folding is associative and commutative: every "newest"/"oldest" choice compares a
//! [`SnapshotKey`] (snapshot time, then the file's rank among sorted paths), never the order
//! in which files arrive. So files can be read in parallel and absorbed as they finish, and
//! the book can be split by `order_id` across machines (the scale-out seam): each order's
//! state depends only on the rows that name it.

use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::marketplace::Marketplace;
use crate::order_index::{Blocks, OrderIndex};
use crate::prefetch::prefetch;
use crate::rows::{CancelEvent, FeedRow, FileData, Initiator, Items, ScanMap, ScanTally, ShipDate, Snapshot};
use crate::shard::{id_hash, id_order, shard_of, shard_of_hash, SHARDS};
use crate::status::{Channel, Status};
use crate::timestamp::Micros;
use crate::Text;

/// Orders snapshots: by time (missing = oldest), ties by the file's rank (§2 item 1, §5.1).
///
/// Packed in one `u64` because every order keeps one per field (nine of them): whole seconds
/// since 1900 in the high 42 bits, the file rank in the low 22 (4 million files). Report
/// timestamps are whole seconds; two snapshots less than a second apart are ordered by path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SnapshotKey(u64);

const RANK_BITS: u32 = 22;
/// Seconds from 1900-01-01 to 1970-01-01.
const SECONDS_BEFORE_1970: i64 = 2_208_988_800;

impl SnapshotKey {
    pub fn new(time: Option<Micros>, rank: u32) -> Self {
        assert!(rank < 1 << RANK_BITS, "more than {} input files", 1u32 << RANK_BITS);
        let seconds = match time {
            // 1 = any time before 1900; 0 = no time (the oldest of all).
            Some(t) => (t.div_euclid(1_000_000) + SECONDS_BEFORE_1970).clamp(1, (1 << 41) - 1) as u64,
            None => 0,
        };
        SnapshotKey(seconds << RANK_BITS | rank as u64)
    }

    /// The packed key, as the store writes it.
    pub fn to_bits(self) -> u64 {
        self.0
    }

    /// A key the store wrote.
    pub fn from_bits(bits: u64) -> Self {
        SnapshotKey(bits)
    }

    /// The file part: a rank in a run, a file id in the store.
    fn file(self) -> u32 {
        (self.0 & ((1 << RANK_BITS) - 1)) as u32
    }

    fn with_file(self, file: u32) -> Self {
        assert!(file < 1 << RANK_BITS, "more than {} input files", 1u32 << RANK_BITS);
        SnapshotKey(self.0 >> RANK_BITS << RANK_BITS | file as u64)
    }
}

/// Rewrites the file part of a keyed value (see [`OrderState::renumber_files`]).
fn renumber<T>(slot: &mut Keyed<T>, to: &impl Fn(u32) -> u32) {
    if let Some((key, _)) = slot {
        *key = key.with_file(to(key.file()));
    }
}

/// A value that remembers which snapshot gave it.
pub type Keyed<T> = Option<(SnapshotKey, T)>;

fn newer<T>(slot: &mut Keyed<T>, key: SnapshotKey, value: Option<T>) {
    if let Some(v) = value {
        if slot.as_ref().is_none_or(|(k, _)| key > *k) {
            *slot = Some((key, v));
        }
    }
}

/// [`newer`] for interned text. Most snapshots repeat the order's previous value: then only
/// the key moves, with no lookup among the names and no reference counted (an atomic
/// increment and decrement per field of every snapshot otherwise).
fn newer_name(slot: &mut Keyed<Arc<str>>, key: SnapshotKey, value: Option<&str>, names: &mut Names) {
    let Some(value) = value else { return };
    match slot {
        Some((k, current)) if key > *k => {
            if **current != *value {
                *current = names.intern(value);
            }
            *k = key;
        }
        Some(_) => {}
        None => *slot = Some((key, names.intern(value))),
    }
}

fn older<T>(slot: &mut Keyed<T>, key: SnapshotKey, value: T) {
    if slot.as_ref().is_none_or(|(k, _)| key < *k) {
        *slot = Some((key, value));
    }
}

/// Which cancellation events name an order (§1.2).
#[derive(Debug, Clone, Copy, Default)]
pub struct EventFlags {
    pub any: bool,
    pub buyer: bool,
    pub seller: bool,
    pub amazon_auto: bool,
    pub amazon_other: bool,
}

/// Everything the inputs say about one order: what the fold keeps, and what the store keeps
/// (one row per order, `store.rs` in the pipeline crate; file ranks become file ids there).
#[derive(Debug, Default, Clone)]
pub struct OrderState {
    pub id: Text,
    pub snapshots: u32,
    pub status: Keyed<Status>,
    pub channel: Keyed<Channel>,
    pub sales_channel: Keyed<Arc<str>>,
    /// From the newest snapshot with a `@marketplace.amazon.…` buyer e-mail.
    pub email_marketplace: Keyed<Marketplace>,
    pub purchase_ts: Keyed<Micros>,
    pub expected_ship: Keyed<Micros>,
    /// The promised delivery date: the newest snapshot that has one (§3.3).
    pub expected_delivery: Keyed<Micros>,
    /// The newest snapshot's SKUs (its item rows, never a union of two snapshots). Kept as
    /// given, inline (most orders have one short SKU): interning them looked each up in a
    /// table of names once per order, a cache miss each (docs/BENCHMARKS.md).
    pub skus: Keyed<Items>,
    /// The `order-item-id`s of the newest snapshot that has any (the cancellation feed).
    pub item_ids: Keyed<Box<[Text]>>,
    /// (currency, Σ prices) of the newest snapshot that has a currency.
    pub valued: Keyed<(Arc<str>, i64)>,
    pub buyer_requested: bool,
    /// `last_updated_ts` of the oldest snapshot showing `Cancelled`.
    pub cancel_seen: Keyed<Option<Micros>>,
    pub any_pending: bool,
    /// The earliest `last_updated_ts` of a snapshot showing a shipped status: when Amazon
    /// recorded the first confirmation (§3.5).
    pub first_shipped_update: Option<Micros>,
    /// Some snapshot shows a status other than Pending or Cancelled (rule 3 of §2.1).
    pub other_than_pending_or_cancelled: bool,
    pub events: EventFlags,
    pub feed_row: bool,
    pub reasons: Vec<Text>,
    /// Its shipment confirmation rows (a row makes the order shipped).
    pub shipments: Vec<Shipment>,
}

impl OrderState {
    /// Folds a snapshot in; what the state keeps of it is moved out (`s` is left to be dropped).
    fn absorb_snapshot(&mut self, key: SnapshotKey, s: &mut Snapshot, names: &mut Names) {
        if s.joins {
            return self.join_items(key, s, names);
        }
        self.snapshots += 1;
        let status = s.status_raw.as_deref().map(Status::parse);
        match &status {
            Some(Status::Pending) => self.any_pending = true,
            Some(Status::Cancelled) => older(&mut self.cancel_seen, key, s.last_updated),
            Some(_) => self.other_than_pending_or_cancelled = true,
            // SP-API items given apart: a snapshot with no status says nothing of it.
            None => {}
        }
        if status.as_ref().is_some_and(Status::is_shipped) {
            if let Some(t) = s.last_updated {
                self.first_shipped_update = Some(self.first_shipped_update.map_or(t, |f| f.min(t)));
            }
        }
        newer(&mut self.status, key, status);
        newer(&mut self.channel, key, s.channel);
        newer_name(&mut self.sales_channel, key, s.sales_channel.as_deref(), names);
        newer(&mut self.email_marketplace, key, s.email_marketplace);
        newer(&mut self.purchase_ts, key, s.purchase_ts);
        newer(&mut self.expected_ship, key, s.expected_ship);
        newer(&mut self.expected_delivery, key, s.expected_delivery);
        if let (Some((k, skus)), true) = (&mut self.skus, s.items_given) {
            if key > *k && *skus == s.skus {
                *k = key;
            }
        }
        if s.items_given && self.skus.as_ref().is_none_or(|(k, _)| key > *k) {
            self.skus = Some((key, std::mem::take(&mut s.skus)));
        }
        if let Some((k, ids)) = &mut self.item_ids {
            // A newer snapshot with the same items (every night's): only the key moves.
            if key > *k && **ids == *s.item_ids {
                *k = key;
            }
        }
        if !s.item_ids.is_empty() && self.item_ids.as_ref().is_none_or(|(k, _)| key > *k) {
            self.item_ids = Some((key, std::mem::take(&mut s.item_ids).into_vec().into_boxed_slice()));
        }
        if let Some(currency) = s.currency.as_deref() {
            match &mut self.valued {
                Some((k, (current, value))) if key > *k => {
                    if **current != *currency {
                        *current = names.intern(currency);
                    }
                    (*k, *value) = (key, s.value_micros);
                }
                Some(_) => {}
                None => self.valued = Some((key, (names.intern(currency), s.value_micros))),
            }
        }
        self.buyer_requested |= s.buyer_requested;
    }

    /// Asks the memory for the item ids the state points to, which folding a snapshot
    /// compares with its own.
    fn prefetch_items(&self) {
        if let Some((_, ids)) = &self.item_ids {
            if let Some(first) = ids.first() {
                prefetch(first);
            }
        }
    }

    /// Items given apart joining this order's snapshot `key`, folded earlier: that snapshot's
    /// items become the union of both, as if they had been given with it (§1.6).
    fn join_items(&mut self, key: SnapshotKey, s: &mut Snapshot, names: &mut Names) {
        match &mut self.skus {
            Some((k, skus)) if *k == key => {
                for sku in std::mem::take(&mut s.skus) {
                    if !skus.contains(&sku) {
                        skus.push(sku);
                    }
                }
            }
            slot if slot.as_ref().is_none_or(|(k, _)| key > *k) => {
                *slot = Some((key, std::mem::take(&mut s.skus)));
            }
            _ => {}
        }
        match &mut self.item_ids {
            Some((k, ids)) if *k == key => {
                let mut all = ids.to_vec();
                all.extend(std::mem::take(&mut s.item_ids).into_iter().filter(|id| !ids.contains(id)));
                *ids = all.into_boxed_slice();
            }
            slot if !s.item_ids.is_empty() && slot.as_ref().is_none_or(|(k, _)| key > *k) => {
                *slot = Some((key, std::mem::take(&mut s.item_ids).into_vec().into_boxed_slice()));
            }
            _ => {}
        }
        match &mut self.valued {
            Some((k, (currency, value))) if *k == key => {
                *value = value.saturating_add(s.value_micros);
                if let Some(c) = s.currency.as_deref().filter(|c| **c < **currency) {
                    *currency = names.intern(c);
                }
            }
            slot => newer(slot, key, s.currency.as_deref().map(|c| (names.intern(c), s.value_micros))),
        }
        self.buyer_requested |= s.buyer_requested;
    }

    /// Maps every file number the state holds (in its keys and its shipments' positions)
    /// through `to`. The store keeps file ids, a run compares file ranks: both orders agree
    /// on the files a state has seen (ranks of stored files keep their order when files are
    /// added), so a state folded under one numbering folds on under the other.
    pub fn renumber_files(&mut self, to: &impl Fn(u32) -> u32) {
        renumber(&mut self.status, to);
        renumber(&mut self.channel, to);
        renumber(&mut self.sales_channel, to);
        renumber(&mut self.email_marketplace, to);
        renumber(&mut self.purchase_ts, to);
        renumber(&mut self.expected_ship, to);
        renumber(&mut self.expected_delivery, to);
        renumber(&mut self.skus, to);
        renumber(&mut self.item_ids, to);
        renumber(&mut self.valued, to);
        renumber(&mut self.cancel_seen, to);
        for s in &mut self.shipments {
            s.position.0 = to(s.position.0);
        }
    }

    /// Folds in the state another set of files gave the same order: the result is the state
    /// of all those files folded together (every field is a newest/oldest by key, a sum, an
    /// or or a union). Both must number files the same way (ranks of one run).
    pub fn merge(&mut self, other: OrderState) {
        fn take_newer<T>(slot: &mut Keyed<T>, other: Keyed<T>) {
            if let Some((key, value)) = other {
                newer(slot, key, Some(value));
            }
        }
        self.snapshots += other.snapshots;
        take_newer(&mut self.status, other.status);
        take_newer(&mut self.channel, other.channel);
        take_newer(&mut self.sales_channel, other.sales_channel);
        take_newer(&mut self.email_marketplace, other.email_marketplace);
        take_newer(&mut self.purchase_ts, other.purchase_ts);
        take_newer(&mut self.expected_ship, other.expected_ship);
        take_newer(&mut self.expected_delivery, other.expected_delivery);
        take_newer(&mut self.skus, other.skus);
        take_newer(&mut self.item_ids, other.item_ids);
        take_newer(&mut self.valued, other.valued);
        if let Some((key, value)) = other.cancel_seen {
            older(&mut self.cancel_seen, key, value);
        }
        self.buyer_requested |= other.buyer_requested;
        self.any_pending |= other.any_pending;
        self.first_shipped_update = match (self.first_shipped_update, other.first_shipped_update) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.other_than_pending_or_cancelled |= other.other_than_pending_or_cancelled;
        let (e, o) = (&mut self.events, other.events);
        (e.any, e.buyer, e.seller) = (e.any | o.any, e.buyer | o.buyer, e.seller | o.seller);
        (e.amazon_auto, e.amazon_other) = (e.amazon_auto | o.amazon_auto, e.amazon_other | o.amazon_other);
        self.feed_row |= other.feed_row;
        for r in other.reasons {
            self.add_reason(Some(r));
        }
        self.shipments.reserve_exact(other.shipments.len());
        self.shipments.extend(other.shipments);
    }

    fn add_reason(&mut self, reason: Option<Text>) {
        if let Some(r) = reason {
            if let Err(at) = self.reasons.binary_search(&r) {
                self.reasons.insert(at, r);
            }
        }
    }

    fn absorb_event(&mut self, e: &mut CancelEvent) {
        let f = &mut self.events;
        f.any = true;
        match e.initiated_by {
            Initiator::Buyer => f.buyer = true,
            Initiator::Seller => f.seller = true,
            Initiator::Amazon if e.reason.as_deref() == Some("AutoCancelUnshipped") => f.amazon_auto = true,
            Initiator::Amazon => f.amazon_other = true,
        }
        self.add_reason(e.reason.take());
    }

    fn absorb_feed(&mut self, f: &mut FeedRow) {
        self.feed_row = true;
        self.add_reason(f.reason.take());
    }
}

/// One shipment-confirmation row of an order, with its place in input order.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// (file rank, line): "first row in input order" decides a package's carrier.
    pub position: (u32, u64),
    pub ship: ShipDate,
    /// `carrier-code`, or `carrier-name` when the code is `Other` (§5.5), trimmed.
    pub carrier: Arc<str>,
    /// As given, ASCII spaces trimmed at the ends.
    pub tracking: Text,
}

/// Interned text (sales channels, currencies, SKUs): a few thousand distinct values shared
/// by millions of orders, stored once.
#[derive(Debug, Default)]
pub struct Names(FxHashSet<Arc<str>>);

impl Names {
    pub fn intern(&mut self, value: &str) -> Arc<str> {
        match self.0.get(value) {
            Some(v) => v.clone(),
            None => {
                let v: Arc<str> = value.into();
                self.0.insert(v.clone());
                v
            }
        }
    }
}

/// A catalog row and its input position (file rank, row index).
pub type CatalogEntry = ((u32, u32), Text);

/// Every order mentioned by any input: states by position ([`Blocks`]), found through an
/// index of positions ([`OrderIndex`]). Positions instead of a map of whole states keep the
/// per-order cost near the size of the state itself (a map's buckets hold the state, and it
/// grows by doubling), and let a fold ask for the states of the next rows ahead of time.
#[derive(Debug, Default)]
pub struct OrderTable {
    /// Positions of a prefix of `states` (all of them once anything was looked up): states
    /// the store gives back are indexed only when a lookup needs them, never for a report.
    index: OrderIndex,
    states: Blocks<OrderState>,
}

/// How many rows ahead a fold asks for a state (and twice as far for its index slot): far
/// enough to cover a miss to memory, near enough that what it asked for is still in cache.
const AHEAD: usize = 8;

impl OrderTable {
    /// Indexes the states not indexed yet (those the store gave back).
    fn index_all(&mut self) {
        let OrderTable { index, states } = self;
        if index.len() < states.len() {
            index.reserve(states.len() - index.len());
            for (i, state) in states.iter().enumerate().skip(index.len()) {
                index.insert(id_hash(&state.id), i as u32);
            }
        }
    }

    /// The state of order `id` (whose hash is `hash`), created empty when it is new. The
    /// index must hold every state.
    fn state(&mut self, hash: u64, id: &str) -> &mut OrderState {
        let OrderTable { index, states } = self;
        let at = match index.find(hash, |i| states.get(i as usize).is_some_and(|s| s.id == id)) {
            Some(i) => i as usize,
            None => {
                let i = states.push(OrderState { id: id.into(), ..Default::default() });
                index.insert(hash, i as u32);
                i
            }
        };
        states.get_mut(at).expect("the index holds positions of states only")
    }

    /// `fold(state, item)` for each item in turn, with the state of order `id_of(item)`
    /// (created empty when new). The index slots and states of the items ahead are asked
    /// for while the current one is folded (module `order_index`).
    pub(crate) fn fold_each<T>(
        &mut self,
        items: &mut [T],
        id_of: impl Fn(&T) -> &str,
        mut fold: impl FnMut(&mut OrderState, &mut T),
    ) {
        self.index_all();
        self.index.reserve(items.len());
        let hashes: Vec<u64> = items.iter().map(|item| id_hash(id_of(item))).collect();
        for (i, (item, &hash)) in items.iter_mut().zip(&hashes).enumerate() {
            self.index.prefetch_ahead(&hashes, i, AHEAD, |p| self.states.get(p));
            // Half as far ahead the state has arrived: what it points to is asked for.
            if let Some(state) = hashes.get(i + AHEAD / 2).and_then(|&h| self.states.get(self.index.guess(h)? as usize))
            {
                state.prefetch_items();
            }
            fold(self.state(hash, id_of(item)), item);
        }
    }

    /// A table of states of distinct orders (as the store gives them back), indexed when
    /// first looked up.
    pub fn from_states(states: Vec<OrderState>) -> OrderTable {
        OrderTable { index: OrderIndex::default(), states: Blocks::from_vec(states) }
    }

    pub fn len(&self) -> usize {
        self.states.len()
    }

    pub fn is_empty(&self) -> bool {
        self.states.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &OrderState> {
        self.states.iter()
    }

    /// The states, in no particular order (the index is dropped).
    pub(crate) fn into_states(self) -> Vec<OrderState> {
        self.states.into_vec()
    }

    /// The states in the blocks they are kept in, none copied (the index is dropped).
    pub(crate) fn into_blocks(self) -> Vec<Vec<OrderState>> {
        self.states.into_parts()
    }
}

/// One shard of the folded inputs: the orders whose ids fall in it, the scans of the
/// tracking numbers that fall in it, the catalog rows of its SKUs.
#[derive(Debug, Default)]
pub struct BookShard {
    orders: OrderTable,
    /// Scans by normalised tracking number; `None` when no scans file was given.
    scans: Option<ScanMap>,
    /// SKU → category: the first catalog row in input order wins (§5.5).
    catalog: FxHashMap<Text, CatalogEntry>,
    newest_observation: Option<Micros>,
    names: Names,
}

/// All inputs folded together, in shards. Each shard is kept as it was built (no merge
/// step copies millions of states), and lookups go to the key's shard.
#[derive(Debug, Default)]
pub struct Book {
    shards: Vec<BookShard>,
}

impl Book {
    /// The book made of shards built by [`BookShard::absorb`]; shard `i` must hold the keys
    /// whose [`shard_of`] is `i`.
    pub fn from_shards(shards: Vec<BookShard>) -> Book {
        assert!(shards.is_empty() || shards.len() == SHARDS, "one shard per shard number");
        Book { shards }
    }

    /// The shards, each a partition of the orders (the scale-out seam, `partition.rs`).
    pub fn into_shards(self) -> Vec<BookShard> {
        self.shards
    }

    /// The newest observation among accepted rows (the default `as_of`, §5.3).
    pub fn newest_observation(&self) -> Option<Micros> {
        self.shards.iter().filter_map(|s| s.newest_observation).max()
    }

    /// Orders mentioned by any input (with or without an order report).
    pub fn orders_len(&self) -> usize {
        self.shards.iter().map(|s| s.orders.len()).sum()
    }

    /// Shipment-confirmation rows held.
    pub fn shipment_rows(&self) -> usize {
        self.shards.iter().flat_map(|s| s.orders.iter()).map(|o| o.shipments.len()).sum()
    }

    /// A scans file was given (the scan checks are on).
    pub fn has_scans(&self) -> bool {
        self.shards.iter().any(|s| s.scans.is_some())
    }

    /// The scans of a normalised tracking number.
    pub fn scans_of(&self, number: &str) -> Option<&ScanTally> {
        self.shards.get(shard_of(number))?.scans.as_ref()?.get(number)
    }

    /// Asks the memory for where the scans of tracking number `number` are: the index slot,
    /// or once that has arrived (`entry`) the entry (a hint: most numbers are given as
    /// [`orderhealth_carriers::normalise`] makes them, and a number that is not is only not
    /// prefetched).
    pub fn prefetch_scans(&self, number: &str, entry: bool) {
        let hash = id_hash(number);
        if let Some(scans) = self.shards.get(shard_of_hash(hash)).and_then(|s| s.scans.as_ref()) {
            scans.prefetch(hash, entry);
        }
    }

    /// The catalog category of a SKU.
    pub fn category(&self, sku: &str) -> Option<&str> {
        self.shards.get(shard_of(sku))?.catalog.get(sku).map(|(_, c)| c.as_str())
    }

    /// Moves the order states out, one vector per shard (the book keeps scans and catalog).
    pub fn take_states(&mut self) -> Vec<Vec<OrderState>> {
        self.shards.iter_mut().map(|s| std::mem::take(&mut s.orders).into_states()).collect()
    }

    /// Moves the order states out in the blocks they are kept in, shard after shard, none
    /// copied (the book keeps scans and catalog).
    pub fn take_state_blocks(&mut self) -> Vec<Vec<OrderState>> {
        self.shards.iter_mut().flat_map(|s| std::mem::take(&mut s.orders).into_blocks()).collect()
    }
}

impl BookShard {
    /// A shard as the store keeps it: its orders' states, scans and catalog rows.
    pub fn from_parts(
        orders: OrderTable,
        scans: Option<ScanMap>,
        catalog: FxHashMap<Text, CatalogEntry>,
        names: Names,
    ) -> BookShard {
        BookShard { orders, scans, catalog, newest_observation: None, names }
    }

    pub fn orders(&self) -> &OrderTable {
        &self.orders
    }

    /// The shard with `states` for its orders, keeping its scans and catalog: a store's live
    /// states beside the scans and catalog they were just judged against, as a read of the
    /// store gives them (no newest observation: the store's manifest has those).
    pub fn with_states(self, states: Vec<OrderState>) -> BookShard {
        BookShard::from_parts(OrderTable::from_states(states), self.scans, self.catalog, Names::default())
    }

    /// Scans by normalised tracking number; `None` when no scans file was read.
    pub fn scans(&self) -> Option<&ScanMap> {
        self.scans.as_ref()
    }

    /// Replaces the shard's scans: a store reads them once it knows which numbers it needs.
    pub fn set_scans(&mut self, scans: Option<ScanMap>) {
        self.scans = scans;
    }

    pub fn catalog(&self) -> &FxHashMap<Text, CatalogEntry> {
        &self.catalog
    }

    /// Shards of several states merged at once, oldest first (as [`BookShard::merge`] of
    /// each into the merge of those before it), each order's state moved once: merging `k`
    /// layers of like size one after another moved the first layer's states `k` times. One
    /// shard is given back as it is (its orders in the order they were, sorted or not); the
    /// merge of several has room for `room` more orders (merged into it next, in place).
    pub fn merge_all(mut shards: Vec<BookShard>, room: usize) -> BookShard {
        if shards.len() == 1 {
            if let Some(one) = shards.pop() {
                return one;
            }
        }
        let mut sides: Vec<std::collections::VecDeque<OrderState>> = Vec::with_capacity(shards.len());
        let mut merged = BookShard::default();
        for (k, shard) in shards.into_iter().enumerate() {
            let mut states = shard.orders.into_states();
            if !states.is_sorted_by(|a, b| id_order(&a.id, &b.id).is_le()) {
                states.sort_unstable_by(|a, b| id_order(&a.id, &b.id));
            }
            sides.push(states.into());
            merged.scans = match (merged.scans, shard.scans) {
                (Some(mut a), Some(b)) => {
                    a.add_all(b);
                    Some(a)
                }
                (a, b) => a.or(b),
            };
            if k == 0 {
                (merged.catalog, merged.names) = (shard.catalog, shard.names);
            } else {
                for (sku, entry) in shard.catalog {
                    keep_first(&mut merged.catalog, sku, entry);
                }
            }
            merged.newest_observation = merged.newest_observation.max(shard.newest_observation);
        }
        let mut states = Vec::with_capacity(sides.iter().map(|s| s.len()).sum::<usize>() + room);
        // The oldest side whose next order sorts first; the same order in later sides merges
        // into it in their order.
        while let Some(k) = (0..sides.len())
            .filter_map(|k| Some((k, sides.get(k)?.front()?)))
            .min_by(|a, b| id_order(&a.1.id, &b.1.id))
            .map(|(k, _)| k)
        {
            let Some(mut state) = sides.get_mut(k).and_then(|side| side.pop_front()) else { break };
            for side in sides.iter_mut().skip(k + 1) {
                if side.front().is_some_and(|o| o.id == state.id) {
                    if let Some(later) = side.pop_front() {
                        state.merge(later);
                    }
                }
            }
            states.push(state);
        }
        merged.orders = OrderTable::from_states(states);
        merged
    }

    /// The shard of the inputs of both: orders merged ([`OrderState::merge`]), scans added,
    /// the first catalog row kept. Both must number files the same way. Orders of sides of
    /// like size are merged as two lists sorted by id (as the store keeps them), so the result
    /// is sorted too and the next merge does not sort again; a small layer merged into a large
    /// base is looked up in it instead and merged in place or added at the end, moving none
    /// of the base's states.
    ///
    /// A base read with room for what is merged into it (`room` of a store's read) is merged
    /// in its own vector, still sorted: its sorted run stays where it is and what follows it
    /// (touched orders read after the live ones) is merged with the other side first. A new
    /// vector for both was faulted in afresh (a base of a hundred thousand orders: 40 MB).
    pub fn merge(mut self, mut other: BookShard) -> BookShard {
        let mut mine = std::mem::take(&mut self.orders).into_states();
        let mut theirs = std::mem::take(&mut other.orders).into_states();
        let room = mine.capacity() - mine.len() >= theirs.len();
        if room && !mine.is_empty() && mine.len() <= 8 * theirs.len() && theirs.len() <= 8 * mine.len() {
            let mut after = mine.split_off(sorted_run(&mine));
            sort_by_id(&mut theirs);
            if !after.is_empty() {
                sort_by_id(&mut after);
                theirs = merge_sorted(after, theirs);
            }
            let states = merge_sorted_in_place(mine, theirs);
            return self.joined(other, states);
        }
        sort_by_id(&mut mine);
        sort_by_id(&mut theirs);
        let big = mine.len().max(theirs.len());
        let small = mine.len().min(theirs.len());
        let states = match big > 8 * small {
            true if mine.len() >= theirs.len() => merge_into(mine, theirs),
            true => merge_into(theirs, mine),
            false => merge_sorted(mine, theirs),
        };
        self.joined(other, states)
    }

    /// [`BookShard::merge`] with the orders in no particular order, for a read whose orders
    /// are sorted after it (a report's view sorts them): each state of `later` is merged into
    /// its order's state here in place, or added at the end, into the room this shard's vector
    /// was read with. None of this shard's states moves: a sorted merge of a store's base and
    /// its layers copied every state of both into a new vector, and faulted that one in.
    pub fn merge_unordered(mut self, mut later: BookShard) -> BookShard {
        let mut states = std::mem::take(&mut self.orders).into_states();
        let theirs = std::mem::take(&mut later.orders).into_states();
        // Where each of theirs goes: found by walking both sides in id order (positions
        // sorted, not the states).
        let (mine_sorted, theirs_sorted) = (positions_by_id(&states), positions_by_id(&theirs));
        let mut target: Vec<Option<usize>> = vec![None; theirs.len()];
        let mut at = mine_sorted.iter().peekable();
        for &t in &theirs_sorted {
            let Some(id) = theirs.get(t).map(|o| &o.id) else { continue };
            while let Some(&&p) = at.peek() {
                match states.get(p).map(|o| id_order(&o.id, id)) {
                    Some(std::cmp::Ordering::Less) => drop(at.next()),
                    Some(std::cmp::Ordering::Equal) => {
                        if let Some(slot) = target.get_mut(t) {
                            *slot = Some(p);
                        }
                        break;
                    }
                    _ => break,
                }
            }
        }
        states.reserve(target.iter().filter(|p| p.is_none()).count());
        for (state, p) in theirs.into_iter().zip(target) {
            match p.and_then(|p| states.get_mut(p)) {
                Some(mine) => mine.merge(state),
                None => states.push(state),
            }
        }
        self.joined(later, states)
    }

    /// This shard with `states` for its orders and `other`'s scans, catalog and newest
    /// observation joined to its own (the rest of a merge).
    fn joined(self, other: BookShard, states: Vec<OrderState>) -> BookShard {
        let scans = match (self.scans, other.scans) {
            (Some(mut a), Some(b)) => {
                a.add_all(b);
                Some(a)
            }
            (a, b) => a.or(b),
        };
        let mut catalog = self.catalog;
        for (sku, entry) in other.catalog {
            keep_first(&mut catalog, sku, entry);
        }
        let newest_observation = self.newest_observation.max(other.newest_observation);
        BookShard { orders: OrderTable::from_states(states), scans, catalog, newest_observation, names: self.names }
    }

    /// Maps every file number the shard holds through `to` ([`OrderState::renumber_files`]).
    pub fn renumber_files(&mut self, to: &(impl Fn(u32) -> u32 + Sync)) {
        for o in self.orders.states.iter_mut() {
            o.renumber_files(to);
        }
        for ((file, _), _) in self.catalog.values_mut() {
            *file = to(*file);
        }
    }

    /// The newest observation among the rows this shard absorbed.
    pub fn newest_observation(&self) -> Option<Micros> {
        self.newest_observation
    }

    fn absorb_snapshots(&mut self, rank: u32, mut snapshots: Vec<(Text, Snapshot)>) {
        let BookShard { orders, names, .. } = self;
        orders.fold_each(
            &mut snapshots,
            |(id, _)| id,
            |state, (_, s)| state.absorb_snapshot(SnapshotKey::new(s.time(), rank), s, names),
        );
    }

    /// Folds one file's share of this shard in; `rank` is the file's position among sorted
    /// input paths.
    pub fn absorb(&mut self, rank: u32, data: FileData, newest_observation: Option<Micros>) {
        if let Some(t) = newest_observation {
            self.newest_observation = Some(self.newest_observation.map_or(t, |n| n.max(t)));
        }
        match data {
            FileData::Orders(lists) => {
                for list in lists {
                    self.absorb_snapshots(rank, list);
                }
            }
            FileData::Snapshots(list) => self.absorb_snapshots(rank, list),
            FileData::Events(mut events) => {
                self.orders.fold_each(&mut events, |e| &e.order_id, |state, e| state.absorb_event(e));
            }
            FileData::Feed(mut rows) => {
                self.orders.fold_each(&mut rows, |f| &f.order_id, |state, f| state.absorb_feed(f));
            }
            FileData::Confirmations(mut rows) => {
                let BookShard { orders, names, .. } = self;
                orders.fold_each(
                    &mut rows,
                    |row| &row.order_id,
                    |state, row| {
                        state.shipments.push(Shipment {
                            position: (rank, row.line),
                            ship: row.ship,
                            carrier: names.intern(&row.carrier),
                            tracking: std::mem::take(&mut row.tracking),
                        })
                    },
                );
            }
            FileData::Scans(maps) => {
                for map in maps {
                    match &mut self.scans {
                        Some(scans) => scans.add_all(map),
                        None => self.scans = Some(map),
                    }
                }
            }
            FileData::Catalog(rows) => {
                for (i, (sku, category)) in rows.into_iter().enumerate() {
                    keep_first(&mut self.catalog, sku, ((rank, i as u32), category));
                }
            }
            FileData::Several(parts) => {
                for part in parts {
                    self.absorb(rank, part, None);
                }
            }
        }
    }
}

/// Two lists of states sorted by id (no id twice in either) as one: the states of an order
/// both have merged, `a`'s first.
fn merge_sorted(a: Vec<OrderState>, b: Vec<OrderState>) -> Vec<OrderState> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut a, mut b) = (a.into_iter().peekable(), b.into_iter().peekable());
    while let (Some(x), Some(y)) = (a.peek(), b.peek()) {
        let next = match id_order(&x.id, &y.id) {
            std::cmp::Ordering::Less => a.next(),
            std::cmp::Ordering::Greater => b.next(),
            std::cmp::Ordering::Equal => a.next().zip(b.next()).map(|(mut x, y)| {
                x.merge(y);
                x
            }),
        };
        out.extend(next);
    }
    out.extend(a);
    out.extend(b);
    out
}

/// How many states at the start of `states` are sorted by id.
fn sorted_run(states: &[OrderState]) -> usize {
    let unsorted = states.iter().zip(states.iter().skip(1)).position(|(a, b)| id_order(&a.id, &b.id).is_gt());
    unsorted.map_or(states.len(), |last_sorted| last_sorted + 1)
}

fn sort_by_id(states: &mut [OrderState]) {
    if !states.is_sorted_by(|a, b| id_order(&a.id, &b.id).is_le()) {
        states.sort_unstable_by(|a, b| id_order(&a.id, &b.id));
    }
}

/// `b` merged into `a`, both sorted by id (as [`merge_sorted`]), in `a`'s own vector: the
/// states on both sides merged in place, then the others of `b` moved in from the end, each
/// of `a`'s moved once (up by as many as come before it).
#[allow(
    clippy::indexing_slicing,
    reason = "`i` stays below `a.len()` and `w` above `i` (the slots between them are free)"
)]
fn merge_sorted_in_place(mut a: Vec<OrderState>, b: Vec<OrderState>) -> Vec<OrderState> {
    let mut others: Vec<OrderState> = Vec::with_capacity(b.len());
    let mut i = 0;
    for y in b {
        while i < a.len() && id_order(&a[i].id, &y.id).is_lt() {
            i += 1;
        }
        match i < a.len() && a[i].id == y.id {
            true => a[i].merge(y),
            false => others.push(y),
        }
    }
    // `a`'s first `i` states are still to be placed, at or below `w`; the slots from `i` to
    // `w` are free (empty states), one for each of the others left.
    let (mut i, mut w) = (a.len(), a.len() + others.len());
    a.resize_with(w, OrderState::default);
    while let Some(y) = others.pop() {
        while i > 0 && id_order(&a[i - 1].id, &y.id).is_gt() {
            a.swap(i - 1, w - 1);
            i -= 1;
            w -= 1;
        }
        a[w - 1] = y;
        w -= 1;
    }
    a
}

/// The positions of `states` in id order. A store's base comes as its live states, sorted, and
/// then the touched settled ones: only those after the sorted run are sorted, then merged in.
fn positions_by_id(states: &[OrderState]) -> Vec<usize> {
    let id = |p: usize| states.get(p).map_or("", |o| o.id.as_str());
    let run = sorted_run(states);
    if run == states.len() {
        return (0..states.len()).collect();
    }
    let last_sorted = run - 1;
    let mut rest: Vec<usize> = (run..states.len()).collect();
    rest.sort_unstable_by(|&a, &b| id_order(id(a), id(b)));
    let mut positions = Vec::with_capacity(states.len());
    let mut rest = rest.into_iter().peekable();
    for p in 0..=last_sorted {
        while let Some(r) = rest.next_if(|&r| id_order(id(r), id(p)).is_lt()) {
            positions.push(r);
        }
        positions.push(p);
    }
    positions.extend(rest);
    positions
}

/// The states of `small` merged into `big` (sorted by id) where `big` has their order, added
/// at the end where not.
#[allow(clippy::indexing_slicing, reason = "positions come from a binary search of `big`")]
fn merge_into(mut big: Vec<OrderState>, small: Vec<OrderState>) -> Vec<OrderState> {
    let sorted = big.len();
    big.reserve(small.len());
    for state in small {
        match big[..sorted].binary_search_by(|o| id_order(&o.id, &state.id)) {
            Ok(at) => big[at].merge(state),
            Err(_) => big.push(state),
        }
    }
    big
}

/// The first catalog row of a SKU in input order wins (§5.5).
fn keep_first(catalog: &mut FxHashMap<Text, CatalogEntry>, sku: Text, entry: CatalogEntry) {
    let slot = catalog.entry(sku).or_insert_with(|| entry.clone());
    if entry.0 < slot.0 {
        *slot = entry;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{CancelEvent, FeedRow, Initiator};
    use crate::timestamp::parse_instant;

    #[test]
    fn snapshot_keys_order_by_time_then_rank() {
        let t = |s: &str| Some(parse_instant(s).unwrap());
        let missing = SnapshotKey::new(None, 9);
        let ancient = SnapshotKey::new(t("1850-01-01T00:00:00Z"), 0);
        let early = SnapshotKey::new(t("2026-03-01T00:00:00Z"), 5);
        let same_second_later_file = SnapshotKey::new(t("2026-03-01T00:00:00.9Z"), 6);
        let later = SnapshotKey::new(t("2026-03-01T00:00:01Z"), 0);
        assert!(
            missing < ancient && ancient < early && early < same_second_later_file && same_second_later_file < later
        );
    }

    /// The store keeps file ids where a run keeps ranks: renumbering rewrites the file part of
    /// every key and shipment position, and nothing else.
    #[test]
    fn renumbering_files_rewrites_only_the_file_part() {
        let t = Some(parse_instant("2026-03-01T00:00:00Z").unwrap());
        let key = SnapshotKey::new(t, 5);
        let mut o = OrderState { status: Some((key, Status::Shipped)), ..Default::default() };
        o.cancel_seen = Some((SnapshotKey::new(None, 2), None));
        o.shipments.push(Shipment {
            position: (5, 7),
            ship: ShipDate::Day(1),
            carrier: "UPS".into(),
            tracking: "1Z".into(),
        });
        o.renumber_files(&|f| f + 10);
        assert_eq!(o.status.as_ref().map(|(k, _)| *k), Some(SnapshotKey::new(t, 15)));
        assert_eq!(o.cancel_seen.as_ref().map(|(k, _)| *k), Some(SnapshotKey::new(None, 12)));
        assert_eq!(o.shipments[0].position, (15, 7));
        assert_eq!(SnapshotKey::from_bits(key.to_bits()), key);
    }

    /// Folding files into two shards and merging them is folding them all into one, whichever
    /// files went where (the store merges its layers this way).
    #[test]
    fn merging_two_partial_folds_is_the_fold_of_all_their_files() {
        let t = |s: &str| Some(parse_instant(s).unwrap());
        let snapshot = |status: &str, at: &str, sku: &str, buyer: bool| Snapshot {
            status_raw: Some(status.into()),
            last_updated: t(at),
            purchase_ts: t("2026-03-01T00:00:00Z"),
            skus: smallvec::smallvec![sku.into()],
            items_given: true,
            buyer_requested: buyer,
            ..Default::default()
        };
        let files = |rank: u32| -> Vec<FileData> {
            match rank {
                0 => vec![FileData::Snapshots(vec![
                    ("A".into(), snapshot("Unshipped", "2026-03-01T10:00:00Z", "s1", false)),
                    ("B".into(), snapshot("Pending", "2026-03-01T10:00:00Z", "s2", false)),
                ])],
                1 => vec![
                    FileData::Snapshots(vec![("A".into(), snapshot("Shipped", "2026-03-03T10:00:00Z", "s3", false))]),
                    FileData::Events(vec![CancelEvent {
                        order_id: "B".into(),
                        initiated_by: Initiator::Buyer,
                        reason: Some("BuyerCanceled".into()),
                    }]),
                ],
                _ => vec![
                    FileData::Snapshots(vec![
                        ("A".into(), snapshot("Shipped", "2026-03-03T10:00:00Z", "s4", true)),
                        ("B".into(), snapshot("Cancelled", "2026-03-02T10:00:00Z", "s2", false)),
                    ]),
                    FileData::Feed(vec![FeedRow { order_id: "B".into(), reason: Some("NoInventory".into()) }]),
                ],
            }
        };
        let fold = |ranks: &[u32]| {
            let mut shard = BookShard::default();
            for &rank in ranks {
                for data in files(rank) {
                    shard.absorb(rank, data, None);
                }
            }
            shard
        };
        let states = |shard: BookShard| {
            let mut v = shard.orders.into_states();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            format!("{v:?}")
        };
        let all = states(fold(&[0, 1, 2]));
        for (a, b) in [(vec![1], vec![0, 2]), (vec![2], vec![1, 0]), (vec![0, 1], vec![2])] {
            assert_eq!(states(fold(&a).merge(fold(&b))), all, "{a:?} + {b:?}");
            assert_eq!(states(fold(&b).merge(fold(&a))), all, "{b:?} + {a:?}");
        }
        // The tie at 2026-03-03T10:00:00Z went to the later file (rank 2): its SKU.
        assert!(all.contains("\"s4\""), "{all}");
        // Three folds merged at once are the fold of all their files too, in any order.
        for order in [[0, 1, 2], [2, 0, 1], [1, 2, 0]] {
            let merged = BookShard::merge_all(order.iter().map(|&r| fold(&[r])).collect(), 0);
            assert_eq!(states(merged), all, "{order:?} at once");
        }
        assert_eq!(states(BookShard::merge_all(vec![fold(&[0, 1, 2])], 0)), all, "one side");
    }

    /// Sides of like size merge into a list sorted by id (the next merge need not sort); a
    /// small side merged into a large one is looked up in it, new orders at the end. Either
    /// way an order on both sides is one state with the newer file's status.
    #[test]
    fn merging_alike_sides_keeps_the_states_sorted_and_a_small_side_is_looked_up() {
        let fold = |rank: u32, ids: &[String]| {
            let mut shard = BookShard::default();
            let status = Some(Text::from(format!("status of file {rank}")));
            let rows = ids
                .iter()
                .map(|id| (Text::from(id.as_str()), Snapshot { status_raw: status.clone(), ..Default::default() }));
            shard.absorb(rank, FileData::Snapshots(rows.collect()), None);
            shard
        };
        let ids = |shard: &BookShard| shard.orders().iter().map(|o| o.id.to_string()).collect::<Vec<_>>();
        let status = |shard: &BookShard, id: &str| {
            let o = shard.orders().iter().find(|o| o.id.as_str() == id).expect("the order");
            format!("{:?}", o.status.as_ref().map(|(_, s)| s))
        };
        let named = |range: std::ops::Range<usize>| range.rev().map(|i| format!("o{i:02}")).collect::<Vec<_>>();

        let alike = fold(0, &named(0..20)).merge(fold(1, &named(15..40)));
        assert!(ids(&alike).is_sorted(), "{:?}", ids(&alike));
        assert_eq!(ids(&alike).len(), 40, "five orders were on both sides");
        assert_eq!(status(&alike, "o17"), status(&alike, "o30"), "the newer file's status");

        let small = fold(0, &named(0..40)).merge(fold(1, &["o05".to_string(), "zz".to_string()]));
        assert_eq!(ids(&small).len(), 41);
        assert_eq!(ids(&small).last().map(String::as_str), Some("zz"), "the new order at the end");
        assert_eq!(status(&small, "o05"), status(&small, "zz"), "the newer file's status");
        assert_ne!(status(&small, "o05"), status(&small, "o06"));

        // Several sides at once: sorted, each order once, the newest file's status, the
        // shipments of every side in side order.
        let sides = vec![fold(0, &named(0..20)), fold(1, &named(10..30)), fold(2, &named(25..35))];
        let all = BookShard::merge_all(sides, 0);
        assert!(ids(&all).is_sorted(), "{:?}", ids(&all));
        assert_eq!(ids(&all).len(), 35);
        let of_file = |rank: u32| format!("Some(Other(\"status of file {rank}\"))");
        assert_eq!(status(&all, "o12"), of_file(1));
        assert_eq!(status(&all, "o27"), of_file(2));
        assert_eq!(status(&all, "o03"), of_file(0));
    }

    /// A shard of the orders `ids`, each with one snapshot of file `rank` whose status names
    /// the file.
    fn status_fold(rank: u32, ids: &[String]) -> BookShard {
        let mut shard = BookShard::default();
        let rows = ids.iter().map(|id| {
            let status = Some(Text::from(format!("status of file {rank}")));
            (Text::from(id.as_str()), Snapshot { status_raw: status, ..Default::default() })
        });
        shard.absorb(rank, FileData::Snapshots(rows.collect()), None);
        shard
    }

    /// `shard`'s orders as a base the store read: in a vector with room for `room` more; and
    /// where its first state is.
    fn read_with_room(shard: BookShard, room: usize) -> (BookShard, *const OrderState) {
        let mut states = shard.orders.into_states();
        states.reserve(room);
        let first = states.as_ptr();
        (BookShard::from_parts(OrderTable::from_states(states), None, FxHashMap::default(), Names::default()), first)
    }

    /// A base read with room merged in its own vector: the states of a sorted merge, sorted,
    /// whether the base has states after its sorted run or not, the other side sorted or not.
    #[test]
    fn a_base_with_room_is_merged_sorted_in_its_own_vector() {
        let debug = |states: Vec<OrderState>| format!("{states:?}");
        let named = |range: std::ops::Range<usize>| range.map(|i| format!("o{i:03}")).collect::<Vec<_>>();
        // (the base's sorted run, the orders after it, the other side)
        let cases = [
            (named(0..20), vec![], named(15..40)),
            (named(0..40), named(100..110), named(35..60)),
            (named(10..30), named(0..5), named(3..12)),
            (named(0..10), vec![], named(10..20)),
            (named(10..20), vec![], named(0..10)),
            (named(0..30), named(40..45), named(44..46)),
        ];
        for (run, after, later) in cases {
            for later_reversed in [false, true] {
                let mut later = later.clone();
                if later_reversed {
                    later.reverse();
                }
                let mut base_ids = run.clone();
                base_ids.extend(after.iter().rev().cloned());
                // What the sorted merge of two sides without room gives.
                let mut all_ids = base_ids.clone();
                all_ids.extend(later.iter().cloned());
                let mut sides = status_fold(0, &base_ids).orders.into_states();
                sides.sort_by(|a, b| a.id.cmp(&b.id));
                let expected = {
                    let mut theirs = status_fold(1, &later).orders.into_states();
                    theirs.sort_by(|a, b| a.id.cmp(&b.id));
                    debug(merge_sorted(sides, theirs))
                };
                let (base, before) = read_with_room(status_fold(0, &base_ids), later.len());
                let merged = base.merge(status_fold(1, &later)).orders.into_states();
                assert_eq!(merged.as_ptr(), before, "{run:?} {after:?} {later:?}: the base's own vector");
                assert!(merged.is_sorted_by(|a, b| a.id <= b.id));
                assert_eq!(debug(merged), expected, "{run:?} {after:?} {later:?}");
            }
        }
    }

    /// Positions in id order: of sorted states, of a sorted run and states after it, of states
    /// in any order.
    #[test]
    fn positions_by_id_put_the_states_in_id_order() {
        let of = |ids: &[&str]| -> Vec<OrderState> {
            ids.iter().map(|id| OrderState { id: Text::from(*id), ..Default::default() }).collect()
        };
        let sorted_ids = |states: &[OrderState]| -> Vec<String> {
            positions_by_id(states).into_iter().map(|p| states[p].id.to_string()).collect()
        };
        for ids in [
            &[][..],
            &["a"],
            &["a", "b", "c"],
            &["b", "d", "f", "a", "e", "g", "c"],
            &["b", "d", "f", "z", "y", "a"],
            &["c", "b", "a"],
            &["a", "c", "b"],
        ] {
            let mut expected: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            expected.sort();
            assert_eq!(sorted_ids(&of(ids)), expected, "{ids:?}");
        }
    }

    /// A merge for a read that sorts the orders after it: the states a sorted merge gives
    /// (sides sorted or not, alike or not), in the base's own vector, none of its states moved.
    #[test]
    fn an_unordered_merge_gives_the_sorted_merge_s_states_in_the_base_s_own_vector() {
        let sorted_states = |shard: BookShard| {
            let mut v = shard.orders.into_states();
            v.sort_by(|a, b| a.id.cmp(&b.id));
            format!("{v:?}")
        };
        let named = |range: std::ops::Range<usize>, reversed: bool| {
            let mut ids: Vec<String> = range.map(|i| format!("o{i:02}")).collect();
            if reversed {
                ids.reverse();
            }
            ids
        };
        for (a, b) in [(0..20, 15..40), (0..40, 38..45), (30..35, 0..40), (0..10, 10..20), (0..0, 3..5)] {
            for (a_rev, b_rev) in [(false, false), (true, false), (false, true), (true, true)] {
                let (ids_a, ids_b) = (named(a.clone(), a_rev), named(b.clone(), b_rev));
                let expected = sorted_states(status_fold(0, &ids_a).merge(status_fold(1, &ids_b)));
                // The base read as a store reads it: a vector with room for the later side.
                let (base, before) = read_with_room(status_fold(0, &ids_a), ids_b.len());
                let merged = base.merge_unordered(status_fold(1, &ids_b));
                let after = merged.orders().iter().next().map(|o| o as *const OrderState);
                if !ids_a.is_empty() {
                    assert_eq!(after, Some(before), "{a:?} + {b:?}: the base's vector");
                }
                assert_eq!(sorted_states(merged), expected, "{a:?} ({a_rev}) + {b:?} ({b_rev})");
            }
        }
    }
}
