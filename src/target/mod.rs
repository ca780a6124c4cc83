//! The host being read. vigil reads the local machine, optionally under a `--root`
//! prefix (a mounted file system scanned offline, like oscap's OSCAP_PROBE_ROOT). Remote
//! hosts are scanned by running vigil itself on them, so every probe reads through this
//! one type. Nothing here ever writes.

pub mod info;

use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Default)]
pub struct Host {
    root: Option<PathBuf>,
}

impl Host {
    /// The running system.
    pub fn live() -> Host {
        Host { root: None }
    }

    /// A file system mounted at `root`, scanned offline.
    pub fn offline(root: impl Into<PathBuf>) -> Host {
        Host {
            root: Some(root.into()),
        }
    }

    /// `Some(root)` when scanning offline. Probes that need the running kernel
    /// (uname, sysctl, processes, mounts) are not applicable then.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref()
    }

    pub fn is_live(&self) -> bool {
        self.root.is_none()
    }

    /// Maps a path as seen on the scanned host to where vigil reads it. `..` cannot
    /// climb out of the root: it is resolved lexically against the host path.
    pub fn path(&self, host_path: &Path) -> PathBuf {
        match &self.root {
            None => host_path.to_path_buf(),
            Some(root) => {
                let mut out = root.clone();
                let mut depth = 0usize;
                for c in host_path.components() {
                    match c {
                        Component::Normal(p) => {
                            out.push(p);
                            depth += 1;
                        }
                        Component::ParentDir if depth > 0 => {
                            out.pop();
                            depth -= 1;
                        }
                        _ => {}
                    }
                }
                out
            }
        }
    }

    /// Maps a path read under the root back to the host's view of it.
    pub fn host_path(&self, real: &Path) -> PathBuf {
        match &self.root {
            None => real.to_path_buf(),
            Some(root) => match real.strip_prefix(root) {
                Ok(rest) => Path::new("/").join(rest),
                Err(_) => real.to_path_buf(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_paths_stay_under_root() {
        let h = Host::offline("/mnt/r");
        assert_eq!(
            h.path(Path::new("/etc/passwd")),
            PathBuf::from("/mnt/r/etc/passwd")
        );
        assert_eq!(h.path(Path::new("/../../etc")), PathBuf::from("/mnt/r/etc"));
        assert_eq!(
            h.host_path(Path::new("/mnt/r/etc/x")),
            PathBuf::from("/etc/x")
        );
    }
}
