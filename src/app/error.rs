//! What can go wrong answering a question, typed, and the exit status each maps to.

use crate::config::ConfigError;
use crate::import::Rejection;
use crate::store::StoreError;

/// An answer that could not be given. Every message says what went wrong, where, and what the
/// user can do; the command line prints it after `folio: `, an MCP client gets it as the tool's
/// error, the cockpit shows it in the pane that asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input the user can fix: an argument, a flag, a file, a parameter.
    #[error("{0}")]
    BadInput(String),
    /// A file the user gave was refused row by row (an import).
    #[error(transparent)]
    Rejected(#[from] Rejection),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A session opened to read was asked to write (`folio mcp`).
    #[error("{what} needs to write to the database, and this session only reads it")]
    ReadOnly { what: String },
    /// The broker, the network or the disk failed: nothing the input could have prevented.
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

pub type Result<T> = std::result::Result<T, AppError>;

/// Bad input, with its message.
pub fn bad(message: impl Into<String>) -> AppError {
    AppError::BadInput(message.into())
}

impl AppError {
    /// Input the user can change: exit status 2 (everything else is 1).
    pub fn is_bad_input(&self) -> bool {
        match self {
            AppError::BadInput(_) | AppError::Rejected(_) | AppError::ReadOnly { .. } => true,
            AppError::Config(e) => !matches!(e, ConfigError::Read { .. }),
            AppError::Store(e) => e.is_bad_input(),
            AppError::Failed(_) => false,
        }
    }

    /// The process exit status for this error: 2 for bad input, 1 for a runtime failure.
    pub fn exit_code(&self) -> u8 {
        if self.is_bad_input() { 2 } else { 1 }
    }

    /// A failure with a message of what was being done.
    pub fn failed(e: impl Into<anyhow::Error>, doing: impl std::fmt::Display) -> AppError {
        AppError::Failed(e.into().context(doing.to_string()))
    }
}

impl From<anyhow::Error> for AppError {
    /// A typed error inside stays typed (its exit status too).
    fn from(e: anyhow::Error) -> AppError {
        let e = match e.downcast::<AppError>() {
            Ok(app) => return app,
            Err(e) => e,
        };
        let e = match e.downcast::<Rejection>() {
            Ok(r) => return AppError::Rejected(r),
            Err(e) => e,
        };
        let e = match e.downcast::<StoreError>() {
            Ok(s) => return AppError::Store(s),
            Err(e) => e,
        };
        AppError::Failed(e)
    }
}
