//! The known-good store of `vigil baseline create --store DIR` (issue 17 item 3): the
//! baseline plus a content-addressed copy of every regular file it records, so that
//! `vigil baseline restore` can put a changed or deleted file back.
//!
//! ```text
//! DIR/manifest.json        the baseline itself (vigil_host::baseline format), byte for
//!                          byte what `--out` gets; its `roots` say where it was taken
//! DIR/manifest.json.sig    its detached signature (`--sign-key`, baseline::signature)
//! DIR/objects/ab/cdef...   each file's content, named by its SHA-256 (first 2 hex
//!                          digits a directory, the other 62 the name)
//! ```
//!
//! The baseline serves as the manifest because it already names every copy: a regular
//! file's entry carries the SHA-256 its copy is named by, so the one signature over the
//! baseline covers every copy's name and content; a restore verifies the signature,
//! then each copy against the name the signed manifest gives it.
//!
//! The store holds copies of key files: the directory must be the running user's and
//! not writable by group or others (checked as the history's directory is,
//! [`crate::history::dir`]); new directories are 0700, copies 0600, written through the
//! one writer's exclusive temporary file and a rename ([`crate::outfile`]), relative to
//! descriptors opened with `O_NOFOLLOW`, so no link in the store is followed.

use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Baseline, Error, FileRecord, Result, parse, signature};
use crate::outfile::{self, NewFile};
use vigil_core::osutil::hex;

/// The manifest's name in the store.
pub(crate) const MANIFEST: &str = "manifest.json";
/// The manifest's signature.
pub(crate) const MANIFEST_SIG: &str = "manifest.json.sig";
const OBJECTS: &str = "objects";
/// Largest manifest read (a baseline of a million files is about 400 MiB).
const MAX_MANIFEST: u64 = 1 << 30;

/// An opened, trusted store directory.
pub(crate) struct Store {
    path: PathBuf,
    fd: OwnedFd,
    objects: OwnedFd,
}

/// What [`Store::read_manifest`] found: the baseline, the SHA-256 of its bytes, and the
/// key that signed it (`None` when `--allow-unsigned` let an unsigned store through).
pub(crate) struct Manifest {
    pub baseline: Baseline,
    pub sha256: String,
    pub signed_by: Option<String>,
}

fn cstr(name: &OsStr) -> std::ffi::CString {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(name.as_bytes()).unwrap_or_default()
}

fn openat(dir: &OwnedFd, name: &str, flags: i32) -> io::Result<OwnedFd> {
    let c = cstr(OsStr::new(name));
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn mkdirat(dir: &OwnedFd, name: &str) -> io::Result<()> {
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    if unsafe { libc::mkdirat(dir.as_raw_fd(), cstr(OsStr::new(name)).as_ptr(), 0o700) } < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::AlreadyExists {
            return Err(e);
        }
    }
    Ok(())
}

/// Opens (with `create`, makes) the subdirectory `name` of a trusted directory and
/// checks it the same way.
fn subdir(dir: &OwnedFd, name: &str, path: &Path, create: bool) -> Result<OwnedFd> {
    if create {
        mkdirat(dir, name).map_err(Error::io(path))?;
    }
    let fd = openat(dir, name, libc::O_RDONLY | libc::O_DIRECTORY).map_err(Error::io(path))?;
    crate::history::dir::check_trusted(&fd, path, "store directory")?;
    Ok(fd)
}

/// Copies `from` into a new temporary file in `dir` while hashing it; returns the
/// temporary name and the SHA-256 and size of what was copied.
fn copy_hashing(
    dir: &OwnedFd,
    name: &OsStr,
    mut from: impl Read,
    mode: NewFile,
) -> io::Result<(std::ffi::OsString, File, String, u64)> {
    let (tmp, mut f) = outfile::create_temp(dir, name, mode)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut n = 0u64;
    let copied = (|| loop {
        let k = match from.read(&mut buf) {
            Ok(0) => return f.sync_all(),
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        h.update(&buf[..k]);
        f.write_all(&buf[..k])?;
        n += k as u64;
    })();
    if let Err(e) = copied {
        outfile::remove_temp(dir, &tmp);
        return Err(e);
    }
    Ok((tmp, f, hex(&h.finalize()), n))
}

/// Copies a copy's content into a temporary file in `dir` (the directory of the file
/// being restored), checking it against `sha256` as it goes: the file `restore`
/// renames into place is exactly the verified copy, whatever happens to the store
/// meanwhile.
pub(crate) fn copy_object_to(
    store: &Store,
    sha256: &str,
    dir: &OwnedFd,
    name: &OsStr,
) -> io::Result<(std::ffi::OsString, File)> {
    let obj = store.open_object(sha256)?;
    let (tmp, f, got, _) = copy_hashing(dir, name, obj, NewFile::Private)?;
    if got != sha256 {
        outfile::remove_temp(dir, &tmp);
        return Err(io::Error::other(format!(
            "the store's copy changed while it was restored (SHA-256 {got}, not {sha256})"
        )));
    }
    Ok((tmp, f))
}

fn split(sha256: &str) -> Option<(&str, &str)> {
    (sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| sha256.split_at(2))
}

impl Store {
    /// Opens the store at `path`; with `create`, makes it (and `objects/`) first.
    pub(crate) fn open(path: &Path, create: bool) -> Result<Store> {
        let fd = match crate::history::dir::open_dir_path(path, create) {
            Err(crate::history::Error::NotFound(_)) => {
                return Err(Error::Store {
                    path: path.to_path_buf(),
                    message: "no such store directory (make one with `vigil baseline create \
                              --store DIR`)"
                        .into(),
                });
            }
            r => r?,
        };
        crate::history::dir::check_trusted(&fd, path, "store directory")?;
        let objects = subdir(&fd, OBJECTS, &path.join(OBJECTS), create)?;
        Ok(Store {
            path: path.to_path_buf(),
            fd,
            objects,
        })
    }

    fn object_path(&self, sha256: &str) -> PathBuf {
        let (a, b) = split(sha256).unwrap_or(("??", sha256));
        self.path.join(OBJECTS).join(a).join(b)
    }

    fn open_object(&self, sha256: &str) -> io::Result<File> {
        let (a, b) = split(sha256)
            .ok_or_else(|| io::Error::other(format!("{sha256:?} is not a SHA-256")))?;
        let d = openat(&self.objects, a, libc::O_RDONLY | libc::O_DIRECTORY)?;
        let fd = openat(&d, b, libc::O_RDONLY)?;
        let f = File::from(fd);
        // O_NOFOLLOW refused a link; a FIFO or device is not a copy either.
        if !f.metadata()?.is_file() {
            return Err(io::Error::other("is not a regular file"));
        }
        Ok(f)
    }

    /// Stores the content of the regular file `r` (recorded at `src`), unless a copy
    /// that verifies is there already. The copy is hashed as it is made: a file that
    /// changed since it was hashed is an error, so a copy always has the content its
    /// name says.
    pub(crate) fn put(&self, src: &Path, r: &FileRecord) -> std::result::Result<(), String> {
        let Some(sha) = r.sha256.as_deref() else {
            return Ok(());
        };
        let (a, b) = split(sha).ok_or("the recorded SHA-256 is not one")?;
        if self.verify_object(sha).is_ok() {
            return Ok(());
        }
        let dir_path = self.path.join(OBJECTS).join(a);
        let d = subdir(&self.objects, a, &dir_path, true).map_err(|e| e.to_string())?;
        let m = std::fs::symlink_metadata(src).map_err(|e| format!("store: {e}"))?;
        let f = super::scan::open_regular(src, &m).map_err(|e| format!("store: {e}"))?;
        let (tmp, _, got, _) = copy_hashing(&d, OsStr::new(b), f, NewFile::Private)
            .map_err(|e| format!("store: {e}"))?;
        if got != sha {
            outfile::remove_temp(&d, &tmp);
            return Err(format!(
                "store: the file changed while it was copied (SHA-256 {got}, recorded {sha}); not stored"
            ));
        }
        outfile::commit_temp(&d, &tmp, OsStr::new(b)).map_err(|e| {
            outfile::remove_temp(&d, &tmp);
            format!("store: {}: {e}", dir_path.join(b).display())
        })
    }

    /// Checks that the copy named `sha256` is there and has that SHA-256; the error
    /// says what is wrong with it.
    pub(crate) fn verify_object(&self, sha256: &str) -> std::result::Result<(), String> {
        let shown = self.object_path(sha256);
        let mut f = self
            .open_object(sha256)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ENOENT) => format!("{}: the copy is missing", shown.display()),
                Some(libc::ELOOP) => format!("{}: is a symbolic link", shown.display()),
                _ => format!("{}: {e}", shown.display()),
            })?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match f.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => h.update(&buf[..k]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("{}: {e}", shown.display())),
            }
        }
        let got = hex(&h.finalize());
        if got != sha256 {
            return Err(format!(
                "{}: the copy does not match its SHA-256 (it hashes to {got}): it was altered",
                shown.display()
            ));
        }
        Ok(())
    }

    /// Writes the manifest (and, with `key`, its signature).
    pub(crate) fn write_manifest(
        &self,
        bytes: &[u8],
        key: Option<&ed25519_dalek::SigningKey>,
    ) -> Result<()> {
        outfile::replace_in(
            &self.fd,
            OsStr::new(MANIFEST),
            &self.path.join(MANIFEST),
            bytes,
            NewFile::Private,
        )?;
        if let Some(k) = key {
            outfile::replace_in(
                &self.fd,
                OsStr::new(MANIFEST_SIG),
                &self.path.join(MANIFEST_SIG),
                &signature::sign(bytes, k),
                NewFile::Private,
            )?;
        }
        Ok(())
    }

    fn read(&self, name: &str, limit: u64) -> Result<Option<Vec<u8>>> {
        let path = self.path.join(name);
        let fd = match openat(&self.fd, name, libc::O_RDONLY) {
            Ok(fd) => fd,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(path)(e)),
        };
        let f = File::from(fd);
        if !f.metadata().map_err(Error::io(&path))?.is_file() {
            return Err(Error::Store {
                path,
                message: "is not a regular file".into(),
            });
        }
        let mut out = Vec::new();
        f.take(limit + 1)
            .read_to_end(&mut out)
            .map_err(Error::io(&path))?;
        if out.len() as u64 > limit {
            return Err(Error::Store {
                path,
                message: format!("larger than {limit} bytes"),
            });
        }
        Ok(Some(out))
    }

    /// Reads the manifest and verifies its signature with `verify_key` (a public key
    /// file); with no key, only `allow_unsigned` lets it through, and then unverified.
    pub(crate) fn read_manifest(
        &self,
        verify_key: Option<&Path>,
        allow_unsigned: bool,
    ) -> Result<Manifest> {
        let mpath = self.path.join(MANIFEST);
        let data = self
            .read(MANIFEST, MAX_MANIFEST)?
            .ok_or_else(|| Error::Store {
                path: mpath.clone(),
                message: "no manifest: not a store made by `vigil baseline create --store`".into(),
            })?;
        let signed_by = match verify_key {
            Some(kpath) => {
                let (kbytes, _) = vigil_core::osutil::read_input(kpath, signature::MAX_KEY_SIZE)
                    .map_err(Error::io(kpath))?;
                let key = signature::public_key(&kbytes).map_err(|message| Error::Signature {
                    path: kpath.to_path_buf(),
                    message,
                })?;
                let spath = self.path.join(MANIFEST_SIG);
                let sig = self
                    .read(MANIFEST_SIG, signature::MAX_SIGNATURE_SIZE)?
                    .ok_or_else(|| Error::Signature {
                        path: mpath.clone(),
                        message: format!(
                            "no signature: {} not found (sign the store with `vigil baseline \
                             create --store DIR --sign-key KEY.pem`)",
                            spath.display()
                        ),
                    })?;
                signature::verify(&data, &sig, &key).map_err(|message| Error::Signature {
                    path: spath,
                    message,
                })?;
                Some(signature::fingerprint(&key))
            }
            None if allow_unsigned => None,
            None => {
                return Err(Error::Usage(format!(
                    "{}: give --verify-key PUB.pem to check the store's signature before \
                     restoring from it (or --allow-unsigned to restore from a store whose \
                     origin is not checked)",
                    self.path.display()
                )));
            }
        };
        let baseline = parse(&data).map_err(|message| Error::Format {
            path: mpath,
            message,
        })?;
        Ok(Manifest {
            baseline,
            sha256: vigil_core::osutil::sha256_hex(&data),
            signed_by,
        })
    }
}
