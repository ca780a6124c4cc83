//! Whether a systemd unit is enabled, read from the unit directories as systemctl
//! would for `is-enabled` (systemd.unit(5), "[Install] Section Options"): a link named
//! after the unit in a `*.wants/` or `*.requires/` directory of /etc/systemd/system or
//! the vendor directories enables it; a link of /etc/systemd/system/UNIT to /dev/null
//! masks it. Offline roots are read the same way, so the answer does not need the
//! running service manager.
//!
//! [`read_unit`] reads a unit's settings the same way: the unit file of the first unit
//! directory that has it, then its `UNIT.d/*.conf` drop-ins in file-name order
//! (systemd.unit(5), "Description"), a later assignment overriding an earlier one and an
//! empty one resetting it.

use std::path::Path;

use crate::probes::Context;

/// The directories whose `*.wants/` links enable units: the administrator's first.
const UNIT_DIRS: [&str; 3] = [
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// Largest unit file or drop-in read.
const MAX_UNIT_FILE: u64 = 256 * 1024;

/// The settings of one unit, from its file and drop-ins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unit {
    /// The unit file, then the drop-ins read, as host paths.
    pub files: Vec<String>,
    /// `(section, key, value, file:line)` of every assignment, in the order systemd
    /// applies them.
    pub entries: Vec<(String, String, String, String)>,
}

impl Unit {
    /// The effective value of `key` in `section`, with where it is set: the last
    /// assignment, `None` when there is none or the last one is empty (a reset).
    pub fn get(&self, section: &str, key: &str) -> Option<(&str, &str)> {
        self.entries
            .iter()
            .rev()
            .find(|(s, k, _, _)| s == section && k == key)
            .filter(|(_, _, v, _)| !v.is_empty())
            .map(|(_, _, v, at)| (v.as_str(), at.as_str()))
    }

    /// Every value of a list setting (`ExecStart=`) since its last reset, with where.
    pub fn all(&self, section: &str, key: &str) -> Vec<(&str, &str)> {
        let mut out = Vec::new();
        for (s, k, v, at) in &self.entries {
            if s == section && k == key {
                if v.is_empty() {
                    out.clear();
                } else {
                    out.push((v.as_str(), at.as_str()));
                }
            }
        }
        out
    }
}

/// The assignments of a unit file's text (`Key=Value` under `[Section]`; `#` and `;`
/// comments; a line ending in `\` continues on the next).
fn parse_unit(name: &str, text: &str, out: &mut Vec<(String, String, String, String)>) {
    let mut section = String::new();
    let mut lines = text.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let mut line = line.trim().to_string();
        while line.ends_with('\\') {
            line.pop();
            match lines.next() {
                Some((_, next)) => {
                    line.push(' ');
                    line.push_str(next.trim());
                }
                None => break,
            }
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_string();
        } else if let Some((k, v)) = line.split_once('=') {
            out.push((
                section.clone(),
                k.trim().to_string(),
                v.trim().to_string(),
                format!("{name}:{}", n + 1),
            ));
        }
    }
}

/// The settings of `unit` (`vault.service`): `Ok(None)` when no unit directory has it
/// or it is masked; `Err` names a unit file or drop-in that exists but cannot be read.
pub fn read_unit(host: &crate::host::Host, unit: &str) -> Result<Option<Unit>, String> {
    let mut u = Unit::default();
    let read = |p: &str| -> Result<Option<String>, String> {
        host.read_file(Path::new(p), MAX_UNIT_FILE)
            .map(|d| d.map(|d| String::from_utf8_lossy(&d).into_owned()))
            .map_err(|e| format!("{p}: {e}"))
    };
    let masked = host
        .real_nofollow(&Path::new(UNIT_DIRS[0]).join(unit))
        .and_then(|real| host.read_link(&real))
        .is_ok_and(|t| t == Path::new("/dev/null"));
    if masked {
        return Ok(None);
    }
    let Some((file, text)) = UNIT_DIRS
        .iter()
        .map(|d| format!("{d}/{unit}"))
        .find_map(|p| match read(&p) {
            Ok(Some(t)) => Some(Ok((p, t))),
            Ok(None) => None,
            Err(e) => Some(Err(e)),
        })
        .transpose()?
    else {
        return Ok(None);
    };
    parse_unit(&file, &text, &mut u.entries);
    u.files.push(file);
    // Drop-ins: one per file name, the administrator's directory first.
    let mut dropins: std::collections::BTreeMap<String, String> = Default::default();
    for dir in UNIT_DIRS {
        let d = format!("{dir}/{unit}.d");
        let Ok(Some(f)) = host.resolve(Path::new(&d)) else {
            continue;
        };
        if !f.meta.is_dir() {
            continue;
        }
        for name in f.list_dir().unwrap_or_default() {
            let name = name.to_string_lossy().into_owned();
            if name.ends_with(".conf") {
                dropins.entry(name.clone()).or_insert(format!("{d}/{name}"));
            }
        }
    }
    for path in dropins.into_values() {
        if let Some(text) = read(&path)? {
            parse_unit(&path, &text, &mut u.entries);
            u.files.push(path);
        }
    }
    Ok(Some(u))
}

/// `Some(true)` when `unit` is enabled, `Some(false)` when it is masked or no
/// `*.wants/` link names it, `None` when the host has no /etc/systemd/system (not a
/// systemd host, or not one vigil can read: it does not guess).
pub fn enabled(ctx: &Context, unit: &str) -> Option<bool> {
    let etc = ctx.host.resolve(Path::new(UNIT_DIRS[0])).ok().flatten()?;
    if !etc.meta.is_dir() {
        return None;
    }
    if let Ok(real) = ctx.host.real_nofollow(&Path::new(UNIT_DIRS[0]).join(unit))
        && let Ok(target) = ctx.host.read_link(&real)
        && target == Path::new("/dev/null")
    {
        return Some(false);
    }
    for dir in UNIT_DIRS {
        let Ok(Some(d)) = ctx.host.resolve(Path::new(dir)) else {
            continue;
        };
        if !d.meta.is_dir() {
            continue;
        }
        for name in d.list_dir().unwrap_or_default() {
            let name = name.to_string_lossy();
            if !(name.ends_with(".wants") || name.ends_with(".requires")) {
                continue;
            }
            let link = Path::new(dir).join(name.as_ref()).join(unit);
            if let Ok(real) = ctx.host.real_nofollow(&link)
                && ctx.host.lstat(&real).is_ok()
            {
                return Some(true);
            }
        }
    }
    Some(false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::Host;
    use std::os::unix::fs::symlink;
    use std::sync::Arc;

    #[test]
    fn unit_files_and_drop_ins_override_in_order() {
        let d = tempfile::tempdir().unwrap();
        let host = Host::offline(d.path());
        assert_eq!(read_unit(&host, "vault.service"), Ok(None));
        let lib = d.path().join("lib/systemd/system");
        std::fs::create_dir_all(lib.join("vault.service.d")).unwrap();
        std::fs::write(
            lib.join("vault.service"),
            "[Service]\nUser=vault\n# User=root\nExecStart=/usr/bin/vault server \\\n  -config=/etc/vault.d/vault.hcl\nLimitCORE=infinity\n",
        )
        .unwrap();
        std::fs::write(
            lib.join("vault.service.d/10-core.conf"),
            "[Service]\nLimitCORE=0\nUser=\n",
        )
        .unwrap();
        let u = read_unit(&host, "vault.service").unwrap().unwrap();
        assert_eq!(u.files.len(), 2);
        assert_eq!(
            u.get("Service", "LimitCORE"),
            Some(("0", "/lib/systemd/system/vault.service.d/10-core.conf:2"))
        );
        assert_eq!(u.get("Service", "User"), None);
        assert_eq!(
            u.all("Service", "ExecStart"),
            [(
                "/usr/bin/vault server  -config=/etc/vault.d/vault.hcl",
                "/lib/systemd/system/vault.service:4"
            )]
        );
        let etc = d.path().join("etc/systemd/system");
        std::fs::create_dir_all(&etc).unwrap();
        symlink("/dev/null", etc.join("vault.service")).unwrap();
        assert_eq!(read_unit(&host, "vault.service"), Ok(None));
    }

    #[test]
    fn wants_links_enable_and_dev_null_masks() {
        let d = tempfile::tempdir().unwrap();
        let ctx = Context::new(Arc::new(Host::offline(d.path())));
        assert_eq!(enabled(&ctx, "rsyslog.service"), None);
        let etc = d.path().join("etc/systemd/system");
        std::fs::create_dir_all(etc.join("multi-user.target.wants")).unwrap();
        assert_eq!(enabled(&ctx, "rsyslog.service"), Some(false));
        symlink(
            "/lib/systemd/system/rsyslog.service",
            etc.join("multi-user.target.wants/rsyslog.service"),
        )
        .unwrap();
        assert_eq!(enabled(&ctx, "rsyslog.service"), Some(true));
        symlink("/dev/null", etc.join("rsyslog.service")).unwrap();
        assert_eq!(enabled(&ctx, "rsyslog.service"), Some(false));
    }
}
