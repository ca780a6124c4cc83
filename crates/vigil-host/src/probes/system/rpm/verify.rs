//! Verifying an installed file against its package header, as rpm's `rpmfilesVerify`
//! (lib/verify.c, rpm 4.18) does, reading the file through [`Host`] (within the root
//! offline). The result is a set of RPMVERIFY_* bits: which attributes differ, and
//! whether the file could be examined at all (the `*FAIL` bits).

use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use super::db::RpmFile;
use crate::host::Host;
use crate::host::accounts::Accounts;

/// RPMVERIFY_* bits (rpmvf.h).
pub mod bit {
    #![allow(missing_docs)]
    pub const FILEDIGEST: u32 = 1 << 0;
    pub const FILESIZE: u32 = 1 << 1;
    pub const LINKTO: u32 = 1 << 2;
    pub const USER: u32 = 1 << 3;
    pub const GROUP: u32 = 1 << 4;
    pub const MTIME: u32 = 1 << 5;
    pub const MODE: u32 = 1 << 6;
    pub const RDEV: u32 = 1 << 7;
    pub const CAPS: u32 = 1 << 8;
    pub const READLINKFAIL: u32 = 0x1000_0000;
    pub const READFAIL: u32 = 0x2000_0000;
    pub const LSTATFAIL: u32 = 0x4000_0000;
    /// Any of these: the file could not be verified.
    pub const FAILURES: u32 = READLINKFAIL | READFAIL | LSTATFAIL;
}

/// RPMFILE_* attributes (rpmfiles.h).
pub mod fflag {
    #![allow(missing_docs)]
    pub const CONFIG: u32 = 1 << 0;
    pub const DOC: u32 = 1 << 1;
    pub const GHOST: u32 = 1 << 6;
    pub const LICENSE: u32 = 1 << 7;
    pub const README: u32 = 1 << 8;
}

const S_IFMT: u32 = 0o170000;
const S_IFCHR: u32 = 0o020000;
const S_IFBLK: u32 = 0o060000;
const S_IFDIR: u32 = 0o040000;

/// What verifying needs besides the file: the host and its accounts.
pub struct Verifier<'a> {
    /// The scanned host.
    pub host: &'a Host,
    /// Its users and groups (names of the file's owner and group).
    pub accounts: &'a Accounts,
}

/// User name as rpm's `rpmugUname` gives it: uid 0 is always `root`.
fn uname(a: &Accounts, uid: u32) -> Option<&str> {
    if uid == 0 {
        return Some("root");
    }
    a.users
        .iter()
        .find(|u| u.uid == uid)
        .map(|u| u.name.as_str())
}

fn gname(a: &Accounts, gid: u32) -> Option<&str> {
    if gid == 0 {
        return Some("root");
    }
    a.groups
        .iter()
        .find(|g| g.gid == gid)
        .map(|g| g.name.as_str())
}

impl Verifier<'_> {
    /// The RPMVERIFY bits of `f` (a file of a package whose digests use `algo`), the
    /// attributes in `omit` not checked.
    pub fn verify(&self, f: &RpmFile, algo: u32, omit: u32) -> u32 {
        let mut flags = f.verify_flags & !omit;
        let mut vfy = 0u32;
        match f.state {
            // Not installed (--excludedocs, another arch) or on a shared file system:
            // rpm pretends all is well.
            Some(2) | Some(3) => return 0,
            // Replaced by another package: only whether it exists.
            Some(1) => flags = 0,
            Some(4) => flags &= !(bit::FILEDIGEST | bit::FILESIZE | bit::MTIME | bit::RDEV),
            _ => {}
        }
        let host_path = Path::new(&f.path);
        let Ok(real) = self.host.real_nofollow(host_path) else {
            return bit::LSTATFAIL;
        };
        let Ok(mut meta) = self.host.lstat(&real) else {
            return bit::LSTATFAIL;
        };
        let mut real = real;
        // A directory the package installed that is now a link to a directory: rpm
        // follows the link.
        if f.mode & S_IFMT == S_IFDIR
            && meta.file_type().is_symlink()
            && let Ok(r) = self.host.real_follow(host_path)
            && let Ok(m) = self.host.lstat(&r)
            && m.is_dir()
        {
            meta = m;
            real = r;
        }
        let ft = meta.file_type();
        if ft.is_symlink() {
            flags &= !bit::MODE;
        } else {
            flags &= !bit::LINKTO;
        }
        if !ft.is_file() {
            flags &= !(bit::FILEDIGEST | bit::FILESIZE | bit::MTIME | bit::CAPS);
        }
        let ghost = f.flags & fflag::GHOST != 0;
        if ghost {
            flags &= !(bit::FILEDIGEST | bit::FILESIZE | bit::MTIME | bit::LINKTO);
        }
        if flags & bit::FILEDIGEST != 0 {
            if f.digest.is_empty() {
                vfy |= bit::FILEDIGEST;
            } else {
                match self.digest(&real, algo) {
                    Some(Ok(d)) if d == f.digest => {}
                    Some(Ok(_)) => vfy |= bit::FILEDIGEST,
                    Some(Err(())) => vfy |= bit::READFAIL | bit::FILEDIGEST,
                    // An algorithm vigil does not know: it cannot say the content is
                    // right, so the file is not verified (as a read failure would).
                    None => vfy |= bit::READFAIL,
                }
            }
        }
        if flags & bit::LINKTO != 0 {
            match self.host.read_link(&real) {
                Err(_) => vfy |= bit::READLINKFAIL | bit::LINKTO,
                Ok(t) => {
                    if f.linkto.is_empty()
                        || t.as_os_str().as_encoded_bytes() != f.linkto.as_bytes()
                    {
                        vfy |= bit::LINKTO;
                    }
                }
            }
        }
        if flags & bit::FILESIZE != 0 && meta.size() != f.size {
            vfy |= bit::FILESIZE;
        }
        if flags & bit::MODE != 0 {
            let (mut want, mut got) = (f.mode, meta.mode());
            // The type of a %ghost file is meaningless, its permissions are not.
            if ghost {
                want &= !S_IFMT;
                got &= !S_IFMT;
            }
            if want != got {
                vfy |= bit::MODE;
            }
        }
        if flags & bit::RDEV != 0 {
            let want_chr = f.mode & S_IFMT == S_IFCHR;
            let want_blk = f.mode & S_IFMT == S_IFBLK;
            let type_differs = want_chr != ft.is_char_device() || want_blk != ft.is_block_device();
            let dev_differs =
                (want_chr || want_blk) && (meta.rdev() as u32 & 0xffff) != (f.rdev & 0xffff);
            if type_differs || dev_differs {
                vfy |= bit::RDEV;
            }
        }
        if flags & bit::CAPS != 0 && !self.caps_equal(&real, &f.caps) {
            vfy |= bit::CAPS;
        }
        if flags & bit::MTIME != 0 && meta.mtime() != f.mtime {
            vfy |= bit::MTIME;
        }
        if flags & bit::USER != 0 && uname(self.accounts, meta.uid()) != Some(f.user.as_str()) {
            vfy |= bit::USER;
        }
        if flags & bit::GROUP != 0 && gname(self.accounts, meta.gid()) != Some(f.group.as_str()) {
            vfy |= bit::GROUP;
        }
        vfy
    }

    /// The digest of a regular file, hex; `None` for an unknown algorithm.
    fn digest(&self, real: &Path, algo: u32) -> Option<Result<String, ()>> {
        fn run<D: md5::Digest>(mut r: impl Read) -> Result<String, ()> {
            let mut d = D::new();
            let mut buf = vec![0u8; 1 << 16];
            loop {
                match r.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => d.update(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => return Err(()),
                }
            }
            Ok(d.finalize().iter().map(|b| format!("{b:02x}")).collect())
        }
        let open = || -> Result<std::fs::File, ()> {
            let fd = self
                .host
                .open(
                    real,
                    libc::O_RDONLY | libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY,
                )
                .map_err(|_| ())?;
            let f = std::fs::File::from(fd);
            // Only a regular file is read: never wait on a FIFO swapped in since.
            if !f.metadata().map_err(|_| ())?.is_file() {
                return Err(());
            }
            Ok(f)
        };
        Some(match algo {
            1 => open().and_then(run::<md5::Md5>),
            2 => open().and_then(run::<sha1::Sha1>),
            8 => open().and_then(run::<sha2::Sha256>),
            9 => open().and_then(run::<sha2::Sha384>),
            10 => open().and_then(run::<sha2::Sha512>),
            11 => open().and_then(run::<sha2::Sha224>),
            _ => return None,
        })
    }

    /// Whether the file's `security.capability` equals the header's text form.
    fn caps_equal(&self, real: &Path, text: &str) -> bool {
        let want = match super::caps::from_text(text) {
            Some(w) => w,
            // A text vigil cannot parse: say it differs rather than pass it unseen.
            None => return false,
        };
        let got = match self.host.xattr(real, b"security.capability") {
            Ok(v) => match super::caps::from_xattr(&v) {
                Some(c) => c,
                None => return false,
            },
            Err(_) => super::caps::Caps::default(),
        };
        want == got
    }
}
