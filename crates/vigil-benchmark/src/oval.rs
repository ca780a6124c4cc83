//! Writes the OVAL 5.11 definitions document (OVAL 5.11.1 Language Specification §4.3:
//! `oval_definitions` with `generator`, `definitions`, `tests`, `objects`, `states`
//! and `variables`, in that order). Each rule is one `compliance` definition whose
//! criteria are the rule's tests; tests, objects and states are listed by their id
//! number, which keeps the order the ids were given in.

use crate::model::{Benchmark, Entity, STANDARD_FAMILIES};
use crate::xml::{attr, element, text};

/// The document without the XML declaration: the caller adds it (standalone file) or
/// embeds the element (data stream component).
pub fn document(b: &Benchmark) -> String {
    let o = &b.meta.oval;
    let mut x = String::new();
    x.push_str("<oval_definitions xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5\"\n");
    x.push_str("    xmlns:oval=\"http://oval.mitre.org/XMLSchema/oval-common-5\"\n");
    for (p, uri) in STANDARD_FAMILIES {
        x.push_str(&format!("    xmlns:{p}=\"{}\"\n", attr(uri)));
    }
    for (p, uri) in &o.namespaces {
        x.push_str(&format!("    xmlns:{p}=\"{}\"\n", attr(uri)));
    }
    x.push_str("    xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n");
    x.push_str("  <generator>\n");
    x.push_str(&element("    ", "oval:product_name", &o.product_name));
    x.push_str(&element("    ", "oval:schema_version", &o.schema_version));
    x.push_str(&element("    ", "oval:timestamp", &o.timestamp));
    x.push_str("  </generator>\n");

    x.push_str("  <definitions>\n");
    for r in &b.rules {
        x.push_str(&format!(
            "    <definition id=\"{}\" version=\"1\" class=\"{}\">\n",
            attr(&r.check.definition),
            attr(&o.definition_class)
        ));
        x.push_str("      <metadata>\n");
        x.push_str(&element("        ", "title", &r.title));
        x.push_str(&format!(
            "        <affected family=\"{}\">\n",
            attr(&o.affected_family)
        ));
        x.push_str(&element("          ", "platform", &o.platform));
        x.push_str("        </affected>\n");
        for k in &b.meta.reference_kinds {
            let Some(source) = &k.oval_source else {
                continue;
            };
            for id in r.references.get(&k.key).into_iter().flatten() {
                x.push_str(&format!(
                    "        <reference source=\"{}\" ref_id=\"{}\" ref_url=\"{}\"/>\n",
                    attr(source),
                    attr(id),
                    attr(&k.href)
                ));
            }
        }
        x.push_str(&element("        ", "description", &b.rule_description(r)));
        x.push_str("      </metadata>\n");
        x.push_str(&format!(
            "      <criteria{}>\n",
            operator(&r.check.operator)
        ));
        for t in &r.check.tests {
            x.push_str(&format!(
                "        <criterion test_ref=\"{}\"/>\n",
                attr(&t.id)
            ));
        }
        x.push_str("      </criteria>\n");
        x.push_str("    </definition>\n");
    }
    x.push_str("  </definitions>\n");

    let mut tests = Vec::new();
    let mut objects = Vec::new();
    let mut states = Vec::new();
    for r in &b.rules {
        for t in &r.check.tests {
            let (p, k) = t.family();
            let mut s = format!(
                "    <{p}:{k}_test id=\"{}\" version=\"1\" check=\"{}\" check_existence=\"{}\" comment=\"{}\">\n",
                attr(&t.id),
                attr(&t.check),
                attr(&t.check_existence),
                attr(&t.comment)
            );
            s.push_str(&format!(
                "      <{p}:object object_ref=\"{}\"/>\n",
                attr(&t.object.id)
            ));
            for st in &t.states {
                s.push_str(&format!(
                    "      <{p}:state state_ref=\"{}\"/>\n",
                    attr(&st.id)
                ));
            }
            s.push_str(&format!("    </{p}:{k}_test>\n"));
            tests.push((number(&t.id), s));

            let comment = t.object.comment.as_deref().unwrap_or(&t.comment);
            let mut s = format!(
                "    <{p}:{k}_object id=\"{}\" version=\"1\" comment=\"{}\">\n",
                attr(&t.object.id),
                attr(comment)
            );
            s.push_str(&entities(p, &t.object.entities));
            s.push_str(&format!("    </{p}:{k}_object>\n"));
            objects.push((number(&t.object.id), s));

            for st in &t.states {
                let comment = st.comment.as_deref().unwrap_or(&t.comment);
                let mut s = format!(
                    "    <{p}:{k}_state id=\"{}\" version=\"1\"{} comment=\"{}\">\n",
                    attr(&st.id),
                    operator(&st.operator),
                    attr(comment)
                );
                s.push_str(&entities(p, &st.entities));
                s.push_str(&format!("    </{p}:{k}_state>\n"));
                states.push((number(&st.id), s));
            }
        }
    }
    for (name, mut list) in [("tests", tests), ("objects", objects), ("states", states)] {
        list.sort_by_key(|(n, _)| *n);
        // The schema wants at least one child in each section it has.
        if list.is_empty() {
            continue;
        }
        x.push_str(&format!("  <{name}>\n"));
        for (_, s) in list {
            x.push_str(&s);
        }
        x.push_str(&format!("  </{name}>\n"));
    }

    let any_variables = !b.meta.values.is_empty() || !o.local_variables.is_empty();
    if any_variables {
        x.push_str("  <variables>\n");
    }
    for v in &b.meta.values {
        x.push_str(&format!(
            "    <external_variable id=\"{}\" version=\"1\" datatype=\"{}\" comment=\"{}\"/>\n",
            attr(&v.export),
            attr(&v.export_datatype),
            attr(&format!("XCCDF Value {}", b.xccdf_id("value", &v.id)))
        ));
    }
    for l in &o.local_variables {
        x.push_str(&format!(
            "    <local_variable id=\"{}\" version=\"1\" datatype=\"{}\" comment=\"{}\">\n",
            attr(&l.id),
            attr(&l.datatype),
            attr(&l.comment)
        ));
        x.push_str(&format!(
            "      <arithmetic arithmetic_operation=\"{}\">\n",
            attr(&l.arithmetic)
        ));
        for c in &l.components {
            match (&c.var_ref, &c.literal) {
                (Some(v), _) => x.push_str(&format!(
                    "        <variable_component var_ref=\"{}\"/>\n",
                    attr(v)
                )),
                (None, Some(lit)) => {
                    let dt = c
                        .datatype
                        .as_ref()
                        .map(|d| format!(" datatype=\"{}\"", attr(d)))
                        .unwrap_or_default();
                    x.push_str(&format!(
                        "        <literal_component{dt}>{}</literal_component>\n",
                        text(lit)
                    ));
                }
                // Refused by validation.
                (None, None) => {}
            }
        }
        x.push_str("      </arithmetic>\n");
        x.push_str("    </local_variable>\n");
    }
    if any_variables {
        x.push_str("  </variables>\n");
    }
    x.push_str("</oval_definitions>\n");
    x
}

/// The `operator` attribute, left out for the default AND as OVAL writers do.
fn operator(op: &str) -> String {
    if op == "AND" {
        String::new()
    } else {
        format!(" operator=\"{}\"", attr(op))
    }
}

fn number(id: &str) -> u64 {
    crate::model::id_number(id).unwrap_or(u64::MAX)
}

fn entities(prefix: &str, list: &[Entity]) -> String {
    let mut s = String::new();
    for e in list {
        let name = &e.name;
        if e.nil {
            s.push_str(&format!("      <{prefix}:{name} xsi:nil=\"true\"/>\n"));
            continue;
        }
        let mut a = String::new();
        if let Some(d) = e.effective_datatype() {
            a.push_str(&format!(" datatype=\"{}\"", attr(d)));
        }
        if let Some(o) = &e.operation {
            a.push_str(&format!(" operation=\"{}\"", attr(o)));
        }
        if let Some(v) = &e.var_ref {
            s.push_str(&format!(
                "      <{prefix}:{name}{a} var_ref=\"{}\"/>\n",
                attr(v)
            ));
        } else {
            s.push_str(&format!(
                "      <{prefix}:{name}{a}>{}</{prefix}:{name}>\n",
                text(&e.text().unwrap_or_default())
            ));
        }
    }
    s
}
