//! What the bounded load tools (`chinwag-loadgen`, `chinwag-faults`, `chinwag-edge`) share:
//! their command-line arguments, the open-file limit, percentiles, and starting a daemon.

use std::path::PathBuf;

/// Positional argument `i` (1-based), or `default`.
pub fn arg<T: std::str::FromStr>(i: usize, default: T) -> T {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The `chinwag` binary to measure: the first argument, else the debug build.
pub fn exe() -> PathBuf {
    std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::harness::bin("chinwag"))
}

/// Lifts the open-file limit to its maximum: each connection is a file descriptor.
pub fn raise_fd_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        },
    );
}

/// The `p` percentile (0..=1) of sorted values.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

/// Starts `exe daemon` isolated under `dir` against the fake Ollama at `ollama_host`, and
/// waits for its socket. Returns the child and the socket's path.
pub async fn start_daemon(
    exe: &std::path::Path,
    dir: &std::path::Path,
    ollama_host: &str,
    stderr: std::process::Stdio,
) -> std::io::Result<(std::process::Child, PathBuf)> {
    let mut cmd = std::process::Command::new(exe);
    crate::harness::isolated_env(&mut cmd, dir, ollama_host);
    let daemon = cmd
        .arg("daemon")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(stderr)
        .spawn()?;
    let socket = crate::harness::isolated_socket(dir);
    crate::harness::wait_for_socket(&socket).await;
    Ok((daemon, socket))
}
