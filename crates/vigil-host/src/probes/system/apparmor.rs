//! `apparmorstatus_object` (OVAL 5.11.1+ linux schema): the counts `aa-status` prints,
//! from securityfs and `/proc`.
//!
//! - Profiles: every line of `/sys/kernel/security/apparmor/profiles` is one loaded
//!   profile, `NAME (MODE)`; `loaded_profiles_count` counts the lines,
//!   `enforce_mode_profiles_count` and `complain_mode_profiles_count` the modes
//!   `enforce` and `complain` (other modes, such as `kill` or `unconfined`, count as
//!   loaded only, as aa-status does).
//! - Processes: the label of each process is `/proc/<pid>/attr/apparmor/current`
//!   (kernels with LSM stacking) or else `/proc/<pid>/attr/current`. A label `unconfined`
//!   has no profile; `NAME (MODE)` counts in `processes_with_profiles_count` and, by its
//!   mode, in `enforce_mode_processes_count`, `complain_mode_processes_count` or (mode
//!   `unconfined`: a profile in unconfined mode) `unconfined_processes_with_profiles_count`.
//!
//! The object has no entities: one item, the system. Without
//! `/sys/kernel/security/apparmor` AppArmor is not enabled and the object is `not
//! applicable`. oscap 1.3.7 does not implement this test (`oscap -V`); the fixtures record
//! the OVAL answers in `.expect` files.
//!
//! Offline, the profile counts come from `ROOT/sys/kernel/security/apparmor/profiles`
//! (a captured securityfs) through the [`Host`](crate::host::Host); the process counts
//! belong to the running system, so the item has them with status `does not exist` and
//! a state on them cannot be true.

use std::path::Path;

use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};

/// The probe of OVAL 5.11 `linux:apparmorstatus_object`.
pub struct AppArmorProbe;

const APPARMOR: &str = "/sys/kernel/security/apparmor";

/// The profile list is one short line per profile; a few MB covers any policy.
const MAX_PROFILES: u64 = 16 * 1024 * 1024;

/// A label is a profile name and a mode; the kernel caps it at a page.
const MAX_LABEL: u64 = 4096;

/// The mode of a label `NAME (MODE)`; `None` for `unconfined` or anything else.
fn label_mode(label: &str) -> Option<&str> {
    let label = label.trim_end_matches(['\0', '\n']);
    let open = label.rfind(" (")?;
    label[open + 2..].strip_suffix(')')
}

#[derive(Default, Debug, PartialEq)]
struct Counts {
    loaded: u64,
    enforce: u64,
    complain: u64,
}

fn profile_counts(list: &str) -> Counts {
    let mut c = Counts::default();
    for line in list.lines().filter(|l| !l.trim().is_empty()) {
        c.loaded += 1;
        match label_mode(line) {
            Some("enforce") => c.enforce += 1,
            Some("complain") => c.complain += 1,
            _ => {}
        }
    }
    c
}

fn read_label(pid: &str) -> Option<String> {
    use std::io::Read;
    for p in [
        format!("/proc/{pid}/attr/apparmor/current"),
        format!("/proc/{pid}/attr/current"),
    ] {
        let mut buf = Vec::new();
        if std::fs::File::open(&p)
            .and_then(|f| f.take(MAX_LABEL).read_to_end(&mut buf))
            .is_ok()
        {
            return Some(String::from_utf8_lossy(&buf).into_owned());
        }
    }
    None
}

/// (with profiles, enforce, complain, unconfined-mode) over the running processes.
fn process_counts() -> [u64; 4] {
    let mut n = [0u64; 4];
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return n;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let Some(pid) = name
            .to_str()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
        else {
            continue;
        };
        let Some(label) = read_label(pid) else {
            continue;
        };
        let Some(mode) = label_mode(&label) else {
            continue;
        };
        n[0] += 1;
        match mode {
            "enforce" => n[1] += 1,
            "complain" => n[2] += 1,
            "unconfined" => n[3] += 1,
            _ => {}
        }
    }
    n
}

impl Probe<Context> for AppArmorProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["apparmorstatus_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let host = &ctx.host;
        let dir = host.path(Path::new(APPARMOR));
        match host.lstat(&dir) {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Collected::with_flag(
                    Flag::NotApplicable,
                    format!("AppArmor is not enabled: {} does not exist", dir.display()),
                );
            }
            Err(e) => return Collected::error(format!("cannot read {}: {e}", dir.display())),
        }
        let profiles = Path::new(APPARMOR).join("profiles");
        let list = match host.read_file(&profiles, MAX_PROFILES) {
            Ok(Some(b)) => String::from_utf8_lossy(&b).into_owned(),
            Ok(None) => {
                return Collected::error(format!("{} does not exist", profiles.display()));
            }
            Err(e) => return Collected::error(format!("cannot read {}: {e}", profiles.display())),
        };
        let c = profile_counts(&list);
        let mut item = Item::new()
            .field("loaded_profiles_count", c.loaded.to_string())
            .field("enforce_mode_profiles_count", c.enforce.to_string())
            .field("complain_mode_profiles_count", c.complain.to_string());
        let names = [
            "processes_with_profiles_count",
            "enforce_mode_processes_count",
            "complain_mode_processes_count",
            "unconfined_processes_with_profiles_count",
        ];
        if host.is_live() {
            for (name, n) in names.iter().zip(process_counts()) {
                item.push(name, n.to_string());
            }
        } else {
            for name in names {
                item.push_absent(name);
            }
        }
        Collected::from_items(vec![item])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::Family;

    #[test]
    fn modes_and_counts() {
        assert_eq!(label_mode("/usr/sbin/cupsd (enforce)\n"), Some("enforce"));
        assert_eq!(label_mode("unconfined"), None);
        assert_eq!(label_mode("snap.x (complain)"), Some("complain"));
        let c = profile_counts("a (enforce)\nb (complain)\nc (kill)\nd (enforce)\n");
        assert_eq!(
            c,
            Counts {
                loaded: 4,
                enforce: 2,
                complain: 1
            }
        );
    }

    #[test]
    fn offline_profiles_from_a_captured_securityfs() {
        let dir = tempfile::tempdir().unwrap();
        let aa = dir.path().join("sys/kernel/security/apparmor");
        std::fs::create_dir_all(&aa).unwrap();
        std::fs::write(aa.join("profiles"), "a (enforce)\nb (complain)\n").unwrap();
        let q = testutil::query(Family::Linux, "apparmorstatus_object", &[]);
        let c = AppArmorProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        assert_eq!(c.items[0].first("loaded_profiles_count"), Some("2"));
        assert_eq!(c.items[0].first("enforce_mode_profiles_count"), Some("1"));
        assert_eq!(c.items[0].first("processes_with_profiles_count"), None);
        let empty = tempfile::tempdir().unwrap();
        let c = AppArmorProbe.collect(&q, &testutil::offline(empty.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
    }
}
