//! What `vigil watch` remembers of each watched file, to say what a change changed:
//! the inode, type, permission bits, owner, size and modification time (lstat, never
//! following a link), a SHA-256 of the content for regular files up to
//! [`MAX_HASHED`] bytes, the POSIX ACLs and every other extended attribute (their
//! values hashed). Reading never writes to the host: files are opened read-only,
//! without following a link, without waiting on a FIFO, and with `O_NOATIME` where
//! allowed, so not even the access time moves.

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::baseline::attrs::{ACL_ACCESS, ACL_DEFAULT, acl_text, xattrs};

/// Regular files up to this size are hashed, so a write that leaves size and time
/// alone is still seen and a `touch` is not taken for a content change; larger ones
/// (logs) are compared by size, inode and modification time.
pub(crate) const MAX_HASHED: u64 = 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Snap {
    pub kind: &'static str,
    pub dev: u64,
    pub ino: u64,
    /// Permission bits with set-id and sticky bits (`st_mode & 07777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub mtime: (i64, i64),
    pub sha256: Option<[u8; 32]>,
    pub acl: Option<String>,
    pub default_acl: Option<String>,
    /// Every other extended attribute: name and SHA-256 of its value.
    pub xattrs: Vec<(String, [u8; 32])>,
}

/// The snapshot of `path` itself; `None` when it does not exist (or cannot be read
/// at all, which for a watcher is the same: nothing to compare). `hash`: whether to
/// hash the content (not for audit logs, which grow all the time).
pub(crate) fn take(path: &Path, hash: bool) -> Option<Snap> {
    let m = std::fs::symlink_metadata(path).ok()?;
    let ft = m.file_type();
    let kind = if ft.is_file() {
        "file"
    } else if ft.is_dir() {
        "directory"
    } else if ft.is_symlink() {
        "symlink"
    } else {
        "special"
    };
    let sha256 = (hash && ft.is_file() && m.len() <= MAX_HASHED)
        .then(|| content_hash(path, &m))
        .flatten();
    let mut acl = None;
    let mut default_acl = None;
    let mut other = Vec::new();
    // A symbolic link carries no ACL on Linux, and its target is not this file.
    if !ft.is_symlink() {
        for (name, value) in xattrs(path).unwrap_or_default() {
            match name.as_str() {
                ACL_ACCESS => acl = Some(acl_text(&value).unwrap_or_else(|e| e)),
                ACL_DEFAULT => default_acl = Some(acl_text(&value).unwrap_or_else(|e| e)),
                _ => other.push((name, Sha256::digest(&value).into())),
            }
        }
    }
    Some(Snap {
        kind,
        dev: m.dev(),
        ino: m.ino(),
        mode: m.mode() & 0o7777,
        uid: m.uid(),
        gid: m.gid(),
        size: m.len(),
        mtime: (m.mtime(), m.mtime_nsec()),
        sha256,
        acl,
        default_acl,
        xattrs: other,
    })
}

/// SHA-256 of a regular file's content, opened without following a link and checked
/// to be the file lstat saw; `None` when it cannot be read.
fn content_hash(path: &Path, seen: &std::fs::Metadata) -> Option<[u8; 32]> {
    use std::os::unix::fs::OpenOptionsExt;
    let open = |extra: i32| {
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY | extra)
            .open(path)
    };
    // O_NOATIME is refused (EPERM) on files of other users to non-root callers.
    let mut f = open(libc::O_NOATIME).or_else(|_| open(0)).ok()?;
    let now = f.metadata().ok()?;
    if !now.is_file() || now.ino() != seen.ino() || now.dev() != seen.dev() {
        return None;
    }
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut left = MAX_HASHED + 1;
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 || left == 0 {
            break;
        }
        let n = n.min(left as usize);
        h.update(&buf[..n]);
        left -= n as u64;
    }
    Some(h.finalize().into())
}

/// What differs between the snapshot before and after, in a fixed order: `created`,
/// `deleted`, `content`, `mode`, `owner`, `acl`, `xattr`. A different inode (a file
/// replaced, as log rotation and editors do) is `created`; a change of type too.
pub(crate) fn changes(before: Option<&Snap>, after: Option<&Snap>) -> Vec<&'static str> {
    let (a, b) = match (before, after) {
        (None, None) => return Vec::new(),
        (None, Some(_)) => return vec!["created"],
        (Some(_), None) => return vec!["deleted"],
        (Some(a), Some(b)) => (a, b),
    };
    if a.ino != b.ino || a.dev != b.dev || a.kind != b.kind {
        return vec!["created"];
    }
    let mut out = Vec::new();
    let content = match (a.sha256, b.sha256) {
        (Some(x), Some(y)) => x != y,
        // Not hashed (too large, an audit log, unreadable): size and time decide.
        _ => a.size != b.size || a.mtime != b.mtime,
    };
    if a.kind == "file" && content {
        out.push("content");
    }
    if a.mode != b.mode {
        out.push("mode");
    }
    if a.uid != b.uid || a.gid != b.gid {
        out.push("owner");
    }
    if a.acl != b.acl || a.default_acl != b.default_acl {
        out.push("acl");
    }
    if a.xattrs != b.xattrs {
        out.push("xattr");
    }
    out
}

/// An append to a log: the same file grown, nothing else changed. Records arriving
/// are what an audit log is for, not a change to report.
pub(crate) fn is_append(before: Option<&Snap>, after: Option<&Snap>) -> bool {
    match (before, after) {
        (Some(a), Some(b)) => {
            changes(Some(a), Some(b)) == ["content"] && b.size >= a.size && a.ino == b.ino
        }
        _ => false,
    }
}

/// The snapshot as an event shows it: type, mode in octal, owner and group (numbers
/// and names), size, SHA-256 when taken, ACLs as `getfacl -c` text, and the names of
/// the other extended attributes.
pub(crate) fn to_json(s: &Snap) -> Value {
    let names: Vec<&str> = s.xattrs.iter().map(|(n, _)| n.as_str()).collect();
    json!({
        "type": s.kind,
        "mode": format!("{:04o}", s.mode),
        "uid": s.uid,
        "gid": s.gid,
        "owner": vigil_core::osutil::user_name(s.uid),
        "group": vigil_core::osutil::group_name(s.gid),
        "size": s.size,
        "sha256": s.sha256.map(|h| vigil_core::osutil::hex(&h)),
        "acl": s.acl,
        "default_acl": s.default_acl,
        "xattrs": names,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn content_mode_xattr_and_replacement_are_told_apart() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k");
        std::fs::write(&p, b"one").unwrap();
        let s0 = take(&p, true).unwrap();
        assert_eq!(
            changes(Some(&s0), take(&p, true).as_ref()),
            Vec::<&str>::new()
        );
        std::fs::write(&p, b"two").unwrap();
        let s1 = take(&p, true).unwrap();
        assert_eq!(changes(Some(&s0), Some(&s1)), ["content"]);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o604)).unwrap();
        let s2 = take(&p, true).unwrap();
        assert_eq!(changes(Some(&s1), Some(&s2)), ["mode"]);
        assert_eq!(to_json(&s2)["mode"], "0604");
        let s3 = match crate::testtool::tool("setfattr")
            .args(["-n", "user.vigil", "-v", "1"])
            .arg(&p)
            .status()
        {
            Ok(st) if st.success() => take(&p, true).unwrap(),
            // tmpfs without user xattrs: the attribute part is tested in integration.
            _ => s2.clone(),
        };
        if s3 != s2 {
            assert_eq!(changes(Some(&s2), Some(&s3)), ["xattr"]);
        }
        // Replaced by a rename over it (rotation, editors): a new file.
        let tmp = d.path().join("k.new");
        std::fs::write(&tmp, b"two").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        assert_eq!(changes(Some(&s3), take(&p, true).as_ref()), ["created"]);
        std::fs::remove_file(&p).unwrap();
        assert_eq!(changes(Some(&s3), take(&p, true).as_ref()), ["deleted"]);
    }

    #[test]
    fn a_touch_is_not_a_content_change_but_an_unhashed_log_growing_is_an_append() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        std::fs::write(&p, b"x").unwrap();
        let a = take(&p, true).unwrap();
        let f = std::fs::File::options().write(true).open(&p).unwrap();
        f.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
        assert!(changes(Some(&a), take(&p, true).as_ref()).is_empty());
        let log0 = take(&p, false).unwrap();
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(&p)
            .unwrap()
            .write_all(b"record\n")
            .unwrap();
        let log1 = take(&p, false).unwrap();
        assert!(is_append(Some(&log0), Some(&log1)));
        std::fs::write(&p, b"").unwrap();
        assert!(
            !is_append(Some(&log1), take(&p, false).as_ref()),
            "truncated"
        );
    }

    #[test]
    fn a_symlink_is_its_own_file_not_its_target() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("t"), b"secret").unwrap();
        std::os::unix::fs::symlink(d.path().join("t"), d.path().join("l")).unwrap();
        let s = take(&d.path().join("l"), true).unwrap();
        assert_eq!((s.kind, s.sha256), ("symlink", None));
    }
}
