//! The `chinwag` command line (clap). The man pages are generated from these definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// chinwag: chat with local LLMs from the terminal, through the chinwagd daemon.
///
/// With no command: given words or a pipe, asks them as `chinwag ask` does; else opens the
/// chat screen. A local daemon is started for you when none runs (see --no-autostart).
///
/// Exit status: 0 ok, 1 error, 2 usage, 3 daemon or Ollama unreachable, 4 rate limited,
/// 5 unauthorized, 6 model not found, 8 a tool call needed an answer nobody could give,
/// 130 interrupted.
#[derive(Debug, Parser)]
#[command(name = "chinwag", version, about, long_about)]
pub struct Cli {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub chat: ChatArgs,
    #[command(flatten)]
    pub one: OneShotArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How to reach the daemon. Accepted before the command and after it.
#[derive(Debug, Clone, Default, Args)]
pub struct ConnArgs {
    /// The local daemon's socket [env: CHINWAG_SOCKET] [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock]
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// A daemon's WebSocket URL instead of the local socket (wss://host:port/; ws:// on loopback)
    #[arg(long, value_name = "URL", env = "CHINWAG_URL", hide_env_values = true)]
    pub url: Option<String>,
    /// Never start a local daemon; fail if none runs
    #[arg(long)]
    pub no_autostart: bool,
    /// A file holding the bearer token for a daemon reached by --url [env: CHINWAG_TOKEN holds
    /// the token itself]
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file for a wss:// daemon
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Accept a wss:// daemon whose certificate has this SHA-256 fingerprint (and no other),
    /// for a self-signed certificate
    #[arg(
        long,
        value_name = "SHA256",
        env = "CHINWAG_FINGERPRINT",
        hide_env_values = true
    )]
    pub fingerprint: Option<String>,
}

impl ConnArgs {
    /// These flags (given after the command) over `outer` (given before it).
    pub fn or(&self, outer: &ConnArgs) -> ConnArgs {
        ConnArgs {
            socket: self.socket.clone().or_else(|| outer.socket.clone()),
            url: self.url.clone().or_else(|| outer.url.clone()),
            no_autostart: self.no_autostart || outer.no_autostart,
            token_file: self.token_file.clone().or_else(|| outer.token_file.clone()),
            ca_file: self.ca_file.clone().or_else(|| outer.ca_file.clone()),
            fingerprint: self
                .fingerprint
                .clone()
                .or_else(|| outer.fingerprint.clone()),
        }
    }
}

/// What the chat screen opens with.
#[derive(Debug, Clone, Default, Args)]
pub struct ChatArgs {
    /// The model (in the chat screen, switch later with /model)
    #[arg(short, long, value_name = "MODEL")]
    pub model: Option<String>,
    /// A bot from the daemon's config: model, system prompt, options, tools (in the chat
    /// screen, switch later with /bot)
    #[arg(short, long, value_name = "BOT")]
    pub bot: Option<String>,
    /// Go on with the most recent conversation
    #[arg(short = 'c', long = "continue", conflicts_with = "conversation")]
    pub continue_last: bool,
    /// Go on with this conversation (an id or a unique prefix of one)
    #[arg(short = 'C', long, value_name = "ID")]
    pub conversation: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Ask one question and print the reply (stdin, if piped, comes before the words)
    Ask(AskArgs),
    /// Browse, search, export and delete stored conversations
    #[command(subcommand)]
    History(HistoryCommand),
    /// List the models Ollama has
    Models(QueryArgs),
    /// List the bots in the daemon's config
    Bots(QueryArgs),
    /// Where the client's and the daemon's configs live and what is in force; --default
    /// prints both files' every key, commented, with its default
    Config {
        /// Print the commented defaults of chinwag.toml and chinwagd.toml
        #[arg(long)]
        default: bool,
    },
    /// The daemon's names for shell completion, one per line (never starts a daemon)
    #[command(name = "__complete", hide = true)]
    Complete {
        kind: CompleteKind,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Download a model into Ollama, with its progress (over TCP, the token needs admin)
    Pull {
        /// The model, as `ollama pull` takes it (llama3.2, qwen2.5:7b)
        model: String,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Your replies being generated now: conversation, model, state, tokens and pace
    Ps(QueryArgs),
    /// Follow a reply being generated, from any terminal: what came so far, then the rest as
    /// it comes (Ctrl-C leaves it running)
    Attach(AttachArgs),
    /// Show the daemon's state: where it listens, uptime, Ollama, store, and your limits with
    /// what is left of them
    Status(QueryArgs),
    /// Run the daemon in the foreground (the same as `chinwagd`), or stop, restart or reload
    /// the one running
    Daemon(DaemonCommand),
    /// Check a remote daemon with a token and remember it (URL, token, trusted certificate)
    Login(LoginArgs),
    /// Forget a remote daemon
    Logout {
        /// The wss:// URL logged in to
        url: String,
    },
    /// Run a command through the daemon's executor: an argv (never a shell string), checked
    /// against its policy, with paths confined to the directory it runs in. Output comes as
    /// it is written; the exit status is the command's (7 when the policy refuses it). Ctrl-C
    /// stops it on the daemon
    Run(RunArgs),
    /// Print a completion script for a shell: chinwag completions bash > /etc/bash_completion.d/chinwag
    Completions {
        /// bash, zsh or fish
        #[arg(value_enum)]
        shell: CompletionShell,
    },
    /// The executor's audit log, newest first: every command asked for, allowed or refused,
    /// and how it ended (yours; the daemon's owner and admin tokens see everyone's)
    Audit(AuditArgs),
    /// The executor's policy in force: each program, the path that runs, what it accepts,
    /// and the root and sandbox a command would get
    Policy(PolicyArgs),
}

/// `chinwag policy [-C DIR] [--json]`
#[derive(Debug, Args)]
pub struct PolicyArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Show the root a command run in this directory would get [default: the executor's root]
    #[arg(short = 'C', value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// The shells `chinwag completions` writes for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

/// The completion script for `shell`, from the same definitions as the man pages.
pub fn completion_script(shell: CompletionShell) -> String {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    let mut generated = |shell, out: &mut Vec<u8>| {
        clap_complete::generate(shell, &mut cmd, "chinwag", out);
        String::from_utf8_lossy(out).into_owned()
    };
    match shell {
        CompletionShell::Bash => {
            crate::complete::bash(&generated(clap_complete::Shell::Bash, &mut out))
        }
        CompletionShell::Zsh => {
            crate::complete::zsh(&generated(clap_complete::Shell::Zsh, &mut out))
        }
        CompletionShell::Fish => {
            crate::complete::fish(&generated(clap_complete::Shell::Fish, &mut out))
        }
    }
}

/// What `chinwag __complete` lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompleteKind {
    Models,
    Bots,
    Conversations,
}

/// `chinwag audit [--since 1h] [--json]`
#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Only records this recent: 30m, 2h, 7d
    #[arg(long, value_name = "AGE")]
    pub since: Option<String>,
    /// At most this many records
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
}

/// `chinwag run [--check] [-C DIR] -- PROGRAM ARGS...`
#[derive(Debug, Args)]
pub struct RunArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// Say what the policy decides, and why, without running anything
    #[arg(long)]
    pub check: bool,
    /// Run in this directory (it must lie inside the executor's root) [default: here on a local daemon; a remote one uses its root]
    #[arg(short = 'C', value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// The program and its arguments, after --
    #[arg(last = true, required = true, value_name = "ARGV")]
    pub argv: Vec<String>,
}

fn parse_think(s: &str) -> Result<chinwag_protocol::Think, String> {
    chinwag_protocol::Think::parse(s)
        .ok_or_else(|| format!("{s:?}: give on, off, low, medium, high or max"))
}

/// `chinwag login`.
#[derive(Debug, Clone, Args)]
pub struct LoginArgs {
    /// The daemon's wss:// URL
    pub url: String,
    /// A file holding the token (else it is read from stdin; never give it as an argument)
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// Trust the CA certificates in this PEM file
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Trust exactly the certificate with this SHA-256 fingerprint (no question asked)
    #[arg(long, value_name = "SHA256")]
    pub fingerprint: Option<String>,
}

impl DaemonAction {
    /// The `user`, `token`, `tls` and `config` commands, which work on files rather than the
    /// socket.
    pub fn admin(&self) -> Option<chinwagd::cli::AdminCommand> {
        match self {
            DaemonAction::User(c) => Some(chinwagd::cli::AdminCommand::User(c.clone())),
            DaemonAction::Token(c) => Some(chinwagd::cli::AdminCommand::Token(c.clone())),
            DaemonAction::Tls(c) => Some(chinwagd::cli::AdminCommand::Tls(c.clone())),
            DaemonAction::Config(c) => Some(chinwagd::cli::AdminCommand::Config(c.clone())),
            _ => None,
        }
    }
}

/// A command that asks the daemon one thing.
#[derive(Debug, Clone, Args)]
pub struct QueryArgs {
    /// Print JSON instead of text
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub conn: ConnArgs,
}

/// `chinwag daemon [stop|restart|reload|user|token]`: with no action, run the daemon in the
/// foreground.
#[derive(Debug, Args)]
pub struct DaemonCommand {
    #[command(subcommand)]
    pub action: Option<DaemonAction>,
    #[command(flatten)]
    pub run: chinwagd::cli::DaemonArgs,
}

#[derive(Debug, Subcommand)]
pub enum DaemonAction {
    /// Stop the running daemon (replies in progress finish within its grace, or are stored cut)
    Stop(ConnArgs),
    /// Stop the running daemon and start a new one (every config change takes effect)
    Restart(ConnArgs),
    /// Re-read chinwagd.toml: bots, default model and bot, timeouts and limits change without
    /// dropping connections (a config that does not load is refused, the old one stays)
    Reload(ConnArgs),
    /// Users, who own conversations and hold tokens (the same as `chinwagd user`)
    #[command(subcommand)]
    User(chinwagd::admin::UserCommand),
    /// Bearer tokens for TCP clients (the same as `chinwagd token`)
    #[command(subcommand)]
    Token(chinwagd::admin::TokenCommand),
    /// Certificates for the TCP listener (the same as `chinwagd tls`)
    #[command(subcommand)]
    Tls(chinwagd::admin::TlsCommand),
    /// The daemon's config file (the same as `chinwagd config`)
    #[command(subcommand)]
    Config(chinwagd::cli::ConfigCommand),
}

#[derive(Debug, Clone, Default, Args)]
pub struct AskArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    #[command(flatten)]
    pub chat: ChatArgs,
    #[command(flatten)]
    pub one: OneShotArgs,
}

#[derive(Debug, Clone, Default, Args)]
pub struct AttachArgs {
    #[command(flatten)]
    pub conn: ConnArgs,
    /// The conversation (an id or a unique prefix); default: your newest reply being generated
    #[arg(value_name = "ID")]
    pub conversation: Option<String>,
    /// Print one JSON event per line instead of the reply text
    #[arg(long)]
    pub json: bool,
    /// Answer its tool calls' read-only ones without asking (as `ask --yes`)
    #[arg(long)]
    pub yes: bool,
}

/// A one-shot question: `chinwag ask`, or `chinwag` given words or a pipe.
#[derive(Debug, Clone, Default, Args)]
pub struct OneShotArgs {
    /// The prompt; joined with spaces, after any piped stdin (with no words and no pipe,
    /// `chinwag` opens the chat screen)
    #[arg(value_name = "PROMPT")]
    pub prompt: Vec<String>,
    /// Start a new conversation (the default)
    #[arg(long, conflicts_with_all = ["continue_last", "conversation"])]
    pub new: bool,
    /// System prompt (kept for the conversation)
    #[arg(short, long, value_name = "TEXT")]
    pub system: Option<String>,
    /// Send a text file with the message (repeatable); a directory sends its text files
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub files: Vec<PathBuf>,
    /// Send an image for a vision model (PNG, JPEG or WebP; repeatable)
    #[arg(short = 'i', long = "image", value_name = "PATH")]
    pub images: Vec<PathBuf>,
    /// Sampling temperature
    #[arg(long, value_name = "T")]
    pub temperature: Option<f32>,
    /// Nucleus sampling threshold
    #[arg(long, value_name = "P")]
    pub top_p: Option<f32>,
    /// Random seed, for repeatable replies
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub seed: Option<i64>,
    /// Most tokens to generate (Ollama's num_predict; -1 = no limit)
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    pub max_tokens: Option<i64>,
    /// Context window in tokens (Ollama's num_ctx)
    #[arg(long, value_name = "N")]
    pub num_ctx: Option<u32>,
    /// Stop generating at this text (repeatable)
    #[arg(long, value_name = "TEXT")]
    pub stop: Vec<String>,
    /// How long Ollama keeps the model loaded (5m, 1h, 0, or seconds)
    #[arg(long, value_name = "DURATION", allow_hyphen_values = true)]
    pub keep_alive: Option<String>,
    /// Whether a thinking model thinks first: on, off, or low, medium, high, max
    #[arg(long, value_name = "ON|OFF|LEVEL", value_parser = parse_think)]
    pub think: Option<chinwag_protocol::Think>,
    /// Offer the model tools: every one, or those named (run_command, read_file, list_dir,
    /// search_text). Each call is asked on the terminal; without one, a call that needs an
    /// answer stops the reply (exit 8)
    #[arg(long, value_name = "TOOLS", num_args = 0..=1, require_equals = true,
          default_missing_value = "all", value_delimiter = ',')]
    pub tools: Option<Vec<String>>,
    /// Allow the read-only tools (read_file, list_dir, search_text) without asking; never
    /// run_command
    #[arg(long, requires = "tools")]
    pub yes: bool,
    /// Print one JSON event per line instead of the reply text
    #[arg(long, conflicts_with = "no_stream")]
    pub json: bool,
    /// Print the reply only when it is complete
    #[arg(long)]
    pub no_stream: bool,
    /// Print the reply as the model wrote it, even on a terminal (where it is otherwise laid
    /// out as Markdown: headings, code, tables; no colour with NO_COLOR)
    #[arg(long)]
    pub raw: bool,
    /// Print only the code of the reply's fenced blocks: the first (-x), or all (-x all);
    /// exit 1 when it has none
    #[arg(short = 'x', long, value_name = "WHICH", num_args = 0..=1, require_equals = true,
          default_missing_value = "first", conflicts_with = "json")]
    pub extract: Option<crate::extract::Extract>,
    /// Print a thinking model's reasoning to stderr
    #[arg(long)]
    pub show_thinking: bool,
    /// Keep nothing: a new conversation the daemon forgets once the reply ends
    #[arg(long, conflicts_with_all = ["continue_last", "conversation", "detach"])]
    pub no_save: bool,
    /// Start the reply and print its conversation's id at once; the daemon goes on
    /// generating (follow it with `chinwag attach ID`)
    #[arg(long, conflicts_with_all = ["json", "no_stream", "extract", "tools"])]
    pub detach: bool,
}

#[derive(Debug, Subcommand)]
pub enum HistoryCommand {
    /// List conversations, most recent first
    List {
        /// How many to list
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: u32,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Print a conversation
    Show {
        /// A conversation id or unique prefix
        id: String,
        /// Print JSON instead of Markdown
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Full-text search over all your messages
    Search {
        /// Words ("exact phrase", prefix*)
        #[arg(required = true)]
        words: Vec<String>,
        /// How many hits to show
        #[arg(short = 'n', long, default_value_t = 20)]
        limit: u32,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Write a conversation as Markdown or JSON
    Export {
        /// A conversation id or unique prefix
        id: String,
        /// md or json; with -o, the file's extension (.json, .md) decides when not given
        #[arg(long, value_enum)]
        format: Option<ExportFormat>,
        /// Write to this file instead of stdout
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Rename a conversation
    Rename {
        /// A conversation id or unique prefix
        id: String,
        /// The new title
        #[arg(required = true)]
        title: Vec<String>,
        #[command(flatten)]
        conn: ConnArgs,
    },
    /// Delete a conversation and all its messages
    Rm {
        /// A conversation id or unique prefix
        id: String,
        #[command(flatten)]
        conn: ConnArgs,
    },
}

impl HistoryCommand {
    /// The connection flags given after the command.
    pub fn conn(&self) -> &ConnArgs {
        match self {
            Self::List { conn, .. }
            | Self::Show { conn, .. }
            | Self::Search { conn, .. }
            | Self::Export { conn, .. }
            | Self::Rename { conn, .. }
            | Self::Rm { conn, .. } => conn,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Md,
    Json,
}
