//! The daemon's command line, shared by `chinwagd` and `chinwag daemon`.

use anyhow::{Context, Result};
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio_util::sync::CancellationToken;

/// Flags of `chinwagd` (and of `chinwag daemon`, which runs the same daemon).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct DaemonArgs {
    /// Config file [default: $XDG_CONFIG_HOME/chinwag/chinwagd.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Unix socket to listen on [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Also listen for WebSocket clients on this loopback TCP address (e.g. 127.0.0.1:7878)
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// History database [default: $XDG_DATA_HOME/chinwag/history.db]
    #[arg(long, value_name = "FILE")]
    pub database: Option<PathBuf>,
    /// Ollama's address, read like OLLAMA_HOST [default: $OLLAMA_HOST or 127.0.0.1:11434]
    #[arg(long, value_name = "HOST")]
    pub ollama_host: Option<String>,
    /// Model for chats that name none
    #[arg(long, value_name = "MODEL")]
    pub default_model: Option<String>,
    /// Also log to stderr (logs always go to the state dir)
    #[arg(long)]
    pub log_stderr: bool,
    /// How log lines are written: auto is human on a terminal, JSON otherwise (log files
    /// are JSON unless human is chosen)
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        env = "CHINWAG_LOG_FORMAT",
        default_value_t
    )]
    pub log_format: crate::logging::LogFormat,
    /// Log message contents too: for debugging only (the daemon warns at start while it is on)
    #[arg(long, env = "CHINWAG_LOG_CONTENT", value_parser = clap::builder::BoolishValueParser::new())]
    pub log_content: bool,
}

/// `chinwagd`: the chinwag daemon, a WebSocket API over Ollama with durable chat history.
///
/// Usually started for you by `chinwag`. Configuration layers: defaults, then
/// $XDG_CONFIG_HOME/chinwag/chinwagd.toml, then CHINWAG_* and OLLAMA_HOST, then these flags.
/// Stops gracefully on SIGINT or SIGTERM: replies in progress may finish for
/// `shutdown_grace_secs` (10 s), then are stored as cut.
#[derive(Debug, clap::Parser)]
#[command(name = "chinwagd", version, about, long_about)]
pub struct DaemonCli {
    #[command(subcommand)]
    pub admin: Option<AdminCommand>,
    #[command(flatten)]
    pub args: DaemonArgs,
}

/// Managing who may connect over TCP; with no command, `chinwagd` runs the daemon.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum AdminCommand {
    /// Users, who own conversations and hold tokens
    #[command(subcommand)]
    User(crate::admin::UserCommand),
    /// Bearer tokens for TCP clients (printed once; only a hash is kept)
    #[command(subcommand)]
    Token(crate::admin::TokenCommand),
    /// Certificates for the TCP listener
    #[command(subcommand)]
    Tls(crate::admin::TlsCommand),
    /// The config file
    #[command(subcommand)]
    Config(ConfigCommand),
}

/// `config …`: for deploy pipelines.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ConfigCommand {
    /// Check a config without starting: the file as the daemon reads it, its certificate
    /// files and the listener rule. Exit 0 when good; else 1 and the key and line at fault
    Check {
        /// The file [default: the daemon's config file]
        file: Option<PathBuf>,
    },
    /// Print every key, commented out, with its default and what it does (a starting
    /// chinwagd.toml; chinwagd.toml(5) comes from the same text)
    Default,
}

fn config_from(args: &DaemonArgs) -> Result<crate::Config> {
    let dirs = crate::Dirs::from_env()?;
    let flags = crate::Overrides {
        config: args.config.clone(),
        socket: args.socket.clone(),
        listen: args.listen,
        database: args.database.clone(),
        ollama_host: args.ollama_host.clone(),
        default_model: args.default_model.clone(),
    };
    crate::Config::load(&dirs, &flags)
}

/// Runs a `user` or `token` command against the configured store and prints its answer.
pub fn run_admin(args: &DaemonArgs, cmd: &AdminCommand) -> Result<()> {
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    if let AdminCommand::Config(ConfigCommand::Check { file }) = cmd {
        let dirs = crate::Dirs::from_env()?;
        let file = file
            .clone()
            .or_else(|| args.config.clone())
            .unwrap_or_else(|| dirs.config.join("chinwagd.toml"));
        return match crate::config_check::check(&dirs, &file) {
            Ok(summary) => {
                print!("{summary}");
                Ok(())
            }
            Err(why) => Err(anyhow::anyhow!(why)),
        };
    }
    if let AdminCommand::Config(ConfigCommand::Default) = cmd {
        print!("{}", crate::config_doc::default_config());
        return Ok(());
    }
    if let AdminCommand::Tls(c) = cmd {
        let dir = crate::Dirs::from_env()?.config.join("tls");
        print!("{}", crate::admin::run_tls(c, &dir)?);
        return Ok(());
    }
    let config = config_from(args)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let out = runtime.block_on(async {
        let store = crate::admin::open_store(&config.database)?;
        let out = match cmd {
            AdminCommand::User(c) => crate::admin::run_user(&store, c).await,
            AdminCommand::Token(c) => crate::admin::run_token(&store, c).await,
            AdminCommand::Tls(_) | AdminCommand::Config(_) => Ok(String::new()),
        };
        store.close().await;
        out
    })?;
    print!("{out}");
    Ok(())
}

/// Runs the daemon in the foreground until a signal. Errors are for the caller to print.
pub fn run_daemon(args: DaemonArgs) -> Result<()> {
    // Everything the daemon creates holds a user's data (store, logs, socket): owner only,
    // whatever umask the daemon was started with. Paths are also created with explicit modes.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let config = config_from(&args)?;
    let _log_guard = crate::logging::init(&crate::logging::LogOptions {
        dir: &config.log_dir,
        filter: &config.log,
        stderr: args.log_stderr,
        format: args.log_format,
        keep: config.log_keep,
        content: args.log_content,
    })?;
    raise_fd_limit();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        let listeners = crate::bind_listeners(&config).await?;
        let shutdown = CancellationToken::new();
        tokio::spawn(stop_on_signal(shutdown.clone()));
        crate::run(config, listeners, shutdown).await
    })
}

/// SIGINT or SIGTERM starts a graceful shutdown; replies in progress are stored.
async fn stop_on_signal(shutdown: CancellationToken) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        tracing::error!("cannot listen for signals; stop the daemon with SIGKILL");
        return;
    };
    tokio::select! {
        _ = term.recv() => tracing::info!("SIGTERM"),
        _ = int.recv() => tracing::info!("SIGINT"),
    }
    shutdown.cancel();
}

/// Each connection is a file descriptor; lift the soft limit to the hard one.
fn raise_fd_limit() {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current < lim.maximum {
        let raised = Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        };
        if let Err(e) = setrlimit(Resource::Nofile, raised) {
            tracing::debug!(error = %e, "could not raise the open-file limit");
        }
    }
}
