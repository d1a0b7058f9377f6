//! The TSV reader: one streaming pass over a file, only canonical fields typed (SPEC §1, §5.1).
//!
//! Order rows are folded into one [`Snapshot`] per order as they are read, so what a file
//! leaves behind grows with its distinct orders, not its bytes. Every row is either used or
//! written to `rejected` with its physical line and a reason a person can act on.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rustc_hash::FxHashMap;

use crate::book::{shard_of, SHARDS};
use crate::error::InputError;
use crate::kind::{order_columns as oc, FileKind, Header};
use crate::marketplace::Marketplace;
use crate::source::{with_lines, Compression, EncodingChoice, Lines, TextEncoding};
use crate::status::Channel;
use crate::timestamp::{epoch_days, parse_date, parse_instant, Micros};
use crate::Text;

/// Reading options shared by `orders` and `report`.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub encoding: EncodingChoice,
    /// `--marketplace JP` was given: a non-UTF-8 file without `sales-channel` is cp932.
    pub marketplace_is_jp: bool,
    pub strict: bool,
}

/// One unusable row, as written to `rejected.tsv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub file: String,
    pub line: u64,
    pub kind: FileKind,
    pub reason: String,
}

/// One (file, order) group of order rows, merged by the rules of SPEC §5.2.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub purchase_ts: Option<Micros>,
    pub last_updated: Option<Micros>,
    pub reporting: Option<Micros>,
    pub status_raw: Option<Text>,
    pub channel: Option<Channel>,
    pub sales_channel: Option<Text>,
    /// From a `…@marketplace.amazon.<domain>` buyer e-mail (§1.4).
    pub email_marketplace: Option<Marketplace>,
    pub expected_ship: Option<Micros>,
    pub buyer_requested: bool,
    pub skus: Vec<Text>,
    /// `order-item-id` of its rows (new-orders and unshipped reports have them).
    pub item_ids: Vec<Text>,
    pub currency: Option<Text>,
    /// Σ(item-price + shipping-price) in millionths of the currency unit.
    pub value_micros: i64,
    pub any_quantity_shipped: bool,
}

impl Snapshot {
    /// The snapshot's time: its `last_updated_ts`, else the file's `reporting-date` (§2 item 1).
    pub fn time(&self) -> Option<Micros> {
        self.last_updated.or(self.reporting)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Buyer,
    Seller,
    Amazon,
}

#[derive(Debug, Clone)]
pub struct CancelEvent {
    pub order_id: Text,
    pub initiated_by: Initiator,
    pub reason: Option<Text>,
}

#[derive(Debug, Clone)]
pub struct FeedRow {
    pub order_id: Text,
    pub reason: Option<Text>,
}

/// A ship date as given: a calendar date, or an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShipDate {
    Day(i32),
    At(Micros),
}

#[derive(Debug, Clone)]
pub struct Confirmation {
    pub order_id: Text,
    pub ship: ShipDate,
    /// `carrier-code`, or `carrier-name` when the code is `Other` (§5.5), trimmed.
    pub carrier: Text,
    /// As given, ASCII spaces trimmed at the ends.
    pub tracking: Text,
    pub line: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanTally {
    pub scans: u32,
    pub delivered: bool,
}

/// What one file contributes, by kind.
#[derive(Debug)]
pub enum FileData {
    /// Snapshots by order id, already split by shard.
    Orders(Vec<FxHashMap<Text, Snapshot>>),
    Events(Vec<CancelEvent>),
    Feed(Vec<FeedRow>),
    Confirmations(Vec<Confirmation>),
    /// Keyed by the normalised tracking number.
    Scans(FxHashMap<String, ScanTally>),
    /// (sku, category) in line order.
    Catalog(Vec<(Text, Text)>),
}

impl FileData {
    /// Splits the data by shard of its key (order id, tracking number or SKU).
    pub fn split(self, shards: usize) -> Vec<FileData> {
        fn spread<T>(items: impl IntoIterator<Item = T>, key: impl Fn(&T) -> &str, shards: usize) -> Vec<Vec<T>> {
            let mut parts: Vec<Vec<T>> = (0..shards).map(|_| Vec::new()).collect();
            for item in items {
                parts[shard_of(key(&item)) % shards].push(item);
            }
            parts
        }
        match self {
            FileData::Orders(maps) => {
                assert_eq!(maps.len(), shards, "order snapshots are split by shard as they are read");
                maps.into_iter().map(|m| FileData::Orders(vec![m])).collect()
            }
            FileData::Events(v) => spread(v, |e| &e.order_id, shards).into_iter().map(FileData::Events).collect(),
            FileData::Feed(v) => spread(v, |f| &f.order_id, shards).into_iter().map(FileData::Feed).collect(),
            FileData::Confirmations(v) => {
                spread(v, |c| &c.order_id, shards).into_iter().map(FileData::Confirmations).collect()
            }
            FileData::Scans(map) => {
                spread(map, |(n, _)| n, shards).into_iter().map(|v| FileData::Scans(v.into_iter().collect())).collect()
            }
            FileData::Catalog(v) => spread(v, |(sku, _)| sku, shards).into_iter().map(FileData::Catalog).collect(),
        }
    }
}

/// A file read whole: what it said, what it rejected, and its row counts.
#[derive(Debug)]
pub struct FileRead {
    pub path: String,
    pub kind: FileKind,
    pub compression: Compression,
    pub encoding: TextEncoding,
    pub rows_read: u64,
    pub rejected: Vec<Rejected>,
    pub unknown_columns: Vec<String>,
    /// Lines that repeat the header (dumps appended together): neither rows nor rejected.
    pub repeated_headers: u64,
    /// A doubt about the encoding the file was read in, for the user.
    pub encoding_hint: Option<String>,
    /// The newest observation among accepted rows (for the default `as_of`, §5.3).
    pub newest_observation: Option<Micros>,
    pub data: FileData,
}

/// Reads one file. `Ok(Err(..))` is a file whose kind cannot be recognised (the caller
/// decides between error and skip); `Err` is an error that stops the run.
pub fn read_file(
    path: &Path,
    opts: &ReadOptions,
    on_bytes: &(dyn Fn(u64) + Sync),
) -> Result<Result<FileRead, InputError>, InputError> {
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
    let Err(Failure::NotUtf8(offset)) = first else { return settle(first) };
    let encoding = match opts.encoding {
        EncodingChoice::Utf8 => return Err(InputError::NotUtf8 { path: path.to_path_buf(), offset }),
        EncodingChoice::Windows1252 => TextEncoding::Windows1252,
        EncodingChoice::Cp932 => TextEncoding::Cp932,
        EncodingChoice::Auto => guess_legacy_encoding(path, opts).map_err(io)?,
    };
    let hint = (opts.encoding == EncodingChoice::Auto && encoding == TextEncoding::Windows1252)
        .then(|| reads_as_japanese(path))
        .and_then(|r| r.ok())
        .filter(|&japanese| japanese)
        .map(|_| {
            "read as Windows-1252, but its bytes read as Japanese Shift_JIS (cp932): if it is a Japanese file, \
             pass --marketplace JP or --encoding cp932"
                .to_string()
        });
    let seen = AtomicU64::new(0);
    let progress = |n| {
        let before = seen.fetch_add(n, Ordering::Relaxed);
        let already = reported.load(Ordering::Relaxed);
        on_bytes((before + n).saturating_sub(already.max(before)));
    };
    let again = with_lines(path, encoding, &progress, |c, lines| parse(path, c, encoding, lines, opts)).map_err(io)?;
    settle(again.map(|read| FileRead { encoding_hint: hint, ..read }))
}

/// Whether the start of a file that is not UTF-8 decodes cleanly as Shift_JIS and holds kana
/// (lead bytes 0x82/0x83, which are rare `‚ƒ` in Windows-1252 text): a Japanese file that the
/// §5.1 rule reads as Windows-1252 because it has no `sales-channel` column.
fn reads_as_japanese(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (_, reader) = crate::source::open_decompressed(path, &|_| {})?;
    let mut head = Vec::with_capacity(64 * 1024);
    reader.take(64 * 1024).read_to_end(&mut head)?;
    let whole_lines = head.iter().rposition(|&b| b == b'\n').map_or(head.len(), |p| p + 1);
    let text = encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&head[..whole_lines]);
    Ok(text.is_some_and(|t| t.chars().any(|c| ('\u{3041}'..='\u{30FA}').contains(&c))))
}

/// A finished parse: `Err(..)` for a file that stops the run, `Ok(Err(..))` for an
/// unrecognised one.
fn settle(parsed: Result<FileRead, Failure>) -> Result<Result<FileRead, InputError>, InputError> {
    match parsed {
        Ok(read) => Ok(Ok(read)),
        Err(Failure::Unrecognised(e)) => Ok(Err(e)),
        Err(Failure::NotUtf8(_)) => unreachable!("only the first, UTF-8 pass can fail to decode"),
        Err(Failure::Stop(e)) => Err(e),
    }
}

enum Failure {
    NotUtf8(u64),
    Unrecognised(InputError),
    Stop(InputError),
}

/// §5.1: cp932 when the header has `sales-channel` and one of the first 300 data rows says
/// `Amazon.co.jp`, or when there is no such column and `--marketplace JP` was given.
fn guess_legacy_encoding(path: &Path, opts: &ReadOptions) -> std::io::Result<TextEncoding> {
    with_lines(path, TextEncoding::Windows1252, &|_| {}, |_, lines| {
        let mut column = None;
        let mut rows = 0;
        let mut header_seen = false;
        let (mut template, mut candidates) = (false, 0);
        while let Ok(Some((_, line))) = lines.next_line() {
            if !header_seen {
                if !template && candidates == 0 && line.starts_with(b"TemplateType=") {
                    template = true;
                    continue;
                }
                candidates += 1;
                column =
                    line.split(|&b| b == b'\t').position(|c| c.trim_ascii().eq_ignore_ascii_case(b"sales-channel"));
                // Label rows of a template come before the keys (§5.1).
                if column.is_some() || !template || candidates >= TEMPLATE_HEADER_LINES {
                    header_seen = true;
                    if column.is_none() {
                        break;
                    }
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            rows += 1;
            let value = line.split(|&b| b == b'\t').nth(column.unwrap_or(usize::MAX));
            if value.is_some_and(|v| v.trim_ascii().eq_ignore_ascii_case(b"amazon.co.jp")) {
                return TextEncoding::Cp932;
            }
            if rows >= 300 {
                break;
            }
        }
        if column.is_none() && opts.marketplace_is_jp {
            TextEncoding::Cp932
        } else {
            TextEncoding::Windows1252
        }
    })
}

/// How many lines after a `TemplateType=` line may hold the header: Amazon's templates put
/// one or two rows of column titles in the seller's language before the keys (§5.1).
const TEMPLATE_HEADER_LINES: usize = 3;

enum HeaderFound {
    Recognised(Header, FileKind),
    /// No candidate line is a kind: the one that looks most like one.
    Unrecognised(Header),
}

fn header_of(line: &str) -> Header {
    Header::new(line.split('\t').map(|s| s.trim_matches(' ').to_string()).collect())
}

fn found_columns(header: &Header) -> Vec<String> {
    header.names.iter().filter(|n| !n.is_empty()).cloned().collect()
}

/// The header: line 1, or after a `TemplateType=` line the first of the next three lines
/// recognised as a kind (the lines before it are labels, skipped but counted).
/// Reads the next line as text (lossy), for the header lines.
type NextLine<'f> = dyn Fn(&mut Lines<'_>) -> Result<Option<(u64, String)>, Failure> + 'f;

fn find_header(lines: &mut Lines<'_>, next: &NextLine<'_>) -> Result<HeaderFound, Failure> {
    let Some((_, first)) = next(lines)? else { return Ok(HeaderFound::Unrecognised(Header::new(Vec::new()))) };
    if !first.starts_with("TemplateType=") {
        let header = header_of(&first);
        return Ok(match FileKind::recognise(&header) {
            Some(kind) => HeaderFound::Recognised(header, kind),
            None => HeaderFound::Unrecognised(header),
        });
    }
    let mut closest: Option<(usize, Header)> = None;
    for _ in 0..TEMPLATE_HEADER_LINES {
        let Some((_, line)) = next(lines)? else { break };
        let header = header_of(&line);
        if let Some(kind) = FileKind::recognise(&header) {
            return Ok(HeaderFound::Recognised(header, kind));
        }
        let (_, shared) = FileKind::closest(&header);
        if closest.as_ref().is_none_or(|(best, _)| shared > *best) {
            closest = Some((shared, header));
        }
    }
    Ok(HeaderFound::Unrecognised(closest.map(|(_, h)| h).unwrap_or_else(|| Header::new(Vec::new()))))
}

/// One row's fields: byte ranges into the line, reused between rows.
struct Row<'l> {
    line: &'l str,
    ranges: &'l [(usize, usize)],
}

impl<'l> Row<'l> {
    /// A field trimmed of ASCII spaces; `""` when the column is absent.
    fn get(&self, idx: Option<usize>) -> &'l str {
        match idx {
            Some(i) => {
                let (a, b) = self.ranges[i];
                self.line[a..b].trim_matches(' ')
            }
            None => "",
        }
    }

    /// A field as given (tracking numbers keep their inner characters).
    fn raw(&self, idx: Option<usize>) -> &'l str {
        match idx {
            Some(i) => {
                let (a, b) = self.ranges[i];
                &self.line[a..b]
            }
            None => "",
        }
    }
}

/// Column positions of a file, and their names as found (for reasons).
struct Columns<'h> {
    header: &'h Header,
}

impl Columns<'_> {
    fn name(&self, idx: Option<usize>) -> &str {
        idx.map(|i| self.header.names[i].trim_matches(' ')).unwrap_or("?")
    }
}

fn required(row: &Row, cols: &Columns, idx: Option<usize>, what: &str) -> Result<(), String> {
    if row.get(idx).is_empty() {
        Err(format!("empty {what} in {}", cols.name(idx)))
    } else {
        Ok(())
    }
}

/// A value as a rejection reason shows it: at most 100 characters, and no tab, newline or
/// other control character that would break `rejected.tsv` or reach a terminal raw.
fn shown(v: &str) -> String {
    crate::error::printable(v, 100)
}

fn instant(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<Option<Micros>, String> {
    let v = row.get(idx);
    if v.is_empty() {
        return Ok(None);
    }
    parse_instant(v).map(Some).ok_or_else(|| format!("unparseable date in {}: {}", cols.name(idx), shown(v)))
}

fn integer(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<Option<i64>, String> {
    let v = row.get(idx);
    if v.is_empty() {
        return Ok(None);
    }
    let digits = v.strip_prefix(['+', '-']).unwrap_or(v);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("not an integer in {}: {}", cols.name(idx), shown(v)));
    }
    Ok(Some(v.parse::<i64>().unwrap_or(i64::MAX)))
}

/// A plain decimal (§5.1) in millionths: optional sign, digits, optional `.` and digits.
pub fn parse_decimal_micros(v: &str) -> Option<i64> {
    let (neg, body) = match v.as_bytes().first() {
        Some(b'-') => (true, &v[1..]),
        Some(b'+') => (false, &v[1..]),
        _ => (false, v),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    let digits_ok = |d: &str| d.bytes().all(|b| b.is_ascii_digit());
    // Digits before the dot, after it, or both; a dot must be followed by digits.
    let has_dot = body.contains('.');
    if !digits_ok(int) || !digits_ok(frac) || (has_dot && frac.is_empty()) || (int.is_empty() && frac.is_empty()) {
        return None;
    }
    let mut value: i64 = 0;
    for b in int.bytes() {
        value = value.saturating_mul(10).saturating_add((b - b'0') as i64);
    }
    let mut scale = 1_000_000i64;
    value = value.saturating_mul(scale);
    for b in frac.bytes().take(6) {
        scale /= 10;
        value = value.saturating_add((b - b'0') as i64 * scale);
    }
    Some(if neg { -value } else { value })
}

fn price(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<i64, String> {
    let v = row.get(idx);
    if v.is_empty() {
        return Ok(0);
    }
    parse_decimal_micros(v).ok_or_else(|| format!("not a decimal in {}: {}", cols.name(idx), shown(v)))
}

fn boolean(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

fn non_empty(v: &str) -> Option<Text> {
    (!v.is_empty()).then(|| v.into())
}

fn keep_min<T: Ord + Clone>(slot: &mut Option<T>, v: Option<T>) {
    if let Some(v) = v {
        if slot.as_ref().is_none_or(|s| v < *s) {
            *slot = Some(v);
        }
    }
}

/// `keep_min` for text, allocating only when the value is kept (the hot path of order rows).
fn keep_min_text(slot: &mut Option<Text>, v: &str) {
    if !v.is_empty() && slot.as_deref().is_none_or(|s| v < s) {
        *slot = Some(v.into());
    }
}

fn keep_max<T: Ord + Clone>(slot: &mut Option<T>, v: Option<T>) {
    if let Some(v) = v {
        if slot.as_ref().is_none_or(|s| v > *s) {
            *slot = Some(v);
        }
    }
}

fn parse(
    path: &Path,
    compression: Compression,
    encoding: TextEncoding,
    lines: &mut Lines<'_>,
    opts: &ReadOptions,
) -> Result<FileRead, Failure> {
    let io = |e| Failure::Stop(InputError::Io { path: path.to_path_buf(), source: e });
    let next = |lines: &mut Lines<'_>| -> Result<Option<(u64, String)>, Failure> {
        match lines.next_line() {
            Ok(Some((n, l))) => Ok(Some((n, String::from_utf8_lossy(l).into_owned()))),
            Ok(None) => Ok(None),
            Err(Ok(e)) => Err(io(e)),
            Err(Err(bad)) => Err(Failure::NotUtf8(bad.offset)),
        }
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
    loop {
        let (line_no, bytes) = match lines.next_line() {
            Ok(Some(l)) => l,
            Ok(None) => break,
            Err(Ok(e)) => return Err(io(e)),
            Err(Err(bad)) => return Err(Failure::NotUtf8(bad.offset)),
        };
        if bytes.is_empty() {
            continue;
        }
        // SAFETY: `Lines` hands out only bytes it validated as UTF-8 (`Lines::check_utf8`
        // runs over every complete line before `next_line` returns it, and over the last line
        // at the end of the file), or the UTF-8 output of an encoding_rs transcoder. Checking
        // again here would read every byte twice on the hot path.
        #[allow(unsafe_code)]
        let line = unsafe { std::str::from_utf8_unchecked(bytes) };
        ranges.clear();
        let mut start = 0;
        for tab in memchr::memchr_iter(b'\t', bytes) {
            ranges.push((start, tab));
            start = tab + 1;
        }
        ranges.push((start, bytes.len()));
        // A dump appended to another repeats the header: skipped, counted, not a row. The
        // first field is checked first so data rows cost one short comparison.
        if ranges.len() == header.len() && is_header_again(&header, line, &ranges) {
            repeated_headers += 1;
            continue;
        }
        rows_read += 1;
        let outcome = if ranges.len() != header.len() {
            Err(format!("wrong number of fields: expected {}, found {}", header.len(), ranges.len()))
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
    Ok(FileRead {
        path: file,
        kind,
        compression,
        encoding,
        rows_read,
        rejected,
        unknown_columns: header.unknown_columns(kind),
        repeated_headers,
        encoding_hint: None,
        newest_observation: newest,
        data,
    })
}

fn is_header_again(header: &Header, line: &str, ranges: &[(usize, usize)]) -> bool {
    let field = |&(a, b): &(usize, usize)| &line[a..b];
    let first_matches = ranges
        .first()
        .map(field)
        .is_some_and(|f| header.names.first().is_some_and(|n| f.trim_matches(' ').eq_ignore_ascii_case(n)));
    first_matches && header.is_repeated_by(ranges.iter().map(field))
}

/// Column positions of an order report.
struct OrderCols {
    order_id: Option<usize>,
    purchase: Option<usize>,
    last_updated: Option<usize>,
    status: Option<usize>,
    channel: Option<usize>,
    sales_channel: Option<usize>,
    sku: Option<usize>,
    item_id: Option<usize>,
    quantity: Option<usize>,
    currency: Option<usize>,
    item_price: Option<usize>,
    shipping_price: Option<usize>,
    expected_ship: Option<usize>,
    buyer: Option<usize>,
    reporting: Option<usize>,
    quantity_shipped: Option<usize>,
    buyer_email: Option<usize>,
}

/// Per-kind row handling: where each canonical field is, and what a file accumulates.
enum KindSink {
    Orders {
        c: OrderCols,
        has_status: bool,
        /// One map per shard of the book (see `book::SHARDS`).
        snapshots: Vec<FxHashMap<Text, Snapshot>>,
    },
    Events {
        order_id: Option<usize>,
        date: Option<usize>,
        by: Option<usize>,
        reason: Option<usize>,
        out: Vec<CancelEvent>,
    },
    Feed {
        order_id: Option<usize>,
        reason: Option<usize>,
        out: Vec<FeedRow>,
    },
    Confirmations {
        order_id: Option<usize>,
        date: Option<usize>,
        quantity: Option<usize>,
        code: Option<usize>,
        name: Option<usize>,
        tracking: Option<usize>,
        out: Vec<Confirmation>,
    },
    Scans {
        tracking: Option<usize>,
        date: Option<usize>,
        kind: Option<usize>,
        out: FxHashMap<String, ScanTally>,
    },
    Catalog {
        sku: Option<usize>,
        category: Option<usize>,
        out: Vec<(Text, Text)>,
    },
}

impl KindSink {
    fn new(kind: FileKind, h: &Header) -> KindSink {
        match kind {
            FileKind::AllOrders | FileKind::NewOrders | FileKind::Unshipped => KindSink::Orders {
                c: OrderCols {
                    order_id: h.first_of(oc::ORDER_ID),
                    purchase: h.first_of(oc::PURCHASE_DATE),
                    last_updated: h.first_of(oc::LAST_UPDATED),
                    status: h.first_of(oc::ORDER_STATUS),
                    channel: h.first_of(oc::CHANNEL),
                    sales_channel: h.first_of(oc::SALES_CHANNEL),
                    sku: h.first_of(oc::SKU),
                    item_id: h.first_of(oc::ORDER_ITEM_ID),
                    quantity: h.first_of(oc::QUANTITY),
                    currency: h.first_of(oc::CURRENCY),
                    item_price: h.first_of(oc::ITEM_PRICE),
                    shipping_price: h.first_of(oc::SHIPPING_PRICE),
                    expected_ship: h.first_of(oc::EXPECTED_SHIP),
                    buyer: h.first_of(oc::BUYER_REQUESTED),
                    reporting: h.first_of(oc::REPORTING_DATE),
                    quantity_shipped: h.first_of(oc::QUANTITY_SHIPPED),
                    buyer_email: h.first_of(oc::BUYER_EMAIL),
                },
                has_status: h.has("order-status"),
                snapshots: (0..SHARDS).map(|_| FxHashMap::default()).collect(),
            },
            FileKind::CancelEvents => KindSink::Events {
                order_id: h.index("order-id"),
                date: h.index("cancel-date"),
                by: h.index("initiated-by"),
                reason: h.index("reason"),
                out: Vec::new(),
            },
            FileKind::CancelFeed => KindSink::Feed {
                order_id: h.index("order-id"),
                reason: h.index("cancellation-reason-code"),
                out: Vec::new(),
            },
            FileKind::Confirmations => KindSink::Confirmations {
                order_id: h.index("order-id"),
                date: h.index("ship-date"),
                quantity: h.index("quantity"),
                code: h.index("carrier-code"),
                name: h.index("carrier-name"),
                tracking: h.index("tracking-number"),
                out: Vec::new(),
            },
            FileKind::Scans => KindSink::Scans {
                tracking: h.index("tracking-number"),
                date: h.index("scan-date"),
                kind: h.index("scan-type"),
                out: FxHashMap::default(),
            },
            FileKind::Catalog => {
                KindSink::Catalog { sku: h.index("sku"), category: h.index("category"), out: Vec::new() }
            }
        }
    }

    /// Takes one row; returns the newest instant it observed, or why it is rejected.
    /// A row is validated whole before anything of it is kept.
    fn accept(&mut self, row: &Row, cols: &Columns, line_no: u64) -> Result<Option<Micros>, String> {
        match self {
            KindSink::Orders { c, snapshots, .. } => {
                required(row, cols, c.order_id, "order id")?;
                required(row, cols, c.purchase, "date")?;
                let purchase = instant(row, cols, c.purchase)?;
                let last_updated = instant(row, cols, c.last_updated)?;
                let expected_ship = instant(row, cols, c.expected_ship)?;
                integer(row, cols, c.quantity)?;
                let item = price(row, cols, c.item_price)?;
                let shipping = price(row, cols, c.shipping_price)?;
                // reporting-date times the snapshot only; unparseable counts as missing (§5.1).
                let reporting = parse_instant(row.get(c.reporting));
                let shipped_qty = row.get(c.quantity_shipped).parse::<i64>().unwrap_or(0);

                let id = row.get(c.order_id);
                let snapshots = &mut snapshots[shard_of(id)];
                let snap = match snapshots.get_mut(id) {
                    Some(s) => s,
                    None => snapshots.entry(id.into()).or_default(),
                };
                keep_min(&mut snap.purchase_ts, purchase);
                keep_max(&mut snap.last_updated, last_updated);
                keep_max(&mut snap.reporting, reporting);
                keep_max(&mut snap.expected_ship, expected_ship);
                keep_min_text(&mut snap.status_raw, row.get(c.status));
                keep_min(&mut snap.channel, Channel::parse(row.get(c.channel)));
                keep_min_text(&mut snap.sales_channel, row.get(c.sales_channel));
                keep_min_text(&mut snap.currency, row.get(c.currency));
                if c.buyer_email.is_some() {
                    keep_min(&mut snap.email_marketplace, Marketplace::from_buyer_email(row.get(c.buyer_email)));
                }
                snap.buyer_requested |= boolean(row.get(c.buyer));
                snap.any_quantity_shipped |= shipped_qty > 0;
                snap.value_micros = snap.value_micros.saturating_add(item).saturating_add(shipping);
                let sku = row.get(c.sku);
                if !sku.is_empty() && !snap.skus.iter().any(|s| &**s == sku) {
                    snap.skus.push(sku.into());
                }
                if c.item_id.is_some() {
                    let item = row.get(c.item_id);
                    if !item.is_empty() && !snap.item_ids.iter().any(|s| &**s == item) {
                        snap.item_ids.push(item.into());
                    }
                }
                Ok([purchase, last_updated, reporting].into_iter().flatten().max())
            }
            KindSink::Events { order_id, date, by, reason, out } => {
                required(row, cols, *order_id, "order id")?;
                required(row, cols, *date, "date")?;
                let at = instant(row, cols, *date)?;
                let who = row.get(*by);
                let initiated_by = if who.eq_ignore_ascii_case("buyer") {
                    Initiator::Buyer
                } else if who.eq_ignore_ascii_case("seller") {
                    Initiator::Seller
                } else if who.eq_ignore_ascii_case("amazon") {
                    Initiator::Amazon
                } else {
                    return Err(format!("{} must be buyer, seller or amazon: {}", cols.name(*by), shown(who)));
                };
                out.push(CancelEvent {
                    order_id: row.get(*order_id).into(),
                    initiated_by,
                    reason: non_empty(row.get(*reason)),
                });
                Ok(at)
            }
            KindSink::Feed { order_id, reason, out } => {
                required(row, cols, *order_id, "order id")?;
                out.push(FeedRow { order_id: row.get(*order_id).into(), reason: non_empty(row.get(*reason)) });
                Ok(None)
            }
            KindSink::Confirmations { order_id, date, quantity, code, name, tracking, out } => {
                required(row, cols, *order_id, "order id")?;
                required(row, cols, *date, "date")?;
                let v = row.get(*date);
                let ship = match parse_date(v) {
                    Some(d) => ShipDate::Day(epoch_days(d)),
                    None => ShipDate::At(
                        parse_instant(v)
                            .ok_or_else(|| format!("unparseable date in {}: {}", cols.name(*date), shown(v)))?,
                    ),
                };
                integer(row, cols, *quantity)?;
                let code_value = row.get(*code);
                let carrier = if code_value.eq_ignore_ascii_case("other") { row.get(*name) } else { code_value };
                out.push(Confirmation {
                    order_id: row.get(*order_id).into(),
                    ship,
                    carrier: carrier.into(),
                    tracking: row.raw(*tracking).trim_matches(' ').into(),
                    line: line_no,
                });
                Ok(match ship {
                    ShipDate::At(t) => Some(t),
                    ShipDate::Day(_) => None,
                })
            }
            KindSink::Scans { tracking, date, kind, out } => {
                required(row, cols, *tracking, "tracking number")?;
                required(row, cols, *date, "date")?;
                let at = instant(row, cols, *date)?;
                let number = orderhealth_carriers::normalise(row.raw(*tracking).trim_matches(' '));
                let t = out.entry(number).or_default();
                t.scans += 1;
                let k = row.get(*kind);
                t.delivered |= k.eq_ignore_ascii_case("delivered") || k.eq_ignore_ascii_case("attempted-delivery");
                Ok(at)
            }
            KindSink::Catalog { sku, category, out } => {
                required(row, cols, *sku, "sku")?;
                out.push((row.get(*sku).into(), row.get(*category).into()));
                Ok(None)
            }
        }
    }

    fn finish(self) -> FileData {
        match self {
            KindSink::Orders { has_status, mut snapshots, .. } => {
                if !has_status {
                    // Reports without order-status (§5.2): Unshipped, or PartiallyShipped
                    // when a row shows quantity-shipped > 0.
                    for s in snapshots.iter_mut().flat_map(|m| m.values_mut()) {
                        let status = if s.any_quantity_shipped { "PartiallyShipped" } else { "Unshipped" };
                        s.status_raw = Some(status.into());
                    }
                }
                FileData::Orders(snapshots)
            }
            KindSink::Events { out, .. } => FileData::Events(out),
            KindSink::Feed { out, .. } => FileData::Feed(out),
            KindSink::Confirmations { out, .. } => FileData::Confirmations(out),
            KindSink::Scans { out, .. } => FileData::Scans(out),
            KindSink::Catalog { out, .. } => FileData::Catalog(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals() {
        assert_eq!(parse_decimal_micros("12.5"), Some(12_500_000));
        assert_eq!(parse_decimal_micros("-0.01"), Some(-10_000));
        assert_eq!(parse_decimal_micros(".5"), Some(500_000));
        assert_eq!(parse_decimal_micros("+3"), Some(3_000_000));
        for bad in ["1e3", "1,50", "5.", ".", "", "-", "1.2.3", "$5"] {
            assert_eq!(parse_decimal_micros(bad), None, "{bad}");
        }
    }
}
