//! The history directory, opened once and checked before anything in it is read or
//! written. vigil runs as root; a directory another user owns or may write could hold
//! a link at any name vigil uses (`lock`, `ledger.jsonl`, `HEAD`, `results/`) and make
//! root write, create or truncate the file it points to. So the directory is opened
//! with `O_DIRECTORY|O_NOFOLLOW`, refused unless it is owned by the effective user and
//! not writable by group or others (the same for `results/`), and every file in it is
//! opened relative to that descriptor with `O_NOFOLLOW`. Files vigil creates are 0600,
//! directories 0700, whatever the umask. Replacing a file goes through a temporary file
//! with an unpredictable name created `O_EXCL` and renamed over the name
//! ([`crate::outfile::replace_in`], the writer of every output, relative to the
//! directory's descriptor).

use std::ffi::CString;
use std::fs::File;
use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::ledger::RESULTS_DIR;

/// An opened and trusted history directory, with its `results/` subdirectory when it
/// exists (or was created).
#[derive(Debug)]
pub(crate) struct HistoryDir {
    path: PathBuf,
    fd: OwnedFd,
    results: Option<OwnedFd>,
}

fn cstr(name: &str) -> CString {
    CString::new(name).expect("history file names have no NUL")
}

/// `openat(2)` with `O_NOFOLLOW|O_CLOEXEC` added; new files get `mode`.
fn openat(dir: &OwnedFd, name: &str, flags: i32, mode: libc::mode_t) -> io::Result<OwnedFd> {
    let c = cstr(name);
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c.as_ptr(),
            flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY,
            mode as libc::c_uint,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: openat returned a new descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: an all-zero stat is a valid value to overwrite; fd is open.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

/// ELOOP from `O_NOFOLLOW` said as what it means.
fn link_error(path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        Error::Untrusted {
            path: path.to_path_buf(),
            message: "is a symbolic link: vigil does not follow links in a history \
                      directory (remove it; only the history's owner could have made it)"
                .into(),
        }
    } else {
        Error::Io {
            path: path.to_path_buf(),
            source: e,
        }
    }
}

/// `O_DIRECTORY|O_NOFOLLOW` fails with ENOTDIR on a link as on a file: which it was.
fn dir_error(path: &Path, e: io::Error) -> Error {
    if e.raw_os_error() == Some(libc::ENOTDIR) {
        if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            return link_error(path, io::Error::from_raw_os_error(libc::ELOOP));
        }
        return Error::Untrusted {
            path: path.to_path_buf(),
            message: "is not a directory".into(),
        };
    }
    link_error(path, e)
}

/// Refuses a directory the effective user does not own or that group or others may
/// write: anyone who can write it can plant links or swap files under vigil.
pub(crate) fn check_trusted(fd: &OwnedFd, path: &Path, what: &str) -> Result<()> {
    let st = fstat(fd).map_err(Error::io(path))?;
    // SAFETY: geteuid never fails.
    let euid = unsafe { libc::geteuid() };
    let mode = st.st_mode & 0o7777;
    if st.st_uid != euid {
        let owner = vigil_core::osutil::user_name(st.st_uid)
            .map_or_else(String::new, |n| format!(" ({n})"));
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            message: format!(
                "{what} is owned by uid {}{owner}, not by uid {euid}, the user running vigil: \
                 its owner could replace its files or plant links in it; use a directory \
                 owned by uid {euid} (`install -d -m 700 DIR`) or `chown {euid} DIR`",
                st.st_uid
            ),
        });
    }
    if mode & 0o022 != 0 {
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            message: format!(
                "{what} is writable by group or others (mode {mode:04o}): anyone who can \
                 write it could replace its files or plant links in it; `chmod go-w DIR`"
            ),
        });
    }
    Ok(())
}

/// Opens the history directory itself with `O_NOFOLLOW`, after resolving the
/// directories above it the way every output is ([`crate::outfile::open_dir`]: links
/// followed only when root or this user owns them), so a link another user planted
/// on the way (`/tmp/shared -> /root/...`) cannot choose which directory is used.
pub(crate) fn open_dir_path(path: &Path, create: bool) -> Result<OwnedFd> {
    let not_found = || Error::NotFound(format!("{}: no such history directory", path.display()));
    let name = match path.components().next_back() {
        Some(std::path::Component::Normal(n)) => n.to_str(),
        _ => None,
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let (Some(name), parent) = (name, parent.unwrap_or(Path::new("."))) else {
        // `/`, `..` or a name that is not UTF-8: opened as given, still O_NOFOLLOW.
        if create {
            mkdir(path).map_err(Error::io(path))?;
        }
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| not_found())?;
        // SAFETY: a NUL-terminated path.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            let e = io::Error::last_os_error();
            return Err(match e.kind() {
                io::ErrorKind::NotFound => not_found(),
                _ => dir_error(path, e),
            });
        }
        // SAFETY: a new descriptor nothing else owns.
        return Ok(unsafe { OwnedFd::from_raw_fd(fd) });
    };
    if create && !parent.exists() {
        mkdir(parent).map_err(Error::io(parent))?;
    }
    let up = crate::outfile::open_dir(parent, path).map_err(|e| match e {
        crate::outfile::Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound => {
            not_found()
        }
        e => Error::Output(e),
    })?;
    if create {
        // SAFETY: a valid directory descriptor and a NUL-terminated name.
        if unsafe { libc::mkdirat(up.as_raw_fd(), cstr(name).as_ptr(), 0o700) } < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::AlreadyExists {
                return Err(Error::io(path)(e));
            }
        }
    }
    openat(&up, name, libc::O_RDONLY | libc::O_DIRECTORY, 0).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => not_found(),
        _ => dir_error(path, e),
    })
}

fn mkdir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
    {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    Ok(())
}

impl HistoryDir {
    /// Opens the history at `path`; with `create`, makes the directory and `results/`
    /// (0700) first when missing. Refused when either is not the effective user's, is
    /// writable by group or others, or is a link.
    pub(crate) fn open(path: &Path, create: bool) -> Result<HistoryDir> {
        let fd = open_dir_path(path, create)?;
        check_trusted(&fd, path, "history directory")?;
        let rpath = path.join(RESULTS_DIR);
        if create {
            // SAFETY: a valid directory descriptor and a NUL-terminated name.
            let r = unsafe { libc::mkdirat(fd.as_raw_fd(), cstr(RESULTS_DIR).as_ptr(), 0o700) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::AlreadyExists {
                    return Err(Error::io(&rpath)(e));
                }
            }
        }
        let results = match openat(&fd, RESULTS_DIR, libc::O_RDONLY | libc::O_DIRECTORY, 0) {
            Ok(r) => {
                check_trusted(&r, &rpath, "results directory")?;
                Some(r)
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound && !create => None,
            Err(e) => return Err(dir_error(&rpath, e)),
        };
        Ok(HistoryDir {
            path: path.to_path_buf(),
            fd,
            results,
        })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn results_fd(&self) -> Result<&OwnedFd> {
        self.results.as_ref().ok_or_else(|| Error::Io {
            path: self.path.join(RESULTS_DIR),
            source: io::Error::from(io::ErrorKind::NotFound),
        })
    }

    /// Opens `name` in the directory (a regular file only) with `flags`; new files 0600.
    pub(crate) fn open_file(&self, name: &str, flags: i32) -> Result<File> {
        open_regular(&self.fd, &self.path.join(name), name, flags)
    }

    /// The whole of `name`, `None` when it does not exist.
    pub(crate) fn read(&self, name: &str) -> Result<Option<Vec<u8>>> {
        read_in(&self.fd, &self.path.join(name), name)
    }

    /// The whole of `results/NAME`, `None` when it does not exist.
    pub(crate) fn read_result(&self, name: &str) -> Result<Option<Vec<u8>>> {
        match &self.results {
            None => Ok(None),
            Some(r) => read_in(r, &self.path.join(RESULTS_DIR).join(name), name),
        }
    }

    /// Whether `results/NAME` exists (as anything: a link there is refused on write).
    pub(crate) fn result_exists(&self, name: &str) -> Result<bool> {
        let Some(r) = &self.results else {
            return Ok(false);
        };
        let c = cstr(name);
        // SAFETY: an all-zero stat is valid; the descriptor is open.
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        let rc = unsafe {
            libc::fstatat(
                r.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        if rc == 0 {
            if st.st_mode & libc::S_IFMT == libc::S_IFLNK {
                return Err(link_error(
                    &self.path.join(RESULTS_DIR).join(name),
                    io::Error::from_raw_os_error(libc::ELOOP),
                ));
            }
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::NotFound {
            Ok(false)
        } else {
            Err(Error::io(self.path.join(RESULTS_DIR).join(name))(e))
        }
    }

    /// The names in `results/`.
    pub(crate) fn result_names(&self) -> Vec<String> {
        match std::fs::read_dir(self.path.join(RESULTS_DIR)) {
            Ok(rd) => rd
                .flatten()
                .map(|f| f.file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// Replaces `name` with `bytes` (see [`replace_in`]).
    pub(crate) fn replace(&self, name: &str, bytes: &[u8]) -> Result<()> {
        replace_in(&self.fd, &self.path, name, bytes)
    }

    /// Replaces `results/NAME` with `bytes`.
    pub(crate) fn replace_result(&self, name: &str, bytes: &[u8]) -> Result<()> {
        replace_in(
            self.results_fd()?,
            &self.path.join(RESULTS_DIR),
            name,
            bytes,
        )
    }

    /// Removes `results/NAME` (a missing file is not an error).
    pub(crate) fn remove_result(&self, name: &str) -> Result<()> {
        let r = self.results_fd()?;
        // SAFETY: a valid directory descriptor and a NUL-terminated name.
        if unsafe { libc::unlinkat(r.as_raw_fd(), cstr(name).as_ptr(), 0) } < 0 {
            let e = io::Error::last_os_error();
            if e.kind() != io::ErrorKind::NotFound {
                return Err(Error::io(self.path.join(RESULTS_DIR).join(name))(e));
            }
        }
        Ok(())
    }
}

fn open_regular(dir: &OwnedFd, path: &Path, name: &str, flags: i32) -> Result<File> {
    // O_NONBLOCK: a FIFO planted at the name must not hang the open.
    let fd = openat(dir, name, flags | libc::O_NONBLOCK, 0o600).map_err(|e| link_error(path, e))?;
    let st = fstat(&fd).map_err(Error::io(path))?;
    if st.st_mode & libc::S_IFMT != libc::S_IFREG {
        return Err(Error::Untrusted {
            path: path.to_path_buf(),
            message: "is not a regular file".into(),
        });
    }
    // SAFETY: fcntl on a descriptor this function owns.
    unsafe {
        let fl = libc::fcntl(fd.as_raw_fd(), libc::F_GETFL);
        libc::fcntl(fd.as_raw_fd(), libc::F_SETFL, fl & !libc::O_NONBLOCK);
    }
    Ok(File::from(fd))
}

fn read_in(dir: &OwnedFd, path: &Path, name: &str) -> Result<Option<Vec<u8>>> {
    let mut f = match open_regular(dir, path, name, libc::O_RDONLY) {
        Ok(f) => f,
        Err(Error::Io { source, .. }) if source.kind() == io::ErrorKind::NotFound => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let mut b = Vec::new();
    f.read_to_end(&mut b).map_err(Error::io(path))?;
    Ok(Some(b))
}

/// Writes `bytes` through [`crate::outfile::replace_in`] (a new file `.tmp-RANDOM-NAME`
/// in `dir` created `O_EXCL`, 0600, fsynced and renamed over `name`): a crash leaves
/// the old file or the new one (plus perhaps a stray `.tmp-*` file, which readers
/// ignore). A link at `name` is
/// replaced, never followed; a directory or other non-regular file there is refused.
fn replace_in(dir: &OwnedFd, dir_path: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    let path = dir_path.join(name);
    let c = cstr(name);
    // SAFETY: an all-zero stat is valid; the descriptor is open.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    } == 0
    {
        match st.st_mode & libc::S_IFMT {
            libc::S_IFREG => {}
            libc::S_IFLNK => {
                return Err(link_error(&path, io::Error::from_raw_os_error(libc::ELOOP)));
            }
            _ => {
                return Err(Error::Untrusted {
                    path,
                    message: "is not a regular file".into(),
                });
            }
        }
    }
    // The one writer for every output (temporary file with a random name created
    // O_EXCL, fsync, rename, 0600 when new); links were refused above.
    crate::outfile::replace_in(
        dir,
        std::ffi::OsStr::new(name),
        &path,
        bytes,
        crate::outfile::NewFile::Private,
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    #[test]
    fn replace_writes_private_files_and_replaces_links_without_following_them() {
        let d = tempfile::tempdir().unwrap();
        let h = HistoryDir::open(&d.path().join("h"), true).unwrap();
        h.replace("HEAD", b"one").unwrap();
        let p = d.path().join("h/HEAD");
        assert_eq!(std::fs::read(&p).unwrap(), b"one");
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        let victim = d.path().join("victim");
        std::fs::write(&victim, "v").unwrap();
        std::fs::remove_file(&p).unwrap();
        std::os::unix::fs::symlink(&victim, &p).unwrap();
        assert!(matches!(
            h.replace("HEAD", b"two"),
            Err(Error::Untrusted { .. })
        ));
        assert!(matches!(h.read("HEAD"), Err(Error::Untrusted { .. })));
        assert_eq!(std::fs::read(&victim).unwrap(), b"v");
        // No temporary file is left behind.
        let left: Vec<_> = std::fs::read_dir(d.path().join("h"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(left.len(), 2, "{left:?}");
    }

    #[test]
    fn group_writable_or_linked_directories_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let h = d.path().join("h");
        std::fs::create_dir(&h).unwrap();
        std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o770)).unwrap();
        let e = HistoryDir::open(&h, true).unwrap_err().to_string();
        assert!(e.contains("writable by group or others (mode 0770)"), "{e}");
        std::fs::set_permissions(&h, std::fs::Permissions::from_mode(0o700)).unwrap();
        let l = d.path().join("l");
        std::os::unix::fs::symlink(&h, &l).unwrap();
        let e = HistoryDir::open(&l, false).unwrap_err().to_string();
        assert!(e.contains("is a symbolic link"), "{e}");
        assert!(HistoryDir::open(&h, true).is_ok());
    }

    #[test]
    fn a_link_of_another_user_above_the_directory_is_not_followed() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("real");
        std::fs::create_dir_all(real.join("h")).unwrap();
        std::fs::set_permissions(real.join("h"), std::fs::Permissions::from_mode(0o700)).unwrap();
        let mine = d.path().join("mine");
        std::os::unix::fs::symlink(&real, &mine).unwrap();
        assert!(HistoryDir::open(&mine.join("h"), false).is_ok(), "own link");
        let theirs = d.path().join("theirs");
        std::os::unix::fs::symlink(&real, &theirs).unwrap();
        let c = CString::new(theirs.as_os_str().as_bytes()).unwrap();
        crate::testtool::require_root("only root may give a link to another user");
        // SAFETY: lchown of a link this test made.
        assert_eq!(unsafe { libc::lchown(c.as_ptr(), 65534, 65534) }, 0);
        let e = HistoryDir::open(&theirs.join("h"), true)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link owned by uid 65534"), "{e}");
        assert!(
            !real.join("h").join(RESULTS_DIR).exists(),
            "nothing created"
        );
    }
}
