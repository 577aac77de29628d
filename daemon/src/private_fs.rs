//! Private directories and files: what holds a user's data is 0700/0600 and owned by them,
//! whatever the umask, and a directory someone else could write to is refused by name.
//!
//! Used by the daemon (store, logs, runtime dir) and by the client (runtime dir, exports).
//! Checks only; it never follows into or repairs a directory that is not the caller's.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Why a directory cannot hold private data.
#[derive(Debug, thiserror::Error)]
pub enum PrivateDirError {
    #[error("{dir} belongs to uid {owner}, not to you (uid {me}); refusing to use it")]
    NotOurs { dir: String, owner: u32, me: u32 },
    #[error(
        "{dir} can be written by other users (mode {mode:o}); refusing to use it — fix with `chmod 700 {dir}`"
    )]
    OpenToOthers { dir: String, mode: u32 },
    #[error("{dir} is not a directory")]
    NotADirectory { dir: String },
    #[error("{what} {path}: {source}")]
    Io {
        what: &'static str,
        path: String,
        source: io::Error,
    },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> PrivateDirError {
    let path = path.display().to_string();
    move |source| PrivateDirError::Io { what, path, source }
}

/// This process's real uid.
pub fn my_uid() -> u32 {
    rustix::process::getuid().as_raw()
}

/// The verdict on a directory from its owner and mode (pure, for tests).
pub fn judge_dir(dir: &Path, owner: u32, mode: u32, me: u32) -> Result<(), PrivateDirError> {
    if owner != me {
        return Err(PrivateDirError::NotOurs {
            dir: dir.display().to_string(),
            owner,
            me,
        });
    }
    if mode & 0o022 != 0 {
        return Err(PrivateDirError::OpenToOthers {
            dir: dir.display().to_string(),
            mode: mode & 0o7777,
        });
    }
    Ok(())
}

/// Checks an existing directory without changing it: ours, and no one else can write to it.
pub fn check_dir(dir: &Path) -> Result<(), PrivateDirError> {
    let meta = std::fs::symlink_metadata(dir).map_err(io_err("inspecting", dir))?;
    if !meta.is_dir() {
        return Err(PrivateDirError::NotADirectory {
            dir: dir.display().to_string(),
        });
    }
    judge_dir(dir, meta.uid(), meta.mode(), my_uid())
}

/// Makes `dir` (and missing parents) 0700, refuses one that is not ours or that others can
/// write to, and tightens chinwag's own folder (`…/chinwag`, `chinwag-UID`) to 0700 when
/// others can read it. A folder a user chose for something else (their home, say) is left as
/// it is: the files chinwag puts there are 0600 anyway.
pub fn ensure_private_dir(dir: &Path) -> Result<(), PrivateDirError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(io_err("creating", dir))?;
    check_dir(dir)?;
    let mode = std::fs::metadata(dir)
        .map_err(io_err("inspecting", dir))?
        .mode();
    let ours = dir
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with(chinwag_protocol::paths::APP_DIR));
    if ours && mode & 0o077 != 0 {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(io_err("restricting", dir))?;
        tracing::info!(dir = %dir.display(), "restricted to 0700 (it was {:o})", mode & 0o777);
    }
    Ok(())
}

/// Makes an existing file of ours 0600; a missing file is fine. A file that belongs to
/// someone else is an error.
pub fn restrict_file(path: &Path) -> Result<(), PrivateDirError> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_err("inspecting", path)(e)),
    };
    let me = my_uid();
    if meta.uid() != me {
        return Err(PrivateDirError::NotOurs {
            dir: path.display().to_string(),
            owner: meta.uid(),
            me,
        });
    }
    if meta.is_file() && meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
            .map_err(io_err("restricting", path))?;
    }
    Ok(())
}

/// Creates (or truncates) a file for writing with mode 0600, whatever the umask; an existing
/// file is restricted to 0600 first.
pub fn create_private_file(path: &Path) -> Result<File, PrivateDirError> {
    restrict_file(path)?;
    OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(io_err("creating", path))
}

/// Writes `contents` to a 0600 file (an export, a draft), replacing what was there.
pub fn write_private_file(path: &Path, contents: &[u8]) -> Result<(), PrivateDirError> {
    use std::io::Write;
    create_private_file(path)?
        .write_all(contents)
        .map_err(io_err("writing", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_of_someone_else_or_writable_by_others_is_refused() {
        let d = Path::new("/tmp/chinwag-1000");
        assert!(judge_dir(d, 1000, 0o40700, 1000).is_ok());
        assert!(judge_dir(d, 1000, 0o40755, 1000).is_ok());
        let e = judge_dir(d, 1001, 0o40700, 1000).expect_err("someone else's");
        assert!(e.to_string().contains("/tmp/chinwag-1000"), "{e}");
        assert!(e.to_string().contains("uid 1001"), "{e}");
        let e = judge_dir(d, 1000, 0o40777, 1000).expect_err("world-writable");
        assert!(e.to_string().contains("777"), "{e}");
        assert!(judge_dir(d, 1000, 0o40770, 1000).is_err(), "group-writable");
    }

    #[test]
    fn only_chinwags_own_folder_is_tightened() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().expect("tmp");
        let mode = |p: &Path| std::fs::metadata(p).expect("meta").permissions().mode() & 0o777;
        for (name, want) in [("chinwag", 0o700), ("somewhere-else", 0o755)] {
            let d = tmp.path().join(name);
            std::fs::create_dir(&d).expect("mkdir");
            std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o755)).expect("chmod");
            ensure_private_dir(&d).expect("usable");
            assert_eq!(mode(&d), want, "{name}");
        }
        let fresh = tmp.path().join("a/b");
        ensure_private_dir(&fresh).expect("created");
        assert_eq!(mode(&fresh), 0o700, "a folder it creates is 0700");
    }
}
