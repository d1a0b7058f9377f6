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
        std::fs::create_dir_all(parent)
            .with_context(|| format!("{}: cannot create output directory", parent.display()))?;
        recover(parent, name, &target)?;
        let staging = parent.join(format!(".{name}{STAGING_MARK}{}", std::process::id()));
        if staging.exists() {
            std::fs::remove_dir_all(&staging).with_context(|| format!("{}: cannot remove", staging.display()))?;
        }
        std::fs::create_dir(&staging)
            .with_context(|| format!("{}: cannot create a staging directory beside --out", staging.display()))?;
        Ok(OutputSet { target, staging, format, written: Mutex::default(), tables: Mutex::default() })
    }

    /// Writes one file of the set through `write`.
    pub fn write_file(&self, name: &str, write: impl FnOnce(&mut BufWriter<File>) -> Result<()>) -> Result<()> {
        let path = self.staging.join(name);
        let result: Result<()> = (|| {
            let file = File::create(&path).with_context(|| format!("{}: cannot create", path.display()))?;
            let mut out = BufWriter::with_capacity(1 << 20, file);
            write(&mut out)?;
            out.flush()?;
            out.get_ref().sync_all()?;
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
    pub fn commit(self) -> Result<Vec<PathBuf>> {
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

/// Makes a directory's entries durable (best effort: not every file system allows it).
pub(crate) fn sync_dir(dir: Option<&Path>) {
    if let Some(d) = dir {
        if let Ok(f) = File::open(d) {
            let _ = f.sync_all();
        }
    }
}

fn write_frame(out: &mut BufWriter<File>, df: &DataFrame, format: Format) -> PolarsResult<()> {
    match format {
        Format::Parquet => {
            ParquetWriter::new(out).finish(&mut df.clone())?;
        }
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
