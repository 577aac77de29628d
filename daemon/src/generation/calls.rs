//! Answering a round of tool calls: judge each (`tools::decide`), store and show the call,
//! wait for a user when it asks (the wait belongs to the generation: any of the owner's
//! connections answers, it times out, a cancel or a stopping daemon ends it with nothing
//! run), run what is allowed, store and show the result, and add the round to the next
//! request as the assistant's calls and the `tool` messages that answer them.

use super::approval::Answer;
use super::run::{GenJob, Outcome};
use crate::backend::{ToolCall, Turn, TurnMessage, TurnRole};
use crate::tools::decide::{CallContext, grant_key, verdict};
use crate::tools::fs::Output;
use crate::tools::{ToolsConfig, command, fs};
use chinwag_protocol::{Decision, StoredToolEvent, ToolEvent, Verdict};
use serde_json::Value;
use std::path::PathBuf;
use std::time::Duration;

/// The tools a turn offers, and what it needs to run them.
#[derive(Debug, Clone)]
pub struct TurnTools {
    /// Offered to the model (empty: no tools this turn).
    pub offered: Vec<String>,
    /// Approved by the bot without asking.
    pub auto: Vec<String>,
    /// Allowed by the user for the whole conversation, as it stood when the turn began.
    pub grants: Vec<String>,
    pub config: ToolsConfig,
    /// `run_command`'s executor, and who runs it.
    pub command: command::Runner,
}

impl TurnTools {
    /// The directory the read-only tools see: the executor's root, resolved.
    fn root(&self) -> Result<PathBuf, (String, String)> {
        let root = self.command.config.root.as_deref().ok_or_else(|| {
            (
                "no-root".to_string(),
                "this daemon's executor has no root ([exec] root)".to_string(),
            )
        })?;
        root.canonicalize().map_err(|e| {
            (
                "no-root".to_string(),
                format!("the root cannot be used: {e}"),
            )
        })
    }

    /// The tool's own check of a call: what would run (for `run_command`), or a refusal.
    fn check(&self, tool: &str, arguments: &Value) -> Result<Option<String>, (String, String)> {
        match tool {
            "run_command" => command::check(&self.command.config, arguments).map(Some),
            "read_file" | "list_dir" | "search_text" => {
                fs::check(tool, &self.root()?, arguments).map(|()| None)
            }
            _ => Ok(None),
        }
    }

    async fn run(
        &self,
        tool: &str,
        arguments: Value,
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Output {
        let cap = self.config.output_cap;
        if tool == "run_command" {
            return command::run(&self.command, &arguments, cap, cancel).await;
        }
        let root = match self.root() {
            Ok(r) => r,
            Err((_, why)) => return Output::failed(why),
        };
        let tool = tool.to_string();
        let work = tokio::task::spawn_blocking(move || match tool.as_str() {
            "read_file" => fs::read_file(&root, &arguments, cap),
            "list_dir" => fs::list_dir(&root, &arguments, cap),
            "search_text" => fs::search_text(&root, &arguments, cap),
            other => Output::failed(format!("there is no tool {other:?}")),
        });
        work.await
            .unwrap_or_else(|e| Output::failed(format!("the tool failed: {e}")))
    }
}

/// What the rounds of one turn have done so far.
#[derive(Debug)]
pub struct CallState {
    /// Rounds of calls answered.
    pub rounds: u32,
    /// The next call's id.
    next: u64,
    grants: Vec<String>,
}

impl CallState {
    pub fn new(tools: &TurnTools) -> Self {
        CallState {
            rounds: 0,
            next: 1,
            grants: tools.grants.clone(),
        }
    }

    /// Answers one round: each call in turn, then the round goes into `request`.
    pub(super) async fn answer(
        &mut self,
        job: &GenJob,
        request: &mut Turn,
        text: String,
        asked: Vec<ToolCall>,
    ) -> Result<(), Outcome> {
        self.rounds += 1;
        let mut calls = Vec::with_capacity(asked.len());
        let mut results = Vec::with_capacity(asked.len());
        for (i, call) in asked.into_iter().enumerate() {
            let id = self.next.to_string();
            self.next += 1;
            let output = self.one(job, &id, &call, i).await?;
            results.push(TurnMessage {
                tool_call_id: Some(id.clone()),
                tool_name: Some(call.name.clone()),
                ..TurnMessage::text(TurnRole::Tool, output.text)
            });
            calls.push(ToolCall { id, ..call });
        }
        request.messages.push(TurnMessage {
            tool_calls: calls,
            ..TurnMessage::text(TurnRole::Assistant, text)
        });
        request.messages.extend(results);
        Ok(())
    }

    /// One call, from its verdict to its result; what the model is told comes back.
    async fn one(
        &mut self,
        job: &GenJob,
        id: &str,
        call: &ToolCall,
        earlier_in_round: usize,
    ) -> Result<Output, Outcome> {
        let tools = &job.tools;
        let checked = tools.check(&call.name, &call.arguments);
        let runs = checked.as_ref().ok().cloned().flatten();
        let ctx = CallContext {
            offered: &tools.offered,
            auto: &tools.auto,
            grants: &self.grants,
            earlier_in_round,
        };
        let v = verdict(&call.name, &call.arguments, checked.map(|_| ()), ctx);
        let timeout = tools.config.approval_timeout;
        let expires_at_ms = (v.verdict == Verdict::Ask).then(|| {
            crate::store::now_ms() + i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX)
        });
        // Asking opens before the call is shown, so an answer can never come too early.
        let waiting =
            (v.verdict == Verdict::Ask).then(|| job.generation.approvals.ask(id, &call.name));
        record(
            job,
            ToolEvent::Call {
                call: id.to_string(),
                tool: call.name.clone(),
                arguments: call.arguments.clone(),
                runs,
                verdict: v.verdict,
                rule: v.rule.clone(),
                reason: v.reason.clone(),
                expires_at_ms,
            },
        )
        .await?;
        let refusal = match (v.verdict, waiting) {
            (Verdict::Refused, _) => Some(format!(
                "refused by the daemon's policy ({}): {}",
                v.rule.as_deref().unwrap_or("refused"),
                v.reason.as_deref().unwrap_or("")
            )),
            (Verdict::Ask, Some(rx)) => self.wait(job, id, call, rx, timeout).await?,
            _ => None,
        };
        let output = match refusal {
            Some(why) => Output::failed(why),
            None => {
                // A cancel of the reply reaches the run through this child token, and a
                // stopping daemon cancels it too; either way the run ends (its whole process
                // tree with it) before the reply does.
                let cancel = job.generation.cancel_token().child_token();
                let run = tools.run(&call.name, call.arguments.clone(), &cancel);
                tokio::pin!(run);
                let out = tokio::select! {
                    biased;
                    out = &mut run => out,
                    _ = job.shutdown.cancelled() => {
                        cancel.cancel();
                        run.await;
                        return Err(Outcome::ShuttingDown);
                    }
                };
                if job.shutdown.is_cancelled() {
                    return Err(Outcome::ShuttingDown);
                }
                if job.generation.cancel_token().is_cancelled() {
                    return Err(Outcome::Cancelled);
                }
                out
            }
        };
        record(
            job,
            ToolEvent::Result {
                call: id.to_string(),
                output: output.text.clone(),
                ok: output.ok,
                truncated: output.truncated,
            },
        )
        .await?;
        Ok(output)
    }

    /// Waits for a user's answer and records it; `Some(why)` when the call is not to run.
    async fn wait(
        &mut self,
        job: &GenJob,
        id: &str,
        call: &ToolCall,
        rx: tokio::sync::oneshot::Receiver<Answer>,
        timeout: Duration,
    ) -> Result<Option<String>, Outcome> {
        let g = &job.generation;
        // A stopping daemon also cancels the reply: its end is `incomplete`, so it goes first.
        let answer = tokio::select! {
            biased;
            _ = job.shutdown.cancelled() => { g.approvals.forget(id); return Err(Outcome::ShuttingDown) }
            a = rx => a.ok(),
            _ = tokio::time::sleep(timeout) => None,
            _ = g.cancel_token().cancelled() => { g.approvals.forget(id); return Err(Outcome::Cancelled) }
        };
        g.approvals.forget(id);
        let answer = answer.unwrap_or(Answer {
            decision: Decision::Timeout,
            reason: None,
            by: String::new(),
        });
        record(
            job,
            ToolEvent::Approval {
                call: id.to_string(),
                decision: answer.decision,
                reason: answer.reason.clone(),
                by: (!answer.by.is_empty()).then(|| answer.by.clone()),
            },
        )
        .await?;
        Ok(match answer.decision {
            Decision::Once => None,
            Decision::Conversation => {
                let key = grant_key(&call.name, &call.arguments);
                if let Err(e) = job.store.add_grant(&g.owner, &g.conversation, &key).await {
                    tracing::error!(error = %e, "could not keep a grant for the conversation");
                }
                self.grants.push(key);
                None
            }
            Decision::Deny => Some(match &answer.reason {
                Some(why) => format!("the user denied this call: {why}"),
                None => "the user denied this call".to_string(),
            }),
            Decision::Timeout => Some(format!(
                "nobody answered within {}, so it did not run",
                if timeout.as_secs() > 0 {
                    format!("{} s", timeout.as_secs())
                } else {
                    format!("{} ms", timeout.as_millis())
                }
            )),
        })
    }
}

/// Stores a tool event where the reply's text stands now, then shows it (a shown event is a
/// stored one, as with text).
async fn record(job: &GenJob, event: ToolEvent) -> Result<(), Outcome> {
    let g = &job.generation;
    let (content_at, thinking_at) = g.text_at();
    let stored = StoredToolEvent {
        content_at: content_at as u64,
        thinking_at: thinking_at as u64,
        event: event.clone(),
    };
    job.store
        .append_tool_event(&g.message, stored)
        .await
        .map_err(|e| Outcome::Storage(e.to_body()))?;
    g.push_tool(event);
    Ok(())
}
