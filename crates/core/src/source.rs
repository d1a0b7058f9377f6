//! Bytes to lines: compression by magic bytes, BOM, text encoding, LF/CRLF (SPEC §1, §5.1).
//!
//! A file is streamed in fixed-size chunks, so memory does not grow with the file. UTF-8 is
//! the common case and is read in place: each chunk of complete lines is validated (at many
//! GB/s) and handed out without a copy. When validation fails the caller starts the file
//! again with a transcoding reader (Windows-1252 or cp932), so the decision is made for the
//! whole file, as the spec asks.

use std::cell::RefCell;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use encoding_rs::{Decoder, Encoding, SHIFT_JIS, WINDOWS_1252};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

crate::serde_by_name!(Compression, Compression::ALL);
crate::serde_by_name!(TextEncoding, TextEncoding::ALL);

impl Compression {
    pub const ALL: [Compression; 3] = [Compression::None, Compression::Gzip, Compression::Zstd];

    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

/// The encoding a file was read in (§5.6 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Windows1252,
    Cp932,
}

impl TextEncoding {
    pub const ALL: [TextEncoding; 3] = [TextEncoding::Utf8, TextEncoding::Windows1252, TextEncoding::Cp932];

    pub fn as_str(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Windows1252 => "windows-1252",
            TextEncoding::Cp932 => "cp932",
        }
    }

    fn decoder(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf8 => None,
            TextEncoding::Windows1252 => Some(WINDOWS_1252),
            // encoding_rs' Shift_JIS is the WHATWG one, which is Microsoft's cp932.
            TextEncoding::Cp932 => Some(SHIFT_JIS),
        }
    }
}

/// `--encoding`: what a file that is not valid UTF-8 is (§1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EncodingChoice {
    #[default]
    Auto,
    Utf8,
    Windows1252,
    Cp932,
}

impl EncodingChoice {
    pub fn as_str(self) -> &'static str {
        match self {
            EncodingChoice::Auto => "auto",
            EncodingChoice::Utf8 => "utf-8",
            EncodingChoice::Windows1252 => "windows-1252",
            EncodingChoice::Cp932 => "cp932",
        }
    }
}

impl std::str::FromStr for EncodingChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(EncodingChoice::Auto),
            "utf-8" | "utf8" => Ok(EncodingChoice::Utf8),
            "windows-1252" | "cp1252" => Ok(EncodingChoice::Windows1252),
            "cp932" | "shift_jis" | "shift-jis" => Ok(EncodingChoice::Cp932),
            _ => Err(format!("unknown encoding {s:?}: expected auto, utf-8, windows-1252 or cp932")),
        }
    }
}

/// Sees every byte of a file once, in order, as it is read and before it is decompressed: a
/// store hashes a new file's content in the pass that parses it, instead of reading it twice.
pub type Tap<'a> = &'a mut dyn FnMut(&[u8]);

/// Counts compressed bytes as they are read, for the progress bar (and shows them to a tap).
struct Counting<'a, R> {
    inner: R,
    on_bytes: &'a (dyn Fn(u64) + Sync),
    tap: Option<Tap<'a>>,
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        (self.on_bytes)(n as u64);
        if let (Some(tap), Some(read)) = (&mut self.tap, buf.get(..n)) {
            tap(read);
        }
        Ok(n)
    }
}

/// Open a file and undo its compression, found by magic bytes (never by its name).
pub fn open_decompressed<'a>(
    path: &Path,
    on_bytes: &'a (dyn Fn(u64) + Sync),
) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    open_tapped(path, on_bytes, None)
}

/// [`open_decompressed`], with every byte of the file, as read, shown to `tap`.
#[allow(clippy::indexing_slicing, reason = "`got` never exceeds the 4-byte magic buffer")]
fn open_tapped<'a>(
    path: &Path,
    on_bytes: &'a (dyn Fn(u64) + Sync),
    tap: Option<Tap<'a>>,
) -> io::Result<(Compression, Box<dyn Read + 'a>)> {
    let mut file = Counting { inner: File::open(path)?, on_bytes, tap };
    let mut magic = [0u8; 4];
    let mut got = 0;
    while got < magic.len() {
        match file.read(&mut magic[got..])? {
            0 => break,
            n => got += n,
        }
    }
    let head = &magic[..got];
    let compression = if head.starts_with(&[0x1f, 0x8b]) {
        Compression::Gzip
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        Compression::Zstd
    } else {
        Compression::None
    };
    // Plain files are read straight into the line buffer: no intermediate buffer.
    let stream = io::Cursor::new(magic).take(got as u64).chain(file);
    let reader: Box<dyn Read + 'a> = match compression {
        Compression::Gzip => {
            Box::new(flate2::bufread::MultiGzDecoder::new(BufReader::with_capacity(64 * 1024, stream)))
        }
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::new(stream)?),
        Compression::None => Box::new(stream),
    };
    Ok((compression, reader))
}

/// Wraps a reader of text in `encoding` so that it yields UTF-8.
struct Transcode<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    in_start: usize,
    in_end: usize,
    input_done: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
    finished: bool,
}

impl<R: Read> Transcode<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Transcode {
            inner,
            decoder: encoding.new_decoder_without_bom_handling(),
            input: vec![0; 64 * 1024],
            in_start: 0,
            in_end: 0,
            input_done: false,
            output: vec![0; 3 * 64 * 1024 + 16],
            out_start: 0,
            out_end: 0,
            finished: false,
        }
    }
}

#[allow(
    clippy::indexing_slicing,
    reason = "in_start <= in_end <= input.len() and out_start <= out_end <= output.len(), kept by every update"
)]
impl<R: Read> Read for Transcode<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            if self.out_start < self.out_end {
                let n = buf.len().min(self.out_end - self.out_start);
                buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
                self.out_start += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.in_start == self.in_end && !self.input_done {
                let n = self.inner.read(&mut self.input)?;
                self.in_start = 0;
                self.in_end = n;
                self.input_done = n == 0;
            }
            let last = self.input_done;
            let (result, read, written, _) =
                self.decoder.decode_to_utf8(&self.input[self.in_start..self.in_end], &mut self.output, last);
            self.in_start += read;
            self.out_start = 0;
            self.out_end = written;
            // The call with `last` that takes the end of the input finishes the decoder, even
            // when it still writes (a byte sequence cut off at the end of the file becomes
            // U+FFFD): encoding_rs panics if a finished decoder is called again.
            if last && result == encoding_rs::CoderResult::InputEmpty {
                self.finished = true;
            }
        }
    }
}

/// Where the first invalid UTF-8 byte of a file is (offset in the decompressed file).
#[derive(Debug, Clone, Copy)]
pub struct NotUtf8 {
    pub offset: u64,
}

/// Splits a stream into lines with physical 1-based numbers; strips a trailing CR and, on
/// the first line, a UTF-8 BOM. In `validate` mode every byte handed out is checked UTF-8.
pub struct Lines<'a> {
    src: Box<dyn Read + 'a>,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Bytes before `buf[0]` in the decompressed stream.
    consumed: u64,
    validated_to: usize,
    validate: bool,
    eof: bool,
    line_no: u64,
}

/// One line: its number and its bytes (no LF, no CR).
pub type Line<'b> = (u64, &'b [u8]);

/// Why the next line could not be had.
#[derive(Debug)]
pub enum LineError {
    Io(io::Error),
    /// Only in validate mode: the file is not UTF-8 (read it again in another encoding).
    NotUtf8(NotUtf8),
}

const CHUNK: usize = 1 << 20;

thread_local! {
    /// Line buffers of files this thread finished: a run reads thousands of files, and a
    /// fresh megabyte each time costs the kernel a megabyte of page zeroing.
    static SPARE_BUFFERS: RefCell<Vec<Vec<u8>>> = const { RefCell::new(Vec::new()) };
}

impl Drop for Lines<'_> {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        if buf.len() == CHUNK {
            SPARE_BUFFERS.with(|spare| spare.borrow_mut().push(buf));
        }
    }
}

#[allow(
    clippy::indexing_slicing,
    reason = "start <= end <= buf.len() and validated_to <= end, kept by fill and every cut"
)]
impl<'a> Lines<'a> {
    /// Lines of a stream expected to be UTF-8: every byte is checked.
    pub fn utf8(src: Box<dyn Read + 'a>) -> Self {
        Lines::new(src, true)
    }

    /// Lines of a stream as raw bytes, in whatever encoding: for looking at a file's bytes
    /// before its encoding is decided.
    pub fn raw(src: Box<dyn Read + 'a>) -> Self {
        Lines::new(src, false)
    }

    fn new(src: Box<dyn Read + 'a>, validate: bool) -> Self {
        let buf = SPARE_BUFFERS.with(|spare| spare.borrow_mut().pop()).unwrap_or_else(|| vec![0; CHUNK]);
        Lines { src, buf, start: 0, end: 0, consumed: 0, validated_to: 0, validate, eof: false, line_no: 0 }
    }

    /// A transcoding reader over `src`, for a file that is not UTF-8.
    pub fn transcoded(src: Box<dyn Read + 'a>, encoding: TextEncoding) -> Self {
        match encoding.decoder() {
            Some(enc) => Lines::new(Box::new(Transcode::new(src, enc)), false),
            None => Lines::new(src, true),
        }
    }

    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.consumed += self.start as u64;
            self.validated_to = self.validated_to.saturating_sub(self.start);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // A line longer than the buffer: grow (rare; only such a line is held whole).
            self.buf.resize(self.buf.len() * 2, 0);
        }
        let n = self.src.read(&mut self.buf[self.end..])?;
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }

    fn check_utf8(&mut self, upto: usize) -> Result<(), NotUtf8> {
        if self.validate && upto > self.validated_to {
            if let Err(e) = std::str::from_utf8(&self.buf[self.validated_to..upto]) {
                return Err(NotUtf8 { offset: self.consumed + (self.validated_to + e.valid_up_to()) as u64 });
            }
            self.validated_to = upto;
        }
        Ok(())
    }

    /// The next line as text. Every line `Lines` hands out is UTF-8: in validate mode each
    /// complete line is checked before it is returned, and otherwise the bytes are the output
    /// of an encoding_rs transcoder, UTF-8 by construction (`transcoded` is the only way to
    /// turn validation off).
    pub fn next_text_line(&mut self) -> Result<Option<(u64, &str)>, LineError> {
        match self.next_line()? {
            None => Ok(None),
            Some((n, bytes)) => {
                // SAFETY: see above; checking again would read every byte twice on the
                // reader's hot path. Debug builds check.
                debug_assert!(std::str::from_utf8(bytes).is_ok());
                #[allow(unsafe_code)]
                let text = unsafe { std::str::from_utf8_unchecked(bytes) };
                Ok(Some((n, text)))
            }
        }
    }

    /// The next line, or `None` at the end.
    pub fn next_line(&mut self) -> Result<Option<Line<'_>>, LineError> {
        loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let line_end = self.start + pos;
                if self.validate && line_end >= self.validated_to {
                    // Validate every complete line in the buffer at once.
                    let last_nl = memchr::memrchr(b'\n', &self.buf[self.start..self.end])
                        .map(|p| self.start + p + 1)
                        .unwrap_or(line_end + 1);
                    self.check_utf8(last_nl).map_err(LineError::NotUtf8)?;
                }
                let begin = self.start;
                self.start = line_end + 1;
                return Ok(Some(self.emit(begin, line_end)));
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let (begin, end) = (self.start, self.end);
                self.check_utf8(end).map_err(LineError::NotUtf8)?;
                self.start = end;
                return Ok(Some(self.emit(begin, end)));
            }
            self.fill().map_err(LineError::Io)?;
        }
    }

    fn emit(&mut self, mut begin: usize, mut end: usize) -> Line<'_> {
        self.line_no += 1;
        if self.line_no == 1 && self.buf[begin..end].starts_with(b"\xEF\xBB\xBF") {
            begin += 3;
        }
        if end > begin && self.buf[end - 1] == b'\r' {
            end -= 1;
        }
        (self.line_no, &self.buf[begin..end])
    }
}

/// Reads `path` through `f` with lines in `encoding`.
pub fn with_lines<'a, T>(
    path: &Path,
    encoding: TextEncoding,
    on_bytes: &'a (dyn Fn(u64) + Sync),
    tap: Option<Tap<'a>>,
    f: impl FnOnce(Compression, &mut Lines<'_>) -> T,
) -> io::Result<T> {
    let (compression, reader) = open_tapped(path, on_bytes, tap)?;
    let mut lines = Lines::transcoded(reader, encoding);
    Ok(f(compression, &mut lines))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(bytes: &[u8]) -> Vec<(u64, String)> {
        let mut lines = Lines::new(Box::new(bytes.to_vec().leak() as &[u8]), true);
        let mut out = vec![];
        while let Some((n, l)) = lines.next_line().unwrap() {
            out.push((n, String::from_utf8(l.to_vec()).unwrap()));
        }
        out
    }

    #[test]
    fn crlf_bom_and_last_line_without_newline() {
        let got = lines_of(b"\xEF\xBB\xBFa\tb\r\n\r\nc\"d\te");
        assert_eq!(got, [(1, "a\tb".into()), (2, "".into()), (3, "c\"d\te".into())]);
    }

    #[test]
    fn invalid_utf8_reports_the_offset() {
        let mut lines = Lines::new(Box::new(&b"ok\nbad \xE9 byte\n"[..]), true);
        match lines.next_line() {
            Err(LineError::NotUtf8(NotUtf8 { offset })) => assert_eq!(offset, 7),
            other => panic!("expected NotUtf8, got {:?}", other.map(|o| o.map(|l| l.0))),
        }
    }

    #[test]
    fn windows_1252_and_cp932_are_transcoded() {
        let mut l = Lines::transcoded(Box::new(&b"caf\xE9\t\x80\n"[..]), TextEncoding::Windows1252);
        assert_eq!(l.next_line().unwrap().unwrap().1, "café\t€".as_bytes());
        // 日本 in Shift_JIS.
        let mut l = Lines::transcoded(Box::new(&b"\x93\xFA\x96\x7B\n"[..]), TextEncoding::Cp932);
        assert_eq!(l.next_line().unwrap().unwrap().1, "日本".as_bytes());
    }

    #[test]
    fn a_multibyte_character_cut_off_at_the_end_of_the_file_is_replaced() {
        // 日 then the lead byte of 本, and the file ends.
        let mut l = Lines::transcoded(Box::new(&b"\x93\xFA\x96"[..]), TextEncoding::Cp932);
        assert_eq!(l.next_line().unwrap().unwrap().1, "日\u{fffd}".as_bytes());
        assert!(l.next_line().unwrap().is_none());
    }

    #[test]
    fn long_lines_cross_chunks() {
        let long = "x".repeat(3 * CHUNK + 17);
        let text = format!("h\n{long}\nend");
        let got = lines_of(text.as_bytes());
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].1.len(), long.len());
        assert_eq!(got[2], (3, "end".into()));
    }
}
