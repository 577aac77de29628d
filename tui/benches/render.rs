//! Rendering figures for BENCHMARKS.md: the first frame, a frame of a 10,000-message
//! conversation with code blocks, and the per-token cost of streaming.
//!
//! `cargo bench -p chinwag --bench render`. Memory for 10,000 messages is printed first
//! (resident set before and after loading them).

use chinwag::text::theme::Theme;
use chinwag::ui::app::{App, Open, Settings};
use chinwag::ui::event::{Event, LinkEvent};
use chinwag::ui::keymap::Keymap;
use chinwag::ui::transcript::Entry;
use chinwag::ui::view;
use chinwag_protocol::{ConversationId, MessageId, MessageStatus, Role, ServerMsg};
use criterion::{Criterion, criterion_group, criterion_main};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::hint::black_box;

const W: u16 = 120;
const H: u16 = 40;

fn new_app() -> App {
    let mut app = App::new(Settings {
        theme: Theme::dark(),
        keymap: Keymap::default(),
        model: Some("llama3.2".into()),
        bot: None,
        open: Open::New,
        session: "bench".into(),
        cwd: None,
    });
    app.update(Event::Resize {
        width: W,
        height: H,
    });
    app.update(Event::Link(LinkEvent::Connected {
        endpoint: "local".into(),
        remote: false,
        user: "me".into(),
        max_message_bytes: 256 << 10,
    }));
    app
}

fn reply(i: usize) -> String {
    format!(
        "Answer **{i}**: here is how, with a list and some code.\n\n- first point\n- second point\n\n```rust\nfn answer_{i}() -> u64 {{\n    (0..{i}).map(|x| x * 2).sum()\n}}\n```\n\nThat is all.\n"
    )
}

fn loaded(n: usize) -> App {
    let mut app = new_app();
    for i in 0..n {
        let (role, text) = if i % 2 == 0 {
            (
                Role::User,
                format!("question number {i}: how do I sum doubled numbers?"),
            )
        } else {
            (Role::Assistant, reply(i))
        };
        let mut e = Entry::new(role, text);
        e.id = Some(MessageId(format!("{i:032x}")));
        app.transcript.entries.push(e);
    }
    app.conversation = Some(ConversationId("c".repeat(32)));
    app
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

fn memory_report() {
    let before = rss_kib();
    let mut app = loaded(10_000);
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    term.draw(|f| view::draw(f, &mut app)).expect("draw");
    let after = rss_kib();
    eprintln!(
        "memory: 10,000 messages loaded and drawn: +{} KiB resident ({} KiB total)",
        after.saturating_sub(before),
        after
    );
    black_box(&app);
}

fn benches(c: &mut Criterion) {
    memory_report();
    chinwag::text::highlight::warm_up();

    c.bench_function("first_frame (new app, empty transcript, draw)", |b| {
        b.iter(|| {
            let mut app = new_app();
            let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
            term.draw(|f| view::draw(f, &mut app)).expect("draw");
            black_box(term.backend().buffer().area);
        })
    });

    let mut app = loaded(10_000);
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    c.bench_function("frame at 10k messages (steady)", |b| {
        b.iter(|| {
            term.draw(|f| view::draw(f, &mut app)).expect("draw");
        })
    });

    // A frame after the window was resized: everything on screen is laid out again.
    let mut width = W;
    c.bench_function("frame at 10k messages (after a resize)", |b| {
        b.iter(|| {
            width = if width == W { W - 1 } else { W };
            let mut t = Terminal::new(TestBackend::new(width, H)).expect("terminal");
            app.update(Event::Resize { width, height: H });
            t.draw(|f| view::draw(f, &mut app)).expect("draw");
        })
    });

    // Streaming: one token into a reply that already holds ~4 KiB with code, then a frame.
    let mut app = loaded(10_000);
    let conv = ConversationId("c".repeat(32));
    let msg = MessageId("f".repeat(32));
    let base = reply(1).repeat(12);
    let mut e = Entry::new(Role::Assistant, base.clone());
    e.id = Some(msg.clone());
    e.status = MessageStatus::Streaming;
    app.transcript.entries.push(e);
    // Each iteration starts from the same ~4 KiB reply, so the figure does not drift as
    // the reply would grow over millions of iterations.
    let delta = |app: &mut App| {
        if let Some(e) = app.transcript.entries.last_mut() {
            e.content.truncate(base.len());
        }
        app.update(Event::Server(ServerMsg::Delta {
            id: "x".into(),
            conversation: conv.clone(),
            message: msg.clone(),
            content: " tok".into(),
            thinking: String::new(),
        }));
    };
    c.bench_function("streaming: apply one delta", |b| b.iter(|| delta(&mut app)));
    let mut term = Terminal::new(TestBackend::new(W, H)).expect("terminal");
    c.bench_function("streaming: delta + frame (4 KiB reply with code)", |b| {
        b.iter(|| {
            delta(&mut app);
            term.draw(|f| view::draw(f, &mut app)).expect("draw");
        })
    });
}

criterion_group! {
    name = render;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3));
    targets = benches
}
criterion_main!(render);
