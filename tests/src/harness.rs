//! Daemons for tests: in-process (the library's `run` with our own listener and shutdown
//! trigger) or as a real process of the built `chinwag` binary, each in its own temp dirs.

use chinwagd::store::Durability;
use chinwagd::{Config, ollama::parse_ollama_host};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A daemon running inside the test process.
#[derive(Debug)]
pub struct TestDaemon {
    pub dir: PathBuf,
    pub socket: PathBuf,
    pub database: PathBuf,
    /// The loopback TCP address, when the config asked for one.
    pub tcp: Option<std::net::SocketAddr>,
    shutdown: CancellationToken,
    task: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A config pointing everything into `dir`.
pub fn test_config(dir: &Path, ollama_host: &str) -> Config {
    Config {
        socket: dir.join("run/chinwagd.sock"),
        listen: None,
        database: dir.join("data/history.db"),
        ollama: parse_ollama_host(ollama_host),
        ollama_roots: Vec::new(),
        default_model: None,
        default_bot: None,
        durability: Durability::Normal,
        max_message_bytes: chinwag_protocol::DEFAULT_MAX_MESSAGE_BYTES,
        max_content_chars: chinwagd::config::DEFAULT_MAX_CONTENT_CHARS,
        caps: chinwagd::server::caps::CapConfig::default(),
        max_generations: 4,
        max_queued_generations: 32,
        log: "warn".into(),
        log_dir: dir.join("state"),
        log_keep: 7,
        bots: BTreeMap::new(),
        // Tests that stop a daemon mid-reply want it cut at once; the grace has its own tests.
        timeouts: chinwagd::config::Timeouts {
            shutdown_grace: Duration::ZERO,
            ..chinwagd::config::Timeouts::default()
        },
        tls: None,
        limits: chinwagd::limits::LimitConfig::REMOTE,
        local_limits: chinwagd::limits::LimitConfig::LOCAL,
        user_limits: BTreeMap::new(),
        token_limits: BTreeMap::new(),
        trust_proxy: Vec::new(),
        exec: chinwagd::exec::ExecConfig::default(),
        tools: chinwagd::tools::ToolsConfig::default(),
        backends: Default::default(),
        config_file: None,
        source: None,
    }
}

impl TestDaemon {
    /// Starts a daemon with `config`; returns once its socket accepts connections.
    pub async fn start(dir: &Path, config: Config) -> TestDaemon {
        let listeners = chinwagd::bind_listeners(&config)
            .await
            .expect("bind the daemon");
        let tcp = listeners.iter().find_map(|l| match l {
            chinwagd::Listener::Tcp(t) => t.local_addr().ok(),
            chinwagd::Listener::Unix { .. } => None,
        });
        let shutdown = CancellationToken::new();
        let (socket, database) = (config.socket.clone(), config.database.clone());
        let task = tokio::spawn(chinwagd::run(config, listeners, shutdown.clone()));
        TestDaemon {
            dir: dir.to_path_buf(),
            socket,
            database,
            tcp,
            shutdown,
            task: Some(task),
        }
    }

    /// Graceful stop: returns after the daemon has drained and closed its store.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(task) = self.task.take() {
            let r = tokio::time::timeout(Duration::from_secs(20), task)
                .await
                .expect("daemon stops in time");
            r.expect("daemon task").expect("daemon ran cleanly");
        }
    }
}

impl Drop for TestDaemon {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

static BUILT_ONCE: OnceLock<PathBuf> = OnceLock::new();

/// The variables cargo sets for a crate being built or tested (the Cargo book's "Environment
/// variables Cargo sets for crates"), by prefix.
const CRATE_ENV: &[&str] = &[
    "CARGO_MANIFEST_",
    "CARGO_PKG_",
    "CARGO_CRATE_NAME",
    "CARGO_BIN_",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "CARGO_RUSTC_CURRENT_DIR",
];

/// The built binary `name` (`chinwag`), built first if need be (once per test process).
pub fn bin(name: &str) -> PathBuf {
    let dir = BUILT_ONCE.get_or_init(|| {
        let dir = profile_dir();
        let status = cargo(&dir)
            .args(["build", "--quiet", "-p", "chinwag", "--bin", "chinwag"])
            .status()
            .expect("run cargo build");
        assert!(status.success(), "building the binaries failed");
        dir
    });
    dir.join(name)
}

/// `cargo` for the workspace, building into the target dir holding `profile_dir` (such as
/// target/debug), with none of the variables cargo set for this test process: ring's build
/// script tracks CARGO_MANIFEST_DIR, so passing them on rebuilt ring (and all above it) on
/// every run.
pub fn cargo(profile_dir: &Path) -> Command {
    let program = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(program);
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy();
        if CRATE_ENV.iter().any(|p| key.starts_with(p)) {
            cmd.env_remove(&*key);
        }
    }
    cmd.current_dir(env!("CARGO_MANIFEST_DIR")).env(
        "CARGO_TARGET_DIR",
        profile_dir.parent().unwrap_or(profile_dir),
    );
    cmd
}

/// The target dir's profile folder this test binary was built into (target/debug).
pub fn profile_dir() -> PathBuf {
    // target/debug/deps/e2e-xxxx -> target/debug
    let exe = std::env::current_exe().expect("current exe");
    exe.parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf()
}

/// The whole environment of a `chinwag` process pointed at `dir` and at Ollama `host`.
pub fn isolated_vars(dir: &Path, ollama_host: &str) -> Vec<(&'static str, String)> {
    let path = |p: &str| dir.join(p).to_string_lossy().into_owned();
    vec![
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", path("home")),
        ("XDG_RUNTIME_DIR", path("run")),
        ("XDG_DATA_HOME", path("data")),
        ("XDG_STATE_HOME", path("state")),
        ("XDG_CONFIG_HOME", path("config")),
        ("OLLAMA_HOST", ollama_host.to_string()),
        ("CHINWAG_LOG", "info".to_string()),
    ]
}

/// Points a `chinwag` process at `dir` and at Ollama `host`, and nothing else.
pub fn isolated_env(cmd: &mut Command, dir: &Path, ollama_host: &str) {
    cmd.env_clear().envs(isolated_vars(dir, ollama_host));
}

/// The socket a `chinwag` process with [`isolated_env`] uses.
pub fn isolated_socket(dir: &Path) -> PathBuf {
    dir.join("run/chinwag/chinwagd.sock")
}

/// The database a daemon with [`isolated_env`] uses.
pub fn isolated_database(dir: &Path) -> PathBuf {
    dir.join("data/chinwag/history.db")
}

/// A daemon as a real process (`chinwag daemon`), killed when dropped.
#[derive(Debug)]
pub struct DaemonProcess {
    pub child: Child,
    pub socket: PathBuf,
}

impl DaemonProcess {
    pub async fn start(dir: &Path, ollama_host: &str) -> DaemonProcess {
        Self::start_with(dir, ollama_host, &[]).await
    }

    /// Like [`DaemonProcess::start`], with these variables added to its environment.
    pub async fn start_with(dir: &Path, ollama_host: &str, vars: &[(&str, &str)]) -> DaemonProcess {
        let mut cmd = Command::new(bin("chinwag"));
        isolated_env(&mut cmd, dir, ollama_host);
        cmd.envs(vars.iter().copied());
        cmd.arg("daemon")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        let child = cmd.spawn().expect("spawn the daemon");
        let socket = isolated_socket(dir);
        wait_for_socket(&socket).await;
        DaemonProcess { child, socket }
    }

    /// SIGTERM, then waits (off the runtime, bounded at 60 s) for the process to exit;
    /// its exit status.
    pub async fn terminate(mut self) -> std::process::ExitStatus {
        let pid = rustix::process::Pid::from_raw(self.child.id() as i32).expect("a pid");
        rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for the daemon") {
                return status;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the daemon did not exit within 60 s of SIGTERM"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGKILL, then reap.
    pub fn kill9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends SIGINT (Ctrl-C) to `child` and waits (at most 20 s) for its exit status.
pub async fn interrupt(child: &mut tokio::process::Child) -> std::process::ExitStatus {
    let pid = child
        .id()
        .and_then(|p| rustix::process::Pid::from_raw(p as i32))
        .expect("a running child");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("the child exits after SIGINT")
        .expect("its status")
}

/// A free loopback port (bound and released: the daemon or server under test binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits (bounded) until something accepts on `socket`.
pub async fn wait_for_socket(socket: &Path) {
    wait_until("the daemon socket accepts", || async {
        tokio::net::UnixStream::connect(socket).await.is_ok()
    })
    .await;
}

/// Polls `pred` until it holds; panics after 20 s naming `what`.
pub async fn wait_until<F, Fut>(what: &str, pred: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    wait_for(what, || async { pred().await.then_some(()) }).await;
}

/// Polls `get` until it gives something, and returns it; panics after 20 s naming `what`.
pub async fn wait_for<T, F, Fut>(what: &str, get: F) -> T
where
    F: Fn() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    let mut pause = Duration::from_millis(2);
    loop {
        if let Some(v) = get().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(50));
    }
}

/// Kills the daemon a `chinwag` process autostarted in `dir`, by the pid in its status.
pub fn kill_autostarted(dir: &Path) {
    if std::thread::panicking() && BUILT_ONCE.get().is_none() {
        return; // nothing was started, and building now could panic inside a panic
    }
    let mut cmd = Command::new(bin("chinwag"));
    isolated_env(&mut cmd, dir, "http://127.0.0.1:9");
    let out = cmd.args(["status", "--json", "--no-autostart"]).output();
    let pid = out
        .ok()
        .and_then(|o| serde_json::from_slice::<serde_json::Value>(&o.stdout).ok())
        .and_then(|v| v.get("pid").and_then(serde_json::Value::as_i64));
    if let Some(pid) = pid.and_then(|p| rustix::process::Pid::from_raw(p as i32)) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

/// A process's resident memory in KiB (0 when it cannot be read).
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Makes (if need be) `user` and a token for it with `scopes`, in the store at `database`,
/// as `chinwagd token create` does; returns the token. A daemon already running picks it up
/// within a second.
pub async fn make_token(
    database: &Path,
    user: &str,
    scopes: &str,
    expires: Option<&str>,
) -> String {
    let store = chinwagd::admin::open_store(database).expect("open the store");
    if let Err(e) = store.add_user(user).await {
        assert!(e.detail.contains("already exists"), "{}", e.detail);
    }
    let (secret, _) = chinwagd::admin::create_token(&store, user, scopes, expires, None)
        .await
        .expect("create a token");
    store.close().await;
    secret
}
