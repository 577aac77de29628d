//! `exec` and `exec_check`: decide (policy, root, paths), then for `exec` run the command
//! within the user's cap on commands at once, streaming its output as it comes and its end.
//! A refused request starts nothing and gets `command_rejected` with the rule. Every request
//! is in the audit log (recorded before a command starts, completed when it ends); `audit`
//! reads it back.

use super::super::outbox::Session;
use crate::exec::spawn::{self, Stream};
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
    let mut record = crate::exec::record(
        &s.peer.display,
        s.peer.token.clone(),
        argv.clone(),
        cwd.clone(),
        check,
    );
    let decision = match decide(&config, &argv, cwd.as_deref()) {
        Ok(decision) => decision,
        Err(refusal) => {
            tracing::info!(rule = refusal.rule, "command rejected");
            d.metrics.exec_refused(refusal.rule);
            record.decision = "refused".into();
            record.rule = Some(refusal.rule.to_string());
            // A refusal is said even if the log cannot take it; the log's failure is logged.
            if let Err(e) = d.store.record_exec(&s.peer.owner, record).await {
                tracing::error!(error = %e, "could not record a refused command");
            }
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
        if let Err(e) = d.store.record_exec(&s.peer.owner, record).await {
            tracing::error!(error = %e, "could not record a command check");
        }
        s.send(ServerMsg::ExecAllowed {
            id,
            program,
            args,
            cwd: dir,
        })
        .await;
        return Ok(());
    }
    // A run counts against the caller's message rate, as a chat message does.
    d.limits()
        .admit_message(&s.peer.owner, s.peer.token.as_deref())
        .map_err(crate::chat::refused)?;
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
    // No command runs unless its request is in the log first.
    let row = d
        .store
        .record_exec(&s.peer.owner, record.clone())
        .await
        .map_err(|e| e.to_body())?;
    let scratch = tempfile::Builder::new()
        .prefix("chinwag-exec-")
        .tempdir()
        .map_err(|e| ErrorBody::new(ErrorCode::Internal, format!("no scratch dir: {e}")))?;
    let spec = decision.spec(&config, scratch.path(), config.output_cap);
    // A command dies with its connection, or at a cancel_exec: registered before
    // `exec_started` goes out, so a cancel_exec that answers it always finds it.
    let cancel = s.cancel.child_token();
    if let Ok(mut running) = s.execs.lock() {
        running.insert(id.clone(), cancel.clone());
    }
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
    d.metrics.exec_runs.inc();
    let (exit, ()) = tokio::join!(spawn::run(&spec, tx, &cancel), forward);
    if let Ok(mut running) = s.execs.lock() {
        running.remove(&id);
    }
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
    let sandbox = exit.sandbox.as_str();
    crate::exec::ended(&mut record, &exit);
    if let Err(e) = d.store.finish_exec(row, record).await {
        tracing::error!(error = %e, "could not complete a command's record");
    }
    s.send(ServerMsg::ExecExit {
        id,
        code: exit.code,
        signal: exit.signal,
        timed_out: exit.timed_out,
        cancelled: exit.cancelled,
        truncated: exit.truncated,
        bytes: exit.bytes,
        duration_ms: exit.duration.as_millis() as u64,
        sandbox: sandbox.into(),
    })
    .await;
    Ok(())
}

/// `audit`: the caller's records (everyone's for an `admin` token), newest first.
pub(super) async fn audit(s: &Arc<Session>, msg: ClientMsg) -> Result<(), ErrorBody> {
    let ClientMsg::Audit {
        id,
        since_ms,
        limit,
    } = msg
    else {
        return Ok(());
    };
    // The daemon's own user owns the daemon; a token with admin reads everyone's too.
    let everyone = s.peer.scopes.admin;
    let owner = (!everyone).then_some(s.peer.owner.as_str());
    let items =
        s.d.store
            .exec_records(owner, since_ms.unwrap_or(0), limit.unwrap_or(100))
            .await
            .map_err(|e| e.to_body())?;
    s.send(ServerMsg::AuditRecords { id, items }).await;
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

/// Stops the command the `exec` with id `exec` started on this connection, if it runs.
pub(super) fn cancel(s: &Session, exec: &str) {
    if let Some(token) = s.execs.lock().ok().and_then(|r| r.get(exec).cloned()) {
        token.cancel();
    }
}
