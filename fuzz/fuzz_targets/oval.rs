//! OVAL 5.11 definitions through the parser, the reference check, and the evaluator
//! (with no probes, so nothing touches the machine): circular references, unknown
//! datatypes and bad regexes must give errors, never a panic, stack overflow or hang.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil_core::content::{oval, xml};
use vigil_core::engine::oval::Evaluator;
use vigil_core::engine::probe::Registry;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-oval.xml");
    let Ok(doc) = xml::parse_bytes(data.to_vec(), path) else {
        return;
    };
    let Ok((defs, _)) = oval::parse::parse_definitions(&doc.root, path) else {
        return;
    };
    let _ = oval::parse::validate_references(&defs);
    // No probes and no host: the engine alone, as the fuzz target depends on
    // vigil-core only.
    let registry = Registry::<()>::empty();
    let collector = registry.bind(&());
    let ev = Evaluator::new(&defs, &collector, Default::default());
    let ids: Vec<String> = defs.definitions.keys().cloned().collect();
    for id in ids.iter().take(64) {
        let _ = ev.definition(id);
    }
});
