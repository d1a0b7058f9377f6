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

use std::collections::BTreeSet;
use std::io::{BufRead, Read};
use std::path::Path;

use crate::error::{InputError, NotAnInput};
use crate::inputs::FileSummary;
use crate::kind::FileKind;
use crate::rows::{FileData, Rejected};
use crate::source::{open_decompressed, TextEncoding};

use super::{FileOutcome, FileRead, Format, ReadOptions};

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
    ) -> Result<FileOutcome, InputError> {
        let io = |e| InputError::Io { path: path.to_path_buf(), source: e };
        let (compression, reader) = open_decompressed(path, on_bytes).map_err(io)?;
        let mut reader = std::io::BufReader::with_capacity(1 << 20, reader);
        let mut first = Vec::new();
        reader.read_until(b'\n', &mut first).map_err(io)?;
        if first.starts_with(b"\xEF\xBB\xBF") {
            first.drain(..3);
        }
        let strict = |file: &orders::FileOrders| match (opts.strict, file.rejected.first()) {
            (true, Some(first)) => Err(InputError::Strict {
                path: path.to_path_buf(),
                line: first.line,
                kind: FileKind::SpApiOrders,
                reason: first.reason.clone(),
            }),
            _ => Ok(()),
        };
        let mut file = orders::FileOrders::new(path);
        let mentions_report = memchr::memmem::find(&first, b"\"performanceMetrics\"").is_some();
        if !mentions_report && scan::is_value(&first) {
            // A first line that is a JSON value alone: JSON lines (or a one-line document, the
            // same), read line by line: memory holds one line, not the file.
            let mut line = first;
            let mut number = 1u64;
            loop {
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                if !text.iter().all(|b| b.is_ascii_whitespace()) {
                    match scan::Doc::new(text, number) {
                        Ok(doc) => file.document(&doc, number),
                        Err(why) => file.reject_whole(number, why),
                    }
                    strict(&file)?;
                }
                line.clear();
                if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
                    break;
                }
                number += 1;
            }
        } else {
            // A document over several lines: read whole.
            let mut bytes = first;
            reader.read_to_end(&mut bytes).map_err(io)?;
            if let Some(outcome) = performance_report(path, &bytes, compression)? {
                return Ok(outcome);
            }
            for (line, record) in scan::documents(&bytes) {
                match record {
                    Ok(doc) => file.document(&doc, line),
                    Err(why) => file.reject_whole(line, why),
                }
                strict(&file)?;
            }
        }
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
        let (data, rows_read, newest, unknown, rejected) = file.finish();
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

/// Amazon's seller performance report (§1.7), when the file is one: a JSON document whose
/// top-level object has a `performanceMetrics` array. A malformed one is an error that names
/// the file and the JSON path.
fn performance_report(
    path: &Path,
    text: &[u8],
    compression: crate::source::Compression,
) -> Result<Option<FileOutcome>, InputError> {
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
