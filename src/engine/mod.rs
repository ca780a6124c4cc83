//! Evaluation: pure logic over the content model and collected items, no I/O.

pub mod oval;
pub mod xccdf;
