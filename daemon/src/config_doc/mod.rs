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

pub(crate) const fn key(
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

mod keys;

pub use keys::KEYS;

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
        "tools",
        "The model's tools (chat with tools, or a bot's): each call is shown to your clients \
         with the policy's verdict and runs only once one of them allows it, unless a bot \
         approves it. read_file, list_dir and search_text see the executor's root; \
         run_command is the executor.",
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
