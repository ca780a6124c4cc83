//! Small POSIX helpers shared by vigil's `history` and `baseline` modules and the
//! probes: hex encoding, SHA-256 of bytes, the host name, user and group names
//! (getpwuid_r / getgrgid_r, so NSS sources are honoured), extended attribute values
//! (lgetxattr), byte-exact path encoding for file names that are not UTF-8, and the
//! opening of files a user names ([`open_input`], [`read_input`]),
//! which never blocks on a FIFO, and reads bounded in size ([`read_bounded`]); the one
//! rule for a name from content or a host that is joined to a directory
//! ([`is_plain_file_name`], [`plain_file_name`]).

use std::ffi::{CStr, CString, OsStr, OsString};
use std::io;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use sha2::{Digest, Sha256};

/// A name that stays in the directory it is joined to: not empty, no `/`, not `.` or
/// `..` (nor only dots), no NUL. Every name that comes from content or a host is taken
/// only when plain, or reduced to one by [`plain_file_name`], before it meets a
/// directory: `Path::join` with an absolute name replaces the directory, and `..`
/// climbs out of it.
pub fn is_plain_file_name(name: &str) -> bool {
    !name.contains(['/', '\0']) && !name.trim_matches('.').is_empty()
}

/// `name` reduced to its last plain component (`/etc/x` and `../../x` give `x`,
/// `https://h/p/oval.xml` gives `oval.xml`); `None` when it has none (`..`, `/`).
pub fn plain_file_name(name: &str) -> Option<&str> {
    name.rsplit('/').find(|c| is_plain_file_name(c))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// 16 random bytes from the kernel, hex.
pub fn random_hex16() -> String {
    let mut b = [0u8; 16];
    let mut got = 0;
    while got < b.len() {
        // SAFETY: writes at most the remaining length into the buffer.
        let n = unsafe { libc::getrandom(b[got..].as_mut_ptr().cast(), b.len() - got, 0) };
        if n < 0 {
            let e = io::Error::last_os_error();
            assert_eq!(e.kind(), io::ErrorKind::Interrupted, "getrandom: {e}");
            continue;
        }
        got += n as usize;
    }
    hex(&b)
}

/// Inverse of [`hex`]; `None` on odd length or a non-hex digit.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// SHA-256 of `bytes` as lower-case hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// This machine's host name (gethostname), or "localhost" if it cannot be read.
pub fn hostname() -> String {
    let mut buf = [0u8; 256];
    // SAFETY: buf is writable for its full length; gethostname NUL-terminates on success
    // when the name fits, and we bound the search for NUL by the buffer anyway.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return "localhost".to_string();
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    String::from_utf8_lossy(&buf[..end]).into_owned()
}

/// Name of the effective user running vigil, or the numeric uid if it has no name.
pub fn current_user() -> String {
    // SAFETY: geteuid never fails.
    let uid = unsafe { libc::geteuid() };
    user_name(uid).unwrap_or_else(|| uid.to_string())
}

/// The user name for `uid`, if the password database knows it.
pub fn user_name(uid: u32) -> Option<String> {
    // SAFETY: pwd and result are plain out-parameters; buf is valid for its length; on
    // success pw_name is a NUL-terminated string inside buf.
    nss_name(|buf| unsafe {
        let mut pwd: libc::passwd = std::mem::zeroed();
        let mut result: *mut libc::passwd = std::ptr::null_mut();
        let rc = libc::getpwuid_r(
            uid,
            &mut pwd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        (
            rc,
            (!result.is_null()).then(|| CStr::from_ptr(pwd.pw_name).to_string_lossy().into_owned()),
        )
    })
}

/// The group name for `gid`, if the group database knows it.
pub fn group_name(gid: u32) -> Option<String> {
    // SAFETY: as in user_name, with getgrgid_r and gr_name.
    nss_name(|buf| unsafe {
        let mut grp: libc::group = std::mem::zeroed();
        let mut result: *mut libc::group = std::ptr::null_mut();
        let rc = libc::getgrgid_r(
            gid,
            &mut grp,
            buf.as_mut_ptr().cast(),
            buf.len(),
            &mut result,
        );
        (
            rc,
            (!result.is_null()).then(|| CStr::from_ptr(grp.gr_name).to_string_lossy().into_owned()),
        )
    })
}

/// Runs a reentrant NSS lookup with a buffer that grows while the call says ERANGE
/// (up to 1 MiB); `lookup` returns the call's status and the name it found.
fn nss_name(mut lookup: impl FnMut(&mut [u8]) -> (i32, Option<String>)) -> Option<String> {
    let mut buf = vec![0u8; 4096];
    loop {
        match lookup(&mut buf) {
            (libc::ERANGE, _) if buf.len() < 1 << 20 => buf.resize(buf.len() * 4, 0),
            (0, name) => return name,
            _ => return None,
        }
    }
}

/// The value of the extended attribute `name` of `path` itself (a symbolic link's own,
/// never its target's). Errors are the call's: ENODATA when the attribute is absent,
/// ENOTSUP when the file system has none.
pub fn lgetxattr(path: &Path, name: &[u8]) -> io::Result<Vec<u8>> {
    let invalid = |_| io::Error::from(io::ErrorKind::InvalidInput);
    let path = CString::new(path.as_os_str().as_bytes()).map_err(invalid)?;
    let name = CString::new(name).map_err(invalid)?;
    // SAFETY: both strings are NUL-terminated; the buffer is valid for its length.
    xattr_value(|buf, len| unsafe { libc::lgetxattr(path.as_ptr(), name.as_ptr(), buf, len) })
}

/// [`lgetxattr`] of an open file.
pub fn fgetxattr(file: &impl std::os::fd::AsRawFd, name: &[u8]) -> io::Result<Vec<u8>> {
    let name = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    let fd = file.as_raw_fd();
    // SAFETY: name is NUL-terminated; fd is open; the buffer is valid for its length.
    xattr_value(|buf, len| unsafe { libc::fgetxattr(fd, name.as_ptr(), buf, len) })
}

/// Runs a getxattr-style call (`get(buffer, length)`, a null buffer asks for the size)
/// until the value fits.
fn xattr_value(get: impl Fn(*mut libc::c_void, usize) -> isize) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; 256];
    loop {
        let n = get(buf.as_mut_ptr().cast(), buf.len());
        if n >= 0 {
            buf.truncate(n as usize);
            return Ok(buf);
        }
        let e = io::Error::last_os_error();
        if e.raw_os_error() != Some(libc::ERANGE) {
            return Err(e);
        }
        // The value grew since the last call: ask for its size and try again.
        let need = get(std::ptr::null_mut(), 0);
        if need < 0 {
            return Err(io::Error::last_os_error());
        }
        buf.resize(need as usize + 1, 0);
    }
}

/// Opens a file to read that a user names (content, policy, results). A named FIFO with
/// no writer would block `open` forever, so the open does not wait (`O_NONBLOCK`);
/// blocking reads are then restored, so a pipe that has a writer
/// (`vigil scan <(zcat ds.xml.gz)`) is read whole, and one without a writer reads as
/// empty (POSIX read(): end of file).
pub fn open_input(path: &Path) -> io::Result<std::fs::File> {
    open_without_waiting(std::fs::OpenOptions::new().read(true), path)
}

/// Opens with `O_NONBLOCK`, then makes the descriptor blocking again.
fn open_without_waiting(
    options: &mut std::fs::OpenOptions,
    path: &Path,
) -> io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::OpenOptionsExt;
    let f = options
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC)
        .open(path)?;
    // SAFETY: fcntl on a descriptor this function owns.
    unsafe {
        let flags = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
        if flags < 0 || libc::fcntl(f.as_raw_fd(), libc::F_SETFL, flags & !libc::O_NONBLOCK) < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(f)
}

/// Reads at most `limit` bytes of a file opened with [`open_input`]; the flag says
/// whether there was more, and the caller names the limit in its error. A regular file
/// larger than `limit` is refused by its size, before anything is read.
pub fn read_input(path: &Path, limit: u64) -> io::Result<(Vec<u8>, bool)> {
    let mut f = open_input(path)?;
    let meta = f.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::IsADirectory,
            "is a directory",
        ));
    }
    if meta.is_file() && meta.len() > limit {
        return Ok((Vec::new(), true));
    }
    let mut bytes = Vec::with_capacity(if meta.is_file() {
        meta.len() as usize
    } else {
        0
    });
    let over = read_bounded(&mut f, &mut bytes, limit, false)?;
    Ok((bytes, over))
}

/// All of a file opened with [`open_input`] (content limits are the caller's business).
pub fn read_whole_input(path: &Path) -> io::Result<Vec<u8>> {
    read_input(path, u64::MAX).map(|(bytes, _)| bytes)
}

/// Appends at most `limit` bytes of `r` to `buf`; returns whether there was more. With
/// `drain`, the rest is read and dropped (so a writer on a pipe never blocks); without,
/// reading stops.
pub fn read_bounded(
    r: &mut impl io::Read,
    buf: &mut Vec<u8>,
    limit: u64,
    drain: bool,
) -> io::Result<bool> {
    use std::io::Read;
    r.take(limit).read_to_end(buf)?;
    let mut probe = [0u8; 1];
    let over = loop {
        match r.read(&mut probe) {
            Ok(0) => break false,
            Ok(_) => break true,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    };
    if over && drain {
        io::copy(r, &mut io::sink())?;
    }
    Ok(over)
}

/// Encodes a path (any bytes) as a string: UTF-8 stays as it is, a backslash becomes
/// `\\` and every byte that is not part of valid UTF-8 becomes `\xNN`. Reversible with
/// [`decode_path`], so file names that are not UTF-8 survive a JSON round trip.
pub fn encode_path(p: &OsStr) -> String {
    let mut out = String::new();
    let mut rest = p.as_bytes();
    while !rest.is_empty() {
        match std::str::from_utf8(rest) {
            Ok(s) => {
                push_escaped(&mut out, s);
                break;
            }
            Err(e) => {
                let (good, bad) = rest.split_at(e.valid_up_to());
                // SAFETY-free: `good` is valid UTF-8 by valid_up_to.
                push_escaped(&mut out, std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                for b in &bad[..n] {
                    out.push_str(&format!("\\x{b:02x}"));
                }
                rest = &bad[n..];
            }
        }
    }
    out
}

fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
}

/// Inverse of [`encode_path`].
pub fn decode_path(s: &str) -> OsString {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    OsString::from_vec(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_sha256_matches_sha256sum_vector() {
        assert_eq!(
            unhex(&hex(&[0, 1, 0xab, 0xff])).unwrap(),
            vec![0, 1, 0xab, 0xff]
        );
        assert!(unhex("abc").is_none());
        assert!(unhex("zz").is_none());
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn path_encoding_round_trips_non_utf8_and_backslashes() {
        for raw in [
            &b"/etc/passwd"[..],
            b"/tmp/a\\xff",
            b"/tmp/\xff\xfe name",
            b"caf\xc3\xa9",
            b"\\\\x41",
        ] {
            let os = OsStr::from_bytes(raw);
            let enc = encode_path(os);
            assert_eq!(decode_path(&enc).as_bytes(), raw, "{enc}");
        }
        assert_eq!(encode_path(OsStr::from_bytes(b"a\xffb")), "a\\xffb");
    }

    #[test]
    fn root_user_and_group_have_names() {
        assert_eq!(user_name(0).as_deref(), Some("root"));
        assert_eq!(group_name(0).as_deref(), Some("root"));
        assert!(!hostname().is_empty());
    }
}
