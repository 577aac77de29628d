//! The child and its supervision: a fixed absolute program, a cleared environment plus an
//! allowlist, stdin from /dev/null, its own process group, and a scratch HOME and TMPDIR.
//! stdout and stderr are read concurrently and handed on as they come, up to a cap (then the
//! group is killed and the run is `truncated`); a timeout kills the group; once the child
//! has exited, the group is killed too and the pipes are read only briefly, so a grandchild
//! that holds them cannot hold the daemon.
//!
//! The child is started from a thread of its own under a Landlock ruleset (`sandbox`), so
//! it inherits it. Its rlimits (CPU, address space, file size, processes) are set from the
//! daemon with `prlimit` as soon as it exists: the workspace has no `unsafe`, which a
//! `pre_exec` hook needs, so the child's first microseconds run under the daemon's own
//! limits. When the child has exited, what is left of its tree is ended by `reap`.

use super::reap;
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
    pub limits: Limits,
    /// Start nothing unless the whole Landlock ruleset is enforced.
    pub needs_sandbox: bool,
}

/// The child's rlimits besides CPU time, which follows the timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// RLIMIT_AS, bytes.
    pub address_space: u64,
    /// RLIMIT_FSIZE: the largest file it may write (only scratch is writable), bytes.
    pub file_size: u64,
    /// Processes and threads it may add. RLIMIT_NPROC counts every task of the daemon's
    /// user, so the limit is this many above the tasks the whole machine has now: a bound
    /// on a fork bomb, never a refusal of a normal run. Root is not held by it.
    pub processes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            address_space: 4 << 30,
            file_size: 64 << 20,
            processes: 64,
        }
    }
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
    let needs_sandbox = spec.needs_sandbox;
    let (spawned_tx, spawned_rx) = tokio::sync::oneshot::channel();
    reap::become_subreaper();
    std::thread::Builder::new()
        .name("chinwagd-exec".into())
        .spawn(move || {
            let _runtime = handle.enter();
            let level = sandbox::restrict_this_thread(&root, &scratch, &program);
            if needs_sandbox && level != Level::Landlock {
                let refused = std::io::Error::other(format!(
                    "{} needs the whole Landlock ruleset, and the kernel gave {}",
                    program.display(),
                    level.as_str()
                ));
                let _ = spawned_tx.send((Err(refused), None, level));
                return;
            }
            // Registered before any sweep can see it as a stray.
            let mut registry = reap::registry();
            let child = cmd.spawn();
            let registered = child.as_ref().ok().and_then(|c| c.id()).map(|id| {
                registry.insert(id as i32);
                reap::Registered(id as i32)
            });
            drop(registry);
            let _ = spawned_tx.send((child, registered, level));
        })?;
    let (child, _registered, level) = spawned_rx
        .await
        .map_err(|_| std::io::Error::other("the thread that starts commands ended early"))?;
    let mut child = child?;
    SPAWNED.fetch_add(1, Ordering::Relaxed);
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        set_limits(pid, spec);
    }
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
    // The child is gone; anything of its group that lingers goes too, then whatever of its
    // tree left the group, and what the pipes still hold is read only briefly.
    kill_group();
    let scratch = spec.scratch.clone();
    let swept = tokio::task::spawn_blocking(move || reap::sweep(&scratch))
        .await
        .unwrap_or(0);
    if swept > 0 {
        tracing::info!(swept, "ended processes that had left the command's group");
    }
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

/// Sets the child's rlimits; one that cannot be set is logged, and the run goes on.
fn set_limits(pid: rustix::process::Pid, spec: &RunSpec) {
    use rustix::process::{Resource, Rlimit, getrlimit, prlimit};
    let tasks_now = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| {
            l.split_whitespace()
                .nth(3)?
                .split_once('/')?
                .1
                .parse::<u64>()
                .ok()
        })
        .unwrap_or(0);
    let limits = [
        (Resource::Cpu, spec.timeout.as_secs() + 1),
        (Resource::As, spec.limits.address_space),
        (Resource::Fsize, spec.limits.file_size),
        (Resource::Nproc, tasks_now + spec.limits.processes),
    ];
    for (resource, value) in limits {
        // Never above the daemon's own hard limit, which the child has inherited.
        let value = getrlimit(resource)
            .maximum
            .map_or(value, |hard| hard.min(value));
        let limit = Rlimit {
            current: Some(value),
            maximum: Some(value),
        };
        if let Err(e) = prlimit(Some(pid), resource, limit) {
            tracing::warn!(?resource, error = %e, "a command's rlimit could not be set");
        }
    }
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
pub(crate) mod tests {
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
            limits: Limits::default(),
            needs_sandbox: false,
        }
    }

    /// Runs `spec` to its end: how it ended, stdout, stderr.
    pub(crate) async fn collect(spec: &RunSpec) -> (Exit, Vec<u8>, Vec<u8>) {
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

    /// Whether `pid` is alive (a zombie is dead), from /proc.
    fn alive(pid: i32) -> bool {
        std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .ok()
            .and_then(|s| Some(s.rsplit_once(')')?.1.split_whitespace().next()? != "Z"))
            .unwrap_or(false)
    }

    fn pids(out: &[u8]) -> Vec<i32> {
        std::str::from_utf8(out)
            .expect("utf8")
            .split_whitespace()
            .map(|p| p.parse().expect("a pid"))
            .collect()
    }

    /// A Python child that leaves descendants outside its process group: one that called
    /// setsid and stays its child, and one that called setsid and was orphaned by a double
    /// fork. Each prints its pid and keeps stdout open. The child then sleeps (`stay`) or
    /// exits. Python, because the sandbox lets a shell start no other program.
    const SETSID_TREE: &str = r#"
import os, sys, time
if os.fork() == 0:
    os.setsid()
    print(os.getpid(), flush=True)
    while True: time.sleep(1)
if os.fork() == 0:
    if os.fork() == 0:
        os.setsid()
        time.sleep(0.05)
        print(os.getpid(), flush=True)
        while True: time.sleep(1)
    os._exit(0)
os.wait()
time.sleep(0.2)
if sys.argv[1] == "stay":
    while True: time.sleep(1)
"#;

    #[tokio::test]
    async fn a_timeout_ends_descendants_that_called_setsid_even_when_orphaned() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut s = spec("/usr/bin/python3", &["-c", SETSID_TREE, "stay"], tmp.path());
        s.timeout = Duration::from_millis(1500);
        let started = Instant::now();
        let (exit, out, err) = collect(&s).await;
        assert!(exit.timed_out, "{exit:?} {}", String::from_utf8_lossy(&err));
        assert!(started.elapsed() < s.timeout + Duration::from_secs(3));
        let pids = pids(&out);
        assert_eq!(pids.len(), 2, "both descendants started: {pids:?}");
        for pid in pids {
            assert!(!alive(pid), "{pid} outlived the run");
        }
    }

    #[tokio::test]
    async fn a_child_that_exits_leaves_nothing_behind_and_is_not_a_timeout() {
        let tmp = tempfile::tempdir().expect("tmp");
        let mut s = spec("/usr/bin/python3", &["-c", SETSID_TREE, "go"], tmp.path());
        s.timeout = Duration::from_secs(30);
        let (exit, out, err) = collect(&s).await;
        assert_eq!(
            exit.code,
            Some(0),
            "{exit:?} {}",
            String::from_utf8_lossy(&err)
        );
        assert!(!exit.timed_out);
        let pids = pids(&out);
        assert_eq!(pids.len(), 2, "{pids:?}");
        for pid in pids {
            assert!(!alive(pid), "{pid} outlived the run");
        }
    }

    #[tokio::test]
    async fn rlimits_hold_memory_file_size_and_cpu_time() {
        let tmp = tempfile::tempdir().expect("tmp");
        let python = |script: &str| {
            let mut s = spec("/usr/bin/python3", &["-c", script], tmp.path());
            s.limits = Limits {
                address_space: 256 << 20,
                file_size: 1 << 20,
                processes: 64,
            };
            s.timeout = Duration::from_secs(1);
            s
        };
        let (exit, out, _) = collect(&python(
            "try:\n b = bytearray(512 << 20)\n print('allocated')\nexcept MemoryError:\n print('refused')",
        ))
        .await;
        assert_eq!(
            (exit.code, String::from_utf8_lossy(&out).trim()),
            (Some(0), "refused")
        );
        let (exit, _, _) = collect(&python(
            "import os, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n\
             f = open(os.environ['TMPDIR'] + '/big', 'wb')\ntry:\n f.write(b'x' * (2 << 20)); f.flush()\n\
             except OSError as e:\n print(e.errno); raise SystemExit(9)",
        ))
        .await;
        assert_eq!(exit.code, Some(9), "a write past the limit fails: {exit:?}");
        assert!(
            std::fs::metadata(tmp.path().join("big"))
                .expect("big")
                .len()
                <= 1 << 20,
            "nothing past the limit was written"
        );
        // CPU time follows the timeout; the process count sits above the machine's tasks.
        // (The sandbox does not let the child read /proc, so it asks the kernel itself.)
        let (_, out, _) = collect(&python(
            "import resource as r\nfor k in 'CPU AS FSIZE NPROC'.split(): print(*r.getrlimit(getattr(r, 'RLIMIT_' + k)))",
        ))
        .await;
        let rows: Vec<Vec<u64>> = String::from_utf8_lossy(&out)
            .lines()
            .map(|l| l.split(' ').map(|v| v.parse().expect("a number")).collect())
            .collect();
        assert_eq!(
            rows[..3],
            [
                vec![2, 2],
                vec![256 << 20, 256 << 20],
                vec![1 << 20, 1 << 20]
            ]
        );
        assert!(rows[3][0] > 64 && rows[3][0] < 1 << 22, "{rows:?}");
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
