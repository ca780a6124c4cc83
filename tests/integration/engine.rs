//! OVAL engine semantics end to end: tests/fixtures/oval/engine.xml holds definitions
//! over ind:variable_object (no host access) covering operators, negation, checks,
//! extend_definition, cycles, every local-variable function, sets, filters, var_check,
//! entity_check and unimplemented probes. Each definition names its expected result in
//! `<reference source="vigil-expect" ref_id="..."/>`; the expectations were checked
//! against oscap 1.3.7 (except cycles, which crash oscap).

use std::collections::BTreeMap;

use super::{fixture, scan_json};

fn expectations(path: &std::path::Path) -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = BTreeMap::new();
    for chunk in text.split("<definition ").skip(1) {
        let id = chunk
            .split("id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let title = chunk
            .split("<title>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap();
        let expect = chunk
            .split("source=\"vigil-expect\" ref_id=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        out.insert(id.to_string(), (title.to_string(), expect.to_string()));
    }
    out
}

/// Scans `path` and lists every definition whose result is not the one its
/// `vigil-expect` reference names; returns (exit status, definitions, wrong ones).
fn check_expectations(path: &std::path::Path) -> (i32, usize, Vec<String>) {
    let expected = expectations(path);
    let (code, doc) = scan_json(&[path.to_str().unwrap()]);
    let got: BTreeMap<String, String> = doc["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["id"].as_str().unwrap().to_string(),
                d["result"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut wrong = Vec::new();
    for (id, (title, want)) in &expected {
        match got.get(id) {
            Some(r) if r == want => {}
            other => wrong.push(format!("{title} ({id}): expected {want}, got {other:?}")),
        }
    }
    (code, expected.len(), wrong)
}

#[test]
fn engine_fixture_definitions_give_their_expected_results() {
    let (code, count, wrong) = check_expectations(&fixture("oval/engine.xml"));
    assert!(count > 40, "fixture has {count} definitions");
    assert_eq!(code, 2, "false and error definitions make the scan exit 2");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A var_ref resting on an object that does not exist makes the referring object not
/// exist either (as oscap has it), for file and textfilecontent54 objects, `equals`
/// and `pattern match` alike.
#[test]
fn var_ref_on_a_missing_object_gives_objects_that_do_not_exist() {
    let path = fixture("oval/var-ref-dne.xml");
    let (_, count, wrong) = check_expectations(&path);
    assert_eq!(count, 4);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (_, doc) = scan_json(&[path.to_str().unwrap()]);
    for o in doc["objects"].as_array().unwrap() {
        assert_eq!(o["flag"], "does not exist", "{o}");
    }
}

#[test]
fn unimplemented_probe_says_why_it_is_unknown() {
    let (_, doc) = scan_json(&[fixture("oval/engine.xml").to_str().unwrap()]);
    let obj = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "registry_object")
        .expect("registry object in results");
    assert_eq!(obj["flag"], "not collected");
    assert!(
        obj["messages"][0]
            .as_str()
            .unwrap()
            .contains("does not implement"),
        "{obj}"
    );
}

#[test]
fn circular_references_are_errors_with_messages() {
    let (_, doc) = scan_json(&[fixture("oval/engine.xml").to_str().unwrap()]);
    let defs = doc["definitions"].as_array().unwrap();
    let cyc = defs
        .iter()
        .find(|d| d["title"] == "cycle_a")
        .expect("cycle_a evaluated");
    assert_eq!(cyc["result"], "error");
    let text = serde_json::to_string(&doc).unwrap();
    assert!(text.contains("circular extend_definition"), "cycle message");
    assert!(
        text.contains("circular reference through variable"),
        "variable cycle message"
    );
}
