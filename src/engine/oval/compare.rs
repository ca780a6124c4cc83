//! Entity comparison (OVAL 5.11.1 §5.3.6, Appendix: datatype x operation table).
//! Placeholder: filled in by the comparison work.

use crate::content::oval::{Datatype, Operation};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CompareError {
    #[error("operation '{operation}' is not allowed on datatype '{datatype}'")]
    Unsupported {
        datatype: Datatype,
        operation: Operation,
    },
    #[error("'{value}' is not a valid {datatype}: {reason}")]
    InvalidValue {
        datatype: Datatype,
        value: String,
        reason: String,
    },
    #[error("invalid regular expression '{pattern}': {reason}")]
    InvalidPattern { pattern: String, reason: String },
}

/// Compares a collected value (`actual`) with a value given in content (`expected`):
/// `actual <operation> expected`, both interpreted as `datatype`.
pub fn compare(
    datatype: Datatype,
    operation: Operation,
    actual: &str,
    expected: &str,
) -> Result<bool, CompareError> {
    match (datatype, operation) {
        (_, Operation::Equals) => Ok(actual == expected),
        _ => Err(CompareError::Unsupported {
            datatype,
            operation,
        }),
    }
}

/// The first capture group of the first match of `pattern` in `text` (the whole match
/// when the pattern has no group); `None` when it does not match.
pub fn first_capture(pattern: &str, text: &str) -> Result<Option<String>, CompareError> {
    let re = pcre2::bytes::RegexBuilder::new()
        .utf(true)
        .build(pattern)
        .map_err(|e| CompareError::InvalidPattern {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })?;
    let caps = re
        .captures(text.as_bytes())
        .map_err(|e| CompareError::InvalidPattern {
            pattern: pattern.to_string(),
            reason: e.to_string(),
        })?;
    Ok(caps.and_then(|c| {
        c.get(1)
            .or_else(|| c.get(0))
            .map(|m| String::from_utf8_lossy(m.as_bytes()).into_owned())
    }))
}
