//! The host being read. vigil reads the local machine, optionally under a `--root`
//! prefix (a mounted file system scanned offline, like oscap's OSCAP_PROBE_ROOT). Remote
//! hosts are scanned by running vigil itself on them, so every probe reads through this
//! one type. Nothing here ever writes.
//!
//! Under a root, every symbolic link is resolved against the root: an image's
//! `/etc/passwd -> /etc/passwd.real` or `/var/lib/dpkg -> /data/dpkg` means the image's
//! files, never the scanner's own. The root is opened once, and every open, `stat`,
//! listing, `readlink` and attribute read of the image goes through [`Host`], relative
//! to that descriptor ([`inroot`]): an image changing under the scan (a directory
//! swapped for a link out) cannot make vigil read outside it. And
//! [`Host::read_file`] opens only regular files, without blocking, so a FIFO or device
//! planted where a file is expected cannot hang a scan.

pub mod accounts;
pub mod fileattrs;
pub mod info;
mod inroot;

use std::ffi::{CString, OsString};
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use inroot::Root;

#[derive(Debug, Clone, Default)]
/// The scanned host: the running system (live) or a file system mounted under a root
/// (offline, `--root`). Every probe reads files through it, so paths stay inside the
/// root.
pub struct Host {
    root: Option<Arc<Root>>,
}

impl Host {
    /// The running system.
    pub fn live() -> Host {
        Host { root: None }
    }

    /// A file system mounted at `root`, scanned offline. The root is opened here, once;
    /// should that fail, every read of the host fails with the reason.
    pub fn offline(root: impl Into<PathBuf>) -> Host {
        Host {
            root: Some(Arc::new(Root::open(root.into()))),
        }
    }

    /// `Some(root)` when scanning offline. Probes that need the running kernel
    /// (uname, sysctl, processes, mounts) are not applicable then.
    pub fn root(&self) -> Option<&Path> {
        self.root.as_deref().map(Root::path)
    }

    /// True for the running system, false for an offline root.
    pub fn is_live(&self) -> bool {
        self.root.is_none()
    }

    /// Maps a path as seen on the scanned host to where vigil reads it. `..` cannot
    /// climb out of the root: it is resolved lexically against the host path. The
    /// result names a file; it is opened only through this type ([`Host::open`] and
    /// the calls beside it), which resolve it again within the root.
    pub fn path(&self, host_path: &Path) -> PathBuf {
        match self.root() {
            None => host_path.to_path_buf(),
            Some(root) => {
                let mut out = root.to_path_buf();
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
    /// under the root (one component at a time from the root's descriptor). Returns
    /// the canonical host path.
    pub fn canonical(&self, host_path: &Path) -> io::Result<PathBuf> {
        match &self.root {
            None => std::fs::canonicalize(host_path),
            Some(root) => root.walk(host_path, true).map(|w| w.host),
        }
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
        let meta = self.lstat(&real)?;
        Ok(Some(self.file(canonical, real, meta)))
    }

    /// A [`HostFile`] from its parts (`meta`: the `lstat` of `real`).
    pub fn file(&self, host_path: PathBuf, real: PathBuf, meta: Metadata) -> HostFile {
        HostFile {
            host_path,
            real,
            meta,
            host: self.clone(),
        }
    }

    /// The content of a regular file of the host (see [`HostFile::read`]), links
    /// followed within the root; `Ok(None)` when it does not exist.
    pub fn read_file(&self, host_path: &Path, max: u64) -> io::Result<Option<Vec<u8>>> {
        self.resolve(host_path)?.map(|f| f.read(max)).transpose()
    }

    /// Maps a path read under the root back to the host's view of it.
    pub fn host_path(&self, real: &Path) -> PathBuf {
        match self.root() {
            None => real.to_path_buf(),
            Some(root) => match real.strip_prefix(root) {
                Ok(rest) => Path::new("/").join(rest),
                Err(_) => real.to_path_buf(),
            },
        }
    }

    /// Opens `real` (a path from [`Host::path`] and the calls beside it) with open(2)
    /// `flags` (`O_CLOEXEC` is added). Offline, the path is resolved again by the
    /// kernel within the root's descriptor, so whatever its links have become since it
    /// was computed, it cannot lead out of the root. `O_NOFOLLOW`: a final link is not
    /// followed (with `O_PATH`: the link itself is opened).
    pub fn open(&self, real: &Path, flags: i32) -> io::Result<OwnedFd> {
        match &self.root {
            None => {
                let c = cpath(real)?;
                // SAFETY: c is NUL-terminated.
                let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
                if fd < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: just opened, owned by nothing else.
                Ok(unsafe { std::os::fd::FromRawFd::from_raw_fd(fd) })
            }
            Some(root) => {
                let rel = real.strip_prefix(root.path()).map_err(|_| {
                    io::Error::new(
                        io::ErrorKind::PermissionDenied,
                        format!("{}: outside the scanned root", real.display()),
                    )
                })?;
                root.open_in(rel, flags)
            }
        }
    }

    /// The `lstat` of `real` (a final link is not followed).
    pub fn lstat(&self, real: &Path) -> io::Result<Metadata> {
        if self.is_live() {
            return std::fs::symlink_metadata(real);
        }
        File::from(self.open(real, libc::O_PATH | libc::O_NOFOLLOW)?).metadata()
    }

    /// The `stat` of `real` (links followed, within the root).
    pub fn stat(&self, real: &Path) -> io::Result<Metadata> {
        if self.is_live() {
            return std::fs::metadata(real);
        }
        File::from(self.open(real, libc::O_PATH)?).metadata()
    }

    /// The target of the symbolic link `real`.
    pub fn read_link(&self, real: &Path) -> io::Result<PathBuf> {
        if self.is_live() {
            return std::fs::read_link(real);
        }
        let fd = self.open(real, libc::O_PATH | libc::O_NOFOLLOW)?;
        inroot::readlinkat(std::os::fd::AsFd::as_fd(&fd), c"")
    }

    /// The names in the directory `real` (links followed), sorted for stable output.
    /// Offline the directory is opened within the root and read from its descriptor.
    pub fn list_dir(&self, real: &Path) -> io::Result<Vec<OsString>> {
        let mut names: Vec<OsString> = if self.is_live() {
            std::fs::read_dir(real)?
                .filter_map(|e| e.ok().map(|e| e.file_name()))
                .collect()
        } else {
            let fd = self.open(real, libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NONBLOCK)?;
            read_dir_fd(fd)?
        };
        names.sort();
        Ok(names)
    }

    /// The extended attribute `name` of `real` itself (a final link is not followed).
    /// Errors are the call's: ENODATA when the attribute is absent, ENOTSUP when the
    /// file system has none. Offline, a regular file or directory is opened within the
    /// root (without waiting, not following a final link) and read with `fgetxattr`; a
    /// symbolic link has no attributes vigil reads (ENODATA: Linux keeps no POSIX ACL
    /// on links), and a device, FIFO or socket is not opened at all (opening a device
    /// can act on it), so its attributes are not read (ENOTSUP).
    pub fn xattr(&self, real: &Path, name: &[u8]) -> io::Result<Vec<u8>> {
        if self.is_live() {
            return vigil_core::osutil::lgetxattr(real, name);
        }
        let md = self.lstat(real)?;
        let ft = md.file_type();
        if ft.is_symlink() {
            return Err(io::Error::from_raw_os_error(libc::ENODATA));
        }
        if !ft.is_file() && !ft.is_dir() {
            return Err(io::Error::from_raw_os_error(libc::ENOTSUP));
        }
        let f = File::from(self.open(
            real,
            libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
        )?);
        let now = f.metadata()?;
        if !(now.is_file() || now.is_dir()) {
            return Err(io::Error::from_raw_os_error(libc::ENOTSUP));
        }
        vigil_core::osutil::fgetxattr(&f, name)
    }

    /// The file system type (statfs(2) `f_type`) holding `real`.
    pub fn fs_type(&self, real: &Path) -> io::Result<i64> {
        // SAFETY: a plain out-parameter, filled on success.
        let mut st: libc::statfs = unsafe { std::mem::zeroed() };
        let rc = if self.is_live() {
            let c = cpath(real)?;
            // SAFETY: c is NUL-terminated and st is a valid out-pointer.
            unsafe { libc::statfs(c.as_ptr(), &mut st) }
        } else {
            let fd = self.open(real, libc::O_PATH)?;
            // SAFETY: fd is open and st is a valid out-pointer.
            unsafe { libc::fstatfs(fd.as_raw_fd(), &mut st) }
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(st.f_type as i64)
    }
}

fn cpath(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

/// The names in an open directory (`.` and `..` left out), read from its descriptor.
fn read_dir_fd(fd: OwnedFd) -> io::Result<Vec<OsString>> {
    use std::os::fd::IntoRawFd;
    // SAFETY: fdopendir takes the descriptor over (closed by closedir below).
    let dir = unsafe { libc::fdopendir(fd.into_raw_fd()) };
    if dir.is_null() {
        return Err(io::Error::last_os_error());
    }
    let mut names = Vec::new();
    let result = loop {
        // readdir reports an error only through errno, left alone at the end.
        // SAFETY: errno is this thread's.
        unsafe { *libc::__errno_location() = 0 };
        // SAFETY: dir is an open directory stream.
        let ent = unsafe { libc::readdir64(dir) };
        if ent.is_null() {
            let e = io::Error::last_os_error();
            break if e.raw_os_error() == Some(0) {
                Ok(())
            } else {
                Err(e)
            };
        }
        // SAFETY: d_name is NUL-terminated within the entry readdir returned.
        let name = unsafe { std::ffi::CStr::from_ptr((*ent).d_name.as_ptr()) }.to_bytes();
        if name != b"." && name != b".." {
            names.push(std::ffi::OsStr::from_bytes(name).to_os_string());
        }
    };
    // SAFETY: dir is open and closed once.
    unsafe { libc::closedir(dir) };
    result.map(|()| names)
}

/// A file of the scanned host: its canonical host path, the real path vigil reads, and
/// its metadata (no links are left to follow once resolved). It is read, listed and
/// its attributes taken through the [`Host`] it came from, so within the root.
#[derive(Debug)]
pub struct HostFile {
    /// Canonical absolute path on the scanned host (as OVAL items report it), links
    /// resolved within the root.
    pub host_path: PathBuf,
    /// Where vigil reads it: `host_path` itself when live, the path under the root
    /// offline.
    pub real: PathBuf,
    /// The file's metadata, taken after its links were resolved.
    pub meta: Metadata,
    host: Host,
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
        let f = self.open_nofollow()?;
        if !f.metadata()?.is_file() {
            return Err(not_regular());
        }
        let mut buf = Vec::with_capacity(self.meta.len() as usize);
        f.take(max).read_to_end(&mut buf)?;
        Ok(buf)
    }

    /// The file opened to read, without waiting and without following a link.
    pub fn open_nofollow(&self) -> io::Result<File> {
        self.host
            .open(
                &self.real,
                libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
            )
            .map(File::from)
    }

    /// The names in this directory, sorted ([`Host::list_dir`]).
    pub fn list_dir(&self) -> io::Result<Vec<OsString>> {
        self.host.list_dir(&self.real)
    }

    /// An extended attribute of the file itself ([`Host::xattr`]).
    pub fn xattr(&self, name: &[u8]) -> io::Result<Vec<u8>> {
        self.host.xattr(&self.real, name)
    }
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

    /// Every Host call that reads the image, with the kernel's resolver and with the
    /// component walk, on an image whose links point out of it.
    #[test]
    fn host_reads_stay_in_root_with_both_resolvers() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path().join("image");
        let outside = d.path().join("outside");
        std::fs::create_dir_all(r.join("etc/d")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(r.join("etc/d/f"), b"image").unwrap();
        std::fs::write(outside.join("f"), b"HOST!!").unwrap();
        std::fs::create_dir(outside.join("only-outside")).unwrap();
        symlink(&outside, r.join("etc/out")).unwrap();
        symlink("/etc/d", r.join("etc/in")).unwrap();
        for walk in [false, true] {
            let host = Host::offline(&r);
            if walk {
                host.root.as_ref().unwrap().force_walk();
            }
            let real = |p: &str| host.path(Path::new(p));
            assert_eq!(host.stat(&real("/etc/in/f")).unwrap().len(), 5);
            assert!(host.stat(&real("/etc/out/f")).is_err());
            assert!(
                host.lstat(&real("/etc/out"))
                    .unwrap()
                    .file_type()
                    .is_symlink()
            );
            assert_eq!(
                host.read_link(&real("/etc/in")).unwrap(),
                Path::new("/etc/d")
            );
            assert_eq!(host.list_dir(&real("/etc/in")).unwrap(), ["f"]);
            assert!(host.list_dir(&real("/etc/out")).is_err());
            assert_eq!(
                host.read_file(Path::new("/etc/in/f"), 100)
                    .unwrap()
                    .unwrap(),
                b"image"
            );
            assert!(
                host.read_file(Path::new("/etc/out/f"), 100)
                    .unwrap()
                    .is_none()
            );
            // A real path outside the root is refused, not opened.
            assert!(host.stat(&outside.join("f")).is_err());
            assert!(
                host.xattr(&real("/etc/in/f"), b"system.posix_acl_access")
                    .is_err()
            );
            assert!(host.fs_type(&real("/etc/d")).is_ok());
        }
    }
}
