//! Snapshots of whole runs of the real `vigil` binary, as uv's `uv_snapshot!`: the exit
//! code, standard output and standard error in one insta snapshot, so a reviewer sees
//! what a user sees, and a change to any of the three is a reviewed change.
//!
//! What varies from run to run or machine to machine is filtered before the snapshot:
//! temporary directories (`[TEMP]`, or a name the test gives), the checkout (`[REPO]`),
//! this host's name (`[HOST]`), vigil's version (`[VERSION]`), timestamps
//! (`[TIMESTAMP]`), durations (`[TIME]`) and long hex strings such as hashes, chain
//! identities and key fingerprints (`[HASH]`).
//!
//! ```ignore
//! let d = tempfile::tempdir().unwrap();
//! vigil_snapshot!("scan_missing_content", vigil_cmd(&["scan", "/nonexistent.xml"]));
//! // a directory of the test's own, named in the snapshot:
//! vigil_snapshot!("name", vigil_cmd(&[...]), &[(d.path(), "[DIR]")]);
//! ```

use std::path::Path;
use std::process::{Command, Output};

use pcre2::bytes::Regex;

/// A `vigil` command (not run yet) with the given arguments, in a neutral environment:
/// no colour, no terminal-dependent output, no content directory from the caller.
pub(crate) fn vigil_cmd(args: &[&str]) -> Command {
    let mut c = Command::new(crate::VIGIL);
    c.args(args)
        .env_remove("VIGIL_CONTENT_DIR")
        .env("NO_COLOR", "1")
        .env("TERM", "dumb")
        .stdin(std::process::Stdio::null());
    c
}

/// Patterns that vary between runs, each with its placeholder, applied in order.
fn pattern_filters() -> &'static [(Regex, &'static str)] {
    static F: std::sync::OnceLock<Vec<(Regex, &'static str)>> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let tmp = std::env::temp_dir();
        let tmp = pcre2_escape(tmp.to_str().unwrap().trim_end_matches('/'));
        [
            // tempfile's directories and files: /tmp/.tmpAbC123
            (format!(r"{tmp}/\.tmp[A-Za-z0-9]{{6}}"), "[TEMP]"),
            // RFC 3339 and the history's "YYYY-MM-DD HH:MM[:SS]"
            (
                r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?".into(),
                "[TIMESTAMP]",
            ),
            // durations: (8 ms), 1.2 s, 300ms
            (r"\b\d+(\.\d+)? ?(ms|s)\b".into(), "[TIME]"),
            // hashes, chain ids, fingerprints (12 hex digits or more)
            (r"\b[0-9a-f]{12,}\b".into(), "[HASH]"),
        ]
        .into_iter()
        .map(|(p, r)| (Regex::new(&p).unwrap(), r))
        .collect()
    })
}

fn pcre2_escape(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let esc = !c.is_ascii_alphanumeric() && c != '/' && c != '_';
            esc.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

fn replace_all(re: &Regex, text: &str, with: &str) -> String {
    let mut out = String::new();
    let mut last = 0;
    for m in re.find_iter(text.as_bytes()) {
        let m = m.unwrap();
        out.push_str(&text[last..m.start()]);
        out.push_str(with);
        last = m.end();
    }
    out.push_str(&text[last..]);
    out
}

fn this_host() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let r = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    assert_eq!(r, 0, "gethostname");
    let n = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// `text` with the test's own paths (`paths`, longest first), the checkout, the host
/// name, the version and every varying pattern replaced by placeholders.
pub(crate) fn filter(text: &str, paths: &[(&Path, &str)]) -> String {
    let mut lits: Vec<(String, String)> = paths
        .iter()
        .flat_map(|(p, name)| {
            // A path may be printed as given or canonical (/tmp may be a link).
            let canon = std::fs::canonicalize(p).ok();
            [Some(p.to_path_buf()), canon]
                .into_iter()
                .flatten()
                .map(|p| (p.display().to_string(), name.to_string()))
        })
        .collect();
    lits.push((env!("CARGO_MANIFEST_DIR").into(), "[REPO]".into()));
    lits.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    let mut out = text.to_string();
    for (p, name) in &lits {
        out = out.replace(p.as_str(), name);
    }
    out = out.replace(
        &format!("vigil {}", env!("CARGO_PKG_VERSION")),
        "vigil [VERSION]",
    );
    let host = this_host();
    if !host.is_empty() {
        // Not inside a longer name (a host "vm" is not the "vm" of "vm.swappiness").
        let re = Regex::new(&format!(r"(?<![\w.-]){}(?![\w.-])", pcre2_escape(&host))).unwrap();
        out = replace_all(&re, &out, "[HOST]");
    }
    for (re, with) in pattern_filters() {
        out = replace_all(re, &out, with);
    }
    out
}

/// Runs `cmd` and returns its snapshot text (exit code, stdout, stderr, filtered) and
/// the raw output.
pub(crate) fn run_snapshot(cmd: &mut Command, paths: &[(&Path, &str)]) -> (String, Output) {
    let out = cmd.output().expect("run vigil");
    let code = match out.status.code() {
        Some(c) => c.to_string(),
        None => format!("killed ({:?})", out.status),
    };
    let text = format!(
        "success: {}\nexit_code: {code}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.status.success(),
        filter(&String::from_utf8_lossy(&out.stdout), paths),
        filter(&String::from_utf8_lossy(&out.stderr), paths),
    );
    (text, out)
}

/// `vigil_snapshot!(NAME, COMMAND [, &[(PATH, "[NAME]"), ...]])`: runs COMMAND (a
/// [`std::process::Command`], usually from [`vigil_cmd`]) and asserts the snapshot
/// `NAME` of its exit code, stdout and stderr; evaluates to the raw `Output`.
macro_rules! vigil_snapshot {
    ($name:expr, $cmd:expr) => {
        vigil_snapshot!($name, $cmd, &[])
    };
    ($name:expr, $cmd:expr, $paths:expr) => {
        // (A match keeps the temporaries of `$cmd` alive: it may be the `&mut Command`
        // a builder method returns.)
        match $cmd {
            mut cmd => {
                let cmd: &mut std::process::Command = std::borrow::BorrowMut::borrow_mut(&mut cmd);
                let (text, out) = $crate::snap::run_snapshot(cmd, $paths);
                insta::assert_snapshot!($name, text);
                out
            }
        }
    };
}

#[test]
fn filters_replace_what_varies_and_keep_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let t = format!(
        "{} wrote {}/r.json at 2026-12-02T02:58:38Z (8 ms, 1.5 s) head 3:0123456789abcdef vigil {} on {}",
        env!("CARGO_MANIFEST_DIR"),
        d.path().display(),
        env!("CARGO_PKG_VERSION"),
        this_host(),
    );
    assert_eq!(
        filter(&t, &[(d.path(), "[DIR]")]),
        "[REPO] wrote [DIR]/r.json at [TIMESTAMP] ([TIME], [TIME]) head 3:[HASH] vigil [VERSION] on [HOST]"
    );
    let other = tempfile::tempdir().unwrap();
    assert_eq!(
        filter(&format!("{}/x", other.path().display()), &[]),
        "[TEMP]/x"
    );
    // Words and short numbers are kept.
    assert_eq!(
        filter("exit 2: 39 rules, deadbeef", &[]),
        "exit 2: 39 rules, deadbeef"
    );
}
