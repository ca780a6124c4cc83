//! The one writer of every file vigil writes: JSON, HTML, ARF, XCCDF and OVAL results,
//! fleet files, the baseline, `--events` appends and `vigil report`. (The history
//! writes inside a directory it has checked first, through [`replace_in`].)
//!
//! vigil runs as root and is often told to write into directories other users can
//! write (`/tmp`, a shared report directory). What this module guarantees:
//!
//! - An existing path that is not a regular file (a character or block device, a FIFO,
//!   a socket) is written in place and never renamed over: `--json /dev/stdout` and
//!   `--json /dev/null` work, and the machine keeps its `/dev/null`. A FIFO with no
//!   reader is an error, not a hang.
//! - A regular file is replaced atomically: the bytes go to a temporary file with an
//!   unpredictable name, created `O_CREAT|O_EXCL|O_NOFOLLOW` in the target's own
//!   directory, synced, then renamed over the target. A reader never sees half a
//!   document, and a failed write leaves the previous file as it was.
//! - A replaced regular file keeps its mode and owner. A new file is created with mode
//!   0666 less the umask ([`NewFile::Report`]) or 0600 ([`NewFile::Private`]: history,
//!   baseline and results files hold what the host looks like).
//! - Symbolic links are followed only when root or the effective user owns them (in
//!   the directories leading to the file and at the file itself). A link another user
//!   planted, at the output's name or at a directory on its way, is refused with an
//!   error naming it, so it cannot make root write, create, truncate or append to its
//!   target. Directories are resolved one component at a time (`openat` with
//!   `O_NOFOLLOW`), and the file is created and renamed relative to the directory's
//!   descriptor, so a directory swapped for a link mid-way is not followed either.

use std::ffi::{CString, OsStr, OsString};
use std::io::{self, Write};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};

/// How a file that does not exist yet is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NewFile {
    /// Mode 0666 less the umask: reports a user reads and publishes.
    Report,
    /// Mode 0600: history, baseline and results files.
    Private,
}

impl NewFile {
    fn mode(self) -> libc::mode_t {
        match self {
            NewFile::Report => 0o666,
            NewFile::Private => 0o600,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("{path}: cannot write: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: {reason}")]
    Refused { path: String, reason: String },
}

impl Error {
    fn io(path: &Path) -> impl FnOnce(io::Error) -> Error + '_ {
        move |source| Error::Io {
            path: path.display().to_string(),
            source,
        }
    }

    fn refused(path: &Path, reason: impl Into<String>) -> Error {
        Error::Refused {
            path: path.display().to_string(),
            reason: reason.into(),
        }
    }
}

type Result<T> = std::result::Result<T, Error>;

/// Most symbolic links followed while resolving one path (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Writes `bytes` as the whole content of `path` (see the module documentation).
pub(crate) fn replace(path: &Path, bytes: &[u8], new: NewFile) -> Result<()> {
    let (dir, name) = open_parent(path)?;
    replace_in(&dir, &name, path, bytes, new)
}

/// Appends `bytes` to `path` in one write (created if missing), so concurrent writers
/// do not interleave halves of a record. Links and special files as for [`replace`].
pub(crate) fn append(path: &Path, bytes: &[u8], new: NewFile) -> Result<()> {
    let (dir, name) = open_parent(path)?;
    let meta = lstat_at(&dir, &name).map_err(Error::io(path))?;
    let follow = match &meta {
        Some(m) if kind(m) == libc::S_IFLNK => {
            trusted_link(m, path)?;
            true
        }
        Some(m) if kind(m) == libc::S_IFDIR => {
            return Err(Error::refused(path, "is a directory"));
        }
        Some(m) if kind(m) == libc::S_IFSOCK => return write_socket(path, bytes),
        _ => false,
    };
    let mut flags = libc::O_WRONLY | libc::O_APPEND | libc::O_CREAT;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let mut f = open_at(&dir, &name, flags, new.mode()).map_err(|e| open_error(path, e))?;
    f.write_all(bytes).map_err(Error::io(path))
}

/// [`replace`] for a file `name` in a directory the caller has opened (and checked)
/// itself; `shown` is the path errors name.
pub(crate) fn replace_in(
    dir: &OwnedFd,
    name: &OsStr,
    shown: &Path,
    bytes: &[u8],
    new: NewFile,
) -> Result<()> {
    if name.is_empty() || name.as_bytes().contains(&b'/') || name == ".." || name == "." {
        return Err(Error::refused(shown, "is not a file name"));
    }
    let meta = lstat_at(dir, name).map_err(Error::io(shown))?;
    match meta {
        None => write_new(dir, name, shown, bytes, None, new),
        Some(m) => match kind(&m) {
            libc::S_IFREG => write_new(dir, name, shown, bytes, Some(&m), new),
            libc::S_IFDIR => Err(Error::refused(shown, "is a directory")),
            libc::S_IFLNK => {
                trusted_link(&m, shown)?;
                // A link root or this user made (`/dev/stdout`, `report.html ->
                // /srv/www/report.html`): written through, in place, as a shell's `>`
                // would; a dangling one is not created.
                write_in_place(dir, name, shown, bytes, 0)
            }
            libc::S_IFSOCK => write_socket(shown, bytes),
            _ => write_in_place(dir, name, shown, bytes, libc::O_NOFOLLOW),
        },
    }
}

/// Opens the directory that will hold `path` and returns it with the file's name.
fn open_parent(path: &Path) -> Result<(OwnedFd, OsString)> {
    let name = match path.components().next_back() {
        Some(Component::Normal(n)) => n.to_os_string(),
        _ => return Err(Error::refused(path, "is not a file name")),
    };
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = open_dir(parent.unwrap_or(Path::new(".")), path)?;
    Ok((dir, name))
}

/// Opens directory `dir` one component at a time, following only trusted links.
pub(crate) fn open_dir(dir: &Path, shown: &Path) -> Result<OwnedFd> {
    let mut pending: Vec<OsString> = Vec::new();
    let start = |absolute: bool| -> Result<OwnedFd> {
        let at: &[u8] = if absolute { b"/" } else { b"." };
        open_path_at(libc::AT_FDCWD, OsStr::from_bytes(at)).map_err(Error::io(shown))
    };
    let mut fd = start(dir.is_absolute())?;
    push_components(&mut pending, dir);
    let mut links = 0;
    while let Some(c) = pending.pop() {
        if c.as_bytes() == b"/" {
            fd = start(true)?;
            continue;
        }
        let meta = lstat_at(&fd, &c)
            .map_err(Error::io(shown))?
            .ok_or_else(|| Error::io(shown)(io::Error::from_raw_os_error(libc::ENOENT)))?;
        if kind(&meta) == libc::S_IFLNK {
            trusted_link(&meta, &dir_prefix(dir, &c))?;
            links += 1;
            if links > MAX_LINKS {
                return Err(Error::refused(shown, "too many levels of symbolic links"));
            }
            let target = read_link_at(&fd, &c).map_err(Error::io(shown))?;
            push_components(&mut pending, Path::new(&target));
            continue;
        }
        fd = open_path_at(fd.as_raw_fd(), &c).map_err(Error::io(shown))?;
    }
    Ok(fd)
}

/// Pushes `p`'s components onto the stack so that they pop in order; an absolute path
/// restarts at `/`.
fn push_components(stack: &mut Vec<OsString>, p: &Path) {
    let mut parts = Vec::new();
    for c in p.components() {
        match c {
            Component::RootDir => {
                parts.clear();
                parts.push(OsString::from("/"));
            }
            Component::CurDir | Component::Prefix(_) => {}
            Component::ParentDir => parts.push(OsString::from("..")),
            Component::Normal(n) => parts.push(n.to_os_string()),
        }
    }
    stack.extend(parts.into_iter().rev());
}

/// For error messages: the directory component being resolved.
fn dir_prefix(dir: &Path, c: &OsStr) -> PathBuf {
    let mut p = PathBuf::new();
    for part in dir.components() {
        p.push(part);
        if part.as_os_str() == c {
            break;
        }
    }
    p
}

/// A link vigil may follow: one that root or the effective user owns. Any other owner
/// could point it anywhere, and root would write there.
fn trusted_link(meta: &libc::stat, shown: &Path) -> Result<()> {
    // SAFETY: geteuid never fails.
    let euid = unsafe { libc::geteuid() };
    if meta.st_uid == 0 || meta.st_uid == euid {
        return Ok(());
    }
    Err(Error::refused(
        shown,
        format!(
            "is a symbolic link owned by uid {}; vigil follows only links owned by root or by the user running it (uid {euid}): remove it or name the file it points to",
            meta.st_uid
        ),
    ))
}

/// Writes a new or replaced regular file through a temporary file and a rename.
fn write_new(
    dir: &OwnedFd,
    name: &OsStr,
    shown: &Path,
    bytes: &[u8],
    old: Option<&libc::stat>,
    new: NewFile,
) -> Result<()> {
    let (tmp_name, mut tmp) = create_temp(dir, name, new).map_err(Error::io(shown))?;
    let cleanup = |e: Error| {
        // SAFETY: unlinking a name this function created, relative to `dir`.
        if let Ok(c) = CString::new(tmp_name.as_bytes()) {
            unsafe { libc::unlinkat(dir.as_raw_fd(), c.as_ptr(), 0) };
        }
        e
    };
    let written = (|| -> io::Result<()> {
        if let Some(m) = old {
            // The owner first: chown clears set-id bits, which fchmod then restores.
            // Only root may give a file away; another user keeps the file as its own.
            // SAFETY: fchown/fchmod on a descriptor this function owns.
            unsafe {
                if libc::geteuid() == 0 && libc::fchown(tmp.as_raw_fd(), m.st_uid, m.st_gid) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::fchmod(tmp.as_raw_fd(), m.st_mode & 0o7777) != 0 {
                    return Err(io::Error::last_os_error());
                }
            }
        }
        tmp.write_all(bytes)?;
        tmp.sync_all()
    })();
    written.map_err(Error::io(shown)).map_err(cleanup)?;
    drop(tmp);
    commit_temp(dir, &tmp_name, name).map_err(|e| cleanup(Error::io(shown)(e)))
}

/// Renames the temporary file `tmp_name` (made by [`create_temp`], written and synced)
/// over `name` in the same directory, and syncs the directory. On error the temporary
/// file is left for the caller to remove ([`remove_temp`]).
pub(crate) fn commit_temp(dir: &OwnedFd, tmp_name: &OsStr, name: &OsStr) -> io::Result<()> {
    let (from, to) = (cstr(tmp_name), cstr(name));
    // SAFETY: both names are relative to the same directory descriptor.
    let rc =
        unsafe { libc::renameat(dir.as_raw_fd(), from.as_ptr(), dir.as_raw_fd(), to.as_ptr()) };
    if rc != 0 {
        return Err(io::Error::last_os_error());
    }
    // Durability of the rename; what was written is already synced.
    // SAFETY: fsync on a descriptor we own (an O_PATH descriptor gives EBADF: ignored).
    unsafe { libc::fsync(dir.as_raw_fd()) };
    Ok(())
}

/// Removes a temporary file [`create_temp`] made that will not be committed.
pub(crate) fn remove_temp(dir: &OwnedFd, tmp_name: &OsStr) {
    // SAFETY: unlinking a name the caller created, relative to `dir`.
    unsafe { libc::unlinkat(dir.as_raw_fd(), cstr(tmp_name).as_ptr(), 0) };
}

/// The start of every temporary file name the writer creates (`.tmp-RANDOM-NAME`):
/// what a crash can leave beside an output, and what readers of a directory (the
/// history's `results/`) skip.
pub(crate) const TEMP_PREFIX: &str = ".tmp-";

/// Creates `.tmp-RANDOM-NAME` (128 random bits) with `O_CREAT|O_EXCL|O_NOFOLLOW` in
/// `dir`: the one way vigil makes a file it will rename into place (outputs, the
/// history, `vigil baseline restore`'s restored files).
pub(crate) fn create_temp(
    dir: &OwnedFd,
    name: &OsStr,
    new: NewFile,
) -> io::Result<(OsString, std::fs::File)> {
    for _ in 0..16 {
        let mut t = format!("{TEMP_PREFIX}{}-", vigil_core::osutil::random_hex16()).into_bytes();
        // Long names are cut so that the temporary name fits NAME_MAX.
        t.extend(name.as_bytes().iter().copied().take(200));
        let t = OsString::from_vec(t);
        match open_at(
            dir,
            &t,
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW,
            new.mode(),
        ) {
            Ok(f) => return Ok((t, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free temporary name after 16 tries",
    ))
}

/// Writes into an existing device, FIFO or (through a trusted link) file in place.
fn write_in_place(
    dir: &OwnedFd,
    name: &OsStr,
    shown: &Path,
    bytes: &[u8],
    nofollow: i32,
) -> Result<()> {
    let mut f =
        open_at(dir, name, libc::O_WRONLY | nofollow, 0).map_err(|e| open_error(shown, e))?;
    let m = fstat(f.as_raw_fd()).map_err(Error::io(shown))?;
    if kind(&m) == libc::S_IFDIR {
        return Err(Error::refused(shown, "is a directory"));
    }
    if kind(&m) == libc::S_IFREG {
        f.set_len(0).map_err(Error::io(shown))?;
    }
    match f.write_all(bytes).and_then(|()| f.flush()) {
        // A pipe whose reader stopped reading (`--json /dev/stdout | head`): its choice,
        // as for `--json -`, not a failed write.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe && kind(&m) == libc::S_IFIFO => Ok(()),
        r => r.map_err(Error::io(shown)),
    }
}

fn write_socket(shown: &Path, bytes: &[u8]) -> Result<()> {
    let mut s = std::os::unix::net::UnixStream::connect(shown).map_err(Error::io(shown))?;
    s.write_all(bytes).map_err(Error::io(shown))
}

/// An open error with what it means for an output.
fn open_error(shown: &Path, e: io::Error) -> Error {
    match e.raw_os_error() {
        Some(libc::ENXIO) => Error::refused(shown, "is a FIFO or device with no reader"),
        Some(libc::ELOOP) => {
            Error::refused(shown, "changed into a symbolic link while vigil opened it")
        }
        Some(libc::ENOENT) => {
            Error::refused(shown, "is a symbolic link to a file that does not exist")
        }
        _ => Error::io(shown)(e),
    }
}

/// `openat` that never blocks on a FIFO without a reader and never takes a terminal.
fn open_at(
    dir: &OwnedFd,
    name: &OsStr,
    flags: i32,
    mode: libc::mode_t,
) -> io::Result<std::fs::File> {
    let c = cstr(name);
    let flags = flags | libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    // SAFETY: openat with a NUL-terminated name; the descriptor is owned by the File.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by openat.
    let f = unsafe { std::fs::File::from_raw_fd(fd) };
    // Blocking again, so a slow reader is waited for rather than a short write.
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let fl = libc::fcntl(fd, libc::F_GETFL);
        if fl < 0 || libc::fcntl(fd, libc::F_SETFL, fl & !libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(f)
}

fn open_path_at(dir: RawFd, name: &OsStr) -> io::Result<OwnedFd> {
    let c = cstr(name);
    let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC;
    // SAFETY: openat with a NUL-terminated name.
    let fd = unsafe { libc::openat(dir, c.as_ptr(), flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just returned by openat.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `fstatat(AT_SYMLINK_NOFOLLOW)`; `None` when the name does not exist.
fn lstat_at(dir: &OwnedFd, name: &OsStr) -> io::Result<Option<libc::stat>> {
    let c = cstr(name);
    // SAFETY: a zeroed stat is a valid out-parameter.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: fstatat with a NUL-terminated name and a valid out-pointer.
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 {
        return Ok(Some(st));
    }
    let e = io::Error::last_os_error();
    if e.kind() == io::ErrorKind::NotFound {
        Ok(None)
    } else {
        Err(e)
    }
}

fn fstat(fd: RawFd) -> io::Result<libc::stat> {
    // SAFETY: as in lstat_at.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

fn read_link_at(dir: &OwnedFd, name: &OsStr) -> io::Result<OsString> {
    let c = cstr(name);
    let mut buf = vec![0u8; libc::PATH_MAX as usize];
    // SAFETY: the buffer is writable for its length.
    let n = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            c.as_ptr(),
            buf.as_mut_ptr().cast(),
            buf.len(),
        )
    };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    buf.truncate(n as usize);
    Ok(OsString::from_vec(buf))
}

fn kind(m: &libc::stat) -> libc::mode_t {
    m.st_mode & libc::S_IFMT
}

fn cstr(s: &OsStr) -> CString {
    // Names come from Path components, which cannot hold NUL on Unix.
    CString::new(s.as_bytes()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};

    fn mknod(path: &Path, kind: libc::mode_t, dev: libc::dev_t) {
        let c = CString::new(path.as_os_str().as_bytes()).unwrap();
        // SAFETY: mknod with a NUL-terminated path.
        assert_eq!(
            unsafe { libc::mknod(c.as_ptr(), kind | 0o666, dev) },
            0,
            "mknod {}",
            path.display()
        );
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn new_files_get_the_mode_of_their_kind() {
        let d = tempfile::tempdir().unwrap();
        let (r, p) = (d.path().join("r.json"), d.path().join("h.json"));
        replace(&r, b"{}", NewFile::Report).unwrap();
        replace(&p, b"{}", NewFile::Private).unwrap();
        assert_eq!(std::fs::read(&r).unwrap(), b"{}");
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
        // SAFETY: umask queried and put back at once (tests of this module only).
        let umask = unsafe {
            let m = libc::umask(0o022);
            libc::umask(m);
            m
        };
        assert_eq!(
            std::fs::metadata(&r).unwrap().mode() & 0o777,
            0o666 & !umask
        );
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn a_replaced_file_keeps_its_mode_and_owner() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("out.html");
        std::fs::write(&p, b"old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o640)).unwrap();
        let c = CString::new(p.as_os_str().as_bytes()).unwrap();
        // SAFETY: chown of a file this test made.
        let owned = unsafe { libc::chown(c.as_ptr(), 65534, 65534) } == 0;
        replace(&p, b"new", NewFile::Private).unwrap();
        let m = std::fs::metadata(&p).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        assert_eq!(m.mode() & 0o7777, 0o640);
        if owned {
            assert_eq!((m.uid(), m.gid()), (65534, 65534));
        }
    }

    #[test]
    fn devices_and_fifos_are_written_in_place_never_renamed_over() {
        let d = tempfile::tempdir().unwrap();
        let null = d.path().join("null");
        mknod(&null, libc::S_IFCHR, libc::makedev(1, 3));
        replace(&null, b"x", NewFile::Report).unwrap();
        append(&null, b"x", NewFile::Report).unwrap();
        let m = std::fs::symlink_metadata(&null).unwrap();
        assert_eq!(m.mode() & libc::S_IFMT, libc::S_IFCHR, "still a device");
        assert!(leftovers(d.path()).is_empty());

        // A FIFO with no reader is an error at once, not a hang; with a reader, it is
        // written to.
        let fifo = d.path().join("fifo");
        mknod(&fifo, libc::S_IFIFO, 0);
        let e = replace(&fifo, b"x", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no reader"), "{e}");
        let f2 = fifo.clone();
        let reader = std::thread::spawn(move || std::fs::read(f2).unwrap());
        // The reader may not have opened yet: retry until it has.
        let mut tries = 0;
        while let Err(e) = replace(&fifo, b"hello", NewFile::Report) {
            tries += 1;
            assert!(tries < 500, "{e}");
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert_eq!(reader.join().unwrap(), b"hello");
        assert_eq!(
            std::fs::symlink_metadata(&fifo).unwrap().mode() & libc::S_IFMT,
            libc::S_IFIFO
        );
    }

    #[test]
    fn links_of_other_users_are_refused_and_their_target_untouched() {
        let d = tempfile::tempdir().unwrap();
        let victim = d.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = d.path().join("out.json");
        symlink(&victim, &link).unwrap();
        let c = CString::new(link.as_os_str().as_bytes()).unwrap();
        crate::testtool::require_root("to make a link another user owns");
        // SAFETY: lchown of a link this test made.
        assert_eq!(unsafe { libc::lchown(c.as_ptr(), 65534, 65534) }, 0);
        let e = replace(&link, b"evil", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link owned by uid 65534"), "{e}");
        let e = append(&link, b"evil", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link owned by uid 65534"), "{e}");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");

        // The same link as a directory on the way.
        let sub = d.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let dirlink = d.path().join("reports");
        symlink(&sub, &dirlink).unwrap();
        let c = CString::new(dirlink.as_os_str().as_bytes()).unwrap();
        // SAFETY: as above.
        unsafe { libc::lchown(c.as_ptr(), 65534, 65534) };
        let e = replace(&dirlink.join("r.json"), b"x", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("symbolic link owned by uid 65534"), "{e}");
        assert!(std::fs::read_dir(&sub).unwrap().next().is_none());
    }

    #[test]
    fn own_links_are_written_through() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("real.html");
        std::fs::write(&target, b"old old old").unwrap();
        let link = d.path().join("report.html");
        symlink("real.html", &link).unwrap();
        replace(&link, b"new", NewFile::Report).unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let dangling = d.path().join("dangling");
        symlink("missing", &dangling).unwrap();
        let e = replace(&dangling, b"x", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("does not exist"), "{e}");
        assert!(!d.path().join("missing").exists());
        // A directory reached through this user's own link.
        std::fs::create_dir(d.path().join("sub")).unwrap();
        symlink("sub", d.path().join("s")).unwrap();
        replace(&d.path().join("s/x.json"), b"1", NewFile::Report).unwrap();
        assert_eq!(std::fs::read(d.path().join("sub/x.json")).unwrap(), b"1");
    }

    #[test]
    fn a_failed_write_leaves_the_old_file() {
        let d = tempfile::tempdir().unwrap();
        let e = replace(&d.path().join("missing/x.json"), b"1", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot write: No such file or directory"), "{e}");
        std::fs::create_dir(d.path().join("dir")).unwrap();
        let e = replace(&d.path().join("dir"), b"1", NewFile::Report)
            .unwrap_err()
            .to_string();
        assert!(e.contains("is a directory"), "{e}");
        assert!(leftovers(d.path()).is_empty());
    }

    #[test]
    fn appends_create_and_extend() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("events.log");
        append(&p, b"a\n", NewFile::Private).unwrap();
        append(&p, b"b\n", NewFile::Private).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"a\nb\n");
        assert_eq!(std::fs::metadata(&p).unwrap().mode() & 0o777, 0o600);
    }
}
