//! What content and hosts supply cannot steer vigil (issue 13): a name from a data
//! stream or a host cannot choose where vigil writes, host names and inventories are
//! checked by vigil before ssh sees them, a host cannot overwrite the fleet summary, and
//! a remote scan reads results as deep as a local one. Each test runs the real binary,
//! over real sshd on 127.0.0.1 where a host is involved (the harness of remote.rs).

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::remote::{Lab, host, summary, text};

/// A data stream of the report fixture whose benchmark and catalog name its OVAL
/// document `href` (as hostile content would: an absolute path, or `../..`).
fn datastream_naming_its_oval(href: &str) -> String {
    let read = |f: &str| {
        let t = std::fs::read_to_string(crate::fixture(&format!("report/{f}"))).unwrap();
        t[t.find("?>").unwrap() + 2..].to_string()
    };
    let xccdf =
        read("report-xccdf.xml").replace("href=\"report-oval.xml\"", &format!("href=\"{href}\""));
    let oval = read("report-oval.xml");
    format!(
        r##"<?xml version="1.0"?>
<s:data-stream-collection xmlns:s="http://scap.nist.gov/schema/scap/source/1.2"
    xmlns:l="http://www.w3.org/1999/xlink" xmlns:k="urn:oasis:names:tc:entity:xmlns:xml:catalog"
    id="scap_dev.vigil_collection_t" schematron-version="1.3">
  <s:data-stream id="scap_dev.vigil_datastream_t" scap-version="1.3" use-case="OTHER">
    <s:checklists>
      <s:component-ref id="scap_dev.vigil_cref_xccdf" l:href="#scap_dev.vigil_comp_xccdf">
        <k:catalog><k:uri name="{href}" uri="#scap_dev.vigil_cref_oval"/></k:catalog>
      </s:component-ref>
    </s:checklists>
    <s:checks>
      <s:component-ref id="scap_dev.vigil_cref_oval" l:href="#scap_dev.vigil_comp_oval"/>
    </s:checks>
  </s:data-stream>
  <s:component id="scap_dev.vigil_comp_xccdf" timestamp="2024-01-01T00:00:00">{xccdf}</s:component>
  <s:component id="scap_dev.vigil_comp_oval" timestamp="2024-01-01T00:00:00">{oval}</s:component>
</s:data-stream-collection>
"##
    )
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Item 3: `--oval-results DIR` writes `<document>.result.xml` with the document's name
/// reduced to its last plain component, locally and on a remote host, so an absolute
/// or `../..` href cannot put a file outside DIR.
#[test]
fn content_names_cannot_make_oval_results_escape_the_directory() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let deep = lab.path("a/b");
    std::fs::create_dir_all(&deep).unwrap();
    let absolute = lab.path("escaped-abs");
    let cases = [
        (
            absolute.display().to_string(),
            lab.path("escaped-abs.result.xml"),
            "escaped-abs.result.xml",
        ),
        (
            "../../escaped-rel".to_string(),
            lab.path("a/escaped-rel.result.xml"),
            "escaped-rel.result.xml",
        ),
    ];
    for (i, (href, outside, reduced)) in cases.iter().enumerate() {
        let ds = lab.path(&format!("ds{i}.xml"));
        std::fs::write(&ds, datastream_naming_its_oval(href)).unwrap();
        // Locally.
        let dir = deep.join(format!("local{i}"));
        std::fs::create_dir(&dir).unwrap();
        let out = crate::vigil(&[
            "scan",
            ds.to_str().unwrap(),
            "--quiet",
            "--oval-results",
            dir.to_str().unwrap(),
        ]);
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{href}: {}",
            text(&out)
        );
        assert!(
            !outside.exists(),
            "{href}: local scan wrote {}",
            outside.display()
        );
        assert_eq!(names(&dir), [*reduced], "{href}");
        // Over ssh: the host writes into its own directory, and the file comes back.
        let dir = deep.join(format!("remote{i}"));
        std::fs::create_dir(&dir).unwrap();
        let out = lab
            .real_scan(&ds)
            .args(["--host", &host(port), "--quiet", "--oval-results"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            !outside.exists(),
            "{href}: remote scan wrote {}",
            outside.display()
        );
        assert!(
            matches!(out.status.code(), Some(0 | 2)),
            "{href}: {}",
            text(&out)
        );
        assert_eq!(names(&dir), [*reduced], "{href}");
        let local = std::fs::read_to_string(deep.join(format!("local{i}")).join(reduced)).unwrap();
        assert!(local.contains("oval_results"), "{href}");
    }
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// Item 7: a host name with shell metacharacters or control characters is refused by
/// vigil before ssh runs: OpenSSH before 9.6 (Debian 12 has 9.2) hands the name to a
/// ProxyCommand's shell, where `x&id>pwned` would run `id`.
#[test]
fn hostile_host_names_are_refused_before_ssh_runs() {
    let lab = Lab::new();
    let cwd = lab.path("cwd");
    std::fs::create_dir(&cwd).unwrap();
    let config = lab.path("ssh_config");
    std::fs::write(&config, "Host *\n    ProxyCommand true %h\n").unwrap();
    let plan = lab.plan("file /etc/passwd\n");
    let inventory = lab.path("inventory");
    std::fs::write(&inventory, "[web]\nx&id>pwned2\n").unwrap();
    for (args, named) in [
        (vec!["--host", "x&id>pwned"], "x&id>pwned"),
        (vec!["--host", "web\u{7}01"], "web\\x0701"),
        (vec!["--host", "root@web|id"], "root@web|id"),
        (vec!["--hosts", inventory.to_str().unwrap()], "x&id>pwned2"),
    ] {
        let out = lab
            .vigil(&plan, &args)
            .arg("--ssh-config")
            .arg(&config)
            .current_dir(&cwd)
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {all}");
        assert!(
            names(&cwd).is_empty(),
            "{args:?}: ssh's ProxyCommand ran: {:?}",
            names(&cwd)
        );
        assert!(
            all.contains("not a host name") && all.contains(named),
            "{args:?}: {all}"
        );
    }
}

/// Item 7: an inventory range product is counted before it is expanded, and past the
/// cap it is one clear error instead of memory exhausted. The run is bounded (2 GB of
/// address space, 60 s) so that code without the cap fails the test, not the machine.
#[test]
fn inventory_range_products_are_capped_before_expansion() {
    let lab = Lab::new();
    let inventory = lab.path("inventory");
    std::fs::write(&inventory, "[web]\nok1\na[0:99999]b[0:99999]\n").unwrap();
    let plan = lab.plan("file /etc/passwd\n");
    let mut child = crate::tool("prlimit")
        .arg("--as=2000000000")
        .arg("--")
        .arg(crate::VIGIL)
        .args([
            "scan",
            plan.to_str().unwrap(),
            "--remote-subcommand",
            "remote-selftest",
        ])
        .arg("--hosts")
        .arg(&inventory)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vigil was still expanding the inventory after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}:3:", inventory.display()))
            && err.contains("more than 100000 hosts"),
        "{err}"
    );
}

/// Item 7: a `--remote-tmpdir` that vigil would not remove afterwards (a `..`
/// component, a space) is refused before anything is created on the host.
#[test]
fn a_remote_tmpdir_that_fails_validation_leaves_nothing_behind() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let plan = lab.plan("file /etc/passwd\n");
    let spaced = lab.path("remote-tmp/with space");
    std::fs::create_dir(&spaced).unwrap();
    for tmpdir in [
        format!("{}/../remote-tmp", lab.path("remote-tmp").display()),
        spaced.display().to_string(),
    ] {
        let out = lab
            .vigil_own_tmp(&plan, &["--host", &host(port), "--remote-tmpdir", &tmpdir])
            .output()
            .unwrap();
        let all = text(&out);
        assert_eq!(out.status.code(), Some(1), "{tmpdir}: {all}");
        assert!(
            all.contains("--remote-tmpdir") && all.contains(&tmpdir),
            "{all}"
        );
        assert_eq!(lab.leftovers(), ["with space"], "{tmpdir}");
        assert!(names(&spaced).is_empty(), "{tmpdir}: {:?}", names(&spaced));
    }
}

/// Item 7: a host whose label is `fleet-summary` gets a file of its own name; the fleet
/// summary stays the summary, and every host's results file is its results.
#[test]
fn a_host_labelled_fleet_summary_cannot_overwrite_the_summary() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let config = lab.path("ssh_config");
    std::fs::write(
        &config,
        format!("Host fleet-summary Fleet-Summary.json\n    HostName 127.0.0.1\n    Port {port}\n    User root\n"),
    )
    .unwrap();
    let plan = lab.plan("file /etc/passwd\n");
    let out_dir = lab.path("fleet");
    let out = lab
        .vigil(
            &plan,
            &["--host", "fleet-summary", "--host", "Fleet-Summary.json"],
        )
        .args(["--host", &host(port), "--fleet-out"])
        .arg(&out_dir)
        .arg("--ssh-config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let s = summary(&out_dir);
    assert_eq!(s["totals"]["hosts"], 3, "{s}");
    let mut files = Vec::new();
    for h in s["hosts"].as_array().unwrap() {
        let f = h["results_file"].as_str().unwrap_or_else(|| panic!("{s}"));
        let doc: Value = serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
        assert!(
            doc["rules"].is_array(),
            "{f} is not {}'s results",
            h["host"]
        );
        files.push(f.to_ascii_lowercase());
    }
    files.sort();
    files.dedup();
    assert_eq!(files.len(), 3, "{files:?}");
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}

/// Item 8: a criteria tree 250 levels deep (under the XML parser's 256-element limit)
/// gives the same results over `--host` as locally.
#[test]
fn deep_criteria_trees_scan_over_ssh_as_locally() {
    let mut lab = Lab::new();
    let port = lab.sshd("", "hostkey");
    let text200 =
        std::fs::read_to_string(crate::fixture("hostile/content/deep-criteria.xml")).unwrap();
    let open = "<criteria operator=\"AND\">";
    let at = text200.find(open).unwrap();
    let end = text200.rfind("</criteria>").unwrap() + "</criteria>".len();
    let deeper = format!(
        "{}{}{}{}{}",
        &text200[..at],
        open.repeat(50),
        &text200[at..end],
        "</criteria>".repeat(50),
        &text200[end..]
    );
    assert_eq!(deeper.matches(open).count(), 250);
    let content = lab.path("deep-250.xml");
    std::fs::write(&content, deeper).unwrap();
    let local = crate::vigil(&["scan", content.to_str().unwrap(), "--json", "-", "--quiet"]);
    assert_eq!(local.status.code(), Some(0), "{}", text(&local));
    let remote = lab
        .real_scan(&content)
        .args(["--host", &host(port), "--json", "-", "--quiet"])
        .output()
        .unwrap();
    assert_eq!(remote.status.code(), Some(0), "{}", text(&remote));
    let defs = |o: &std::process::Output| -> Value {
        let d: Value = vigil_core::model::from_json_slice(&o.stdout).unwrap();
        d["definitions"].clone()
    };
    assert_eq!(defs(&remote), defs(&local));
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}
