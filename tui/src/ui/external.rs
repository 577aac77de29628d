//! The TUI's reach outside the terminal: the external editor (`$VISUAL`/`$EDITOR`), the
//! clipboard (OSC 52, which works over SSH, plus the native clipboard tool when the session
//! is local) and export files.

use std::io::Write;
use std::process::Stdio;

/// The editor command: `$VISUAL`, then `$EDITOR`, then `vi`; split on spaces (`code --wait`).
fn editor_command() -> Vec<String> {
    let raw = ["VISUAL", "EDITOR"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
        .unwrap_or_else(|| "vi".into());
    raw.split_whitespace().map(str::to_string).collect()
}

/// Edits `text` in the user's editor. The terminal must already be given back.
/// `Ok(None)` when the editor exited with an error (the edit is dropped).
pub async fn edit(text: &str) -> anyhow::Result<Option<String>> {
    let mut file = tempfile::Builder::new()
        .prefix("chinwag-")
        .suffix(".md")
        .tempfile()?;
    file.write_all(text.as_bytes())?;
    file.flush()?;
    let cmd = editor_command();
    let Some((program, args)) = cmd.split_first() else {
        return Ok(None);
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "the user's own $EDITOR, on a file of their draft"
    )]
    let status = tokio::process::Command::new(program)
        .args(args)
        .arg(file.path())
        .status()
        .await
        .map_err(|e| anyhow::anyhow!("cannot run the editor {program:?}: {e}"))?;
    if !status.success() {
        return Ok(None);
    }
    Ok(Some(std::fs::read_to_string(file.path())?))
}

/// The native clipboard tool for a local graphical session, if any.
fn native_tool() -> Option<(&'static str, &'static [&'static str])> {
    let var = |v: &str| std::env::var_os(v).is_some_and(|s| !s.is_empty());
    if var("SSH_CONNECTION") || var("SSH_TTY") {
        return None; // OSC 52 reaches the user's machine; a tool here would not.
    }
    if cfg!(target_os = "macos") {
        return Some(("pbcopy", &[]));
    }
    if var("WAYLAND_DISPLAY") {
        return Some(("wl-copy", &[]));
    }
    if var("DISPLAY") {
        return Some(("xclip", &["-selection", "clipboard"]));
    }
    None
}

/// Copies `text`: OSC 52 to the terminal, and the native tool when there is one. Returns what
/// was really done, for the notice: a terminal may ignore OSC 52, so only a tool that took the
/// text and exited well counts as "copied".
pub fn copy(text: &str) -> std::io::Result<String> {
    crossterm::execute!(
        std::io::stdout(),
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    )?;
    let tool = native_tool().map(|(tool, args)| {
        let ran = run_tool(tool, args, text);
        if let Err(e) = &ran {
            tracing::debug!(%tool, error = %e, "clipboard tool failed");
        }
        (tool, ran.is_ok())
    });
    let in_tmux = std::env::var_os("TMUX").is_some_and(|s| !s.is_empty());
    Ok(copy_outcome(tool, in_tmux))
}

/// What a copy achieved, in words: only a clipboard tool that took the text is "copied".
fn copy_outcome(tool: Option<(&str, bool)>, in_tmux: bool) -> String {
    match tool {
        Some((tool, true)) => format!("copied with {tool}"),
        _ if in_tmux => "sent by OSC 52 through tmux; it reaches the clipboard only with \
                         `set -g set-clipboard on`"
            .into(),
        _ => "sent by OSC 52; whether it reaches the clipboard is up to the terminal".into(),
    }
}

/// Feeds `text` to a clipboard tool and waits (briefly) for it to say it took it.
fn run_tool(tool: &str, args: &[&str], text: &str) -> std::io::Result<()> {
    #[expect(
        clippy::disallowed_methods,
        reason = "a clipboard tool, fed the text on stdin"
    )]
    let mut child = std::process::Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(text.as_bytes())?;
    }
    // xclip and wl-copy fork to serve the selection; the parent exits once it has the text.
    let status = child.wait()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "{tool} exited with {status}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::copy_outcome;

    #[test]
    fn a_copy_says_copied_only_when_a_clipboard_tool_took_it() {
        assert_eq!(
            copy_outcome(Some(("wl-copy", true)), false),
            "copied with wl-copy"
        );
        let failed = copy_outcome(Some(("xclip", false)), false);
        assert!(failed.starts_with("sent by OSC 52") && !failed.contains("copied"));
        assert!(copy_outcome(None, true).contains("set-clipboard on"));
        assert!(copy_outcome(None, false).contains("up to the terminal"));
    }
}
