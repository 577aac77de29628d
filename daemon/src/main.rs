//! `chinwagd`: the daemon binary; everything lives in the library.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = chinwagd::cli::DaemonCli::parse();
    match chinwagd::cli::run_daemon(cli.args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("chinwagd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
