//! The store (SPEC §4.2): every nightly dump read once, its typed rows kept as Parquet, so a
//! nightly job reads only what the night added and a report folds the stored rows instead
//! of parsing every dump again. The layout is documented in `docs/STORE.md`.
//!
//! What is stored is what the reader makes of a file (`orderhealth_core::rows`), tagged with
//! the file: a report from the store absorbs exactly the data a report over every file would
//! absorb, with each file's rank among all stored paths, so the fold, and every output, is
//! the same byte for byte (the fold is associative and commutative, `core/src/book.rs`).
//!
//! Per-order rows are partitioned by `shard_of(order_id)` (`shard=NN/` directories), so
//! per-order work can run one partition at a time: the scale-out seam (docs/SCALE-OUT.md).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use orderhealth_core::book::{Book, BookShard};
use orderhealth_core::inputs::{FileSummary, InputFile, Skipped};
use orderhealth_core::kind::FileKind;
use orderhealth_core::read::{read_file, FileOutcome, FileRead};
use orderhealth_core::rows::{
    CancelEvent, Confirmation, FeedRow, FileData, Initiator, Rejected, ScanTally, ShipDate, Snapshot,
};
use orderhealth_core::shard::SHARDS;
use orderhealth_core::source::{Compression, TextEncoding};
use orderhealth_core::status::Channel;
use orderhealth_core::{collect_inputs, InputError, Loaded, Marketplace, ReadOptions, Text};
use polars::prelude::*;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::output::{sync_dir, write_whole};
use crate::run::UsageError;
use crate::tables::{frame, strings, timestamps};

/// What `manifest.json` says it is; anything else is not a store this program reads.
pub const STORE_FORMAT: &str = "orderhealth-store";
/// The layout version. A store of another version is refused, never misread.
pub const STORE_VERSION: u32 = 1;
const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";
const BATCHES: &str = "batches";
/// Files read per batch: bounds the memory of a first ingest of years of dumps.
const FILES_PER_BATCH: usize = 256;

/// The reading options that change what is stored; a store keeps the ones it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreSettings {
    pub encoding: String,
    pub marketplace: String,
    pub strict: bool,
}

impl StoreSettings {
    pub fn of(read: &ReadOptions, marketplace: Marketplace) -> StoreSettings {
        StoreSettings {
            encoding: read.encoding.as_str().into(),
            marketplace: marketplace.code().into(),
            strict: read.strict,
        }
    }

    /// The options that differ, as `--encoding cp932 (this run: auto)`.
    fn differences(&self, run: &StoreSettings) -> Vec<String> {
        let mut out = Vec::new();
        if self.encoding != run.encoding {
            out.push(format!("--encoding {} (this run: {})", self.encoding, run.encoding));
        }
        if self.marketplace != run.marketplace {
            out.push(format!("--marketplace {} (this run: {})", self.marketplace, run.marketplace));
        }
        if self.strict != run.strict {
            out.push(format!("--strict {} (this run: {})", self.strict, run.strict));
        }
        out
    }
}

/// One file ingested: where it was, what it held, and its account of rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its number in the store (the `file` column of every table); ids never change.
    pub id: u32,
    /// The path it was first ingested with.
    pub path: String,
    /// BLAKE3 of its bytes as found (compressed or not): the same content under another name
    /// is not ingested again.
    pub content: String,
    pub batch: String,
    pub kind: String,
    pub compression: String,
    pub encoding: String,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub unknown_columns: Vec<String>,
    pub repeated_headers: u64,
    pub encoding_hint: Option<String>,
    /// The newest observation among its accepted rows (µs since the epoch).
    pub newest_observation: Option<i64>,
}

/// A file passed over (not an input orderhealth reads), remembered so it is not read again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSkip {
    pub path: String,
    /// `None` for what has no content to hash (a dangling link, a link loop).
    pub content: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    settings: StoreSettings,
    /// Batch directories under `batches/`, in the order they were ingested.
    batches: Vec<String>,
    files: Vec<StoredFile>,
    skipped: Vec<StoredSkip>,
}

/// What an ingest did, for the terminal.
#[derive(Debug, Default)]
pub struct IngestOutcome {
    pub ingested: Vec<String>,
    /// (path, the stored path with the same content).
    pub already: Vec<(String, String)>,
    pub skipped: Vec<Skipped>,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub files_in_store: usize,
}

/// The store's exclusive lock (an `flock` on `lock`), held while an ingest writes.
struct StoreLock(#[allow(dead_code)] File);

impl StoreLock {
    fn take(dir: &Path, waiting: &dyn Fn()) -> Result<StoreLock> {
        use rustix::fs::{flock, FlockOperation};
        let path = dir.join(LOCK);
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("{}: cannot open the store's lock", path.display()))?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            waiting();
            flock(&file, FlockOperation::LockExclusive)
                .with_context(|| format!("{}: cannot lock the store", path.display()))?;
        }
        Ok(StoreLock(file))
    }
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    #[derive(Deserialize)]
    struct Head {
        format: Option<String>,
        version: Option<u32>,
    }
    let head: Head = serde_json::from_slice(&text)
        .map_err(|e| UsageError(format!("{}: not an orderhealth store ({e})", path.display())))?;
    if head.format.as_deref() != Some(STORE_FORMAT) {
        bail!(UsageError(format!("{}: not an orderhealth store", dir.display())));
    }
    if head.version != Some(STORE_VERSION) {
        bail!(UsageError(format!(
            "{}: store format version {} was written by another version of orderhealth; this one reads version {STORE_VERSION} only (ingest the dumps into a new store)",
            dir.display(),
            head.version.map_or("(none)".to_string(), |v| v.to_string()),
        )));
    }
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| UsageError(format!("{}: a damaged store manifest ({e})", path.display())))?;
    Ok(Some(manifest))
}

fn check_settings(dir: &Path, stored: &StoreSettings, run: &StoreSettings) -> Result<()> {
    let diff = stored.differences(run);
    if !diff.is_empty() {
        bail!(UsageError(format!(
            "the store {} was made with {}: pass the same options, or use another store",
            dir.display(),
            diff.join(", ")
        )));
    }
    Ok(())
}

fn content_of(path: &Path) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_reader(File::open(path)?)?;
    Ok(hasher.finalize().to_hex().to_string())
}

/// Folds `inputs` into the store at `dir` (created when missing): only files whose content
/// it does not hold yet are read.
pub fn ingest(
    dir: &Path,
    inputs: &[PathBuf],
    read: &ReadOptions,
    settings: &StoreSettings,
    waiting: &dyn Fn(),
) -> Result<IngestOutcome> {
    std::fs::create_dir_all(dir.join(BATCHES))
        .with_context(|| format!("{}: cannot create the store", dir.display()))?;
    let _lock = StoreLock::take(dir, waiting)?;
    let mut manifest = match read_manifest(dir)? {
        Some(m) => {
            check_settings(dir, &m.settings, settings)?;
            m
        }
        None => Manifest {
            format: STORE_FORMAT.into(),
            version: STORE_VERSION,
            settings: settings.clone(),
            batches: Vec::new(),
            files: Vec::new(),
            skipped: Vec::new(),
        },
    };
    remove_leftovers(dir, &manifest)?;

    let found = collect_inputs(inputs, Some(dir))?;
    let mut outcome = IngestOutcome::default();
    let known: HashMap<String, String> = manifest
        .files
        .iter()
        .map(|f| (f.content.clone(), f.path.clone()))
        .chain(manifest.skipped.iter().filter_map(|s| s.content.clone().map(|c| (c, s.path.clone()))))
        .collect();
    let contents: Vec<std::io::Result<String>> = found.files.par_iter().map(|f| content_of(&f.path)).collect();
    let mut new_files: Vec<(InputFile, String)> = Vec::new();
    let mut this_run: HashMap<String, String> = HashMap::new();
    for (file, content) in found.files.into_iter().zip(contents) {
        let path = file.path.display().to_string();
        let content = content.map_err(|e| InputError::Io { path: file.path.clone(), source: e })?;
        if let Some(first) = known.get(&content).or_else(|| this_run.get(&content)) {
            outcome.already.push((path, first.clone()));
            continue;
        }
        this_run.insert(content.clone(), path);
        new_files.push((file, content));
    }
    let walk_skipped: HashSet<String> = manifest.skipped.iter().map(|s| s.path.clone()).collect();
    for s in found.skipped {
        if !walk_skipped.contains(&s.path) {
            manifest.skipped.push(StoredSkip { path: s.path.clone(), content: None, reason: s.reason.clone() });
        }
        outcome.skipped.push(s);
    }

    for chunk in new_files.chunks(FILES_PER_BATCH) {
        let reads: Vec<Result<FileOutcome, InputError>> =
            chunk.par_iter().map(|(f, _)| read_file(&f.path, read, &|_| {})).collect();
        let batch = format!("b{:06}", manifest.batches.len() + 1);
        let mut batch_files: Vec<(u32, FileRead)> = Vec::new();
        for ((file, content), read) in chunk.iter().zip(reads) {
            let path = file.path.display().to_string();
            match read? {
                FileOutcome::Read(r) => {
                    let id = u32::try_from(manifest.files.len()).context("too many files in one store")?;
                    outcome.rows_read += r.rows_read;
                    outcome.rows_rejected += r.rejected.len() as u64;
                    manifest.files.push(StoredFile {
                        id,
                        path: path.clone(),
                        content: content.clone(),
                        batch: batch.clone(),
                        kind: r.kind.as_str().into(),
                        compression: r.compression.as_str().into(),
                        encoding: r.encoding.as_str().into(),
                        rows_read: r.rows_read,
                        rows_rejected: r.rejected.len() as u64,
                        unknown_columns: r.unknown_columns.clone(),
                        repeated_headers: r.repeated_headers,
                        encoding_hint: r.encoding_hint.clone(),
                        newest_observation: r.newest_observation,
                    });
                    outcome.ingested.push(path);
                    batch_files.push((id, r));
                }
                FileOutcome::Unrecognised(e) if file.named => return Err(e.into()),
                FileOutcome::Unrecognised(e) => {
                    let reason = orderhealth_core::inputs::skip_reason(&e);
                    manifest.skipped.push(StoredSkip {
                        path: path.clone(),
                        content: Some(content.clone()),
                        reason: reason.clone(),
                    });
                    outcome.skipped.push(Skipped { path, reason });
                }
            }
        }
        if !batch_files.is_empty() {
            write_batch(dir, &batch, batch_files)?;
            manifest.batches.push(batch);
        }
    }
    manifest.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    let mut json = serde_json::to_vec_pretty(&manifest)?;
    json.push(b'\n');
    // The commit: until this rename the store is as it was (new batches are not listed).
    let manifest_path = dir.join(MANIFEST);
    write_whole(&manifest_path, &manifest_path.with_extension("tmp"), &json)?;
    outcome.files_in_store = manifest.files.len();
    Ok(outcome)
}

/// Batches a killed ingest wrote but never listed, and its temporary files.
fn remove_leftovers(dir: &Path, manifest: &Manifest) -> Result<()> {
    let listed: HashSet<&str> = manifest.batches.iter().map(|b| b.as_str()).collect();
    let batches = dir.join(BATCHES);
    for entry in std::fs::read_dir(&batches).with_context(|| format!("{}: cannot list", batches.display()))? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !listed.contains(name.as_str()) {
            std::fs::remove_dir_all(entry.path())
                .with_context(|| format!("{}: cannot remove what a killed ingest left", entry.path().display()))?;
        }
    }
    let _ = std::fs::remove_file(dir.join(MANIFEST).with_extension("tmp"));
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Writing a batch: one directory, per-order tables under shard=NN/, written whole.

/// Rows of one table, column by column.
#[derive(Default)]
struct SnapshotCols {
    file: Vec<u32>,
    order_id: Vec<Text>,
    purchase_ts: Vec<Option<i64>>,
    last_updated_ts: Vec<Option<i64>>,
    reporting_ts: Vec<Option<i64>>,
    status: Vec<Option<Text>>,
    channel: Vec<Option<&'static str>>,
    sales_channel: Vec<Option<Text>>,
    email_marketplace: Vec<Option<&'static str>>,
    expected_ship_ts: Vec<Option<i64>>,
    buyer_requested: Vec<bool>,
    skus: Vec<String>,
    item_ids: Vec<String>,
    currency: Vec<Option<Text>>,
    value_micros: Vec<i64>,
    any_quantity_shipped: Vec<bool>,
}

/// A snapshot's SKUs or item ids: in row order, joined by TAB (a TSV field never holds one).
const LIST_SEPARATOR: char = '\t';

impl SnapshotCols {
    fn push(&mut self, file: u32, id: Text, s: Snapshot) {
        self.file.push(file);
        self.order_id.push(id);
        self.purchase_ts.push(s.purchase_ts);
        self.last_updated_ts.push(s.last_updated);
        self.reporting_ts.push(s.reporting);
        self.status.push(s.status_raw);
        self.channel.push(s.channel.map(Channel::as_str));
        self.sales_channel.push(s.sales_channel);
        self.email_marketplace.push(s.email_marketplace.map(Marketplace::code));
        self.expected_ship_ts.push(s.expected_ship);
        self.buyer_requested.push(s.buyer_requested);
        self.skus.push(join(&s.skus));
        self.item_ids.push(join(&s.item_ids));
        self.currency.push(s.currency);
        self.value_micros.push(s.value_micros);
        self.any_quantity_shipped.push(s.any_quantity_shipped);
    }

    fn frame(self) -> PolarsResult<DataFrame> {
        frame(vec![
            Column::new("file".into(), self.file),
            text_column("order_id", &self.order_id),
            timestamps("purchase_ts", self.purchase_ts)?,
            timestamps("last_updated_ts", self.last_updated_ts)?,
            timestamps("reporting_ts", self.reporting_ts)?,
            strings("status", &self.status),
            Column::new("channel".into(), self.channel),
            strings("sales_channel", &self.sales_channel),
            Column::new("email_marketplace".into(), self.email_marketplace),
            timestamps("expected_ship_ts", self.expected_ship_ts)?,
            Column::new("buyer_requested".into(), self.buyer_requested),
            Column::new("skus".into(), self.skus),
            Column::new("item_ids".into(), self.item_ids),
            strings("currency", &self.currency),
            Column::new("value_micros".into(), self.value_micros),
            Column::new("any_quantity_shipped".into(), self.any_quantity_shipped),
        ])
    }
}

fn join(values: &[Text]) -> String {
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(LIST_SEPARATOR);
        }
        out.push_str(v);
    }
    out
}

fn text_column(name: &str, values: &[Text]) -> Column {
    let v: Vec<&str> = values.iter().map(|t| t.as_str()).collect();
    Column::new(name.into(), v)
}

/// Everything of one batch that falls in one shard.
#[derive(Default)]
struct ShardRows {
    snapshots: SnapshotCols,
    /// (file, order id, initiated-by, reason)
    events: Vec<(u32, Text, &'static str, Option<Text>)>,
    /// (file, order id, reason)
    feed: Vec<(u32, Text, Option<Text>)>,
    confirmations: Vec<(u32, Confirmation)>,
    /// (file, normalised tracking number, scans, delivered)
    scans: Vec<(u32, String, ScanTally)>,
    /// (file, sku, category), in the file's row order.
    catalog: Vec<(u32, Text, Text)>,
}

fn initiator_str(i: Initiator) -> &'static str {
    match i {
        Initiator::Buyer => "buyer",
        Initiator::Seller => "seller",
        Initiator::Amazon => "amazon",
    }
}

impl ShardRows {
    fn add(&mut self, file: u32, data: FileData) {
        match data {
            FileData::Orders(maps) => self.add(file, FileData::Snapshots(maps.into_iter().flatten().collect())),
            FileData::Snapshots(mut snaps) => {
                snaps.sort_by(|a, b| a.0.cmp(&b.0));
                for (id, s) in snaps {
                    self.snapshots.push(file, id, s);
                }
            }
            FileData::Events(v) => {
                self.events.extend(v.into_iter().map(|e| (file, e.order_id, initiator_str(e.initiated_by), e.reason)))
            }
            FileData::Feed(v) => self.feed.extend(v.into_iter().map(|f| (file, f.order_id, f.reason))),
            FileData::Confirmations(v) => self.confirmations.extend(v.into_iter().map(|c| (file, c))),
            FileData::Scans(m) => {
                let mut v: Vec<(String, ScanTally)> = m.into_iter().collect();
                v.sort_by(|a, b| a.0.cmp(&b.0));
                self.scans.extend(v.into_iter().map(|(n, t)| (file, n, t)));
            }
            FileData::Catalog(v) => self.catalog.extend(v.into_iter().map(|(s, c)| (file, s, c))),
        }
    }

    /// The shard's tables, each only when it has rows.
    fn frames(self) -> PolarsResult<Vec<(&'static str, DataFrame)>> {
        let mut out = Vec::new();
        if !self.snapshots.file.is_empty() {
            out.push(("snapshots", self.snapshots.frame()?));
        }
        if !self.events.is_empty() {
            let (f, rest): (Vec<u32>, Vec<_>) = self.events.into_iter().map(|(f, o, b, r)| (f, (o, b, r))).unzip();
            let ids: Vec<Text> = rest.iter().map(|r| r.0.clone()).collect();
            let by: Vec<&str> = rest.iter().map(|r| r.1).collect();
            let reason: Vec<Option<Text>> = rest.into_iter().map(|r| r.2).collect();
            out.push((
                "events",
                frame(vec![
                    Column::new("file".into(), f),
                    text_column("order_id", &ids),
                    Column::new("initiated_by".into(), by),
                    strings("reason", &reason),
                ])?,
            ));
        }
        if !self.feed.is_empty() {
            let f: Vec<u32> = self.feed.iter().map(|r| r.0).collect();
            let ids: Vec<Text> = self.feed.iter().map(|r| r.1.clone()).collect();
            let reason: Vec<Option<Text>> = self.feed.into_iter().map(|r| r.2).collect();
            out.push((
                "feed",
                frame(vec![Column::new("file".into(), f), text_column("order_id", &ids), strings("reason", &reason)])?,
            ));
        }
        if !self.confirmations.is_empty() {
            let c = &self.confirmations;
            let day: Vec<Option<i32>> = c
                .iter()
                .map(|(_, c)| match c.ship {
                    ShipDate::Day(d) => Some(d),
                    ShipDate::At(_) => None,
                })
                .collect();
            let at: Vec<Option<i64>> = c
                .iter()
                .map(|(_, c)| match c.ship {
                    ShipDate::At(t) => Some(t),
                    ShipDate::Day(_) => None,
                })
                .collect();
            out.push((
                "confirmations",
                frame(vec![
                    Column::new("file".into(), c.iter().map(|(f, _)| *f).collect::<Vec<u32>>()),
                    Column::new("line".into(), c.iter().map(|(_, c)| c.line).collect::<Vec<u64>>()),
                    text_column("order_id", &c.iter().map(|(_, c)| c.order_id.clone()).collect::<Vec<_>>()),
                    crate::tables::dates("ship_date", day)?,
                    timestamps("ship_ts", at)?,
                    text_column("carrier", &c.iter().map(|(_, c)| c.carrier.clone()).collect::<Vec<_>>()),
                    text_column("tracking_number", &c.iter().map(|(_, c)| c.tracking.clone()).collect::<Vec<_>>()),
                ])?,
            ));
        }
        if !self.scans.is_empty() {
            let s = &self.scans;
            out.push((
                "scans",
                frame(vec![
                    Column::new("file".into(), s.iter().map(|r| r.0).collect::<Vec<u32>>()),
                    Column::new("tracking_number".into(), s.iter().map(|r| r.1.as_str()).collect::<Vec<&str>>()),
                    Column::new("scans".into(), s.iter().map(|r| r.2.scans).collect::<Vec<u32>>()),
                    Column::new("delivered".into(), s.iter().map(|r| r.2.delivered).collect::<Vec<bool>>()),
                ])?,
            ));
        }
        if !self.catalog.is_empty() {
            let c = &self.catalog;
            out.push((
                "catalog",
                frame(vec![
                    Column::new("file".into(), c.iter().map(|r| r.0).collect::<Vec<u32>>()),
                    text_column("sku", &c.iter().map(|r| r.1.clone()).collect::<Vec<_>>()),
                    text_column("category", &c.iter().map(|r| r.2.clone()).collect::<Vec<_>>()),
                ])?,
            ));
        }
        Ok(out)
    }
}

fn write_parquet(path: &Path, df: &mut DataFrame) -> Result<()> {
    let f = File::create(path).with_context(|| format!("{}: cannot create", path.display()))?;
    anyhow::Context::with_context(ParquetWriter::new(f).finish(df), || format!("{}: cannot write", path.display()))?;
    Ok(())
}

/// The tables of a batch, in the order they are written and read.
const TABLES: [&str; 6] = ["snapshots", "events", "feed", "confirmations", "scans", "catalog"];

/// Writes one batch under `batches/.<name>.tmp`, synced, then renames it into place. Each
/// table is one file whose rows are sorted by `shard` (the partition of the order id), then
/// by file, each file's rows in the order it gave them.
fn write_batch(dir: &Path, name: &str, files: Vec<(u32, FileRead)>) -> Result<()> {
    let batches = dir.join(BATCHES);
    let tmp = batches.join(format!(".{name}.tmp"));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
    let mut shards: Vec<ShardRows> = (0..SHARDS).map(|_| ShardRows::default()).collect();
    let mut rejected: Vec<(u32, Rejected)> = Vec::new();
    for (id, read) in files {
        rejected.extend(read.rejected.into_iter().map(|r| (id, r)));
        for (shard, part) in shards.iter_mut().zip(read.data.split(SHARDS)) {
            shard.add(id, part);
        }
    }
    let per_shard: Vec<PolarsResult<Vec<(&'static str, DataFrame)>>> =
        shards.into_par_iter().map(ShardRows::frames).collect();
    let mut by_table: BTreeMap<&'static str, Vec<DataFrame>> = BTreeMap::new();
    for (shard, frames) in per_shard.into_iter().enumerate() {
        for (table, df) in frames? {
            let mut columns = vec![Column::new_scalar("shard".into(), Scalar::from(shard as u32), df.height())];
            columns.extend(df.columns().iter().cloned());
            by_table.entry(table).or_default().push(frame(columns)?);
        }
    }
    let written: Vec<Result<()>> = by_table
        .into_par_iter()
        .map(|(table, frames)| {
            let mut all = frames.into_iter().reduce(|mut a, b| {
                a.vstack_mut_owned(b).expect("same columns");
                a
            });
            match &mut all {
                Some(df) => write_parquet(&tmp.join(format!("{table}.parquet")), df),
                None => Ok(()),
            }
        })
        .collect();
    for w in written {
        w?;
    }
    if !rejected.is_empty() {
        let mut df = frame(vec![
            Column::new("file".into(), rejected.iter().map(|r| r.0).collect::<Vec<u32>>()),
            Column::new("line".into(), rejected.iter().map(|r| r.1.line).collect::<Vec<u64>>()),
            Column::new("kind".into(), rejected.iter().map(|r| r.1.kind.as_str()).collect::<Vec<&str>>()),
            Column::new("reason".into(), rejected.iter().map(|r| r.1.reason.as_str()).collect::<Vec<&str>>()),
        ])?;
        write_parquet(&tmp.join("rejected.parquet"), &mut df)?;
    }
    sync_tree(&tmp)?;
    let dest = batches.join(name);
    std::fs::rename(&tmp, &dest).with_context(|| format!("{}: cannot write", dest.display()))?;
    sync_dir(Some(&batches));
    Ok(())
}

/// Every file and directory under `dir` reaches the disk before the batch is renamed in.
fn sync_tree(dir: &Path) -> Result<()> {
    for entry in walkdir::WalkDir::new(dir).contents_first(true) {
        let entry = entry?;
        File::open(entry.path())?.sync_all()?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Reading the store back: the same `Loaded` a read of every stored file gives.

fn parse_kind(s: &str) -> Result<FileKind> {
    FileKind::ALL.into_iter().find(|k| k.as_str() == s).with_context(|| format!("unknown kind {s:?} in the store"))
}

fn parse_compression(s: &str) -> Result<Compression> {
    [Compression::None, Compression::Gzip, Compression::Zstd]
        .into_iter()
        .find(|c| c.as_str() == s)
        .with_context(|| format!("unknown compression {s:?} in the store"))
}

fn parse_encoding(s: &str) -> Result<TextEncoding> {
    [TextEncoding::Utf8, TextEncoding::Windows1252, TextEncoding::Cp932]
        .into_iter()
        .find(|c| c.as_str() == s)
        .with_context(|| format!("unknown encoding {s:?} in the store"))
}

fn read_parquet(path: &Path) -> Result<Option<DataFrame>> {
    match File::open(path) {
        Ok(f) => {
            let df = anyhow::Context::with_context(ParquetReader::new(f).finish(), || {
                format!("{}: cannot read", path.display())
            })?;
            Ok(Some(df))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("{}: cannot read", path.display())),
    }
}

fn text(v: Option<&str>) -> Option<Text> {
    v.map(Text::from)
}

fn split_list(v: Option<&str>) -> Vec<Text> {
    match v {
        Some(s) if !s.is_empty() => s.split(LIST_SEPARATOR).map(Text::from).collect(),
        _ => Vec::new(),
    }
}

/// Rows of one table grouped by consecutive `file`, as one `FileData` each.
fn by_file<T>(files: &UInt32Chunked, rows: Vec<T>, mut make: impl FnMut(Vec<T>) -> FileData) -> Vec<(u32, FileData)> {
    let mut out = Vec::new();
    let mut current: Option<u32> = None;
    let mut group = Vec::new();
    for (f, row) in files.iter().zip(rows) {
        let f = f.unwrap_or(0);
        if current.is_some_and(|c| c != f) {
            out.push((current.unwrap_or(0), make(std::mem::take(&mut group))));
        }
        current = Some(f);
        group.push(row);
    }
    if let Some(c) = current {
        out.push((c, make(group)));
    }
    out
}

fn micros(c: &Column) -> Result<Vec<Option<i64>>> {
    Ok(c.datetime()?.physical().iter().collect())
}

/// Rows of one table (of one shard), as the `FileData` of each file.
fn table_data(table: &str, df: &DataFrame) -> Result<Vec<(u32, FileData)>> {
    let mut out = Vec::new();
    if table == "snapshots" {
        let ids = df.column("order_id")?.str()?;
        let (pt, lu, rp, es) = (
            micros(df.column("purchase_ts")?)?,
            micros(df.column("last_updated_ts")?)?,
            micros(df.column("reporting_ts")?)?,
            micros(df.column("expected_ship_ts")?)?,
        );
        let status = df.column("status")?.str()?;
        let channel = df.column("channel")?.str()?;
        let sales = df.column("sales_channel")?.str()?;
        let email = df.column("email_marketplace")?.str()?;
        let buyer = df.column("buyer_requested")?.bool()?;
        let skus = df.column("skus")?.str()?;
        let items = df.column("item_ids")?.str()?;
        let currency = df.column("currency")?.str()?;
        let value = df.column("value_micros")?.i64()?;
        let shipped = df.column("any_quantity_shipped")?.bool()?;
        let mut rows = Vec::with_capacity(df.height());
        for i in 0..df.height() {
            let s = Snapshot {
                purchase_ts: pt.get(i).copied().flatten(),
                last_updated: lu.get(i).copied().flatten(),
                reporting: rp.get(i).copied().flatten(),
                status_raw: text(status.get(i)),
                channel: channel.get(i).and_then(Channel::parse),
                sales_channel: text(sales.get(i)),
                email_marketplace: email.get(i).and_then(Marketplace::from_code),
                expected_ship: es.get(i).copied().flatten(),
                buyer_requested: buyer.get(i).unwrap_or(false),
                skus: split_list(skus.get(i)),
                item_ids: split_list(items.get(i)),
                currency: text(currency.get(i)),
                value_micros: value.get(i).unwrap_or(0),
                any_quantity_shipped: shipped.get(i).unwrap_or(false),
            };
            rows.push((Text::from(ids.get(i).unwrap_or("")), s));
        }
        out.extend(by_file(df.column("file")?.u32()?, rows, FileData::Snapshots));
    }
    if table == "events" {
        let ids = df.column("order_id")?.str()?;
        let by = df.column("initiated_by")?.str()?;
        let reason = df.column("reason")?.str()?;
        let rows: Vec<CancelEvent> = (0..df.height())
            .map(|i| CancelEvent {
                order_id: Text::from(ids.get(i).unwrap_or("")),
                initiated_by: match by.get(i) {
                    Some("buyer") => Initiator::Buyer,
                    Some("seller") => Initiator::Seller,
                    _ => Initiator::Amazon,
                },
                reason: text(reason.get(i)),
            })
            .collect();
        out.extend(by_file(df.column("file")?.u32()?, rows, FileData::Events));
    }
    if table == "feed" {
        let ids = df.column("order_id")?.str()?;
        let reason = df.column("reason")?.str()?;
        let rows: Vec<FeedRow> = (0..df.height())
            .map(|i| FeedRow { order_id: Text::from(ids.get(i).unwrap_or("")), reason: text(reason.get(i)) })
            .collect();
        out.extend(by_file(df.column("file")?.u32()?, rows, FileData::Feed));
    }
    if table == "confirmations" {
        let line = df.column("line")?.u64()?;
        let ids = df.column("order_id")?.str()?;
        let day: Vec<Option<i32>> = df.column("ship_date")?.date()?.physical().iter().collect();
        let at = micros(df.column("ship_ts")?)?;
        let carrier = df.column("carrier")?.str()?;
        let tracking = df.column("tracking_number")?.str()?;
        let rows: Vec<Confirmation> = (0..df.height())
            .map(|i| Confirmation {
                order_id: Text::from(ids.get(i).unwrap_or("")),
                ship: match (day.get(i).copied().flatten(), at.get(i).copied().flatten()) {
                    (Some(d), _) => ShipDate::Day(d),
                    (None, t) => ShipDate::At(t.unwrap_or(0)),
                },
                carrier: Text::from(carrier.get(i).unwrap_or("")),
                tracking: Text::from(tracking.get(i).unwrap_or("")),
                line: line.get(i).unwrap_or(0),
            })
            .collect();
        out.extend(by_file(df.column("file")?.u32()?, rows, FileData::Confirmations));
    }
    if table == "scans" {
        let number = df.column("tracking_number")?.str()?;
        let scans = df.column("scans")?.u32()?;
        let delivered = df.column("delivered")?.bool()?;
        let rows: Vec<(String, ScanTally)> = (0..df.height())
            .map(|i| {
                let t = ScanTally { scans: scans.get(i).unwrap_or(0), delivered: delivered.get(i).unwrap_or(false) };
                (number.get(i).unwrap_or("").to_string(), t)
            })
            .collect();
        out.extend(by_file(df.column("file")?.u32()?, rows, |g| FileData::Scans(g.into_iter().collect())));
    }
    if table == "catalog" {
        let sku = df.column("sku")?.str()?;
        let category = df.column("category")?.str()?;
        let rows: Vec<(Text, Text)> = (0..df.height())
            .map(|i| (Text::from(sku.get(i).unwrap_or("")), Text::from(category.get(i).unwrap_or(""))))
            .collect();
        out.extend(by_file(df.column("file")?.u32()?, rows, FileData::Catalog));
    }
    Ok(out)
}

/// Where each shard's rows are in a table sorted by shard: (offset, length) per shard.
fn shard_ranges(df: &DataFrame) -> Result<Vec<Option<(usize, usize)>>> {
    let mut ranges: Vec<Option<(usize, usize)>> = vec![None; SHARDS];
    let shard = df.column("shard")?.u32()?;
    let mut start = 0usize;
    let mut current: Option<u32> = None;
    let mut close = |from: usize, to: usize, s: u32| -> Result<()> {
        *ranges.get_mut(s as usize).context("a shard number out of range in the store")? = Some((from, to - from));
        Ok(())
    };
    for (i, s) in shard.iter().enumerate() {
        let s = s.unwrap_or(0);
        if current.is_some_and(|c| c != s) {
            close(start, i, current.unwrap_or(0))?;
            start = i;
        }
        current = Some(s);
    }
    if let Some(c) = current {
        close(start, shard.len(), c)?;
    }
    Ok(ranges)
}

/// Everything the store holds, folded as one read of every stored file would fold it. The
/// run's reading options must be the store's.
pub fn load(dir: &Path, settings: &StoreSettings) -> Result<Loaded> {
    let Some(manifest) = read_manifest(dir)? else {
        bail!(UsageError(format!(
            "{}: no store here (make one with `orderhealth ingest INPUT... --store {}`)",
            dir.display(),
            dir.display()
        )));
    };
    check_settings(dir, &manifest.settings, settings)?;
    // Ranks among sorted paths (§5.1), as if every stored file were read at once; a path
    // ingested twice with different content is ordered by when it was ingested.
    let mut order: Vec<&StoredFile> = manifest.files.iter().collect();
    order.sort_by(|a, b| a.path.as_bytes().cmp(b.path.as_bytes()).then(a.id.cmp(&b.id)));
    // A file's id is its position in `files` (ingest appends), so ranks index by id.
    let mut rank_of = vec![0u32; manifest.files.len()];
    for (rank, f) in order.iter().enumerate() {
        *rank_of.get_mut(f.id as usize).context("a file id out of range in the manifest")? = rank as u32;
    }
    let rank = |id: u32| -> Result<u32> {
        rank_of.get(id as usize).copied().context("a row of a file the manifest does not list")
    };

    // Table by table of each batch (memory: the book and one table of one batch); every
    // shard converts and absorbs its own rows of the table, the shards in parallel.
    let mut shards: Vec<BookShard> = (0..SHARDS).map(|_| BookShard::default()).collect();
    for batch in &manifest.batches {
        let batch_dir = dir.join(BATCHES).join(batch);
        for table in TABLES {
            let Some(mut df) = read_parquet(&batch_dir.join(format!("{table}.parquet")))? else { continue };
            df.rechunk_mut();
            let ranges = shard_ranges(&df)?;
            let absorbed: Vec<Result<()>> = shards
                .par_iter_mut()
                .zip(ranges)
                .map(|(shard, range)| {
                    let Some((offset, len)) = range else { return Ok(()) };
                    for (file, data) in table_data(table, &df.slice(offset as i64, len))? {
                        shard.absorb(rank(file)?, data, None);
                    }
                    Ok(())
                })
                .collect();
            for a in absorbed {
                a?;
            }
        }
    }
    if let Some(first) = shards.first_mut() {
        for f in &manifest.files {
            first.absorb(rank(f.id)?, FileData::Events(Vec::new()), f.newest_observation);
        }
    }

    let files = order
        .iter()
        .map(|f| {
            Ok(FileSummary {
                path: f.path.clone(),
                kind: parse_kind(&f.kind)?,
                compression: parse_compression(&f.compression)?,
                encoding: parse_encoding(&f.encoding)?,
                rows_read: f.rows_read,
                rows_rejected: f.rows_rejected,
                unknown_columns: f.unknown_columns.clone(),
                repeated_headers: f.repeated_headers,
                encoding_hint: f.encoding_hint.clone(),
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let mut rejected: Vec<(u32, Rejected)> = Vec::new();
    for batch in &manifest.batches {
        let Some(df) = read_parquet(&dir.join(BATCHES).join(batch).join("rejected.parquet"))? else { continue };
        let (file, line, kind, reason) = (
            df.column("file")?.u32()?,
            df.column("line")?.u64()?,
            df.column("kind")?.str()?,
            df.column("reason")?.str()?,
        );
        for i in 0..df.height() {
            let id = file.get(i).unwrap_or(0);
            rejected.push((
                rank(id)?,
                Rejected {
                    file: manifest.files.get(id as usize).map(|f| f.path.clone()).unwrap_or_default(),
                    line: line.get(i).unwrap_or(0),
                    kind: parse_kind(kind.get(i).unwrap_or(""))?,
                    reason: reason.get(i).unwrap_or("").to_string(),
                },
            ));
        }
    }
    // A file's rejected rows in line order, files in rank order: as `load` lists them.
    rejected.sort_by_key(|(rank, r)| (*rank, r.line));
    let skipped = manifest.skipped.iter().map(|s| Skipped { path: s.path.clone(), reason: s.reason.clone() }).collect();
    Ok(Loaded {
        book: Book::from_shards(shards),
        files,
        rejected: rejected.into_iter().map(|(_, r)| r).collect(),
        skipped,
    })
}
