//! One row's fields and how each canonical field is typed (SPEC §5.1 "what can reject a
//! row"): the reason a row is rejected is made here, in words a person can act on.

use crate::kind::Header;
use crate::timestamp::{parse_instant, Micros};
use crate::Text;

// The helpers the row loop calls for every field are `#[inline]`: they used to share a module
// (and so a codegen unit) with the loop; across modules only inlining keeps them as cheap.

/// One row's fields: byte ranges into the line, reused between rows.
pub(super) struct Row<'l> {
    pub(super) line: &'l str,
    pub(super) ranges: &'l [(usize, usize)],
}

impl<'l> Row<'l> {
    /// Field `i`; the row loop only hands over rows with as many fields as the header, so a
    /// column index always has its field ("" would be the safe answer otherwise).
    #[inline]
    fn field(&self, i: usize) -> &'l str {
        self.ranges.get(i).and_then(|&(a, b)| self.line.get(a..b)).unwrap_or("")
    }

    /// A field trimmed of ASCII spaces; `""` when the column is absent.
    #[inline]
    pub(super) fn get(&self, idx: Option<usize>) -> &'l str {
        match idx {
            Some(i) => trim_spaces(self.field(i)),
            None => "",
        }
    }

    /// A field as given (tracking numbers keep their inner characters).
    #[inline]
    pub(super) fn raw(&self, idx: Option<usize>) -> &'l str {
        match idx {
            Some(i) => self.field(i),
            None => "",
        }
    }
}

/// `s` without its leading and trailing ASCII spaces (`str::trim_matches(' ')`, which goes
/// through the general pattern machinery: 2% of a run's reading, for fields that mostly have
/// none).
#[inline]
pub(super) fn trim_spaces(s: &str) -> &str {
    let b = s.as_bytes();
    if b.first() != Some(&b' ') && b.last() != Some(&b' ') {
        return s;
    }
    let start = b.iter().position(|&c| c != b' ').unwrap_or(b.len());
    let end = b.iter().rposition(|&c| c != b' ').map_or(start, |last| last + 1);
    // A space is one byte that is never part of a longer character: the cuts fall on
    // character boundaries.
    s.get(start..end).unwrap_or("")
}

/// Column positions of a file, and their names as found (for reasons).
pub(super) struct Columns<'h> {
    pub(super) header: &'h Header,
}

impl Columns<'_> {
    pub(super) fn name(&self, idx: Option<usize>) -> &str {
        idx.and_then(|i| self.header.names.get(i)).map(|n| n.trim_matches(' ')).unwrap_or("?")
    }
}

#[inline]
pub(super) fn required(row: &Row, cols: &Columns, idx: Option<usize>, what: &str) -> Result<(), String> {
    if row.get(idx).is_empty() {
        Err(format!("empty {what} in {}", cols.name(idx)))
    } else {
        Ok(())
    }
}

/// A value as a rejection reason shows it: at most 100 characters, and no tab, newline or
/// other control character that would break `rejected.tsv` or reach a terminal raw.
pub(super) fn shown(v: &str) -> String {
    crate::error::printable(v, 100)
}

#[inline]
pub(super) fn instant(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<Option<Micros>, String> {
    let v = row.get(idx);
    if v.is_empty() {
        return Ok(None);
    }
    parse_instant(v).map(Some).ok_or_else(|| format!("unparseable date in {}: {}", cols.name(idx), shown(v)))
}

#[inline]
pub(super) fn integer(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<Option<i64>, String> {
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

#[inline]
pub(super) fn price(row: &Row, cols: &Columns, idx: Option<usize>) -> Result<i64, String> {
    let v = row.get(idx);
    if v.is_empty() {
        return Ok(0);
    }
    parse_decimal_micros(v).ok_or_else(|| format!("not a decimal in {}: {}", cols.name(idx), shown(v)))
}

#[inline]
pub(super) fn boolean(v: &str) -> bool {
    v.eq_ignore_ascii_case("true")
}

pub(super) fn non_empty(v: &str) -> Option<Text> {
    (!v.is_empty()).then(|| v.into())
}

pub(super) fn keep_min<T: Ord + Clone>(slot: &mut Option<T>, v: Option<T>) {
    if let Some(v) = v {
        if slot.as_ref().is_none_or(|s| v < *s) {
            *slot = Some(v);
        }
    }
}

/// `keep_min` for text, allocating only when the value is kept (the hot path of order rows).
#[inline]
pub(super) fn keep_min_text(slot: &mut Option<Text>, v: &str) {
    if !v.is_empty() && slot.as_deref().is_none_or(|s| v < s) {
        *slot = Some(v.into());
    }
}

pub(super) fn keep_max<T: Ord + Clone>(slot: &mut Option<T>, v: Option<T>) {
    if let Some(v) = v {
        if slot.as_ref().is_none_or(|s| v > *s) {
            *slot = Some(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_are_trimmed_at_both_ends_and_nothing_else() {
        for (field, trimmed) in [
            ("", ""),
            (" ", ""),
            ("   ", ""),
            ("abc", "abc"),
            ("  abc", "abc"),
            ("abc  ", "abc"),
            (" a b ", "a b"),
            ("\tabc\t", "\tabc\t"),
            (" Ünïcödé ", "Ünïcödé"),
            (" 日本 ", "日本"),
        ] {
            assert_eq!(trim_spaces(field), trimmed, "{field:?}");
            assert_eq!(trim_spaces(field), field.trim_matches(' '), "{field:?}");
        }
    }

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
