//! Errors raised while reading SCAP content: every one names the file, the line and
//! column, the element and what is wrong, so a user can open the file at that spot.

use std::fmt;
use std::path::PathBuf;

/// Where in a content file something was found (1-based line and column).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Pos {
    /// Line, counting from 1; 0 when the position is unknown.
    pub line: u32,
    /// Column in characters, counting from 1; 0 when unknown.
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
    /// A file could not be opened or read (or exceeded the size limit).
    Io {
        /// The file.
        path: PathBuf,
        #[source]
        /// What the operating system said.
        source: std::io::Error,
    },
    #[error("{path}:{pos}: {message}")]
    /// The file is not well-formed XML (or nests deeper than the parser allows).
    Syntax {
        /// The file.
        path: PathBuf,
        /// Where the parser stopped.
        pos: Pos,
        /// The parser's complaint.
        message: String,
    },
    #[error("{path}:{pos}: <{element}>: {message}")]
    /// Well-formed XML that breaks the SCAP schema where vigil relies on it.
    Invalid {
        /// The file.
        path: PathBuf,
        /// Where the offending element starts.
        pos: Pos,
        /// The element as `prefix:name`.
        element: String,
        /// What is wrong and, where it helps, what is expected.
        message: String,
    },
    #[error("{path}: {message}")]
    /// Something about the document as a whole: wrong root element, missing data stream or
    /// component, ...
    Document {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
}

impl ContentError {
    /// A [`ContentError::Invalid`] from anything that converts to its fields.
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

/// A result whose error is, by default, a [`ContentError`].
pub type Result<T, E = ContentError> = std::result::Result<T, E>;
