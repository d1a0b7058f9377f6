//! Tracking-number rules of SPEC §3.3–§3.4 and §5.5, in one place.
//!
//! This crate answers one question: given the carrier a seller typed into a shipping
//! confirmation and the tracking number, would Amazon accept the number? It knows the
//! hidden characters a copy from a web page leaves behind, which carrier names are
//! integrated, each carrier's number formats and check digits, and how to show and clean a
//! number. The scan checks (defects 6) need order data and live in the pipeline.
//!
//! Nothing here allocates on the valid path except [`normalise`]; no dependencies, so the
//! rules build and test in seconds.

// Tracking numbers are input: each place that indexes one says why its index is in bounds.
#![cfg_attr(not(test), deny(clippy::indexing_slicing))]

mod formats;

pub use formats::{Carrier, CARRIERS};

/// Why a package's tracking is not valid, in the order the checks run (SPEC §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Defect {
    Missing,
    HiddenCharacters,
    UnrecognizedCarrier,
    BadFormat,
    BadCheckDigit,
    NoScan,
    InsufficientScans,
}

impl Defect {
    /// Every defect, in check order; the column order of `valid_tracking`.
    pub const ALL: [Defect; 7] = [
        Defect::Missing,
        Defect::HiddenCharacters,
        Defect::UnrecognizedCarrier,
        Defect::BadFormat,
        Defect::BadCheckDigit,
        Defect::NoScan,
        Defect::InsufficientScans,
    ];

    /// The name shown in `tracking_defects.defect`.
    pub fn as_str(self) -> &'static str {
        match self {
            Defect::Missing => "missing",
            Defect::HiddenCharacters => "hidden-characters",
            Defect::UnrecognizedCarrier => "unrecognized-carrier",
            Defect::BadFormat => "bad-format",
            Defect::BadCheckDigit => "bad-check-digit",
            Defect::NoScan => "no-scan",
            Defect::InsufficientScans => "insufficient-scans",
        }
    }

    /// The count column of `valid_tracking` (snake case).
    pub fn column(self) -> &'static str {
        match self {
            Defect::Missing => "missing",
            Defect::HiddenCharacters => "hidden_characters",
            Defect::UnrecognizedCarrier => "unrecognized_carrier",
            Defect::BadFormat => "bad_format",
            Defect::BadCheckDigit => "bad_check_digit",
            Defect::NoScan => "no_scan",
            Defect::InsufficientScans => "insufficient_scans",
        }
    }
}

/// Trim ASCII spaces at both ends (SPEC §5.1: ids and numbers are trimmed of ASCII spaces only).
pub fn trim_spaces(s: &str) -> &str {
    s.trim_matches(' ')
}

/// A tracking number that is empty or exactly `NULL` after trimming counts as missing (§5.5).
pub fn is_missing(number: &str) -> bool {
    let t = trim_spaces(number);
    t.is_empty() || t == "NULL"
}

/// Characters Amazon cannot match: what a copy from a carrier's web page leaves behind
/// (SPEC §3.3 check 2 and §5.5: every C0/C1 control and DEL too).
pub fn is_hidden_char(c: char) -> bool {
    matches!(c as u32,
        0x00A0 | 0x00AD | 0x2000..=0x200F | 0x2028..=0x202F | 0x2060..=0x2064
        | 0x3000 | 0xFEFF | 0xFFFD)
        || c.is_control()
}

/// The number as shown in `tracking_defects`: each hidden character as `\u{hex}`
/// (lower-case, minimal digits), everything else as it was.
pub fn display_number(number: &str) -> String {
    let mut out = String::with_capacity(number.len());
    for c in number.chars() {
        if is_hidden_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// The number as carriers and scans know it: ASCII spaces removed, ASCII letters upper-cased.
pub fn normalise(number: &str) -> String {
    // Byte by byte: only ASCII bytes change (a space goes, a lower-case letter is raised), and
    // an ASCII byte is never part of a longer character, so the result stays UTF-8. Numbers
    // are looked up once per package in every report: this runs a few million times a run.
    let bytes = number.as_bytes();
    if !bytes.iter().any(|b| *b == b' ' || b.is_ascii_lowercase()) {
        return number.to_string();
    }
    let kept: Vec<u8> = bytes.iter().filter(|b| **b != b' ').map(u8::to_ascii_uppercase).collect();
    String::from_utf8(kept).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Checks 1–5 of SPEC §3.3 on one package: `carrier` as resolved from the confirmation
/// (code, or name when the code is `Other`), `number` as given.
pub fn check(carrier: &str, number: &str) -> Result<(), Defect> {
    check_with(Carrier::find(carrier), number)
}

/// [`check`] with the carrier already looked up (`None`: not an integrated carrier), for
/// callers that judge many packages of few carriers.
pub fn check_with(carrier: Option<&Carrier>, number: &str) -> Result<(), Defect> {
    if is_missing(number) {
        return Err(Defect::Missing);
    }
    if number.chars().any(is_hidden_char) {
        return Err(Defect::HiddenCharacters);
    }
    check_number(carrier, &normalise(number))
}

/// Checks 3–5 on a number already free of hidden characters and normalised.
fn check_number(carrier: Option<&Carrier>, normalised: &str) -> Result<(), Defect> {
    carrier.ok_or(Defect::UnrecognizedCarrier)?.judge(normalised.as_bytes())
}

/// The cleaned number offered for a `hidden-characters` package: hidden characters and
/// ASCII spaces removed, upper-cased; only when that number passes checks 3–5.
pub fn suggestion(carrier: &str, number: &str) -> Option<String> {
    let cleaned: String =
        number.chars().filter(|&c| !is_hidden_char(c) && c != ' ').map(|c| c.to_ascii_uppercase()).collect();
    if cleaned.is_empty() || cleaned == "NULL" {
        return None;
    }
    check_number(Carrier::find(carrier), &cleaned).ok().map(|_| cleaned)
}

#[cfg(test)]
mod tests;
