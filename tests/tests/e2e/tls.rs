//! wss:// end to end, with certificates made in the test (rcgen): a leaf signed by a test CA
//! serves; the client trusts it through --ca-file or a pinned --fingerprint, refuses it with
//! the fingerprint named when nothing vouches for it, and refuses loudly when the pin differs
//! or another CA is given. Nothing is sent to a server the client does not trust.

use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, bin, isolated_vars, make_token, test_config};
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};
use std::path::Path;

/// A CA, and a leaf for `localhost` and 127.0.0.1 signed by it; writes ca.pem, cert.pem and
/// key.pem into `dir`; returns the leaf's fingerprint.
fn make_pki(dir: &Path, ca_name: &str) -> String {
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, ca_name);
    let ca =
        CertifiedIssuer::self_signed(ca_params, KeyPair::generate().expect("key")).expect("a CA");
    let leaf_key = KeyPair::generate().expect("key");
    let leaf = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&leaf_key, &ca)
        .expect("a leaf");
    std::fs::create_dir_all(dir).expect("mkdir");
    std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write");
    std::fs::write(dir.join("cert.pem"), leaf.pem()).expect("write");
    std::fs::write(dir.join("key.pem"), leaf_key.serialize_pem()).expect("write");
    chinwagd::tls::fingerprint(leaf.der())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_is_trusted_by_ca_file_or_pin_and_refused_otherwise_naming_the_fingerprint() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let pki = dir.path().join("pki");
    let print = make_pki(&pki, "chinwag test CA");
    let other = dir.path().join("other");
    make_pki(&other, "someone else's CA");
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.tls = Some(chinwagd::tls::TlsFiles {
        cert: pki.join("cert.pem"),
        key: pki.join("key.pem"),
    });
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let port = daemon.tcp.expect("tcp").port();
    let url = format!("wss://localhost:{port}/");

    let client = dir.path().join("client");
    let run = |extra: &[&str], token: &str| {
        let mut cmd = std::process::Command::new(bin("chinwag"));
        cmd.env_clear()
            .envs(isolated_vars(&client, &fake.host()))
            .env("CHINWAG_TOKEN", token)
            .args(["--url", &url])
            .args(extra)
            .args(["status", "--json"]);
        let out = cmd.output().expect("run chinwag");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let ca = pki.join("ca.pem").display().to_string();
    let wrong_ca = other.join("ca.pem").display().to_string();

    // Trusted through its CA, or through the pinned fingerprint.
    let (code, out, err) = run(&["--ca-file", &ca], &token);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("\"user\": \"alice\""), "{out}");
    assert!(out.contains("wss: tcp 127.0.0.1"), "status says TLS: {out}");
    let (code, _, err) = run(&["--fingerprint", &print], &token);
    assert_eq!(code, Some(0), "{err}");

    // Nothing vouches for it: refused, naming the fingerprint to pin.
    let (code, _, err) = run(&[], &token);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains(&print) && err.contains("--fingerprint"),
        "{err}"
    );
    // Another CA, or another pin: refused loudly.
    let (code, _, err) = run(&["--ca-file", &wrong_ca], &token);
    assert_eq!(code, Some(1), "{err}");
    let wrong_pin = "00:".repeat(31) + "00";
    let (code, _, err) = run(&["--fingerprint", &wrong_pin], &token);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("has changed") && err.contains(&print), "{err}");

    // Trusted, with a wrong token: 401, exit 5.
    let (code, _, err) = run(&["--ca-file", &ca], "cw_000000000000_00");
    assert_eq!(code, Some(5), "{err}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_trusts_a_certificate_on_first_use_pins_it_and_refuses_a_changed_one() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let pki = dir.path().join("pki");
    let print = make_pki(&pki, "chinwag test CA");
    let mut config = test_config(dir.path(), &fake.host());
    config.listen = Some("127.0.0.1:0".parse().expect("addr"));
    config.tls = Some(chinwagd::tls::TlsFiles {
        cert: pki.join("cert.pem"),
        key: pki.join("key.pem"),
    });
    let token = make_token(&config.database, "bob", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let url = format!("wss://localhost:{}/", daemon.tcp.expect("tcp").port());
    let client = dir.path().join("client");
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).expect("token file");
    let chinwag = |args: &[&str], stdin: &str| {
        use std::io::Write;
        let mut cmd = std::process::Command::new(bin("chinwag"));
        cmd.env_clear()
            .envs(isolated_vars(&client, &fake.host()))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().expect("run chinwag");
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("wait");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let tf = token_file.display().to_string();
    let remotes = client.join("config/chinwag/remotes.toml");

    // Shown and declined: nothing kept.
    let (code, err) = chinwag(&["login", &url, "--token-file", &tf], "n\n");
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&print), "the fingerprint is shown: {err}");
    assert!(!remotes.exists());
    // Shown and accepted: kept, 0600.
    let (code, err) = chinwag(&["login", &url, "--token-file", &tf], "y\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("logged in") && err.contains("bob"), "{err}");
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&remotes)
        .expect("kept")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    // Afterwards the URL alone is enough.
    let (code, err) = chinwag(&["--url", &url, "status"], "");
    assert_eq!(code, Some(0), "{err}");

    // The pinned certificate changes (here: the pin does): refused loudly, naming the file.
    let kept = std::fs::read_to_string(&remotes).expect("read");
    std::fs::write(&remotes, kept.replace(&print, &("00:".repeat(31) + "00"))).expect("tamper");
    let (code, err) = chinwag(&["--url", &url, "status"], "");
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("has changed") && err.contains("remotes.toml"),
        "{err}"
    );

    let (code, err) = chinwag(&["logout", &url], "");
    assert_eq!(code, Some(0), "{err}");
    let (code, err) = chinwag(&["--url", &url, "status"], "");
    assert_eq!(
        code,
        Some(1),
        "neither token nor trust is kept any more: {err}"
    );
    assert!(err.contains(&print), "{err}");
    daemon.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ollama_behind_https_is_reached_with_its_ca_and_refused_without_it() {
    use chinwag_protocol::{ErrorCode, ServerMsg};
    use chinwag_tests::client::{TestClient, assembled, chat};
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let dir = tempfile::tempdir().expect("tmp");
    let pki = dir.path().join("pki");
    make_pki(&pki, "proxy CA");
    let (server, _) = chinwagd::tls::load(&chinwagd::tls::TlsFiles {
        cert: pki.join("cert.pem"),
        key: pki.join("key.pem"),
    })
    .expect("the fake's certificate");
    let fake = FakeOllama::start_tls(server).await;
    let ca: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(pki.join("ca.pem"))
        .expect("ca")
        .collect::<Result<_, _>>()
        .expect("ca");

    // With the proxy's CA: a whole chat over https.
    let mut config = test_config(dir.path(), &fake.https_host());
    config.ollama_roots = ca;
    let daemon = TestDaemon::start(dir.path(), config).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    c.send(&chat("c", "hi")).await;
    let msgs = c.until(|m| matches!(m, ServerMsg::Done { .. })).await;
    assert_eq!(assembled(&msgs), "Hello from the fake.");
    daemon.stop().await;

    // Without it: refused, saying what to set.
    let other = tempfile::tempdir().expect("tmp");
    let daemon =
        TestDaemon::start(other.path(), test_config(other.path(), &fake.https_host())).await;
    let mut c = TestClient::connect(&daemon.socket).await;
    match c.call(chat("c", "hi")).await {
        ServerMsg::Error { code, message, .. } => {
            assert_eq!(code, ErrorCode::BackendUnavailable);
            assert!(message.contains("ollama_ca_file"), "{message}");
        }
        other => panic!("expected backend_unavailable, got {other:?}"),
    }
    daemon.stop().await;
}
