//! File access the key-management probes ([`crate::probes::keymgmt`]) need beyond what
//! [`Host`] gives (resolving and reading host files within the root): a directory walk,
//! and the two Linux file attributes the key-management rules need: the append-only flag
//! (FS_IOC_GETFLAGS, the `a` of lsattr) and the raw `system.posix_acl_access` extended
//! attribute. It reads the host, so it lives with [`Host`].

use std::io;
use std::path::Path;

use super::{Host, HostFile};

/// `FS_IOC_GETFLAGS`, `_IOR('f', 1, long)`.
#[cfg(target_pointer_width = "64")]
const FS_IOC_GETFLAGS: libc::c_ulong = 0x8008_6601;
#[cfg(target_pointer_width = "32")]
const FS_IOC_GETFLAGS: libc::c_ulong = 0x8004_6601;
const FS_APPEND_FL: libc::c_long = 0x0000_0020;
const FS_IMMUTABLE_FL: libc::c_long = 0x0000_0010;

/// The append-only and immutable inode flags of a regular file or directory.
/// `Ok(None)` when the file system does not support the flags.
pub fn inode_flags(f: &HostFile) -> io::Result<Option<(bool, bool)>> {
    let ft = f.meta.file_type();
    if !ft.is_file() && !ft.is_dir() {
        return Ok(None);
    }
    let file = f.open_nofollow()?;
    let mut flags: libc::c_long = 0;
    use std::os::fd::AsRawFd;
    // SAFETY: FS_IOC_GETFLAGS writes one long through the pointer, which is valid.
    let rc = unsafe { libc::ioctl(file.as_raw_fd(), FS_IOC_GETFLAGS as _, &mut flags) };
    if rc != 0 {
        let e = io::Error::last_os_error();
        return match e.raw_os_error() {
            Some(libc::ENOTTY) | Some(libc::EOPNOTSUPP) | Some(libc::EINVAL) => Ok(None),
            _ => Err(e),
        };
    }
    Ok(Some((
        flags & FS_APPEND_FL != 0,
        flags & FS_IMMUTABLE_FL != 0,
    )))
}

/// The raw `system.posix_acl_access` attribute of a file (not following a final link);
/// `Ok(None)` when the file has no ACL beyond its mode or the file system has none.
pub fn posix_acl_xattr(f: &HostFile) -> io::Result<Option<Vec<u8>>> {
    match f.xattr(b"system.posix_acl_access") {
        Ok(v) => Ok(Some(v)),
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENODATA | libc::EOPNOTSUPP)) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Every regular file under a host directory (or the file itself), not following
/// symbolic links below the starting point, to `max_depth` levels.
pub fn walk_files(host: &Host, start: &Path, max_depth: usize) -> io::Result<Vec<HostFile>> {
    let mut out = Vec::new();
    let Some(top) = host.resolve(start)? else {
        return Ok(out);
    };
    let mut stack = vec![(top, 0usize)];
    while let Some((f, depth)) = stack.pop() {
        let ft = f.meta.file_type();
        if ft.is_file() {
            out.push(f);
        } else if ft.is_dir() && depth < max_depth {
            let names = match f.list_dir() {
                Ok(n) => n,
                Err(_) => continue,
            };
            for n in names.into_iter().rev() {
                let real = f.real.join(&n);
                let Ok(meta) = host.lstat(&real) else {
                    continue;
                };
                stack.push((host.file(f.host_path.join(&n), real, meta), depth + 1));
            }
        }
    }
    out.sort_by(|a, b| a.host_path.cmp(&b.host_path));
    Ok(out)
}

/// `0640`-style text of the permission bits.
pub fn mode_str(mode: u32) -> String {
    format!("{:04o}", mode & 0o7777)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_stay_under_root_and_loops_end() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("etc/kms")).unwrap();
        std::fs::write(root.join("etc/kms/real.pem"), b"x").unwrap();
        symlink("/etc/kms/real.pem", root.join("etc/kms/abs.pem")).unwrap();
        symlink("../kms/real.pem", root.join("etc/kms/rel.pem")).unwrap();
        symlink("/etc/kms/loop2", root.join("etc/kms/loop1")).unwrap();
        symlink("/etc/kms/loop1", root.join("etc/kms/loop2")).unwrap();
        let host = Host::offline(root);
        for p in ["/etc/kms/abs.pem", "/etc/kms/rel.pem"] {
            let f = host.resolve(Path::new(p)).unwrap().unwrap();
            assert_eq!(f.real, root.join("etc/kms/real.pem"));
            assert_eq!(f.read(10).unwrap(), b"x");
        }
        assert!(host.resolve(Path::new("/etc/kms/loop1")).is_err());
        assert!(host.resolve(Path::new("/etc/kms/none")).unwrap().is_none());
        assert!(
            host.resolve(Path::new("/etc/kms/real.pem/x"))
                .unwrap()
                .is_none()
        );
    }

    #[test]
    fn fifo_is_not_opened() {
        use std::ffi::CString;
        use std::os::unix::ffi::OsStrExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("fifo");
        let c = CString::new(p.as_os_str().as_bytes()).unwrap();
        // SAFETY: c is a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let f = Host::offline(d.path())
            .resolve(Path::new("/fifo"))
            .unwrap()
            .unwrap();
        assert!(f.read(10).is_err());
    }

    #[test]
    fn append_only_flag_matches_chattr() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("log");
        std::fs::write(&p, b"x").unwrap();
        let host = Host::offline(d.path());
        let f = host.resolve(Path::new("/log")).unwrap().unwrap();
        let Some((append, _)) = inode_flags(&f).unwrap() else {
            return; // file system without inode flags (tmpfs): nothing to compare
        };
        assert!(!append);
        let ok = crate::testtool::tool("chattr").arg("+a").arg(&p).status();
        if !ok.map(|s| s.success()).unwrap_or(false) {
            return; // not permitted here (no CAP_LINUX_IMMUTABLE)
        }
        let f = host.resolve(Path::new("/log")).unwrap().unwrap();
        let flags = inode_flags(&f).unwrap();
        crate::testtool::tool("chattr")
            .arg("-a")
            .arg(&p)
            .status()
            .unwrap();
        assert_eq!(flags, Some((true, false)));
    }
}
