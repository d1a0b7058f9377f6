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
use crate::source::{with_lines, Compression, LineError, Lines, Tap, TextEncoding};
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
        _fold: super::Fold,
    ) -> Result<FileOutcome, InputError> {
        // A flat file's rows are grouped by order over the whole file (§5.2): handed over whole.
        read_tsv(path, opts, on_bytes, None).map(|(outcome, _)| outcome)
    }

    fn read_tapped(
        &self,
        path: &Path,
        opts: &ReadOptions,
        on_bytes: &(dyn Fn(u64) + Sync),
        _fold: super::Fold,
        tap: Tap<'_>,
    ) -> Result<(FileOutcome, bool), InputError> {
        read_tsv(path, opts, on_bytes, Some(tap))
    }
}

/// Reads one TSV file: a pass in UTF-8, then, for a file that is not, a pass in its legacy
/// encoding. `Err` is an error that stops the run (I/O, a missing required column,
/// `--strict`, `--encoding utf-8` on a file that is not).
///
/// `tap` sees the file's bytes in the first pass; the flag says whether that pass read the
/// whole file, once (a file read again in its legacy encoding, or one found not to be an
/// input, was not: its tap saw a part).
fn read_tsv(
    path: &Path,
    opts: &ReadOptions,
    on_bytes: &(dyn Fn(u64) + Sync),
    tap: Option<Tap<'_>>,
) -> Result<(FileOutcome, bool), InputError> {
    let io = |e| InputError::Io { path: path.to_path_buf(), source: e };
    // Bytes reported to the progress display, so a second pass reports only what is new.
    let reported = AtomicU64::new(0);
    // The tap lent to the first pass for that pass only: `as_deref_mut` (clippy's advice)
    // would lend it for as long as the tap lives, which the trait object's lifetime pins.
    let mut tap = tap;
    #[allow(clippy::option_as_ref_deref)]
    let lent = tap.as_mut().map(|t| -> Tap<'_> { &mut **t });
    let first = with_lines(
        path,
        TextEncoding::Utf8,
        &|n| {
            reported.fetch_add(n, Ordering::Relaxed);
            on_bytes(n)
        },
        lent,
        |c, lines| parse(path, c, TextEncoding::Utf8, lines, opts),
    )
    .map_err(io)?;
    let offset = match first {
        Err(Failure::NotUtf8(offset)) => offset,
        Ok(read) => return Ok((FileOutcome::Read(read), true)),
        Err(Failure::Unrecognised(e)) => return Ok((FileOutcome::Unrecognised(e), false)),
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
    let again =
        with_lines(path, encoding, &progress, None, |c, lines| parse(path, c, encoding, lines, opts)).map_err(io)?;
    match again {
        Ok(mut read) => {
            read.account.encoding_hint = hint;
            Ok((FileOutcome::Read(read), false))
        }
        Err(Failure::Unrecognised(e)) => Ok((FileOutcome::Unrecognised(e), false)),
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
    // A plain file's size sizes what its rows are gathered in (a compressed one's does not
    // say how much it holds: gathered from empty).
    let bytes = match compression {
        Compression::None => std::fs::metadata(path).map_or(0, |m| m.len()),
        _ => 0,
    };
    let mut sink = KindSink::new(kind, &header, bytes);
    let cols = Columns { header: &header };
    let mut rows_read = 0u64;
    let mut repeated_headers = 0u64;
    let mut short_rows = 0u64;
    let mut rejected = Vec::new();
    let mut newest: Option<Micros> = None;
    let mut ranges: Vec<(usize, usize)> = Vec::with_capacity(header.len());
    // The columns rows are parsed from: a short row is read only when it lacks none of them.
    let parsed = sink.parsed_columns();
    while let Some((line_no, line)) = lines.next_text_line().map_err(failure)? {
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
        // lines (§5.1): a full-length row is never joined, so a `"` there stays ordinary.
        if ranges.len() < header.len() {
            if let Some(field) = unclosed_quote(line, &ranges) {
                let first = (line_no, line.to_string());
                let context = RowContext { cols: &cols, parsed: &parsed, file: &file, kind, path, strict: opts.strict };
                let next = &mut || Ok(lines.next_text_line().map_err(failure)?.map(|(n, l)| (n, l.to_string())));
                let read = quoted_rows(&context, first, field, next, &mut sink, &mut rejected)?;
                rows_read += read.rows;
                short_rows += read.short;
                repeated_headers += read.repeated;
                keep_max(&mut newest, read.newest);
                continue;
            }
        }
        rows_read += 1;
        let outcome = if ranges.len() != header.len() {
            uneven_row(&mut sink, &cols, &parsed, &mut short_rows, line_no, line, &ranges)
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
    Ok(FileRead { account, rejected, newest_observation: newest, data, reference: None })
}

/// What the rows of a file share, for the rare rows read outside the main loop.
struct RowContext<'a> {
    cols: &'a Columns<'a>,
    parsed: &'a [usize],
    file: &'a str,
    kind: FileKind,
    path: &'a Path,
    strict: bool,
}

/// What the rows read outside the main loop add to the file's account.
#[derive(Default)]
struct OutOfLoop {
    rows: u64,
    short: u64,
    repeated: u64,
    newest: Option<Micros>,
}

/// The next physical line, owned.
type NextOwned<'n> = dyn FnMut() -> Result<Option<(u64, String)>, Failure> + 'n;

/// A short row whose `field` opens a quote (§5.1 "A quoted field across lines"): the next
/// lines are joined to it until one closes the quote (20 at most). A join of exactly the
/// header's field count is one row (its line number the first line's); otherwise the first
/// line is rejected and the lines read ahead are read again as rows of their own, any of
/// which may open a quote in turn. Kept out of the row loop, which it would slow.
#[cold]
#[inline(never)]
fn quoted_rows(
    c: &RowContext,
    first: (u64, String),
    field: usize,
    next: &mut NextOwned<'_>,
    sink: &mut KindSink,
    rejected: &mut Vec<Rejected>,
) -> Result<OutOfLoop, Failure> {
    let header = c.cols.header;
    let mut tally = OutOfLoop::default();
    let mut reject = |line: u64, reason: String| -> Result<(), Failure> {
        if c.strict {
            return Err(Failure::Stop(InputError::Strict { path: c.path.to_path_buf(), line, kind: c.kind, reason }));
        }
        rejected.push(Rejected { file: c.file.to_string(), line, kind: c.kind, reason });
        Ok(())
    };
    let mut queue: VecDeque<(u64, String)> = VecDeque::new();
    let mut ranges = Vec::with_capacity(header.len());
    let mut start = Some((first, field));
    loop {
        let row = match start.take() {
            Some(((first_no, first), field)) => {
                let mut ahead = Vec::new();
                while ahead.len() < MAX_JOINED_LINES {
                    let Some(line) = (match queue.pop_front() {
                        Some(line) => Some(line),
                        None => next()?,
                    }) else {
                        break;
                    };
                    let closes = closes_quote(&line.1);
                    ahead.push(line);
                    if closes {
                        break;
                    }
                }
                match joined_row(&first, &ahead, field, header.len()) {
                    Some(row) => Some((first_no, row)),
                    None => {
                        tally.rows += 1;
                        reject(first_no, format!("unclosed quote in {}", c.cols.name(Some(field))))?;
                        for line in ahead.into_iter().rev() {
                            queue.push_front(line);
                        }
                        None
                    }
                }
            }
            // The lines read ahead and not joined, read as the main loop reads lines.
            None => match queue.pop_front() {
                Some(line) => Some(line),
                None => return Ok(tally),
            },
        };
        let Some((line_no, line)) = row else { continue };
        if line.is_empty() {
            continue;
        }
        split_fields(&line, &mut ranges);
        if ranges.len() == header.len() && is_header_again(header, &line, &ranges) {
            tally.repeated += 1;
            continue;
        }
        if ranges.len() < header.len() {
            if let Some(field) = unclosed_quote(&line, &ranges) {
                start = Some(((line_no, line), field));
                continue;
            }
        }
        tally.rows += 1;
        let outcome = if ranges.len() != header.len() {
            uneven_row(sink, c.cols, c.parsed, &mut tally.short, line_no, &line, &ranges)
        } else {
            sink.accept(&Row { line: &line, ranges: &ranges }, c.cols, line_no)
        };
        match outcome {
            Ok(observed) => keep_max(&mut tally.newest, observed),
            Err(reason) => reject(line_no, reason)?,
        }
    }
}

/// A row with more or fewer fields than the header. Fewer are read when they lack only
/// columns never parsed (§5.1 "Short rows"); otherwise the reason names the first missing one.
#[cold]
#[inline(never)]
fn uneven_row(
    sink: &mut KindSink,
    cols: &Columns,
    parsed: &[usize],
    short_rows: &mut u64,
    line_no: u64,
    line: &str,
    ranges: &[(usize, usize)],
) -> Result<Option<Micros>, String> {
    let fields = cols.header.len();
    if ranges.len() > fields {
        return Err(format!("wrong number of fields: expected {fields}, found {}", ranges.len()));
    }
    if let Some(&missing) = parsed.iter().find(|&&i| i >= ranges.len()) {
        return Err(format!("row ends before {} ({} of {fields} fields)", cols.name(Some(missing)), ranges.len()));
    }
    let outcome = sink.accept(&Row { line, ranges }, cols, line_no);
    *short_rows += outcome.is_ok() as u64;
    outcome
}

/// How many lines after its first a quoted field may run over (§5.1).
const MAX_JOINED_LINES: usize = 20;

/// The byte ranges of `line`'s tab-separated fields, into `ranges`.
///
/// Eight bytes at a time: a word's tabs become the high bits of a mask, read off lowest
/// first. An order row has thirty short fields: one search per field (`memchr`) paid its
/// set-up thirty times a row, 8% of a one-thread run (docs/BENCHMARKS.md).
#[inline]
fn split_fields(line: &str, ranges: &mut Vec<(usize, usize)>) {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const TABS: u64 = 0x0909_0909_0909_0909;
    ranges.clear();
    let mut start = 0;
    let (words, rest) = line.as_bytes().as_chunks::<8>();
    for (w, word) in words.iter().enumerate() {
        // A byte of `x` is 0 where `word` has a tab; the high bit of each byte of `tabs` is
        // set exactly for those (no carry crosses a byte: each is added to 0x7f at most).
        let x = u64::from_le_bytes(*word) ^ TABS;
        let mut tabs = !(((x & LOW7) + LOW7) | x | LOW7);
        while tabs != 0 {
            let tab = w * 8 + (tabs.trailing_zeros() / 8) as usize;
            ranges.push((start, tab));
            start = tab + 1;
            tabs &= tabs - 1;
        }
    }
    let done = words.len() * 8;
    for (i, &b) in rest.iter().enumerate() {
        if b == b'\t' {
            ranges.push((start, done + i));
            start = done + i + 1;
        }
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

#[cfg(test)]
mod tests {
    use super::split_fields;

    /// Every field's range, found byte by byte.
    fn fields_of(line: &str) -> Vec<(usize, usize)> {
        let mut expected = Vec::new();
        let mut start = 0;
        for (i, b) in line.bytes().enumerate() {
            if b == b'\t' {
                expected.push((start, i));
                start = i + 1;
            }
        }
        expected.push((start, line.len()));
        expected
    }

    #[test]
    fn fields_are_split_at_every_tab_in_any_position_of_a_word() {
        // Tabs at every offset of the eight-byte words and in the tail, beside bytes one away
        // from a tab (\x08, \x0a) and bytes with the high bit set (UTF-8).
        let line = "a\t\tbc\x08\x0a\tdéf\t\t\t0123456\t789abcdef\tghi\tj\t";
        let mut ranges = Vec::new();
        split_fields(line, &mut ranges);
        assert_eq!(ranges, fields_of(line));
        for n in 0..40 {
            for every in 1..5 {
                let line: String = (0..n).map(|i| if i % every == 0 { '\t' } else { '\x08' }).collect();
                split_fields(&line, &mut ranges);
                assert_eq!(ranges, fields_of(&line), "{line:?}");
            }
        }
    }
}
