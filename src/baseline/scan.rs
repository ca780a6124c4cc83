//! Walking the trees and recording every file: a sequential walk (lstat only, never
//! following a symlink, directories seen twice — bind mounts — skipped), then the
//! per-file work (attributes, ACLs, SHA-256) in parallel with rayon.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{IsTerminal, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::FileRecord;
use super::attrs::{ACL_ACCESS, ACL_DEFAULT, acl_text, xattrs};
use vigil_core::osutil::{encode_path, group_name, hex, user_name};

/// 64 KiB reads: measured against 16 KiB, 256 KiB and 1 MiB on page-cached files, larger
/// buffers tripled the kernel copy time (the copy no longer stays in L2 while hashed).
const BUF_SIZE: usize = 64 * 1024;

/// Progress bars on stderr when it is a terminal; hidden (no output at all) otherwise.
/// One bar at a time: a spinner while listing, then a byte bar while hashing.
pub(crate) struct Progress {
    show: bool,
}

impl Progress {
    pub(crate) fn new(show: bool) -> Progress {
        Progress { show }
    }

    pub(crate) fn for_stderr() -> Progress {
        Progress::new(std::io::stderr().is_terminal())
    }

    fn bar(&self, len: Option<u64>, template: &str) -> ProgressBar {
        if !self.show {
            return ProgressBar::hidden();
        }
        let b = ProgressBar::with_draw_target(len, ProgressDrawTarget::stderr());
        b.set_style(
            ProgressStyle::with_template(template)
                .expect("template")
                .progress_chars("=> "),
        );
        b
    }
}

/// Lists every path under `roots` (roots included) with its lstat metadata, sorted by
/// encoded path. Directories that cannot be listed carry an error instead of children.
pub(crate) fn walk(
    roots: &[PathBuf],
    progress: &Progress,
) -> Vec<(PathBuf, Result<Metadata, String>)> {
    let mut out = Vec::new();
    let mut seen_dirs: HashSet<(u64, u64)> = HashSet::new();
    let mut seen_paths: HashSet<PathBuf> = HashSet::new();
    let mut stack: Vec<(PathBuf, Metadata)> = Vec::new();
    let bar = progress.bar(None, "{spinner} listing files: {pos} found ({elapsed})");
    for root in roots {
        if !seen_paths.insert(root.clone()) {
            continue;
        }
        match fs::symlink_metadata(root) {
            Ok(m) => {
                if m.is_dir() && seen_dirs.insert((m.dev(), m.ino())) {
                    stack.push((root.clone(), m.clone()));
                }
                out.push((root.clone(), Ok(m)));
            }
            Err(e) => out.push((root.clone(), Err(e.to_string()))),
        }
    }
    while let Some((dir, _)) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                mark_error(&mut out, &dir, format!("cannot list directory: {e}"));
                continue;
            }
        };
        for ent in rd {
            let ent = match ent {
                Ok(e) => e,
                Err(e) => {
                    mark_error(&mut out, &dir, format!("cannot list directory: {e}"));
                    break;
                }
            };
            let path = ent.path();
            if !seen_paths.insert(path.clone()) {
                continue;
            }
            // DirEntry::metadata is fstatat(AT_SYMLINK_NOFOLLOW): a symlink is recorded
            // as itself and never entered.
            match ent.metadata() {
                Ok(m) => {
                    // A directory already walked (a bind mount of an ancestor) is
                    // recorded but not entered again: no loops.
                    if m.is_dir() && seen_dirs.insert((m.dev(), m.ino())) {
                        stack.push((path.clone(), m.clone()));
                    }
                    out.push((path, Ok(m)));
                }
                Err(e) => out.push((path, Err(e.to_string()))),
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    out.sort_by_cached_key(|(p, _)| encode_path(p.as_os_str()));
    out
}

fn mark_error(out: &mut [(PathBuf, Result<Metadata, String>)], dir: &Path, msg: String) {
    // `record` describes an entry with an error from a fresh lstat plus the message.
    if let Some(slot) = out.iter_mut().rev().find(|(p, _)| p == dir) {
        slot.1 = Err(msg);
    }
}

thread_local! {
    static BUF: RefCell<Vec<u8>> = RefCell::new(vec![0u8; BUF_SIZE]);
}

/// Records every walked path in parallel.
pub(crate) fn records(
    walked: Vec<(PathBuf, Result<Metadata, String>)>,
    progress: &Progress,
) -> Vec<FileRecord> {
    let total: u64 = walked
        .iter()
        .filter_map(|(_, m)| m.as_ref().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let bar = progress.bar(
        Some(total),
        "{spinner} hashing [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
    );
    // One entry per job: the walk lists a directory's files together, so large files
    // cluster, and a range that rayon has started on is never split again: without
    // this, one core hashed all of a tree's large files while the other sat idle.
    let mut recs: Vec<FileRecord> = walked
        .into_par_iter()
        .with_max_len(1)
        .map(|(p, m)| record(&p, m, &bar))
        .collect();
    bar.finish_and_clear();
    // Names looked up once per id, after the parallel part (NSS lookups are not cheap).
    let mut users: HashMap<u32, Option<String>> = HashMap::new();
    let mut groups: HashMap<u32, Option<String>> = HashMap::new();
    for r in &mut recs {
        if r.kind.is_empty() {
            continue;
        }
        r.owner = users
            .entry(r.uid)
            .or_insert_with(|| user_name(r.uid))
            .clone();
        r.group = groups
            .entry(r.gid)
            .or_insert_with(|| group_name(r.gid))
            .clone();
    }
    recs
}

fn kind_of(m: &Metadata) -> &'static str {
    let t = m.file_type();
    if t.is_file() {
        "file"
    } else if t.is_dir() {
        "dir"
    } else if t.is_symlink() {
        "symlink"
    } else if t.is_fifo() {
        "fifo"
    } else if t.is_char_device() {
        "char"
    } else if t.is_block_device() {
        "block"
    } else if t.is_socket() {
        "socket"
    } else {
        "other"
    }
}

/// Records one path (its lstat metadata already taken): what the walk does for each
/// path, and what `restore` reads a file's current state with.
pub(crate) fn record(path: &Path, meta: Result<Metadata, String>, bar: &ProgressBar) -> FileRecord {
    let mut r = FileRecord {
        path: encode_path(path.as_os_str()),
        ..FileRecord::default()
    };
    let m = match meta {
        Ok(m) => m,
        Err(e) => {
            // Still describe what lstat can tell (a directory we could not list).
            if let Ok(m) = fs::symlink_metadata(path) {
                fill_meta(&mut r, &m);
            }
            r.error = Some(e);
            return r;
        }
    };
    fill_meta(&mut r, &m);
    match xattrs(path) {
        Ok(list) => {
            for (name, value) in list {
                match name.as_str() {
                    ACL_ACCESS => r.acl = Some(acl_text(&value).unwrap_or_else(|e| e)),
                    ACL_DEFAULT => r.default_acl = Some(acl_text(&value).unwrap_or_else(|e| e)),
                    _ => {
                        r.xattrs.insert(name, hex(&value));
                    }
                }
            }
        }
        Err(e) => r.error = Some(format!("extended attributes: {e}")),
    }
    if m.file_type().is_symlink() {
        match fs::read_link(path) {
            Ok(t) => r.target = Some(encode_path(t.as_os_str())),
            Err(e) => r.error = Some(format!("readlink: {e}")),
        }
    } else if m.is_file() {
        match hash_file(path, &m, bar) {
            Ok((sha, n)) => {
                r.sha256 = Some(sha);
                r.size = Some(n);
            }
            Err(e) => r.error = Some(format!("hash: {e}")),
        }
    }
    r
}

fn fill_meta(r: &mut FileRecord, m: &Metadata) {
    r.kind = kind_of(m).to_string();
    r.mode = format!("{:04o}", m.mode() & 0o7777);
    r.uid = m.uid();
    r.gid = m.gid();
    if m.is_file() || m.file_type().is_symlink() {
        r.size = Some(m.len());
    }
}

/// Opens without following a symlink, without blocking (a FIFO or device swapped in
/// after the walk), without becoming a controlling tty and without touching atime
/// where permitted; then checks it is still the regular file the walk saw.
pub(crate) fn open_regular(path: &Path, m: &Metadata) -> std::io::Result<File> {
    let base = libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY | libc::O_CLOEXEC;
    let f = match OpenOptions::new()
        .read(true)
        .custom_flags(base | libc::O_NOATIME)
        .open(path)
    {
        // O_NOATIME is refused for files we do not own unless privileged.
        Err(e) if e.raw_os_error() == Some(libc::EPERM) => OpenOptions::new()
            .read(true)
            .custom_flags(base)
            .open(path)?,
        r => r?,
    };
    let now = f.metadata()?;
    if !now.is_file() || now.ino() != m.ino() || now.dev() != m.dev() {
        return Err(std::io::Error::other("file was replaced during the scan"));
    }
    Ok(f)
}

fn hash_file(path: &Path, m: &Metadata, bar: &ProgressBar) -> std::io::Result<(String, u64)> {
    let mut f = open_regular(path, m)?;
    let mut h = Sha256::new();
    let mut n = 0u64;
    BUF.with(|b| {
        let mut buf = b.borrow_mut();
        loop {
            let k = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            h.update(&buf[..k]);
            n += k as u64;
            bar.inc(k as u64);
        }
        Ok(())
    })?;
    Ok((hex(&h.finalize()), n))
}

/// Records by path, for comparison.
pub(crate) fn by_path(recs: &[FileRecord]) -> BTreeMap<&str, &FileRecord> {
    recs.iter().map(|r| (r.path.as_str(), r)).collect()
}
