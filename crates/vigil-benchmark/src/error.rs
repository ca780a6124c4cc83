//! Errors of loading and compiling a benchmark: each names the file, and where it can,
//! the field, so a mistake in one rule file is found without reading the compiler.

use std::path::PathBuf;

/// One problem found in the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: PathBuf,
    /// The field, as a TOML path (`check.tests[0].object.entities[1].datatype`), or
    /// `line:column` when TOML parsing failed.
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}: {}",
            self.file.display(),
            self.field,
            self.message
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Every problem the sources have, not only the first, so one run lists them all.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid { problems: Vec<Problem> },
    #[error("{}: {message}", path.display())]
    Readme { path: PathBuf, message: String },
}
