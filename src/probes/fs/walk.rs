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

use std::ffi::OsStr;
use std::fs::Metadata;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use super::content;
use super::matcher::Matcher;
use crate::probes::Deadline;
use crate::target::Host;

/// Which directories are candidates for a visitor.
pub(crate) enum Scope {
    /// The start directory and its subdirectories down to `max_depth`.
    Tree,
    /// Every directory whose host path matches, and their subdirectories down to
    /// `max_depth`; the walk searches everything below the start.
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

/// A matching directory or entry.
pub(crate) struct Hit<'a> {
    /// Host path of the directory holding the entry (or of the directory itself).
    pub dir: &'a Path,
    /// `None`: the hit is the directory `dir` itself.
    pub name: Option<&'a OsStr>,
    /// Where the entry is read (its `lstat` is `meta`).
    pub real: &'a Path,
    pub meta: &'a Metadata,
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

struct Node {
    host: PathBuf,
    /// Where the directory is read (links resolved).
    real: PathBuf,
    /// Where the directory's own `lstat` is taken (last component not followed).
    lreal: PathBuf,
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
    deadline: &'a Deadline,
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
) {
    if visitors.is_empty() {
        return;
    }
    let w = Walk {
        host,
        visitors,
        on_hit,
        on_error,
        deadline,
    };
    let root = host.path(Path::new("/"));
    let Ok(md) = std::fs::metadata(&root) else {
        return;
    };
    w.visit(Node {
        host: PathBuf::from("/"),
        real: root.clone(),
        lreal: root,
        dev: md.dev(),
        chain: Some(Arc::new(Chain {
            dev: md.dev(),
            ino: md.ino(),
            parent: None,
        })),
        active: Vec::new(),
        pending: (0..visitors.len() as u32).collect(),
    });
}

impl Walk<'_> {
    fn visit(&self, mut node: Node) {
        if self.deadline.expired() {
            return;
        }
        // Visitors whose start is this directory become active.
        let mut still = Vec::new();
        for &p in &node.pending {
            if self.visitors[p as usize].start == node.host {
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
        let host_bytes = node.host.as_os_str().as_bytes().to_vec();
        for a in node.active.iter_mut() {
            let v = &self.visitors[a.v as usize];
            let candidate = match &v.scope {
                Scope::Tree => true,
                Scope::FilepathSearch(_) => true,
                Scope::PathSearch(m) => {
                    match m.matches_bytes(&host_bytes) {
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
                Want::Dir => dir_hits.push(a.v),
                _ => candidates.push(a.v),
            }
        }
        if !dir_hits.is_empty() {
            match std::fs::symlink_metadata(&node.lreal) {
                Ok(md) => (self.on_hit)(
                    &Hit {
                        dir: &node.host,
                        name: None,
                        real: &node.lreal,
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

        let rd = match std::fs::read_dir(&node.real) {
            Ok(rd) => rd,
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
        for (n, entry) in rd.enumerate() {
            // A directory of a million entries must not outlive the deadline.
            if n % 1024 == 1023 && self.deadline.expired() {
                return;
            }
            let entry = match entry {
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
            let name = entry.file_name();
            let Ok(ft) = entry.file_type() else { continue };
            let is_dir = ft.is_dir();
            let real = node.real.join(&name);

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
                            full.get_or_insert_with(|| node.host.join(&name))
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
                    match entry.metadata() {
                        Ok(md) => (self.on_hit)(
                            &Hit {
                                dir: &node.host,
                                name: Some(&name),
                                real: &real,
                                meta: &md,
                            },
                            &matched,
                        ),
                        Err(e) => {
                            for &v in &matched {
                                (self.on_error)(v, format!("cannot stat {}: {e}", real.display()));
                            }
                        }
                    }
                }
            }

            if (is_dir || ft.is_symlink())
                && let Some(child) = self.child(&node, &name, ft.is_symlink(), real)
            {
                children.push(child);
            }
        }
        drop(node);
        children.into_par_iter().for_each(|c| self.visit(c));
    }

    /// The child node for a subdirectory (or link to one), when any visitor needs it.
    fn child(&self, node: &Node, name: &OsStr, is_link: bool, lreal: PathBuf) -> Option<Node> {
        let host = node.host.join(name);
        let pseudo = node.host == Path::new("/") && (name == "proc" || name == "sys");
        let pending: Vec<u32> = node
            .pending
            .iter()
            .copied()
            .filter(|&p| self.visitors[p as usize].start.starts_with(&host))
            .collect();
        let wants = |a: &Active| -> bool {
            let v = &self.visitors[a.v as usize];
            if pseudo {
                return false;
            }
            match v.scope {
                Scope::Tree => {
                    (if is_link {
                        v.follow_links
                    } else {
                        v.follow_dirs
                    }) && (v.max_depth < 0 || i64::from(a.depth) < v.max_depth)
                }
                // A search looks everywhere below its start; links only when allowed.
                Scope::PathSearch(_) | Scope::FilepathSearch(_) => !is_link || v.follow_links,
            }
        };
        if pending.is_empty() && !node.active.iter().any(wants) {
            return None;
        }
        let real = if is_link {
            content::real_follow(self.host, &host).ok()?
        } else {
            lreal.clone()
        };
        let md = std::fs::metadata(&real).ok()?;
        if !md.is_dir() || Chain::contains(&node.chain, md.dev(), md.ino()) {
            return None;
        }
        let crosses = md.dev() != node.dev;
        let remote = std::cell::OnceCell::new();
        let active = node
            .active
            .iter()
            .filter(|a| wants(a))
            .filter(|a| {
                let v = &self.visitors[a.v as usize];
                match v.fs {
                    FsScope::All => true,
                    FsScope::Defined => md.dev() == a.start_dev,
                    FsScope::Local => !crosses || !*remote.get_or_init(|| is_remote(&real)),
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
            dev: md.dev(),
            chain: Some(Arc::new(Chain {
                dev: md.dev(),
                ino: md.ino(),
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
            let start = &self.visitors[p as usize].start;
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
                let lmd = std::fs::symlink_metadata(&lreal).ok()?;
                let is_link = lmd.file_type().is_symlink();
                let real = if is_link {
                    content::real_follow(self.host, &child).ok()?
                } else {
                    lreal.clone()
                };
                let md = std::fs::metadata(&real).ok()?;
                if !md.is_dir() {
                    // A start that is not a directory is still its own directory item.
                    let dir_hits: Vec<u32> = pending
                        .iter()
                        .copied()
                        .filter(|&p| {
                            let v = &self.visitors[p as usize];
                            v.start == child
                                && matches!(v.want, Want::Dir)
                                && matches!(v.scope, Scope::Tree)
                        })
                        .collect();
                    if !dir_hits.is_empty() {
                        (self.on_hit)(
                            &Hit {
                                dir: &child,
                                name: None,
                                real: &lreal,
                                meta: &lmd,
                            },
                            &dir_hits,
                        );
                    }
                    return None;
                }
                if Chain::contains(&node.chain, md.dev(), md.ino())
                    && !pending
                        .iter()
                        .any(|&p| self.visitors[p as usize].start == child)
                {
                    return None;
                }
                Some(Node {
                    host: child,
                    real,
                    lreal,
                    dev: md.dev(),
                    chain: Some(Arc::new(Chain {
                        dev: md.dev(),
                        ino: md.ino(),
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
fn is_remote(real: &Path) -> bool {
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
    let Ok(c) = std::ffi::CString::new(real.as_os_str().as_bytes()) else {
        return false;
    };
    let mut st: libc::statfs = unsafe { std::mem::zeroed() };
    // SAFETY: c is NUL-terminated and st is a valid out-pointer.
    if unsafe { libc::statfs(c.as_ptr(), &mut st) } != 0 {
        return false;
    }
    let t = st.f_type as i64 & 0xFFFF_FFFF;
    REMOTE.iter().any(|&r| r & 0xFFFF_FFFF == t)
}
