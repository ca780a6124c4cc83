//! Evaluation: pure logic over the content model and collected items, no I/O.

pub mod item;
pub mod oval;
pub mod probe;
pub mod xccdf;

/// What a long scan tells whoever watches it: the phase, how many objects are
/// collected of how many, and each rule (or OVAL definition) as its result is known.
/// The engine only calls these; the binary decides what to show (a bar on a terminal,
/// `id: result` lines for `--progress`), so the engine stays free of output.
pub trait ScanProgress: Send + Sync {
    /// A new phase of the scan ("collecting objects", "evaluating rules").
    fn phase(&self, _name: &str) {}
    /// `n` more objects will be collected.
    fn objects_planned(&self, _n: usize) {}
    /// `n` more objects are collected.
    fn objects_collected(&self, _n: usize) {}
    /// `n` rules (or definitions) will be evaluated.
    fn results_planned(&self, _n: usize) {}
    /// A rule (or, for OVAL content, a definition) has its result.
    fn result(&self, _id: &str, _result: &str) {}
}
