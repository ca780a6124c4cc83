//! POSIX access ACLs (POSIX.1e draft 17 as implemented by Linux, acl(5)), read from the
//! `system.posix_acl_access` extended attribute and decoded here: a little-endian u32
//! version (2) followed by 8-byte entries `{u16 tag, u16 perm, u32 id}`. A file without
//! the attribute has the minimal ACL its mode bits describe.
//!
//! `posix_acl_object` (vigil family): entity `path` (equals); one item per ACL entry
//! with `tag` (user_obj, user, group_obj, group, mask, other), `qualifier_id`,
//! `qualifier_name`, `perms` and `effective_perms` (the entry limited by the mask, for
//! named entries and the owning group, as acl(5) defines).

use crate::probes::keymgmt::read_accounts;
use std::path::Path;

use crate::host::accounts::Accounts;
use crate::host::{HostFile, fileattrs};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

const ACL_EA_VERSION: u32 = 2;
const TAG_USER_OBJ: u16 = 0x01;
const TAG_USER: u16 = 0x02;
const TAG_GROUP_OBJ: u16 = 0x04;
const TAG_GROUP: u16 = 0x08;
const TAG_MASK: u16 = 0x10;
const TAG_OTHER: u16 = 0x20;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
/// An ACL entry's tag type (acl(5)), with the qualifier of named entries; the OVAL item's
/// `tag` and `qualifier_id`.
pub enum Tag {
    /// The file owner's entry (`ACL_USER_OBJ`, `user::`).
    UserObj,
    /// A named user's entry (`ACL_USER`), with its uid.
    User(u32),
    /// The owning group's entry (`ACL_GROUP_OBJ`, `group::`).
    GroupObj,
    /// A named group's entry (`ACL_GROUP`), with its gid.
    Group(u32),
    /// The mask entry (`ACL_MASK`): the most a named entry or the owning group is
    /// granted.
    Mask,
    /// Everyone else (`ACL_OTHER`).
    Other,
}

impl Tag {
    /// The tag as the `posix_acl_item` `tag` field writes it (`user_obj`, `user`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Tag::UserObj => "user_obj",
            Tag::User(_) => "user",
            Tag::GroupObj => "group_obj",
            Tag::Group(_) => "group",
            Tag::Mask => "mask",
            Tag::Other => "other",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
/// One entry of an access ACL.
pub struct Entry {
    /// Its tag type and, for named entries, the uid or gid.
    pub tag: Tag,
    /// rwx bits (4, 2, 1).
    pub perm: u8,
}

/// A file's access ACL (always complete: owner, group and other are present).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// Every entry, in attribute order; for a file without the attribute, the three the
    /// mode bits give (`user_obj`, `group_obj`, `other`).
    pub entries: Vec<Entry>,
    /// User id of the file owner (what `user_obj` refers to).
    pub uid: u32,
    /// Group id of the owning group (what `group_obj` refers to).
    pub gid: u32,
    /// The file carries an extended ACL (the attribute exists).
    pub extended: bool,
}

#[derive(Debug, thiserror::Error, PartialEq)]
/// Why a `system.posix_acl_access` value cannot be decoded.
pub enum AclError {
    /// The value's length in bytes is not a 4-byte header plus 8-byte entries.
    #[error("system.posix_acl_access: length {0} is not 4 + 8n")]
    Length(usize),
    /// The header's version is not 2.
    #[error("system.posix_acl_access: unsupported version {0}")]
    Version(u32),
    /// An entry has a tag type acl(5) does not define.
    #[error("system.posix_acl_access: unknown tag {0:#x}")]
    Tag(u16),
}

/// Decodes the xattr value.
pub fn decode(raw: &[u8]) -> Result<Vec<Entry>, AclError> {
    if raw.len() < 4 || !(raw.len() - 4).is_multiple_of(8) {
        return Err(AclError::Length(raw.len()));
    }
    let version = u32::from_le_bytes(raw[0..4].try_into().unwrap_or_default());
    if version != ACL_EA_VERSION {
        return Err(AclError::Version(version));
    }
    raw[4..]
        .chunks_exact(8)
        .map(|c| {
            let tag = u16::from_le_bytes([c[0], c[1]]);
            let perm = (u16::from_le_bytes([c[2], c[3]]) & 7) as u8;
            let id = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
            let tag = match tag {
                TAG_USER_OBJ => Tag::UserObj,
                TAG_USER => Tag::User(id),
                TAG_GROUP_OBJ => Tag::GroupObj,
                TAG_GROUP => Tag::Group(id),
                TAG_MASK => Tag::Mask,
                TAG_OTHER => Tag::Other,
                t => return Err(AclError::Tag(t)),
            };
            Ok(Entry { tag, perm })
        })
        .collect()
}

impl Acl {
    /// The minimal ACL of a mode.
    pub fn from_mode(mode: u32, uid: u32, gid: u32) -> Acl {
        Acl {
            entries: vec![
                Entry {
                    tag: Tag::UserObj,
                    perm: ((mode >> 6) & 7) as u8,
                },
                Entry {
                    tag: Tag::GroupObj,
                    perm: ((mode >> 3) & 7) as u8,
                },
                Entry {
                    tag: Tag::Other,
                    perm: (mode & 7) as u8,
                },
            ],
            uid,
            gid,
            extended: false,
        }
    }

    /// The ACL of a file: its xattr if present, its mode otherwise.
    pub fn of(f: &HostFile) -> Result<Acl, String> {
        use std::os::unix::fs::MetadataExt;
        let (mode, uid, gid) = (f.meta.mode(), f.meta.uid(), f.meta.gid());
        if f.meta.file_type().is_symlink() {
            return Ok(Acl::from_mode(mode, uid, gid));
        }
        match fileattrs::posix_acl_xattr(f) {
            Err(e) => Err(format!("{}: {e}", f.host_path.display())),
            Ok(None) => Ok(Acl::from_mode(mode, uid, gid)),
            Ok(Some(raw)) => {
                let entries =
                    decode(&raw).map_err(|e| format!("{}: {e}", f.host_path.display()))?;
                Ok(Acl {
                    entries,
                    uid,
                    gid,
                    extended: true,
                })
            }
        }
    }

    /// The mask entry's permission bits; `None` for a minimal ACL, which has no mask.
    pub fn mask(&self) -> Option<u8> {
        self.entries
            .iter()
            .find(|e| e.tag == Tag::Mask)
            .map(|e| e.perm)
    }

    /// The permissions an entry actually grants: named users, the owning group and named
    /// groups are limited by the mask (acl(5), "ACCESS CHECK ALGORITHM").
    pub fn effective(&self, e: &Entry) -> u8 {
        match (e.tag, self.mask()) {
            (Tag::User(_) | Tag::GroupObj | Tag::Group(_), Some(m)) => e.perm & m,
            _ => e.perm,
        }
    }

    /// Named entries (`user:NAME:rwx`, `group:NAME:rwx`), names resolved on the host.
    pub fn named_entries(&self, acc: &Accounts) -> Vec<String> {
        self.entries
            .iter()
            .filter_map(|e| match e.tag {
                Tag::User(id) => Some(format!("user:{}:{}", acc.user_name(id), perm_str(e.perm))),
                Tag::Group(id) => {
                    Some(format!("group:{}:{}", acc.group_name(id), perm_str(e.perm)))
                }
                _ => None,
            })
            .collect()
    }

    /// The permissions of the `other` entry (what every account not matched by an
    /// owner, user or group entry gets); 0 when the ACL has none.
    pub fn other_perm(&self) -> u8 {
        self.entries
            .iter()
            .find(|e| e.tag == Tag::Other)
            .map_or(0, |e| e.perm)
    }

    /// acl(5) access check for a process with `uid` and groups `gids` wanting `want`
    /// (rwx bits). Returns whether access is granted and which entry decided it.
    /// uid 0 is granted read and write whatever the ACL says (CAP_DAC_OVERRIDE).
    pub fn check(&self, uid: u32, gids: &[u32], want: u8, acc: &Accounts) -> (bool, String) {
        // CAP_DAC_OVERRIDE: root reads and writes anything, and searches or executes
        // wherever any execute bit is set.
        if uid == 0 && (want & 1 == 0 || self.entries.iter().any(|e| e.perm & 1 != 0)) {
            return (true, "uid 0 (root) overrides file permissions".into());
        }
        let show = |e: &Entry| {
            format!(
                "{} entry {} (effective {})",
                self.label(e, acc),
                perm_str(e.perm),
                perm_str(self.effective(e))
            )
        };
        if uid == self.uid
            && let Some(e) = self.entries.iter().find(|e| e.tag == Tag::UserObj)
        {
            return (e.perm & want == want, show(e));
        }
        if let Some(e) = self.entries.iter().find(|e| e.tag == Tag::User(uid)) {
            return (self.effective(e) & want == want, show(e));
        }
        let mut matched: Vec<&Entry> = Vec::new();
        for e in &self.entries {
            let hit = match e.tag {
                Tag::GroupObj => gids.contains(&self.gid),
                Tag::Group(g) => gids.contains(&g),
                _ => false,
            };
            if hit {
                if self.effective(e) & want == want {
                    return (true, show(e));
                }
                matched.push(e);
            }
        }
        if let Some(e) = matched.first() {
            return (false, show(e));
        }
        match self.entries.iter().find(|e| e.tag == Tag::Other) {
            Some(e) => (e.perm & want == want, show(e)),
            None => (false, "no matching ACL entry".into()),
        }
    }

    fn label(&self, e: &Entry, acc: &Accounts) -> String {
        match e.tag {
            Tag::UserObj => format!("owner ({})", acc.user_name(self.uid)),
            Tag::User(id) => format!("ACL user:{}", acc.user_name(id)),
            Tag::GroupObj => format!("owning group ({})", acc.group_name(self.gid)),
            Tag::Group(id) => format!("ACL group:{}", acc.group_name(id)),
            Tag::Mask => "mask".into(),
            Tag::Other => "other".into(),
        }
    }
}

/// Permission bits (4 read, 2 write, 1 execute) as `rwx` text, `-` for each missing one.
pub fn perm_str(p: u8) -> String {
    let mut s = String::with_capacity(3);
    s.push(if p & 4 != 0 { 'r' } else { '-' });
    s.push(if p & 2 != 0 { 'w' } else { '-' });
    s.push(if p & 1 != 0 { 'x' } else { '-' });
    s
}

/// `posix_acl_object`: no policy needed.
pub struct PosixAclProbe;

impl Probe<Context> for PosixAclProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["posix_acl_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let Some(paths) = query.entity("path").and_then(|e| e.exact_values()) else {
            return Collected::not_collected(format!(
                "{}: posix_acl_object needs a path entity with operation 'equals'",
                query.object_id
            ));
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        for p in paths {
            let f = match ctx.host.resolve(Path::new(p)) {
                Ok(Some(f)) => f,
                Ok(None) => continue,
                Err(e) => return Collected::error(format!("{p}: {e}")),
            };
            let acl = match Acl::of(&f) {
                Ok(a) => a,
                Err(e) => return Collected::error(e),
            };
            for e in &acl.entries {
                let mut item = Item::new()
                    .field("path", p.as_str())
                    .field("tag", e.tag.name());
                match e.tag {
                    Tag::UserObj => {
                        item.push("qualifier_id", acl.uid.to_string());
                        item.push("qualifier_name", acc.user_name(acl.uid));
                    }
                    Tag::User(id) => {
                        item.push("qualifier_id", id.to_string());
                        item.push("qualifier_name", acc.user_name(id));
                    }
                    Tag::GroupObj => {
                        item.push("qualifier_id", acl.gid.to_string());
                        item.push("qualifier_name", acc.group_name(acl.gid));
                    }
                    Tag::Group(id) => {
                        item.push("qualifier_id", id.to_string());
                        item.push("qualifier_name", acc.group_name(id));
                    }
                    Tag::Mask | Tag::Other => {
                        item.push_absent("qualifier_id");
                        item.push_absent("qualifier_name");
                    }
                }
                item.push("perms", perm_str(e.perm));
                item.push("effective_perms", perm_str(acl.effective(e)));
                item.push("extended", super::bool_str(acl.extended));
                let _ = items.push(item);
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::host::Host;

    use std::sync::Arc;

    /// Runs setfacl; false when the file system does not support ACLs.
    pub(crate) fn setfacl(path: &Path, spec: &str) -> bool {
        crate::testtool::tool("setfacl")
            .args(["-m", spec])
            .arg(path)
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    #[test]
    fn decode_rejects_bad_attributes() {
        assert_eq!(decode(&[2, 0, 0]), Err(AclError::Length(3)));
        assert_eq!(decode(&[1, 0, 0, 0]), Err(AclError::Version(1)));
        assert_eq!(
            decode(&[2, 0, 0, 0, 0x40, 0, 4, 0, 0, 0, 0, 0]),
            Err(AclError::Tag(0x40))
        );
    }

    #[test]
    fn entries_agree_with_getfacl() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("k.pem");
        std::fs::write(&p, b"k").unwrap();
        std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o640)).unwrap();
        if !setfacl(&p, "u:4242:rw-,g:4343:r-x,m::r--") {
            return;
        }
        let out = crate::testtool::tool("getfacl")
            .args(["-n", "-p", "-E"])
            .arg(&p)
            .output()
            .unwrap();
        let getfacl: Vec<String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| l.split_whitespace().next().unwrap().to_string())
            .collect();
        let host = Host::offline(d.path());
        let f = host.resolve(Path::new("/k.pem")).unwrap().unwrap();
        let acl = Acl::of(&f).unwrap();
        assert!(acl.extended);
        let ours: Vec<String> = acl
            .entries
            .iter()
            .map(|e| {
                let q = match e.tag {
                    Tag::User(id) | Tag::Group(id) => id.to_string(),
                    _ => String::new(),
                };
                let t = match e.tag {
                    Tag::UserObj | Tag::User(_) => "user",
                    Tag::GroupObj | Tag::Group(_) => "group",
                    Tag::Mask => "mask",
                    Tag::Other => "other",
                };
                format!("{t}:{q}:{}", perm_str(e.perm))
            })
            .collect();
        assert_eq!(ours, getfacl);

        // Effective rights through the mask, as acl(5) computes them.
        let acc = Accounts::default();
        assert!(acl.check(4242, &[9], 4, &acc).0);
        assert!(!acl.check(4242, &[9], 2, &acc).0, "w is masked");
        assert!(acl.check(5000, &[4343], 4, &acc).0);
        assert!(!acl.check(5000, &[7777], 4, &acc).0, "other has ---");

        let ctx = crate::probes::Context::new(Arc::new(host));
        let q = crate::probes::ObjectQuery {
            object_id: "obj:1".into(),
            family: vigil_core::content::oval::Family::Vigil,
            kind: "posix_acl_object".into(),
            behaviors: Default::default(),
            entities: vec![crate::probes::QueryEntity {
                name: "path".into(),
                datatype: vigil_core::content::oval::Datatype::String,
                operation: vigil_core::content::oval::Operation::Equals,
                values: vec!["/k.pem".into()],
                nil: false,
                var_check: vigil_core::content::oval::Check::All,
                from_variable: false,
            }],
            item_filter: None,
        };
        let c = PosixAclProbe.collect(&q, &ctx);
        let named = c
            .items
            .iter()
            .find(|i| i.first("tag") == Some("user"))
            .unwrap();
        assert_eq!(named.first("qualifier_id"), Some("4242"));
        assert_eq!(named.first("perms"), Some("rw-"));
        assert_eq!(named.first("effective_perms"), Some("r--"));
    }
}
