//! The turn's tool decisions, as pure functions: which tools a turn offers, what a call's
//! verdict is, and what happens after each round. The runner carries out what they say.

use chinwag_protocol::Verdict;
use serde_json::Value;

/// Calls of one round beyond this many are refused (each asks a user at worst).
pub const MAX_CALLS_PER_ROUND: usize = 8;

/// The tools a turn offers: the request's list, else the bot's; none when the model cannot
/// call tools. `Err` names a tool that does not exist, or says the model cannot use them.
pub fn offered(
    requested: Option<&[String]>,
    bot: Option<&[String]>,
    model_has_tools: bool,
    model: &str,
) -> Result<Vec<String>, String> {
    let asked_explicitly = requested.is_some_and(|r| !r.is_empty());
    let mut tools: Vec<String> = requested.or(bot).unwrap_or_default().to_vec();
    if let Some(bad) = tools
        .iter()
        .find(|t| !chinwag_protocol::TOOL_NAMES.contains(&t.as_str()))
    {
        return Err(format!(
            "there is no tool {bad:?}; the tools are {}",
            chinwag_protocol::TOOL_NAMES.join(", ")
        ));
    }
    if !model_has_tools {
        if asked_explicitly {
            return Err(format!(
                "{model} cannot call tools (Ollama lists no tools capability for it)"
            ));
        }
        // A bot's tools are offered to the models that can use them.
        tools.clear();
    }
    tools.dedup();
    Ok(tools)
}

/// The key a grant "for this conversation" is kept under: the tool, and for `run_command`
/// the program (allowing `git` once for the conversation does not allow `rm`).
pub fn grant_key(tool: &str, arguments: &Value) -> String {
    if tool == "run_command"
        && let Some(program) = arguments
            .get("argv")
            .and_then(Value::as_array)
            .and_then(|a| a.first())
            .and_then(Value::as_str)
    {
        return format!("run_command:{program}");
    }
    tool.to_string()
}

/// What the turn knows when it judges a call.
#[derive(Debug, Clone, Copy)]
pub struct CallContext<'a> {
    /// The tools this turn offers.
    pub offered: &'a [String],
    /// The tools the bot approves by itself.
    pub auto: &'a [String],
    /// What the user allowed for this conversation (`grant_key`s).
    pub grants: &'a [String],
    /// Calls already made this round, before this one.
    pub earlier_in_round: usize,
}

/// A call's verdict, and its words: the rule and reason of a refusal, or who allowed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallVerdict {
    pub verdict: Verdict,
    pub rule: Option<String>,
    pub reason: Option<String>,
}

impl CallVerdict {
    fn refused(rule: &str, reason: String) -> Self {
        CallVerdict {
            verdict: Verdict::Refused,
            rule: Some(rule.to_string()),
            reason: Some(reason),
        }
    }
}

/// Judges one call. `checked` is the tool's own check of the arguments (the executor's
/// policy for `run_command`, the root for the others): a refusal there is final, and nobody
/// is asked.
pub fn verdict(
    tool: &str,
    arguments: &Value,
    checked: Result<(), (String, String)>,
    ctx: CallContext<'_>,
) -> CallVerdict {
    if !ctx.offered.iter().any(|t| t == tool) {
        return CallVerdict::refused(
            "not-offered",
            format!("the tool {tool:?} is not offered in this conversation"),
        );
    }
    if ctx.earlier_in_round >= MAX_CALLS_PER_ROUND {
        return CallVerdict::refused(
            "too-many-calls",
            format!("at most {MAX_CALLS_PER_ROUND} tool calls are answered at once"),
        );
    }
    if let Err((rule, reason)) = checked {
        return CallVerdict::refused(&rule, reason);
    }
    let allowed = |by: &str| CallVerdict {
        verdict: Verdict::Allowed,
        rule: None,
        reason: Some(by.to_string()),
    };
    if ctx.auto.iter().any(|t| t == tool) {
        return allowed("bot");
    }
    if ctx.grants.contains(&grant_key(tool, arguments)) {
        return allowed("conversation");
    }
    CallVerdict {
        verdict: Verdict::Ask,
        rule: None,
        reason: None,
    }
}

/// What the runner does once a request to the backend has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// No calls: the reply is whole.
    Finish,
    /// Answer the calls, then ask the backend again with the results; with tools offered
    /// again unless that was the last round (the model must then answer in words).
    RunCalls { offer_tools: bool },
    /// The model called tools it was not offered (after its last round, or never): end the
    /// reply as it stands.
    Stop,
}

/// Decides after a request to the backend. `tool_rounds` counts the rounds of calls already
/// answered in this turn; `offered` says whether this request offered tools.
pub fn after_request(has_calls: bool, offered: bool, tool_rounds: u32, max_rounds: u32) -> Next {
    match (has_calls, offered) {
        (false, _) => Next::Finish,
        (true, false) => Next::Stop,
        (true, true) => Next::RunCalls {
            offer_tools: tool_rounds + 1 < max_rounds,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_turn_offers_the_requests_tools_else_the_bots_and_only_to_models_that_can() {
        let bot = names(&["read_file", "list_dir"]);
        let req = names(&["run_command"]);
        assert_eq!(offered(Some(&req), Some(&bot), true, "m"), Ok(req.clone()));
        assert_eq!(offered(None, Some(&bot), true, "m"), Ok(bot.clone()));
        assert_eq!(offered(Some(&[]), Some(&bot), true, "m"), Ok(vec![]));
        assert_eq!(offered(None, Some(&bot), false, "m"), Ok(vec![]));
        let e = offered(Some(&req), None, false, "tiny:1b").unwrap_err();
        assert!(e.contains("tiny:1b cannot call tools"), "{e}");
        let e = offered(Some(&names(&["rm"])), None, true, "m").unwrap_err();
        assert!(e.contains("\"rm\""), "{e}");
    }

    #[test]
    fn grants_for_commands_are_per_program() {
        assert_eq!(
            grant_key("run_command", &json!({"argv": ["git", "log"]})),
            "run_command:git"
        );
        assert_eq!(grant_key("run_command", &json!({})), "run_command");
        assert_eq!(grant_key("read_file", &json!({"path": "a"})), "read_file");
    }

    #[test]
    fn a_call_is_refused_asks_or_runs_in_that_order_of_precedence() {
        let offered = names(&["read_file", "run_command"]);
        let ctx = CallContext {
            offered: &offered,
            auto: &names(&["read_file"]),
            grants: &names(&["run_command:git"]),
            earlier_in_round: 0,
        };
        let git = json!({"argv": ["git", "status"]});
        let ls = json!({"argv": ["ls"]});
        let v = |tool, args: &Value, checked, ctx| verdict(tool, args, checked, ctx).verdict;
        assert_eq!(v("read_file", &json!({}), Ok(()), ctx), Verdict::Allowed);
        assert_eq!(v("run_command", &git, Ok(()), ctx), Verdict::Allowed);
        assert_eq!(v("run_command", &ls, Ok(()), ctx), Verdict::Ask);
        // The policy's refusal wins over the bot and the grant: nobody is asked.
        let refused = verdict(
            "run_command",
            &git,
            Err(("not-in-policy".into(), "no".into())),
            ctx,
        );
        assert_eq!(refused.verdict, Verdict::Refused);
        assert_eq!(refused.rule.as_deref(), Some("not-in-policy"));
        assert_eq!(v("list_dir", &json!({}), Ok(()), ctx), Verdict::Refused);
        let busy = CallContext {
            earlier_in_round: MAX_CALLS_PER_ROUND,
            ..ctx
        };
        assert_eq!(v("read_file", &json!({}), Ok(()), busy), Verdict::Refused);
        let allowed = verdict("read_file", &json!({}), Ok(()), ctx);
        assert_eq!(allowed.reason.as_deref(), Some("bot"));
    }

    #[test]
    fn rounds_stop_at_the_bound_with_one_last_request_for_an_answer() {
        let run = |offer_tools| Next::RunCalls { offer_tools };
        assert_eq!(after_request(false, true, 0, 8), Next::Finish);
        assert_eq!(after_request(true, true, 0, 8), run(true));
        assert_eq!(after_request(true, true, 6, 8), run(true));
        // The eighth round runs, and the request after it offers no tools.
        assert_eq!(after_request(true, true, 7, 8), run(false));
        assert_eq!(after_request(true, false, 8, 8), Next::Stop);
        assert_eq!(after_request(false, false, 8, 8), Next::Finish);
        assert_eq!(after_request(true, false, 0, 8), Next::Stop);
        assert_eq!(after_request(true, true, 0, 1), run(false));
    }
}
