//! From command-line paths to a folded [`Book`]: finding files, reading them in parallel,
//! and keeping the account of every row (SPEC §1.5, §5.1).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::book::{Book, BookShard};
use crate::error::InputError;
use crate::kind::FileKind;
use crate::read::{read_file, FileOutcome, ReadOptions};
use crate::rows::{FileData, Rejected};
use crate::shard::SHARDS;
use crate::source::{Compression, TextEncoding};
use crate::timestamp::Micros;

/// A file to read: its path as given or found, and whether it was named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputFile {
    pub path: PathBuf,
    pub named: bool,
    /// Its size when it was found (0 when it could not be read then): the progress bar's
    /// total and the order files are read in, without asking the file system again.
    pub bytes: u64,
}

/// One file's account: what it was and what became of its rows (`rows read = rows used +
/// rows rejected`, §1.5). The reader makes it, the store's manifest keeps it, and
/// `summary.json` lists it, as written here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FileSummary {
    pub path: String,
    pub kind: FileKind,
    pub compression: Compression,
    pub encoding: TextEncoding,
    pub rows_read: u64,
    pub rows_rejected: u64,
    pub unknown_columns: Vec<String>,
    /// Header lines repeated inside the file (dumps appended together), skipped.
    pub repeated_headers: u64,
    /// Rows read though they lacked trailing columns never parsed (§5.1 "Short rows").
    #[serde(default)]
    pub short_rows: u64,
    /// A doubt about how the file was decoded, for the user.
    #[serde(default)]
    pub encoding_hint: Option<String>,
}

impl FileSummary {
    pub fn rows_used(&self) -> u64 {
        self.rows_read - self.rows_rejected
    }
}

/// Written with `rows_used` beside the counts it is the difference of, in the order of
/// `summary.json` (§5.6); a hint only when there is one.
impl Serialize for FileSummary {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Shown<'a> {
            path: &'a str,
            kind: FileKind,
            compression: Compression,
            encoding: TextEncoding,
            rows_read: u64,
            rows_used: u64,
            rows_rejected: u64,
            unknown_columns: &'a [String],
            repeated_headers: u64,
            short_rows: u64,
            #[serde(skip_serializing_if = "Option::is_none")]
            encoding_hint: Option<&'a str>,
        }
        Shown {
            path: &self.path,
            kind: self.kind,
            compression: self.compression,
            encoding: self.encoding,
            rows_read: self.rows_read,
            rows_used: self.rows_used(),
            rows_rejected: self.rows_rejected,
            unknown_columns: &self.unknown_columns,
            repeated_headers: self.repeated_headers,
            short_rows: self.short_rows,
            encoding_hint: self.encoding_hint.as_deref(),
        }
        .serialize(s)
    }
}

/// A file passed over: not an input orderhealth reads (or not reachable), and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Skipped {
    pub path: String,
    pub reason: String,
}

/// All inputs read and folded.
#[derive(Debug)]
pub struct Loaded {
    pub book: Book,
    pub files: Vec<FileSummary>,
    pub rejected: Vec<Rejected>,
    pub skipped: Vec<Skipped>,
    /// Amazon's seller performance reports among the inputs (§1.7), by path.
    pub performance_reports: Vec<crate::amazon::PerformanceReport>,
    /// Where loading spent its threads' time (`--timings`).
    pub spent: LoadTimes,
}

/// Thread-seconds spent reading files and folding their rows into the book: the two run
/// interleaved on every thread, so only their sums over threads tell them apart.
#[derive(Debug, Default, Clone, Copy)]
pub struct LoadTimes {
    pub reading: Duration,
    pub absorbing: Duration,
}

/// The marker in the names of the staging directories a run writes beside its output
/// directory; such directories are never inputs.
pub const STAGING_MARK: &str = ".orderhealth-new-";

/// The files behind the arguments, and the entries of directories that were passed over.
#[derive(Debug, Default)]
pub struct InputFiles {
    pub files: Vec<InputFile>,
    /// Dangling links, link loops, unreadable entries, special files.
    pub skipped: Vec<Skipped>,
}

/// Whether every argument is there (a file or a directory), said before a run creates
/// anything: a mistyped path leaves no empty output or store directory behind.
pub fn check_inputs_exist(args: &[PathBuf]) -> Result<(), InputError> {
    match args.iter().find(|arg| std::fs::metadata(arg).is_err()) {
        Some(missing) => Err(InputError::NotFound { path: missing.clone() }),
        None => Ok(()),
    }
}

/// The files behind the arguments: files as named, directories walked recursively (links
/// followed, each directory once: a link back to an ancestor is skipped, not followed
/// forever), the output directory left out; sorted by path (code-point order) and each
/// read once.
#[allow(clippy::indexing_slicing, reason = "the seen map holds positions of files pushed before")]
pub fn collect_inputs(args: &[PathBuf], out_dir: Option<&Path>) -> Result<InputFiles, InputError> {
    let out_dir = out_dir.and_then(|d| d.canonicalize().ok());
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for arg in args {
        let meta = std::fs::metadata(arg).map_err(|_| InputError::NotFound { path: arg.clone() })?;
        if meta.is_dir() {
            walk(arg, out_dir.as_deref(), &mut found, &mut skipped)?;
        } else {
            found.push(InputFile { path: arg.clone(), named: true, bytes: meta.len() });
        }
    }
    found.sort_by(|a, b| a.path.as_os_str().cmp(b.path.as_os_str()).then(b.named.cmp(&a.named)));
    // A file reached twice (named and found in a directory) is read once, at its first path;
    // it counts as named if it was named at all.
    let mut seen: rustc_hash::FxHashMap<PathBuf, usize> = rustc_hash::FxHashMap::default();
    let mut files: Vec<InputFile> = Vec::new();
    for f in found {
        let canon = f.path.canonicalize().unwrap_or_else(|_| f.path.clone());
        match seen.get(&canon) {
            Some(&i) => files[i].named |= f.named,
            None => {
                seen.insert(canon, files.len());
                files.push(f);
            }
        }
    }
    skipped.sort_by(|a: &Skipped, b: &Skipped| a.path.cmp(&b.path));
    Ok(InputFiles { files, skipped })
}

fn walk(
    dir: &Path,
    out_dir: Option<&Path>,
    found: &mut Vec<InputFile>,
    skipped: &mut Vec<Skipped>,
) -> Result<(), InputError> {
    let is_out = |p: &Path| out_dir.is_some_and(|o| p.canonicalize().is_ok_and(|d| d == o));
    // The output may also be one file (the cancellation feed): compared by name first, so
    // only a file of that name costs a canonicalize.
    let out_name = out_dir.and_then(|o| o.file_name());
    let walker = walkdir::WalkDir::new(dir).follow_links(true).sort_by_file_name().into_iter().filter_entry(|e| {
        let staging = e.file_name().to_str().is_some_and(|n| n.starts_with('.') && n.contains(STAGING_MARK));
        if e.file_type().is_dir() {
            !(staging || is_out(e.path()))
        } else {
            !(staging || (Some(e.file_name()) == out_name && is_out(e.path())))
        }
    });
    for entry in walker {
        match entry {
            Ok(e) if e.file_type().is_dir() => {}
            Ok(e) if e.file_type().is_file() => {
                let bytes = e.metadata().map_or(0, |m| m.len());
                found.push(InputFile { path: e.into_path(), named: false, bytes })
            }
            Ok(e) => skipped.push(Skipped {
                path: e.path().display().to_string(),
                reason: "not a regular file (a device, pipe or socket)".into(),
            }),
            Err(e) if e.depth() == 0 => {
                let source = e.into_io_error().unwrap_or_else(|| std::io::Error::other("unreadable"));
                return Err(InputError::Io { path: dir.to_path_buf(), source });
            }
            Err(e) => {
                let path = e.path().map(|p| p.display().to_string()).unwrap_or_default();
                let reason = if let Some(ancestor) = e.loop_ancestor() {
                    format!("a link back to {}, already read (not followed again)", ancestor.display())
                } else if e.io_error().is_some_and(|io| io.kind() == std::io::ErrorKind::NotFound) {
                    "a link to nothing (dangling)".to_string()
                } else {
                    match e.io_error() {
                        Some(io) => format!("cannot be read: {io}"),
                        None => "cannot be read".to_string(),
                    }
                };
                skipped.push(Skipped { path, reason });
            }
        }
    }
    Ok(())
}

/// Why a file found in a directory is skipped, for `skipped_files`.
pub fn skip_reason(unrecognised: &InputError) -> String {
    match unrecognised {
        InputError::Unrecognised { not_input: Some(known), .. } => {
            format!("not a recognised input: {}", known.reason())
        }
        InputError::Unrecognised { looked_like, missing, .. } if !missing.is_empty() => {
            format!("not a recognised input (closest kind {looked_like}, lacks {})", missing.join(", "))
        }
        _ => "not a recognised input".to_string(),
    }
}

/// One file after `load` folded it into the book, or skipped it.
enum Absorbed {
    Read(FileSummary, Vec<Rejected>, Option<crate::amazon::PerformanceReport>),
    Skipped(Skipped),
}

/// `f` of each of `files` (what is read of each), the largest (by `bytes`) first, each handed
/// to the next free thread; the results in the files' order. The run then ends on small files:
/// in the files' order a thread could start a large dump last while the others waited for it
/// (at 4 M orders a night's all-orders dump takes a tenth of a second, and at 16 threads the
/// whole read little more than a second; a nightly ingest of 12 files on 2 threads ended with
/// a core idle).
pub fn largest_first<T: Send, R: Send>(
    files: Vec<T>,
    bytes: impl Fn(&T) -> u64,
    f: impl Fn(T) -> R + Sync + Send,
) -> Vec<R> {
    let mut order: Vec<(usize, T)> = files.into_iter().enumerate().collect();
    order.sort_by_key(|(i, file)| (std::cmp::Reverse(bytes(file)), *i));
    let mut results: Vec<(usize, R)> = order.into_iter().par_bridge().map(|(i, file)| (i, f(file))).collect();
    results.sort_unstable_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Folds one file's rows into the book's shards, each part into its shard, taking the shards
/// no other file holds first (files are read and absorbed in parallel).
#[allow(clippy::indexing_slicing, reason = "part i of split(SHARDS) goes to shard i of SHARDS")]
pub fn absorb_file(shards: &[Mutex<BookShard>], rank: u32, data: FileData, newest_observation: Option<Micros>) {
    assert_eq!(shards.len(), SHARDS, "one shard per shard number");
    let mut parts: Vec<(usize, FileData)> = data.split(SHARDS).into_iter().enumerate().collect();
    parts.rotate_left(rank as usize % SHARDS);
    let mut newest = newest_observation;
    let mut waiting = Vec::new();
    for (i, part) in parts {
        match shards[i].try_lock() {
            Ok(mut shard) => shard.absorb(rank, part, newest.take()),
            Err(_) => waiting.push((i, part)),
        }
    }
    for (i, part) in waiting {
        shards[i].lock().expect("shard lock").absorb(rank, part, newest.take());
    }
}

/// Reads every file (in parallel) and folds it into one book. The first error in input
/// order stops the run; unrecognised files found in directories are skipped.
pub fn load(inputs: &InputFiles, opts: &ReadOptions, on_bytes: &(dyn Fn(u64) + Sync)) -> Result<Loaded, InputError> {
    let files = &inputs.files;
    let shards: Vec<Mutex<BookShard>> = (0..SHARDS).map(|_| Mutex::new(BookShard::default())).collect();
    let absorbing_ns = AtomicU64::new(0);
    let reading_ns = AtomicU64::new(0);
    let add = |counter: &AtomicU64, spent: Duration| {
        counter.fetch_add(u64::try_from(spent.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
    };
    let read_and_absorb = |rank: usize, file: &InputFile| -> Result<Absorbed, InputError> {
        // Rows a format hands over early are folded in at once (a big SP-API export).
        let started = Instant::now();
        let mut absorbed_early = Duration::ZERO;
        let mut fold = |part| {
            let start = Instant::now();
            absorb_file(&shards, rank as u32, part, None);
            absorbed_early += start.elapsed();
        };
        let read = read_file(&file.path, opts, on_bytes, &mut fold);
        add(&reading_ns, started.elapsed().saturating_sub(absorbed_early));
        add(&absorbing_ns, absorbed_early);
        let read = match read? {
            FileOutcome::Read(read) => read,
            FileOutcome::Unrecognised(unrecognised) if file.named => return Err(unrecognised),
            FileOutcome::Unrecognised(unrecognised) => {
                let reason = skip_reason(&unrecognised);
                return Ok(Absorbed::Skipped(Skipped { path: file.path.display().to_string(), reason }));
            }
        };
        // Each shard under its own lock. Start at a shard that depends on the file and
        // skip shards another thread holds, coming back to them last, so two threads
        // do not queue behind each other shard after shard.
        let start = Instant::now();
        absorb_file(&shards, rank as u32, read.data, read.newest_observation);
        add(&absorbing_ns, start.elapsed());
        Ok(Absorbed::Read(read.account, read.rejected, read.reference))
    };
    // Folding does not depend on the order files arrive in (`book.rs`).
    let outcomes =
        largest_first(files.iter().enumerate().collect(), |(_, f)| f.bytes, |(rank, file)| read_and_absorb(rank, file));
    let mut loaded = Loaded {
        book: Book::default(),
        files: Vec::new(),
        rejected: Vec::new(),
        skipped: inputs.skipped.clone(),
        performance_reports: Vec::new(),
        spent: LoadTimes {
            reading: Duration::from_nanos(reading_ns.load(Ordering::Relaxed)),
            absorbing: Duration::from_nanos(absorbing_ns.load(Ordering::Relaxed)),
        },
    };
    for outcome in outcomes {
        match outcome? {
            Absorbed::Read(summary, rejected, reference) => {
                loaded.files.push(summary);
                loaded.rejected.extend(rejected);
                loaded.performance_reports.extend(reference);
            }
            Absorbed::Skipped(skipped) => loaded.skipped.push(skipped),
        }
    }
    loaded.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    loaded.book = Book::from_shards(shards.into_iter().map(|s| s.into_inner().expect("shard lock")).collect());
    Ok(loaded)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Files are started largest first (one thread: in that order exactly), and what is read of
    /// each comes back in the files' order.
    #[test]
    fn files_start_largest_first_and_come_back_in_their_order() {
        let files = vec![("a", 1u64), ("b", 5), ("c", 3), ("d", 5)];
        let started = Mutex::new(Vec::new());
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
        let read = pool.install(|| {
            largest_first(
                files.clone(),
                |f| f.1,
                |f| {
                    started.lock().unwrap().push(f.0);
                    f.0.to_uppercase()
                },
            )
        });
        assert_eq!(read, ["A", "B", "C", "D"]);
        // Equal sizes in the files' order.
        assert_eq!(started.into_inner().unwrap(), ["b", "d", "c", "a"]);
        // On more threads, the same results.
        assert_eq!(largest_first(files, |f| f.1, |f| f.0.to_uppercase()), ["A", "B", "C", "D"]);
    }
}
