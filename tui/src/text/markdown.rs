//! Markdown to terminal lines: headings, emphasis, lists, quotes, links, code blocks with
//! syntax colours, and tables whose cells wrap when the terminal is narrow.
//!
//! Rendering is a pure function of (text, width, theme), so the transcript can cache it per
//! message and redo only the message that is streaming. Unfinished Markdown (an open code
//! fence mid-stream) renders as what it will most likely become.

use super::highlight;
use super::table;
use super::theme::Theme;
use super::wrap::{self, Mode};
use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};

/// A message rendered for one width.
#[derive(Debug, Clone, Default)]
pub struct Rendered {
    pub lines: Vec<Line<'static>>,
    /// The code blocks' text, in order; `[n]` in a block's header is its 1-based index here.
    pub code_blocks: Vec<String>,
}

enum Container {
    Quote,
    Item { bullet: String, started: bool },
}

struct Table {
    aligns: Vec<pulldown_cmark::Alignment>,
    rows: Vec<Vec<Vec<Span<'static>>>>,
    header_rows: usize,
}

struct Renderer<'t> {
    theme: &'t Theme,
    width: usize,
    out: Rendered,
    inline: Vec<Span<'static>>,
    styles: Vec<Style>,
    containers: Vec<Container>,
    lists: Vec<Option<u64>>,
    code: Option<(String, String)>,
    table: Option<Table>,
    links: Vec<String>,
    heading: Option<HeadingLevel>,
    need_blank: bool,
}

/// Renders `md` to lines at most `width` cells wide.
pub fn render(md: &str, width: usize, theme: &Theme) -> Rendered {
    render_after(md, width, theme, Vec::new())
}

/// Like [`render`], for text that follows other rendered text of the same message: its code
/// blocks are numbered on from `earlier`'s, which come back first in `code_blocks`.
pub fn render_after(md: &str, width: usize, theme: &Theme, earlier: Vec<String>) -> Rendered {
    let mut r = Renderer {
        theme,
        width: width.max(8),
        out: Rendered {
            lines: Vec::new(),
            code_blocks: earlier,
        },
        inline: Vec::new(),
        styles: vec![theme.text],
        containers: Vec::new(),
        lists: Vec::new(),
        code: None,
        table: None,
        links: Vec::new(),
        heading: None,
        need_blank: false,
    };
    let opts = Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(md, opts) {
        r.event(event);
    }
    r.flush_inline();
    if let Some((lang, text)) = r.code.take() {
        r.code_block(&lang, &text);
    }
    r.out
}

impl Renderer<'_> {
    fn style(&self) -> Style {
        self.styles.last().copied().unwrap_or_default()
    }

    fn push_style(&mut self, patch: Style) {
        let s = self.style().patch(patch);
        self.styles.push(s);
    }

    fn pop_style(&mut self) {
        if self.styles.len() > 1 {
            self.styles.pop();
        }
    }

    fn text(&mut self, t: &str, style: Style) {
        if let Some(table) = &mut self.table {
            if let Some(cell) = table.rows.last_mut().and_then(|r| r.last_mut()) {
                cell.push(Span::styled(t.to_string(), style));
            }
            return;
        }
        self.inline.push(Span::styled(t.to_string(), style));
    }

    /// The prefix spans for the next line: quote bars and list indents.
    fn prefix(&mut self, first: bool) -> Vec<Span<'static>> {
        let quote = self.theme.quote;
        let dim = self.theme.dim;
        let mut spans = Vec::new();
        for c in &mut self.containers {
            match c {
                Container::Quote => spans.push(Span::styled("│ ", quote)),
                Container::Item { bullet, started } => {
                    if first && !*started {
                        spans.push(Span::styled(bullet.clone(), dim));
                        *started = true;
                    } else {
                        spans.push(Span::raw(" ".repeat(wrap::width(bullet))));
                    }
                }
            }
        }
        spans
    }

    fn blank_line(&mut self) {
        if self.need_blank && !self.out.lines.is_empty() {
            let bars: Vec<Span<'static>> = self
                .containers
                .iter()
                .filter(|c| matches!(c, Container::Quote))
                .map(|_| Span::styled("│", self.theme.quote))
                .collect();
            self.out.lines.push(Line::from(bars));
        }
        self.need_blank = false;
    }

    fn flush_inline(&mut self) {
        if self.inline.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.inline);
        let first = self.prefix(true);
        let rest = self.prefix(false);
        let lines = wrap::wrap(&spans, self.width, Mode::Words, &first, &rest);
        self.out.lines.extend(lines);
    }

    fn start_block(&mut self) {
        self.flush_inline();
        self.blank_line();
    }

    fn end_block(&mut self) {
        self.flush_inline();
        self.need_blank = true;
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => {
                if let Some((_, code)) = &mut self.code {
                    code.push_str(&t);
                } else {
                    let s = self.style();
                    self.text(&t, s);
                }
            }
            Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                let s = self.style().patch(self.theme.code);
                self.text(&t, s);
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let s = self.style().patch(self.theme.dim);
                self.text(t.trim_end_matches('\n'), s);
            }
            Event::FootnoteReference(t) => {
                let s = self.theme.dim;
                self.text(&format!("[^{t}]"), s);
            }
            Event::SoftBreak => {
                let s = self.style();
                self.text(" ", s);
            }
            Event::HardBreak => {
                let s = self.style();
                self.text("\n", s);
            }
            Event::Rule => {
                self.start_block();
                let w = self.width.saturating_sub(self.containers.len() * 2).min(60);
                let mut line = self.prefix(true);
                line.push(Span::styled("─".repeat(w), self.theme.dim));
                self.out.lines.push(Line::from(line));
                self.need_blank = true;
            }
            Event::TaskListMarker(done) => {
                let s = self.theme.accent;
                self.text(if done { "[x] " } else { "[ ] " }, s);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => self.start_block(),
            Tag::Heading { level, .. } => {
                self.start_block();
                self.heading = Some(level);
                let mut s = self.theme.heading;
                if level == HeadingLevel::H1 {
                    s = s.add_modifier(Modifier::UNDERLINED);
                }
                self.push_style(s);
            }
            Tag::BlockQuote(_) => {
                self.start_block();
                self.containers.push(Container::Quote);
                self.push_style(self.theme.quote);
            }
            Tag::CodeBlock(kind) => {
                self.start_block();
                let lang = match kind {
                    CodeBlockKind::Fenced(l) => l.to_string(),
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                if self.lists.is_empty() {
                    self.start_block();
                } else {
                    self.flush_inline();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush_inline();
                let depth = self.lists.len();
                let bullet = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let b = format!("{n}. ");
                        *n += 1;
                        b
                    }
                    _ => if depth % 2 == 1 { "• " } else { "◦ " }.to_string(),
                };
                self.containers.push(Container::Item {
                    bullet,
                    started: false,
                });
            }
            Tag::Table(aligns) => {
                self.start_block();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    header_rows: 0,
                });
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(t) = &mut self.table {
                    t.rows.push(Vec::new());
                }
            }
            Tag::TableCell => {
                if let Some(row) = self.table.as_mut().and_then(|t| t.rows.last_mut()) {
                    row.push(Vec::new());
                }
            }
            Tag::Emphasis => self.push_style(Style::new().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self.push_style(Style::new().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self.push_style(Style::new().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Link { dest_url, .. } => {
                self.links.push(dest_url.to_string());
                self.push_style(self.theme.link);
            }
            Tag::Image { dest_url, .. } => {
                self.links.push(dest_url.to_string());
                self.push_style(self.theme.link);
                let s = self.style();
                self.text("[image: ", s);
            }
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => self.end_block(),
            TagEnd::Heading(_) => {
                self.pop_style();
                self.heading = None;
                self.end_block();
            }
            TagEnd::BlockQuote(_) => {
                self.flush_inline();
                self.pop_style();
                self.containers.pop();
                self.need_blank = true;
            }
            TagEnd::CodeBlock => {
                if let Some((lang, text)) = self.code.take() {
                    self.code_block(&lang, &text);
                }
                self.need_blank = true;
            }
            TagEnd::List(_) => {
                self.flush_inline();
                self.lists.pop();
                if self.lists.is_empty() {
                    self.need_blank = true;
                }
            }
            TagEnd::Item => {
                self.flush_inline();
                if let Some(Container::Item { started: false, .. }) = self.containers.last() {
                    // An empty item still shows its bullet.
                    let line = self.prefix(true);
                    self.out.lines.push(Line::from(line));
                }
                self.containers.pop();
                // Loose lists put paragraphs in items; keep items tight anyway.
                self.need_blank = false;
            }
            TagEnd::Table => {
                if let Some(t) = self.table.take() {
                    let prefix = self.prefix(true);
                    let lines = table::layout(
                        &t.rows,
                        t.header_rows,
                        &t.aligns,
                        self.width,
                        &prefix,
                        self.theme,
                    );
                    self.out.lines.extend(lines);
                }
                self.need_blank = true;
            }
            TagEnd::TableHead => {
                if let Some(t) = &mut self.table {
                    t.header_rows = t.rows.len();
                }
            }
            TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough => self.pop_style(),
            TagEnd::Link => {
                self.pop_style();
                if let Some(url) = self.links.pop() {
                    let shown: String = self.inline.iter().map(|s| s.content.as_ref()).collect();
                    if !url.is_empty() && !shown.ends_with(url.as_str()) {
                        let s = self.theme.dim;
                        self.text(&format!(" ({url})"), s);
                    }
                }
            }
            TagEnd::Image => {
                let s = self.style();
                self.text("]", s);
                self.pop_style();
                self.links.pop();
            }
            _ => {}
        }
    }

    fn code_block(&mut self, lang: &str, text: &str) {
        self.out.code_blocks.push(text.to_string());
        let n = self.out.code_blocks.len();
        let bar = Span::styled("▌ ", self.theme.dim);
        let mut header = self.prefix(true);
        header.push(bar.clone());
        let label = if lang.is_empty() {
            format!("[{n}]")
        } else {
            format!("[{n}] {lang}")
        };
        header.push(Span::styled(label, self.theme.dim));
        self.out.lines.push(Line::from(header));
        let mut prefix = self.prefix(false);
        prefix.push(bar);
        let base = self.theme.code_block;
        for spans in highlight::highlight(text, lang, self.theme.syntax, base) {
            let lines = wrap::wrap(&spans, self.width, Mode::Chars, &prefix, &prefix);
            self.out.lines.extend(lines);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(r: &Rendered) -> Vec<String> {
        r.lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn blocks_lists_quotes_and_code() {
        let md = "# Title\n\nSome *text* here.\n\n- one\n- two\n  1. nested\n\n> quoted\n\n```rust\nfn x() {}\n```\n";
        let r = render(md, 40, &Theme::plain());
        assert_eq!(
            plain(&r),
            [
                "Title",
                "",
                "Some text here.",
                "",
                "• one",
                "• two",
                "  1. nested",
                "",
                "│ quoted",
                "",
                "▌ [1] rust",
                "▌ fn x() {}",
            ]
        );
        assert_eq!(r.code_blocks, ["fn x() {}\n"]);
    }

    #[test]
    fn links_show_their_target_unless_it_is_the_text() {
        let r = render(
            "[docs](https://a.b/c) and <https://x.y>",
            80,
            &Theme::plain(),
        );
        assert_eq!(plain(&r), ["docs (https://a.b/c) and https://x.y"]);
    }

    #[test]
    fn an_open_fence_mid_stream_is_already_code() {
        let r = render("Here:\n\n```py\nprint(1)\nprin", 40, &Theme::plain());
        assert_eq!(plain(&r), ["Here:", "", "▌ [1] py", "▌ print(1)", "▌ prin"]);
    }

    #[test]
    fn everything_fits_the_width() {
        let md = "a very long paragraph of words that will need to wrap several times over\n\n| a | b |\n|---|---|\n| long cell text here | x |\n";
        let r = render(md, 20, &Theme::plain());
        for l in &r.lines {
            assert!(l.width() <= 20, "{l:?} is {} wide", l.width());
        }
    }
}
