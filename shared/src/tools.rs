//! Tool calls: what a model asked to run, whether it may, the user's answer, and the result.
//! Each is one event of a reply's log: sent live in a `tool` frame, replayed on attach, and
//! kept with the stored reply (with where in its text it happened).

use serde::{Deserialize, Serialize};

/// The daemon's built-in tools.
pub const TOOL_NAMES: &[&str] = &["run_command", "read_file", "list_dir", "search_text"];

/// The tools that only read (a bot may approve them by itself; `ask --yes` allows them).
pub const READ_ONLY_TOOLS: &[&str] = &["read_file", "list_dir", "search_text"];

/// Whether a call runs without asking anyone, waits for a user, or is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Waiting for one of the user's clients to answer with `approve`.
    Ask,
    /// Runs without asking: the bot approves this tool, or the user allowed it for the
    /// conversation (`grant` says which).
    Allowed,
    /// The policy refuses it (`rule` says why); the model is told, nobody is asked.
    Refused,
}

/// A user's answer to a call that asks, or how the wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Run this call.
    Once,
    /// Run this call, and calls of the same tool (for `run_command`: the same program) in
    /// this conversation from now on without asking.
    Conversation,
    /// Do not run it; the model is told, with the reason when one is given.
    Deny,
    /// Nobody answered in time; the model is told.
    Timeout,
}

impl Decision {
    pub fn allows(self) -> bool {
        matches!(self, Decision::Once | Decision::Conversation)
    }
}

/// One tool event of a reply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum ToolEvent {
    /// The model asks for a tool.
    Call {
        /// Unique within the reply; `approve` names it.
        call: String,
        tool: String,
        /// As the model gave them.
        arguments: serde_json::Value,
        /// What would run, in words (for `run_command`: the program's path, its arguments
        /// and the directory).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        runs: Option<String>,
        verdict: Verdict,
        /// For `refused`: the policy's rule.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
        /// For `refused`: why, in words; for `allowed`: `bot` or `conversation`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// For `ask`: when the wait ends as `timeout` (ms since the epoch).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_at_ms: Option<i64>,
    },
    /// The answer to a call that asked.
    Approval {
        call: String,
        decision: Decision,
        /// The user's reason for a `deny` (the model sees it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        /// Who answered.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// What the tool gave back (what the model sees), or why it did not run.
    Result {
        call: String,
        output: String,
        /// False when the tool failed, was refused or denied, or the command exited non-zero.
        ok: bool,
        /// The output was cut to the daemon's cap.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        truncated: bool,
    },
}

impl ToolEvent {
    /// The call the event belongs to.
    pub fn call(&self) -> &str {
        match self {
            ToolEvent::Call { call, .. }
            | ToolEvent::Approval { call, .. }
            | ToolEvent::Result { call, .. } => call,
        }
    }
}

/// A tool event as the store keeps it with the reply: where in the reply's text it came.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredToolEvent {
    /// Bytes of the reply's `content` before the event.
    pub content_at: u64,
    /// Bytes of its `thinking` before the event.
    pub thinking_at: u64,
    #[serde(flatten)]
    pub event: ToolEvent,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_read_back_as_written() {
        let e = StoredToolEvent {
            content_at: 3,
            thinking_at: 0,
            event: ToolEvent::Call {
                call: "1".into(),
                tool: "read_file".into(),
                arguments: serde_json::json!({"path": "a.txt"}),
                runs: None,
                verdict: Verdict::Ask,
                rule: None,
                reason: None,
                expires_at_ms: Some(5),
            },
        };
        let text = serde_json::to_string(&e).unwrap();
        assert!(text.contains(r#""event":"call""#), "{text}");
        assert!(text.contains(r#""verdict":"ask""#), "{text}");
        assert_eq!(serde_json::from_str::<StoredToolEvent>(&text).unwrap(), e);
        let r: ToolEvent =
            serde_json::from_str(r#"{"event":"approval","call":"1","decision":"conversation"}"#)
                .unwrap();
        assert_eq!(r.call(), "1");
        assert!(matches!(
            r,
            ToolEvent::Approval {
                decision: Decision::Conversation,
                ..
            }
        ));
    }
}
