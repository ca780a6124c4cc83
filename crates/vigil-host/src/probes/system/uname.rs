//! `uname_object` (OVAL 5.11 unix schema, uname_test): the running kernel's identity from
//! `uname(2)`. Matches oscap: `machine_class` and `processor_type` are both the machine
//! field (Linux has no separate processor type), `os_version` is the kernel build string.
//! Not applicable on an offline root: a mounted file system has no running kernel.

use std::ffi::CStr;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::require_live;

/// The probe of OVAL 5.11 `unix:uname_object`: the running kernel (live only).
pub struct UnameProbe;

/// The fields of `struct utsname` as strings.
#[derive(Debug, Clone, PartialEq)]
pub struct Uname {
    /// Operating system name (`Linux`), the item's `os_name`.
    pub sysname: String,
    /// Network node host name, the item's `node_name`.
    pub nodename: String,
    /// Kernel release (`6.1.0-18-amd64`), the item's `os_release`.
    pub release: String,
    /// Kernel build version string, the item's `os_version`.
    pub version: String,
    /// Hardware name (`x86_64`), the item's `machine_class` and `processor_type`.
    pub machine: String,
}

/// uname(2) of the running kernel; the error is the system call's.
pub fn uname() -> std::io::Result<Uname> {
    // SAFETY: utsname is plain old data; uname(2) fills it with NUL-terminated strings.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    let s = |f: &[libc::c_char]| {
        // SAFETY: the kernel NUL-terminates every field within its array.
        unsafe { CStr::from_ptr(f.as_ptr()) }
            .to_string_lossy()
            .into_owned()
    };
    Ok(Uname {
        sysname: s(&u.sysname),
        nodename: s(&u.nodename),
        release: s(&u.release),
        version: s(&u.version),
        machine: s(&u.machine),
    })
}

impl Probe<Context> for UnameProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["uname_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        match uname() {
            Ok(u) => Collected::from_items(vec![
                Item::new()
                    .field("machine_class", u.machine.as_str())
                    .field("node_name", u.nodename)
                    .field("os_name", u.sysname)
                    .field("os_release", u.release)
                    .field("os_version", u.version)
                    .field("processor_type", u.machine),
            ]),
            Err(e) => Collected::error(format!("uname(2) failed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::Family;

    fn uname_cmd(flag: &str) -> String {
        let out = crate::testtool::tool("uname").arg(flag).output().unwrap();
        String::from_utf8(out.stdout)
            .unwrap()
            .trim_end()
            .to_string()
    }

    #[test]
    fn live_uname_matches_uname_command() {
        let q = testutil::query(Family::Unix, "uname_object", &[]);
        let c = UnameProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::Complete);
        let it = &c.items[0];
        assert_eq!(it.first("os_name"), Some(uname_cmd("-s").as_str()));
        assert_eq!(it.first("node_name"), Some(uname_cmd("-n").as_str()));
        assert_eq!(it.first("os_release"), Some(uname_cmd("-r").as_str()));
        assert_eq!(it.first("os_version"), Some(uname_cmd("-v").as_str()));
        assert_eq!(it.first("machine_class"), Some(uname_cmd("-m").as_str()));
        assert_eq!(it.first("processor_type"), Some(uname_cmd("-m").as_str()));
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let q = testutil::query(Family::Unix, "uname_object", &[]);
        let c = UnameProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
        assert!(c.items.is_empty());
    }
}
