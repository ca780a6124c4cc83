//! `vigil baseline create --store` and `vigil baseline restore` (issue 17 item 3) on a
//! real tree with real ACLs (setfacl) and extended attributes (setfattr): what a
//! restore puts back is compared byte for byte and attribute for attribute with what
//! `getfacl` and `getfattr` read before the tree was changed; links planted out of the
//! tree, a directory swapped for a link, tampered copies and bad signatures are
//! refused with nothing changed.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::{Path, PathBuf};

use crate::snap::vigil_cmd;
use crate::{tool, vigil};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(cmd: &str, args: &[&str]) -> String {
    let o = tool(cmd).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

fn mode(p: &Path, m: u32) {
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Everything a restore must put back, as the system's own tools read it: per path
/// (sorted), type, mode, owner, group, content bytes or link target, and for files and
/// directories `getfacl` and `getfattr` output.
fn state(tree: &Path) -> String {
    let mut paths = vec![tree.to_path_buf()];
    let mut i = 0;
    while i < paths.len() {
        let p = paths[i].clone();
        if std::fs::symlink_metadata(&p).unwrap().is_dir() {
            let mut kids: Vec<PathBuf> = std::fs::read_dir(&p)
                .unwrap()
                .map(|e| e.unwrap().path())
                .collect();
            kids.sort();
            paths.extend(kids);
        }
        i += 1;
    }
    paths.sort();
    let mut out = String::new();
    for p in paths {
        let m = std::fs::symlink_metadata(&p).unwrap();
        out += &format!("{} {:o} {}:{}\n", p.display(), m.mode(), m.uid(), m.gid());
        if m.file_type().is_symlink() {
            out += &format!("-> {}\n", std::fs::read_link(&p).unwrap().display());
            continue;
        }
        if m.is_file() {
            out += &format!("{:?}\n", std::fs::read(&p).unwrap());
        }
        out += &run("getfacl", &["-n", "-E", "-c", "-p", s(&p)]);
        out += &run(
            "getfattr",
            &["-d", "-m", "-", "-e", "hex", "--absolute-names", s(&p)],
        );
    }
    out
}

struct Fixture {
    dir: tempfile::TempDir,
    tree: PathBuf,
    store: PathBuf,
    outside: PathBuf,
    key: PathBuf,
    public: PathBuf,
}

impl Fixture {
    fn path(&self, rel: &str) -> PathBuf {
        self.tree.join(rel)
    }
}

/// A tree with a default ACL, access ACLs, xattrs and a link, and a signed store of it.
fn fixture() -> Fixture {
    crate::testtool::require_root("to chown files and restore their owners");
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let tree = d.join("tree");
    std::fs::create_dir_all(tree.join("keys")).unwrap();
    std::fs::create_dir_all(tree.join("conf.d")).unwrap();
    let outside = d.join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("shadow"), "root:$6$secret:19000::::::\n").unwrap();
    mode(&outside.join("shadow"), 0o640);
    for (rel, text, m) in [
        ("vault.hcl", "storage \"raft\" {}\n", 0o644),
        ("keys/kms.pem", "-----BEGIN PRIVATE KEY-----\nMC4\n", 0o640),
        ("keys/old.pem", "-----BEGIN PRIVATE KEY-----\nold\n", 0o600),
        ("conf.d/audit.hcl", "audit \"file\" {}\n", 0o644),
    ] {
        std::fs::write(tree.join(rel), text).unwrap();
        mode(&tree.join(rel), m);
    }
    for (rel, m) in [("", 0o755), ("keys", 0o750), ("conf.d", 0o755)] {
        mode(&tree.join(rel), m);
    }
    std::os::unix::fs::chown(tree.join("keys/kms.pem"), Some(0), Some(4243)).unwrap();
    symlink("../vault.hcl", tree.join("conf.d/main.hcl")).unwrap();
    run(
        "setfacl",
        &["-m", "u:4242:r", s(&tree.join("keys/kms.pem"))],
    );
    run("setfacl", &["-d", "-m", "u:4242:rx", s(&tree.join("keys"))]);
    run(
        "setfattr",
        &[
            "-n",
            "user.owner",
            "-v",
            "kms-team",
            s(&tree.join("vault.hcl")),
        ],
    );
    let key = d.join("k.pem");
    let public = d.join("p.pem");
    run(
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", s(&key)],
    );
    run(
        "openssl",
        &["pkey", "-in", s(&key), "-pubout", "-out", s(&public)],
    );
    let store = d.join("store");
    let o = vigil(&[
        "baseline",
        "create",
        "--store",
        s(&store),
        "--sign-key",
        s(&key),
        s(&tree),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    Fixture {
        dir,
        tree,
        store,
        outside,
        key,
        public,
    }
}

fn objects(store: &Path) -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in std::fs::read_dir(store.join("objects")).unwrap() {
        for f in std::fs::read_dir(d.unwrap().path()).unwrap() {
            v.push(f.unwrap().path());
        }
    }
    v.sort();
    v
}

#[test]
fn store_holds_verified_private_copies_named_by_their_hash() {
    let f = fixture();
    let m = std::fs::metadata(&f.store).unwrap();
    assert_eq!(m.mode() & 0o777, 0o700);
    let objs = objects(&f.store);
    // Four regular files, four distinct contents.
    assert_eq!(objs.len(), 4, "{objs:?}");
    for o in &objs {
        assert_eq!(std::fs::metadata(o).unwrap().mode() & 0o777, 0o600);
        let sum = run("sha256sum", &[s(o)]);
        let name = format!(
            "{}{}",
            o.parent().unwrap().file_name().unwrap().to_str().unwrap(),
            o.file_name().unwrap().to_str().unwrap()
        );
        assert_eq!(&sum[..64], name);
    }
    // The manifest is the baseline, and its signature verifies as a baseline's does.
    let o = vigil(&[
        "baseline",
        "check",
        s(&f.store.join("manifest.json")),
        "--verify-key",
        s(&f.public),
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    // A store directory others may write is refused.
    let open = f.dir.path().join("open");
    std::fs::create_dir(&open).unwrap();
    mode(&open, 0o777);
    let o = vigil(&["baseline", "create", "--store", s(&open), s(&f.tree)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("writable by group or others"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // And one inside the tree it records.
    let o = vigil(&[
        "baseline",
        "create",
        "--store",
        s(&f.path("store")),
        s(&f.tree),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!f.path("store").exists());
}

#[test]
fn restore_puts_back_content_mode_owner_acls_and_xattrs_and_keeps_added_files() {
    let f = fixture();
    let before = state(&f.tree);
    let shadow = std::fs::read(f.outside.join("shadow")).unwrap();
    // Content, mode, owner, ACL, xattrs changed; a file deleted; a file replaced by a
    // link to a file outside the tree; a file added.
    std::fs::write(f.path("vault.hcl"), "storage \"inmem\" {}\n").unwrap();
    run("setfattr", &["-x", "user.owner", s(&f.path("vault.hcl"))]);
    run(
        "setfattr",
        &["-n", "user.planted", "-v", "1", s(&f.path("vault.hcl"))],
    );
    mode(&f.path("keys/kms.pem"), 0o666);
    run("setfacl", &["-m", "u:999:rwx", s(&f.path("keys/kms.pem"))]);
    std::os::unix::fs::chown(f.path("conf.d/audit.hcl"), Some(1234), Some(1234)).unwrap();
    run("setfacl", &["-k", s(&f.path("keys"))]);
    std::fs::remove_file(f.path("keys/old.pem")).unwrap();
    std::fs::remove_file(f.path("conf.d/main.hcl")).unwrap();
    symlink(f.outside.join("shadow"), f.path("conf.d/main.hcl")).unwrap();
    std::fs::write(f.path("keys/added.pem"), "new key\n").unwrap();
    let changed = state(&f.tree);
    let dirs = [(f.dir.path(), "[DIR]")];

    let out = vigil_snapshot!(
        "restore_dry_run",
        vigil_cmd(&[
            "baseline",
            "restore",
            s(&f.store),
            "--verify-key",
            s(&f.public),
            "--dry-run"
        ]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(state(&f.tree), changed, "a dry run changed the tree");

    let hist = f.dir.path().join("history");
    let events = f.dir.path().join("events.jsonl");
    let out = vigil_snapshot!(
        "restore_all",
        vigil_cmd(&[
            "baseline",
            "restore",
            s(&f.store),
            "--verify-key",
            s(&f.public),
            "--history",
            s(&hist),
            "--sign-key",
            s(&f.key),
            "--events",
            s(&events)
        ]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(0));
    // The link's target outside the tree was never written.
    assert_eq!(std::fs::read(f.outside.join("shadow")).unwrap(), shadow);
    // The added file is kept; without it the tree is exactly as it was.
    assert_eq!(
        std::fs::read(f.path("keys/added.pem")).unwrap(),
        b"new key\n"
    );
    std::fs::remove_file(f.path("keys/added.pem")).unwrap();
    assert_eq!(state(&f.tree), before);

    // Recorded: a signed restore entry that verifies, and one event per path restored.
    let list = vigil(&["history", "list", s(&hist)]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(
        list.contains("restore") && list.contains("6 restored, 0 refused, 1 added"),
        "{list}"
    );
    let v = vigil(&["history", "verify", s(&hist), "--public-key", s(&f.public)]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&v.stdout)
    );
    let evs: Vec<serde_json::Value> = std::fs::read_to_string(&events)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(evs.len(), 6);
    assert!(
        evs.iter()
            .all(|e| e["event_type"] == "vigil.baseline.restored" && e["history_head"]["seq"] == 1)
    );

    // Nothing left to do: exit 0, nothing restored.
    let o = vigil(&[
        "baseline",
        "restore",
        s(&f.store),
        "--verify-key",
        s(&f.public),
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("0 restored, 0 refused, 0 added (kept)"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}

#[test]
fn a_directory_swapped_for_a_link_out_of_the_tree_is_refused_not_followed() {
    let f = fixture();
    let outside_before = state(&f.outside);
    std::fs::rename(f.path("keys"), f.dir.path().join("keys.moved")).unwrap();
    symlink(&f.outside, f.path("keys")).unwrap();
    std::fs::write(f.path("vault.hcl"), "tampered\n").unwrap();
    let out = vigil_snapshot!(
        "restore_parent_is_a_link",
        vigil_cmd(&[
            "baseline",
            "restore",
            s(&f.store),
            "--verify-key",
            s(&f.public)
        ]),
        &[(f.dir.path(), "[DIR]")]
    );
    // Some refused: exit 2; what could be restored was.
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(state(&f.outside), outside_before);
    assert_eq!(
        std::fs::read(f.path("vault.hcl")).unwrap(),
        b"storage \"raft\" {}\n"
    );
    // Only the named path: the refused directory alone.
    let o = vigil(&[
        "baseline",
        "restore",
        s(&f.store),
        "--verify-key",
        s(&f.public),
        s(&f.path("conf.d")),
    ]);
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn tampered_copies_and_bad_signatures_are_refused_with_nothing_changed() {
    let f = fixture();
    std::fs::write(f.path("vault.hcl"), "tampered\n").unwrap();
    std::fs::remove_file(f.path("keys/old.pem")).unwrap();
    let changed = state(&f.tree);
    let dirs = [(f.dir.path(), "[DIR]")];
    let restore = |extra: &[&str]| {
        let mut a = vec!["baseline", "restore", s(&f.store)];
        a.extend_from_slice(extra);
        vigil_cmd(&a)
    };

    // Unsigned is refused unless asked for.
    let out = vigil_snapshot!("restore_no_key", restore(&[]), &dirs);
    assert_eq!(out.status.code(), Some(1));
    // Signed by another key.
    let other = f.dir.path().join("other.pem");
    run(
        "openssl",
        &["genpkey", "-algorithm", "ed25519", "-out", s(&other)],
    );
    let out = vigil_snapshot!(
        "restore_other_key",
        restore(&["--verify-key", s(&other)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    // A manifest edited after signing (a copy's hash swapped for another's).
    let m = f.store.join("manifest.json");
    let good = std::fs::read(&m).unwrap();
    let text = String::from_utf8(good.clone()).unwrap();
    std::fs::write(&m, text.replace("\"0640\"", "\"0666\"")).unwrap();
    let out = vigil_snapshot!(
        "restore_manifest_edited",
        restore(&["--verify-key", s(&f.public)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    std::fs::write(&m, &good).unwrap();
    // A copy altered in the store, and one replaced by a link.
    let objs = objects(&f.store);
    std::fs::write(&objs[0], "altered\n").unwrap();
    std::fs::remove_file(&objs[1]).unwrap();
    symlink(f.outside.join("shadow"), &objs[1]).unwrap();
    let out = vigil_snapshot!(
        "restore_tampered_copies",
        restore(&["--verify-key", s(&f.public)]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));
    // Not even with --allow-unsigned.
    assert_eq!(
        vigil(&["baseline", "restore", s(&f.store), "--allow-unsigned"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(state(&f.tree), changed, "a refused store changed the tree");
}

#[test]
fn root_restores_into_a_mounted_tree_and_resolves_its_links_inside_it() {
    let f = fixture();
    // The image: the recorded path's ancestors under IMG, one of them an absolute link
    // that means IMG/elsewhere inside the image (and nothing on this host).
    let img = f.dir.path().join("img");
    let d = f.dir.path().strip_prefix("/").unwrap();
    let first = d.components().next().unwrap().as_os_str();
    let rest = d.strip_prefix(first).unwrap();
    let real = img.join("elsewhere").join(rest);
    std::fs::create_dir_all(&real).unwrap();
    symlink("/elsewhere", img.join(first)).unwrap();
    assert!(!Path::new("/elsewhere").exists());
    let copy = tool("cp")
        .args(["-a", s(&f.tree), s(&real)])
        .status()
        .unwrap();
    assert!(copy.success());
    let before = state(&real.join("tree"));
    std::fs::remove_file(real.join("tree/keys/old.pem")).unwrap();
    std::fs::write(real.join("tree/vault.hcl"), "tampered\n").unwrap();
    let host_before = state(&f.tree);
    let o = vigil(&[
        "baseline",
        "restore",
        s(&f.store),
        "--verify-key",
        s(&f.public),
        "--root",
        s(&img),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("2 restored, 0 refused"), "{text}");
    assert_eq!(state(&real.join("tree")), before);
    // The tree the store was made from is not the one restored.
    assert_eq!(state(&f.tree), host_before);
}

#[test]
fn a_name_hard_linked_to_a_file_outside_gets_a_file_of_its_own() {
    let f = fixture();
    // Same content as recorded, so only the attributes differ: a chmod through the
    // link would change the outside file.
    let outside = f.outside.join("same");
    std::fs::write(&outside, "audit \"file\" {}\n").unwrap();
    mode(&outside, 0o600);
    std::fs::remove_file(f.path("conf.d/audit.hcl")).unwrap();
    std::fs::hard_link(&outside, f.path("conf.d/audit.hcl")).unwrap();
    let o = vigil(&[
        "baseline",
        "restore",
        s(&f.store),
        "--verify-key",
        s(&f.public),
    ]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{text}");
    assert!(text.contains("restored: "), "{text}");
    let (a, b) = (
        std::fs::metadata(&outside).unwrap(),
        std::fs::metadata(f.path("conf.d/audit.hcl")).unwrap(),
    );
    assert_eq!((a.mode() & 0o7777, a.nlink()), (0o600, 1));
    assert_eq!((b.mode() & 0o7777, b.nlink()), (0o644, 1));
    assert_ne!(a.ino(), b.ino());
}
