//! chinwag-tools: measures a tool round trip through a real daemon process, excluding the
//! model's own time: from the end of the fake Ollama's stream that calls `read_file` to the
//! next request reaching it with the result. That covers decoding the call, judging it,
//! committing and showing the call event, the client's answer (sent the moment the call
//! arrives), committing the answer, reading the file, committing the result, and building
//! and sending the next request. Also the same with the bot approving (no client in the
//! loop). Bounded: a fixed number of rounds, then it stops.
//!
//! Usage: `chinwag-tools [PATH-TO-chinwag] [ROUNDS]` (defaults: the debug build, 200).

#![allow(
    clippy::disallowed_methods,
    clippy::expect_used,
    reason = "benchmarks drive real processes"
)]

use chinwag_protocol::{ClientMsg, Decision, ServerMsg, ToolEvent, Verdict};
use chinwag_tests::bench::percentile as pct;
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::{FakeOllama, reply, tool_calls};
use serde_json::json;
use std::process::Stdio;

/// Runs `rounds` chats that each make one call; returns the round trips in ms, sorted.
async fn measure(
    c: &mut TestClient,
    fake: &FakeOllama,
    rounds: usize,
    bot: Option<&str>,
) -> anyhow::Result<Vec<f64>> {
    let first = fake.state().requests.len();
    let first_end = fake.state().ended.len();
    for i in 0..rounds {
        fake.script(tool_calls(
            "llama3.2",
            "",
            &[("read_file", json!({"path": "notes.txt"}))],
        ));
        fake.script(reply("llama3.2", &["ok"]));
        let mut msg = chinwag_tests::client::chat(&format!("c{i}"), "read my notes");
        if let ClientMsg::Chat { tools, bot: b, .. } = &mut msg {
            match bot {
                Some(name) => *b = Some(name.to_string()),
                None => *tools = Some(vec!["read_file".into()]),
            }
        }
        c.send(&msg).await;
        let mut conversation = None;
        loop {
            match c.recv().await {
                ServerMsg::ChatStarted {
                    conversation: id, ..
                } => conversation = Some(id),
                ServerMsg::Tool {
                    event:
                        ToolEvent::Call {
                            call,
                            verdict: Verdict::Ask,
                            ..
                        },
                    ..
                } => {
                    let answer = ClientMsg::Approve {
                        id: format!("a{i}"),
                        conversation: conversation.clone().expect("chat_started first"),
                        call,
                        decision: Decision::Once,
                        reason: None,
                    };
                    c.send(&answer).await;
                }
                ServerMsg::Done { .. } => break,
                ServerMsg::Error { message, .. } => anyhow::bail!("refused: {message}"),
                _ => {}
            }
        }
    }
    let st = fake.state();
    let chats: Vec<_> = st.requests[first..]
        .iter()
        .filter(|r| r.path == "/api/chat")
        .map(|r| r.at)
        .collect();
    let ends = &st.ended[first_end..];
    let mut out: Vec<f64> = (0..rounds)
        .map(|i| (chats[2 * i + 1] - ends[2 * i]).as_secs_f64() * 1000.0)
        .collect();
    out.sort_by(f64::total_cmp);
    Ok(out)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let exe = chinwag_tests::bench::exe();
    let rounds: usize = chinwag_tests::bench::arg(2, 200);
    let dir = tempfile::tempdir()?;
    let fake = FakeOllama::start().await;
    // The executor's root is the isolated home.
    std::fs::create_dir_all(dir.path().join("home"))?;
    std::fs::write(dir.path().join("home/notes.txt"), "one\ntwo\n")?;
    let config_dir = dir.path().join("config/chinwag");
    std::fs::create_dir_all(&config_dir)?;
    std::fs::write(
        config_dir.join("chinwagd.toml"),
        "[limits.local]\nmessages_per_minute = 100000\nburst = 100000\n\
         output_tokens_per_minute = 100000000\n\
         [bots.reader]\ntools = [\"read_file\"]\nauto_approve = [\"read_file\"]\n",
    )?;
    let (mut daemon, socket) =
        chinwag_tests::bench::start_daemon(&exe, dir.path(), &fake.host(), Stdio::inherit())
            .await?;
    let mut c = TestClient::connect(&socket).await;
    // Warm up.
    measure(&mut c, &fake, 5, None).await?;
    let asked = measure(&mut c, &fake, rounds, None).await?;
    let by_bot = measure(&mut c, &fake, rounds, Some("reader")).await?;
    let _ = daemon.kill();
    let _ = daemon.wait();
    println!("binary {}", exe.display());
    for (what, v) in [
        ("approved by the client", &asked),
        ("approved by the bot", &by_bot),
    ] {
        println!(
            "tool round trip ({what}), {rounds} rounds: median {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            pct(v, 0.5),
            pct(v, 0.99),
            v.last().copied().unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
