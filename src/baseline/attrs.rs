//! Extended attributes (llistxattr/lgetxattr, never following symlinks) and POSIX ACLs,
//! decoded from the `system.posix_acl_access` / `system.posix_acl_default` attribute
//! values (the Linux xattr ACL encoding: a little-endian u32 version 2 header, then
//! 8-byte entries of u16 tag, u16 permissions, u32 id) into the short text form
//! `getfacl -n -E -c` prints, comma-separated; and back ([`acl_value`]), with the
//! setters `vigil baseline restore` puts attributes back with (on a descriptor it
//! opened itself, never by path).

use std::ffi::CString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use vigil_host::probes::keymgmt::acl::{self, AclError, Tag};

pub(crate) const ACL_ACCESS: &str = "system.posix_acl_access";
pub(crate) const ACL_DEFAULT: &str = "system.posix_acl_default";

fn cpath(path: &Path) -> io::Result<CString> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Every extended attribute of `path` itself (a symlink's own, not its target's), by
/// name. File systems without xattr support give an empty list.
pub(crate) fn xattrs(path: &Path) -> io::Result<Vec<(String, Vec<u8>)>> {
    let c = cpath(path)?;
    let mut names = vec![0u8; 1024];
    let len = loop {
        // SAFETY: c is NUL-terminated; names is writable for names.len() bytes.
        let n = unsafe { libc::llistxattr(c.as_ptr(), names.as_mut_ptr().cast(), names.len()) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ERANGE) => {
                // SAFETY: size query with a null buffer.
                let need = unsafe { libc::llistxattr(c.as_ptr(), std::ptr::null_mut(), 0) };
                if need < 0 {
                    return Err(io::Error::last_os_error());
                }
                names.resize(need as usize + 1, 0);
            }
            Some(libc::ENOTSUP) => return Ok(Vec::new()),
            _ => return Err(e),
        }
    };
    let mut out = Vec::new();
    for name in names[..len].split(|&b| b == 0).filter(|n| !n.is_empty()) {
        match vigil_core::osutil::lgetxattr(path, name) {
            Ok(v) => out.push((String::from_utf8_lossy(name).into_owned(), v)),
            // Removed between list and get: it is simply not there any more.
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    Ok(out)
}

/// Decodes an ACL xattr value to `user::rw-,user:1000:r--,group::r--,mask::r--,other::r--`.
pub(crate) fn acl_text(value: &[u8]) -> Result<String, String> {
    let entries = acl::decode(value).map_err(|e| match e {
        AclError::Length(n) => format!("ACL attribute of {n} bytes is malformed"),
        AclError::Version(v) => format!("ACL attribute version {v} is not 2"),
        AclError::Tag(t) => format!("ACL entry tag {t:#x} is unknown"),
    })?;
    let parts: Vec<String> = entries
        .iter()
        .map(|e| {
            let p = acl::perm_str(e.perm);
            match e.tag {
                Tag::UserObj => format!("user::{p}"),
                Tag::User(id) => format!("user:{id}:{p}"),
                Tag::GroupObj => format!("group::{p}"),
                Tag::Group(id) => format!("group:{id}:{p}"),
                Tag::Mask => format!("mask::{p}"),
                Tag::Other => format!("other::{p}"),
            }
        })
        .collect();
    Ok(parts.join(","))
}

/// Encodes the text [`acl_text`] makes back into the xattr value (version 2, entries in
/// the order given, which is the kernel's own order since the text came from it).
pub(crate) fn acl_value(text: &str) -> Result<Vec<u8>, String> {
    let mut out = 2u32.to_le_bytes().to_vec();
    for part in text.split(',') {
        let bad = || format!("ACL entry {part:?} is not `TAG:[ID]:rwx`");
        let mut f = part.splitn(3, ':');
        let (tag, id, perm) = (f.next(), f.next(), f.next().ok_or_else(bad)?);
        let id = match id {
            Some("") => None,
            Some(i) => Some(i.parse::<u32>().map_err(|_| bad())?),
            None => return Err(bad()),
        };
        let (tag, id) = match (tag, id) {
            (Some("user"), None) => (0x01u16, u32::MAX),
            (Some("user"), Some(i)) => (0x02, i),
            (Some("group"), None) => (0x04, u32::MAX),
            (Some("group"), Some(i)) => (0x08, i),
            (Some("mask"), None) => (0x10, u32::MAX),
            (Some("other"), None) => (0x20, u32::MAX),
            _ => return Err(bad()),
        };
        let p = perm.as_bytes();
        if p.len() != 3 {
            return Err(bad());
        }
        let mut bits = 0u16;
        for (i, (c, want, bit)) in [(p[0], b'r', 4), (p[1], b'w', 2), (p[2], b'x', 1)]
            .into_iter()
            .enumerate()
        {
            match c {
                b'-' => {}
                c if c == want => bits |= bit,
                _ => return Err(format!("{}: position {}", bad(), i + 1)),
            }
        }
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&bits.to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    Ok(out)
}

/// Every extended attribute of the file open at `fd` (not an `O_PATH` descriptor), by
/// name, as [`xattrs`] lists a path's.
pub(crate) fn fd_xattrs(fd: std::os::fd::BorrowedFd<'_>) -> io::Result<Vec<(String, Vec<u8>)>> {
    use std::os::fd::AsRawFd;
    let fd = fd.as_raw_fd();
    // SAFETY: size queries with a null buffer, then reads into buffers of that size
    // (retried if the list grew in between).
    let list = loop {
        let need = unsafe { libc::flistxattr(fd, std::ptr::null_mut(), 0) };
        if need < 0 {
            let e = io::Error::last_os_error();
            if e.raw_os_error() == Some(libc::ENOTSUP) {
                return Ok(Vec::new());
            }
            return Err(e);
        }
        let mut names = vec![0u8; need as usize];
        let n = unsafe { libc::flistxattr(fd, names.as_mut_ptr().cast(), names.len()) };
        if n >= 0 {
            names.truncate(n as usize);
            break names;
        }
        if io::Error::last_os_error().raw_os_error() != Some(libc::ERANGE) {
            return Err(io::Error::last_os_error());
        }
    };
    let mut out = Vec::new();
    for name in list.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidData))?;
        let value = loop {
            let need = unsafe { libc::fgetxattr(fd, c.as_ptr(), std::ptr::null_mut(), 0) };
            if need < 0 {
                break Err(io::Error::last_os_error());
            }
            let mut v = vec![0u8; need as usize];
            let n = unsafe { libc::fgetxattr(fd, c.as_ptr(), v.as_mut_ptr().cast(), v.len()) };
            if n >= 0 {
                v.truncate(n as usize);
                break Ok(v);
            }
            if io::Error::last_os_error().raw_os_error() != Some(libc::ERANGE) {
                break Err(io::Error::last_os_error());
            }
        };
        match value {
            Ok(v) => out.push((String::from_utf8_lossy(name).into_owned(), v)),
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => return Err(e),
        }
    }
    out.sort();
    Ok(out)
}

/// `fsetxattr` on an open descriptor (not an `O_PATH` one).
pub(crate) fn set_xattr(
    fd: std::os::fd::BorrowedFd<'_>,
    name: &str,
    value: &[u8],
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated name and a value readable for its length.
    let rc = unsafe {
        libc::fsetxattr(
            fd.as_raw_fd(),
            c.as_ptr(),
            value.as_ptr().cast(),
            value.len(),
            0,
        )
    };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `fremovexattr`; an attribute that is not there is not an error.
pub(crate) fn remove_xattr(fd: std::os::fd::BorrowedFd<'_>, name: &str) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let c = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: a NUL-terminated name.
    if unsafe { libc::fremovexattr(fd.as_raw_fd(), c.as_ptr()) } != 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ENODATA) {
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cmd: &str, args: &[&str]) -> String {
        let o = crate::testtool::tool(cmd).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    /// Our decoding against getfacl's own reading of the same file.
    #[test]
    fn acl_matches_getfacl() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let fs_ = f.to_str().unwrap();
        let ss = sub.to_str().unwrap();
        run("setfacl", &["-m", "u:1234:rw,g:4321:r,u:99:x", fs_]);
        run("setfacl", &["-m", "d:u:1234:rwx,d:g:0:r", ss]);
        let attrs = xattrs(&f).unwrap();
        let acl = attrs
            .iter()
            .find(|(n, _)| n == ACL_ACCESS)
            .expect("ACL attribute");
        let ours = acl_text(&acl.1).unwrap();
        let theirs: Vec<String> = run("getfacl", &["-n", "-E", "-c", "-p", fs_])
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect();
        assert_eq!(ours, theirs.join(","));
        assert!(
            ours.contains("user:1234:rw-") && ours.contains("user:99:--x"),
            "{ours}"
        );
        let attrs = xattrs(&sub).unwrap();
        let dacl = attrs
            .iter()
            .find(|(n, _)| n == ACL_DEFAULT)
            .expect("default ACL");
        let theirs: Vec<String> = run("getfacl", &["-n", "-E", "-c", "-d", "-p", ss])
            .lines()
            .filter(|l| !l.is_empty())
            .map(|l| l.trim_start_matches("default:").to_string())
            .collect();
        assert_eq!(acl_text(&dacl.1).unwrap(), theirs.join(","));
    }

    #[test]
    fn xattrs_match_setfattr_and_do_not_follow_symlinks() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let fs_ = f.to_str().unwrap();
        run("setfattr", &["-n", "user.vigil", "-v", "0x00ff10", fs_]);
        run("setfattr", &["-n", "user.note", "-v", "hello", fs_]);
        let a = xattrs(&f).unwrap();
        assert_eq!(
            a,
            vec![
                ("user.note".to_string(), b"hello".to_vec()),
                ("user.vigil".to_string(), vec![0, 0xff, 0x10]),
            ]
        );
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&f, &l).unwrap();
        assert!(
            xattrs(&l)
                .unwrap()
                .iter()
                .all(|(n, _)| !n.starts_with("user."))
        );
    }

    /// Text back to the value: the kernel takes it (setxattr) and getfacl reads the
    /// ACL that was written.
    #[test]
    fn acl_text_encodes_back_to_what_the_kernel_and_getfacl_read() {
        let d = tempfile::tempdir().unwrap();
        let (a, b) = (d.path().join("a"), d.path().join("b"));
        std::fs::write(&a, "x").unwrap();
        std::fs::write(&b, "x").unwrap();
        run(
            "setfacl",
            &["-m", "u:1234:rw,g:4321:r,u:99:x", a.to_str().unwrap()],
        );
        let raw = vigil_core::osutil::lgetxattr(&a, ACL_ACCESS.as_bytes()).unwrap();
        let text = acl_text(&raw).unwrap();
        assert_eq!(acl_value(&text).unwrap(), raw);
        let f = std::fs::File::open(&b).unwrap();
        use std::os::fd::AsFd;
        set_xattr(f.as_fd(), ACL_ACCESS, &acl_value(&text).unwrap()).unwrap();
        let got = |p: &Path| run("getfacl", &["-n", "-E", "-c", "-p", p.to_str().unwrap()]);
        assert_eq!(got(&b), got(&a));
        remove_xattr(f.as_fd(), ACL_ACCESS).unwrap();
        remove_xattr(f.as_fd(), ACL_ACCESS).unwrap();
        assert!(!got(&b).contains("1234"));
        for bad in [
            "user::rwz",
            "owner::rw-",
            "user:x:rw-",
            "user::rw",
            "mask:5:r--",
        ] {
            assert!(acl_value(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn malformed_acl_values_are_errors() {
        assert!(acl_text(&[2, 0, 0]).is_err());
        assert!(acl_text(&[1, 0, 0, 0]).is_err());
        assert!(acl_text(&[2, 0, 0, 0, 0x40, 0, 7, 0, 0, 0, 0, 0]).is_err());
        assert_eq!(
            acl_text(&[2, 0, 0, 0, 1, 0, 6, 0, 0xff, 0xff, 0xff, 0xff]).unwrap(),
            "user::rw-"
        );
    }
}
