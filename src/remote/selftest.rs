//! `vigil remote-selftest PLAN [ARGS..] --json -`: a stand-in for `vigil scan` used to
//! test the remote transport before (and independently of) the scan engine. It takes
//! the same argument shape and prints a results document of the same shape, with rules
//! that check real facts on the host, so a remote run can pass or fail for real.
//!
//! PLAN lines: `file PATH` (rule passes when PATH exists), `noenv NAME` (passes when the
//! environment variable is unset), `sleep MS`, `exit CODE` (print to stderr and exit
//! without a document, like a scan that cannot run), `garbage` (print non-JSON),
//! `flood BYTES` (print that many bytes before the document, like a hostile host),
//! `bulk BYTES` (add rules with long descriptions until the document has about that
//! many bytes, like a large real result: benches/remote-output.sh).

use std::path::Path;

use serde_json::json;

fn hostname() -> String {
    // SAFETY: utsname is plain data; uname fills it and NUL-terminates the fields.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        std::ffi::CStr::from_ptr(u.nodename.as_ptr())
            .to_string_lossy()
            .into_owned()
    }
}

/// Runs the plan; returns the exit status (0 all pass, 2 some fail, 1 bad plan).
pub(crate) fn run(plan: &Path, args: &[String]) -> i32 {
    let text = match std::fs::read_to_string(plan) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("vigil: {}: {e}", plan.display());
            return 1;
        }
    };
    let mut rules = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let (word, arg) = line.trim().split_once(' ').unwrap_or((line.trim(), ""));
        match word {
            "" => {}
            "file" => {
                let ok = std::fs::symlink_metadata(arg).is_ok();
                rules.push(json!({
                    "id": format!("selftest_file_exists_{n}"),
                    "title": format!("{arg} exists"),
                    "severity": "low",
                    "result": if ok { "pass" } else { "fail" },
                    "weight": 1.0,
                    "references": [],
                }));
            }
            "noenv" => {
                let ok = std::env::var_os(arg).is_none();
                rules.push(json!({
                    "id": format!("selftest_env_unset_{n}"),
                    "title": format!("{arg} is not set"),
                    "severity": "low",
                    "result": if ok { "pass" } else { "fail" },
                    "weight": 1.0,
                    "references": [],
                }));
            }
            "sleep" => {
                std::thread::sleep(std::time::Duration::from_millis(arg.parse().unwrap_or(0)))
            }
            "exit" => {
                eprintln!("vigil: selftest plan asked to exit {arg}");
                return arg.parse().unwrap_or(1);
            }
            "garbage" => {
                println!("this is not json");
                return 0;
            }
            "flood" => {
                use std::io::Write;
                let mut left: u64 = arg.parse().unwrap_or(0);
                let chunk = [b' '; 1 << 16];
                let mut out = std::io::stdout().lock();
                while left > 0 {
                    let n = left.min(chunk.len() as u64) as usize;
                    if out.write_all(&chunk[..n]).is_err() {
                        return 1;
                    }
                    left -= n as u64;
                }
            }
            "bulk" => {
                let want: usize = arg.parse().unwrap_or(0);
                let text = "The setting is checked against the benchmark's value. ".repeat(8);
                let mut made = 0;
                let mut i = 0;
                while made < want {
                    let rule = json!({
                        "id": format!("selftest_bulk_{n}_{i}"),
                        "title": format!("bulk rule {i}"),
                        "severity": "low",
                        "result": "pass",
                        "weight": 1.0,
                        "references": [],
                        "groups": ["selftest_group_bulk"],
                        "description": text,
                        "messages": ["selftest bulk rule"],
                    });
                    made += rule.to_string().len() + 1;
                    rules.push(rule);
                    i += 1;
                }
            }
            other => {
                eprintln!(
                    "vigil: {}:{}: unknown plan word {other:?}",
                    plan.display(),
                    n + 1
                );
                return 1;
            }
        }
    }
    let failing = rules.iter().any(|r| r["result"] == "fail");
    // The scan specification the controller sent, read back as a scan reads it, so a
    // test sees what the host was asked to evaluate.
    let spec = match args.iter().position(|a| a == "--spec") {
        Some(i) => match args.get(i + 1).map(std::fs::read) {
            Some(Ok(b)) => match serde_json::from_slice::<vigil_host::scan::ScanSpec>(&b) {
                Ok(s) => Some(s),
                Err(e) => {
                    eprintln!("vigil: --spec: {e}");
                    return 1;
                }
            },
            _ => {
                eprintln!("vigil: --spec: cannot read the file");
                return 1;
            }
        },
        None => None,
    };
    // A results document of the real schema (the fleet reads it into the typed
    // model), with the stand-in's own `tool` and `args` beside the fields.
    let doc = json!({
        "schema_version": vigil_core::model::SCHEMA_VERSION,
        "vigil_version": env!("CARGO_PKG_VERSION"),
        "scan": {
            "tool": "vigil remote-selftest",
            "host": {"hostname": hostname(), "os_name": null, "os_version": null,
                "kernel": null, "arch": std::env::consts::ARCH},
            "user": vigil_core::osutil::current_user(),
            "started": "", "finished": "", "duration_ms": 0, "root": null,
            "content": {"path": plan, "sha256": "", "kind": "selftest"},
            "benchmark": null,
            "profile": spec.as_ref().and_then(|s| s.selection.profile.clone())
                .map(|id| json!({"id": id, "title": null})),
            "args": args,
            "spec": spec,
        },
        "summary": {"results": {}, "by_severity": {}, "definitions": {}, "score": 0.0,
            "max_score": 0.0},
        "rules": rules,
        "definitions": [],
    });
    println!("{doc}");
    if failing { 2 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_status_follows_the_checked_facts() {
        let tmp = tempfile::tempdir().unwrap();
        let plan = tmp.path().join("plan");
        std::fs::write(&plan, format!("file {}\n", tmp.path().display())).unwrap();
        assert_eq!(run(&plan, &[]), 0);
        std::fs::write(&plan, format!("file {}/missing\n", tmp.path().display())).unwrap();
        assert_eq!(run(&plan, &[]), 2);
        std::fs::write(&plan, "bogus\n").unwrap();
        assert_eq!(run(&plan, &[]), 1);
    }
}
