//! Whether a systemd unit is enabled, read from the unit directories as systemctl
//! would for `is-enabled` (systemd.unit(5), "[Install] Section Options"): a link named
//! after the unit in a `*.wants/` or `*.requires/` directory of /etc/systemd/system or
//! the vendor directories enables it; a link of /etc/systemd/system/UNIT to /dev/null
//! masks it. Offline roots are read the same way, so the answer does not need the
//! running service manager.

use std::path::Path;

use crate::probes::Context;

/// The directories whose `*.wants/` links enable units: the administrator's first.
const UNIT_DIRS: [&str; 3] = [
    "/etc/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

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
