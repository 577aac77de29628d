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
#[path = "spawn_tests.rs"]
pub(crate) mod tests;
