//! Errors that stop a run (SPEC §1.5): each names the file and says what to do about it.

use std::path::PathBuf;

use crate::kind::FileKind;

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("{}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },

    #[error(
        "{}: not a recognised input: it looks most like a {looked_like} file but lacks {}; columns found: {}",
        path.display(), list(missing), list(found)
    )]
    Unrecognised { path: PathBuf, looked_like: FileKind, missing: Vec<String>, found: Vec<String> },

    #[error(
        "{}: {kind} file lacks required column(s) {}; columns found: {}",
        path.display(), list(missing), list(found)
    )]
    MissingColumns { path: PathBuf, kind: FileKind, missing: Vec<String>, found: Vec<String> },

    #[error("{}: not valid UTF-8 (first bad byte at offset {offset}); pass --encoding windows-1252 or cp932 to read it", path.display())]
    NotUtf8 { path: PathBuf, offset: u64 },

    #[error("{}:{line}: rejected {kind} row (--strict): {reason}", path.display())]
    Strict { path: PathBuf, line: u64, kind: FileKind, reason: String },

    #[error("{}: no such file or directory", path.display())]
    NotFound { path: PathBuf },
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "(none)".to_string()
    } else {
        items.join(", ")
    }
}
