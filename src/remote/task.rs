//! The remote scan as a [`RemoteTask`]: copy the content (as `content.xml`) and the
//! side files such as the site policy, then run
//! `<dir>/vigil scan <dir>/content.xml [scan flags] --json -` so the host evaluates
//! exactly what a local scan would, and its JSON results come back on stdout. The JSON
//! and HTML reports are rendered here from those results. The SCAP results (`--arf`,
//! `--xccdf-results`, `--oval-results`) carry every collected item, which the JSON
//! leaves out, so the host writes them in its directory and they come back with the
//! JSON (see [`RemoteTask::returned_files`]).

use std::path::PathBuf;

use super::runner::{RESULTS_JSON, RemoteTask, Upload};

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
            files: Vec::new(),
            flags: Vec::new(),
            outputs: Vec::new(),
        }
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
        if let Some(c) = &self.content {
            v.push(Upload {
                name: "content.xml".into(),
                source: c.clone(),
            });
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
        if self.content.is_some() {
            a.push(format!("{dir}/content.xml"));
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
            files: vec![("--policy".into(), "/local/site.toml".into())],
            flags: vec!["--profile".into(), "standard".into()],
            outputs: vec![],
        };
        assert_eq!(
            t.args("/tmp/vigil.X"),
            [
                "scan",
                "/tmp/vigil.X/content.xml",
                "--profile",
                "standard",
                "--policy",
                "/tmp/vigil.X/f0-policy.toml",
                "--json",
                "-"
            ]
        );
        let names: Vec<_> = t.uploads().into_iter().map(|u| u.name).collect();
        assert_eq!(names, ["content.xml", "f0-policy.toml"]);
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
