//! The transcript: messages, each rendered once per width and cached, and a scroll position
//! anchored to a message so that nothing above or below the viewport is ever laid out.
//!
//! Drawing a frame touches only the messages on screen, so its cost does not grow with the
//! length of the conversation; a streaming reply re-renders only itself.

use super::command_block::CommandBlock;
use super::tool_block;
use crate::text::markdown::{self, Rendered};
use crate::text::theme::Theme;
use crate::text::wrap::{self, Mode};
use chinwag_protocol::{MessageId, MessageStatus, Role, StoredMessage, StoredToolEvent};
use ratatui::text::{Line, Span};

/// One message.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: Option<MessageId>,
    pub role: Role,
    pub content: String,
    pub thinking: String,
    pub status: MessageStatus,
    pub model: Option<String>,
    pub error: Option<String>,
    pub show_thinking: bool,
    /// A command run from this screen (`/run`), drawn as its own block; never stored.
    pub command: Option<Box<CommandBlock>>,
    /// A reply's tool events, each with where in the text it came.
    pub tools: Vec<StoredToolEvent>,
    /// Files sent with a user message (names and sizes).
    pub attachments: Vec<chinwag_protocol::Attachment>,
    cache: Option<(usize, Rendered)>,
}

impl Entry {
    pub fn new(role: Role, content: impl Into<String>) -> Entry {
        Entry {
            id: None,
            role,
            content: content.into(),
            thinking: String::new(),
            status: MessageStatus::Complete,
            model: None,
            error: None,
            show_thinking: false,
            command: None,
            tools: Vec::new(),
            attachments: Vec::new(),
            cache: None,
        }
    }

    /// A `/run` block.
    pub fn command(block: CommandBlock) -> Entry {
        let mut e = Entry::new(Role::System, block.line());
        e.command = Some(Box::new(block));
        e
    }

    pub fn from_stored(m: StoredMessage) -> Entry {
        Entry {
            id: Some(m.id),
            role: m.role,
            content: m.content,
            thinking: m.thinking,
            status: m.status,
            model: m.model,
            error: m.error,
            show_thinking: false,
            command: None,
            tools: m.tools,
            attachments: m.attachments,
            cache: None,
        }
    }

    /// Call after changing any field that shows.
    pub fn touch(&mut self) {
        self.cache = None;
    }

    /// The rendered lines at `width`, from the cache when it is still good.
    pub fn rendered(&mut self, width: usize, theme: &Theme) -> &Rendered {
        if self.cache.as_ref().is_none_or(|(w, _)| *w != width) {
            let r = self.render(width, theme);
            self.cache = Some((width, r));
        }
        match &self.cache {
            Some((_, r)) => r,
            None => unreachable!("the cache was filled above"),
        }
    }

    pub fn height(&mut self, width: usize, theme: &Theme) -> usize {
        self.rendered(width, theme).lines.len()
    }

    fn render(&self, width: usize, theme: &Theme) -> Rendered {
        let mut out = Rendered::default();
        if let Some(block) = &self.command {
            out.lines = block.render(width, theme);
            out.lines.push(Line::default());
            return out;
        }
        let (who, style) = match self.role {
            Role::User => ("You".to_string(), theme.user),
            Role::Assistant => (
                self.model.clone().unwrap_or_else(|| "assistant".into()),
                theme.assistant,
            ),
            Role::System => ("system".to_string(), theme.dim),
        };
        let mut header = vec![Span::styled(who, style)];
        match self.status {
            MessageStatus::Streaming => header.push(Span::styled(" ●", theme.accent)),
            MessageStatus::Complete => {}
            other => header.push(Span::styled(format!(" · {}", other.as_str()), theme.warn)),
        }
        out.lines.push(Line::from(header));
        if !self.thinking.is_empty() {
            let words = self.thinking.split_whitespace().count();
            if self.show_thinking {
                let text = [Span::styled(self.thinking.clone(), theme.thinking)];
                let bar = [Span::styled("┊ ", theme.thinking)];
                out.lines.push(Line::styled("▾ thinking", theme.thinking));
                out.lines
                    .extend(wrap::wrap(&text, width, Mode::Words, &bar, &bar));
            } else {
                out.lines.push(Line::styled(
                    format!("▸ thinking · {words} words (Alt+T shows it)"),
                    theme.thinking,
                ));
            }
        }
        match self.role {
            Role::Assistant if !self.tools.is_empty() => {
                self.render_with_tools(width, theme, &mut out)
            }
            Role::Assistant => {
                let body = markdown::render(&self.content, width, theme);
                out.lines.extend(body.lines);
                out.code_blocks = body.code_blocks;
            }
            _ => {
                for line in self.content.lines() {
                    out.lines
                        .extend(wrap::wrap_indented(line, theme.text, width));
                }
                if !self.attachments.is_empty() {
                    let spans = [Span::styled(
                        format!("+ {}", crate::render::attached(&self.attachments)),
                        theme.dim,
                    )];
                    out.lines
                        .extend(wrap::wrap(&spans, width, Mode::Words, &[], &[]));
                }
            }
        }
        if let Some(e) = &self.error {
            let spans = [Span::styled(format!("⚠ {e}"), theme.error)];
            out.lines
                .extend(wrap::wrap(&spans, width, Mode::Words, &[], &[]));
        }
        out.lines.push(Line::default());
        out
    }
}

impl Entry {
    /// A reply with tool calls: its text cut where each call came, the call's block there.
    fn render_with_tools(&self, width: usize, theme: &Theme, out: &mut Rendered) {
        let mut from = 0;
        let mut text = |to: usize, out: &mut Rendered| {
            let mut to = to.clamp(from, self.content.len());
            while !self.content.is_char_boundary(to) {
                to -= 1;
            }
            let piece = &self.content[from..to.max(from)];
            if !piece.trim().is_empty() {
                let earlier = std::mem::take(&mut out.code_blocks);
                let body = markdown::render_after(piece, width, theme, earlier);
                out.lines.extend(body.lines);
                out.code_blocks = body.code_blocks;
            }
            from = to.max(from);
        };
        for (at, call) in tool_block::calls(&self.tools) {
            text(at, out);
            out.lines
                .extend(tool_block::render(&call, width, self.show_thinking, theme));
        }
        text(self.content.len(), out);
    }
}

/// Where the viewport is: following the end, or with message `entry`'s line `line` at the top.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scroll {
    Follow,
    At { entry: usize, line: usize },
}

/// Messages plus scroll state.
#[derive(Debug, Clone)]
pub struct Transcript {
    pub entries: Vec<Entry>,
    pub scroll: Scroll,
}

impl Default for Transcript {
    fn default() -> Self {
        Transcript {
            entries: Vec::new(),
            scroll: Scroll::Follow,
        }
    }
}

impl Transcript {
    pub fn following(&self) -> bool {
        self.scroll == Scroll::Follow
    }

    /// The index of the message with this id, searching from the end (where replies are).
    pub fn find(&self, id: &MessageId) -> Option<usize> {
        self.entries.iter().rposition(|e| e.id.as_ref() == Some(id))
    }

    /// The top of the viewport as (entry, line), resolving `Follow` for a viewport of `height`.
    pub fn top(&mut self, width: usize, height: usize, theme: &Theme) -> (usize, usize) {
        match self.scroll {
            Scroll::At { entry, line } => (entry, line),
            Scroll::Follow => {
                let mut need = height;
                let mut i = self.entries.len();
                while i > 0 {
                    let h = self.entries[i - 1].height(width, theme);
                    if h >= need {
                        return (i - 1, h - need);
                    }
                    need -= h;
                    i -= 1;
                }
                (0, 0)
            }
        }
    }

    /// The lines on screen, top to bottom, at most `height` of them, and which entry each
    /// belongs to.
    pub fn visible(
        &mut self,
        width: usize,
        height: usize,
        theme: &Theme,
    ) -> Vec<(usize, Line<'static>)> {
        let (mut entry, mut line) = self.top(width, height, theme);
        let mut out = Vec::with_capacity(height);
        while out.len() < height && entry < self.entries.len() {
            let lines = &self.entries[entry].rendered(width, theme).lines;
            for l in lines.iter().skip(line) {
                if out.len() == height {
                    break;
                }
                out.push((entry, l.clone()));
            }
            entry += 1;
            line = 0;
        }
        out
    }

    /// Scrolls up `n` lines; leaves follow mode.
    pub fn scroll_up(&mut self, n: usize, width: usize, height: usize, theme: &Theme) {
        let (mut entry, mut line) = self.top(width, height, theme);
        let mut n = n;
        while n > 0 {
            if line >= n {
                line -= n;
                break;
            }
            n -= line;
            if entry == 0 {
                line = 0;
                break;
            }
            entry -= 1;
            line = self.entries[entry].height(width, theme);
        }
        self.scroll = Scroll::At { entry, line };
    }

    /// Scrolls down `n` lines; back in follow mode once the end is on screen.
    pub fn scroll_down(&mut self, n: usize, width: usize, height: usize, theme: &Theme) {
        let Scroll::At {
            mut entry,
            mut line,
        } = self.scroll
        else {
            return;
        };
        line += n;
        while entry < self.entries.len() {
            let h = self.entries[entry].height(width, theme);
            if line < h {
                break;
            }
            line -= h;
            entry += 1;
        }
        self.scroll = Scroll::At { entry, line };
        if self.below(width, height, theme) == 0 {
            self.scroll = Scroll::Follow;
        }
    }

    /// Lines below the viewport (0 when the end is on screen). Stops counting at `height`+1.
    fn below(&mut self, width: usize, height: usize, theme: &Theme) -> usize {
        let Scroll::At { entry, line } = self.scroll else {
            return 0;
        };
        let mut total = 0;
        for (i, e) in self.entries.iter_mut().enumerate().skip(entry) {
            total += e.height(width, theme) - if i == entry { line } else { 0 };
            if total > height {
                return total - height;
            }
        }
        0
    }

    pub fn jump_to(&mut self, entry: usize) {
        if entry < self.entries.len() {
            self.scroll = Scroll::At { entry, line: 0 };
        }
    }

    /// Jumps to the message before (or after) the one at the top of the viewport.
    pub fn jump(&mut self, forward: bool, width: usize, height: usize, theme: &Theme) {
        let (entry, line) = self.top(width, height, theme);
        let target = if forward {
            entry + 1
        } else if line > 0 {
            entry
        } else {
            entry.saturating_sub(1)
        };
        if target >= self.entries.len() {
            self.scroll = Scroll::Follow;
        } else {
            self.jump_to(target);
            if self.below(width, height, theme) == 0 {
                self.scroll = Scroll::Follow;
            }
        }
    }

    /// The last assistant message.
    pub fn last_reply(&self) -> Option<usize> {
        self.entries.iter().rposition(|e| e.role == Role::Assistant)
    }

    /// The last user message.
    pub fn last_prompt(&self) -> Option<usize> {
        self.entries.iter().rposition(|e| e.role == Role::User)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transcript(n: usize) -> Transcript {
        let mut t = Transcript::default();
        for i in 0..n {
            t.entries
                .push(Entry::new(Role::User, format!("message {i}\nsecond line")));
        }
        t
    }

    #[test]
    fn follow_shows_the_end_and_scrolling_pauses_it() {
        let theme = Theme::plain();
        // Each entry: header, 2 lines, blank = 4 lines.
        let mut t = transcript(10);
        let v = t.visible(40, 6, &theme);
        assert_eq!(v.len(), 6);
        assert_eq!(v[5].0, 9);
        assert_eq!(v.last().map(|(_, l)| l.to_string()), Some(String::new()));
        t.scroll_up(4, 40, 6, &theme);
        assert!(!t.following());
        assert_eq!(t.visible(40, 6, &theme)[5].0, 8);
        t.scroll_down(2, 40, 6, &theme);
        assert!(!t.following());
        t.scroll_down(2, 40, 6, &theme);
        assert!(t.following(), "back at the end, following again");
        t.scroll_up(1000, 40, 6, &theme);
        assert_eq!(t.scroll, Scroll::At { entry: 0, line: 0 });
    }

    #[test]
    fn jumping_between_messages() {
        let theme = Theme::plain();
        let mut t = transcript(10);
        t.jump_to(3);
        t.jump(false, 40, 6, &theme);
        assert_eq!(t.scroll, Scroll::At { entry: 2, line: 0 });
        t.jump(true, 40, 6, &theme);
        assert_eq!(t.scroll, Scroll::At { entry: 3, line: 0 });
        t.jump_to(9);
        t.jump(true, 40, 6, &theme);
        assert!(t.following());
    }

    #[test]
    fn only_what_is_on_screen_is_rendered() {
        let theme = Theme::plain();
        let mut t = transcript(1000);
        t.visible(40, 10, &theme);
        let rendered = t.entries.iter().filter(|e| e.cache.is_some()).count();
        assert!(rendered <= 4, "{rendered} entries were laid out");
    }
}
