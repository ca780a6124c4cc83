//! XCCDF 1.2 benchmarks, tailoring files and CPE dictionaries through their parsers,
//! and profile resolution / rule selection on what parses.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use vigil_core::content::{xccdf, xml};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.xml");
    let Ok(doc) = xml::parse_bytes(data.to_vec(), path) else {
        return;
    };
    let _ = xccdf::parse::parse_tailoring(&doc.root, path);
    let _ = xccdf::parse::parse_cpe_dictionary(&doc.root, path);
    if let Ok((bench, _)) = xccdf::parse::parse_benchmark(&doc.root, path) {
        let content = vigil_core::content::Content {
            path: path.to_path_buf(),
            sha256: String::new(),
            kind: vigil_core::content::ContentKind::Xccdf,
            benchmark: Some(bench),
            oval: Default::default(),
            cpe_dictionary: None,
            unresolved: Default::default(),
            tailoring: None,
            unsupported: Vec::new(),
        };
        let b = content.benchmark.as_ref().unwrap();
        let mut profiles: Vec<Option<&str>> = vec![None, Some("all")];
        profiles.extend(b.profiles.iter().map(|p| Some(p.id.as_str())));
        for p in profiles {
            if let Ok(resolved) = vigil_core::engine::xccdf::resolve_profile(&content, p) {
                let _ = vigil_core::engine::xccdf::selected_rules(b, &resolved, &Default::default());
                let _ = vigil_core::engine::xccdf::resolve_values(b, &resolved, &[]);
            }
        }
    }
});
