//! Files and images with a message: read by the client, sent in the protocol, checked by the
//! daemon, stored with the message, and sent to the backend in the exact fields it takes
//! (Ollama's `images`, the OpenAI shape's `image_url` parts); a binary, an oversize file or
//! an image of another type is refused before anything is sent.

use crate::cli::{Cleanup, chinwag, run, text};
use chinwag_protocol::{Attachment, AttachmentKind, ClientMsg, ErrorCode, ServerMsg};
use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use serde_json::json;

/// The smallest PNG there is: a signature and an IHDR of a 1×1 image.
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_file_and_an_image_reach_ollama_in_its_own_fields() {
    use base64::Engine as _;
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let notes = dir.path().join("notes.md");
    std::fs::write(&notes, "buy milk\n").expect("notes");
    let png = dir.path().join("dot.png");
    std::fs::write(&png, PNG).expect("png");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "-f"])
        .arg(&notes)
        .arg("-i")
        .arg(&png)
        .arg("what is this?");
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    let sent = &fake.chats()[0]["messages"][0];
    assert_eq!(sent["role"], "user");
    assert_eq!(
        sent["content"],
        format!(
            "File {}:\n```\nbuy milk\n```\n\nwhat is this?",
            notes.display()
        )
    );
    assert_eq!(
        sent["images"],
        json!([base64::engine::general_purpose::STANDARD.encode(PNG)])
    );

    // Stored with the message: `history show` says what was attached, not the bytes.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "list", "--json"]);
    let list: serde_json::Value =
        serde_json::from_slice(&run(cmd, None).await.stdout).expect("list");
    let id = list[0]["id"].as_str().expect("id").to_string();
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "show", &id, "--json"]);
    let shown: serde_json::Value =
        serde_json::from_slice(&run(cmd, None).await.stdout).expect("show");
    let attached = &shown["messages"][0]["attachments"];
    assert_eq!(attached[0]["kind"], "text");
    assert_eq!(attached[0]["bytes"], 9);
    assert_eq!(attached[1]["kind"], "image");
    assert_eq!(attached[1]["mime"], "image/png");
    assert!(attached[1].get("data").is_none(), "{attached}");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["history", "show", &id]);
    let md = text(&run(cmd, None).await.stdout);
    assert!(md.contains("dot.png (image, 33 bytes)"), "{md}");

    // The next turn sends them again, as history.
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-c", "and now?"]);
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", text(&out.stderr));
    assert_eq!(fake.chats()[1]["messages"][0]["images"], sent["images"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_an_oversize_file_or_a_wrong_image_is_refused_before_anything_is_sent() {
    let dir = tempfile::tempdir().expect("tmp");
    let _cleanup = Cleanup(dir.path().to_path_buf());
    let fake = FakeOllama::start().await;
    let bin = dir.path().join("a.out");
    std::fs::write(&bin, b"\x7fELF\0\0\x01").expect("bin");
    let big = dir.path().join("big.log");
    std::fs::write(&big, "x".repeat(2 << 20)).expect("big");
    let gif = dir.path().join("anim.png");
    std::fs::write(&gif, b"GIF89a\x01\0\x01\0").expect("gif");
    for (flag, path, says) in [
        ("-f", &bin, "is a binary file"),
        ("-f", &big, "a text file may be up to"),
        ("-i", &gif, "not a PNG, JPEG or WebP"),
    ] {
        let mut cmd = chinwag(dir.path(), &fake.host());
        cmd.args(["-m", "llama3.2", flag]).arg(path).arg("look");
        let out = run(cmd, None).await;
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains(says), "{}", text(&out.stderr));
    }
    // A frame past the daemon's limit is refused by the client, saying why.
    let png = dir.path().join("big.png");
    let mut bytes = PNG.to_vec();
    bytes.resize(300 * 1024, 0);
    std::fs::write(&png, bytes).expect("png");
    let mut cmd = chinwag(dir.path(), &fake.host());
    cmd.args(["-m", "llama3.2", "-i"]).arg(&png).arg("look");
    let out = run(cmd, None).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("max_message_bytes"),
        "{}",
        text(&out.stderr)
    );
    assert!(fake.chats().is_empty(), "nothing reached Ollama");
}

#[tokio::test]
async fn the_daemon_checks_what_a_client_says_a_file_is() {
    let (_dir, fake, daemon) = crate::setup().await;
    let mut c = TestClient::connect(&daemon.socket).await;
    let mut msg = chinwag_tests::client::chat("a", "look");
    if let ClientMsg::Chat { attachments, .. } = &mut msg {
        attachments.push(Attachment {
            name: "fake.png".into(),
            kind: AttachmentKind::Image,
            bytes: 6,
            mime: Some("image/png".into()),
            text: None,
            data: Some("R0lGODlh".into()),
        });
    }
    match c.call(msg).await {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::InvalidRequest);
            assert!(message.contains("not a PNG, JPEG or WebP"), "{message}");
        }
        other => panic!("expected invalid_request, got {other:?}"),
    }
    assert!(c.conversations().await.is_empty());
    assert!(fake.chats().is_empty());
}
