//! Markdown rendered as it streams, for `ask` on a terminal: text is held until a block is
//! whole (a blank line outside a code fence), then that block is laid out by the same
//! renderer as the chat screen and written; what is left comes out at the end.

use super::ansi;
use super::markdown;
use super::theme::Theme;

/// A reply being rendered block by block.
#[derive(Debug)]
pub struct MarkdownStream {
    width: usize,
    theme: Theme,
    colour: bool,
    pending: String,
    /// Code blocks so far, so their `[n]` numbers go on across blocks.
    code_blocks: Vec<String>,
    emitted: bool,
}

/// Where `text` may be cut: after its last blank line that is outside a code fence.
fn boundary(text: &str) -> Option<usize> {
    let mut in_fence = false;
    let mut at = 0;
    let mut cut = None;
    for line in text.split_inclusive('\n') {
        let end = at + line.len();
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let complete = line.ends_with('\n');
        if complete && trimmed.is_empty() && !in_fence {
            cut = Some(end);
        }
        at = end;
    }
    cut
}

impl MarkdownStream {
    pub fn new(width: usize, theme: Theme, colour: bool) -> Self {
        MarkdownStream {
            width,
            theme,
            colour,
            pending: String::new(),
            code_blocks: Vec::new(),
            emitted: false,
        }
    }

    fn render(&mut self, md: &str) -> String {
        if md.trim().is_empty() {
            return String::new();
        }
        let earlier = std::mem::take(&mut self.code_blocks);
        let r = markdown::render_after(md, self.width, &self.theme, earlier);
        self.code_blocks = r.code_blocks;
        let mut lines = r.lines;
        while lines.last().is_some_and(|l| l.width() == 0) {
            lines.pop();
        }
        let mut out = String::new();
        if self.emitted {
            out.push('\n');
        }
        self.emitted = true;
        out.push_str(&ansi::render(&lines, self.colour));
        out
    }

    /// More of the reply; returns what can be written now.
    pub fn push(&mut self, text: &str) -> String {
        self.pending.push_str(text);
        let Some(cut) = boundary(&self.pending) else {
            return String::new();
        };
        let ready: String = self.pending.drain(..cut).collect();
        self.render(&ready)
    }

    /// The rest, at the end of the reply.
    pub fn finish(&mut self) -> String {
        let rest = std::mem::take(&mut self.pending);
        self.render(&rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_out_whole_and_a_fence_is_never_cut() {
        assert_eq!(boundary("para one\n\npara"), Some(10));
        assert_eq!(boundary("```\ncode\n\nmore\n"), None);
        assert_eq!(boundary("```\ncode\n\n```\n\nafter"), Some(15));
        let mut s = MarkdownStream::new(40, Theme::plain(), false);
        assert_eq!(s.push("# Title\n\nSome **bold"), "Title\n");
        assert_eq!(s.push(" text**.\n\n```sh\nls\n"), "\nSome bold text.\n");
        assert_eq!(s.push("\n```\n"), "");
        let end = s.finish();
        assert!(end.contains("[1] sh"), "{end}");
        assert!(end.contains("ls"), "{end}");
    }
}
