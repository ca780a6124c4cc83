//! Record state entities (OVAL 5.11.2 EntityStateRecordType): each field compared by
//! name with its own datatype, operation and entity_check, fields ANDed within a
//! record, a field missing from the item's record an error, and the record entity's
//! entity_check across the item's records.

use std::sync::Arc;

use crate::content::oval::Family;
use crate::content::xml;
use crate::engine::item::ItemField;
use crate::engine::oval::{Evaluator, OvalResult};
use crate::engine::probe::{Collected, Item, ObjectQuery, Probe, Registry};

/// One item whose `value` holds two records: `{# : 5}` and `{# : 12}`, and a second
/// item with one record of two fields `{name: a, port: 80}`.
struct RecordProbe;

impl Probe<()> for RecordProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["yamlfilecontent_object"]
    }

    fn collect(&self, query: &ObjectQuery, _ctx: &()) -> Collected {
        let mut item = Item::new().field("filepath", "/f.yaml");
        if query.object_id.ends_with(":1") {
            item.push_record("value", vec![ItemField::simple("#", "5")]);
            item.push_record("value", vec![ItemField::simple("#", "12")]);
        } else {
            item.push_record(
                "value",
                vec![
                    ItemField::simple("name", "a"),
                    ItemField::simple("port", "80"),
                    ItemField::simple("port", "443"),
                ],
            );
        }
        Collected::from_items(vec![item])
    }
}

/// A document with one definition per state body, all on object 1 or 2.
fn run(cases: &[(u32, &str)]) -> Vec<OvalResult> {
    let mut defs = String::new();
    let mut tests = String::new();
    let mut states = String::new();
    for (i, (obj, state)) in cases.iter().enumerate() {
        let n = i + 1;
        defs += &format!(
            r#"<definition id="oval:x.r:def:{n}" version="1" class="compliance"><metadata><title>t</title><description>d</description></metadata>
<criteria><criterion test_ref="oval:x.r:tst:{n}"/></criteria></definition>"#
        );
        tests += &format!(
            r#"<ind:yamlfilecontent_test id="oval:x.r:tst:{n}" version="1" check="all" comment="c"><ind:object object_ref="oval:x.r:obj:{obj}"/><ind:state state_ref="oval:x.r:ste:{n}"/></ind:yamlfilecontent_test>"#
        );
        states += &format!(
            r#"<ind:yamlfilecontent_state id="oval:x.r:ste:{n}" version="1">{state}</ind:yamlfilecontent_state>"#
        );
    }
    let objects = r#"<ind:yamlfilecontent_object id="oval:x.r:obj:1" version="1"><ind:filepath>/f.yaml</ind:filepath><ind:yamlpath>.a</ind:yamlpath></ind:yamlfilecontent_object>
<ind:yamlfilecontent_object id="oval:x.r:obj:2" version="1"><ind:filepath>/f.yaml</ind:filepath><ind:yamlpath>.b</ind:yamlpath></ind:yamlfilecontent_object>"#;
    let variables = r#"<variables><constant_variable id="oval:x.r:var:1" version="1" datatype="string" comment="c"><value>a</value><value>b</value></constant_variable></variables>"#;
    let doc = format!(
        r#"<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions>{defs}</definitions><tests>{tests}</tests><objects>{objects}</objects><states>{states}</states>{variables}</oval_definitions>"#
    );
    let path = std::path::Path::new("record.xml");
    let root = xml::parse_str(&doc, path).unwrap().root;
    let (defs, _) = crate::content::oval::parse::parse_definitions(&root, path).unwrap();
    let mut registry = Registry::empty();
    registry.register(Family::Independent, Arc::new(RecordProbe));
    let collector = registry.bind(&());
    let ev = Evaluator::new(&defs, &collector, Default::default());
    (1..=cases.len())
        .map(|n| ev.definition(&format!("oval:x.r:def:{n}")).result)
        .collect()
}

#[test]
fn record_entity_check_across_records() {
    use OvalResult::*;
    let r = run(&[
        // Default entity_check all: 5 and 12 are not both > 10.
        (
            1,
            r##"<ind:value datatype="record"><field name="#" datatype="int" operation="greater than">10</field></ind:value>"##,
        ),
        (
            1,
            r##"<ind:value datatype="record" entity_check="at least one"><field name="#" datatype="int" operation="greater than">10</field></ind:value>"##,
        ),
        // Compared as int, not text: "12" < "5" as strings.
        (
            1,
            r##"<ind:value datatype="record"><field name="#" datatype="int" operation="less than">20</field></ind:value>"##,
        ),
        (
            1,
            r##"<ind:value datatype="record" entity_check="only one"><field name="#">5</field></ind:value>"##,
        ),
        (
            1,
            r##"<ind:value datatype="record" entity_check="none satisfy"><field name="#">7</field></ind:value>"##,
        ),
    ]);
    assert_eq!(r, vec![False, True, True, True, True]);
}

#[test]
fn record_fields_are_anded_and_have_their_own_entity_check() {
    use OvalResult::*;
    let r = run(&[
        (
            2,
            r##"<ind:value datatype="record"><field name="name">a</field><field name="port" datatype="int" entity_check="at least one">443</field></ind:value>"##,
        ),
        // port all-equal 443 fails (80 is there too).
        (
            2,
            r##"<ind:value datatype="record"><field name="name">a</field><field name="port" datatype="int">443</field></ind:value>"##,
        ),
        (
            2,
            r##"<ind:value datatype="record"><field name="name">b</field><field name="port" datatype="int" entity_check="at least one">443</field></ind:value>"##,
        ),
        // A field the record does not have: error (EntityStateFieldType).
        (
            2,
            r##"<ind:value datatype="record"><field name="missing">a</field></ind:value>"##,
        ),
        // A field's value from a variable, var_check at least one of a, b.
        (
            2,
            r##"<ind:value datatype="record"><field name="name" var_ref="oval:x.r:var:1" var_check="at least one"/></ind:value>"##,
        ),
        (
            2,
            r##"<ind:value datatype="record"><field name="name" var_ref="oval:x.r:var:1"/></ind:value>"##,
        ),
        // Pattern match on a field.
        (
            2,
            r##"<ind:value datatype="record"><field name="name" operation="pattern match">^[a-c]$</field></ind:value>"##,
        ),
    ]);
    assert_eq!(r, vec![True, False, False, Error, True, False, True]);
}
