//! The status line: connection, model, bot, speed of the last reply, context used, and a
//! rate-limit countdown when one applies.

use crate::text::wrap;
use crate::ui::app::{App, LinkState};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Ollama's context window when the request does not set `num_ctx`.
pub const OLLAMA_DEFAULT_NUM_CTX: u64 = 4096;

const SPINNER: [&str; 8] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧"];

/// The model the next message goes to, as far as the client knows.
pub fn model_label(app: &App) -> String {
    app.model
        .clone()
        .or_else(|| app.active_model.clone())
        .or_else(|| {
            app.bots
                .iter()
                .find(|b| Some(&b.name) == app.bot.as_ref())
                .and_then(|b| b.model.clone())
        })
        .or_else(|| app.default_model.clone())
        .unwrap_or_else(|| "(daemon default)".into())
}

fn compact(n: u64) -> String {
    if n >= 10_000 {
        format!("{:.0}k", n as f64 / 1000.0)
    } else if n >= 1000 {
        format!("{:.1}k", n as f64 / 1000.0)
    } else {
        n.to_string()
    }
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let t = &app.theme;
    let sep = || Span::styled(" │ ", t.status.patch(t.dim));
    let mut left: Vec<Span<'_>> = Vec::new();
    let spin = SPINNER[(app.now_ms / 100) as usize % SPINNER.len()];
    match &app.link {
        LinkState::Connecting => left.push(Span::styled(
            format!(" {spin} connecting…"),
            t.status.patch(t.warn),
        )),
        LinkState::Connected { endpoint, remote } => {
            let place = if *remote {
                format!(" ● remote {endpoint}")
            } else {
                " ● local".to_string()
            };
            if app.ollama_up == Some(false) {
                left.push(Span::styled(place, t.status.patch(t.warn)));
                left.push(sep());
                left.push(Span::styled("Ollama down", t.status.patch(t.error)));
            } else {
                left.push(Span::styled(place, t.status.patch(t.ok)));
            }
        }
        LinkState::Reconnecting { attempt, .. } => left.push(Span::styled(
            format!(" {spin} reconnecting (try {attempt})…"),
            t.status.patch(t.warn),
        )),
        LinkState::Refused => left.push(Span::styled(
            " ✕ refused (see the notice)",
            t.status.patch(t.error),
        )),
    }
    left.push(sep());
    left.push(Span::styled(model_label(app), t.status.patch(t.accent)));
    if let Some(bot) = &app.bot {
        left.push(sep());
        left.push(Span::styled(format!("bot {bot}"), t.status));
    }
    if let Some(temp) = app.options.temperature {
        left.push(sep());
        left.push(Span::styled(format!("temp {temp}"), t.status));
    }
    if app.generating.is_some() {
        left.push(sep());
        left.push(Span::styled(
            format!("{spin} replying"),
            t.status.patch(t.accent),
        ));
    } else if let Some(s) = &app.stats {
        if let Some(tps) = s.tokens_per_second {
            left.push(sep());
            left.push(Span::styled(format!("{tps:.1} tok/s"), t.status));
        }
        let used = s.prompt_tokens.unwrap_or(0) + s.completion_tokens.unwrap_or(0);
        if used > 0 {
            let ctx = app
                .options
                .num_ctx
                .map_or(OLLAMA_DEFAULT_NUM_CTX, u64::from);
            let style = if used * 10 >= ctx * 9 {
                t.status.patch(t.warn)
            } else {
                t.status
            };
            left.push(sep());
            left.push(Span::styled(
                format!("ctx {}/{}", compact(used), compact(ctx)),
                style,
            ));
        }
    }
    if let Some(until) = app.rate_limited_until_ms {
        let secs = until.saturating_sub(app.now_ms).div_ceil(1000);
        left.push(sep());
        left.push(Span::styled(
            format!("rate limited {secs}s"),
            t.status.patch(t.error),
        ));
    }
    let right = " F1 help ";
    let line = Line::from(left);
    let used = line.width();
    frame.render_widget(Paragraph::new(line).style(t.status), area);
    let rw = wrap::width(right) as u16;
    if area.width as usize >= used + rw as usize {
        let r = Rect {
            x: area.right() - rw,
            width: rw,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(right, t.status.patch(t.dim))),
            r,
        );
    }
}
