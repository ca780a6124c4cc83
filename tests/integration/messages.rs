//! What a user reads when something is wrong, or right: each error said once with the
//! file or flag it is about, and every command that writes a file saying which. The
//! texts are insta snapshots of the whole run ([`vigil_snapshot!`]: exit code, stdout,
//! stderr), so a change to a message is a reviewed change.

use std::io::Read;
use std::process::Stdio;

use crate::snap::vigil_cmd;
use crate::{VIGIL, vigil};

/// Standard error (or output) with the run's temporary directory written as `[DIR]`.
fn text(bytes: &[u8], dir: &std::path::Path) -> String {
    String::from_utf8_lossy(bytes).replace(&dir.display().to_string(), "[DIR]")
}

#[test]
fn a_missing_or_unwritable_file_is_named_once_with_its_os_error() {
    let out = vigil_snapshot!(
        "missing_content",
        vigil_cmd(&["scan", "/nonexistent/content.xml"])
    );
    assert_eq!(out.status.code(), Some(1));
    let out = vigil_snapshot!(
        "unwritable_output",
        vigil_cmd(&["scan", "--json", "/nonexistent/dir/results.json", "-q"])
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn a_value_of_the_wrong_type_is_refused_before_the_scan() {
    let out = vigil_snapshot!(
        "var_not_a_number",
        vigil_cmd(&["scan", "--var", "denied_threshold=abc", "-q"])
    );
    assert_eq!(out.status.code(), Some(1));
    // A number is accepted (the scan then runs: exit 0 or 2).
    let out = vigil(&["scan", "--var", "denied_threshold=12", "-q"]);
    assert_ne!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn scans_and_reports_say_which_files_they_wrote() {
    let d = tempfile::tempdir().unwrap();
    let json = d.path().join("results.json");
    let html = d.path().join("report.html");
    let out = vigil(&[
        "scan",
        "--json",
        json.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = text(&out.stdout, d.path());
    let last = stdout.lines().last().unwrap();
    assert_eq!(last, "wrote [DIR]/results.json, [DIR]/report.html");
    let again = d.path().join("again.html");
    let out = vigil_snapshot!(
        "report_wrote",
        vigil_cmd(&[
            "report",
            json.to_str().unwrap(),
            "--html",
            again.to_str().unwrap(),
        ]),
        &[(d.path(), "[DIR]")]
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(again.is_file());
}

#[test]
fn json_to_a_closed_pipe_ends_quietly_with_the_scan_status() {
    let mut child = std::process::Command::new(VIGIL)
        .args(["scan", "--json", "-"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close: the rest of the document meets a closed pipe.
    let mut first = [0u8; 1];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("error"), "{stderr}");
    assert_eq!(out.status.code(), Some(2), "{stderr}");
}

#[test]
fn info_and_validate_without_content_describe_the_bundled_benchmark() {
    let out = vigil(&["info"]);
    assert_eq!(out.status.code(), Some(0));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("Benchmark: xccdf_dev.vigil_benchmark_ccm-log11"),
        "{s}"
    );
    assert!(s.contains("xccdf_dev.vigil_value_denied_threshold"), "{s}");
    let out = vigil(&["validate"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    // The hint in the unknown-profile error works as written.
    let out = vigil_snapshot!(
        "unknown_profile",
        vigil_cmd(&["scan", "--profile", "nosuch", "-q"])
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn pruning_a_signed_history_without_the_key_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let key = d.path().join("key.pem");
    let st = crate::tool("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(st.success());
    let hist = d.path().join("history");
    let (h, k) = (hist.to_str().unwrap(), key.to_str().unwrap());
    let out = vigil(&["scan", "-q", "--history", h, "--sign-key", k]);
    assert_ne!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let before = std::fs::read(hist.join("ledger.jsonl")).unwrap();
    let out = vigil_snapshot!(
        "prune_signed_without_key",
        vigil_cmd(&["history", "prune", h, "--keep-days", "30"]),
        &[(d.path(), "[DIR]")]
    );
    assert_eq!(out.status.code(), Some(1));
    // A scan without the key is refused the same way; nothing was appended.
    let out = vigil(&["scan", "-q", "--history", h]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(std::fs::read(hist.join("ledger.jsonl")).unwrap(), before);
    // With the key, the prune is recorded and the chain still verifies.
    let out = vigil(&["history", "prune", h, "--keep-days", "30", "--sign-key", k]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A root that says it is Debian 12, for the Debian 11 guide.
pub(crate) fn debian12_root() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("etc")).unwrap();
    std::fs::write(
        d.path().join("etc/os-release"),
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nID=debian\n",
    )
    .unwrap();
    std::fs::write(d.path().join("etc/debian_version"), "12.5\n").unwrap();
    d
}

#[test]
fn content_for_another_release_says_so_and_can_be_evaluated_on_purpose() {
    let ds = "/usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml";
    crate::testtool::require(ds);
    let root = debian12_root();
    let r = root.path().to_str().unwrap();
    let out = vigil_snapshot!(
        "platform_mismatch_summary",
        vigil_cmd(&["scan", ds, "--profile", "standard", "--root", r]),
        &[(root.path(), "[ROOT]")]
    );
    assert_eq!(out.status.code(), Some(0));

    let (code, doc) = crate::scan_json(&[
        ds,
        "--profile",
        "standard",
        "--root",
        r,
        "--assume-platform",
        "cpe:/o:debian:debian_linux:11",
    ]);
    assert_eq!(code, 2, "an empty root fails some standard rules");
    assert_eq!(
        doc["scan"]["assumed_platforms"][0],
        "cpe:/o:debian:debian_linux:11"
    );
    let evaluated = doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["result"] == "pass" || x["result"] == "fail")
        .count();
    assert!(evaluated > 10, "only {evaluated} rules evaluated");
}

#[test]
fn progress_prints_one_line_per_rule_and_a_terminal_gets_a_bar() {
    // --progress: `id: result` per evaluated rule on stdout, then the summary.
    let out = vigil(&["scan", "--progress"]);
    assert_eq!(out.status.code(), Some(2));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("xccdf_dev.vigil_rule_"))
        .collect();
    assert_eq!(lines.len(), 52, "{stdout}");
    assert!(lines.iter().all(|l| {
        let (_, r) = l.split_once(": ").unwrap();
        ["pass", "fail", "notapplicable", "error", "unknown"].contains(&r)
    }));
    // With --json - the lines go to standard error, and stdout stays one document.
    let out = vigil(&["scan", "--progress", "--json", "-"]);
    serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.matches("xccdf_dev.vigil_rule_").count() >= 40,
        "{stderr}"
    );

    // On a terminal (a pty from script(1)): a bar with the phase and counts, cleared
    // before the summary.
    let policy = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/ccm-log11/policy.example.toml"
    );
    let cmd = format!("{VIGIL} scan --policy {policy}");
    // (TERM set: indicatif draws nothing on a terminal that says it is dumb, as CI's
    // TERM may.)
    let out = crate::tool("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("TERM", "xterm")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(screen.contains("evaluating rules"), "{screen}");
    // (A scan this fast is drawn a few times only: the count shown may be any of n/52.)
    assert!(screen.contains("/52 ("), "{screen}");
    assert!(screen.contains("rules: "), "{screen}");
}
