//! The TSV format: one streaming pass over a file, only canonical fields typed (SPEC §1, §5.1).
//!
//! Order rows are folded into one snapshot per order as they are read, so what a file leaves
//! behind grows with its distinct orders, not its bytes. Every row is either used or written
//! to `rejected` with its physical line and a reason a person can act on.
//!
//! One piece per module, in the order a file meets them:
//! - this module: [`Tsv`] (the UTF-8 pass, then, for a file that is not UTF-8, the pass in
//!   its legacy encoding) and the row loop;
//! - `encoding`: which legacy encoding (§5.1), and the hint when the guess looks wrong;
//! - `header`: where the header is (label rows, `TemplateType=`), a repeated header;
//! - `kinds`: per kind of file, where each canonical field is and what the file accumulates;
//! - `fields`: typing one field, and the rejection reasons.
//!
//! The typed rows themselves are in [`crate::rows`].

mod encoding;
mod fields;
mod header;
mod kinds;

use std::collections::VecDeque;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{FileOutcome, FileRead, Format, ReadOptions};
use crate::error::InputError;
use crate::inputs::FileSummary;
use crate::kind::FileKind;
use crate::rows::Rejected;
use crate::source::{with_lines, Compression, LineError, Lines, TextEncoding};
use crate::timestamp::Micros;
use fields::{keep_max, Columns, Row};
use header::{find_header, found_columns, is_header_again, not_an_input, HeaderFound};
use kinds::KindSink;

pub use fields::parse_decimal_micros;

/// The flat files' format (§1): tab-separated text under a header row, any encoding of §5.1.
/// It is the format of last resort: whatever no other format claims is read as TSV, and a
/// file that is not one is told so by its header.
pub struct Tsv;

impl Format for Tsv {
    fn name(&self) -> &'static str {
        "tsv"
    }

    fn sniff(&self, _head: &[u8]) -> bool {
        true
    }

    fn read(
        &self,
        path: &Path,
        opts: &ReadOptions,
        on_bytes: &(dyn Fn(u64) + Sync),
    ) -> Result<FileOutcome, InputError> {
        read_tsv(path, opts, on_bytes)
    }
}

/// Reads one TSV file: a pass in UTF-8, then, for a file that is not, a pass in its legacy
/// encoding. `Err` is an error that stops the run (I/O, a missing required column,
/// `--strict`, `--encoding utf-8` on a file that is not).
fn read_tsv(path: &Path, opts: &ReadOptions, on_bytes: &(dyn Fn(u64) + Sync)) -> Result<FileOutcome, InputError> {
    let io = |e| InputError::Io { path: path.to_path_buf(), source: e };
    // Bytes reported to the progress display, so a second pass reports only what is new.
    let reported = AtomicU64::new(0);
    let first = with_lines(
        path,
        TextEncoding::Utf8,
        &|n| {
            reported.fetch_add(n, Ordering::Relaxed);
            on_bytes(n)
        },
        |c, lines| parse(path, c, TextEncoding::Utf8, lines, opts),
    )
    .map_err(io)?;
    let offset = match first {
        Err(Failure::NotUtf8(offset)) => offset,
        Ok(read) => return Ok(FileOutcome::Read(read)),
        Err(Failure::Unrecognised(e)) => return Ok(FileOutcome::Unrecognised(e)),
        Err(Failure::Stop(e)) => return Err(e),
    };
    let Some(encoding) = encoding::legacy_encoding(path, opts).map_err(io)? else {
        return Err(InputError::NotUtf8 { path: path.to_path_buf(), offset });
    };
    let hint = encoding::encoding_hint(path, opts, encoding);
    let seen = AtomicU64::new(0);
    let progress = |n| {
        let before = seen.fetch_add(n, Ordering::Relaxed);
        let already = reported.load(Ordering::Relaxed);
        on_bytes((before + n).saturating_sub(already.max(before)));
    };
    let again = with_lines(path, encoding, &progress, |c, lines| parse(path, c, encoding, lines, opts)).map_err(io)?;
    match again {
        Ok(mut read) => {
            read.account.encoding_hint = hint;
            Ok(FileOutcome::Read(read))
        }
        Err(Failure::Unrecognised(e)) => Ok(FileOutcome::Unrecognised(e)),
        Err(Failure::Stop(e)) => Err(e),
        // A transcoder's output is UTF-8: the second pass cannot fail to decode.
        Err(Failure::NotUtf8(offset)) => Err(InputError::NotUtf8 { path: path.to_path_buf(), offset }),
    }
}

/// Why a pass over a file ended early.
enum Failure {
    /// A byte that is not UTF-8 (first pass only): read the file again in its legacy encoding.
    NotUtf8(u64),
    Unrecognised(InputError),
    Stop(InputError),
}

fn parse(
    path: &Path,
    compression: Compression,
    encoding: TextEncoding,
    lines: &mut Lines<'_>,
    opts: &ReadOptions,
) -> Result<FileRead, Failure> {
    let io = |e| Failure::Stop(InputError::Io { path: path.to_path_buf(), source: e });
    let failure = |e| match e {
        LineError::Io(e) => io(e),
        LineError::NotUtf8(bad) => Failure::NotUtf8(bad.offset),
    };
    let next = |lines: &mut Lines<'_>| -> Result<Option<(u64, String)>, Failure> {
        Ok(lines.next_text_line().map_err(failure)?.map(|(n, l)| (n, l.to_string())))
    };
    let (header, kind) = match find_header(lines, &next)? {
        HeaderFound::Recognised(header, kind) => (header, kind),
        HeaderFound::Unrecognised(header) => {
            let (looked_like, _) = FileKind::closest(&header);
            return Err(Failure::Unrecognised(InputError::Unrecognised {
                path: path.to_path_buf(),
                looked_like,
                missing: header.missing(looked_like.required()),
                found: found_columns(&header),
                not_input: not_an_input(&header),
            }));
        }
    };
    let found = || found_columns(&header);
    let missing = header.missing(kind.required());
    if !missing.is_empty() {
        return Err(Failure::Stop(InputError::MissingColumns {
            path: path.to_path_buf(),
            kind,
            missing,
            found: found(),
        }));
    }

    let file = path.display().to_string();
    let mut sink = KindSink::new(kind, &header);
    let cols = Columns { header: &header };
    let mut rows_read = 0u64;
    let mut repeated_headers = 0u64;
    let mut rejected = Vec::new();
    let mut newest: Option<Micros> = None;
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(header.len());
    // The columns rows are parsed from: a short row is read only when it lacks none of them.
    let parsed = sink.parsed_columns();
    let mut short_rows = 0u64;
    // Lines to read before the file's next one: a row joined across lines, or the lines a
    // quote that never closed had read ahead (§5.1 "A quoted field across lines").
    let mut pending: VecDeque<(u64, String)> = VecDeque::new();
    let mut held: String;
    loop {
        let (line_no, line) = match pending.pop_front() {
            Some((n, l)) => {
                held = l;
                (n, held.as_str())
            }
            None => match lines.next_text_line().map_err(failure)? {
                Some(next) => next,
                None => break,
            },
        };
        if line.is_empty() {
            continue;
        }
        split_fields(line, &mut ranges);
        // A dump appended to another repeats the header: skipped, counted, not a row.
        if ranges.len() == header.len() && is_header_again(&header, line, &ranges) {
            repeated_headers += 1;
            continue;
        }
        // Only a row that is short already is tried as the start of a quoted field across
        // lines: a full-length row is never joined, so a `"` there stays ordinary.
        if ranges.len() < header.len() {
            if let Some(field) = unclosed_quote(line, &ranges) {
                let first = line.to_string();
                let mut ahead = Vec::new();
                while ahead.len() < MAX_JOINED_LINES {
                    let next = match pending.pop_front() {
                        Some(next) => Some(next),
                        None => lines.next_text_line().map_err(failure)?.map(|(n, l)| (n, l.to_string())),
                    };
                    let Some((n, l)) = next else { break };
                    let closes = closes_quote(&l);
                    ahead.push((n, l));
                    if closes {
                        break;
                    }
                }
                match joined_row(&first, &ahead, field, header.len()) {
                    Some(row) => pending.push_front((line_no, row)),
                    None => {
                        // The first line alone is the bad row; the lines read ahead are read
                        // again as rows of their own.
                        rows_read += 1;
                        let reason = format!("unclosed quote in {}", cols.name(Some(field)));
                        if opts.strict {
                            return Err(Failure::Stop(InputError::Strict {
                                path: path.to_path_buf(),
                                line: line_no,
                                kind,
                                reason,
                            }));
                        }
                        rejected.push(Rejected { file: file.clone(), line: line_no, kind, reason });
                        for next in ahead.into_iter().rev() {
                            pending.push_front(next);
                        }
                    }
                }
                continue;
            }
        }
        rows_read += 1;
        let outcome = if ranges.len() > header.len() {
            Err(format!("wrong number of fields: expected {}, found {}", header.len(), ranges.len()))
        } else if ranges.len() < header.len() {
            match parsed.iter().find(|&&i| i >= ranges.len()) {
                Some(&missing) => Err(format!(
                    "row ends before {} ({} of {} fields)",
                    cols.name(Some(missing)),
                    ranges.len(),
                    header.len()
                )),
                None => {
                    let outcome = sink.accept(&Row { line, ranges: &ranges }, &cols, line_no);
                    short_rows += outcome.is_ok() as u64;
                    outcome
                }
            }
        } else {
            sink.accept(&Row { line, ranges: &ranges }, &cols, line_no)
        };
        match outcome {
            Ok(observed) => keep_max(&mut newest, observed),
            Err(reason) => {
                if opts.strict {
                    return Err(Failure::Stop(InputError::Strict {
                        path: path.to_path_buf(),
                        line: line_no,
                        kind,
                        reason,
                    }));
                }
                rejected.push(Rejected { file: file.clone(), line: line_no, kind, reason });
            }
        }
    }
    let data = sink.finish();
    let account = FileSummary {
        path: file,
        kind,
        compression,
        encoding,
        rows_read,
        rows_rejected: rejected.len() as u64,
        unknown_columns: header.unknown_columns(kind),
        repeated_headers,
        short_rows,
        encoding_hint: None,
    };
    Ok(FileRead { account, rejected, newest_observation: newest, data })
}

/// How many lines after its first a quoted field may run over (§5.1).
const MAX_JOINED_LINES: usize = 20;

/// The byte ranges of `line`'s tab-separated fields, into `ranges`.
#[inline]
fn split_fields(line: &str, ranges: &mut Vec<(usize, usize)>) {
    ranges.clear();
    let mut start = 0;
    for tab in memchr::memchr_iter(b'\t', line.as_bytes()) {
        ranges.push((start, tab));
        start = tab + 1;
    }
    ranges.push((start, line.len()));
}

/// The first field of a row that opens a `"` it does not close: the start of a field that
/// runs over the next lines.
fn unclosed_quote(line: &str, ranges: &[(usize, usize)]) -> Option<usize> {
    ranges.iter().position(|&(a, b)| {
        let field = line.get(a..b).unwrap_or_default();
        field.starts_with('"') && !(field.len() >= 2 && field.ends_with('"'))
    })
}

/// Whether a line closes a quoted field: a `"` followed by a tab or the line's end.
fn closes_quote(line: &str) -> bool {
    line.ends_with('"') || line.contains("\"\t")
}

/// `first` and the lines read after it joined with line feeds, when that makes a row of
/// exactly `fields` fields; the quoted field then loses its outer quotes and reads `""` as `"`.
fn joined_row(first: &str, ahead: &[(u64, String)], field: usize, fields: usize) -> Option<String> {
    if !ahead.last().is_some_and(|(_, l)| closes_quote(l)) {
        return None;
    }
    let mut text = first.to_string();
    for (_, l) in ahead {
        text.push('\n');
        text.push_str(l);
    }
    let mut parts: Vec<&str> = text.split('\t').collect();
    if parts.len() != fields {
        return None;
    }
    let quoted = parts.get(field)?;
    let inner = quoted.strip_prefix('"')?.strip_suffix('"')?;
    let unquoted = inner.replace("\"\"", "\"");
    if let Some(slot) = parts.get_mut(field) {
        *slot = &unquoted;
    }
    Some(parts.join("\t"))
}
