//! Limits that hold inside the probes (issue 13, items 6 and 9), end to end through the
//! `vigil` binary with the child's peak RSS from `wait4` (see `hostile`):
//!
//! - item caps are checked as items are produced, so a textfilecontent54 object
//!   matching every line of a large file peaks at what the cap allows, not at what the
//!   file holds;
//! - content patterns run under vigil's own PCRE2 match limit (`--regex-match-limit`),
//!   so a catastrophic pattern ends quickly as `error`, naming the pattern and the limit.

use std::ffi::OsStr;
use std::fs;
use std::io::Write;
use std::path::Path;

use super::hostile::{json, serial, vigil};

/// One textfilecontent54 definition on `/etc/login.defs` with `pattern`, every instance.
fn content(pattern: &str) -> String {
    format!(
        r#"<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions><definition id="oval:l:def:1" version="1" class="compliance"><metadata><title>t</title><description>d</description></metadata><criteria><criterion test_ref="oval:l:tst:1"/></criteria></definition></definitions>
<tests><ind:textfilecontent54_test id="oval:l:tst:1" version="1" check="all" check_existence="at_least_one_exists" comment="c"><ind:object object_ref="oval:l:obj:1"/></ind:textfilecontent54_test></tests>
<objects><ind:textfilecontent54_object id="oval:l:obj:1" version="1"><ind:filepath>/etc/login.defs</ind:filepath><ind:pattern operation="pattern match">{pattern}</ind:pattern><ind:instance datatype="int" operation="greater than or equal">1</ind:instance></ind:textfilecontent54_object></objects>
</oval_definitions>"#
    )
}

/// Scans `root` with `content` and `flags`; the run and the results document.
fn scan(
    dir: &Path,
    root: &Path,
    content: &str,
    flags: &[&str],
) -> (super::hostile::Run, Option<serde_json::Value>) {
    let c = dir.join("content.xml");
    fs::write(&c, content).unwrap();
    let results = dir.join("results.json");
    let _ = fs::remove_file(&results);
    let mut args = vec![
        OsStr::new("scan"),
        c.as_os_str(),
        OsStr::new("--root"),
        root.as_os_str(),
        OsStr::new("--json"),
        results.as_os_str(),
        OsStr::new("-q"),
    ];
    args.extend(flags.iter().map(OsStr::new));
    let r = vigil(args);
    let doc = results.exists().then(|| json(&results));
    (r, doc)
}

#[test]
fn a_capped_collection_is_bounded_by_the_cap_not_by_the_file() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    // 8 MB of matching lines (about 490,000), written in pieces so that the test
    // process never holds the file (its high-water mark would show in the child's).
    {
        let mut f = std::io::BufWriter::new(fs::File::create(root.join("etc/login.defs")).unwrap());
        for _ in 0..(8 << 20) / 17 {
            f.write_all(b"PASS_MAX_DAYS 90\n").unwrap();
        }
        f.flush().unwrap();
    }
    let c = content(r"^\s*PASS_MAX_DAYS\s+(\d+)\s*$");

    // The item cap: before, every line became an item before the cap was looked at
    // (about 600 MB for this file).
    let (r, doc) = scan(dir.path(), &root, &c, &["--max-object-items", "1000"]);
    let what = r.describe();
    assert!(matches!(r.code, Some(0 | 2)), "{what}");
    let doc = doc.expect("results");
    let obj = &doc["objects"][0];
    assert_eq!(obj["flag"], "error", "{obj}");
    assert_eq!(obj["item_count"], 1000, "{obj}");
    assert!(
        obj.to_string()
            .contains("more than 1000 items (--max-object-items)"),
        "{obj}"
    );
    assert_eq!(doc["definitions"][0]["result"], "error");
    // Measured: 17 MiB (the 8 MB file, read once, and 1000 items).
    r.assert_rss_below_mib(60, "capped at 1000 items");

    // The default limits: the item budget (64 MiB) stops it long before 500,000 items.
    let (r, doc) = scan(dir.path(), &root, &c, &[]);
    let what = r.describe();
    assert!(matches!(r.code, Some(0 | 2)), "{what}");
    let obj = &doc.expect("results")["objects"][0];
    assert_eq!(obj["flag"], "error", "{obj}");
    assert!(obj.to_string().contains("(--max-object-bytes)"), "{obj}");
    // Measured: 89 MiB; before, about 600 MB.
    r.assert_rss_below_mib(150, "default limits");
}

#[test]
fn a_catastrophic_pattern_ends_as_error_naming_the_pattern_and_the_limit() {
    let _serial = serial();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("etc")).unwrap();
    // Exponential backtracking: `(a+)+` can split 10,000 `a`s in 2^9999 ways, and
    // the `b` makes every one of them fail.
    fs::write(
        root.join("etc/login.defs"),
        format!("{}b\nPASS_MAX_DAYS 90\n", "a".repeat(10_000)),
    )
    .unwrap();
    let c = content("^(a+)+$");
    for (flags, limit) in [
        (&[][..], "10000000"),
        (&["--regex-match-limit", "5000"][..], "5000"),
    ] {
        let (r, doc) = scan(dir.path(), &root, &c, flags);
        let what = r.describe();
        assert!(matches!(r.code, Some(0 | 2)), "{what}");
        let doc = doc.expect("results");
        let obj = doc["objects"][0].to_string();
        assert_eq!(doc["objects"][0]["flag"], "error", "{obj}");
        assert!(
            obj.contains(&format!(
                "pattern '^(a+)+$' passed the regular-expression match limit of {limit} steps (--regex-match-limit)"
            )),
            "{obj}"
        );
        assert_eq!(doc["definitions"][0]["result"], "error", "{obj}");
    }
    // Ordinary patterns still evaluate under the limits.
    let (r, doc) = scan(
        dir.path(),
        &root,
        &content(r"^PASS_MAX_DAYS\s+(\d+)$"),
        &["--regex-match-limit", "5000", "--regex-depth-limit", "100"],
    );
    assert!(matches!(r.code, Some(0 | 2)), "{}", r.describe());
    let doc = doc.expect("results");
    assert_eq!(
        doc["objects"][0]["flag"], "complete",
        "{}",
        doc["objects"][0]
    );
    assert_eq!(doc["definitions"][0]["result"], "true");

    // Limits PCRE2 would not honour are refused before the scan.
    for bad in [
        &["--regex-match-limit", "0"][..],
        &["--regex-depth-limit", "4294967295"][..],
    ] {
        let (r, _) = scan(dir.path(), &root, &c, bad);
        assert_eq!(r.code, Some(1), "{bad:?}: {}", r.describe());
        assert!(r.stderr.contains(bad[0]), "{bad:?}: {}", r.describe());
    }
}
