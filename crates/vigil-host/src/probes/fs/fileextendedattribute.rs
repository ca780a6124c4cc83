//! `fileextendedattribute_item` construction (OVAL 5.11 unix-definitions-schema
//! `fileextendedattribute_object`, unix-system-characteristics
//! `fileextendedattribute_item`): one item per extended attribute of a file or
//! directory whose name the object's `attribute_name` selects, with its `value`.
//!
//! As oscap 1.3.7 answers it (compared on
//! `tests/fixtures/oval/fs/fileextendedattribute.xml`, whose `.setup` makes the
//! attributes with `setfattr`): the attributes are those of the entry itself (a final
//! link is not followed, `llistxattr`); an entry with none gives no item; the value is
//! the attribute's bytes up to the first NUL, as text; directories (`filename` nil)
//! give items without `filepath`, and only as a `path` with `filename` nil (a
//! `filename` that names a directory selects nothing, as in oscap's walk). Offline, the entry is opened within the root without
//! following a link and read from its descriptor (`flistxattr`, `fgetxattr`); a link,
//! FIFO, device or socket is not opened (opening a device can act on it), so only
//! regular files and directories have attributes there. Where the file system has no
//! extended attributes (ENOTSUP) the entry has none; the fixture's files live under
//! the conformance script's temporary directory, `$TMPDIR` or /tmp, which must be on a
//! file system with `user.*` attributes (ext4, xfs, btrfs; tmpfs only from Linux 6.6).

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use super::file::push_location;
use super::matcher::Matcher;
use crate::host::Host;
use crate::probes::{Item, ItemStatus};

/// The kernel's own bound on a name list (XATTR_LIST_MAX).
const MAX_LIST: usize = 64 * 1024;

/// Runs a listxattr-style call until the list fits.
fn list_with(get: impl Fn(*mut libc::c_char, usize) -> isize) -> io::Result<Vec<Vec<u8>>> {
    let mut buf = vec![0u8; 1024];
    loop {
        let n = get(buf.as_mut_ptr().cast(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf
                .split(|&b| b == 0)
                .filter(|n| !n.is_empty())
                .map(<[u8]>::to_vec)
                .collect());
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) || buf.len() >= MAX_LIST {
            return Err(e);
        }
        buf.resize((buf.len() * 4).min(MAX_LIST), 0);
    }
}

/// The attribute names of `real` itself (a final link not followed). Offline: see the
/// module doc.
pub(crate) fn names(host: &Host, real: &Path) -> io::Result<Vec<Vec<u8>>> {
    if host.is_live() {
        let c = CString::new(real.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
        // SAFETY: c is NUL-terminated; the buffer is valid for its length.
        return list_with(|buf, len| unsafe { libc::llistxattr(c.as_ptr(), buf, len) });
    }
    let md = host.lstat(real)?;
    if !(md.is_file() || md.is_dir()) {
        return Ok(Vec::new());
    }
    let f = File::from(host.open(
        real,
        libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
    )?);
    let now = f.metadata()?;
    if !(now.is_file() || now.is_dir()) {
        return Ok(Vec::new());
    }
    let fd = std::os::fd::AsRawFd::as_raw_fd(&f);
    // SAFETY: fd is open for the call; the buffer is valid for its length.
    list_with(|buf, len| unsafe { libc::flistxattr(fd, buf, len) })
}

/// The items for one entry (`name` `None`: the directory `dir` itself).
pub(crate) fn items(
    host: &Host,
    dir: &Path,
    name: Option<&OsStr>,
    real: &Path,
    attr: &Matcher,
) -> Vec<Item> {
    let located = |status: ItemStatus, message: Option<String>| {
        let mut i = Item::new();
        i.status = status;
        i.message = message;
        push_location(&mut i, dir, name);
        i
    };
    let list = match names(host, real) {
        Ok(l) => l,
        Err(e) if matches!(e.raw_os_error(), Some(libc::ENOTSUP) | Some(libc::ENOENT)) => {
            return Vec::new();
        }
        Err(e) => {
            return vec![located(
                ItemStatus::Error,
                Some(format!(
                    "cannot list the extended attributes of {}: {e}",
                    dir.join(name.unwrap_or_default()).display()
                )),
            )];
        }
    };
    let mut out = Vec::new();
    for n in list {
        let n_str = String::from_utf8_lossy(&n);
        match attr.matches(&n_str) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return vec![located(ItemStatus::Error, Some(e))],
        }
        match host.xattr(real, &n) {
            Ok(v) => {
                let mut i = located(ItemStatus::Exists, None);
                i.push("attribute_name", n_str);
                let end = v.iter().position(|&b| b == 0).unwrap_or(v.len());
                i.push("value", String::from_utf8_lossy(&v[..end]));
                out.push(i);
            }
            // Removed between the list and the read: no longer there.
            Err(e) if e.raw_os_error() == Some(libc::ENODATA) => {}
            Err(e) => {
                let mut i = located(
                    ItemStatus::Error,
                    Some(format!("cannot read extended attribute {n_str}: {e}")),
                );
                i.push("attribute_name", n_str);
                out.push(i);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::QueryEntity;
    use vigil_core::content::oval::{Check, Datatype, Operation};

    fn matcher(op: Operation, v: &str) -> Matcher {
        Matcher::new(&QueryEntity {
            name: "attribute_name".into(),
            datatype: Datatype::String,
            operation: op,
            values: vec![v.into()],
            nil: false,
            var_check: Check::All,
            from_variable: false,
        })
        .unwrap()
    }

    #[test]
    fn attributes_set_with_setfattr_live_and_offline() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, "x").unwrap();
        let set = crate::testtool::tool("setfattr")
            .args(["-n", "user.color", "-v", "blue"])
            .arg(&f)
            .status()
            .unwrap();
        if !set.success() {
            eprintln!("no user xattrs on {}: skipped", d.path().display());
            return;
        }
        crate::testtool::tool("setfattr")
            .args(["-n", "user.other", "-v", "0x610062"])
            .arg(&f)
            .status()
            .unwrap();
        let all = matcher(Operation::PatternMatch, "^user\\.");
        for host in [Host::live(), Host::offline(d.path())] {
            let real = host.path(Path::new(if host.is_live() {
                f.to_str().unwrap()
            } else {
                "/f"
            }));
            let dir = real.parent().unwrap().to_path_buf();
            let it = items(&host, &dir, Some(OsStr::new("f")), &real, &all);
            let mut got: Vec<_> = it
                .iter()
                .map(|i| {
                    (
                        i.first("attribute_name").unwrap(),
                        i.first("value").unwrap(),
                    )
                })
                .collect();
            got.sort();
            // The value stops at its NUL, as oscap reads it.
            assert_eq!(got, [("user.color", "blue"), ("user.other", "a")]);
        }
        let one = items(
            &Host::live(),
            d.path(),
            Some(OsStr::new("f")),
            &f,
            &matcher(Operation::Equals, "user.color"),
        );
        assert_eq!(one.len(), 1);
        let none = d.path().join("plain");
        std::fs::write(&none, "").unwrap();
        assert!(
            items(
                &Host::live(),
                d.path(),
                Some(OsStr::new("plain")),
                &none,
                &all
            )
            .is_empty()
        );
    }
}
