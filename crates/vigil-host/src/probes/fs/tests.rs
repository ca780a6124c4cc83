//! Probe-level tests on real fixture trees in temporary directories.

use std::collections::BTreeMap;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::*;
use crate::host::Host;
use crate::probes::ItemField;
use vigil_core::content::oval::{Check, Datatype};

fn ent(name: &str, op: Operation, values: &[&str]) -> QueryEntity {
    QueryEntity {
        name: name.into(),
        datatype: if name == "instance" {
            Datatype::Int
        } else {
            Datatype::String
        },
        operation: op,
        values: values.iter().map(|s| s.to_string()).collect(),
        nil: false,
        var_check: Check::All,
        from_variable: false,
    }
}

fn eq(name: &str, v: &str) -> QueryEntity {
    ent(name, Operation::Equals, &[v])
}

fn pm(name: &str, v: &str) -> QueryEntity {
    ent(name, Operation::PatternMatch, &[v])
}

fn nil(name: &str) -> QueryEntity {
    QueryEntity {
        nil: true,
        ..ent(name, Operation::Equals, &[])
    }
}

fn query(kind: &str, beh: &[(&str, &str)], entities: Vec<QueryEntity>) -> ObjectQuery {
    let family = match kind {
        "file_object" | "symlink_object" => Family::Unix,
        _ => Family::Independent,
    };
    ObjectQuery {
        object_id: format!("oval:t:obj:{kind}"),
        family,
        kind: kind.into(),
        behaviors: beh
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect::<BTreeMap<_, _>>(),
        entities,
        item_filter: None,
    }
}

fn ctx() -> Context {
    Context::new(Arc::new(Host::live()))
}

fn run(q: &ObjectQuery) -> Collected {
    FsProbe.collect(q, &ctx())
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Sorted values of `field` over the items.
fn vals(c: &Collected, field: &str) -> Vec<String> {
    let mut v: Vec<String> = c
        .items
        .iter()
        .filter_map(|i| i.first(field).map(str::to_string))
        .collect();
    v.sort();
    v
}

/// A tree: r/{a.conf, b.txt, sub/{c.conf, deep/d.conf}, link -> sub, loop -> ., fifo, sock}
fn tree() -> (tempfile::TempDir, std::os::unix::net::UnixListener) {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("sub/deep")).unwrap();
    std::fs::write(r.join("a.conf"), "key=1\nother=2\nkey=3\n").unwrap();
    std::fs::write(r.join("b.txt"), "nothing\n").unwrap();
    std::fs::write(r.join("sub/c.conf"), "key=4\n").unwrap();
    std::fs::write(r.join("sub/deep/d.conf"), "key=5\n").unwrap();
    symlink("sub", r.join("link")).unwrap();
    symlink(".", r.join("sub/deep/loop")).unwrap();
    symlink("..", r.join("sub/up")).unwrap();
    assert!(
        crate::testtool::tool("mkfifo")
            .arg(r.join("fifo"))
            .status()
            .unwrap()
            .success()
    );
    let l = std::os::unix::net::UnixListener::bind(r.join("sock")).unwrap();
    (d, l)
}

#[test]
fn filepath_and_path_filename_give_the_same_item() {
    let (d, _l) = tree();
    let r = d.path();
    let a = run(&query(
        "file_object",
        &[],
        vec![eq("filepath", &s(&r.join("a.conf")))],
    ));
    let b = run(&query(
        "file_object",
        &[],
        vec![eq("path", &s(r)), eq("filename", "a.conf")],
    ));
    assert_eq!(a.flag, Flag::Complete);
    assert_eq!(a.items, b.items);
    assert_eq!(a.items[0].first("path"), Some(&*s(r)));
    assert_eq!(a.items[0].first("type"), Some("regular"));
    let missing = run(&query(
        "file_object",
        &[],
        vec![eq("filepath", &s(&r.join("nope")))],
    ));
    assert_eq!(missing.flag, Flag::DoesNotExist);
    let missing = run(&query(
        "file_object",
        &[],
        vec![eq("path", &s(&r.join("nope"))), nil("filename")],
    ));
    assert_eq!(missing.flag, Flag::DoesNotExist);
    // The directory itself.
    let dir = run(&query(
        "file_object",
        &[],
        vec![eq("path", &s(r)), nil("filename")],
    ));
    assert_eq!(dir.items.len(), 1);
    assert_eq!(dir.items[0].first("type"), Some("directory"));
    assert_eq!(dir.items[0].first("filename"), Some(""));
}

#[test]
fn max_depth_and_recursion_kinds() {
    let (d, _l) = tree();
    let r = d.path();
    let conf = |beh: &[(&str, &str)]| {
        let c = run(&query(
            "file_object",
            beh,
            vec![eq("path", &s(r)), pm("filename", r"\.conf$")],
        ));
        vals(&c, "filepath")
    };
    let p = |x: &str| s(&r.join(x));
    assert_eq!(conf(&[]), [p("a.conf")]);
    let down = [("recurse_direction", "down"), ("recurse", "directories")];
    assert_eq!(conf(&[down[0], down[1], ("max_depth", "0")]), [p("a.conf")]);
    assert_eq!(
        conf(&[down[0], down[1], ("max_depth", "1")]),
        [p("a.conf"), p("sub/c.conf")]
    );
    assert_eq!(
        conf(&[down[0], down[1]]),
        [p("a.conf"), p("sub/c.conf"), p("sub/deep/d.conf")]
    );
    // Following links too: `link` is walked as a directory of its own; the `loop` and
    // `up` links point at ancestors and are not entered.
    assert_eq!(
        conf(&[
            ("recurse_direction", "down"),
            ("recurse", "symlinks and directories")
        ]),
        [
            p("a.conf"),
            p("link/c.conf"),
            p("link/deep/d.conf"),
            p("sub/c.conf"),
            p("sub/deep/d.conf")
        ]
    );
    // Directories with filename nil.
    let c = run(&query(
        "file_object",
        &[down[0], down[1]],
        vec![eq("path", &s(r)), nil("filename")],
    ));
    assert_eq!(vals(&c, "path"), [s(r), p("sub"), p("sub/deep")]);
    assert!(c.items.iter().all(|i| i.first("type") == Some("directory")));
}

#[test]
fn symlink_loops_terminate_and_special_files_do_not_block() {
    let (d, _l) = tree();
    let r = d.path();
    let t = Instant::now();
    let beh = [
        ("recurse_direction", "down"),
        ("recurse", "symlinks and directories"),
    ];
    let c = run(&query(
        "file_object",
        &beh,
        vec![eq("path", &s(r)), pm("filename", ".")],
    ));
    let types: Vec<String> = vals(&c, "type");
    assert!(
        types.contains(&"fifo".to_string()) && types.contains(&"socket".to_string()),
        "{types:?}"
    );
    let tf = run(&query(
        "textfilecontent54_object",
        &beh,
        vec![
            eq("path", &s(r)),
            pm("filename", "."),
            pm("pattern", "^key=(\\d)$"),
            ent("instance", Operation::GreaterThanOrEqual, &["1"]),
        ],
    ));
    assert_eq!(tf.flag, Flag::Complete, "{:?}", tf.messages);
    // a.conf: 2 matches; c.conf and d.conf twice each (through sub and link).
    assert_eq!(tf.items.len(), 6);
    let h = run(&query(
        "filehash58_object",
        &beh,
        vec![
            eq("path", &s(r)),
            pm("filename", "."),
            eq("hash_type", "MD5"),
        ],
    ));
    assert!(
        vals(&h, "filename")
            .iter()
            .all(|n| n != "fifo" && n != "sock")
    );
    assert!(t.elapsed() < Duration::from_secs(10));
    // Named directly, a FIFO or socket is an error item, never read.
    let f = run(&query(
        "textfilecontent54_object",
        &[],
        vec![eq("filepath", &s(&r.join("fifo"))), pm("pattern", "x")],
    ));
    assert_eq!(f.flag, Flag::Error);
    assert!(
        f.items[0]
            .message
            .as_deref()
            .unwrap()
            .contains("fifo, not a regular file"),
        "{f:?}"
    );
}

#[test]
fn recurse_direction_up() {
    let (d, _l) = tree();
    let r = d.path();
    let c = run(&query(
        "file_object",
        &[("recurse_direction", "up"), ("max_depth", "2")],
        vec![eq("path", &s(&r.join("sub/deep"))), nil("filename")],
    ));
    assert_eq!(
        vals(&c, "path"),
        [s(r), s(&r.join("sub")), s(&r.join("sub/deep"))]
    );
    let c = run(&query(
        "file_object",
        &[("recurse_direction", "up"), ("max_depth", "-1")],
        vec![
            eq("path", &s(&r.join("sub/deep"))),
            pm("filename", r"\.conf$"),
        ],
    ));
    assert_eq!(vals(&c, "filename"), ["a.conf", "c.conf", "d.conf"]);
}

#[test]
fn pattern_paths_walk_from_their_literal_prefix() {
    let (d, _l) = tree();
    let r = d.path();
    let base = s(r);
    let c = run(&query(
        "file_object",
        &[],
        vec![pm("filepath", &format!("^{base}/sub/.*\\.conf$"))],
    ));
    assert_eq!(
        vals(&c, "filepath"),
        [s(&r.join("sub/c.conf")), s(&r.join("sub/deep/d.conf"))]
    );
    // A path pattern: every matching directory, links followed by default (as oscap).
    let c = run(&query(
        "file_object",
        &[],
        vec![
            pm("path", &format!("^{base}/(sub|link)")),
            pm("filename", "conf$"),
        ],
    ));
    assert_eq!(
        vals(&c, "filepath"),
        [
            s(&r.join("link/c.conf")),
            s(&r.join("link/deep/d.conf")),
            s(&r.join("sub/c.conf")),
            s(&r.join("sub/deep/d.conf"))
        ]
    );
    let c = run(&query(
        "textfilecontent54_object",
        &[],
        vec![
            pm("filepath", &format!("^{base}/[ab]\\.(conf|txt)$")),
            pm("pattern", "^(\\w+)=(\\d)$"),
            eq("instance", "2"),
        ],
    ));
    assert_eq!(c.items.len(), 1);
    assert_eq!(
        c.items[0]
            .values("subexpression")
            .flatten()
            .collect::<Vec<_>>(),
        ["other", "2"]
    );
    assert_eq!(c.items[0].first("text"), Some("other=2"));
}

#[test]
fn textfilecontent_behaviors_and_size_limit() {
    let (d, _l) = tree();
    let r = d.path();
    let fp = s(&r.join("a.conf"));
    let single = run(&query(
        "textfilecontent54_object",
        &[("singleline", "true")],
        vec![
            eq("filepath", &fp),
            pm("pattern", "key=1.(o)"),
            eq("instance", "1"),
        ],
    ));
    assert_eq!(single.items[0].first("subexpression"), Some("o"));
    let not_multi = run(&query(
        "textfilecontent54_object",
        &[("multiline", "false")],
        vec![
            eq("filepath", &fp),
            pm("pattern", "^other"),
            eq("instance", "1"),
        ],
    ));
    assert_eq!(not_multi.flag, Flag::DoesNotExist);
    let mut small = ctx();
    small.max_file_size = 4;
    let c = FsProbe.collect(
        &query(
            "textfilecontent54_object",
            &[],
            vec![eq("filepath", &fp), pm("pattern", "k")],
        ),
        &small,
    );
    assert_eq!(c.flag, Flag::Error);
    assert_eq!(c.items[0].status, ItemStatus::Error);
    assert!(
        c.items[0]
            .message
            .as_deref()
            .unwrap()
            .contains("more than the 4-byte limit"),
        "{c:?}"
    );
    assert_eq!(c.items[0].first("filepath"), Some(&*fp));
}

#[test]
fn unreadable_file_is_an_item_error() {
    // Tests run as root, which reads any mode; a path that cannot be opened for reading
    // as a file is used instead: a directory component that is a regular file makes
    // every open fail with ENOTDIR, and a mode-000 file is at least checked not to break.
    let (d, _l) = tree();
    let r = d.path();
    let secret = r.join("secret");
    std::fs::write(&secret, "key=9\n").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    let c = run(&query(
        "textfilecontent54_object",
        &[],
        vec![eq("filepath", &s(&secret)), pm("pattern", "key")],
    ));
    let running_as_root = unsafe { libc::geteuid() } == 0;
    if running_as_root {
        assert_eq!(c.flag, Flag::Complete);
    } else {
        assert_eq!(c.flag, Flag::Error);
        assert!(
            c.items[0]
                .message
                .as_deref()
                .unwrap()
                .contains("Permission denied")
        );
    }
    let sock = run(&query(
        "filehash58_object",
        &[],
        vec![
            eq("filepath", &s(&r.join("sock"))),
            eq("hash_type", "SHA-1"),
        ],
    ));
    assert_eq!(sock.flag, Flag::Error);
    assert!(sock.items[0].message.as_deref().unwrap().contains("socket"));
}

#[test]
fn filehash_matches_sha256sum_and_md5sum() {
    let (d, _l) = tree();
    let fp = s(&d.path().join("a.conf"));
    let c = run(&query(
        "filehash58_object",
        &[],
        vec![
            eq("filepath", &fp),
            ent("hash_type", Operation::PatternMatch, &["^(SHA-256|MD5)$"]),
        ],
    ));
    for (t, tool) in [("SHA-256", "sha256sum"), ("MD5", "md5sum")] {
        let out = String::from_utf8(
            crate::testtool::tool(tool)
                .arg(&fp)
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap();
        let want = out.split_whitespace().next().unwrap();
        let item = c
            .items
            .iter()
            .find(|i| i.first("hash_type") == Some(t))
            .unwrap();
        assert_eq!(item.first("hash"), Some(want));
    }
    assert_eq!(c.items.len(), 2);
}

#[test]
fn symlink_object() {
    let (d, _l) = tree();
    let r = d.path();
    let c = run(&query(
        "symlink_object",
        &[],
        vec![eq("filepath", &s(&r.join("link")))],
    ));
    let want = r.canonicalize().unwrap().join("sub");
    assert_eq!(c.items[0].first("canonical_path"), Some(&*s(&want)));
    let not_link = run(&query(
        "symlink_object",
        &[],
        vec![eq("filepath", &s(&r.join("a.conf")))],
    ));
    assert_eq!(not_link.flag, Flag::DoesNotExist);
}

#[test]
fn xmlfilecontent_object() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("c.xml");
    std::fs::write(
        &f,
        r#"<c><add key="a" value="1"/><add key="b" value="2"/></c>"#,
    )
    .unwrap();
    let c = run(&query(
        "xmlfilecontent_object",
        &[],
        vec![
            eq("filepath", &s(&f)),
            eq("xpath", "/c/add[@key='b']/@value"),
        ],
    ));
    assert_eq!(
        c.items[0].values("value_of").flatten().collect::<Vec<_>>(),
        ["2"]
    );
    let c = run(&query(
        "xmlfilecontent_object",
        &[],
        vec![eq("filepath", &s(&f)), eq("xpath", "sum(/c/add/@value)")],
    ));
    assert_eq!(c.items[0].first("value_of"), Some("3"));
    let c = run(&query(
        "xmlfilecontent_object",
        &[],
        vec![eq("filepath", &s(&f)), eq("xpath", "/c/add[")],
    ));
    assert_eq!(c.flag, Flag::Error);
}

#[test]
fn offline_root_maps_paths_and_never_enters_proc() {
    let d = tempfile::tempdir().unwrap();
    let r = d.path();
    std::fs::create_dir_all(r.join("usr/bin")).unwrap();
    std::fs::create_dir_all(r.join("etc/ssh")).unwrap();
    std::fs::create_dir_all(r.join("proc/1")).unwrap();
    std::fs::write(r.join("proc/1/evil.conf"), "x").unwrap();
    std::fs::write(r.join("usr/bin/su"), "su").unwrap();
    std::fs::write(r.join("etc/ssh/sshd_config"), "PermitRootLogin no\n").unwrap();
    // An absolute link must resolve inside the root, not on the scanner's host.
    symlink("/usr/bin", r.join("bin")).unwrap();
    std::fs::set_permissions(
        r.join("usr/bin/su"),
        std::fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    let ctx = Context::new(Arc::new(Host::offline(r)));
    let su = FsProbe.collect(
        &query("file_object", &[], vec![eq("filepath", "/bin/su")]),
        &ctx,
    );
    assert_eq!(su.items[0].first("filepath"), Some("/bin/su"));
    assert_eq!(su.items[0].first("suid"), Some("true"));
    let tf = FsProbe.collect(
        &query(
            "textfilecontent54_object",
            &[],
            vec![
                pm("filepath", "^/etc/ssh/sshd_config$"),
                pm("pattern", "^PermitRootLogin (\\w+)"),
                eq("instance", "1"),
            ],
        ),
        &ctx,
    );
    assert_eq!(tf.items[0].first("subexpression"), Some("no"));
    assert_eq!(tf.items[0].first("path"), Some("/etc/ssh"));
    let all = FsProbe.collect(
        &query(
            "file_object",
            &[("recurse_direction", "down"), ("recurse", "directories")],
            vec![eq("path", "/"), pm("filename", "conf")],
        ),
        &ctx,
    );
    assert_eq!(vals(&all, "filepath"), ["/etc/ssh/sshd_config"]);
    // Asked for explicitly, /proc is read.
    let p = FsProbe.collect(
        &query(
            "file_object",
            &[],
            vec![eq("path", "/proc/1"), pm("filename", "conf")],
        ),
        &ctx,
    );
    assert_eq!(vals(&p, "filepath"), ["/proc/1/evil.conf"]);
}

#[test]
fn recurse_file_system_defined_stays_on_the_start_device() {
    let shm = Path::new("/dev/shm");
    let (d, _l) = tree();
    let r = d.path();
    let same_dev = std::fs::metadata(shm)
        .map(|m| std::os::unix::fs::MetadataExt::dev(&m))
        .ok()
        == std::fs::metadata(r)
            .map(|m| std::os::unix::fs::MetadataExt::dev(&m))
            .ok();
    assert!(
        shm.is_dir() && !same_dev,
        "this test needs /dev/shm on a file system of its own, a tmpfs as Linux, containers \
         and scripts/fresh-check.sh mount it, and the temporary directory elsewhere"
    );
    let other = tempfile::tempdir_in(shm).unwrap();
    std::fs::write(other.path().join("x.conf"), "").unwrap();
    symlink(other.path(), r.join("elsewhere")).unwrap();
    let run_fs = |fs: &str| {
        let c = run(&query(
            "file_object",
            &[("recurse_direction", "down"), ("recurse_file_system", fs)],
            vec![eq("path", &s(r)), pm("filename", "^x\\.conf$")],
        ));
        vals(&c, "filepath")
    };
    assert_eq!(run_fs("all"), [s(&r.join("elsewhere/x.conf"))]);
    assert_eq!(run_fs("local"), [s(&r.join("elsewhere/x.conf"))]);
    assert!(run_fs("defined").is_empty());
}

#[test]
fn one_batch_equals_separate_collection_and_filters_push_down() {
    let (d, _l) = tree();
    let r = d.path();
    let down = [("recurse_direction", "down"), ("recurse", "directories")];
    let qs = [
        query(
            "file_object",
            &down,
            vec![eq("path", &s(r)), nil("filename")],
        ),
        query(
            "file_object",
            &down,
            vec![eq("path", &s(&r.join("sub"))), pm("filename", ".")],
        ),
        query(
            "textfilecontent54_object",
            &down,
            vec![
                eq("path", &s(r)),
                pm("filename", "conf$"),
                pm("pattern", "key=(\\d)"),
            ],
        ),
        query(
            "filehash58_object",
            &[],
            vec![
                eq("filepath", &s(&r.join("a.conf"))),
                eq("hash_type", "SHA-512"),
            ],
        ),
        query(
            "textfilecontent54_object",
            &[],
            vec![
                eq("filepath", &s(&r.join("a.conf"))),
                pm("pattern", "other"),
            ],
        ),
        query(
            "file_object",
            &[],
            vec![pm("path", "^/nonexistent/x"), nil("filename")],
        ),
    ];
    let refs: Vec<&ObjectQuery> = qs.iter().collect();
    let batch = FsProbe
        .collect_many(&refs, &ctx())
        .expect("the walk is shared");
    for (q, b) in qs.iter().zip(&batch).take(5) {
        let one = run(q);
        // Listing a directory updates its access time; compare everything else.
        let no_atime = |c: &Collected| -> Vec<Vec<ItemField>> {
            c.items
                .iter()
                .map(|i| {
                    i.fields
                        .iter()
                        .filter(|f| f.name != "a_time")
                        .cloned()
                        .collect()
                })
                .collect()
        };
        assert_eq!(no_atime(&one), no_atime(b), "{}", q.kind);
        assert!(!b.items.is_empty(), "{}", q.kind);
    }
    assert_eq!(batch[2].items.len(), 4);
    assert_eq!(batch[5].flag, Flag::DoesNotExist, "{:?}", batch[5]);
    let mut q = qs[0].clone();
    q.item_filter = Some(crate::probes::ItemFilter::new(Arc::new(|i: &Item| {
        i.first("path").is_some_and(|p| p.ends_with("deep"))
    })));
    let filtered = FsProbe.collect(&q, &ctx());
    assert_eq!(filtered.items.len(), 1);
}

#[test]
fn wrong_family_and_bad_behaviors_are_errors() {
    let mut q = query("file_object", &[], vec![eq("filepath", "/etc/passwd")]);
    q.family = Family::Independent;
    assert_eq!(run(&q).flag, Flag::Error);
    let q = query(
        "file_object",
        &[("recurse", "sideways")],
        vec![eq("filepath", "/etc/passwd")],
    );
    let c = run(&q);
    assert_eq!(c.flag, Flag::Error);
    assert!(c.messages[0].contains("sideways"));
    // An operation the comparison cannot do is refused before walking anything.
    let q = query(
        "file_object",
        &[],
        vec![ent("path", Operation::BitwiseAnd, &["1"]), nil("filename")],
    );
    let c = run(&q);
    assert_eq!(c.flag, Flag::Error);
    assert!(c.messages[0].contains("bitwise and"), "{:?}", c.messages);
}

#[test]
fn content_through_a_file_link_is_read_live() {
    // Regression: live reads opened the link itself with O_NOFOLLOW and failed with ELOOP.
    let (d, _l) = tree();
    let r = d.path();
    symlink("a.conf", r.join("alias.conf")).unwrap();
    let c = run(&query(
        "textfilecontent54_object",
        &[],
        vec![
            // The directory escaped, so the walk starts there: unescaped, the `.` of
            // `.tmpXXXX` is a wildcard and the walk covers all of /tmp, where other
            // tests' directories come and go (seen failing as "Incomplete").
            pm(
                "filepath",
                &format!("^{}/alias\\.conf$", s(r).replace('.', "\\.")),
            ),
            pm("pattern", "^key=(\\d)"),
        ],
    ));
    assert_eq!(c.flag, Flag::Complete, "{c:?}");
    assert_eq!(vals(&c, "subexpression"), ["1", "3"]);
    assert_eq!(
        c.items[0].first("filepath"),
        Some(&*s(&r.join("alias.conf")))
    );
}

#[test]
fn object_timeout_abandons_the_walk_and_reports_it() {
    let (d, _l) = tree();
    let r = d.path();
    let mut c = ctx();
    // Already expired when the walk starts: the walk stops at once and the object is
    // an error that says why, instead of a silently partial item list.
    c.limits.object_timeout = Some(Duration::ZERO);
    let q = query(
        "textfilecontent54_object",
        &[("recurse_direction", "down")],
        vec![
            eq("path", &s(r)),
            pm("filename", r"\.conf$"),
            pm("pattern", "^key=(.*)$"),
            ent("instance", Operation::GreaterThanOrEqual, &["1"]),
        ],
    );
    let got = FsProbe.collect(&q, &c);
    assert_eq!(got.flag, Flag::Error, "{got:?}");
    assert!(
        got.messages[0].starts_with("timed out after 0 s (--object-timeout)"),
        "{:?}",
        got.messages
    );
    // With time to spare the same object is collected in full.
    c.limits.object_timeout = Some(Duration::from_secs(300));
    let got = FsProbe.collect(&q, &c);
    assert_eq!(got.flag, Flag::Complete, "{got:?}");
    assert!(
        vals(&got, "subexpression").contains(&"5".to_string()),
        "{got:?}"
    );
}

#[test]
fn proc_files_that_never_end_are_cut_at_max_file_size() {
    // /proc files report size 0, so only the bytes actually read can enforce the limit.
    let mut c = ctx();
    c.max_file_size = 16;
    let q = query(
        "textfilecontent54_object",
        &[],
        vec![
            eq("filepath", "/proc/self/maps"),
            pm("pattern", "^(.*)$"),
            ent("instance", Operation::GreaterThanOrEqual, &["1"]),
        ],
    );
    let got = FsProbe.collect(&q, &c);
    assert_eq!(got.flag, Flag::Error, "{got:?}");
    assert!(
        got.messages
            .iter()
            .chain(got.items.iter().filter_map(|i| i.message.as_ref()))
            .any(|m| m.contains("16-byte limit")),
        "{got:?}"
    );
}

#[test]
fn a_start_through_a_link_is_walked_once_and_named_as_the_object_names_it() {
    // `link -> sub`: one batch walks `sub` once, and the objects that start at `link`
    // report their items under `link`, as `/lib` objects do on a merged-/usr system.
    let (d, _l) = tree();
    let r = d.path();
    let down = [("recurse_direction", "down"), ("recurse", "directories")];
    let qs = [
        query(
            "file_object",
            &down,
            vec![eq("path", &s(&r.join("link"))), pm("filename", "conf$")],
        ),
        query(
            "file_object",
            &down,
            vec![eq("path", &s(&r.join("sub"))), pm("filename", "conf$")],
        ),
        query(
            "file_object",
            &down,
            vec![eq("path", &s(&r.join("link"))), nil("filename")],
        ),
    ];
    let refs: Vec<&ObjectQuery> = qs.iter().collect();
    let batch = FsProbe
        .collect_many(&refs, &ctx())
        .expect("the walk is shared");
    let under = |p: &str| {
        vec![
            s(&r.join(p).join("c.conf")),
            s(&r.join(p).join("deep/d.conf")),
        ]
    };
    assert_eq!(vals(&batch[0], "filepath"), under("link"));
    assert_eq!(vals(&batch[1], "filepath"), under("sub"));
    assert_eq!(
        vals(&batch[2], "path"),
        [s(&r.join("link")), s(&r.join("link/deep"))]
    );
}
