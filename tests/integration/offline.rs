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
