//! OVAL 5.11 evaluation: entity comparison, criteria and check/existence truth tables,
//! variables, object collection with filters and sets.

pub mod compare;
pub mod eval;
pub mod functions;
pub mod logic;
pub mod pattern;
pub mod version;

pub use eval::{DefinitionOutcome, Evaluator, ObjectOutcome, TestOutcome};
pub use logic::OvalResult;

#[cfg(test)]
mod hardening_tests;
