//! The settled orders of a base state: what they add to the reports, kept beside the base so a
//! report recomputes only the orders that can still change (docs/STORE.md, "Settled orders").
//!
//! An order is *settled* at an instant `as_of` when no later `as_of` can change what it adds
//! to any report: its status is final (`Shipped` or `Cancelled`), it is not open (lateness,
//! `auto_cancel` and the projected rate move with `as_of`), not auto-cancelled (its
//! `auto_cancel` row counts days), and every package is older than the scan grace (its scans
//! are judged already) or has the scans it needs (scans only accumulate: it passes for good).
//! Its counts —
//! per-day cancel, late-shipment and valid-tracking counts, reason counts and the summary's
//! counters — are additive, so the settled orders are kept as one [`Tally`] (every partition's
//! summed), with their evidence rows (`cancellations`, `tracking_defects`, `late_deliveries`)
//! per partition as the tables have them; only the
//! others' states (the *live* states) are read and judged by a report.
//!
//! Later files can change a settled order only through its own rows (snapshots, events,
//! confirmations: then it is in a layer, leaves the tally and is judged again), through scans
//! (a valid package stays valid with more scans, a scan tally only grows; a package short of
//! scans is on a watch list by its number, and a layer scanning it sends its order back to be
//! judged the same way), or through the catalog (a layer with catalog rows is not reported
//! from the settled orders). Everything else is per order.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orderhealth_carriers::Defect;
use orderhealth_core::book::{Book, BookShard, Names, OrderState, OrderTable};
use orderhealth_core::marketplace::parse_zone;
use orderhealth_core::rows::{ScanTally, ShipDate};
use orderhealth_core::shard::{id_hash, id_order, shard_of, spread, SHARDS};
use orderhealth_core::status::Status;
use orderhealth_core::timestamp::{local_day, Micros};
use orderhealth_core::tracking::{
    deliveries_settled, delivery_watch, scans_suffice, ConfirmationCounts, PackageCounters, PackageOptions,
};
use orderhealth_core::{Class, DailyCounts, Marketplace, OrderView, Tracking, View, ViewOptions};
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::summary::OrderCounters;

mod lists;

use lists::Lists;
pub(super) use lists::Scanned;

use super::state::{live_scans_frame, read_live_scans, write_settled, LiveScans, LIVE_SCANS};
use super::{chain_tables_from, read_parquet, read_shard_tables, rows_of_orders, segment_number, shard_dir};

/// The store's directory of settled tallies: `settled/<base dir>/<key>/`.
pub(super) const SETTLED: &str = "settled";
/// The layout of one settled directory; a different one is rebuilt, never misread. 6: the
/// live states of a base written whole no longer hold the settled orders it carried over
/// (format 5 kept them as live as well, counted twice: such directories are judged again).
const SETTLED_FORMAT: u32 = 6;
const TALLY_FILE: &str = "settled.json";
/// The lists of one generation of settled orders (those one base's judging settled), every
/// partition's in one file, sorted by (`shard`, hash): `settled_ids` (`id_hash`, `segment`),
/// `scan_watch` (`number_hash`, `order_hash`) and `dropped` (`id_hash`: orders of older
/// generations this one judged again, which they no longer hold).
const LISTS: [&str; 3] = ["settled_ids", "scan_watch", "dropped"];

/// The file of generation `generation`'s list `list` ([`LISTS`]).
fn list_file(list: &str, generation: u32) -> String {
    format!("{list}.g{generation:06}.parquet")
}

/// What the settled orders were judged under: a report under other options, or another
/// program version, judges afresh.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettledKey {
    pub format: u32,
    pub version: String,
    pub base: String,
    pub policy: String,
    pub tz: Option<String>,
    pub marketplace: String,
    pub warn_days: i64,
    pub scan_grace_days: i64,
    /// `--tracking-basis`: the day each package counts on.
    pub tracking_basis: String,
}

impl SettledKey {
    pub fn of(base: &str, view: &ViewOptions, packages: PackageOptions) -> SettledKey {
        SettledKey {
            format: SETTLED_FORMAT,
            version: env!("CARGO_PKG_VERSION").into(),
            base: base.into(),
            policy: view.policy.as_str().into(),
            tz: view.tz.map(|tz| tz.name().into()),
            marketplace: view.default_marketplace.code().into(),
            warn_days: view.warn_days,
            scan_grace_days: packages.scan_grace_days,
            tracking_basis: packages.basis.as_str().into(),
        }
    }

    /// The report options it stands for (`None`: a key this program cannot read back).
    pub fn request(&self) -> Option<SettledRequest> {
        let tz = match &self.tz {
            Some(name) => Some(parse_zone(name)?),
            None => None,
        };
        let view = ViewOptions {
            policy: self.policy.parse().ok()?,
            tz,
            default_marketplace: Marketplace::from_code(&self.marketplace)?,
            warn_days: self.warn_days,
            as_of: None,
        };
        let packages =
            PackageOptions { scan_grace_days: self.scan_grace_days, basis: self.tracking_basis.parse().ok()? };
        Some(SettledRequest { view, packages })
    }

    /// The directory name: a hash of the whole key (the key itself is in the tally file).
    fn dir_name(&self) -> String {
        let json = serde_json::to_string(self).unwrap_or_default();
        format!("{:016x}", id_hash(&json))
    }
}

/// What a report run needs to use the settled orders.
#[derive(Debug, Clone)]
pub struct SettledRequest {
    pub view: ViewOptions,
    pub packages: PackageOptions,
}

/// What a set of settled orders adds to the reports: every count additive.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub orders: u64,
    /// Every metric's per-day counts (the registry of [`DailyCounts`]).
    pub daily: DailyCounts,
    /// Confirmation rows left out of the metrics.
    pub left_out: ConfirmationCounts,
    /// Packages placed by ship day, and not judged yet for on-time delivery.
    pub packages: PackageCounters,
    #[serde(flatten)]
    pub counters: OrderCounters,
    /// Per (marketplace code, reason): cancelled orders carrying it (`cancel_reasons`).
    pub reasons: Vec<(String, String, i64)>,
}

/// The evidence rows of a set of orders: their rows of `cancellations` and
/// `tracking_defects`, and their late packages, in no particular order (a report sorts them
/// with the others).
pub struct Evidence {
    pub cancellations: DataFrame,
    pub tracking_defects: DataFrame,
    pub late_deliveries: DataFrame,
}

impl Tally {
    /// The tally of `orders`, judged as of `as_of` against the scans and catalog of `book`.
    pub fn of(orders: Vec<OrderView>, book: &Book, as_of: Micros, packages: PackageOptions) -> Tally {
        let view = Tally::view_of(orders, as_of);
        Tally::judged(&view, &Tracking::build(&view, book, packages))
    }

    /// `orders` as a view of their own, as of `as_of`.
    fn view_of(orders: Vec<OrderView>, as_of: Micros) -> View {
        View { orders, as_of: Some(as_of), unsupported_marketplaces: BTreeMap::new(), unknown_order_confirmations: 0 }
    }

    /// The tally of `view`'s orders, their packages judged in `tracking`.
    pub(crate) fn judged(view: &View, tracking: &Tracking) -> Tally {
        Tally {
            orders: view.orders.len() as u64,
            daily: DailyCounts::of(&view.orders, tracking),
            left_out: tracking.left_out,
            packages: tracking.counters,
            counters: OrderCounters::of(&view.orders),
            reasons: crate::cancel_rate::reason_counts(&view.orders).into_iter().map(|((m, r), n)| (m, r, n)).collect(),
        }
    }

    /// The evidence rows of `view`'s orders, their packages judged in `tracking`.
    pub(crate) fn evidence(view: &View, tracking: &Tracking) -> Result<Evidence> {
        Ok(Evidence {
            cancellations: crate::cancellations::cancellation_rows(&view.orders)?,
            tracking_defects: crate::valid_tracking::tracking_defect_rows(&tracking.defective)?,
            late_deliveries: crate::on_time_delivery::late_delivery_rows(&tracking.late_deliveries)?,
        })
    }

    /// The tally of every set of orders in `parts`, summed on every thread (the parts of a
    /// settled directory share their keys, marketplaces and days: each sum stays the size of
    /// one part, and the sixteen sums a report needs were a serial stretch of it).
    pub fn sum<'a>(parts: impl IntoParallelIterator<Item = &'a Tally>) -> Tally {
        parts
            .into_par_iter()
            .fold(Tally::default, |mut sum, part| {
                sum.add(part);
                sum
            })
            .reduce(Tally::default, |mut sum, part| {
                sum.add(&part);
                sum
            })
    }

    /// The tally of both sets of orders.
    pub fn add(&mut self, other: &Tally) {
        self.combine(other, 1);
    }

    /// The tally without `other`'s orders (counted in it before).
    pub fn subtract(&mut self, other: &Tally) {
        self.combine(other, -1);
    }

    /// Adds `sign` times `other`; a key no order counts on any more is dropped.
    fn combine(&mut self, other: &Tally, sign: i64) {
        self.orders = if sign < 0 { self.orders.saturating_sub(other.orders) } else { self.orders + other.orders };
        let daily = std::mem::take(&mut self.daily);
        self.daily = if sign < 0 { daily - other.daily.clone() } else { daily + other.daily.clone() };
        self.left_out = if sign < 0 { self.left_out - other.left_out } else { self.left_out + other.left_out };
        self.packages = if sign < 0 { self.packages - other.packages } else { self.packages + other.packages };
        self.counters.combine(&other.counters, sign);
        let mut reasons: BTreeMap<(String, String), i64> = BTreeMap::new();
        for (m, r, n) in &self.reasons {
            *reasons.entry((m.clone(), r.clone())).or_insert(0) += n;
        }
        for (m, r, n) in &other.reasons {
            *reasons.entry((m.clone(), r.clone())).or_insert(0) += n * sign;
        }
        self.reasons = reasons.into_iter().filter(|(_, n)| *n != 0).map(|((m, r), n)| (m, r, n)).collect();
    }

    /// `counts` (the live orders' reason counts) plus the settled ones.
    pub fn add_reasons(&self, mut counts: BTreeMap<(String, String), i64>) -> BTreeMap<(String, String), i64> {
        for (m, r, n) in &self.reasons {
            *counts.entry((m.clone(), r.clone())).or_insert(0) += n;
        }
        counts
    }
}

/// Orders a report does not judge itself, as what they add: the base's settled orders (their
/// tally and evidence rows, less the settled orders a layer touched: those are read and
/// judged again), or every order as the partitions' results of a distributed run (`parts`).
#[derive(Default)]
pub struct SettledPart {
    pub tally: Tally,
    pub evidence: Vec<Evidence>,
    /// Their `auto_cancel` rows and counts (none for settled orders: an order the auto-cancel
    /// rule still judges is never settled).
    pub auto_cancel: Vec<DataFrame>,
    pub auto: crate::summary::AutoCancelCounts,
    /// Whether their packages were judged against scans.
    pub has_scans: bool,
    /// Their `reconcile_orders` rows of every Amazon window, agreeing or not.
    pub reconcile: Vec<DataFrame>,
    /// The live orders as viewed already, when the base was judged in this process as of the
    /// report's instant (`Judged::for_report`): the report takes it instead of viewing them.
    pub view: Option<View>,
}

/// The tally of `touched` (settled orders, as the base alone has them) as the settled
/// directory counted them: judged as of the same instant, under `request`, against the scans
/// and catalog of `base` (the base alone: a layer's scans may have changed their packages).
pub(super) fn counted_before(touched: Vec<OrderState>, base: &Book, as_of: Micros, request: &SettledRequest) -> Tally {
    let mut shards: Vec<Vec<OrderState>> = (0..SHARDS).map(|_| Vec::new()).collect();
    for o in touched {
        if let Some(s) = shards.get_mut(shard_of(o.id.as_str())) {
            s.push(o);
        }
    }
    let shards = shards
        .into_iter()
        .map(|s| BookShard::from_parts(OrderTable::from_states(s), None, Default::default(), Names::default()))
        .collect();
    let view = View::build(&mut Book::from_shards(shards), &ViewOptions { as_of: Some(as_of), ..request.view.clone() });
    Tally::of(view.orders, base, as_of, request.packages)
}

/// The settled directory of one base under one key, as read back.
pub(super) struct Settled {
    pub as_of: Micros,
    pub has_scans: bool,
    /// What every partition's settled orders add together (what a report adds).
    pub total: Tally,
    /// Which orders are settled, the segment of each (its base's [`segment_number`]), and the
    /// packages watched for scans.
    pub lists: Lists,
    /// The generations of its lists ([`LISTS`]), oldest first (empty: a directory written
    /// with one list of each per shard, which a new base does not carry over).
    pub generations: Vec<u32>,
    pub dir: PathBuf,
}

impl Settled {
    /// The scans of the live orders' packages as judged ([`live_scans_frame`]), shard by shard
    /// of the numbers: every number the live orders have, and the tallies of those scanned.
    /// `None` when the directory does not keep them for every shard (written before it did, or
    /// a store without scans): a read looks every number up in the segments then.
    pub fn live_scans(&self) -> Result<Option<Vec<LiveScans>>> {
        let read: Vec<Option<LiveScans>> = (0..SHARDS)
            .into_par_iter()
            .map(|i| {
                let path = shard_dir(&self.dir, i).join(LIVE_SCANS);
                read_parquet(&path)?.map(|df| read_live_scans(&df)).transpose()
            })
            .collect::<Result<_>>()?;
        Ok(read.into_iter().collect())
    }

    /// Partition `i`'s evidence rows, less those of the orders whose id hashes are in `touched`.
    pub fn evidence(&self, i: usize, touched: &FxHashSet<u64>) -> Result<Evidence> {
        let dir = shard_dir(&self.dir, i);
        let read = |name: &str| -> Result<DataFrame> {
            let df = read_parquet(&dir.join(name))?.context("a settled directory without its evidence rows")?;
            if touched.is_empty() {
                return Ok(df);
            }
            rows_of_orders(&df, |id| !touched.contains(&id_hash(id)))
        };
        Ok(Evidence {
            cancellations: read("cancellations.parquet")?,
            tracking_defects: read("tracking_defects.parquet")?,
            late_deliveries: read("late_deliveries.parquet")?,
        })
    }

    /// Where shard `i`'s live states are.
    pub fn shard_dir(&self, i: usize) -> PathBuf {
        shard_dir(&self.dir, i)
    }
}

/// The tally file.
#[derive(Serialize, Deserialize)]
struct TallyFile {
    key: SettledKey,
    as_of: Micros,
    has_scans: bool,
    /// The replaced base whose settled orders this one took over (the rest were judged).
    #[serde(default)]
    carried_from: Option<String>,
    /// Every partition's tally summed (`None` in a directory written before it was kept:
    /// the partitions' tallies are then in `shards`).
    #[serde(default)]
    total: Option<Tally>,
    /// Each partition's tally, as a directory written before the total was kept (a few MB of
    /// JSON at a million orders, parsed by every report for a sum).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    shards: Vec<Tally>,
    /// The generations of the lists, oldest first (empty in a directory written with one list
    /// of each per shard).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    generations: Vec<u32>,
}

fn key_dir(store: &Path, key: &SettledKey) -> PathBuf {
    store.join(SETTLED).join(&key.base).join(key.dir_name())
}

/// The settled directory for `key`, when there is a whole one (`None`: none, or one this
/// program cannot use, which is then removed to be rebuilt).
pub(super) fn read(store: &Path, key: &SettledKey) -> Option<Settled> {
    if let Some(settled) = take_read_ahead(store, key) {
        return Some(settled);
    }
    let dir = key_dir(store, key);
    let text = std::fs::read(dir.join(TALLY_FILE)).ok()?;
    let read = || -> Result<Settled> {
        let file = serde_json::from_slice::<TallyFile>(&text);
        // Checked whole first: a damaged settled directory is rebuilt, never read. The lists
        // are read whole below, each checked as it is read (`read_checked`): hashed once, not
        // twice (two thirds of the directory's bytes).
        let lists: FxHashSet<String> = match &file {
            Ok(file) => file.generations.iter().flat_map(|g| LISTS.map(|list| list_file(list, *g))).collect(),
            Err(_) => FxHashSet::default(),
        };
        // The partitions' tables (every file in a `shard=NN` directory) are what a report reads
        // next: their bytes are kept as checked, not read and hashed again.
        super::integrity::verify_dir_keeping(&dir, &lists, &|rel| rel.contains('/'))?;
        let file = file?;
        anyhow::ensure!(file.key == *key, "another key");
        let lists = match file.generations.is_empty() {
            true => Lists::read_per_shard(&dir)?,
            false => Lists::read(&dir, &file.generations)?,
        };
        let total = match file.total {
            Some(total) => total,
            // Written before the total was kept: the shards' tallies summed.
            None => {
                anyhow::ensure!(file.shards.len() == SHARDS, "another layout");
                Tally::sum(&file.shards)
            }
        };
        Ok(Settled {
            as_of: file.as_of,
            has_scans: file.has_scans,
            total,
            lists,
            generations: file.generations,
            dir: dir.clone(),
        })
    };
    match read() {
        Ok(s) => Some(s),
        Err(_) => {
            super::integrity::forget_checked_under(&dir);
            let _ = std::fs::remove_dir_all(&dir);
            None
        }
    }
}

/// A settled directory read while an ingest wrote a layer beside its base, for the report
/// that follows in the same process (`report --store DIR INPUT...`, the nightly job in one
/// command): the layer's write leaves a core idle a quarter of its time, waiting on the disk,
/// and the report would read the directory next. Taken once by [`read`], under the same key
/// and while the directory's tally file is still the one read (a directory rebuilt since is
/// read again).
static READ_AHEAD: std::sync::Mutex<Option<ReadAhead>> = std::sync::Mutex::new(None);

/// A settled directory as [`read_ahead`] found it.
pub(super) struct ReadAhead {
    /// The directory, under the store as [`std::fs::canonicalize`] gave it.
    dir: PathBuf,
    /// The identity of its tally file before it was read.
    tally: super::integrity::FileIdentity,
    settled: Settled,
}

/// Reads the settled directory of the base `base` of the store `store`, when the base has
/// exactly one (a report reads the one of its options; a store's reports use one set), for
/// [`keep_read_ahead`].
pub(super) fn read_ahead(store: &Path, base: &str) -> Option<ReadAhead> {
    let [key] = <[SettledKey; 1]>::try_from(keys_of(store, base)).ok()?;
    let dir = key_dir(&std::fs::canonicalize(store).ok()?, &key);
    let tally = super::integrity::identity_of(&dir.join(TALLY_FILE))?;
    let settled = read(store, &key)?;
    Some(ReadAhead { dir, tally, settled })
}

/// Keeps what [`read_ahead`] read for the next [`read`] in this process (replacing any other).
pub(super) fn keep_read_ahead(ahead: ReadAhead) {
    if let Ok(mut slot) = READ_AHEAD.lock() {
        *slot = Some(ahead);
    }
}

/// What [`read_ahead`] read of the directory of `key` in the store `store`, taken when it is
/// still the directory there (a read of another directory leaves it).
fn take_read_ahead(store: &Path, key: &SettledKey) -> Option<Settled> {
    let mut slot = READ_AHEAD.lock().ok()?;
    // Nothing read ahead (every read but the nightly job's in one command): no path resolved.
    slot.as_ref()?;
    let dir = key_dir(&std::fs::canonicalize(store).ok()?, key);
    let ahead = slot.take_if(|ahead| ahead.dir == dir)?;
    if super::integrity::identity_of(&dir.join(TALLY_FILE)) != Some(ahead.tally) {
        // Rebuilt since: read again, and the tables its check kept not used either.
        super::integrity::forget_checked_under(&ahead.settled.dir);
        return None;
    }
    Some(ahead.settled)
}

/// The local day of a confirmation row.
fn ship_day(s: &orderhealth_core::book::Shipment, o: &OrderView) -> i32 {
    match s.ship {
        ShipDate::Day(d) => d,
        ShipDate::At(t) => local_day(t, o.zone),
    }
}

/// Judges the base `key.base` (stored file ids renumbered by `to_rank`) as of `as_of` under
/// `request`, partition by partition, and writes its settled directory: the settled orders'
/// tally, and per partition their id hashes and evidence rows and the live states (the
/// base's rows of every other order). Written whole under a name of its own, then renamed in:
/// two reports at once each write theirs and the first rename wins.
pub(super) fn write(
    store: &Path,
    key: &SettledKey,
    request: &SettledRequest,
    as_of: Micros,
    to_rank: &super::Renumber,
    layout: super::Layout,
    chain: &super::Chain,
) -> Result<()> {
    write_whole(store, key, |tmp| {
        let base_dir = store.join(super::STATE).join(&key.base);
        // Each base shard read once (with the older segments it stands on): its part of the
        // book, and its tables for the live states.
        type Read = ((BookShard, [Option<DataFrame>; 2]), Segments);
        let read: Vec<Read> = (0..SHARDS)
            .into_par_iter()
            .map(|i| {
                let dirs = layout.of_shard(&base_dir, i);
                let damaged = || format!("{}: a damaged store", shard_dir(&base_dir, i).display());
                let of_shard = |segment: &Path| layout.of_shard(segment, i);
                let (tables, origin) = chain_tables_from(&chain.segments, of_shard).with_context(damaged)?;
                let segments = Segments::of(tables[0].as_ref(), &origin)?;
                let scans = chain.scan_dirs(of_shard);
                let shard = read_shard_tables(tables, &dirs, 0, &[None, None], super::Scans::Chain(&scans))
                    .with_context(damaged)?;
                Ok((shard, segments))
            })
            .collect::<Result<_>>()?;
        let (read, segments): (Vec<_>, Vec<Segments>) = read.into_iter().unzip();
        let (mut shards, tables): (Vec<BookShard>, Vec<[Option<DataFrame>; 2]>) = read.into_iter().unzip();
        shards.par_iter_mut().for_each(|s| to_rank.shard(s));
        judge_into(tmp, shards, tables, key, request, as_of, None, segments, false).map(drop)
    })
}

/// [`write`] for a base an ingest has in memory: `shards` (file ids renumbered to ranks) and
/// each shard's `orders` and `shipments` tables as written; with `carried`, the replaced
/// base's settled orders the night left as they were are taken over, not judged again. With
/// `keep`, what it judged comes back too ([`Judged`]), once the directory is written.
#[allow(clippy::too_many_arguments)]
pub(super) fn write_from(
    store: &Path,
    key: &SettledKey,
    request: &SettledRequest,
    as_of: Micros,
    shards: Vec<BookShard>,
    tables: Vec<[Option<DataFrame>; 2]>,
    carried: Option<Carried>,
    keep: bool,
) -> Result<Option<Judged>> {
    let carried = carried.filter(|c| SettledKey { base: key.base.clone(), ..c.key.clone() } == *key);
    // Every order judged here is in the new base; a carried order stays in its segment (a
    // segment the new base no longer stands on, as when it is written whole, leaves its orders
    // to be looked for in every segment: they are in the new base).
    let base = segment_number(Path::new(&key.base));
    let segments = (0..SHARDS).map(|_| Segments::All(base)).collect();
    let mut judged = None;
    write_whole(store, key, |tmp| {
        judged = judge_into(tmp, shards, tables, key, request, as_of, carried, segments, keep)?;
        Ok(())
    })?;
    Ok(judged)
}

/// A base as [`write_from`] judged it, kept in memory for the report that follows in the same
/// process (`report --store DIR NIGHT`): what a read of its settled directory gives.
pub(super) struct Judged {
    /// The instant judged as of.
    pub as_of: Micros,
    /// Per shard: the scans and catalog the orders were judged against (no states).
    shards: Vec<BookShard>,
    /// Per shard: the live states' `orders` and `shipments` rows as written (file ids).
    live_tables: Vec<[Option<DataFrame>; 2]>,
    /// The live orders as the judging viewed them (sorted by id), with the confirmations of
    /// orders no report names: what a report as of the same instant would view.
    view: View,
    /// The settled orders' tally (every shard's together), and per shard their evidence rows.
    total: Tally,
    evidence: Vec<Evidence>,
}

impl Judged {
    /// For a report as of `as_of`: per shard, the live orders with the scans and catalog they
    /// were judged against, and what the settled orders add. As of the instant judged, the
    /// live states are left out and the view the judging made comes with them (the report
    /// views nothing again); as of a later one, the states are made from the tables
    /// (`to_rank`: their file ids to ranks).
    pub fn for_report(self, as_of: Micros, to_rank: &super::Renumber) -> Result<ForReport> {
        if as_of == self.as_of {
            return Ok((self.shards, Some(self.view), self.total, self.evidence));
        }
        let live = self
            .shards
            .into_par_iter()
            .zip(self.live_tables)
            .map(|(shard, tables)| -> Result<BookShard> {
                let mut states = super::state::states_of(&tables, 0, &mut Names::default())?;
                states.iter_mut().for_each(|o| to_rank.state(o));
                Ok(shard.with_states(states))
            })
            .collect::<Result<_>>()?;
        Ok((live, None, self.total, self.evidence))
    }
}

/// What [`Judged::for_report`] gives: the live orders' shards, their view when made, the
/// settled orders' tally and evidence rows.
pub(super) type ForReport = (Vec<BookShard>, Option<View>, Tally, Vec<Evidence>);

/// Which segment holds the rows of each order of a shard being judged.
pub(super) enum Segments {
    /// All of them: the base being judged.
    All(u32),
    /// By id hash (a base read with the older segments it stands on).
    ById(FxHashMap<u64, u32>),
}

impl Segments {
    /// From an `orders` table as [`chain_tables_from`] gives it, with its `origin`.
    fn of(orders: Option<&DataFrame>, origin: &[(u32, usize)]) -> Result<Segments> {
        let mut by_id = FxHashMap::default();
        if let Some(df) = orders {
            let mut ids = df.column("order_id")?.str()?.iter();
            for (segment, rows) in origin {
                for id in ids.by_ref().take(*rows) {
                    by_id.insert(id_hash(id.unwrap_or("")), *segment);
                }
            }
        }
        Ok(Segments::ById(by_id))
    }

    fn of_order(&self, id: &str) -> u32 {
        match self {
            Segments::All(n) => *n,
            Segments::ById(map) => map.get(&id_hash(id)).copied().unwrap_or(0),
        }
    }
}

/// What a new base takes over from the base it replaces, partition by partition: the settled
/// orders the layers and the night leave as they were ([`carried`]).
pub(super) struct Carried {
    /// The replaced base's key: the options they were judged under.
    key: SettledKey,
    /// What its settled orders add, less the touched ones (as they were counted).
    total: Tally,
    shards: Vec<CarriedShard>,
    /// The replaced base's settled directory and the generations of its lists, which the new
    /// one takes over as they are (linked, not written again), and those lists as read.
    from: PathBuf,
    generations: Vec<u32>,
    lists: Lists,
}

struct CarriedShard {
    /// The id hashes of the settled orders the changes touched, sorted: the new generation
    /// drops them from the older ones (they are judged again).
    dropped: Vec<u64>,
    evidence: Evidence,
    /// The id hashes of the carried orders among the new base's states of the shard, sorted
    /// ([`Carried::among`]).
    among: Vec<u64>,
}

impl CarriedShard {
    /// Those of the shard's `states` that are not carried over (to be judged): the replaced
    /// base's settled orders are, but for the touched (`dropped`) ones; and the id hashes of
    /// the carried ones among `states`, sorted (a base written whole holds them: they are
    /// not among its live states), as [`Carried::among`] found them.
    fn left_to_judge(&mut self, states: Vec<OrderState>) -> (Vec<OrderState>, Vec<u64>) {
        let carried = std::mem::take(&mut self.among);
        let states = match carried.is_empty() {
            true => states,
            false => states.into_iter().filter(|o| carried.binary_search(&id_hash(o.id.as_str())).is_err()).collect(),
        };
        (states, carried)
    }
}

impl Carried {
    /// Finds, shard by shard, which of the new base's states (`shards`, as it is written) are
    /// carried orders ([`CarriedShard::left_to_judge`]), and frees the lists, which are asked
    /// nothing more: the writing and judging that follow take their memory (at a long
    /// history, tens of MB the kernel would otherwise zero anew).
    pub(super) fn among(mut self, shards: &[BookShard]) -> Carried {
        let lists = std::mem::replace(&mut self.lists, Lists::none());
        self.shards.par_iter_mut().zip(shards).enumerate().for_each(|(i, (c, shard))| {
            let mut probes: Vec<u64> = shard.orders().iter().map(|o| id_hash(o.id.as_str())).collect();
            probes.sort_unstable();
            probes.dedup();
            let mut among = lists.settled_among(i, &probes);
            among.retain(|h| c.dropped.binary_search(h).is_err());
            c.among = among;
        });
        self
    }
}

/// The settled directory of `old_base` a new base can take settled orders over from: its
/// first key's, unless `changes` (the layers and the night, merged) hold catalog rows, or
/// scans where the old base had none (a report could not use it either).
pub(super) fn usable_for_carrying(
    store: &Path,
    old_base: &str,
    changes: &[BookShard],
) -> Option<(SettledKey, SettledRequest, Settled)> {
    for_carrying(store, old_base).filter(|(_, _, old)| carries_over(old, changes))
}

/// The settled directory of `old_base` under its first key, read: what a new base could carry
/// over, before the changes are known ([`carries_over`]).
pub(super) fn for_carrying(store: &Path, old_base: &str) -> Option<(SettledKey, SettledRequest, Settled)> {
    let key = keys_of(store, old_base).into_iter().next()?;
    let request = key.request()?;
    // A directory written with one list of each per shard is judged whole once.
    let old = read(store, &key).filter(|old| !old.generations.is_empty())?;
    Some((key, request, old))
}

/// Whether the settled orders of `old` can be carried over with `changes` folded in: no
/// catalog rows among them, no scans where the old base had none.
pub(super) fn carries_over(old: &Settled, changes: &[BookShard]) -> bool {
    let scans_now = !old.has_scans && changes.iter().any(|c| c.scans().is_some());
    !scans_now && !changes.iter().any(|c| !c.catalog().is_empty())
}

/// What a new base takes over from `old` (judged under `key`): its settled orders less the
/// `touched` ones (per partition), whose tally as `counted` (as they were counted) leaves the
/// total, and `evidence`, the others' evidence rows.
pub(super) fn carry(
    key: SettledKey,
    old: Settled,
    touched: &[FxHashSet<u64>],
    counted: Vec<Tally>,
    evidence: Vec<Evidence>,
) -> Carried {
    let lists = old.lists;
    // Tallies add up: the touched orders leave the total as they were counted, whatever
    // their partition.
    let mut total = old.total;
    total.subtract(&Tally::sum(&counted));
    let shards = touched
        .par_iter()
        .zip(evidence)
        .enumerate()
        .map(|(i, (touched, evidence))| {
            let mut touched: Vec<u64> = touched.iter().copied().collect();
            touched.sort_unstable();
            CarriedShard { dropped: lists.settled_among(i, &touched), evidence, among: Vec::new() }
        })
        .collect();
    Carried { key, total, shards, from: old.dir, generations: old.generations, lists }
}

/// The settled orders of `old_base` (under its first key) that `changes` (the layers and the
/// night a new base folds in, merged) leave as they were: no row of theirs, no scan for a
/// package they lack scans for. What they add no longer moves with `as_of`, so the new base
/// carries them over instead of judging them again; the touched ones leave the tally as it
/// counted them (against `base`: the old base alone, every order, ranks). `None` where a
/// report could not use them either ([`usable_for_carrying`]).
pub(super) fn carried(
    store: &Path,
    old_base: &str,
    base: &mut Vec<BookShard>,
    changes: &[BookShard],
) -> Option<Carried> {
    let (key, request, old) = usable_for_carrying(store, old_base, changes)?;
    let touched = super::touched_by(&old, changes);
    // The touched orders as the old base has them: what the tally counted.
    let before: Vec<Vec<OrderState>> = base
        .iter()
        .zip(&touched)
        .map(|(shard, touched)| {
            shard.orders().iter().filter(|o| touched.contains(&id_hash(o.id.as_str()))).cloned().collect()
        })
        .collect();
    let book = Book::from_shards(std::mem::take(base));
    let counted: Vec<Tally> = before.into_iter().map(|b| counted_before(b, &book, old.as_of, &request)).collect();
    *base = book.into_shards();
    let evidence = (0..SHARDS).zip(&touched).map(|(i, t)| old.evidence(i, t)).collect::<Result<Vec<_>>>().ok()?;
    Some(carry(key, old, &touched, counted, evidence))
}

/// Writes the settled directory of `key` whole: `fill` writes into a temporary directory of
/// this process, which is then renamed in (the first of two reports at once wins).
fn write_whole(store: &Path, key: &SettledKey, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    // Where it goes, made first: a store this run cannot write to is not judged for nothing.
    let parent = key_dir(store, key).parent().map(Path::to_path_buf).context("a settled directory")?;
    let tmp = parent.join(format!(".{}.{}.tmp", key.dir_name(), std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    if let Err(e) = fill(&tmp).and_then(|()| super::integrity::seal(&tmp)) {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    if std::fs::rename(&tmp, key_dir(store, key)).is_err() {
        // Another report wrote the same directory first.
        let _ = std::fs::remove_dir_all(&tmp);
    }
    Ok(())
}

/// Judges the base (`shards`, renumbered to ranks; `tables`, each shard's `orders` and
/// `shipments` as stored) and writes its settled directory into `tmp`; with `keep`, returns
/// what it judged ([`Judged`]).
#[allow(clippy::too_many_arguments)]
fn judge_into(
    tmp: &Path,
    shards: Vec<BookShard>,
    tables: Vec<[Option<DataFrame>; 2]>,
    key: &SettledKey,
    request: &SettledRequest,
    as_of: Micros,
    carried: Option<Carried>,
    segments: Vec<Segments>,
    keep: bool,
) -> Result<Option<Judged>> {
    let mut book = Book::from_shards(shards);
    let has_scans = book.has_scans();
    // The book keeps the scans and the catalog every partition's packages are judged against.
    let states = book.take_states();
    let opts = ViewOptions { as_of: Some(as_of), ..request.view.clone() };
    let packages = request.packages;
    let carried_from = carried.as_ref().map(|c| c.key.base.clone());
    // The generations carried over, and where they are (linked into this directory below).
    type Taken = (PathBuf, Vec<u32>, Option<Tally>, Vec<Option<CarriedShard>>);
    let (from, mut generations, carried_total, carried): Taken = match carried {
        Some(c) if c.shards.len() == SHARDS => {
            (c.from, c.generations, Some(c.total), c.shards.into_iter().map(Some).collect())
        }
        _ => (PathBuf::new(), Vec::new(), None, (0..SHARDS).map(|_| None).collect()),
    };
    let mut parts: Vec<Partition> = states
        .into_par_iter()
        .zip(carried)
        .zip(segments)
        .enumerate()
        .map(|(i, ((states, carried), segments))| match carried {
            Some(mut c) => {
                // The carried orders are not judged again, and are not live.
                let (states, carried) = c.left_to_judge(states);
                settle_partition(i, states, &book, &opts, packages, &segments, keep)?.with(c, carried)
            }
            None => settle_partition(i, states, &book, &opts, packages, &segments, keep),
        })
        .collect::<Result<_>>()?;

    type LiveTables = ([Option<DataFrame>; 2], Vec<String>);
    let (live_tables, live_numbers): (Vec<[Option<DataFrame>; 2]>, Vec<Vec<String>>) = parts
        .par_iter()
        .zip(tables)
        .enumerate()
        .map(|(i, (part, tables))| -> Result<LiveTables> {
            let dir = shard_dir(tmp, i);
            std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            write_settled(&dir.join("cancellations.parquet"), &mut part.evidence.cancellations.clone())?;
            write_settled(&dir.join("tracking_defects.parquet"), &mut part.evidence.tracking_defects.clone())?;
            write_settled(&dir.join("late_deliveries.parquet"), &mut part.evidence.late_deliveries.clone())?;
            // The live states: the base's rows of the orders not settled, as the base has them.
            let mut live: [Option<DataFrame>; 2] = [None, None];
            let mut numbers = Vec::new();
            for ((name, table), live) in ["orders.parquet", "shipments.parquet"].into_iter().zip(tables).zip(&mut live)
            {
                if let Some(df) = table {
                    let mut rows = part.live_rows(&df)?;
                    // Written once a new base, read by every report on it: repeating numbers
                    // in dictionaries, as its lists are (`Kind::Settled`; every night 2.5% shorter).
                    write_settled(&dir.join(name), &mut rows)?;
                    if name == "shipments.parquet" && has_scans {
                        numbers = package_numbers(&rows)?;
                    }
                    // Kept for the report only when asked for.
                    *live = keep.then_some(rows);
                }
            }
            Ok((live, numbers))
        })
        .collect::<Result<Vec<LiveTables>>>()?
        .into_iter()
        .unzip();
    // The scans of the live orders' packages, as judged, by shard of the number: a report
    // reads them here rather than in every segment (which keep them as they are until the next
    // base). None in a store without scans.
    if has_scans {
        let by_shard = spread(live_numbers.into_iter().flatten(), |n| n.as_str(), SHARDS);
        by_shard.into_par_iter().enumerate().try_for_each(|(j, mut numbers)| -> Result<()> {
            numbers.sort_unstable();
            numbers.dedup();
            let rows: Vec<(String, Option<ScanTally>)> = numbers
                .into_iter()
                .map(|n| {
                    let tally = book.scans_of(&n).copied();
                    (n, tally)
                })
                .collect();
            let dir = shard_dir(tmp, j);
            std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
            write_settled(&dir.join(LIVE_SCANS), &mut live_scans_frame(&rows)?)
        })?;
    }
    // The lists: this base's generation written, the carried ones linked as they are.
    let generation = segment_number(Path::new(&key.base));
    write_generation(tmp, generation, &parts)?;
    // The old directory's seal, read once: it was checked whole when the fold read it.
    let old_sums = if generations.is_empty() { None } else { super::integrity::sums_in(&from) };
    for name in generations.iter().flat_map(|g| LISTS.map(|list| list_file(list, *g))) {
        let (source, target) = (from.join(&name), tmp.join(&name));
        // A file system without hard links gets a copy: still no decoding and encoding.
        match std::fs::hard_link(&source, &target) {
            // The same file: sealed with the checksum the old seal records, not read again.
            Ok(()) => {
                let sum = old_sums.as_ref().and_then(|sums| sums.get(&name));
                if let (Some(sum), Ok(file)) = (sum, std::fs::File::open(&target)) {
                    super::integrity::written(&target, &file, sum.clone());
                }
            }
            Err(_) => {
                std::fs::copy(&source, &target).with_context(|| format!("{}: cannot take over", source.display()))?;
            }
        }
    }
    generations.push(generation);
    // The live orders' views, every partition's (each sorted by id), as one view sorted by id.
    // Sized first: grown by doubling, its copies of 50,000 views of 296 bytes and the fresh
    // pages they touched cost a new-base night about 10 ms (docs/BENCHMARKS.md).
    let mut live: Vec<OrderView> = Vec::with_capacity(parts.iter().map(|p| p.live.len()).sum());
    let mut unknown_order_confirmations = 0;
    for part in &mut parts {
        live.append(&mut part.live);
        unknown_order_confirmations += part.unknown_confirmations;
    }
    let (tallies, evidence): (Vec<Tally>, Vec<Evidence>) = parts.into_iter().map(|p| (p.tally, p.evidence)).unzip();
    // What the newly settled orders add, and what the carried ones do: only the total is
    // kept (each partition's tally, kept before, was a few MB of JSON read and written again
    // at every new base, and nothing else read it).
    let mut total = Tally::sum(&tallies);
    if let Some(carried) = &carried_total {
        total.add(carried);
    }
    let file = TallyFile {
        key: key.clone(),
        as_of,
        has_scans,
        carried_from,
        total: Some(total.clone()),
        shards: Vec::new(),
        generations,
    };
    std::fs::write(tmp.join(TALLY_FILE), serde_json::to_vec(&file)?)?;
    // Not synced: derived data, checked whole against its seal before use. A crash that
    // leaves part of it on disk leaves a directory that fails the check, which the next
    // report removes and judges again.
    if !keep {
        return Ok(None);
    }
    // What a read of the directory gives (the live states as the tables just written have
    // them, made only when a report asks for a later instant: [`Judged::for_report`]), and the
    // live orders as a report as of this instant views them.
    live.par_sort_unstable_by(|a, b| id_order(&a.order_id, &b.order_id));
    let view = View {
        unsupported_marketplaces: orderhealth_core::view::unsupported_marketplaces(&live),
        orders: live,
        as_of: Some(as_of),
        unknown_order_confirmations,
    };
    Ok(Some(Judged { as_of, shards: book.into_shards(), live_tables, view, total, evidence }))
}

/// The normalised tracking numbers of the packages of `shipments` (a `shipments` table's
/// rows), as a report looks their scans up.
fn package_numbers(shipments: &DataFrame) -> Result<Vec<String>> {
    Ok(shipments
        .column("tracking_number")?
        .str()?
        .iter()
        .flatten()
        .filter(|n| !orderhealth_carriers::is_missing(n))
        .map(orderhealth_carriers::normalise)
        .collect())
}

/// Generation `generation` of the lists ([`LISTS`]): the orders `parts` settled, their
/// watched packages, and the carried orders they dropped, every partition's in one file each.
fn write_generation(tmp: &Path, generation: u32, parts: &[Partition]) -> Result<()> {
    let shards = |len: &dyn Fn(&Partition) -> usize| -> Vec<u32> {
        parts.iter().enumerate().flat_map(|(i, p)| std::iter::repeat_n(i as u32, len(p))).collect()
    };
    let mut ids = crate::tables::frame(vec![
        Column::new("shard".into(), shards(&|p| p.hashes.len())),
        Column::new("id_hash".into(), parts.iter().flat_map(|p| p.hashes.iter().map(|h| h.0)).collect::<Vec<u64>>()),
        Column::new("segment".into(), parts.iter().flat_map(|p| p.hashes.iter().map(|h| h.1)).collect::<Vec<u32>>()),
    ])?;
    let mut watch = crate::tables::frame(vec![
        Column::new("shard".into(), shards(&|p| p.watch.len())),
        Column::new("number_hash".into(), parts.iter().flat_map(|p| p.watch.iter().map(|w| w.0)).collect::<Vec<u64>>()),
        Column::new("order_hash".into(), parts.iter().flat_map(|p| p.watch.iter().map(|w| w.1)).collect::<Vec<u64>>()),
    ])?;
    let mut dropped = crate::tables::frame(vec![
        Column::new("shard".into(), shards(&|p| p.dropped.len())),
        Column::new("id_hash".into(), parts.iter().flat_map(|p| p.dropped.iter().copied()).collect::<Vec<u64>>()),
    ])?;
    for (list, df) in LISTS.iter().zip([&mut ids, &mut watch, &mut dropped]) {
        write_settled(&tmp.join(list_file(list, generation)), df)?;
    }
    Ok(())
}

/// One partition judged: the settled orders' ids, tally and evidence rows.
struct Partition {
    /// The settled orders' id hashes (no live order of the partition has one), sorted, each
    /// with the segment that holds the order's rows.
    hashes: Vec<(u64, u32)>,
    /// The settled packages watched for scans: (number hash, order id hash), sorted (the
    /// file is written in this order).
    watch: Vec<(u64, u64)>,
    /// Carried orders judged again, which this generation drops from the older ones, sorted.
    dropped: Vec<u64>,
    /// The carried orders (settled, not judged again) among the base's rows, sorted: a base
    /// written whole holds every order, and these are no more live than the newly settled.
    carried: Vec<u64>,
    tally: Tally,
    evidence: Evidence,
    /// With `keep_live`, the live orders' views (sorted by id), and the confirmations of orders
    /// no report names (their states are live).
    live: Vec<OrderView>,
    unknown_confirmations: u64,
}

impl Partition {
    /// The rows of `df` (by `order_id`) of the orders not settled: neither settled by this
    /// judging nor carried over settled.
    fn live_rows(&self, df: &DataFrame) -> Result<DataFrame> {
        rows_of_orders(df, |id| {
            let hash = id_hash(id);
            self.hashes.binary_search_by_key(&hash, |h| h.0).is_err() && self.carried.binary_search(&hash).is_err()
        })
    }

    /// This partition's newly settled orders and the `carried` ones together (their lists
    /// stay in the generations they are in, less the `dropped` ones); `among_rows`, the
    /// carried orders the base's rows hold ([`CarriedShard::left_to_judge`]).
    fn with(mut self, carried: CarriedShard, among_rows: Vec<u64>) -> Result<Partition> {
        self.evidence.cancellations.vstack_mut(&carried.evidence.cancellations)?;
        self.evidence.tracking_defects.vstack_mut(&carried.evidence.tracking_defects)?;
        self.evidence.late_deliveries.vstack_mut(&carried.evidence.late_deliveries)?;
        self.dropped = carried.dropped;
        self.carried = among_rows;
        Ok(self)
    }
}

/// Is `o`, judged as of `as_of`, settled (see the module's doc)? Cancelled orders are (their
/// evidence rows are kept), but not auto-cancelled ones: their `auto_cancel` rows count the
/// days since the deadline.
fn is_settled(o: &OrderView, book: &Book, as_of: Micros, grace: i64) -> bool {
    let judged_from = local_day(as_of, o.zone) as i64 - grace;
    // Only a final status: an order still pending or unshipped is likely to be in tomorrow's
    // dumps again (it would be settled, then touched).
    matches!(o.status, Status::Shipped | Status::Cancelled)
        && !o.open
        && o.auto_state.is_none()
        && o.class != Some(Class::Auto)
        && o.shipments.iter().all(|s| ship_day(s, o) as i64 <= judged_from || scans_suffice(o, book, &s.tracking))
        && deliveries_settled(o, book, as_of)
}

/// Judges partition `index` (its order states) and splits it into settled and live orders.
#[allow(clippy::too_many_arguments)]
fn settle_partition(
    index: usize,
    states: Vec<OrderState>,
    book: &Book,
    opts: &ViewOptions,
    packages: PackageOptions,
    segments: &Segments,
    keep_live: bool,
) -> Result<Partition> {
    let grace = packages.scan_grace_days;
    let mut shards: Vec<BookShard> = (0..SHARDS).map(|_| BookShard::default()).collect();
    if let Some(slot) = shards.get_mut(index) {
        *slot = BookShard::from_parts(OrderTable::from_states(states), None, Default::default(), Names::default());
    }
    let mut view = View::build(&mut Book::from_shards(shards), opts);
    // Confirmations of orders no report names stay with their (live) states.
    let unknown_confirmations = std::mem::take(&mut view.unknown_order_confirmations);
    let as_of = view.as_of.unwrap_or(0);
    // Most orders' packages are looked up in the scans: asked for ahead, as `Tracking::build`
    // does.
    let flags: Vec<bool> = (view.orders.iter().enumerate())
        .map(|(i, o)| {
            orderhealth_core::tracking::prefetch_scans_ahead(book, &view.orders, i);
            is_settled(o, book, as_of, grace)
        })
        .collect();
    // A settled order whose id hash is also a live order's stays live: a report that finds
    // a hash among the settled ones takes it for a settled order.
    let live_hashes: FxHashSet<u64> =
        view.orders.iter().zip(&flags).filter(|(_, s)| !**s).map(|(o, _)| id_hash(&o.order_id)).collect();
    let settles: Vec<bool> =
        view.orders.iter().zip(flags).map(|(o, flag)| flag && !live_hashes.contains(&id_hash(&o.order_id))).collect();
    // Each side sized once: the views (about 300 bytes each) were copied again at every
    // doubling of the vectors (1% of a new-base night's CPU).
    let n_settled = settles.iter().filter(|s| **s).count();
    let mut settled = Vec::with_capacity(n_settled);
    let mut live = Vec::with_capacity(if keep_live { settles.len() - n_settled } else { 0 });
    for (o, settles_here) in view.orders.into_iter().zip(settles) {
        match settles_here {
            true => settled.push(o),
            // The live orders' views, for the report that follows in this process.
            false if keep_live => live.push(o),
            false => {}
        }
    }
    let mut hashes: Vec<(u64, u32)> =
        settled.iter().map(|o| (id_hash(&o.order_id), segments.of_order(&o.order_id))).collect();
    hashes.sort_unstable();
    // Only the settled orders are judged here: a report judges the live ones.
    let view = Tally::view_of(settled, as_of);
    let tracking = Tracking::build(&view, book, packages);
    // Settled packages short of scans, and those whose on-time judgement an earlier delivery
    // scan could change: a report watches the layers' scans for them.
    let mut watch: Vec<(u64, u64)> = tracking
        .defective
        .iter()
        .filter(|p| matches!(p.defect, Some(Defect::NoScan | Defect::InsufficientScans)))
        .map(|p| (id_hash(&orderhealth_carriers::normalise(p.tracking)), id_hash(p.order_id)))
        .collect();
    for o in &view.orders {
        let order = id_hash(&o.order_id);
        watch.extend(delivery_watch(o, book).iter().map(|number| (id_hash(number), order)));
    }
    watch.sort_unstable();
    watch.dedup();
    Ok(Partition {
        hashes,
        watch,
        dropped: Vec::new(),
        carried: Vec::new(),
        tally: Tally::judged(&view, &tracking),
        evidence: Tally::evidence(&view, &tracking)?,
        live,
        unknown_confirmations,
    })
}

/// The keys of `base`'s settled directories written by this program.
pub(super) fn keys_of(store: &Path, base: &str) -> Vec<SettledKey> {
    let Ok(entries) = std::fs::read_dir(store.join(SETTLED).join(base)) else { return Vec::new() };
    let mut keys: Vec<SettledKey> = entries.flatten().filter_map(|e| key_of(&e.path())).collect();
    keys.sort_by_key(|k| k.dir_name());
    keys
}

/// The key of the settled directory `dir`, when this program wrote it (one of another
/// version or layout is never read: its key differs).
fn key_of(dir: &Path) -> Option<SettledKey> {
    use std::io::Read;
    // The key is the tally file's first field ([`TallyFile`] is written with it first): read
    // from the file's head, not through the megabytes of tallies after it (every ingest asks,
    // for each settled directory; a whole parse was a fifth of an ingest with nothing new).
    // Anything else (a key cut short, another layout) is not this program's: `None`. Damage
    // after the key is the seal's to find, when the directory is read.
    const HEAD: u64 = 4096;
    let mut head = Vec::new();
    std::fs::File::open(dir.join(TALLY_FILE)).ok()?.take(HEAD).read_to_end(&mut head).ok()?;
    let value = head.strip_prefix(br#"{"key":"#)?;
    let key = SettledKey::deserialize(&mut serde_json::Deserializer::from_slice(value)).ok()?;
    (key.format == SETTLED_FORMAT && key.version == env!("CARGO_PKG_VERSION")).then_some(key)
}

/// Settled directories of bases no longer listed, of another program version, and temporary
/// ones a killed report left.
pub(super) fn remove_leftovers(store: &Path, bases: &FxHashSet<&str>) -> Result<()> {
    let parent = store.join(SETTLED);
    let Ok(entries) = std::fs::read_dir(&parent) else { return Ok(()) };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !bases.contains(name.as_str()) {
            std::fs::remove_dir_all(entry.path()).with_context(|| {
                format!("{}: cannot remove a replaced base's settled orders", entry.path().display())
            })?;
            continue;
        }
        for inner in std::fs::read_dir(entry.path())?.flatten() {
            if inner.file_name().to_string_lossy().ends_with(".tmp") || key_of(&inner.path()).is_none() {
                let _ = std::fs::remove_dir_all(inner.path());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use orderhealth_core::{CancelCounts, CancelDay, Day, TrackingCounts};

    use super::*;
    use crate::store::state::write_parquet;

    fn set(hashes: &[u64]) -> lists::Scanned {
        lists::Scanned::of(hashes.iter().copied())
    }

    #[test]
    fn a_layer_s_scanned_numbers_find_the_watched_orders_of_a_shard() {
        // Shard 1 watches numbers 10 (orders 100 and 101), 20 (order 200) and 40 (order 400).
        let watch = vec![(10, 100), (10, 101), (20, 200), (40, 400)];
        let settled = Settled {
            as_of: 0,
            has_scans: true,
            total: Tally::default(),
            lists: Lists::of_shards(Vec::new(), vec![Vec::new(), watch]),
            generations: Vec::new(),
            dir: PathBuf::new(),
        };
        assert_eq!(settled.lists.scanned(1, &set(&[5, 10, 30, 40, 50])), [100, 101, 400]);
        assert_eq!(settled.lists.scanned(1, &set(&[20])), [200]);
        assert_eq!(settled.lists.scanned(1, &set(&[41, 99])), Vec::<u64>::new());
        assert_eq!(settled.lists.scanned(1, &set(&[])), Vec::<u64>::new());
        assert_eq!(settled.lists.scanned(0, &set(&[10])), Vec::<u64>::new(), "a shard watching nothing");
        assert_eq!(settled.lists.scanned(7, &set(&[10])), Vec::<u64>::new(), "a shard the directory lacks");
    }

    #[test]
    fn a_settled_directory_s_key_is_read_from_the_head_of_its_tally_file() {
        let dir = tempfile::tempdir().unwrap();
        let key = SettledKey::of("b000007", &ViewOptions::default(), PackageOptions::default());
        // As the directory is written: the key first, then the total.
        let total = Some(Tally::default());
        let file = TallyFile {
            key: key.clone(),
            as_of: 1,
            has_scans: true,
            carried_from: None,
            total,
            shards: Vec::new(),
            generations: Vec::new(),
        };
        std::fs::write(dir.path().join(TALLY_FILE), serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(key_of(dir.path()), Some(key.clone()));
        // Another program version's key, or a file that does not start with one: not ours.
        let other = SettledKey { version: "0.0.1".into(), ..key.clone() };
        let file = TallyFile { key: other, ..file };
        std::fs::write(dir.path().join(TALLY_FILE), serde_json::to_vec(&file).unwrap()).unwrap();
        assert_eq!(key_of(dir.path()), None);
        std::fs::write(dir.path().join(TALLY_FILE), br#"{"as_of":1,"key":{}}"#).unwrap();
        assert_eq!(key_of(dir.path()), None);
        std::fs::write(dir.path().join(TALLY_FILE), &serde_json::to_vec(&TallyFile { key, ..file }).unwrap()[..40])
            .unwrap();
        assert_eq!(key_of(dir.path()), None);
    }

    fn us() -> Marketplace {
        Marketplace::from_code("US").unwrap()
    }

    /// A cancel day of `orders` counted orders among `on_day` MFN orders bought that day.
    fn cancel(m: &str, day: i32, orders: i64, on_day: i64) -> CancelDay {
        let counts = CancelCounts { orders, orders_on_day: on_day, ..CancelCounts::default() };
        Day { key: Marketplace::from_code(m).unwrap(), day, counts }
    }

    fn tally(cancel: Vec<CancelDay>, packages_on: &[i32], unsupported: &[(&str, u64)]) -> Tally {
        let valid = TrackingCounts::of(None);
        Tally {
            orders: cancel.iter().map(|c| c.counts.orders_on_day as u64).sum(),
            daily: DailyCounts {
                cancel,
                tracking: packages_on.iter().map(|&day| Day { key: (us(), "".into()), day, counts: valid }).collect(),
                tracking_all: packages_on.iter().map(|&day| Day { key: us(), day, counts: valid }).collect(),
                ..DailyCounts::default()
            },
            counters: OrderCounters {
                unsupported_marketplaces: unsupported.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
                ..OrderCounters::default()
            },
            ..Tally::default()
        }
    }

    /// Taking back out what was added leaves no key behind, but a day whose only order counts
    /// as nothing (a Pending-class cancellation: every count 0 but the day's orders) keeps its
    /// row: the table's day range runs over every order's purchase day.
    #[test]
    fn subtracting_an_order_drops_only_the_keys_no_order_counts_on() {
        let mut sum = tally(vec![cancel("US", 100, 1, 1)], &[101], &[("Amazon.zz", 1)]);
        let pending_only = tally(vec![cancel("US", 102, 0, 1)], &[], &[]);
        sum.add(&pending_only);
        let touched = tally(vec![cancel("US", 100, 1, 1)], &[101], &[("Amazon.zz", 1)]);
        sum.subtract(&touched);
        assert_eq!(sum.daily.cancel, vec![cancel("US", 102, 0, 1)]);
        assert!(sum.daily.tracking.is_empty() && sum.daily.tracking_all.is_empty());
        assert!(sum.counters.unsupported_marketplaces.is_empty());
        assert_eq!(sum.orders, 1);
    }

    /// A settled directory of `tallies` (one per shard, each shard settling order hash `i`)
    /// under `key`, sealed; `inline`: laid out as before the total was kept (every shard's
    /// tally in `settled.json`); else with the total and, as the ninth session's build wrote
    /// them, each shard's tally in `tallies.json` beside it (listed in the seal, not read).
    fn settled_dir(store: &Path, key: &SettledKey, tallies: &[Tally], inline: bool) {
        let dir = key_dir(store, key);
        for (i, _) in tallies.iter().enumerate() {
            let shard = shard_dir(&dir, i);
            std::fs::create_dir_all(&shard).unwrap();
            let mut ids = crate::tables::frame(vec![
                Column::new("id_hash".into(), vec![i as u64]),
                Column::new("segment".into(), vec![7u32]),
            ])
            .unwrap();
            write_parquet(&shard.join("settled_ids.parquet"), &mut ids).unwrap();
            let mut watch = crate::tables::frame(vec![
                Column::new("number_hash".into(), Vec::<u64>::new()),
                Column::new("order_hash".into(), Vec::<u64>::new()),
            ])
            .unwrap();
            write_parquet(&shard.join("scan_watch.parquet"), &mut watch).unwrap();
        }
        let (total, shards) = match inline {
            true => (None, tallies.to_vec()),
            false => (Some(Tally::sum(tallies)), Vec::new()),
        };
        let file = TallyFile {
            key: key.clone(),
            as_of: 5,
            has_scans: true,
            carried_from: None,
            total,
            shards,
            generations: Vec::new(),
        };
        std::fs::write(dir.join(TALLY_FILE), serde_json::to_vec(&file).unwrap()).unwrap();
        if !inline {
            std::fs::write(dir.join("tallies.json"), serde_json::to_vec(tallies).unwrap()).unwrap();
        }
        super::super::integrity::seal(&dir).unwrap();
    }

    /// A report and the ingest that carries the settled orders over read their total alone. A
    /// directory written before the total was kept (every shard's tally in `settled.json`)
    /// reads as the same numbers, and one with each shard's tally in `tallies.json` too.
    #[test]
    fn a_report_and_a_carrying_ingest_read_the_settled_orders_total() {
        let tallies: Vec<Tally> =
            (0..SHARDS as i32).map(|i| tally(vec![cancel("US", 100 + i % 3, 1, 2)], &[101 + i], &[])).collect();
        let sum = Tally::sum(&tallies);
        assert_eq!(sum.orders, 2 * SHARDS as u64);
        for inline in [false, true] {
            let store = tempfile::tempdir().unwrap();
            let key = SettledKey::of("b000007", &ViewOptions::default(), PackageOptions::default());
            settled_dir(store.path(), &key, &tallies, inline);
            let report = read(store.path(), &key).expect("readable");
            assert_eq!(report.total, sum, "inline: {inline}");
            assert_eq!(report.as_of, 5);
            assert_eq!(
                (report.lists.ids(3), report.lists.segment_of(3, 3)),
                (vec![3u64], 7),
                "ids read with the total"
            );
            assert_eq!(report.lists.settled_among(3, &[2, 3, 4]), [3]);
        }
    }

    /// A carried total: the old one, less what the touched orders counted, plus what the new
    /// base's judging settled, is the sum the partitions' tallies would have given.
    #[test]
    fn a_carried_total_is_the_sum_of_the_partitions_less_the_touched_orders() {
        let tallies: Vec<Tally> =
            (0..SHARDS as i32).map(|i| tally(vec![cancel("US", 100 + i % 3, 1, 2)], &[101 + i], &[])).collect();
        // Shard 2's and shard 5's orders touched: each leaves its partition's tally.
        let counted: Vec<Tally> =
            (0..SHARDS).map(|i| if i == 2 || i == 5 { tallies[i].clone() } else { Tally::default() }).collect();
        let old = Settled {
            as_of: 5,
            has_scans: true,
            total: Tally::sum(&tallies),
            lists: Lists::of_shards(Vec::new(), Vec::new()),
            generations: vec![7],
            dir: PathBuf::new(),
        };
        let touched: Vec<FxHashSet<u64>> = (0..SHARDS).map(|_| FxHashSet::default()).collect();
        let evidence = (0..SHARDS)
            .map(|_| Evidence {
                cancellations: DataFrame::empty(),
                tracking_defects: DataFrame::empty(),
                late_deliveries: DataFrame::empty(),
            })
            .collect();
        let key = SettledKey::of("b000007", &ViewOptions::default(), PackageOptions::default());
        let carried = carry(key, old, &touched, counted, evidence);
        let left: Vec<Tally> =
            tallies.iter().enumerate().filter(|(i, _)| *i != 2 && *i != 5).map(|(_, t)| t.clone()).collect();
        assert_eq!(carried.total, Tally::sum(&left));
        assert_eq!(carried.total.orders, 2 * (SHARDS as u64 - 2));
        assert_eq!(carried.shards.len(), SHARDS);
    }

    /// What an ingest read ahead stands for its directory alone, once, and only while the
    /// directory is the one read: one rebuilt since is read again.
    #[test]
    fn a_read_ahead_stands_only_for_its_directory_as_read() {
        let tallies = |n: i32| -> Vec<Tally> {
            (0..SHARDS as i32).map(|i| tally(vec![cancel("US", 100, 1, n.into())], &[101 + i], &[])).collect()
        };
        let store = tempfile::tempdir().unwrap();
        let key = SettledKey::of("b000007", &ViewOptions::default(), PackageOptions::default());
        settled_dir(store.path(), &key, &tallies(2), false);
        let ahead = || read_ahead(store.path(), "b000007").expect("the base's one directory");
        keep_read_ahead(ahead());
        // A report with other options reads another directory: not this one, which stays.
        let graced = PackageOptions { scan_grace_days: 3, ..PackageOptions::default() };
        let other = SettledKey::of("b000007", &ViewOptions::default(), graced);
        assert!(take_read_ahead(store.path(), &other).is_none());
        assert_eq!(take_read_ahead(store.path(), &key).expect("read ahead").total, Tally::sum(&tallies(2)));
        assert!(take_read_ahead(store.path(), &key).is_none(), "taken once");
        // Rebuilt with other tallies after it was read ahead: what is there now is read.
        keep_read_ahead(ahead());
        std::fs::remove_dir_all(key_dir(store.path(), &key)).unwrap();
        settled_dir(store.path(), &key, &tallies(30), false);
        assert_eq!(read(store.path(), &key).expect("readable").total, Tally::sum(&tallies(30)));
        assert_ne!(Tally::sum(&tallies(30)), Tally::sum(&tallies(2)));
        // A base with no settled directory: nothing read ahead.
        assert!(read_ahead(store.path(), "b000008").is_none());
        // Another store's directory of the same key: not this one, which stays.
        keep_read_ahead(ahead());
        let other_store = tempfile::tempdir().unwrap();
        settled_dir(other_store.path(), &key, &tallies(2), false);
        assert!(take_read_ahead(other_store.path(), &key).is_none());
        assert!(take_read_ahead(store.path(), &key).is_some());
    }

    /// Each base's judging writes a generation of the lists: what it settled, and which
    /// carried orders it judged again (dropped from the older generations: settled again, or
    /// live now). A read sees every generation's entries but the dropped ones.
    #[test]
    fn generations_hold_what_each_base_settled_less_what_later_ones_dropped() {
        let store = tempfile::tempdir().unwrap();
        let key = SettledKey::of("b000009", &ViewOptions::default(), PackageOptions::default());
        let dir = key_dir(store.path(), &key);
        std::fs::create_dir_all(&dir).unwrap();
        let empty = || Evidence {
            cancellations: DataFrame::empty(),
            tracking_defects: DataFrame::empty(),
            late_deliveries: DataFrame::empty(),
        };
        // Shard 1 of each generation; the other shards hold nothing.
        let generation = |number: u32, hashes: Vec<(u64, u32)>, watch: Vec<(u64, u64)>, dropped: Vec<u64>| {
            let mut one = Some(Partition {
                hashes,
                watch,
                dropped,
                carried: Vec::new(),
                tally: Tally::default(),
                evidence: empty(),
                live: Vec::new(),
                unknown_confirmations: 0,
            });
            let parts: Vec<Partition> = (0..SHARDS)
                .map(|i| match i {
                    1 => one.take().unwrap(),
                    _ => Partition {
                        hashes: Vec::new(),
                        watch: Vec::new(),
                        dropped: Vec::new(),
                        carried: Vec::new(),
                        tally: Tally::default(),
                        evidence: empty(),
                        live: Vec::new(),
                        unknown_confirmations: 0,
                    },
                })
                .collect();
            write_generation(&dir, number, &parts).unwrap();
        };
        // Base 3 settled orders 10, 20 and 30 (packages 100 and 200 of 10 and 20 watched).
        generation(3, vec![(10, 3), (20, 3), (30, 3)], vec![(100, 10), (200, 20)], vec![]);
        // Base 7 judged 10 and 20 again: 10 is live now, 20 settled again (package 300); and
        // it settled 25.
        generation(7, vec![(20, 7), (25, 7)], vec![(300, 20)], vec![10, 20]);
        // Base 9 judged 30 again: live now.
        generation(9, vec![], vec![], vec![30]);
        let total = Some(Tally::default());
        let file = TallyFile {
            key: key.clone(),
            as_of: 5,
            has_scans: true,
            carried_from: Some("b000007".into()),
            total,
            shards: Vec::new(),
            generations: vec![3, 7, 9],
        };
        std::fs::write(dir.join(TALLY_FILE), serde_json::to_vec(&file).unwrap()).unwrap();
        let tallies: Vec<Tally> = (0..SHARDS).map(|_| Tally::default()).collect();
        super::super::integrity::seal(&dir).unwrap();

        let settled = read(store.path(), &key).expect("readable");
        assert_eq!(settled.lists.ids(1), [20, 25], "10 and 30 dropped, 20 from base 7 only");
        assert_eq!(settled.lists.settled_among(1, &[10, 20, 25, 30]), [20, 25]);
        assert_eq!((settled.lists.segment_of(1, 10), settled.lists.segment_of(1, 30)), (0, 0), "dropped: not settled");
        assert_eq!((settled.lists.segment_of(1, 20), settled.lists.segment_of(1, 25)), (7, 7));
        assert_eq!(settled.lists.watch(1), [(300, 20)], "the dropped orders' packages are not watched");
        assert_eq!(settled.lists.scanned(1, &set(&[100, 200, 300])), [20]);
        assert!((0..SHARDS).all(|i| i == 1 || settled.lists.ids(i).is_empty()));
        assert_eq!(settled.generations, [3, 7, 9]);
        // A new base carries a directory in generations over; one written with one list of
        // each per shard (before generations) it judges whole.
        assert!(for_carrying(store.path(), "b000009").is_some());
        let old = SettledKey::of("b000011", &ViewOptions::default(), PackageOptions::default());
        settled_dir(store.path(), &old, &tallies, false);
        assert!(read(store.path(), &old).is_some());
        assert!(for_carrying(store.path(), "b000011").is_none());
    }

    /// A tally is written to settled.json and read back whole.
    #[test]
    fn a_tally_reads_back_as_written() {
        let t = tally(vec![cancel("DE", 5, 1, 1), cancel("US", 7, 2, 2)], &[8], &[("Amazon.zz", 3)]);
        let json = serde_json::to_string(&t).unwrap();
        assert_eq!(serde_json::from_str::<Tally>(&json).unwrap(), t);
    }

    /// An ingest that writes a new base judges it under the options of the old base's keys:
    /// a key reads back as the options it was made of.
    #[test]
    fn a_key_reads_back_as_the_options_it_was_made_of() {
        let view = ViewOptions {
            policy: "business7".parse().unwrap(),
            tz: parse_zone("Europe/London"),
            default_marketplace: Marketplace::from_code("JP").unwrap(),
            warn_days: 3,
            as_of: None,
        };
        let packages = PackageOptions { scan_grace_days: 9, basis: orderhealth_core::TrackingBasis::Ship };
        let key = SettledKey::of("b000007", &view, packages);
        let request = key.request().expect("readable");
        assert_eq!(SettledKey::of("b000007", &request.view, request.packages), key);
        assert_eq!(request.packages, packages);
        assert_eq!(request.view.tz, view.tz);
        let unknown = SettledKey { policy: "someday".into(), ..key };
        assert!(unknown.request().is_none());
    }

    /// The settled counts join the live ones key by key, in the tables' order.
    #[test]
    fn settled_days_join_the_live_ones_in_order() {
        let settled = tally(vec![cancel("DE", 5, 1, 1), cancel("US", 7, 2, 2)], &[], &[]);
        let live = CancelDay {
            key: us(),
            day: 7,
            counts: CancelCounts { orders: 1, auto_cancelled: 1, orders_on_day: 1, ..CancelCounts::default() },
        };
        let joined = (DailyCounts { cancel: vec![live], ..DailyCounts::default() } + settled.daily).cancel;
        let got: Vec<(&str, i32, i64, i64, i64)> = joined
            .iter()
            .map(|d| (d.key.code(), d.day, d.counts.orders, d.counts.seller_cancelled, d.counts.auto_cancelled))
            .collect();
        assert_eq!(got, vec![("DE", 5, 1, 0, 0), ("US", 7, 3, 0, 1)]);
    }
}
