//! `chinwag run [--check] [-C DIR] -- ARGV`: a command through the daemon's executor. The
//! output is written as it comes (stdout to stdout, stderr to stderr); the exit status is
//! the command's, 128 + the signal that ended it, 124 when it ran past the timeout, or 7
//! when the policy refused it (the rule is said on stderr).

use crate::autostart::connect;
use crate::cli::{ConnArgs, RunArgs};

use crate::exit::{ClientError, code};
use chinwag_protocol::{ClientMsg, ServerMsg};
use std::io::Write;

pub async fn run(conn_args: &ConnArgs, args: &RunArgs) -> Result<(), ClientError> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::current_dir()
            .map_err(|e| ClientError::Usage(format!("cannot tell the current directory: {e}")))?,
    };
    let dir = dir
        .canonicalize()
        .map_err(|e| ClientError::Usage(format!("{}: {e}", dir.display())))?;
    let cwd = Some(dir.display().to_string());
    let argv = args.argv.clone();
    let mut conn = connect(conn_args).await?;
    if args.check {
        let reply = conn
            .call(|id| ClientMsg::ExecCheck { id, argv, cwd })
            .await?;
        return match reply {
            ServerMsg::ExecAllowed {
                program, args, cwd, ..
            } => {
                println!("allowed: {program} {} (in {cwd})", args.join(" "));
                Ok(())
            }
            ServerMsg::CommandRejected { rule, message, .. } => rejected(&rule, &message),
            other => Err(ClientError::Connection(format!(
                "unexpected answer to exec_check: {other:?}"
            ))),
        };
    }
    let id = conn.next_id();
    conn.send(&ClientMsg::Exec {
        id: id.clone(),
        argv,
        cwd,
    })
    .await?;
    let (mut stdout, mut stderr) = (std::io::stdout(), std::io::stderr());
    loop {
        let msg = conn.recv().await?;
        if msg.id() != id {
            continue;
        }
        match msg {
            ServerMsg::ExecStarted { .. } => {}
            ServerMsg::ExecOutput { stream, text, .. } => {
                let out: &mut dyn Write = if stream == "stderr" {
                    &mut stderr
                } else {
                    &mut stdout
                };
                // A closed stdout (`| head`) ends the wait for output, not the command.
                let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
            }
            ServerMsg::ExecExit {
                code: status,
                signal,
                timed_out,
                truncated,
                ..
            } => {
                if truncated {
                    eprintln!(
                        "chinwag: the output passed the executor's cap; the command was stopped"
                    );
                }
                if timed_out {
                    eprintln!(
                        "chinwag: the command ran past the executor's timeout and was stopped"
                    );
                    return Err(ClientError::Exited(code::TIMED_OUT));
                }
                let status = match (status, signal) {
                    (Some(c), _) => u8::try_from(c).unwrap_or(code::ERROR),
                    (None, Some(s)) => 128u8.saturating_add(u8::try_from(s).unwrap_or(0)),
                    (None, None) => code::ERROR,
                };
                return if status == 0 {
                    Ok(())
                } else {
                    Err(ClientError::Exited(status))
                };
            }
            ServerMsg::CommandRejected { rule, message, .. } => return rejected(&rule, &message),
            ServerMsg::Error {
                code,
                message,
                retry_after_ms,
                ..
            } => {
                return Err(ClientError::from_frame(code, message, retry_after_ms));
            }
            _ => {}
        }
    }
}

fn rejected(rule: &str, message: &str) -> Result<(), ClientError> {
    eprintln!("chinwag: refused by the policy ({rule}): {message}");
    Err(ClientError::Exited(code::REJECTED))
}
