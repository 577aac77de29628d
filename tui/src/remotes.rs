//! Remote daemons this user has logged in to (`chinwag login`): URL, token, and the CA file or
//! pinned fingerprint that vouches for its certificate, kept 0600 in
//! `$XDG_CONFIG_HOME/chinwag/remotes.toml`, so `--url` alone is enough afterwards.

use crate::exit::ClientError;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One remote daemon.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteEntry {
    pub url: String,
    pub token: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct RemotesFile {
    #[serde(default, rename = "remote")]
    remotes: Vec<RemoteEntry>,
}

/// The file, from `directories`.
pub fn path() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", chinwag_protocol::paths::APP_DIR)
        .map(|d| d.config_dir().join("remotes.toml"))
}

/// URLs compare without a trailing slash and without case in the scheme and host.
pub fn same_url(a: &str, b: &str) -> bool {
    a.trim_end_matches('/')
        .eq_ignore_ascii_case(b.trim_end_matches('/'))
}

fn read(path: &Path) -> Result<RemotesFile, ClientError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| {
            ClientError::Usage(format!("{} is not a remotes file: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(RemotesFile::default()),
        Err(e) => Err(ClientError::Usage(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

fn write(path: &Path, file: &RemotesFile) -> Result<(), ClientError> {
    let text = toml::to_string(file)
        .map_err(|e| ClientError::Other(anyhow::anyhow!("encoding the remotes file: {e}")))?;
    if let Some(dir) = path.parent() {
        chinwagd::private_fs::ensure_private_dir(dir).map_err(|e| ClientError::Other(e.into()))?;
    }
    chinwagd::private_fs::write_private_file(path, text.as_bytes())
        .map_err(|e| ClientError::Other(e.into()))
}

/// The entry for `url` in the file at `path`, if any.
pub fn find(path: &Path, url: &str) -> Result<Option<RemoteEntry>, ClientError> {
    Ok(read(path)?
        .remotes
        .into_iter()
        .find(|r| same_url(&r.url, url)))
}

/// Adds or replaces the entry for `entry.url`.
pub fn save(path: &Path, entry: RemoteEntry) -> Result<(), ClientError> {
    let mut file = read(path)?;
    file.remotes.retain(|r| !same_url(&r.url, &entry.url));
    file.remotes.push(entry);
    write(path, &file)
}

/// Forgets `url`; whether it was there.
pub fn remove(path: &Path, url: &str) -> Result<bool, ClientError> {
    let mut file = read(path)?;
    let before = file.remotes.len();
    file.remotes.retain(|r| !same_url(&r.url, url));
    let removed = file.remotes.len() != before;
    if removed {
        write(path, &file)?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn entries_are_kept_privately_by_url_and_replaced_or_removed() {
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("chinwag/remotes.toml");
        let entry = |token: &str| RemoteEntry {
            url: "wss://gpu.example:8443/".into(),
            token: token.into(),
            fingerprint: Some("AB:CD".into()),
            ca_file: None,
        };
        save(&path, entry("cw_a")).expect("save");
        save(&path, entry("cw_b")).expect("replace");
        let found = find(&path, "WSS://gpu.example:8443")
            .expect("read")
            .expect("found");
        assert_eq!(found.token, "cw_b");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(remove(&path, "wss://gpu.example:8443").expect("remove"));
        assert!(
            find(&path, "wss://gpu.example:8443/")
                .expect("read")
                .is_none()
        );
    }
}
