//! Opening paths of an offline root relative to a descriptor of the root, so that no
//! path, however its links are swapped while vigil reads, resolves outside it.
//!
//! Resolving links by hand and then opening the resulting path string is a race: a
//! directory of the image swapped for a link to `/etc` in between (`renameat2` with
//! `RENAME_EXCHANGE` is atomic) and the scanner's own file is read as the image's.
//! Here the kernel resolves every open against the root's descriptor with
//! `openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)`: absolute links and `..` stop at
//! the root, `/proc/self/root`-style links are refused. Where `openat2` is missing
//! (Linux before 5.6, or a seccomp filter refusing it) the same rules are applied one
//! component at a time ([`Root::walk`]): `openat(O_PATH | O_NOFOLLOW)` from the
//! directory already reached, links read with `readlinkat` and resolved against the
//! root (so a magic link is only its text, never followed), at most 40 links.
//! [`Root::walk`] is also how a path's canonical host path is computed.

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

/// Linux's limit on symbolic links followed while resolving one path.
pub(crate) const MAX_LINKS: usize = 40;

const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_IN_ROOT: u64 = 0x10;

/// `struct open_how` of openat2(2).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// The root of an offline scan, opened once.
pub(crate) struct Root {
    path: PathBuf,
    /// `O_PATH | O_DIRECTORY` descriptor of the root, or why it could not be opened
    /// (every read then fails with that error).
    fd: Result<OwnedFd, i32>,
    /// Cleared once `openat2` said it is not available here.
    openat2: AtomicBool,
}

impl std::fmt::Debug for Root {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Root").field("path", &self.path).finish()
    }
}

/// Where [`Root::walk`] ended: the directory reached (`None`: the root itself), the
/// final name in it (`None`: the path is that directory), and the canonical host path.
pub(crate) struct Walked {
    dir: Option<OwnedFd>,
    pub name: Option<CString>,
    pub host: PathBuf,
}

fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes()).map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))
}

fn check(fd: libc::c_long) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// `openat(dir, name, flags | O_CLOEXEC)`.
pub(crate) fn openat(dir: BorrowedFd, name: &CStr, flags: i32) -> io::Result<OwnedFd> {
    // SAFETY: name is NUL-terminated; dir is an open descriptor.
    check(unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags | libc::O_CLOEXEC) }.into())
}

/// `fstatat(dir, name, flags)`.
pub(crate) fn fstatat(dir: BorrowedFd, name: &CStr, flags: i32) -> io::Result<libc::stat> {
    // SAFETY: a plain out-parameter, filled on success.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: name is NUL-terminated and st is a valid out-pointer.
    if unsafe { libc::fstatat(dir.as_raw_fd(), name.as_ptr(), &mut st, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(st)
}

/// `readlinkat(dir, name)`; an empty name reads the link `dir` itself is (`O_PATH |
/// O_NOFOLLOW`).
pub(crate) fn readlinkat(dir: BorrowedFd, name: &CStr) -> io::Result<PathBuf> {
    let mut buf = vec![0u8; 256];
    loop {
        // SAFETY: name is NUL-terminated; buf is writable for buf.len() bytes.
        let n = unsafe {
            libc::readlinkat(
                dir.as_raw_fd(),
                name.as_ptr(),
                buf.as_mut_ptr().cast(),
                buf.len(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        if (n as usize) < buf.len() {
            buf.truncate(n as usize);
            return Ok(PathBuf::from(OsString::from_vec(buf)));
        }
        if buf.len() >= libc::PATH_MAX as usize * 2 {
            return Err(io::Error::from_raw_os_error(libc::ENAMETOOLONG));
        }
        buf.resize(buf.len() * 2, 0);
    }
}

fn components_rev(p: &Path) -> Vec<OsString> {
    let mut v: Vec<_> = p
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect();
    v.reverse();
    v
}

impl Root {
    pub(crate) fn open(path: PathBuf) -> Root {
        let fd = cstring(path.as_os_str())
            .and_then(|c| {
                // SAFETY: c is NUL-terminated.
                check(
                    unsafe {
                        libc::open(
                            c.as_ptr(),
                            libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
                        )
                    }
                    .into(),
                )
            })
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EIO));
        Root {
            path,
            fd,
            openat2: AtomicBool::new(true),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    fn fd(&self) -> io::Result<BorrowedFd<'_>> {
        match &self.fd {
            Ok(fd) => Ok(fd.as_fd()),
            Err(e) => Err(io::Error::from_raw_os_error(*e)),
        }
    }

    /// Uses the component walk from now on, as where `openat2` is missing (tests).
    #[cfg(test)]
    pub(crate) fn force_walk(&self) {
        self.openat2.store(false, Ordering::Relaxed);
    }

    /// Opens `rel` (a path inside the root; a leading `/` is the root) with `flags`, as
    /// the scanned host would resolve it, never leaving the root. `O_NOFOLLOW` in
    /// `flags`: a final symbolic link is not followed (with `O_PATH`, the link itself
    /// is opened).
    pub(crate) fn open_in(&self, rel: &Path, flags: i32) -> io::Result<OwnedFd> {
        let root = self.fd()?;
        if self.openat2.load(Ordering::Relaxed) {
            let c = cstring(rel.as_os_str())?;
            // openat2 takes "" as an error; "." is the root.
            let c = if c.is_empty() { c"." } else { c.as_c_str() };
            let how = OpenHow {
                flags: (flags | libc::O_CLOEXEC) as u64,
                mode: 0,
                resolve: RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
            };
            // A rename anywhere on the system during `..` resolution makes the kernel
            // answer EAGAIN rather than risk an escape; try again a few times.
            for _ in 0..16 {
                // SAFETY: c is NUL-terminated; how is a valid open_how of its size.
                let rc = unsafe {
                    libc::syscall(
                        libc::SYS_openat2,
                        root.as_raw_fd(),
                        c.as_ptr(),
                        &how as *const OpenHow,
                        std::mem::size_of::<OpenHow>(),
                    )
                };
                match check(rc) {
                    Err(e) if e.raw_os_error() == Some(libc::EAGAIN) => continue,
                    Err(e) if matches!(e.raw_os_error(), Some(libc::ENOSYS | libc::EPERM)) => {
                        self.openat2.store(false, Ordering::Relaxed);
                        break;
                    }
                    r => return r,
                }
            }
        }
        let w = self.walk(rel, flags & libc::O_NOFOLLOW == 0)?;
        let dir = w.dir.as_ref().map_or(root, |d| d.as_fd());
        // The walk resolved a final link when asked to: what is there now must not be
        // one (a link swapped in since fails with ELOOP).
        openat(
            dir,
            w.name.as_deref().unwrap_or(c"."),
            flags | libc::O_NOFOLLOW,
        )
    }

    /// Resolves `rel` one component at a time from the root's descriptor, reading each
    /// link and resolving it against the root (`..` stops at the root), at most
    /// [`MAX_LINKS`] links. `follow_last`: a final link is resolved too. The final
    /// component must exist when it is followed.
    pub(crate) fn walk(&self, rel: &Path, follow_last: bool) -> io::Result<Walked> {
        let root = self.fd()?;
        // The directories from the root down to where the walk is, so `..` goes back
        // to the directory it came from, not to whatever is now at its path.
        let mut stack: Vec<OwnedFd> = Vec::new();
        let mut host = PathBuf::from("/");
        let mut todo = components_rev(rel);
        let mut links = 0;
        while let Some(c) = todo.pop() {
            if c == ".." {
                if stack.pop().is_some() {
                    host.pop();
                }
                continue;
            }
            let name = cstring(&c)?;
            let dir = stack.last().map_or(root, |d| d.as_fd());
            let last = todo.is_empty();
            if last && !follow_last {
                return Ok(Walked {
                    dir: stack.pop(),
                    name: Some(name),
                    host: host.join(&c),
                });
            }
            let st = fstatat(dir, &name, libc::AT_SYMLINK_NOFOLLOW)?;
            match st.st_mode & libc::S_IFMT {
                libc::S_IFLNK => {
                    links += 1;
                    if links > MAX_LINKS {
                        return Err(io::Error::from_raw_os_error(libc::ELOOP));
                    }
                    let target = readlinkat(dir, &name)?;
                    if target.is_absolute() {
                        stack.clear();
                        host = PathBuf::from("/");
                    }
                    todo.extend(components_rev(&target));
                }
                _ if last => {
                    return Ok(Walked {
                        dir: stack.pop(),
                        name: Some(name),
                        host: host.join(&c),
                    });
                }
                libc::S_IFDIR => {
                    // O_NOFOLLOW: a link swapped in since the fstatat is not followed
                    // (O_DIRECTORY then fails).
                    let fd = openat(
                        dir,
                        &name,
                        libc::O_PATH | libc::O_DIRECTORY | libc::O_NOFOLLOW,
                    )?;
                    stack.push(fd);
                    host.push(&c);
                }
                _ => return Err(io::Error::from_raw_os_error(libc::ENOTDIR)),
            }
        }
        Ok(Walked {
            dir: stack.pop(),
            name: None,
            host,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
    use std::os::unix::fs::symlink;

    /// An image with a file of its own, and a directory outside it holding a file the
    /// image must never reach.
    struct Fixture {
        _dir: tempfile::TempDir,
        image: PathBuf,
        outside: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("image");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(image.join("etc")).unwrap();
        std::fs::create_dir_all(image.join("usr/bin")).unwrap();
        std::fs::write(image.join("etc/x"), "image").unwrap();
        std::fs::write(image.join("usr/bin/tool"), "tool").unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("x"), "HOST").unwrap();
        Fixture {
            _dir: dir,
            image,
            outside,
        }
    }

    /// Both resolvers: the kernel's (openat2) and the component walk.
    fn roots(image: &Path) -> [Root; 2] {
        let walked = Root::open(image.to_path_buf());
        walked.force_walk();
        [Root::open(image.to_path_buf()), walked]
    }

    fn read(root: &Root, rel: &str) -> io::Result<String> {
        let mut s = String::new();
        File::from(root.open_in(Path::new(rel), libc::O_RDONLY)?).read_to_string(&mut s)?;
        Ok(s)
    }

    use std::fs::File;

    #[test]
    fn absolute_links_and_dotdot_stay_in_the_root() {
        let f = fixture();
        symlink("/usr/bin", f.image.join("bin")).unwrap();
        symlink("../../../../../..", f.image.join("etc/up")).unwrap();
        symlink(&f.outside, f.image.join("etc/out")).unwrap();
        symlink(f.outside.join("x"), f.image.join("etc/outfile")).unwrap();
        for root in roots(&f.image) {
            assert_eq!(read(&root, "/bin/tool").unwrap(), "tool");
            assert_eq!(read(&root, "etc/up/etc/x").unwrap(), "image");
            assert_eq!(read(&root, "/../../../etc/x").unwrap(), "image");
            // The link's target is looked for inside the image, where it is not.
            for p in ["etc/out/x", "etc/outfile"] {
                let e = read(&root, p).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(libc::ENOENT), "{p}");
            }
            // O_NOFOLLOW | O_PATH opens the link itself.
            let fd = root
                .open_in(Path::new("bin"), libc::O_PATH | libc::O_NOFOLLOW)
                .unwrap();
            assert!(File::from(fd).metadata().unwrap().file_type().is_symlink());
            assert_eq!(
                root.walk(Path::new("/bin/tool"), true).unwrap().host,
                Path::new("/usr/bin/tool")
            );
            assert_eq!(
                root.walk(Path::new("/etc/up/usr"), true).unwrap().host,
                Path::new("/usr")
            );
        }
    }

    #[test]
    fn link_loops_are_refused() {
        let f = fixture();
        symlink("loop2", f.image.join("loop1")).unwrap();
        symlink("loop1", f.image.join("loop2")).unwrap();
        symlink("self/x", f.image.join("self")).unwrap();
        for root in roots(&f.image) {
            for p in ["loop1", "self"] {
                let e = read(&root, p).unwrap_err();
                assert_eq!(e.raw_os_error(), Some(libc::ELOOP), "{p}");
            }
        }
    }

    /// `/proc/self/root` in an image with a proc file system mounted in it is the
    /// scanner's own root: the kernel's resolver refuses it, the walk reads it as the
    /// text `/`, the image's root.
    #[test]
    fn magic_links_do_not_escape() {
        let f = fixture();
        let proc_dir = f.image.join("proc");
        std::fs::create_dir(&proc_dir).unwrap();
        let c = CString::new(proc_dir.as_os_str().as_bytes()).unwrap();
        // SAFETY: valid NUL-terminated strings; tests run as root.
        let rc = unsafe {
            libc::mount(
                c"proc".as_ptr(),
                c.as_ptr(),
                c"proc".as_ptr(),
                0,
                std::ptr::null(),
            )
        };
        assert_eq!(rc, 0, "mount proc: {}", io::Error::last_os_error());
        struct Unmount(CString);
        impl Drop for Unmount {
            fn drop(&mut self) {
                // SAFETY: a NUL-terminated path this test mounted.
                unsafe { libc::umount2(self.0.as_ptr(), libc::MNT_DETACH) };
            }
        }
        let _u = Unmount(c);
        let through = format!("proc/self/root{}", f.outside.join("x").display());
        let own = "proc/self/root/etc/x";
        let [kernel, walked] = roots(&f.image);
        assert_eq!(
            read(&kernel, &through).unwrap_err().raw_os_error(),
            Some(libc::ELOOP)
        );
        assert!(read(&kernel, own).is_err());
        assert_eq!(
            read(&walked, &through).unwrap_err().raw_os_error(),
            Some(libc::ENOENT)
        );
        assert_eq!(read(&walked, own).unwrap(), "image");
    }

    /// The swap race of issue 13 against both resolvers directly: a directory of the
    /// image and a link out of it exchange names while the file below is opened.
    #[test]
    fn swapping_a_directory_for_a_link_out_never_escapes() {
        use std::sync::Arc;
        let f = fixture();
        std::fs::create_dir(f.image.join("etc/d")).unwrap();
        std::fs::write(f.image.join("etc/d/x"), "image").unwrap();
        symlink(&f.outside, f.image.join("etc/l")).unwrap();
        let (a, b) = (
            CString::new(f.image.join("etc/d").as_os_str().as_bytes()).unwrap(),
            CString::new(f.image.join("etc/l").as_os_str().as_bytes()).unwrap(),
        );
        let stop = Arc::new(AtomicBool::new(false));
        let swapper = {
            let stop = stop.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // SAFETY: NUL-terminated paths; RENAME_EXCHANGE swaps two names.
                    unsafe {
                        libc::syscall(
                            libc::SYS_renameat2,
                            libc::AT_FDCWD,
                            a.as_ptr(),
                            libc::AT_FDCWD,
                            b.as_ptr(),
                            libc::RENAME_EXCHANGE,
                        )
                    };
                }
            })
        };
        let mut escapes = 0;
        for root in roots(&f.image) {
            for _ in 0..20_000 {
                if read(&root, "/etc/d/x").is_ok_and(|s| s == "HOST") {
                    escapes += 1;
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert_eq!(escapes, 0);
    }
}
