//! End-to-end scans of the packaged SCAP Security Guide for Debian 11 (installed by
//! scripts/test.sh): the data stream, the standalone XCCDF and the OVAL file give a
//! result for every selected rule and every definition; `info` and `validate` agree.
//! Result-for-result parity with oscap is checked by scripts/test.sh through
//! ../shared/tools/ssg-parity-style runs (see benches/ssg.sh and tests below).

use super::{scan_json, vigil};

const DIR: &str = "/usr/share/xml/scap/ssg/content";

/// A file of the SSG package; fails naming the package when it is not installed.
fn ssg(name: &str) -> String {
    let path = format!("{DIR}/{name}");
    crate::testtool::require(&path);
    path
}

#[test]
fn datastream_all_rules_give_a_result_each() {
    let (code, doc) = scan_json(&[&ssg("ssg-debian11-ds.xml"), "--profile", "all"]);
    assert!(code == 0 || code == 2, "exit {code}");
    let rules = doc["rules"].as_array().unwrap();
    assert_eq!(rules.len(), 355);
    // Only the rule that conflicts with a selected rule stays unselected (XCCDF
    // conflicts, as oscap decides).
    let unselected: Vec<&str> = rules
        .iter()
        .filter(|r| r["result"] == "notselected")
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        unselected,
        ["xccdf_org.ssgproject.content_rule_package_MFEhiplsm_installed"]
    );
    assert_eq!(doc["schema_version"], vigil_core::model::SCHEMA_VERSION);
    assert_eq!(doc["scan"]["content"]["kind"], "datastream");
    // Every rule that did not pass says why (issue 12), whatever the content.
    for r in rules {
        if matches!(r["result"].as_str(), Some("pass" | "notselected")) {
            continue;
        }
        let said = r["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| !m.as_str().unwrap().trim().is_empty());
        assert!(said, "{} {}: no message", r["result"], r["id"]);
    }
}

#[test]
fn standalone_xccdf_default_selection() {
    let (_, doc) = scan_json(&[&ssg("ssg-debian11-xccdf.xml")]);
    assert_eq!(doc["rules"].as_array().unwrap().len(), 355);
}

#[test]
fn oval_file_gives_every_definition() {
    let (_, doc) = scan_json(&[&ssg("ssg-debian11-oval.xml")]);
    assert_eq!(doc["definitions"].as_array().unwrap().len(), 487);
    assert!(doc["rules"].as_array().unwrap().is_empty());
}

#[test]
fn profile_short_name_and_rule_selection() {
    let (_, doc) = scan_json(&[
        &ssg("ssg-debian11-ds.xml"),
        "--profile",
        "standard",
        "--rule",
        "sshd_disable_root_login",
    ]);
    let evaluated: Vec<_> = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["result"] != "notselected")
        .collect();
    assert_eq!(evaluated.len(), 1);
    assert_eq!(
        evaluated[0]["id"],
        "xccdf_org.ssgproject.content_rule_sshd_disable_root_login"
    );
}

#[test]
fn info_and_validate_on_the_data_stream() {
    let out = vigil(&["info", &ssg("ssg-debian11-ds.xml")]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("xccdf_org.ssgproject.content_profile_standard"),
        "{text}"
    );
    assert!(text.contains("Rules: 355"), "{text}");
    let out = vigil(&["validate", &ssg("ssg-debian11-ds.xml")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn unknown_profile_is_a_usage_error() {
    let out = vigil(&["scan", &ssg("ssg-debian11-ds.xml"), "--profile", "nope"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no profile 'nope'"));
}

#[test]
fn bad_content_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.xml");
    std::fs::write(&p, "<oval_definitions xmlns=\"http://oval.mitre.org/XMLSchema/oval-definitions-5\">\n  <definitions>\n</oval_definitions>\n").unwrap();
    let out = vigil(&["scan", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.xml:3:"), "{err}");
}

/// The README's first command: the embedded benchmark, from any directory, writes all
/// three reports; the ARF validates with oscap.
#[test]
fn bundled_benchmark_scan_writes_every_report_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(super::VIGIL)
        .current_dir(dir.path())
        .env_remove("VIGIL_CONTENT_DIR")
        .args([
            "scan", "--json", "r.json", "--html", "r.html", "--arf", "r.arf", "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0) | Some(2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for f in ["r.json", "r.html", "r.arf"] {
        assert!(dir.path().join(f).metadata().unwrap().len() > 1000, "{f}");
    }
    let doc: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("r.json")).unwrap()).unwrap();
    assert_eq!(doc["scan"]["content"]["kind"], "datastream");
    assert!(doc["rules"].as_array().unwrap().len() >= 30);
    let v = crate::tool("oscap")
        .args(["ds", "rds-validate"])
        .arg(dir.path().join("r.arf"))
        .output()
        .unwrap();
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));
}

#[test]
fn oval_results_files_are_valid_and_one_per_document() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("oval-results.xml");
    let out = vigil(&[
        "scan",
        &ssg("ssg-debian11-oval.xml"),
        "-q",
        "--oval-results",
        file.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{out:?}");
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(text.matches("<definition definition_id=").count(), 487);
    let validate = |file: &std::path::Path| {
        let check = crate::tool("oscap")
            .args(["oval", "validate", "--results"])
            .arg(file)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}: {check:?}", file.display());
    };
    validate(&file);

    // A data stream holds two OVAL documents: a directory gets one file each, a file
    // name is refused with the documents named.
    let out = vigil(&[
        "scan",
        &ssg("ssg-debian11-ds.xml"),
        "-q",
        "--oval-results",
        dir.path().to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{out:?}");
    // No rule of the default selection uses ssg-debian11-oval.xml: its results file has
    // no definitions, tests or items, and must still be valid (empty containers are not).
    for doc in ["ssg-debian11-oval.xml", "ssg-debian11-cpe-oval.xml"] {
        validate(&dir.path().join(format!("{doc}.result.xml")));
    }
    let out = vigil(&[
        "scan",
        &ssg("ssg-debian11-ds.xml"),
        "-q",
        "--oval-results",
        dir.path().join("one.xml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("has 2 OVAL documents (ssg-debian11-oval.xml, ssg-debian11-cpe-oval.xml)"),
        "{err}"
    );
}
