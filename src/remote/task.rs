//! The remote scan as a [`RemoteTask`]: copy the content (as `content.xml`) and the
//! side files such as the site policy, then run
//! `<dir>/vigil scan <dir>/content.xml [scan flags] --json -` so the host evaluates
//! exactly what a local scan would, and its JSON results come back on stdout. Output
//! flags (`--json PATH`, `--html`, `--arf`) stay local: reports are rendered here.

use std::path::PathBuf;

use super::runner::{RemoteTask, Upload};

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
}

impl ScanTask {
    pub fn scan(content: Option<PathBuf>) -> ScanTask {
        ScanTask {
            subcommand: "scan".into(),
            content,
            files: Vec::new(),
            flags: Vec::new(),
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
        a.push("--json".into());
        a.push("-".into());
        a
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
    }
}
