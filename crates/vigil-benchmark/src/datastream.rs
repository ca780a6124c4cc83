//! Writes the SCAP 1.3 source data stream (NIST SP 800-126r3 §3.1, schema
//! `http://scap.nist.gov/schema/scap/source/1.2`, which SCAP 1.3 keeps): one
//! `data-stream` whose checklist is the XCCDF component and whose check is the OVAL
//! component, the XCCDF's `check-content-ref` href resolved to the OVAL component by
//! the checklist's catalog (§3.1.2). Ids follow §3.3.1 (`scap_NS_collection_NAME`,
//! `scap_NS_datastream_NAME`, `scap_NS_comp_FILE`, `scap_NS_cref_FILE`); the component
//! timestamps come from benchmark.toml, never the clock, so a rebuild is byte-identical.

use crate::model::Benchmark;
use crate::xml::attr;

/// The data stream collection holding `xccdf` and `oval` (the documents [`crate::compile`]
/// made from `b`) as its two components, as XML text.
pub fn document(b: &Benchmark, xccdf: &str, oval: &str) -> String {
    let d = &b.meta.datastream;
    let f = &b.meta.files;
    let id = |kind: &str, name: &str| format!("scap_{}_{kind}_{name}", d.namespace);
    let (comp_x, cref_x) = (id("comp", &f.xccdf), id("cref", &f.xccdf));
    let (comp_o, cref_o) = (id("comp", &f.oval), id("cref", &f.oval));
    let mut x = String::new();
    x.push_str(&format!(
        "<ds:data-stream-collection xmlns:ds=\"http://scap.nist.gov/schema/scap/source/1.2\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:cat=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\" id=\"{}\" schematron-version=\"1.3\">\n",
        attr(&id("collection", &d.name))
    ));
    x.push_str(&format!(
        "  <ds:data-stream id=\"{}\" scap-version=\"1.3\" use-case=\"OTHER\">\n",
        attr(&id("datastream", &d.name))
    ));
    x.push_str("    <ds:checklists>\n");
    x.push_str(&format!(
        "      <ds:component-ref id=\"{}\" xlink:href=\"#{}\">\n",
        attr(&cref_x),
        attr(&comp_x)
    ));
    x.push_str("        <cat:catalog>\n");
    x.push_str(&format!(
        "          <cat:uri name=\"{}\" uri=\"#{}\"/>\n",
        attr(&f.oval),
        attr(&cref_o)
    ));
    x.push_str("        </cat:catalog>\n");
    x.push_str("      </ds:component-ref>\n");
    x.push_str("    </ds:checklists>\n");
    x.push_str("    <ds:checks>\n");
    x.push_str(&format!(
        "      <ds:component-ref id=\"{}\" xlink:href=\"#{}\"/>\n",
        attr(&cref_o),
        attr(&comp_o)
    ));
    x.push_str("    </ds:checks>\n");
    x.push_str("  </ds:data-stream>\n");
    // Checks before the checklist, as oscap composes them.
    for (comp, body) in [(&comp_o, oval), (&comp_x, xccdf)] {
        x.push_str(&format!(
            "  <ds:component id=\"{}\" timestamp=\"{}\">\n",
            attr(comp),
            attr(&d.timestamp)
        ));
        x.push_str(body);
        x.push_str("  </ds:component>\n");
    }
    x.push_str("</ds:data-stream-collection>\n");
    x
}
