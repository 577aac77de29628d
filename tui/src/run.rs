//! `chinwag run [--check] [-C DIR] -- ARGV`: a command through the daemon's executor. The
//! output is written as it comes (stdout to stdout, stderr to stderr); the exit status is
//! the command's, 128 + the signal that ended it, 124 when it ran past the timeout, or 7
//! when the policy refused it (the rule is said on stderr). Ctrl-C stops the command on the
//! daemon and exits 130. `chinwag audit` reads the log
//! of such requests.

use crate::autostart::connect;
use crate::cli::{AuditArgs, ConnArgs, RunArgs};

use crate::exit::{ClientError, code};
use chinwag_protocol::{ClientMsg, ServerMsg};
use std::io::Write;

pub async fn run(conn_args: &ConnArgs, args: &RunArgs) -> Result<(), ClientError> {
    let argv = args.argv.clone();
    let mut conn = connect(conn_args).await?;
    // `-C DIR` is sent as given; without it, the current directory means something only to
    // a daemon on this machine (a remote one runs in its own root).
    let local = matches!(conn.endpoint, crate::conn::Endpoint::Unix(_));
    let cwd =
        match &args.dir {
            Some(d) => Some(d.clone()),
            None if local => Some(std::env::current_dir().map_err(|e| {
                ClientError::Usage(format!("cannot tell the current directory: {e}"))
            })?),
            None => None,
        };
    let cwd = match cwd {
        Some(dir) if local => Some(
            dir.canonicalize()
                .map_err(|e| ClientError::Usage(format!("{}: {e}", dir.display())))?
                .display()
                .to_string(),
        ),
        Some(dir) => Some(dir.display().to_string()),
        None => None,
    };
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
    let mut interrupted = false;
    loop {
        let msg = tokio::select! {
            m = conn.recv() => m?,
            // Ctrl-C stops the command on the daemon; its exit then comes as usual.
            _ = tokio::signal::ctrl_c(), if !interrupted => {
                interrupted = true;
                let cancel = ClientMsg::CancelExec { id: conn.next_id(), exec: id.clone() };
                conn.send(&cancel).await?;
                continue;
            }
        };
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
                if interrupted {
                    return Err(ClientError::Interrupted);
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

/// Milliseconds in an age written `30s`, `30m`, `2h` or `7d`.
fn age_ms(text: &str) -> Option<i64> {
    let (digits, unit) = text.split_at(text.len().checked_sub(1)?);
    let n: i64 = digits.parse().ok()?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    n.checked_mul(ms)
}

pub async fn audit(conn_args: &ConnArgs, args: &AuditArgs) -> Result<(), ClientError> {
    let since_ms = match &args.since {
        None => None,
        Some(age) => {
            let ms = age_ms(age).ok_or_else(|| {
                ClientError::Usage(format!("--since {age:?}: give an age like 30m, 2h or 7d"))
            })?;
            Some(chinwagd::store::now_ms() - ms)
        }
    };
    let limit = Some(args.limit);
    let mut conn = connect(conn_args).await?;
    let reply = conn
        .call(|id| ClientMsg::Audit {
            id,
            since_ms,
            limit,
        })
        .await?;
    let ServerMsg::AuditRecords { items, .. } = reply else {
        return Err(ClientError::Connection(format!(
            "unexpected answer to audit: {reply:?}"
        )));
    };
    let mut out = std::io::stdout();
    for r in &items {
        let line = if args.json {
            serde_json::to_string(r).map_err(|e| ClientError::Other(e.into()))?
        } else {
            let when = jiff::Timestamp::from_millisecond(r.at_ms)
                .map(|t| t.strftime("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            let outcome = match (&r.rule, r.code, r.signal) {
                (Some(rule), _, _) => format!("refused ({rule})"),
                _ if r.check => "allowed (check)".to_string(),
                (None, Some(c), _) => format!("exit {c}"),
                (None, None, Some(s)) => format!("signal {s}"),
                (None, None, None) => "running or cut".to_string(),
            };
            let flags = [(r.timed_out, " timed out"), (r.truncated, " truncated")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, s)| *s)
                .collect::<String>();
            format!(
                "{when}  {:<10} {outcome}{flags}  {}",
                r.user,
                r.argv.join(" ")
            )
        };
        if writeln!(out, "{line}").is_err() {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::age_ms;

    #[test]
    fn ages_read_with_their_unit() {
        assert_eq!(age_ms("30m"), Some(1_800_000));
        assert_eq!(age_ms("2h"), Some(7_200_000));
        assert_eq!(age_ms("7d"), Some(604_800_000));
        assert_eq!(age_ms("5"), None);
        assert_eq!(age_ms("h"), None);
        assert_eq!(age_ms(""), None);
    }
}
