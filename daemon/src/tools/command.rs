//! `run_command`: the executor, exactly as `/run` uses it (policy, root, sandbox, rlimits,
//! the audit log, the per-user cap on commands at once), with the output gathered for the
//! model instead of streamed to a client.

use super::fs::Output;
use crate::exec::spawn::{self, Stream};
use crate::exec::{ExecConfig, Running, decide};
use crate::store::Store;
use serde_json::Value;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// The `argv` argument: an array of strings, or (as some models write it) one string, split
/// at whitespace (there is no shell either way).
pub fn argv(arguments: &Value) -> Result<Vec<String>, (String, String)> {
    let bad = |why: &str| ("bad-arguments".to_string(), why.to_string());
    let argv: Vec<String> = match arguments.get("argv") {
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("argv must be an array of strings"))?,
        Some(Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        _ => return Err(bad("argv (the program and its arguments) is missing")),
    };
    if argv.is_empty() {
        return Err(bad("argv is empty"));
    }
    Ok(argv)
}

/// What would run, in words, or the policy's refusal as (rule, reason).
pub fn check(config: &ExecConfig, arguments: &Value) -> Result<String, (String, String)> {
    let argv = argv(arguments)?;
    let d = decide(config, &argv, None).map_err(|r| (r.rule.to_string(), r.reason))?;
    let mut words = d.program.display().to_string();
    for a in &d.args {
        words.push(' ');
        words.push_str(a);
    }
    Ok(format!("{words} (in {})", d.cwd.display()))
}

/// Who runs it, for the audit log and the cap.
#[derive(Debug, Clone)]
pub struct Runner {
    pub config: ExecConfig,
    pub store: Store,
    pub running: Arc<Running>,
    pub owner: String,
    pub user: String,
    pub token: Option<String>,
}

/// Runs an approved call. The policy is asked again (the config may have been reloaded
/// since the call was judged); the request is in the audit log before anything starts.
pub async fn run(r: &Runner, arguments: &Value, cap: usize, cancel: &CancellationToken) -> Output {
    let argv = match argv(arguments) {
        Ok(a) => a,
        Err((_, why)) => return Output::failed(why),
    };
    let mut record = crate::exec::record(&r.user, r.token.clone(), argv.clone(), None, false);
    let decision = match decide(&r.config, &argv, None) {
        Ok(d) => d,
        Err(refusal) => {
            record.decision = "refused".into();
            record.rule = Some(refusal.rule.to_string());
            if let Err(e) = r.store.record_exec(&r.owner, record).await {
                tracing::error!(error = %e, "could not record a refused command");
            }
            return Output::failed(format!("refused ({}): {}", refusal.rule, refusal.reason));
        }
    };
    let Some(_slot) = r.running.take(&r.owner, r.config.max_running_per_user) else {
        return Output::failed(format!(
            "not run: {} of the user's commands are running already",
            r.config.max_running_per_user
        ));
    };
    let row = match r.store.record_exec(&r.owner, record.clone()).await {
        Ok(row) => row,
        Err(e) => return Output::failed(format!("not run: the audit log cannot take it: {e}")),
    };
    let scratch = match tempfile::Builder::new().prefix("chinwag-exec-").tempdir() {
        Ok(s) => s,
        Err(e) => return Output::failed(format!("not run: no scratch directory: {e}")),
    };
    let spec = decision.spec(&r.config, scratch.path(), r.config.output_cap.min(cap));
    let (tx, mut rx) = mpsc::channel::<(Stream, Vec<u8>)>(16);
    let gather = async {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        while let Some((stream, bytes)) = rx.recv().await {
            match stream {
                Stream::Stdout => out.extend_from_slice(&bytes),
                Stream::Stderr => err.extend_from_slice(&bytes),
            }
        }
        (out, err)
    };
    let (exit, (out, err)) = tokio::join!(spawn::run(&spec, tx, cancel), gather);
    let exit = match exit {
        Ok(e) => e,
        Err(e) => {
            return Output::failed(format!("could not start {}: {e}", spec.program.display()));
        }
    };
    crate::exec::ended(&mut record, &exit);
    if let Err(e) = r.store.finish_exec(row, record).await {
        tracing::error!(error = %e, "could not complete a command's record");
    }
    let mut text = String::from_utf8_lossy(&out).into_owned();
    if !err.is_empty() {
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("[stderr]\n");
        text.push_str(&String::from_utf8_lossy(&err));
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    let how = match (exit.code, exit.signal) {
        _ if exit.timed_out => format!("timed out after {} s", r.config.timeout.as_secs()),
        _ if exit.cancelled => "cancelled".to_string(),
        (Some(code), _) => format!("exit {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "ended".to_string(),
    };
    text.push_str(&format!(
        "[{how}{}]",
        if exit.truncated { ", output cut" } else { "" }
    ));
    Output {
        text,
        ok: exit.code == Some(0) && !exit.timed_out,
        truncated: exit.truncated,
    }
}
