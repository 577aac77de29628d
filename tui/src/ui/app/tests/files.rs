//! `@path` in a chat screen message: the files are read (by the runner) before the chat goes,
//! and go with it; a file that cannot go gives the words back with why.

use super::*;
use chinwag_protocol::{Attachment, AttachmentKind};

fn text_file(name: &str) -> Attachment {
    Attachment {
        name: name.into(),
        kind: AttachmentKind::Text,
        bytes: 5,
        mime: None,
        text: Some("hello".into()),
        data: None,
    }
}

#[test]
fn at_paths_are_read_first_then_sent_with_the_message() {
    let mut a = app();
    connect(&mut a);
    type_text(&mut a, "explain @src/main.rs, please");
    let fx = key(&mut a, KeyCode::Enter);
    let (content, paths) = fx
        .iter()
        .find_map(|e| match e {
            Effect::ReadFiles { content, paths } => Some((content.clone(), paths.clone())),
            _ => None,
        })
        .expect("the files are read first");
    assert_eq!(paths, ["src/main.rs"]);
    assert!(
        sent(&fx).is_empty(),
        "nothing goes before the files are read"
    );
    let fx = a.update(Event::FilesRead {
        content,
        files: Ok(vec![text_file("src/main.rs")]),
    });
    match sent(&fx).as_slice() {
        [
            ClientMsg::Chat {
                content,
                attachments,
                ..
            },
        ] => {
            assert_eq!(content, "explain @src/main.rs, please");
            assert_eq!(attachments, &vec![text_file("src/main.rs")]);
        }
        other => panic!("expected the chat, got {other:?}"),
    }
    let shown = a.transcript.entries.last().expect("the message");
    assert_eq!(shown.attachments[0].name, "src/main.rs");
    assert!(
        shown.attachments[0].text.is_none(),
        "only what was attached is kept"
    );
}

#[test]
fn a_file_that_cannot_go_gives_the_words_back() {
    let mut a = app();
    connect(&mut a);
    type_text(&mut a, "look at @a.out");
    key(&mut a, KeyCode::Enter);
    let fx = a.update(Event::FilesRead {
        content: "look at @a.out".into(),
        files: Err("a.out is a binary file".into()),
    });
    assert!(sent(&fx).is_empty());
    assert_eq!(a.input_text(), "look at @a.out");
    let notice = a
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert!(notice.contains("binary"), "{notice}");
}

#[test]
fn tab_completes_an_at_path_from_what_the_runner_lists() {
    let mut a = app();
    connect(&mut a);
    type_text(&mut a, "read @sr");
    let fx = key(&mut a, KeyCode::Tab);
    assert!(
        fx.iter()
            .any(|e| matches!(e, Effect::CompletePath(p) if p == "sr")),
        "{fx:?}"
    );
    a.update(Event::PathCompletions {
        prefix: "sr".into(),
        items: vec!["src/".into()],
    });
    assert_eq!(a.input_text(), "read @src/");
    a.update(Event::PathCompletions {
        prefix: "src/".into(),
        items: vec!["src/main.rs".into(), "src/mod.rs".into()],
    });
    assert_eq!(a.input_text(), "read @src/m");
    let notice = a
        .notice
        .as_ref()
        .map(|n| n.text.clone())
        .unwrap_or_default();
    assert_eq!(notice, "main.rs  mod.rs");
}
