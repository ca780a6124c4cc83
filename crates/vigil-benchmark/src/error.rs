//! Errors of loading and compiling a benchmark: each names the file, and where it can,
//! the field, so a mistake in one rule file is found without reading the compiler.

use std::path::PathBuf;

/// One problem found in the sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The TOML file (`benchmark.toml` or a rule file) the problem is in.
    pub file: PathBuf,
    /// The field, as a TOML path (`check.tests[0].object.entities[1].datatype`), or
    /// `line:column` when TOML parsing failed.
    pub field: String,
    /// What is wrong and what is expected.
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

/// Why a benchmark could not be loaded, compiled or written.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A source could not be read, or an output written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// Every problem the sources have, not only the first, so one run lists them all.
    #[error("{}", problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Invalid {
        /// The problems, file by file in reading order; never empty.
        problems: Vec<Problem>,
    },
    /// The README lacks the markers between which the generated tables go.
    #[error("{}: {message}", path.display())]
    Readme {
        /// The README file.
        path: PathBuf,
        /// Which marker is missing or out of order.
        message: String,
    },
}
