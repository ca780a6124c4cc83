//! Writes the XCCDF 1.2 benchmark (NISTIR 7275r4 §6.2 `Benchmark`: status, title,
//! description, references, version, metadata, then `Profile`s (§6.5), `Value`s
//! (§6.4.5) and `Group`s (§6.4.2) holding the `Rule`s (§6.4.4), in the order the schema
//! requires). Every rule's `check` points at its OVAL definition in the OVAL file and
//! exports the Values its check uses (§6.4.4.4 `check-export`).

use crate::model::Benchmark;
use crate::xml::{attr, element};

const OVAL_SYSTEM: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
const DC: &str = "http://purl.org/dc/elements/1.1/";

/// The document without the XML declaration.
pub fn document(b: &Benchmark) -> String {
    let m = &b.meta;
    let mut x = String::new();
    x.push_str(&format!(
        "<Benchmark xmlns=\"http://checklists.nist.gov/xccdf/1.2\" id=\"{}\" resolved=\"1\" xml:lang=\"{}\" style=\"{}\">\n",
        attr(&m.id),
        attr(&m.lang),
        attr(&m.style)
    ));
    x.push_str(&format!(
        "  <status date=\"{}\">{}</status>\n",
        attr(&m.status_date),
        crate::xml::text(&m.status)
    ));
    x.push_str(&element("  ", "title", &m.title));
    x.push_str(&element("  ", "description", &m.description));
    for r in &m.references {
        x.push_str(&format!(
            "  <reference href=\"{}\">{}</reference>\n",
            attr(&r.href),
            crate::xml::text(&r.text)
        ));
    }
    x.push_str(&element("  ", "version", &m.version));
    x.push_str("  <metadata>\n");
    x.push_str(&format!(
        "    <dc:publisher xmlns:dc=\"{DC}\">{}</dc:publisher>\n",
        crate::xml::text(&m.publisher)
    ));
    x.push_str(&format!(
        "    <dc:source xmlns:dc=\"{DC}\">{}</dc:source>\n",
        crate::xml::text(&m.source)
    ));
    x.push_str("  </metadata>\n");
    for p in &m.profiles {
        x.push_str(&format!(
            "  <Profile id=\"{}\">\n",
            attr(&b.xccdf_id("profile", &p.id))
        ));
        x.push_str(&element("    ", "title", &p.title));
        x.push_str(&element("    ", "description", &p.description));
        for r in b.selected(p) {
            x.push_str(&format!(
                "    <select idref=\"{}\" selected=\"true\"/>\n",
                attr(&b.xccdf_id("rule", &r.short_id))
            ));
        }
        x.push_str("  </Profile>\n");
    }
    for v in &m.values {
        x.push_str(&format!(
            "  <Value id=\"{}\" type=\"{}\" operator=\"{}\">\n",
            attr(&b.xccdf_id("value", &v.id)),
            attr(&v.kind),
            attr(&v.operator)
        ));
        x.push_str(&element("    ", "title", &v.title));
        x.push_str(&element("    ", "description", &v.description));
        x.push_str(&element("    ", "value", &v.default));
        if let Some(l) = &v.lower_bound {
            x.push_str(&element("    ", "lower-bound", l));
        }
        if let Some(u) = &v.upper_bound {
            x.push_str(&element("    ", "upper-bound", u));
        }
        x.push_str("  </Value>\n");
    }
    for g in &m.groups {
        x.push_str(&format!(
            "  <Group id=\"{}\">\n",
            attr(&b.xccdf_id("group", &g.id))
        ));
        x.push_str(&element("    ", "title", &g.title));
        x.push_str(&element("    ", "description", &g.description));
        for r in b.rules.iter().filter(|r| r.group == g.id) {
            x.push_str(&format!(
                "    <Rule id=\"{}\" selected=\"true\" severity=\"{}\">\n",
                attr(&b.xccdf_id("rule", &r.short_id)),
                attr(&r.severity)
            ));
            x.push_str(&element("      ", "title", &r.title));
            x.push_str(&element("      ", "description", &b.rule_description(r)));
            for k in &m.reference_kinds {
                for id in r.references.get(&k.key).into_iter().flatten() {
                    x.push_str(&format!(
                        "      <reference href=\"{}\">{}</reference>\n",
                        attr(&k.href),
                        crate::xml::text(&format!("{}{id}", k.xccdf_prefix))
                    ));
                }
            }
            x.push_str(&element("      ", "rationale", &r.rationale));
            x.push_str(&element("      ", "fixtext", &r.fixtext));
            x.push_str(&format!("      <check system=\"{OVAL_SYSTEM}\">\n"));
            for v in &r.values {
                // Validation guarantees the Value exists.
                let export = b.value(v).map(|v| v.export.as_str()).unwrap_or_default();
                x.push_str(&format!(
                    "        <check-export value-id=\"{}\" export-name=\"{}\"/>\n",
                    attr(&b.xccdf_id("value", v)),
                    attr(export)
                ));
            }
            x.push_str(&format!(
                "        <check-content-ref href=\"{}\" name=\"{}\"/>\n",
                attr(&m.files.oval),
                attr(&r.check.definition)
            ));
            x.push_str("      </check>\n");
            x.push_str("    </Rule>\n");
        }
        x.push_str("  </Group>\n");
    }
    x.push_str("</Benchmark>\n");
    x
}
