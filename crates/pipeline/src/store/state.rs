//! A stored state as Parquet, partition by partition (docs/STORE.md, "The tables"): the
//! orders (one row each), their shipment rows, the scans and the catalog of a
//! [`BookShard`], written whole and read back into the book, or as the tables' rows of some
//! orders only. Everything here maps between the book and its columns; what is stored when
//! is decided by the store (`store.rs`).

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use orderhealth_core::book::{BookShard, CatalogEntry, Keyed, Names, OrderState, OrderTable, Shipment, SnapshotKey};
use orderhealth_core::rows::{ScanMap, ScanTally, ShipDate};
use orderhealth_core::shard::{id_hash, id_order, partition_of, SHARDS};
use orderhealth_core::status::{Channel, Status};
use orderhealth_core::{Marketplace, Text};
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::output::{sync_dir, Syncing};
use crate::tables::{frame, timestamps};

/// A list (SKUs, item ids, reasons) in one text field, joined by TAB (a TSV field never
/// holds one).
const LIST_SEPARATOR: char = '\t';

/// A joined list read back, each item made by `item`; most lists have one item.
pub(super) fn split<T, C: FromIterator<T>>(v: Option<&str>, mut item: impl FnMut(&str) -> T) -> C {
    match v {
        None | Some("") => std::iter::empty().collect(),
        Some(one) if !one.contains(LIST_SEPARATOR) => std::iter::once(item(one)).collect(),
        Some(many) => many.split(LIST_SEPARATOR).map(item).collect(),
    }
}

/// A column of lists, each one's items joined by [`LIST_SEPARATOR`] ([`split`] reads it back),
/// made without a string of its own per row (three such columns of every state written: an
/// allocation each, a fifth of making a new base's orders table in a profile; no change in
/// a night's wall time measured).
fn lists<'a, S: AsRef<str> + 'a>(
    name: &str,
    states: &[&'a OrderState],
    list: impl Fn(&'a OrderState) -> &'a [S],
) -> Column {
    let mut column = StringChunkedBuilder::new(name.into(), states.len());
    let mut joined = String::new();
    for o in states {
        joined.clear();
        for (i, v) in list(o).iter().enumerate() {
            if i > 0 {
                joined.push(LIST_SEPARATOR);
            }
            joined.push_str(v.as_ref());
        }
        column.append_value(&joined);
    }
    column.finish().into_column()
}

pub(super) fn key_of<T>(slot: &Keyed<T>) -> Option<u64> {
    slot.as_ref().map(|(k, _)| k.to_bits())
}

pub(super) fn value_of<T>(slot: &Keyed<T>) -> Option<&T> {
    slot.as_ref().map(|(_, v)| v)
}

pub(super) fn keyed<T>(key: Option<u64>, value: Option<T>) -> Keyed<T> {
    Some((SnapshotKey::from_bits(key?), value?))
}

pub(super) fn keys(name: &str, states: &[&OrderState], slot: impl Fn(&OrderState) -> Option<u64>) -> Column {
    Column::new(name.into(), states.iter().map(|o| slot(o)).collect::<Vec<Option<u64>>>())
}

pub(super) fn flags(name: &str, states: &[&OrderState], flag: impl Fn(&OrderState) -> bool) -> Column {
    Column::new(name.into(), states.iter().map(|o| flag(o)).collect::<Vec<bool>>())
}

pub(super) fn texts<'a>(
    name: &str,
    states: &[&'a OrderState],
    text: impl Fn(&'a OrderState) -> Option<&'a str>,
) -> Column {
    Column::new(name.into(), states.iter().map(|o| text(o)).collect::<Vec<Option<&str>>>())
}

pub(super) fn instants(
    name: &str,
    states: &[&OrderState],
    at: impl Fn(&OrderState) -> Option<i64>,
) -> PolarsResult<Column> {
    timestamps(name, states.iter().map(|o| at(o)).collect())
}

/// `orders.parquet`: one row per order, sorted by `order_id`; each kept value beside the key
/// of the snapshot that gave it (docs/STORE.md).
pub(super) fn orders_frame(states: &[&OrderState]) -> PolarsResult<DataFrame> {
    frame(vec![
        texts("order_id", states, |o| Some(o.id.as_str())),
        Column::new("snapshots".into(), states.iter().map(|o| o.snapshots).collect::<Vec<u32>>()),
        texts("status", states, |o| value_of(&o.status).map(Status::as_str)),
        keys("status_key", states, |o| key_of(&o.status)),
        texts("channel", states, |o| value_of(&o.channel).map(|c| c.as_str())),
        keys("channel_key", states, |o| key_of(&o.channel)),
        texts("sales_channel", states, |o| value_of(&o.sales_channel).map(|v| &**v)),
        keys("sales_channel_key", states, |o| key_of(&o.sales_channel)),
        texts("email_marketplace", states, |o| value_of(&o.email_marketplace).map(|m| m.code())),
        keys("email_marketplace_key", states, |o| key_of(&o.email_marketplace)),
        instants("purchase_ts", states, |o| value_of(&o.purchase_ts).copied())?,
        keys("purchase_key", states, |o| key_of(&o.purchase_ts)),
        instants("expected_ship_ts", states, |o| value_of(&o.expected_ship).copied())?,
        keys("expected_ship_key", states, |o| key_of(&o.expected_ship)),
        instants("expected_delivery_ts", states, |o| value_of(&o.expected_delivery).copied())?,
        keys("expected_delivery_key", states, |o| key_of(&o.expected_delivery)),
        lists("skus", states, |o| value_of(&o.skus).map_or(&[][..], |v| v)),
        keys("skus_key", states, |o| key_of(&o.skus)),
        lists("item_ids", states, |o| value_of(&o.item_ids).map_or(&[][..], |v| v)),
        keys("item_ids_key", states, |o| key_of(&o.item_ids)),
        texts("currency", states, |o| value_of(&o.valued).map(|(c, _)| &**c)),
        Column::new(
            "value_micros".into(),
            states.iter().map(|o| value_of(&o.valued).map(|(_, v)| *v)).collect::<Vec<Option<i64>>>(),
        ),
        keys("valued_key", states, |o| key_of(&o.valued)),
        flags("buyer_requested", states, |o| o.buyer_requested),
        instants("cancel_seen_ts", states, |o| value_of(&o.cancel_seen).copied().flatten())?,
        keys("cancel_seen_key", states, |o| key_of(&o.cancel_seen)),
        flags("any_pending", states, |o| o.any_pending),
        instants("first_shipped_update_ts", states, |o| o.first_shipped_update)?,
        flags("other_than_pending_or_cancelled", states, |o| o.other_than_pending_or_cancelled),
        flags("event_any", states, |o| o.events.any),
        flags("event_buyer", states, |o| o.events.buyer),
        flags("event_seller", states, |o| o.events.seller),
        flags("event_amazon_auto", states, |o| o.events.amazon_auto),
        flags("event_amazon_other", states, |o| o.events.amazon_other),
        flags("feed_row", states, |o| o.feed_row),
        lists("reasons", states, |o| &o.reasons),
    ])
}

/// `shipments.parquet`: the orders' shipment-confirmation rows, in the orders' order.
pub(super) fn shipments_frame(states: &[&OrderState]) -> PolarsResult<DataFrame> {
    let rows: Vec<(&str, &Shipment)> =
        states.iter().flat_map(|o| o.shipments.iter().map(|s| (o.id.as_str(), s))).collect();
    frame(vec![
        Column::new("order_id".into(), rows.iter().map(|r| r.0).collect::<Vec<&str>>()),
        Column::new("file".into(), rows.iter().map(|r| r.1.position.0).collect::<Vec<u32>>()),
        Column::new("line".into(), rows.iter().map(|r| r.1.position.1).collect::<Vec<u64>>()),
        crate::tables::dates(
            "ship_date",
            rows.iter()
                .map(|r| match r.1.ship {
                    ShipDate::Day(d) => Some(d),
                    ShipDate::At(_) => None,
                })
                .collect(),
        )?,
        timestamps(
            "ship_ts",
            rows.iter()
                .map(|r| match r.1.ship {
                    ShipDate::At(t) => Some(t),
                    ShipDate::Day(_) => None,
                })
                .collect(),
        )?,
        Column::new("carrier".into(), rows.iter().map(|r| &*r.1.carrier).collect::<Vec<&str>>()),
        Column::new("tracking_number".into(), rows.iter().map(|r| r.1.tracking.as_str()).collect::<Vec<&str>>()),
    ])
}

pub(super) fn scans_frame(scans: &ScanMap) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&Text, &ScanTally)> = scans.iter().collect();
    // In text order, compared as `id_order` does (sooner: most numbers are longer than 16 bytes).
    rows.sort_unstable_by(|a, b| id_order(a.0, b.0));
    frame(vec![
        Column::new("tracking_number".into(), rows.iter().map(|r| r.0.as_str()).collect::<Vec<&str>>()),
        // A read wanting a few numbers checks this column first (`add_scans_from`).
        Column::new("number_hash".into(), rows.iter().map(|r| id_hash(r.0)).collect::<Vec<u64>>()),
        Column::new("scans".into(), rows.iter().map(|r| r.1.scans).collect::<Vec<u32>>()),
        Column::new("delivered".into(), rows.iter().map(|r| r.1.delivered).collect::<Vec<bool>>()),
        timestamps("first_delivered_ts", rows.iter().map(|r| r.1.first_delivered).collect())?,
    ])
}

/// The file of a settled directory's shard that keeps the scans of its live orders' packages
/// as they were judged ([`live_scans_frame`]).
pub(super) const LIVE_SCANS: &str = "live_scans.parquet";

/// The packages of a settled directory's live orders whose numbers fall in one shard: each
/// normalised number with its tally summed over the segments when the base was judged
/// (`None`: not scanned yet), sorted by number. The scans of those numbers in the base and the
/// segments below it stay what they were (later scans go into layers), so a report reads them
/// here instead of looking each number up in every segment.
pub(super) fn live_scans_frame(numbers: &[(String, Option<ScanTally>)]) -> PolarsResult<DataFrame> {
    frame(vec![
        Column::new("tracking_number".into(), numbers.iter().map(|r| r.0.as_str()).collect::<Vec<&str>>()),
        Column::new("scans".into(), numbers.iter().map(|r| r.1.map(|t| t.scans)).collect::<Vec<Option<u32>>>()),
        Column::new(
            "delivered".into(),
            numbers.iter().map(|r| r.1.map(|t| t.delivered)).collect::<Vec<Option<bool>>>(),
        ),
        timestamps("first_delivered_ts", numbers.iter().map(|r| r.1.and_then(|t| t.first_delivered)).collect())?,
    ])
}

/// One shard's [`live_scans_frame`] read back: every number it lists, and the tallies of those
/// scanned.
pub(super) type LiveScans = (FxHashSet<String>, ScanMap);

/// A [`live_scans_frame`] read back.
pub(super) fn read_live_scans(df: &DataFrame) -> Result<LiveScans> {
    let (number, count, delivered) =
        (df.column("tracking_number")?.str()?, df.column("scans")?.u32()?, df.column("delivered")?.bool()?);
    let first = df.column("first_delivered_ts")?.datetime()?.physical();
    let mut numbers = FxHashSet::with_capacity_and_hasher(df.height(), Default::default());
    let mut scans = ScanMap::default();
    for i in 0..df.height() {
        let n = number.get(i).unwrap_or("");
        if let Some(count) = count.get(i) {
            let tally =
                ScanTally { scans: count, delivered: delivered.get(i).unwrap_or(false), first_delivered: first.get(i) };
            scans.insert(n, tally);
        }
        numbers.insert(n.to_string());
    }
    Ok((numbers, scans))
}

pub(super) fn catalog_frame(catalog: &FxHashMap<Text, CatalogEntry>) -> PolarsResult<DataFrame> {
    let mut rows: Vec<(&Text, &CatalogEntry)> = catalog.iter().collect();
    // In text order, compared as `id_order` does (sooner: most numbers are longer than 16 bytes).
    rows.sort_unstable_by(|a, b| id_order(a.0, b.0));
    frame(vec![
        Column::new("sku".into(), rows.iter().map(|r| r.0.as_str()).collect::<Vec<&str>>()),
        Column::new("category".into(), rows.iter().map(|r| r.1 .1.as_str()).collect::<Vec<&str>>()),
        Column::new("file".into(), rows.iter().map(|r| r.1 .0 .0).collect::<Vec<u32>>()),
        Column::new("row".into(), rows.iter().map(|r| r.1 .0 .1).collect::<Vec<u32>>()),
    ])
}

pub(super) fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_parquet_grouped(path, df, None, None)
}

/// [`write_parquet`] for every table of a settled directory ([`crate::parquet::Kind::Settled`]).
pub(super) fn write_settled(path: &Path, df: &mut DataFrame) -> Result<()> {
    write_parquet_as(path, df, None, None, crate::parquet::Kind::Settled)
}

/// Rows per row group of a state's `orders` and `shipments` tables (sorted by `order_id`): a
/// report that needs a few settled orders of the base back (a later file touched them)
/// decodes the `order_id` column and then only their rows, not the whole table
/// (`read_orders_rows`). Smaller groups measured slower (docs/BENCHMARKS.md).
pub(super) const ORDER_ROW_GROUP: usize = 4096;

/// Beside each `scans.parquet`: the first 32 bits of every `number_hash` in it, sorted, as
/// little-endian `u32`s. A report wants the scans of the live orders' packages, shipped in the
/// last weeks, and looks them up in every segment of the scan chain; the older segments'
/// tables hold none of them, and with this index a read passes such a table over after reading
/// an eighth of its bytes (4 of about 33 a number; the table is decoded, as before, when one
/// of its hashes may be wanted). A table without an index (written before it existed) is
/// checked as before.
pub(super) const SCAN_INDEX: &str = "scans.index";

/// The [`SCAN_INDEX`] of the scans table `df` (its `number_hash` column).
fn scan_index(df: &DataFrame) -> Result<Vec<u8>> {
    let prefixes = prefixes_of(df.column("number_hash")?.u64()?.into_no_null_iter());
    Ok(prefixes.iter().flat_map(|p| p.to_le_bytes()).collect())
}

/// Writes the [`SCAN_INDEX`] of the scans table `df` as `path`.
fn write_scan_index(path: &Path, df: &DataFrame, syncing: &Syncing) -> Result<()> {
    let bytes = scan_index(df)?;
    let mut file = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    std::io::Write::write_all(&mut file, &bytes).with_context(|| format!("{}: cannot write", path.display()))?;
    super::integrity::written(path, &file, super::integrity::hash(&bytes));
    syncing.later(path, file);
    Ok(())
}

/// What the [`SCAN_INDEX`] keeps of a number's hash.
fn prefix(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// The [`prefix`]es of `hashes`, sorted and distinct: an index as written, and the side a
/// read walks beside it.
fn prefixes_of(hashes: impl Iterator<Item = u64>) -> Vec<u32> {
    let mut prefixes: Vec<u32> = hashes.map(prefix).collect();
    prefixes.sort_unstable();
    prefixes.dedup();
    prefixes
}

/// [`write_parquet`] in row groups of `rows_per_group` rows (`None`: polars' default); with
/// `syncing`, the file is handed to it to reach the disk while the rest is written.
pub(super) fn write_parquet_grouped(
    path: &Path,
    df: &mut DataFrame,
    rows_per_group: Option<usize>,
    syncing: Option<&Syncing>,
) -> Result<()> {
    write_parquet_as(path, df, rows_per_group, syncing, crate::parquet::Kind::Store)
}

/// A table written as a table of `kind`, hashed as written, and synced by `syncing` when given.
fn write_parquet_as(
    path: &Path,
    df: &mut DataFrame,
    rows_per_group: Option<usize>,
    syncing: Option<&Syncing>,
    kind: crate::parquet::Kind,
) -> Result<()> {
    let f = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    let cannot = || format!("{}: cannot write", path.display());
    // Buffered: the writer's many small writes were most of a nightly ingest's time (in the
    // kernel).
    // Hashed as written: its seal need not read it back.
    let mut out = std::io::BufWriter::with_capacity(1 << 20, super::integrity::Hashing::new(f));
    crate::parquet::write_table(&mut out, df, rows_per_group.unwrap_or(512 * 512).max(1), kind).with_context(cannot)?;
    let (file, sum) = out.into_inner().map_err(|e| anyhow::Error::new(e.into_error())).with_context(cannot)?.finish();
    super::integrity::written(path, &file, sum);
    if let Some(syncing) = syncing {
        syncing.later(path, file);
    }
    Ok(())
}

pub(super) fn shard_dir(state: &Path, shard: usize) -> PathBuf {
    state.join(format!("shard={shard:02}"))
}

/// How a state's orders are split into directories: `shard=NN/`, one per partition
/// (`partition_of(order_id)`; scans by tracking number, the catalog by SKU). `partitions` is
/// a multiple of [`SHARDS`]: the book's shard `i` is partitions `i`, `i + 16`, `i + 32`, …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Layout {
    pub partitions: usize,
}

impl Layout {
    /// The directories of the book's shard `shard` in `state`, in partition order.
    pub fn of_shard(&self, state: &Path, shard: usize) -> Vec<PathBuf> {
        self.partitions_of_shard(shard).map(|p| shard_dir(state, p)).collect()
    }

    /// The partitions of the book's shard `shard`, in order.
    fn partitions_of_shard(&self, shard: usize) -> impl Iterator<Item = usize> {
        (shard..self.partitions.max(SHARDS)).step_by(SHARDS)
    }
}

/// Writes the directory `parent/name` whole: `fill` writes into `parent/.<name>.tmp`, which is
/// synced, then renamed into place (a killed ingest leaves only the temporary directory).
/// What `fill` hands to its [`Syncing`] is synced while it writes the rest.
pub(super) fn write_dir_whole(
    parent: &Path,
    name: &str,
    fill: impl FnOnce(&Path, &Syncing) -> Result<()>,
) -> Result<()> {
    let tmp = parent.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    // A state's tables are synced as each is written: the directory's own sync, before its
    // rename, finds little left to do.
    // Eight threads: the tables of every shard are written at once.
    let mut syncing = Syncing::start(8);
    let filled = fill(&tmp, &syncing);
    let synced = syncing.finish();
    filled?;
    let synced = synced?;
    super::integrity::seal(&tmp)?;
    sync_tree_but(&tmp, &synced)?;
    let dest = parent.join(name);
    std::fs::rename(&tmp, &dest).with_context(|| format!("{}: cannot write", dest.display()))?;
    sync_dir(Some(parent));
    Ok(())
}

/// Each shard's `orders` and `shipments` tables, as a state wrote them.
pub(super) type ShardTables = Vec<[Option<DataFrame>; 2]>;

/// Which scans a state written keeps.
#[derive(Clone, Copy)]
pub(super) enum ScansKept<'a> {
    /// Each shard's own (a layer; a base written whole).
    OfShards,
    /// These, per shard: a base that stands on an older segment keeps only the scans added
    /// since it (a scan tally is a sum: the older segments keep the rest).
    Added(&'a [Option<ScanMap>]),
}

/// Writes a state (every shard's tables) as `state/<name>`, with the scans `kept` says; a
/// base (`base`) with the [`SCAN_INDEX`] of each scans table (a layer's scans are read whole).
/// Gives back a base's `orders` and `shipments` tables as written, shard by shard, for its
/// judging; a layer's are freed as each shard is written (none given back).
pub(super) fn write_state(
    parent: &Path,
    name: &str,
    shards: &[BookShard],
    layout: Layout,
    kept: ScansKept,
    base: bool,
) -> Result<ShardTables> {
    let mut tables = Vec::new();
    write_dir_whole(parent, name, |tmp, syncing| {
        let written: Vec<Result<[Option<DataFrame>; 2]>> = shards
            .par_iter()
            .enumerate()
            .map(|(i, shard)| {
                let mut states: Vec<&OrderState> = shard.orders().iter().collect();
                states.sort_unstable_by(|a, b| id_order(&a.id, &b.id));
                let (mut all_orders, mut all_shipments) = (Vec::new(), Vec::new());
                for p in layout.partitions_of_shard(i) {
                    let dir = shard_dir(tmp, p);
                    std::fs::create_dir_all(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
                    let mine: Vec<&OrderState>;
                    let part: &[&OrderState] = if layout.partitions <= SHARDS {
                        &states
                    } else {
                        mine = states
                            .iter()
                            .filter(|o| partition_of(o.id.as_str(), layout.partitions) == p)
                            .copied()
                            .collect();
                        &mine
                    };
                    let mut orders = orders_frame(part)?;
                    write_parquet_grouped(
                        &dir.join("orders.parquet"),
                        &mut orders,
                        Some(ORDER_ROW_GROUP),
                        Some(syncing),
                    )?;
                    let mut shipments = shipments_frame(part)?;
                    write_parquet_grouped(
                        &dir.join("shipments.parquet"),
                        &mut shipments,
                        Some(ORDER_ROW_GROUP),
                        Some(syncing),
                    )?;
                    let scans = match kept {
                        ScansKept::OfShards => shard.scans(),
                        ScansKept::Added(added) => added.get(i).and_then(Option::as_ref),
                    };
                    if let Some(scans) = scans {
                        let mut df = match layout.partitions <= SHARDS {
                            true => scans_frame(scans)?,
                            false => scans_frame(
                                &scans
                                    .iter()
                                    .filter(|(n, _)| partition_of(n, layout.partitions) == p)
                                    .map(|(n, t)| (n.clone(), *t))
                                    .collect(),
                            )?,
                        };
                        // No file for none added: the older segments keep the partition's scans.
                        if df.height() > 0 || matches!(kept, ScansKept::OfShards) {
                            write_parquet_grouped(&dir.join("scans.parquet"), &mut df, None, Some(syncing))?;
                            if base {
                                write_scan_index(&dir.join(SCAN_INDEX), &df, syncing)?;
                            }
                        }
                    }
                    let mut catalog = match layout.partitions <= SHARDS {
                        true => catalog_frame(shard.catalog())?,
                        false => catalog_frame(
                            &shard
                                .catalog()
                                .iter()
                                .filter(|(sku, _)| partition_of(sku, layout.partitions) == p)
                                .map(|(k, v)| (k.clone(), v.clone()))
                                .collect(),
                        )?,
                    };
                    // No file for no catalog rows (a reader takes a missing catalog for an empty
                    // one): a layer is 16 files fewer for every report to open and check.
                    if catalog.height() > 0 {
                        write_parquet_grouped(&dir.join("catalog.parquet"), &mut catalog, None, Some(syncing))?;
                    }
                    // Only a base's tables are judged next; a layer's are freed as written.
                    if base {
                        all_orders.push(orders);
                        all_shipments.push(shipments);
                    }
                }
                Ok([stack(all_orders)?, stack(all_shipments)?])
            })
            .collect();
        tables = written.into_iter().collect::<Result<_>>()?;
        Ok(())
    })?;
    Ok(tables)
}

/// Tables of one shape as one, in order (`None`: no table).
fn stack(frames: Vec<DataFrame>) -> Result<Option<DataFrame>> {
    let mut frames = frames.into_iter();
    let Some(mut first) = frames.next() else { return Ok(None) };
    let mut more = false;
    for df in frames {
        first.vstack_mut(&df)?;
        more = true;
    }
    if more {
        first.rechunk_mut();
    }
    Ok(Some(first))
}

/// A table of each of `dirs` (the partitions of one shard) as one, in order (`None`: none of
/// them has it).
pub(super) fn read_parquet_all(dirs: &[PathBuf], name: &str) -> Result<Option<DataFrame>> {
    let mut found = Vec::new();
    for dir in dirs {
        found.extend(read_parquet(&dir.join(name))?);
    }
    stack(found)
}

/// Every file and directory under `dir` reaches the disk before it is renamed in, several at a
/// time: each `fsync` mostly waits on the disk (one after another they cost a nightly ingest
/// 0.02–0.03 s), and the journal commits concurrent ones together. Directories need no order
/// among themselves: all are synced before the rename that makes any of them visible.
pub(super) fn sync_tree(dir: &Path) -> Result<()> {
    sync_tree_but(dir, &FxHashSet::default())
}

/// [`sync_tree`], but for the files `synced` already.
fn sync_tree_but(dir: &Path, synced: &FxHashSet<PathBuf>) -> Result<()> {
    let mut paths = Vec::new();
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let path = entry?.into_path();
        if !synced.contains(&path) {
            paths.push(path);
        }
    }
    const AT_ONCE: usize = 16;
    let chunk = paths.len().div_ceil(AT_ONCE).max(1);
    std::thread::scope(|scope| -> Result<()> {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|paths| {
                // Named as the output's syncing threads are.
                std::thread::Builder::new().name("orderhealth-sync".into()).spawn_scoped(
                    scope,
                    move || -> std::io::Result<()> {
                        for path in paths {
                            File::open(path)?.sync_all()?;
                        }
                        Ok(())
                    },
                )
            })
            .collect::<std::io::Result<_>>()
            .with_context(|| format!("{}: cannot start syncing", dir.display()))?;
        for worker in workers {
            worker.join().map_err(|_| anyhow::anyhow!("{}: syncing stopped", dir.display()))??;
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------
// Reading the state back.

/// A table of the store, its bytes checked against the checksum written with them before
/// polars decodes them (`None`: a table its directory was written without).
pub(super) fn read_parquet(path: &Path) -> Result<Option<DataFrame>> {
    match super::integrity::read_checked(path)? {
        Some(bytes) => {
            // One thread per file: the shards are read in parallel already, and polars'
            // own pool under ours made the decoding several times slower.
            let reader = ParquetReader::new(std::io::Cursor::new(bytes)).read_parallel(ParallelStrategy::None);
            let mut df = anyhow::Context::with_context(reader.finish(), || format!("{}: cannot read", path.display()))?;
            df.rechunk_mut();
            Ok(Some(df))
        }
        None => Ok(None),
    }
}

/// A reader of a table's bytes as read and checked.
type BytesReader<'b> = ParquetReader<std::io::Cursor<&'b [u8]>>;

/// A table's footer (parsed once), and readers of its `bytes` that share it: a read of a few
/// columns, then of a few rows, is several readers, and a base's footer lists every column of
/// every row group. One thread each, as [`read_parquet`].
fn readers<'b>(bytes: &'b [u8], path: &Path) -> Result<(FileMetadataRef, impl Fn() -> BytesReader<'b>)> {
    let metadata = ParquetReader::new(std::io::Cursor::new(bytes))
        .get_metadata()
        .map_err(|e| anyhow::Error::from(e).context(format!("{}: cannot read", path.display())))?
        .clone();
    let shared = metadata.clone();
    let reader = move || {
        let mut r = ParquetReader::new(std::io::Cursor::new(bytes)).read_parallel(ParallelStrategy::None);
        r.set_metadata(shared.clone());
        r
    };
    Ok((metadata, reader))
}

pub(super) fn micros<'a>(df: &'a DataFrame, name: &str) -> Result<impl Iterator<Item = Option<i64>> + 'a> {
    Ok(df.column(name)?.datetime()?.physical().iter())
}

/// The value made of the previous text, reused while the text repeats.
struct Last<'a, T> {
    text: Option<&'a str>,
    value: Option<T>,
}

impl<T> Default for Last<'_, T> {
    fn default() -> Self {
        Last { text: None, value: None }
    }
}

impl<'a, T: Clone> Last<'a, T> {
    fn get(&mut self, text: &'a str, make: impl FnOnce(&str) -> T) -> T {
        match &self.value {
            Some(v) if self.text == Some(text) => v.clone(),
            _ => {
                let v = make(text);
                (self.text, self.value) = (Some(text), Some(v.clone()));
                v
            }
        }
    }
}

/// The orders of one shard from `orders.parquet`, in its row order (sorted by id).
pub(super) fn read_orders(df: &DataFrame, room: usize, names: &mut Names) -> Result<Vec<OrderState>> {
    let n = df.height();
    let (id, snapshots) = (df.column("order_id")?.str()?, df.column("snapshots")?.u32()?);
    let u64s = |name: &str| -> Result<_> { Ok(df.column(name)?.u64()?.iter()) };
    let strs = |name: &str| -> Result<_> { Ok(df.column(name)?.str()?.iter()) };
    let bools = |name: &str| -> Result<_> { Ok(df.column(name)?.bool()?.iter().map(|b| b.unwrap_or(false))) };
    let (mut id, mut snapshots) = (id.iter(), snapshots.iter());
    let (mut status, mut status_key) = (strs("status")?, u64s("status_key")?);
    let (mut channel, mut channel_key) = (strs("channel")?, u64s("channel_key")?);
    let (mut sales, mut sales_key) = (strs("sales_channel")?, u64s("sales_channel_key")?);
    let (mut email, mut email_key) = (strs("email_marketplace")?, u64s("email_marketplace_key")?);
    let (mut purchase, mut purchase_key) = (micros(df, "purchase_ts")?, u64s("purchase_key")?);
    let (mut expected, mut expected_key) = (micros(df, "expected_ship_ts")?, u64s("expected_ship_key")?);
    let (mut promised, mut promised_key) = (micros(df, "expected_delivery_ts")?, u64s("expected_delivery_key")?);
    let (mut skus, mut skus_key) = (strs("skus")?, u64s("skus_key")?);
    let (mut items, mut items_key) = (strs("item_ids")?, u64s("item_ids_key")?);
    let (mut currency, mut value, mut valued_key) =
        (strs("currency")?, df.column("value_micros")?.i64()?.iter(), u64s("valued_key")?);
    let mut buyer = bools("buyer_requested")?;
    let (mut cancel_seen, mut cancel_seen_key) = (micros(df, "cancel_seen_ts")?, u64s("cancel_seen_key")?);
    let mut pending = bools("any_pending")?;
    let mut first_shipped = micros(df, "first_shipped_update_ts")?;
    let mut other = bools("other_than_pending_or_cancelled")?;
    let (mut any, mut by_buyer, mut by_seller, mut auto, mut amazon) = (
        bools("event_any")?,
        bools("event_buyer")?,
        bools("event_seller")?,
        bools("event_amazon_auto")?,
        bools("event_amazon_other")?,
    );
    let mut feed = bools("feed_row")?;
    let mut reasons = strs("reasons")?;
    let mut out = Vec::with_capacity(n + room);
    let bad = || anyhow::anyhow!("a short column in the store's orders");
    // Neighbouring orders mostly share these values: parsed or interned once per change.
    let (mut last_status, mut last_sales, mut last_currency) = (Last::default(), Last::default(), Last::default());
    for _ in 0..n {
        let mut o = OrderState {
            id: Text::from(id.next().flatten().ok_or_else(bad)?),
            snapshots: snapshots.next().flatten().unwrap_or(0),
            status: keyed(
                status_key.next().flatten(),
                status.next().flatten().map(|v| last_status.get(v, Status::parse)),
            ),
            channel: keyed(channel_key.next().flatten(), channel.next().flatten().and_then(Channel::parse)),
            ..Default::default()
        };
        let (k, v) = (sales_key.next().flatten(), sales.next().flatten());
        o.sales_channel = keyed(k, v.map(|v| last_sales.get(v, |v| names.intern(v))));
        o.email_marketplace =
            keyed(email_key.next().flatten(), email.next().flatten().and_then(Marketplace::from_code));
        o.purchase_ts = keyed(purchase_key.next().flatten(), purchase.next().flatten());
        o.expected_ship = keyed(expected_key.next().flatten(), expected.next().flatten());
        o.expected_delivery = keyed(promised_key.next().flatten(), promised.next().flatten());
        let (k, v) = (skus_key.next().flatten(), skus.next().flatten());
        o.skus = k.map(|k| (SnapshotKey::from_bits(k), split(v, |s| Text::from(s))));
        let (k, v) = (items_key.next().flatten(), items.next().flatten());
        o.item_ids = k.map(|k| (SnapshotKey::from_bits(k), split(v, |s| Text::from(s))));
        let (k, c, v) = (valued_key.next().flatten(), currency.next().flatten(), value.next().flatten());
        o.valued = keyed(k, c.map(|c| (last_currency.get(c, |c| names.intern(c)), v.unwrap_or(0))));
        o.buyer_requested = buyer.next().unwrap_or(false);
        let (k, t) = (cancel_seen_key.next().flatten(), cancel_seen.next().flatten());
        o.cancel_seen = k.map(|k| (SnapshotKey::from_bits(k), t));
        o.any_pending = pending.next().unwrap_or(false);
        o.first_shipped_update = first_shipped.next().flatten();
        o.other_than_pending_or_cancelled = other.next().unwrap_or(false);
        o.events.any = any.next().unwrap_or(false);
        o.events.buyer = by_buyer.next().unwrap_or(false);
        o.events.seller = by_seller.next().unwrap_or(false);
        o.events.amazon_auto = auto.next().unwrap_or(false);
        o.events.amazon_other = amazon.next().unwrap_or(false);
        o.feed_row = feed.next().unwrap_or(false);
        o.reasons = split(reasons.next().flatten(), |s| Text::from(s));
        o.reasons.shrink_to_fit();
        out.push(o);
    }
    Ok(out)
}

/// Gives each order its rows of `shipments.parquet` (in the orders' order).
pub(super) fn read_shipments(df: &DataFrame, states: &mut [OrderState], names: &mut Names) -> Result<()> {
    let id = df.column("order_id")?.str()?;
    let (file, line) = (df.column("file")?.u32()?, df.column("line")?.u64()?);
    let day = df.column("ship_date")?.date()?.physical().iter();
    let rows = file.iter().zip(line.iter()).zip(day).zip(micros(df, "ship_ts")?);
    let rows = rows.zip(df.column("carrier")?.str()?.iter()).zip(df.column("tracking_number")?.str()?.iter());
    let ids: Vec<&str> = id.iter().map(|v| v.unwrap_or("")).collect();
    let mut at = 0usize;
    for (i, (((((file, line), day), ts), carrier), tracking)) in rows.enumerate() {
        let id = ids.get(i).copied().unwrap_or("");
        let first_of_order = i == 0 || ids.get(i - 1) != Some(&id);
        while states.get(at).is_some_and(|o| o.id.as_str() != id) {
            at += 1;
        }
        let order = states.get_mut(at).with_context(|| format!("a shipment of order {id} the store's orders lack"))?;
        if first_of_order {
            // Sized exactly: most orders have one row, and a pushed vector starts at four.
            order.shipments.reserve_exact(ids.iter().skip(i).take_while(|x| **x == id).count());
        }
        order.shipments.push(Shipment {
            position: (file.unwrap_or(0), line.unwrap_or(0)),
            ship: match (day, ts) {
                (Some(d), _) => ShipDate::Day(d),
                (None, t) => ShipDate::At(t.unwrap_or(0)),
            },
            carrier: names.intern(carrier.unwrap_or("")),
            tracking: Text::from(tracking.unwrap_or("")),
        });
    }
    Ok(())
}

/// The numbers (normalised) a read of scans keeps, and their hashes ([`id_hash`]): a scans
/// table's `number_hash` column is checked first, and its numbers decoded only when it holds
/// one of them.
pub(super) struct Wanted {
    numbers: FxHashSet<String>,
    hashes: FxHashSet<u64>,
    /// The hashes' [`prefix`]es, sorted: walked beside a [`SCAN_INDEX`].
    prefixes: Vec<u32>,
}

impl Wanted {
    pub fn of(numbers: FxHashSet<String>) -> Wanted {
        let hashes: FxHashSet<u64> = numbers.iter().map(|n| id_hash(n)).collect();
        let prefixes = prefixes_of(hashes.iter().copied());
        Wanted { numbers, hashes, prefixes }
    }

    /// Whether the table a [`SCAN_INDEX`] of `index` (its bytes) stands for may hold one of
    /// these numbers: `false` only when none of their prefixes is in it. Both lists sorted,
    /// walked side by side.
    fn may_be_in(&self, index: &[u8]) -> bool {
        let held = |i: usize| index.get(4 * i..4 * i + 4).map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
        let wanted = &self.prefixes[..];
        // Both advanced without a branch on which is smaller: a few cycles a step (the
        // tables of a scan chain are walked a few hundred times a report).
        let (mut i, mut j) = (0, 0);
        while let (Some(a), Some(&b)) = (held(i), wanted.get(j)) {
            if a == b {
                return true;
            }
            i += usize::from(a < b);
            j += usize::from(b < a);
        }
        false
    }
}

/// The scans of `df` added into `scans` (a number in both: [`ScanTally::add`]): those of
/// `rows` (all: `None`) whose number is `wanted` (all: `None`).
fn add_scans_of(scans: &mut ScanMap, df: &DataFrame, rows: Option<&[usize]>, wanted: Option<&Wanted>) -> Result<()> {
    let (number, count, delivered) =
        (df.column("tracking_number")?.str()?, df.column("scans")?.u32()?, df.column("delivered")?.bool()?);
    let first = df.column("first_delivered_ts")?.datetime()?.physical();
    if rows.is_none() {
        scans.reserve(df.height());
    }
    let mut add = |i: usize| {
        let n = number.get(i).unwrap_or("");
        if wanted.is_some_and(|w| !w.numbers.contains(n)) {
            return;
        }
        let tally = ScanTally {
            scans: count.get(i).unwrap_or(0),
            delivered: delivered.get(i).unwrap_or(false),
            first_delivered: first.get(i),
        };
        scans.tally_mut(n).add(&tally);
    };
    match rows {
        Some(rows) => rows.iter().for_each(|i| add(*i)),
        None => (0..df.height()).for_each(add),
    }
    Ok(())
}

/// The scans table at `path` added into `scans` (made when there is a table), only the
/// `wanted` numbers' when given: then the `number_hash` column is decoded first, and the
/// rest of the table only when it holds one of them (a table written before the column
/// existed is decoded whole).
pub(super) fn add_scans_from(scans: &mut Option<ScanMap>, path: &Path, wanted: Option<&Wanted>) -> Result<()> {
    if let Some(w) = wanted {
        // The index first (checked like every file): a table it shows holds none of the
        // numbers is not read. Its length is a multiple of 4 as written; the seal vouches for it.
        if let Some(index) = super::integrity::read_checked(&path.with_file_name(SCAN_INDEX))? {
            if !w.may_be_in(&index) {
                scans.get_or_insert_with(ScanMap::default);
                return Ok(());
            }
        }
    }
    let Some(bytes) = super::integrity::read_checked(path)? else { return Ok(()) };
    let cannot = || format!("{}: cannot read", path.display());
    let (metadata, reader) = readers(&bytes, path)?;
    let scans = scans.get_or_insert_with(ScanMap::default);
    let mut rows = None;
    if let Some(w) = wanted {
        let hashed = metadata.schema().fields().iter().any(|f| f.name() == "number_hash");
        if hashed {
            let df = reader()
                .with_columns(Some(vec!["number_hash".into()]))
                .finish()
                .map_err(|e| anyhow::Error::from(e).context(cannot()))?;
            let hits: Vec<usize> = df
                .column("number_hash")?
                .u64()?
                .iter()
                .enumerate()
                .filter(|(_, h)| h.is_some_and(|h| w.hashes.contains(&h)))
                .map(|(i, _)| i)
                .collect();
            if hits.is_empty() {
                return Ok(());
            }
            rows = Some(hits);
        }
    }
    // The columns a tally is made of (not `number_hash`, decoded above when it was wanted).
    let columns = ["tracking_number", "scans", "delivered", "first_delivered_ts"].map(Into::into).to_vec();
    let mut df = reader().with_columns(Some(columns)).finish().map_err(|e| anyhow::Error::from(e).context(cannot()))?;
    df.rechunk_mut();
    add_scans_of(scans, &df, rows.as_deref(), wanted)
}

/// The scans of one shard of a base: the `scans` tables of `segments` (each segment's
/// directories of the shard, as `Manifest::scan_chain` lists the segments: a base standing on
/// older segments keeps only the scans added since the one below it), summed number by
/// number; with `wanted`, only those numbers. `None`: no segment has a scans table.
pub(super) fn chain_scans(segments: &[Vec<PathBuf>], wanted: Option<&Wanted>) -> Result<Option<ScanMap>> {
    let mut scans: Option<ScanMap> = None;
    // The oldest first: it holds most numbers, the newer ones add a few.
    for dirs in segments.iter().rev() {
        for dir in dirs {
            add_scans_from(&mut scans, &dir.join("scans.parquet"), wanted)?;
        }
    }
    Ok(scans)
}

pub(super) fn read_catalog(df: &DataFrame) -> Result<FxHashMap<Text, CatalogEntry>> {
    let sku = df.column("sku")?.str()?.iter();
    let rows = sku
        .zip(df.column("category")?.str()?.iter())
        .zip(df.column("file")?.u32()?.iter())
        .zip(df.column("row")?.u32()?.iter());
    Ok(rows
        .map(|(((s, c), f), r)| {
            (Text::from(s.unwrap_or("")), ((f.unwrap_or(0), r.unwrap_or(0)), Text::from(c.unwrap_or(""))))
        })
        .collect())
}

/// One shard: its orders and shipment rows from `orders_dirs`, its scans and catalog from `dirs`
/// (the same directories, but for the live states of a settled base), and from `dirs` too the
/// orders whose id hashes are in `touched` (settled orders a layer touched).
pub(super) fn read_shard(
    orders_dirs: &[PathBuf],
    dirs: &[PathBuf],
    room: usize,
    touched: &[Option<DataFrame>; 2],
) -> Result<BookShard> {
    Ok(read_shard_rows(orders_dirs, dirs, room, touched, Scans::All)?.0)
}

/// Which scans a shard is read with.
#[derive(Clone, Copy)]
pub(super) enum Scans<'a> {
    /// Those of the directories read (a layer's own).
    All,
    /// A base's: those of its scan chain, each segment's directories of the shard ([`chain_scans`]).
    Chain(&'a [Vec<PathBuf>]),
    /// None yet ([`BookShard::set_scans`] later).
    Later,
}

/// [`read_shard`], and the orders and shipments tables of `orders_dirs` as read.
pub(super) fn read_shard_rows(
    orders_dirs: &[PathBuf],
    dirs: &[PathBuf],
    room: usize,
    touched: &[Option<DataFrame>; 2],
    scans: Scans,
) -> Result<(BookShard, [Option<DataFrame>; 2])> {
    let tables =
        [read_parquet_all(orders_dirs, "orders.parquet")?, read_parquet_all(orders_dirs, "shipments.parquet")?];
    read_shard_tables(tables, dirs, room, touched, scans)
}

/// A base's shard from its `tables` (orders and shipments, as [`chain_tables`] gives them),
/// the `touched` rows after them, and the scans and catalog of `dirs`; and the tables.
pub(super) fn read_shard_tables(
    tables: [Option<DataFrame>; 2],
    dirs: &[PathBuf],
    room: usize,
    touched: &[Option<DataFrame>; 2],
    scans: Scans,
) -> Result<(BookShard, [Option<DataFrame>; 2])> {
    let mut names = Names::default();
    let mut states = states_of(&tables, room, &mut names)?;
    // After the live states: `BookShard::merge` sorts the base again when needed.
    states.extend(states_of(touched, 0, &mut names)?);
    let scans = match scans {
        // A layer's scans: one segment of the chain reader's.
        Scans::All => chain_scans(&[dirs.to_vec()], None)?,
        Scans::Chain(segments) => chain_scans(segments, None)?,
        Scans::Later => None,
    };
    let catalog = match read_parquet_all(dirs, "catalog.parquet")? {
        Some(df) => read_catalog(&df)?,
        None => FxHashMap::default(),
    };
    Ok((BookShard::from_parts(OrderTable::from_states(states), scans, catalog, names), tables))
}

/// The number of a segment (a state directory `bNNNNNN`, the batch that wrote it): how a
/// settled directory names the segment that holds each settled order (0: not a segment).
pub(super) fn segment_number(segment: &Path) -> u32 {
    segment
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.strip_prefix('b'))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A base and the older segments it stands on (docs/STORE.md, "A base that stands on older
/// segments").
#[derive(Debug, Clone)]
pub(super) struct Chain {
    /// The base's directory, then the older segments, newest first: an order's rows are in
    /// the first that holds it.
    pub segments: Vec<PathBuf>,
    /// How many of them, from the base, hold the base's scans: a base standing on an older
    /// segment keeps only the scans added since, so its scans are the sum of its own and the
    /// next segment's, down to one written with every scan.
    pub scans: usize,
}

impl Chain {
    /// The segments holding the base's scans: each one's directories of a shard (`dirs_of`).
    pub fn scan_dirs(&self, dirs_of: impl Fn(&Path) -> Vec<PathBuf>) -> Vec<Vec<PathBuf>> {
        self.segments.iter().take(self.scans).map(|s| dirs_of(s)).collect()
    }
}

/// The orders and shipments tables of a base that stands on older segments (`segments`: the
/// base's directory, then the older ones, newest first; `dirs_of` the directories of the
/// shard or partition in each): each order's rows from the newest segment that holds it.
/// The tables of each segment follow one another, each sorted by `order_id`.
pub(super) fn chain_tables(
    segments: &[PathBuf],
    dirs_of: impl Fn(&Path) -> Vec<PathBuf>,
) -> Result<[Option<DataFrame>; 2]> {
    Ok(chain_tables_from(segments, dirs_of)?.0)
}

/// Where a chain's `orders` rows come from: per segment, in order, its [`segment_number`] and
/// how many rows it gave.
pub(super) type Origin = Vec<(u32, usize)>;

/// [`chain_tables`], and where the orders table's rows come from.
pub(super) fn chain_tables_from(
    segments: &[PathBuf],
    dirs_of: impl Fn(&Path) -> Vec<PathBuf>,
) -> Result<([Option<DataFrame>; 2], Origin)> {
    let (mut orders, mut shipments, mut origin) = (Vec::new(), Vec::new(), Vec::new());
    let mut newer: FxHashSet<String> = FxHashSet::default();
    for (k, segment) in segments.iter().enumerate() {
        let dirs = dirs_of(segment);
        let mut o = read_parquet_all(&dirs, "orders.parquet")?;
        let mut s = read_parquet_all(&dirs, "shipments.parquet")?;
        if k > 0 {
            let older = |id: &str| !newer.contains(id);
            o = o.map(|df| rows_of_orders(&df, older)).transpose()?;
            s = s.map(|df| rows_of_orders(&df, older)).transpose()?;
        }
        if k + 1 < segments.len() {
            if let Some(df) = &o {
                newer.extend(df.column("order_id")?.str()?.iter().flatten().map(str::to_string));
            }
        }
        origin.push((segment_number(segment), o.as_ref().map_or(0, DataFrame::height)));
        orders.extend(o);
        shipments.extend(s);
    }
    Ok(([stack(orders)?, stack(shipments)?], origin))
}

/// [`touched_rows`] of a base that stands on older segments (as [`chain_tables`]): each
/// touched order's rows from the newest segment that holds it. `segment_of` says which
/// segment that is, where the settled directory knows ([`segment_number`], else 0): only the
/// segments that hold a touched order are opened. An order not found where it was said to
/// be, or of no known segment, is looked for in every segment, newest first.
pub(super) fn touched_chain_rows(
    segments: &[PathBuf],
    dirs_of: impl Fn(&Path) -> Vec<PathBuf>,
    touched: &FxHashSet<u64>,
    segment_of: impl Fn(u64) -> u32,
) -> Result<[Option<DataFrame>; 2]> {
    let (mut orders, mut shipments) = (Vec::new(), Vec::new());
    let numbers: Vec<u32> = segments.iter().map(|s| segment_number(s)).collect();
    // Orders of a known segment of the chain, by segment; the others searched for throughout.
    let mut by_segment: FxHashMap<u32, FxHashSet<u64>> = FxHashMap::default();
    let mut anywhere: FxHashSet<u64> = FxHashSet::default();
    for h in touched {
        match segment_of(*h) {
            n if n != 0 && numbers.contains(&n) => by_segment.entry(n).or_default().insert(*h),
            _ => anywhere.insert(*h),
        };
    }
    // The orders `df` holds leave each of `left`: one pass over its ids.
    let remove_found = |df: &Option<DataFrame>, left: &mut [&mut FxHashSet<u64>]| -> Result<()> {
        if let Some(df) = df {
            for id in df.column("order_id")?.str()?.iter().flatten() {
                let h = id_hash(id);
                left.iter_mut().for_each(|l| {
                    l.remove(&h);
                });
            }
        }
        Ok(())
    };
    let mut missed: FxHashSet<u64> = FxHashSet::default();
    for (segment, number) in segments.iter().zip(&numbers) {
        let mut here = by_segment.remove(number).unwrap_or_default();
        if here.is_empty() && anywhere.is_empty() {
            continue;
        }
        let wanted: FxHashSet<u64> = here.union(&anywhere).copied().collect();
        let [o, s] = touched_rows(&dirs_of(segment), &wanted)?;
        remove_found(&o, &mut [&mut here, &mut anywhere])?;
        missed.extend(here);
        orders.extend(o);
        shipments.extend(s);
    }
    // Not where the settled directory said (it never happens; a read stays right if it does):
    // looked for in every segment, newest first.
    for segment in segments {
        if missed.is_empty() {
            break;
        }
        let [o, s] = touched_rows(&dirs_of(segment), &missed)?;
        remove_found(&o, &mut [&mut missed])?;
        orders.extend(o);
        shipments.extend(s);
    }
    Ok([stack(orders)?, stack(shipments)?])
}

/// The rows of `dirs` (a base shard's partitions) of the orders whose id hashes are in
/// `touched`: its orders and shipments tables, filtered.
pub(super) fn touched_rows(dirs: &[PathBuf], touched: &FxHashSet<u64>) -> Result<[Option<DataFrame>; 2]> {
    let table = |name: &str| -> Result<Option<DataFrame>> {
        let mut found = Vec::new();
        for dir in dirs {
            found.extend(read_orders_rows(&dir.join(name), touched)?);
        }
        stack(found)
    };
    Ok([table("orders.parquet")?, table("shipments.parquet")?])
}

/// The rows of a table sorted by `order_id` whose order is in `touched` (by id hash): the
/// file checked whole against its seal, then its `order_id` column decoded, then only the rows
/// of touched orders, each run of consecutive rows a slice (`None`: no such table).
pub(super) fn read_orders_rows(path: &Path, touched: &FxHashSet<u64>) -> Result<Option<DataFrame>> {
    let Some(bytes) = super::integrity::read_checked(path)? else { return Ok(None) };
    let cannot = || format!("{}: cannot read", path.display());
    let (_, reader) = readers(&bytes, path)?;
    let ids = reader()
        .with_columns(Some(vec!["order_id".into()]))
        .finish()
        .map_err(|e| anyhow::Error::from(e).context(cannot()))?;
    let hits: Vec<usize> = ids
        .column("order_id")?
        .str()?
        .iter()
        .enumerate()
        .filter(|(_, id)| touched.contains(&id_hash(id.unwrap_or(""))))
        .map(|(i, _)| i)
        .collect();
    // Each run of consecutive rows read as a slice of its own: the reader decodes those rows,
    // not the row groups around them.
    let mut frames = Vec::new();
    let mut at = 0;
    while let Some(&start) = hits.get(at) {
        let mut len = 1;
        while hits.get(at + len) == Some(&(start + len)) {
            len += 1;
        }
        let df =
            reader().with_slice(Some((start, len))).finish().map_err(|e| anyhow::Error::from(e).context(cannot()))?;
        frames.push(df);
        at += len;
    }
    match frames.is_empty() {
        // No touched order here: the table's columns, no rows.
        true => {
            Ok(Some(reader().with_slice(Some((0, 0))).finish().map_err(|e| anyhow::Error::from(e).context(cannot()))?))
        }
        false => stack(frames),
    }
}

/// The rows of `df` whose `order_id` passes `keep`.
pub(super) fn rows_of_orders(df: &DataFrame, keep: impl Fn(&str) -> bool) -> Result<DataFrame> {
    let kept: BooleanChunked = df.column("order_id")?.str()?.iter().map(|id| keep(id.unwrap_or(""))).collect();
    // Column by column on this thread: `DataFrame::filter` hands the columns to polars' pool,
    // and a shard's task waited there behind the other shards' work.
    let columns = df.columns().iter().map(|c| c.filter(&kept)).collect::<PolarsResult<Vec<_>>>()?;
    Ok(DataFrame::new(kept.sum().unwrap_or(0) as usize, columns)?)
}

/// The states of an `orders` and a `shipments` table (with `room` for more orders).
pub(super) fn states_of(tables: &[Option<DataFrame>; 2], room: usize, names: &mut Names) -> Result<Vec<OrderState>> {
    let [orders, shipments] = tables;
    let mut states = match orders {
        Some(df) => read_orders(df, room, names)?,
        None => Vec::new(),
    };
    if let Some(df) = shipments {
        read_shipments(df, &mut states, names)?;
    }
    Ok(states)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_written_whole_holds_every_table_handed_to_syncing_and_an_error_of_its_filling_stops_it() {
        let parent = tempfile::tempdir().unwrap();
        let mut df = frame(vec![Column::new("order_id".into(), vec!["o1", "o2"])]).unwrap();
        let mut handed = Vec::new();
        write_dir_whole(parent.path(), "b000001", |tmp, syncing| {
            for name in ["a.parquet", "b.parquet", "c.parquet"] {
                write_parquet_grouped(&tmp.join(name), &mut df, None, Some(syncing))?;
                handed.push(tmp.join(name));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(handed.len(), 3);
        for name in ["a.parquet", "b.parquet", "c.parquet"] {
            let read = read_parquet(&parent.path().join("b000001").join(name)).unwrap().unwrap();
            assert_eq!(read.height(), 2);
        }
        assert!(!parent.path().join(".b000001.tmp").exists());

        let failed = write_dir_whole(parent.path(), "b000002", |tmp, syncing| {
            write_parquet_grouped(&tmp.join("a.parquet"), &mut df, None, Some(syncing))?;
            anyhow::bail!("the disk is full")
        });
        assert_eq!(failed.unwrap_err().to_string(), "the disk is full");
        assert!(!parent.path().join("b000002").exists());
    }

    /// A sealed directory holding `orders.parquet`: `n` orders `o00000`… in row groups of
    /// `group` rows, each with its number in `value`.
    fn sealed_table(n: usize, group: usize) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let ids: Vec<String> = (0..n).map(|i| format!("o{i:05}")).collect();
        let mut df = frame(vec![
            Column::new("order_id".into(), ids),
            Column::new("value".into(), (0..n as u32).collect::<Vec<u32>>()),
        ])
        .unwrap();
        write_parquet_grouped(&dir.path().join("orders.parquet"), &mut df, Some(group), None).unwrap();
        super::super::integrity::seal(dir.path()).unwrap();
        dir
    }

    fn hashes(ids: &[&str]) -> FxHashSet<u64> {
        ids.iter().map(|id| id_hash(id)).collect()
    }

    /// A sealed segment directory whose `scans` table holds `rows`: (number, scans,
    /// delivered, first delivery).
    fn scans_segment(rows: &[(&str, u32, bool, Option<i64>)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let scans: ScanMap = rows
            .iter()
            .map(|(n, s, d, f)| {
                (orderhealth_core::Text::from(*n), ScanTally { scans: *s, delivered: *d, first_delivered: *f })
            })
            .collect();
        let mut df = scans_frame(&scans).unwrap();
        write_parquet(&dir.path().join("scans.parquet"), &mut df).unwrap();
        std::fs::write(dir.path().join(SCAN_INDEX), scan_index(&df).unwrap()).unwrap();
        super::super::integrity::seal(dir.path()).unwrap();
        dir
    }

    #[test]
    fn a_scans_table_whose_index_holds_no_wanted_number_is_not_read() {
        // A table that cannot be decoded (sealed as it is), behind an index that lists "A".
        let dir = scans_segment(&[("A", 1, false, None)]);
        std::fs::write(dir.path().join("scans.parquet"), b"not a parquet file").unwrap();
        super::super::integrity::seal(dir.path()).unwrap();
        let dirs = [vec![dir.path().to_path_buf()]];
        let other = Wanted::of(["B".to_string(), "ZZ-9".to_string()].into_iter().collect());
        let scans = chain_scans(&dirs, Some(&other)).unwrap();
        assert_eq!(scans.map(|s| s.len()), Some(0), "passed over: a table, none of its numbers wanted");
        let a = Wanted::of(["A".to_string()].into_iter().collect());
        assert!(chain_scans(&dirs, Some(&a)).is_err(), "read when the index may hold a wanted number");
        assert!(chain_scans(&dirs, None).is_err(), "read whole when every number is wanted");
        // The index is checked like every file: damaged, it is an error naming it.
        std::fs::write(dir.path().join(SCAN_INDEX), [0u8; 8]).unwrap();
        let err = chain_scans(&dirs, Some(&other)).unwrap_err();
        assert!(format!("{err:#}").contains(SCAN_INDEX), "{err:#}");
    }

    #[test]
    fn an_index_walk_finds_a_prefix_wherever_it_is() {
        let index = |prefixes: &[u32]| -> Vec<u8> { prefixes.iter().flat_map(|p| p.to_le_bytes()).collect() };
        let wanted = |prefixes: &[u32]| Wanted {
            numbers: FxHashSet::default(),
            hashes: FxHashSet::default(),
            prefixes: prefixes.to_vec(),
        };
        let held = index(&[3, 10, 20, u32::MAX]);
        assert!(wanted(&[3]).may_be_in(&held), "the first");
        assert!(wanted(&[1, 2, u32::MAX]).may_be_in(&held), "the last");
        assert!(wanted(&[11, 20]).may_be_in(&held), "between");
        assert!(!wanted(&[0, 4, 11, 21]).may_be_in(&held), "none");
        assert!(!wanted(&[]).may_be_in(&held), "nothing wanted");
        assert!(!wanted(&[3]).may_be_in(&[]), "an empty table");
    }

    #[test]
    fn a_base_s_scans_are_the_sum_of_its_scan_chain_and_no_further() {
        // Newest first: the base (scans added since), the segment below it (every scan then),
        // and an older one its scans already include.
        let base = scans_segment(&[("A", 1, true, Some(50)), ("C", 2, false, None)]);
        let below = scans_segment(&[("A", 2, true, Some(70)), ("B", 3, false, None)]);
        let oldest = scans_segment(&[("A", 100, false, None), ("D", 9, false, None)]);
        let chain =
            Chain { segments: [&base, &below, &oldest].iter().map(|d| d.path().to_path_buf()).collect(), scans: 2 };
        let dirs = chain.scan_dirs(|segment| vec![segment.to_path_buf()]);
        assert_eq!(dirs.len(), 2, "down to the segment written with every scan");
        let scans = chain_scans(&dirs, None).unwrap().unwrap();
        let tally = |n: &str| scans.get(n).map(|t| (t.scans, t.delivered, t.first_delivered));
        assert_eq!(tally("A"), Some((3, true, Some(50))), "counts summed, the earliest delivery");
        assert_eq!(tally("B"), Some((3, false, None)));
        assert_eq!(tally("C"), Some((2, false, None)));
        assert_eq!(tally("D"), None, "the oldest segment is below the chain");
        let wanted = Wanted::of(["A".to_string(), "Z".to_string()].into_iter().collect());
        let some = chain_scans(&dirs, Some(&wanted)).unwrap().unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some.get("A").map(|t| t.scans), Some(3));
        // A table written before `number_hash` existed is read whole, and filtered alike.
        let unhashed = tempfile::tempdir().unwrap();
        let scans: ScanMap =
            [(orderhealth_core::Text::from("A"), ScanTally { scans: 5, delivered: false, first_delivered: None })]
                .into_iter()
                .collect();
        let mut df = scans_frame(&scans).unwrap().drop("number_hash").unwrap();
        write_parquet(&unhashed.path().join("scans.parquet"), &mut df).unwrap();
        super::super::integrity::seal(unhashed.path()).unwrap();
        let old = chain_scans(&[vec![unhashed.path().to_path_buf()], dirs[0].clone()], Some(&wanted)).unwrap().unwrap();
        assert_eq!(old.get("A").map(|t| t.scans), Some(6), "the base's 1 and the older table's 5");
        let nothing = Wanted::of(["Z".to_string()].into_iter().collect());
        let empty = chain_scans(&dirs, Some(&nothing)).unwrap();
        assert_eq!(empty.map(|s| s.len()), Some(0), "tables, none of the numbers wanted");
        let none = tempfile::tempdir().unwrap();
        super::super::integrity::seal(none.path()).unwrap();
        assert!(chain_scans(&[vec![none.path().to_path_buf()]], None).unwrap().is_none(), "no scans table");
    }

    #[test]
    fn touched_orders_come_back_from_the_row_groups_that_hold_them() {
        let dir = sealed_table(20_000, 1_000);
        let path = dir.path().join("orders.parquet");
        let bytes = std::fs::read(&path).unwrap();
        let mut reader = ParquetReader::new(std::io::Cursor::new(bytes));
        assert!(reader.get_metadata().unwrap().row_groups.len() > 4, "the test needs several row groups");
        // Orders in the first, a middle and the last group, two in one group, one absent.
        let touched = hashes(&["o00003", "o07500", "o07501", "o19999", "x-not-stored"]);
        let df = read_orders_rows(&path, &touched).unwrap().unwrap();
        let ids: Vec<&str> = df.column("order_id").unwrap().str().unwrap().iter().flatten().collect();
        assert_eq!(ids, ["o00003", "o07500", "o07501", "o19999"]);
        let values: Vec<u32> = df.column("value").unwrap().u32().unwrap().into_no_null_iter().collect();
        assert_eq!(values, [3, 7500, 7501, 19999]);
    }

    #[test]
    fn no_touched_order_gives_the_columns_and_no_rows() {
        let dir = sealed_table(3_000, 1_000);
        let df = read_orders_rows(&dir.path().join("orders.parquet"), &hashes(&["nope"])).unwrap().unwrap();
        assert_eq!(df.height(), 0);
        assert_eq!(df.get_column_names().iter().map(|n| n.as_str()).collect::<Vec<_>>(), ["order_id", "value"]);
        assert!(read_orders_rows(&dir.path().join("absent.parquet"), &hashes(&["o00001"])).unwrap().is_none());
    }

    /// A segment `name` under `parent` holding `orders.parquet` of `rows` (id, value), sealed.
    fn segment(parent: &Path, name: &str, rows: &[(&str, u32)]) -> PathBuf {
        let dir = parent.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let mut df = frame(vec![
            Column::new("order_id".into(), rows.iter().map(|r| r.0).collect::<Vec<&str>>()),
            Column::new("value".into(), rows.iter().map(|r| r.1).collect::<Vec<u32>>()),
        ])
        .unwrap();
        write_parquet_grouped(&dir.join("orders.parquet"), &mut df, Some(2), None).unwrap();
        super::super::integrity::seal(&dir).unwrap();
        dir
    }

    fn values(tables: &[Option<DataFrame>; 2]) -> Vec<(String, u32)> {
        let df = tables[0].as_ref().unwrap();
        let ids = df.column("order_id").unwrap().str().unwrap().iter().flatten().map(str::to_string);
        let mut rows: Vec<(String, u32)> =
            ids.zip(df.column("value").unwrap().u32().unwrap().into_no_null_iter()).collect();
        rows.sort();
        rows
    }

    #[test]
    fn a_touched_order_is_read_from_the_segment_that_holds_it_and_no_other() {
        let root = tempfile::tempdir().unwrap();
        // Newest first: o1 was live when b000003 was written (its newest rows); o2 settled in
        // b000002, o3 in b000001.
        let chain = vec![
            segment(root.path(), "b000003", &[("o1", 3), ("o4", 3)]),
            segment(root.path(), "b000002", &[("o1", 2), ("o2", 2)]),
            segment(root.path(), "b000001", &[("o1", 1), ("o3", 1)]),
        ];
        assert_eq!(chain.iter().map(|s| segment_number(s)).collect::<Vec<_>>(), [3, 2, 1]);
        let dirs_of = |s: &Path| vec![s.to_path_buf()];
        let index = |h: u64| match h {
            h if h == id_hash("o2") => 2,
            h if h == id_hash("o3") => 1,
            _ => 0, // not known: looked for newest first
        };
        let touched = hashes(&["o1", "o2", "o3"]);
        let want = |rows: &[(&str, u32)]| rows.iter().map(|(id, v)| (id.to_string(), *v)).collect::<Vec<_>>();
        let read = touched_chain_rows(&chain, dirs_of, &touched, index).unwrap();
        assert_eq!(values(&read), want(&[("o1", 3), ("o2", 2), ("o3", 1)]));

        // A segment no touched order is in is not opened (damaged, it would be an error).
        let damaged = chain[1].join("orders.parquet");
        let mut bytes = std::fs::read(&damaged).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        std::fs::write(&damaged, bytes).unwrap();
        let read =
            touched_chain_rows(&chain, dirs_of, &hashes(&["o3", "o4"]), |h| (h == id_hash("o3")) as u32).unwrap();
        assert_eq!(values(&read), want(&[("o3", 1), ("o4", 3)]));
        let err = touched_chain_rows(&chain, dirs_of, &hashes(&["o2"]), index).unwrap_err().to_string();
        assert!(err.contains("b000002") && err.contains("damaged"), "{err}");
    }

    #[test]
    fn a_touched_order_not_where_the_index_says_is_still_found_newest_first() {
        let root = tempfile::tempdir().unwrap();
        let chain = vec![
            segment(root.path(), "b000003", &[("o1", 3)]),
            segment(root.path(), "b000002", &[("o2", 2)]),
            segment(root.path(), "b000001", &[("o3", 1)]),
        ];
        // Said to be where they are not, or in a segment the chain does not have: the rows are
        // what a search newest first gives.
        let index = |h: u64| match h {
            h if h == id_hash("o1") => 1,
            h if h == id_hash("o3") => 2,
            _ => 9,
        };
        let touched = hashes(&["o1", "o2", "o3"]);
        let read = touched_chain_rows(&chain, |s: &Path| vec![s.to_path_buf()], &touched, index).unwrap();
        let want = [("o1", 3), ("o2", 2), ("o3", 1)].map(|(id, v)| (id.to_string(), v));
        assert_eq!(values(&read), want);
    }

    #[test]
    fn a_damaged_table_is_an_error_before_any_row_is_decoded() {
        let dir = sealed_table(3_000, 1_000);
        let path = dir.path().join("orders.parquet");
        let mut bytes = std::fs::read(&path).unwrap();
        let at = bytes.len() / 2;
        bytes[at] ^= 1;
        std::fs::write(&path, bytes).unwrap();
        let err = read_orders_rows(&path, &hashes(&["o00001"])).unwrap_err().to_string();
        assert!(err.contains("orders.parquet: damaged"), "{err}");
    }
}
