//! One shared, parallel walk of the host's file system for every object of a batch.
//!
//! oscap walks the tree once per object; SSG has dozens of objects under `/`, `/etc` and
//! `/var/log/audit`, so vigil walks once for all of them. Each object becomes one or
//! more [`Visitor`]s, each with a start directory. The walk starts at `/` with every
//! visitor *pending*; a directory that no active visitor needs is not even listed: the
//! walk only steps to the next component of the pending start paths. Where visitors are
//! active, the directory is read once, every entry is matched against every active
//! visitor, matching entries are `lstat`ed once and handed to the caller with the list
//! of visitors they match. Subdirectories are walked in parallel (rayon); only the
//! current path's directories are held, so memory does not grow with the tree.
//!
//! Behaviors (OVAL 5.11 unix FileBehaviors): `max_depth`, `recurse` (directories,
//! symlinks, or both), `recurse_file_system` (`all`, `local`: skip network file systems,
//! `defined`: stay on the start directory's device). `recurse_direction="up"` is turned
//! into one visitor per ancestor by the caller.
//!
//! Safety: a directory whose (device, inode) is one of its own ancestors is never
//! entered (no symlink loops, no bind-mount loops); `/proc` and `/sys` are entered only
//! for visitors whose start is inside them; nothing is opened here except directories.

use std::ffi::{CStr, CString, OsStr};
use std::fs::Metadata;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::matcher::Matcher;
use crate::host::Host;
use crate::probes::Deadline;

/// Which directories are candidates for a visitor.
pub(crate) enum Scope {
    /// The start directory and its subdirectories down to `max_depth`.
    Tree,
    /// Every directory whose host path matches, and their subdirectories down to
    /// `max_depth`; the walk searches below the start, where a match is still possible.
    PathSearch(Matcher),
    /// Every non-directory entry whose host file path matches.
    FilepathSearch(Matcher),
}

/// What a visitor wants from a candidate directory.
pub(crate) enum Want {
    /// The directory itself (`filename` is xsi:nil).
    Dir,
    /// Its non-directory entries whose name matches.
    Entries(Matcher),
    /// With [`Scope::FilepathSearch`]: its entries whose full path matches.
    Filepath,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FsScope {
    All,
    Local,
    Defined,
}

pub(crate) struct Visitor {
    /// Host path of the start directory (lexically normal, absolute).
    pub start: PathBuf,
    pub scope: Scope,
    pub want: Want,
    /// -1: unlimited.
    pub max_depth: i64,
    pub follow_dirs: bool,
    pub follow_links: bool,
    pub fs: FsScope,
}

/// The `lstat` fields the probes use, from `fstatat` or from [`Metadata`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stat {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub atime: i64,
    pub ctime: i64,
    pub mtime: i64,
    pub dev: u64,
    pub ino: u64,
}

impl Stat {
    fn from_libc(st: &libc::stat) -> Stat {
        Stat {
            mode: st.st_mode,
            uid: st.st_uid,
            gid: st.st_gid,
            size: st.st_size as u64,
            atime: st.st_atime,
            ctime: st.st_ctime,
            mtime: st.st_mtime,
            dev: st.st_dev,
            ino: st.st_ino,
        }
    }

    pub(crate) fn from_metadata(md: &Metadata) -> Stat {
        Stat {
            mode: md.mode(),
            uid: md.uid(),
            gid: md.gid(),
            size: md.size(),
            atime: md.atime(),
            ctime: md.ctime(),
            mtime: md.mtime(),
            dev: md.dev(),
            ino: md.ino(),
        }
    }

    fn file_type(&self) -> u32 {
        self.mode & libc::S_IFMT
    }

    pub(crate) fn is_dir(&self) -> bool {
        self.file_type() == libc::S_IFDIR
    }

    pub(crate) fn is_symlink(&self) -> bool {
        self.file_type() == libc::S_IFLNK
    }

    pub(crate) fn is_file(&self) -> bool {
        self.file_type() == libc::S_IFREG
    }
}

/// `fstatat(dir, name)`; `follow`: through a final symbolic link.
fn stat_at(dir: RawFd, name: &CStr, follow: bool) -> io::Result<Stat> {
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: name is NUL-terminated and st is a valid out-pointer.
    if unsafe { libc::fstatat(dir, name.as_ptr(), &mut st, flags) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Stat::from_libc(&st))
}

/// A matching directory or entry.
pub(crate) struct Hit<'a> {
    /// Host path of the directory holding the entry (or of the directory itself).
    pub dir: &'a Path,
    /// `None`: the hit is the directory `dir` itself.
    pub name: Option<&'a OsStr>,
    /// Where the directory holding the entry is read (for a directory hit: where the
    /// directory itself is `lstat`ed).
    pub real_dir: &'a Path,
    pub meta: &'a Stat,
}

impl Hit<'_> {
    /// Where the entry is read (its `lstat` is `meta`).
    pub(crate) fn real(&self) -> PathBuf {
        match self.name {
            Some(n) => self.real_dir.join(n),
            None => self.real_dir.to_path_buf(),
        }
    }
}

pub(crate) type OnHit<'a> = dyn Fn(&Hit, &[u32]) + Sync + 'a;
pub(crate) type OnError<'a> = dyn Fn(u32, String) + Sync + 'a;

#[derive(Clone, Copy)]
struct Active {
    v: u32,
    /// Levels below the start directory.
    depth: u32,
    /// Levels below the nearest directory matching a `PathSearch`.
    below: Option<u32>,
    start_dev: u64,
}

struct Chain {
    dev: u64,
    ino: u64,
    parent: Option<Arc<Chain>>,
}

impl Chain {
    fn contains(this: &Option<Arc<Chain>>, dev: u64, ino: u64) -> bool {
        let mut c = this.as_deref();
        while let Some(n) = c {
            if n.dev == dev && n.ino == ino {
                return true;
            }
            c = n.parent.as_deref();
        }
        false
    }
}

/// How a directory is opened: relative to its parent's descriptor (no path lookup of
/// the whole path again), or by path.
enum Open {
    At {
        parent: Arc<OwnedFd>,
        name: CString,
        follow: bool,
    },
    Path,
}

struct Node {
    host: PathBuf,
    /// Where the directory is read (links resolved).
    real: PathBuf,
    /// Where the directory's own `lstat` is taken (last component not followed).
    lreal: PathBuf,
    /// That `lstat`, when the parent's listing already took it.
    lmeta: Option<Stat>,
    open: Open,
    dev: u64,
    chain: Option<Arc<Chain>>,
    active: Vec<Active>,
    pending: Vec<u32>,
}

struct Walk<'a> {
    host: &'a Host,
    visitors: &'a [Visitor],
    on_hit: &'a OnHit<'a>,
    on_error: &'a OnError<'a>,
    stats: Counters,
    /// Per visitor: where its walk really starts (see [`aliases`]).
    starts: Vec<PathBuf>,
    /// Per visitor: the host path it names its start by, when that is not `starts`.
    aliases: Vec<Option<Alias>>,
    deadline: &'a Deadline,
}

/// A tree visitor whose start directory is reached through a symbolic link (`/lib` ->
/// `/usr/lib`): it is walked from the link's target, with every hit renamed back under
/// the link, so that a tree also walked under its own name is listed once.
struct Alias {
    /// The start as the object names it.
    host: PathBuf,
    /// Its `lstat` (the link itself) and where that was taken, for the start's own
    /// directory item.
    lreal: PathBuf,
    lmeta: Stat,
}

/// Moves tree visitors whose start goes through a link to the link's target (a
/// directory), keeping the name they report under.
fn aliases(host: &Host, visitors: &[Visitor]) -> (Vec<PathBuf>, Vec<Option<Alias>>) {
    visitors
        .iter()
        .map(|v| {
            let alias = || -> Option<(PathBuf, Alias)> {
                if !matches!(v.scope, Scope::Tree) || v.start == Path::new("/") {
                    return None;
                }
                let canon = host.canonical(&v.start).ok()?;
                if canon == v.start || !host.stat(&host.path(&canon)).ok()?.is_dir() {
                    return None;
                }
                let lreal = host.real_nofollow(&v.start).ok()?;
                let lmeta = Stat::from_metadata(&host.lstat(&lreal).ok()?);
                Some((
                    canon,
                    Alias {
                        host: v.start.clone(),
                        lreal,
                        lmeta,
                    },
                ))
            };
            match alias() {
                Some((canon, a)) => (canon, Some(a)),
                None => (v.start.clone(), None),
            }
        })
        .unzip()
}

/// What a walk did, for `VIGIL_TRACE`.
#[derive(Default)]
struct Counters {
    dirs: AtomicU64,
    entries: AtomicU64,
    stats: AtomicU64,
}

/// Work done by one walk: directories listed, entries seen, `stat` calls made.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WalkStats {
    pub dirs: u64,
    pub entries: u64,
    pub stats: u64,
}

/// Lexically normalises an absolute host path (`.`, `..`, repeated and trailing `/`).
pub(crate) fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in p.components() {
        match c {
            Component::Normal(s) => out.push(s),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// Walks once for all `visitors`, calling `on_hit` for every matching directory or
/// entry with the visitors it matches, and `on_error` for what could not be read.
/// Stops early once `deadline` expires (the caller sees it in `Deadline::was_hit`).
pub(crate) fn walk(
    host: &Host,
    visitors: &[Visitor],
    on_hit: &OnHit,
    on_error: &OnError,
    deadline: &Deadline,
) -> WalkStats {
    if visitors.is_empty() {
        return WalkStats::default();
    }
    let (starts, aliases) = aliases(host, visitors);
    if vigil_core::trace::enabled() {
        for (s, a) in starts.iter().zip(&aliases) {
            if let Some(a) = a {
                eprintln!("vigil trace: walk {} as {}", s.display(), a.host.display());
            }
        }
    }
    let w = Walk {
        host,
        visitors,
        on_hit,
        on_error,
        stats: Counters::default(),
        starts,
        aliases,
        deadline,
    };
    let root = host.path(Path::new("/"));
    let Ok(md) = host.stat(&root) else {
        return WalkStats::default();
    };
    w.visit(Node {
        host: PathBuf::from("/"),
        real: root.clone(),
        lreal: root,
        lmeta: None,
        open: Open::Path,
        dev: md.dev(),
        chain: Some(Arc::new(Chain {
            dev: md.dev(),
            ino: md.ino(),
            parent: None,
        })),
        active: Vec::new(),
        pending: (0..visitors.len() as u32).collect(),
    });
    WalkStats {
        dirs: w.stats.dirs.into_inner(),
        entries: w.stats.entries.into_inner(),
        stats: w.stats.stats.into_inner(),
    }
}

thread_local! {
    static BUF: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl Drop for Entries {
    fn drop(&mut self) {
        let buf = std::mem::take(&mut self.buf);
        BUF.with(|b| b.set(buf));
    }
}

/// The entries of a directory, read with getdents64(2) into one buffer: names are
/// borrowed from it, nothing is allocated per entry.
struct Entries {
    fd: RawFd,
    buf: Vec<u8>,
    len: usize,
    pos: usize,
}

impl Entries {
    fn new(fd: RawFd) -> Entries {
        // One buffer per thread, taken for the listing and given back after.
        let buf = BUF.with(|b| b.take());
        Entries {
            fd,
            buf: if buf.is_empty() {
                vec![0; 32 * 1024]
            } else {
                buf
            },
            len: 0,
            pos: 0,
        }
    }

    /// The next entry (name, d_type), `.` and `..` left out; `None` at the end.
    fn next(&mut self) -> Option<io::Result<(&CStr, u8)>> {
        let (start, end, d_type) = loop {
            if self.pos >= self.len {
                // SAFETY: buf is valid for buf.len() bytes; the kernel writes whole records.
                let n = unsafe {
                    libc::syscall(
                        libc::SYS_getdents64,
                        self.fd,
                        self.buf.as_mut_ptr(),
                        self.buf.len(),
                    )
                };
                if n < 0 {
                    return Some(Err(io::Error::last_os_error()));
                }
                if n == 0 {
                    return None;
                }
                self.len = n as usize;
                self.pos = 0;
            }
            // struct linux_dirent64 { u64 d_ino; i64 d_off; u16 d_reclen; u8 d_type;
            // char d_name[]; }
            let at = self.pos;
            let reclen = u16::from_ne_bytes([self.buf[at + 16], self.buf[at + 17]]) as usize;
            self.pos += reclen;
            let name = &self.buf[at + 19..at + reclen];
            let n = name.iter().position(|&b| b == 0).unwrap_or(name.len());
            if matches!(&name[..n], b"." | b"..") || n == name.len() {
                continue;
            }
            break (at + 19, at + 19 + n + 1, self.buf[at + 18]);
        };
        let name = CStr::from_bytes_with_nul(&self.buf[start..end]).ok()?;
        Some(Ok((name, d_type)))
    }
}

fn open_dir(host: &Host, node: &Node) -> io::Result<OwnedFd> {
    // O_NONBLOCK: should the directory have been replaced by a FIFO, do not wait.
    let flags = libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    let fd = match &node.open {
        Open::At {
            parent,
            name,
            follow,
        } => {
            let flags = if *follow {
                flags
            } else {
                flags | libc::O_NOFOLLOW
            };
            // SAFETY: name is NUL-terminated; parent is an open directory.
            unsafe { libc::openat(parent.as_raw_fd(), name.as_ptr(), flags) }
        }
        // Offline, within the root's descriptor.
        Open::Path => return host.open(&node.real, flags),
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fd was just opened and is owned by nothing else.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

impl Walk<'_> {
    fn visit(&self, mut node: Node) {
        if self.deadline.expired() {
            return;
        }
        // Visitors whose start is this directory become active.
        let mut still = Vec::new();
        for &p in &node.pending {
            if self.starts[p as usize] == node.host {
                node.active.push(Active {
                    v: p,
                    depth: 0,
                    below: None,
                    start_dev: node.dev,
                });
            } else {
                still.push(p);
            }
        }
        node.pending = still;
        if node.active.is_empty() {
            return self.route_pending(node);
        }

        let mut dir_hits = Vec::new();
        let mut candidates = Vec::with_capacity(node.active.len());
        let host_bytes = node.host.as_os_str().as_bytes();
        for a in node.active.iter_mut() {
            let v = &self.visitors[a.v as usize];
            let candidate = match &v.scope {
                Scope::Tree => true,
                Scope::FilepathSearch(_) => true,
                Scope::PathSearch(m) => {
                    match m.matches_bytes(host_bytes) {
                        Ok(true) => a.below = Some(0),
                        Ok(false) => {}
                        Err(e) => (self.on_error)(a.v, e),
                    }
                    a.below
                        .is_some_and(|b| v.max_depth < 0 || i64::from(b) <= v.max_depth)
                }
            };
            if !candidate {
                continue;
            }
            match v.want {
                // An aliased start is its own directory item under its own name (the
                // link's lstat, as when walked through the link).
                Want::Dir if a.depth == 0 && self.aliases[a.v as usize].is_some() => {
                    let al = self.aliases[a.v as usize].as_ref().expect("alias");
                    (self.on_hit)(
                        &Hit {
                            dir: &al.host,
                            name: None,
                            real_dir: &al.lreal,
                            meta: &al.lmeta,
                        },
                        &[a.v],
                    );
                }
                Want::Dir => dir_hits.push(a.v),
                _ => candidates.push(a.v),
            }
        }
        if !dir_hits.is_empty() {
            let md = match node.lmeta {
                Some(md) => Ok(md),
                None => self
                    .host
                    .lstat(&node.lreal)
                    .map(|m| Stat::from_metadata(&m)),
            };
            match md {
                Ok(md) => self.emit(
                    &Hit {
                        dir: &node.host,
                        name: None,
                        real_dir: &node.lreal,
                        meta: &md,
                    },
                    &dir_hits,
                ),
                Err(e) => {
                    for &v in &dir_hits {
                        (self.on_error)(v, format!("cannot stat {}: {e}", node.host.display()));
                    }
                }
            }
        }

        let fd = match open_dir(self.host, &node) {
            Ok(fd) => Arc::new(fd),
            // Removed since its parent was listed: gone, not an error.
            Err(e) if e.raw_os_error() == Some(libc::ENOENT) => return,
            Err(e) => {
                for a in &node.active {
                    (self.on_error)(
                        a.v,
                        format!("cannot read directory {}: {e}", node.host.display()),
                    );
                }
                return;
            }
        };
        let mut children = Vec::new();
        let mut matched = Vec::new();
        let (mut n_entries, mut n_stats) = (0u64, 0u64);
        let mut entries = Entries::new(fd.as_raw_fd());
        while let Some(entry) = entries.next() {
            n_entries += 1;
            // A directory of a million entries must not outlive the deadline.
            if n_entries % 1024 == 0 && self.deadline.expired() {
                return;
            }
            let (cname, d_type) = match entry {
                Ok(e) => e,
                Err(e) => {
                    for a in &node.active {
                        (self.on_error)(
                            a.v,
                            format!("cannot read directory {}: {e}", node.host.display()),
                        );
                    }
                    break;
                }
            };
            let name = OsStr::from_bytes(cname.to_bytes());
            // The entry's lstat, taken at most once.
            let mut lst: Option<Stat> = None;
            let d_type = if d_type == libc::DT_UNKNOWN {
                n_stats += 1;
                match stat_at(fd.as_raw_fd(), cname, false) {
                    Ok(st) => {
                        lst = Some(st);
                        match st.file_type() {
                            libc::S_IFDIR => libc::DT_DIR,
                            libc::S_IFLNK => libc::DT_LNK,
                            _ => libc::DT_REG,
                        }
                    }
                    Err(_) => continue,
                }
            } else {
                d_type
            };
            let is_dir = d_type == libc::DT_DIR;
            let is_link = d_type == libc::DT_LNK;

            if !is_dir && !candidates.is_empty() {
                matched.clear();
                let mut full: Option<PathBuf> = None;
                for &vi in &candidates {
                    let r = match &self.visitors[vi as usize] {
                        Visitor {
                            want: Want::Entries(m),
                            ..
                        } => m.matches_bytes(name.as_bytes()),
                        Visitor {
                            scope: Scope::FilepathSearch(m),
                            ..
                        } => m.matches_bytes(
                            full.get_or_insert_with(|| node.host.join(name))
                                .as_os_str()
                                .as_bytes(),
                        ),
                        _ => Ok(false),
                    };
                    match r {
                        Ok(true) => matched.push(vi),
                        Ok(false) => {}
                        Err(e) => (self.on_error)(vi, e),
                    }
                }
                if !matched.is_empty() {
                    let md = match lst {
                        Some(md) => Ok(md),
                        None => {
                            n_stats += 1;
                            stat_at(fd.as_raw_fd(), cname, false)
                        }
                    };
                    match md {
                        Ok(md) => {
                            lst = Some(md);
                            self.emit(
                                &Hit {
                                    dir: &node.host,
                                    name: Some(name),
                                    real_dir: &node.real,
                                    meta: &md,
                                },
                                &matched,
                            )
                        }
                        Err(e) => {
                            for &v in &matched {
                                (self.on_error)(
                                    v,
                                    format!("cannot stat {}: {e}", node.real.join(name).display()),
                                );
                            }
                        }
                    }
                }
            }

            if (is_dir || is_link)
                && let Some(child) = self.child(&node, &fd, cname, is_link, lst)
            {
                children.push(child);
            }
        }
        drop(entries);
        drop(node);
        self.stats.dirs.fetch_add(1, Ordering::Relaxed);
        self.stats.entries.fetch_add(n_entries, Ordering::Relaxed);
        self.stats.stats.fetch_add(n_stats, Ordering::Relaxed);
        children.into_par_iter().for_each(|c| self.visit(c));
    }

    /// Hands a hit to the caller, renamed under their own start for aliased visitors.
    fn emit(&self, hit: &Hit, vs: &[u32]) {
        let aliased = |v: &u32| self.aliases[*v as usize].is_some();
        if !vs.iter().any(aliased) {
            return (self.on_hit)(hit, vs);
        }
        let plain: Vec<u32> = vs.iter().copied().filter(|v| !aliased(v)).collect();
        if !plain.is_empty() {
            (self.on_hit)(hit, &plain);
        }
        let mut done: Vec<u32> = Vec::new();
        for &v in vs.iter().filter(|v| aliased(v)) {
            if done.contains(&v) {
                continue;
            }
            let al = self.aliases[v as usize].as_ref().expect("alias");
            let start = &self.starts[v as usize];
            let group: Vec<u32> = vs
                .iter()
                .copied()
                .filter(|w| {
                    self.aliases[*w as usize]
                        .as_ref()
                        .is_some_and(|b| b.host == al.host)
                        && self.starts[*w as usize] == *start
                })
                .collect();
            done.extend(&group);
            let dir = match hit.dir.strip_prefix(start) {
                Ok(rest) if rest.as_os_str().is_empty() => al.host.clone(),
                Ok(rest) => al.host.join(rest),
                Err(_) => hit.dir.to_path_buf(),
            };
            (self.on_hit)(
                &Hit {
                    dir: &dir,
                    name: hit.name,
                    real_dir: hit.real_dir,
                    meta: hit.meta,
                },
                &group,
            );
        }
    }

    /// Whether an active visitor wants to enter the subdirectory `host` of `node`.
    fn wants(&self, a: &Active, host: &Path, is_link: bool, pseudo: bool) -> bool {
        let v = &self.visitors[a.v as usize];
        if pseudo {
            return false;
        }
        match &v.scope {
            Scope::Tree => {
                (if is_link {
                    v.follow_links
                } else {
                    v.follow_dirs
                }) && (v.max_depth < 0 || i64::from(a.depth) < v.max_depth)
            }
            // A search looks below its start where a match is still possible; links
            // only when allowed.
            Scope::PathSearch(m) | Scope::FilepathSearch(m) => {
                (!is_link || v.follow_links) && m.may_match_below(host.as_os_str().as_bytes())
            }
        }
    }

    /// The child node for a subdirectory (or link to one), when any visitor needs it.
    fn child(
        &self,
        node: &Node,
        fd: &Arc<OwnedFd>,
        cname: &CStr,
        is_link: bool,
        lst: Option<Stat>,
    ) -> Option<Node> {
        let name = OsStr::from_bytes(cname.to_bytes());
        let host = node.host.join(name);
        let pseudo = node.host == Path::new("/") && (name == "proc" || name == "sys");
        let pending: Vec<u32> = node
            .pending
            .iter()
            .copied()
            .filter(|&p| self.starts[p as usize].starts_with(&host))
            .collect();
        if pending.is_empty()
            && !node
                .active
                .iter()
                .any(|a| self.wants(a, &host, is_link, pseudo))
        {
            return None;
        }
        let lreal = node.real.join(name);
        let lmeta = match lst {
            Some(st) => st,
            None => {
                self.stats.stats.fetch_add(1, Ordering::Relaxed);
                stat_at(fd.as_raw_fd(), cname, false).ok()?
            }
        };
        let (real, md, open) = if !lmeta.is_symlink() {
            let open = Open::At {
                parent: fd.clone(),
                name: cname.to_owned(),
                follow: false,
            };
            (lreal.clone(), lmeta, open)
        } else if self.host.is_live() {
            // The kernel resolves the link as the host does; most links are not to
            // directories, and those cost one stat.
            self.stats.stats.fetch_add(1, Ordering::Relaxed);
            let md = stat_at(fd.as_raw_fd(), cname, true).ok()?;
            if !md.is_dir() {
                return None;
            }
            let open = Open::At {
                parent: fd.clone(),
                name: cname.to_owned(),
                follow: true,
            };
            (lreal.clone(), md, open)
        } else {
            let real = self.host.real_follow(&host).ok()?;
            let md = Stat::from_metadata(&self.host.stat(&real).ok()?);
            (real, md, Open::Path)
        };
        if !md.is_dir() || Chain::contains(&node.chain, md.dev, md.ino) {
            return None;
        }
        let crosses = md.dev != node.dev;
        let remote = std::cell::OnceCell::new();
        let active = node
            .active
            .iter()
            .filter(|a| self.wants(a, &host, is_link, pseudo))
            .filter(|a| {
                let v = &self.visitors[a.v as usize];
                match v.fs {
                    FsScope::All => true,
                    FsScope::Defined => md.dev == a.start_dev,
                    FsScope::Local => {
                        !crosses || !*remote.get_or_init(|| is_remote(self.host, &real))
                    }
                }
            })
            .map(|a| Active {
                v: a.v,
                depth: a.depth + 1,
                below: a.below.map(|b| b + 1),
                start_dev: a.start_dev,
            })
            .collect::<Vec<_>>();
        if active.is_empty() && pending.is_empty() {
            return None;
        }
        Some(Node {
            host,
            real,
            lreal,
            lmeta: Some(lmeta),
            open,
            dev: md.dev,
            chain: Some(Arc::new(Chain {
                dev: md.dev,
                ino: md.ino,
                parent: node.chain.clone(),
            })),
            active,
            pending,
        })
    }

    /// Steps towards the start of pending visitors without listing the directory.
    fn route_pending(&self, node: Node) {
        let mut next: Vec<(PathBuf, Vec<u32>)> = Vec::new();
        for &p in &node.pending {
            let start = &self.starts[p as usize];
            let Ok(rest) = start.strip_prefix(&node.host) else {
                continue;
            };
            let Some(first) = rest.components().next() else {
                continue;
            };
            let child = node.host.join(first);
            match next.iter_mut().find(|(c, _)| *c == child) {
                Some((_, v)) => v.push(p),
                None => next.push((child, vec![p])),
            }
        }
        let children: Vec<Node> = next
            .into_iter()
            .filter_map(|(child, pending)| {
                let lreal = node.real.join(child.file_name()?);
                let lmd = Stat::from_metadata(&self.host.lstat(&lreal).ok()?);
                let real = if lmd.is_symlink() {
                    self.host.real_follow(&child).ok()?
                } else {
                    lreal.clone()
                };
                let md = Stat::from_metadata(&self.host.stat(&real).ok()?);
                if !md.is_dir() {
                    // A start that is not a directory is still its own directory item.
                    let dir_hits: Vec<u32> = pending
                        .iter()
                        .copied()
                        .filter(|&p| {
                            let v = &self.visitors[p as usize];
                            self.starts[p as usize] == child
                                && matches!(v.want, Want::Dir)
                                && matches!(v.scope, Scope::Tree)
                        })
                        .collect();
                    if !dir_hits.is_empty() {
                        (self.on_hit)(
                            &Hit {
                                dir: &child,
                                name: None,
                                real_dir: &lreal,
                                meta: &lmd,
                            },
                            &dir_hits,
                        );
                    }
                    return None;
                }
                if Chain::contains(&node.chain, md.dev, md.ino)
                    && !pending.iter().any(|&p| self.starts[p as usize] == child)
                {
                    return None;
                }
                Some(Node {
                    host: child,
                    real,
                    lreal,
                    lmeta: Some(lmd),
                    open: Open::Path,
                    dev: md.dev,
                    chain: Some(Arc::new(Chain {
                        dev: md.dev,
                        ino: md.ino,
                        parent: node.chain.clone(),
                    })),
                    active: Vec::new(),
                    pending,
                })
            })
            .collect();
        drop(node);
        children.into_par_iter().for_each(|c| self.visit(c));
    }
}

/// Network and cluster file systems, skipped by `recurse_file_system="local"`
/// (statfs(2) f_type magic numbers).
fn is_remote(host: &Host, real: &Path) -> bool {
    const REMOTE: &[i64] = &[
        0x6969,                // NFS
        0x517B,                // SMB
        0xFF53_4D42u32 as i64, // CIFS
        0xFE53_4D42u32 as i64, // SMB2
        0x5346_414F,           // AFS
        0x7375_7245,           // CODA
        0x564C,                // NCP
        0x0102_1997,           // 9P
        0x00C3_6400,           // Ceph
        0x0116_1970,           // GFS2
        0x7461_636F,           // OCFS2
        0x0BD0_0BD0,           // Lustre
        0x6573_5546,           // FUSE (sshfs and the like)
        0x0187,                // autofs
    ];
    let Ok(t) = host.fs_type(real) else {
        return false;
    };
    let t = t & 0xFFFF_FFFF;
    REMOTE.iter().any(|&r| r & 0xFFFF_FFFF == t)
}
