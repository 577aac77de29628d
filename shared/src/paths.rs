//! Where a local daemon's socket lives, shared so that the client and the daemon always agree.
//! Path arithmetic plus one environment read; no file system access.

use std::path::{Path, PathBuf};

/// The folder name under XDG base directories.
pub const APP_DIR: &str = "chinwag";
/// The daemon's socket file name inside the runtime directory.
pub const SOCKET_FILE: &str = "chinwagd.sock";

/// The runtime directory: `$XDG_RUNTIME_DIR/chinwag` when the session has one, else a
/// per-user folder in the temp dir (the daemon creates it 0700 and checks its owner).
pub fn runtime_dir(xdg_runtime_dir: Option<&Path>, temp_dir: &Path, uid: u32) -> PathBuf {
    match xdg_runtime_dir {
        Some(dir) if dir.is_absolute() => dir.join(APP_DIR),
        _ => temp_dir.join(format!("{APP_DIR}-{uid}")),
    }
}

/// [`runtime_dir`] from this process's `XDG_RUNTIME_DIR` and temp dir.
pub fn runtime_dir_from_env(uid: u32) -> PathBuf {
    runtime_dir(
        std::env::var_os("XDG_RUNTIME_DIR")
            .as_deref()
            .map(Path::new),
        &std::env::temp_dir(),
        uid,
    )
}

/// The default socket path inside [`runtime_dir`].
pub fn default_socket(runtime_dir: &Path) -> PathBuf {
    runtime_dir.join(SOCKET_FILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefers_xdg_runtime_dir_and_falls_back_per_user() {
        let tmp = Path::new("/tmp");
        assert_eq!(
            runtime_dir(Some(Path::new("/run/user/1000")), tmp, 1000),
            PathBuf::from("/run/user/1000/chinwag")
        );
        assert_eq!(
            runtime_dir(None, tmp, 1000),
            PathBuf::from("/tmp/chinwag-1000")
        );
        assert_eq!(
            runtime_dir(Some(Path::new("relative")), tmp, 7),
            PathBuf::from("/tmp/chinwag-7")
        );
    }
}
