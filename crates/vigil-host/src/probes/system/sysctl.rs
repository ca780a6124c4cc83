//! `sysctl_object` (OVAL 5.11 unix schema, sysctl_test): kernel parameters read from
//! `/proc/sys`, named as `sysctl(8)` names them (`kernel.randomize_va_space`).
//!
//! Behaviour checked against oscap 1.3.7:
//! - the value is the file's content without its trailing newline; inner tabs stay
//!   (`kernel.printk` is `4\t4\t1\t7`);
//! - write-only entries (`net.ipv4.route.flush`) and entries that fail to read are not
//!   items, so a name that only names such an entry `does not exist`;
//! - a pattern matches against every readable regular file under `/proc/sys`.
//!
//! The walk never follows symlinks and only opens regular files, with O_NONBLOCK.
//! Not applicable on an offline root: the values live in the running kernel.

use std::fs;
use std::io::Read;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches, exact, require_live};

const PROC_SYS: &str = "/proc/sys";

/// The probe of OVAL 5.11 `unix:sysctl_object`: kernel parameters under `/proc/sys`
/// (live only).
pub struct SysctlProbe;

/// `kernel.randomize_va_space` -> `/proc/sys/kernel/randomize_va_space`. Names with an
/// empty component or `..` name nothing.
fn name_to_path(base: &Path, name: &str) -> Option<PathBuf> {
    let mut p = base.to_path_buf();
    for part in name.split('.') {
        if part.is_empty() || part == ".." {
            return None;
        }
        p.push(part);
    }
    Some(p)
}

/// Reads one parameter; `None` when it is not a readable regular file.
fn read_param(path: &Path) -> Option<String> {
    let md = fs::symlink_metadata(path).ok()?;
    if !md.file_type().is_file() || md.permissions().mode() & 0o444 == 0 {
        return None;
    }
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .ok()?;
    let mut buf = Vec::new();
    f.read_to_end(&mut buf).ok()?;
    let mut s = String::from_utf8_lossy(&buf).into_owned();
    if s.ends_with('\n') {
        s.pop();
    }
    Some(s)
}

/// Every parameter under `dir`, as (name, path), without following symlinks.
fn walk(base: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    let Ok(rd) = fs::read_dir(dir) else { return };
    for entry in rd.flatten() {
        let Ok(ft) = entry.file_type() else { continue };
        let path = entry.path();
        if ft.is_dir() {
            walk(base, &path, out);
        } else if ft.is_file() {
            let Ok(rel) = path.strip_prefix(base) else {
                continue;
            };
            let name = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join(".");
            out.push((name, path));
        }
    }
}

/// Collects the sysctl items under `base` (normally `/proc/sys`) for `query`.
pub fn collect_under(base: &Path, query: &ObjectQuery) -> Collected {
    let mut items = Vec::new();
    if let Some(names) = exact(query, "name") {
        for name in names {
            if let Some(value) = name_to_path(base, name).and_then(|p| read_param(&p)) {
                items.push(
                    Item::new()
                        .field("name", name.as_str())
                        .field("value", value),
                );
            }
        }
    } else {
        let mut all = Vec::new();
        walk(base, base, &mut all);
        all.sort();
        for (name, path) in all {
            match entity_matches(query, "name", &name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            if let Some(value) = read_param(&path) {
                items.push(Item::new().field("name", name).field("value", value));
            }
        }
    }
    Collected::from_items(super::dedup(items))
}

impl Probe<Context> for SysctlProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["sysctl_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        collect_under(Path::new(PROC_SYS), query)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    fn q(op: Operation, name: &str) -> ObjectQuery {
        testutil::query(Family::Unix, "sysctl_object", &[("name", op, name)])
    }

    #[test]
    fn live_values_match_proc_sys() {
        for name in [
            "kernel.randomize_va_space",
            "kernel.printk",
            "fs.protected_hardlinks",
        ] {
            let c = SysctlProbe.collect(&q(Operation::Equals, name), &testutil::live());
            let path = format!("/proc/sys/{}", name.replace('.', "/"));
            let expected = fs::read_to_string(&path).unwrap();
            assert_eq!(c.flag, Flag::Complete, "{name}");
            assert_eq!(c.items.len(), 1);
            assert_eq!(c.items[0].first("name"), Some(name));
            assert_eq!(
                c.items[0].first("value"),
                Some(expected.trim_end_matches('\n'))
            );
        }
    }

    #[test]
    fn printk_keeps_inner_tabs_like_oscap() {
        let c = SysctlProbe.collect(&q(Operation::Equals, "kernel.printk"), &testutil::live());
        assert!(c.items[0].first("value").unwrap().contains('\t'));
    }

    #[test]
    fn write_only_and_missing_names_do_not_exist() {
        for name in [
            "net.ipv4.route.flush",
            "no.such.key",
            "kernel..printk",
            "kernel",
        ] {
            let c = SysctlProbe.collect(&q(Operation::Equals, name), &testutil::live());
            assert_eq!(c.flag, Flag::DoesNotExist, "{name}");
        }
    }

    #[test]
    fn walk_skips_write_only_fifos_and_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path();
        fs::create_dir_all(base.join("net/ipv4/conf/all")).unwrap();
        fs::write(base.join("net/ipv4/conf/all/rp_filter"), "1\n").unwrap();
        fs::write(base.join("net/ipv4/conf/all/flush"), "").unwrap();
        fs::set_permissions(
            base.join("net/ipv4/conf/all/flush"),
            fs::Permissions::from_mode(0o200),
        )
        .unwrap();
        let fifo = base.join("net/ipv4/conf/all/fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        std::os::unix::fs::symlink(base, base.join("net/loop")).unwrap();
        let all = testutil::query(Family::Unix, "sysctl_object", &[]);
        let got = collect_under(base, &all);
        let names: Vec<_> = got.items.iter().map(|i| i.first("name").unwrap()).collect();
        assert_eq!(names, ["net.ipv4.conf.all.rp_filter"]);
        assert_eq!(got.items[0].first("value"), Some("1"));
    }

    /// oscap 1.3.7 gave 33 items for `^net\.ipv4\.conf\.all\.` on this kind of host; the
    /// set must be every readable file of that directory.
    #[test]
    fn pattern_match_walks_proc_sys() {
        let c = SysctlProbe.collect(
            &q(Operation::PatternMatch, r"^net\.ipv4\.conf\.all\."),
            &testutil::live(),
        );
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        let mut expected: Vec<String> = fs::read_dir("/proc/sys/net/ipv4/conf/all")
            .unwrap()
            .flatten()
            .filter(|e| e.metadata().unwrap().permissions().mode() & 0o444 != 0)
            .map(|e| format!("net.ipv4.conf.all.{}", e.file_name().to_string_lossy()))
            .collect();
        expected.sort();
        let names: Vec<_> = c.items.iter().map(|i| i.first("name").unwrap()).collect();
        assert_eq!(names, expected);
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let c = SysctlProbe.collect(
            &q(Operation::Equals, "kernel.printk"),
            &testutil::offline(dir.path()),
        );
        assert_eq!(c.flag, Flag::NotApplicable);
    }
}
