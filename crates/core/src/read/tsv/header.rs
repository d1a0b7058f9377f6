//! Finding a file's header (SPEC §1, §5.1): line 1, or after a `TemplateType=` line the
//! first of the next lines recognised as a kind (label rows before it); and a later line that
//! repeats the header (dumps appended together).

use super::Failure;
use crate::error::NotAnInput;
use crate::kind::{FileKind, Header};
use crate::source::Lines;

/// How many lines after a `TemplateType=` line may hold the header: Amazon's templates put
/// one or two rows of column titles in the seller's language before the keys (§5.1).
pub(super) const TEMPLATE_HEADER_LINES: usize = 3;

pub(super) enum HeaderFound {
    Recognised(Header, FileKind),
    /// No candidate line is a kind: the one that looks most like one.
    Unrecognised(Header),
}

fn header_of(line: &str) -> Header {
    Header::new(line.split('\t').map(|s| s.trim_matches(' ').to_string()).collect())
}

pub(super) fn found_columns(header: &Header) -> Vec<String> {
    header.names.iter().filter(|n| !n.is_empty()).cloned().collect()
}

/// The header: line 1, or after a `TemplateType=` line the first of the next three lines
/// recognised as a kind (the lines before it are labels, skipped but counted).
/// Reads the next line as text (lossy), for the header lines.
pub(super) type NextLine<'f> = dyn Fn(&mut Lines<'_>) -> Result<Option<(u64, String)>, Failure> + 'f;

pub(super) fn find_header(lines: &mut Lines<'_>, next: &NextLine<'_>) -> Result<HeaderFound, Failure> {
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

/// A line whose fields, trimmed and compared as header names are, equal the header's.
/// The first field is checked first, so data rows cost one short comparison.
pub(super) fn is_header_again(header: &Header, line: &str, ranges: &[(usize, usize)]) -> bool {
    let field = |&(a, b): &(usize, usize)| &line[a..b];
    let first_matches = ranges
        .first()
        .map(field)
        .is_some_and(|f| header.names.first().is_some_and(|n| f.trim_matches(' ').eq_ignore_ascii_case(n)));
    first_matches && header.is_repeated_by(ranges.iter().map(field))
}

/// What an unrecognised header is known to be (§1.5): a report sellers download beside their
/// order reports, recognised by columns only it has, or a data row where the header should be.
pub(super) fn not_an_input(header: &Header) -> Option<NotAnInput> {
    if header.names.iter().all(|n| n.trim().is_empty()) {
        return Some(NotAnInput::Empty);
    }
    const REPORTS: &[(&str, &[&str])] = &[
        ("an FBA Amazon Fulfilled Shipments report", &["shipment-id", "fulfillment-center-id"]),
        ("an FBA Amazon Fulfilled Shipments report", &["shipment-item-id", "amazon-order-item-id"]),
        ("a settlement report", &["settlement-id"]),
        ("a returns report", &["return request date"]),
        ("a returns report", &["return-request-date"]),
        ("a returns report", &["amazon rma id"]),
        ("an FBA customer returns report", &["return-date", "detailed-disposition"]),
    ];
    if let Some((what, _)) = REPORTS.iter().find(|(_, cols)| cols.iter().all(|c| header.has(c))) {
        return Some(NotAnInput::Report(what));
    }
    looks_like_data(header).then_some(NotAnInput::Headerless)
}

/// A "header" that holds values no column is named like: an Amazon order id
/// (`123-1234567-1234567`) or a timestamp.
fn looks_like_data(header: &Header) -> bool {
    let order_id = |v: &str| {
        let parts: Vec<&str> = v.split('-').collect();
        parts.len() == 3
            && parts.iter().zip([3, 7, 7]).all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit()))
    };
    header
        .names
        .iter()
        .map(|n| n.trim_matches(' '))
        .any(|v| order_id(v) || crate::timestamp::parse_instant(v).is_some())
}
