//! `partition_object` (OVAL 5.11 linux schema): mounted file systems, from `/proc/mounts`
//! and `statvfs(3)` on each selected mount point.
//!
//! Behaviour checked against oscap 1.3.7:
//! - one item per line of `/proc/mounts`, identical items merged (a mount point mounted
//!   twice the same way is one item);
//! - `device` is canonicalised when it is an existing absolute path (symlinks such as
//!   `/dev/mapper/x` resolved); pseudo devices (`proc`, `tmpfs`) stay as written;
//! - `uuid` is absent (status does not exist) when the device has none; vigil finds it
//!   through the `/dev/disk/by-uuid` links;
//! - `mount_options` is one field per option, in the order the kernel lists them; oscap
//!   then appends `bind` whenever statvfs reports ST_RELATIME (the same bit as MS_BIND),
//!   so vigil does too, or states about mount options would disagree with oscap;
//! - `total_space` is f_blocks, `space_left` f_bfree and `space_used` their difference,
//!   all in f_frsize blocks; 5.11 has no `block_size`, and oscap reports none.
//!
//! Not applicable on an offline root: the mount table belongs to the running kernel.

use std::collections::HashMap;
use std::ffi::CString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches, require_live};

/// The probe of OVAL 5.11 `linux:partition_object`: mounted file systems (live only).
pub struct PartitionProbe;

/// ST_RELATIME, which oscap mistakes for MS_BIND (both are 4096).
const ST_RELATIME: u64 = 4096;

/// One line of /proc/mounts.
#[derive(Debug, Clone, PartialEq)]
pub struct MountEntry {
    /// The mounted device or source (`/dev/sda1`, `tmpfs`), octal escapes decoded.
    pub device: String,
    /// Absolute mount point, octal escapes (`\040`) decoded.
    pub mount_point: String,
    /// File system type (`ext4`, `tmpfs`, ...).
    pub fs_type: String,
    /// Mount options, split at commas, in the order listed.
    pub options: Vec<String>,
}

/// Undoes the kernel's octal escapes (`\040` for a space) in a mounts field.
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses `/proc/mounts` text; lines with fewer than four fields are skipped.
pub fn parse_mounts(text: &str) -> Vec<MountEntry> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            let device = unescape(f.next()?);
            let mount_point = unescape(f.next()?);
            let fs_type = unescape(f.next()?);
            let options = f.next()?.split(',').map(unescape).collect();
            Some(MountEntry {
                device,
                mount_point,
                fs_type,
                options,
            })
        })
        .collect()
}

/// Canonical device path -> uuid, from the /dev/disk/by-uuid links.
fn uuids() -> HashMap<PathBuf, String> {
    let mut m = HashMap::new();
    if let Ok(rd) = fs::read_dir("/dev/disk/by-uuid") {
        for e in rd.flatten() {
            if let Ok(target) = fs::canonicalize(e.path()) {
                m.insert(target, e.file_name().to_string_lossy().into_owned());
            }
        }
    }
    m
}

struct Space {
    total: u64,
    free: u64,
    flags: u64,
}

fn statvfs(path: &str) -> Option<Space> {
    let c = CString::new(path).ok()?;
    // SAFETY: c is NUL-terminated and st is plain old data filled by statvfs.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return None;
    }
    Some(Space {
        total: st.f_blocks as u64,
        free: st.f_bfree as u64,
        flags: st.f_flag as u64,
    })
}

fn partition_item(m: &MountEntry, uuids: &HashMap<PathBuf, String>) -> Item {
    let canonical = if m.device.starts_with('/') {
        fs::canonicalize(&m.device).ok()
    } else {
        None
    };
    let device = canonical
        .as_ref()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| m.device.clone());
    let mut it = Item::new()
        .field("mount_point", m.mount_point.as_str())
        .field("device", device);
    match canonical.as_ref().and_then(|p| uuids.get(p)) {
        Some(u) => it.push("uuid", u.as_str()),
        None => it.push_absent("uuid"),
    }
    it.push("fs_type", m.fs_type.as_str());
    let space = statvfs(&m.mount_point);
    for o in &m.options {
        it.push("mount_options", o.as_str());
    }
    if let Some(s) = &space
        && s.flags & ST_RELATIME != 0
        && !m.options.iter().any(|o| o == "bind")
    {
        it.push("mount_options", "bind");
    }
    match space {
        Some(s) => {
            it.push("total_space", s.total.to_string());
            it.push("space_used", s.total.saturating_sub(s.free).to_string());
            it.push("space_left", s.free.to_string());
        }
        None => {
            it.push_absent("total_space");
            it.push_absent("space_used");
            it.push_absent("space_left");
        }
    }
    it
}

impl Probe<Context> for PartitionProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["partition_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let text = match fs::read_to_string(Path::new("/proc/mounts")) {
            Ok(t) => t,
            Err(e) => return Collected::error(format!("cannot read /proc/mounts: {e}")),
        };
        let uuids = uuids();
        let mut items = Vec::new();
        for m in parse_mounts(&text) {
            // Only selected mount points are stat'ed: statvfs on a dead network mount
            // can hang.
            match entity_matches(query, "mount_point", &m.mount_point) {
                Ok(true) => items.push(partition_item(&m, &uuids)),
                Ok(false) => {}
                Err(e) => return compare_error(query, e),
            }
        }
        Collected::from_items(super::dedup(items))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    fn q(op: Operation, mp: &str) -> ObjectQuery {
        testutil::query(
            Family::Linux,
            "partition_object",
            &[("mount_point", op, mp)],
        )
    }

    #[test]
    fn root_partition_matches_statvfs_and_mounts() {
        let c = PartitionProbe.collect(&q(Operation::Equals, "/"), &testutil::live());
        assert_eq!(c.flag, Flag::Complete);
        let it = &c.items[0];
        let mounts = parse_mounts(&fs::read_to_string("/proc/mounts").unwrap());
        let root = mounts.iter().find(|m| m.mount_point == "/").unwrap();
        assert_eq!(it.first("fs_type"), Some(root.fs_type.as_str()));
        let opts: Vec<_> = it.values("mount_options").flatten().collect();
        assert_eq!(&opts[..root.options.len()], root.options.as_slice());
        let out = crate::testtool::tool("stat")
            .args(["-f", "-c", "%b %f", "/"])
            .output()
            .unwrap();
        let s = String::from_utf8(out.stdout).unwrap();
        let (blocks, _free) = s.trim().split_once(' ').unwrap();
        assert_eq!(it.first("total_space"), Some(blocks));
        let total: u64 = it.first("total_space").unwrap().parse().unwrap();
        let used: u64 = it.first("space_used").unwrap().parse().unwrap();
        let left: u64 = it.first("space_left").unwrap().parse().unwrap();
        assert_eq!(used + left, total);
    }

    #[test]
    fn relatime_mounts_get_oscaps_bind_option() {
        let c = PartitionProbe.collect(&q(Operation::Equals, "/proc"), &testutil::live());
        let it = &c.items[0];
        let opts: Vec<_> = it.values("mount_options").flatten().collect();
        assert_eq!(
            opts.contains(&"relatime"),
            opts.contains(&"bind"),
            "{opts:?}"
        );
    }

    #[test]
    fn missing_mount_point_does_not_exist() {
        let c = PartitionProbe.collect(&q(Operation::Equals, "/no/such/mount"), &testutil::live());
        assert_eq!(c.flag, Flag::DoesNotExist);
    }

    #[test]
    fn pattern_lists_every_distinct_mount() {
        let c = PartitionProbe.collect(&q(Operation::PatternMatch, "^/"), &testutil::live());
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        let mut distinct: Vec<MountEntry> = Vec::new();
        for m in parse_mounts(&fs::read_to_string("/proc/mounts").unwrap()) {
            if !distinct.contains(&m) {
                distinct.push(m);
            }
        }
        assert_eq!(c.items.len(), distinct.len());
    }

    #[test]
    fn mounts_parsing_unescapes() {
        let m = parse_mounts("/dev/sda1 /mnt/my\\040disk ext4 rw,nodev 0 0\n");
        assert_eq!(m[0].mount_point, "/mnt/my disk");
        assert_eq!(m[0].options, ["rw", "nodev"]);
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let c = PartitionProbe.collect(&q(Operation::Equals, "/"), &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
    }
}
