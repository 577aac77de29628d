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

/// Copies `text`: OSC 52 to the terminal, and the native tool when there is one.
pub fn copy(text: &str) -> std::io::Result<()> {
    crossterm::execute!(
        std::io::stdout(),
        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
    )?;
    if let Some((tool, args)) = native_tool() {
        // Best effort: most terminals took the OSC 52 copy already.
        if let Ok(mut child) = std::process::Command::new(tool)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            if let Some(mut stdin) = child.stdin.take() {
                let _ = stdin.write_all(text.as_bytes());
            }
            std::thread::spawn(move || child.wait());
        }
    }
    Ok(())
}
