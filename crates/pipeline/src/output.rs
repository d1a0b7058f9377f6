//! Writing a run's outputs (SPEC §1.5, §4, §5.6) so that `--out` changes as a whole.
//!
//! Every file of a run is written into a staging directory beside `--out`
//! (`.<name>.orderhealth-new-<pid>`), synced, and then swapped with `--out` in one
//! `renameat2(RENAME_EXCHANGE)`: at every instant `--out` is either the complete previous
//! set or the complete new one. Files of `--out` that are not this run's outputs (a user's
//! notes, another job's tables) are hard-linked into the staging directory first, so they
//! survive the swap; a table of another format than this run's is left behind, so `--out`
//! never holds two versions of one table. A killed run leaves only its staging directory,
//! which the next run beside it removes (see `recover`).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::{bail, Context, Result};
use orderhealth_core::timestamp::{date_of, format_instant};
use orderhealth_core::Rejected;
use polars::prelude::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    #[default]
    Parquet,
    Csv,
    Json,
}

impl Format {
    pub const ALL: [Format; 3] = [Format::Parquet, Format::Csv, Format::Json];

    pub fn extension(self) -> &'static str {
        match self {
            Format::Parquet => "parquet",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "parquet" => Ok(Format::Parquet),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            _ => Err(format!("unknown format {s:?}: expected parquet, csv or json")),
        }
    }
}

use orderhealth_core::inputs::STAGING_MARK;

/// Whether a directory name is one of our staging directories (never an input).
fn is_staging_dir(name: &str) -> bool {
    name.starts_with('.') && name.contains(STAGING_MARK)
}

/// A run's outputs being written: files go to the staging directory until [`commit`].
///
/// [`commit`]: OutputSet::commit
#[derive(Debug)]
pub struct OutputSet {
    target: PathBuf,
    staging: PathBuf,
    format: Format,
    /// File names written so far (tables may be written from several threads).
    written: Mutex<Vec<String>>,
    /// Table names written (each replaces its files of every format).
    tables: Mutex<Vec<String>>,
    /// Each file synced as soon as it is written, on threads of their own, waited for by
    /// the commit (a table's `fsync` held a thread of the pool for up to 4 ms).
    syncing: Syncing,
}

impl OutputSet {
    /// Starts a run's outputs for `out`: removes what killed runs left beside it and makes a
    /// fresh staging directory.
    pub fn begin(out: &Path, format: Format) -> Result<OutputSet> {
        // A link to a directory: the reports go to (and are swapped at) the directory it names,
        // so the link itself stays.
        let resolved = if out.is_symlink() { out.canonicalize() } else { std::path::absolute(out) };
        let target = resolved.with_context(|| format!("{}: bad output directory", out.display()))?;
        let (Some(parent), Some(name)) = (target.parent(), target.file_name().and_then(|n| n.to_str())) else {
            bail!("{}: cannot write reports here (choose a directory with a name)", out.display());
        };
        if target.exists() && !target.is_dir() {
            bail!("{}: --out exists and is not a directory", out.display());
        }
        if let Some(file) = file_above(&target) {
            // create_dir_all would say only "File exists" (EEXIST), naming no file.
            bail!(
                "{}: --out lies under {}, which is a file, not a directory: choose --out elsewhere",
                out.display(),
                file.display()
            );
        }
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create output directory", parent.display()))?;
        recover(parent, name, &target)?;
        let staging = parent.join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).with_context(|| format!("{}: cannot remove", staging.display()))?;
        }
        std::fs::create_dir(&staging)
            .with_context(|| format!("{}: cannot create a staging directory beside --out", staging.display()))?;
        Ok(OutputSet {
            target,
            staging,
            format,
            written: Mutex::default(),
            tables: Mutex::default(),
            // A dozen files, a few written at once.
            syncing: Syncing::start(4),
        })
    }

    /// Writes one file of the set through `write`.
    pub fn write_file(&self, name: &str, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
        let path = self.staging.join(name);
        let result: Result<()> = (|| {
            let file = File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            write(&mut out)?;
            let file = out.into_inner().map_err(|e| e.into_error())?;
            self.syncing.later(&path, file);
            Ok(())
        })();
        result.with_context(|| format!("writing {}", self.target.join(name).display()))?;
        self.written.lock().expect("output list").push(name.to_string());
        Ok(())
    }

    /// Writes one table as `<table>.<ext>` in the run's format.
    pub fn write_table(&self, table: &str, df: &DataFrame) -> Result<()> {
        let format = self.format;
        self.write_file(&format!("{table}.{}", format.extension()), |out| {
            write_frame(out, df, format)?;
            Ok(())
        })?;
        self.tables.lock().expect("output list").push(table.to_string());
        Ok(())
    }

    /// The paths the files will have once committed.
    pub fn final_paths(&self) -> Vec<PathBuf> {
        let mut names = self.written.lock().expect("output list").clone();
        names.sort();
        names.iter().map(|n| self.target.join(n)).collect()
    }

    /// The directory the set is committed to.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Whether `name` in `--out` belongs to the previous set this run replaces: one of this
    /// run's files, or a table it writes in another format.
    fn replaces(&self, name: &str) -> bool {
        self.written.lock().expect("output list").iter().any(|w| w == name)
            || self.tables.lock().expect("output list").iter().any(|t| Format::ALL.iter().any(|f| name == format!("{t}.{}", f.extension())))
            // Temporary files of versions that wrote in place.
            || (name.starts_with('.') && name.ends_with(".tmp"))
    }

    /// Puts the new set in place as a whole; returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        self.syncing.finish().with_context(|| format!("{}: reports not written", self.target.display()))?;
        let paths = self.final_paths();
        if !self.target.exists() {
            std::fs::rename(&self.staging, &self.target)
                .with_context(|| format!("{}: cannot move the new reports into place", self.target.display()))?;
            sync_dir(self.target.parent());
            return Ok(paths);
        }
        // Keep what is not ours: files hard-linked (copied where links are not possible),
        // directories moved over after the swap.
        let mut foreign_dirs = Vec::new();
        for entry in
            std::fs::read_dir(&self.target).with_context(|| format!("{}: cannot list", self.target.display()))?
        {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name_str) = name.to_str() else { continue };
            if self.replaces(name_str) {
                continue;
            }
            let (from, to) = (entry.path(), self.staging.join(&name));
            let ty = entry.file_type()?;
            if ty.is_dir() {
                foreign_dirs.push(name);
            } else if ty.is_symlink() {
                std::os::unix::fs::symlink(std::fs::read_link(&from)?, &to)?;
            } else if std::fs::hard_link(&from, &to).is_err() {
                std::fs::copy(&from, &to).with_context(|| format!("{}: cannot keep", from.display()))?;
            }
        }
        sync_dir(Some(&self.staging));
        rustix::fs::renameat_with(
            rustix::fs::CWD,
            &self.staging,
            rustix::fs::CWD,
            &self.target,
            rustix::fs::RenameFlags::EXCHANGE,
        )
        .with_context(|| format!("{}: cannot swap the new reports into place", self.target.display()))?;
        sync_dir(self.target.parent());
        // The previous set is now at the staging path.
        for name in foreign_dirs {
            std::fs::rename(self.staging.join(&name), self.target.join(&name))
                .with_context(|| format!("{}: cannot keep", self.target.join(&name).display()))?;
        }
        std::fs::remove_dir_all(&self.staging)
            .with_context(|| format!("{}: cannot remove the previous reports", self.staging.display()))?;
        Ok(paths)
    }
}

impl Drop for OutputSet {
    fn drop(&mut self) {
        // A run that failed before committing leaves `--out` as it was.
        if self.staging.exists() && self.staging.file_name().is_some_and(|n| is_staging_dir(&n.to_string_lossy())) {
            let _ = std::fs::remove_dir_all(&self.staging);
        }
    }
}

/// Removes the staging directories that killed runs left beside `target` (their process
/// is gone). One that was already swapped holds the previous set and, possibly, a user's
/// directory not yet moved back: such directories are moved into `target` first.
fn recover(parent: &Path, name: &str, target: &Path) -> Result<()> {
    let prefix = format!(".{name}{STAGING_MARK}");
    let Ok(entries) = std::fs::read_dir(parent) else { return Ok(()) };
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(pid) = file_name.to_str().and_then(|n| n.strip_prefix(&prefix)) else { continue };
        let alive =
            pid.parse::<u32>().is_ok_and(|p| p != std::process::id() && Path::new(&format!("/proc/{p}")).exists());
        if alive {
            continue;
        }
        let leftover = entry.path();
        if let Ok(inner) = std::fs::read_dir(&leftover) {
            for e in inner.flatten() {
                let keep = target.join(e.file_name());
                if e.file_type().is_ok_and(|t| t.is_dir()) && !keep.exists() && target.is_dir() {
                    let _ = std::fs::rename(e.path(), keep);
                }
            }
        }
        std::fs::remove_dir_all(&leftover)
            .with_context(|| format!("{}: cannot remove what an interrupted run left", leftover.display()))?;
    }
    Ok(())
}

/// The file `path` lies under, when its nearest existing ancestor (itself left out) is not a
/// directory: nothing below it can be made, and the file system's error ("File exists", "Not
/// a directory") would not name it.
pub(crate) fn file_above(path: &Path) -> Option<&Path> {
    path.ancestors().skip(1).find(|a| a.exists()).filter(|a| !a.is_dir())
}

/// Writes `bytes` to `path` as a whole: to `tmp` beside it, synced, renamed over `path`, and
/// the directory synced. A failure removes `tmp`; a kill leaves at most `tmp`.
pub(crate) fn write_whole(path: &Path, tmp: &Path, bytes: &[u8]) -> Result<()> {
    let result = (|| -> Result<()> {
        let mut f = File::create(tmp).with_context(|| format!("{}: cannot create", tmp.display()))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(tmp, path).with_context(|| format!("{}: cannot write", path.display()))?;
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    sync_dir(path.parent());
    result
}

/// Files synced on threads of their own while the caller writes the rest: an `fsync` mostly
/// waits on the disk, and a thread of the pool waiting there leaves its core idle (a
/// report's tables and a store's state are written on every core, then synced before the
/// rename that makes them visible). [`Syncing::finish`] waits for every file handed over.
pub(crate) struct Syncing {
    to_sync: Option<std::sync::mpsc::Sender<(PathBuf, File)>>,
    workers: Vec<std::thread::JoinHandle<Result<Vec<PathBuf>>>>,
    /// Files synced by the caller's thread (no syncing thread could be started), and the
    /// first error there.
    inline: Mutex<(Vec<PathBuf>, Option<anyhow::Error>)>,
}

impl Syncing {
    /// Starts `threads` syncing threads.
    pub(crate) fn start(threads: usize) -> Syncing {
        let (to_sync, jobs) = std::sync::mpsc::channel::<(PathBuf, File)>();
        let jobs = std::sync::Arc::new(Mutex::new(jobs));
        let workers: Vec<_> = (0..threads)
            .filter_map(|_| {
                let jobs = jobs.clone();
                std::thread::Builder::new()
                    .name("orderhealth-sync".into())
                    .spawn(move || -> Result<Vec<PathBuf>> {
                        let mut synced = Vec::new();
                        loop {
                            let job = match jobs.lock() {
                                Ok(jobs) => jobs.recv(),
                                Err(_) => bail!("syncing stopped"),
                            };
                            // Every sender gone: all handed over are synced.
                            let Ok((path, file)) = job else { return Ok(synced) };
                            file.sync_all().with_context(|| format!("{}: cannot sync", path.display()))?;
                            synced.push(path);
                        }
                    })
                    .ok()
            })
            .collect();
        let to_sync = (!workers.is_empty()).then_some(to_sync);
        Syncing { to_sync, workers, inline: Mutex::default() }
    }

    /// Syncs `file` (written in full, at `path`) beside the caller's work.
    pub(crate) fn later(&self, path: &Path, file: File) {
        let (path, file) = match &self.to_sync {
            Some(to_sync) => match to_sync.send((path.to_path_buf(), file)) {
                Ok(()) => return,
                // Every syncing thread stopped (on an error, kept for `finish`): synced here.
                Err(std::sync::mpsc::SendError(job)) => job,
            },
            None => (path.to_path_buf(), file),
        };
        let synced = file.sync_all().with_context(|| format!("{}: cannot sync", path.display()));
        if let Ok(mut inline) = self.inline.lock() {
            match synced {
                Ok(()) => inline.0.push(path),
                Err(e) => inline.1 = inline.1.take().or(Some(e)),
            }
        }
    }

    /// Waits for every file handed over to reach the disk: the paths synced, or the first
    /// error (naming the file).
    pub(crate) fn finish(&mut self) -> Result<rustc_hash::FxHashSet<PathBuf>> {
        self.to_sync = None;
        let mut synced = rustc_hash::FxHashSet::default();
        let mut failed = None;
        for worker in self.workers.drain(..) {
            match worker.join() {
                Ok(Ok(paths)) => synced.extend(paths),
                Ok(Err(e)) => failed = failed.or(Some(e)),
                Err(_) => failed = failed.or(Some(anyhow::anyhow!("syncing stopped"))),
            }
        }
        if let Ok(mut inline) = self.inline.lock() {
            synced.extend(inline.0.drain(..));
            failed = failed.or(inline.1.take());
        }
        failed.map_or(Ok(synced), Err)
    }
}

impl std::fmt::Debug for Syncing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Syncing").field("threads", &self.workers.len()).finish()
    }
}

/// Makes a directory's entries durable (best effort: not every file system allows it).
pub(crate) fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir {
        if let Ok(f) = File::open(d) {
            let _ = f.sync_all();
        }
    }
}

fn write_frame(out: &mut BufWriter<File>, df: &DataFrame, format: Format) -> Result<()> {
    match format {
        Format::Parquet => crate::parquet::write_table(out, &mut df.clone(), 512 * 512, crate::parquet::Kind::Report)?,
        Format::Csv => CsvWriter::new(out).include_header(true).finish(&mut text_ready(df)?)?,
        Format::Json => JsonWriter::new(out).with_json_format(JsonFormat::Json).finish(&mut text_ready(df)?)?,
    }
    Ok(())
}

/// CSV and JSON show timestamps as `YYYY-MM-DDTHH:MM:SSZ` (whole seconds) and dates as
/// `YYYY-MM-DD` (§5.6); they are formatted here so both formats agree to the byte.
fn text_ready(df: &DataFrame) -> PolarsResult<DataFrame> {
    let mut columns = Vec::with_capacity(df.width());
    for c in df.columns() {
        let text: Option<Vec<Option<String>>> = match c.dtype() {
            DataType::Datetime(_, _) => {
                Some(c.cast(&DataType::Int64)?.i64()?.iter().map(|v| v.map(format_instant)).collect())
            }
            DataType::Date => {
                Some(c.cast(&DataType::Int32)?.i32()?.iter().map(|v| v.map(|d| date_of(d).to_string())).collect())
            }
            _ => None,
        };
        columns.push(match text {
            Some(values) => Column::new(c.name().clone(), values),
            None => c.clone(),
        });
    }
    DataFrame::new(df.height(), columns)
}

/// `rejected.tsv`: file, line, kind, reason; written on every run, header alone when clean.
pub fn write_rejected(set: &OutputSet, rejected: &[Rejected]) -> Result<()> {
    set.write_file("rejected.tsv", |out| {
        writeln!(out, "file\tline\tkind\treason")?;
        for r in rejected {
            writeln!(out, "{}\t{}\t{}\t{}", r.file, r.line, r.kind, r.reason)?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file handed over is synced by the time `finish` returns, on syncing threads or,
    /// with none, on the caller's.
    #[test]
    fn every_file_handed_to_syncing_is_synced_when_it_finishes() {
        let dir = tempfile::tempdir().unwrap();
        for threads in [3, 0] {
            let mut syncing = Syncing::start(threads);
            let mut handed = rustc_hash::FxHashSet::default();
            for i in 0..10 {
                let path = dir.path().join(format!("{threads}-{i}.txt"));
                let mut file = File::create(&path).unwrap();
                file.write_all(b"synced").unwrap();
                syncing.later(&path, file);
                handed.insert(path);
            }
            assert_eq!(syncing.finish().unwrap(), handed, "{threads} threads");
            assert!(syncing.finish().unwrap().is_empty(), "a second finish has nothing left");
        }
    }
}
