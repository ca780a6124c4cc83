//! Issue 13: a history cannot be rolled back or forged, and vigil (as root) writes
//! nothing through a history directory another user controls. Each test attacks a real
//! history written by the real binary: real files, real symlinks, a real unprivileged
//! user (uid 65534 through setpriv).

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::{VIGIL, fixture, tool, vigil};

fn text(out: &Output) -> String {
    format!(
        "exit {:?}\nstdout:\n{}stderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn openssl_key(dir: &Path, name: &str) -> PathBuf {
    let p = dir.join(name);
    let st = tool("openssl")
        .args(["genpkey", "-algorithm", "ed25519", "-out"])
        .arg(&p)
        .status()
        .unwrap();
    assert!(st.success());
    p
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A scan of the bundled benchmark (quick, and some of its rules fail here, which
/// `--events` needs) into `hist`; returns the head the summary printed
/// (`SEQ:HASH`), which is what an operator or a SIEM records.
fn scan_into(hist: &Path, key: Option<&Path>, events: Option<&Path>) -> String {
    let mut args = vec!["scan", "--history", s(hist)];
    if let Some(k) = key {
        args.extend(["--sign-key", s(k)]);
    }
    if let Some(e) = events {
        args.extend(["--events", s(e)]);
    }
    let out = vigil(&args);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    match summary_head(&stdout) {
        Some(h) => h,
        // So that the attacks below are tried (and shown to pass) against a vigil
        // that does not print the head: the last entry as `history list` shows it.
        // `another_hosts_chain_does_not_stand_in_for_this_one` requires the line.
        None => {
            let out = vigil(&["history", "list", "--json", s(hist)]);
            let l = String::from_utf8_lossy(&out.stdout)
                .lines()
                .last()
                .unwrap()
                .to_string();
            let e: serde_json::Value = serde_json::from_str(&l).unwrap();
            format!("{}:{}", e["seq"], e["hash"].as_str().unwrap())
        }
    }
}

/// The head a scan summary printed: `history head: SEQ:HASH (chain ID)`.
fn summary_head(stdout: &str) -> Option<String> {
    let line = stdout.lines().find(|l| l.starts_with("history head: "))?;
    line["history head: ".len()..]
        .split_whitespace()
        .next()
        .map(str::to_string)
}

fn verify(hist: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["history", "verify", s(hist)];
    args.extend_from_slice(extra);
    vigil(&args)
}

fn ledger_lines(hist: &Path) -> Vec<String> {
    fs::read_to_string(hist.join("ledger.jsonl"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

fn write_ledger(hist: &Path, lines: &[String]) {
    let mut t = lines.join("\n");
    t.push('\n');
    fs::write(hist.join("ledger.jsonl"), t).unwrap();
}

/// Deleting the newest entries and rewriting HEAD the way the old format allowed
/// (`SEQ HASH`, no signature) passed `verify --public-key` with OK.
#[test]
fn truncated_history_with_a_rewritten_head_fails_with_the_key() {
    let d = tempfile::tempdir().unwrap();
    let key = openssl_key(d.path(), "k.pem");
    let hist = d.path().join("h");
    for _ in 0..3 {
        scan_into(&hist, Some(&key), None);
    }
    let out = verify(&hist, &["--public-key", s(&key)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let lines = ledger_lines(&hist);
    write_ledger(&hist, &lines[..2]);
    let e2: serde_json::Value = serde_json::from_str(&lines[1]).unwrap();
    let forged_head = format!("2 {}\n", e2["hash"].as_str().unwrap());
    fs::write(hist.join("HEAD"), &forged_head).unwrap();
    let out = verify(&hist, &["--public-key", s(&key)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(o.contains("TAMPERED HEAD"), "{}", text(&out));
    // The signed checkpoint copied from an earlier state does not help either: it
    // names entry 3, the ledger ends at 2.
}

/// Signatures stripped and every hash recomputed: without a key the chain is
/// consistent, so only an outside anchor (the head a summary or event printed) or the
/// key exposes it.
#[test]
fn stripped_signatures_fail_with_the_key_and_against_an_earlier_head() {
    let d = tempfile::tempdir().unwrap();
    let key = openssl_key(d.path(), "k.pem");
    let hist = d.path().join("h");
    scan_into(&hist, Some(&key), None);
    let head = scan_into(&hist, Some(&key), None);
    let (seq, _) = head.split_once(':').unwrap();
    assert_eq!(seq, "2");
    // The forger rewrites the chain without signatures, with an earlier time in entry 1
    // (any change would do), recomputing the hashes with the public format.
    let lines = ledger_lines(&hist);
    let mut prev = "0".repeat(64);
    let mut forged = Vec::new();
    for (i, l) in lines.iter().enumerate() {
        let mut e: serde_json::Map<String, serde_json::Value> = serde_json::from_str(l).unwrap();
        e.remove("signature");
        e.remove("public_key");
        if i == 0 {
            e.insert("time".into(), "2001-01-01T00:00:00.000000Z".into());
        }
        e.insert("prev_hash".into(), prev.clone().into());
        let hashed = compact(&e, &HASHED, true);
        prev = sha2_hex(b"vigil-history-v1\n", hashed.as_bytes());
        e.insert("hash".into(), prev.clone().into());
        let out = compact(&e, &LINE, false);
        forged.push(out);
    }
    write_ledger(&hist, &forged);
    let last: serde_json::Value = serde_json::from_str(forged.last().unwrap()).unwrap();
    fs::write(hist.join("HEAD"), forged_head(&last)).unwrap();
    // Consistent as a chain (what the old systemd unit and cron job checked)...
    let out = verify(&hist, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    // ...but not signed, which the key says, naming the entries.
    let out = verify(&hist, &["--public-key", s(&key)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(
        o.contains("TAMPERED entry 1 (line 1): not signed"),
        "{}",
        text(&out)
    );
    // Without the key, the head the summary printed is not in the forged chain.
    let out = verify(&hist, &["--expect-head", &head]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let o = String::from_utf8_lossy(&out.stdout);
    assert!(
        o.contains(&format!("TAMPERED --expect-head {head}")),
        "{}",
        text(&out)
    );
    // Rolled back to entry 1 and re-forged: --min-seq catches the missing entry.
    write_ledger(&hist, &forged[..1]);
    let first: serde_json::Value = serde_json::from_str(&forged[0]).unwrap();
    fs::write(hist.join("HEAD"), forged_head(&first)).unwrap();
    assert_eq!(verify(&hist, &[]).status.code(), Some(0));
    let out = verify(&hist, &["--min-seq", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("--min-seq 2"),
        "{}",
        text(&out)
    );
}

/// The fields of an entry's hashed body, in order; the last three of them are left out
/// when absent (see src/history/ledger.rs), the others are `null`.
const HASHED: [&str; 10] = [
    "seq",
    "time",
    "kind",
    "chain",
    "host",
    "scan_started",
    "results_sha256",
    "prune",
    "prev_hash",
    "public_key",
];
const LINE: [&str; 12] = [
    "seq",
    "time",
    "kind",
    "chain",
    "host",
    "scan_started",
    "results_sha256",
    "prune",
    "prev_hash",
    "public_key",
    "hash",
    "signature",
];

/// Compact JSON of `keys` of `e` in that order (serde_json's map sorts its keys).
fn compact(e: &serde_json::Map<String, serde_json::Value>, keys: &[&str], nulls: bool) -> String {
    let mut out = String::from("{");
    for k in keys {
        let v = match e.get(*k) {
            Some(v) => v.clone(),
            None if nulls && !["chain", "host", "scan_started"].contains(k) => {
                serde_json::Value::Null
            }
            None => continue,
        };
        if out.len() > 1 {
            out.push(',');
        }
        out.push_str(&format!("{}:{}", serde_json::Value::from(*k), v));
    }
    out.push('}');
    out
}

/// An unsigned HEAD naming `e`, in the format its vigil writes (a checkpoint when the
/// entries carry a chain identity, `SEQ HASH` before that).
fn forged_head(e: &serde_json::Value) -> String {
    match e.get("chain") {
        Some(c) => format!(
            "{{\"format\":\"vigil-head-v2\",\"chain\":{c},\"seq\":{},\"hash\":{}}}\n",
            e["seq"], e["hash"]
        ),
        None => format!("{} {}\n", e["seq"], e["hash"].as_str().unwrap()),
    }
}

fn sha2_hex(domain: &[u8], body: &[u8]) -> String {
    let mut input = domain.to_vec();
    input.extend_from_slice(body);
    let mut child = tool("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(&input).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Another host's chain (signed by the same fleet key) put in place of this host's:
/// every entry is validly signed, but it is another chain: the identity differs from
/// the one this host's checkpoint names, and the head an event carried is not in it.
#[test]
fn another_hosts_chain_does_not_stand_in_for_this_one() {
    let d = tempfile::tempdir().unwrap();
    let key = openssl_key(d.path(), "k.pem");
    let a = d.path().join("a");
    let b = d.path().join("b");
    let events = d.path().join("events.jsonl");
    // The first scan of a history: every failure is a new one, each an event.
    let head_a = scan_into(&a, Some(&key), Some(&events));
    for _ in 0..2 {
        scan_into(&b, Some(&key), None);
    }
    // The summary of a scan into a history names the new head.
    let out = vigil(&["scan", "--history", s(&b), "--sign-key", s(&key)]);
    let printed = summary_head(&String::from_utf8_lossy(&out.stdout));
    let listed = vigil(&["history", "list", "--json", s(&b)]);
    let last: serde_json::Value = serde_json::from_str(
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        printed,
        Some(format!(
            "{}:{}",
            last["seq"],
            last["hash"].as_str().unwrap()
        )),
        "{}",
        text(&out)
    );
    // The event names the head it was recorded under.
    let ev: serde_json::Value =
        serde_json::from_str(fs::read_to_string(&events).unwrap().lines().last().unwrap()).unwrap();
    let ev_head = format!(
        "{}:{}",
        ev["history_head"]["seq"],
        ev["history_head"]["hash"].as_str().unwrap_or_default()
    );
    assert_eq!(ev_head, head_a, "{ev}");
    // The ledger and results of b, under a's signed checkpoint.
    fs::copy(b.join("ledger.jsonl"), a.join("ledger.jsonl")).unwrap();
    for f in fs::read_dir(b.join("results")).unwrap() {
        let f = f.unwrap();
        fs::copy(f.path(), a.join("results").join(f.file_name())).unwrap();
    }
    let out = verify(&a, &["--public-key", s(&key)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("TAMPERED HEAD: checkpoint of chain"),
        "{}",
        text(&out)
    );
    // The whole directory of b in place of a's: consistent and signed, but not the
    // chain the SIEM saw.
    fs::copy(b.join("HEAD"), a.join("HEAD")).unwrap();
    let out = verify(&a, &["--public-key", s(&key)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = verify(&a, &["--public-key", s(&key), "--expect-head", &head_a]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!("TAMPERED --expect-head {head_a}")),
        "{}",
        text(&out)
    );
}

/// A file whose content must not change (and a path that must not appear).
struct Victim {
    path: PathBuf,
    before: Vec<u8>,
}

impl Victim {
    fn new(dir: &Path) -> Victim {
        let path = dir.join("victim");
        fs::write(&path, "precious\n").unwrap();
        Victim {
            before: fs::read(&path).unwrap(),
            path,
        }
    }
    fn intact(&self) {
        assert_eq!(fs::read(&self.path).unwrap(), self.before, "victim changed");
    }
}

/// Runs a command as uid/gid 65534 with no supplementary groups.
fn as_nobody(program: &str, args: &[&str]) {
    let st = tool("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(program)
        .args(args)
        .status()
        .unwrap();
    assert!(st.success(), "setpriv {program} {args:?}");
}

/// A history directory another user owns, or anyone may write, is refused before
/// anything is written; a link that user planted there is not followed.
#[test]
fn history_directory_of_another_user_or_writable_by_others_is_refused() {
    let d = tempfile::tempdir().unwrap();
    fs::set_permissions(d.path(), fs::Permissions::from_mode(0o755)).unwrap();
    let victim = Victim::new(d.path());
    let content = fixture("oval/engine.xml");
    // Owned by nobody, who links ledger.jsonl to a root file.
    let hist = d.path().join("nobody");
    fs::create_dir(&hist).unwrap();
    std::os::unix::fs::chown(&hist, Some(65534), Some(65534)).unwrap();
    let absent = d.path().join("absent");
    as_nobody("ln", &["-s", s(&absent), s(&hist.join("ledger.jsonl"))]);
    as_nobody("ln", &["-s", s(&victim.path), s(&hist.join("HEAD"))]);
    let out = vigil(&["scan", s(&content), "-q", "--history", s(&hist)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let e = String::from_utf8_lossy(&out.stderr);
    assert!(
        e.contains(&format!(
            "{}: history directory is owned by uid 65534",
            hist.display()
        )),
        "{}",
        text(&out)
    );
    victim.intact();
    assert!(!absent.exists(), "vigil created the link's target");
    let mut names: Vec<_> = fs::read_dir(&hist)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["HEAD", "ledger.jsonl"], "vigil wrote into it");
    // Ours, but mode 0777.
    let open = d.path().join("open");
    fs::create_dir(&open).unwrap();
    fs::set_permissions(&open, fs::Permissions::from_mode(0o777)).unwrap();
    let out = vigil(&["scan", s(&content), "-q", "--history", s(&open)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("writable by group or others (mode 0777)"),
        "{}",
        text(&out)
    );
    assert_eq!(fs::read_dir(&open).unwrap().count(), 0);
    let out = verify(&open, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
}

/// A symlink at each name vigil uses in a history directory (planted by whoever could:
/// here the owner) is not followed: the append fails naming the link, the file it
/// points to is not written, created or truncated, and the previous state is intact.
#[test]
fn links_at_the_names_of_a_history_are_not_followed() {
    let d = tempfile::tempdir().unwrap();
    let victim = Victim::new(d.path());
    let absent = d.path().join("absent");
    let content = fixture("oval/engine.xml");
    for name in ["lock", "ledger.jsonl", "HEAD", "results"] {
        for target in [&victim.path, &absent] {
            let hist = d.path().join(format!("h-{name}"));
            let _ = fs::remove_dir_all(&hist);
            scan_into(&hist, None, None);
            let before = fs::read(hist.join("ledger.jsonl")).unwrap();
            let moved = hist.join(format!("{name}.real"));
            fs::rename(hist.join(name), &moved).unwrap();
            std::os::unix::fs::symlink(target, hist.join(name)).unwrap();
            let out = vigil(&["scan", s(&content), "-q", "--history", s(&hist)]);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{name} -> {target:?}: {}",
                text(&out)
            );
            let e = String::from_utf8_lossy(&out.stderr);
            assert!(
                e.contains(&format!(
                    "{}: is a symbolic link",
                    hist.join(name).display()
                )),
                "{name}: {}",
                text(&out)
            );
            victim.intact();
            assert!(!absent.exists(), "{name}: vigil created the link's target");
            assert!(
                fs::symlink_metadata(hist.join(name))
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            if name != "ledger.jsonl" {
                assert_eq!(
                    fs::read(hist.join("ledger.jsonl")).unwrap(),
                    before,
                    "{name}"
                );
            }
            // verify reads through no link either (it does not take the lock).
            if name == "lock" {
                continue;
            }
            let out = verify(&hist, &[]);
            assert_ne!(out.status.code(), Some(0), "{name}: {}", text(&out));
        }
    }
}

/// New history files are private (0600, directories 0700) whatever the umask.
#[test]
fn new_history_files_are_private() {
    let d = tempfile::tempdir().unwrap();
    let hist = d.path().join("h");
    let content = fixture("oval/engine.xml");
    let out = tool("sh")
        .args(["-c", "umask 0 && exec \"$0\" \"$@\""])
        .arg(VIGIL)
        .args(["scan", s(&content), "-q", "--history", s(&hist)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o7777;
    assert_eq!(mode(&hist), 0o700);
    assert_eq!(mode(&hist.join("results")), 0o700);
    for f in ["ledger.jsonl", "HEAD", "lock"] {
        assert_eq!(mode(&hist.join(f)), 0o600, "{f}");
    }
    for f in fs::read_dir(hist.join("results")).unwrap() {
        assert_eq!(mode(&f.unwrap().path()), 0o600);
    }
}
