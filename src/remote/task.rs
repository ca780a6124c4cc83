//! The remote scan as a [`RemoteTask`]: copy the content (under its own name in
//! `<dir>/content/`, with a standalone benchmark's OVAL files and CPE dictionary beside
//! it) and the side files such as the site policy, then run
//! `<dir>/vigil scan <dir>/content/<name> [scan flags] --json -` so the host evaluates
//! exactly what a local scan would, and its JSON results come back on stdout. The JSON
//! and HTML reports are rendered here from those results. The SCAP results (`--arf`,
//! `--xccdf-results`, `--oval-results`) carry every collected item, which the JSON
//! leaves out, so the host writes them in its directory and they come back with the
//! JSON (see [`RemoteTask::returned_files`]).

use std::path::PathBuf;

use super::runner::{RESULTS_JSON, RemoteTask, Upload};
use crate::content::{Content, ContentKind};
use crate::osutil::is_plain_file_name;

/// Where the content and the files it brings in go, under the remote directory: a
/// directory of their own, so that no name the content uses can meet vigil's files.
const CONTENT_DIR: &str = "content";

/// A SCAP results file the remote scan writes and sends back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScapOutput {
    Arf,
    XccdfResults,
    /// A directory on the host: one `<document>.result.xml` per OVAL document.
    OvalResults,
}

impl ScapOutput {
    pub fn flag(self) -> &'static str {
        match self {
            ScapOutput::Arf => "--arf",
            ScapOutput::XccdfResults => "--xccdf-results",
            ScapOutput::OvalResults => "--oval-results",
        }
    }

    /// Where the remote scan writes it, relative to its directory (`/` ends a directory).
    pub fn remote_name(self) -> &'static str {
        match self {
            ScapOutput::Arf => "arf.xml",
            ScapOutput::XccdfResults => "xccdf-results.xml",
            ScapOutput::OvalResults => "oval-results/",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ScanTask {
    /// The vigil subcommand to run remotely: `scan` (tests use `remote-selftest`,
    /// which takes the same arguments).
    pub subcommand: String,
    /// CONTENT; `None` scans with the benchmark bundled in the binary.
    pub content: Option<PathBuf>,
    /// Files a standalone benchmark brings in from beside it (its OVAL files and CPE
    /// dictionary), by the name it uses for them; see [`ScanTask::with_companions`].
    pub companions: Vec<(String, PathBuf)>,
    /// Flags naming a local file, e.g. `("--policy", path)`: the file is copied and the
    /// flag passed with the remote path.
    pub files: Vec<(String, PathBuf)>,
    /// Other evaluation flags, passed as they are (e.g. `--profile`, `ID`).
    pub flags: Vec<String>,
    /// SCAP results to write on the host and bring back.
    pub outputs: Vec<ScapOutput>,
}

impl ScanTask {
    pub fn scan(content: Option<PathBuf>) -> ScanTask {
        ScanTask {
            subcommand: "scan".into(),
            content,
            companions: Vec::new(),
            files: Vec::new(),
            flags: Vec::new(),
            outputs: Vec::new(),
        }
    }

    /// Adds the files that `content` (as loaded here from the task's CONTENT) reads from
    /// beside a standalone benchmark, so the host resolves them as this machine does.
    /// They are copied under the names the benchmark uses, which must therefore be plain
    /// file names. Data streams and OVAL files are self-contained and add nothing.
    pub fn with_companions(mut self, content: &Content) -> Result<ScanTask, String> {
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
            let name = crate::content::datastream::cpe_dictionary_beside(&content.path)
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
        for (i, (flag, path)) in self.files.iter().enumerate() {
            v.push(Upload {
                name: Self::file_name(flag, path, i),
                source: path.clone(),
            });
        }
        v
    }

    fn args(&self, dir: &str) -> Vec<String> {
        let mut a = vec![self.subcommand.clone()];
        if let Some(name) = self.content_name() {
            a.push(format!("{dir}/{name}"));
        }
        a.extend(self.flags.iter().cloned());
        for (i, (flag, path)) in self.files.iter().enumerate() {
            a.push(flag.clone());
            a.push(format!("{dir}/{}", Self::file_name(flag, path, i)));
        }
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
    fn scan_command_line_points_at_the_copies() {
        let t = ScanTask {
            subcommand: "scan".into(),
            content: Some("/local/ssg-ds.xml".into()),
            companions: vec![],
            files: vec![("--policy".into(), "/local/site.toml".into())],
            flags: vec!["--profile".into(), "standard".into()],
            outputs: vec![],
        };
        assert_eq!(
            t.args("/tmp/vigil.X"),
            [
                "scan",
                "/tmp/vigil.X/content/ssg-ds.xml",
                "--profile",
                "standard",
                "--policy",
                "/tmp/vigil.X/f0-policy.toml",
                "--json",
                "-"
            ]
        );
        let names: Vec<_> = t.uploads().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["content/ssg-ds.xml", "f0-policy.toml"]);
        assert_eq!(ScanTask::scan(None).args("/d"), ["scan", "--json", "-"]);
        assert!(ScanTask::scan(None).returned_files().is_empty());
    }

    #[test]
    fn scap_outputs_are_written_on_the_host_and_come_back_with_the_json() {
        let mut t = ScanTask::scan(None);
        t.outputs = vec![ScapOutput::Arf, ScapOutput::OvalResults];
        assert_eq!(
            t.args("/d"),
            [
                "scan",
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
