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
