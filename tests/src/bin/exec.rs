//! chinwag-exec: the executor's figures on a real daemon process, for BENCHMARKS.md: what an
//! allowed, near-instant command costs through the daemon (policy, confinement, audit
//! record, Landlock, spawn, streaming) next to spawning the same program directly, and the
//! daemon's memory while a command streams 1 GiB of output to a client that reads it.
//! Bounded: fixed counts, then it stops.
//!
//! Usage: `chinwag-exec [PATH-TO-chinwag] [RUNS] [FLOOD-MIB]`
//! (defaults: the debug build, 100, 1024).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

use chinwag_tests::bench::{arg, exe, percentile, start_daemon};
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::rss_kib;
use chinwag_tests::wire::Wire;
use serde_json::json;
use std::process::Stdio;
use std::time::Instant;

/// Runs `argv` and reads it to its end; bytes of output seen.
async fn exec(w: &mut Wire, argv: &[&str]) -> anyhow::Result<u64> {
    w.send(json!({"type": "exec", "id": "x", "argv": argv}))
        .await;
    let mut bytes = 0u64;
    loop {
        let f = w.recv().await;
        match f["type"].as_str() {
            Some("exec_output") => bytes += f["text"].as_str().map_or(0, str::len) as u64,
            Some("exec_exit") => return Ok(bytes),
            Some("command_rejected" | "error") => anyhow::bail!("refused: {f}"),
            _ => {}
        }
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let runs: usize = arg(2, 100);
    let flood_mib: u64 = arg(3, 1024);
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;
    // The root: the isolated home, with a sparse file of `flood_mib` to cat.
    let home = dir.path().join("home");
    std::fs::create_dir_all(&home)?;
    let big = std::fs::File::create(home.join("big"))?;
    big.set_len(flood_mib * 1024 * 1024)?;
    let config_dir = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        format!(
            // Each run counts against the local user's message rate: this measures the
            // executor, not the limiter.
            "[exec]\noutput_cap_bytes = {}\ntimeout_secs = 600\n\
             [limits.local]\nmessages_per_minute = 1000000\nburst = 100000\n",
            (flood_mib + 1) * 1024 * 1024
        ),
    )?;
    let (mut daemon, socket) =
        start_daemon(&exe(), dir.path(), &fake.host(), Stdio::null()).await?;
    let pid = daemon.id();
    let mut w = Wire::local(&socket).await;
    exec(&mut w, &["true"]).await?;

    let mut through = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        exec(&mut w, &["true"]).await?;
        through.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut direct = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        let status = tokio::process::Command::new("/usr/bin/true")
            .status()
            .await?;
        anyhow::ensure!(status.success());
        direct.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    through.sort_by(f64::total_cmp);
    direct.sort_by(f64::total_cmp);

    let idle = rss_kib(pid);
    // The daemon's RSS sampled every 20 ms while the flood streams.
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(idle));
    let sampling = {
        let peak = std::sync::Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss_kib(pid), std::sync::atomic::Ordering::Relaxed);
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
        })
    };
    let t = Instant::now();
    let bytes = exec(&mut w, &["cat", "big"]).await?;
    let secs = t.elapsed().as_secs_f64();
    sampling.abort();
    let peak = peak.load(std::sync::atomic::Ordering::Relaxed);
    let _ = daemon.kill();
    let _ = daemon.wait();
    println!("binary {}", exe().display());
    println!(
        "`true` through the daemon, {runs} runs: median {:.2} ms, p99 {:.2} ms; spawned directly: median {:.2} ms, p99 {:.2} ms",
        percentile(&through, 0.5),
        percentile(&through, 0.99),
        percentile(&direct, 0.5),
        percentile(&direct, 0.99)
    );
    println!(
        "cat of {flood_mib} MiB streamed to a reading client: {bytes} bytes in {secs:.1} s; daemon RSS {idle} KiB before, at most {peak} KiB during"
    );
    Ok(())
}
