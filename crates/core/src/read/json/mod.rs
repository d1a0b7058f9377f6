//! Orders from the Selling Partner API, as JSON (SPEC §1.6): v0 `getOrders`, `getOrder` and
//! `getOrderItems` responses, v2026-01-01 `searchOrders` and `getOrder` responses, top-level
//! arrays of any of them (or of bare orders and items), and JSON lines of any of these.
//!
//! A file is read whole, then walked: `scan` finds where each value of the document is (a
//! lazy view of objects and arrays, by byte span) so every record keeps the line it starts
//! on, and each record alone is parsed into a `serde_json::Value` and mapped by `orders`.
//! The same [`Snapshot`](crate::rows::Snapshot)s as a flat file's come out of it, so one order seen in both is one
//! order.

mod orders;
mod scan;
mod stream;

use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{InputError, NotAnInput};
use crate::inputs::FileSummary;
use crate::kind::FileKind;
use crate::rows::{FileData, Rejected};
use crate::source::{open_decompressed, Compression, TextEncoding};

use super::{FileOutcome, FileRead, Fold, Format, ReadOptions};
use stream::MAX_RECORD;

/// The SP-API's JSON: a file whose text starts with `{` or `[`.
pub struct Json;

impl Format for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn sniff(&self, head: &[u8]) -> bool {
        matches!(head.first(), Some(b'{' | b'['))
    }

    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        on_bytes: &(dyn Fn(u64) + Sync),
        fold: Fold,
    ) -> Result<FileOutcome, InputError> {
        let mut file = orders::FileOrders::new(path);
        let compression = match read_records(path, opts, on_bytes, &mut file, fold)? {
            Records::Report(outcome) => return Ok(*outcome),
            Records::Read(compression) => compression,
        };
        if !file.any_order_data() {
            let why = if file.error_responses > 0 {
                "an SP-API error response (an `errors` array and no orders)"
            } else {
                "JSON that holds none of the SP-API Orders API's shapes (orders, order items)"
            };
            // A document that is not JSON at all is still an SP-API file with one rejected row.
            if file.rejected.is_empty() {
                return Ok(FileOutcome::Unrecognised(InputError::Unrecognised {
                    path: path.to_path_buf(),
                    looked_like: FileKind::SpApiOrders,
                    missing: Vec::new(),
                    found: Vec::new(),
                    not_input: Some(NotAnInput::Json(why)),
                }));
            }
        }
        // Items given apart whose order's snapshots were handed over already: a second pass
        // finds when each of those orders was last seen in the file (a rare, big mixed file).
        let times = match file.orders_to_look_up() {
            Some(ids) => {
                let mut pass = orders::FileOrders::lookup(path, ids);
                read_records(path, &ReadOptions { strict: false, ..opts.clone() }, &|_| {}, &mut pass, &mut |_| {})?;
                Some(pass.newest_times())
            }
            None => None,
        };
        let (data, rows_read, newest, unknown, rejected) = file.finish(times);
        let account = FileSummary {
            path: path.display().to_string(),
            kind: FileKind::SpApiOrders,
            compression,
            encoding: TextEncoding::Utf8,
            rows_read,
            rows_rejected: rejected.len() as u64,
            unknown_columns: unknown.into_iter().collect::<BTreeSet<_>>().into_iter().collect(),
            repeated_headers: 0,
            short_rows: 0,
            encoding_hint: None,
        };
        Ok(FileOutcome::Read(FileRead { account, rejected, newest_observation: newest, data, reference: None }))
    }
}

/// What reading a file's records gave.
enum Records {
    /// Its records are in the [`orders::FileOrders`] (some maybe handed over already).
    Read(Compression),
    /// It is Amazon's performance report.
    Report(Box<FileOutcome>),
}

/// How much of a JSON file is held at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// A document up to this many bytes is read whole (every SP-API response is far
    /// smaller); a bigger one is an export, read element by element when it is an array.
    pub whole_document: usize,
    /// Rows are handed to the fold when this many are held.
    pub rows: usize,
}

impl Default for Parts {
    fn default() -> Self {
        Parts { whole_document: 64 << 20, rows: 1 << 16 }
    }
}

/// Why a record over [`MAX_RECORD`] is not read.
const TOO_LONG: &str = "longer than 64 MiB, not read (no SP-API record is that long; a bigger \
                        export must be JSON lines or a JSON array)";

/// Reads every record of the file into `file`, handing rows over to `fold` as they pile up:
/// JSON lines a line at a time, a document whole, or, when it is an array too big for that,
/// an element at a time.
fn read_records(
    path: &Path,
    opts: &ReadOptions,
    on_bytes: &(dyn Fn(u64) + Sync),
    file: &mut orders::FileOrders,
    fold: Fold,
) -> Result<Records, InputError> {
    let io = |e| InputError::Io { path: path.to_path_buf(), source: e };
    let strict = |file: &orders::FileOrders| match (opts.strict, file.rejected.first()) {
        (true, Some(first)) => Err(InputError::Strict {
            path: path.to_path_buf(),
            line: first.line,
            kind: FileKind::SpApiOrders,
            reason: first.reason.clone(),
        }),
        _ => Ok(()),
    };
    // The bytes this pass reported, so a second opening of the file reports only the rest.
    let reported = AtomicU64::new(0);
    let progress = |n| {
        reported.fetch_add(n, Ordering::Relaxed);
        on_bytes(n)
    };
    let (compression, reader) = open_decompressed(path, &progress).map_err(io)?;
    let mut reader = without_bom(std::io::BufReader::with_capacity(1 << 20, reader)).map_err(io)?;
    let mut first = Vec::new();
    let first_fits = stream::line_capped(&mut reader, &mut first, MAX_RECORD).map_err(io)?;
    let mentions_report = memchr::memmem::find(&first, b"\"performanceMetrics\"").is_some();
    let lines = match first_fits {
        Some(true) => !mentions_report && scan::is_value(&first),
        // A first line too long to hold: an array is streamed, anything else is JSON lines
        // whose first record is too long.
        Some(false) => first_byte(path).map_err(io)? != Some(b'['),
        None => false,
    };
    if lines {
        // JSON lines (or a one-line document, the same): memory holds one line.
        let (mut line, mut fits, mut number) = (first, first_fits == Some(true), 1u64);
        loop {
            if !fits {
                file.reject_whole(number, format!("line {number}: {TOO_LONG}"));
            } else if !line.iter().all(|b| b.is_ascii_whitespace()) {
                match scan::Doc::new(&line, number) {
                    Ok(doc) => file.document(&doc, number),
                    Err(why) => file.reject_whole(number, why),
                }
            }
            strict(file)?;
            file.flush(fold, opts.json_parts.rows);
            match stream::line_capped(&mut reader, &mut line, MAX_RECORD).map_err(io)? {
                Some(f) => (fits, number) = (f, number + 1),
                None => break,
            }
        }
        return Ok(Records::Read(compression));
    }
    if first_fits != Some(false) {
        // A document: whole when it is not too big.
        let mut bytes = first;
        bytes.push(b'\n');
        let whole = opts.json_parts.whole_document;
        let room = (whole + 1).saturating_sub(bytes.len()) as u64;
        (&mut reader).take(room).read_to_end(&mut bytes).map_err(io)?;
        // One response object is read whole at any size; only an array is an export.
        let an_object = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
        if an_object {
            reader.read_to_end(&mut bytes).map_err(io)?;
        }
        if bytes.len() <= whole || an_object {
            if let Some(outcome) = performance_report(path, &bytes, compression)? {
                return Ok(Records::Report(Box::new(outcome)));
            }
            for (line, record) in scan::documents(&bytes) {
                match record {
                    Ok(doc) => file.document(&doc, line),
                    Err(why) => file.reject_whole(line, why),
                }
                strict(file)?;
            }
            return Ok(Records::Read(compression));
        }
    }
    // An export too big to hold: its elements one at a time, from the start again.
    drop(reader);
    let skip = AtomicU64::new(reported.load(Ordering::Relaxed));
    let rest = |n: u64| {
        let left = skip.load(Ordering::Relaxed);
        skip.store(left.saturating_sub(n), Ordering::Relaxed);
        on_bytes(n.saturating_sub(left));
    };
    let (_, reader) = open_decompressed(path, &rest).map_err(io)?;
    let reader = without_bom(std::io::BufReader::with_capacity(1 << 20, reader)).map_err(io)?;
    let mut elements = stream::Elements::new(reader);
    let mut buf = Vec::new();
    for index in 0u64.. {
        match elements.next(&mut buf, MAX_RECORD).map_err(io)? {
            stream::Next::Element { line, fits: true } => match scan::Doc::new(&buf, line) {
                Ok(doc) => file.element(&doc, index),
                Err(why) => file.reject_whole(line, format!("[{index}]: {why}")),
            },
            stream::Next::Element { line, fits: false } => file.reject_whole(line, format!("[{index}]: {TOO_LONG}")),
            stream::Next::End => break,
            stream::Next::Broken { line, column, why } => {
                file.reject_whole(line, format!("not valid JSON at line {line}, column {column}: {why}"));
                break;
            }
        }
        strict(file)?;
        file.flush(fold, opts.json_parts.rows);
    }
    Ok(Records::Read(compression))
}

/// The reader past a UTF-8 byte-order mark.
fn without_bom<R: BufRead>(mut reader: R) -> std::io::Result<R> {
    if reader.fill_buf()?.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    Ok(reader)
}

/// The first byte of the file's text that is not white space (after a BOM).
fn first_byte(path: &Path) -> std::io::Result<Option<u8>> {
    let (_, reader) = open_decompressed(path, &|_| {})?;
    let mut reader = without_bom(std::io::BufReader::new(reader))?;
    loop {
        let chunk = reader.fill_buf()?;
        let Some(&b) = chunk.first() else { return Ok(None) };
        if !b.is_ascii_whitespace() {
            return Ok(Some(b));
        }
        reader.consume(1);
    }
}

/// Amazon's seller performance report (§1.7), when the file is one: a JSON document whose
/// top-level object has a `performanceMetrics` array. A malformed one is an error that names
/// the file and the JSON path.
fn performance_report(path: &Path, text: &[u8], compression: Compression) -> Result<Option<FileOutcome>, InputError> {
    // Cheap first: a report's first key is not deep in the file.
    let head = text.get(..text.len().min(4096)).unwrap_or_default();
    if memchr::memmem::find(head, b"\"performanceMetrics\"").is_none() {
        return Ok(None);
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(text) else { return Ok(None) };
    if !crate::amazon::is_performance_report(&v) {
        return Ok(None);
    }
    let shown = path.display().to_string();
    let report = crate::amazon::read_report(&shown, &v)
        .map_err(|why| InputError::Malformed { path: path.to_path_buf(), why })?;
    let account = FileSummary {
        path: shown,
        kind: FileKind::PerformanceReport,
        compression,
        encoding: TextEncoding::Utf8,
        rows_read: report.marketplaces.len() as u64,
        rows_rejected: 0,
        unknown_columns: Vec::new(),
        repeated_headers: 0,
        short_rows: 0,
        encoding_hint: None,
    };
    Ok(Some(FileOutcome::Read(FileRead {
        account,
        rejected: Vec::new(),
        newest_observation: None,
        data: FileData::Several(Vec::new()),
        reference: Some(report),
    })))
}

/// A rejected record of `path`.
fn rejected(path: &Path, line: u64, reason: String) -> Rejected {
    Rejected { file: path.display().to_string(), line, kind: FileKind::SpApiOrders, reason }
}
