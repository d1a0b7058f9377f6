//! The encoding of a file that is not UTF-8 (SPEC §1, §5.1): one decision per file, cp932 for
//! a Japanese file and Windows-1252 otherwise, and a hint when a file read as Windows-1252
//! looks Japanese.

use std::path::Path;

use super::header::TEMPLATE_HEADER_LINES;
use super::ReadOptions;
use crate::source::{EncodingChoice, Lines, TextEncoding};

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

/// §5.1: cp932 when a template's label row reads as Japanese; when one of the first 300
/// data rows says `Amazon.co.jp` in `sales-channel` or has a buyer e-mail
/// `…@marketplace.amazon.co.jp`; or when there is no `sales-channel` column and
/// `--marketplace JP` was given. Windows-1252 otherwise.
fn guess_legacy_encoding(path: &Path, opts: &ReadOptions) -> std::io::Result<TextEncoding> {
    // The file's own bytes: the label row is told Japanese by how its bytes decode.
    let (_, reader) = crate::source::open_decompressed(path, &|_| {})?;
    let lines = &mut Lines::raw(reader);
    {
        let column_of = |line: &[u8], name: &[u8]| {
            line.split(|&b| b == b'\t').position(|c| c.trim_ascii().eq_ignore_ascii_case(name))
        };
        let (mut sales_channel, mut email) = (None, None);
        let mut rows = 0;
        let mut header_seen = false;
        let (mut template, mut candidates) = (false, 0);
        while let Ok(Some((_, line))) = lines.next_line() {
            if !header_seen {
                if !template && candidates == 0 && line.starts_with(b"TemplateType=") {
                    template = true;
                    continue;
                }
                // Amazon's Japanese templates carry a row of Japanese column titles (§5.1).
                if template && candidates == 0 && is_japanese_text(line) {
                    return Ok(TextEncoding::Cp932);
                }
                candidates += 1;
                sales_channel = column_of(line, b"sales-channel");
                email = column_of(line, b"buyer-email");
                // Label rows of a template come before the keys (§5.1).
                let keys = sales_channel.is_some() || email.is_some();
                if keys || !template || candidates >= TEMPLATE_HEADER_LINES {
                    header_seen = true;
                    if !keys {
                        break;
                    }
                }
                continue;
            }
            if line.is_empty() {
                continue;
            }
            rows += 1;
            let field =
                |i: Option<usize>| line.split(|&b| b == b'\t').nth(i.unwrap_or(usize::MAX)).map(<[u8]>::trim_ascii);
            if field(sales_channel).is_some_and(|v| v.eq_ignore_ascii_case(b"amazon.co.jp")) {
                return Ok(TextEncoding::Cp932);
            }
            if field(email).is_some_and(is_jp_buyer_email) {
                return Ok(TextEncoding::Cp932);
            }
            if rows >= 300 {
                break;
            }
        }
        Ok(if sales_channel.is_none() && opts.marketplace_is_jp {
            TextEncoding::Cp932
        } else {
            TextEncoding::Windows1252
        })
    }
}

/// A buyer e-mail of Amazon.co.jp's marketplace (an ASCII suffix, found before decoding).
fn is_jp_buyer_email(v: &[u8]) -> bool {
    const SUFFIX: &[u8] = b"@marketplace.amazon.co.jp";
    v.len() >= SUFFIX.len() && v.get(v.len() - SUFFIX.len()..).is_some_and(|s| s.eq_ignore_ascii_case(SUFFIX))
}

/// A row that decodes as Shift_JIS without error and has a field written in Japanese alone
/// (two or more kana or kanji). Western accents read as Shift_JIS pair with the next Latin
/// letter into stray kanji inside a Latin word (`référence`), never a field of their own.
fn is_japanese_text(line: &[u8]) -> bool {
    let japanese =
        |c: char| ('\u{3041}'..='\u{30FF}').contains(&c) || ('\u{4E00}'..='\u{9FFF}').contains(&c) || c == '\u{3005}';
    let Some(text) = encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(line) else {
        return false;
    };
    text.split('\t').any(|field| {
        let field = field.trim();
        field.chars().count() >= 2 && field.chars().all(japanese)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jp_buyer_emails_and_japanese_labels() {
        assert!(is_jp_buyer_email(b"abc123@marketplace.amazon.co.jp"));
        assert!(is_jp_buyer_email(b"ABC@Marketplace.Amazon.CO.JP"));
        assert!(!is_jp_buyer_email(b"abc@marketplace.amazon.com"));
        assert!(!is_jp_buyer_email(b"co.jp"));
        // "注文番号" (order number) in Shift_JIS; Windows-1252 text with accents is not Japanese.
        assert!(is_japanese_text(b"\x92\x8d\x95\xb6\x94\xd4\x8d\x86\tx"));
        assert!(!is_japanese_text(b"commande n\xb0\tr\xe9f\xe9rence"));
        assert!(!is_japanese_text(b"order-id\tsku"));
        assert!(!is_japanese_text(b"r\xe9f\xe9rence\tquantit\xe9"));
    }
}
