//! chinwag-faults: re-measures the review's fault figures against a real daemon process on
//! loopback, and prints them for BENCHMARKS.md. Bounded: fixed counts, and it stops.
//!
//! Usage: `chinwag-faults [PATH-TO-chinwag] [DEAF-CLIENTS] [SEARCH-MESSAGES] [BIG-MIB]`
//! (defaults: the debug build, 200, 20000, 20). The deaf-client figure waits 61 s on purpose:
//! the question is who is still connected a minute later.

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "black-box tests and benchmarks drive real processes"
)]

use chinwag_protocol::{ClientMsg, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, Part, Script, line, long_reply};
use chinwag_tests::harness::{isolated_env, isolated_socket, rss_kib, wait_for_socket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn start_daemon(exe: &Path, dir: &Path, host: &str) -> anyhow::Result<Child> {
    let mut cmd = Command::new(exe);
    isolated_env(&mut cmd, dir, host);
    Ok(cmd
        .arg("daemon")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?)
}

fn chat(
    id: &str,
    content: &str,
    conversation: Option<&chinwag_protocol::ConversationId>,
) -> ClientMsg {
    let mut msg = chinwag_tests::client::chat(id, content);
    if let ClientMsg::Chat {
        conversation: c, ..
    } = &mut msg
    {
        *c = conversation.cloned();
    }
    msg
}

async fn chat_to_end(c: &mut TestClient, msg: &ClientMsg) -> chinwag_protocol::ConversationId {
    c.send(msg).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    msgs.iter()
        .find_map(|m| match m {
            ServerMsg::ChatStarted { conversation, .. } => Some(conversation.clone()),
            _ => None,
        })
        .unwrap_or_else(|| chinwag_protocol::ConversationId(String::new()))
}

/// Clients that attach to a long reply and never read: how many are still connected after
/// 61 s, and what the daemon holds for them meanwhile.
async fn deaf_clients(socket: &Path, fake: &FakeOllama, pid: u32, n: usize) -> anyhow::Result<()> {
    let piece = "y".repeat(64 * 1024);
    // 8 MiB, most of it held back until the deaf clients are attached.
    let mut parts = vec![
        Part::Bytes(line("llama3.2", &piece, false).into_bytes()),
        Part::Gate,
    ];
    if let Script::Stream(rest) = long_reply("llama3.2", &piece, 127) {
        parts.extend(rest);
    }
    fake.script(Script::Stream(parts));
    let mut watcher = TestClient::connect(socket).await;
    watcher.send(&chat("d", "everything", None)).await;
    let conv = watcher
        .until(|m| matches!(m, ServerMsg::ChatStarted { .. }))
        .await
        .iter()
        .find_map(|m| match m {
            ServerMsg::ChatStarted { conversation, .. } => Some(conversation.clone()),
            _ => None,
        })
        .ok_or_else(|| anyhow::anyhow!("no chat_started"))?;
    let before = rss_kib(pid);
    let mut deaf = Vec::with_capacity(n);
    for i in 0..n {
        let mut c = TestClient::connect(socket).await;
        c.send(&ClientMsg::Attach {
            id: format!("a{i}"),
            conversation: conv.clone(),
        })
        .await;
        deaf.push(c);
    }
    fake.release();
    // The watcher reads everything, so the reply runs to its end.
    watcher.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    let start = Instant::now();
    let mut peak = rss_kib(pid);
    let mut status = TestClient::connect(socket).await;
    let mut at_35 = None;
    while start.elapsed() < Duration::from_secs(61) {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(rss_kib(pid));
        if at_35.is_none() && start.elapsed() >= Duration::from_secs(35) {
            at_35 = Some(status.status().await.connections);
        }
    }
    let after = status.status().await.connections;
    println!(
        "deaf clients ({n}) attached to an 8 MiB reply: still connected at 35 s: {}, at 61 s: {} \
         (counting the status client itself: 1)",
        at_35.unwrap_or(0),
        after
    );
    println!(
        "daemon RSS: {before} KiB before, peak {peak} KiB while they were attached ({:.0} KiB per deaf client)",
        (peak.saturating_sub(before)) as f64 / n as f64
    );
    drop(deaf);
    Ok(())
}

/// Another client's `list_conversations` latency while the worst search the daemon accepts
/// runs again and again on a store of `messages` messages.
async fn search_vs_list(socket: &Path, fake: &FakeOllama, messages: usize) -> anyhow::Result<()> {
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima", "mike", "november", "oscar", "papa",
    ];
    let mut c = TestClient::connect(socket).await;
    let turns = messages / 2;
    let mut conv = None;
    for i in 0..turns {
        let text: Vec<&str> = (0..12)
            .map(|k| words[(i * 7 + k * 3) % words.len()])
            .collect();
        fake.script(long_reply("llama3.2", &text.join(" "), 1));
        let id = chat_to_end(
            &mut c,
            &chat(&format!("s{i}"), &text.join(" "), conv.as_ref()),
        )
        .await;
        if i % 50 == 0 {
            conv = None; // a new conversation every 50 turns
        } else {
            conv = Some(id);
        }
    }
    let worst =
        "a* b* c* d* alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima";
    let mut searcher = TestClient::connect(socket).await;
    let mut lister = TestClient::connect(socket).await;
    let stop = Instant::now() + Duration::from_secs(10);
    let search = tokio::spawn(async move {
        let mut times = Vec::new();
        let mut refused = 0;
        while Instant::now() < stop {
            let t = Instant::now();
            match searcher
                .call(ClientMsg::Search {
                    id: "q".into(),
                    query: worst.into(),
                    limit: Some(20),
                })
                .await
            {
                ServerMsg::SearchResults { .. } => times.push(t.elapsed().as_secs_f64() * 1000.0),
                _ => refused += 1,
            }
        }
        (times, refused)
    });
    let mut waits = Vec::new();
    while Instant::now() < stop {
        let t = Instant::now();
        lister.conversations().await;
        waits.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let (mut times, refused) = search.await?;
    waits.sort_by(f64::total_cmp);
    times.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: f64| {
        v.get(((v.len() as f64 - 1.0) * p) as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    println!(
        "worst accepted search on {messages} messages: {} runs, median {:.1} ms, max {:.1} ms, {refused} stopped by the budget",
        times.len(),
        pct(&times, 0.5),
        times.last().copied().unwrap_or(f64::NAN)
    );
    println!(
        "another client's list_conversations meanwhile: {} calls, median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        waits.len(),
        pct(&waits, 0.5),
        pct(&waits, 0.99),
        waits.last().copied().unwrap_or(f64::NAN)
    );
    Ok(())
}

/// The largest conversation tried: one reply of `mib` MiB, opened whole by `history export`.
async fn big_conversation(
    exe: &Path,
    dir: &Path,
    socket: &Path,
    fake: &FakeOllama,
    mib: usize,
) -> anyhow::Result<()> {
    let piece = "é".repeat(32 * 1024); // 64 KiB of two-byte characters
    fake.script(long_reply("llama3.2", &piece, mib * 16));
    let mut c = TestClient::connect(socket).await;
    let conv = chat_to_end(&mut c, &chat("big", "write a lot", None)).await;
    let mut cmd = Command::new(exe);
    isolated_env(&mut cmd, dir, &fake.host());
    let start = Instant::now();
    let out = cmd
        .args(["history", "export", &conv.0, "--format", "json"])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()?;
    let took = start.elapsed();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let len = v["messages"][1]["content"].as_str().map_or(0, str::len);
    println!(
        "a {mib} MiB reply: `history export` exit {:?}, {} bytes of it back whole ({}), in {:.2} s",
        out.status.code(),
        len,
        if len == mib * 1024 * 1024 {
            "every byte"
        } else {
            "MISMATCH"
        },
        took.as_secs_f64()
    );
    Ok(())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let exe = chinwag_tests::bench::exe();
    let deaf: usize = chinwag_tests::bench::arg(2, 200);
    let messages: usize = chinwag_tests::bench::arg(3, 20_000);
    let mib: usize = chinwag_tests::bench::arg(4, 20);
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;
    let mut daemon = start_daemon(&exe, dir.path(), &fake.host())?;
    let socket = isolated_socket(dir.path());
    wait_for_socket(&socket).await;
    let pid = daemon.id();
    println!("binary {}", exe.display());
    big_conversation(&exe, dir.path(), &socket, &fake, mib).await?;
    search_vs_list(&socket, &fake, messages).await?;
    deaf_clients(&socket, &fake, pid, deaf).await?;
    let _ = daemon.kill();
    let _ = daemon.wait();
    Ok(())
}
