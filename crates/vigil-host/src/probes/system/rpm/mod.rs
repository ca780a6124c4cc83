//! rpm packages (OVAL 5.11 linux schema): `rpminfo_object`, `rpmverify_object`
//! (deprecated since 5.7, still read by old content), `rpmverifyfile_object` and
//! `rpmverifypackage_object`, from the host's rpm database read by vigil itself
//! ([`db`], [`header`]): no rpm library or program is needed on the scanned host, and
//! offline (`--root`) the database and every verified file are read inside the root
//! through [`crate::host::Host`].
//!
//! Compared with oscap 1.3.7 (librpm 4.18) on databases built by Debian's `rpm`
//! (`tests/fixtures/oval/rpm/`, both tools offline on the same root; unit tests below
//! against packages built by `rpmbuild` and installed by `rpm`):
//! - no database: every object does not exist (as oscap); a Berkeley DB or ndb
//!   database, or an sqlite one with a pending write-ahead log: not collected, with
//!   the reason (vigil reads only the sqlite backend).
//! - `epoch` is `(none)` for a package without one (rpm's `%{EPOCH}`, as oscap
//!   reports it); `evr` and `extended_name` use `0` then. `signature_keyid` is the
//!   issuer key id of the SIGGPG (else SIGPGP) signature, `0` when unsigned (oscap).
//! - rpminfo `filepaths="true"` lists every file of the package, in header order.
//! - file verification follows rpm's `rpmfilesVerify` ([`verify`]): a file that
//!   cannot be examined (missing, unreadable) gives `not performed` for every
//!   attribute, an attribute omitted by a behavior `not performed`, an attribute rpm
//!   does not check for that file type (a directory's digest) `pass`, as oscap.
//!
//! Deliberate differences from oscap:
//! - entity operations: oscap accepts only `equals`, `not equal` and `pattern match`
//!   on names and paths (others are an error); vigil applies every OVAL operation.
//! - `rpmverifypackage`: oscap runs `rpm -V` through librpm, which runs the package's
//!   `%verifyscript` (a probe must not run package code), and offline it skips the
//!   checks yet reports them passed. vigil checks dependencies itself (Requires and
//!   Conflicts against every installed Provides and file), and reports the digest,
//!   signature and script checks it does not perform as not collected unless the
//!   object's behaviors turn them off (`nodigest`, `nosignature`, `noscripts`).
//! - `signature_keyid` of a package signed by rpm >= 4.14 (header signature
//!   RSAHEADER/DSAHEADER only, no SIGPGP): oscap reports `0`, as if unsigned; vigil
//!   reports the key id the header is signed with (the schema: "the 64-bit PGP key
//!   ID that the RPM issuer ... uses to sign the key").
//! - rpmverifyfile with an `equals` filepath: oscap 1.3.7 returns several items for
//!   the one path, carrying other files' results (seen on the fixture root); vigil
//!   gives the one item the schema defines (oscap's `pattern match` results agree).
//! - rpmverifyfile `epoch` `(none)` (the schema's spelling of no epoch) selects the
//!   packages without one; oscap passes it to librpm as an exact EPOCH and finds none.
//! - users and groups are named from the host's (the root's) `/etc/passwd` and
//!   `/etc/group`, not NSS.

pub mod caps;
pub mod db;
pub mod deps;
pub mod header;
pub mod pgp;
pub mod verify;

use std::sync::Arc;

use crate::host::accounts::Accounts;
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::compare_error;
use db::{Package, Packages, RpmDb, RpmFile};
use verify::{Verifier, bit, fflag};

/// The database shared by the rpm probes of one registry.
pub type Shared = Arc<RpmDb>;

fn packages(db: &RpmDb, ctx: &Context) -> Result<Arc<Vec<Package>>, Collected> {
    match db.packages(&ctx.host) {
        Packages::Read(p) => Ok(p),
        Packages::NoDatabase => Err(Collected::from_items(Vec::new())),
        Packages::Unreadable(why) => Err(Collected::not_collected(why)),
    }
}

/// `true` when the behavior `name` is `true`.
fn on(query: &ObjectQuery, name: &str) -> bool {
    query.behavior(name) == Some("true")
}

/// Does the package match the object's name/epoch/version/release/arch entities
/// (those the object has)?
fn package_selected(
    q: &ObjectQuery,
    p: &Package,
    fields: &[&str],
) -> Result<bool, vigil_core::values::compare::CompareError> {
    for f in fields {
        let v = match *f {
            "name" => p.name.clone(),
            "epoch" => p.epoch_str(),
            "version" => p.version.clone(),
            "release" => p.release.clone(),
            "arch" => p.arch_str().to_string(),
            _ => continue,
        };
        if !q.selects(f, &v)? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `linux:rpminfo_object`.
pub struct InfoProbe(pub Shared);

impl Probe<Context> for InfoProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["rpminfo_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pkgs = match packages(&self.0, ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let filepaths = on(query, "filepaths");
        let mut items = ctx.sink(ctx.deadline());
        for p in pkgs.iter() {
            match package_selected(query, p, &["name"]) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            let mut it = Item::new()
                .field("name", p.name.as_str())
                .field("arch", p.arch_str())
                .field("epoch", p.epoch_str())
                .field("release", p.release.as_str())
                .field("version", p.version.as_str())
                .field("evr", p.evr())
                .field(
                    "signature_keyid",
                    p.signature_keyid.as_deref().unwrap_or("0"),
                )
                .field("extended_name", p.extended_name());
            if filepaths {
                for f in &p.files {
                    it.push("filepath", f.path.as_str());
                }
            }
            if items.push(it).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

/// What the file-verification behaviors ask for.
struct FileBehaviors {
    omit: u32,
    skip_config: bool,
    skip_ghost: bool,
}

fn file_behaviors(q: &ObjectQuery) -> FileBehaviors {
    let mut omit = 0;
    for (name, b) in [
        ("nolinkto", bit::LINKTO),
        ("nomd5", bit::FILEDIGEST),
        ("nofiledigest", bit::FILEDIGEST),
        ("nosize", bit::FILESIZE),
        ("nouser", bit::USER),
        ("nogroup", bit::GROUP),
        ("nomtime", bit::MTIME),
        ("nomode", bit::MODE),
        ("nordev", bit::RDEV),
        ("nocaps", bit::CAPS),
    ] {
        if on(q, name) {
            omit |= b;
        }
    }
    FileBehaviors {
        omit,
        skip_config: on(q, "noconfigfiles"),
        skip_ghost: on(q, "noghostfiles"),
    }
}

fn result(vflags: u32, omit: u32, b: u32) -> &'static str {
    if omit & b != 0 || vflags & bit::FAILURES != 0 {
        "not performed"
    } else if vflags & b != 0 {
        "fail"
    } else {
        "pass"
    }
}

fn push_results(it: &mut Item, vflags: u32, omit: u32, f: &RpmFile, digest_field: bool) {
    let r = |b| result(vflags, omit, b);
    it.push("size_differs", r(bit::FILESIZE));
    it.push("mode_differs", r(bit::MODE));
    it.push("md5_differs", r(bit::FILEDIGEST));
    if digest_field {
        it.push("filedigest_differs", r(bit::FILEDIGEST));
    }
    it.push("device_differs", r(bit::RDEV));
    it.push("link_mismatch", r(bit::LINKTO));
    it.push("ownership_differs", r(bit::USER));
    it.push("group_differs", r(bit::GROUP));
    it.push("mtime_differs", r(bit::MTIME));
    it.push("capabilities_differ", r(bit::CAPS));
    let b = |x: u32| if f.flags & x != 0 { "true" } else { "false" };
    it.push("configuration_file", b(fflag::CONFIG));
    it.push("documentation_file", b(fflag::DOC));
    it.push("ghost_file", b(fflag::GHOST));
    it.push("license_file", b(fflag::LICENSE));
    it.push("readme_file", b(fflag::README));
}

/// Verifies the files of the selected packages; `legacy` is `rpmverify_object`.
fn collect_files(db: &RpmDb, query: &ObjectQuery, ctx: &Context, legacy: bool) -> Collected {
    let pkgs = match packages(db, ctx) {
        Ok(p) => p,
        Err(c) => return c,
    };
    let accounts = match Accounts::read(&ctx.host) {
        Ok(a) => a,
        Err(e) => return Collected::error(format!("reading the host's accounts: {e}")),
    };
    let v = Verifier {
        host: &ctx.host,
        accounts: &accounts,
    };
    let bh = file_behaviors(query);
    let fields: &[&str] = if legacy {
        &["name"]
    } else {
        &["name", "epoch", "version", "release", "arch"]
    };
    let deadline = ctx.deadline();
    let mut items = ctx.sink(deadline.clone());
    'pkgs: for p in pkgs.iter() {
        match package_selected(query, p, fields) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(e) => return compare_error(query, e),
        }
        for f in &p.files {
            if (bh.skip_config && f.flags & fflag::CONFIG != 0)
                || (bh.skip_ghost && f.flags & fflag::GHOST != 0)
            {
                continue;
            }
            match query.selects("filepath", &f.path) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            if deadline.expired() {
                break 'pkgs;
            }
            let vflags = v.verify(f, p.digest_algo, bh.omit);
            let mut it = Item::new().field("name", p.name.as_str());
            if !legacy {
                it.push("epoch", p.epoch_str());
                it.push("version", p.version.as_str());
                it.push("release", p.release.as_str());
                it.push("arch", p.arch_str());
            }
            it.push("filepath", f.path.as_str());
            if !legacy {
                it.push("extended_name", p.extended_name());
            }
            push_results(&mut it, vflags, bh.omit, f, !legacy);
            if items.push(it).is_err() {
                break 'pkgs;
            }
        }
    }
    items.into_collected()
}

/// `linux:rpmverifyfile_object`.
pub struct VerifyFileProbe(pub Shared);

impl Probe<Context> for VerifyFileProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["rpmverifyfile_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        collect_files(&self.0, query, ctx, false)
    }
}

/// `linux:rpmverify_object` (deprecated in OVAL 5.7, kept for old content).
pub struct VerifyProbe(pub Shared);

impl Probe<Context> for VerifyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["rpmverify_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        collect_files(&self.0, query, ctx, true)
    }
}

/// `linux:rpmverifypackage_object`.
pub struct VerifyPackageProbe(pub Shared);

impl Probe<Context> for VerifyPackageProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["rpmverifypackage_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pkgs = match packages(&self.0, ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let deps = !on(query, "nodeps");
        let mut unperformed = Vec::new();
        for (b, what) in [
            ("nodigest", "the header digest check"),
            ("nosignature", "the signature check"),
            (
                "noscripts",
                "the package's %verifyscript (a probe never runs package code)",
            ),
        ] {
            if !on(query, b) {
                unperformed.push(format!("{what} (behavior {b}=\"true\" skips it)"));
            }
        }
        let mut selected = Vec::new();
        for p in pkgs.iter() {
            match package_selected(query, p, &["name", "epoch", "version", "release", "arch"]) {
                Ok(true) => selected.push(p),
                Ok(false) => {}
                Err(e) => return compare_error(query, e),
            }
        }
        if !selected.is_empty() && !unperformed.is_empty() {
            return Collected::not_collected(format!(
                "vigil does not perform {}",
                unperformed.join(", ")
            ));
        }
        let index = deps.then(|| deps::Index::new(&pkgs));
        let mut items = ctx.sink(ctx.deadline());
        for p in selected {
            let mut it = Item::new()
                .field("name", p.name.as_str())
                .field("epoch", p.epoch_str())
                .field("version", p.version.as_str())
                .field("release", p.release.as_str())
                .field("arch", p.arch_str())
                .field("extended_name", p.extended_name());
            if let Some(ix) = &index {
                match ix.satisfied(p) {
                    Ok(ok) => it.push("dependency_check_passed", if ok { "true" } else { "false" }),
                    Err(why) => {
                        return Collected::not_collected(format!(
                            "{}: dependency check: {why}",
                            p.extended_name()
                        ));
                    }
                }
            }
            if items.push(it).is_err() {
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
    use crate::testtool::tool;
    use std::fs;
    use vigil_core::content::oval::{Family, Operation};

    const SPEC: &str = "Name: vtest\nVersion: 1.0\nRelease: 2\nEpoch: 3\nSummary: t\nLicense: MIT\n\
BuildArch: noarch\nRequires: vother\n%description\nt\n%install\nmkdir -p %{buildroot}/opt/vtest\n\
echo one > %{buildroot}/opt/vtest/a\necho two > %{buildroot}/opt/vtest/b\n\
ln -s a %{buildroot}/opt/vtest/l\n%files\n/opt/vtest/a\n%config /opt/vtest/b\n/opt/vtest/l\n";

    /// A root with vtest installed by the real rpm (sqlite database at /var/lib/rpm).
    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let top = dir.path().join("build");
        fs::create_dir_all(&top).unwrap();
        fs::write(top.join("vtest.spec"), SPEC).unwrap();
        let ok = tool("rpmbuild")
            .arg("--quiet")
            .arg("--define")
            .arg(format!("_topdir {}", top.display()))
            .args(["-bb"])
            .arg(top.join("vtest.spec"))
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        let root = dir.path().join("root");
        fs::create_dir_all(&root).unwrap();
        let ok = tool("rpm")
            .arg("--root")
            .arg(&root)
            .args(["--dbpath", "/var/lib/rpm", "-i", "--nodeps"])
            .arg(top.join("RPMS/noarch/vtest-1.0-2.noarch.rpm"))
            .output()
            .unwrap();
        assert!(
            ok.status.success(),
            "{}",
            String::from_utf8_lossy(&ok.stderr)
        );
        dir
    }

    fn q(kind: &str, e: &[(&str, Operation, &str)]) -> ObjectQuery {
        testutil::query(Family::Linux, kind, e)
    }

    #[test]
    fn rpminfo_from_a_database_rpm_built() {
        let dir = root();
        let ctx = testutil::offline(&dir.path().join("root"));
        let probe = InfoProbe(Shared::default());
        let c = probe.collect(
            &q("rpminfo_object", &[("name", Operation::Equals, "vtest")]),
            &ctx,
        );
        assert_eq!(c.items.len(), 1, "{:?}", c.messages);
        let it = &c.items[0];
        assert_eq!(it.first("epoch"), Some("3"));
        assert_eq!(it.first("evr"), Some("3:1.0-2"));
        assert_eq!(it.first("arch"), Some("noarch"));
        assert_eq!(it.first("signature_keyid"), Some("0"));
        assert_eq!(it.first("extended_name"), Some("vtest-3:1.0-2.noarch"));
        assert_eq!(it.first("filepath"), None);
        let mut fq = q("rpminfo_object", &[("name", Operation::Equals, "vtest")]);
        fq.behaviors.insert("filepaths".into(), "true".into());
        let c = probe.collect(&fq, &ctx);
        let paths: Vec<_> = c.items[0].values("filepath").flatten().collect();
        assert_eq!(paths, ["/opt/vtest/a", "/opt/vtest/b", "/opt/vtest/l"]);
        let c = probe.collect(
            &q("rpminfo_object", &[("name", Operation::Equals, "nosuch")]),
            &ctx,
        );
        assert_eq!(c.flag, Flag::DoesNotExist);
    }

    #[test]
    fn verify_sees_what_rpm_v_sees() {
        let dir = root();
        let r = dir.path().join("root");
        fs::write(r.join("opt/vtest/a"), "ONE\n").unwrap();
        // The build may share the second of the write: make the mtime differ for sure.
        fs::File::options()
            .write(true)
            .open(r.join("opt/vtest/a"))
            .unwrap()
            .set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(86_400))
            .unwrap();
        fs::remove_file(r.join("opt/vtest/b")).unwrap();
        let ctx = testutil::offline(&r);
        let probe = VerifyFileProbe(Shared::default());
        let c = probe.collect(
            &q(
                "rpmverifyfile_object",
                &[
                    ("name", Operation::Equals, "vtest"),
                    ("filepath", Operation::PatternMatch, "."),
                ],
            ),
            &ctx,
        );
        let by = |p: &str| {
            c.items
                .iter()
                .find(|i| i.first("filepath") == Some(p))
                .unwrap()
        };
        let a = by("/opt/vtest/a");
        assert_eq!(a.first("filedigest_differs"), Some("fail"));
        assert_eq!(a.first("size_differs"), Some("pass"));
        assert_eq!(a.first("mtime_differs"), Some("fail"));
        let b = by("/opt/vtest/b");
        assert_eq!(b.first("size_differs"), Some("not performed"));
        assert_eq!(b.first("configuration_file"), Some("true"));
        let l = by("/opt/vtest/l");
        assert_eq!(l.first("link_mismatch"), Some("pass"));
        // rpm itself agrees on the changed file.
        let out = tool("rpm")
            .arg("--root")
            .arg(&r)
            .args(["--dbpath", "/var/lib/rpm", "-V", "--nodeps", "vtest"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("..5....T.    /opt/vtest/a"), "{text}");
        assert!(text.contains("missing   c /opt/vtest/b"), "{text}");
    }

    #[test]
    fn verifypackage_checks_dependencies_only_when_asked() {
        let dir = root();
        let ctx = testutil::offline(&dir.path().join("root"));
        let probe = VerifyPackageProbe(Shared::default());
        let mut query = q(
            "rpmverifypackage_object",
            &[("name", Operation::Equals, "vtest")],
        );
        assert_eq!(probe.collect(&query, &ctx).flag, Flag::NotCollected);
        for b in ["nodigest", "nosignature", "noscripts"] {
            query.behaviors.insert(b.into(), "true".into());
        }
        let c = probe.collect(&query, &ctx);
        // Requires: vother, which nothing provides.
        assert_eq!(c.items[0].first("dependency_check_passed"), Some("false"));
    }

    #[test]
    fn no_other_or_unsafe_database() {
        let dir = tempfile::tempdir().unwrap();
        let ctx = testutil::offline(dir.path());
        let query = q("rpminfo_object", &[("name", Operation::Equals, "bash")]);
        let probe = InfoProbe(Shared::default());
        assert_eq!(probe.collect(&query, &ctx).flag, Flag::DoesNotExist);
        let db = dir.path().join("var/lib/rpm");
        fs::create_dir_all(&db).unwrap();
        assert_eq!(probe.collect(&query, &ctx).flag, Flag::DoesNotExist);
        fs::write(db.join("Packages"), b"bdb").unwrap();
        let c = probe.collect(&query, &ctx);
        assert_eq!(c.flag, Flag::NotCollected);
        assert!(c.messages[0].contains("Berkeley DB"), "{:?}", c.messages);
        fs::remove_file(db.join("Packages")).unwrap();
        fs::write(db.join("rpmdb.sqlite"), b"not a database at all").unwrap();
        let c = probe.collect(&query, &ctx);
        assert_eq!(c.flag, Flag::NotCollected);
        assert!(c.messages[0].contains("sqlite"), "{:?}", c.messages);
    }

    #[test]
    fn a_pending_write_ahead_log_is_not_read_past() {
        let dir = root();
        let r = dir.path().join("root");
        fs::write(r.join("var/lib/rpm/rpmdb.sqlite-wal"), b"uncommitted").unwrap();
        let c = InfoProbe(Shared::default()).collect(
            &q("rpminfo_object", &[("name", Operation::Equals, "vtest")]),
            &testutil::offline(&r),
        );
        assert_eq!(c.flag, Flag::NotCollected);
        assert!(
            c.messages[0].contains("write-ahead log"),
            "{:?}",
            c.messages
        );
    }

    #[test]
    fn a_crafted_header_in_a_real_database_is_an_error() {
        let dir = root();
        let r = dir.path().join("root");
        let db = r.join("var/lib/rpm/rpmdb.sqlite");
        let conn = rusqlite::Connection::open(&db).unwrap();
        conn.execute(
            "UPDATE Packages SET blob = ?1",
            [vec![0u8, 0, 0, 5, 0xff, 0xff, 0xff, 0]],
        )
        .unwrap();
        drop(conn);
        let c = InfoProbe(Shared::default()).collect(
            &q("rpminfo_object", &[("name", Operation::Equals, "vtest")]),
            &testutil::offline(&r),
        );
        assert_eq!(c.flag, Flag::NotCollected);
        assert!(c.messages[0].contains("package 1"), "{:?}", c.messages);
        // The scan wrote nothing beside the database.
        let names: Vec<_> = fs::read_dir(db.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| n.starts_with("rpmdb.sqlite-journal"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
    }
}
