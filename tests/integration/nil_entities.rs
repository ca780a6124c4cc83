//! `xsi:nil` object entities, vigil against oscap 1.3.7 (issue 14 item 4). OVAL 5.11
//! gives nil a meaning only on entities a component schema declares `nillable`
//! (`file_object` `filename`: the directory; `environmentvariable58_object` `pid`: the
//! tool's own process; ...); on any other entity, content that uses it is invalid, and
//! evaluated anyway (`oscap oval eval --skip-valid`) the nil entity selects nothing: the
//! object does not exist. vigil's one matcher (`QueryEntity::selects`) has the same rule;
//! the system probes used to select every value instead.
//!
//! Each object below is evaluated by both with `check_existence="at_least_one_exists"`,
//! so a definition is `true` when the object collected something and `false` when it
//! did not; non-nil twins of the same objects show that both tools collect them at all.
//! (runlevel, partition and systemd objects are left out: oscap 1.3.7 errors on them in
//! a container without an init system, whatever the entity.)

use std::collections::BTreeMap;

const OBJECTS: &[(&str, &str, &str, &str)] = &[
    (
        "sysctl name nil",
        "unix",
        "sysctl",
        r#"<unix:name xsi:nil="true"/>"#,
    ),
    (
        "sysctl name given",
        "unix",
        "sysctl",
        "<unix:name>kernel.ostype</unix:name>",
    ),
    (
        "password username nil",
        "unix",
        "password",
        r#"<unix:username xsi:nil="true"/>"#,
    ),
    (
        "password username given",
        "unix",
        "password",
        "<unix:username>root</unix:username>",
    ),
    (
        "shadow username nil",
        "unix",
        "shadow",
        r#"<unix:username xsi:nil="true"/>"#,
    ),
    (
        "process58 command_line nil",
        "unix",
        "process58",
        r#"<unix:command_line xsi:nil="true"/><unix:pid datatype="int" operation="greater than">0</unix:pid>"#,
    ),
    (
        "process58 command_line given",
        "unix",
        "process58",
        r#"<unix:command_line operation="pattern match">.</unix:command_line><unix:pid datatype="int" operation="greater than">0</unix:pid>"#,
    ),
    (
        "environmentvariable58 pid nil (own process), name nil",
        "ind",
        "environmentvariable58",
        r#"<ind:pid xsi:nil="true" datatype="int"/><ind:name xsi:nil="true"/>"#,
    ),
    (
        "environmentvariable58 pid nil (own process), name PATH",
        "ind",
        "environmentvariable58",
        r#"<ind:pid xsi:nil="true" datatype="int"/><ind:name>PATH</ind:name>"#,
    ),
];

fn document() -> String {
    let (mut defs, mut tests, mut objects) = (String::new(), String::new(), String::new());
    for (i, (title, ns, kind, body)) in OBJECTS.iter().enumerate() {
        let i = i + 1;
        defs.push_str(&format!(
            r#"<definition id="oval:x:def:{i}" version="1" class="compliance"><metadata><title>{title}</title><description>d</description></metadata><criteria><criterion test_ref="oval:x:tst:{i}"/></criteria></definition>
"#
        ));
        tests.push_str(&format!(
            r#"<{ns}:{kind}_test id="oval:x:tst:{i}" version="1" check="all" check_existence="at_least_one_exists" comment="{title}"><{ns}:object object_ref="oval:x:obj:{i}"/></{ns}:{kind}_test>
"#
        ));
        objects.push_str(&format!(
            r#"<{ns}:{kind}_object id="oval:x:obj:{i}" version="1" comment="{title}">{body}</{ns}:{kind}_object>
"#
        ));
    }
    format!(
        r#"<?xml version="1.0"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix" xmlns:linux="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<generator><oval:schema_version>5.11.1</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions>{defs}</definitions><tests>{tests}</tests><objects>{objects}</objects></oval_definitions>
"#
    )
}

/// oscap's `Definition ID: RESULT` lines, by definition number.
fn oscap_results(path: &std::path::Path) -> BTreeMap<usize, String> {
    let out = crate::tool("oscap")
        .args(["oval", "eval", "--skip-valid"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("Definition oval:x:def:")?;
            let (n, r) = rest.split_once(": ")?;
            Some((n.parse().ok()?, r.trim().to_string()))
        })
        .collect()
}

#[test]
fn nil_object_entities_select_what_oscap_selects() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("nil.xml");
    std::fs::write(&path, document()).unwrap();
    let oscap = oscap_results(&path);
    assert_eq!(oscap.len(), OBJECTS.len(), "oscap results: {oscap:?}");
    let (_, doc) = crate::scan_json(&[path.to_str().unwrap()]);
    let mut diffs = Vec::new();
    for def in doc["definitions"].as_array().unwrap() {
        let id = def["id"].as_str().unwrap();
        let n: usize = id.rsplit(':').next().unwrap().parse().unwrap();
        let (ours, theirs) = (def["result"].as_str().unwrap(), &oscap[&n]);
        if ours != theirs {
            diffs.push(format!(
                "{}: vigil {ours}, oscap {theirs}",
                OBJECTS[n - 1].0
            ));
        }
    }
    assert!(diffs.is_empty(), "{diffs:#?}");
    // The comparison means something: nil selected nothing, the twins something.
    let word = |title: &str| {
        let n = OBJECTS.iter().position(|o| o.0 == title).unwrap() + 1;
        oscap[&n].clone()
    };
    assert_eq!(word("sysctl name nil"), "false");
    assert_eq!(word("sysctl name given"), "true");
}
