//! Client errors and the documented exit codes they map to.

use chinwag_protocol::{ErrorBody, ErrorCode};
use std::process::ExitCode;

/// Exit statuses, as documented in `--help`, the README and the man page.
pub mod code {
    pub const OK: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const UNREACHABLE: u8 = 3;
    pub const RATE_LIMITED: u8 = 4;
    pub const UNAUTHORIZED: u8 = 5;
    pub const MODEL_NOT_FOUND: u8 = 6;
    /// `chinwag run`: the executor's policy refused the command.
    pub const REJECTED: u8 = 7;
    /// `chinwag ask --tools`: a tool call needed an answer and there was no terminal to ask.
    pub const NEEDS_APPROVAL: u8 = 8;
    /// `chinwag run`: the command ran past the executor's timeout.
    pub const TIMED_OUT: u8 = 124;
    pub const INTERRUPTED: u8 = 130;
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// No daemon answered (and none could be started).
    #[error("{0}")]
    DaemonUnreachable(String),
    /// The daemon answered with an error frame.
    #[error("{}", .0.message)]
    Server(ErrorBody),
    /// The connection broke or the daemon said something unexpected.
    #[error("{0}")]
    Connection(String),
    /// The local socket or its directory is not safely ours: nothing was sent.
    #[error("{0}")]
    Unsafe(String),
    /// Bad use of the command line.
    #[error("{0}")]
    Usage(String),
    /// Ctrl-C.
    #[error("interrupted")]
    Interrupted,
    /// `chinwag ask --tools`: a call needed an answer nobody could give (already said).
    #[error("{0}")]
    NeedsApproval(String),
    /// `chinwag run`: the command's own exit status (already said what there was to say).
    #[error("exit status {0}")]
    Exited(u8),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl ClientError {
    /// What an `error` frame from the daemon says.
    pub fn from_frame(code: ErrorCode, message: String, retry_after_ms: Option<u64>) -> Self {
        Self::Server(ErrorBody {
            code,
            message,
            retry_after_ms,
        })
    }

    pub fn exit_code(&self) -> u8 {
        match self {
            Self::DaemonUnreachable(_) => code::UNREACHABLE,
            Self::Usage(_) => code::USAGE,
            Self::Interrupted => code::INTERRUPTED,
            Self::Exited(status) => *status,
            Self::NeedsApproval(_) => code::NEEDS_APPROVAL,
            Self::Connection(_) | Self::Unsafe(_) | Self::Other(_) => code::ERROR,
            Self::Server(body) => match body.code {
                ErrorCode::BackendUnavailable => code::UNREACHABLE,
                ErrorCode::RateLimited => code::RATE_LIMITED,
                ErrorCode::Unauthorized | ErrorCode::Forbidden => code::UNAUTHORIZED,
                ErrorCode::ModelNotFound => code::MODEL_NOT_FOUND,
                _ => code::ERROR,
            },
        }
    }

    /// Prints the error for a person and returns the exit code.
    pub fn report(&self) -> ExitCode {
        match self {
            Self::Interrupted | Self::Exited(_) => {}
            Self::Other(e) => eprintln!("chinwag: {e:#}"),
            Self::Server(body) => match body.retry_after_ms {
                Some(ms) => eprintln!(
                    "chinwag: {} (retry in {:.1}s)",
                    body.message,
                    ms as f64 / 1000.0
                ),
                None => eprintln!("chinwag: {}", body.message),
            },
            other => eprintln!("chinwag: {other}"),
        }
        ExitCode::from(self.exit_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_codes_map_to_documented_exit_codes() {
        let e = |c| ClientError::Server(ErrorBody::new(c, "x")).exit_code();
        assert_eq!(e(ErrorCode::BackendUnavailable), 3);
        assert_eq!(e(ErrorCode::RateLimited), 4);
        assert_eq!(e(ErrorCode::Unauthorized), 5);
        assert_eq!(e(ErrorCode::ModelNotFound), 6);
        assert_eq!(e(ErrorCode::BackendError), 1);
        assert_eq!(ClientError::DaemonUnreachable("x".into()).exit_code(), 3);
        assert_eq!(ClientError::Usage("x".into()).exit_code(), 2);
        assert_eq!(ClientError::Interrupted.exit_code(), 130);
    }
}
