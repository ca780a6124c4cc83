//! `slackwarepkginfo_object` (OVAL 5.11.1+ linux schema): installed Slackware packages,
//! from the package database `/var/log/packages` (on Slackware 15 a link to
//! `/var/lib/pkgtools/packages`, followed within the root).
//!
//! pkgtools record each installed package as a file named `NAME-VERSION-ARCH-BUILD`
//! (e.g. `bash-5.1.016-x86_64-1`): the last three `-` fields are the version, the
//! architecture and the build (OVAL's `revision`), the rest, dashes and all, the name
//! (`xf86-video-vesa-2.5.0-x86_64-3` is `xf86-video-vesa`). The item is `name`,
//! `version`, `architecture`, `revision`; a name installed twice (during an upgrade)
//! gives two items. An entry with fewer than four fields is not a package record and
//! is skipped. Without `/var/log/packages` no Slackware package is installed: the
//! object does not exist.
//!
//! oscap 1.3.7 does not implement this test (`oscap -V`); the fixture
//! `tests/fixtures/oval/sys/slackwarepkginfo.xml` records the OVAL answers in its
//! `.expect`. Offline roots are read through the [`Host`](crate::host::Host).

use std::path::Path;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches};

/// The probe of OVAL 5.11 `linux:slackwarepkginfo_object`.
pub struct SlackwareProbe;

const PACKAGES: &str = "/var/log/packages";

/// Splits a package record's file name into (name, version, architecture, build).
fn parse_record(file: &str) -> Option<(&str, &str, &str, &str)> {
    let mut it = file.rsplitn(4, '-');
    let build = it.next()?;
    let arch = it.next()?;
    let version = it.next()?;
    let name = it.next()?;
    [name, version, arch, build]
        .iter()
        .all(|s| !s.is_empty())
        .then_some((name, version, arch, build))
}

impl Probe<Context> for SlackwareProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["slackwarepkginfo_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let host = &ctx.host;
        let dir = match host.real_follow(Path::new(PACKAGES)) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut c = Collected::from_items(Vec::new());
                c.messages.push(format!(
                    "{PACKAGES} does not exist: no Slackware package is installed"
                ));
                return c;
            }
            Err(e) => return Collected::error(format!("cannot resolve {PACKAGES}: {e}")),
        };
        let names = match host.list_dir(&dir) {
            Ok(n) => n,
            Err(e) => return Collected::error(format!("cannot list {PACKAGES}: {e}")),
        };
        let mut items = ctx.sink(ctx.deadline());
        for file in names {
            let file = file.to_string_lossy();
            let Some((name, version, arch, build)) = parse_record(&file) else {
                continue;
            };
            match entity_matches(query, "name", name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            let item = Item::new()
                .field("name", name)
                .field("version", version)
                .field("architecture", arch)
                .field("revision", build);
            if query.keep(&item) && items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    #[test]
    fn record_names() {
        assert_eq!(
            parse_record("bash-5.1.016-x86_64-1"),
            Some(("bash", "5.1.016", "x86_64", "1"))
        );
        assert_eq!(
            parse_record("xf86-video-vesa-2.5.0-x86_64-3_slack15.0"),
            Some(("xf86-video-vesa", "2.5.0", "x86_64", "3_slack15.0"))
        );
        assert_eq!(parse_record("bash-5.1-x86_64"), None);
        assert_eq!(parse_record("a--x86_64-1"), None);
    }

    #[test]
    fn offline_package_database() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("var/lib/pkgtools/packages");
        std::fs::create_dir_all(&db).unwrap();
        std::fs::write(db.join("bash-5.1.016-x86_64-1"), "PACKAGE NAME: bash\n").unwrap();
        std::fs::write(db.join("README"), "").unwrap();
        std::fs::create_dir_all(dir.path().join("var/log")).unwrap();
        // Slackware 15's layout: the old path is a link into pkgtools' directory.
        std::os::unix::fs::symlink(
            "../lib/pkgtools/packages",
            dir.path().join("var/log/packages"),
        )
        .unwrap();
        let ctx = testutil::offline(dir.path());
        let q = testutil::query(
            Family::Linux,
            "slackwarepkginfo_object",
            &[("name", Operation::Equals, "bash")],
        );
        let c = SlackwareProbe.collect(&q, &ctx);
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        assert_eq!(c.items[0].first("version"), Some("5.1.016"));
        assert_eq!(c.items[0].first("revision"), Some("1"));
        let q = testutil::query(
            Family::Linux,
            "slackwarepkginfo_object",
            &[("name", Operation::PatternMatch, ".")],
        );
        assert_eq!(SlackwareProbe.collect(&q, &ctx).items.len(), 1);
        let empty = tempfile::tempdir().unwrap();
        let c = SlackwareProbe.collect(&q, &testutil::offline(empty.path()));
        assert_eq!(c.flag, Flag::DoesNotExist);
    }
}
