//! Text for people: conversation lists, transcripts as Markdown, search hits, status.

use chinwag_protocol::model_name::same_model;
use chinwag_protocol::{
    BotInfo, ConversationSummary, MessageStatus, ModelInfo, Role, SearchHit, StatusReply,
    StoredMessage,
};
use std::fmt::Write;

/// Characters of an id shown in lists; any unique prefix is accepted back.
pub const SHORT_ID: usize = 8;

fn short(id: &str) -> &str {
    id.get(..SHORT_ID).unwrap_or(id)
}

/// A timestamp in the local time zone, to the minute.
pub fn local_time(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(ts) => ts
            .to_zoned(jiff::tz::TimeZone::system())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => "?".into(),
    }
}

pub fn conversation_list(items: &[ConversationSummary]) -> String {
    let mut out = String::new();
    for c in items {
        let model = c.model.as_deref().unwrap_or("-");
        let _ = writeln!(
            out,
            "{}  {}  {:>3} msgs  {:<20}  {}",
            short(&c.id.0),
            local_time(c.updated_at_ms),
            c.message_count,
            model,
            c.title
        );
    }
    out
}

/// The line that marks a reply that did not end well (`*[reply cancelled]*`), shared by every
/// Markdown the client writes.
pub fn status_note(status: MessageStatus, error: Option<&str>) -> Option<String> {
    let what = match status {
        MessageStatus::Complete | MessageStatus::Streaming => return None,
        MessageStatus::Incomplete => "incomplete",
        MessageStatus::Error => "error",
        MessageStatus::Cancelled => "cancelled",
    };
    Some(match error {
        Some(e) => format!("*[reply {what}: {e}]*"),
        None => format!("*[reply {what}]*"),
    })
}

/// A conversation as Markdown, for `history show` and `history export --format md`.
pub fn markdown(
    c: &ConversationSummary,
    system: Option<&str>,
    messages: &[StoredMessage],
) -> String {
    let about = format!(
        "conversation {} · {} · {}",
        c.id,
        local_time(c.created_at_ms),
        c.model.as_deref().unwrap_or("-")
    );
    markdown_of(&c.title, Some(&about), system, messages)
}

/// The one Markdown a conversation is written as (`history`, and the chat screen's /export
/// and /copy all): a title, an optional line about it, the system prompt, then each message
/// with its time when known, its tool calls in place, its attachments, and how it ended.
pub fn markdown_of(
    title: &str,
    about: Option<&str>,
    system: Option<&str>,
    messages: &[StoredMessage],
) -> String {
    let mut out = format!("# {title}\n\n");
    if let Some(about) = about {
        let _ = writeln!(out, "*{about}*\n");
    }
    if let Some(s) = system {
        let _ = writeln!(out, "> **system:** {}\n", s.replace('\n', "\n> "));
    }
    for m in messages {
        let who = match m.role {
            Role::User => "You".to_string(),
            Role::Assistant => m.model.clone().unwrap_or_else(|| "Assistant".into()),
            Role::System => "System".to_string(),
        };
        if m.created_at_ms > 0 {
            let _ = writeln!(out, "## {who} · {}\n", local_time(m.created_at_ms));
        } else {
            let _ = writeln!(out, "## {who}\n");
        }
        let _ = writeln!(out, "{}\n", with_tool_calls(m).trim_end());
        if !m.attachments.is_empty() {
            let _ = writeln!(out, "*attached: {}*\n", attached(&m.attachments));
        }
        if let Some(note) = status_note(m.status, m.error.as_deref()) {
            let _ = writeln!(out, "{note}\n");
        }
    }
    out
}

/// What was attached to a message, for people: `notes.md (text, 9 bytes), cat.png (image,
/// 120 KiB)`.
pub fn attached(files: &[chinwag_protocol::Attachment]) -> String {
    files
        .iter()
        .map(|a| {
            let kind = match a.kind {
                chinwag_protocol::AttachmentKind::Text => "text",
                chinwag_protocol::AttachmentKind::Image => "image",
            };
            let size = if a.bytes < 1024 {
                format!("{} bytes", a.bytes)
            } else {
                format!("{} KiB", a.bytes.div_ceil(1024))
            };
            format!("{} ({kind}, {size})", a.name)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A reply's text with each tool call where it happened, as a quoted line: the call, how it
/// was answered, and how its result came out.
fn with_tool_calls(m: &StoredMessage) -> String {
    use crate::ui::tool_block::calls;
    use chinwag_protocol::{Decision, Verdict};
    let mut out = String::new();
    let mut from = 0;
    for (at, c) in calls(&m.tools) {
        let mut to = at.clamp(from, m.content.len());
        while !m.content.is_char_boundary(to) {
            to -= 1;
        }
        let text = &m.content[from..to.max(from)];
        out.push_str(text);
        from = to.max(from);
        if !out.is_empty() && !out.ends_with("\n\n") {
            out.push_str(if out.ends_with('\n') { "\n" } else { "\n\n" });
        }
        let answer = match (c.verdict, c.approval) {
            (Verdict::Refused, _) => format!("refused ({})", c.rule.unwrap_or("policy")),
            (Verdict::Allowed, _) => format!("allowed by the {}", c.reason.unwrap_or("bot")),
            (Verdict::Ask, None) => "never answered".to_string(),
            (Verdict::Ask, Some((d, _, by))) => {
                let by = by.map(|b| format!(" by {b}")).unwrap_or_default();
                match d {
                    Decision::Once => format!("allowed once{by}"),
                    Decision::Conversation => format!("allowed for the conversation{by}"),
                    Decision::Deny => format!("denied{by}"),
                    Decision::Timeout => "not answered in time".to_string(),
                }
            }
        };
        let result = match c.result {
            Some((output, ok, _)) => format!(
                " · result {}, {} lines",
                if ok { "ok" } else { "failed" },
                output.lines().count()
            ),
            None => String::new(),
        };
        let _ = writeln!(
            out,
            "> **tool** {} `{}` — {answer}{result}\n",
            c.tool, c.arguments
        );
    }
    out.push_str(&m.content[from..]);
    out
}

pub fn search_hits(hits: &[SearchHit]) -> String {
    let mut out = String::new();
    for h in hits {
        let who = if h.role == Role::User { "you" } else { "reply" };
        let _ = writeln!(
            out,
            "{}  {}  {}  ({who})",
            short(&h.conversation.0),
            local_time(h.created_at_ms),
            h.title
        );
        let _ = writeln!(out, "    {}", h.snippet.replace('\n', " "));
    }
    out
}

pub fn human_size(bytes: u64) -> String {
    const GB: f64 = 1e9;
    const MB: f64 = 1e6;
    let b = bytes as f64;
    if b >= GB {
        format!("{:.1} GB", b / GB)
    } else {
        format!("{:.0} MB", b / MB)
    }
}

pub fn model_list(models: &[ModelInfo], default: Option<&str>) -> String {
    let mut out = String::new();
    for m in models {
        let mark = if default.is_some_and(|d| same_model(d, &m.name)) {
            "*"
        } else {
            " "
        };
        let loaded = match &m.loaded {
            Some(l) => {
                let ctx = l
                    .context_length
                    .map(|n| format!(", ctx {n}"))
                    .unwrap_or_default();
                format!("loaded ({} in VRAM{ctx})", human_size(l.size_vram))
            }
            None => String::new(),
        };
        let ctx = m
            .context_length
            .map(|n| format!("{}k ctx", n / 1024))
            .unwrap_or_default();
        let line = format!(
            "{mark} {:<32} {:>8}  {:<8} {:<6} {:<8} {:<9} {:<20} {loaded}",
            m.name,
            human_size(m.size_bytes),
            m.family.as_deref().unwrap_or(""),
            m.parameter_size.as_deref().unwrap_or(""),
            m.quantization.as_deref().unwrap_or(""),
            ctx,
            m.capabilities.join(","),
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    out
}

pub fn bot_list(bots: &[BotInfo], default: Option<&str>) -> String {
    let mut out = String::new();
    for b in bots {
        let mark = if Some(b.name.as_str()) == default {
            "*"
        } else {
            " "
        };
        let about = b
            .description
            .as_deref()
            .or(b.system.as_deref())
            .unwrap_or("");
        let about: String = about
            .lines()
            .next()
            .unwrap_or("")
            .chars()
            .take(60)
            .collect();
        let _ = writeln!(
            out,
            "{mark} {:<16} {:<24} {about}",
            b.name,
            b.model.as_deref().unwrap_or("(default model)")
        );
    }
    out
}

fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, (s % 3600) / 60),
    }
}

pub fn status(st: &StatusReply) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "daemon     chinwagd {} (pid {}), up {}, protocol v{}",
        st.version,
        st.pid,
        duration(st.uptime_ms),
        st.protocol
    );
    for l in &st.listening {
        let _ = writeln!(out, "listening  {l}");
    }
    let _ = writeln!(out, "user       {}", st.user);
    let _ = writeln!(out, "store      {}", st.store_path);
    let ollama = if st.ollama.reachable {
        format!(
            "reachable, version {}",
            st.ollama.version.as_deref().unwrap_or("?")
        )
    } else {
        "NOT reachable".to_string()
    };
    let _ = writeln!(out, "ollama     {} — {ollama}", st.ollama.url);
    for b in &st.backends {
        let state = match (&b.error, b.reachable) {
            (_, true) => "reachable".to_string(),
            (Some(e), false) => format!("NOT reachable: {e}"),
            (None, false) => "NOT reachable".to_string(),
        };
        let _ = writeln!(
            out,
            "backend    {} ({}, {}) — {state}",
            b.name, b.kind, b.url
        );
    }
    let _ = writeln!(
        out,
        "model      {}",
        st.default_model.as_deref().unwrap_or("(none yet)")
    );
    let _ = writeln!(out, "replies    {} generating now", st.active_generations);
    let _ = writeln!(out, "clients    {} connected", st.connections);
    if let Some(l) = &st.limits {
        let _ = writeln!(
            out,
            "limits     {} messages a minute (bursts of {}), {} replies at once",
            l.messages_per_minute, l.burst, l.concurrent_generations
        );
        let _ = writeln!(
            out,
            "           {} output tokens a minute",
            l.output_tokens_per_minute
        );
        let _ = writeln!(
            out,
            "left       {} messages now, {} output tokens, {} of {} replies generating",
            l.messages_left, l.output_tokens_left, l.generating, l.concurrent_generations
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chinwag_protocol::{
        Decision, MessageId, MessageStatus, StoredToolEvent, ToolEvent, Verdict,
    };

    #[test]
    fn an_exported_reply_shows_each_tool_call_where_it_happened() {
        let at = |content_at, event| StoredToolEvent {
            content_at,
            thinking_at: 0,
            event,
        };
        let m = StoredMessage {
            id: MessageId("m".into()),
            role: Role::Assistant,
            content: "Let me look.They say hi.".into(),
            thinking: String::new(),
            status: MessageStatus::Complete,
            model: None,
            created_at_ms: 0,
            error: None,
            error_code: None,
            truncated: false,
            tools: vec![
                at(
                    12,
                    ToolEvent::Call {
                        call: "1".into(),
                        tool: "read_file".into(),
                        arguments: serde_json::json!({"path": "a.txt"}),
                        runs: None,
                        verdict: Verdict::Ask,
                        rule: None,
                        reason: None,
                        expires_at_ms: None,
                    },
                ),
                at(
                    12,
                    ToolEvent::Approval {
                        call: "1".into(),
                        decision: Decision::Once,
                        reason: None,
                        by: Some("ann".into()),
                    },
                ),
                at(
                    12,
                    ToolEvent::Result {
                        call: "1".into(),
                        output: "hi\n".into(),
                        ok: true,
                        truncated: false,
                    },
                ),
            ],
            attachments: Vec::new(),
        };
        assert_eq!(
            with_tool_calls(&m),
            "Let me look.\n\n> **tool** read_file `{\"path\":\"a.txt\"}` — allowed once by ann · \
             result ok, 1 lines\n\nThey say hi."
        );
    }
}
