//! Errors that stop a run (SPEC §1.5): each names the file and says what to do about it.

use std::path::PathBuf;

use crate::kind::FileKind;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error("{}: not a recognised input: {}", path.display(), unrecognised_text(*looked_like, missing, found, *not_input))]
    Unrecognised {
        path: PathBuf,
        looked_like: FileKind,
        missing: Vec<String>,
        found: Vec<String>,
        /// What the file is known to be instead, when its header says (§1.5).
        not_input: Option<NotAnInput>,
    },

    #[error(
        "{}: {kind} file lacks required column(s) {}; columns found: {}",
        path.display(), list(missing), list(found)
    )]
    MissingColumns { path: PathBuf, kind: FileKind, missing: Vec<String>, found: Vec<String> },

    #[error("{}: not valid UTF-8 (first bad byte at offset {offset}); pass --encoding windows-1252 or cp932 to read it", path.display())]
    NotUtf8 { path: PathBuf, offset: u64 },

    #[error("{}:{line}: rejected {kind} row (--strict): {reason}", path.display())]
    Strict { path: PathBuf, line: u64, kind: FileKind, reason: String },

    /// A seller performance report that does not read as §1.7 says (§1.5).
    #[error("{}: a seller performance report that cannot be read: {why}", path.display())]
    Malformed { path: PathBuf, why: String },

    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },

    /// §1.5 (v1.4): order reports with data rows, none of them usable.
    #[error(
        "every order row was rejected ({} in {}): nothing to report; rejected.tsv gives each row's file, line and reason",
        if *rows == 1 { "1 row".to_string() } else { format!("{rows} rows") }, list(files)
    )]
    NoUsableOrderRow { rows: u64, files: Vec<String> },

    /// §1.5: inputs in which no file is an order report (a wrong folder, only confirmations).
    #[error(
        "no order report among the inputs (an all-orders, new-orders or unshipped report, or orders from the SP-API as JSON, is needed): {}; reports not written",
        found_text(*read, kinds, *skipped)
    )]
    NoOrderReport { read: usize, kinds: Vec<(String, usize)>, skipped: usize },
}

/// A file that is not an input, known for what it is (§1.5, v1.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotAnInput {
    /// One of the reports sellers download beside their order reports.
    Report(&'static str),
    /// A file without its header row: its first line is a data row.
    Headerless,
    /// A file with no line at all.
    Empty,
    /// JSON that holds no SP-API order data: why (§1.6).
    Json(&'static str),
}

impl NotAnInput {
    /// Why the file is skipped, or not read when named.
    pub fn reason(self) -> String {
        match self {
            NotAnInput::Report(what) => format!("{what}, which orderhealth does not read"),
            NotAnInput::Empty => "the file is empty (0 bytes, or no line)".to_string(),
            NotAnInput::Json(why) => why.to_string(),
            NotAnInput::Headerless => "its header is missing: the first line looks like a data row, not column names; \
                 add the report's header line"
                .to_string(),
        }
    }
}

fn unrecognised_text(
    looked_like: FileKind,
    missing: &[String],
    found: &[String],
    not_input: Option<NotAnInput>,
) -> String {
    match not_input {
        Some(known @ (NotAnInput::Headerless | NotAnInput::Empty | NotAnInput::Json(_))) => known.reason(),
        Some(known) => format!("{}; columns found: {}", known.reason(), list(found)),
        None => format!(
            "it looks most like {} file but lacks {}; columns found: {}",
            looked_like.with_article(),
            list(missing),
            list(found)
        ),
    }
}

fn found_text(read: usize, kinds: &[(String, usize)], skipped: usize) -> String {
    let files = |n: usize| if n == 1 { "1 file".to_string() } else { format!("{n} files") };
    let mut s = match read {
        0 => "found no file orderhealth reads".to_string(),
        n => {
            let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{n} {k}")).collect();
            format!("read {} ({})", files(n), kinds.join(", "))
        }
    };
    if skipped > 0 {
        let what = if skipped == 1 { "is not an input" } else { "are not inputs" };
        s.push_str(&format!(", skipped {} that {what}", files(skipped)));
    }
    s
}

/// How much of a list of columns an error shows: a 200 MB line is not a header.
const MAX_LIST: usize = 300;

fn list(items: &[String]) -> String {
    if items.is_empty() {
        return "(none)".to_string();
    }
    let mut shown = String::new();
    for (i, item) in items.iter().enumerate() {
        let item = printable(item, MAX_LIST);
        if shown.len() + item.len() > MAX_LIST && i > 0 {
            shown.push_str(&format!(" … and {} more", items.len() - i));
            return shown;
        }
        if i > 0 {
            shown.push_str(", ");
        }
        shown.push_str(&item);
    }
    shown
}

/// `text` safe to print on a terminal and at most about `max` characters: control and
/// other invisible characters shown as `\u{…}`, the rest cut with `…`.
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() || orderhealth_carriers::is_hidden_char(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}
