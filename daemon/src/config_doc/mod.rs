//! The one description of `chinwagd.toml`: every key, its default and what it does. From it
//! come the commented default config (`chinwagd config default`) and the `chinwagd.toml(5)`
//! man page; tests check it against the parser both ways (every key here is accepted, with
//! its default; every key the parser accepts is here).

/// One key of the file.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The table it lives in (`""` for the top level, `bots.NAME` for a pattern).
    pub table: &'static str,
    pub name: &'static str,
    /// The default as TOML, or `""` when unset by default.
    pub default: &'static str,
    /// An example value for keys unset by default.
    pub example: &'static str,
    pub about: &'static str,
}

const fn key(
    table: &'static str,
    name: &'static str,
    default: &'static str,
    example: &'static str,
    about: &'static str,
) -> Key {
    Key {
        table,
        name,
        default,
        example,
        about,
    }
}

/// What each table is for.
pub const TABLES: &[(&str, &str)] = &[
    (
        "",
        "The daemon: where it listens and keeps things, Ollama, caps on load.",
    ),
    (
        "timeouts",
        "Whole seconds. What the daemon waits for, from Ollama and from clients.",
    ),
    (
        "limits",
        "Per token user: GCRA message quotas (a burst, then the rate), replies at once, and \
         output tokens a minute.",
    ),
    (
        "limits.local",
        "The same for you, the daemon's own OS user on the Unix socket (defaults 600, 60, 8, \
         1000000).",
    ),
    (
        "limits.users.NAME",
        "One user's own limits, over [limits]; the same keys.",
    ),
    (
        "limits.tokens.ID",
        "One token's own limits (its id as `chinwagd token list` shows, cw_ and 12 hex \
         digits), counted apart from its user's other tokens; the same keys.",
    ),
    (
        "exec",
        "The command executor (SECURITY.md §1): argv only, checked against its policy, paths \
         confined to the root. The local user may run commands; a token needs the exec scope.",
    ),
    (
        "tls",
        "The TCP listener's certificate and key (PEM), read again on reload; needed to listen \
         beyond loopback unless trust_proxy names the proxy in front.",
    ),
    (
        "exec.programs.PROGRAM",
        "A program added to the executor's policy, or a built-in one replaced whole (chinwag \
         policy shows the result). Add only programs that read: no flag listed may run \
         another program or write where it is told.",
    ),
    (
        "backends.BACKEND",
        "A server besides Ollama at OLLAMA_HOST. Its models are named BACKEND:model (chinwag \
         -m lan:qwen2.5); chinwag models lists them. Changing backends needs a restart.",
    ),
    (
        "bots.NAME",
        "A bot: a model and a system prompt under a name; chats may name it.",
    ),
    (
        "bots.NAME.options",
        "The bot's generation options, as Ollama takes them.",
    ),
];

/// Every key, in the order the default config shows them.
pub const KEYS: &[Key] = &[
    key(
        "",
        "socket",
        "",
        "\"/run/user/1000/chinwag/chinwagd.sock\"",
        "The Unix socket [default: $XDG_RUNTIME_DIR/chinwag/chinwagd.sock].",
    ),
    key(
        "",
        "listen",
        "",
        "\"127.0.0.1:7878\"",
        "Also serve WebSocket (and /health, /ready, /metrics) on this TCP address; tokens required.",
    ),
    key(
        "",
        "trust_proxy",
        "[]",
        "[\"127.0.0.1\"]",
        "TLS-terminating proxies in front: only their X-Forwarded-For is believed, and with one, plain TCP may listen beyond loopback.",
    ),
    key(
        "",
        "database",
        "",
        "\"/var/lib/chinwag/history.db\"",
        "The history [default: $XDG_DATA_HOME/chinwag/history.db].",
    ),
    key(
        "",
        "durability",
        "\"normal\"",
        "",
        "normal survives kill -9; full also fsyncs every commit (survives power loss).",
    ),
    key(
        "",
        "ollama_host",
        "",
        "\"http://gpu-box:11434\"",
        "Ollama's address, read as OLLAMA_HOST is [default: $OLLAMA_HOST, else 127.0.0.1:11434].",
    ),
    key(
        "",
        "ollama_ca_file",
        "",
        "\"/etc/chinwag/proxy-ca.pem\"",
        "CA certificates (PEM) for an https:// Ollama behind a proxy, besides the public ones.",
    ),
    key(
        "",
        "default_model",
        "",
        "\"llama3.2\"",
        "The model of a chat that names none [default: the last used, else Ollama's newest].",
    ),
    key(
        "",
        "default_bot",
        "",
        "\"coder\"",
        "The bot of a chat that names none; must name a [bots.NAME].",
    ),
    key(
        "",
        "max_message_bytes",
        "262144",
        "",
        "The largest WebSocket frame taken; a larger one closes with 1009 (1 KiB to 16 MiB).",
    ),
    key(
        "",
        "max_content_chars",
        "100000",
        "",
        "The longest chat message, in characters; longer is message_too_large.",
    ),
    key(
        "",
        "max_connections",
        "10000",
        "",
        "Connections in all; over it, 503 with Retry-After.",
    ),
    key(
        "",
        "max_connections_per_user",
        "32",
        "",
        "Connections per token user; over it, 429 with Retry-After.",
    ),
    key(
        "",
        "max_connections_per_ip",
        "256",
        "",
        "Connections per client address (behind trust_proxy, the forwarded one; loopback not counted); over it, 429.",
    ),
    key(
        "",
        "max_handshakes_per_ip",
        "64",
        "",
        "Handshakes in flight per remote address (loopback not counted); over it, the socket is dropped.",
    ),
    key(
        "",
        "max_generations",
        "4",
        "",
        "Replies in flight to Ollama at once (takes a restart).",
    ),
    key(
        "",
        "max_queued_generations",
        "32",
        "",
        "Replies stored and waiting for a place; beyond, backend_busy.",
    ),
    key(
        "",
        "log",
        "\"info\"",
        "",
        "The log filter, in RUST_LOG syntax.",
    ),
    key(
        "",
        "log_dir",
        "",
        "\"/var/log/chinwag\"",
        "Where the log files go [default: $XDG_STATE_HOME/chinwag].",
    ),
    key(
        "",
        "log_keep",
        "7",
        "",
        "Rotated log files kept, one a day.",
    ),
    key(
        "timeouts",
        "first_token_secs",
        "300",
        "",
        "A reply with no token by then ends as backend_timeout (a cold model loads meanwhile).",
    ),
    key(
        "timeouts",
        "between_tokens_secs",
        "120",
        "",
        "A reply whose tokens stop this long ends as backend_timeout, keeping what came.",
    ),
    key(
        "timeouts",
        "client_write_secs",
        "30",
        "",
        "A client that leaves a frame unread this long is closed with 1008.",
    ),
    key(
        "timeouts",
        "shutdown_grace_secs",
        "10",
        "",
        "On SIGTERM, replies in progress may finish this long; then they are stored incomplete (0: at once).",
    ),
    key(
        "limits",
        "messages_per_minute",
        "10",
        "",
        "Chat messages a minute, sustained.",
    ),
    key(
        "limits",
        "burst",
        "10",
        "",
        "Chat messages at once before the rate applies.",
    ),
    key(
        "limits",
        "concurrent_generations",
        "2",
        "",
        "Replies generating at once.",
    ),
    key(
        "limits",
        "output_tokens_per_minute",
        "20000",
        "",
        "Output tokens a minute, charged as each reply ends; while overdrawn, the next message waits.",
    ),
    key(
        "exec",
        "root",
        "",
        "\"/srv/projects\"",
        "The directory commands may reach; a client may name a directory inside it to run in [default: the daemon user's home].",
    ),
    key(
        "exec",
        "timeout_secs",
        "30",
        "",
        "A command still running then is killed, with everything it started.",
    ),
    key(
        "exec",
        "output_cap_bytes",
        "262144",
        "",
        "Most bytes of output a command may write; then it is killed and marked truncated.",
    ),
    key(
        "exec",
        "max_running_per_user",
        "4",
        "",
        "Commands one user may run at once; more get rate_limited.",
    ),
    key(
        "exec",
        "memory_bytes",
        "4294967296",
        "",
        "A command's address space (RLIMIT_AS); CPU time is held to timeout_secs + 1.",
    ),
    key(
        "exec",
        "file_size_bytes",
        "67108864",
        "",
        "The largest file a command may write, in its scratch directory (RLIMIT_FSIZE).",
    ),
    key(
        "exec",
        "max_processes",
        "64",
        "",
        "Processes and threads a command may add (RLIMIT_NPROC, above the tasks running now).",
    ),
    key(
        "exec",
        "disable",
        "[]",
        "",
        "Built-in programs to take out of the policy, by name.",
    ),
    key(
        "exec.programs.PROGRAM",
        "paths",
        "",
        "[\"/usr/bin/nl\"]",
        "Absolute paths to look for; the first that exists runs (required).",
    ),
    key(
        "exec.programs.PROGRAM",
        "flags",
        "",
        "[\"-p\"]",
        "Flags without a value it may have (default: none); any other is refused.",
    ),
    key(
        "exec.programs.PROGRAM",
        "options",
        "",
        "{ \"-w\" = \"number\", \"-s\" = \"text\", \"-b\" = [\"a\", \"t\", \"n\"] }",
        "Options with a value, by the value's type: \"number\", \"text\", \"path\" (confined to the root) or a list of words.",
    ),
    key(
        "exec.programs.PROGRAM",
        "operands",
        "",
        "\"paths\"",
        "What its operands are: \"none\" (default), \"paths\", \"text\", \"pattern-then-paths\" (grep's shape: the pattern is passed with -e), \"paths-first\" (find's) or \"revisions-then-paths\" (git's).",
    ),
    key(
        "exec.programs.PROGRAM",
        "max_operands",
        "",
        "8",
        "At most this many operands (default: no bound besides the argv's size).",
    ),
    key(
        "exec.programs.PROGRAM",
        "global",
        "",
        "[]",
        "For a program with subcommands: the flags allowed before the subcommand.",
    ),
    key(
        "exec.programs.PROGRAM",
        "subcommands",
        "",
        "{}",
        "Subcommands by name, each with flags, options, operands, max_operands and fixed of its own.",
    ),
    key(
        "exec.programs.PROGRAM",
        "fixed",
        "",
        "[\"-n\", \"rn\"]",
        "Arguments put before the caller's.",
    ),
    key(
        "exec.programs.PROGRAM",
        "env",
        "",
        "{ LC_ALL = \"C.UTF-8\" }",
        "Variables added to its environment; {root-parent} in a value is the parent of the directory it runs in.",
    ),
    key(
        "exec.programs.PROGRAM",
        "needs_sandbox",
        "",
        "false",
        "Offer it only where the kernel enforces the whole Landlock ruleset.",
    ),
    key(
        "backends.BACKEND",
        "kind",
        "",
        "\"openai\"",
        "\"openai\" for an OpenAI-compatible server (llama.cpp's server, vLLM, LM Studio, LocalAI, hosted APIs), or \"ollama\" for another Ollama.",
    ),
    key(
        "backends.BACKEND",
        "url",
        "",
        "\"http://10.0.0.2:8080\"",
        "Its base URL, with or without /v1.",
    ),
    key(
        "backends.BACKEND",
        "api_key_env",
        "",
        "\"LAN_API_KEY\"",
        "The variable in the daemon's environment that holds its API key (sent as a bearer token; never logged or shown).",
    ),
    key(
        "tls",
        "cert",
        "",
        "\"/etc/chinwag/tls/cert.pem\"",
        "The certificate chain (chinwagd tls self-signed --host NAME writes a pair).",
    ),
    key(
        "tls",
        "key",
        "",
        "\"/etc/chinwag/tls/key.pem\"",
        "Its private key.",
    ),
    key(
        "bots.NAME",
        "model",
        "",
        "\"qwen2.5-coder\"",
        "The bot's model.",
    ),
    key(
        "bots.NAME",
        "system",
        "",
        "\"You review code. Be specific.\"",
        "Its system prompt.",
    ),
    key(
        "bots.NAME",
        "description",
        "",
        "\"code review\"",
        "A line for lists of bots.",
    ),
    key(
        "bots.NAME.options",
        "temperature",
        "",
        "0.2",
        "Sampling temperature.",
    ),
    key("bots.NAME.options", "top_p", "", "0.9", "Nucleus sampling."),
    key(
        "bots.NAME.options",
        "seed",
        "",
        "42",
        "A fixed seed, for repeatable replies.",
    ),
    key(
        "bots.NAME.options",
        "num_predict",
        "",
        "512",
        "The most tokens a reply may have.",
    ),
    key(
        "bots.NAME.options",
        "num_ctx",
        "",
        "16384",
        "The context window, in tokens.",
    ),
    key(
        "bots.NAME.options",
        "stop",
        "",
        "[\"END\"]",
        "Stop sequences.",
    ),
    key(
        "bots.NAME.options",
        "keep_alive",
        "",
        "\"5m\"",
        "How long Ollama keeps the model loaded after a reply.",
    ),
    key(
        "bots.NAME.options",
        "think",
        "",
        "\"high\"",
        "Whether a thinking model thinks first: true, false, or \"low\", \"medium\", \"high\", \"max\" (Ollama's think).",
    ),
];

/// The tables shown with their example name filled in, for the default config.
fn shown(table: &str) -> String {
    table
        .replace("NAME", "coder")
        .replace("PROGRAM", "nl")
        .replace("BACKEND", "lan")
        .replace("ID", "cw_3f9a2c1b04de")
}

/// The commented default config: every key, commented out, with its default (or an
/// example) and what it does. Uncommented as is, it is a valid config of the defaults.
pub fn default_config() -> String {
    let mut out = String::from(
        "# chinwagd.toml: the daemon's config. Every key is optional; shown here with its\n\
         # default (or an example, for keys unset by default). Check a file with\n\
         # `chinwagd config check FILE`. See chinwagd.toml(5).\n",
    );
    for (table, about) in TABLES {
        let keys: Vec<&Key> = KEYS.iter().filter(|k| k.table == *table).collect();
        out.push('\n');
        if !table.is_empty() {
            out.push_str(&format!("# [{}]\n", shown(table)));
        }
        out.push_str(&format!("# {about}\n"));
        for k in keys {
            let value = if k.default.is_empty() {
                k.example
            } else {
                k.default
            };
            out.push_str(&format!("# {} = {value}\n#   {}\n", k.name, k.about));
        }
    }
    out
}

/// Escapes text for roff.
fn roff(text: &str) -> String {
    text.replace('\\', "\\e")
        .replace('-', "\\-")
        .lines()
        .map(|l| {
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `chinwagd.toml(5)`, from the same description.
pub fn man_page(version: &str) -> String {
    let mut out = format!(
        ".TH chinwagd.toml 5 \"chinwagd {v}\"\n.SH NAME\nchinwagd.toml \\- the chinwag daemon's \
         configuration file\n.SH SYNOPSIS\n\\fI$XDG_CONFIG_HOME/chinwag/chinwagd.toml\\fR (or \
         \\fB\\-\\-config\\fR \\fIFILE\\fR, or \\fBCHINWAG_DAEMON_CONFIG\\fR)\n.SH DESCRIPTION\n\
         TOML. Every key is optional. Layers, later wins: built\\-in defaults, this file, the \
         environment (\\fBOLLAMA_HOST\\fR, \\fBCHINWAG_*\\fR), then flags. An unknown key is an \
         error that names it; \\fBchinwagd config check\\fR \\fIFILE\\fR checks a file without \
         starting and names the line at fault. \\fBchinwagd config default\\fR prints every key \
         with its default. A reload (SIGHUP, \\fBchinwag daemon reload\\fR) puts bots, the \
         defaults, timeouts, limits and caps in force; the rest needs a restart.\n",
        v = roff(version)
    );
    for (table, about) in TABLES {
        let title = if table.is_empty() {
            "TOP LEVEL".to_string()
        } else {
            format!("[{table}]")
        };
        out.push_str(&format!(".SH \"{}\"\n{}\n", roff(&title), roff(about)));
        for k in KEYS.iter().filter(|k| k.table == *table) {
            let shown = if k.default.is_empty() {
                format!("{} (e.g. {})", k.name, k.example)
            } else {
                format!("{} = {}", k.name, k.default)
            };
            out.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                roff(&shown),
                roff(k.about)
            ));
        }
    }
    out.push_str(".SH \"SEE ALSO\"\nchinwagd(1), chinwag(1), chinwag.toml(5)\n");
    out
}

#[cfg(test)]
mod tests;
