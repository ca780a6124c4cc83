//! File-integrity baseline (AIDE-like; CCM LOG-11/IAM-09 evidence that key files and
//! their permissions did not change): `vigil baseline create --out FILE PATH...` records
//! every file under the paths; `vigil baseline check FILE` walks the same paths again
//! and lists added, removed and changed files with the attributes that changed.
//!
//! Per file: type, SHA-256 (regular files), size (regular files and symlinks), mode
//! (permission and setuid/setgid/sticky bits, octal), owner and group (ids, names for
//! display), POSIX ACL (access and default, `getfacl -n` short text), extended
//! attributes (hex values; the ACL attributes excluded) and symlink target. Symlinks
//! are recorded, never followed; FIFOs, sockets and devices are never opened; regular
//! files are opened with O_NONBLOCK|O_NOFOLLOW|O_NOATIME; nothing is written to the
//! scanned trees (and `--out` may not point into them). Per-file problems go into the
//! entry's `error` instead of aborting.
//!
//! Baseline file: JSON `{format: "vigil-baseline", version: 1, created, host, roots[],
//! entries[]}`, entries sorted by path. Paths that are not UTF-8 are stored with `\xNN`
//! escapes (and `\\` for a backslash).
//!
//! Signed baselines: with `--sign-key KEY.pem` (an Ed25519 PKCS#8 key, read as the
//! history's `--sign-key`), `create` also writes the detached signature `FILE.sig`
//! beside the baseline; `check --verify-key PUB.pem` refuses a baseline whose signature
//! does not verify with that key. The signature format is
//! `vigil_host::baseline::signature`, which the scan's `kms_integrity` check verifies
//! too.
//!
//! Known-good stores: with `--store DIR`, `create` also keeps a content-addressed copy
//! of every file and the baseline as the store's signed manifest ([`store`]);
//! `vigil baseline restore` puts changed or deleted files back from it ([`restore`]).
//!
//! The `vigil baseline` command (arguments, output, exit statuses) is
//! `crate::cli::baseline`; the file format is `vigil_host::baseline`, which the
//! `integrity_object` probe reads.

pub(crate) mod attrs;
pub(crate) mod error;
pub(crate) mod restore;
pub(crate) mod scan;
pub(crate) mod store;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub(crate) use error::{Error, Result};
use scan::Progress;

use vigil_core::osutil::{encode_path, hostname};

pub(crate) use vigil_host::baseline::{Baseline, FORMAT, FileRecord, parse, signature};

/// Walks `paths`, records every file and writes the baseline to `out`; with `sign`,
/// also its detached signature `out.sig`. With `store`, also copies every regular file
/// into the store and writes the baseline as its manifest (signed the same way); a file
/// that changed between its hash and its copy gets an `error` instead of a copy.
pub(crate) fn create(
    paths: &[PathBuf],
    out: Option<&Path>,
    store: Option<&Path>,
    sign: Option<&ed25519_dalek::SigningKey>,
    progress: &Progress,
) -> Result<Baseline> {
    let mut roots = Vec::new();
    for p in paths {
        let abs = std::path::absolute(p).map_err(Error::io(p))?;
        if std::fs::symlink_metadata(&abs).is_err() {
            return Err(Error::MissingRoot(p.clone()));
        }
        roots.push(abs);
    }
    if let Some(out) = out {
        refuse_out_inside(out, &roots)?;
    }
    // A store inside a recorded tree would record itself, and copies of copies.
    if let Some(s) = store {
        refuse_out_inside(&s.join(store::MANIFEST), &roots)?;
    }
    let store = store.map(|s| store::Store::open(s, true)).transpose()?;
    let mut entries = scan::records(scan::walk(&roots, progress), progress);
    if let Some(st) = &store {
        use rayon::prelude::*;
        entries.par_iter_mut().with_max_len(1).for_each(|e| {
            if e.kind == "file" && e.error.is_none() {
                let src = PathBuf::from(vigil_core::osutil::decode_path(&e.path));
                if let Err(err) = st.put(&src, e) {
                    e.error = Some(err);
                }
            }
        });
    }
    let b = Baseline {
        format: FORMAT.into(),
        version: 1,
        created: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        host: hostname(),
        roots: roots.iter().map(|r| encode_path(r.as_os_str())).collect(),
        entries,
    };
    let mut bytes = serde_json::to_vec_pretty(&b).expect("baseline serializes");
    bytes.push(b'\n');
    if let Some(st) = &store {
        st.write_manifest(&bytes, sign)?;
    }
    if let Some(out) = out {
        crate::outfile::replace(out, &bytes, crate::outfile::NewFile::Private)?;
        if let Some(key) = sign {
            crate::outfile::replace(
                &signature::signature_path(out),
                &signature::sign(&bytes, key),
                crate::outfile::NewFile::Private,
            )?;
        }
    }
    Ok(b)
}

/// The Ed25519 signing key of `--sign-key`, read as the history reads its own.
pub(crate) fn signing_key(path: &Path) -> Result<ed25519_dalek::SigningKey> {
    crate::history::ledger::load_signing_key(path).map_err(|e| Error::Key(e.to_string()))
}

/// Reads the baseline `file` and, with `verify_key`, checks that `FILE.sig` is its
/// signature by that key (the bytes verified are the bytes parsed, read once). Returns
/// the baseline and the verifying key's fingerprint; a missing or bad signature is an
/// error.
pub(crate) fn load_verified(
    file: &Path,
    verify_key: Option<&Path>,
) -> Result<(Baseline, Option<String>)> {
    let data = vigil_core::osutil::read_whole_input(file).map_err(Error::io(file))?;
    let mut signed_by = None;
    if let Some(kpath) = verify_key {
        let (kbytes, _) = vigil_core::osutil::read_input(kpath, signature::MAX_KEY_SIZE)
            .map_err(Error::io(kpath))?;
        let key = signature::public_key(&kbytes).map_err(|message| Error::Signature {
            path: kpath.to_path_buf(),
            message,
        })?;
        let sig_path = signature::signature_path(file);
        let sig = match vigil_core::osutil::read_input(&sig_path, signature::MAX_SIGNATURE_SIZE) {
            Ok((b, _)) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::Signature {
                    path: file.to_path_buf(),
                    message: format!(
                        "no signature: {} not found (sign with `vigil baseline create \
                         --sign-key`)",
                        sig_path.display()
                    ),
                });
            }
            Err(e) => return Err(Error::io(&sig_path)(e)),
        };
        signature::verify(&data, &sig, &key).map_err(|message| Error::Signature {
            path: sig_path.clone(),
            message,
        })?;
        signed_by = Some(signature::fingerprint(&key));
    }
    let b = parse(&data).map_err(|message| Error::Format {
        path: file.to_path_buf(),
        message,
    })?;
    Ok((b, signed_by))
}

fn refuse_out_inside(out: &Path, roots: &[PathBuf]) -> Result<()> {
    let abs = std::path::absolute(out).map_err(Error::io(out))?;
    // The nearest directory that exists: a store's directories are made later.
    let mut parent = abs.parent().unwrap_or(Path::new("/"));
    while !parent.exists()
        && let Some(up) = parent.parent()
    {
        parent = up;
    }
    let parent = parent.canonicalize().map_err(Error::io(parent))?;
    for r in roots {
        let meta = std::fs::symlink_metadata(r).map_err(Error::io(r))?;
        if !meta.is_dir() {
            continue;
        }
        let rc = r.canonicalize().map_err(Error::io(r))?;
        if parent.starts_with(&rc) {
            return Err(Error::OutInsideTree {
                out: out.to_path_buf(),
                root: r.clone(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) fn load(file: &Path) -> Result<Baseline> {
    load_verified(file, None).map(|(b, _)| b)
}

/// One changed attribute: name, old value, new value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AttrChange {
    pub attribute: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct FileChange {
    pub path: String,
    pub changes: Vec<AttrChange>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Changes {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    pub changed: Vec<FileChange>,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }
}

pub(crate) fn compare(old: &[FileRecord], new: &[FileRecord]) -> Changes {
    let a = scan::by_path(old);
    let b = scan::by_path(new);
    let mut c = Changes::default();
    for (p, rb) in &b {
        match a.get(p) {
            None => c.added.push(p.to_string()),
            Some(ra) => {
                let changes = attr_changes(ra, rb);
                if !changes.is_empty() {
                    c.changed.push(FileChange {
                        path: p.to_string(),
                        changes,
                    });
                }
            }
        }
    }
    c.removed = a
        .keys()
        .filter(|p| !b.contains_key(*p))
        .map(|p| p.to_string())
        .collect();
    c
}

pub(crate) fn attr_changes(a: &FileRecord, b: &FileRecord) -> Vec<AttrChange> {
    let mut out = Vec::new();
    let mut push = |name: &str, x: Option<String>, y: Option<String>| {
        if x != y {
            out.push(AttrChange {
                attribute: name.into(),
                before: x,
                after: y,
            });
        }
    };
    let name_id = |name: &Option<String>, id: u32| match name {
        Some(n) => format!("{n} ({id})"),
        None => id.to_string(),
    };
    push("type", Some(a.kind.clone()), Some(b.kind.clone()));
    // A file that could not be read now is a change of its own, not a hash mismatch.
    if a.error.is_none() && b.error.is_none() {
        push("sha256", a.sha256.clone(), b.sha256.clone());
    }
    push("error", a.error.clone(), b.error.clone());
    push(
        "size",
        a.size.map(|s| s.to_string()),
        b.size.map(|s| s.to_string()),
    );
    push("mode", Some(a.mode.clone()), Some(b.mode.clone()));
    if a.uid != b.uid {
        push(
            "owner",
            Some(name_id(&a.owner, a.uid)),
            Some(name_id(&b.owner, b.uid)),
        );
    }
    if a.gid != b.gid {
        push(
            "group",
            Some(name_id(&a.group, a.gid)),
            Some(name_id(&b.group, b.gid)),
        );
    }
    push("acl", a.acl.clone(), b.acl.clone());
    push("default_acl", a.default_acl.clone(), b.default_acl.clone());
    for k in a
        .xattrs
        .keys()
        .chain(b.xattrs.keys().filter(|k| !a.xattrs.contains_key(*k)))
    {
        push(
            &format!("xattr {k}"),
            a.xattrs.get(k).cloned(),
            b.xattrs.get(k).cloned(),
        );
    }
    push("target", a.target.clone(), b.target.clone());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::baseline::{BaselineArgs, BaselineCommand, run_to};
    use std::os::unix::fs::{PermissionsExt, symlink};

    use std::sync::mpsc;
    use std::time::Duration;

    fn run_tool(cmd: &str, args: &[&str]) {
        let o = crate::testtool::tool(cmd).args(args).output().unwrap();
        assert!(
            o.status.success(),
            "{cmd} {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }

    fn quiet() -> Progress {
        Progress::new(false)
    }

    /// A tree with a FIFO, symlink loops, an ACL, xattrs, a non-UTF-8 name.
    fn tree() -> (tempfile::TempDir, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let t = d.path().join("tree");
        std::fs::create_dir_all(t.join("sub/deeper")).unwrap();
        std::fs::write(t.join("a.txt"), "hello\n").unwrap();
        std::fs::write(t.join("sub/key.pem"), "secret").unwrap();
        std::fs::write(t.join("sub/deeper/big"), vec![7u8; 3 * BUF_TEST + 11]).unwrap();
        use std::os::unix::ffi::OsStrExt;
        std::fs::write(t.join(std::ffi::OsStr::from_bytes(b"bad\xffname")), "x").unwrap();
        symlink(".", t.join("sub/loop")).unwrap();
        symlink("../sub", t.join("sub/deeper/up")).unwrap();
        symlink("l2", t.join("l1")).unwrap();
        symlink("l1", t.join("l2")).unwrap();
        let fifo = std::ffi::CString::new(t.join("fifo").to_str().unwrap()).unwrap();
        // SAFETY: valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
        run_tool(
            "setfacl",
            &["-m", "u:4242:r", t.join("sub/key.pem").to_str().unwrap()],
        );
        run_tool(
            "setfattr",
            &[
                "-n",
                "user.tag",
                "-v",
                "v1",
                t.join("a.txt").to_str().unwrap(),
            ],
        );
        (d, t)
    }
    const BUF_TEST: usize = 64 * 1024;

    /// Runs `f` on another thread and fails instead of hanging if it blocks (a FIFO
    /// opened for reading would block forever).
    fn within<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(f());
        });
        rx.recv_timeout(Duration::from_secs(60))
            .expect("baseline blocked")
    }

    fn entry<'a>(b: &'a Baseline, t: &Path, rel: &str) -> &'a FileRecord {
        let p = encode_path(t.join(rel).as_os_str());
        b.entries
            .iter()
            .find(|e| e.path == p)
            .unwrap_or_else(|| panic!("{p} not recorded"))
    }

    #[test]
    fn create_records_every_attribute_without_following_or_blocking() {
        let (d, t) = tree();
        let out = d.path().join("base.json");
        let (t2, out2) = (t.clone(), out.clone());
        let b = within(move || create(&[t2], Some(&out2), None, None, &quiet()).unwrap());
        assert_eq!(load(&out).unwrap(), b);
        // tree, a.txt, bad\xffname, fifo, l1, l2, sub, sub/key.pem, sub/loop, sub/deeper,
        // sub/deeper/big, sub/deeper/up
        assert_eq!(
            b.entries.len(),
            12,
            "{:#?}",
            b.entries.iter().map(|e| &e.path).collect::<Vec<_>>()
        );
        let big = entry(&b, &t, "sub/deeper/big");
        let sha = crate::testtool::tool("sha256sum")
            .arg(t.join("sub/deeper/big"))
            .output()
            .unwrap();
        assert_eq!(
            big.sha256.as_deref(),
            Some(&String::from_utf8(sha.stdout).unwrap()[..64])
        );
        assert_eq!(big.size, Some(3 * BUF_TEST as u64 + 11));
        let fifo = entry(&b, &t, "fifo");
        assert_eq!(
            (
                fifo.kind.as_str(),
                fifo.sha256.as_deref(),
                fifo.error.as_deref()
            ),
            ("fifo", None, None)
        );
        assert_eq!(fifo.mode, "0600");
        let l = entry(&b, &t, "sub/loop");
        assert_eq!(
            (l.kind.as_str(), l.target.as_deref()),
            ("symlink", Some("."))
        );
        assert_eq!(entry(&b, &t, "l1").target.as_deref(), Some("l2"));
        let key = entry(&b, &t, "sub/key.pem");
        assert!(
            key.acl.as_deref().unwrap().contains("user:4242:r--"),
            "{key:?}"
        );
        assert_eq!(
            entry(&b, &t, "a.txt")
                .xattrs
                .get("user.tag")
                .map(String::as_str),
            Some("7631")
        );
        assert_eq!(entry(&b, &t, "a.txt").owner.as_deref(), Some("root"));
        assert!(b.entries.iter().any(|e| e.path.ends_with("bad\\xffname")));
        assert!(
            b.entries.iter().all(|e| e.error.is_none()),
            "{:?}",
            b.entries
        );
        // Nothing was written to the tree: checking right away finds no change.
        let (c, _) = check_now(&out);
        assert!(c.is_empty(), "{c:?}");
    }

    fn check_now(file: &Path) -> (Changes, String) {
        let args = BaselineArgs {
            command: BaselineCommand::Check {
                file: file.to_path_buf(),
                json: false,
                verify_key: None,
            },
        };
        let mut out = Vec::new();
        let code = run_to(&args, &quiet(), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let old = load(file).unwrap();
        let roots: Vec<PathBuf> = old
            .roots
            .iter()
            .map(|r| PathBuf::from(vigil_core::osutil::decode_path(r)))
            .collect();
        let now = scan::records(scan::walk(&roots, &quiet()), &quiet());
        let c = compare(&old.entries, &now);
        assert_eq!(code, crate::exit::Exit::findings_if(!c.is_empty()));
        (c, text)
    }

    #[test]
    fn check_lists_added_removed_and_changed_attributes() {
        let (d, t) = tree();
        let out = d.path().join("base.json");
        create(std::slice::from_ref(&t), Some(&out), None, None, &quiet()).unwrap();
        std::fs::write(t.join("a.txt"), "hellO\n").unwrap();
        std::fs::set_permissions(
            t.join("sub/key.pem"),
            std::fs::Permissions::from_mode(0o604),
        )
        .unwrap();
        run_tool(
            "setfacl",
            &["-m", "u:4243:rw", t.join("sub/key.pem").to_str().unwrap()],
        );
        run_tool(
            "setfattr",
            &[
                "-n",
                "user.tag",
                "-v",
                "v2",
                t.join("a.txt").to_str().unwrap(),
            ],
        );
        run_tool(
            "setfattr",
            &["-n", "user.new", "-v", "1", t.join("sub").to_str().unwrap()],
        );
        std::fs::remove_file(t.join("l2")).unwrap();
        symlink("elsewhere", t.join("l2")).unwrap();
        std::fs::remove_file(t.join("fifo")).unwrap();
        std::fs::write(t.join("fifo"), "now a file").unwrap();
        std::fs::remove_file(t.join("sub/deeper/big")).unwrap();
        std::fs::write(t.join("sub/added"), "").unwrap();
        let c_ = std::ffi::CString::new(t.join("sub/deeper").to_str().unwrap()).unwrap();
        // SAFETY: valid path; chown to another owner and group.
        assert_eq!(unsafe { libc::lchown(c_.as_ptr(), 1, 1) }, 0);

        let (c, text) = check_now(&out);
        let p = |rel: &str| encode_path(t.join(rel).as_os_str());
        assert_eq!(c.added, [p("sub/added")]);
        assert_eq!(c.removed, [p("sub/deeper/big")]);
        let attrs = |rel: &str| -> Vec<String> {
            c.changed
                .iter()
                .find(|f| f.path == p(rel))
                .map(|f| f.changes.iter().map(|a| a.attribute.clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(attrs("a.txt"), ["sha256", "xattr user.tag"]);
        // chmod on a file with an ACL changes the mask entry too.
        assert_eq!(attrs("sub/key.pem"), ["mode", "acl"]);
        assert_eq!(attrs("sub"), ["xattr user.new"]);
        assert_eq!(attrs("l2"), ["size", "target"]);
        assert_eq!(attrs("fifo"), ["type", "sha256", "size", "mode"]);
        assert_eq!(attrs("sub/deeper"), ["owner", "group"]);
        assert_eq!(c.changed.len(), 6, "{c:#?}");
        assert!(
            text.contains(&format!("changed: {}: sha256 ", p("a.txt"))),
            "{text}"
        );
        assert!(text.contains("1 added, 1 removed, 6 changed"), "{text}");
    }

    #[test]
    fn refuses_to_write_into_the_scanned_tree() {
        let (_d, t) = tree();
        let before = std::fs::read_dir(&t).unwrap().count();
        let e = create(
            std::slice::from_ref(&t),
            Some(&t.join("sub/base.json")),
            None,
            None,
            &quiet(),
        )
        .unwrap_err();
        assert!(matches!(e, Error::OutInsideTree { .. }), "{e}");
        assert_eq!(std::fs::read_dir(&t).unwrap().count(), before);
        assert!(matches!(
            create(
                &[t.join("missing")],
                Some(&t.join("../x.json")),
                None,
                None,
                &quiet()
            ),
            Err(Error::MissingRoot(_))
        ));
    }

    #[test]
    fn file_swapped_for_a_fifo_after_the_walk_is_refused() {
        let (d, t) = tree();
        // Root reads anything, so make the hash fail by racing a replacement: a file
        // swapped for a FIFO after the walk must be refused, not opened and read.
        let walked = scan::walk(std::slice::from_ref(&t), &quiet());
        std::fs::remove_file(t.join("a.txt")).unwrap();
        let c = std::ffi::CString::new(t.join("a.txt").to_str().unwrap()).unwrap();
        // SAFETY: valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        let recs = within(move || scan::records(walked, &Progress::new(false)));
        let a = recs.iter().find(|r| r.path.ends_with("/a.txt")).unwrap();
        assert!(a.error.as_deref().unwrap().starts_with("hash: "), "{a:?}");
        assert_eq!(a.sha256, None);
        drop(d);
    }
}
