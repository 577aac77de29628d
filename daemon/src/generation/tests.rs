//! The reply log: what a late watcher replays equals what a live one saw.

use super::*;
use chinwag_protocol::{Decision, Verdict};

fn generations() -> (Generations, Arc<Generation>) {
    let all = Generations::default();
    let g = all
        .start(
            "alice",
            &ConversationId("c".into()),
            &MessageId("m".into()),
            "llama3.2:latest",
            &CancellationToken::new(),
        )
        .expect("a first generation starts");
    (all, g)
}

fn call(id: &str) -> ToolEvent {
    ToolEvent::Call {
        call: id.into(),
        tool: "read_file".into(),
        arguments: serde_json::json!({"path": "a"}),
        runs: None,
        verdict: Verdict::Ask,
        rule: None,
        reason: None,
        expires_at_ms: None,
    }
}

fn approval(id: &str) -> ToolEvent {
    ToolEvent::Approval {
        call: id.into(),
        decision: Decision::Once,
        reason: None,
        by: Some("alice".into()),
    }
}

fn end() -> GenEnd {
    GenEnd {
        status: MessageStatus::Complete,
        done_reason: Some("stop".into()),
        stats: None,
        error: None,
    }
}

/// What a client holds after these events: text runs merged, tool events in place.
fn fold(events: &[WatchEvent]) -> Vec<WatchEvent> {
    let mut out: Vec<WatchEvent> = Vec::new();
    for e in events {
        match (out.last_mut(), e) {
            (
                Some(WatchEvent::Delta { content, thinking }),
                WatchEvent::Delta {
                    content: c,
                    thinking: t,
                },
            ) => {
                content.push_str(c);
                thinking.push_str(t);
            }
            _ => out.push(e.clone()),
        }
    }
    out
}

async fn drain(w: &mut Watcher) -> Vec<WatchEvent> {
    let mut seen = Vec::new();
    while let Some(e) = w.next().await {
        seen.push(e);
    }
    seen
}

#[tokio::test]
async fn a_late_watcher_replays_what_a_live_one_saw() {
    let (_all, g) = generations();
    let mut live = g.watch();
    let mut seen = Vec::new();
    let steps: [fn(&Generation); 6] = [
        |g| g.push("Let me ", "I should look"),
        |g| g.push("look.", ""),
        |g| g.push_tool(call("1")),
        |g| g.push_tool(approval("1")),
        |g| g.push("", " at the file"),
        |g| g.push("It says hi.", ""),
    ];
    for step in &steps {
        step(&g);
        seen.push(live.next().await.expect("an event after each step"));
    }
    g.finish(end());
    seen.extend(drain(&mut live).await);

    let (mut late, content, thinking) = g.watch_after_snapshot();
    let mut replayed = vec![WatchEvent::Delta { content, thinking }];
    replayed.extend(drain(&mut late).await);
    assert_eq!(fold(&replayed), fold(&seen));
    assert!(matches!(seen.last(), Some(WatchEvent::Done(_))));
    // Text after a tool event is its own run, never merged into the one before.
    let runs = fold(&seen)
        .iter()
        .filter(|e| matches!(e, WatchEvent::Delta { .. }))
        .count();
    assert_eq!(runs, 2);
    assert_eq!(g.text_at(), ("Let me look.It says hi.".len(), 25));
    assert_eq!(
        g.text(),
        (
            "Let me look.It says hi.".to_string(),
            "I should look at the file".to_string()
        )
    );
}

#[tokio::test]
async fn a_log_that_opens_with_a_tool_event_replays_it_after_an_empty_start() {
    let (_all, g) = generations();
    g.push_tool(call("1"));
    g.push("done", "");
    g.finish(end());
    let (mut w, content, thinking) = g.watch_after_snapshot();
    assert_eq!((content.as_str(), thinking.as_str()), ("", ""));
    let seen = drain(&mut w).await;
    assert_eq!(seen[0], WatchEvent::Tool(call("1")));
    assert_eq!(
        seen[1],
        WatchEvent::Delta {
            content: "done".into(),
            thinking: String::new()
        }
    );
}

#[tokio::test]
async fn a_long_text_run_comes_in_slices_that_fit_a_frame() {
    let (_all, g) = generations();
    let long = "x".repeat(MAX_DELTA_BYTES * 2 + 10);
    g.push(&long, "");
    g.push_tool(call("1"));
    g.finish(end());
    let seen = drain(&mut g.watch()).await;
    let sizes: Vec<usize> = seen
        .iter()
        .filter_map(|e| match e {
            WatchEvent::Delta { content, .. } => Some(content.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, vec![MAX_DELTA_BYTES, MAX_DELTA_BYTES, 10]);
    assert_eq!(seen[3], WatchEvent::Tool(call("1")));
}
