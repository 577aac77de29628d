//! The child and its supervision: a fixed absolute program, a cleared environment plus an
//! allowlist, stdin from /dev/null, its own process group, and a scratch HOME and TMPDIR.
//! stdout and stderr are read concurrently and handed on as they come, up to a cap (then the
//! group is killed and the run is `truncated`); a timeout kills the group; once the child
//! has exited, the group is killed too and the pipes are read only briefly, so a grandchild
//! that holds them cannot hold the daemon.
//!
//! The child is started from a thread of its own under a Landlock ruleset (`sandbox`), so
//! it inherits it. Not yet here (issue 10): rlimits, and a PID namespace so a descendant
//! that left the process group with `setsid` dies with it too.

use super::sandbox::{self, Level};
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;
use tokio::sync::mpsc;

/// Processes started by the executor since the daemon began: tests check that a refused
/// request starts none.
static SPAWNED: AtomicU64 = AtomicU64::new(0);

/// Processes the executor has started.
pub fn spawned() -> u64 {
    SPAWNED.load(Ordering::Relaxed)
}

/// How long the pipes are read after the child exits, for what it wrote just before.
const DRAIN_AFTER_EXIT: Duration = Duration::from_millis(200);

/// Variables a child may see, when the daemon has them (everything else is cleared).
pub const ENV_ALLOWLIST: &[&str] = &["PATH", "LANG", "LC_ALL", "TERM", "TZ"];

/// One run.
#[derive(Debug, Clone)]
pub struct RunSpec {
    /// Absolute.
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// The child's whole environment besides HOME and TMPDIR.
    pub env: Vec<(String, String)>,
    /// A directory of the run's own, for HOME and TMPDIR.
    pub scratch: PathBuf,
    pub timeout: Duration,
    /// Most bytes of stdout and stderr together.
    pub output_cap: usize,
}

/// Which stream a piece of output came on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// Stopped by a `cancel_exec`.
    pub cancelled: bool,
    pub truncated: bool,
    pub bytes: u64,
    pub duration: Duration,
    /// What confined the child.
    pub sandbox: Level,
}

/// The environment a child gets from the daemon's own: the allowlisted variables only.
pub fn allowed_env() -> Vec<(String, String)> {
    ENV_ALLOWLIST
        .iter()
        .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_string(), v)))
        .collect()
}

/// Runs `spec`, handing each piece of output to `out` as it comes; `cancel` kills it.
pub async fn run(
    spec: &RunSpec,
    out: mpsc::Sender<(Stream, Vec<u8>)>,
    cancel: &tokio_util::sync::CancellationToken,
) -> std::io::Result<Exit> {
    let started = Instant::now();
    #[expect(
        clippy::disallowed_methods,
        reason = "the command executor: the program is a policy path, the argv a checked plan"
    )]
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(spec.env.iter().map(|(k, v)| (k, v)))
        .env("HOME", &spec.scratch)
        .env("TMPDIR", &spec.scratch)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // A thread of its own takes the Landlock ruleset and starts the child, which inherits
    // it; the thread (and its restriction) ends there.
    let handle = tokio::runtime::Handle::current();
    let (root, scratch, program) = (spec.cwd.clone(), spec.scratch.clone(), spec.program.clone());
    let (spawned_tx, spawned_rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("chinwagd-exec".into())
        .spawn(move || {
            let _runtime = handle.enter();
            let level = sandbox::restrict_this_thread(&root, &scratch, &program);
            let _ = spawned_tx.send((cmd.spawn(), level));
        })?;
    let (child, level) = spawned_rx
        .await
        .map_err(|_| std::io::Error::other("the thread that starts commands ended early"))?;
    let mut child = child?;
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    let group = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let kill_group = || {
        if let Some(pgid) = group {
            let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
        }
    };
    let (bytes_tx, mut bytes_rx) = mpsc::channel::<(Stream, Vec<u8>)>(16);
    let readers = [
        child
            .stdout
            .take()
            .map(|s| (Stream::Stdout, Box::new(s) as Box<dyn Pipe>)),
        child
            .stderr
            .take()
            .map(|s| (Stream::Stderr, Box::new(s) as Box<dyn Pipe>)),
    ];
    for (stream, mut pipe) in readers.into_iter().flatten() {
        let tx = bytes_tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            loop {
                match pipe.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if tx.send((stream, buf[..n].to_vec())).await.is_err() {
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(bytes_tx);

    let deadline = tokio::time::Instant::from_std(started + spec.timeout);
    let mut bytes: u64 = 0;
    let mut truncated = false;
    let mut timed_out = false;
    let mut cancelled = false;
    let mut status = None;
    let mut pipes_open = true;
    // Until the child exits (or is killed): output as it comes, within the cap.
    while status.is_none() {
        tokio::select! {
            s = child.wait() => status = Some(s?),
            piece = bytes_rx.recv(), if pipes_open => match piece {
                Some((stream, data)) => {
                    if !pass_on(&out, stream, &data, spec.output_cap, &mut bytes).await {
                        truncated = true;
                        kill_group();
                    }
                }
                None => pipes_open = false,
            },
            _ = tokio::time::sleep_until(deadline), if !timed_out => {
                timed_out = true;
                kill_group();
            }
            _ = cancel.cancelled(), if !cancelled => {
                cancelled = true;
                kill_group();
            }
        }
    }
    // The child is gone; anything of its group that lingers goes too, and what the pipes
    // still hold is read only briefly (a grandchild outside the group may keep them open).
    kill_group();
    let drain_until = tokio::time::Instant::now() + DRAIN_AFTER_EXIT;
    while pipes_open && !truncated {
        tokio::select! {
            piece = bytes_rx.recv() => match piece {
                Some((stream, data)) => {
                    truncated |= !pass_on(&out, stream, &data, spec.output_cap, &mut bytes).await;
                }
                None => pipes_open = false,
            },
            _ = tokio::time::sleep_until(drain_until) => break,
        }
    }
    let status = status.unwrap_or_default();
    use std::os::unix::process::ExitStatusExt;
    Ok(Exit {
        code: status.code(),
        signal: status.signal(),
        timed_out,
        cancelled,
        truncated,
        bytes,
        duration: started.elapsed(),
        sandbox: level,
    })
}

/// Hands on what of `data` fits under `cap` (counting in `bytes`); `false` when some did not.
async fn pass_on(
    out: &mpsc::Sender<(Stream, Vec<u8>)>,
    stream: Stream,
    data: &[u8],
    cap: usize,
    bytes: &mut u64,
) -> bool {
    let room = cap.saturating_sub(*bytes as usize);
    let keep = data.len().min(room);
    *bytes += keep as u64;
    if keep > 0 {
        let _ = out.send((stream, data[..keep].to_vec())).await;
    }
    keep == data.len()
}

/// A child's output pipe.
trait Pipe: tokio::io::AsyncRead + Unpin + Send {}
impl<T: tokio::io::AsyncRead + Unpin + Send> Pipe for T {}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(program: &str, args: &[&str], scratch: &std::path::Path) -> RunSpec {
        RunSpec {
            program: program.into(),
            args: args.iter().map(|a| (*a).to_string()).collect(),
            cwd: scratch.to_path_buf(),
            env: vec![("PATH".into(), "/usr/bin:/bin".into())],
            scratch: scratch.to_path_buf(),
            timeout: Duration::from_secs(5),
            output_cap: 256 * 1024,
        }
    }

    async fn collect(spec: &RunSpec) -> (Exit, Vec<u8>, Vec<u8>) {
        let (tx, mut rx) = mpsc::channel(64);
        let never = tokio_util::sync::CancellationToken::new();
        let run = run(spec, tx, &never);
        let gather = async {
            let (mut o, mut e) = (Vec::new(), Vec::new());
            while let Some((s, d)) = rx.recv().await {
                match s {
                    Stream::Stdout => o.extend(d),
                    Stream::Stderr => e.extend(d),
                }
            }
            (o, e)
        };
        let (exit, (o, e)) = tokio::join!(run, gather);
        (exit.expect("ran"), o, e)
    }

    /// Whether any process of group `pgid` is alive (zombies waiting to be reaped by
    /// whoever inherited them are dead), from /proc.
    fn group_alive(pgid: i32) -> bool {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return false;
        };
        entries.filter_map(Result::ok).any(|e| {
            let Ok(stat) = std::fs::read_to_string(e.path().join("stat")) else {
                return false;
            };
            // pid (comm) state ppid pgrp ...; comm may hold spaces, so split after ')'.
            let fields: Vec<&str> = stat
                .rsplit_once(')')
                .map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
            fields.first().is_some_and(|state| *state != "Z")
                && fields.get(2).and_then(|g| g.parse::<i32>().ok()) == Some(pgid)
        })
    }

    #[tokio::test]
    async fn output_and_status_come_back_and_the_environment_is_only_the_allowlist() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (exit, out, _) = collect(&spec("/usr/bin/env", &[], tmp.path())).await;
        assert_eq!(exit.code, Some(0));
        let mut names: Vec<&str> = std::str::from_utf8(&out)
            .expect("utf8")
            .lines()
            .filter_map(|l| l.split_once('=').map(|(k, _)| k))
            .collect();
        names.sort_unstable();
        assert_eq!(
            names,
            ["HOME", "PATH", "TMPDIR"],
            "nothing of the daemon's own"
        );
        let (exit, _, err) = collect(&spec(
            "/bin/sh",
            &["-c", "echo oops >&2; exit 3"],
            tmp.path(),
        ))
        .await;
        assert_eq!((exit.code, err.as_slice()), (Some(3), &b"oops\n"[..]));
        // stdin is /dev/null: cat returns at once.
        let (exit, out, _) = collect(&spec("/usr/bin/cat", &[], tmp.path())).await;
        assert_eq!((exit.code, out.len()), (Some(0), 0));
    }

    #[tokio::test]
    async fn a_timeout_kills_the_group_even_with_a_grandchild_holding_stdout() {
        let tmp = tempfile::tempdir().expect("tmp");
        // Busy loops, as the sandbox lets the shell start no other program (not even sleep).
        let mut s = spec(
            "/bin/sh",
            &["-c", "{ while :; do :; done; } & echo $$; wait"],
            tmp.path(),
        );
        s.timeout = Duration::from_millis(300);
        let started = Instant::now();
        let (exit, out, _) = collect(&s).await;
        assert!(exit.timed_out, "{exit:?}");
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        let pgid: i32 = std::str::from_utf8(&out)
            .expect("utf8")
            .trim()
            .parse()
            .expect("the shell's pid, which leads its group");
        // SIGKILL is sent to the whole group; the kernel ends each member as it next runs,
        // which on a loaded machine is a moment after the run returns.
        let deadline = Instant::now() + Duration::from_secs(3);
        while group_alive(pgid) {
            assert!(Instant::now() < deadline, "nothing of the group survives");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    #[tokio::test]
    async fn landlock_confines_writes_to_scratch_execution_to_the_program_and_stops_tcp() {
        let tmp = tempfile::tempdir().expect("tmp");
        let (root, scratch) = (tmp.path().join("root"), tmp.path().join("scratch"));
        std::fs::create_dir_all(&root).expect("root");
        std::fs::create_dir_all(&scratch).expect("scratch");
        std::fs::write(root.join("notes.txt"), "one\n").expect("notes");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let run_in = |program: &str, script: String| {
            let mut s = spec(program, &["-c", &script], &scratch);
            s.cwd = root.clone();
            s
        };
        // Reading the root and writing scratch work; writing the root does not.
        let (exit, out, _) = collect(&run_in(
            "/bin/sh",
            "read line < notes.txt; echo \"$line\"; echo ok > \"$TMPDIR/w\" && echo scratch".into(),
        ))
        .await;
        assert_eq!(exit.sandbox, Level::Landlock, "this kernel has Landlock");
        assert_eq!(String::from_utf8_lossy(&out), "one\nscratch\n");
        let (exit, _, err) = collect(&run_in("/bin/sh", "echo x > written.txt".into())).await;
        assert_ne!(exit.code, Some(0), "{}", String::from_utf8_lossy(&err));
        assert!(!root.join("written.txt").exists());
        // No other program may start.
        let (exit, _, err) = collect(&run_in("/bin/sh", "/usr/bin/id".into())).await;
        assert_ne!(exit.code, Some(0));
        assert!(
            String::from_utf8_lossy(&err).contains("denied"),
            "{}",
            String::from_utf8_lossy(&err)
        );
        // No TCP connection.
        let (exit, _, _) = collect(&run_in(
            "/bin/bash",
            format!("echo hi > /dev/tcp/127.0.0.1/{port}"),
        ))
        .await;
        assert_ne!(exit.code, Some(0));
        assert!(listener.accept().is_err(), "nothing connected");
    }

    #[tokio::test]
    async fn a_cancel_kills_the_command() {
        let tmp = tempfile::tempdir().expect("tmp");
        let s = spec("/bin/sh", &["-c", "while :; do :; done"], tmp.path());
        let cancel = tokio_util::sync::CancellationToken::new();
        let (tx, _rx) = mpsc::channel(4);
        let stop = cancel.clone();
        let (exit, ()) = tokio::join!(run(&s, tx, &cancel), async move { stop.cancel() });
        let exit = exit.expect("ran");
        assert!(exit.cancelled && !exit.timed_out, "{exit:?}");
        assert_eq!(exit.signal, Some(9));
    }

    #[tokio::test]
    async fn a_flood_is_cut_at_the_cap_and_the_run_is_truncated() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut s = spec("/usr/bin/yes", &[], tmp.path());
        s.output_cap = 64 * 1024;
        let (exit, out, _) = collect(&s).await;
        assert!(exit.truncated && !exit.timed_out, "{exit:?}");
        assert_eq!(out.len(), 64 * 1024);
        assert_eq!(exit.bytes, 64 * 1024);
        assert_eq!(exit.signal, Some(9), "killed");
    }
}
