//! chinwag-cli: the client as a user starts it, against a real daemon process and an instant
//! fake Ollama: the whole-process time of `chinwag "hi"` and of `chinwag ask "hi"` (median of
//! 30 each), and the chat screen's time to its first frame on a pty, connecting to the
//! running daemon (median of 30). Bounded: fixed counts, then it stops.
//!
//! Usage: `chinwag-cli [PATH-TO-chinwag] [RUNS]` (defaults: the debug build, 30).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "benchmarks drive real processes"
)]

use chinwag_tests::bench::percentile as pct;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::isolated_vars;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// Milliseconds for `chinwag ARGS` to run to its end, `runs` times.
fn whole(exe: &std::path::Path, env: &[(&str, String)], args: &[&str], runs: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let status = Command::new(exe)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("chinwag runs");
        assert!(status.success(), "chinwag {args:?} failed");
        out.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    sorted(out)
}

/// A pty pair: the master, and the slave's path.
fn pty() -> (OwnedFd, String) {
    use rustix::pty::{OpenptFlags, grantpt, openpt, ptsname, unlockpt};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY).expect("openpt");
    grantpt(&master).expect("grantpt");
    unlockpt(&master).expect("unlockpt");
    let name = ptsname(&master, Vec::new()).expect("ptsname");
    rustix::termios::tcsetwinsize(
        &master,
        rustix::termios::Winsize {
            ws_row: 30,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("window size");
    (master, name.to_string_lossy().into_owned())
}

/// Milliseconds from starting the chat screen on a pty to its status line on the screen.
fn first_frame(exe: &std::path::Path, env: &[(&str, String)], runs: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(runs);
    for _ in 0..runs {
        let (master, slave) = pty();
        let open = || {
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(&slave)
                .expect("slave")
        };
        let start = Instant::now();
        let mut child = Command::new(exe)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("TERM", "xterm-256color")
            .args(["-m", "llama3.2"])
            .stdin(open())
            .stdout(open())
            .stderr(open())
            .spawn()
            .expect("chinwag starts");
        let mut reader = std::fs::File::from(master.try_clone().expect("master"));
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        let mut took = f64::NAN;
        while start.elapsed() < Duration::from_secs(10) {
            let n = reader.read(&mut buf).unwrap_or(0);
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
            // The status line's "● local" is drawn once the daemon has answered hello.
            if String::from_utf8_lossy(&seen).contains("local") {
                took = start.elapsed().as_secs_f64() * 1000.0;
                break;
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        out.push(took);
    }
    sorted(out)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let exe = chinwag_tests::bench::exe();
    let runs: usize = chinwag_tests::bench::arg(2, 30);
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;
    let (mut daemon, _socket) =
        chinwag_tests::bench::start_daemon(&exe, dir.path(), &fake.host(), Stdio::null()).await?;
    let env = isolated_vars(dir.path(), &fake.host());
    let exe2 = exe.clone();
    let env2 = env.clone();
    let (bare, ask, frame) = tokio::task::spawn_blocking(move || {
        whole(&exe2, &env2, &["ask", "-m", "llama3.2", "warm up"], 3);
        let bare = whole(&exe2, &env2, &["-m", "llama3.2", "--no-save", "hi"], runs);
        let ask = whole(
            &exe2,
            &env2,
            &["ask", "-m", "llama3.2", "--no-save", "hi"],
            runs,
        );
        let frame = first_frame(&exe2, &env2, runs);
        (bare, ask, frame)
    })
    .await?;
    let _ = daemon.kill();
    let _ = daemon.wait();
    println!("binary {}", exe.display());
    for (what, v) in [
        ("chinwag \"hi\" (whole process)", &bare),
        ("chinwag ask \"hi\" (whole process)", &ask),
        ("chat screen to its first frame on a pty", &frame),
    ] {
        println!(
            "{what}, {runs} runs: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            pct(v, 0.5),
            pct(v, 0.9),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
