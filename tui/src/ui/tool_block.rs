//! A tool call in a reply, drawn as a block where it happened: the tool and its arguments,
//! what would run and the verdict, the approval prompt while it waits (y / a / n), and the
//! result, folded like thinking.

use crate::text::theme::Theme;
use crate::text::wrap::{self, Mode};
use chinwag_protocol::{Decision, StoredToolEvent, ToolEvent, Verdict};
use ratatui::text::{Line, Span};

/// One call with what is known of it so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Call<'a> {
    pub id: &'a str,
    pub tool: &'a str,
    pub arguments: &'a serde_json::Value,
    pub runs: Option<&'a str>,
    pub verdict: Verdict,
    pub rule: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub approval: Option<(Decision, Option<&'a str>, Option<&'a str>)>,
    pub result: Option<(&'a str, bool, bool)>,
}

impl Call<'_> {
    /// Waiting for an answer: it asks and nobody has answered.
    pub fn waiting(&self) -> bool {
        self.verdict == Verdict::Ask && self.approval.is_none()
    }
}

/// The calls of a reply, in order, each with where its block goes (bytes of content
/// before it).
pub fn calls(events: &[StoredToolEvent]) -> Vec<(usize, Call<'_>)> {
    let mut out: Vec<(usize, Call<'_>)> = Vec::new();
    for e in events {
        match &e.event {
            ToolEvent::Call {
                call,
                tool,
                arguments,
                runs,
                verdict,
                rule,
                reason,
                ..
            } => out.push((
                usize::try_from(e.content_at).unwrap_or(usize::MAX),
                Call {
                    id: call,
                    tool,
                    arguments,
                    runs: runs.as_deref(),
                    verdict: *verdict,
                    rule: rule.as_deref(),
                    reason: reason.as_deref(),
                    approval: None,
                    result: None,
                },
            )),
            ToolEvent::Approval {
                call,
                decision,
                reason,
                by,
            } => {
                if let Some((_, c)) = out.iter_mut().rev().find(|(_, c)| c.id == call) {
                    c.approval = Some((*decision, reason.as_deref(), by.as_deref()));
                }
            }
            ToolEvent::Result {
                call,
                output,
                ok,
                truncated,
            } => {
                if let Some((_, c)) = out.iter_mut().rev().find(|(_, c)| c.id == call) {
                    c.result = Some((output, *ok, *truncated));
                }
            }
        }
    }
    out
}

/// The block's lines at `width`; the result shown whole when `open`.
pub fn render(c: &Call<'_>, width: usize, open: bool, theme: &Theme) -> Vec<Line<'static>> {
    let bar = [Span::styled("│ ", theme.dim)];
    let mut out = Vec::new();
    let args = if c.tool == "run_command" {
        c.arguments["argv"]
            .as_array()
            .map(|a| {
                let words: Vec<&str> = a.iter().filter_map(|v| v.as_str()).collect();
                shlex::try_join(words.iter().copied()).unwrap_or_else(|_| words.join(" "))
            })
            .unwrap_or_else(|| c.arguments.to_string())
    } else {
        c.arguments.to_string()
    };
    let head = [
        Span::styled("╭ ", theme.dim),
        Span::styled(c.tool.to_string(), theme.accent),
        Span::styled(format!(" {args}"), theme.text),
    ];
    let rest = [Span::styled("│   ", theme.dim)];
    out.extend(wrap::wrap(&head, width, Mode::Chars, &[], &rest));
    if let Some(runs) = c.runs {
        let spans = [Span::styled(format!("runs {runs}"), theme.dim)];
        out.extend(wrap::wrap(&spans, width, Mode::Chars, &bar, &bar));
    }
    let verdict = match (c.verdict, c.approval) {
        (Verdict::Refused, _) => Span::styled(
            format!(
                "refused by the policy ({}): {}",
                c.rule.unwrap_or("refused"),
                c.reason.unwrap_or("")
            ),
            theme.warn,
        ),
        (Verdict::Allowed, _) => Span::styled(
            match c.reason {
                Some("bot") => "allowed by the bot".to_string(),
                Some("conversation") => "allowed for this conversation".to_string(),
                _ => "allowed".to_string(),
            },
            theme.dim,
        ),
        (Verdict::Ask, None) => Span::styled(
            "waits for your answer (y once · a for this conversation · n deny)",
            theme.accent,
        ),
        (Verdict::Ask, Some((d, reason, by))) => {
            let by = by.map(|b| format!(" by {b}")).unwrap_or_default();
            let words = match d {
                Decision::Once => format!("allowed once{by}"),
                Decision::Conversation => format!("allowed for this conversation{by}"),
                Decision::Deny => match reason {
                    Some(r) => format!("denied{by}: {r}"),
                    None => format!("denied{by}"),
                },
                Decision::Timeout => "nobody answered in time; not run".to_string(),
            };
            let style = if d.allows() { theme.dim } else { theme.warn };
            Span::styled(words, style)
        }
    };
    out.extend(wrap::wrap(&[verdict], width, Mode::Words, &bar, &bar));
    if let Some((output, ok, truncated)) = c.result {
        let status = if ok { "ok" } else { "failed" };
        let lines = output.lines().count();
        let cut = if truncated { ", cut" } else { "" };
        if open {
            out.push(Line::styled(
                format!("│ ▾ result · {status}{cut}"),
                theme.thinking,
            ));
            for line in output.lines() {
                let spans = [Span::styled(line.to_string(), theme.thinking)];
                out.extend(wrap::wrap(&spans, width, Mode::Chars, &bar, &bar));
            }
        } else {
            out.push(Line::styled(
                format!("│ ▸ result · {status} · {lines} lines{cut} (Alt+T shows it)"),
                theme.thinking,
            ));
        }
    }
    out.push(Line::styled("╰", theme.dim));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn plain(lines: &[Line<'_>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    fn at(event: ToolEvent) -> StoredToolEvent {
        StoredToolEvent {
            content_at: 4,
            thinking_at: 0,
            event,
        }
    }

    #[test]
    fn a_call_shows_its_prompt_while_it_waits_then_its_answer_and_folded_result() {
        let call = at(ToolEvent::Call {
            call: "1".into(),
            tool: "run_command".into(),
            arguments: json!({"argv": ["ls", "-l", "my dir"]}),
            runs: Some("/usr/bin/ls -l 'my dir' (in /p)".into()),
            verdict: Verdict::Ask,
            rule: None,
            reason: None,
            expires_at_ms: None,
        });
        let theme = Theme::dark();
        let events = vec![call.clone()];
        let found = calls(&events);
        assert_eq!(found[0].0, 4);
        assert!(found[0].1.waiting());
        assert_eq!(
            plain(&render(&found[0].1, 80, false, &theme)),
            [
                "╭ run_command ls -l 'my dir'",
                "│ runs /usr/bin/ls -l 'my dir' (in /p)",
                "│ waits for your answer (y once · a for this conversation · n deny)",
                "╰",
            ]
        );
        let events = vec![
            call,
            at(ToolEvent::Approval {
                call: "1".into(),
                decision: Decision::Deny,
                reason: Some("not now".into()),
                by: Some("ann".into()),
            }),
            at(ToolEvent::Result {
                call: "1".into(),
                output: "the user denied this call: not now".into(),
                ok: false,
                truncated: false,
            }),
        ];
        let found = calls(&events);
        assert!(!found[0].1.waiting());
        let lines = plain(&render(&found[0].1, 60, false, &theme));
        assert_eq!(lines[2], "│ denied by ann: not now");
        assert_eq!(lines[3], "│ ▸ result · failed · 1 lines (Alt+T shows it)");
        let open = plain(&render(&found[0].1, 60, true, &theme));
        assert_eq!(open[4], "│ the user denied this call: not now");
    }
}
