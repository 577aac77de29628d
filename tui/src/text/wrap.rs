//! Wrapping styled text to a width in terminal cells, by grapheme: CJK and emoji take two
//! cells, combining marks none. Words break at spaces; a wide character is a break opportunity
//! of its own (CJK text has no spaces); a word wider than the line is split.
//!
//! The transcript wraps text itself, rather than leaving it to `Paragraph`, so it knows the
//! exact height of every message without drawing it.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_segmentation::UnicodeSegmentation;
use unicode_width::UnicodeWidthStr;

/// How to break lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Prose: break at spaces, drop spaces at line ends.
    Words,
    /// Code: keep every space, break anywhere.
    Chars,
}

/// Display width of a string in cells.
pub fn width(s: &str) -> usize {
    s.graphemes(true).map(grapheme_width).sum()
}

fn grapheme_width(g: &str) -> usize {
    if g == "\t" {
        return 4;
    }
    // Ratatui draws a grapheme in the width of the string; control characters take none.
    UnicodeWidthStr::width(g)
}

/// Cuts `s` to at most `max` cells, adding `…` when it had to cut.
pub fn truncate(s: &str, max: usize) -> String {
    if width(s) <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut w = 0;
    for g in s.graphemes(true) {
        let gw = grapheme_width(g);
        if w + gw + 1 > max {
            break;
        }
        out.push_str(g);
        w += gw;
    }
    out.push('…');
    out
}

struct Builder<'p> {
    lines: Vec<Line<'static>>,
    cur: Vec<Span<'static>>,
    cur_w: usize,
    first: &'p [Span<'static>],
    rest: &'p [Span<'static>],
    width: usize,
    pending_space: Option<Style>,
}

impl Builder<'_> {
    fn avail(&self) -> usize {
        let prefix = if self.lines.is_empty() {
            self.first
        } else {
            self.rest
        };
        let used: usize = prefix.iter().map(|s| width(&s.content)).sum();
        self.width.saturating_sub(used).max(1)
    }

    fn push(&mut self, g: &str, style: Style, w: usize) {
        if let Some(last) = self.cur.last_mut()
            && last.style == style
        {
            last.content.to_mut().push_str(g);
        } else {
            self.cur.push(Span::styled(g.to_string(), style));
        }
        self.cur_w += w;
    }

    fn flush(&mut self) {
        let prefix = if self.lines.is_empty() {
            self.first
        } else {
            self.rest
        };
        let mut spans = prefix.to_vec();
        spans.append(&mut self.cur);
        self.lines.push(Line::from(spans));
        self.cur_w = 0;
        self.pending_space = None;
    }

    fn word(&mut self, word: &[(&str, Style, usize)], ww: usize) {
        if word.is_empty() {
            return;
        }
        let space = usize::from(self.pending_space.is_some() && self.cur_w > 0);
        if self.cur_w + space + ww <= self.avail() {
            if let (Some(style), 1) = (self.pending_space, space) {
                self.push(" ", style, 1);
            }
        } else if ww <= self.avail() || self.cur_w > 0 {
            // Onto a fresh line; a word too long for any line is split from there.
            self.flush();
        }
        self.pending_space = None;
        for &(g, style, w) in word {
            if self.cur_w + w > self.avail() && self.cur_w > 0 {
                self.flush();
            }
            self.push(g, style, w);
        }
    }
}

/// Wraps `spans` to `width` cells. The first line starts with `first`, the others with `rest`
/// (list bullets, quote bars). `\n` forces a break. Always returns at least one line.
pub fn wrap(
    spans: &[Span<'static>],
    width: usize,
    mode: Mode,
    first: &[Span<'static>],
    rest: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut b = Builder {
        lines: Vec::new(),
        cur: Vec::new(),
        cur_w: 0,
        first,
        rest,
        width,
        pending_space: None,
    };
    let mut word: Vec<(&str, Style, usize)> = Vec::new();
    let mut word_w = 0;
    for span in spans {
        for g in span.content.graphemes(true) {
            let style = span.style;
            if g == "\n" || g == "\r\n" {
                b.word(&word, word_w);
                word.clear();
                word_w = 0;
                b.flush();
                continue;
            }
            let w = grapheme_width(g);
            if mode == Mode::Chars {
                if b.cur_w + w > b.avail() && b.cur_w > 0 {
                    b.flush();
                }
                if g == "\t" {
                    b.push("    ", style, 4);
                } else {
                    b.push(g, style, w);
                }
                continue;
            }
            if g == " " || g == "\t" {
                b.word(&word, word_w);
                word.clear();
                word_w = 0;
                if b.cur_w > 0 {
                    b.pending_space = Some(style);
                }
            } else if w >= 2 {
                // A wide character: a word of its own, so CJK text can break anywhere.
                b.word(&word, word_w);
                word.clear();
                word_w = 0;
                b.word(&[(g, style, w)], w);
            } else {
                word.push((g, style, w));
                word_w += w;
            }
        }
    }
    b.word(&word, word_w);
    if !b.cur.is_empty() || b.lines.is_empty() {
        b.flush();
    }
    b.lines
}

/// Wraps one line of prose, keeping its leading indentation (tabs count 4) as a hanging indent
/// for every row it wraps to: what a user typed indented stays indented.
pub fn wrap_indented(line: &str, style: Style, width: usize) -> Vec<Line<'static>> {
    let body = line.trim_start_matches([' ', '\t']);
    let lead = &line[..line.len() - body.len()];
    let indent: usize = lead.chars().map(|c| if c == '\t' { 4 } else { 1 }).sum();
    let indent = indent.min(width / 2);
    let pad = [Span::styled(" ".repeat(indent), style)];
    let pad: &[Span<'static>] = if indent == 0 { &[] } else { &pad };
    wrap(
        &[Span::styled(body.to_string(), style)],
        width,
        Mode::Words,
        pad,
        pad,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_is_kept_and_hangs_when_wrapped() {
        let lines = wrap_indented("    fn main() { let x = 1; }", Style::new(), 20);
        assert_eq!(
            plain(&lines),
            ["    fn main() { let", "    x = 1; }"],
            "four spaces lead every row"
        );
        assert_eq!(plain(&wrap_indented("\tx", Style::new(), 20)), ["    x"]);
        assert_eq!(
            plain(&wrap_indented("no indent", Style::new(), 20)),
            ["no indent"]
        );
    }

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn words_wrap_at_spaces_and_long_words_split() {
        let spans = [Span::raw("the quick brown fox jumps")];
        let lines = wrap(&spans, 10, Mode::Words, &[], &[]);
        assert_eq!(plain(&lines), ["the quick", "brown fox", "jumps"]);
        let lines = wrap(&[Span::raw("abcdefghijkl")], 5, Mode::Words, &[], &[]);
        assert_eq!(plain(&lines), ["abcde", "fghij", "kl"]);
    }

    #[test]
    fn prefixes_and_forced_breaks() {
        let spans = [Span::raw("one two three\nfour")];
        let first = [Span::raw("• ")];
        let rest = [Span::raw("  ")];
        let lines = wrap(&spans, 9, Mode::Words, &first, &rest);
        assert_eq!(plain(&lines), ["• one two", "  three", "  four"]);
    }

    #[test]
    fn cjk_and_emoji_take_two_cells() {
        let spans = [Span::raw("日本語のテキスト")];
        let lines = wrap(&spans, 6, Mode::Words, &[], &[]);
        assert_eq!(plain(&lines), ["日本語", "のテキ", "スト"]);
        assert_eq!(width("👍🏽ok"), 4);
        let lines = wrap(&[Span::raw("ab 👍🏽👍🏽")], 4, Mode::Words, &[], &[]);
        assert_eq!(plain(&lines), ["ab", "👍🏽👍🏽"]);
    }

    #[test]
    fn chars_mode_keeps_spaces() {
        let lines = wrap(&[Span::raw("  let x = 1;")], 6, Mode::Chars, &[], &[]);
        assert_eq!(plain(&lines), ["  let ", "x = 1;"]);
        assert_eq!(plain(&wrap(&[], 6, Mode::Chars, &[], &[])), [""]);
    }

    #[test]
    fn styles_survive_and_merge() {
        let bold = Style::new().add_modifier(ratatui::style::Modifier::BOLD);
        let spans = [Span::raw("a "), Span::styled("bold", bold), Span::raw(" b")];
        let lines = wrap(&spans, 40, Mode::Words, &[], &[]);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].spans[1].style, bold);
        assert_eq!(plain(&lines), ["a bold b"]);
        assert_eq!(truncate("hello world", 6), "hello…");
    }
}
