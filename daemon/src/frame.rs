//! How big a frame the daemon sends may be, and cutting text to fit.
//!
//! The connection's write buffer refuses a frame over 1 MiB, so every reply is built to stay
//! well under it: listings are paged by size, long texts are sent in slices. Sizes here are of
//! text before JSON escaping, chosen so that even escaping at its worst (6 bytes per byte)
//! keeps a frame under the buffer.

/// Most bytes of reply text (and again of thinking) one `delta` or `replay` carries. A watcher
/// that falls further behind gets several frames in a row.
pub const MAX_DELTA_BYTES: usize = 32 * 1024;

/// Most bytes of encoded messages one `conversation` or `messages` page carries.
pub const PAGE_BUDGET: usize = 256 * 1024;

/// Most bytes of each text a `truncated` message in a page keeps; and of one
/// `message_text` slice.
pub const TEXT_SLICE_BYTES: usize = 64 * 1024;

/// The longest prefix of `s[from..]` of at most `max` bytes that ends on a char boundary
/// (never empty when `s[from..]` is not). `from` must be a char boundary.
pub fn chunk_at(s: &str, from: usize, max: usize) -> &str {
    let rest = &s[from..];
    if rest.len() <= max {
        return rest;
    }
    let mut end = max;
    while !rest.is_char_boundary(end) {
        end -= 1;
    }
    if end == 0 {
        // A max smaller than one char: take that char whole.
        end = rest.chars().next().map_or(rest.len(), char::len_utf8);
    }
    &rest[..end]
}

/// The valid UTF-8 start of `bytes` (a slice cut from a longer text may end mid-char).
pub fn utf8_prefix(bytes: &[u8]) -> &str {
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_on_char_boundaries_and_never_stall() {
        assert_eq!(chunk_at("hello", 0, 3), "hel");
        assert_eq!(chunk_at("hello", 3, 3), "lo");
        assert_eq!(chunk_at("héllo", 0, 2), "h", "é is two bytes");
        assert_eq!(
            chunk_at("ééé", 0, 1),
            "é",
            "a max below one char still moves"
        );
        assert_eq!(chunk_at("", 0, 8), "");
    }

    #[test]
    fn a_slice_cut_mid_char_keeps_only_whole_chars() {
        let s = "aé".as_bytes();
        assert_eq!(utf8_prefix(&s[..2]), "a");
        assert_eq!(utf8_prefix(s), "aé");
    }
}
