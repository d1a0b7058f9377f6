//! Reading a JSON file a record at a time, so memory holds one record and never the file
//! (SPEC §1.6: "a multi-gigabyte export is read in memory proportional to one record"):
//! lines of JSON lines, and the elements of a top-level array too big to read whole.
//!
//! A record longer than [`MAX_RECORD`] is passed over unread (counted, not kept): no SP-API
//! record comes near it, and a hostile file (one 500 MB string) must not take the memory.

use std::io::{self, BufRead};

/// The longest record read: a line of JSON lines, or an element of a streamed array.
pub const MAX_RECORD: usize = 64 << 20;

/// One line into `buf` (without its line feed): `None` at the end of the input, else whether
/// it fitted in `cap` bytes (a longer line is consumed to its end but not kept).
pub fn line_capped(reader: &mut impl BufRead, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<bool>> {
    buf.clear();
    let (mut any, mut fits) = (false, true);
    loop {
        let chunk = reader.fill_buf()?;
        if chunk.is_empty() {
            return Ok(any.then_some(fits));
        }
        any = true;
        let (take, done) = match memchr::memchr(b'\n', chunk) {
            Some(at) => (at, true),
            None => (chunk.len(), false),
        };
        if fits && buf.len() + take <= cap {
            buf.extend_from_slice(chunk.get(..take).unwrap_or_default());
        } else {
            fits = false;
            buf.clear();
        }
        reader.consume(take + usize::from(done));
        if done {
            return Ok(Some(fits));
        }
    }
}

/// What [`Elements::next`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// An element, its bytes in the buffer given; `line` is where it starts. `fits` is false
    /// for an element longer than the cap (its bytes are not kept).
    Element { line: u64, fits: bool },
    /// The array's closing bracket (and nothing but white space after it).
    End,
    /// The document is not a JSON array here (or ends inside an element): where and why.
    /// Nothing after it is read.
    Broken { line: u64, column: u64, why: &'static str },
}

/// The elements of a top-level JSON array, read from `reader` one at a time. Each element is
/// validated apart (by the caller); this checks only the array around them: `[`, the
/// commas, `]`.
pub struct Elements<R> {
    reader: R,
    /// The line and column (1-based, in bytes) of the next byte.
    line: u64,
    column: u64,
    state: State,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Before the `[`.
    Start,
    /// After `[`: an element or `]`.
    First,
    /// After an element: `,` or `]`.
    Between,
    /// After `,`: an element.
    Element,
    Done,
}

impl<R: BufRead> Elements<R> {
    /// `reader` at the start of the document (after a byte-order mark).
    pub fn new(reader: R) -> Self {
        Elements { reader, line: 1, column: 1, state: State::Start }
    }

    /// Consumes `n` bytes of the buffered chunk, keeping the line and column.
    fn advance(&mut self, n: usize) -> io::Result<()> {
        let chunk = self.reader.fill_buf()?;
        let taken = chunk.get(..n).unwrap_or_default();
        match memchr::memrchr(b'\n', taken) {
            Some(last) => {
                self.line += memchr::memchr_iter(b'\n', taken).count() as u64;
                self.column = (n - last) as u64;
            }
            None => self.column += n as u64,
        }
        self.reader.consume(n);
        Ok(())
    }

    /// The next byte that is not white space, not consumed (`None` at the end).
    fn peek(&mut self) -> io::Result<Option<u8>> {
        loop {
            let chunk = self.reader.fill_buf()?;
            let Some(&first) = chunk.first() else { return Ok(None) };
            match chunk.iter().position(|b| !b.is_ascii_whitespace()) {
                Some(0) => return Ok(Some(first)),
                Some(at) => self.advance(at)?,
                None => {
                    let n = chunk.len();
                    self.advance(n)?;
                }
            }
        }
    }

    fn broken(&mut self, why: &'static str) -> Next {
        self.state = State::Done;
        Next::Broken { line: self.line, column: self.column, why }
    }

    /// The next element into `buf` (at most `cap` bytes kept), or the end, or why the array is
    /// broken.
    pub fn next(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<Next> {
        buf.clear();
        loop {
            let byte = self.peek()?;
            match (self.state, byte) {
                (State::Done, _) => return Ok(Next::End),
                (State::Start, Some(b'[')) => {
                    self.advance(1)?;
                    self.state = State::First;
                }
                (State::Start, _) => return Ok(self.broken("a document this big must be an array")),
                (State::First | State::Between, Some(b']')) => {
                    self.advance(1)?;
                    self.state = State::Done;
                    return Ok(match self.peek()? {
                        None => Next::End,
                        Some(_) => self.broken("more after the end of the array"),
                    });
                }
                (State::Between, Some(b',')) => {
                    self.advance(1)?;
                    self.state = State::Element;
                }
                (State::Between, Some(_)) => return Ok(self.broken("expected `,` or `]` after an element")),
                (State::First | State::Element, Some(_)) => {
                    let line = self.line;
                    let (column, fits) = (self.column, self.element(buf, cap)?);
                    self.state = State::Between;
                    return Ok(match fits {
                        Some(fits) => Next::Element { line, fits },
                        None => {
                            self.state = State::Done;
                            Next::Broken { line, column, why: "the file ends inside this element" }
                        }
                    });
                }
                (_, None) => return Ok(self.broken("the file ends before the array does")),
            }
        }
    }

    /// Copies one element (its first byte is next) into `buf`: `Some(fits)` at its end,
    /// `None` when the input ends first. Only brackets and strings are followed (a closing
    /// bracket that does not match is passed over, so a broken element ends where its own
    /// brackets do); the caller validates what it gets.
    fn element(&mut self, buf: &mut Vec<u8>, cap: usize) -> io::Result<Option<bool>> {
        let (mut open, mut in_string, mut escaped, mut fits) = (Vec::<u8>::new(), false, false, true);
        loop {
            let chunk = self.reader.fill_buf()?;
            if chunk.is_empty() {
                return Ok(None);
            }
            let mut i = 0;
            let mut done = false;
            while let Some(&c) = chunk.get(i) {
                if escaped {
                    escaped = false;
                    i += 1;
                    continue;
                }
                if in_string {
                    match chunk.get(i..).and_then(|rest| memchr::memchr2(b'"', b'\\', rest)) {
                        None => i = chunk.len(),
                        Some(at) => {
                            i += at;
                            if chunk.get(i) == Some(&b'\\') {
                                escaped = true;
                            } else {
                                in_string = false;
                                if open.is_empty() {
                                    i += 1;
                                    done = true;
                                    break;
                                }
                            }
                            i += 1;
                        }
                    }
                    continue;
                }
                match c {
                    b'"' => in_string = true,
                    b'{' => open.push(b'}'),
                    b'[' => open.push(b']'),
                    // A bare value ends at the array's bracket, a comma or white space.
                    b'}' | b']' | b',' if open.is_empty() => {
                        done = true;
                        break;
                    }
                    c if open.is_empty() && c.is_ascii_whitespace() => {
                        done = true;
                        break;
                    }
                    b'}' | b']' if open.last() == Some(&c) => {
                        open.pop();
                        if open.is_empty() {
                            i += 1;
                            done = true;
                            break;
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            if fits && buf.len() + i <= cap {
                buf.extend_from_slice(chunk.get(..i).unwrap_or_default());
            } else {
                fits = false;
                buf.clear();
            }
            self.advance(i)?;
            if done {
                return Ok(Some(fits));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str, cap: usize) -> Vec<(Next, String)> {
        let mut e = Elements::new(text.as_bytes());
        let mut buf = Vec::new();
        let mut out = Vec::new();
        loop {
            let next = e.next(&mut buf, cap).unwrap();
            let stop = !matches!(next, Next::Element { .. });
            out.push((next, String::from_utf8_lossy(&buf).into_owned()));
            if stop {
                return out;
            }
        }
    }

    #[test]
    fn elements_come_one_at_a_time_with_their_lines() {
        let got = all("[\n {\"a\": \"]}\\\"\"},\n [1, [2]] , 3,\"x\"\n]\n", 100);
        let shown: Vec<(String, &str)> = got.iter().map(|(n, b)| (format!("{n:?}"), b.as_str())).collect();
        assert_eq!(
            shown,
            [
                ("Element { line: 2, fits: true }".to_string(), "{\"a\": \"]}\\\"\"}"),
                ("Element { line: 3, fits: true }".to_string(), "[1, [2]]"),
                ("Element { line: 3, fits: true }".to_string(), "3"),
                ("Element { line: 3, fits: true }".to_string(), "\"x\""),
                ("End".to_string(), ""),
            ]
        );
    }

    #[test]
    fn an_element_over_the_cap_is_passed_over_and_the_next_is_read() {
        let got = all("[{\"a\": \"0123456789\"}, {\"b\": 1}]", 12);
        assert_eq!(got[0].0, Next::Element { line: 1, fits: false });
        assert_eq!(got[1], (Next::Element { line: 1, fits: true }, "{\"b\": 1}".to_string()));
        assert_eq!(got[2].0, Next::End);
    }

    #[test]
    fn a_broken_array_says_where() {
        assert_eq!(
            all("[{\"a\": 1} {\"b\": 2}]", 100)[1].0,
            Next::Broken { line: 1, column: 11, why: "expected `,` or `]` after an element" }
        );
        assert_eq!(
            all("[\n{\"a\": 1},\n{\"b\": ", 100)[1].0,
            Next::Broken { line: 3, column: 1, why: "the file ends inside this element" }
        );
        assert_eq!(
            all("{\"a\": 1}", 100)[0].0,
            Next::Broken { line: 1, column: 1, why: "a document this big must be an array" }
        );
        assert_eq!(all("[1] 2", 100)[1].0, Next::Broken { line: 1, column: 5, why: "more after the end of the array" });
        assert_eq!(all("[]", 100)[0].0, Next::End);
    }

    #[test]
    fn a_line_over_the_cap_is_consumed_not_kept() {
        let mut input: &[u8] = b"short\n0123456789abcdef\nlast";
        let mut buf = Vec::new();
        assert_eq!(line_capped(&mut input, &mut buf, 8).unwrap(), Some(true));
        assert_eq!(buf, b"short");
        assert_eq!(line_capped(&mut input, &mut buf, 8).unwrap(), Some(false));
        assert!(buf.is_empty());
        assert_eq!(line_capped(&mut input, &mut buf, 8).unwrap(), Some(true));
        assert_eq!(buf, b"last");
        assert_eq!(line_capped(&mut input, &mut buf, 8).unwrap(), None);
    }
}
