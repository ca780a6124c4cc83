//! Errors raised while reading SCAP content: every one names the file, the line and
//! column, the element and what is wrong, so a user can open the file at that spot.

use std::fmt;
use std::path::PathBuf;

/// Where in a content file something was found (1-based line and column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A content file could not be read, is not well-formed XML, or does not follow the
/// schema vigil implements.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{path}: cannot read: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{pos}: {message}")]
    Syntax {
        path: PathBuf,
        pos: Pos,
        message: String,
    },
    #[error("{path}:{pos}: <{element}>: {message}")]
    Invalid {
        path: PathBuf,
        pos: Pos,
        element: String,
        message: String,
    },
    #[error("{path}: {message}")]
    Document { path: PathBuf, message: String },
}

impl ContentError {
    pub fn invalid(
        path: impl Into<PathBuf>,
        pos: Pos,
        element: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        ContentError::Invalid {
            path: path.into(),
            pos,
            element: element.into(),
            message: message.into(),
        }
    }
}

pub type Result<T, E = ContentError> = std::result::Result<T, E>;
