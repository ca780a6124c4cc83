//! The host being read. vigil reads the local machine, optionally under a `--root`
//! prefix (a mounted file system scanned offline, like oscap's OSCAP_PROBE_ROOT). Remote
//! hosts are scanned by running vigil itself on them, so every probe reads through this
//! one type. Nothing here ever writes.
//!
//! Under a root, every symbolic link is resolved by hand against the root
//! ([`Host::canonical`]): an image's `/etc/passwd -> /etc/passwd.real` or
//! `/var/lib/dpkg -> /data/dpkg` means the image's files, never the scanner's own. And
//! [`Host::read_file`] opens only regular files, without blocking, so a FIFO or device
//! planted where a file is expected cannot hang a scan.

pub mod info;

use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// Linux's limit on symbolic links followed while resolving one path.
const MAX_LINKS: usize = 40;

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

    /// Resolves every symbolic link in `host_path` as the scanned host would, staying
    /// under the root. Returns the canonical host path.
    pub fn canonical(&self, host_path: &Path) -> io::Result<PathBuf> {
        if self.is_live() {
            return std::fs::canonicalize(host_path);
        }
        let mut done = PathBuf::from("/");
        let mut todo: Vec<std::ffi::OsString> = components_rev(host_path);
        let mut links = 0;
        while let Some(c) = todo.pop() {
            if c == ".." {
                done.pop();
                continue;
            }
            let next = done.join(&c);
            let md = std::fs::symlink_metadata(self.path(&next))?;
            if md.file_type().is_symlink() {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(libc::ELOOP));
                }
                let target = std::fs::read_link(self.path(&next))?;
                if target.is_absolute() {
                    done = PathBuf::from("/");
                }
                todo.extend(components_rev(&target));
            } else {
                if !md.is_dir() && !todo.is_empty() {
                    return Err(io::Error::from_raw_os_error(libc::ENOTDIR));
                }
                done = next;
            }
        }
        Ok(done)
    }

    /// Where to `lstat` a host path: its directory resolved within the root, the last
    /// component as is (so a symbolic link is seen as one).
    pub fn real_nofollow(&self, host_path: &Path) -> io::Result<PathBuf> {
        if self.is_live() {
            return Ok(host_path.to_path_buf());
        }
        match (host_path.parent(), host_path.file_name()) {
            (Some(parent), Some(name)) => Ok(self.path(&self.canonical(parent)?).join(name)),
            _ => Ok(self.path(host_path)),
        }
    }

    /// Where to read a host path, following every link within the root. The result has
    /// no links left, so it can be opened with `O_NOFOLLOW`.
    pub fn real_follow(&self, host_path: &Path) -> io::Result<PathBuf> {
        if self.is_live() {
            return std::fs::canonicalize(host_path);
        }
        Ok(self.path(&self.canonical(host_path)?))
    }

    /// Resolves `host_path`, following every symbolic link within the root
    /// ([`Host::canonical`]); `Ok(None)` when it does not exist.
    pub fn resolve(&self, host_path: &Path) -> io::Result<Option<HostFile>> {
        let canonical = match self.canonical(host_path) {
            Ok(c) => c,
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(libc::ENOTDIR) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let real = self.path(&canonical);
        let meta = std::fs::symlink_metadata(&real)?;
        Ok(Some(HostFile {
            host_path: canonical,
            real,
            meta,
        }))
    }

    /// The content of a regular file of the host (see [`HostFile::read`]), links
    /// followed within the root; `Ok(None)` when it does not exist.
    pub fn read_file(&self, host_path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
        self.resolve(host_path)?.map(|f| f.read(max)).transpose()
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

/// A file of the scanned host: its canonical host path, the real path vigil reads, and
/// its metadata (no links are left to follow once resolved).
#[derive(Debug)]
pub struct HostFile {
    pub host_path: PathBuf,
    pub real: PathBuf,
    pub meta: std::fs::Metadata,
}

impl HostFile {
    /// The content of a regular file, at most `max` bytes (a larger file is an error).
    /// Anything else (a FIFO, a device, a socket, a directory) is an error and is never
    /// opened; the open itself neither waits nor follows a link, and `fstat` confirms
    /// it is still the regular file that was checked.
    pub fn read(&self, max: u64) -> io::Result<Vec<u8>> {
        let not_regular =
            || io::Error::other(format!("{}: not a regular file", self.host_path.display()));
        if !self.meta.is_file() {
            return Err(not_regular());
        }
        if self.meta.len() > max {
            return Err(io::Error::other(format!(
                "{}: larger than {max} bytes, not read",
                self.host_path.display()
            )));
        }
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_CLOEXEC)
            .open(&self.real)?;
        if !f.metadata()?.is_file() {
            return Err(not_regular());
        }
        let mut buf = Vec::with_capacity(self.meta.len() as usize);
        f.take(max).read_to_end(&mut buf)?;
        Ok(buf)
    }
}

fn components_rev(p: &Path) -> Vec<std::ffi::OsString> {
    let mut v: Vec<_> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

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

    #[test]
    fn offline_links_resolve_inside_root() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("usr/bin")).unwrap();
        std::fs::write(r.join("usr/bin/tool"), b"x").unwrap();
        symlink("/usr/bin", r.join("bin")).unwrap();
        symlink("../../bin/tool", r.join("usr/bin/rel")).unwrap();
        symlink("loop2", r.join("loop1")).unwrap();
        symlink("loop1", r.join("loop2")).unwrap();
        let host = Host::offline(r);
        assert_eq!(
            host.canonical(Path::new("/bin/tool")).unwrap(),
            PathBuf::from("/usr/bin/tool")
        );
        assert_eq!(
            host.canonical(Path::new("/usr/bin/rel")).unwrap(),
            PathBuf::from("/usr/bin/tool")
        );
        assert_eq!(
            host.real_follow(Path::new("/bin/tool")).unwrap(),
            r.join("usr/bin/tool")
        );
        assert_eq!(
            host.real_nofollow(Path::new("/bin/rel")).unwrap(),
            r.join("usr/bin/rel")
        );
        assert_eq!(
            host.canonical(Path::new("/loop1"))
                .unwrap_err()
                .raw_os_error(),
            Some(libc::ELOOP)
        );
    }
}
