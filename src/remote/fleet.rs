//! Scans many hosts at once with a fixed pool of worker threads (`-j N`), each host on
//! its own ssh master connection, and sums up the fleet: one results document per host
//! in an output directory, `fleet-summary.json`, and a terminal table. One host's failure
//! never stops the others; it becomes that host's error in the summary.
//!
//! Exit status: 1 when any host could not be scanned (the fleet result is incomplete),
//! otherwise 2 when any host has a rule whose result is fail, error or unknown, else 0.

use crate::exit::Exit;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::report::ScanResults;

use super::error::RemoteError;
use super::hostspec::HostSpec;
use super::runner::{HostScan, RemoteTask, scan_host};
use super::ssh::SshOptions;
use super::task::ScapOutput;
use vigil_core::osutil::is_plain_file_name;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HostStatus {
    /// Every rule passed or did not apply.
    Pass,
    /// At least one rule is fail, error or unknown.
    Fail,
    /// The host could not be scanned.
    Error,
}

impl HostStatus {
    pub(crate) fn word(self) -> &'static str {
        match self {
            HostStatus::Pass => "pass",
            HostStatus::Fail => "fail",
            HostStatus::Error => "error",
        }
    }
}

#[derive(Debug)]
pub(crate) struct HostOutcome {
    pub spec: HostSpec,
    pub result: Result<HostScan, RemoteError>,
    pub duration: Duration,
}

/// Rule results counted from a results document.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Counts {
    pub pass: usize,
    /// fail, error or unknown no waiver covers: what makes `vigil scan` exit 2.
    pub failing: usize,
    /// Everything else, waived failures included.
    pub other: usize,
    /// Accepted risks (`Summary::waived`; also counted in `other`).
    pub waived: usize,
    pub failing_ids: Vec<String>,
}

pub(crate) fn count_rules(results: &ScanResults) -> Counts {
    use vigil_core::engine::xccdf::RuleOutcome;
    let mut c = Counts::default();
    for r in &results.rules {
        c.waived += usize::from(r.is_accepted_risk());
        match r.result {
            RuleOutcome::Pass => c.pass += 1,
            _ if r.is_finding() => {
                c.failing += 1;
                c.failing_ids.push(r.id.clone());
            }
            _ => c.other += 1,
        }
    }
    // OVAL content has no rules: its definitions decide, mapped to XCCDF words by
    // class exactly as a local scan's exit status is (ScanResults::has_findings).
    if results.rules.is_empty() {
        for d in &results.definitions {
            match RuleOutcome::from_oval(d.result, &d.class) {
                o if o.is_failure() => {
                    c.failing += 1;
                    c.failing_ids.push(d.id.clone());
                }
                RuleOutcome::Pass => c.pass += 1,
                _ => c.other += 1,
            }
        }
    }
    c
}

impl HostOutcome {
    pub(crate) fn status(&self) -> HostStatus {
        match &self.result {
            Err(_) => HostStatus::Error,
            Ok(s) if count_rules(&s.results).failing > 0 => HostStatus::Fail,
            Ok(_) => HostStatus::Pass,
        }
    }
}

#[derive(Debug)]
pub(crate) struct FleetReport {
    /// In the order the hosts were given.
    pub hosts: Vec<HostOutcome>,
    pub wall: Duration,
    pub jobs: usize,
}

/// The private local directory for the control sockets. /tmp rather than $TMPDIR:
/// a socket path must fit in 108 bytes.
fn control_dir() -> Result<tempfile::TempDir, RemoteError> {
    let base = if Path::new("/tmp").is_dir() {
        PathBuf::from("/tmp")
    } else {
        std::env::temp_dir()
    };
    tempfile::Builder::new()
        .prefix("vigil-ssh.")
        .tempdir_in(base)
        .map_err(|e| RemoteError::Local {
            detail: format!("cannot create a directory for ssh control sockets: {e}"),
        })
}

/// Scans every host, `jobs` at a time, calling `on_done` with the host's index as each
/// host finishes; it may take what it has written out of the outcome (the returned
/// files), so a fleet never holds every host's SCAP results at once.
pub(crate) fn run_fleet(
    hosts: &[HostSpec],
    jobs: usize,
    opts: &SshOptions,
    task: &dyn RemoteTask,
    binary: &Path,
    on_done: &(dyn Fn(usize, &mut HostOutcome) + Sync),
) -> Result<FleetReport, RemoteError> {
    let start = Instant::now();
    let cdir = control_dir()?;
    let jobs = jobs.clamp(1, hosts.len().max(1));
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<HostOutcome>>> =
        Mutex::new((0..hosts.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(spec) = hosts.get(i) else { break };
                    let t = Instant::now();
                    let result =
                        scan_host(spec, opts, task, binary, &cdir.path().join(format!("c{i}")));
                    let mut outcome = HostOutcome {
                        spec: spec.clone(),
                        result,
                        duration: t.elapsed(),
                    };
                    on_done(i, &mut outcome);
                    slots.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(outcome);
                }
            });
        }
    });
    let hosts = slots
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .flatten()
        .collect();
    Ok(FleetReport {
        hosts,
        wall: start.elapsed(),
        jobs,
    })
}

/// Writes the SCAP results one host sent back (see [`ScapOutput`]) as a local scan
/// writes them when `fleet_stem` is `None` (a single host): `--arf`/`--xccdf-results` to
/// the path given, `--oval-results` to the path or, for several OVAL documents, into the
/// existing directory given. In a fleet each path is a directory that receives
/// `<stem>.arf.xml`, `<stem>.xccdf-results.xml` and `<stem>.<document>.result.xml`.
/// Returns the files written.
pub(crate) fn write_host_scap(
    scan: &HostScan,
    fleet_stem: Option<&str>,
    outputs: &[(ScapOutput, PathBuf)],
) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    let mut write = |path: PathBuf, bytes: &[u8]| -> Result<(), String> {
        crate::report::write_output(&path, bytes).map_err(|e| e.to_string())?;
        written.push(path);
        Ok(())
    };
    for (kind, out) in outputs {
        let returned = returned_output(scan, *kind)?;
        let Some(stem) = fleet_stem else {
            match (kind, &returned[..]) {
                (ScapOutput::OvalResults, docs) if out.is_dir() => {
                    for (name, bytes) in docs {
                        write(out.join(name), bytes)?;
                    }
                }
                (_, [(_, one)]) => write(out.clone(), one)?,
                (_, docs) => {
                    return Err(format!(
                        "--oval-results {}: the content has {} OVAL documents; give an \
                         existing directory to get one <document>.result.xml each",
                        out.display(),
                        docs.len()
                    ));
                }
            }
            continue;
        };
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        for (name, bytes) in &returned {
            let name = match kind {
                ScapOutput::OvalResults => format!("{stem}.{name}"),
                _ => format!("{stem}.{}", kind.remote_name()),
            };
            write(out.join(name), bytes)?;
        }
    }
    Ok(written)
}

/// The files of one SCAP output a host sent back, by the name they get locally: the
/// single file for ARF and XCCDF results, one `<document>.result.xml` each for OVAL.
/// Names come from the host, so only plain file names are taken.
fn returned_output(scan: &HostScan, kind: ScapOutput) -> Result<Vec<(&str, &[u8])>, String> {
    let name = kind.remote_name();
    let files: Vec<(&str, &[u8])> = match name.strip_suffix('/') {
        None => scan.files().filter(|(n, _)| *n == name).collect(),
        Some(dir) => scan
            .files()
            .filter_map(|(n, b)| {
                let base = n.strip_prefix(dir)?.strip_prefix('/')?;
                let plain = is_plain_file_name(base) && base.ends_with(".result.xml");
                plain.then_some((base, b))
            })
            .collect(),
    };
    if files.is_empty() {
        return Err(format!("the scan sent back no {name} for {}", kind.flag()));
    }
    Ok(files)
}

/// The fleet summary's file in `--fleet-out DIR`, without `.json`.
pub(crate) const SUMMARY_STEM: &str = "fleet-summary";

/// Distinct file stems for the hosts' documents: each host's [`HostSpec::file_stem`],
/// and when that is already taken (by an earlier host, or by the fleet summary, compared
/// without case, as a case-insensitive file system would) the first free `<stem>-N`
/// from 2 up. So a host labelled `fleet-summary` gets `fleet-summary-2.json`, and no
/// host's file overwrites another's or the summary.
pub(crate) fn file_stems<'a>(hosts: impl IntoIterator<Item = &'a HostSpec>) -> Vec<String> {
    let mut taken = std::collections::HashSet::<String>::from([SUMMARY_STEM.to_string()]);
    hosts
        .into_iter()
        .map(|h| {
            let stem = h.file_stem();
            let mut candidate = stem.clone();
            let mut n = 1;
            while !taken.insert(candidate.to_ascii_lowercase()) {
                n += 1;
                candidate = format!("{stem}-{n}");
            }
            candidate
        })
        .collect()
}

/// Renders one host's results (the host's index given) to the bytes of a file.
pub(crate) type RenderHost<'a> = dyn Fn(&ScanResults, usize) -> Result<Vec<u8>, String> + 'a;

impl FleetReport {
    /// How the fleet scan ended: its worst host decides (a host that could not be
    /// scanned, then a host that failed a rule).
    pub(crate) fn outcome(&self) -> Exit {
        self.hosts
            .iter()
            .map(|h| match h.status() {
                HostStatus::Error => Exit::CannotRun,
                HostStatus::Fail => Exit::Findings,
                HostStatus::Pass => Exit::Clean,
            })
            .max()
            .unwrap_or(Exit::Clean)
    }

    /// The fleet summary document. `out_files` are the per-host documents' paths.
    pub(crate) fn summary(&self, out_files: Option<&[Option<PathBuf>]>) -> Value {
        let mut totals = json!({"hosts": self.hosts.len(), "pass": 0, "fail": 0, "error": 0});
        let hosts: Vec<Value> = self
            .hosts
            .iter()
            .enumerate()
            .map(|(i, h)| {
                let status = h.status();
                totals[status.word()] = json!(totals[status.word()].as_u64().unwrap_or(0) + 1);
                let mut v = json!({
                    "host": h.spec.label,
                    "destination": h.spec.destination(),
                    "port": h.spec.port,
                    "status": status.word(),
                    "duration_ms": h.duration.as_millis() as u64,
                });
                match &h.result {
                    Ok(s) => {
                        let c = count_rules(&s.results);
                        v["rules"] =
                            json!({"pass": c.pass, "failing": c.failing, "other": c.other, "waived": c.waived});
                        v["failing_rules"] = json!(c.failing_ids);
                        v["uname"] = json!(s.uname);
                        v["scan_exit_code"] = json!(s.exit_code);
                        let ms = |d: Duration| d.as_millis() as u64;
                        v["timings_ms"] = json!({
                            "connect": ms(s.timings.connect),
                            "scan": ms(s.timings.scan),
                            "cleanup": ms(s.timings.cleanup),
                        });
                        if !s.warnings.is_empty() {
                            v["warnings"] = json!(s.warnings);
                        }
                        if let Some(Some(p)) = out_files.and_then(|f| f.get(i)) {
                            v["results_file"] = json!(p);
                        }
                    }
                    Err(e) => {
                        v["error"] = json!({"kind": e.kind(), "message": e.to_string()});
                    }
                }
                v
            })
            .collect();
        json!({
            "schema_version": 1,
            "jobs": self.jobs,
            "wall_ms": self.wall.as_millis() as u64,
            "exit_code": self.outcome().code(),
            "totals": totals,
            "hosts": hosts,
        })
    }

    /// Writes `<dir>/<host>.json` for every scanned host and `<dir>/fleet-summary.json`.
    pub(crate) fn write(&self, dir: &Path) -> std::io::Result<Vec<Option<PathBuf>>> {
        std::fs::create_dir_all(dir)?;
        let stems = file_stems(self.hosts.iter().map(|h| &h.spec));
        let mut paths = Vec::new();
        for (h, stem) in self.hosts.iter().zip(stems) {
            match &h.result {
                Ok(s) => {
                    let p = dir.join(format!("{stem}.json"));
                    std::fs::write(&p, s.json())?;
                    paths.push(Some(p));
                }
                Err(_) => paths.push(None),
            }
        }
        let summary = self.summary(Some(&paths));
        let text = serde_json::to_string_pretty(&summary).map_err(std::io::Error::other)?;
        std::fs::write(dir.join(format!("{SUMMARY_STEM}.json")), text + "\n")?;
        Ok(paths)
    }

    /// HTML reports rendered here from the hosts' results ([`FleetReport::write_each`]).
    pub(crate) fn write_html(&self, out: &Path) -> Result<Vec<PathBuf>, String> {
        self.write_each(out, "html", &|results, _| {
            crate::report::html::render(results)
                .map(String::into_bytes)
                .map_err(|e| e.to_string())
        })
    }

    /// One rendering per scanned host, made here from its results: written to `out`
    /// itself for a single host, to `out/<host>.<extension>` for each scanned host of
    /// a fleet (hosts that could not be scanned have none). `render` gets the host's
    /// index. Returns the files written.
    pub(crate) fn write_each(
        &self,
        out: &Path,
        extension: &str,
        render: &RenderHost<'_>,
    ) -> Result<Vec<PathBuf>, String> {
        let write = |results: &ScanResults, i: usize, path: &Path| -> Result<(), String> {
            let bytes = render(results, i)?;
            crate::report::write_output(path, &bytes).map_err(|e| e.to_string())
        };
        if let [one] = &self.hosts[..] {
            return match &one.result {
                Ok(s) => write(&s.results, 0, out).map(|()| vec![out.to_path_buf()]),
                Err(_) => Ok(Vec::new()),
            };
        }
        std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
        let mut written = Vec::new();
        for (i, (h, stem)) in self
            .hosts
            .iter()
            .zip(file_stems(self.hosts.iter().map(|h| &h.spec)))
            .enumerate()
        {
            if let Ok(s) = &h.result {
                let p = out.join(format!("{stem}.{extension}"));
                write(&s.results, i, &p)?;
                written.push(p);
            }
        }
        Ok(written)
    }

    /// The terminal table: one line per host, then the totals.
    pub(crate) fn table(&self) -> String {
        let w = self
            .hosts
            .iter()
            .map(|h| h.spec.label.chars().count())
            .max()
            .unwrap_or(4)
            .max(4);
        let mut out = format!(
            "{:<w$}  {:<6}  {:>5}  {:>5}  {:>5}  {:>7}  DETAIL\n",
            "HOST", "STATUS", "PASS", "FAIL", "OTHER", "TIME"
        );
        let mut n = [0usize; 3];
        for h in &self.hosts {
            let st = h.status();
            n[st as usize] += 1;
            let secs = format!("{:.1}s", h.duration.as_secs_f64());
            let (p, f, o, detail) = match &h.result {
                Ok(s) => {
                    let c = count_rules(&s.results);
                    let mut d = c
                        .failing_ids
                        .iter()
                        .take(3)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ");
                    if c.failing_ids.len() > 3 {
                        d.push_str(&format!(", +{} more", c.failing_ids.len() - 3));
                    }
                    if c.waived > 0 {
                        d.push_str(&format!(" ({} waived)", c.waived));
                    }
                    for wmsg in &s.warnings {
                        d.push_str(&format!(" [warning: {wmsg}]"));
                    }
                    (
                        c.pass.to_string(),
                        c.failing.to_string(),
                        c.other.to_string(),
                        d,
                    )
                }
                Err(e) => ("-".into(), "-".into(), "-".into(), e.to_string()),
            };
            out.push_str(&format!(
                "{:<w$}  {:<6}  {p:>5}  {f:>5}  {o:>5}  {secs:>7}  {detail}\n",
                h.spec.label,
                st.word()
            ));
        }
        out.push_str(&format!(
            "{} hosts: {} pass, {} fail, {} error ({:.1}s wall, {} at a time)\n",
            self.hosts.len(),
            n[0],
            n[1],
            n[2],
            self.wall.as_secs_f64(),
            self.jobs
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::runner::test_doc;

    fn outcome(label: &str, doc: Option<&str>) -> HostOutcome {
        HostOutcome {
            spec: HostSpec::parse(label).unwrap(),
            result: match doc {
                Some(d) => Ok(HostScan::new(
                    d.as_bytes().to_vec(),
                    0..d.len(),
                    vec![],
                    0,
                    "Linux x86_64".into(),
                )
                .unwrap()),
                None => Err(RemoteError::Auth {
                    detail: "root@h: Permission denied (publickey).".into(),
                }),
            },
            duration: Duration::from_millis(5),
        }
    }

    fn pass() -> String {
        test_doc(&[("a", "pass"), ("b", "notapplicable")])
    }
    fn fail() -> String {
        test_doc(&[("a", "pass"), ("c", "unknown")])
    }

    fn report(hosts: Vec<HostOutcome>) -> FleetReport {
        FleetReport {
            hosts,
            wall: Duration::from_millis(9),
            jobs: 2,
        }
    }

    #[test]
    fn exit_code_error_beats_fail_beats_pass() {
        assert_eq!(
            report(vec![outcome("a", Some(&pass()))]).outcome().code(),
            0
        );
        assert_eq!(
            report(vec![
                outcome("a", Some(&pass())),
                outcome("b", Some(&fail()))
            ])
            .outcome()
            .code(),
            2
        );
        assert_eq!(
            report(vec![outcome("a", Some(&fail())), outcome("b", None)])
                .outcome()
                .code(),
            1
        );
    }

    #[test]
    fn summary_names_each_hosts_error_and_failing_rules() {
        let r = report(vec![
            outcome("web", Some(&fail())),
            outcome("db:2200", None),
        ]);
        let tmp = tempfile::tempdir().unwrap();
        let paths = r.write(tmp.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(tmp.path().join("web.json")).unwrap(),
            fail()
        );
        assert!(paths[1].is_none());
        let s: Value =
            serde_json::from_slice(&std::fs::read(tmp.path().join("fleet-summary.json")).unwrap())
                .unwrap();
        assert_eq!(s["exit_code"], 1);
        assert_eq!(s["hosts"][0]["failing_rules"], json!(["c"]));
        assert_eq!(s["hosts"][1]["error"]["kind"], "auth");
        assert_eq!(
            s["totals"],
            json!({"hosts": 2, "pass": 0, "fail": 1, "error": 1})
        );
        let t = r.table();
        assert!(t.contains("authentication failed"), "{t}");
        assert!(t.contains("2 hosts: 0 pass, 1 fail, 1 error"), "{t}");
    }

    #[test]
    fn duplicate_labels_get_distinct_files() {
        let r = report(vec![
            outcome("a:1", Some(&pass())),
            outcome("a_1", Some(&pass())),
        ]);
        assert_eq!(
            file_stems(r.hosts.iter().map(|h| &h.spec)),
            vec!["a_1", "a_1-2"]
        );
        let specs: Vec<HostSpec> = ["a", "a", "a-2", "fleet-summary", "Fleet-Summary"]
            .iter()
            .map(|l| HostSpec::parse(l).unwrap())
            .collect();
        assert_eq!(
            file_stems(&specs),
            ["a", "a-2", "a-2-2", "fleet-summary-2", "Fleet-Summary-3"]
        );
    }
}
