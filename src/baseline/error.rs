//! Errors of the file-integrity baseline ([`crate::baseline`]). Problems with single
//! files (unreadable, vanished) are not errors: they are recorded in the file's entry.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a vigil baseline: {message}")]
    Format { path: PathBuf, message: String },
    #[error("{out}: refusing to write the baseline inside the scanned tree {root}")]
    OutInsideTree { out: PathBuf, root: PathBuf },
    #[error("{path}: baseline signature: {message}")]
    Signature { path: PathBuf, message: String },
    #[error("{0}")]
    Key(String),
    #[error("{0}: no such file or directory")]
    MissingRoot(PathBuf),
    #[error(transparent)]
    Output(#[from] crate::outfile::Error),
    /// The store directory (checked as the history's directory is) or the history a
    /// restore is recorded in.
    #[error(transparent)]
    History(#[from] crate::history::Error),
    /// A store `restore` refuses before it touches anything.
    #[error("{path}: {message}")]
    Store { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

impl Error {
    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.into();
        move |source| Error::Io { path, source }
    }
}

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;
