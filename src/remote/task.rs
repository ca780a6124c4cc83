//! The remote scan as a [`RemoteTask`]: copy the content (under its own name in
//! `<dir>/content/`, with a standalone benchmark's OVAL files and CPE dictionary beside
//! it) and the side files such as the site policy, then run
//! `<dir>/vigil scan <dir>/content/<name> --spec <dir>/scan-spec.json --json -`: the
//! scan's settings travel as one serialised [`ScanSpec`] whose file names point at the
//! copies, so the host evaluates exactly what a local scan would (no flag is spelled
//! twice), and its JSON results come back on stdout. The JSON
//! and HTML reports are rendered here from those results. The SCAP results (`--arf`,
//! `--xccdf-results`, `--oval-results`) carry every collected item, which the JSON
//! leaves out, so the host writes them in its directory and they come back with the
//! JSON (see [`RemoteTask::returned_files`]).

use std::path::PathBuf;
use std::sync::Arc;

use super::runner::{RESULTS_JSON, RemoteTask, Upload};
use vigil_core::content::{Content, ContentKind};
use vigil_core::osutil::is_plain_file_name;
use vigil_host::scan::ScanSpec;

/// Where the content and the files it brings in go, under the remote directory: a
/// directory of their own, so that no name the content uses can meet vigil's files.
const CONTENT_DIR: &str = "content";

/// A SCAP results file the remote scan writes and sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScapOutput {
    Arf,
    XccdfResults,
    /// A directory on the host: one `<document>.result.xml` per OVAL document.
    OvalResults,
}

impl ScapOutput {
    pub(crate) fn flag(self) -> &'static str {
        match self {
            ScapOutput::Arf => "--arf",
            ScapOutput::XccdfResults => "--xccdf-results",
            ScapOutput::OvalResults => "--oval-results",
        }
    }

    /// Where the remote scan writes it, relative to its directory (`/` ends a directory).
    pub(crate) fn remote_name(self) -> &'static str {
        match self {
            ScapOutput::Arf => "arf.xml",
            ScapOutput::XccdfResults => "xccdf-results.xml",
            ScapOutput::OvalResults => "oval-results/",
        }
    }
}

/// The name of the serialised [`ScanSpec`] in the remote directory.
pub(crate) const SPEC_FILE: &str = "scan-spec.json";

#[derive(Debug, Clone)]
pub(crate) struct ScanTask {
    /// The vigil subcommand to run remotely: `scan` (tests use `remote-selftest`,
    /// which takes the same arguments).
    pub subcommand: String,
    /// CONTENT; `None` scans with the benchmark bundled in the binary.
    pub content: Option<PathBuf>,
    /// Files a standalone benchmark brings in from beside it (its OVAL files and CPE
    /// dictionary), by the name it uses for them; see [`ScanTask::with_companions`].
    pub companions: Vec<(String, PathBuf)>,
    /// The scan's settings, with this machine's file names (tailoring, policy,
    /// variables).
    pub spec: ScanSpec,
    /// The spec as the host reads it: its files named relative to the remote
    /// directory. Written once here and uploaded to every host.
    spec_file: Arc<tempfile::NamedTempFile>,
    /// SCAP results to write on the host and bring back.
    pub outputs: Vec<ScapOutput>,
}

impl ScanTask {
    /// The task of scanning `content` with `spec`.
    pub(crate) fn scan(content: Option<PathBuf>, mut spec: ScanSpec) -> Result<ScanTask, String> {
        // A baseline from this machine is checked with a key from this machine: the
        // policy's `public_key`, when `--baseline-key` does not name one, travels as if
        // given with it (on the host, the policy's path would name a file of the host).
        if spec.baseline.file.is_some()
            && spec.baseline.key.is_none()
            && let Some(p) = &spec.policy
        {
            let pol = vigil_host::policy::Policy::load(p).map_err(|e| e.to_string())?;
            spec.baseline.key = pol.integrity.and_then(|i| i.public_key).map(PathBuf::from);
        }
        let mut remote = spec.clone();
        for (i, (name, p)) in [
            ("tailoring", &mut remote.load.tailoring),
            ("policy", &mut remote.policy),
            ("variables", &mut remote.variables),
            ("baseline", &mut remote.baseline.file),
            ("baseline-key", &mut remote.baseline.key),
        ]
        .into_iter()
        .enumerate()
        {
            if let Some(path) = p {
                *path = PathBuf::from(Self::file_name(name, path, i));
            }
        }
        let json = serde_json::to_vec_pretty(&remote).map_err(|e| e.to_string())?;
        let mut f = tempfile::Builder::new()
            .prefix("vigil-spec-")
            .tempfile()
            .map_err(|e| format!("cannot write the scan specification: {e}"))?;
        std::io::Write::write_all(&mut f, &json)
            .map_err(|e| format!("cannot write the scan specification: {e}"))?;
        Ok(ScanTask {
            subcommand: "scan".into(),
            content,
            companions: Vec::new(),
            spec,
            spec_file: Arc::new(f),
            outputs: Vec::new(),
        })
    }

    /// The files the spec names, copied under the names the remote spec gives them, and
    /// the baseline's signature (when there is one) beside the baseline's copy.
    fn spec_files(&self) -> Vec<(String, PathBuf)> {
        let mut v: Vec<(String, PathBuf)> = [
            ("tailoring", self.spec.load.tailoring.as_ref()),
            ("policy", self.spec.policy.as_ref()),
            ("variables", self.spec.variables.as_ref()),
            ("baseline", self.spec.baseline.file.as_ref()),
            ("baseline-key", self.spec.baseline.key.as_ref()),
        ]
        .into_iter()
        .enumerate()
        .filter_map(|(i, (name, p))| Some((Self::file_name(name, p?, i), p?.clone())))
        .collect();
        if let Some(b) = &self.spec.baseline.file {
            let sig = vigil_host::baseline::signature::signature_path(b);
            let copy = v
                .iter()
                .find(|(_, p)| p == b)
                .map(|(n, _)| format!("{n}.sig"));
            if let Some(name) = copy.filter(|_| sig.exists()) {
                v.push((name, sig));
            }
        }
        v
    }

    /// Adds the files that `content` (as loaded here from the task's CONTENT) reads from
    /// beside a standalone benchmark, so the host resolves them as this machine does.
    /// They are copied under the names the benchmark uses, which must therefore be plain
    /// file names. Data streams and OVAL files are self-contained and add nothing.
    pub(crate) fn with_companions(mut self, content: &Content) -> Result<ScanTask, String> {
        if content.kind != ContentKind::Xccdf {
            return Ok(self);
        }
        for (href, defs) in &content.oval {
            if !is_plain_file_name(href) || href.starts_with('-') {
                return Err(format!(
                    "{}: the benchmark reads its OVAL file {href:?} from another directory; \
                     a remote scan copies only files beside the benchmark (use a data stream)",
                    content.path.display()
                ));
            }
            self.companions.push((href.clone(), defs.path.clone()));
        }
        if content.cpe_dictionary.is_some() {
            let name = vigil_core::content::cpe_dictionary_beside(&content.path)
                .ok_or("the CPE dictionary beside the benchmark cannot be named")?;
            let dir = content.path.parent().unwrap_or(std::path::Path::new("."));
            self.companions.push((name.clone(), dir.join(&name)));
        }
        Ok(self)
    }

    /// The remote name of CONTENT: its own file name, which a standalone benchmark needs
    /// to find its CPE dictionary (`<stem>-xccdf.xml` beside `<stem>-cpe-dictionary.xml`).
    fn content_name(&self) -> Option<String> {
        let c = self.content.as_ref()?;
        let name = c
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !n.starts_with('-'))
            .unwrap_or_else(|| "content.xml".into());
        Some(format!("{CONTENT_DIR}/{name}"))
    }

    fn file_name(flag: &str, path: &std::path::Path, i: usize) -> String {
        let base: String = flag
            .trim_start_matches('-')
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| e.chars().all(|c| c.is_ascii_alphanumeric()))
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        format!("f{i}-{base}{ext}")
    }
}

impl RemoteTask for ScanTask {
    fn uploads(&self) -> Vec<Upload> {
        let mut v = Vec::new();
        if let (Some(c), Some(name)) = (&self.content, self.content_name()) {
            v.push(Upload {
                name,
                source: c.clone(),
            });
            for (name, source) in &self.companions {
                v.push(Upload {
                    name: format!("{CONTENT_DIR}/{name}"),
                    source: source.clone(),
                });
            }
        }
        for (name, source) in self.spec_files() {
            v.push(Upload { name, source });
        }
        v.push(Upload {
            name: SPEC_FILE.into(),
            source: self.spec_file.path().to_path_buf(),
        });
        v
    }

    fn args(&self, dir: &str) -> Vec<String> {
        let mut a = vec![self.subcommand.clone()];
        if let Some(name) = self.content_name() {
            a.push(format!("{dir}/{name}"));
        }
        a.push("--spec".into());
        a.push(format!("{dir}/{SPEC_FILE}"));
        for o in &self.outputs {
            a.push(o.flag().into());
            a.push(format!("{dir}/{}", o.remote_name().trim_end_matches('/')));
        }
        a.push("--json".into());
        if self.outputs.is_empty() {
            a.push("-".into());
        } else {
            a.push(format!("{dir}/{RESULTS_JSON}"));
        }
        a
    }

    fn returned_files(&self) -> Vec<String> {
        if self.outputs.is_empty() {
            return Vec::new();
        }
        std::iter::once(RESULTS_JSON)
            .chain(self.outputs.iter().map(|o| o.remote_name()))
            .map(String::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spec_travels_with_its_files_named_as_copied() {
        let spec = ScanSpec {
            policy: Some("/local/site.toml".into()),
            variables: Some("/local/vars.xml".into()),
            selection: vigil_core::engine::xccdf::Selection {
                profile: Some("standard".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let t = ScanTask::scan(Some("/local/ssg-ds.xml".into()), spec.clone()).unwrap();
        assert_eq!(
            t.args("/tmp/vigil.X"),
            [
                "scan",
                "/tmp/vigil.X/content/ssg-ds.xml",
                "--spec",
                "/tmp/vigil.X/scan-spec.json",
                "--json",
                "-"
            ]
        );
        let ups = t.uploads();
        let names: Vec<_> = ups.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "content/ssg-ds.xml",
                "f1-policy.toml",
                "f2-variables.xml",
                SPEC_FILE
            ]
        );
        // What the host reads: the spec, its policy named as uploaded, resolved against
        // the remote directory.
        let sent: ScanSpec =
            serde_json::from_slice(&std::fs::read(&ups[3].source).unwrap()).unwrap();
        let got = sent.resolved_against(std::path::Path::new("/tmp/vigil.X"));
        assert_eq!(got.policy, Some("/tmp/vigil.X/f1-policy.toml".into()));
        assert_eq!(got.variables, Some("/tmp/vigil.X/f2-variables.xml".into()));
        assert_eq!(got.selection, spec.selection);
        let none = ScanTask::scan(None, ScanSpec::default()).unwrap();
        assert_eq!(
            none.args("/d"),
            ["scan", "--spec", "/d/scan-spec.json", "--json", "-"]
        );
        assert!(none.returned_files().is_empty());
    }

    /// Issue 16: `--baseline` (with its signature) and `--baseline-key` travel with the
    /// scan; without `--baseline-key`, the policy's `public_key` goes as the key, since
    /// on the host the policy's path would name the host's file.
    #[test]
    fn the_baseline_its_signature_and_key_are_uploaded() {
        let d = tempfile::tempdir().unwrap();
        let (base, key) = (d.path().join("kms.baseline"), d.path().join("pub.pem"));
        std::fs::write(&base, "{}").unwrap();
        std::fs::write(d.path().join("kms.baseline.sig"), "{}").unwrap();
        let policy = d.path().join("site.toml");
        std::fs::write(
            &policy,
            format!(
                "[integrity]\nbaseline = \"/b\"\npaths = [\"/etc\"]\npublic_key = {:?}\n",
                key.to_str().unwrap()
            ),
        )
        .unwrap();
        let spec = ScanSpec {
            policy: Some(policy.clone()),
            baseline: vigil_host::baseline::ScannerBaseline {
                file: Some(base.clone()),
                key: None,
            },
            ..Default::default()
        };
        let t = ScanTask::scan(None, spec).unwrap();
        let ups = t.uploads();
        let names: Vec<_> = ups.iter().map(|u| u.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "f1-policy.toml",
                "f3-baseline.baseline",
                "f4-baseline-key.pem",
                "f3-baseline.baseline.sig",
                SPEC_FILE
            ]
        );
        assert_eq!(ups[2].source, key);
        assert_eq!(ups[3].source, d.path().join("kms.baseline.sig"));
        let sent: ScanSpec =
            serde_json::from_slice(&std::fs::read(&ups[4].source).unwrap()).unwrap();
        let got = sent.resolved_against(std::path::Path::new("/tmp/vigil.X"));
        assert_eq!(
            got.baseline.file,
            Some("/tmp/vigil.X/f3-baseline.baseline".into())
        );
        assert_eq!(
            got.baseline.key,
            Some("/tmp/vigil.X/f4-baseline-key.pem".into())
        );
        // Without a signature file beside the baseline, none is uploaded.
        std::fs::remove_file(d.path().join("kms.baseline.sig")).unwrap();
        let spec = ScanSpec {
            baseline: vigil_host::baseline::ScannerBaseline {
                file: Some(base),
                key: Some(key),
            },
            ..Default::default()
        };
        let names: Vec<_> = ScanTask::scan(None, spec)
            .unwrap()
            .uploads()
            .into_iter()
            .map(|u| u.name)
            .collect();
        assert_eq!(
            names,
            ["f3-baseline.baseline", "f4-baseline-key.pem", SPEC_FILE]
        );
    }

    #[test]
    fn scap_outputs_are_written_on_the_host_and_come_back_with_the_json() {
        let mut t = ScanTask::scan(None, ScanSpec::default()).unwrap();
        t.outputs = vec![ScapOutput::Arf, ScapOutput::OvalResults];
        assert_eq!(
            t.args("/d"),
            [
                "scan",
                "--spec",
                "/d/scan-spec.json",
                "--arf",
                "/d/arf.xml",
                "--oval-results",
                "/d/oval-results",
                "--json",
                "/d/results.json"
            ]
        );
        assert_eq!(
            t.returned_files(),
            ["results.json", "arf.xml", "oval-results/"]
        );
    }
}
