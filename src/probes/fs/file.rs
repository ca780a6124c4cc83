//! `file_item` construction (OVAL 5.11 unix-system-characteristics `file_item`) from an
//! `lstat` result, with `has_extended_acl` read from the POSIX ACL extended attributes.
//!
//! Field order, the `type` words and the shape of directory items (`path` plus an empty
//! `filename`, no `filepath`) follow what oscap 1.3.7 writes, so results compare 1:1.

use std::ffi::{CString, OsStr};
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use crate::probes::Item;

/// The `type` entity for a mode (unix-system-characteristics EntityItemFileTypeType).
pub(crate) fn type_name(mode: u32) -> &'static str {
    match mode & libc::S_IFMT {
        libc::S_IFREG => "regular",
        libc::S_IFDIR => "directory",
        libc::S_IFLNK => "symbolic link",
        libc::S_IFIFO => "fifo",
        libc::S_IFSOCK => "socket",
        libc::S_IFBLK => "block special",
        libc::S_IFCHR => "character special",
        _ => "",
    }
}

/// Pushes `filepath`, `path` and `filename` the way oscap does: a directory item
/// (`name == None`) has only `path` and an empty `filename`.
pub(crate) fn push_location(item: &mut Item, dir: &Path, name: Option<&OsStr>) {
    match name {
        Some(name) => {
            item.push("filepath", dir.join(name).to_string_lossy());
            item.push("path", dir.to_string_lossy());
            item.push("filename", name.to_string_lossy());
        }
        None => {
            item.push("path", dir.to_string_lossy());
            item.push("filename", "");
        }
    }
}

/// A complete `file_item`. `real` is where the file is read (for the ACL).
pub(crate) fn file_item(dir: &Path, name: Option<&OsStr>, real: &Path, md: &Metadata) -> Item {
    let mut item = Item::new();
    item.fields.reserve(24);
    push_location(&mut item, dir, name);
    let mode = md.mode();
    item.push("type", type_name(mode));
    item.push("group_id", md.gid().to_string());
    item.push("user_id", md.uid().to_string());
    item.push("a_time", md.atime().to_string());
    item.push("c_time", md.ctime().to_string());
    item.push("m_time", md.mtime().to_string());
    item.push("size", md.size().to_string());
    let bit = |b: u32| if mode & b != 0 { "true" } else { "false" };
    for (field, b) in [
        ("suid", libc::S_ISUID),
        ("sgid", libc::S_ISGID),
        ("sticky", libc::S_ISVTX),
        ("uread", libc::S_IRUSR),
        ("uwrite", libc::S_IWUSR),
        ("uexec", libc::S_IXUSR),
        ("gread", libc::S_IRGRP),
        ("gwrite", libc::S_IWGRP),
        ("gexec", libc::S_IXGRP),
        ("oread", libc::S_IROTH),
        ("owrite", libc::S_IWOTH),
        ("oexec", libc::S_IXOTH),
    ] {
        item.push(field, bit(b));
    }
    let acl = mode & libc::S_IFMT != libc::S_IFLNK
        && has_extended_acl(real, mode & libc::S_IFMT == libc::S_IFDIR);
    item.push("has_extended_acl", if acl { "true" } else { "false" });
    item
}

/// True when the file carries a POSIX ACL beyond the three mode entries (the meaning of
/// acl_extended_file(3)): an access ACL with more than user/group/other entries, or a
/// default ACL on a directory.
pub(crate) fn has_extended_acl(real: &Path, is_dir: bool) -> bool {
    let Ok(c) = CString::new(real.as_os_str().as_bytes()) else {
        return false;
    };
    // posix_acl_xattr layout: a 4-byte version header, then 8-byte entries.
    let entries = |attr: &[u8]| -> usize {
        let mut buf = [0u8; 4 + 8 * 64];
        // SAFETY: c and attr are NUL-terminated; buf is valid for buf.len() bytes.
        let n = unsafe {
            libc::lgetxattr(
                c.as_ptr(),
                attr.as_ptr().cast(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            // ERANGE: larger than our buffer, hence certainly extended.
            return if std::io::Error::last_os_error().raw_os_error() == Some(libc::ERANGE) {
                usize::MAX
            } else {
                0
            };
        }
        (n as usize).saturating_sub(4) / 8
    };
    entries(b"system.posix_acl_access\0") > 3
        || (is_dir && entries(b"system.posix_acl_default\0") > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    #[test]
    fn modes_owner_and_setfacl_acl() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        // chown clears set-id bits: owner first, then mode.
        std::os::unix::fs::lchown(&f, Some(65534), Some(65533)).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o6741)).unwrap();
        let md = std::fs::symlink_metadata(&f).unwrap();
        let item = file_item(d.path(), Some(OsStr::new("f")), &f, &md);
        let v = |n| item.first(n).unwrap().to_string();
        assert_eq!(v("type"), "regular");
        assert_eq!(v("filepath"), f.to_string_lossy());
        assert_eq!(v("user_id"), "65534");
        assert_eq!(v("group_id"), "65533");
        assert_eq!(v("size"), "3");
        let bits: Vec<_> = [
            "suid", "sgid", "sticky", "uread", "uwrite", "uexec", "gread", "gwrite", "gexec",
            "oread", "owrite", "oexec",
        ]
        .iter()
        .map(|n| v(n) == "true")
        .collect();
        assert_eq!(
            bits,
            [
                true, true, false, true, true, true, true, false, false, false, false, true
            ]
        );
        assert_eq!(v("has_extended_acl"), "false");

        let st = Command::new("setfacl")
            .args(["-m", "u:nobody:r"])
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success());
        assert!(has_extended_acl(&f, false));
        let md = std::fs::symlink_metadata(&f).unwrap();
        assert_eq!(
            file_item(d.path(), Some(OsStr::new("f")), &f, &md).first("has_extended_acl"),
            Some("true")
        );
        // Removing the extra entry leaves only the mode: not extended, as getfacl agrees.
        assert!(
            Command::new("setfacl")
                .arg("-b")
                .arg(&f)
                .status()
                .unwrap()
                .success()
        );
        assert!(!has_extended_acl(&f, false));

        // A default ACL on a directory counts too.
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(!has_extended_acl(&sub, true));
        assert!(
            Command::new("setfacl")
                .args(["-d", "-m", "u:nobody:r"])
                .arg(&sub)
                .status()
                .unwrap()
                .success()
        );
        assert!(has_extended_acl(&sub, true));
    }

    #[test]
    fn special_types() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("p");
        assert!(
            Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let sock = d.path().join("s");
        let _l = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        std::os::unix::fs::symlink("p", d.path().join("l")).unwrap();
        let t = |p: &Path| type_name(std::fs::symlink_metadata(p).unwrap().mode());
        assert_eq!(t(&fifo), "fifo");
        assert_eq!(t(&sock), "socket");
        assert_eq!(t(&d.path().join("l")), "symbolic link");
        assert_eq!(t(d.path()), "directory");
        assert_eq!(t(Path::new("/dev/null")), "character special");
        let item = file_item(
            d.path(),
            None,
            d.path(),
            &std::fs::symlink_metadata(d.path()).unwrap(),
        );
        assert_eq!(item.first("filepath"), None);
        assert_eq!(item.first("filename"), Some(""));
    }
}
