//! Where each value of a JSON document is: a lazy view of its objects and arrays by byte
//! span, over a document `serde_json` has already found valid. Records keep the line they
//! start on this way, and only a record, never the whole document, becomes a `Value`.

use std::borrow::Cow;

use serde::de::IgnoredAny;

/// A value of a document: its bytes, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub start: usize,
    pub end: usize,
}

/// One JSON document: a whole file, or one line of JSON lines.
pub struct Doc<'a> {
    pub bytes: &'a [u8],
    /// The physical line of `bytes[0]`.
    first_line: u64,
    /// Offsets of the line feeds in `bytes`.
    newlines: Vec<usize>,
    /// Each `{` and `[` of the document in order, and where its value ends: found in one
    /// pass, so walking an object skips a nested value without scanning it again.
    opens: Vec<usize>,
    ends: Vec<usize>,
}

/// The documents of a file, each with the line it starts on: the file as one document, or,
/// for JSON lines (a first line that is a JSON value alone, and more after it), each
/// non-blank line. A document that is not valid JSON is the reason it is not, with its line
/// and column.
pub fn documents(text: &[u8]) -> Vec<(u64, Result<Doc<'_>, String>)> {
    let first_end = memchr::memchr(b'\n', text);
    let lines_mode = first_end.is_some_and(|end| {
        let (first, rest) = text.split_at(end);
        serde_json::from_slice::<IgnoredAny>(first).is_ok() && rest.iter().any(|b| !b.is_ascii_whitespace())
    });
    if !lines_mode {
        return vec![(1, Doc::new(text, 1))];
    }
    let mut docs = Vec::new();
    for (i, line) in text.split(|b| *b == b'\n').enumerate() {
        if line.iter().all(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let n = i as u64 + 1;
        docs.push((n, Doc::new(line, n)));
    }
    docs
}

/// Whether `bytes` (a line) is one JSON value alone.
pub fn is_value(bytes: &[u8]) -> bool {
    serde_json::from_slice::<IgnoredAny>(bytes).is_ok()
}

impl<'a> Doc<'a> {
    /// A document (a file, or one line of JSON lines) whose first byte is on `first_line`:
    /// validated, or why it is not JSON.
    pub fn new(bytes: &'a [u8], first_line: u64) -> Result<Doc<'a>, String> {
        // JSON is UTF-8 (RFC 8259): a document with a byte that is not is not JSON. Checked
        // apart, as the parser that only validates skips what is inside strings.
        if let Err(e) = std::str::from_utf8(bytes) {
            let at = e.valid_up_to();
            let before = bytes.get(..at).unwrap_or_default();
            let line = first_line + memchr::memchr_iter(b'\n', before).count() as u64;
            let column = at - before.iter().rposition(|b| *b == b'\n').map_or(0, |p| p + 1) + 1;
            return Err(format!("not valid JSON at line {line}, column {column}: a byte that is not UTF-8"));
        }
        match serde_json::from_slice::<IgnoredAny>(bytes) {
            Ok(_) => {
                let (opens, ends) = containers(bytes);
                Ok(Doc { bytes, first_line, newlines: memchr::memchr_iter(b'\n', bytes).collect(), opens, ends })
            }
            Err(e) => {
                let line = first_line + e.line().saturating_sub(1) as u64;
                // serde_json's message without its own position (relative to the document).
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or_default();
                Err(format!(
                    "not valid JSON at line {line}, column {}: {}",
                    e.column(),
                    crate::error::printable(message, 200)
                ))
            }
        }
    }

    /// The document's top value.
    pub fn root(&self) -> Option<Node> {
        let start = skip_ws(self.bytes, 0);
        // A valid document is one value and white space.
        let end = self.bytes.iter().rposition(|b| !b.is_ascii_whitespace()).map_or(0, |p| p + 1);
        (start < end).then_some(Node { start, end })
    }

    /// Where the value starting at `start` ends (exclusive).
    fn end_of(&self, start: usize) -> usize {
        match self.bytes.get(start) {
            Some(b'{' | b'[') => match self.opens.binary_search(&start) {
                Ok(i) => self.ends.get(i).copied().unwrap_or(self.bytes.len()),
                Err(_) => self.bytes.len(),
            },
            _ => value_end(self.bytes, start),
        }
    }

    /// The physical line a value starts on.
    pub fn line_of(&self, node: Node) -> u64 {
        self.first_line + self.newlines.partition_point(|&nl| nl < node.start) as u64
    }

    pub fn is_object(&self, node: Node) -> bool {
        self.bytes.get(node.start) == Some(&b'{')
    }

    pub fn is_array(&self, node: Node) -> bool {
        self.bytes.get(node.start) == Some(&b'[')
    }

    /// An object's fields, in document order (keys unescaped); empty for anything else.
    pub fn fields(&self, node: Node) -> Vec<(Cow<'a, str>, Node)> {
        let mut out = Vec::with_capacity(16);
        self.each_field(node, |key, value| out.push((key, value)));
        out
    }

    /// The field `name` of an object, when present and not null (of duplicate keys the last,
    /// as `serde_json` reads an object): found without collecting the fields.
    pub fn get(&self, node: Node, name: &str) -> Option<Node> {
        let mut found = None;
        self.each_field(node, |key, value| {
            if key == name {
                found = Some(value);
            }
        });
        found.filter(|v| !self.is_null(*v))
    }

    /// Calls `f` with each field of an object, in document order (keys unescaped).
    fn each_field(&self, node: Node, mut f: impl FnMut(Cow<'a, str>, Node)) {
        if !self.is_object(node) {
            return;
        }
        let b = self.bytes;
        let mut i = skip_ws(b, node.start + 1);
        while i < node.end && b.get(i) == Some(&b'"') {
            let key_end = string_end(b, i);
            // A key without an escape is its bytes (the document is UTF-8): no copy.
            let raw = b.get(i + 1..key_end.saturating_sub(1)).unwrap_or_default();
            let key = match (raw.contains(&b'\\'), std::str::from_utf8(raw)) {
                (false, Ok(k)) => Cow::Borrowed(k),
                _ => Cow::Owned(
                    serde_json::from_slice::<String>(b.get(i..key_end).unwrap_or_default()).unwrap_or_default(),
                ),
            };
            i = skip_ws(b, key_end);
            i = skip_ws(b, i + 1); // the ':'
            let end = self.end_of(i);
            f(key, Node { start: i, end });
            i = skip_ws(b, end);
            if b.get(i) == Some(&b',') {
                i = skip_ws(b, i + 1);
            }
        }
    }

    /// The field `name` of an object.
    #[cfg(test)]
    pub fn field(&self, node: Node, name: &str) -> Option<Node> {
        self.fields(node).into_iter().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// An array's elements, in order; empty for anything else.
    pub fn elements(&self, node: Node) -> Vec<Node> {
        let mut out = Vec::new();
        if !self.is_array(node) {
            return out;
        }
        let b = self.bytes;
        let mut i = skip_ws(b, node.start + 1);
        while i < node.end && b.get(i) != Some(&b']') {
            let end = self.end_of(i);
            out.push(Node { start: i, end });
            i = skip_ws(b, end);
            if b.get(i) == Some(&b',') {
                i = skip_ws(b, i + 1);
            }
        }
        out
    }

    /// A value's text as it stands in the document (valid UTF-8: the document was checked).
    pub fn raw(&self, node: Node) -> &'a str {
        std::str::from_utf8(self.bytes.get(node.start..node.end).unwrap_or_default()).unwrap_or_default()
    }

    pub fn is_null(&self, node: Node) -> bool {
        self.bytes.get(node.start) == Some(&b'n')
    }

    pub fn is_string(&self, node: Node) -> bool {
        self.bytes.get(node.start) == Some(&b'"')
    }

    /// A string value, unescaped (borrowed from the document when it has no escape); `None`
    /// for any other value.
    pub fn string(&self, node: Node) -> Option<Cow<'a, str>> {
        if !self.is_string(node) {
            return None;
        }
        let inner = self.bytes.get(node.start + 1..node.end.saturating_sub(1)).unwrap_or_default();
        if !inner.contains(&b'\\') {
            return std::str::from_utf8(inner).ok().map(Cow::Borrowed);
        }
        serde_json::from_slice::<String>(self.bytes.get(node.start..node.end).unwrap_or_default()).ok().map(Cow::Owned)
    }

    /// An object's fields, looked up by name ([`Obj`]).
    pub fn object<'d>(&'d self, node: Node) -> Obj<'d, 'a> {
        Obj { doc: self, fields: self.fields(node) }
    }
}

/// An object of a document with its fields found once: a record is mapped by looking its
/// fields up here, never by building a tree of it.
pub struct Obj<'d, 'a> {
    pub doc: &'d Doc<'a>,
    pub fields: Vec<(Cow<'a, str>, Node)>,
}

impl<'d, 'a> Obj<'d, 'a> {
    /// The field `name`, when present and not null; of duplicate keys the last (as
    /// `serde_json` reads an object).
    pub fn get(&self, name: &str) -> Option<Node> {
        self.fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| *v).filter(|v| !self.doc.is_null(*v))
    }

    /// The value at a dotted path (`BuyerInfo.BuyerEmail`), when present and not null.
    pub fn at(&self, dotted: &str) -> Option<Node> {
        let mut parts = dotted.split('.');
        let mut cur = self.get(parts.next()?)?;
        for part in parts {
            cur = self.doc.get(cur, part)?;
        }
        Some(cur)
    }

    /// The string at a dotted path, ASCII spaces trimmed, when not empty.
    pub fn text(&self, dotted: &str) -> Option<Cow<'a, str>> {
        let s = self.doc.string(self.at(dotted)?)?;
        let trimmed = match s {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim_matches(' ')),
            Cow::Owned(o) if o.starts_with(' ') || o.ends_with(' ') => Cow::Owned(o.trim_matches(' ').to_string()),
            owned => owned,
        };
        (!trimmed.is_empty()).then_some(trimmed)
    }

    /// The elements of the array at a dotted path (none when absent or not an array).
    pub fn elements(&self, dotted: &str) -> Vec<Node> {
        self.at(dotted).map(|n| self.doc.elements(n)).unwrap_or_default()
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(k, _)| k == name)
    }
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// The end (exclusive) of the string whose opening quote is at `start`: a jump to each `"`
/// or `\` (most of a document's bytes are inside strings).
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while let Some(found) = b.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
        let at = i + found;
        if b.get(at) == Some(&b'"') {
            return at + 1;
        }
        i = at + 2; // an escape and the byte it escapes
    }
    b.len()
}

/// Where a scalar value starting at `start` ends (exclusive), in valid JSON.
fn value_end(b: &[u8], start: usize) -> usize {
    if b.get(start) == Some(&b'"') {
        return string_end(b, start);
    }
    let mut i = start;
    while b.get(i).is_some_and(|c| !matches!(c, b',' | b']' | b'}') && !c.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// Every `{` and `[` of a valid document, in order, and the end (exclusive) of the value
/// each opens: one pass, jumping over strings.
fn containers(b: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let guess = b.len() / 64 + 4;
    let (mut opens, mut ends, mut stack) = (Vec::with_capacity(guess), Vec::with_capacity(guess), Vec::new());
    let close = |from: usize, upto: usize, ends: &mut Vec<usize>, stack: &mut Vec<usize>| {
        for (j, c) in b.get(from..upto).unwrap_or_default().iter().enumerate() {
            if matches!(c, b'}' | b']') {
                if let Some(e) = stack.pop().and_then(|k| ends.get_mut(k)) {
                    *e = from + j + 1;
                }
            }
        }
    };
    let mut i = 0;
    while let Some(at) = b.get(i..).and_then(|rest| memchr::memchr3(b'"', b'{', b'[', rest)).map(|f| i + f) {
        // The brackets closed between here and the next string or opening bracket.
        close(i, at, &mut ends, &mut stack);
        if b.get(at) == Some(&b'"') {
            i = string_end(b, at);
        } else {
            stack.push(opens.len());
            opens.push(at);
            ends.push(b.len());
            i = at + 1;
        }
    }
    close(i, b.len(), &mut ends, &mut stack);
    (opens, ends)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_keep_their_lines_and_strings_hide_brackets() {
        let text = b"{\n \"payload\": {\n  \"Orders\": [\n   {\"AmazonOrderId\": \"a]}\\\"\"},\n   {\"AmazonOrderId\": \"b\"}\n  ]\n }\n}\n";
        let docs = documents(text);
        let (_, doc) = &docs[0];
        let doc = doc.as_ref().unwrap();
        let root = doc.root().unwrap();
        let payload = doc.field(root, "payload").unwrap();
        let orders = doc.elements(doc.field(payload, "Orders").unwrap());
        assert_eq!(orders.len(), 2);
        assert_eq!((doc.line_of(orders[0]), doc.line_of(orders[1])), (4, 5));
        assert_eq!(doc.object(orders[0]).text("AmazonOrderId").as_deref(), Some("a]}\""));
    }

    #[test]
    fn json_lines_are_documents_of_their_own_and_a_bad_one_names_its_line() {
        let docs = documents(b"{\"a\": 1}\n\n{\"a\": \n{\"b\": [1, 2]}\n");
        let lines: Vec<u64> = docs.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, [1, 3, 4]);
        assert!(docs[1].1.as_ref().err().unwrap().starts_with("not valid JSON at line 3"));
        assert!(docs[2].1.is_ok());
    }

    #[test]
    fn a_pretty_printed_document_is_one_document() {
        let docs = documents(b"[\n {\"a\": 1},\n {\"a\": 2}\n]\n");
        assert_eq!(docs.len(), 1);
        let doc = docs[0].1.as_ref().unwrap();
        assert_eq!(doc.elements(doc.root().unwrap()).len(), 2);
    }

    #[test]
    fn nesting_deeper_than_serde_json_allows_is_an_error_not_a_crash() {
        let deep = "[".repeat(100_000);
        let docs = documents(deep.as_bytes());
        assert!(docs[0].1.is_err());
    }
}
