//! The encoding of a file that is not UTF-8 (SPEC §1, §5.1): one decision per file, cp932 for
//! a Japanese file and Windows-1252 otherwise, and a hint when a file read as Windows-1252
//! looks Japanese.

use std::path::Path;

use super::header::TEMPLATE_HEADER_LINES;
use super::ReadOptions;
use crate::source::{with_lines, EncodingChoice, TextEncoding};

/// The encoding for a file whose first pass found a byte that is not UTF-8, or `None` when
/// `--encoding utf-8` makes that an error.
pub(super) fn legacy_encoding(path: &Path, opts: &ReadOptions) -> std::io::Result<Option<TextEncoding>> {
    Ok(Some(match opts.encoding {
        EncodingChoice::Utf8 => return Ok(None),
        EncodingChoice::Windows1252 => TextEncoding::Windows1252,
        EncodingChoice::Cp932 => TextEncoding::Cp932,
        EncodingChoice::Auto => guess_legacy_encoding(path, opts)?,
    }))
}

/// A doubt about the guess, for the user: a file read as Windows-1252 by `auto` whose bytes
/// read as Japanese.
pub(super) fn encoding_hint(path: &Path, opts: &ReadOptions, encoding: TextEncoding) -> Option<String> {
    let guessed_western = opts.encoding == EncodingChoice::Auto && encoding == TextEncoding::Windows1252;
    (guessed_western && reads_as_japanese(path).unwrap_or(false)).then(|| {
        "read as Windows-1252, but its bytes read as Japanese Shift_JIS (cp932): if it is a Japanese file, \
         pass --marketplace JP or --encoding cp932"
            .to_string()
    })
}

/// Whether the start of a file that is not UTF-8 decodes cleanly as Shift_JIS and holds kana
/// (lead bytes 0x82/0x83, which are rare `‚ƒ` in Windows-1252 text): a Japanese file that the
/// §5.1 rule reads as Windows-1252 because it has no `sales-channel` column.
#[allow(clippy::indexing_slicing, reason = "whole_lines <= head.len() by construction")]
fn reads_as_japanese(path: &Path) -> std::io::Result<bool> {
    use std::io::Read;
    let (_, reader) = crate::source::open_decompressed(path, &|_| {})?;
    let mut head = Vec::with_capacity(64 * 1024);
    reader.take(64 * 1024).read_to_end(&mut head)?;
    let whole_lines = head.iter().rposition(|&b| b == b'\n').map_or(head.len(), |p| p + 1);
    let text = encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(&head[..whole_lines]);
    Ok(text.is_some_and(|t| t.chars().any(|c| ('\u{3041}'..='\u{30FA}').contains(&c))))
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
