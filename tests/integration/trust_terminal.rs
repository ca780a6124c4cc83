//! Issue 13, item 5: nothing a scanned image or a content file holds reaches the
//! operator's terminal raw. A hostile `/etc/hostname` (set the window title, clear the
//! screen), hostile file names in `baseline check`, a hostile benchmark title in `info`:
//! the output shows the control characters as `\xNN` and contains none of them.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use crate::{fixture, vigil};

/// Bytes a terminal acts on: C0 controls other than newline and tab, DEL, and the C1
/// controls (U+0080..U+009F, two bytes in UTF-8).
fn raw_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(bytes);
    text.chars()
        .filter(|&c| c.is_control() && c != '\n' && c != '\t')
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

const HOSTILE: &str = "evil\x1b]0;owned\x07\x1b[2J\u{9b}31m";

#[test]
fn a_hostile_image_host_name_is_shown_escaped_in_the_summary() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    copy_tree(&fixture("report/root"), &root);
    std::fs::write(root.join("etc/hostname"), format!("{HOSTILE}\n")).unwrap();
    let out = vigil(&["scan", "--root", root.to_str().unwrap()]);
    assert!(matches!(out.status.code(), Some(0 | 2)), "{out:?}");
    for (name, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert_eq!(raw_controls(bytes), Vec::<String>::new(), "{name}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(r"evil\x1b]0;owned\x07\x1b[2J\x9b31m"),
        "{stdout}"
    );
}

#[test]
fn hostile_file_names_are_shown_escaped_by_baseline_check() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("a"), "1").unwrap();
    let baseline = d.path().join("b.json");
    let out = vigil(&[
        "baseline",
        "create",
        "--out",
        baseline.to_str().unwrap(),
        tree.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let name = OsStr::from_bytes(HOSTILE.as_bytes());
    std::fs::write(tree.join(name), "x").unwrap();
    let out = vigil(&["baseline", "check", baseline.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert_eq!(raw_controls(&out.stdout), Vec::<String>::new());
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"\x1b[2J"));
}

#[test]
fn a_hostile_benchmark_title_is_shown_escaped_by_info() {
    // XML 1.0 forbids most C0 characters but allows the C1 ones: U+009B is a CSI.
    let d = tempfile::tempdir().unwrap();
    let xccdf = std::fs::read_to_string(fixture("report/report-xccdf.xml")).unwrap();
    let xccdf = xccdf.replacen(
        "<title>vigil report fixture</title>",
        "<title>fixture &#x9b;2J&#x9d;0;owned&#x9c;</title>",
        1,
    );
    std::fs::write(d.path().join("report-xccdf.xml"), xccdf).unwrap();
    std::fs::copy(
        fixture("report/report-oval.xml"),
        d.path().join("report-oval.xml"),
    )
    .unwrap();
    let out = vigil(&["info", d.path().join("report-xccdf.xml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(raw_controls(&out.stdout), Vec::<String>::new());
    assert!(String::from_utf8_lossy(&out.stdout).contains(r"fixture \x9b2J\x9d0;owned\x9c"));
}
