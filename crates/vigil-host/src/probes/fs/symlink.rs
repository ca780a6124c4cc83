//! `symlink_item` construction (OVAL 5.11 unix-system-characteristics): a symbolic
//! link's `filepath` and the `canonical_path` it finally resolves to, resolved within the
//! scanned host's root. A path that is not a link gives no item; a dangling or looping
//! link gives an item in error.

use std::path::Path;

use crate::host::Host;
use crate::probes::{Item, ItemStatus};

pub(crate) fn item(host: &Host, host_path: &Path) -> Item {
    match host.canonical(host_path) {
        Ok(c) => Item::new()
            .field("filepath", host_path.to_string_lossy())
            .field("canonical_path", c.to_string_lossy()),
        Err(e) => {
            let mut i = Item::with_status(
                ItemStatus::Error,
                format!("cannot resolve symbolic link {}: {e}", host_path.display()),
            );
            i.push("filepath", host_path.to_string_lossy());
            i.push_absent("canonical_path");
            i
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn chains_dangling_and_offline() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("etc/alt")).unwrap();
        std::fs::write(r.join("etc/alt/real"), b"").unwrap();
        symlink("/etc/alt/real", r.join("etc/a")).unwrap();
        symlink("a", r.join("etc/b")).unwrap();
        symlink("/nowhere", r.join("etc/c")).unwrap();
        let host = Host::offline(r);
        let i = item(&host, Path::new("/etc/b"));
        assert_eq!(i.first("canonical_path"), Some("/etc/alt/real"));
        let i = item(&host, Path::new("/etc/c"));
        assert_eq!(i.status, ItemStatus::Error);
        // Live: the same tree seen through the real path.
        let live = item(&Host::live(), &r.join("etc/alt/../b"));
        assert_eq!(
            live.status,
            ItemStatus::Error,
            "/etc/alt/real does not exist on the live host"
        );
        symlink("alt/real", r.join("etc/d")).unwrap();
        let live = item(&Host::live(), &r.join("etc/d"));
        assert_eq!(
            live.first("canonical_path"),
            Some(
                &*r.canonicalize()
                    .unwrap()
                    .join("etc/alt/real")
                    .to_string_lossy()
            )
        );
    }
}
