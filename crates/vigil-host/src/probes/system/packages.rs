//! `dpkginfo_object` (OVAL 5.11 linux schema): installed Debian packages. The rpm
//! objects (`rpminfo_object` and the rpmverify family) are in [`super::rpm`].
//!
//! dpkg: vigil reads `/var/lib/dpkg/status` itself (through `Host`, so offline
//! roots work), parsed once per file version and shared by every object of a scan.
//! Behaviour checked against oscap 1.3.7 (which asks libapt-pkg):
//! - a package is reported when dpkg has a current version for it: status `installed`,
//!   and also `unpacked`, `half-configured`, `half-installed`, `triggers-awaited`,
//!   `triggers-pending`; never `not-installed` or `config-files`;
//! - `epoch` is `0` when the version has none; `release` is what follows the first
//!   hyphen of the version (see [`split_version`]), empty for native packages; `evr` is `epoch:version-release`, or `epoch:version` for
//!   native packages (`0:3.134`), which is what ssg's `evr_string` states compare;
//! - `name` is the bare package name (`libc6:amd64` names nothing).
//!
//! Differs from oscap on purpose: oscap only looks names up exactly and ignores the
//! operation (a `pattern match` finds nothing and `not equal bash` returns bash); vigil
//! applies the operation as OVAL defines it. ssg only uses `equals`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches, exact};

const DPKG_STATUS: &str = "/var/lib/dpkg/status";

/// One package with a current version in the dpkg database.
#[derive(Debug, Clone, PartialEq)]
pub struct DpkgPackage {
    /// Package name (`Package:`).
    pub name: String,
    /// Architecture (`Architecture:`), e.g. `amd64`, `all`.
    pub arch: String,
    /// Epoch of the version, `0` when the version has none.
    pub epoch: String,
    /// Upstream version: the version without epoch and revision, split at the first
    /// hyphen.
    pub version: String,
    /// Debian revision after the first hyphen; empty for a native package.
    pub release: String,
}

impl DpkgPackage {
    /// The `evr` field: `epoch:version-release`, or `epoch:version` without a revision.
    pub fn evr(&self) -> String {
        if self.release.is_empty() {
            format!("{}:{}", self.epoch, self.version)
        } else {
            format!("{}:{}-{}", self.epoch, self.version, self.release)
        }
    }

    fn item(&self) -> Item {
        Item::new()
            .field("name", self.name.as_str())
            .field("arch", self.arch.as_str())
            .field("epoch", self.epoch.as_str())
            .field("release", self.release.as_str())
            .field("version", self.version.as_str())
            .field("evr", self.evr())
    }
}

/// Splits a Debian version `[epoch:]upstream[-revision]` into (epoch, version,
/// release). Debian Policy §5.6.12 puts the revision after the *last* hyphen, but oscap
/// splits at the *first* one (`2.1.12-stable-8` is version `2.1.12`, release
/// `stable-8`); vigil does the same so `version`/`release` states agree with oscap. The
/// `evr` string is the same either way.
pub fn split_version(v: &str) -> (String, String, String) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e.to_string(), r),
        None => ("0".to_string(), v),
    };
    let (upstream, revision) = match rest.split_once('-') {
        Some((u, r)) => (u.to_string(), r.to_string()),
        None => (rest.to_string(), String::new()),
    };
    (epoch, upstream, revision)
}

/// dpkg states for which the package has a current (possibly unconfigured) version.
fn has_current_version(status: &str) -> bool {
    matches!(
        status.split_whitespace().nth(2),
        Some(
            "installed"
                | "unpacked"
                | "half-configured"
                | "half-installed"
                | "triggers-awaited"
                | "triggers-pending"
        )
    )
}

/// Parses a dpkg status file (RFC 822-style stanzas separated by blank lines).
pub fn parse_status(text: &str) -> Vec<DpkgPackage> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let (mut name, mut status, mut arch, mut version) = (None, None, None, None);
        for line in stanza.lines() {
            if line.starts_with([' ', '\t']) {
                continue;
            }
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let value = value.trim();
            match key {
                "Package" => name = Some(value),
                "Status" => status = Some(value),
                "Architecture" => arch = Some(value),
                "Version" => version = Some(value),
                _ => {}
            }
        }
        let (Some(name), Some(status), Some(version)) = (name, status, version) else {
            continue;
        };
        if !has_current_version(status) {
            continue;
        }
        let (epoch, version, release) = split_version(version);
        out.push(DpkgPackage {
            name: name.to_string(),
            arch: arch.unwrap_or_default().to_string(),
            epoch,
            version,
            release,
        });
    }
    out
}

type Cached = (PathBuf, SystemTime, u64, Arc<Vec<DpkgPackage>>);

/// The dpkginfo probe, with the parsed database of the last status file it read.
#[derive(Default)]
pub struct DpkgProbe {
    cache: Mutex<Option<Cached>>,
}

impl DpkgProbe {
    /// The packages of the host's dpkg database; `Ok(None)` when there is none.
    fn packages(&self, ctx: &Context) -> std::io::Result<Option<Arc<Vec<DpkgPackage>>>> {
        // Links resolve within the root: an image's /var/lib/dpkg -> /data/dpkg is the
        // image's database, never the scanner's.
        let Some(f) = ctx.host.resolve(Path::new(DPKG_STATUS))? else {
            return Ok(None);
        };
        if !f.meta.is_file() {
            return Ok(None);
        }
        let mtime = f.meta.modified()?;
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, t, len, pkgs)) = cache.as_ref()
            && *p == f.real
            && *t == mtime
            && *len == f.meta.len()
        {
            return Ok(Some(pkgs.clone()));
        }
        let text = String::from_utf8_lossy(&f.read(ctx.max_file_size)?).into_owned();
        let pkgs = Arc::new(parse_status(&text));
        *cache = Some((f.real.clone(), mtime, f.meta.len(), pkgs.clone()));
        Ok(Some(pkgs))
    }
}

impl Probe<Context> for DpkgProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["dpkginfo_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pkgs = match self.packages(ctx) {
            Ok(Some(p)) => p,
            Ok(None) => return Collected::from_items(Vec::new()),
            Err(e) => return Collected::error(format!("cannot read {DPKG_STATUS}: {e}")),
        };
        let mut items = ctx.sink(ctx.deadline());
        if let Some(names) = exact(query, "name") {
            for p in pkgs.iter().filter(|p| names.contains(&p.name)) {
                if items.push(p.item()).is_err() {
                    break;
                }
            }
        } else {
            for p in pkgs.iter() {
                match entity_matches(query, "name", &p.name) {
                    Ok(true) => {
                        if items.push(p.item()).is_err() {
                            break;
                        }
                    }
                    Ok(false) => {}
                    Err(e) => return compare_error(query, e),
                }
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
    use std::fs;
    use vigil_core::content::oval::{Family, Operation};

    const STATUS: &str = "Package: bash
Status: install ok installed
Priority: required
Architecture: amd64
Version: 5.2.15-2+b8
Description: GNU Bourne Again SHell
 Package: not-a-field
 .

Package: attr
Status: install ok installed
Architecture: amd64
Version: 1:2.5.1-4

Package: gone
Status: deinstall ok config-files
Architecture: amd64
Version: 1.0-1

Package: half
Status: install ok half-configured
Architecture: all
Version: 2.0

Package: unp
Status: install ok unpacked
Architecture: all
Version: 3:1.2-3-4

Package: notinst
Status: purge ok not-installed
Architecture: amd64
";

    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("var/lib/dpkg")).unwrap();
        fs::write(dir.path().join("var/lib/dpkg/status"), STATUS).unwrap();
        dir
    }

    fn name_q(op: Operation, v: &str) -> ObjectQuery {
        testutil::query(Family::Linux, "dpkginfo_object", &[("name", op, v)])
    }

    #[test]
    fn only_packages_with_a_current_version() {
        let pkgs = parse_status(STATUS);
        let names: Vec<_> = pkgs.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["bash", "attr", "half", "unp"]);
    }

    /// Field values as oscap 1.3.7 reported them for bash, attr (epoch 1) and adduser
    /// (native: empty release, evr without a hyphen) on the live host.
    #[test]
    fn fields_match_oscap() {
        let dir = root();
        let ctx = testutil::offline(dir.path());
        let probe = DpkgProbe::default();
        let c = probe.collect(&name_q(Operation::Equals, "bash"), &ctx);
        let it = &c.items[0];
        assert_eq!(it.first("arch"), Some("amd64"));
        assert_eq!(it.first("epoch"), Some("0"));
        assert_eq!(it.first("version"), Some("5.2.15"));
        assert_eq!(it.first("release"), Some("2+b8"));
        assert_eq!(it.first("evr"), Some("0:5.2.15-2+b8"));
        let c = probe.collect(&name_q(Operation::Equals, "attr"), &ctx);
        assert_eq!(c.items[0].first("evr"), Some("1:2.5.1-4"));
        let c = probe.collect(&name_q(Operation::Equals, "half"), &ctx);
        assert_eq!(c.items[0].first("release"), Some(""));
        assert_eq!(c.items[0].first("evr"), Some("0:2.0"));
        let c = probe.collect(&name_q(Operation::Equals, "unp"), &ctx);
        // oscap splits at the first hyphen (seen on libevent-2.1-7 2.1.12-stable-8).
        assert_eq!(c.items[0].first("version"), Some("1.2"));
        assert_eq!(c.items[0].first("release"), Some("3-4"));
        assert_eq!(c.items[0].first("evr"), Some("3:1.2-3-4"));
        for missing in ["gone", "notinst", "nosuch", "bash:amd64"] {
            let c = probe.collect(&name_q(Operation::Equals, missing), &ctx);
            assert_eq!(c.flag, Flag::DoesNotExist, "{missing}");
        }
    }

    #[test]
    fn pattern_match_on_names() {
        let dir = root();
        let c = DpkgProbe::default().collect(
            &name_q(Operation::PatternMatch, "^(ba|un)"),
            &testutil::offline(dir.path()),
        );
        let names: Vec<_> = c.items.iter().map(|i| i.first("name").unwrap()).collect();
        assert_eq!(names, ["bash", "unp"], "{:?}", c.messages);
    }

    #[test]
    fn cache_follows_file_changes() {
        let dir = root();
        let ctx = testutil::offline(dir.path());
        let probe = DpkgProbe::default();
        assert_eq!(
            probe
                .collect(&name_q(Operation::Equals, "bash"), &ctx)
                .items
                .len(),
            1
        );
        fs::write(
            dir.path().join("var/lib/dpkg/status"),
            "Package: zsh\nStatus: install ok installed\nVersion: 5.9-4\n",
        )
        .unwrap();
        assert_eq!(
            probe.collect(&name_q(Operation::Equals, "bash"), &ctx).flag,
            Flag::DoesNotExist
        );
        assert_eq!(
            probe
                .collect(&name_q(Operation::Equals, "zsh"), &ctx)
                .items
                .len(),
            1
        );
    }

    #[test]
    fn live_versions_match_dpkg_query() {
        let probe = DpkgProbe::default();
        let ctx = testutil::live();
        for pkg in ["bash", "libc6", "dpkg", "coreutils", "adduser"] {
            let out = crate::testtool::tool("dpkg-query")
                .args(["-W", "-f=${Version} ${Architecture}", pkg])
                .output()
                .unwrap();
            let expected = String::from_utf8(out.stdout).unwrap();
            let (version, arch) = expected.split_once(' ').unwrap();
            let c = probe.collect(&name_q(Operation::Equals, pkg), &ctx);
            assert_eq!(c.items.len(), 1, "{pkg}");
            let it = &c.items[0];
            let evr = it.first("evr").unwrap();
            let rebuilt = if version.contains(':') {
                evr
            } else {
                evr.strip_prefix("0:").unwrap()
            };
            assert_eq!(rebuilt, version, "{pkg}");
            assert_eq!(it.first("arch"), Some(arch), "{pkg}");
            // The evr must order like dpkg orders the version.
            let ok = crate::testtool::tool("dpkg")
                .args(["--compare-versions", evr, "eq", version])
                .status()
                .unwrap();
            assert!(ok.success(), "{pkg}: {evr} vs {version}");
        }
    }

    #[test]
    fn no_dpkg_database_does_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let c = DpkgProbe::default().collect(
            &name_q(Operation::Equals, "bash"),
            &testutil::offline(dir.path()),
        );
        assert_eq!(c.flag, Flag::DoesNotExist);
    }
}
