//! `chinwag pull NAME`: Ollama downloads a model through the daemon; the progress shows on
//! stderr (a bar on a terminal, a line per step otherwise).

use crate::autostart::connect;
use crate::cli::ConnArgs;
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ServerMsg};
use std::io::{IsTerminal, Write};

/// The line shown for one progress frame: the step, and for a layer its share done.
pub fn progress_line(status: &str, total: Option<u64>, completed: Option<u64>) -> String {
    match (total, completed) {
        (Some(t), Some(c)) if t > 0 => {
            let pct = c.min(t) * 100 / t;
            let width = 30;
            let filled = (pct as usize * width) / 100;
            format!(
                "{status:<24} [{}{}] {pct:>3}% {} / {}",
                "#".repeat(filled),
                " ".repeat(width - filled),
                crate::render::human_size(c),
                crate::render::human_size(t)
            )
        }
        _ => status.to_string(),
    }
}

/// Runs `chinwag pull`.
pub async fn pull(conn_args: &ConnArgs, model: &str) -> Result<(), ClientError> {
    let mut conn = connect(conn_args).await?;
    let id = conn.next_id();
    conn.send(&ClientMsg::Pull {
        id: id.clone(),
        model: model.to_string(),
    })
    .await?;
    let tty = std::io::stderr().is_terminal();
    let mut last_status = String::new();
    loop {
        let msg = tokio::select! {
            m = conn.recv() => m?,
            _ = tokio::signal::ctrl_c() => return Err(ClientError::Interrupted),
        };
        if msg.id() != id {
            continue;
        }
        match msg {
            ServerMsg::PullProgress {
                status,
                total,
                completed,
                ..
            } => {
                let line = progress_line(&status, total, completed);
                if tty {
                    eprint!("\r\x1b[2K{line}");
                    let _ = std::io::stderr().flush();
                } else if status != last_status {
                    eprintln!("{line}");
                }
                last_status = status;
            }
            ServerMsg::Pulled { model, .. } => {
                if tty {
                    eprint!("\r\x1b[2K");
                }
                eprintln!("pulled {model}");
                return Ok(());
            }
            ServerMsg::Error {
                code,
                message,
                retry_after_ms,
                ..
            } => {
                if tty {
                    eprintln!();
                }
                return Err(ClientError::from_frame(code, message, retry_after_ms));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_layer_shows_a_bar_and_a_step_its_words() {
        assert_eq!(
            progress_line("pulling manifest", None, None),
            "pulling manifest"
        );
        let line = progress_line("pulling dde5aa3fc5ff", Some(2 << 30), Some(1 << 30));
        assert!(
            line.contains("[###############               ]  50%"),
            "{line}"
        );
    }
}
