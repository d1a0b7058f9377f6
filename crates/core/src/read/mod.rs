//! Reading one input file into its rows ([`FileData`]), its rejected rows and its account,
//! whatever its format. A format is one unit behind [`Format`]: it says from a file's first
//! bytes whether the file is its own, and reads it. [`FORMATS`] lists them, tried in order;
//! today's flat files are [`tsv::Tsv`], the last, which takes whatever no other format
//! claims. What a file holds (its [`FileKind`](crate::FileKind)) is apart from its format:
//! a TSV file says it by its header.
//!
//! Compression and text encodings are the same for every format ([`crate::source`]).

pub mod json;
pub mod tsv;

use std::io::Read;
use std::path::Path;

use crate::error::InputError;
use crate::inputs::FileSummary;
use crate::rows::{FileData, Rejected};
use crate::source::{open_decompressed, EncodingChoice};
use crate::timestamp::Micros;

pub use tsv::parse_decimal_micros;

/// Reading options shared by `orders` and `report`.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: EncodingChoice,
    /// `--marketplace JP` was given: a non-UTF-8 file without `sales-channel` is cp932.
    pub marketplace_is_jp: bool,
    pub strict: bool,
    /// How SP-API JSON is held (defaults in [`json::Parts::default`]); tests make the parts
    /// small so their small fixtures take every path a multi-gigabyte export takes.
    pub json_parts: json::Parts,
}

/// A file read whole: its account, what it said, and what it rejected.
#[derive(Debug)]
pub struct FileRead {
    /// Its account of rows (`rows_rejected` is `rejected.len()`).
    pub account: FileSummary,
    pub rejected: Vec<Rejected>,
    /// The newest observation among accepted rows (for the default `as_of`, §5.3).
    pub newest_observation: Option<Micros>,
    pub data: FileData,
    /// Amazon's own numbers, when the file is a seller performance report (§1.7).
    pub reference: Option<crate::amazon::PerformanceReport>,
}

/// What reading one file gave.
#[derive(Debug)]
pub enum FileOutcome {
    Read(FileRead),
    /// Its kind cannot be recognised: an error for a file named on the command line, a
    /// skipped file inside a directory (the caller decides, §1.5).
    Unrecognised(InputError),
}

/// An input format.
pub trait Format: Sync {
    /// Its name, for messages.
    fn name(&self) -> &'static str;
    /// Whether a file whose text begins with `head` (decompressed, a UTF-8 BOM and leading
    /// white space dropped, at most [`SNIFF_BYTES`]) is in this format.
    fn sniff(&self, head: &[u8]) -> bool;
    /// Reads the whole file. `Err` is an error that stops the run (I/O, a missing required
    /// column, `--strict`, `--encoding utf-8` on a file that is not).
    ///
    /// A format may hand rows to `fold` before it returns, in parts and in file order (the
    /// rest is [`FileRead::data`]): a big file is then held a part at a time, not whole.
    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        on_bytes: &(dyn Fn(u64) + Sync),
        fold: Fold,
    ) -> Result<FileOutcome, InputError>;

    /// [`Format::read`], with the file's bytes shown to `tap` as they are read. The flag says
    /// whether `tap` saw every byte of the file once, in order (a format that reads a file
    /// more than once, or in parts, says no: its caller reads the file again for itself).
    fn read_tapped(
        &self,
        path: &Path,
        opts: &ReadOptions,
        on_bytes: &(dyn Fn(u64) + Sync),
        fold: Fold,
        tap: crate::source::Tap<'_>,
    ) -> Result<(FileOutcome, bool), InputError> {
        let _ = tap;
        Ok((self.read(path, opts, on_bytes, fold)?, false))
    }
}

/// Where a format hands over the rows it has read so far (see [`Format::read`]).
pub type Fold<'f> = &'f mut dyn FnMut(FileData);

/// The formats, tried in order; the last takes any file.
pub static FORMATS: &[&dyn Format] = &[&json::Json, &tsv::Tsv];

/// How many bytes of a file's text a format is shown.
pub const SNIFF_BYTES: usize = 64;

/// Reads one file in its format (§1: recognised by content, never by name).
pub fn read_file(
    path: &Path,
    opts: &ReadOptions,
    on_bytes: &(dyn Fn(u64) + Sync),
    fold: Fold,
) -> Result<FileOutcome, InputError> {
    format_of(path).read(path, opts, on_bytes, fold)
}

/// The first format that claims the file; the last one when only it is left.
pub fn format_of(path: &Path) -> &'static dyn Format {
    let (last, claimers) = match FORMATS.split_last() {
        Some((last, claimers)) => (*last, claimers),
        None => return &tsv::Tsv,
    };
    if claimers.is_empty() {
        return last; // nothing to tell apart: the file is not opened twice
    }
    // A file whose head cannot be read is left to the last format, which reports why.
    let head = head_of(path).unwrap_or_default();
    claimers.iter().copied().find(|f| f.sniff(&head)).unwrap_or(last)
}

/// The first [`SNIFF_BYTES`] of a file's text, decompressed, without a UTF-8 BOM or leading
/// white space (a JSON document may start with either).
fn head_of(path: &Path) -> std::io::Result<Vec<u8>> {
    let (_, reader) = open_decompressed(path, &|_| {})?;
    let mut head = Vec::with_capacity(4 * SNIFF_BYTES);
    reader.take(4 * SNIFF_BYTES as u64).read_to_end(&mut head)?;
    let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
    let start = text.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(text.len());
    Ok(text.iter().skip(start).take(SNIFF_BYTES).copied().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tap sees a file's bytes, compressed as they are on disk, once and in order when the
    /// file is read in one pass; a file read twice (not UTF-8) or by a format that does not
    /// tap (JSON) says it was not seen whole.
    #[test]
    fn a_tap_sees_the_bytes_on_disk_once_when_the_file_is_read_in_one_pass() {
        let testdata = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata");
        let cases = [
            ("formats/bom_crlf_quotes.txt", true),
            ("formats/new_orders_gzip.txt", true),
            ("formats/windows1252_uk.txt", false),
            ("sp-api/shapes/page.json.gz", false),
        ];
        for (name, whole) in cases {
            let path = testdata.join(name);
            let mut seen = Vec::new();
            let opts = ReadOptions::default();
            let mut tap = |b: &[u8]| seen.extend_from_slice(b);
            let (outcome, saw_whole) =
                format_of(&path).read_tapped(&path, &opts, &|_| {}, &mut |_| {}, &mut tap).unwrap();
            assert!(matches!(outcome, FileOutcome::Read(_)), "{name}");
            assert_eq!(saw_whole, whole, "{name}");
            if whole {
                assert_eq!(seen, std::fs::read(&path).unwrap(), "{name}");
            }
        }
    }

    /// Every file is read by the last format when no other claims it: the flat files today.
    #[test]
    fn a_flat_file_is_read_as_tsv() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "\u{feff}order-id\tpurchase-date\n").unwrap();
        assert_eq!(format_of(&path).name(), "tsv");
        assert_eq!(head_of(&path).unwrap(), b"order-id\tpurchase-date\n");
        assert_eq!(FORMATS.last().map(|f| f.sniff(b"anything")), Some(true), "the last format takes any file");
    }
}
