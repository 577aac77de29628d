//! Completions that ask the daemon: `chinwag completions SHELL` is clap's script with the
//! model, bot and conversation arguments rewired to `chinwag __complete KIND`, which prints
//! the running daemon's names one per line (never starting one; nothing when none runs).

use crate::cli::{CompleteKind, ConnArgs};
use crate::exit::ClientError;
use chinwag_protocol::{ClientMsg, ServerMsg};

/// `chinwag __complete KIND`: the names, one per line; silent on any failure.
pub async fn names(conn: &ConnArgs, kind: CompleteKind) -> Result<(), ClientError> {
    let args = ConnArgs {
        no_autostart: true,
        ..conn.clone()
    };
    let Ok(mut c) = crate::autostart::connect(&args).await else {
        return Ok(());
    };
    let names: Vec<String> = match kind {
        CompleteKind::Models => match c.call(|id| ClientMsg::ListModels { id }).await {
            Ok(ServerMsg::Models { models, .. }) => models.into_iter().map(|m| m.name).collect(),
            _ => Vec::new(),
        },
        CompleteKind::Bots => match c.call(|id| ClientMsg::ListBots { id }).await {
            Ok(ServerMsg::Bots { bots, .. }) => bots.into_iter().map(|b| b.name).collect(),
            _ => Vec::new(),
        },
        CompleteKind::Conversations => {
            let list = c
                .call(|id| ClientMsg::ListConversations {
                    id,
                    limit: Some(100),
                    offset: None,
                    cursor: None,
                })
                .await;
            match list {
                Ok(ServerMsg::Conversations { items, .. }) => {
                    items.into_iter().map(|c| c.id.0).collect()
                }
                _ => Vec::new(),
            }
        }
    };
    let mut text = names.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    crate::commands::print(&text)
}

/// Which kind of name an argument takes, by its value name in clap's script.
const DYNAMIC: &[(&str, &str)] = &[
    ("MODEL", "models"),
    ("BOT", "bots"),
    ("ID", "conversations"),
];

/// bash: each `--model`/`-m` (and bot, conversation) case completes from the daemon.
pub fn bash(script: &str) -> String {
    let mut out = String::with_capacity(script.len());
    let mut kind: Option<&str> = None;
    for line in script.lines() {
        let t = line.trim();
        if t.ends_with(')') && t.starts_with('-') {
            let flag = t.trim_end_matches(')');
            kind = match flag {
                "--model" | "-m" => Some("models"),
                "--bot" | "-b" => Some("bots"),
                "--conversation" | "-C" => Some("conversations"),
                _ => None,
            };
        }
        if let Some(k) = kind
            && t == "COMPREPLY=($(compgen -f \"${cur}\"))"
        {
            let indent = &line[..line.len() - line.trim_start().len()];
            out.push_str(&format!(
                "{indent}COMPREPLY=($(compgen -W \"$(chinwag __complete {k} 2>/dev/null)\" -- \"${{cur}}\"))\n"
            ));
            kind = None;
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// zsh: `:MODEL:_default` and the like call a function that asks the daemon.
pub fn zsh(script: &str) -> String {
    let mut out = script.to_string();
    for (value, kind) in DYNAMIC {
        out = out.replace(
            &format!(":{value}:_default"),
            &format!(":{value}:_chinwag_{kind}"),
        );
    }
    let helpers: String = DYNAMIC
        .iter()
        .map(|(_, kind)| {
            format!(
                "_chinwag_{kind}() {{\n    local -a names\n    names=(${{(f)\"$(chinwag __complete {kind} 2>/dev/null)\"}})\n    compadd -a names\n}}\n\n"
            )
        })
        .collect();
    match out.split_once('\n') {
        Some((first, rest)) => format!("{first}\n\n{helpers}{rest}"),
        None => out,
    }
}

/// fish: the model, bot and conversation options take the daemon's names.
pub fn fish(script: &str) -> String {
    script
        .lines()
        .map(|line| {
            let kind = if line.contains(" -l model ") {
                Some("models")
            } else if line.contains(" -l bot ") {
                Some("bots")
            } else if line.contains(" -l conversation ") {
                Some("conversations")
            } else {
                None
            };
            match kind {
                Some(k) if line.ends_with(" -r") => {
                    format!("{line} -f -a '(chinwag __complete {k} 2>/dev/null)'\n")
                }
                _ => format!("{line}\n"),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::cli::{CompletionShell, completion_script};

    #[test]
    fn every_shell_asks_the_daemon_for_models_bots_and_conversations() {
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Zsh,
            CompletionShell::Fish,
        ] {
            let s = completion_script(shell);
            for kind in ["models", "bots", "conversations"] {
                assert!(
                    s.contains(&format!("chinwag __complete {kind}")),
                    "{shell:?} lacks {kind}"
                );
            }
        }
        let bash = completion_script(CompletionShell::Bash);
        assert!(!bash.contains("--model)\n                    COMPREPLY=($(compgen -f"));
        let zsh = completion_script(CompletionShell::Zsh);
        assert!(zsh.starts_with("#compdef chinwag\n"));
        assert!(!zsh.contains(":MODEL:_default"));
    }
}
