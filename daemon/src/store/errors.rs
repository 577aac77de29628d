//! Store errors: a kind the daemon maps to a wire code, and detail for the log.

use chinwag_protocol::{ErrorBody, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreErrorKind {
    /// No such conversation for this owner (or an id prefix that matches none).
    NotFound,
    /// No such message for this owner.
    NoSuchMessage,
    /// A request the store cannot answer as asked; the detail is fit for the client.
    Invalid,
    /// An idempotency key sent again with other words.
    KeyReused,
    /// A bounded read ran past its budget and was stopped.
    TooSlow,
    /// An id prefix that matches several conversations.
    Ambiguous,
    /// The disk (or the configured size cap) is full. Nothing was written.
    Full,
    /// The writer has stopped (daemon shutting down).
    Closed,
    /// Anything else.
    Other,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct StoreError {
    pub kind: StoreErrorKind,
    pub detail: String,
}

impl StoreError {
    pub fn new(kind: StoreErrorKind, detail: impl Into<String>) -> Self {
        Self {
            kind,
            detail: detail.into(),
        }
    }

    pub fn other(detail: impl Into<String>) -> Self {
        Self::new(StoreErrorKind::Other, detail)
    }

    /// Wraps a SQLite error with what we were doing.
    pub fn from_sqlite(e: rusqlite::Error, doing: &str) -> Self {
        let kind = match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DiskFull) => StoreErrorKind::Full,
            _ => StoreErrorKind::Other,
        };
        Self::new(kind, format!("{doing}: {e}"))
    }

    /// The error as a client sees it; internals stay in the log.
    pub fn to_body(&self) -> ErrorBody {
        match self.kind {
            StoreErrorKind::NotFound => ErrorBody::new(ErrorCode::NotFound, "no such conversation"),
            StoreErrorKind::NoSuchMessage => ErrorBody::new(ErrorCode::NotFound, "no such message"),
            StoreErrorKind::Invalid => {
                ErrorBody::new(ErrorCode::InvalidRequest, self.detail.clone())
            }
            StoreErrorKind::KeyReused => ErrorBody::new(ErrorCode::Conflict, self.detail.clone()),
            StoreErrorKind::TooSlow => ErrorBody::new(
                ErrorCode::InvalidRequest,
                "the search took too long and was stopped; use fewer words, or longer prefixes",
            ),
            StoreErrorKind::Ambiguous => ErrorBody::new(
                ErrorCode::InvalidRequest,
                "that id prefix matches several conversations; give more of it",
            ),
            StoreErrorKind::Full => ErrorBody::new(
                ErrorCode::StorageError,
                "the history store is full (disk full?); nothing was saved — free some space",
            ),
            StoreErrorKind::Closed => {
                ErrorBody::new(ErrorCode::ShuttingDown, "the daemon is shutting down")
            }
            StoreErrorKind::Other => ErrorBody::new(
                ErrorCode::StorageError,
                "the history store failed; nothing was saved (see the daemon log)",
            ),
        }
    }
}

/// `?` on rusqlite calls inside store closures.
pub(crate) trait SqlContext<T> {
    fn ctx(self, doing: &str) -> Result<T, StoreError>;
}

impl<T> SqlContext<T> for Result<T, rusqlite::Error> {
    fn ctx(self, doing: &str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::from_sqlite(e, doing))
    }
}
