//! chinwag, the client: the chat screen (TUI), the one-shot CLI and the history commands.
//! `main.rs` only calls [`main`].

pub mod ask;
pub mod ask_tools;
pub mod attach;
pub mod autostart;
pub mod backoff;
pub mod cli;
pub mod commands;
pub mod complete;
pub mod config_cmd;
pub mod conn;
pub mod daemon_ctl;
pub mod exit;
pub mod extract;
pub mod files;
pub mod logfile;
pub mod login;
pub mod policy;
pub mod pull;
pub mod remotes;
pub mod render;
pub mod run;
pub mod text;
pub mod tls;
pub mod ui;

use clap::Parser;
use cli::{Cli, Command};
use exit::ClientError;
use std::io::{IsTerminal, Read};
use std::process::ExitCode;

/// Reads piped stdin, if any. A terminal is not read.
fn read_stdin() -> Result<Option<String>, ClientError> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .read_to_end(&mut bytes)
        .map_err(|e| ClientError::Other(anyhow::anyhow!("reading stdin: {e}")))?;
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ClientError::Usage("stdin is not UTF-8 text".into()))
}

async fn dispatch(cli: Cli) -> Result<(), ClientError> {
    match cli.command {
        Some(Command::Ask(args)) => {
            let stdin = read_stdin()?;
            ask::run(&args.conn.or(&cli.conn), &args, stdin).await
        }
        Some(Command::Login(args)) => {
            // stdin carries the token only when no file does; else it answers the question.
            let stdin = match args.token_file {
                None => read_stdin()?,
                Some(_) => None,
            };
            login::login(&args, stdin).await
        }
        Some(Command::Logout { url }) => login::logout(&url),
        Some(Command::Run(args)) => run::run(&args.conn.or(&cli.conn), &args).await,
        Some(Command::Audit(args)) => run::audit(&args.conn.or(&cli.conn), &args).await,
        Some(Command::Policy(args)) => policy::show(&args.conn.or(&cli.conn), &args).await,
        Some(Command::Completions { shell }) => {
            // A closed pipe (`| head`) is not an error.
            commands::print(&cli::completion_script(shell))
        }
        Some(Command::History(cmd)) => commands::history(&cli.conn, &cmd).await,
        Some(Command::Models(f)) => commands::models(&f.conn.or(&cli.conn), f.json).await,
        Some(Command::Bots(f)) => commands::bots(&f.conn.or(&cli.conn), f.json).await,
        Some(Command::Pull { model, conn }) => pull::pull(&conn.or(&cli.conn), &model).await,
        Some(Command::Complete { kind, conn }) => complete::names(&conn.or(&cli.conn), kind).await,
        Some(Command::Config { default }) => config_cmd::run(default),
        Some(Command::Ps(f)) => attach::ps(&f.conn.or(&cli.conn), f.json).await,
        Some(Command::Attach(a)) => attach::attach(&a.conn.or(&cli.conn), &a).await,
        Some(Command::Status(f)) => commands::status(&f.conn.or(&cli.conn), f.json).await,
        Some(Command::Daemon(d)) => match &d.action {
            Some(action) => daemon_ctl::run(action, &cli.conn).await,
            None => Ok(()), // running the daemon is handled before the runtime starts
        },
        // Words or a pipe: a one-shot question, as `chinwag ask`; else the chat screen.
        None if !cli.one.prompt.is_empty() || !std::io::stdin().is_terminal() => {
            let stdin = read_stdin()?;
            let args = cli::AskArgs {
                conn: cli.conn.clone(),
                chat: cli.chat,
                one: cli.one,
            };
            ask::run(&cli.conn, &args, stdin).await
        }
        None => ui::run::run(&cli.conn, &cli.chat).await,
    }
}

/// The whole client: parse, run, map the outcome to an exit status.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse_from(extract::normalize_args(std::env::args_os())) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                exit::code::USAGE
            } else {
                exit::code::OK
            });
        }
    };
    if let Some(Command::Daemon(d)) = &cli.command
        && let Some(admin) = d.action.as_ref().and_then(cli::DaemonAction::admin)
    {
        return match chinwagd::cli::run_admin(&d.run, &admin) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("chinwag: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    if let Some(Command::Daemon(cli::DaemonCommand { action: None, run })) = cli.command {
        return match chinwagd::cli::run_daemon(run) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("chinwagd: {e:#}");
                ExitCode::FAILURE
            }
        };
    }
    logfile::init();
    // Never the arguments: a bare prompt is one of them.
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "chinwag starts");
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return ClientError::Other(anyhow::anyhow!("starting the runtime: {e}")).report(),
    };
    match runtime.block_on(dispatch(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => e.report(),
    }
}
