//! `exec` and `exec_check`: decide (policy, root, paths), then for `exec` run the command
//! within the user's cap on commands at once, streaming its output as it comes and its end.
//! A refused request starts nothing and gets `command_rejected` with the rule.

use super::super::outbox::Session;
use crate::exec::spawn::{self, RunSpec, Stream};
use crate::exec::{Utf8Carry, decide};
use chinwag_protocol::{ClientMsg, ErrorBody, ErrorCode, ServerMsg};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Runs a request of this family.
pub(super) async fn run(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let (id, argv, cwd, check) = match msg {
        ClientMsg::Exec { id, argv, cwd } => (id, argv, cwd, false),
        ClientMsg::ExecCheck { id, argv, cwd } => (id, argv, cwd, true),
        _ => return Ok(()),
    };
    let d = &s.d;
    let config = d.config().exec.clone();
    let decision = match decide(&config, &d.exec_policy, &argv, cwd.as_deref()) {
        Ok(decision) => decision,
        Err(refusal) => {
            tracing::info!(rule = refusal.rule, "command rejected");
            s.send(ServerMsg::CommandRejected {
                id,
                rule: refusal.rule.to_string(),
                message: refusal.reason,
            })
            .await;
            return Ok(());
        }
    };
    let (program, args, dir) = (
        decision.program.display().to_string(),
        decision.args.clone(),
        decision.cwd.display().to_string(),
    );
    if check {
        s.send(ServerMsg::ExecAllowed {
            id,
            program,
            args,
            cwd: dir,
        })
        .await;
        return Ok(());
    }
    let Some(_slot) = d
        .exec_running
        .take(&s.peer.owner, config.max_running_per_user)
    else {
        return Err(ErrorBody::new(
            ErrorCode::RateLimited,
            format!(
                "{} commands of yours are running; wait for one to end",
                config.max_running_per_user
            ),
        ));
    };
    let scratch = tempfile::Builder::new()
        .prefix("chinwag-exec-")
        .tempdir()
        .map_err(|e| ErrorBody::new(ErrorCode::Internal, format!("no scratch dir: {e}")))?;
    let spec = RunSpec {
        program: decision.program,
        args: decision.args,
        cwd: decision.cwd,
        env: spawn::allowed_env(),
        scratch: scratch.path().to_path_buf(),
        timeout: config.timeout,
        output_cap: config.output_cap,
    };
    s.send(ServerMsg::ExecStarted {
        id: id.clone(),
        program,
        args,
        cwd: dir,
    })
    .await;
    let (tx, mut rx) = mpsc::channel::<(Stream, Vec<u8>)>(16);
    let forward = async {
        let (mut out, mut err) = (Utf8Carry::default(), Utf8Carry::default());
        while let Some((stream, bytes)) = rx.recv().await {
            let (carry, name) = match stream {
                Stream::Stdout => (&mut out, "stdout"),
                Stream::Stderr => (&mut err, "stderr"),
            };
            let (text, lossy) = carry.push(&bytes);
            send_output(s, &id, name, text, lossy).await;
        }
        for (carry, name) in [(&mut out, "stdout"), (&mut err, "stderr")] {
            let (text, lossy) = carry.finish();
            send_output(s, &id, name, text, lossy).await;
        }
    };
    let (exit, ()) = tokio::join!(spawn::run(&spec, tx), forward);
    let exit = exit.map_err(|e| {
        ErrorBody::new(
            ErrorCode::Internal,
            format!("could not start {}: {e}", spec.program.display()),
        )
    })?;
    tracing::info!(
        code = ?exit.code,
        signal = ?exit.signal,
        timed_out = exit.timed_out,
        truncated = exit.truncated,
        "command ended"
    );
    s.send(ServerMsg::ExecExit {
        id,
        code: exit.code,
        signal: exit.signal,
        timed_out: exit.timed_out,
        truncated: exit.truncated,
        bytes: exit.bytes,
        duration_ms: exit.duration.as_millis() as u64,
        sandbox: "process-group".into(),
    })
    .await;
    Ok(())
}

async fn send_output(s: &Session, id: &str, stream: &str, text: String, lossy: bool) {
    if text.is_empty() {
        return;
    }
    s.send(ServerMsg::ExecOutput {
        id: id.to_string(),
        stream: stream.to_string(),
        text,
        lossy,
    })
    .await;
}
