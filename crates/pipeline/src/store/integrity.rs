//! Every file a store reads is checked before a byte of it reaches a decoder (SPEC §4.2: a
//! damaged store is an error, never a different number).
//!
//! Each directory the store writes whole (a state, a batch, a settled directory) is sealed
//! when it is written: `checksums.json` in it lists the checksum of every file below it.
//! A read finds the seal of the file's directory, hashes the bytes it read and compares; a
//! file the seal does not list, or a seal missing or unreadable, is damage too. The manifest
//! and a settled directory's `settled.json` carry their own checksum (of their text with the
//! checksum left empty). A damaged settled directory is not an error: it is rebuilt.
//!
//! The checksum is XXH3-128 (32 hex digits): it is there to catch damage (a flipped bit, a
//! truncated file), not an adversary, and a report hashes every byte it reads (60 MB at a
//! million orders), where BLAKE3 was 6% of its CPU. A checksum of 64 digits is a BLAKE3 one,
//! as stores written before had them: still checked, by BLAKE3, until rewritten.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rustc_hash::{FxHashMap, FxHashSet};

use anyhow::{bail, Context, Result};

/// The seal of a directory written whole.
pub(super) const CHECKSUMS: &str = "checksums.json";

/// How far above a file its seal may be (`state/b…/shard=03/orders.parquet` → `state/b…`).
const SEAL_DEPTH: usize = 2;

/// What to do about a damaged file, for every message.
const REMEDY: &str = "the store is damaged; ingest the dumps into a new store (the settled directory, if that \
                      is what is damaged, is rebuilt by itself)";

/// The checksum of `bytes` as written now (XXH3-128, 32 hex digits).
pub(super) fn hash(bytes: &[u8]) -> String {
    let mut sum = Checksum::new();
    sum.update(bytes);
    sum.hex()
}

/// A checksum being computed: XXH3-128 (32 hex digits) as written now, or BLAKE3 (64 digits)
/// as written before.
enum Checksum {
    Xxh3(Box<xxhash_rust::xxh3::Xxh3>),
    Blake3(Box<blake3::Hasher>),
}

impl Checksum {
    /// The kind written now.
    fn new() -> Checksum {
        Checksum::Xxh3(Box::default())
    }

    /// The kind a store names its inputs' contents by: that of `like`, a content it holds
    /// already, or the kind written now (a store's first file).
    fn named_like(like: Option<&str>) -> Checksum {
        like.map_or_else(Checksum::new, Checksum::like)
    }

    /// The kind `recorded` is of (by its length).
    fn like(recorded: &str) -> Checksum {
        match recorded.len() {
            64 => Checksum::Blake3(Box::default()),
            _ => Checksum::new(),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        match self {
            Checksum::Xxh3(state) => state.update(bytes),
            Checksum::Blake3(state) => drop(state.update(bytes)),
        }
    }

    fn hex(self) -> String {
        match self {
            Checksum::Xxh3(state) => format!("{:032x}", state.digest128()),
            Checksum::Blake3(state) => state.finalize().to_hex().to_string(),
        }
    }
}

/// The checksum of the file at `path` of the kind `like` is of ([`Checksum::like`]: BLAKE3 for
/// 64 digits), or as written now ([`hash`] of its bytes), hashed as it is read through one
/// buffer per thread: a seal or a check keeps no copy of the file, and so asks for no fresh
/// memory (a report checks 30 MB this way, an ingest seals as much). Also an input's content
/// as a store names it: BLAKE3 in a store that began with it, so that a file it holds is
/// known again.
pub(super) fn content_hash(path: &Path, like: Option<&str>) -> std::io::Result<String> {
    let mut sum = Checksum::named_like(like);
    read_through(path, |chunk| sum.update(chunk))?;
    Ok(sum.hex())
}

/// A new input's content hash taken as the file is read for its rows
/// ([`orderhealth_core::source::Tap`]), of the kind `like` names ([`content_hash`]): a
/// night's new files are then read once, not hashed in a pass of their own first.
pub(super) struct ContentTap {
    sum: Checksum,
    bytes: u64,
}

impl ContentTap {
    pub(super) fn new(like: Option<&str>) -> ContentTap {
        ContentTap { sum: Checksum::named_like(like), bytes: 0 }
    }

    pub(super) fn update(&mut self, bytes: &[u8]) {
        self.sum.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// The content hash, when the tap saw `size` bytes, the file's size before it was read
    /// (`None`: a file that changed size meanwhile, or was not seen whole, is hashed again).
    pub(super) fn finish(self, size: u64) -> Option<String> {
        (self.bytes == size).then(|| self.sum.hex())
    }
}

/// Whether the file at `path` has the checksum `recorded` ([`holds`]), read as
/// [`content_hash`] reads it.
fn file_holds(recorded: &str, path: &Path) -> std::io::Result<bool> {
    Ok(content_hash(path, Some(recorded))? == recorded)
}

/// The bytes of the file at `path`, chunk after chunk, through this thread's buffer.
fn read_through(path: &Path, mut each: impl FnMut(&[u8])) -> std::io::Result<()> {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 1 << 18]);
    }
    let mut file = std::fs::File::open(path)?;
    BUFFER.with_borrow_mut(|buffer| loop {
        match std::io::Read::read(&mut file, buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => each(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    })
}

/// Whether `bytes` have the checksum `recorded`: XXH3-128 (32 digits) or, as written before,
/// BLAKE3 (64 digits).
fn holds(recorded: &str, bytes: &[u8]) -> bool {
    let mut sum = Checksum::like(recorded);
    sum.update(bytes);
    sum.hex() == recorded
}

/// A writer that hashes what it passes on ([`hash`]'s checksum): a table written through it is
/// sealed without being read back ([`written`]).
pub(super) struct Hashing<W> {
    inner: W,
    sum: Checksum,
}

impl<W: std::io::Write> Hashing<W> {
    pub(super) fn new(inner: W) -> Hashing<W> {
        Hashing { inner, sum: Checksum::new() }
    }

    /// The writer, and the checksum of every byte written through it.
    pub(super) fn finish(self) -> (W, String) {
        (self.inner, self.sum.hex())
    }
}

impl<W: std::io::Write> std::io::Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.sum.update(buf.get(..n).unwrap_or_default());
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Files written whole with their checksum computed as written, not yet sealed: by path, the
/// checksum and the file's (length, modification time) just after it was written. A seal
/// takes the checksum of a file found as it was then instead of reading it back (a new base
/// and its settled directory are 45 MB at a million orders); a file changed since, by length
/// or time, is hashed from its bytes. Nothing here can make a store return other numbers: a
/// stale record would only make the seal disagree with the file, which a read then reports as
/// damage.
static WRITTEN: std::sync::LazyLock<Mutex<Written>> = std::sync::LazyLock::new(Default::default);

type Written = FxHashMap<PathBuf, (String, (u64, u64))>;

/// (length, modification time in ns) of `meta`.
fn stamp(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    let modified = meta.modified().ok()?.duration_since(std::time::UNIX_EPOCH).ok()?;
    Some((meta.len(), u64::try_from(modified.as_nanos()).ok()?))
}

/// Records that `file`, at `path`, was written whole with the checksum `sum` (of its bytes as
/// written, or as recorded for the file it is a hard link to): its seal need not read it.
pub(super) fn written(path: &Path, file: &std::fs::File, sum: String) {
    let Some(stamp) = file.metadata().ok().as_ref().and_then(stamp) else { return };
    if let Ok(mut written) = WRITTEN.lock() {
        written.insert(path.to_path_buf(), (sum, stamp));
    }
}

/// The checksum [`written`] recorded for `path`, when the file is still as it was then (taken:
/// a path is sealed once).
fn recorded(path: &Path) -> Option<String> {
    let (sum, stamp) = WRITTEN.lock().ok()?.remove(path)?;
    let now = std::fs::metadata(path).ok();
    (now.as_ref().and_then(self::stamp) == Some(stamp)).then_some(sum)
}

/// The checksums the seal of `dir` records, by path below it (`None`: no readable seal).
pub(super) fn sums_in(dir: &Path) -> Option<Arc<Sums>> {
    sums_of(&dir.join(CHECKSUMS)).ok()?
}

/// Seals `dir`: hashes every file below it into `dir/checksums.json` (a file [`written`]
/// recorded, unchanged since, by its recorded checksum). Called last, before the directory is
/// synced and renamed into place.
pub(super) fn seal(dir: &Path) -> Result<()> {
    use rayon::prelude::*;
    let files = files_below(dir)?;
    // Hashed on every thread: a new base and its settled directory are 20-25 MB each at a
    // million orders, a base written whole several times that.
    let sums: BTreeMap<String, String> = files
        .par_iter()
        .map(|path| -> Result<(String, String)> {
            let rel = relative(dir, path)?;
            let sum = match recorded(path) {
                Some(sum) => sum,
                None => content_hash(path, None).with_context(|| format!("{}: cannot read", path.display()))?,
            };
            Ok((rel, sum))
        })
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .collect();
    let path = dir.join(CHECKSUMS);
    // Written again in place (a test, a directory rebuilt under its name): what was parsed
    // of the seal before is not its text any more, whatever its file's identity says.
    forget_seal(&path);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&path)?;
        std::io::Write::write_all(&mut f, &serde_json::to_vec_pretty(&sums)?)?;
        f.sync_all()?;
        std::fs::File::open(dir)?.sync_all()
    };
    write().with_context(|| format!("{}: cannot write", path.display()))
}

/// The seal over `path`: its directory's, or one above it. Where it was found is remembered
/// for the file's directory (a report reads hundreds of files in each state's partitions,
/// whose directories hold no seal: looking there first was 645 failed opens a night).
fn seal_of(path: &Path) -> Result<(PathBuf, Arc<Sums>)> {
    let parent = path.parent();
    let known = parent.and_then(|p| SEAL_ROOTS.lock().ok()?.get(p).cloned());
    if let Some(root) = known {
        if let Some(sums) = sums_of(&root.join(CHECKSUMS))? {
            return Ok((root, sums));
        }
    }
    let mut dir = parent;
    for _ in 0..=SEAL_DEPTH {
        let Some(d) = dir else { break };
        if let Some(sums) = sums_of(&d.join(CHECKSUMS))? {
            if let (Some(p), Ok(mut roots)) = (parent, SEAL_ROOTS.lock()) {
                roots.insert(p.to_path_buf(), d.to_path_buf());
            }
            return Ok((d.to_path_buf(), sums));
        }
        dir = d.parent();
    }
    bail!("{}: no checksums recorded for it: {REMEDY}", path.display())
}

type Sums = BTreeMap<String, String>;

/// Which directory's seal covers the files of a directory, as found before.
static SEAL_ROOTS: std::sync::LazyLock<Mutex<FxHashMap<PathBuf, PathBuf>>> = std::sync::LazyLock::new(Default::default);

/// The seals parsed so far, by path, with the identity of the file each was parsed from: a
/// report reads hundreds of files under a few seals, and read each seal again for every one
/// (about 650 reads of 4 KB a night). A seal whose file is not the one parsed (another inode,
/// length or time: a directory rebuilt under the same name and renamed into place) is read
/// and parsed again; one this process writes again in place is forgotten ([`seal`]). A stale
/// entry could only make a read report damage: every file's bytes are still hashed.
static SEALS: std::sync::LazyLock<Mutex<Seals>> = std::sync::LazyLock::new(Default::default);

type Seals = FxHashMap<PathBuf, (FileIdentity, Arc<Sums>)>;

/// What tells one file from another at a path: device, inode, length, modification and
/// change times (ns).
pub(super) type FileIdentity = (u64, u64, u64, i64, i64, i64, i64);

fn identity(meta: &std::fs::Metadata) -> FileIdentity {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino(), meta.len(), meta.mtime(), meta.mtime_nsec(), meta.ctime(), meta.ctime_nsec())
}

/// The [`FileIdentity`] of the file at `path`; `None` when there is none.
pub(super) fn identity_of(path: &Path) -> Option<FileIdentity> {
    std::fs::metadata(path).ok().map(|meta| identity(&meta))
}

fn forget_seal(seal: &Path) {
    if let Ok(mut seals) = SEALS.lock() {
        seals.remove(seal);
    }
}

/// The checksums the seal at `seal` records; `None` when there is no file there.
fn sums_of(seal: &Path) -> Result<Option<Arc<Sums>>> {
    let cannot = || format!("{}: cannot read", seal.display());
    let meta = match std::fs::metadata(seal) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(cannot),
    };
    let id = identity(&meta);
    let cached = |seals: &Seals| seals.get(seal).filter(|(i, _)| *i == id).map(|(_, sums)| sums.clone());
    if let Some(sums) = SEALS.lock().ok().and_then(|seals| cached(&seals)) {
        return Ok(Some(sums));
    }
    let mut file = match std::fs::File::open(seal) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(cannot),
    };
    // The identity of the file opened, so that the text parsed is the one it names.
    let id = identity(&file.metadata().with_context(cannot)?);
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut file, &mut text).with_context(cannot)?;
    let sums: Arc<Sums> = Arc::new(
        serde_json::from_slice(&text)
            .map_err(|_| anyhow::anyhow!("{}: unreadable checksums: {REMEDY}", seal.display()))?,
    );
    if let Ok(mut seals) = SEALS.lock() {
        seals.insert(seal.to_path_buf(), (id, sums.clone()));
    }
    Ok(Some(sums))
}

/// The bytes of files a check of their directory read whole and found as sealed
/// ([`verify_dir_keeping`]), by path, with the identity of the file read: a read of the same
/// file by [`read_checked`] takes them instead of reading and hashing it again (a report checks
/// the base's settled directory whole, then reads its partitions' tables: 10–13 MB read and
/// hashed twice a night at a million orders). Taken once; bytes whose path now holds another
/// file (another inode, length or time: a directory rebuilt under its name) are not used.
static CHECKED: std::sync::LazyLock<Mutex<Checked>> = std::sync::LazyLock::new(Default::default);

type Checked = FxHashMap<PathBuf, (FileIdentity, Vec<u8>)>;

/// The bytes [`verify_dir_keeping`] kept for `path`, when the file there is still the one read.
fn take_checked(path: &Path) -> Option<Vec<u8>> {
    let (id, bytes) = CHECKED.lock().ok()?.remove(path)?;
    (identity_of(path)? == id).then_some(bytes)
}

/// Drops the bytes kept for files below `dir` (a directory found damaged, or not used).
pub(super) fn forget_checked_under(dir: &Path) {
    if let Ok(mut checked) = CHECKED.lock() {
        checked.retain(|path, _| !path.starts_with(dir));
    }
}

/// The bytes of `path`, checked against its seal; `None` when the file is absent and its seal
/// does not list it either.
pub(super) fn read_checked(path: &Path) -> Result<Option<Vec<u8>>> {
    if let Some(bytes) = take_checked(path) {
        return Ok(Some(bytes));
    }
    let (root, sums) = seal_of(path)?;
    let rel = relative(&root, path)?;
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if sums.contains_key(&rel) {
                bail!("{}: missing: {REMEDY}", path.display());
            }
            return Ok(None);
        }
        Err(e) => return Err(e).with_context(|| format!("{}: cannot read", path.display())),
    };
    let seal = root.join(CHECKSUMS);
    match sums.get(&rel) {
        Some(expected) if holds(expected, &bytes) => Ok(Some(bytes)),
        Some(_) => bail!(
            "{}: damaged: its bytes are not those recorded in {} (one of the two is damaged): {REMEDY}",
            path.display(),
            seal.display()
        ),
        None => bail!("{}: not among the files {} records: {REMEDY}", path.display(), seal.display()),
    }
}

/// Every file of a sealed directory matches its seal, and none is missing or extra. The files
/// are hashed in parallel: a report checks a settled directory of 20–30 MB at a million
/// orders before it uses it.
pub(super) fn verify_dir(dir: &Path) -> Result<()> {
    verify_dir_keeping(dir, &FxHashSet::default(), &|_| false)
}

/// [`verify_dir`], but the files named in `read_checked_later` (as the seal names them) only
/// found listed: their caller reads each whole through [`read_checked`] before it uses any;
/// and the bytes of the files `keep` picks (by their names in the seal) kept for the read of
/// each that follows ([`CHECKED`]).
pub(super) fn verify_dir_keeping(
    dir: &Path,
    read_checked_later: &FxHashSet<String>,
    keep: &(dyn Fn(&str) -> bool + Sync),
) -> Result<()> {
    use rayon::prelude::*;
    let text = std::fs::read(dir.join(CHECKSUMS)).with_context(|| format!("{}: no checksums", dir.display()))?;
    let sums: BTreeMap<String, String> = serde_json::from_slice(&text)?;
    let files = files_below(dir)?;
    // Each file's verdict kept in path order: with several damaged, the first is named, every run.
    let verdicts: Vec<Result<()>> = files
        .par_iter()
        .map(|path| -> Result<()> {
            let rel = relative(dir, path)?;
            let expected = sums.get(&rel).with_context(|| format!("{}: not sealed", path.display()))?;
            if read_checked_later.contains(&rel) {
                return Ok(());
            }
            if !keep(&rel) {
                anyhow::ensure!(file_holds(expected, path)?, "{}: damaged", path.display());
                return Ok(());
            }
            let mut file = std::fs::File::open(path)?;
            // The identity of the file read, so that the bytes kept are those of the file a
            // later read finds there.
            let meta = file.metadata()?;
            let id = identity(&meta);
            // Sized once, as `std::fs::read` sizes it.
            let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0).saturating_add(1));
            std::io::Read::read_to_end(&mut file, &mut bytes)?;
            anyhow::ensure!(holds(expected, &bytes), "{}: damaged", path.display());
            if let Ok(mut checked) = CHECKED.lock() {
                checked.insert(path.clone(), (id, bytes));
            }
            Ok(())
        })
        .collect();
    verdicts.into_iter().collect::<Result<()>>()?;
    anyhow::ensure!(files.len() == sums.len(), "{}: files missing", dir.display());
    Ok(())
}

/// `path` below `root` as a seal names it (`/`-separated).
fn relative(root: &Path, path: &Path) -> Result<String> {
    Ok(path.strip_prefix(root)?.to_string_lossy().replace('\\', "/"))
}

/// The files below `dir` but its seal, by path.
fn files_below(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry?;
        if entry.file_type().is_file() && entry.path() != dir.join(CHECKSUMS) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// `value` as the JSON text written, its checksum field (`field`, written last as `name`) set
/// to the hash of the same text with that field empty.
pub(super) fn sealed_json<T: serde::Serialize>(
    value: &mut T,
    name: &str,
    field: impl Fn(&mut T) -> &mut String,
) -> Result<Vec<u8>> {
    field(value).clear();
    let blank = serde_json::to_vec_pretty(value)?;
    let checksum = hash(&blank);
    // The text with the field filled in is the blank text with the checksum put in its
    // quotes (the field is the last one): the manifest is serialised once, not twice.
    let empty_last = format!("\"{name}\": \"\"\n}}");
    let head = blank.ends_with(empty_last.as_bytes()).then(|| blank.strip_suffix(b"\"\n}")).flatten();
    let json = match head {
        Some(head) => [head, checksum.as_bytes(), b"\"\n}\n"].concat(),
        None => {
            *field(value) = checksum.clone();
            let mut json = serde_json::to_vec_pretty(value)?;
            json.push(b'\n');
            json
        }
    };
    *field(value) = checksum;
    Ok(json)
}

/// Whether `text`, as [`sealed_json`] wrote it, holds its checksum (the field `name`, last):
/// whether the text with the checksum taken out hashes to it; `None` when the text does not
/// end with that field ([`json_holds`] then decides from the value).
pub(super) fn text_holds(text: &[u8], name: &str) -> Option<bool> {
    let body = text.strip_suffix(b"\"\n}\n")?;
    let field = format!("\"{name}\": \"");
    let at = body.windows(field.len()).rposition(|w| w == field.as_bytes())? + field.len();
    let checksum = std::str::from_utf8(body.get(at..)?).ok()?;
    if !checksum.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let blank = [body.get(..at)?, b"\"\n}"].concat();
    Some(holds(checksum, &blank))
}

/// Whether `value`, as read, holds the checksum it was written with (its field is left empty).
pub(super) fn json_holds<T: serde::Serialize>(value: &mut T, field: impl Fn(&mut T) -> &mut String) -> bool {
    let checksum = std::mem::take(field(value));
    let intact = serde_json::to_vec_pretty(value).is_ok_and(|text| holds(&checksum, &text));
    // Kept: the checksum names the state of the store that was read.
    *field(value) = checksum;
    intact
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_hashed_as_written_is_sealed_without_being_read_unless_it_changed_since() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let sums = || -> Sums { serde_json::from_slice(&std::fs::read(dir.path().join(CHECKSUMS)).unwrap()).unwrap() };
        // Written through the hashing writer: its checksum is the bytes'.
        let table = dir.path().join("orders.parquet");
        let mut out = Hashing::new(std::fs::File::create(&table).unwrap());
        out.write_all(b"the rows of a table").unwrap();
        let (file, sum) = out.finish();
        assert_eq!(sum, hash(b"the rows of a table"));
        written(&table, &file, sum.clone());
        // One recorded with another checksum than its bytes': taken as recorded (not read).
        let linked = dir.path().join("settled_ids.g000001.parquet");
        std::fs::write(&linked, b"a list").unwrap();
        written(&linked, &std::fs::File::open(&linked).unwrap(), "recorded".into());
        // One changed after it was recorded: hashed from its bytes.
        let changed = dir.path().join("scans.parquet");
        std::fs::write(&changed, b"scans").unwrap();
        written(&changed, &std::fs::File::open(&changed).unwrap(), hash(b"scans"));
        std::fs::write(&changed, b"other scans").unwrap();
        seal(dir.path()).unwrap();
        let sealed = sums();
        assert_eq!(sealed["orders.parquet"], sum);
        assert_eq!(sealed["settled_ids.g000001.parquet"], "recorded");
        assert_eq!(sealed["scans.parquet"], hash(b"other scans"), "changed since: hashed again");
        // A path is taken once: sealed again, every file is hashed from its bytes.
        seal(dir.path()).unwrap();
        assert_eq!(sums()["settled_ids.g000001.parquet"], hash(b"a list"));
    }

    #[test]
    fn a_directory_checked_whole_names_its_first_damaged_file_and_a_missing_or_extra_one() {
        let dir = tempfile::tempdir().unwrap();
        let files: Vec<PathBuf> =
            (0..12).map(|i| dir.path().join(format!("shard={i:02}")).join("orders.parquet")).collect();
        for (i, file) in files.iter().enumerate() {
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, format!("rows of shard {i}")).unwrap();
        }
        seal(dir.path()).unwrap();
        verify_dir(dir.path()).unwrap();
        // Two damaged: the first by path is named, whichever thread hashed it.
        std::fs::write(&files[9], b"rows of shard 9!").unwrap();
        std::fs::write(&files[4], b"rows of shard 4!").unwrap();
        for _ in 0..5 {
            let err = verify_dir(dir.path()).unwrap_err().to_string();
            assert!(err.contains("shard=04/orders.parquet: damaged"), "{err}");
        }
        std::fs::write(&files[9], b"rows of shard 9").unwrap();
        std::fs::write(&files[4], b"rows of shard 4").unwrap();
        std::fs::remove_file(&files[7]).unwrap();
        assert!(verify_dir(dir.path()).unwrap_err().to_string().contains("files missing"));
        std::fs::write(&files[7], b"rows of shard 7").unwrap();
        std::fs::write(dir.path().join("shard=03").join("extra.parquet"), b"?").unwrap();
        assert!(verify_dir(dir.path()).unwrap_err().to_string().contains("extra.parquet: not sealed"));
    }

    /// A settled directory is checked whole, then its partitions' tables read: the bytes the
    /// check read are what the read gets, once, and only while the file is the one checked.
    #[test]
    fn the_bytes_a_check_kept_are_read_once_and_only_from_the_file_checked() {
        let dir = tempfile::tempdir().unwrap();
        let [a, b, top] = [
            dir.path().join("shard=00/orders.parquet"),
            dir.path().join("shard=01/orders.parquet"),
            dir.path().join("settled.json"),
        ];
        for (path, text) in [(&a, "rows of shard 0"), (&b, "rows of shard 1"), (&top, "{}")] {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        seal(dir.path()).unwrap();
        let kept = |path: &Path| CHECKED.lock().unwrap().contains_key(path);
        verify_dir_keeping(dir.path(), &FxHashSet::default(), &|rel| rel.contains('/')).unwrap();
        assert!(kept(&a) && kept(&b), "the partitions' tables kept as checked");
        assert!(!kept(&top), "a file the caller does not read next is not kept");
        assert_eq!(read_checked(&b).unwrap().unwrap(), b"rows of shard 1");
        assert!(!kept(&b), "taken by the read");
        assert_eq!(read_checked(&b).unwrap().unwrap(), b"rows of shard 1", "read again from the file");
        // The file replaced after the check (a directory rebuilt under its name, or damaged):
        // the bytes kept are not used, the file is read and checked as it is now.
        std::fs::remove_file(&a).unwrap();
        std::fs::write(&a, b"rows of shard 9").unwrap();
        assert!(read_checked(&a).unwrap_err().to_string().contains("damaged"));
        verify_dir_keeping(dir.path(), &FxHashSet::default(), &|rel| rel.contains('/')).unwrap_err();
        std::fs::write(&a, b"rows of shard 0").unwrap();
        verify_dir_keeping(dir.path(), &FxHashSet::default(), &|rel| rel.contains('/')).unwrap();
        forget_checked_under(dir.path());
        assert!(!kept(&a) && !kept(&b), "forgotten");
    }

    #[test]
    fn checksums_are_xxh3_and_a_store_sealed_with_blake3_before_is_still_checked() {
        assert_eq!(hash(b"abc"), format!("{:032x}", xxhash_rust::xxh3::xxh3_128(b"abc")));
        assert_eq!(hash(b"abc").len(), 32);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shard=00").join("orders.parquet");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"rows").unwrap();
        // A seal as stores were written before: BLAKE3, 64 hex digits.
        let legacy =
            BTreeMap::from([("shard=00/orders.parquet".to_string(), blake3::hash(b"rows").to_hex().to_string())]);
        std::fs::write(dir.path().join(CHECKSUMS), serde_json::to_vec_pretty(&legacy).unwrap()).unwrap();
        assert_eq!(read_checked(&file).unwrap().unwrap(), b"rows");
        verify_dir(dir.path()).unwrap();
        std::fs::write(&file, b"rowz").unwrap();
        assert!(read_checked(&file).unwrap_err().to_string().contains("orders.parquet: damaged"));
        assert!(verify_dir(dir.path()).unwrap_err().to_string().contains("orders.parquet: damaged"));
        // Neither a BLAKE3 nor an XXH3 checksum: damaged, never taken for either.
        let odd = BTreeMap::from([("shard=00/orders.parquet".to_string(), "abc".to_string())]);
        std::fs::write(dir.path().join(CHECKSUMS), serde_json::to_vec_pretty(&odd).unwrap()).unwrap();
        assert!(verify_dir(dir.path()).is_err());
    }

    #[test]
    fn a_sealed_text_is_the_value_written_with_its_checksum_and_is_checked_on_its_bytes() {
        #[derive(serde::Serialize, Clone)]
        struct Sealed {
            files: Vec<String>,
            count: u64,
            checksum: String,
        }
        let mut value = Sealed { files: vec!["a \"quoted\" name".into(), "b".into()], count: 7, checksum: "x".into() };
        let text = sealed_json(&mut value, "checksum", |v| &mut v.checksum).unwrap();
        // The same bytes as the value serialised with its checksum, and that checksum is the
        // hash of the text with it empty.
        let mut again = serde_json::to_vec_pretty(&value).unwrap();
        again.push(b'\n');
        assert_eq!(text, again);
        let blank = serde_json::to_vec_pretty(&Sealed { checksum: String::new(), ..value.clone() }).unwrap();
        assert_eq!(value.checksum, hash(&blank));
        assert_eq!(text_holds(&text, "checksum"), Some(true));
        assert!(json_holds(&mut value, |v| &mut v.checksum));
        // A flipped bit anywhere: not intact (and the value read back from it would not be).
        for at in [5, text.len() / 2, text.len() - 8] {
            let mut damaged = text.clone();
            damaged[at] ^= 0x04;
            assert_ne!(text_holds(&damaged, "checksum"), Some(true), "byte {at}");
        }
        // Laid out otherwise: left to the value.
        assert_eq!(text_holds(b"{\"checksum\": \"00\"}", "checksum"), None);
    }

    #[test]
    fn a_seal_written_again_in_the_same_process_is_read_again() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("shard=00").join("orders.parquet");
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, b"first").unwrap();
        seal(dir.path()).unwrap();
        assert_eq!(read_checked(&file).unwrap().unwrap(), b"first");
        // Rebuilt under the same name (as a settled directory is): the new seal holds.
        std::fs::write(&file, b"second, longer").unwrap();
        seal(dir.path()).unwrap();
        assert_eq!(read_checked(&file).unwrap().unwrap(), b"second, longer");
        // A file damaged after its seal was read is still caught: its bytes are hashed each time.
        std::fs::write(&file, b"second, lonGer").unwrap();
        let err = read_checked(&file).unwrap_err().to_string();
        assert!(err.contains("orders.parquet: damaged"), "{err}");
    }
}
