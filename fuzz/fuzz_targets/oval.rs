//! OVAL 5.11 definitions through the parser, the reference check, and the evaluator
//! (with no probes, so nothing touches the machine): circular references, unknown
//! datatypes and bad regexes must give errors, never a panic, stack overflow or hang.
#![no_main]

use std::path::Path;
use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vigil::content::{oval, xml};
use vigil::engine::oval::Evaluator;
use vigil::probes::{Context, Registry};
use vigil::target::Host;

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz-oval.xml");
    let Ok(doc) = xml::parse_bytes(data.to_vec(), path) else {
        return;
    };
    let Ok((defs, _)) = oval::parse::parse_definitions(&doc.root, path) else {
        return;
    };
    let _ = oval::parse::validate_references(&defs);
    let registry = Registry::empty();
    let ctx = Context::new(Arc::new(Host::offline("/nonexistent/vigil-fuzz")));
    let ev = Evaluator::new(&defs, &registry, &ctx, Default::default());
    let ids: Vec<String> = defs.definitions.keys().cloned().collect();
    for id in ids.iter().take(64) {
        let _ = ev.definition(id);
    }
});
