//! vigil-core: the part of vigil that reads SCAP content and decides results, with no
//! access to the host being scanned.
//!
//! 1. [`content`] reads a source data stream (SCAP 1.2/1.3), XCCDF 1.2 benchmark or OVAL
//!    5.11 definitions file into an owned model.
//! 2. [`values`] compares OVAL values by datatype and operation (OVAL 5.11 Part 3), the
//!    one comparison both the engine and the probes use.
//! 3. [`engine`] selects rules (profile, tailoring), resolves values and variables, asks
//!    for the items of every object through the probe interface it owns
//!    ([`engine::probe`]), and applies states, check and existence, criteria and XCCDF
//!    checks. It performs no I/O: the host is behind a [`engine::probe::Collector`].
//! 4. [`model`] is the results document every output is rendered from.
//!
//! This crate links no command-line, template or ssh code, so the fuzz targets and
//! other tools can depend on it alone.

pub mod content;
pub mod engine;
pub mod model;
pub mod osutil;
pub mod trace;
pub mod values;

#[cfg(test)]
#[path = "../../../src/testtool.rs"]
mod testtool;
