//! `file_item` construction (OVAL 5.11 unix-system-characteristics `file_item`) from an
//! `lstat` result, with `has_extended_acl` read from the POSIX ACL extended attributes.
//!
//! Field order, the `type` words and the shape of directory items (`path` plus an empty
//! `filename`, no `filepath`) follow what oscap 1.3.7 writes, so results compare 1:1.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::walk::Stat;
use crate::host::Host;
use crate::probes::{Item, ItemField};

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

/// Every `file_item` field, in the order oscap writes them.
const FIELDS: [&str; 23] = [
    "filepath",
    "path",
    "filename",
    "type",
    "group_id",
    "user_id",
    "a_time",
    "c_time",
    "m_time",
    "size",
    "suid",
    "sgid",
    "sticky",
    "uread",
    "uwrite",
    "uexec",
    "gread",
    "gwrite",
    "gexec",
    "oread",
    "owrite",
    "oexec",
    "has_extended_acl",
];

const MODE_BITS: [u32; 12] = [
    libc::S_ISUID,
    libc::S_ISGID,
    libc::S_ISVTX,
    libc::S_IRUSR,
    libc::S_IWUSR,
    libc::S_IXUSR,
    libc::S_IRGRP,
    libc::S_IWGRP,
    libc::S_IXGRP,
    libc::S_IROTH,
    libc::S_IWOTH,
    libc::S_IXOTH,
];

/// A set of `file_item` fields (bit i: `FIELDS[i]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldMask(u32);

impl FieldMask {
    pub(crate) const ALL: FieldMask = FieldMask((1 << FIELDS.len()) - 1);

    /// The fields among `names` that a `file_item` has (others it never has).
    pub(crate) fn of(names: &[String]) -> FieldMask {
        FieldMask(
            FIELDS
                .iter()
                .enumerate()
                .filter(|(_, f)| names.iter().any(|n| n == *f))
                .fold(0, |m, (i, _)| m | 1 << i),
        )
    }

    fn has(self, field: usize) -> bool {
        self.0 & 1 << field != 0
    }
}

/// Writes fields into an item in order, reusing the item's strings when it already
/// holds the same fields (the partial items of a walk are refilled, not rebuilt).
struct Filler<'a> {
    item: &'a mut Item,
    at: usize,
}

impl Filler<'_> {
    fn put(&mut self, name: &'static str, write: impl FnOnce(&mut String)) {
        let fields = &mut self.item.fields;
        if fields.get(self.at).is_some_and(|f| f.name == name) {
            let v = fields[self.at].value.get_or_insert_with(String::new);
            v.clear();
            write(v);
        } else {
            fields.truncate(self.at);
            let mut v = String::new();
            write(&mut v);
            fields.push(ItemField::simple(name, v));
        }
        self.at += 1;
    }

    fn finish(self) {
        self.item.fields.truncate(self.at);
    }
}

fn push_lossy(s: &mut String, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(t) => s.push_str(t),
        Err(_) => s.push_str(&String::from_utf8_lossy(b)),
    }
}

/// Pushes `filepath`, `path` and `filename` the way oscap does: a directory item
/// (`name == None`) has only `path` and an empty `filename`.
pub(crate) fn push_location(item: &mut Item, dir: &Path, name: Option<&OsStr>) {
    let at = item.fields.len();
    let mut f = Filler { item, at };
    put_location(&mut f, dir, name, FieldMask::ALL);
}

fn put_location(f: &mut Filler, dir: &Path, name: Option<&OsStr>, mask: FieldMask) {
    let dir_b = dir.as_os_str().as_bytes();
    match name {
        Some(name) => {
            if mask.has(0) {
                f.put("filepath", |s| {
                    push_lossy(s, dir_b);
                    if !dir_b.ends_with(b"/") {
                        s.push('/');
                    }
                    push_lossy(s, name.as_bytes());
                });
            }
            if mask.has(1) {
                f.put("path", |s| push_lossy(s, dir_b));
            }
            if mask.has(2) {
                f.put("filename", |s| push_lossy(s, name.as_bytes()));
            }
        }
        None => {
            if mask.has(1) {
                f.put("path", |s| push_lossy(s, dir_b));
            }
            if mask.has(2) {
                f.put("filename", |_| {});
            }
        }
    }
}

/// A complete `file_item`. `real` gives where the file is read (for the ACL), through
/// `host`.
pub(crate) fn file_item(
    host: &Host,
    dir: &Path,
    name: Option<&OsStr>,
    real: &dyn Fn() -> PathBuf,
    md: &Stat,
) -> Item {
    let mut item = Item::new();
    item.fields.reserve(FIELDS.len());
    fill_file_item(host, &mut item, FieldMask::ALL, dir, name, real, md);
    item
}

/// Makes `item` the `file_item` with only the fields in `mask`, in the same order:
/// enough to decide an object's filters on every entry of a walk, where most entries
/// are then dropped, without formatting two dozen fields or reading the ACL of each.
/// An item filled before with the same mask is refilled in place, without allocating.
pub(crate) fn fill_file_item(
    host: &Host,
    item: &mut Item,
    mask: FieldMask,
    dir: &Path,
    name: Option<&OsStr>,
    real: &dyn Fn() -> PathBuf,
    md: &Stat,
) {
    use std::fmt::Write;
    let mut f = Filler { item, at: 0 };
    put_location(&mut f, dir, name, mask);
    let mode = md.mode;
    if mask.has(3) {
        f.put("type", |s| s.push_str(type_name(mode)));
    }
    let numbers: [i128; 6] = [
        md.gid.into(),
        md.uid.into(),
        md.atime.into(),
        md.ctime.into(),
        md.mtime.into(),
        md.size.into(),
    ];
    for (i, v) in numbers.into_iter().enumerate() {
        if mask.has(4 + i) {
            f.put(FIELDS[4 + i], |s| {
                let _ = write!(s, "{v}");
            });
        }
    }
    for (i, b) in MODE_BITS.into_iter().enumerate() {
        if mask.has(10 + i) {
            f.put(FIELDS[10 + i], |s| {
                s.push_str(if mode & b != 0 { "true" } else { "false" })
            });
        }
    }
    if mask.has(22) {
        let acl = mode & libc::S_IFMT != libc::S_IFLNK
            && has_extended_acl(host, &real(), mode & libc::S_IFMT == libc::S_IFDIR);
        f.put("has_extended_acl", |s| {
            s.push_str(if acl { "true" } else { "false" })
        });
    }
    f.finish();
}

/// True when the file carries a POSIX ACL beyond the three mode entries (the meaning of
/// acl_extended_file(3)): an access ACL with more than user/group/other entries, or a
/// default ACL on a directory.
pub(crate) fn has_extended_acl(host: &Host, real: &Path, is_dir: bool) -> bool {
    // posix_acl_xattr layout: a 4-byte version header, then 8-byte entries.
    let entries = |attr: &[u8]| -> usize {
        host.xattr(real, attr)
            .map_or(0, |v| v.len().saturating_sub(4) / 8)
    };
    entries(b"system.posix_acl_access") > 3 || (is_dir && entries(b"system.posix_acl_default") > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn lstat(p: &Path) -> Stat {
        Stat::from_metadata(&std::fs::symlink_metadata(p).unwrap())
    }

    #[test]
    fn modes_owner_and_setfacl_acl() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("f");
        std::fs::write(&f, b"abc").unwrap();
        // chown clears set-id bits: owner first, then mode.
        std::os::unix::fs::lchown(&f, Some(65534), Some(65533)).unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o6741)).unwrap();
        let md = lstat(&f);
        let item = file_item(
            &Host::live(),
            d.path(),
            Some(OsStr::new("f")),
            &|| f.clone(),
            &md,
        );
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

        let st = crate::testtool::tool("setfacl")
            .args(["-m", "u:nobody:r"])
            .arg(&f)
            .status()
            .unwrap();
        assert!(st.success());
        assert!(has_extended_acl(&Host::live(), &f, false));
        let md = lstat(&f);
        assert_eq!(
            file_item(
                &Host::live(),
                d.path(),
                Some(OsStr::new("f")),
                &|| f.clone(),
                &md
            )
            .first("has_extended_acl"),
            Some("true")
        );
        // A partial item has the fields asked for, in the full item's order, and is
        // refilled in place for the next entry.
        let mask = FieldMask::of(&[
            "owrite".into(),
            "filepath".into(),
            "has_extended_acl".into(),
            "suid".into(),
            "no_such_field".into(),
        ]);
        let mut part = Item::new();
        fill_file_item(
            &Host::live(),
            &mut part,
            mask,
            d.path(),
            Some(OsStr::new("f")),
            &|| f.clone(),
            &md,
        );
        let names: Vec<&str> = part.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["filepath", "suid", "owrite", "has_extended_acl"]);
        let dir_md = lstat(d.path());
        fill_file_item(
            &Host::live(),
            &mut part,
            mask,
            d.path(),
            None,
            &|| d.path().to_path_buf(),
            &dir_md,
        );
        let names: Vec<&str> = part.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["suid", "owrite", "has_extended_acl"]);
        fill_file_item(
            &Host::live(),
            &mut part,
            mask,
            d.path(),
            Some(OsStr::new("f")),
            &|| f.clone(),
            &md,
        );
        assert_eq!(part.first("has_extended_acl"), Some("true"));
        // Removing the extra entry leaves only the mode: not extended, as getfacl agrees.
        assert!(
            crate::testtool::tool("setfacl")
                .arg("-b")
                .arg(&f)
                .status()
                .unwrap()
                .success()
        );
        assert!(!has_extended_acl(&Host::live(), &f, false));

        // A default ACL on a directory counts too.
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(!has_extended_acl(&Host::live(), &sub, true));
        assert!(
            crate::testtool::tool("setfacl")
                .args(["-d", "-m", "u:nobody:r"])
                .arg(&sub)
                .status()
                .unwrap()
                .success()
        );
        assert!(has_extended_acl(&Host::live(), &sub, true));
    }

    #[test]
    fn special_types() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("p");
        assert!(
            crate::testtool::tool("mkfifo")
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
            &Host::live(),
            d.path(),
            None,
            &|| d.path().to_path_buf(),
            &lstat(d.path()),
        );
        assert_eq!(item.first("filepath"), None);
        assert_eq!(item.first("filename"), Some(""));
    }
}
