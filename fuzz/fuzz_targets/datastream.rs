//! Source data streams, standalone benchmarks and OVAL files through the content
//! loader: any input gives content or a ContentError, never a panic or a hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil_core::content::{LoadOptions, load_bytes};

fuzz_target!(|data: &[u8]| {
    // A directory that does not exist: a standalone benchmark's relative hrefs resolve
    // to nothing instead of reading the machine's files.
    let path = Path::new("/nonexistent/vigil-fuzz/fuzz-xccdf.xml");
    let _ = load_bytes(data.to_vec(), path, &LoadOptions::default());
});
