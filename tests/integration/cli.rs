//! Whole runs of the `vigil` binary as a user sees them: exit code, standard output and
//! standard error in one snapshot ([`vigil_snapshot!`]), one per exit-code path of every
//! command (README "Exit status": 0 all passed, 2 a rule failed or a check found a
//! problem, 1 could not run) and one per kind of bad input. Snapshots are in
//! `tests/integration/snapshots/integration__cli__*.snap`; review a changed one as a
//! change to what users read.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::snap::vigil_cmd;

const SSG_DS: &str = "/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml";

fn fixture(rel: &str) -> String {
    crate::fixture(rel).to_str().unwrap().to_string()
}

/// The report fixture's benchmark and root (a small host tree that fails two rules).
fn report_xccdf() -> String {
    fixture("report/report-xccdf.xml")
}
fn report_root() -> String {
    fixture("report/root")
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

// ---- scan: 2 (a rule failed), 0 (every rule passed) ----

#[test]
fn scan_summary_of_the_bundled_benchmark_on_a_fixture_root() {
    // No policy: the policy rules say so in one line; the others fail on this root.
    let out = vigil_snapshot!(
        "scan_bundled_fixture_root",
        vigil_cmd(&["scan", "--root", &report_root()])
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scan_summary_when_every_selected_rule_passes() {
    let root = report_root();
    let out = vigil_snapshot!(
        "scan_all_pass",
        vigil_cmd(&[
            "scan",
            &report_xccdf(),
            "--root",
            &root,
            "--rule",
            "family",
            "--rule",
            "uid0",
        ])
    );
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn scan_summary_of_a_failing_profile_lists_the_failures_worst_first() {
    let d = tempfile::tempdir().unwrap();
    let json = d.path().join("r.json");
    let out = vigil_snapshot!(
        "scan_profile_all_fails",
        vigil_cmd(&[
            "scan",
            &report_xccdf(),
            "--root",
            &report_root(),
            "--profile",
            "all",
            "--json",
            s(&json),
        ]),
        &[(d.path(), "[DIR]")]
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(json.is_file());
}

/// A root that says it is Debian 12 with a compliant /etc/passwd, for the Debian 11
/// guide evaluated on purpose.
fn ssg_root() -> tempfile::TempDir {
    let d = crate::messages::debian12_root();
    write(&d.path().join("etc/hostname"), "ssg-root\n");
    let passwd = write(
        &d.path().join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\n",
    );
    std::fs::set_permissions(passwd, std::fs::Permissions::from_mode(0o644)).unwrap();
    d
}

#[test]
fn scan_summary_of_a_few_ssg_rules_on_an_offline_root() {
    crate::testtool::require(SSG_DS);
    let root = ssg_root();
    let mut args = vec![
        "scan",
        SSG_DS,
        "--profile",
        "standard",
        "--root",
        s(root.path()),
        "--assume-platform",
        "cpe:/o:debian:debian_linux:11",
    ];
    for r in [
        "package_audit_installed",
        "file_permissions_etc_passwd",
        "file_owner_etc_passwd",
        "partition_for_tmp",
        "sshd_disable_root_login",
    ] {
        args.extend(["--rule", r]);
    }
    let out = vigil_snapshot!(
        "scan_ssg_selection",
        vigil_cmd(&args),
        &[(root.path(), "[ROOT]")]
    );
    assert_eq!(out.status.code(), Some(2));
}

// ---- info and validate: 0 on good content, 1 on broken content ----

#[test]
fn info_and_validate_of_the_bundled_benchmark() {
    let out = vigil_snapshot!("info_bundled", vigil_cmd(&["info"]));
    assert_eq!(out.status.code(), Some(0));
    let out = vigil_snapshot!("validate_bundled", vigil_cmd(&["validate"]));
    assert_eq!(out.status.code(), Some(0));
}

const DANGLING_OVAL: &str = r#"<?xml version="1.0"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix">
  <generator><oval:schema_version>5.11.1</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
  <definitions>
    <definition id="oval:x:def:1" version="1" class="compliance">
      <metadata><title>dangling references</title><description>d</description></metadata>
      <criteria><criterion test_ref="oval:x:tst:1"/><criterion test_ref="oval:x:tst:404"/></criteria>
    </definition>
  </definitions>
  <tests>
    <ind:family_test id="oval:x:tst:1" version="1" check="all"><ind:object object_ref="oval:x:obj:404"/><ind:state state_ref="oval:x:ste:404"/></ind:family_test>
  </tests>
  <objects>
    <unix:sysctl_object id="oval:x:obj:2" version="1"><unix:name var_ref="oval:x:var:404"/></unix:sysctl_object>
  </objects>
</oval_definitions>
"#;

#[test]
fn validate_names_every_dangling_reference_and_info_still_describes() {
    let d = tempfile::tempdir().unwrap();
    let oval = write(&d.path().join("dangling-oval.xml"), DANGLING_OVAL);
    let dirs = [(d.path(), "[DIR]")];
    let out = vigil_snapshot!(
        "validate_dangling_oval",
        vigil_cmd(&["validate", s(&oval)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let out = vigil_snapshot!("info_dangling_oval", vigil_cmd(&["info", s(&oval)]), &dirs);
    assert_eq!(out.status.code(), Some(0));

    // A benchmark whose OVAL file is missing.
    let text = std::fs::read_to_string(report_xccdf()).unwrap();
    let xccdf = write(
        &d.path().join("missing-xccdf.xml"),
        &text.replace(r#"href="report-oval.xml""#, r#"href="missing-oval.xml""#),
    );
    let out = vigil_snapshot!(
        "validate_missing_oval_file",
        vigil_cmd(&["validate", s(&xccdf)]).current_dir(d.path()),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- exit 1: content that cannot be read ----

#[test]
fn content_that_is_missing_not_xml_or_not_scap_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    // (A missing file: messages.rs, "missing_content".)
    let not_xml = write(&d.path().join("notes.txt"), "hello\n");
    let out = vigil_snapshot!("content_not_xml", vigil_cmd(&["scan", s(&not_xml)]), &dirs);
    assert_eq!(out.status.code(), Some(1));
    let broken = write(
        &d.path().join("broken.xml"),
        "<Benchmark><Rule>\n</Benchmark>\n",
    );
    let out = vigil_snapshot!(
        "content_malformed_xml",
        vigil_cmd(&["validate", s(&broken)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let not_scap = write(&d.path().join("feed.xml"), "<rss version=\"2.0\"/>\n");
    let out = vigil_snapshot!(
        "content_not_scap",
        vigil_cmd(&["info", s(&not_scap)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- exit 1: bad selections and values ----

#[test]
fn unknown_profiles_rules_and_values_are_refused_before_the_scan() {
    for (name, args) in [
        ("unknown_profile_xccdf", &["--profile", "nosuch"][..]),
        // (An unknown profile and a Value that is not a number: messages.rs.)
        ("unknown_rule", &["--rule", "nosuch"][..]),
        ("unknown_value", &["--var", "nosuch=1"]),
        ("var_without_value", &["--var", "denied_threshold"]),
    ] {
        let mut all = vec!["scan", "-q"];
        all.extend_from_slice(args);
        let out = vigil_snapshot!(name, vigil_cmd(&all));
        assert_eq!(out.status.code(), Some(1), "{name}");
    }
}

// ---- exit 1: a site policy that does not load ----

#[test]
fn a_bad_policy_names_its_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    for (name, text) in [
        (
            "policy_wrong_type",
            "[site]\nname = \"lab\"\n\n[[roles]]\nname = 5\nkind = \"other\"\n",
        ),
        ("policy_not_toml", "[site]\nname = \"lab\nkind = 1\n"),
        ("policy_empty", ""),
    ] {
        let p = write(&d.path().join("policy.toml"), text);
        let out = vigil_snapshot!(name, vigil_cmd(&["scan", "-q", "--policy", s(&p)]), &dirs);
        assert_eq!(out.status.code(), Some(1), "{name}");
    }
}

// ---- exit 1: outputs that cannot be written ----

#[test]
fn an_output_that_cannot_be_written_is_named() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    // (A missing directory: messages.rs, "unwritable_output".)
    // A path below a regular file.
    let file = write(&d.path().join("file"), "");
    let html = file.join("report.html");
    let out = vigil_snapshot!(
        "output_below_a_file",
        vigil_cmd(&["scan", "-q", "--root", &report_root(), "--html", s(&html)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- remote: exit 1 for a bad host spec or a host that cannot be scanned ----

#[test]
fn bad_host_specs_and_unreachable_hosts_are_named() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let out = vigil_snapshot!("host_bad_name", vigil_cmd(&["scan", "--host", "a b"]));
    assert_eq!(out.status.code(), Some(1));
    let hosts = write(&d.path().join("hosts"), "kms1\nkms2:notaport\n");
    let out = vigil_snapshot!(
        "hosts_bad_port",
        vigil_cmd(&["scan", "--hosts", s(&hosts)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let out = vigil_snapshot!(
        "hosts_file_missing",
        vigil_cmd(&["scan", "--hosts", "/nonexistent/hosts"])
    );
    assert_eq!(out.status.code(), Some(1));
    // Port 1 on loopback: nothing listens, ssh is refused at once.
    let out = vigil_snapshot!(
        "host_unreachable",
        vigil_cmd(&[
            "scan",
            "-q",
            "--host",
            "127.0.0.1:1",
            "--ssh-option",
            "BatchMode=yes"
        ])
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- report: 0 writes, 1 not a results document ----

#[test]
fn report_of_something_that_is_not_a_results_document() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let html = d.path().join("r.html");
    let out = vigil_snapshot!(
        "report_results_missing",
        vigil_cmd(&["report", "/nonexistent/r.json", "--html", s(&html)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let json = write(&d.path().join("r.json"), "{\"schema_version\": \"1.1\"}\n");
    let out = vigil_snapshot!(
        "report_not_results",
        vigil_cmd(&["report", s(&json), "--html", s(&html)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(!html.exists());
}

// ---- history: list, diff (0, 2, 1), verify (0, 2, 1) ----

#[test]
fn history_commands_on_a_history_of_three_scans() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let h = d.path().join("history");
    let (hs, x, root) = (s(&h), report_xccdf(), report_root());
    let scan = |extra: &[&str]| {
        let mut args = vec!["scan", &x, "--root", &root, "-q", "--history", hs];
        args.extend_from_slice(extra);
        crate::vigil(&args).status.code()
    };

    assert_eq!(scan(&["--rule", "family", "--rule", "uid0"]), Some(0));
    let out = vigil_snapshot!(
        "history_diff_too_few",
        vigil_cmd(&["history", "diff", hs]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(scan(&["--profile", "all"]), Some(2));
    let out = vigil_snapshot!("history_list", vigil_cmd(&["history", "list", hs]), &dirs);
    assert_eq!(out.status.code(), Some(0));
    let out = vigil_snapshot!(
        "history_diff_new_failures",
        vigil_cmd(&["history", "diff", hs]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(scan(&["--profile", "all"]), Some(2));
    let out = vigil_snapshot!(
        "history_diff_no_changes",
        vigil_cmd(&["history", "diff", hs]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));
    let out = vigil_snapshot!(
        "history_verify_intact",
        vigil_cmd(&["history", "verify", hs]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));

    // Edit the first scan's results file.
    let ledger = std::fs::read_to_string(h.join("ledger.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(ledger.lines().next().unwrap()).unwrap();
    let results = h.join("results").join(format!(
        "{}.json",
        first["results_sha256"].as_str().unwrap()
    ));
    let mut text = std::fs::read_to_string(&results).unwrap();
    text.push(' ');
    std::fs::write(&results, text).unwrap();
    let out = vigil_snapshot!(
        "history_verify_tampered",
        vigil_cmd(&["history", "verify", hs]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(2));

    let out = vigil_snapshot!(
        "history_list_missing",
        vigil_cmd(&["history", "list", "/nonexistent/history"])
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- baseline: create, check (0, 2, 1) ----

#[test]
fn baseline_create_and_check_unchanged_changed_and_not_a_baseline() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let tree = d.path().join("tree");
    let mode = |p: &Path, m: u32| {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
    };
    for (rel, text) in [("a.conf", "a\n"), ("sub/b.key", "b\n")] {
        mode(&write(&tree.join(rel), text), 0o644);
    }
    mode(&tree, 0o755);
    mode(&tree.join("sub"), 0o755);
    let base = d.path().join("kms.baseline");
    let out = vigil_snapshot!(
        "baseline_create",
        vigil_cmd(&["baseline", "create", "--out", s(&base), s(&tree)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));
    let out = vigil_snapshot!(
        "baseline_check_unchanged",
        vigil_cmd(&["baseline", "check", s(&base)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));

    std::fs::write(tree.join("a.conf"), "changed\n").unwrap();
    mode(&write(&tree.join("c.conf"), "new\n"), 0o644);
    std::fs::remove_file(tree.join("sub/b.key")).unwrap();
    mode(&tree.join("sub"), 0o700);
    let out = vigil_snapshot!(
        "baseline_check_changed",
        vigil_cmd(&["baseline", "check", s(&base)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(2));

    let not = write(&d.path().join("results.json"), "{\"rules\": []}\n");
    let out = vigil_snapshot!(
        "baseline_check_not_a_baseline",
        vigil_cmd(&["baseline", "check", s(&not)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let inside = tree.join("kms.baseline");
    let out = vigil_snapshot!(
        "baseline_create_inside_the_tree",
        vigil_cmd(&["baseline", "create", "--out", s(&inside), s(&tree)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- policy check: ok (0), error (1), notes under --root (0) ----

#[test]
fn policy_check_says_what_loaded_or_the_field_that_did_not() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/ccm-log11/policy.example.toml"
    );
    let out = vigil_snapshot!(
        "policy_check_example",
        vigil_cmd(&["policy", "check", example])
    );
    assert_eq!(out.status.code(), Some(0));

    let bad = write(
        &d.path().join("p.toml"),
        "[[keys]]\nname = \"k\"\npath = \"/k\"\nmode = 640\n",
    );
    let out = vigil_snapshot!(
        "policy_check_integer_mode",
        vigil_cmd(&["policy", "check", s(&bad)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));

    let missing = write(
        &d.path().join("m.toml"),
        "[site]\nname = \"x\"\n\n[[audit_logs]]\nname = \"a\"\nformat = \"auditd\"\npath = \"/var/log/audit/audit.log\"\nmax_silence = \"1h\"\n",
    );
    let out = vigil_snapshot!(
        "policy_check_missing_field",
        vigil_cmd(&["policy", "check", s(&missing)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));

    // Under --root: what the policy names and the root lacks is a note, not an error.
    let root = d.path().join("root");
    write(&root.join("etc/kms/k.pem"), "x\n");
    let ok = write(
        &d.path().join("ok.toml"),
        "[[keys]]\nname = \"k\"\npath = \"/etc/kms/k.pem\"\n[[keys]]\nname = \"gone\"\npath = \"/etc/kms/gone.pem\"\n\n[siem]\nhost = \"siem.example.net\"\n",
    );
    let out = vigil_snapshot!(
        "policy_check_root_notes",
        vigil_cmd(&["policy", "check", s(&ok), "--root", s(&root)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));

    let out = vigil_snapshot!(
        "policy_check_no_file",
        vigil_cmd(&["policy", "check", "/nonexistent/policy.toml"])
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- --variables: an OVAL variables document that does not fit is refused ----

#[test]
fn a_variables_document_that_does_not_fit_the_content_is_refused_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    let dirs = [(d.path(), "[DIR]")];
    let content = fixture("oval/variables/external.xml");
    let vars = |body: &str| {
        write(
            &d.path().join("vars.xml"),
            &format!(
                "<?xml version=\"1.0\"?>\n<oval_variables xmlns=\"http://oval.mitre.org/XMLSchema/oval-variables-5\">\n<variables>\n{body}\n</variables>\n</oval_variables>\n"
            ),
        )
    };
    // Declared int in the definitions: a string here would compare differently.
    let v = vars(
        r#"<variable id="oval:variables.external:var:1" datatype="string"><value>5</value></variable>"#,
    );
    let out = vigil_snapshot!(
        "variables_datatype_differs",
        vigil_cmd(&["scan", &content, "--variables", s(&v)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let v = vars(r#"<variable id="oval:variables.external:var:1" datatype="int"/>"#);
    let out = vigil_snapshot!(
        "variables_without_value",
        vigil_cmd(&["scan", &content, "--variables", s(&v)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    let out = vigil_snapshot!(
        "variables_not_a_variables_document",
        vigil_cmd(&["scan", &content, "--variables", &content])
    );
    assert_eq!(out.status.code(), Some(1));
}
