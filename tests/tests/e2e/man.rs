//! The man pages in `man/` are generated from the clap definitions, one per command and
//! subcommand (so every page named under SUBCOMMANDS exists), with FILES, ENVIRONMENT and
//! EXIT STATUS added to the top pages, and the config files' pages (section 5) from the
//! descriptions the code keeps of them; so is `packaging/chinwagd.toml`, the commented
//! default config. This fails when any of them drifts.
//! Regenerate with `UPDATE_MAN=1 cargo nextest run -p chinwag-tests man`.

use clap::CommandFactory;
use std::path::PathBuf;

const EXIT_STATUS: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
ok
.TP
\fB1\fR
any other error (a reply cut or failed, the local socket not safely yours, ...)
.TP
\fB2\fR
usage: bad flags, nothing to ask
.TP
\fB3\fR
the daemon or Ollama cannot be reached
.TP
\fB4\fR
rate limited
.TP
\fB5\fR
unauthorized
.TP
\fB6\fR
model not found (\fBollama pull\fR \fINAME\fR)
.TP
\fB7\fR
chinwag run: the executor's policy refused the command
.TP
\fB8\fR
chinwag ask \-\-tools: a tool call needed an answer and there was no terminal to ask
.TP
\fB124\fR
chinwag run: the command ran past the executor's timeout
.TP
\fB130\fR
interrupted (Ctrl\-C)
"#;

const ENVIRONMENT: &str = r#".SH ENVIRONMENT
.TP
\fBOLLAMA_HOST\fR
Ollama's address, read exactly as Ollama reads it (daemon).
.TP
\fBCHINWAG_SOCKET\fR, \fBCHINWAG_URL\fR
The daemon's socket, or a ws:// URL instead of it.
.TP
\fBCHINWAG_DATABASE\fR, \fBCHINWAG_DEFAULT_MODEL\fR, \fBCHINWAG_DEFAULT_BOT\fR, \fBCHINWAG_LISTEN\fR, \fBCHINWAG_DURABILITY\fR, \fBCHINWAG_MAX_MESSAGE_BYTES\fR
Daemon settings, over chinwagd.toml.
.TP
\fBCHINWAG_LOG\fR, \fBCHINWAG_LOG_DIR\fR, \fBCHINWAG_LOG_FORMAT\fR, \fBCHINWAG_LOG_CONTENT\fR
The daemon's log filter, folder and format (auto, human, json); 1 to log message contents (debugging only).
.TP
\fBCHINWAG_DAEMON_CONFIG\fR, \fBCHINWAG_CONFIG\fR
Another daemon config file; the client's config file (theme, keys).
.TP
\fBNO_COLOR\fR
No colours in the chat screen.
.TP
\fBXDG_RUNTIME_DIR\fR, \fBXDG_DATA_HOME\fR, \fBXDG_STATE_HOME\fR, \fBXDG_CONFIG_HOME\fR
Where the socket, the history, logs and drafts, and the config live.
"#;

const FILES: &str = r#".SH FILES
.TP
\fI$XDG_RUNTIME_DIR/chinwag/chinwagd.sock\fR
The daemon's socket (0600; with no XDG_RUNTIME_DIR, in /tmp/chinwag\-$UID, which must be yours and private).
.TP
\fI$XDG_DATA_HOME/chinwag/history.db\fR
The history (SQLite, WAL; the folder 0700, the files 0600).
.TP
\fI$XDG_STATE_HOME/chinwag/chinwagd.*.log\fR, \fI$XDG_STATE_HOME/chinwag/drafts/\fR
Daemon logs (JSON lines, rotated daily, no message text) and the chat screen's drafts.
.TP
\fI$XDG_CONFIG_HOME/chinwag/chinwagd.toml\fR, \fI$XDG_CONFIG_HOME/chinwag/chinwag.toml\fR
The daemon's config (bots, default model, timeouts); the chat screen's (theme, keys).
"#;

fn render(cmd: &clap::Command, extra: &[&str]) -> String {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut out)
        .expect("render man page");
    let page = String::from_utf8(out).expect("utf8");
    if extra.is_empty() {
        return page;
    }
    let at = page.find(".SH VERSION").unwrap_or(page.len());
    format!("{}{}{}", &page[..at], extra.concat(), &page[at..])
}

/// A page for `cmd` and each of its subcommands, named as clap names them once built.
fn collect(cmd: &clap::Command, pages: &mut Vec<(String, String)>, extra: &[&str]) {
    let name = cmd.get_display_name().unwrap_or(cmd.get_name()).to_string();
    pages.push((format!("{name}.1"), render(cmd, extra)));
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        collect(sub, pages, &[]);
    }
}

fn pages() -> Vec<(String, String)> {
    let mut pages = Vec::new();
    for (cmd, extra) in [
        (
            chinwag::cli::Cli::command(),
            vec![EXIT_STATUS, ENVIRONMENT, FILES],
        ),
        (
            chinwagd::cli::DaemonCli::command(),
            vec![ENVIRONMENT, FILES],
        ),
    ] {
        let mut cmd = cmd.disable_help_subcommand(true);
        cmd.build();
        collect(&cmd, &mut pages, &extra);
    }
    // The config files' pages, from the descriptions the code keeps of them.
    let version = env!("CARGO_PKG_VERSION");
    pages.push((
        "chinwagd.toml.5".into(),
        chinwagd::config_doc::man_page(version),
    ));
    pages.push((
        "chinwag.toml.5".into(),
        chinwag::ui::config::man_page(version),
    ));
    pages
}

#[test]
fn man_pages_match_the_cli() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../man");
    let update = std::env::var_os("UPDATE_MAN").is_some();
    let pages = pages();
    let mut stale = Vec::new();
    for (file, text) in &pages {
        let path = dir.join(file);
        if update {
            std::fs::write(&path, text).expect("write man page");
        } else if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            stale.push(file.clone());
        }
    }
    // Every page a SUBCOMMANDS section names exists, and no page is left over.
    for (_, text) in &pages {
        for named in text.lines().filter_map(|l| l.strip_suffix("(1)")) {
            let file = format!("{}.1", named.replace("\\-", "-"));
            assert!(
                pages.iter().any(|(f, _)| *f == file),
                "a page names {file}, which is not generated"
            );
        }
    }
    let on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("man dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|f| f.ends_with(".1") || f.ends_with(".5"))
        .collect();
    for f in &on_disk {
        if !pages.iter().any(|(p, _)| p == f) {
            stale.push(format!("{f} (no longer generated)"));
        }
    }
    assert!(
        stale.is_empty(),
        "man pages out of date: {stale:?}; run UPDATE_MAN=1 cargo nextest run -p chinwag-tests man"
    );
}

#[test]
fn the_packaged_default_config_is_the_generated_one() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/chinwagd.toml");
    let text = chinwagd::config_doc::default_config();
    if std::env::var_os("UPDATE_MAN").is_some() {
        std::fs::write(&path, &text).expect("write the default config");
    }
    assert_eq!(
        std::fs::read_to_string(&path).ok().as_deref(),
        Some(text.as_str()),
        "packaging/chinwagd.toml is out of date; run UPDATE_MAN=1 cargo nextest run -p chinwag-tests man"
    );
}

#[test]
fn the_packaged_completions_are_the_generated_ones() {
    use chinwag::cli::{CompletionShell, completion_script};
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../packaging/completions");
    for (shell, file) in [
        (CompletionShell::Bash, "chinwag.bash"),
        (CompletionShell::Zsh, "_chinwag"),
        (CompletionShell::Fish, "chinwag.fish"),
    ] {
        let text = completion_script(shell);
        let path = dir.join(file);
        if std::env::var_os("UPDATE_MAN").is_some() {
            std::fs::write(&path, &text).expect("write a completion script");
        }
        assert_eq!(
            std::fs::read_to_string(&path).ok().as_deref(),
            Some(text.as_str()),
            "packaging/completions/{file} is out of date; run UPDATE_MAN=1 cargo nextest run -p chinwag-tests man"
        );
        assert!(
            text.contains("audit") && text.contains("completions"),
            "{file}"
        );
    }
}
