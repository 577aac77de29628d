//! chinwag-loadgen: measures the daemon on this machine, over loopback only, and prints figures
//! for BENCHMARKS.md. Bounded: a fixed number of connections and runs, then it stops.
//!
//! Usage: `chinwag-loadgen [PATH-TO-chinwag] [CONNECTIONS] [ASK-RUNS]`
//! (default: the debug build, 1000 connections, 20 runs; pass target/release/chinwag for
//! release figures).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{isolated_env, rss_kib};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::AsyncReadExt;

use chinwag_tests::bench::percentile;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let exe = chinwag_tests::bench::exe();
    let conns: usize = chinwag_tests::bench::arg(2, 1000);
    let runs: usize = chinwag_tests::bench::arg(3, 20);
    chinwag_tests::bench::raise_fd_limit();
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;

    let (mut daemon, socket) =
        chinwag_tests::bench::start_daemon(&exe, dir.path(), &fake.host(), Stdio::null()).await?;
    let pid = daemon.id();
    // Warm up: one full chat so the store, the HTTP client and the runtime are initialised.
    {
        let mut c = TestClient::connect(&socket).await;
        c.send_text(r#"{"type":"chat","id":"w","model":"llama3.2","content":"warm up"}"#)
            .await;
        c.until(|m| matches!(m, chinwag_protocol::ServerMsg::Done { .. }))
            .await;
    }
    let idle = rss_kib(pid);

    let mut held = Vec::with_capacity(conns);
    for _ in 0..conns {
        held.push(TestClient::connect(&socket).await);
    }
    let loaded = rss_kib(pid);
    let per_conn = (loaded.saturating_sub(idle)) as f64 * 1024.0 / conns as f64;
    drop(held);

    let mut ttfb = Vec::with_capacity(runs);
    for _ in 0..runs {
        let mut std_cmd = Command::new(&exe);
        isolated_env(&mut std_cmd, dir.path(), &fake.host());
        std_cmd
            .args(["ask", "-m", "llama3.2", "hi"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        let start = Instant::now();
        let mut child = tokio::process::Command::from(std_cmd).spawn()?;
        let mut out = child
            .stdout
            .take()
            .ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut byte = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(30), out.read(&mut byte)).await??;
        let elapsed = start.elapsed().as_secs_f64() * 1000.0;
        anyhow::ensure!(n == 1, "ask printed nothing");
        ttfb.push(elapsed);
        child.wait().await?;
    }
    ttfb.sort_by(f64::total_cmp);
    let _ = daemon.kill();
    let _ = daemon.wait();

    println!("binary                         {}", exe.display());
    println!("daemon RSS idle                {idle} KiB");
    println!("daemon RSS with {conns} idle conns   {loaded} KiB");
    println!("RSS per idle connection        {per_conn:.0} bytes");
    println!(
        "ask: start -> first stdout byte median {:.1} ms, p90 {:.1} ms, min {:.1} ms ({runs} runs)",
        percentile(&ttfb, 0.5),
        percentile(&ttfb, 0.9),
        ttfb.first().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}
