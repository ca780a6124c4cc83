//! A thin, safe wrapper over Linux inotify(7) (`inotify_init1`, `inotify_add_watch`,
//! `inotify_rm_watch`, reading `struct inotify_event` records) and the signalfd(2) that
//! turns SIGTERM and SIGINT into something `poll(2)` can wait on beside it.
//!
//! Only directories are watched (a directory's watch reports its entries' changes
//! too, and new or renamed entries, which a file's own watch cannot), always with
//! `IN_DONT_FOLLOW` and `IN_ONLYDIR`, so a symbolic link swapped in for a directory is
//! never followed to somewhere else.

use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::time::Duration;

/// What a watched directory reports: its entries' content (`IN_CLOSE_WRITE`,
/// `IN_MODIFY`), attributes (`IN_ATTRIB`: mode, owner, ACL, xattr, link count), entries
/// created, deleted and renamed in or out, and the directory itself deleted or moved.
pub(crate) const DIR_MASK: u32 = libc::IN_CLOSE_WRITE
    | libc::IN_MODIFY
    | libc::IN_ATTRIB
    | libc::IN_CREATE
    | libc::IN_DELETE
    | libc::IN_MOVED_FROM
    | libc::IN_MOVED_TO
    | libc::IN_DELETE_SELF
    | libc::IN_MOVE_SELF
    | libc::IN_DONT_FOLLOW
    | libc::IN_ONLYDIR;

/// One inotify event as the kernel reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Event {
    /// The watch it came from; -1 for `IN_Q_OVERFLOW`.
    pub wd: i32,
    pub mask: u32,
    /// Pairs an `IN_MOVED_FROM` with its `IN_MOVED_TO`.
    pub cookie: u32,
    /// The entry's name within the watched directory; empty for the directory itself.
    pub name: Vec<u8>,
}

impl Event {
    pub(crate) fn is(&self, bits: u32) -> bool {
        self.mask & bits != 0
    }
}

/// An inotify instance (non-blocking, close-on-exec).
pub(crate) struct Inotify {
    fd: OwnedFd,
}

impl Inotify {
    pub(crate) fn new() -> io::Result<Inotify> {
        // SAFETY: plain syscall; the descriptor it returns is owned below.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fd is a fresh descriptor nobody else owns.
        Ok(Inotify {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    /// Watches the directory `dir` (not following a final link); returns its watch
    /// descriptor (the same one again for a directory already watched).
    pub(crate) fn add_dir(&self, dir: &Path) -> io::Result<i32> {
        let c = CString::new(dir.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: c is NUL-terminated, the descriptor is open.
        let wd = unsafe { libc::inotify_add_watch(self.fd.as_raw_fd(), c.as_ptr(), DIR_MASK) };
        if wd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(wd)
    }

    /// Stops watching `wd`; a watch the kernel already dropped (its directory gone) is
    /// not an error.
    pub(crate) fn remove(&self, wd: i32) {
        // SAFETY: plain syscall on our descriptor; EINVAL for a stale wd is ignored.
        unsafe { libc::inotify_rm_watch(self.fd.as_raw_fd(), wd) };
    }

    /// The events queued now (empty when none), reading at most `buf.len()` bytes.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<Vec<Event>> {
        // SAFETY: buf is writable for its length.
        let n = unsafe { libc::read(self.fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.raw_os_error() {
                Some(libc::EAGAIN) | Some(libc::EINTR) => Ok(Vec::new()),
                _ => Err(e),
            };
        }
        Ok(parse(&buf[..n as usize]))
    }

    pub(crate) fn raw(&self) -> i32 {
        self.fd.as_raw_fd()
    }
}

/// The `struct inotify_event` records in `buf`: `wd` (i32), `mask`, `cookie`, `len`
/// (u32, native endian), then `len` bytes of NUL-padded name. A truncated record ends
/// the list.
pub(crate) fn parse(buf: &[u8]) -> Vec<Event> {
    const HEAD: usize = 16;
    let mut out = Vec::new();
    let mut at = 0;
    while at + HEAD <= buf.len() {
        let word =
            |i: usize| u32::from_ne_bytes(buf[at + i..at + i + 4].try_into().expect("4 bytes"));
        let (wd, mask, cookie, len) = (word(0) as i32, word(4), word(8), word(12) as usize);
        let end = at + HEAD + len;
        if end > buf.len() {
            break;
        }
        let raw = &buf[at + HEAD..end];
        let name = raw.split(|&b| b == 0).next().unwrap_or(&[]).to_vec();
        out.push(Event {
            wd,
            mask,
            cookie,
            name,
        });
        at = end;
    }
    out
}

/// SIGTERM and SIGINT, blocked for the whole process (threads started later inherit
/// the mask) and delivered through a signalfd instead, so the watch loop sees them
/// between batches and stops cleanly.
pub(crate) struct Signals {
    fd: OwnedFd,
}

impl Signals {
    pub(crate) fn new() -> io::Result<Signals> {
        // SAFETY: sigset operations on a local set; pthread_sigmask and signalfd are
        // plain calls whose results are checked.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigaddset(&mut set, libc::SIGTERM);
            libc::sigaddset(&mut set, libc::SIGINT);
            let rc = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
            if rc != 0 {
                return Err(io::Error::from_raw_os_error(rc));
            }
            let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
            if fd < 0 {
                return Err(io::Error::last_os_error());
            }
            Ok(Signals {
                fd: OwnedFd::from_raw_fd(fd),
            })
        }
    }

    /// The signal received, if one is pending.
    pub(crate) fn take(&self) -> Option<i32> {
        // SAFETY: siginfo is plain data the kernel fills; the read size is checked.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        // SAFETY: info is writable for `size` bytes.
        let n = unsafe {
            libc::read(
                self.fd.as_raw_fd(),
                (&mut info as *mut libc::signalfd_siginfo).cast(),
                size,
            )
        };
        (n as usize == size).then_some(info.ssi_signo as i32)
    }
}

/// What [`wait`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ready {
    pub inotify: bool,
    pub signal: bool,
}

/// Waits until the inotify descriptor or the signal descriptor is readable, or
/// `timeout` passes (`None`: no limit).
pub(crate) fn wait(ino: &Inotify, sig: &Signals, timeout: Option<Duration>) -> io::Result<Ready> {
    let mut fds = [
        libc::pollfd {
            fd: ino.raw(),
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: sig.fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let ms = timeout.map_or(-1, |t| t.as_millis().min(i32::MAX as u128) as i32);
    // SAFETY: fds is a valid array of two pollfd.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.raw_os_error() == Some(libc::EINTR) {
            return Ok(Ready {
                inotify: false,
                signal: false,
            });
        }
        return Err(e);
    }
    Ok(Ready {
        inotify: fds[0].revents != 0,
        signal: fds[1].revents != 0,
    })
}

/// `name` as a path component (inotify names are raw bytes).
pub(crate) fn name_os(name: &[u8]) -> &OsStr {
    OsStr::from_bytes(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(wd: i32, mask: u32, cookie: u32, name: &[u8], pad: usize) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&wd.to_ne_bytes());
        v.extend_from_slice(&mask.to_ne_bytes());
        v.extend_from_slice(&cookie.to_ne_bytes());
        v.extend_from_slice(&((name.len() + pad) as u32).to_ne_bytes());
        v.extend_from_slice(name);
        v.extend(std::iter::repeat_n(0u8, pad));
        v
    }

    #[test]
    fn records_parse_with_padding_and_a_truncated_tail_is_dropped() {
        let mut buf = record(3, libc::IN_CREATE, 0, b"key.pem", 9);
        buf.extend(record(4, libc::IN_ATTRIB, 0, b"", 0));
        buf.extend(record(5, libc::IN_MOVED_TO, 7, b"x\n\x1b[31m", 8));
        let whole = buf.len();
        buf.extend(&record(6, libc::IN_DELETE, 0, b"cut", 5)[..18]);
        let evs = parse(&buf);
        assert_eq!(evs.len(), 3);
        assert_eq!(evs[0].name, b"key.pem");
        assert_eq!(evs[0].wd, 3);
        assert!(evs[1].name.is_empty() && evs[1].is(libc::IN_ATTRIB));
        assert_eq!(
            (evs[2].cookie, evs[2].name.as_slice()),
            (7, &b"x\n\x1b[31m"[..])
        );
        assert_eq!(parse(&buf[..whole]).len(), 3);
    }

    #[test]
    fn a_watched_directory_reports_its_entries() {
        let d = tempfile::tempdir().unwrap();
        let ino = Inotify::new().unwrap();
        let wd = ino.add_dir(d.path()).unwrap();
        std::fs::write(d.path().join("a"), b"x").unwrap();
        let mut buf = vec![0u8; 4096];
        let evs = ino.read(&mut buf).unwrap();
        assert!(
            evs.iter()
                .any(|e| e.wd == wd && e.name == b"a" && e.is(libc::IN_CREATE)),
            "{evs:?}"
        );
        assert!(evs.iter().any(|e| e.is(libc::IN_CLOSE_WRITE)), "{evs:?}");
        // A symbolic link to a directory is refused, not followed.
        std::os::unix::fs::symlink(d.path(), d.path().join("link")).unwrap();
        assert!(ino.add_dir(&d.path().join("link")).is_err());
        assert!(ino.add_dir(&d.path().join("a")).is_err(), "not a directory");
    }
}
