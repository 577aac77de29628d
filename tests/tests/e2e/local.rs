//! Another OS user on the same machine: what it can read of your data, and whether it can
//! stand in for your daemon. Modes and owners are checked as any user; reading as a second
//! user and listening as one need root (CI runs as root), and say so when they cannot run.

use crate::chat;
use chinwag_protocol::ServerMsg;
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{
    DaemonProcess, bin, isolated_database, isolated_socket, isolated_vars, kill_autostarted,
    wait_until,
};
use chinwag_tests::other_user::{self, Squatter, squatter_log};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .mode()
        & 0o7777
}

fn chmod(p: &Path, mode: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn with_suffix(p: &Path, suffix: &str) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_logs_and_socket_are_private_whatever_the_umask() {
    // The harshest umask there is; nextest runs each test in its own process.
    rustix::process::umask(rustix::fs::Mode::empty());
    let dir = tempfile::tempdir().expect("tmp");
    chmod(dir.path(), 0o755); // like a Debian home directory
    // An older chinwag left a world-readable data dir behind.
    let data_dir = dir.path().join("data/chinwag");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(&data_dir)
        .expect("mkdir");
    std::fs::write(dir.path().join("public.txt"), b"12345").expect("control file");
    chmod(&dir.path().join("public.txt"), 0o644);

    let fake = FakeOllama::start().await;
    let daemon = DaemonProcess::start(dir.path(), &fake.host()).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    c.send(&chat("c", "secret-marker-7f3a")).await;
    c.until(|m| matches!(m, ServerMsg::Done { .. })).await;

    let db = isolated_database(dir.path());
    assert_eq!(mode(&data_dir), 0o700, "the data dir is tightened to 0700");
    let mut private = vec![db.clone()];
    for suffix in ["-wal", "-shm"] {
        let f = with_suffix(&db, suffix);
        assert!(f.exists(), "{} exists while the daemon runs", f.display());
        private.push(f);
    }
    let log_dir = dir.path().join("state/chinwag");
    assert_eq!(mode(&log_dir), 0o700);
    for entry in std::fs::read_dir(&log_dir).expect("log dir") {
        private.push(entry.expect("entry").path());
    }
    assert!(private.len() > 3, "a log file was written");
    for f in &private {
        assert_eq!(mode(f), 0o600, "{}", f.display());
    }
    let socket = isolated_socket(dir.path());
    assert_eq!(mode(socket.parent().expect("run dir")), 0o700);
    assert_eq!(mode(&socket) & 0o777, 0o600);

    if other_user::available() {
        let known: Vec<&Path> = private.iter().map(PathBuf::as_path).collect();
        // Only the control file: nothing of the history, its WAL or the logs.
        assert_eq!(other_user::readable_bytes(dir.path(), &known), 5);
    } else {
        eprintln!("not root: checked modes only, not reads as a second user");
    }
    daemon.kill9();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_dir_that_others_can_write_is_refused_by_name() {
    let dir = tempfile::tempdir().expect("tmp");
    let data_dir = dir.path().join("data/chinwag");
    std::fs::create_dir_all(&data_dir).expect("mkdir");
    chmod(&data_dir, 0o777);
    let out = std::process::Command::new(bin("chinwag"))
        .env_clear()
        .envs(isolated_vars(dir.path(), "http://127.0.0.1:9"))
        .arg("daemon")
        .output()
        .expect("run the daemon");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the daemon refused to start");
    assert!(stderr.contains(&data_dir.display().to_string()), "{stderr}");
    assert!(stderr.contains("other users"), "{stderr}");
    assert_eq!(mode(&data_dir), 0o777, "a refused dir is left alone");
    assert!(!isolated_database(dir.path()).exists());
}

/// `chinwag ask` as this user with no XDG_RUNTIME_DIR, so the socket is looked for in the
/// shared temp dir `tmp`.
fn ask_without_runtime_dir(dir: &Path, tmp: &Path, extra: &[&str]) -> std::process::Output {
    let vars = isolated_vars(dir, "http://127.0.0.1:9")
        .into_iter()
        .filter(|(k, _)| *k != "XDG_RUNTIME_DIR");
    std::process::Command::new(bin("chinwag"))
        .env_clear()
        .envs(vars)
        .env("TMPDIR", tmp)
        .args(extra)
        .args(["ask", "a secret prompt"])
        .output()
        .expect("run chinwag ask")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_refuses_a_squatted_runtime_dir_and_a_foreign_socket_before_sending() {
    let dir = tempfile::tempdir().expect("tmp");
    chmod(dir.path(), 0o755);
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).expect("mkdir");
    chmod(&tmp, 0o1777); // like /tmp
    let uid = rustix::process::getuid().as_raw();
    let runtime = tmp.join(format!("chinwag-{uid}"));
    let socket = runtime.join("chinwagd.sock");
    let log = tmp.join("squat.log");

    let squatter = if other_user::available() {
        // Another user got there first, with an open directory and its own socket.
        let s = Squatter::start(&socket, &log, 0o777);
        wait_until("the squatter listens", || async { socket.exists() }).await;
        Some(s)
    } else {
        eprintln!("not root: the squatted directory is ours but open to all");
        std::fs::create_dir(&runtime).expect("mkdir");
        chmod(&runtime, 0o777);
        None
    };
    let out = ask_without_runtime_dir(dir.path(), &tmp, &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains(&runtime.display().to_string()), "{stderr}");
    assert!(
        !isolated_database(dir.path()).exists(),
        "no daemon was started"
    );
    kill_autostarted(dir.path());

    let Some(squatter) = squatter else { return };
    // The squatter works: a connection of ours is logged with its 4 bytes, and it is the only
    // one, so `ask` never connected.
    {
        use std::io::Write;
        let mut probe = std::os::unix::net::UnixStream::connect(&socket).expect("probe");
        probe.write_all(b"ping").expect("probe write");
    }
    wait_until("the squatter logs the probe", || async {
        !squatter_log(&log).is_empty()
    })
    .await;
    assert_eq!(squatter_log(&log), vec![4]);
    drop(squatter);

    // Now a directory that is ours and private, holding a socket another user serves.
    let own_run = dir.path().join("run/chinwag");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&own_run)
        .expect("mkdir");
    let foreign_dir = tmp.join("foreign");
    let foreign = foreign_dir.join("s.sock");
    let foreign_log = tmp.join("foreign.log");
    let _squatter = Squatter::start(&foreign, &foreign_log, 0o755);
    wait_until("the other user listens", || async { foreign.exists() }).await;
    std::fs::rename(&foreign, isolated_socket(dir.path())).expect("move the socket in");
    let vars = isolated_vars(dir.path(), "http://127.0.0.1:9");
    let out = std::process::Command::new(bin("chinwag"))
        .env_clear()
        .envs(vars)
        .args(["--no-autostart", "ask", "a secret prompt"])
        .output()
        .expect("run chinwag ask");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("uid {}", other_user::OTHER_UID)),
        "{stderr}"
    );
    wait_until("the other user logs the connection", || async {
        !squatter_log(&foreign_log).is_empty()
    })
    .await;
    assert_eq!(
        squatter_log(&foreign_log),
        vec![0],
        "connected, and sent not one byte"
    );
}
