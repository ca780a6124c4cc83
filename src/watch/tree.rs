//! The directories `vigil watch` holds inotify watches on, worked out from its
//! targets and re-armed whenever the tree's shape changes.
//!
//! A file target is watched through its directory (which reports the file's content,
//! attribute, rename and delete events, and its re-creation); a recursive target
//! through every directory below it, found by a walk that never follows a symbolic
//! link. A target that does not exist (yet, or any more) is watched through its
//! nearest existing ancestor, so its creation, or that of the next directory toward
//! it, is seen, and the watches move down again. Under `--root`, a directory whose
//! real location is outside the root (reached through a link planted in the tree) is
//! not watched.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::path::{Path, PathBuf};

use super::inotify::Inotify;
use super::targets::Target;

/// How deep a recursive target is walked.
const MAX_DEPTH: usize = 32;

/// Why the watches cannot be set up.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TreeError {
    #[error(
        "the watched paths need {needed} directory watches, more than --max-watches {max}; raise it or watch fewer paths"
    )]
    TooMany { needed: usize, max: usize },
    #[error(
        "{dir}: cannot watch: {source} (the kernel's limit is /proc/sys/fs/inotify/max_user_watches)"
    )]
    Add { dir: PathBuf, source: io::Error },
}

pub(crate) struct Tree {
    pub targets: Vec<Target>,
    /// The root under which every watched directory must lie (`--root`), if any.
    root: Option<PathBuf>,
    max_watches: usize,
    /// Watch descriptor to the directory it watches.
    pub dirs: HashMap<i32, PathBuf>,
}

impl Tree {
    pub(crate) fn new(targets: Vec<Target>, root: Option<PathBuf>, max_watches: usize) -> Tree {
        Tree {
            targets,
            root,
            max_watches,
            dirs: HashMap::new(),
        }
    }

    /// The directories that should be watched now, in target order.
    pub(crate) fn wanted(&self) -> Vec<PathBuf> {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut push = |d: PathBuf, out: &mut Vec<PathBuf>| {
            if seen.insert(d.clone()) {
                out.push(d);
            }
        };
        for t in &self.targets {
            match std::fs::symlink_metadata(&t.real) {
                Ok(m) if m.is_dir() => {
                    if let Some(parent) = t.real.parent() {
                        push(parent.to_path_buf(), &mut out);
                    }
                    if t.recursive {
                        for d in walk_dirs(&t.real) {
                            push(d, &mut out);
                        }
                    } else {
                        push(t.real.clone(), &mut out);
                    }
                }
                Ok(_) => {
                    if let Some(parent) = t.real.parent() {
                        push(parent.to_path_buf(), &mut out);
                    }
                }
                Err(_) => {
                    if let Some(a) = nearest_existing_dir(&t.real) {
                        push(a, &mut out);
                    }
                }
            }
        }
        out.retain(|d| self.inside_root(d));
        out
    }

    fn inside_root(&self, d: &Path) -> bool {
        match &self.root {
            None => true,
            Some(r) => d.starts_with(r) && std::fs::canonicalize(d).is_ok_and(|c| c.starts_with(r)),
        }
    }

    /// Sets the watches to [`Tree::wanted`]: new directories added, those no longer
    /// wanted (or gone) removed. Returns the directories newly watched. Refuses, before
    /// changing anything, when more than `max_watches` are wanted.
    pub(crate) fn arm(&mut self, ino: &Inotify) -> Result<Vec<PathBuf>, TreeError> {
        let wanted = self.wanted();
        if wanted.len() > self.max_watches {
            return Err(TreeError::TooMany {
                needed: wanted.len(),
                max: self.max_watches,
            });
        }
        let before: BTreeMap<PathBuf, i32> =
            self.dirs.iter().map(|(wd, d)| (d.clone(), *wd)).collect();
        let mut now: HashMap<i32, PathBuf> = HashMap::new();
        let mut added = Vec::new();
        for d in wanted {
            match ino.add_dir(&d) {
                Ok(wd) => {
                    if before.get(&d) != Some(&wd) {
                        added.push(d.clone());
                    }
                    // Two names for one directory (a bind mount): the first is kept.
                    now.entry(wd).or_insert(d);
                }
                // Gone between the walk and the watch, or replaced by a non-directory:
                // the events that did it re-arm again.
                Err(e) if matches!(e.raw_os_error(), Some(libc::ENOENT | libc::ENOTDIR)) => {}
                Err(e) => return Err(TreeError::Add { dir: d, source: e }),
            }
        }
        for wd in self.dirs.keys() {
            if !now.contains_key(wd) {
                ino.remove(*wd);
            }
        }
        self.dirs = now;
        Ok(added)
    }

    /// The target a real path belongs to, if any.
    pub(crate) fn target_of(&self, p: &Path) -> Option<&Target> {
        self.targets.iter().find(|t| t.covers(p))
    }

    /// Whether `p` is a directory on the way to a target (its creation, removal or
    /// rename changes what must be watched).
    pub(crate) fn is_ancestor(&self, p: &Path) -> bool {
        self.targets
            .iter()
            .any(|t| t.real.starts_with(p) && t.real != p)
    }

    /// Every existing path the targets cover, for the snapshots: each target, every
    /// entry below a recursive one (links not followed), and rotated siblings; at most
    /// `max`, `Err(n)` past it.
    pub(crate) fn covered_paths(&self, max: usize) -> Result<BTreeSet<PathBuf>, usize> {
        let mut out = BTreeSet::new();
        for t in &self.targets {
            if std::fs::symlink_metadata(&t.real).is_ok() {
                out.insert(t.real.clone());
            }
            if t.recursive {
                for d in walk_dirs(&t.real) {
                    out.insert(d.clone());
                    for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                        out.insert(e.path());
                    }
                    if out.len() > max {
                        return Err(out.len());
                    }
                }
            }
            if t.rotated
                && let Some(parent) = t.real.parent()
            {
                for e in std::fs::read_dir(parent).into_iter().flatten().flatten() {
                    let p = e.path();
                    if t.covers(&p) {
                        out.insert(p);
                    }
                }
            }
            if out.len() > max {
                return Err(out.len());
            }
        }
        out.retain(|p| self.root.as_ref().is_none_or(|r| p.starts_with(r)));
        Ok(out)
    }
}

/// `dir` and every directory below it, not following symbolic links, to
/// [`MAX_DEPTH`] levels.
fn walk_dirs(dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![dir.to_path_buf()];
    let mut todo = vec![(dir.to_path_buf(), 0usize)];
    while let Some((d, depth)) = todo.pop() {
        if depth >= MAX_DEPTH {
            continue;
        }
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            // DirEntry::file_type does not follow links.
            if e.file_type().is_ok_and(|t| t.is_dir()) {
                out.push(e.path());
                todo.push((e.path(), depth + 1));
            }
        }
    }
    out
}

/// The nearest ancestor of `p` that exists and is a directory (not a link to one).
fn nearest_existing_dir(p: &Path) -> Option<PathBuf> {
    let mut cur = p.parent();
    while let Some(d) = cur {
        if std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()) {
            return Some(d.to_path_buf());
        }
        cur = d.parent();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(real: &Path, recursive: bool) -> Target {
        Target {
            host_path: real.to_path_buf(),
            real: real.to_path_buf(),
            role: "path",
            recursive,
            rotated: false,
        }
    }

    #[test]
    fn a_missing_tree_is_watched_from_its_nearest_ancestor_and_rearmed_when_it_returns() {
        let d = tempfile::tempdir().unwrap();
        let keys = d.path().join("kms/keys");
        let mut tree = Tree::new(vec![target(&keys, true)], None, 16);
        let ino = Inotify::new().unwrap();
        tree.arm(&ino).unwrap();
        let watched: Vec<&PathBuf> = tree.dirs.values().collect();
        assert_eq!(watched, [&d.path().to_path_buf()]);
        std::fs::create_dir_all(keys.join("sub")).unwrap();
        let added = tree.arm(&ino).unwrap();
        let mut all: Vec<PathBuf> = tree.dirs.values().cloned().collect();
        all.sort();
        assert_eq!(all, [d.path().join("kms"), keys.clone(), keys.join("sub")]);
        assert_eq!(added.len(), 3);
        std::fs::remove_dir_all(d.path().join("kms")).unwrap();
        tree.arm(&ino).unwrap();
        assert_eq!(
            tree.dirs.values().collect::<Vec<_>>(),
            [&d.path().to_path_buf()]
        );
    }

    #[test]
    fn links_are_not_followed_and_the_watch_count_is_bounded() {
        let d = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(outside.path().join("elsewhere")).unwrap();
        let top = d.path().join("top");
        std::fs::create_dir_all(top.join("a/b")).unwrap();
        std::os::unix::fs::symlink(outside.path(), top.join("link")).unwrap();
        let tree = Tree::new(vec![target(&top, true)], None, 3);
        let wanted = tree.wanted();
        assert!(
            wanted.iter().all(|w| !w.starts_with(outside.path())),
            "{wanted:?}"
        );
        assert_eq!(wanted.len(), 4, "{wanted:?}");
        let mut tree = tree;
        let ino = Inotify::new().unwrap();
        assert!(matches!(
            tree.arm(&ino),
            Err(TreeError::TooMany { needed: 4, max: 3 })
        ));
        // Under a root, a directory reached through a link out of it is not watched.
        let root = d.path().join("root");
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("etc")).unwrap();
        let t = target(&root.join("etc/elsewhere/key.pem"), false);
        let tree = Tree::new(vec![t], Some(root.clone()), 8);
        assert!(
            tree.wanted()
                .iter()
                .all(|w| !w.starts_with(root.join("etc"))),
            "{:?}",
            tree.wanted()
        );
    }
}
