//! Drawing the overlays: help, pickers, search, delete confirmation, rename.

use crate::text::theme::Theme;
use crate::text::wrap;
use crate::ui::app::App;
use crate::ui::app::commands_matching;
use crate::ui::app::overlay::{Overlay, PickKind, Picker, Search};
use crate::ui::keymap::Action;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

/// A box of at most `w`×`h` cells centred in `area`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 3,
        w,
        h,
    )
}

fn boxed(frame: &mut Frame<'_>, area: Rect, title: &str, t: &Theme) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .border_style(t.border_focus)
        .title(Span::styled(format!(" {title} "), t.heading));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let Some(ov) = &app.overlay else {
        return;
    };
    let screen = frame.area();
    let t = &app.theme;
    match ov {
        Overlay::Help => help(frame, app, screen),
        Overlay::Picker(p) => picker(frame, p, app.ollama_up == Some(false), screen, t),
        Overlay::Search(s) => search(frame, s, screen, t),
        Overlay::ConfirmDelete { title, .. } => {
            let area = centered(screen, 56, 5);
            let inner = boxed(frame, area, "Delete conversation", t);
            let room = inner.width.saturating_sub(12) as usize;
            let lines = vec![
                Line::from(vec![
                    Span::raw("Delete “"),
                    Span::styled(wrap::truncate(title, room), t.accent),
                    Span::raw("”?"),
                ]),
                Line::styled("Its messages are gone for good.", t.dim),
                Line::from(vec![
                    Span::styled("y", t.error),
                    Span::raw(" delete   "),
                    Span::styled("n", t.accent),
                    Span::raw(" / Esc keep"),
                ]),
            ];
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Approve {
            call, tool, what, ..
        } => {
            let width = 72.min(screen.width);
            let room = width.saturating_sub(4) as usize;
            let what_lines = wrap::wrap(
                &[Span::styled(what.clone(), t.text)],
                room,
                wrap::Mode::Chars,
                &[],
                &[],
            );
            let shown = what_lines.len().min(6);
            let area = centered(screen, width, 4 + shown as u16);
            let inner = boxed(frame, area, &format!("Tool call {call}"), t);
            let mut lines = vec![Line::from(vec![
                Span::raw("The model asks to use "),
                Span::styled(tool.clone(), t.accent),
                Span::raw(":"),
            ])];
            lines.extend(what_lines.into_iter().take(shown));
            lines.push(Line::from(vec![
                Span::styled("y", t.accent),
                Span::raw(" once   "),
                Span::styled("a", t.accent),
                Span::raw(" for this conversation   "),
                Span::styled("n", t.error),
                Span::raw(" deny   Esc later"),
            ]));
            frame.render_widget(Paragraph::new(lines), inner);
        }
        Overlay::Rename { text, .. } => {
            let area = centered(screen, 60, 3);
            let inner = boxed(frame, area, "Rename · Enter saves · Esc cancels", t);
            let shown = tail(text, inner.width.saturating_sub(1) as usize);
            frame.render_widget(
                Paragraph::new(Line::from(vec![
                    Span::raw(shown),
                    Span::styled("▏", t.accent),
                ])),
                inner,
            );
        }
    }
}

/// The end of `text` that fits `w` cells (what is being typed stays visible).
fn tail(text: &str, w: usize) -> String {
    let mut out: Vec<char> = Vec::new();
    let mut used = 0;
    for c in text.chars().rev() {
        let cw = wrap::width(c.encode_utf8(&mut [0; 4]));
        if used + cw > w {
            break;
        }
        used += cw;
        out.push(c);
    }
    out.iter().rev().collect()
}

fn query_line<'a>(query: &str, w: u16, t: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled("> ", t.accent),
        Span::raw(tail(query, w.saturating_sub(4) as usize)),
        Span::styled("▏", t.accent),
    ])
}

fn picker(frame: &mut Frame<'_>, p: &Picker, ollama_down: bool, screen: Rect, t: &Theme) {
    let title = match p.kind {
        PickKind::Conversation => "Conversations · type to filter · Enter opens",
        PickKind::Model => "Models · Enter picks",
        PickKind::Bot => "Bots · Enter picks",
    };
    let area = centered(screen, 72, screen.height.saturating_sub(4).max(8));
    let inner = boxed(frame, area, title, t);
    let mut lines = vec![query_line(&p.query, inner.width, t), Line::default()];
    let rows = inner.height.saturating_sub(2) as usize;
    if p.matches.is_empty() {
        let pull = format!("Enter pulls {} into Ollama", p.query.trim());
        let empty = match (p.kind, p.items.is_empty()) {
            (PickKind::Model, _) if ollama_down => {
                "cannot reach Ollama: start it with `ollama serve`, then reopen"
            }
            (PickKind::Model, _) if !p.query.trim().is_empty() => pull.as_str(),
            (PickKind::Model, true) => "no models yet: type a name (llama3.2) and Enter pulls it",
            (PickKind::Conversation, true) => "no conversations yet",
            (PickKind::Bot, true) => "no bots: add [bots.NAME] to chinwagd.toml",
            _ => "nothing matches",
        };
        lines.push(Line::styled(empty.to_string(), t.dim));
    }
    let first = p.selected.saturating_sub(rows.saturating_sub(1));
    let w = inner.width as usize;
    for (row, &i) in p.matches.iter().enumerate().skip(first).take(rows) {
        let Some(item) = p.items.get(i) else { continue };
        let label = wrap::truncate(&item.label, w.saturating_sub(4).min(w * 2 / 3));
        let room = w.saturating_sub(wrap::width(&label) + 4);
        let detail = wrap::truncate(&item.detail, room);
        let mut line = Line::from(vec![
            Span::raw("  "),
            Span::styled(label, t.text),
            Span::raw("  "),
            Span::styled(detail, t.dim),
        ]);
        if row == p.selected {
            line = line.style(t.selected);
            line.spans[0] = Span::styled("▸ ", t.accent);
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn search(frame: &mut Frame<'_>, s: &Search, screen: Rect, t: &Theme) {
    let area = centered(screen, 90, screen.height.saturating_sub(4).max(8));
    let inner = boxed(frame, area, "Search all conversations · Enter jumps", t);
    let mut lines = vec![query_line(&s.query, inner.width, t), Line::default()];
    if s.hits.is_empty() {
        let msg = if s.query.trim().is_empty() {
            "words, \"a phrase\", or prefix*"
        } else if s.searching {
            "searching…"
        } else {
            "no matches"
        };
        lines.push(Line::styled(msg, t.dim));
    }
    let w = inner.width as usize;
    let rows = (inner.height.saturating_sub(2) / 2) as usize;
    let first = s.selected.saturating_sub(rows.saturating_sub(1));
    for (i, hit) in s.hits.iter().enumerate().skip(first).take(rows) {
        let mark = if i == s.selected { "▸ " } else { "  " };
        let mut title = Line::from(vec![
            Span::styled(mark, t.accent),
            Span::styled(wrap::truncate(&hit.title, w.saturating_sub(2)), t.accent),
        ]);
        if i == s.selected {
            title = title.style(t.selected);
        }
        lines.push(title);
        let snippet = hit.snippet.replace('\n', " ");
        lines.push(Line::from(vec![
            Span::raw("    "),
            Span::styled(wrap::truncate(&snippet, w.saturating_sub(4)), t.dim),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Fixed keys of the transcript and list, shown in help beside the configurable ones.
const PAGER_KEYS: &[(&str, &str)] = &[
    ("Esc", "input → transcript"),
    ("j k Space b", "scroll line / page"),
    ("g G", "top / end (follow)"),
    ("[ ]", "previous / next message"),
    ("y 1-9", "copy message / code block"),
    ("s", "share a /run output"),
    ("t r e n", "thinking/retry/edit/new"),
    ("i Enter", "back to the input"),
    ("q", "quit"),
];

/// Width of the key column.
const KEY_W: usize = 14;

fn key_line<'a>(keys: &str, what: &str, w: usize, t: &Theme) -> Line<'a> {
    Line::from(vec![
        Span::styled(
            format!("{:<KEY_W$}", wrap::truncate(keys, KEY_W - 1)),
            t.accent,
        ),
        Span::raw(wrap::truncate(what, w.saturating_sub(KEY_W))),
    ])
}

fn help(frame: &mut Frame<'_>, app: &App, screen: Rect) {
    let t = &app.theme;
    let area = centered(screen, 110, 30);
    let inner = boxed(frame, area, "Help · any key closes", t);
    let half = inner.width / 2;
    let (lw, rw) = (half as usize - 1, (inner.width - half) as usize);
    // Every line, in reading order; they flow down the left column, then the right one, so
    // nothing is cut at 80×24.
    let mut lines: Vec<(Line<'_>, bool)> = Action::ALL
        .iter()
        .filter_map(|(_, action)| {
            let names = key_names(&app.keymap.keys_for(*action));
            (!names.is_empty()).then(|| (names, action.describe()))
        })
        .chain([
            ("Up Down".to_string(), "earlier prompts"),
            ("Ctrl+_".to_string(), "undo typing"),
        ])
        .map(|(k, what)| (key_line(&k, what, lw, t), true))
        .collect();
    let mut other: Vec<Line<'_>> = vec![Line::styled("In the transcript and list", t.heading)];
    other.extend(PAGER_KEYS.iter().map(|(k, what)| key_line(k, what, rw, t)));
    other.push(Line::styled("Commands (type / to see each)", t.heading));
    let names: Vec<Span<'_>> = commands_matching("")
        .iter()
        .map(|(name, _, _)| Span::styled(format!("/{name} "), t.accent))
        .collect();
    other.extend(wrap::wrap(&names, rw, wrap::Mode::Words, &[], &[]));
    other.push(Line::styled(
        wrap::truncate("Shift+drag selects text", rw),
        t.dim,
    ));
    other.push(Line::styled(
        wrap::truncate("Keys, theme: chinwag.toml (config dir)", rw),
        t.dim,
    ));
    lines.extend(other.into_iter().map(|l| (l, false)));
    let rows = inner.height as usize;
    // Keep the two groups apart when both fit: keys left, the rest right.
    let keys = lines.iter().filter(|(_, k)| *k).count();
    let split = if keys <= rows && lines.len() - keys <= rows {
        keys
    } else {
        rows.min(lines.len())
    };
    let right: Vec<Line<'_>> = lines.split_off(split).into_iter().map(|(l, _)| l).collect();
    let left: Vec<Line<'_>> = lines.into_iter().map(|(l, _)| l).collect();
    let left_area = Rect {
        width: half,
        ..inner
    };
    let right_area = Rect {
        x: inner.x + half,
        width: inner.width - half,
        ..inner
    };
    frame.render_widget(Paragraph::new(left), left_area);
    frame.render_widget(Paragraph::new(right), right_area);
}

/// The names of an action's keys that fit the key column (at least the first).
fn key_names(combos: &[crate::ui::keymap::Combo]) -> String {
    let mut out = String::new();
    for c in combos.iter().map(ToString::to_string) {
        if out.is_empty() {
            out = c;
        } else if out.len() + 1 + c.len() < KEY_W {
            out = format!("{out} {c}");
        }
    }
    out
}
