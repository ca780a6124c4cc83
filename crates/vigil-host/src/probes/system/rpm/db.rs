//! The rpm database: finding it on the scanned host, opening it without writing, and
//! turning its header blobs into [`Package`]s.
//!
//! Backend: sqlite (`rpmdb.sqlite`, rpm >= 4.16: Fedora 33+, RHEL 9, Debian's rpm).
//! The Berkeley DB `Packages` hash (RHEL 7/8) and ndb `Packages.db` (SUSE) are
//! recognised and reported as not collected: vigil does not read them yet.
//!
//! sqlite through rusqlite with sqlite compiled in (`bundled`), so the scanned host
//! needs no library and no rpm: the database file is opened through [`Host`] (within
//! the root offline, no final link followed), and sqlite is given that descriptor's
//! `/proc/self/fd` path with `mode=ro&immutable=1`: read-only, no lock taken, no
//! journal, `-wal` or `-shm` file looked at or created, so a scan never writes to the
//! host. rusqlite is the maintained, widely used sqlite binding (the sqlite project's
//! own C code, not a re-implementation). Immutable mode ignores a write-ahead log, so
//! a database whose `-wal` file is not empty (rpm is writing it, or died while
//! writing) is not read: vigil would miss its last transaction, and says so instead.

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use super::header::{Header, HeaderError, tag};
use crate::host::Host;

/// Directories rpm keeps its database in (classic and /usr/lib/sysimage layouts).
pub const DB_DIRS: &[&str] = &["/var/lib/rpm", "/usr/lib/sysimage/rpm"];

/// Caps on what a hostile database can make vigil hold.
const MAX_PACKAGES: usize = 200_000;
const MAX_BLOB: usize = 0x1000_0000 + 8 + 16 * 0x10000;
const MAX_FILES: usize = 1_000_000;

/// Why the rpm database could not be read.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The file could not be opened or statted.
    #[error("{path}: {source}")]
    Io {
        /// The database (host path).
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// sqlite refused the file or a query.
    #[error("{path}: sqlite: {source}")]
    Sqlite {
        /// The database (host path).
        path: String,
        /// The error.
        source: rusqlite::Error,
    },
    /// A package header is malformed.
    #[error("{path}: package {hnum}: {source}")]
    Header {
        /// The database (host path).
        path: String,
        /// The row (rpm's header number).
        hnum: i64,
        /// What is wrong.
        source: HeaderError,
    },
    /// Something vigil cannot read (another backend, a pending write-ahead log, a
    /// database beyond the caps).
    #[error("{0}")]
    Unsupported(String),
}

/// One file of an installed package, as its header records it.
#[derive(Debug, Clone, PartialEq)]
pub struct RpmFile {
    /// Absolute path on the host.
    pub path: String,
    /// Size in bytes (LONGFILESIZES, else FILESIZES).
    pub size: u64,
    /// st_mode (type and permission bits).
    pub mode: u32,
    /// Device number (16 bits, as rpm stores it).
    pub rdev: u32,
    /// Modification time, seconds.
    pub mtime: i64,
    /// Content digest, lower-case hex; empty for anything but a regular file.
    pub digest: String,
    /// Link target; empty for anything but a symbolic link.
    pub linkto: String,
    /// RPMFILE_* attributes (config, doc, ghost, license, readme ...).
    pub flags: u32,
    /// Owner name.
    pub user: String,
    /// Group name.
    pub group: String,
    /// RPMVERIFY_* attributes to verify (`%verify`), all when the header has none.
    pub verify_flags: u32,
    /// RPMFILE_STATE_* (0 normal, 1 replaced, 2 not installed, 3 net shared, 4 wrong
    /// colour); `None` when the header records no states.
    pub state: Option<i8>,
    /// File capabilities in libcap's text form; empty for none.
    pub caps: String,
}

/// One installed package.
#[derive(Debug, Clone, PartialEq)]
pub struct Package {
    /// NAME.
    pub name: String,
    /// EPOCH; `None` when the package has none.
    pub epoch: Option<u32>,
    /// VERSION.
    pub version: String,
    /// RELEASE.
    pub release: String,
    /// ARCH; `None` for packages without one (gpg-pubkey).
    pub arch: Option<String>,
    /// Key id of the package's OpenPGP signature (16 hex digits), if signed: SIGGPG,
    /// SIGPGP, RSAHEADER or DSAHEADER, the first that has one.
    pub signature_keyid: Option<String>,
    /// PGP digest algorithm of FILEDIGESTS (rpm's numbering: 1 MD5, 2 SHA1, 8 SHA256,
    /// 9 SHA384, 10 SHA512, 11 SHA224).
    pub digest_algo: u32,
    /// Its files, in header order.
    pub files: Vec<RpmFile>,
    /// Requires (name, RPMSENSE flags, version).
    pub requires: Vec<Dep>,
    /// Provides.
    pub provides: Vec<Dep>,
    /// Conflicts.
    pub conflicts: Vec<Dep>,
}

/// One dependency entry: a name, RPMSENSE_* flags and an optional version.
#[derive(Debug, Clone, PartialEq)]
pub struct Dep {
    /// What is required or provided (a capability, a path, `rpmlib(...)`).
    pub name: String,
    /// RPMSENSE_* (LESS 2, GREATER 4, EQUAL 8, RPMLIB 1<<24 ...).
    pub flags: u32,
    /// `[epoch:]version[-release]`, empty for none.
    pub version: String,
}

fn deps(h: &Header, names: u32, flags: u32, versions: u32) -> Result<Vec<Dep>, String> {
    let n = h.strings(names);
    let f = h.ints(flags);
    let v = h.strings(versions);
    if (!f.is_empty() && f.len() != n.len()) || (!v.is_empty() && v.len() != n.len()) {
        return Err(format!(
            "dependency tag {names}: {} names, {} flags, {} versions",
            n.len(),
            f.len(),
            v.len()
        ));
    }
    Ok(n.iter()
        .enumerate()
        .map(|(i, name)| Dep {
            name: name.clone(),
            flags: f.get(i).map_or(0, |&x| x as u32),
            version: v.get(i).cloned().unwrap_or_default(),
        })
        .collect())
}

impl Package {
    /// The epoch as rpm's `%{EPOCH}` prints it: `(none)` when absent.
    pub fn epoch_str(&self) -> String {
        self.epoch
            .map_or_else(|| "(none)".to_string(), |e| e.to_string())
    }

    /// The arch as `%{ARCH}` prints it.
    pub fn arch_str(&self) -> &str {
        self.arch.as_deref().unwrap_or("(none)")
    }

    /// `epoch:version-release` with epoch 0 when absent.
    pub fn evr(&self) -> String {
        format!(
            "{}:{}-{}",
            self.epoch.unwrap_or(0),
            self.version,
            self.release
        )
    }

    /// `name-epoch:version-release.arch` (OVAL 5.10 `extended_name`).
    pub fn extended_name(&self) -> String {
        format!("{}-{}.{}", self.name, self.evr(), self.arch_str())
    }

    /// Builds a package from a parsed header.
    pub fn from_header(h: &Header) -> Result<Package, String> {
        let req = |t: u32, what: &str| {
            h.string(t)
                .map(str::to_string)
                .ok_or_else(|| format!("no {what}"))
        };
        let name = req(tag::NAME, "NAME")?;
        let version = req(tag::VERSION, "VERSION")?;
        let release = req(tag::RELEASE, "RELEASE")?;
        let epoch = h.ints(tag::EPOCH).first().map(|&e| e as u32);
        let arch = h.string(tag::ARCH).map(str::to_string);
        // oscap asks for SIGGPG, else SIGPGP, which rpm >= 4.14 no longer writes: it
        // signs the header only (RSAHEADER/DSAHEADER), and oscap then says 0. The
        // schema's signature_keyid is the key the package is signed with, so vigil
        // falls back to the header signatures.
        let sig = [tag::SIGGPG, tag::SIGPGP, tag::RSAHEADER, tag::DSAHEADER]
            .iter()
            .find_map(|&t| h.bin(t).and_then(super::pgp::issuer_keyid));
        let digest_algo = h.ints(tag::FILEDIGESTALGO).first().map_or(1, |&a| a as u32);
        Ok(Package {
            name,
            epoch,
            version,
            release,
            arch,
            signature_keyid: sig,
            digest_algo,
            files: files(h)?,
            requires: deps(h, tag::REQUIRENAME, tag::REQUIREFLAGS, tag::REQUIREVERSION)?,
            provides: deps(h, tag::PROVIDENAME, tag::PROVIDEFLAGS, tag::PROVIDEVERSION)?,
            conflicts: deps(
                h,
                tag::CONFLICTNAME,
                tag::CONFLICTFLAGS,
                tag::CONFLICTVERSION,
            )?,
        })
    }
}

fn files(h: &Header) -> Result<Vec<RpmFile>, String> {
    let base = h.strings(tag::BASENAMES);
    let paths: Vec<String> = if base.is_empty() {
        h.strings(tag::OLDFILENAMES).to_vec()
    } else {
        let dirs = h.strings(tag::DIRNAMES);
        let idx = h.ints(tag::DIRINDEXES);
        if idx.len() != base.len() {
            return Err(format!(
                "{} BASENAMES but {} DIRINDEXES",
                base.len(),
                idx.len()
            ));
        }
        base.iter()
            .zip(&idx)
            .map(|(b, &i)| {
                dirs.get(i as usize)
                    .map(|d| format!("{d}{b}"))
                    .ok_or_else(|| format!("DIRINDEXES entry {i} beyond {} DIRNAMES", dirs.len()))
            })
            .collect::<Result<_, _>>()?
    };
    if paths.len() > MAX_FILES {
        return Err(format!("{} files, more than vigil reads", paths.len()));
    }
    let n = paths.len();
    let sizes = {
        let l = h.ints(tag::LONGFILESIZES);
        if l.is_empty() {
            h.ints(tag::FILESIZES)
        } else {
            l
        }
    };
    let modes = h.ints(tag::FILEMODES);
    let rdevs = h.ints(tag::FILERDEVS);
    let mtimes = h.ints(tag::FILEMTIMES);
    let digests = h.strings(tag::FILEDIGESTS);
    let links = h.strings(tag::FILELINKTOS);
    let fflags = h.ints(tag::FILEFLAGS);
    let users = h.strings(tag::FILEUSERNAME);
    let groups = h.strings(tag::FILEGROUPNAME);
    let vflags = h.ints(tag::FILEVERIFYFLAGS);
    let states = h.ints(tag::FILESTATES);
    let caps = h.strings(tag::FILECAPS);
    // Per-file arrays must have one value per file when present: a short array is a
    // malformed header, not a file with default attributes.
    for (what, len) in [
        ("FILESIZES", sizes.len()),
        ("FILEMODES", modes.len()),
        ("FILEMTIMES", mtimes.len()),
        ("FILEFLAGS", fflags.len()),
        ("FILEUSERNAME", users.len()),
        ("FILEGROUPNAME", groups.len()),
    ] {
        if len != n {
            return Err(format!("{what} has {len} values for {n} files"));
        }
    }
    for (what, len) in [
        ("FILERDEVS", rdevs.len()),
        ("FILEDIGESTS", digests.len()),
        ("FILELINKTOS", links.len()),
        ("FILEVERIFYFLAGS", vflags.len()),
        ("FILESTATES", states.len()),
        ("FILECAPS", caps.len()),
    ] {
        if len != 0 && len != n {
            return Err(format!("{what} has {len} values for {n} files"));
        }
    }
    let s = |v: &[String], i: usize| v.get(i).cloned().unwrap_or_default();
    Ok(paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| RpmFile {
            path,
            size: sizes[i],
            mode: modes[i] as u32,
            rdev: rdevs.get(i).copied().unwrap_or(0) as u32,
            mtime: mtimes[i] as i64,
            digest: s(digests, i).to_ascii_lowercase(),
            linkto: s(links, i),
            flags: fflags[i] as u32,
            user: users[i].clone(),
            group: groups[i].clone(),
            verify_flags: vflags.get(i).map_or(u32::MAX, |&v| v as u32),
            state: states.get(i).map(|&v| v as u8 as i8),
            caps: s(caps, i),
        })
        .collect())
}

/// Where the host's rpm database is, if it has one.
pub enum Found {
    /// An sqlite database at this host path.
    Sqlite(PathBuf),
    /// A database in a format vigil does not read.
    Other(String),
    /// No rpm database.
    None,
}

/// Looks for the database in [`DB_DIRS`] (links followed within the root).
pub fn find(host: &Host) -> std::io::Result<Found> {
    for dir in DB_DIRS {
        let sqlite = Path::new(dir).join("rpmdb.sqlite");
        if let Some(f) = host.resolve(&sqlite)?
            && f.meta.is_file()
        {
            return Ok(Found::Sqlite(sqlite));
        }
        for (file, what) in [
            ("Packages", "a Berkeley DB rpm database"),
            ("Packages.db", "an ndb rpm database"),
        ] {
            let p = Path::new(dir).join(file);
            if host.resolve(&p)?.is_some_and(|f| f.meta.is_file()) {
                return Ok(Found::Other(format!(
                    "{} is {what}; vigil reads only the sqlite backend (rpmdb.sqlite, rpm >= 4.16)",
                    p.display()
                )));
            }
        }
    }
    Ok(Found::None)
}

/// Reads every package of the sqlite database at `path` (a host path).
pub fn read_sqlite(host: &Host, path: &Path) -> Result<Vec<Package>, DbError> {
    let shown = path.display().to_string();
    let io = |source| DbError::Io {
        path: shown.clone(),
        source,
    };
    let wal = PathBuf::from(format!("{shown}-wal"));
    if let Some(w) = host.resolve(&wal).map_err(io)?
        && w.meta.len() > 0
    {
        return Err(DbError::Unsupported(format!(
            "{}: {} bytes of write-ahead log not yet in the database (rpm is writing it, or \
             stopped while writing); vigil reads the database without writing to it and \
             would miss those changes",
            wal.display(),
            w.meta.len()
        )));
    }
    let f = host
        .resolve(path)
        .map_err(io)?
        .ok_or_else(|| io(std::io::Error::from(std::io::ErrorKind::NotFound)))?;
    let file = f.open_nofollow().map_err(io)?;
    let sql = |source| DbError::Sqlite {
        path: shown.clone(),
        source,
    };
    // The descriptor keeps the checked file: sqlite opens /proc/self/fd/N, which is
    // that file whatever the path has become.
    let uri = format!(
        "file:/proc/self/fd/{}?mode=ro&immutable=1",
        file.as_raw_fd()
    );
    let conn = rusqlite::Connection::open_with_flags(
        &uri,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY
            | rusqlite::OpenFlags::SQLITE_OPEN_URI
            | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(sql)?;
    let mut stmt = conn
        .prepare("SELECT hnum, blob FROM Packages ORDER BY hnum")
        .map_err(sql)?;
    let mut rows = stmt.query([]).map_err(sql)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sql)? {
        let hnum: i64 = row.get(0).map_err(sql)?;
        let blob = row.get_ref(1).map_err(sql)?;
        let blob = blob.as_blob().map_err(|e| sql(e.into()))?;
        if blob.len() > MAX_BLOB {
            return Err(DbError::Unsupported(format!(
                "{shown}: package {hnum}: header of {} bytes is beyond rpm's limits",
                blob.len()
            )));
        }
        let h = Header::parse(blob).map_err(|source| DbError::Header {
            path: shown.clone(),
            hnum,
            source,
        })?;
        let p = Package::from_header(&h).map_err(|what| DbError::Header {
            path: shown.clone(),
            hnum,
            source: HeaderError::Malformed(what),
        })?;
        // rpm keeps public keys as pseudo-packages without files; oscap's rpminfo
        // reports them (name gpg-pubkey), so they stay.
        out.push(p);
        if out.len() > MAX_PACKAGES {
            return Err(DbError::Unsupported(format!(
                "{shown}: more than {MAX_PACKAGES} packages"
            )));
        }
    }
    drop(file);
    Ok(out)
}

type Cached = (PathBuf, SystemTime, u64, Arc<Vec<Package>>);

/// The database of the scanned host, read once per file version and shared by every rpm
/// probe of a scan.
#[derive(Default)]
pub struct RpmDb {
    cache: Mutex<Option<Cached>>,
}

/// What a probe gets from [`RpmDb::packages`].
pub enum Packages {
    /// The installed packages.
    Read(Arc<Vec<Package>>),
    /// The host has no rpm database: every rpm object does not exist.
    NoDatabase,
    /// There is a database vigil cannot read (the reason).
    Unreadable(String),
}

impl RpmDb {
    /// The packages of the host's database.
    pub fn packages(&self, host: &Host) -> Packages {
        let path = match find(host) {
            Ok(Found::Sqlite(p)) => p,
            Ok(Found::Other(why)) => return Packages::Unreadable(why),
            Ok(Found::None) => return Packages::NoDatabase,
            Err(e) => return Packages::Unreadable(format!("looking for the rpm database: {e}")),
        };
        let (real, mtime, len) = match host.resolve(&path) {
            Ok(Some(f)) => (
                f.real.clone(),
                f.meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                f.meta.len(),
            ),
            Ok(None) => return Packages::NoDatabase,
            Err(e) => return Packages::Unreadable(format!("{}: {e}", path.display())),
        };
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((p, t, l, pkgs)) = cache.as_ref()
            && *p == real
            && *t == mtime
            && *l == len
        {
            return Packages::Read(pkgs.clone());
        }
        match read_sqlite(host, &path) {
            Ok(pkgs) => {
                let pkgs = Arc::new(pkgs);
                *cache = Some((real, mtime, len, pkgs.clone()));
                Packages::Read(pkgs)
            }
            Err(e) => Packages::Unreadable(e.to_string()),
        }
    }
}
