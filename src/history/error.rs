//! Errors of the scan history ([`crate::history`]).

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: cannot read signing key: {message}")]
    Key { path: PathBuf, message: String },
    #[error("results are not a JSON document: {0}")]
    InvalidResults(String),
    #[error("{path}: not a JSON results document: {message}")]
    InvalidResultsFile { path: PathBuf, message: String },
    #[error("{path}:{line}: ledger entry cannot be read: {message} (run `vigil history verify`)")]
    Corrupt {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// A history directory or a file in it vigil will not use: not the user's own,
    /// writable by others, a link.
    #[error("{path}: {message}")]
    Untrusted { path: PathBuf, message: String },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Usage(String),
    #[error("events: {0}")]
    Events(String),
    #[error(transparent)]
    Output(#[from] crate::outfile::Error),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
