//! Splits a byte stream into NDJSON lines, whatever the chunk boundaries.
//!
//! Lines may be split across reads, even inside a UTF-8 sequence; a line longer than the cap is
//! an error rather than unbounded memory (Ollama's own client caps at 8 MiB).

/// Largest NDJSON line accepted, as in Ollama's Go client.
pub const MAX_LINE_BYTES: usize = 8 * 1024 * 1024;

/// Incremental line splitter. Feed it chunks with [`LineDecoder::push`]; take complete lines
/// with [`LineDecoder::next_line`]; call [`LineDecoder::finish`] at end of stream.
#[derive(Debug)]
pub struct LineDecoder {
    buf: Vec<u8>,
    /// Bytes before this offset have been consumed.
    start: usize,
    /// Bytes before this offset (from `start`) are known to hold no newline.
    scanned: usize,
    max_line: usize,
}

/// A line was longer than the cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a line of Ollama's stream exceeded {0} bytes")]
pub struct LineTooLong(pub usize);

impl LineDecoder {
    pub fn new(max_line: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            scanned: 0,
            max_line,
        }
    }

    /// Appends a chunk of the body.
    pub fn push(&mut self, chunk: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
            self.scanned = 0;
        } else if self.start > 64 * 1024 {
            self.buf.drain(..self.start);
            self.scanned -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(chunk);
    }

    /// The next complete line without its `\n` (and a trailing `\r`), if one is buffered.
    /// Blank lines are skipped.
    pub fn next_line(&mut self) -> Result<Option<&[u8]>, LineTooLong> {
        loop {
            let from = self.scanned.max(self.start);
            match self.buf[from..].iter().position(|&b| b == b'\n') {
                Some(pos) => {
                    let end = from + pos;
                    let line_start = self.start;
                    self.start = end + 1;
                    self.scanned = self.start;
                    if end - line_start > self.max_line {
                        return Err(LineTooLong(self.max_line));
                    }
                    let line = trim_cr(&self.buf[line_start..end]);
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Ok(Some(trim_cr(&self.buf[line_start..end])));
                }
                None => {
                    self.scanned = self.buf.len();
                    if self.buf.len() - self.start > self.max_line {
                        return Err(LineTooLong(self.max_line));
                    }
                    return Ok(None);
                }
            }
        }
    }

    /// At end of stream: the last line if it had no trailing newline (as Go's scanner yields it).
    pub fn finish(&mut self) -> Option<Vec<u8>> {
        let rest = trim_cr(&self.buf[self.start..]).to_vec();
        self.start = self.buf.len();
        if rest.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            Some(rest)
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(dec: &mut LineDecoder) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(line) = dec.next_line().expect("within cap") {
            out.push(String::from_utf8(line.to_vec()).expect("utf8"));
        }
        out
    }

    #[test]
    fn lines_split_at_every_byte_boundary_come_out_whole() {
        let body = "{\"a\":\"héllo 世界\"}\n{\"b\":2}\n\n{\"c\":3}\r\n";
        for split in 0..body.len() {
            let mut dec = LineDecoder::new(1024);
            let mut got = Vec::new();
            dec.push(&body.as_bytes()[..split]);
            got.extend(collect(&mut dec));
            dec.push(&body.as_bytes()[split..]);
            got.extend(collect(&mut dec));
            assert_eq!(
                got,
                ["{\"a\":\"héllo 世界\"}", "{\"b\":2}", "{\"c\":3}"],
                "split {split}"
            );
            assert_eq!(dec.finish(), None);
        }
    }

    #[test]
    fn a_last_line_without_newline_is_returned_by_finish() {
        let mut dec = LineDecoder::new(1024);
        dec.push(b"{\"x\":1}\n{\"y\":");
        assert_eq!(collect(&mut dec), ["{\"x\":1}"]);
        dec.push(b"2}");
        assert!(collect(&mut dec).is_empty());
        assert_eq!(dec.finish().as_deref(), Some(&b"{\"y\":2}"[..]));
    }

    #[test]
    fn an_overlong_line_is_an_error_not_a_memory_leak() {
        let mut dec = LineDecoder::new(8);
        dec.push(b"0123456789");
        assert_eq!(dec.next_line(), Err(LineTooLong(8)));
        let mut dec = LineDecoder::new(8);
        dec.push(b"0123456789\n");
        assert_eq!(dec.next_line(), Err(LineTooLong(8)));
    }

    #[test]
    fn byte_at_a_time_feeding_yields_every_line() {
        // The buffer is compacted as lines are consumed, so this stays small and fast.
        let body: String = (0..10_000).map(|i| format!("{{\"i\":{i}}}\n")).collect();
        let mut dec = LineDecoder::new(MAX_LINE_BYTES);
        let mut n = 0;
        for b in body.as_bytes() {
            dec.push(std::slice::from_ref(b));
            while dec.next_line().expect("cap").is_some() {
                n += 1;
            }
        }
        assert_eq!(n, 10_000);
    }
}
