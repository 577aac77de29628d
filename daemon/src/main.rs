//! `chinwagd`: the daemon binary; everything lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = chinwagd::cli::DaemonCli::parse();
    let outcome = match &cli.admin {
        Some(cmd) => chinwagd::cli::run_admin(&cli.args, cmd),
        None => chinwagd::cli::run_daemon(cli.args),
    };
    match outcome {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chinwagd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
