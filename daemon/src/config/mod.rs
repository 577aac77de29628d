//! The daemon's configuration: defaults < `chinwagd.toml` < `CHINWAG_*` / `OLLAMA_HOST` < flags.
//!
//! Unknown keys in the file are errors that name the key; a bad environment value names the
//! variable. Paths come from the XDG base directories through `directories`.

use crate::limits::LimitConfig;
use crate::ollama::{OllamaUrl, parse_ollama_host};
use crate::server::caps::CapConfig;
use crate::store::Durability;
use anyhow::{Context, Result, bail};
use chinwag_protocol::{BotInfo, DEFAULT_MAX_MESSAGE_BYTES, GenOptions, paths};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The longest chat message by default, in characters: a long paste fits, a runaway does not.
pub const DEFAULT_MAX_CONTENT_CHARS: usize = 100_000;

/// The file as written by a user. Every field optional; unknown fields rejected.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub socket: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub database: Option<PathBuf>,
    pub ollama_host: Option<String>,
    /// CA certificates (PEM) to trust for an `https://` Ollama, besides the public ones.
    pub ollama_ca_file: Option<PathBuf>,
    pub default_model: Option<String>,
    pub default_bot: Option<String>,
    pub durability: Option<Durability>,
    pub max_message_bytes: Option<usize>,
    pub max_content_chars: Option<usize>,
    pub max_connections: Option<usize>,
    pub max_connections_per_user: Option<usize>,
    pub max_connections_per_ip: Option<usize>,
    pub max_handshakes_per_ip: Option<usize>,
    pub max_generations: Option<usize>,
    pub max_queued_generations: Option<usize>,
    pub log: Option<String>,
    pub log_dir: Option<PathBuf>,
    /// Rotated log files kept, one a day.
    pub log_keep: Option<usize>,
    #[serde(default)]
    pub timeouts: FileTimeouts,
    #[serde(default)]
    pub limits: FileLimits,
    pub tls: Option<crate::tls::TlsFiles>,
    /// Addresses of TLS-terminating proxies in front: only from them is `X-Forwarded-For`
    /// believed, and with them plain TCP may listen beyond loopback.
    #[serde(default)]
    pub trust_proxy: Vec<std::net::IpAddr>,
    #[serde(default)]
    pub bots: BTreeMap<String, BotConfig>,
    #[serde(default)]
    pub exec: FileExec,
    #[serde(default)]
    pub tools: crate::tools::FileTools,
    /// Servers besides the default Ollama, by name.
    #[serde(default)]
    pub backends: BTreeMap<String, crate::backend::BackendConfig>,
}

/// `[exec]`: the command executor.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileExec {
    pub root: Option<PathBuf>,
    pub timeout_secs: Option<u64>,
    pub output_cap_bytes: Option<usize>,
    pub max_running_per_user: Option<usize>,
    pub memory_bytes: Option<u64>,
    pub file_size_bytes: Option<u64>,
    pub max_processes: Option<u64>,
    /// Built-in programs to drop from the policy.
    #[serde(default)]
    pub disable: Vec<String>,
    /// Programs added to the policy, or replacing built-in ones whole.
    #[serde(default)]
    pub programs: BTreeMap<String, crate::exec::policy::Program>,
}

/// `[timeouts]`, in whole seconds.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTimeouts {
    pub first_token_secs: Option<u64>,
    pub between_tokens_secs: Option<u64>,
    pub client_write_secs: Option<u64>,
    pub shutdown_grace_secs: Option<u64>,
}

/// `[limits]` for token users, and `[limits.local]` for the daemon's own OS user.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLimits {
    pub messages_per_minute: Option<u32>,
    pub burst: Option<u32>,
    pub concurrent_generations: Option<u32>,
    pub output_tokens_per_minute: Option<u32>,
    pub local: Option<FileLocalLimits>,
    /// `[limits.users.NAME]`: a user's own limits, over the token users' defaults.
    #[serde(default)]
    pub users: BTreeMap<String, FileLocalLimits>,
    /// `[limits.tokens.cw_ID]`: one token's own limits, over the defaults, counted apart
    /// from its user's.
    #[serde(default)]
    pub tokens: BTreeMap<String, FileLocalLimits>,
}

/// `[limits.local]`, or `[limits.users.NAME]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileLocalLimits {
    pub messages_per_minute: Option<u32>,
    pub burst: Option<u32>,
    pub concurrent_generations: Option<u32>,
    pub output_tokens_per_minute: Option<u32>,
}

fn limit_config(
    base: LimitConfig,
    per_minute: Option<u32>,
    burst: Option<u32>,
    concurrent: Option<u32>,
    output_tokens: Option<u32>,
) -> Result<LimitConfig> {
    let c = LimitConfig {
        output_tokens_per_minute: output_tokens.unwrap_or(base.output_tokens_per_minute),
        messages_per_minute: per_minute.unwrap_or(base.messages_per_minute),
        // A rate given without a burst bursts as much as it allows in a minute.
        burst: burst.or(per_minute).unwrap_or(base.burst),
        concurrent_generations: concurrent.unwrap_or(base.concurrent_generations),
    };
    if c.messages_per_minute == 0
        || c.burst == 0
        || c.concurrent_generations == 0
        || c.output_tokens_per_minute == 0
    {
        bail!("[limits] values must be at least 1");
    }
    Ok(c)
}

/// `[limits.users.NAME]` or `[limits.tokens.ID]`: each over the `[limits]` defaults.
fn overrides(
    file: &FileLimits,
    map: &BTreeMap<String, FileLocalLimits>,
    section: &str,
) -> Result<BTreeMap<String, LimitConfig>> {
    let base = limit_config(
        LimitConfig::REMOTE,
        file.messages_per_minute,
        file.burst,
        file.concurrent_generations,
        file.output_tokens_per_minute,
    )?;
    let mut out = BTreeMap::new();
    for (name, l) in map {
        if section == "tokens" && crate::auth::token::parse_id(name).is_none() {
            bail!(
                "[limits.tokens.{name}]: not a token id (cw_ and 12 hex digits, as \
                 `chinwagd token list` shows)"
            );
        }
        let c = limit_config(
            base,
            l.messages_per_minute,
            l.burst,
            l.concurrent_generations,
            l.output_tokens_per_minute,
        )
        .with_context(|| format!("[limits.{section}.{name}]"))?;
        // Token ids are lower-case hex as issued; users are named exactly.
        let key = match section {
            "tokens" => name.to_ascii_lowercase(),
            _ => name.clone(),
        };
        out.insert(key, c);
    }
    Ok(out)
}

/// How long the daemon waits on the backend and on clients.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// From sending a chat to Ollama until its first token (a cold model loads meanwhile).
    pub first_token: Duration,
    /// Between two tokens of a reply once it has started.
    pub between_tokens: Duration,
    /// Watchers are told `loading` when the first token has not come after this long.
    pub loading_notice: Duration,
    /// A client that leaves a frame unread this long is cut off (close 1008).
    pub client_write: Duration,
    /// Keepalive ping period.
    pub ping_every: Duration,
    /// A connection from which nothing (not even a pong) arrives this long is closed (1001).
    pub client_idle: Duration,
    /// On SIGTERM, replies in progress may finish for this long; then they are cut and
    /// stored `incomplete`.
    pub shutdown_grace: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            first_token: Duration::from_secs(300),
            between_tokens: Duration::from_secs(120),
            loading_notice: Duration::from_secs(1),
            client_write: Duration::from_secs(30),
            ping_every: Duration::from_secs(20),
            client_idle: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

impl Timeouts {
    fn layered(file: &FileTimeouts) -> Result<Timeouts> {
        let d = Timeouts::default();
        let secs = |name: &str, v: Option<u64>, default: Duration| -> Result<Duration> {
            match v {
                None => Ok(default),
                Some(0) => bail!("[timeouts] {name} must be at least 1 second"),
                Some(s) => Ok(Duration::from_secs(s)),
            }
        };
        Ok(Timeouts {
            first_token: secs("first_token_secs", file.first_token_secs, d.first_token)?,
            between_tokens: secs(
                "between_tokens_secs",
                file.between_tokens_secs,
                d.between_tokens,
            )?,
            client_write: secs("client_write_secs", file.client_write_secs, d.client_write)?,
            // 0 is allowed: cut replies at once.
            shutdown_grace: file
                .shutdown_grace_secs
                .map_or(d.shutdown_grace, Duration::from_secs),
            ..d
        })
    }
}

/// A bot profile: `[bots.NAME]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotConfig {
    pub model: Option<String>,
    pub system: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub options: BotOptions,
    /// The tools the bot offers to models that can call them.
    #[serde(default)]
    pub tools: Vec<String>,
    /// Of those, the ones that run without asking (read-only ones; `run_command` only with
    /// `[tools] allow_auto_run_command`).
    #[serde(default)]
    pub auto_approve: Vec<String>,
}

/// `[bots.NAME.options]`: the generation options a bot sets.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BotOptions {
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub seed: Option<i64>,
    pub num_predict: Option<i64>,
    pub num_ctx: Option<u32>,
    #[serde(default)]
    pub stop: Vec<String>,
    pub keep_alive: Option<String>,
    pub think: Option<chinwag_protocol::Think>,
}

impl BotConfig {
    /// The bot's options, system prompt included, as per-request options.
    pub fn gen_options(&self) -> GenOptions {
        let o = &self.options;
        GenOptions {
            system: self.system.clone(),
            temperature: o.temperature,
            top_p: o.top_p,
            seed: o.seed,
            num_predict: o.num_predict,
            num_ctx: o.num_ctx,
            stop: o.stop.clone(),
            keep_alive: o.keep_alive.clone(),
            think: o.think.clone(),
        }
    }

    pub fn info(&self, name: &str) -> BotInfo {
        BotInfo {
            name: name.to_string(),
            model: self.model.clone(),
            system: self.system.clone(),
            description: self.description.clone(),
        }
    }
}

/// Values given on the command line; they win over everything.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub socket: Option<PathBuf>,
    pub listen: Option<SocketAddr>,
    pub database: Option<PathBuf>,
    pub ollama_host: Option<String>,
    pub default_model: Option<String>,
}

/// The resolved configuration the daemon runs with.
#[derive(Debug, Clone)]
pub struct Config {
    pub socket: PathBuf,
    pub listen: Option<SocketAddr>,
    /// `trust_proxy`: the proxies whose `X-Forwarded-For` is believed.
    pub trust_proxy: Vec<std::net::IpAddr>,
    pub database: PathBuf,
    pub ollama: OllamaUrl,
    /// Extra CA certificates for an `https://` Ollama (`ollama_ca_file`).
    pub ollama_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    pub default_model: Option<String>,
    pub default_bot: Option<String>,
    pub durability: Durability,
    pub max_message_bytes: usize,
    /// Longest chat message, in characters (`message_too_large` beyond).
    pub max_content_chars: usize,
    /// Connections at once: in all, per user, and handshakes per remote address.
    pub caps: CapConfig,
    /// Replies in flight to the backend at once, and how many more may wait for a place;
    /// beyond both a chat is `backend_busy`.
    pub max_generations: usize,
    pub max_queued_generations: usize,
    pub log: String,
    pub log_dir: PathBuf,
    pub log_keep: usize,
    pub bots: BTreeMap<String, BotConfig>,
    pub timeouts: Timeouts,
    /// The TCP listener's certificate and key, when it speaks TLS.
    pub tls: Option<crate::tls::TlsFiles>,
    /// Rate limits for token users, and for the daemon's own OS user.
    pub limits: LimitConfig,
    pub local_limits: LimitConfig,
    /// Users with limits of their own (`[limits.users.NAME]`), by user name.
    pub user_limits: BTreeMap<String, LimitConfig>,
    /// Tokens with limits of their own, by `cw_…` id.
    pub token_limits: BTreeMap<String, LimitConfig>,
    /// The file read, if any.
    pub config_file: Option<PathBuf>,
    /// Where this config came from, so a reload reads it the same way (`None`: built in code,
    /// nothing to reload).
    pub source: Option<(Dirs, Overrides)>,
    /// The command executor.
    pub exec: crate::exec::ExecConfig,
    /// The model's tools.
    pub tools: crate::tools::ToolsConfig,
    /// `[backends.NAME]`, checked (names, keys present) at load.
    pub backends: BTreeMap<String, crate::backend::BackendConfig>,
}

/// The XDG folders chinwag uses.
#[derive(Debug, Clone)]
pub struct Dirs {
    pub config: PathBuf,
    pub data: PathBuf,
    pub state: PathBuf,
    pub runtime: PathBuf,
}

impl Dirs {
    /// Every folder in `dir`: for checks and tests that must not touch the real ones.
    pub fn all_in(dir: &Path) -> Dirs {
        Dirs {
            config: dir.into(),
            data: dir.into(),
            state: dir.into(),
            runtime: dir.into(),
        }
    }

    /// From the environment, via `directories`.
    pub fn from_env() -> Result<Dirs> {
        let pd = directories::ProjectDirs::from("", "", paths::APP_DIR)
            .context("cannot find a home directory for chinwag's files (is HOME set?)")?;
        let runtime = paths::runtime_dir_from_env(rustix::process::getuid().as_raw());
        let state = pd
            .state_dir()
            .unwrap_or_else(|| pd.data_local_dir())
            .to_path_buf();
        Ok(Dirs {
            config: pd.config_dir().to_path_buf(),
            data: pd.data_dir().to_path_buf(),
            state,
            runtime,
        })
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn env_parse<T: std::str::FromStr>(name: &str) -> Result<Option<T>>
where
    T::Err: std::fmt::Display,
{
    match env(name) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("environment variable {name}={v:?} is invalid: {e}")),
    }
}

impl Config {
    /// Loads the layered configuration.
    pub fn load(dirs: &Dirs, flags: &Overrides) -> Result<Config> {
        let explicit = flags
            .config
            .clone()
            .or_else(|| env("CHINWAG_DAEMON_CONFIG").map(PathBuf::from));
        let path = explicit
            .clone()
            .unwrap_or_else(|| dirs.config.join("chinwagd.toml"));
        let (file, config_file) = match std::fs::read_to_string(&path) {
            Ok(text) => (parse_file(&text, &path)?, Some(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && explicit.is_none() => {
                (FileConfig::default(), None)
            }
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        };
        let durability = match env("CHINWAG_DURABILITY").as_deref() {
            None => file.durability.unwrap_or_default(),
            Some("normal") => Durability::Normal,
            Some("full") => Durability::Full,
            Some(other) => bail!(
                "environment variable CHINWAG_DURABILITY={other:?} is invalid: expected normal or full"
            ),
        };
        let ollama_raw = flags
            .ollama_host
            .clone()
            .or_else(|| env("OLLAMA_HOST"))
            .or(file.ollama_host)
            .unwrap_or_default();
        let default_bot = env("CHINWAG_DEFAULT_BOT").or(file.default_bot);
        if let Some(bot) = &default_bot
            && !file.bots.contains_key(bot)
        {
            bail!("default_bot = {bot:?} names no [bots.{bot}] section");
        }
        let max_message_bytes = env_parse("CHINWAG_MAX_MESSAGE_BYTES")?
            .or(file.max_message_bytes)
            .unwrap_or(DEFAULT_MAX_MESSAGE_BYTES);
        if !(1024..=16 * 1024 * 1024).contains(&max_message_bytes) {
            bail!("max_message_bytes = {max_message_bytes} is out of range (1 KiB to 16 MiB)");
        }
        let max_content_chars = file.max_content_chars.unwrap_or(DEFAULT_MAX_CONTENT_CHARS);
        if max_content_chars == 0 {
            bail!("max_content_chars must be at least 1");
        }
        let d = CapConfig::default();
        let caps = CapConfig {
            max_connections: file.max_connections.unwrap_or(d.max_connections),
            max_connections_per_user: file
                .max_connections_per_user
                .unwrap_or(d.max_connections_per_user),
            max_connections_per_ip: file
                .max_connections_per_ip
                .unwrap_or(d.max_connections_per_ip),
            max_handshakes_per_ip: file
                .max_handshakes_per_ip
                .unwrap_or(d.max_handshakes_per_ip),
        };
        if caps.max_connections == 0
            || caps.max_connections_per_user == 0
            || caps.max_connections_per_ip == 0
            || caps.max_handshakes_per_ip == 0
        {
            bail!(
                "max_connections, max_connections_per_user, max_connections_per_ip and \
                 max_handshakes_per_ip must be at least 1"
            );
        }
        let max_generations = file.max_generations.unwrap_or(4);
        if max_generations == 0 {
            bail!("max_generations must be at least 1");
        }
        Ok(Config {
            max_content_chars,
            caps,
            max_generations,
            max_queued_generations: file.max_queued_generations.unwrap_or(32),
            socket: flags
                .socket
                .clone()
                .or_else(|| env("CHINWAG_SOCKET").map(PathBuf::from))
                .or(file.socket)
                .unwrap_or_else(|| paths::default_socket(&dirs.runtime)),
            listen: flags
                .listen
                .or(env_parse("CHINWAG_LISTEN")?)
                .or(file.listen),
            trust_proxy: file.trust_proxy.clone(),
            exec: crate::exec::ExecConfig::from_file(&file.exec)?,
            tools: {
                let tools = crate::tools::ToolsConfig::from_file(&file.tools)?;
                for (name, bot) in &file.bots {
                    crate::tools::check_bot(name, &bot.tools, &bot.auto_approve, &tools)?;
                }
                tools
            },
            backends: {
                crate::backend::Backends::check(&file.backends)?;
                file.backends.clone()
            },
            database: flags
                .database
                .clone()
                .or_else(|| env("CHINWAG_DATABASE").map(PathBuf::from))
                .or(file.database)
                .unwrap_or_else(|| dirs.data.join("history.db")),
            ollama: parse_ollama_host(&ollama_raw),
            ollama_roots: match &file.ollama_ca_file {
                Some(path) => {
                    use rustls::pki_types::pem::PemObject;
                    rustls::pki_types::CertificateDer::pem_file_iter(path)
                        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                        .with_context(|| format!("reading ollama_ca_file {}", path.display()))?
                }
                None => Vec::new(),
            },
            default_model: flags
                .default_model
                .clone()
                .or_else(|| env("CHINWAG_DEFAULT_MODEL"))
                .or(file.default_model),
            default_bot,
            durability,
            max_message_bytes,
            log: env("CHINWAG_LOG")
                .or(file.log)
                .unwrap_or_else(|| "info".into()),
            log_dir: env("CHINWAG_LOG_DIR")
                .map(PathBuf::from)
                .or(file.log_dir)
                .unwrap_or_else(|| dirs.state.clone()),
            log_keep: file.log_keep.unwrap_or(7),
            timeouts: Timeouts::layered(&file.timeouts)?,
            tls: file.tls.clone(),
            limits: limit_config(
                LimitConfig::REMOTE,
                file.limits.messages_per_minute,
                file.limits.burst,
                file.limits.concurrent_generations,
                file.limits.output_tokens_per_minute,
            )?,
            local_limits: {
                let l = file.limits.local.clone().unwrap_or_default();
                limit_config(
                    LimitConfig::LOCAL,
                    l.messages_per_minute,
                    l.burst,
                    l.concurrent_generations,
                    l.output_tokens_per_minute,
                )?
            },
            user_limits: overrides(&file.limits, &file.limits.users, "users")?,
            token_limits: overrides(&file.limits, &file.limits.tokens, "tokens")?,
            bots: file.bots,
            config_file,
            source: Some((dirs.clone(), flags.clone())),
        })
    }
}

fn parse_file(text: &str, path: &Path) -> Result<FileConfig> {
    toml::from_str(text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests;
