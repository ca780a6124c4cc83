//! Offline scans (`--root`): every probe reads under the root, probes that need the
//! running kernel are not applicable. Two fixture roots, one compliant and one not,
//! give opposite results for the same SSG definitions, so the results demonstrably
//! come from the root and not from the machine running the test.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use super::scan_json;

const OVAL: &str = "/usr/share/xml/scap/ssg/content/ssg-debian11-oval.xml";

fn write(root: &Path, rel: &str, text: &str, mode: u32) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn dpkg_entry(name: &str, version: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: {version}\nDescription: fixture\n\n"
    )
}

fn build_root(root: &Path, compliant: bool) {
    let mut passwd =
        String::from("root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n");
    let mut shadow = String::from("root:$6$abc$def:19000:0:99999:7:::\n");
    if compliant {
        shadow.push_str("alice:$6$xyz$uvw:19000:0:99999:7:::\n");
    } else {
        passwd.push_str("toor:x:0:0::/root:/bin/sh\n");
        shadow.push_str("alice::19000:0:99999:7:::\ntoor:$6$a$b:19000:0:99999:7:::\n");
    }
    write(root, "etc/passwd", &passwd, 0o644);
    write(root, "etc/group", "root:x:0:\nalice:x:1000:\n", 0o644);
    write(
        root,
        "etc/shadow",
        &shadow,
        if compliant { 0o640 } else { 0o644 },
    );
    write(
        root,
        "etc/os-release",
        "NAME=\"Debian GNU/Linux\"\nVERSION_ID=\"11\"\nID=debian\n",
        0o644,
    );
    write(
        root,
        "etc/hostname",
        if compliant { "good\n" } else { "bad\n" },
        0o644,
    );
    let mut status = dpkg_entry("base-files", "11.1+deb11u8");
    if !compliant {
        status.push_str(&dpkg_entry("nis", "4.4"));
    }
    write(root, "var/lib/dpkg/status", &status, 0o644);
}

fn results(root: &Path) -> serde_json::Value {
    crate::testtool::require(OVAL);
    let (_, doc) = scan_json(&[OVAL, "--root", root.to_str().unwrap()]);
    doc
}

fn result_of<'a>(doc: &'a serde_json::Value, id: &str) -> &'a str {
    doc["definitions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap_or_else(|| panic!("{id} not in results"))["result"]
        .as_str()
        .unwrap()
}

#[test]
fn results_come_from_the_root() {
    let good = tempfile::tempdir().unwrap();
    let bad = tempfile::tempdir().unwrap();
    build_root(good.path(), true);
    build_root(bad.path(), false);
    let g = results(good.path());
    let b = results(bad.path());
    for (id, want_good, want_bad) in [
        (
            "oval:ssg-accounts_no_uid_except_zero:def:1",
            "true",
            "false",
        ),
        (
            "oval:ssg-no_empty_passwords_etc_shadow:def:1",
            "true",
            "false",
        ),
        ("oval:ssg-package_nis_removed:def:1", "true", "false"),
    ] {
        assert_eq!(result_of(&g, id), want_good, "{id} on the compliant root");
        assert_eq!(
            result_of(&b, id),
            want_bad,
            "{id} on the non-compliant root"
        );
    }
    assert_eq!(
        g["scan"]["root"].as_str().map(|s| s.is_empty()),
        Some(false)
    );
    assert_eq!(g["scan"]["host"]["hostname"], "good");
    assert_eq!(b["scan"]["host"]["hostname"], "bad");
}

#[test]
fn kernel_probes_are_not_applicable_offline() {
    let root = tempfile::tempdir().unwrap();
    build_root(root.path(), true);
    let doc = results(root.path());
    let sysctl: Vec<_> = doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "sysctl_object" || o["kind"] == "uname_object")
        .collect();
    assert!(!sysctl.is_empty());
    for o in sysctl {
        assert_eq!(o["flag"], "not applicable", "{o}");
    }
}

/// An image's absolute symbolic links mean the image's files: `/etc/passwd ->
/// /data/passwd.real` is read from the root, never from the scanning machine's `/data`,
/// and the same for `/var/lib/dpkg -> /data/dpkg` and `/etc/os-release`. A FIFO planted
/// as `/etc/shadow` makes the shadow object an error instead of hanging the scan.
#[test]
fn absolute_links_in_the_root_resolve_inside_it_and_fifos_do_not_block() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "data/passwd.real",
        "imageuser:x:1001:1001::/home/imageuser:/bin/sh\n",
        0o644,
    );
    write(
        root,
        "data/dpkg/status",
        &dpkg_entry("imagepkg", "1.0-1"),
        0o644,
    );
    write(
        root,
        "data/os-release",
        "NAME=\"Image OS\"\nVERSION_ID=\"7\"\n",
        0o644,
    );
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::create_dir_all(root.join("var/lib")).unwrap();
    std::os::unix::fs::symlink("/data/passwd.real", root.join("etc/passwd")).unwrap();
    std::os::unix::fs::symlink("/data/os-release", root.join("etc/os-release")).unwrap();
    std::os::unix::fs::symlink("/data/dpkg", root.join("var/lib/dpkg")).unwrap();
    let status = crate::tool("mkfifo")
        .arg(root.join("etc/shadow"))
        .status()
        .unwrap();
    assert!(status.success());
    let oval = dir.path().join("links.xml");
    std::fs::write(&oval, LINKS_OVAL).unwrap();
    let (code, doc) = scan_json(&[oval.to_str().unwrap(), "--root", root.to_str().unwrap()]);
    assert_eq!(code, 2, "{doc}");
    let def = |id: &str| {
        doc["definitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == id)
            .unwrap()["result"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        def("oval:l:def:1"),
        "true",
        "passwd through an absolute link"
    );
    assert_eq!(
        def("oval:l:def:2"),
        "true",
        "dpkg database through an absolute link"
    );
    assert_eq!(def("oval:l:def:3"), "error", "a FIFO as /etc/shadow");
    assert_eq!(doc["scan"]["host"]["os_name"], "Image OS");
}

const LINKS_OVAL: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix" xmlns:linux="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux">
  <generator><oval:schema_version>5.11.2</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
  <definitions>
    <definition class="compliance" id="oval:l:def:1" version="1"><metadata><title>passwd</title><description>d</description></metadata><criteria><criterion test_ref="oval:l:tst:1"/></criteria></definition>
    <definition class="compliance" id="oval:l:def:2" version="1"><metadata><title>dpkg</title><description>d</description></metadata><criteria><criterion test_ref="oval:l:tst:2"/></criteria></definition>
    <definition class="compliance" id="oval:l:def:3" version="1"><metadata><title>shadow</title><description>d</description></metadata><criteria><criterion test_ref="oval:l:tst:3"/></criteria></definition>
  </definitions>
  <tests>
    <unix:password_test id="oval:l:tst:1" version="1" check="all" check_existence="at_least_one_exists" comment="c"><unix:object object_ref="oval:l:obj:1"/></unix:password_test>
    <linux:dpkginfo_test id="oval:l:tst:2" version="1" check="all" check_existence="at_least_one_exists" comment="c"><linux:object object_ref="oval:l:obj:2"/></linux:dpkginfo_test>
    <unix:shadow_test id="oval:l:tst:3" version="1" check="all" check_existence="at_least_one_exists" comment="c"><unix:object object_ref="oval:l:obj:3"/></unix:shadow_test>
  </tests>
  <objects>
    <unix:password_object id="oval:l:obj:1" version="1"><unix:username>imageuser</unix:username></unix:password_object>
    <linux:dpkginfo_object id="oval:l:obj:2" version="1"><linux:name>imagepkg</linux:name></linux:dpkginfo_object>
    <unix:shadow_object id="oval:l:obj:3" version="1"><unix:username operation="pattern match">.*</unix:username></unix:shadow_object>
  </objects>
</oval_definitions>
"#;
