//! One host's remote scan, agentless: check the host's OS and architecture against this
//! binary, create a private directory there (`mktemp -d`, mode 700), copy vigil itself
//! plus the task's files into it, run the task with its JSON on stdout, and remove the
//! directory both from the remote shell (a trap, which also fires on hangup) and with a
//! separate command afterwards, so a failed or dropped scan leaves nothing behind.
//!
//! *What* runs is a [`RemoteTask`]: the runner only moves bytes and reports failures.

use std::fs::File;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use super::error::{RemoteError, Stage, classify_ssh_failure, sanitize_detail};
use super::hostspec::HostSpec;
use super::ssh::{Session, SshOptions, shell_quote};
use crate::report::ScanResults;

/// A file to place in the remote directory under `name`.
#[derive(Debug, Clone)]
pub(crate) struct Upload {
    pub name: String,
    pub source: PathBuf,
}

/// What to run on the host. `args` are passed to the copied vigil binary; `dir` is the
/// remote directory holding the uploads. The command must exit 0 or 2 (like `vigil scan`)
/// and either print one JSON results document on stdout (`--json -`) or, when the task
/// names files to bring back, write its JSON to [`RESULTS_JSON`] in `dir`.
pub(crate) trait RemoteTask: Sync {
    fn uploads(&self) -> Vec<Upload>;
    fn args(&self, dir: &str) -> Vec<String>;
    /// Files the command writes in the remote directory that come back with the results
    /// (paths relative to it). A name ending in `/` is a directory made before the
    /// command runs; every file the command leaves in it comes back.
    fn returned_files(&self) -> Vec<String> {
        Vec::new()
    }
}

/// Where a task that brings files back writes its JSON results, relative to its
/// remote directory.
pub(crate) const RESULTS_JSON: &str = "results.json";

/// The header before each returned file in the remote script's output: the file's
/// length in bytes, a space, its path relative to the remote directory, a newline.
const FILE_HEADER: &str = "vigil-file ";

/// What came back from a host. The host's output is kept once, as it arrived: the JSON
/// results document and the returned files are ranges of it (no copies), and the
/// results are parsed from it into the typed model, so a host sending N bytes costs
/// N bytes plus the model (benches/remote-output.sh measures it).
#[derive(Debug)]
pub(crate) struct HostScan {
    /// The bytes the host sent on stdout.
    output: Vec<u8>,
    /// Where in `output` the results document is, exactly as the remote vigil wrote it.
    json_at: Range<usize>,
    /// The task's returned files (path relative to the remote directory, where in
    /// `output`), in the order the host sent them; empty when the task asked for none.
    files: Vec<(String, Range<usize>)>,
    /// The results document, read with the results documents' depth limit
    /// ([`vigil_core::model::from_json_slice`]), as a local `vigil report` reads it.
    pub results: ScanResults,
    /// The remote vigil's exit status (0 or 2).
    pub exit_code: i32,
    /// `uname -sm` of the host.
    pub uname: String,
    /// Problems that did not spoil the results (e.g. cleanup could not be confirmed).
    pub warnings: Vec<String>,
    pub timings: Timings,
}

impl HostScan {
    /// Takes what a host sent: its results document at `json_at`, its returned files.
    pub(crate) fn new(
        output: Vec<u8>,
        json_at: Range<usize>,
        files: Vec<(String, Range<usize>)>,
        exit_code: i32,
        uname: String,
    ) -> Result<HostScan, RemoteError> {
        let results = parse_doc(&output[json_at.clone()])?;
        Ok(HostScan {
            output,
            json_at,
            files,
            results,
            exit_code,
            uname,
            warnings: Vec::new(),
            timings: Timings::default(),
        })
    }

    /// The results document exactly as the remote vigil wrote it.
    pub(crate) fn json(&self) -> &[u8] {
        &self.output[self.json_at.clone()]
    }

    /// The returned files: (path relative to the remote directory, bytes).
    pub(crate) fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(n, r)| (n.as_str(), &self.output[r.clone()]))
    }

    /// Drops the returned files once they are written, keeping only the results
    /// document (moved to the front of the buffer in place, the rest freed), so a fleet
    /// never holds every host's SCAP results at once.
    pub(crate) fn drop_files(&mut self) {
        if self.files.is_empty() {
            return;
        }
        self.files = Vec::new();
        self.output.truncate(self.json_at.end);
        self.output.drain(..self.json_at.start);
        self.output.shrink_to_fit();
        self.json_at = 0..self.output.len();
    }
}

#[derive(Debug, Default, Clone)]
pub(crate) struct Timings {
    /// Connection, platform check and mktemp.
    pub connect: Duration,
    /// Upload and scan: one round trip.
    pub scan: Duration,
    pub cleanup: Duration,
}

/// `uname -m` spelled the way Rust's `std::env::consts::ARCH` spells it.
pub(crate) fn normalize_machine(m: &str) -> String {
    match m {
        "x86_64" | "amd64" => "x86_64".into(),
        "i386" | "i486" | "i586" | "i686" | "x86" => "x86".into(),
        "aarch64" | "arm64" | "aarch64_be" => "aarch64".into(),
        "ppc64le" => "powerpc64le".into(),
        "ppc64" => "powerpc64".into(),
        "ppc" => "powerpc".into(),
        m if m.starts_with("armv") || m == "arm" => "arm".into(),
        other => other.into(),
    }
}

/// This binary's architecture in the same spelling.
pub(crate) fn local_machine() -> String {
    let arch = std::env::consts::ARCH;
    if arch == "powerpc64" && cfg!(target_endian = "little") {
        "powerpc64le".into()
    } else {
        arch.into()
    }
}

/// Compares `uname -sm` output with this binary's target.
pub(crate) fn check_platform(uname: &str) -> Result<(), RemoteError> {
    let mut words = uname.split_whitespace();
    let (os, machine) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let remote_os = match os.to_ascii_lowercase().as_str() {
        "darwin" => "macos".to_string(),
        o => o.to_string(),
    };
    let remote = normalize_machine(machine);
    let local = local_machine();
    if remote_os != std::env::consts::OS || remote != local {
        return Err(RemoteError::ArchMismatch {
            local: format!("{} {}", std::env::consts::OS, local),
            remote: format!("{remote_os} {remote}"),
        });
    }
    Ok(())
}

fn spawn_err(e: std::io::Error, opts: &SshOptions) -> RemoteError {
    if e.kind() == std::io::ErrorKind::FileTooLarge {
        return RemoteError::BadOutput {
            detail: e.to_string(),
        };
    }
    RemoteError::Local {
        detail: format!("cannot run {}: {e}", opts.program.display()),
    }
}

/// A directory in which the remote directory may be made and later removed: absolute,
/// no `..`, only characters that need no quoting. `--remote-tmpdir` is checked against
/// it before anything runs on the host, since mktemp's result under any other base is
/// refused by [`valid_remote_dir`] and could then not be removed.
pub(crate) fn valid_remote_base(d: &str) -> bool {
    d.starts_with('/')
        && !d.split('/').any(|c| c == "..")
        && d.chars()
            .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
}

/// Only a path mktemp could have made is ever handed to `rm -rf`.
fn valid_remote_dir(d: &str) -> bool {
    valid_remote_base(d)
        && d.rsplit('/')
            .next()
            .is_some_and(|b| b.starts_with("vigil."))
}

/// For sudo: `sudo -n` exits 1 with a `sudo:` message when it would need a password.
fn sudo_failure(opts: &SshOptions, out: &Output) -> Option<RemoteError> {
    let err = String::from_utf8_lossy(&out.stderr);
    (opts.sudo && err.lines().any(|l| l.starts_with("sudo:"))).then(|| RemoteError::Sudo {
        detail: sanitize_detail(&out.stderr),
    })
}

/// The remote script of the upload-and-scan step: the trap, set before anything is
/// copied, removes the directory however the shell ends; a hangup or a dead stdout pipe
/// (the connection dropped) exits through it. With `returned` files, a scan that ends
/// with 0 or 2 is followed on stdout by each of them, framed by [`FILE_HEADER`] lines.
pub(crate) fn scan_script(
    dir: &str,
    uploads: &str,
    args: &[String],
    returned: &[String],
) -> String {
    let q = shell_quote(dir);
    let mut cmd = format!("{q}/vigil");
    for a in args {
        cmd.push(' ');
        cmd.push_str(&shell_quote(a));
    }
    let traps = format!(
        "trap 'rm -rf -- {q}' EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; \
         trap 'exit 141' PIPE; trap 'exit 143' TERM; {uploads}cd {q} || exit 1; "
    );
    if returned.is_empty() {
        return format!("{traps}{cmd}");
    }
    let mut mkdirs = String::new();
    let mut emit = String::new();
    for r in returned {
        let name = shell_quote(r.trim_end_matches('/'));
        if r.ends_with('/') {
            mkdirs.push_str(&format!("mkdir {name} || exit 1; "));
            emit.push_str(&format!(
                "for f in {name}/*; do [ -f \"$f\" ] && vigil_emit \"$f\"; done; "
            ));
        } else {
            emit.push_str(&format!("[ -f {name} ] && vigil_emit {name}; "));
        }
    }
    format!(
        "{traps}{mkdirs}vigil_emit() {{ printf '{FILE_HEADER}%s %s\\n' \"$(wc -c < \"$1\" | tr -d ' ')\" \"$1\" \
         && cat -- \"$1\"; }}; {cmd} >&2; rc=$?; \
         if [ $rc -eq 0 ] || [ $rc -eq 2 ]; then {emit}fi; exit $rc"
    )
}

/// Splits the output of a script with returned files into (path, where in `out`).
pub(crate) fn parse_returned_files(out: &[u8]) -> Result<Vec<(String, Range<usize>)>, RemoteError> {
    let bad = |detail: String| RemoteError::BadOutput { detail };
    let mut files = Vec::new();
    let mut at = 0;
    while at < out.len() {
        let rest = &out[at..];
        let eol = rest
            .iter()
            .position(|&b| b == b'\n')
            .ok_or_else(|| bad("a returned file's header has no end".into()))?;
        let header = std::str::from_utf8(&rest[..eol])
            .ok()
            .and_then(|h| h.strip_prefix(FILE_HEADER))
            .and_then(|h| h.split_once(' '))
            .and_then(|(len, name)| Some((len.parse::<usize>().ok()?, name.to_string())));
        let Some((len, name)) = header else {
            return Err(bad(format!(
                "expected a returned file's header, found {:?}",
                String::from_utf8_lossy(&rest[..eol.min(80)])
            )));
        };
        let start = at + eol + 1;
        let left = out.len() - start;
        if left < len {
            return Err(bad(format!("{name}: {left} of {len} bytes came back")));
        }
        files.push((name, start..start + len));
        at = start + len;
    }
    Ok(files)
}

/// Scans one host. `binary` is the vigil to copy (normally `std::env::current_exe`);
/// `control_path` the socket for this host's master connection, in a private directory.
pub(crate) fn scan_host(
    spec: &HostSpec,
    opts: &SshOptions,
    task: &dyn RemoteTask,
    binary: &Path,
    control_path: &Path,
) -> Result<HostScan, RemoteError> {
    let session = Session::new(opts, spec, control_path);
    let result = scan_with_session(&session, opts, task, binary);
    session.close();
    result
}

fn scan_with_session(
    session: &Session<'_>,
    opts: &SshOptions,
    task: &dyn RemoteTask,
    binary: &Path,
) -> Result<HostScan, RemoteError> {
    let mut timings = Timings::default();
    let t = Instant::now();
    // One round trip: report the platform and make the directory (under sudo -n with
    // --sudo, which fails here if it would need a password). The platform is checked
    // before anything is copied into the directory.
    let base = match &opts.remote_tmpdir {
        Some(d) => shell_quote(d),
        None => "\"${TMPDIR:-/tmp}\"".to_string(),
    };
    let script = format!("uname -sm && umask 077 && mktemp -d {base}/vigil.XXXXXXXXXX");
    let out = session.run(&script, &[]).map_err(|e| spawn_err(e, opts))?;
    if out.status.code() == Some(255) {
        return Err(classify_ssh_failure(Stage::Connect, &out.stderr));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let mut lines = stdout.lines();
    let uname = lines.next().unwrap_or("").trim().to_string();
    let dir = lines.next().unwrap_or("").trim().to_string();
    if !out.status.success() {
        return Err(if let Some(e) = sudo_failure(opts, &out) {
            e
        } else if uname.is_empty() {
            RemoteError::Ssh {
                stage: Stage::Connect,
                detail: sanitize_detail(&out.stderr),
            }
        } else {
            RemoteError::NoTempDir {
                detail: sanitize_detail(&out.stderr),
            }
        });
    }
    if !valid_remote_dir(&dir) {
        return Err(RemoteError::NoTempDir {
            detail: format!("mktemp printed an unexpected path {dir:?}"),
        });
    }
    timings.connect = t.elapsed();

    let result = check_platform(&uname)
        .and_then(|()| upload_and_run(session, opts, task, binary, &dir, &mut timings));

    // The trap normally removed the directory already; this covers a shell that never
    // started or was killed outright, and confirms that nothing is left.
    let t = Instant::now();
    let q = shell_quote(&dir);
    let cleanup = session.run(&format!("rm -rf -- {q} && test ! -e {q}"), &[]);
    timings.cleanup = t.elapsed();
    let cleanup_problem = match cleanup {
        Ok(o) if o.status.success() => None,
        Ok(o) if o.status.code() == Some(255) => {
            Some(classify_ssh_failure(Stage::Cleanup, &o.stderr).to_string())
        }
        Ok(o) => Some(format!(
            "removing {dir} failed: {}",
            sanitize_detail(&o.stderr)
        )),
        Err(e) => Some(spawn_err(e, opts).to_string()),
    };
    let (stdout, code, returned) = result?;
    let (json_at, files) = if returned {
        let mut files = parse_returned_files(&stdout)?;
        let at = files
            .iter()
            .position(|(name, _)| name == RESULTS_JSON)
            .ok_or_else(|| RemoteError::BadOutput {
                detail: format!("the scan wrote no {RESULTS_JSON}"),
            })?;
        (files.remove(at).1, files)
    } else {
        (0..stdout.len(), Vec::new())
    };
    let mut scan = HostScan::new(stdout, json_at, files, code, uname)?;
    scan.warnings = cleanup_problem
        .map(|p| format!("cleanup of {dir} not confirmed: {p}"))
        .into_iter()
        .collect();
    scan.timings = timings;
    Ok(scan)
}

/// Exit status of the remote script when a copied file came out short.
const UPLOAD_FAILED: i32 = 86;

/// The remote side of the upload: each file is read from stdin with `head -c` (its
/// exact length), given its mode, and its size checked. A name with a `/` goes into a
/// subdirectory, made on first use.
fn upload_commands(dir: &str, files: &[(String, u64, &str)]) -> String {
    let mut s = String::new();
    let mut made: Vec<&str> = Vec::new();
    for (name, len, mode) in files {
        if let Some((sub, _)) = name.rsplit_once('/')
            && !made.contains(&sub)
        {
            made.push(sub);
            s.push_str(&format!(
                "mkdir -p {} || exit {UPLOAD_FAILED}; ",
                shell_quote(&format!("{dir}/{sub}"))
            ));
        }
        let target = shell_quote(&format!("{dir}/{name}"));
        s.push_str(&format!(
            "head -c {len} > {target} && chmod {mode} {target} && \
             test \"$(wc -c < {target})\" -eq {len} || \
             {{ echo {} came out short >&2; exit {UPLOAD_FAILED}; }}; ",
            shell_quote(name)
        ));
    }
    s
}

fn upload_and_run(
    session: &Session<'_>,
    opts: &SshOptions,
    task: &dyn RemoteTask,
    binary: &Path,
    dir: &str,
    timings: &mut Timings,
) -> Result<(Vec<u8>, i32, bool), RemoteError> {
    let t = Instant::now();
    let mut files = vec![(
        Upload {
            name: "vigil".into(),
            source: binary.to_path_buf(),
        },
        "700",
    )];
    files.extend(task.uploads().into_iter().map(|u| (u, "600")));
    let mut plan = Vec::new();
    let mut stdin = Vec::new();
    for (up, mode) in &files {
        let local = |e: std::io::Error| RemoteError::Local {
            detail: format!("{}: {e}", up.source.display()),
        };
        let f = File::open(&up.source).map_err(local)?;
        let len = f.metadata().map_err(local)?.len();
        plan.push((up.name.clone(), len, *mode));
        stdin.push((f, len));
    }
    let returned = task.returned_files();
    let out = session
        .run(
            &scan_script(
                dir,
                &upload_commands(dir, &plan),
                &task.args(dir),
                &returned,
            ),
            &stdin,
        )
        .map_err(|e| spawn_err(e, opts))?;
    timings.scan = t.elapsed();
    match out.status.code() {
        Some(c @ (0 | 2)) => Ok((out.stdout, c, !returned.is_empty())),
        Some(255) => Err(classify_ssh_failure(Stage::Scan, &out.stderr)),
        Some(UPLOAD_FAILED) => Err(RemoteError::Upload {
            file: files
                .iter()
                .map(|(u, _)| u.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            detail: sanitize_detail(&out.stderr),
        }),
        Some(c @ (126 | 127)) => Err(RemoteError::Exec {
            code: c,
            detail: sanitize_detail(&out.stderr),
        }),
        Some(c) => Err(RemoteError::ScanFailed {
            code: c,
            detail: sanitize_detail(&out.stderr),
        }),
        None => Err(RemoteError::Local {
            detail: "ssh was killed by a signal".into(),
        }),
    }
}

/// A host's results document, read into the typed model with the depth limit of
/// results documents (criteria trees nest as deep as the content's XML), so a remote
/// scan reads what a local `vigil report` reads.
pub(crate) fn parse_doc(json: &[u8]) -> Result<ScanResults, RemoteError> {
    vigil_core::model::from_json_slice(json).map_err(|e| RemoteError::BadOutput {
        detail: format!(
            "line {}, column {}: {e} (in {} bytes)",
            e.line(),
            e.column(),
            json.len()
        ),
    })
}

/// The returned files as (name, bytes), for comparing.
#[cfg(test)]
fn owned(out: &[u8], files: Vec<(String, Range<usize>)>) -> Vec<(String, Vec<u8>)> {
    files
        .into_iter()
        .map(|(n, r)| (n, out[r].to_vec()))
        .collect()
}

/// A minimal valid results document with these (rule id, result) pairs.
#[cfg(test)]
pub(crate) fn test_doc(rules: &[(&str, &str)]) -> String {
    let rules: Vec<serde_json::Value> = rules
        .iter()
        .map(|(id, result)| {
            serde_json::json!({"id": id, "title": id, "severity": "low", "result": result,
                "weight": 1.0, "references": []})
        })
        .collect();
    serde_json::json!({
        "schema_version": "1.2", "vigil_version": "0", "rules": rules, "definitions": [],
        "summary": {"results": {}, "by_severity": {}, "definitions": {}, "score": 0.0,
            "max_score": 0.0},
        "scan": {"host": {"hostname": "h", "os_name": null, "os_version": null,
            "kernel": null, "arch": "x86_64"}, "user": "root", "started": "", "finished": "",
            "duration_ms": 0, "root": null,
            "content": {"path": "c", "sha256": "", "kind": "oval"},
            "benchmark": null, "profile": null},
    })
    .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_check_uses_rust_spelling() {
        assert!(
            check_platform(&format!("Linux {}", std::env::consts::ARCH)).is_ok()
                || cfg!(not(target_os = "linux"))
        );
        let e = check_platform("Linux sparc64").unwrap_err();
        assert_eq!(e.kind(), "arch_mismatch");
        assert!(e.to_string().contains("the host is linux sparc64"), "{e}");
        assert!(check_platform("Darwin arm64").is_err() || cfg!(target_os = "macos"));
        assert_eq!(normalize_machine("armv7l"), "arm");
        assert_eq!(normalize_machine("i686"), "x86");
        assert_eq!(normalize_machine("arm64"), "aarch64");
    }

    #[test]
    fn only_mktemp_shaped_dirs_are_removed() {
        assert!(valid_remote_dir("/tmp/vigil.AbC123xyz0"));
        for bad in [
            "",
            "/",
            "/tmp",
            "tmp/vigil.x",
            "/tmp/vigil.x y",
            "/tmp/../vigil.x",
            "/tmp/x",
        ] {
            assert!(!valid_remote_dir(bad), "{bad}");
        }
    }

    #[test]
    fn scan_script_cleans_up_when_the_command_fails() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("vigil.test1");
        std::fs::create_dir(&dir).unwrap();
        // A stand-in "vigil" that fails: the trap must still remove the directory.
        std::fs::write(dir.join("vigil"), "#!/bin/sh\necho boom >&2\nexit 1\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("vigil"), std::fs::Permissions::from_mode(0o700))
            .unwrap();
        let d = dir.to_str().unwrap();
        let out = crate::testtool::tool("sh")
            .arg("-c")
            .arg(scan_script(
                d,
                "",
                &["scan".into(), format!("{d}/content.xml")],
                &[],
            ))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1));
        assert!(!dir.exists());
    }

    #[test]
    fn returned_files_come_back_whole_after_a_scan_and_not_after_a_failure() {
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let run = |status: i32| {
            let dir = tmp.path().join(format!("vigil.r{status}"));
            std::fs::create_dir(&dir).unwrap();
            // A stand-in "vigil" writing what `scan --json results.json --arf arf.xml
            // --oval-results docs/` would: a name with a space, binary bytes, no newline
            // at the end, an empty file.
            std::fs::write(
                dir.join("vigil"),
                format!(
                    "#!/bin/sh\necho summary\nprintf '{{\"rules\": []}}' > results.json\n\
                     printf 'a\\n\\000b' > arf.xml\nprintf 'x' > 'docs/one doc.xml'\n\
                     : > docs/empty.xml\nexit {status}\n"
                ),
            )
            .unwrap();
            std::fs::set_permissions(dir.join("vigil"), std::fs::Permissions::from_mode(0o700))
                .unwrap();
            let d = dir.to_str().unwrap();
            let returned = [RESULTS_JSON.to_string(), "arf.xml".into(), "docs/".into()];
            let out = crate::testtool::tool("sh")
                .arg("-c")
                .arg(scan_script(d, "", &["scan".into()], &returned))
                .output()
                .unwrap();
            assert!(!dir.exists(), "the trap removed the directory");
            out
        };
        let out = run(2);
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&out.stderr), "summary\n");
        let files = owned(&out.stdout, parse_returned_files(&out.stdout).unwrap());
        let want: Vec<(String, Vec<u8>)> = vec![
            (RESULTS_JSON.into(), br#"{"rules": []}"#.to_vec()),
            ("arf.xml".into(), b"a\n\0b".to_vec()),
            ("docs/empty.xml".into(), Vec::new()),
            ("docs/one doc.xml".into(), b"x".to_vec()),
        ];
        assert_eq!(files, want);
        let out = run(1);
        assert_eq!(out.status.code(), Some(1));
        assert!(out.stdout.is_empty());
        // Output cut short is refused, not taken as a smaller file.
        let mut cut = run(0).stdout;
        cut.truncate(cut.len() - 1);
        let e = parse_returned_files(&cut).unwrap_err().to_string();
        assert!(
            e.contains("docs/one doc.xml: 0 of 1 bytes came back"),
            "{e}"
        );
        assert!(parse_returned_files(b"garbage\n").is_err());
    }

    proptest::proptest! {
        /// Whatever a host sends, parsing it never panics; files framed as the remote
        /// script frames them come back exactly, and any cut through them is refused.
        #[test]
        fn returned_files_round_trip_and_hostile_output_never_panics(
            files in proptest::collection::vec(
                ("[a-z0-9 ./-]{1,12}", proptest::collection::vec(proptest::num::u8::ANY, 0..64)),
                0..5,
            ),
            junk in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            cut in proptest::num::usize::ANY,
        ) {
            let _ = parse_returned_files(&junk);
            let mut framed = Vec::new();
            for (name, bytes) in &files {
                framed.extend_from_slice(format!("{FILE_HEADER}{} {name}\n", bytes.len()).as_bytes());
                framed.extend_from_slice(bytes);
            }
            let back = owned(&framed, parse_returned_files(&framed).unwrap());
            proptest::prop_assert_eq!(&back, &files);
            if !framed.is_empty() {
                let cut = cut % framed.len();
                let partial = parse_returned_files(&framed[..cut]).map(|f| owned(&framed, f));
                // A cut on a file boundary is a shorter list; anywhere else an error.
                if let Ok(got) = partial {
                    proptest::prop_assert!(files.starts_with(&got));
                }
            }
        }
    }

    #[test]
    fn upload_script_splits_one_stream_into_files_and_catches_truncation() {
        use std::io::Write;
        use std::os::unix::fs::PermissionsExt;
        let tmp = tempfile::tempdir().unwrap();
        let d = tmp.path().to_str().unwrap();
        let run = |script: String, input: &[u8]| {
            let mut c = crate::testtool::tool("sh")
                .arg("-c")
                .arg(script)
                .stdin(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(input).unwrap();
            c.wait_with_output().unwrap()
        };
        let files = [("a".to_string(), 3, "700"), ("b c".to_string(), 4, "600")];
        let script = |f: &[(String, u64, &str)]| format!("{}exit 0", upload_commands(d, f));
        let out = run(script(&files), b"abcdefg");
        assert!(out.status.success());
        assert_eq!(std::fs::read(tmp.path().join("a")).unwrap(), b"abc");
        assert_eq!(std::fs::read(tmp.path().join("b c")).unwrap(), b"defg");
        let mode = |n: &str| {
            std::fs::metadata(tmp.path().join(n))
                .unwrap()
                .permissions()
                .mode()
        };
        assert_eq!((mode("a") & 0o777, mode("b c") & 0o777), (0o700, 0o600));
        let out = run(script(&files), b"abcde");
        assert_eq!(out.status.code(), Some(UPLOAD_FAILED));
        assert!(String::from_utf8_lossy(&out.stderr).contains("b c came out short"));
    }

    #[test]
    fn results_document_shape_is_checked() {
        let doc = test_doc(&[("a", "pass")]);
        assert_eq!(parse_doc(doc.as_bytes()).unwrap().rules[0].id, "a");
        assert_eq!(parse_doc(b"not json").unwrap_err().kind(), "bad_output");
        assert_eq!(
            parse_doc(br#"{"rules":[{"id":"a","result":"pass"}],"scan":{}}"#)
                .unwrap_err()
                .kind(),
            "bad_output"
        );
    }
}
