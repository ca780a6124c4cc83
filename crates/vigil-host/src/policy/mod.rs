//! The site key-management policy: a TOML file in which a site declares its roles and
//! their members, which roles must stay separate (NIST SP 800-130 FR:5.3/5.4), its keys
//! and their expected fingerprints, owners, modes, ACLs and lifetimes, its audit-log
//! sources, the SIEM they are forwarded to, software minimums, integrity-monitored paths
//! and detection settings. vigil's own OVAL probes ([`crate::probes::keymgmt`]) compare
//! the host against it; the format is documented in the README ("Key-management
//! audit") and shown in full in content/ccm-log11/policy.example.toml.
//!
//! [`Policy::load`] parses and validates; every error names the file, the line and
//! column, and the field (`keys[2].mode`), using the spans the `toml` parser keeps and
//! the path serde_path_to_error records (for missing, unknown and mistyped fields).
//! This module is the loader; the parts are [`model`] (the validated policy the probes
//! read), `raw` (the TOML as written, with spans) and `validate` (one into the
//! other).

mod inventory;
pub mod model;
mod raw;
pub mod time;
pub mod upstream;
mod validate;

use std::path::{Path, PathBuf};

pub use model::*;
pub use upstream::UpstreamVersion;
pub use validate::{lenient_semver, parse_acl_entry, parse_duration};

use raw::RawPolicy;
use validate::Validator;

/// Why a policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// The file cannot be read (missing, unreadable, not UTF-8).
    #[error("{path}: cannot read the site policy: {source}")]
    Io {
        /// The policy file as given.
        path: PathBuf,
        #[source]
        /// The read error.
        source: std::io::Error,
    },
    /// The file is not valid TOML (a field of the wrong type or unknown is
    /// [`PolicyError::Invalid`], naming it).
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        /// The policy file as given.
        path: PathBuf,
        /// 1-based line of the error in the file.
        line: usize,
        /// 1-based column (in bytes from the line start) of the error.
        column: usize,
        /// What the TOML parser reported.
        message: String,
    },
    /// A required field is missing; the position is that of its table.
    #[error("{path}:{line}:{column}: {field} is required")]
    Missing {
        /// The policy file as given.
        path: PathBuf,
        /// 1-based line of the table that lacks the field.
        line: usize,
        /// 1-based column of the table.
        column: usize,
        /// The field, as a path into the document (`audit_logs[0].retention_days`).
        field: String,
    },
    /// The key inventory (`[scan] inventory`) cannot be read, or a row of it is not
    /// allowed (an unknown key, a bad fingerprint, a value the policy gives otherwise).
    #[error("{}", inventory_message(path, *line, field, message))]
    Inventory {
        /// The inventory file, as resolved.
        path: PathBuf,
        /// 1-based line of the row; 0 for the file as a whole.
        line: usize,
        /// The column or field (`sha256`); empty for the row or file as a whole.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A value is well-formed TOML but not allowed (e.g. a mode that is not octal, a
    /// relative path, a separation naming an unknown role).
    #[error("{path}:{line}:{column}: {field}: {message}")]
    Invalid {
        /// The policy file as given.
        path: PathBuf,
        /// 1-based line of the offending value.
        line: usize,
        /// 1-based column (in bytes from the line start) of the offending value.
        column: usize,
        /// The field, as a path into the document (`keys[2].mode`).
        field: String,
        /// What is wrong with the value.
        message: String,
    },
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let io = |source| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = vigil_core::osutil::read_whole_input(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
            ))
        })?;
        Policy::parse(&text, path)
    }

    /// Parses and validates policy text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        // An empty policy declares no key, log or role, so every "each declared ..."
        // rule would pass on nothing; an unwritten or truncated file is an error.
        if text.trim().is_empty() {
            return Err(PolicyError::Syntax {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "the policy file is empty".into(),
            });
        }
        let syntax = |e: toml::de::Error| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            PolicyError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        };
        let de = toml::Deserializer::parse(text).map_err(syntax)?;
        let raw: RawPolicy = serde_path_to_error::deserialize(de)
            .map_err(|e| field_error(text, path, e.path(), e.inner()))?;
        Validator { text, path }.policy(raw)
    }
}

/// A serde error of a well-formed document as a [`PolicyError`] naming the field's
/// path (`keys[0].mode`): the TOML parser alone says only "missing field
/// `retention_days`", which leaves the reader to find which of the sections lacks it.
fn field_error(
    text: &str,
    path: &Path,
    at: &serde_path_to_error::Path,
    e: &toml::de::Error,
) -> PolicyError {
    let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
    // `Spanned` values deserialise through a private wrapper struct, whose field names
    // serde_path_to_error records as segments; they are not the user's.
    let mut field = String::new();
    for seg in at.iter() {
        let s = seg.to_string();
        if s.starts_with("$__serde_spanned_private") {
            continue;
        }
        match seg {
            serde_path_to_error::Segment::Seq { index } => field.push_str(&format!("[{index}]")),
            _ => {
                if !field.is_empty() {
                    field.push('.');
                }
                field.push_str(&s);
            }
        }
    }
    let message = e.message().trim();
    if let Some(name) = message
        .strip_prefix("missing field `")
        .and_then(|m| m.strip_suffix('`'))
    {
        return PolicyError::Missing {
            path: path.to_path_buf(),
            line,
            column,
            field: if field.is_empty() {
                name.to_string()
            } else {
                format!("{field}.{name}")
            },
        };
    }
    // serde quotes the value in backticks (integer `640`); the policy's own messages
    // quote strings only.
    let mut message = match message.strip_prefix("invalid type: ") {
        Some(rest) => match rest.split_once(", expected ") {
            Some((got, want)) => {
                format!("invalid type: {}, expected {want}", got.replace('`', ""))
            }
            None => message.to_string(),
        },
        None => message.to_string(),
    };
    // The fields whose string form is not obvious say what it looks like.
    let last = field.rsplit('.').next().unwrap_or("");
    if message.ends_with("expected a string") {
        match last {
            "mode" => message.push_str(" such as \"0640\""),
            "max_silence" => message.push_str(" such as \"24h\""),
            _ => {}
        }
    }
    if field.is_empty() {
        return PolicyError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message,
        };
    }
    PolicyError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        field,
        message,
    }
}

/// `inventory.csv:3: sha256: ...`, leaving out the line and field when there is none.
fn inventory_message(path: &Path, line: usize, field: &str, message: &str) -> String {
    let mut out = path.display().to_string();
    if line > 0 {
        out.push_str(&format!(":{line}"));
    }
    out.push_str(": ");
    if !field.is_empty() {
        out.push_str(field);
        out.push_str(": ");
    }
    out.push_str(message);
    out
}

/// The 1-based line and column of byte `offset` of `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests;
