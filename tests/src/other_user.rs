//! A second OS user on this machine (`nobody`, uid 65534), for tests of what another local
//! user can reach. Only root can act as another user: elsewhere [`available`] is false and
//! the tests that need it check only what one user can check (modes and owners).

use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The uid and gid the other user runs as.
pub const OTHER_UID: u32 = 65534;
/// The system interpreter (not a per-user install the other user could not execute).
const PYTHON: &str = "/usr/bin/python3";

/// Whether this process can act as another user (it is root and the interpreter exists).
pub fn available() -> bool {
    rustix::process::getuid().is_root() && Path::new(PYTHON).exists()
}

/// A Python program run as the other user.
fn python(script: &str) -> Command {
    let mut cmd = Command::new(PYTHON);
    cmd.env_clear()
        .env("PATH", "/usr/bin:/bin")
        .uid(OTHER_UID)
        .gid(OTHER_UID)
        .stdin(Stdio::null())
        .args(["-c", script]);
    cmd
}

const READ_ALL: &str = r#"
import os, sys
total = 0
seen = set(sys.argv[2:])
for dirpath, dirs, files in os.walk(sys.argv[1]):
    for f in files:
        seen.add(os.path.join(dirpath, f))
for p in sorted(seen):
    try:
        with open(p, 'rb') as fh:
            total += len(fh.read())
    except OSError:
        pass
print(total)
"#;

/// Bytes the other user can read from every file under `root` it can find, plus `known`
/// (files it may not be able to list but could still open).
pub fn readable_bytes(root: &Path, known: &[&Path]) -> u64 {
    let out = python(READ_ALL)
        .arg(root)
        .args(known)
        .stderr(Stdio::inherit())
        .output()
        .expect("run python as the other user");
    assert!(out.status.success(), "the reader as the other user failed");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a byte count")
}

const SQUAT: &str = r#"
import os, socket, sys
sock_path, log = sys.argv[1], sys.argv[2]
os.makedirs(os.path.dirname(sock_path), exist_ok=True)
os.chmod(os.path.dirname(sock_path), int(sys.argv[3], 8))
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sock_path)
os.chmod(sock_path, 0o666)
s.listen(16)
while True:
    c, _ = s.accept()
    c.settimeout(30)
    n = 0
    try:
        while True:
            b = c.recv(65536)
            if not b:
                break
            n += len(b)
    except OSError:
        pass
    with open(log, 'a') as f:
        f.write('%d\n' % n)
    c.close()
"#;

/// The other user listening on `socket` (creating its directory with `dir_mode`), logging
/// to `log` how many bytes each connection sent. Killed on drop.
#[derive(Debug)]
pub struct Squatter {
    child: Child,
}

impl Squatter {
    pub fn start(socket: &Path, log: &Path, dir_mode: u32) -> Squatter {
        let child = python(SQUAT)
            .arg(socket)
            .arg(log)
            .arg(format!("{dir_mode:o}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the other user's listener");
        Squatter { child }
    }
}

impl Drop for Squatter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The byte counts a [`Squatter`] logged, one per connection it accepted.
pub fn squatter_log(log: &Path) -> Vec<u64> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.trim().parse().ok())
        .collect()
}
