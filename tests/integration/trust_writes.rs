//! Issue 13, item 1: outputs never replace what they should write into, and a link
//! another user planted never makes root write through it. Real device nodes (mknod in
//! a temporary directory), real FIFOs, real symbolic links planted by a real other user
//! (`setpriv --reuid=65534`) in a sticky world-writable directory like /tmp.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::{fixture, tool, vigil};

fn mknod(path: &Path, kind: libc::mode_t, dev: libc::dev_t) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    // SAFETY: mknod with a NUL-terminated path inside the test's own directory.
    let rc = unsafe { libc::mknod(c.as_ptr(), kind | 0o666, dev) };
    assert_eq!(
        rc,
        0,
        "mknod {}: {}",
        path.display(),
        std::io::Error::last_os_error()
    );
}

fn report_root() -> String {
    fixture("report/root").display().to_string()
}

/// A scan of the report fixture root with extra output flags; exit 0 or 2 is a scan.
fn scan(outputs: &[&str]) -> std::process::Output {
    let root = report_root();
    let mut args = vec!["scan", "--root", root.as_str(), "-q"];
    args.extend_from_slice(outputs);
    vigil(&args)
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A directory like /tmp: world-writable and sticky, inside the test's temp dir.
fn shared_dir(base: &Path) -> PathBuf {
    let d = base.join("shared");
    std::fs::create_dir(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
    d
}

/// Runs python3 as uid/gid 65534 (nobody): what another local user can do.
fn as_nobody(script: &str) {
    // The system interpreter: PATH may lead to one only root can run (pyenv).
    crate::testtool::require("/usr/bin/python3");
    let out = tool("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg("/usr/bin/python3")
        .args(["-c", script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn devices_and_fifos_are_written_in_place_and_keep_their_kind() {
    let d = tempfile::tempdir().unwrap();
    let null = d.path().join("null");
    mknod(&null, libc::S_IFCHR, libc::makedev(1, 3));
    let n = null.to_str().unwrap();
    let out = scan(&["--json", n, "--html", n, "--xccdf-results", n, "--arf", n]);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = std::fs::symlink_metadata(&null).unwrap();
    assert!(
        m.file_type().is_char_device(),
        "the device was replaced: {m:?}"
    );
    assert_eq!(names(d.path()), ["null"], "nothing left beside the device");

    // A FIFO with no reader: a clear error at once, and the FIFO is still a FIFO.
    let fifo = d.path().join("fifo");
    mknod(&fifo, libc::S_IFIFO, 0);
    let out = scan(&["--json", fifo.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("fifo: is a FIFO or device with no reader"),
        "{err}"
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );

    // /dev/stdout (a link root owns, to a pipe here) carries the document.
    let out = scan(&["--json", "/dev/stdout"]);
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["rules"].is_array() || doc["rules"].is_object(), "{doc}");
}

#[test]
fn links_planted_by_another_user_never_make_root_write_through_them() {
    crate::testtool::require_root("to run a command as another user");
    let d = tempfile::tempdir().unwrap();
    // The test's temp dir must be reachable by nobody to plant links in shared/.
    std::fs::set_permissions(d.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let shared = shared_dir(d.path());
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"precious\n").unwrap();
    let victim_dir = d.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();

    // The names today's writer would use: the output itself, an events file, a
    // directory on the way, and the temporary names `<path>.tmp<pid>` for the next
    // few thousand pids.
    let last_pid: u32 = std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let (s, v, vd) = (shared.display(), victim.display(), victim_dir.display());
    as_nobody(&format!(
        "import os\n\
         os.symlink('{v}', '{s}/events.log')\n\
         os.symlink('{v}', '{s}/baseline.json')\n\
         os.symlink('{vd}', '{s}/reports')\n\
         for p in range({lo}, {hi}):\n    os.symlink('{v}', '{s}/out.json.tmp%d' % p)\n",
        lo = last_pid,
        hi = last_pid + 3000,
    ));

    let json = shared.join("out.json");
    let out = scan(&["--json", json.to_str().unwrap()]);
    assert!(
        matches!(out.status.code(), Some(0 | 2)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(json.is_file() && !json.is_symlink());

    let events = shared.join("events.log");
    let out = scan(&["--events", events.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("events.log: is a symbolic link owned by uid 65534"),
        "{err}"
    );

    let into_dir = shared.join("reports/r.html");
    let out = scan(&["--html", into_dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("reports: is a symbolic link owned by uid 65534"),
        "{err}"
    );

    let baseline = shared.join("baseline.json");
    let out = vigil(&[
        "baseline",
        "create",
        "--out",
        baseline.to_str().unwrap(),
        &report_root(),
    ]);
    assert_eq!(out.status.code(), Some(1));

    assert_eq!(
        std::fs::read(&victim).unwrap(),
        b"precious\n",
        "the victim was written"
    );
    assert!(names(&victim_dir).is_empty(), "{:?}", names(&victim_dir));
    assert_eq!(std::fs::metadata(&victim).unwrap().uid(), 0);
}

#[test]
fn replaced_files_keep_mode_and_owner_and_new_ones_get_theirs() {
    let d = tempfile::tempdir().unwrap();
    let html = d.path().join("report.html");
    std::fs::write(&html, b"old").unwrap();
    std::fs::set_permissions(&html, std::fs::Permissions::from_mode(0o640)).unwrap();
    let c = CString::new(html.as_os_str().as_bytes()).unwrap();
    // SAFETY: chown of a file this test made (fails harmlessly when not root).
    let given = unsafe { libc::chown(c.as_ptr(), 65534, 65534) } == 0;
    let json = d.path().join("new.json");
    let out = scan(&[
        "--html",
        html.to_str().unwrap(),
        "--json",
        json.to_str().unwrap(),
    ]);
    assert!(matches!(out.status.code(), Some(0 | 2)));
    let m = std::fs::metadata(&html).unwrap();
    assert_eq!(m.mode() & 0o7777, 0o640);
    if given {
        assert_eq!((m.uid(), m.gid()), (65534, 65534));
    }
    assert!(std::fs::read_to_string(&html).unwrap().contains("<html"));
    // Reports follow the umask (the test runner's, inherited by vigil).
    // SAFETY: umask read and restored at once.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    assert_eq!(
        std::fs::metadata(&json).unwrap().mode() & 0o777,
        0o666 & !umask
    );
    // A baseline is created 0600: it lists what the host holds.
    let baseline = d.path().join("b.json");
    let out = vigil(&[
        "baseline",
        "create",
        "--out",
        baseline.to_str().unwrap(),
        &report_root(),
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::metadata(&baseline).unwrap().mode() & 0o777, 0o600);
    assert_eq!(names(d.path()), ["b.json", "new.json", "report.html"]);
}
