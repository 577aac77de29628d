//! Drawing the state: layout, the transcript, the input, the conversation list and the notice
//! line. Status line and overlays live in their own files. Views read the state; the only
//! thing they change is the transcript's render cache.

mod overlay;
mod status;

use super::app::commands_matching;
use super::app::{App, Focus, input_height};
use super::event::Level;
use crate::text::wrap;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Where each part of the screen goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub list: Option<Rect>,
    pub title: Rect,
    pub transcript: Rect,
    pub notice: Option<Rect>,
    pub input: Rect,
    pub status: Rect,
}

/// The conversation list's width when shown.
const LIST_WIDTH: u16 = 30;

/// Lays out a screen of `size` for `app`. Pure, so the state machine can ask how big a page is.
pub fn layout(size: Rect, app: &App) -> Areas {
    let input_h = input_height(app, size.height);
    let notice_h = u16::from(app.notice.is_some());
    let [main, notice, input, status] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(notice_h),
        Constraint::Length(input_h),
        Constraint::Length(1),
    ])
    .areas(size);
    let (list, main) = if app.list.visible && size.width >= 60 {
        let [l, m] =
            Layout::horizontal([Constraint::Length(LIST_WIDTH), Constraint::Min(1)]).areas(main);
        (Some(l), m)
    } else {
        (None, main)
    };
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(main);
    // A column of margin each side reads better and leaves room for the scroll marker.
    let transcript = Rect {
        x: body.x + 1,
        width: body.width.saturating_sub(2),
        ..body
    };
    Areas {
        list,
        title,
        transcript,
        notice: (notice_h > 0).then_some(notice),
        input,
        status,
    }
}

/// Draws one frame.
pub fn draw(frame: &mut Frame<'_>, app: &mut App) {
    let areas = layout(frame.area(), app);
    // The state machine's geometry comes from here, never from calling the view.
    app.transcript_area = Some((
        usize::from(areas.transcript.width),
        usize::from(areas.transcript.height),
    ));
    if let Some(list) = areas.list {
        draw_list(frame, app, list);
    }
    draw_title(frame, app, areas.title);
    draw_transcript(frame, app, areas.transcript);
    if let Some(n) = areas.notice {
        draw_notice(frame, app, n);
    }
    draw_input(frame, app, areas.input);
    status::draw(frame, app, areas.status);
    draw_completion(frame, app, areas.input);
    overlay::draw(frame, app);
}

fn draw_title(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let t = &app.theme;
    let title = if app.title.is_empty() {
        "new conversation".to_string()
    } else {
        app.title.clone()
    };
    let mut right = String::new();
    if !app.transcript.following() {
        right = "↑ scrolled · End follows ".into();
    }
    let room = (area.width as usize).saturating_sub(wrap::width(&right) + 2);
    let left = Line::from(vec![
        Span::raw(" "),
        Span::styled(wrap::truncate(&title, room), t.heading),
    ]);
    frame.render_widget(Paragraph::new(left), area);
    if !right.is_empty() {
        let w = wrap::width(&right) as u16;
        let r = Rect {
            x: area.right().saturating_sub(w),
            width: w.min(area.width),
            ..area
        };
        frame.render_widget(Paragraph::new(Span::styled(right, t.warn)), r);
    }
}

fn draw_transcript(frame: &mut Frame<'_>, app: &mut App, area: Rect) {
    if area.height == 0 || area.width == 0 {
        return;
    }
    if app.transcript.entries.is_empty() {
        draw_empty(frame, app, area);
        return;
    }
    let theme = app.theme.clone();
    let lines = app
        .transcript
        .visible(area.width as usize, area.height as usize, &theme);
    let buf = frame.buffer_mut();
    let mut prev = None;
    for (row, (entry, line)) in lines.iter().enumerate() {
        let y = area.y + row as u16;
        buf.set_line(area.x, y, line, area.width);
        // Mark the selected message's first line.
        if app.focus == Focus::Transcript && app.selected == Some(*entry) && prev != Some(*entry) {
            buf.set_style(Rect::new(area.x, y, area.width, 1), theme.selected);
        }
        prev = Some(*entry);
    }
}

fn draw_empty(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let t = &app.theme;
    let model = status::model_label(app);
    let lines = vec![
        Line::default(),
        Line::styled("chinwag", t.heading),
        Line::default(),
        Line::from(vec![
            Span::styled("Type a message and press Enter. Model: ", t.dim),
            Span::styled(model, t.accent),
        ]),
        Line::styled(
            "F1 keys · /model switch model · Ctrl+O conversations · Ctrl+R search",
            t.dim,
        ),
    ];
    let h = (lines.len() as u16).min(area.height);
    let top = area.y + area.height.saturating_sub(h) / 3;
    frame.render_widget(
        Paragraph::new(lines).centered(),
        Rect {
            y: top,
            height: h,
            ..area
        },
    );
}

fn draw_notice(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(n) = &app.notice else {
        return;
    };
    let style = match n.level {
        Level::Info => app.theme.dim,
        Level::Warn => app.theme.warn,
        Level::Error => app.theme.error,
    };
    let text = wrap::truncate(&n.text, area.width.saturating_sub(2) as usize);
    frame.render_widget(
        Paragraph::new(Span::styled(format!(" {text}"), style)),
        area,
    );
}

fn draw_input(frame: &mut Frame<'_>, app: &mut App, area: Rect) {
    let t = &app.theme;
    let focused = app.focus == Focus::Input && app.overlay.is_none();
    let mut title = vec![Span::styled(
        " message ",
        if focused { t.border_focus } else { t.border },
    )];
    if app.generating.is_some() {
        title.push(Span::styled("(Esc stops the reply) ", t.dim));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Line::from(title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let cursor = if focused {
        Style::new().add_modifier(ratatui::style::Modifier::REVERSED)
    } else {
        Style::new()
    };
    app.input.set_cursor_style(cursor);
    frame.render_widget(&app.input, inner);
}

fn draw_completion(frame: &mut Frame<'_>, app: &App, input: Rect) {
    if app.overlay.is_some() || app.focus != Focus::Input {
        return;
    }
    let text = app.input_text();
    let Some(prefix) = text.strip_prefix('/') else {
        return;
    };
    if prefix.contains(' ') || prefix.contains('\n') || prefix.starts_with('/') {
        return;
    }
    let items = commands_matching(prefix);
    if items.is_empty() {
        return;
    }
    let h = (items.len() as u16 + 2).min(input.y);
    // As wide as the longest line needs (cells, not bytes), up to the input's width.
    let widest = items
        .iter()
        .map(|(name, arg, what)| {
            let arg = if arg.is_empty() {
                0
            } else {
                1 + wrap::width(arg)
            };
            1 + wrap::width(name) + arg + 2 + wrap::width(what)
        })
        .max()
        .unwrap_or(0);
    let w = (widest as u16 + 2).min(input.width);
    let area = Rect::new(input.x, input.y.saturating_sub(h), w, h);
    let t = &app.theme;
    let lines: Vec<Line<'_>> = items
        .iter()
        .map(|(name, arg, what)| {
            Line::from(vec![
                Span::styled(format!("/{name}"), t.accent),
                Span::styled(
                    if arg.is_empty() {
                        String::new()
                    } else {
                        format!(" {arg}")
                    },
                    t.dim,
                ),
                Span::raw("  "),
                Span::styled(*what, t.text),
            ])
        })
        .collect();
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .border_style(t.border)
                .title(Span::styled(" Tab completes ", t.dim)),
        ),
        area,
    );
}

fn draw_list(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let t = &app.theme;
    let focused = app.focus == Focus::List && app.overlay.is_none();
    let block = Block::default()
        .borders(Borders::RIGHT)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(
            " conversations ",
            if focused { t.border_focus } else { t.dim },
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let h = inner.height as usize;
    if app.list.items.is_empty() {
        frame.render_widget(Paragraph::new(Span::styled(" none yet", t.dim)), inner);
        return;
    }
    let first = app.list.selected.saturating_sub(h.saturating_sub(1));
    let w = inner.width as usize;
    let lines: Vec<Line<'_>> = app
        .list
        .items
        .iter()
        .enumerate()
        .skip(first)
        .take(h)
        .map(|(i, c)| {
            let current = app.conversation.as_ref() == Some(&c.id);
            let mark = if current { "▸ " } else { "  " };
            let text = wrap::truncate(&c.title, w.saturating_sub(2));
            let mut style = if current { t.accent } else { t.text };
            if i == app.list.selected && focused {
                style = style.patch(t.selected);
            }
            Line::from(vec![
                Span::styled(mark, t.accent),
                Span::styled(text, style),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

#[cfg(test)]
mod tests;
