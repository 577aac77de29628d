//! Server-sent events as the WHATWG spec reads them: lines end in CRLF, LF or CR (a CR may
//! end one read and its LF start the next); `data:` lines (one space after the colon
//! dropped) are joined with `\n`; a blank line dispatches; `:` lines are comments; `event:`,
//! `id:` and `retry:` are ignored; an event cut off by the end of the stream is dropped.
//! Bytes are buffered until a line is whole, so a read may split anything, UTF-8 included.

/// Most bytes one event may hold before the stream is refused.
pub const MAX_EVENT_BYTES: usize = 4 << 20;

/// Turns bytes into the data of whole events.
#[derive(Debug, Default)]
pub struct SseDecoder {
    buf: Vec<u8>,
    /// The data lines of the event being read.
    data: Option<String>,
    /// The last byte fed was a CR: a LF first in the next read belongs to it.
    after_cr: bool,
}

/// An event larger than [`MAX_EVENT_BYTES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an event of the stream is larger than {MAX_EVENT_BYTES} bytes")]
pub struct EventTooLong;

impl SseDecoder {
    /// Feeds `bytes`; returns the data of every event they complete.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<String>, EventTooLong> {
        if self.after_cr && bytes.first() == Some(&b'\n') {
            bytes = &bytes[1..];
        }
        self.after_cr = false;
        self.buf.extend_from_slice(bytes);
        let mut events = Vec::new();
        let mut start = 0;
        let mut i = 0;
        while i < self.buf.len() {
            let b = self.buf[i];
            if b == b'\n' || b == b'\r' {
                let line = String::from_utf8_lossy(&self.buf[start..i]).into_owned();
                let mut next = i + 1;
                if b == b'\r' {
                    match self.buf.get(next) {
                        Some(b'\n') => next += 1,
                        Some(_) => {}
                        None => self.after_cr = true,
                    }
                }
                if let Some(data) = self.line(&line) {
                    events.push(data);
                }
                start = next;
                i = next;
            } else {
                i += 1;
            }
        }
        self.buf.drain(..start);
        let held = self.buf.len() + self.data.as_ref().map_or(0, String::len);
        if held > MAX_EVENT_BYTES {
            return Err(EventTooLong);
        }
        Ok(events)
    }

    /// One whole line; the data of an event when it was the blank line ending one.
    fn line(&mut self, line: &str) -> Option<String> {
        if line.is_empty() {
            return self.data.take();
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
            None => (line, ""),
        };
        if field == "data" {
            match &mut self.data {
                Some(d) => {
                    d.push('\n');
                    d.push_str(value);
                }
                None => self.data = Some(value.to_string()),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(pieces: &[&[u8]]) -> Vec<String> {
        let mut d = SseDecoder::default();
        let mut out = Vec::new();
        for p in pieces {
            out.extend(d.feed(p).expect("fits"));
        }
        out
    }

    #[test]
    fn events_split_anywhere_come_out_whole() {
        let stream = "data: {\"a\":\"é\"}\n\ndata: [DONE]\n\n".as_bytes();
        for cut in 0..stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(all(&[a, b]), ["{\"a\":\"é\"}", "[DONE]"], "cut at {cut}");
        }
    }

    #[test]
    fn line_ends_comments_fields_and_several_data_lines() {
        assert_eq!(
            all(&[
                b": keep-alive\r\nevent: x\rid: 1\r\ndata:one\r\ndata: two\r",
                b"\n\r\n"
            ]),
            ["one\ntwo"]
        );
        assert_eq!(all(&[b"data: cut off at the end"]), Vec::<String>::new());
        assert_eq!(all(&[b"retry: 10\n\n"]), Vec::<String>::new());
    }

    #[test]
    fn an_endless_event_is_refused() {
        let mut d = SseDecoder::default();
        let big = vec![b'x'; MAX_EVENT_BYTES + 1];
        assert_eq!(d.feed(&big), Err(EventTooLong));
    }
}
