//! The store (SPEC §4.2): every nightly dump read once and folded into the per-order state
//! kept as Parquet, so a nightly job reads only what the night added and a report reads one
//! row per order instead of every dump. The layout is documented in `docs/STORE.md`.
//!
//! What is stored is the book itself (`orderhealth_core::book`): each order's folded state,
//! the scans and the catalog, with file ids where a run keeps file ranks. The fold is
//! associative and commutative and compares files only by rank, and adding files never
//! reorders the ranks of stored ones, so the stored states renumbered to the ranks of all
//! stored paths and merged are the book one read of every file would build: every output is
//! the same byte for byte.
//!
//! A nightly ingest folds only the night's files and writes them as a *layer* (a state of
//! those files alone, the size of the night); a report merges the layers and the base state.
//! When the layers hold a quarter of the base's orders (or reach [`MAX_LAYERS`]), the ingest
//! folds everything into a new base instead. A report reads the base's *settled* orders as
//! their counts (`settled`), and judges only the others.
//!
//! The state is partitioned by `shard_of(order_id)` (`shard=NN/` directories), so per-order
//! work can run one partition at a time: the scale-out seam (docs/SCALE-OUT.md). How a state
//! maps to Parquet columns and back is `state`.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use orderhealth_core::amazon::PerformanceReport;
use orderhealth_core::book::{Book, BookShard, Names, OrderState};
use orderhealth_core::inputs::{absorb_file, FileSummary, InputFile, Skipped};
use orderhealth_core::kind::FileKind;
use orderhealth_core::read::{format_of, read_file, FileOutcome};
use orderhealth_core::rows::{FileData, Rejected, ScanMap};
use orderhealth_core::shard::{spread, SHARDS};
use orderhealth_core::{collect_inputs, InputError, Loaded, Marketplace, ReadOptions};
use polars::prelude::*;
use rayon::prelude::*;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use crate::error::UsageError;
use crate::output::write_whole;
use crate::run::Progress;
use crate::tables::frame;

mod integrity;
pub mod parts;
mod settled;
mod state;
use orderhealth_core::shard::id_hash;
use settled::Settled;
pub use settled::{Evidence, SettledKey, SettledPart, SettledRequest, Tally};
use state::{
    add_scans_from, chain_scans, chain_tables, chain_tables_from, read_parquet, read_parquet_all, read_shard,
    read_shard_rows, read_shard_tables, rows_of_orders, segment_number, shard_dir, states_of, sync_tree,
    touched_chain_rows, write_dir_whole, write_parquet_grouped, write_state, Chain, Layout, Scans, ScansKept,
    ShardTables, Wanted,
};

/// What `manifest.json` says it is; anything else is not a store this program reads.
pub const STORE_FORMAT: &str = "orderhealth-store";
/// The layout version. A store of another version is refused, never misread.
/// Version 1 kept each file's rows; version 2 keeps the folded per-order state; version 3
/// checks every file it reads against the checksum written with it; version 4 keeps
/// promised delivery dates and delivery scan times; version 5 may have more than 16
/// partitions (`partitions`); in version 6 a base may stand on older segments (`older`); in
/// version 7 such a base may keep only the scans added since (`new_scans_only`).
/// Version-4 (16 partitions), version-5 and version-6 stores (every base with every scan) are
/// read as they are.
pub const STORE_VERSION: u32 = 7;
/// The oldest layout version this program reads.
const OLDEST_READ: u32 = 4;
/// Partitions of a new store unless `ingest --partitions` says otherwise.
pub const DEFAULT_PARTITIONS: usize = SHARDS;
const MANIFEST: &str = "manifest.json";
const LOCK: &str = "lock";
const BATCHES: &str = "batches";
const STATE: &str = "state";
/// Directories a new base replaced, moved aside at its commit (a rename each) and removed by
/// the next ingest: removing a few hundred files cost the night that folds a new base 0.06 s.
const REPLACED: &str = "replaced";
/// `replaced/` as the next ingest removes it ([`Removal`]).
const REMOVING: &str = "replaced.removing";
/// Layers kept beside the base state before an ingest folds them into a new base. Each layer
/// costs every report its rows (a night's dumps list the last days' orders again: 34,000
/// states a night at a million orders), and each new base costs one night a fold and a
/// judging: measured over the 64-night build, three layers gave a cheaper average and worst
/// night than six, and two the same average as three with a worst night about a tenth
/// cheaper (a smaller fold, every third night; docs/BENCHMARKS.md).
pub const MAX_LAYERS: usize = 2;
/// Older segments a base may stand on; the next new base is written whole (every order), and
/// stands on none. With a new base every third night, about every hundred nights (as with
/// three layers and 24 segments before). A longer chain costs a report little: the older
/// segments' scans tables are passed over on their index (`state::SCAN_INDEX`).
pub const MAX_SEGMENTS: usize = 32;

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

/// One file ingested: its account of rows, its number, its content and its batch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredFile {
    /// Its number in the store (the `file` column of every table); ids never change.
    pub id: u32,
    /// BLAKE3 of its bytes as found (compressed or not): the same content under another name
    /// is not ingested again.
    pub content: String,
    pub batch: String,
    /// The newest observation among its accepted rows (µs since the epoch).
    pub newest_observation: Option<i64>,
    /// Its account as the summary lists it; its path is the one it was first ingested with.
    #[serde(flatten)]
    pub account: FileSummary,
}

/// One directory of folded state (the base or a layer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredState {
    pub dir: String,
    /// Orders it holds (rows of its `orders.parquet` files).
    pub orders: u64,
    /// A base that stands on an older segment keeps only the scans added since that one was
    /// written (the sum of both is the store's); absent: every scan (a layer keeps its own).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub new_scans_only: bool,
}

/// A file passed over (not an input orderhealth reads), remembered so it is not read again.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredSkip {
    #[serde(flatten)]
    pub file: Skipped,
    /// `None` for what has no content to hash (a dangling link, a link loop).
    pub content: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    settings: StoreSettings,
    /// Batch directories under `batches/` (each ingest that read files: their rejected
    /// rows), in the order they were ingested.
    batches: Vec<String>,
    /// The directories under `state/` holding the folded state: the base, then the layers
    /// of later ingests, oldest first; empty before the first file.
    state: Vec<StoredState>,
    /// The older segments the base stands on, newest first: a new base folded from the
    /// settled directory of the one before holds only the orders that were not settled (or
    /// that the layers touched); the settled ones stay in the segments they were written in.
    /// An order's state is in the newest of the base and these that holds it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    older: Vec<StoredState>,
    files: Vec<StoredFile>,
    skipped: Vec<StoredSkip>,
    /// Each path an ingest found, with its size and modification time when its content was
    /// hashed: found again with both unchanged, a file is not read again.
    #[serde(default)]
    seen: BTreeMap<String, Seen>,
    /// How many `shard=NN` directories each state has (chosen when the store is made; a
    /// version-4 store has 16).
    #[serde(default = "default_partitions")]
    partitions: usize,
    /// The hash of this file's text with this field empty: a damaged manifest is refused.
    #[serde(default)]
    checksum: String,
}

/// A file as an ingest last found it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Seen {
    size: u64,
    /// Nanoseconds since 1970.
    modified: u64,
    /// BLAKE3 of its bytes then.
    content: String,
}

/// A file's (size, modification time in ns), when the file system tells them.
type Stat = Option<(u64, u64)>;

/// (size, modification time in ns) of a file, when the file system gives both.
fn stat_of(path: &Path) -> Stat {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), u64::try_from(modified.as_nanos()).ok()?))
}

fn default_partitions() -> usize {
    DEFAULT_PARTITIONS
}

impl Manifest {
    /// The base's directory, then the older segments it stands on, newest first (empty
    /// before the first file), and how many of them hold the base's scans.
    fn chain(&self, dir: &Path) -> Chain {
        let listed: Vec<&StoredState> = self.state.first().into_iter().chain(&self.older).collect();
        // Down to the first segment written with every scan (one before version 7 always was).
        let scans = listed.iter().position(|s| !s.new_scans_only).map_or(listed.len(), |k| k + 1);
        Chain { segments: listed.iter().map(|s| dir.join(STATE).join(&s.dir)).collect(), scans }
    }

    fn layout(&self) -> Layout {
        Layout { partitions: self.partitions }
    }

    /// Each stored file's rank among all stored paths, by file id (§5.1).
    fn ranks(&self) -> Result<Renumber> {
        ranks(self.files.iter().map(|f| (f.account.path.as_str(), f.id as usize)).collect())
    }

    /// The default `as_of` of a report over every stored file (§5.3).
    fn newest_observation(&self) -> Option<i64> {
        self.files.iter().filter_map(|f| f.newest_observation).max()
    }
}

/// What this process's last ingest wrote, kept in memory for the read of the same store that
/// follows in the same run (`report --store DIR INPUT...`, the nightly job in one command):
/// it is not read back from the files just written. Taken by that read.
static KEPT: Mutex<Option<Kept>> = Mutex::new(None);

struct Kept {
    /// The store, as [`std::fs::canonicalize`] gives it.
    store: PathBuf,
    /// The state directory written (`b…`, never reused within a store).
    dir: String,
    what: KeptState,
}

enum KeptState {
    /// A layer's states as written: file ids in the keys.
    Layer(Vec<BookShard>),
    /// A new base as its settled directory (of `key`) has it.
    Base(Box<(SettledKey, settled::Judged)>),
}

/// Keeps `what`, written into the state directory `dir` of the store `store`.
fn keep(store: &Path, dir: &str, what: KeptState) {
    if let (Ok(store), Ok(mut kept)) = (std::fs::canonicalize(store), KEPT.lock()) {
        *kept = Some(Kept { store, dir: dir.to_string(), what });
    }
}

/// What is kept, when it is of the state directory `state` of the store `dir`; taken either way
/// (a later read reads the files).
fn take_kept(dir: &Path, state: &str) -> Option<KeptState> {
    let kept = KEPT.lock().ok()?.take()?;
    (kept.dir == state && is_store(dir, &kept.store)).then_some(kept.what)
}

/// Whether `dir` is the store `kept` (as [`std::fs::canonicalize`] gave it when kept).
fn is_store(dir: &Path, kept: &Path) -> bool {
    std::fs::canonicalize(dir).is_ok_and(|dir| dir == kept)
}

/// The kept layer's shards, when it is the newest of `layers` of the store `dir` (the only
/// one this process can just have written).
fn take_kept_layer(dir: &Path, layers: &[StoredState]) -> Option<Vec<BookShard>> {
    match take_kept(dir, &layers.last()?.dir)? {
        KeptState::Layer(shards) if shards.len() == SHARDS => Some(shards),
        _ => None,
    }
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

/// The store's lock (an `flock` on `lock`): exclusive while an ingest writes, shared while a
/// report reads (an ingest removes the state it replaced).
struct StoreLock(#[allow(dead_code)] File);

impl StoreLock {
    /// A shared lock for reading, when the lock file can be opened (a read-only copy of a
    /// store has no writer to wait for).
    fn share(dir: &Path, waiting: &dyn Fn()) -> Option<StoreLock> {
        use rustix::fs::{flock, FlockOperation};
        let file = File::open(dir.join(LOCK)).ok()?;
        if flock(&file, FlockOperation::NonBlockingLockShared).is_err() {
            waiting();
            flock(&file, FlockOperation::LockShared).ok()?;
        }
        Some(StoreLock(file))
    }

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

/// `--store` names a file (the file system's "Not a directory" on a path below it, when the
/// manifest is read or the store's directories made): a usage error, said as such.
fn not_a_directory(dir: &Path) -> UsageError {
    const WHAT: &str = "a store is the directory `orderhealth ingest INPUT... --store DIR` makes";
    // The file may be the store's path itself or lie above it (`--store notes.txt/store`).
    match crate::output::file_above(dir) {
        Some(file) => UsageError(format!(
            "{}: lies under {}, which is a file, not a directory ({WHAT})",
            dir.display(),
            file.display()
        )),
        None => UsageError(format!("{}: a file, not a store ({WHAT})", dir.display())),
    }
}

/// The directory name of the `n`th batch (from 1), under `batches/` and, for its state, `state/`.
fn batch_name(n: usize) -> String {
    format!("b{n:06}")
}

/// Without a manifest, what only a committed ingest leaves: a batch or state after the first,
/// a settled directory, or what a new base replaced. (A first ingest killed between renaming
/// its directories and committing leaves `b000001` alone, the leftovers the next ingest
/// removes; a store of one ingest that lost its manifest looks the same and is taken for it.)
fn committed_without_manifest(dir: &Path) -> Option<PathBuf> {
    let first = batch_name(1);
    for sub in [BATCHES, STATE] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else { continue };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('.') && name != first {
                return Some(entry.path());
            }
        }
    }
    let settled = dir.join(settled::SETTLED);
    if std::fs::read_dir(&settled).is_ok_and(|mut e| e.next().is_some()) {
        return Some(settled);
    }
    [REPLACED, REMOVING].into_iter().map(|r| dir.join(r)).find(|p| p.exists())
}

fn read_manifest(dir: &Path) -> Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(committed) = committed_without_manifest(dir) {
                bail!(
                    "{}: a damaged store: its {MANIFEST}, which lists what the store holds, is missing, but what ingests committed is there ({}): without it that history cannot be read, and an ingest would remove it. Put {MANIFEST} back from a copy of the store, or ingest the dumps into a new store",
                    dir.display(),
                    committed.display()
                );
            }
            return Ok(None);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => bail!(not_a_directory(dir)),
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    // The text this process's ingest just committed: its manifest as it kept it, not parsed
    // again (the manifest lists every file ever ingested: a year of nightly dumps makes it
    // megabytes).
    if let Some(manifest) = take_kept_manifest(dir, &text) {
        return Ok(Some(manifest));
    }
    // Parsed once; its head alone (format and version) only to say why a text that is not
    // this version's manifest cannot be read.
    let parsed: Result<Manifest, _> = serde_json::from_slice(&text);
    let (format, version) = match &parsed {
        Ok(m) => (Some(m.format.clone()), Some(m.version)),
        Err(_) => {
            #[derive(Deserialize)]
            struct Head {
                format: Option<String>,
                version: Option<u32>,
            }
            let head: Head = serde_json::from_slice(&text)
                .map_err(|e| UsageError(format!("{}: not an orderhealth store ({e})", path.display())))?;
            (head.format, head.version)
        }
    };
    if format.as_deref() != Some(STORE_FORMAT) {
        bail!(UsageError(format!("{}: not an orderhealth store", dir.display())));
    }
    if !version.is_some_and(|v| (OLDEST_READ..=STORE_VERSION).contains(&v)) {
        bail!(UsageError(format!(
            "{}: store format version {} was written by another version of orderhealth; this one reads versions {OLDEST_READ} to {STORE_VERSION} (ingest the dumps into a new store)",
            dir.display(),
            version.map_or("(none)".to_string(), |v| v.to_string()),
        )));
    }
    let mut manifest = parsed.map_err(|e| UsageError(format!("{}: a damaged store manifest ({e})", path.display())))?;
    // Checked on its text as written (no second serialisation); a text laid out otherwise is
    // checked on the value, as before.
    let intact = integrity::text_holds(&text, "checksum") == Some(true)
        || integrity::json_holds(&mut manifest, |m| &mut m.checksum);
    if !intact {
        bail!(
            "{}: a damaged store manifest (its checksum does not match its text): ingest the dumps into a new store",
            path.display()
        );
    }
    if !orderhealth_core::shard::valid_partitions(manifest.partitions) {
        bail!(
            "{}: a damaged store manifest ({} partitions): ingest the dumps into a new store",
            path.display(),
            manifest.partitions
        );
    }
    // Written back (by the next ingest) as this version: the layout of version 4 is this
    // one's with 16 partitions.
    manifest.version = STORE_VERSION;
    Ok(Some(manifest))
}

/// The manifest this process's last ingest committed, with its text: a read of the same store
/// in the same run that finds that very text takes it instead of parsing it again.
static KEPT_MANIFEST: Mutex<Option<(PathBuf, Vec<u8>, Manifest)>> = Mutex::new(None);

fn keep_manifest(store: &Path, text: &[u8], manifest: &Manifest) {
    if let (Ok(store), Ok(mut kept)) = (std::fs::canonicalize(store), KEPT_MANIFEST.lock()) {
        *kept = Some((store, text.to_vec(), manifest.clone()));
    }
}

/// The kept manifest, when `text` (the store `dir`'s, just read) is the text it was committed
/// as: byte for byte, so it is the manifest a parse would give. Taken either way.
fn take_kept_manifest(dir: &Path, text: &[u8]) -> Option<Manifest> {
    let (store, kept_text, manifest) = KEPT_MANIFEST.lock().ok()?.take()?;
    (kept_text == text && is_store(dir, &store)).then_some(manifest)
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

/// An ingest that failed before its commit (a full disk, a read-only store): the store is as
/// it was, which the error says.
fn unchanged(dir: &Path) -> impl Fn(anyhow::Error) -> anyhow::Error + '_ {
    move |e| {
        if e.downcast_ref::<UsageError>().is_some() || e.downcast_ref::<InputError>().is_some() {
            return e;
        }
        e.context(format!("the ingest stopped; the store {} is as it was before it", dir.display()))
    }
}

/// The stages of an ingest, in order, as `--timings` names them: the store opened (its lock
/// taken, its manifest read) and the inputs found and recognised (hashed when new); the new
/// files read and folded; the stored states folded in (a new base only); the state and batch
/// written; the commit; the new base's settled orders judged (a new base that replaced one
/// whose settled orders a report judged).
pub const INGEST_STAGES: [&str; 6] = [
    "finding the inputs",
    "reading the new files",
    "folding the stored states",
    "writing the state",
    "committing",
    "judging the new base",
];

/// Folds `inputs` into the store at `dir` (created when missing, with `partitions`, default
/// [`DEFAULT_PARTITIONS`]): only files whose content it does not hold yet are read.
/// `progress` is told each stage as it starts ([`INGEST_STAGES`]).
///
/// With `keep`, the layer it writes, or the new base it makes and judges, stays in memory for
/// the next read of this store in the same process (`report --store DIR INPUT...`).
#[allow(clippy::too_many_arguments)]
pub fn ingest(
    dir: &Path,
    inputs: &[PathBuf],
    read: &ReadOptions,
    settings: &StoreSettings,
    partitions: Option<usize>,
    keep: bool,
    waiting: &dyn Fn(),
    progress: &dyn Progress,
) -> Result<IngestOutcome> {
    if let Some(n) = partitions.filter(|n| !orderhealth_core::shard::valid_partitions(*n)) {
        bail!(UsageError(format!(
            "--partitions {n}: a store has a multiple of {SHARDS} partitions, from {SHARDS} to {}",
            orderhealth_core::shard::MAX_PARTITIONS
        )));
    }
    progress.stage(INGEST_STAGES[0]);
    orderhealth_core::check_inputs_exist(inputs)?;
    for sub in [BATCHES, STATE] {
        match std::fs::create_dir_all(dir.join(sub)) {
            Err(e) if e.kind() == std::io::ErrorKind::NotADirectory => bail!(not_a_directory(dir)),
            other => other.with_context(|| format!("{}: cannot create the store", dir.display()))?,
        }
    }
    let _lock = StoreLock::take(dir, waiting)?;
    let mut manifest = match read_manifest(dir)? {
        Some(m) => {
            check_settings(dir, &m.settings, settings)?;
            if let Some(n) = partitions.filter(|n| *n != m.partitions) {
                bail!(UsageError(format!(
                    "the store {} has {} partitions, chosen when it was made (--partitions {n}): leave the option out, or use another store",
                    dir.display(),
                    m.partitions
                )));
            }
            m
        }
        None => Manifest {
            format: STORE_FORMAT.into(),
            version: STORE_VERSION,
            settings: settings.clone(),
            batches: Vec::new(),
            state: Vec::new(),
            older: Vec::new(),
            files: Vec::new(),
            skipped: Vec::new(),
            seen: BTreeMap::new(),
            partitions: partitions.unwrap_or(DEFAULT_PARTITIONS),
            checksum: String::new(),
        },
    };
    remove_leftovers(dir, &manifest)?;
    let removal = Removal::start(dir)?;

    let found = collect_inputs(inputs, Some(dir))?;
    let mut outcome = IngestOutcome::default();
    let known: FxHashMap<String, String> = manifest
        .files
        .iter()
        .map(|f| (f.content.clone(), f.account.path.clone()))
        .chain(manifest.skipped.iter().filter_map(|s| s.content.clone().map(|c| (c, s.file.path.clone()))))
        .collect();
    // A file found where it was before, with the same size and modification time, has the
    // content hashed then: only new or changed files are read (stat taken before reading, so
    // a file changed meanwhile is hashed again next time).
    // How this store names its inputs' contents: as it did its first file, XXH3-128 (32 hex
    // digits) or, in a store that began with it, BLAKE3 (64), so that a file it holds is
    // known again. XXH3 is a tenth of BLAKE3's CPU: a night's new files hashed by BLAKE3 were
    // 2% of the night's.
    let like: Option<String> = (manifest.files.iter().map(|f| &f.content))
        .chain(manifest.skipped.iter().filter_map(|s| s.content.as_ref()))
        .chain(manifest.seen.values().map(|s| &s.content))
        .next()
        .cloned();
    let (stats, mut contents): (Vec<Stat>, Vec<Option<String>>) = found
        .files
        .par_iter()
        .map(|f| {
            let stat = stat_of(&f.path);
            let seen = manifest.seen.get(&f.path.display().to_string());
            match (stat, seen) {
                (Some((size, modified)), Some(s)) if (s.size, s.modified) == (size, modified) => {
                    (stat, Some(s.content.clone()))
                }
                _ => (stat, None),
            }
        })
        .unzip();
    let walk_skipped: FxHashSet<String> = manifest.skipped.iter().map(|s| s.file.path.clone()).collect();
    for s in found.skipped {
        if !walk_skipped.contains(&s.path) {
            manifest.skipped.push(StoredSkip { file: s.clone(), content: None });
        }
        outcome.skipped.push(s);
    }

    let old_state = manifest.state.clone();
    let old_segments = manifest.older.clone();
    let mut folded = Folded::Nothing;
    // A file whose content is not known yet is hashed as it is read, on the bet that it is new
    // (a night's files are); one that proves to be a copy of a file held already, or of
    // another found before it, is not folded in: the files are planned again, every content
    // known, and read again.
    let plan_of = |contents: &[Option<String>]| Plan::of(&found.files, contents, &known);
    let mut plan = plan_of(&contents);
    while !plan.read.is_empty() {
        let new_files =
            NewFiles { files: &found.files, read: &plan.read, known: &known, stats: &stats, like: like.as_deref() };
        match fold_new_files(dir, &mut manifest, &new_files, &mut contents, read, keep, &mut outcome, progress)
            .map_err(unchanged(dir))?
        {
            Some(done) => {
                folded = done;
                break;
            }
            None => plan = plan_of(&contents),
        }
    }
    for ((file, stat), content) in found.files.iter().zip(&stats).zip(&contents) {
        if let (Some((size, modified)), Some(content)) = (stat, content) {
            let seen = Seen { size: *size, modified: *modified, content: content.clone() };
            manifest.seen.insert(file.path.display().to_string(), seen);
        }
    }
    for (i, first) in plan.already {
        if let Some(file) = found.files.get(i) {
            outcome.already.push((file.path.display().to_string(), first));
        }
    }
    progress.stage(INGEST_STAGES[4]);
    removal.finish().map_err(unchanged(dir))?;
    manifest.skipped.sort_by(|a, b| a.file.path.cmp(&b.file.path));
    let json = integrity::sealed_json(&mut manifest, "checksum", |m| &mut m.checksum)?;
    // The commit: until this rename the store is as it was (the new state is not listed).
    let manifest_path = dir.join(MANIFEST);
    write_whole(&manifest_path, &manifest_path.with_extension("tmp"), &json).map_err(unchanged(dir))?;
    if keep {
        keep_manifest(dir, &json, &manifest);
    }
    let written_base = match folded {
        Folded::Base(base) => Some(*base),
        Folded::Layer(shards) => {
            match (keep, manifest.state.last()) {
                (true, Some(layer)) => self::keep(dir, &layer.dir, KeptState::Layer(shards)),
                // Freed aside, the ingest goes on.
                _ => crate::run::free_aside(shards),
            }
            None
        }
        Folded::Nothing => None,
    };
    // The report options the replaced base's orders were judged under, to judge the new one.
    let new_base = manifest.state.first().filter(|base| old_state.first() != Some(*base));
    let judged_under = match (new_base, old_state.first()) {
        (Some(_), Some(old)) => settled::keys_of(dir, &old.dir),
        _ => Vec::new(),
    };
    // States a new base replaced are no longer listed: moved aside, for the next ingest to
    // remove (a kill here leaves them to it too); a replaced base the new one stands on stays,
    // without its settled directory.
    let replaced: Vec<&StoredState> =
        old_state.iter().chain(&old_segments).filter(|old| !manifest.state.contains(old)).collect();
    for old in &replaced {
        if !manifest.older.contains(old) {
            set_aside(dir, STATE, &old.dir);
        }
    }
    // A new base: its settled orders judged now, under the options the reports used, so the
    // next report reads only the live ones. Derived data: a failure leaves it to that report.
    if let Some(base) = new_base {
        if !judged_under.is_empty() {
            progress.stage(INGEST_STAGES[5]);
        }
        settle_new_base(dir, &manifest, &base.dir, &judged_under, written_base, keep);
    }
    // The replaced bases' settled directories after the judging, which takes the lists it
    // carries over from them (linked).
    for old in &replaced {
        set_aside(dir, settled::SETTLED, &old.dir);
    }
    outcome.files_in_store = manifest.files.len();
    Ok(outcome)
}

/// Writes the settled directories of the new base `base` for each of `keys` (those of the base
/// it replaced), as of the newest observation of every stored file: the first from `written`
/// (the base as this ingest has it in memory), any other from the base read back. With
/// `keep`, what the first judged is kept for this process's report.
fn settle_new_base(
    dir: &Path,
    manifest: &Manifest,
    base: &str,
    keys: &[SettledKey],
    written: Option<NewBase>,
    keep: bool,
) {
    let Some(as_of) = manifest.newest_observation() else { return };
    let Ok(to_rank) = manifest.ranks() else { return };
    let mut written = written;
    for old in keys {
        let key = SettledKey { base: base.to_string(), ..old.clone() };
        let Some(request) = key.request() else { continue };
        let _ = match written.take() {
            Some(NewBase { mut shards, tables, carried }) => {
                shards.par_iter_mut().for_each(|s| to_rank.shard(s));
                match settled::write_from(dir, &key, &request, as_of, shards, tables, carried, keep) {
                    Ok(Some(judged)) => {
                        self::keep(dir, base, KeptState::Base(Box::new((key.clone(), judged))));
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            None => settled::write(dir, &key, &request, as_of, &to_rank, manifest.layout(), &manifest.chain(dir)),
        };
    }
}

/// What [`fold_new_files`] wrote.
enum Folded {
    /// Nothing: no file was read.
    Nothing,
    /// A layer: its states (file ids in the keys).
    Layer(Vec<BookShard>),
    /// A new base.
    Base(Box<NewBase>),
}

/// Which of the files found an ingest reads: in path order, the first of each content the
/// store does not hold; a file whose content is not known yet is read (and hashed as it is).
#[derive(Debug, PartialEq)]
struct Plan {
    /// Indices into the files found.
    read: Vec<usize>,
    /// The files not read: (index, the path the content was first seen under).
    already: Vec<(usize, String)>,
}

impl Plan {
    fn of(files: &[InputFile], contents: &[Option<String>], stored: &FxHashMap<String, String>) -> Plan {
        let mut plan = Plan { read: Vec::new(), already: Vec::new() };
        let mut this_run: FxHashMap<&str, String> = FxHashMap::default();
        for (i, (file, content)) in files.iter().zip(contents).enumerate() {
            let Some(content) = content else {
                plan.read.push(i);
                continue;
            };
            match stored.get(content).or_else(|| this_run.get(content.as_str())) {
                Some(first) => plan.already.push((i, first.clone())),
                None => {
                    this_run.insert(content, file.path.display().to_string());
                    plan.read.push(i);
                }
            }
        }
        plan
    }
}

/// The files an ingest reads ([`Plan::read`]) among those found, with what it knows of them.
struct NewFiles<'a> {
    files: &'a [InputFile],
    read: &'a [usize],
    /// The contents the store holds, with the path each was first seen under (the plan's).
    known: &'a FxHashMap<String, String>,
    /// (size, modification time) of every file found, taken before it is read.
    stats: &'a [Stat],
    /// The kind of content hash the store names files by ([`integrity::content_hash`]).
    like: Option<&'a str>,
}

/// Reads the new files (in parallel, each folded in as it is read) and writes them as a new
/// layer, or with every stored state as a new base; and the batch of their rejected rows.
/// The caller commits.
#[allow(clippy::too_many_arguments)]
fn fold_new_files(
    dir: &Path,
    manifest: &mut Manifest,
    files: &NewFiles<'_>,
    contents: &mut [Option<String>],
    read: &ReadOptions,
    keep: bool,
    outcome: &mut IngestOutcome,
    progress: &dyn Progress,
) -> Result<Option<Folded>> {
    let new_files: Vec<(&InputFile, usize)> =
        files.read.iter().filter_map(|&i| Some((files.files.get(i)?, i))).collect();
    // New files are numbered after the stored ones, in path order; a file found
    // unrecognised keeps its number unused (numbers are compared, never counted).
    let stored = manifest.files.len();
    let mut by_path: Vec<(&str, usize)> =
        manifest.files.iter().map(|f| (f.account.path.as_str(), f.id as usize)).collect();
    let new_paths: Vec<String> = new_files.iter().map(|(f, _)| f.path.display().to_string()).collect();
    by_path.extend(new_paths.iter().enumerate().map(|(j, p)| (p.as_str(), stored + j)));
    let to_rank = ranks(by_path)?;
    let new_base = needs_new_base(manifest);
    progress.stage(INGEST_STAGES[1]);
    // The night alone first (a layer); a new base folds it into the stored states below.
    let locked: Vec<Mutex<BookShard>> = (0..SHARDS).map(|_| Mutex::new(BookShard::default())).collect();
    let known_before: &[Option<String>] = contents;
    type Read = (Result<FileOutcome, InputError>, std::io::Result<String>);
    // The largest files first, as a full read takes them (folding does not depend on the
    // order files arrive in).
    let numbered: Vec<(usize, (&InputFile, usize))> = new_files.iter().copied().enumerate().collect();
    let reads: Vec<Read> = orderhealth_core::inputs::largest_first(
        numbered,
        |(_, (f, _))| f.bytes,
        |(j, (f, i))| {
            let rank = to_rank.of((stored + j) as u32);
            let fold = &mut |part| absorb_file(&locked, rank, part, None);
            let (outcome, content) = match known_before.get(i).cloned().flatten() {
                Some(content) => (read_file(&f.path, read, &|_| {}, fold), Ok(content)),
                None => {
                    let mut tap = integrity::ContentTap::new(files.like);
                    let read_tapped =
                        format_of(&f.path).read_tapped(&f.path, read, &|_| {}, fold, &mut |b| tap.update(b));
                    let (outcome, whole) = match read_tapped {
                        Ok((outcome, whole)) => (Ok(outcome), whole),
                        Err(e) => (Err(e), false),
                    };
                    let size = files.stats.get(i).copied().flatten().map(|(size, _)| size);
                    // Not seen whole as read (a file read twice, or changed meanwhile): hashed apart.
                    let tapped = size.filter(|_| whole).and_then(|size| tap.finish(size));
                    let content = tapped.map_or_else(|| integrity::content_hash(&f.path, files.like), Ok);
                    (outcome, content)
                }
            };
            let outcome = outcome.map(|outcome| match outcome {
                FileOutcome::Read(mut r) => {
                    let data = std::mem::replace(&mut r.data, FileData::Events(Vec::new()));
                    absorb_file(&locked, rank, data, r.newest_observation);
                    FileOutcome::Read(r)
                }
                unrecognised => unrecognised,
            });
            (outcome, content)
        },
    );
    let mut shards: Vec<BookShard> = locked.into_iter().map(|m| m.into_inner().expect("shard lock")).collect();
    // Every content known now: a file that proves to hold a content the store (or a file found
    // before it) holds is not folded in; the caller plans again.
    let mut reads_with: Vec<(Result<FileOutcome, InputError>, String)> = Vec::with_capacity(reads.len());
    for ((file, i), (outcome, content)) in new_files.iter().zip(reads) {
        // Neither hashed nor read: the read's error names it.
        let content = match content {
            Ok(content) => content,
            Err(e) => match outcome {
                Err(read) => return Err(read.into()),
                Ok(_) => return Err(InputError::Io { path: file.path.clone(), source: e }.into()),
            },
        };
        if let Some(slot) = contents.get_mut(*i) {
            *slot = Some(content.clone());
        }
        reads_with.push((outcome, content));
    }
    if Plan::of(files.files, contents, files.known).read != files.read {
        return Ok(None);
    }

    let batch = batch_name(manifest.batches.len() + 1);
    // Rank → the number the store keeps: stored ids stay, read files get the next ids.
    let mut id_of_rank = vec![0u32; to_rank.len()];
    let mut rejected: Vec<(u32, Rejected)> = Vec::new();
    // Amazon's performance reports, kept whole in the batch (they add no order).
    let mut performance: Vec<(u32, PerformanceReport)> = Vec::new();
    for (j, ((file, _), (read, content))) in new_files.iter().zip(reads_with).enumerate() {
        let path = file.path.display().to_string();
        match read? {
            FileOutcome::Read(r) => {
                let id = u32::try_from(manifest.files.len()).context("too many files in one store")?;
                if let Some(slot) = id_of_rank.get_mut(to_rank.of((stored + j) as u32) as usize) {
                    *slot = id;
                }
                outcome.rows_read += r.account.rows_read;
                outcome.rows_rejected += r.account.rows_rejected;
                manifest.files.push(StoredFile {
                    id,
                    content: content.clone(),
                    batch: batch.clone(),
                    newest_observation: r.newest_observation,
                    account: FileSummary { path: path.clone(), ..r.account },
                });
                rejected.extend(r.rejected.into_iter().map(|row| (id, row)));
                performance.extend(r.reference.map(|report| (id, report)));
                outcome.ingested.push(path);
            }
            FileOutcome::Unrecognised(e) if file.named => return Err(e.into()),
            FileOutcome::Unrecognised(e) => {
                let reason = orderhealth_core::inputs::skip_reason(&e);
                let skipped = Skipped { path, reason };
                manifest.skipped.push(StoredSkip { file: skipped.clone(), content: Some(content.clone()) });
                outcome.skipped.push(skipped);
            }
        }
    }
    if manifest.files.len() == stored {
        return Ok(Some(Folded::Nothing)); // nothing was read: the state stays as it is
    }
    let (mut carried, mut older, mut added) = (None, Vec::new(), None);
    if new_base {
        progress.stage(INGEST_STAGES[2]);
        NewState { shards, carried, older, added } = with_stored_states(dir, manifest, &to_rank, shards)?;
    }
    progress.stage(INGEST_STAGES[3]);
    for id in 0..stored as u32 {
        if let Some(slot) = id_of_rank.get_mut(to_rank.of(id) as usize) {
            *slot = id;
        }
    }
    let to_id = Renumber::new(id_of_rank);
    shards.par_iter_mut().for_each(|s| to_id.shard(s));
    let kept = match &added {
        Some(added) => ScansKept::Added(added),
        None => ScansKept::OfShards,
    };
    // A layer in the nightly job in one command (`keep`): the report that follows reads the
    // base's settled directory, which a layer leaves as it is; read meanwhile, where the
    // write leaves a core idle waiting on the disk (`settled::read_ahead`). A new base's
    // settled orders are judged by the ingest itself.
    let ahead_of = manifest.state.first().filter(|_| keep && !new_base).map(|base| base.dir.as_str());
    let (tables, ahead) = rayon::join(
        || write_state(&dir.join(STATE), &batch, &shards, manifest.layout(), kept, new_base),
        || ahead_of.and_then(|base| settled::read_ahead(dir, base)),
    );
    if let Some(ahead) = ahead {
        settled::keep_read_ahead(ahead);
    }
    let tables = tables?;
    write_batch(&dir.join(BATCHES), &batch, &rejected, &performance)?;
    manifest.batches.push(batch.clone());
    let written = StoredState {
        dir: batch,
        orders: shards.iter().map(|s| s.orders().len() as u64).sum(),
        new_scans_only: added.is_some(),
    };
    if new_base {
        manifest.state = vec![written];
        manifest.older = older;
        return Ok(Some(Folded::Base(Box::new(NewBase { shards, tables, carried }))));
    }
    manifest.state.push(written);
    Ok(Some(Folded::Layer(shards)))
}

/// A new base as an ingest wrote it: its shards (file ids in the keys) and tables, and the
/// settled orders it takes over from the base it replaces.
struct NewBase {
    shards: Vec<BookShard>,
    tables: ShardTables,
    carried: Option<settled::Carried>,
}

/// A new base, folded ([`with_stored_states`]).
struct NewState {
    /// Its orders (ranks in the keys), the scans their packages are judged against and the
    /// catalog.
    shards: Vec<BookShard>,
    /// The replaced base's settled orders the layers and the night leave as they were.
    carried: Option<settled::Carried>,
    /// The older segments it stands on, newest first.
    older: Vec<StoredState>,
    /// Standing on the replaced base: the scans added since (the layers' and the night's),
    /// per shard, which is all it keeps. `None`: it keeps every scan (`shards`' own).
    added: Option<Vec<Option<orderhealth_core::rows::ScanMap>>>,
}

/// `night` (the night's files folded, ranks) folded into every stored state: a new base
/// ([`NewState`]).
///
/// With the replaced base's settled directory at hand (and fewer than [`MAX_SEGMENTS`] older
/// segments), the new base is what a report reads, folded: the live states, the settled
/// orders the changes touch (from the segments that hold them), the catalog, then the layers
/// and the night; it keeps the scans the layers and the night added. The settled orders and
/// the older scans stay where they are, and the new base stands on the old one: a new base
/// costs what changed since, not every order and every scan. Otherwise every order and scan
/// is read (each order from the newest segment that holds it) and written again, and the new
/// base stands alone.
fn with_stored_states(dir: &Path, manifest: &Manifest, to_rank: &Renumber, night: Vec<BookShard>) -> Result<NewState> {
    let Some((base, layers)) = manifest.state.split_first() else {
        return Ok(NewState { shards: night, carried: None, older: Vec::new(), added: None });
    };
    let layout = manifest.layout();
    // The layers and the replaced base's settled directory, read at once (neither needs the
    // other).
    // The layers merged with room for the night's orders: merged into them in place next.
    let night_orders: Vec<usize> = night.iter().map(|s| s.orders().len()).collect();
    let room = |i: usize| night_orders.get(i).copied().unwrap_or(0);
    let (changes, candidate) = rayon::join(
        || -> Result<Vec<BookShard>> {
            Ok(match read_layers(dir, layers, to_rank, layout, &room)? {
                None => night,
                Some(layers) => merge_shards(layers, night),
            })
        },
        || (manifest.older.len() < MAX_SEGMENTS).then(|| settled::for_carrying(dir, &base.dir)).flatten(),
    );
    let changes = changes?;
    let more = changes.iter().map(|s| s.orders().len()).sum::<usize>();
    let chain = manifest.chain(dir);
    let usable = candidate.and_then(|(key, request, old)| {
        if settled::carries_over(&old, &changes) {
            return Some((key, request, old));
        }
        // Not carried over: the tables its check kept are not read.
        integrity::forget_checked_under(&old.dir);
        None
    });
    if let Some((key, request, old)) = usable {
        let touched = touched_by(&old, &changes);
        let read = read_base(&chain, layout, room_for(more), Some(&old), &touched, &changes, Some(&request), to_rank)?;
        if let Some((counted, evidence)) = read.settled {
            let carried = settled::carry(key, old, &touched, counted, evidence);
            let older = std::iter::once(base).chain(&manifest.older).cloned().collect();
            let added = changes.par_iter().map(|s| s.scans().cloned()).collect();
            let shards = merge_shards(read.shards, changes);
            let carried = carried.among(&shards);
            return Ok(NewState { shards, carried: Some(carried), older, added: Some(added) });
        }
    }
    let mut base_shards = read_base(&chain, layout, room_for(more), None, &[], &[], None, to_rank)?.shards;
    let carried = settled::carried(dir, &base.dir, &mut base_shards, &changes);
    let shards = merge_shards(base_shards, changes);
    let carried = carried.map(|c| c.among(&shards));
    Ok(NewState { shards, carried, older: Vec::new(), added: None })
}

/// Whether this ingest folds everything into a new base rather than adding a layer: there is
/// no base yet, the layers reached [`MAX_LAYERS`], or they hold a quarter of the orders the
/// base and its older segments hold (a report reads them all, and a merged row costs more
/// than a base row).
fn needs_new_base(manifest: &Manifest) -> bool {
    let Some((base, layers)) = manifest.state.split_first() else { return true };
    let held = base.orders + manifest.older.iter().map(|s| s.orders).sum::<u64>();
    layers.len() >= MAX_LAYERS || layers.iter().map(|l| l.orders).sum::<u64>() * 4 > held
}

/// Ranks among sorted paths (§5.1), as if every stored file were read at once: `(path,
/// number)` pairs in, the rank of each number out. A path ingested twice with different
/// content is ordered by number, that is by when it was ingested.
fn ranks(mut by_path: Vec<(&str, usize)>) -> Result<Renumber> {
    by_path.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()).then(a.1.cmp(&b.1)));
    let mut rank_of = vec![0u32; by_path.len()];
    for (rank, (_, number)) in by_path.iter().enumerate() {
        *rank_of.get_mut(*number).context("a file id out of range in the manifest")? = rank as u32;
    }
    Ok(Renumber::new(rank_of))
}

/// One numbering of the files to another: the ids a store keeps to a run's ranks (the order
/// of the files' paths), or back.
///
/// Nightly dumps are ingested in path order (each night's folder sorts after the last), so in
/// most stores a file's id is its rank, and renumbering every state read and written
/// changed nothing for 1.5% of a night's CPU (docs/BENCHMARKS.md): a numbering that maps
/// every file to itself leaves the states as they are.
pub(crate) struct Renumber {
    to: Vec<u32>,
    same: bool,
}

impl Renumber {
    fn new(to: Vec<u32>) -> Renumber {
        let same = to.iter().enumerate().all(|(from, &to)| to as usize == from);
        Renumber { to, same }
    }

    /// What `from` becomes (0 for a number beyond the files, which no stored state holds).
    fn of(&self, from: u32) -> u32 {
        self.get(from).unwrap_or(0)
    }

    fn get(&self, from: u32) -> Option<u32> {
        self.to.get(from as usize).copied()
    }

    /// How many files it numbers.
    fn len(&self) -> usize {
        self.to.len()
    }

    /// `shard`'s states renumbered.
    pub(crate) fn shard(&self, shard: &mut BookShard) {
        if !self.same {
            shard.renumber_files(&|n| self.of(n));
        }
    }

    /// One order's state renumbered.
    pub(crate) fn state(&self, order: &mut OrderState) {
        if !self.same {
            order.renumber_files(&|n| self.of(n));
        }
    }
}

/// Batches and states a killed ingest wrote but never listed, its temporary files, and
/// replaced states it had no time to remove.
fn remove_leftovers(dir: &Path, manifest: &Manifest) -> Result<()> {
    let listed: FxHashSet<&str> = manifest.batches.iter().map(|b| b.as_str()).collect();
    let state: FxHashSet<&str> = manifest.state.iter().map(|s| s.dir.as_str()).collect();
    let segments: FxHashSet<&str> =
        state.iter().copied().chain(manifest.older.iter().map(|s| s.dir.as_str())).collect();
    for (sub, keep) in [(BATCHES, &listed), (STATE, &segments)] {
        let parent = dir.join(sub);
        for entry in std::fs::read_dir(&parent).with_context(|| format!("{}: cannot list", parent.display()))? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !keep.contains(name.as_str()) {
                std::fs::remove_dir_all(entry.path())
                    .with_context(|| format!("{}: cannot remove what a killed ingest left", entry.path().display()))?;
            }
        }
    }
    settled::remove_leftovers(dir, &state)?;
    let _ = std::fs::remove_file(dir.join(MANIFEST).with_extension("tmp"));
    Ok(())
}

/// Removes what the last new base set aside (`replaced/`) on a thread of its own, while the
/// ingest reads the night: unlinking a few hundred files is mostly waiting on the file system
/// (0.04 s, a quarter of that night's ingest), not work. The directory is renamed first, so
/// that this ingest's own set-asides go to a fresh `replaced/`; one a killed ingest left half
/// removed is removed too. [`Removal::finish`] waits for it, before the commit.
struct Removal(Option<std::thread::JoinHandle<std::io::Result<()>>>, PathBuf);

impl Removal {
    fn start(dir: &Path) -> Result<Removal> {
        let (replaced, removing) = (dir.join(REPLACED), dir.join(REMOVING));
        let fail = Removal::cannot;
        if replaced.exists() {
            if removing.exists() {
                std::fs::remove_dir_all(&removing).with_context(|| fail(&removing))?;
            }
            std::fs::rename(&replaced, &removing).with_context(|| fail(&replaced))?;
        }
        if !removing.exists() {
            return Ok(Removal(None, removing));
        }
        let path = removing.clone();
        let thread =
            std::thread::Builder::new().name("orderhealth-rm".into()).spawn(move || std::fs::remove_dir_all(path));
        match thread {
            Ok(thread) => Ok(Removal(Some(thread), removing)),
            // No thread: removed here.
            Err(_) => {
                std::fs::remove_dir_all(&removing).with_context(|| fail(&removing))?;
                Ok(Removal(None, removing))
            }
        }
    }

    fn finish(self) -> Result<()> {
        let Removal(Some(thread), path) = self else { return Ok(()) };
        match thread.join() {
            Ok(done) => done.with_context(|| Removal::cannot(&path)),
            Err(_) => Err(anyhow::anyhow!(Removal::cannot(&path))),
        }
    }

    fn cannot(path: &Path) -> String {
        format!("{}: cannot remove what the last new base replaced", path.display())
    }
}

/// Moves `dir/sub/name` (no longer listed) under `dir/replaced/`, for the next ingest to
/// remove; removed at once where it cannot be moved.
fn set_aside(dir: &Path, sub: &str, name: &str) {
    let from = dir.join(sub).join(name);
    if !from.exists() {
        return;
    }
    let to = dir.join(REPLACED).join(format!("{sub}-{name}"));
    let moved = std::fs::create_dir_all(dir.join(REPLACED)).and_then(|()| std::fs::rename(&from, &to));
    if moved.is_err() {
        let _ = std::fs::remove_dir_all(&from);
    }
}

/// The file in a batch that keeps performance report `id` (§1.7).
fn performance_file(batch_dir: &Path, id: u32) -> PathBuf {
    batch_dir.join(format!("performance-{id}.json"))
}

/// Writes one batch (the rejected rows of the files it read, and the performance reports it
/// read, each as read) as `batches/<name>`.
fn write_batch(
    parent: &Path,
    name: &str,
    rejected: &[(u32, Rejected)],
    performance: &[(u32, PerformanceReport)],
) -> Result<()> {
    write_dir_whole(parent, name, |tmp, syncing| {
        for (id, report) in performance {
            std::fs::write(performance_file(tmp, *id), serde_json::to_vec(report)?)?;
        }
        if rejected.is_empty() {
            return Ok(());
        }
        let mut df = frame(vec![
            Column::new("file".into(), rejected.iter().map(|r| r.0).collect::<Vec<u32>>()),
            Column::new("line".into(), rejected.iter().map(|r| r.1.line).collect::<Vec<u64>>()),
            Column::new("kind".into(), rejected.iter().map(|r| r.1.kind.as_str()).collect::<Vec<&str>>()),
            Column::new("reason".into(), rejected.iter().map(|r| r.1.reason.as_str()).collect::<Vec<&str>>()),
        ])?;
        write_parquet_grouped(&tmp.join("rejected.parquet"), &mut df, None, Some(syncing))
    })
}
fn parse_kind(s: &str) -> Result<FileKind> {
    FileKind::ALL.into_iter().find(|k| k.as_str() == s).with_context(|| format!("unknown kind {s:?} in the store"))
}
/// The stored states (base and layers), each renumbered from file ids to ranks by `to_rank`,
/// merged shard by shard: the book of every stored file. The layers are merged among
/// themselves first, then into the base, which is read with room for them.
///
/// With `request` (a report), the base's settled orders are not read where its settled
/// directory can stand for them: the book then holds the other orders, and the tally of the
/// settled ones is returned beside it.
fn read_states(
    dir: &Path,
    manifest: &Manifest,
    to_rank: &Renumber,
    request: Option<&SettledRequest>,
) -> Result<(Vec<BookShard>, Option<SettledPart>)> {
    let Some((base, layers)) = manifest.state.split_first() else {
        return Ok(((0..SHARDS).map(|_| BookShard::default()).collect(), None));
    };
    let key = request.and_then(|r| settled_key(manifest, &base.dir, r));
    if let Some(kept) = kept_base(dir, manifest, &base.dir, layers, key.as_ref(), request, to_rank) {
        return Ok(kept);
    }
    // The layers and the settled directory, read at once (neither needs the other).
    let (layers_read, settled_read) = rayon::join(
        || read_layers(dir, layers, to_rank, manifest.layout(), &|_| 0),
        || key.as_ref().map(|key| settled::read(dir, key)),
    );
    let layers_read = layers_read?;
    let mut settled = match (request, settled_read) {
        (Some(r), Some(read)) => usable_settled(dir, manifest, &base.dir, r, read, layers_read.as_deref(), to_rank),
        _ => None,
    };
    let touched = match &mut settled {
        Some(s) => {
            let touched = touched_by(s, layers_read.as_deref().unwrap_or(&[]));
            // The lists answer nothing more but the touched orders' segments.
            s.lists = s.lists.only(&touched);
            touched
        }
        None => (0..SHARDS).map(|_| FxHashSet::default()).collect(),
    };
    let room = room_for(layers.iter().map(|l| l.orders as usize).sum::<usize>());
    let layer_shards = layers_read.as_deref().unwrap_or(&[]);
    let chain = manifest.chain(dir);
    let read = read_base(&chain, manifest.layout(), room, settled.as_ref(), &touched, layer_shards, request, to_rank)?;
    let part = match (settled.map(|s| s.total), read.settled) {
        (Some(tally), Some((counted, evidence))) => Some(settled_part(tally, &counted, evidence)),
        _ => None,
    };
    // Into the base's vectors: the report's view sorts the orders.
    let shards = match layers_read {
        None => read.shards,
        Some(layers) => merge_unordered(read.shards, layers),
    };
    Ok((shards, part))
}

/// The base this process's ingest just made and judged (kept), as a read of its settled
/// directory gives it: its live orders and what its settled orders add (as of the instant
/// judged, the live orders as viewed already: `settled::Judged::for_report`). Only with no
/// layer beside it, for a report under the key it was judged under and as of that instant or
/// later (as [`usable_settled`]).
fn kept_base(
    dir: &Path,
    manifest: &Manifest,
    base: &str,
    layers: &[StoredState],
    key: Option<&SettledKey>,
    request: Option<&SettledRequest>,
    to_rank: &Renumber,
) -> Option<(Vec<BookShard>, Option<SettledPart>)> {
    let (key, request) = (key?, request?);
    if !layers.is_empty() {
        return None;
    }
    let KeptState::Base(kept) = take_kept(dir, base)? else { return None };
    let (judged_under, judged) = *kept;
    let newest = manifest.newest_observation()?;
    let as_of = request.view.as_of.unwrap_or(newest);
    if judged_under != *key || judged.as_of > as_of {
        return None;
    }
    let (live, view, total, evidence) = judged.for_report(as_of, to_rank).ok()?;
    if live.len() != SHARDS {
        return None;
    }
    // No layer: no settled order touched.
    let mut part = settled_part(total, &[], evidence);
    part.view = view;
    Some((live, Some(part)))
}

/// What the settled orders add to a report: their `tally`, less the touched ones' as it
/// counted them (`counted`, summed first: a subtraction rebuilds the whole tally), and the
/// others' `evidence` rows.
fn settled_part(mut tally: Tally, counted: &[Tally], evidence: Vec<settled::Evidence>) -> SettledPart {
    tally.subtract(&Tally::sum(counted));
    SettledPart { tally, evidence, ..Default::default() }
}

/// The room a shard keeps for `more` orders to be merged in: they hash evenly over the shards;
/// a quarter more than the average share.
fn room_for(more: usize) -> usize {
    more / SHARDS + more / (4 * SHARDS)
}

fn merge_shards(a: Vec<BookShard>, b: Vec<BookShard>) -> Vec<BookShard> {
    a.into_par_iter().zip(b).map(|(a, b)| a.merge(b)).collect()
}

/// [`merge_shards`], the orders in no particular order (`BookShard::merge_unordered`): `b`'s
/// merged into `a`'s vectors, for a report (its view sorts the orders). Not for a new base:
/// its writer and its judging sort faster what comes sorted (a new-base night measured
/// 402 -> 413 ms merged so).
fn merge_unordered(a: Vec<BookShard>, b: Vec<BookShard>) -> Vec<BookShard> {
    a.into_par_iter().zip(b).map(|(a, b)| a.merge_unordered(b)).collect()
}

/// The normalised tracking numbers of the shipment rows of the orders of `shards`, per shard
/// of the number ([`orderhealth_core::shard::shard_of`]: where its scans are kept, so shard `i`'s scans are looked up
/// in the `i`-th set alone). Gathered per shard of orders, then each set built, in parallel.
fn tracking_numbers(shards: &[&BookShard]) -> Vec<Wanted> {
    tracking_numbers_of(&shards.iter().map(|s| s.orders().iter().collect()).collect::<Vec<_>>(), None)
}

/// [`tracking_numbers`] of lists of orders, less the numbers in `covered` (per shard of the
/// number: those whose scans are at hand already).
fn tracking_numbers_of(lists: &[Vec<&OrderState>], covered: Option<&[&FxHashSet<String>]>) -> Vec<Wanted> {
    let gathered: Vec<Vec<Vec<String>>> = lists
        .par_iter()
        .map(|orders| {
            let numbers = orders
                .iter()
                .flat_map(|o| o.shipments.iter())
                .filter(|s| !orderhealth_carriers::is_missing(&s.tracking))
                .map(|s| orderhealth_carriers::normalise(&s.tracking));
            spread(numbers, |n| n.as_str(), SHARDS)
        })
        .collect();
    let mut per_shard: Vec<Vec<Vec<String>>> = (0..SHARDS).map(|_| Vec::new()).collect();
    for by_shard in gathered {
        for (numbers, to) in by_shard.into_iter().zip(per_shard.iter_mut()) {
            to.push(numbers);
        }
    }
    per_shard
        .into_par_iter()
        .enumerate()
        .map(|(i, lists)| {
            let mut set = FxHashSet::with_capacity_and_hasher(lists.iter().map(Vec::len).sum(), Default::default());
            let have = covered.and_then(|c| c.get(i).copied());
            set.extend(lists.into_iter().flatten().filter(|n| !have.is_some_and(|have| have.contains(n))));
            Wanted::of(set)
        })
        .collect()
}

/// The layers, each renumbered to ranks, merged among themselves (`None`: no layer): read
/// shard by shard in parallel, then each shard's layers merged at once, with room for
/// `room(shard)` more orders.
fn read_layers(
    dir: &Path,
    layers: &[StoredState],
    to_rank: &Renumber,
    layout: Layout,
    room: &(impl Fn(usize) -> usize + Sync),
) -> Result<Option<Vec<BookShard>>> {
    if layers.is_empty() {
        return Ok(None);
    }
    let mut dirs: Vec<PathBuf> = layers.iter().map(|l| dir.join(STATE).join(&l.dir)).collect();
    // The newest layer from memory when this process has just written it; the others read.
    let kept: Vec<Option<BookShard>> = match take_kept_layer(dir, layers) {
        Some(shards) => {
            dirs.pop();
            shards.into_iter().map(Some).collect()
        }
        None => (0..SHARDS).map(|_| None).collect(),
    };
    // The newer layers' orders a shard holds, about: what the oldest layer read from disk keeps
    // room for when there are two, so that the newer one is merged into its own vector (a new
    // vector for both was memory faulted in afresh: 14 MB a night at a million orders).
    let newer: usize = layers.iter().skip(1).map(|l| room_for(l.orders as usize)).sum();
    let shards = kept
        .into_par_iter()
        .enumerate()
        .map(|(i, kept)| -> Result<BookShard> {
            // One layer read alone is the merge: read with the room; the older of two with
            // room for the newer too, and the newer merged into it.
            let two = dirs.len() + usize::from(kept.is_some()) == 2;
            let with_room = match (dirs.len(), &kept) {
                (1, None) => room(i),
                _ if two => room(i) + newer,
                _ => 0,
            };
            let mut sides = dirs
                .par_iter()
                .enumerate()
                .map(|(k, layer)| {
                    let room = if k == 0 { with_room } else { 0 };
                    read_shard(&layout.of_shard(layer, i), &layout.of_shard(layer, i), room, &[None, None])
                        .with_context(|| format!("{}: a damaged store", shard_dir(layer, i).display()))
                })
                .collect::<Result<Vec<BookShard>>>()?;
            sides.extend(kept);
            sides.par_iter_mut().for_each(|s| to_rank.shard(s));
            if two {
                if let (Some(newer), Some(older)) = (sides.pop(), sides.pop()) {
                    return Ok(older.merge(newer));
                }
            }
            Ok(BookShard::merge_all(sides, room(i)))
        })
        .collect::<Result<Vec<BookShard>>>()?;
    Ok(Some(shards))
}

/// Per shard, the id hashes of the settled orders the layers touch: orders they have rows of,
/// and orders with a watched package they scan (short of scans, or with a promised delivery). Those leave the tally, are read from
/// the base and judged again with the layers.
fn touched_by(settled: &Settled, layers: &[BookShard]) -> Vec<FxHashSet<u64>> {
    // The scanned numbers' hashes (computed on every thread): each shard's watched packages
    // are looked up among them.
    let hashes: Vec<u64> =
        layers.par_iter().filter_map(|l| l.scans()).flat_map_iter(|scans| scans.keys().map(|n| id_hash(n))).collect();
    let scanned = settled::Scanned::of(hashes);
    (0..SHARDS)
        .into_par_iter()
        .map(|i| {
            // The layer's orders' hashes, sorted: each generation's list is walked beside them.
            let mut orders: Vec<u64> = layers
                .get(i)
                .into_iter()
                .flat_map(|layer| layer.orders().iter())
                .map(|o| id_hash(o.id.as_str()))
                .collect();
            orders.sort_unstable();
            orders.dedup();
            let mut touched: FxHashSet<u64> = settled.lists.settled_among(i, &orders).into_iter().collect();
            touched.extend(settled.lists.scanned(i, &scanned));
            touched
        })
        .collect()
}

/// A read of the base.
struct BaseRead {
    /// Its states, renumbered to ranks: every order, or its live states and the touched
    /// settled orders.
    shards: Vec<BookShard>,
    /// With settled orders, per shard: the touched ones' tally as it counted them (against
    /// the base's scans, before the layers' are added), and the evidence rows of the others.
    settled: Option<(Vec<Tally>, Vec<settled::Evidence>)>,
}

/// The base (`chain`: its directory, then the older segments it stands on), renumbered to
/// ranks: every order, each from the newest segment that holds it, and every scan; or with
/// `settled` its live states and the `touched` settled orders (and what the tally counted for
/// those), and the scans of their packages and of those of `layers` (about a tenth of the
/// numbers).
#[allow(clippy::too_many_arguments)]
fn read_base(
    chain: &Chain,
    layout: Layout,
    room: usize,
    settled: Option<&Settled>,
    touched: &[FxHashSet<u64>],
    layers: &[BookShard],
    request: Option<&SettledRequest>,
    to_rank: &Renumber,
) -> Result<BaseRead> {
    let Some(base_dir) = chain.segments.first() else { bail!("a store without a base") };
    type Read = (BookShard, Option<(Vec<OrderState>, settled::Evidence)>);
    let read: Vec<Read> = (0..SHARDS)
        .into_par_iter()
        .map(|i| {
            let dir = shard_dir(base_dir, i);
            let dirs = layout.of_shard(base_dir, i);
            let of_shard = |segment: &Path| layout.of_shard(segment, i);
            let damaged = |d: &Path| format!("{}: a damaged store", d.display());
            let Some(s) = settled else {
                let scans = chain.scan_dirs(of_shard);
                let shard = chain_tables(&chain.segments, of_shard)
                    .and_then(|tables| read_shard_tables(tables, &dirs, room, &[None, None], Scans::Chain(&scans)));
                return Ok((shard.with_context(|| damaged(&dir))?.0, None));
            };
            let touched = touched.get(i).context("a shard out of range")?;
            let live = s.shard_dir(i);
            let rows = match touched.is_empty() {
                true => [None, None],
                false => touched_chain_rows(&chain.segments, of_shard, touched, |h| s.lists.segment_of(i, h))?,
            };
            let (shard, _) = read_shard_rows(std::slice::from_ref(&live), &dirs, room, &rows, Scans::Later)
                .with_context(|| damaged(&live))?;
            // The touched orders once more, as the base alone has them: what the tally counted.
            let mut before = states_of(&rows, 0, &mut Names::default())?;
            before.iter_mut().for_each(|o| to_rank.state(o));
            let evidence = s.evidence(i, touched).with_context(|| damaged(&live))?;
            Ok((shard, Some((before, evidence))))
        })
        .collect::<Result<_>>()?;
    let (mut base_shards, settled_parts): (Vec<BookShard>, Vec<_>) = read.into_iter().unzip();
    let (before, evidence): (Vec<Vec<OrderState>>, Vec<settled::Evidence>) =
        settled_parts.into_iter().flatten().unzip();
    if let Some(s) = settled {
        // Only the packages of the orders read are judged: the base's scans of their numbers
        // are all a report needs (about a tenth of a million numbers, instead of all). Those of
        // the live orders as the settled directory keeps them, when it does: then only the
        // touched orders' and the layers' other numbers are looked up in the segments.
        let live = s.live_scans().with_context(|| format!("{}: a damaged store", s.dir.display()))?;
        let wanted = match &live {
            Some(live) => {
                let covered: Vec<&FxHashSet<String>> = live.iter().map(|(numbers, _)| numbers).collect();
                let touched = before.iter().map(|b| b.iter().collect::<Vec<_>>());
                let layer_orders = layers.iter().map(|l| l.orders().iter().collect::<Vec<_>>());
                tracking_numbers_of(&touched.chain(layer_orders).collect::<Vec<_>>(), Some(&covered))
            }
            None => tracking_numbers(&base_shards.iter().chain(layers).collect::<Vec<_>>()),
        };
        let mut live: Vec<Option<ScanMap>> = match live {
            Some(live) => live.into_iter().map(|(_, scans)| Some(scans)).collect(),
            None => (0..SHARDS).map(|_| None).collect(),
        };
        base_shards.par_iter_mut().zip(&wanted).zip(&mut live).enumerate().try_for_each(
            |(i, ((shard, wanted), live))| -> Result<()> {
                let scans = chain_scans(&chain.scan_dirs(|segment| layout.of_shard(segment, i)), Some(wanted))?;
                shard.set_scans(match (scans, live.take()) {
                    (Some(mut scans), Some(live)) => {
                        scans.add_all(live);
                        Some(scans)
                    }
                    (scans, live) => scans.or(live),
                });
                Ok(())
            },
        )?;
    }
    base_shards.par_iter_mut().for_each(|s| to_rank.shard(s));
    let (Some(s), Some(request)) = (settled, request) else {
        return Ok(BaseRead { shards: base_shards, settled: None });
    };
    // The touched orders leave the tally as it counted them: against the base's scans, before
    // the layers' are added.
    let mut counted: Vec<Tally> = (0..SHARDS).map(|_| Tally::default()).collect();
    if before.iter().any(|b| !b.is_empty()) {
        let base = Book::from_shards(base_shards);
        counted = before
            .into_iter()
            .map(|b| match b.is_empty() {
                true => Tally::default(),
                false => settled::counted_before(b, &base, s.as_of, request),
            })
            .collect();
        base_shards = base.into_shards();
    }
    Ok(BaseRead { shards: base_shards, settled: Some((counted, evidence)) })
}

/// The key of the base's settled directory a report with `request` would use; `None` in a
/// store without an observation. (With Amazon's performance report too: a report whose
/// windows differ from Amazon's reads the store again, every order; `run::report_of`.)
fn settled_key(manifest: &Manifest, base: &str, request: &SettledRequest) -> Option<SettledKey> {
    manifest.newest_observation()?;
    Some(SettledKey::of(base, &request.view, request.packages))
}

/// The base's settled directory for this report (`read`: as [`settled::read`] found it under
/// [`settled_key`]), written first when there is none, when it can stand for the settled
/// orders: the report judges as of the instant they were judged or later (they were judged as
/// of the newest observation then, and no later instant can change them; an earlier `--as-of`
/// reads every order), no catalog rows in the layers (a category could change), no scans in
/// the layers when the base had none (the scan checks would turn on). `None`: every order is
/// read.
fn usable_settled(
    dir: &Path,
    manifest: &Manifest,
    base: &str,
    request: &SettledRequest,
    read: Option<Settled>,
    layers: Option<&[BookShard]>,
    to_rank: &Renumber,
) -> Option<Settled> {
    let newest = manifest.newest_observation()?;
    // The instant the report judges as of: `--as-of`, else the newest observation.
    let as_of = request.view.as_of.unwrap_or(newest);
    let layers = layers.unwrap_or(&[]);
    if layers.iter().any(|l| !l.catalog().is_empty()) {
        return None;
    }
    let layer_scans = layers.iter().any(|l| l.scans().is_some());
    let settled = match read {
        Some(s) => s,
        // Judged as of the newest observation, they could not stand for an earlier instant.
        None if as_of < newest => return None,
        None => {
            let key = settled_key(manifest, base, request)?;
            // A store the report cannot write to (read-only) is still read whole.
            settled::write(dir, &key, request, newest, to_rank, manifest.layout(), &manifest.chain(dir)).ok()?;
            settled::read(dir, &key)?
        }
    };
    if settled.as_of <= as_of && (settled.has_scans || !layer_scans) {
        return Some(settled);
    }
    // Not used: the tables its check kept are not read.
    integrity::forget_checked_under(&settled.dir);
    None
}

/// Everything the store holds, as one read of every stored file would give it. The run's
/// reading options must be the store's. `waiting` is called when an ingest holds the store.
///
/// With `request` (a report, which sums counts), the base's settled orders may come as their
/// [`Tally`] instead of in the book (see `settled`).
pub fn load(
    dir: &Path,
    settings: &StoreSettings,
    waiting: &dyn Fn(),
    request: Option<&SettledRequest>,
) -> Result<(Loaded, Option<SettledPart>)> {
    let read = load_orders(dir, settings, waiting, Orders::All(request))?;
    Ok((read.loaded, read.settled))
}

/// Which orders a read of the store brings into the book.
#[derive(Clone, Copy)]
pub enum Orders<'a> {
    /// Every order (a report may take the base's settled ones as their tally).
    All(Option<&'a SettledRequest>),
    /// Those of one partition (`orderhealth partition`), with the scans of their packages and
    /// the whole catalog; no rejected rows.
    Partition(usize),
    /// None: the files' accounts, rejected rows and performance reports alone (`report
    /// --from-parts`, whose orders come as the partitions' results).
    None,
}

/// A read of the store.
pub struct StoreRead {
    pub loaded: Loaded,
    pub settled: Option<SettledPart>,
    /// The manifest's checksum: which state of the store was read (a partition's result
    /// names it, so results of two states are never summed).
    pub identity: String,
    /// How many partitions the store has.
    pub partitions: usize,
}

/// [`load`], of the orders `orders`.
pub fn load_orders(dir: &Path, settings: &StoreSettings, waiting: &dyn Fn(), orders: Orders) -> Result<StoreRead> {
    let _lock = StoreLock::share(dir, waiting);
    let Some(manifest) = read_manifest(dir)? else {
        bail!(UsageError(format!(
            "{}: no store here (make one with `orderhealth ingest INPUT... --store {}`)",
            dir.display(),
            dir.display()
        )));
    };
    check_settings(dir, &manifest.settings, settings)?;
    let to_rank = manifest.ranks()?;
    let rank = |id: u32| -> Result<u32> { to_rank.get(id).context("a row of a file the manifest does not list") };
    let (mut shards, settled) = match orders {
        Orders::All(request) => read_states(dir, &manifest, &to_rank, request)?,
        Orders::Partition(p) => {
            if p >= manifest.partitions {
                bail!(UsageError(format!(
                    "--shard {p}: the store {} has partitions 0 to {}",
                    dir.display(),
                    manifest.partitions - 1
                )));
            }
            (read_partition(dir, &manifest, p, &to_rank)?, None)
        }
        Orders::None => ((0..SHARDS).map(|_| BookShard::default()).collect(), None),
    };
    // Every file's newest observation: the default `as_of` is theirs, whichever orders are read.
    if let Some(first) = shards.first_mut() {
        for f in &manifest.files {
            first.absorb(rank(f.id)?, FileData::Events(Vec::new()), f.newest_observation);
        }
    }
    let mut order: Vec<&StoredFile> = manifest.files.iter().collect();
    order.sort_by_key(|f| to_rank.of(f.id));
    let files: Vec<FileSummary> = order.iter().map(|f| f.account.clone()).collect();

    // Performance reports, by rank (the order one read gives them), under their first path.
    let mut performance_reports: Vec<PerformanceReport> = Vec::new();
    for f in order.iter().filter(|f| f.account.kind == FileKind::PerformanceReport) {
        let path = performance_file(&dir.join(BATCHES).join(&f.batch), f.id);
        let bytes = integrity::read_checked(&path)?
            .with_context(|| format!("{}: a performance report the store lists is missing", path.display()))?;
        let mut report: PerformanceReport =
            serde_json::from_slice(&bytes).with_context(|| format!("{}: a damaged store", path.display()))?;
        report.path = f.account.path.clone();
        performance_reports.push(report);
    }

    let mut rejected: Vec<(u32, Rejected)> = Vec::new();
    let batches = match orders {
        Orders::Partition(_) => &[][..],
        _ => &manifest.batches[..],
    };
    for batch in batches {
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
                    file: manifest.files.get(id as usize).map(|f| f.account.path.clone()).unwrap_or_default(),
                    line: line.get(i).unwrap_or(0),
                    kind: parse_kind(kind.get(i).unwrap_or(""))?,
                    reason: reason.get(i).unwrap_or("").to_string(),
                },
            ));
        }
    }
    // A file's rejected rows in line order, files in rank order: as `load` lists them.
    rejected.sort_by_key(|(rank, r)| (*rank, r.line));
    let skipped = manifest.skipped.iter().map(|s| s.file.clone()).collect();
    let loaded = Loaded {
        book: Book::from_shards(shards),
        files,
        rejected: rejected.into_iter().map(|(_, r)| r).collect(),
        skipped,
        performance_reports,
        spent: Default::default(),
    };
    Ok(StoreRead { loaded, settled, identity: manifest.checksum.clone(), partitions: manifest.partitions })
}

/// Partition `p` of every state (the base, then the layers), renumbered to ranks and merged:
/// its orders in their shard, and in every shard the scans of their packages' numbers and the
/// catalog. Each task of a distributed run reads this much: its orders (about 1/P of them)
/// and, filtered as read, the scans tables of every partition (scans are kept by tracking
/// number, not by order).
fn read_partition(dir: &Path, manifest: &Manifest, p: usize, to_rank: &Renumber) -> Result<Vec<BookShard>> {
    let layout = manifest.layout();
    let states: Vec<PathBuf> = manifest.state.iter().map(|s| dir.join(STATE).join(&s.dir)).collect();
    let mut orders: Vec<BookShard> = (0..SHARDS).map(|_| BookShard::default()).collect();
    let chain = manifest.chain(dir);
    for (k, state) in states.iter().enumerate() {
        let part = [shard_dir(state, p)];
        // The base's orders with those of the older segments it stands on.
        let read = match k {
            0 => chain_tables(&chain.segments, |segment| vec![shard_dir(segment, p)])
                .and_then(|tables| read_shard_tables(tables, &[], 0, &[None, None], Scans::Later))
                .map(|(shard, _)| shard),
            _ => read_shard(&part, &[], 0, &[None, None]),
        };
        let mut read = read.with_context(|| format!("{}: a damaged store", shard_dir(state, p).display()))?;
        to_rank.shard(&mut read);
        let mut one: Vec<BookShard> = (0..SHARDS).map(|_| BookShard::default()).collect();
        one[p % SHARDS] = read;
        orders = merge_shards(orders, one);
    }
    let wanted = tracking_numbers(&orders.iter().collect::<Vec<_>>());
    // The scans: the base's (its scan chain: its own and those of the older segments below
    // it), then each layer's; the catalog: the base's and the layers'.
    // (A base keeps the whole catalog: the older segments' are not read.)
    let scan_chain = chain.segments.iter().take(chain.scans).enumerate().map(|(k, s)| (s, k == 0));
    let mut lookups: Option<Vec<BookShard>> = None;
    for (state, with_catalog) in scan_chain.chain(states.iter().skip(1).map(|s| (s, true))) {
        let mut read: Vec<BookShard> = (0..SHARDS)
            .into_par_iter()
            .map(|i| -> Result<BookShard> {
                let dirs = layout.of_shard(state, i);
                // Filtered file by file (a number is in one partition's file of a state): a
                // task holds its packages' scans, never a whole shard's.
                let mut scans: Option<orderhealth_core::rows::ScanMap> = None;
                let wanted = wanted.get(i).context("a shard out of range")?;
                for d in &dirs {
                    add_scans_from(&mut scans, &d.join("scans.parquet"), Some(wanted))?;
                }
                let catalog = match with_catalog.then(|| read_parquet_all(&dirs, "catalog.parquet")).transpose()? {
                    Some(Some(df)) => state::read_catalog(&df)?,
                    _ => FxHashMap::default(),
                };
                Ok(BookShard::from_parts(Default::default(), scans, catalog, Names::default()))
            })
            .collect::<Result<_>>()?;
        read.par_iter_mut().for_each(|s| to_rank.shard(s));
        lookups = Some(match lookups {
            None => read,
            Some(before) => merge_shards(before, read),
        });
    }
    Ok(match lookups {
        None => orders,
        Some(lookups) => merge_shards(orders, lookups),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest(state: &[(&str, bool)], older: &[(&str, bool)]) -> Manifest {
        let stored = |l: &[(&str, bool)]| -> Vec<StoredState> {
            l.iter().map(|(d, n)| StoredState { dir: d.to_string(), orders: 1, new_scans_only: *n }).collect()
        };
        Manifest {
            format: STORE_FORMAT.into(),
            version: STORE_VERSION,
            settings: StoreSettings::of(&ReadOptions::default(), Marketplace::from_code("US").unwrap()),
            batches: Vec::new(),
            state: stored(state),
            older: stored(older),
            files: Vec::new(),
            skipped: Vec::new(),
            seen: BTreeMap::new(),
            partitions: DEFAULT_PARTITIONS,
            checksum: String::new(),
        }
    }

    /// Files ingested in path order keep their numbers (nothing to renumber); one ingested
    /// after a file whose path sorts later moves it, and the states move with it.
    #[test]
    fn states_are_renumbered_only_when_a_file_s_rank_is_not_its_id() {
        let in_order = ranks(vec![("n1/a.txt", 0), ("n1/b.txt", 1), ("n2/a.txt", 2)]).unwrap();
        assert!(in_order.same);
        let later_but_earlier = ranks(vec![("n2/a.txt", 0), ("n3/a.txt", 1), ("n1/a.txt", 2)]).unwrap();
        assert!(!later_but_earlier.same);
        assert_eq!([0, 1, 2].map(|id| later_but_earlier.of(id)), [1, 2, 0]);
        // A shard's snapshot keys follow the numbering (its file in the low 22 bits), or stay.
        let shard = || {
            use orderhealth_core::book::{OrderTable, SnapshotKey};
            let key = SnapshotKey::new(Some(1_000_000), 2);
            let state = OrderState { sales_channel: Some((key, "Amazon.com".into())), ..Default::default() };
            BookShard::from_parts(OrderTable::from_states(vec![state]), None, Default::default(), Names::default())
        };
        let file_of =
            |s: &BookShard| s.orders().iter().next()?.sales_channel.as_ref().map(|(k, _)| k.to_bits() & 0x3f_ffff);
        let (mut moved, mut kept) = (shard(), shard());
        later_but_earlier.shard(&mut moved);
        in_order.shard(&mut kept);
        assert_eq!((file_of(&moved), file_of(&kept)), (Some(0), Some(2)));
    }

    #[test]
    fn a_base_s_scans_are_down_to_the_first_segment_written_with_every_scan() {
        let dir = Path::new("s");
        // A layer's flag is not the base's: only the base and the older segments count.
        let m = manifest(&[("b9", true), ("b10", false)], &[("b6", true), ("b3", false), ("b1", false)]);
        let chain = m.chain(dir);
        assert_eq!(chain.segments.len(), 4);
        assert_eq!(chain.scans, 3, "b9 and b6 keep what was added, b3 every scan");
        // A version-6 store: every base kept every scan.
        assert_eq!(manifest(&[("b9", false)], &[("b6", false)]).chain(dir).scans, 1);
        assert_eq!(manifest(&[("b1", false)], &[]).chain(dir).scans, 1);
        assert_eq!(manifest(&[], &[]).chain(dir).scans, 0, "no base yet");
    }

    /// The files an ingest reads: the first of each content the store does not hold, and any
    /// whose content is not known yet; the plan made once every content is known tells a copy.
    #[test]
    fn an_ingest_reads_the_first_of_each_new_content_and_whatever_it_cannot_tell_yet() {
        let files: Vec<InputFile> =
            ["a", "b", "c", "d"].iter().map(|p| InputFile { path: PathBuf::from(p), named: false, bytes: 1 }).collect();
        let stored: FxHashMap<String, String> = [("s".to_string(), "old/s.txt".to_string())].into_iter().collect();
        let some = |c: &str| Some(c.to_string());
        // b is a copy of a stored file, d of c; a is not known yet.
        let plan = Plan::of(&files, &[None, some("s"), some("x"), some("x")], &stored);
        assert_eq!(plan.read, [0, 2]);
        assert_eq!(plan.already, [(1, "old/s.txt".to_string()), (3, "c".to_string())]);
        // a proves to be new: the same files are read.
        assert_eq!(Plan::of(&files, &[some("y"), some("s"), some("x"), some("x")], &stored).read, plan.read);
        // a proves to hold c's content, and comes first: c is the copy, a is read instead.
        let known = Plan::of(&files, &[some("x"), some("s"), some("x"), some("x")], &stored);
        assert_eq!(known.read, [0]);
        assert_eq!(known.already, [(1, "old/s.txt".to_string()), (2, "a".to_string()), (3, "a".to_string())]);
    }

    /// A store names its inputs' contents with XXH3-128; one whose contents are BLAKE3 (as
    /// written before) keeps naming them so, and knows its files again under another name.
    #[test]
    fn a_store_knows_its_files_again_by_the_content_hash_it_began_with() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let sample =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/metrics/cancel/2026-03-17-all-orders.txt");
        for (night, name) in [("night1", "all-orders.txt"), ("night2", "renamed.txt")] {
            std::fs::create_dir_all(dir.join(night)).unwrap();
            std::fs::copy(&sample, dir.join(night).join(name)).unwrap();
        }
        let read = ReadOptions::default();
        let settings = StoreSettings::of(&read, Marketplace::from_code("US").unwrap());
        let store = dir.join("store");
        let run = |night: &str| {
            ingest(&store, &[dir.join(night)], &read, &settings, None, false, &|| {}, &crate::run::Quiet).unwrap()
        };
        assert_eq!(run("night1").ingested.len(), 1);
        let mut m = read_manifest(&store).unwrap().unwrap();
        assert_eq!(m.files[0].content.len(), 32, "XXH3-128, hex");
        // The store as one written with BLAKE3 contents left it.
        let blake3 = blake3::hash(&std::fs::read(&sample).unwrap()).to_hex().to_string();
        m.files.iter_mut().for_each(|f| f.content = blake3.clone());
        m.seen.values_mut().for_each(|s| s.content = blake3.clone());
        let json = integrity::sealed_json(&mut m, "checksum", |m| &mut m.checksum).unwrap();
        std::fs::write(store.join(MANIFEST), json).unwrap();
        // The copy under another name is hashed (its path is new), as BLAKE3: known.
        let again = run("night2");
        assert!(again.ingested.is_empty(), "{again:?}");
        assert_eq!(again.already.len(), 1, "{again:?}");
        let m = read_manifest(&store).unwrap().unwrap();
        assert!(m.seen.values().all(|s| s.content == blake3), "{:?}", m.seen);
        assert_eq!(m.files.len(), 1);
    }

    /// The nightly job in one command: its report takes the manifest its ingest committed
    /// only when the store's text is that very text, and gets what a parse of it gives.
    #[test]
    fn a_kept_manifest_stands_only_for_the_text_it_was_committed_as() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        let mut m = manifest(&[("b000002", false), ("b000003", false)], &[("b000001", false)]);
        m.seen.insert("night/all-orders.txt".into(), Seen { size: 10, modified: 20, content: "c0ffee".into() });
        let text = integrity::sealed_json(&mut m, "checksum", |m| &mut m.checksum).unwrap();
        std::fs::write(dir.join(MANIFEST), &text).unwrap();
        // Another text (another ingest came between): never the kept manifest, and it is gone.
        keep_manifest(dir, &text, &m);
        assert!(take_kept_manifest(dir, b"{}").is_none());
        assert!(take_kept_manifest(dir, &text).is_none(), "taken by the first read either way");
        // Another store with the same text: not this one's.
        let other = tempfile::tempdir().unwrap();
        keep_manifest(other.path(), &text, &m);
        assert!(take_kept_manifest(dir, &text).is_none());
        // The same text: what a parse gives (tests in this process may keep theirs meanwhile;
        // the answer is the same either way).
        keep_manifest(dir, &text, &m);
        let kept = read_manifest(dir).unwrap().unwrap();
        let parsed = read_manifest(dir).unwrap().unwrap();
        assert_eq!(serde_json::to_value(&kept).unwrap(), serde_json::to_value(&parsed).unwrap());
        assert_eq!(parsed.checksum, m.checksum);
        assert_eq!(parsed.state.len(), 2);
    }
}
