//! `vigil baseline restore STORE`: puts back what a known-good store
//! ([`super::store`]) recorded, for the files that changed or were deleted since.
//!
//! In order, and nothing is written until the first three have passed:
//!
//! 1. The manifest's signature is verified with `--verify-key` (an unsigned store only
//!    with `--allow-unsigned`).
//! 2. Every copy the selected entries need is hashed and compared with the name the
//!    manifest gives it: one missing or altered copy refuses the whole store.
//! 3. Each entry is compared with the file now at its place (the attributes of
//!    `vigil baseline check`).
//! 4. Each difference is put back. A file's content goes to a temporary file created
//!    exclusively in the file's own directory, is checked against the manifest's
//!    SHA-256 as it is copied, gets its owner, extended attributes, ACLs and mode, and is
//!    renamed over the name (a symbolic link put in the file's place is replaced, never
//!    written through; so is a name hard-linked to another file, whose other names keep
//!    their attributes). Directories and symbolic links get their attributes (a missing
//!    directory is made, a missing or retargeted link is made again).
//!
//! Paths are opened relative to descriptors, one component at a time: inside a
//! recorded tree with `O_NOFOLLOW` (a directory that became a symbolic link refuses
//! itself and everything below it, reported, never followed); above it, following only
//! links owned by root or the running user, and with `--root DIR` never above DIR
//! (absolute links and `..` start again at DIR). Files added since the baseline are
//! reported and kept: a restore never deletes a file it has no record of. Kinds other
//! than files, directories and symbolic links (FIFOs, devices, sockets) are reported,
//! not made.

use std::collections::{BTreeSet, HashMap};
use std::ffi::{CString, OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use serde::Serialize;

use super::attrs::{ACL_ACCESS, ACL_DEFAULT, acl_value, fd_xattrs, remove_xattr, set_xattr};
use super::store::{Manifest, Store, copy_object_to};
use super::{AttrChange, Error, FileRecord, Result, attr_changes};
use vigil_core::osutil::{decode_path, encode_path, unhex};

/// What `restore` was asked to do.
#[derive(Debug, Clone, Default)]
pub(crate) struct Request {
    pub store: PathBuf,
    /// `--root`: the tree the recorded paths are restored under (default `/`).
    pub root: Option<PathBuf>,
    pub dry_run: bool,
    pub verify_key: Option<PathBuf>,
    pub allow_unsigned: bool,
    /// Recorded paths to restore (and what is below them); empty: everything.
    pub paths: Vec<PathBuf>,
}

/// What was done to one path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Action {
    Restored,
    WouldRestore,
    Refused,
    /// Not in the baseline: reported, kept.
    Added,
}

impl Action {
    pub(crate) fn word(self) -> &'static str {
        match self {
            Action::Restored => "restored",
            Action::WouldRestore => "would restore",
            Action::Refused => "refused",
            Action::Added => "added, kept",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct Outcome {
    /// The recorded path (escaped as in the baseline).
    pub path: String,
    pub action: Action,
    /// What was (or would be) put back, or why not.
    pub detail: String,
}

/// The whole restore: where from, and one outcome per path that differed.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub store: String,
    pub manifest_sha256: String,
    pub signed_by: Option<String>,
    pub root: String,
    pub dry_run: bool,
    pub copies_verified: usize,
    pub unchanged: usize,
    pub outcomes: Vec<Outcome>,
}

impl Report {
    pub(crate) fn count(&self, a: Action) -> usize {
        self.outcomes.iter().filter(|o| o.action == a).count()
    }
}

fn cstr(s: &OsStr) -> CString {
    CString::new(s.as_bytes()).unwrap_or_default()
}

fn check(fd: libc::c_int) -> io::Result<OwnedFd> {
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a descriptor just returned by the kernel, owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn open_at(dir: BorrowedFd<'_>, name: &OsStr, flags: i32) -> io::Result<OwnedFd> {
    let c = cstr(name);
    let flags = flags | libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NOCTTY | libc::O_NONBLOCK;
    // SAFETY: a valid directory descriptor and a NUL-terminated name.
    check(unsafe { libc::openat(dir.as_raw_fd(), c.as_ptr(), flags) })
}

fn lstat_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<Option<libc::stat>> {
    let c = cstr(name);
    // SAFETY: a zeroed stat is a valid out-parameter; the name is NUL-terminated.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
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

fn read_link_at(dir: BorrowedFd<'_>, name: &OsStr) -> io::Result<OsString> {
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

use std::os::unix::ffi::OsStringExt;

fn is_link(st: &libc::stat) -> bool {
    st.st_mode & libc::S_IFMT == libc::S_IFLNK
}

/// The directory above a recorded tree, resolved from `root` one component at a time:
/// links followed only when root or this user owns them, absolute targets and `..`
/// never above `root`.
fn open_above(root: &OwnedFd, rel: &Path) -> std::result::Result<OwnedFd, String> {
    // SAFETY: geteuid never fails.
    let euid = unsafe { libc::geteuid() };
    let dup = |fd: &OwnedFd| fd.try_clone().map_err(|e| e.to_string());
    let mut stack: Vec<OwnedFd> = vec![dup(root)?];
    let mut pending: Vec<OsString> = Vec::new();
    let push = |pending: &mut Vec<OsString>, p: &Path| {
        let parts: Vec<OsString> = p
            .components()
            .filter_map(|c| match c {
                Component::RootDir => Some(OsString::from("/")),
                Component::ParentDir => Some(OsString::from("..")),
                Component::Normal(n) => Some(n.to_os_string()),
                _ => None,
            })
            .collect();
        pending.extend(parts.into_iter().rev());
    };
    push(&mut pending, rel);
    let mut links = 0;
    let mut shown = PathBuf::from("/");
    while let Some(c) = pending.pop() {
        if c == "/" {
            stack.truncate(1);
            continue;
        }
        if c == ".." {
            if stack.len() > 1 {
                stack.pop();
            }
            continue;
        }
        shown.push(&c);
        let top = stack.last().expect("the root stays").as_fd();
        let st = lstat_at(top, &c)
            .map_err(|e| format!("{}: {e}", shown.display()))?
            .ok_or_else(|| format!("{}: no such directory", shown.display()))?;
        if is_link(&st) {
            if st.st_uid != 0 && st.st_uid != euid {
                return Err(format!(
                    "{} is a symbolic link owned by uid {}: not followed",
                    shown.display(),
                    st.st_uid
                ));
            }
            links += 1;
            if links > 40 {
                return Err(format!("{}: too many symbolic links", shown.display()));
            }
            let t = read_link_at(top, &c).map_err(|e| format!("{}: {e}", shown.display()))?;
            push(&mut pending, Path::new(&t));
            continue;
        }
        let fd = open_at(top, &c, libc::O_PATH | libc::O_DIRECTORY)
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        stack.push(fd);
    }
    Ok(stack.pop().expect("at least the root"))
}

/// Why an entry's directory cannot be reached.
enum Unreachable {
    /// A directory on the way inside the tree is missing (made earlier in a real run
    /// unless its own restore was refused).
    Missing(String),
    /// Refused: a link or other non-directory on the way, or an error.
    Refused(String),
}

/// One recorded tree: its root path and the descriptor of the directory above it.
struct Tree {
    root: PathBuf,
    above: std::result::Result<OwnedFd, String>,
}

/// Opens the directory holding `path` (inside `tree`): every component from the
/// tree's root down with `O_NOFOLLOW`.
fn open_parent(tree: &Tree, path: &Path) -> std::result::Result<OwnedFd, Unreachable> {
    let above = tree
        .above
        .as_ref()
        .map_err(|e| Unreachable::Refused(e.clone()))?;
    let start = tree.root.parent().unwrap_or(Path::new("/"));
    let rel = path
        .parent()
        .and_then(|p| p.strip_prefix(start).ok())
        .ok_or_else(|| Unreachable::Refused("not inside its tree".into()))?;
    let mut fd = above
        .try_clone()
        .map_err(|e| Unreachable::Refused(e.to_string()))?;
    let mut shown = start.to_path_buf();
    for c in rel.components() {
        let Component::Normal(c) = c else {
            return Err(Unreachable::Refused(format!(
                "{}: the recorded path is not plain",
                path.display()
            )));
        };
        shown.push(c);
        let show = encode_path(shown.as_os_str());
        match lstat_at(fd.as_fd(), c) {
            Ok(None) => return Err(Unreachable::Missing(show)),
            Ok(Some(st)) if is_link(&st) => {
                let t = read_link_at(fd.as_fd(), c)
                    .map(|t| encode_path(&t))
                    .unwrap_or_default();
                return Err(Unreachable::Refused(format!(
                    "its directory {show} is now a symbolic link (to {t}): not followed out of the restored tree"
                )));
            }
            Ok(Some(st)) if st.st_mode & libc::S_IFMT != libc::S_IFDIR => {
                return Err(Unreachable::Refused(format!(
                    "its directory {show} is no longer a directory"
                )));
            }
            Err(e) => return Err(Unreachable::Refused(format!("{show}: {e}"))),
            Ok(Some(_)) => {}
        }
        fd = open_at(fd.as_fd(), c, libc::O_PATH | libc::O_DIRECTORY)
            .map_err(|e| Unreachable::Refused(format!("{show}: {e}")))?;
    }
    Ok(fd)
}

/// `/proc/self/fd/N/NAME`: the name in the directory `dir` is open at, for the
/// path-based readers of `baseline::scan` (the directory is the one this module
/// opened; the last component is not followed by them).
fn in_dir(dir: &OwnedFd, name: &OsStr) -> PathBuf {
    let mut p = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    p.push(name);
    p
}

/// The current record of `name` in `dir`, as `baseline check` would make it; `None`
/// when nothing is there.
fn current(dir: &OwnedFd, name: &OsStr, recorded: &str) -> Option<FileRecord> {
    let p = in_dir(dir, name);
    let meta = std::fs::symlink_metadata(&p).ok()?;
    let mut r = super::scan::record(&p, Ok(meta), &indicatif::ProgressBar::hidden());
    r.path = recorded.to_string();
    Some(r)
}

fn kind_word(r: &FileRecord) -> String {
    match r.kind.as_str() {
        "dir" => "a directory".into(),
        "symlink" => format!(
            "a symbolic link (to {})",
            r.target.as_deref().unwrap_or("?")
        ),
        "file" => "a file".into(),
        k => format!("a {k}"),
    }
}

fn what_changed(changes: &[AttrChange]) -> String {
    let mut names: Vec<&str> = Vec::new();
    let retargeted = changes.iter().any(|c| c.attribute == "target");
    for c in changes {
        let n = match c.attribute.as_str() {
            // A link's size is its target's length.
            "size" if retargeted => continue,
            "sha256" | "size" | "error" => "content",
            a if a.starts_with("xattr ") => "xattrs",
            a => a,
        };
        if !names.contains(&n) {
            names.push(n);
        }
    }
    names.join(", ")
}

/// Puts back owner, extended attributes, ACLs and mode on the open file or directory
/// `fd`, in that order: chown clears set-id bits and file capabilities (mode and
/// `security.capability` come after it), and the mode last keeps the ACL mask and the
/// group bits as recorded.
fn put_attrs(fd: BorrowedFd<'_>, r: &FileRecord) -> io::Result<()> {
    // SAFETY: fchown/fchmod on a descriptor the caller opened.
    if unsafe { libc::fchown(fd.as_raw_fd(), r.uid, r.gid) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let now = fd_xattrs(fd)?;
    for (name, _) in &now {
        if name != ACL_ACCESS && name != ACL_DEFAULT && !r.xattrs.contains_key(name) {
            remove_xattr(fd, name)?;
        }
    }
    for (name, value) in &r.xattrs {
        let v = unhex(value).ok_or_else(|| {
            io::Error::other(format!("the manifest's value of xattr {name} is not hex"))
        })?;
        if now.iter().all(|(n, have)| n != name || *have != v) {
            set_xattr(fd, name, &v)?;
        }
    }
    for (name, text, applies) in [
        (ACL_ACCESS, &r.acl, true),
        (ACL_DEFAULT, &r.default_acl, r.kind == "dir"),
    ] {
        match text {
            Some(t) => set_xattr(fd, name, &acl_value(t).map_err(io::Error::other)?)?,
            None if applies => remove_xattr(fd, name)?,
            None => {}
        }
    }
    let mode = u32::from_str_radix(&r.mode, 8)
        .map_err(|_| io::Error::other(format!("the manifest's mode {:?} is not octal", r.mode)))?;
    if unsafe { libc::fchmod(fd.as_raw_fd(), mode as libc::mode_t) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Opens the existing `name` (a regular file or a directory, never through a link) to
/// set its attributes.
fn open_existing(dir: &OwnedFd, name: &OsStr, want_dir: bool) -> io::Result<File> {
    let flags = libc::O_RDONLY | if want_dir { libc::O_DIRECTORY } else { 0 };
    let f = File::from(open_at(dir.as_fd(), name, flags)?);
    let m = f.metadata()?;
    if (want_dir && !m.is_dir()) || (!want_dir && !m.is_file()) {
        return Err(io::Error::other("was replaced while vigil opened it"));
    }
    Ok(f)
}

/// Restores one entry whose directory is `dir`; returns what was put back.
fn restore_one(
    store: &Store,
    dir: &OwnedFd,
    name: &OsStr,
    r: &FileRecord,
    now: Option<&FileRecord>,
) -> std::result::Result<(), String> {
    let e = |e: io::Error| e.to_string();
    match r.kind.as_str() {
        "file" => {
            let sha = r
                .sha256
                .as_deref()
                .ok_or("the manifest has no hash for it")?;
            let same_content = now.is_some_and(|n| {
                n.kind == "file" && n.error.is_none() && n.sha256.as_deref() == Some(sha)
            });
            if same_content {
                let f = open_existing(dir, name, false).map_err(e)?;
                // A name hard-linked to another file (one outside the tree, say) gets a
                // new file of its own rather than a chown or chmod of the shared one.
                if f.metadata().map_err(e)?.nlink() == 1 {
                    return put_attrs(f.as_fd(), r).map_err(e);
                }
            }
            let (tmp, f) = copy_object_to(store, sha, dir, name).map_err(e)?;
            let done = put_attrs(f.as_fd(), r)
                .and_then(|()| f.sync_all())
                .and_then(|()| crate::outfile::commit_temp(dir, &tmp, name));
            if let Err(err) = done {
                crate::outfile::remove_temp(dir, &tmp);
                return Err(err.to_string());
            }
            Ok(())
        }
        "dir" => {
            if now.is_none() {
                // SAFETY: a valid directory descriptor and a NUL-terminated name.
                if unsafe { libc::mkdirat(dir.as_raw_fd(), cstr(name).as_ptr(), 0o700) } != 0 {
                    return Err(io::Error::last_os_error().to_string());
                }
            }
            let f = open_existing(dir, name, true).map_err(e)?;
            put_attrs(f.as_fd(), r).map_err(e)
        }
        "symlink" => {
            let target = decode_path(r.target.as_deref().ok_or("the manifest has no target")?);
            let c = cstr(name);
            let same = now.is_some_and(|n| n.kind == "symlink" && n.target == r.target);
            if !same {
                // A new link under a temporary name, renamed over the old name: the
                // name is never missing, and nothing is written through a link.
                let mut tmp = format!(
                    "{}{}-",
                    crate::outfile::TEMP_PREFIX,
                    vigil_core::osutil::random_hex16()
                )
                .into_bytes();
                tmp.extend(name.as_bytes().iter().copied().take(200));
                let tmp = OsString::from_vec(tmp);
                let (t, ct) = (cstr(&target), cstr(&tmp));
                // SAFETY: NUL-terminated strings and a valid directory descriptor.
                if unsafe { libc::symlinkat(t.as_ptr(), dir.as_raw_fd(), ct.as_ptr()) } != 0 {
                    return Err(io::Error::last_os_error().to_string());
                }
                let owned = unsafe {
                    libc::fchownat(
                        dir.as_raw_fd(),
                        ct.as_ptr(),
                        r.uid,
                        r.gid,
                        libc::AT_SYMLINK_NOFOLLOW,
                    )
                };
                if owned != 0 {
                    let err = io::Error::last_os_error();
                    crate::outfile::remove_temp(dir, &tmp);
                    return Err(err.to_string());
                }
                if let Err(err) = crate::outfile::commit_temp(dir, &tmp, name) {
                    crate::outfile::remove_temp(dir, &tmp);
                    return Err(err.to_string());
                }
                return Ok(());
            }
            // SAFETY: as above.
            if unsafe {
                libc::fchownat(
                    dir.as_raw_fd(),
                    c.as_ptr(),
                    r.uid,
                    r.gid,
                    libc::AT_SYMLINK_NOFOLLOW,
                )
            } != 0
            {
                return Err(io::Error::last_os_error().to_string());
            }
            Ok(())
        }
        k => Err(format!(
            "a {k} is not restored (only files, directories and symbolic links are)"
        )),
    }
}

/// Whether a restore would put the entry back over what is there now, or must refuse.
fn refusal(r: &FileRecord, now: Option<&FileRecord>) -> Option<String> {
    if let Some(e) = &r.error {
        return Some(format!("the store has no complete record of it ({e})"));
    }
    if !matches!(r.kind.as_str(), "file" | "dir" | "symlink") {
        return Some(format!(
            "a {} is not restored (only files, directories and symbolic links are)",
            r.kind
        ));
    }
    let now = now?;
    if now.kind == "dir" && r.kind != "dir" {
        return Some(format!(
            "is now a directory: vigil does not remove a directory to put {} back",
            kind_word(r)
        ));
    }
    if r.kind == "dir" && now.kind != "dir" {
        return Some(format!(
            "is now {}: vigil does not replace it with the directory (remove it and restore \
             again)",
            kind_word(now)
        ));
    }
    None
}

/// Runs a restore (see the module documentation).
pub(crate) fn restore(req: &Request) -> Result<Report> {
    let store = Store::open(&req.store, false)?;
    let Manifest {
        baseline,
        sha256,
        signed_by,
    } = store.read_manifest(req.verify_key.as_deref(), req.allow_unsigned)?;
    let roots: Vec<PathBuf> = baseline
        .roots
        .iter()
        .map(|r| PathBuf::from(decode_path(r)))
        .collect();
    let wanted: Vec<PathBuf> = req
        .paths
        .iter()
        .map(|p| std::path::absolute(p).map_err(Error::io(p)))
        .collect::<Result<_>>()?;
    let selected: Vec<&FileRecord> = baseline
        .entries
        .iter()
        .filter(|e| {
            let p = PathBuf::from(decode_path(&e.path));
            wanted.is_empty() || wanted.iter().any(|w| p.starts_with(w))
        })
        .collect();
    for w in &wanted {
        if !selected
            .iter()
            .any(|e| Path::new(&decode_path(&e.path)).starts_with(w))
        {
            return Err(Error::Usage(format!(
                "{}: not recorded in the store (its baseline holds {})",
                w.display(),
                baseline.roots.join(", ")
            )));
        }
    }
    // Every copy needed is verified before anything is touched.
    let mut shas: BTreeSet<&str> = BTreeSet::new();
    for e in &selected {
        if e.kind == "file"
            && e.error.is_none()
            && let Some(s) = e.sha256.as_deref()
        {
            shas.insert(s);
        }
    }
    let bad: Vec<String> = shas
        .iter()
        .filter_map(|s| store.verify_object(s).err())
        .collect();
    if !bad.is_empty() {
        return Err(Error::Store {
            path: req.store.clone(),
            message: format!(
                "{} of {} copies do not verify; nothing was restored: {}",
                bad.len(),
                shas.len(),
                bad.join("; ")
            ),
        });
    }

    let root_path = req.root.clone().unwrap_or_else(|| PathBuf::from("/"));
    let root_fd = std::fs::File::open(&root_path)
        .map(OwnedFd::from)
        .map_err(Error::io(&root_path))?;
    if !std::fs::metadata(&root_path)
        .map_err(Error::io(&root_path))?
        .is_dir()
    {
        return Err(Error::Usage(format!(
            "{}: --root is not a directory",
            root_path.display()
        )));
    }
    let trees: Vec<Tree> = roots
        .iter()
        .map(|r| Tree {
            root: r.clone(),
            above: open_above(&root_fd, r.parent().unwrap_or(Path::new("/"))),
        })
        .collect();
    let recorded: BTreeSet<&str> = baseline.entries.iter().map(|e| e.path.as_str()).collect();

    let mut report = Report {
        store: std::path::absolute(&req.store)
            .unwrap_or_else(|_| req.store.clone())
            .display()
            .to_string(),
        manifest_sha256: sha256,
        signed_by,
        root: root_path.display().to_string(),
        dry_run: req.dry_run,
        copies_verified: shas.len(),
        unchanged: 0,
        outcomes: Vec::new(),
    };
    // Directories found missing in a dry run: what is below them would be made too.
    let mut would_make: HashMap<String, ()> = HashMap::new();
    for r in selected {
        let path = PathBuf::from(decode_path(&r.path));
        // The outermost recorded tree holding it: nothing inside it is followed.
        let Some(tree) = trees
            .iter()
            .filter(|t| path.starts_with(&t.root))
            .min_by_key(|t| t.root.components().count())
        else {
            continue;
        };
        let Some(name) = path.file_name().map(OsStr::to_os_string) else {
            continue;
        };
        let mut out = |action, detail: String| {
            report.outcomes.push(Outcome {
                path: r.path.clone(),
                action,
                detail,
            })
        };
        let dir = match open_parent(tree, &path) {
            Ok(d) => d,
            Err(Unreachable::Missing(d)) if req.dry_run && would_make.contains_key(&d) => {
                if r.kind == "dir" {
                    would_make.insert(r.path.clone(), ());
                }
                out(Action::WouldRestore, "missing".into());
                continue;
            }
            Err(Unreachable::Missing(d)) => {
                out(Action::Refused, format!("its directory {d} is missing"));
                continue;
            }
            Err(Unreachable::Refused(why)) => {
                out(Action::Refused, why);
                continue;
            }
        };
        let now = current(&dir, &name, &r.path);
        let changes = now.as_ref().map(|n| attr_changes(r, n));
        if changes.as_ref().is_some_and(Vec::is_empty) {
            report.unchanged += 1;
        } else if let Some(why) = refusal(r, now.as_ref()) {
            out(Action::Refused, why);
        } else {
            let what = match &changes {
                None => "missing".to_string(),
                Some(c) => what_changed(c),
            };
            if req.dry_run {
                if now.is_none() && r.kind == "dir" {
                    would_make.insert(r.path.clone(), ());
                }
                out(Action::WouldRestore, what);
            } else {
                match restore_one(&store, &dir, &name, r, now.as_ref()) {
                    Err(why) => out(Action::Refused, format!("{what}: {why}")),
                    Ok(()) => {
                        // Read back: what is there now must be what was recorded.
                        let left = current(&dir, &name, &r.path)
                            .map(|n| attr_changes(r, &n))
                            .unwrap_or_default();
                        if left.is_empty() {
                            out(Action::Restored, what);
                        } else {
                            out(
                                Action::Refused,
                                format!(
                                    "{what}: still differs after restoring: {}",
                                    what_changed(&left)
                                ),
                            );
                        }
                    }
                }
            }
        }
        // Files added to a recorded directory since: reported, kept.
        if r.kind == "dir"
            && let Some(n) = &now
            && n.kind == "dir"
            && let Ok(d) = open_at(dir.as_fd(), &name, libc::O_PATH | libc::O_DIRECTORY)
            && let Ok(rd) = std::fs::read_dir(in_dir(&d, OsStr::new(".")))
        {
            let mut added: Vec<String> = rd
                .flatten()
                .map(|c| encode_path(path.join(c.file_name()).as_os_str()))
                .filter(|p| !recorded.contains(p.as_str()))
                .collect();
            added.sort();
            for p in added {
                report.outcomes.push(Outcome {
                    path: p,
                    action: Action::Added,
                    detail: "not in the baseline: kept (a restore deletes nothing)".into(),
                });
            }
        }
    }
    Ok(report)
}
