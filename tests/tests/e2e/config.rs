//! `chinwag daemon config check FILE` (and `chinwagd config check`), run as a deploy
//! pipeline would: exit 0 and a summary for a good file; exit 1 naming the key and the line
//! for a bad one, whether the TOML, a value, the certificate files or the listener rule.

use chinwag_tests::harness::{bin, isolated_env};
use std::path::Path;
use std::process::Command;

/// Runs `chinwag daemon config check` on `text`; (exit code, stdout, stderr).
fn check(dir: &Path, text: &str) -> (Option<i32>, String, String) {
    let file = dir.join("candidate.toml");
    std::fs::write(&file, text).expect("write");
    let mut cmd = Command::new(bin("chinwag"));
    isolated_env(&mut cmd, dir, "127.0.0.1:1");
    let out = cmd
        .args(["daemon", "config", "check"])
        .arg(&file)
        .output()
        .expect("run chinwag");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn config_check_passes_a_good_file_and_names_the_line_of_a_bad_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let (code, out, err) = check(
        dir.path(),
        "listen = \"127.0.0.1:7878\"\n[bots.coder]\nmodel = \"qwen2.5-coder\"\n",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("candidate.toml: ok"), "{out}");
    assert!(
        out.contains("ws://127.0.0.1:7878") && out.contains("1 bot(s)"),
        "{out}"
    );

    for (text, line, says) in [
        (
            "default_model = \"x\"\n\n[bots.coder]\nmodle = \"y\"\n",
            "line 4",
            "modle",
        ),
        (
            "# a comment\nmax_generations = 0\n",
            "candidate.toml:2:",
            "max_generations",
        ),
        (
            "[timeouts]\nfirst_token_secs = 0\n",
            "candidate.toml:2:",
            "first_token_secs",
        ),
        (
            "listen = \"0.0.0.0:8443\"\n",
            "candidate.toml:1:",
            "without TLS",
        ),
        (
            "listen = \"0.0.0.0:8443\"\n[tls]\ncert = \"/nonexistent/cert.pem\"\nkey = \"/nonexistent/key.pem\"\n",
            "candidate.toml:3:",
            "/nonexistent/cert.pem",
        ),
    ] {
        let (code, _, err) = check(dir.path(), text);
        assert_eq!(code, Some(1), "{text}: {err}");
        assert!(err.contains(line) && err.contains(says), "{text}: {err}");
    }
    let (code, _, err) = check(dir.path(), "default_bot = \"nobody\"\n");
    assert_eq!(code, Some(1));
    assert!(
        err.contains("candidate.toml:1:") && err.contains("nobody"),
        "{err}"
    );
}
