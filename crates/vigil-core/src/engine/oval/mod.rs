//! OVAL 5.11 evaluation: criteria and check/existence truth tables, variables, object
//! collection with filters and sets. Entity comparison is [`crate::values`].

pub mod eval;
pub(crate) mod functions;
pub(crate) mod logic;

pub use eval::{DefinitionOutcome, Evaluator, ObjectOutcome, TestOutcome};
pub use logic::OvalResult;

#[cfg(test)]
mod hardening_tests;
#[cfg(test)]
mod record_tests;
