//! Finding a file's header (SPEC §1, §5.1): line 1, or after a `TemplateType=` line the
//! first of the next lines recognised as a kind (label rows before it); and a later line that
//! repeats the header (dumps appended together).

use super::Failure;
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
