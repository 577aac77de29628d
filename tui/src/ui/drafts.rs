//! Drafts kept between sessions, one per conversation (and one for a new conversation), in
//! `$XDG_STATE_HOME/chinwag/drafts/` (0700, files 0600): what you typed survives a quit, a
//! crash of the editor or a closed terminal, and `chinwag -c` brings it back.

use chinwag_protocol::ConversationId;
use chinwagd::private_fs;
use std::path::{Path, PathBuf};

/// The drafts folder.
pub fn dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", chinwag_protocol::paths::APP_DIR).map(|d| {
        d.state_dir()
            .unwrap_or_else(|| d.data_local_dir())
            .join("drafts")
    })
}

/// The file for one conversation's draft; ids are hex, so they are safe as names.
fn file(dir: &Path, conversation: Option<&ConversationId>) -> PathBuf {
    match conversation {
        Some(c) if c.0.bytes().all(|b| b.is_ascii_alphanumeric()) => dir.join(&c.0),
        _ => dir.join("new"),
    }
}

/// Keeps `text` as the draft of `conversation`; empty text forgets the draft.
pub fn save(dir: &Path, conversation: Option<&ConversationId>, text: &str) -> anyhow::Result<()> {
    let path = file(dir, conversation);
    if text.trim().is_empty() {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
            _ => return Ok(()),
        }
    }
    private_fs::ensure_private_dir(dir)?;
    private_fs::write_private_file(&path, text.as_bytes())?;
    Ok(())
}

/// The draft kept for `conversation`, or an empty string.
pub fn load(dir: &Path, conversation: Option<&ConversationId>) -> String {
    if private_fs::check_dir(dir).is_err() {
        return String::new();
    }
    std::fs::read_to_string(file(dir, conversation)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn drafts_are_kept_per_conversation_privately_and_forgotten_when_empty() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("drafts");
        let a = ConversationId("0a1b".into());
        save(&dir, Some(&a), "half a thought").expect("save");
        save(&dir, None, "a new one").expect("save");
        assert_eq!(load(&dir, Some(&a)), "half a thought");
        assert_eq!(load(&dir, None), "a new one");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("0a1b")), 0o600);
        save(&dir, Some(&a), "  ").expect("forget");
        assert_eq!(load(&dir, Some(&a)), "");
        let odd = ConversationId("../../etc".into());
        save(&dir, Some(&odd), "x").expect("save");
        assert_eq!(
            load(&dir, None),
            "x",
            "an odd id falls back to the new-chat draft"
        );
    }
}
