//! vigil: a fast SCAP compliance scanner.
//!
//! The pipeline, one way:
//! 1. [`content`] reads a data stream, XCCDF benchmark or OVAL file into an owned model.
//! 2. [`engine`] selects rules (profile, tailoring), resolves values and variables, and
//!    asks [`probes`] for the items of every object it needs, in parallel.
//! 3. [`probes`] read the host through [`target`] and return items; they never judge.
//! 4. [`engine`] applies states, check and existence, criteria and XCCDF checks.
//! 5. [`report`] turns the results into JSON, HTML and SCAP result files.

pub mod baseline;
pub mod cli;
pub mod content;
pub mod engine;
pub mod history;
pub(crate) mod osutil;
pub mod outfile;
pub mod policy;
pub mod probes;
pub mod remote;
pub mod report;
pub mod scan;
pub mod target;
#[cfg(test)]
mod testtool;
pub mod trace;
pub mod values;
