//! An offline root (`--root`) is a file system vigil does not trust: whatever its
//! owner does to it while it is being scanned, vigil reads nothing outside it.
//!
//! The race: a directory of the image is swapped (`renameat2(RENAME_EXCHANGE)`, atomic)
//! with a symbolic link pointing outside the image, over and over, while vigil scans.
//! Resolving the links under the root and then opening the resulting path string lets
//! the swap land in between, and vigil would then read the scanning machine's own file
//! as the image's. Every open must be relative to a descriptor of the root.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::VIGIL;

/// True when a scan read the host's marker: the text matched its content, or the file
/// item has its size (777 bytes; the image's file has 6).
const RACE_OVAL: &str = r#"<?xml version="1.0"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions>
<definition id="oval:r:def:1" version="1" class="inventory"><metadata><title>host marker read</title><description>d</description></metadata><criteria operator="OR"><criterion test_ref="oval:r:tst:1"/><criterion test_ref="oval:r:tst:2"/><criterion test_ref="oval:r:tst:3"/></criteria></definition>
</definitions>
<tests>
<ind:textfilecontent54_test id="oval:r:tst:1" version="1" check="at least one" check_existence="at_least_one_exists" comment="c"><ind:object object_ref="oval:r:obj:1"/><ind:state state_ref="oval:r:ste:1"/></ind:textfilecontent54_test>
<unix:file_test id="oval:r:tst:2" version="1" check="at least one" check_existence="at_least_one_exists" comment="c"><unix:object object_ref="oval:r:obj:2"/><unix:state state_ref="oval:r:ste:2"/></unix:file_test>
<ind:textfilecontent54_test id="oval:r:tst:3" version="1" check="at least one" check_existence="at_least_one_exists" comment="c"><ind:object object_ref="oval:r:obj:3"/><ind:state state_ref="oval:r:ste:1"/></ind:textfilecontent54_test>
</tests>
<objects>
<ind:textfilecontent54_object id="oval:r:obj:1" version="1"><ind:filepath>/etc/d/marker</ind:filepath><ind:pattern operation="pattern match">^(.*)$</ind:pattern><ind:instance datatype="int" operation="greater than or equal">1</ind:instance></ind:textfilecontent54_object>
<unix:file_object id="oval:r:obj:2" version="1"><unix:path>/etc/d</unix:path><unix:filename>marker</unix:filename></unix:file_object>
<ind:textfilecontent54_object id="oval:r:obj:3" version="1"><ind:path>/etc/d</ind:path><ind:filename operation="pattern match">^mark</ind:filename><ind:pattern operation="pattern match">^(.*)$</ind:pattern><ind:instance datatype="int" operation="greater than or equal">1</ind:instance></ind:textfilecontent54_object>
</objects>
<states>
<ind:textfilecontent54_state id="oval:r:ste:1" version="1"><ind:subexpression operation="pattern match">HOSTMARK</ind:subexpression></ind:textfilecontent54_state>
<unix:file_state id="oval:r:ste:2" version="1"><unix:size datatype="int">777</unix:size></unix:file_state>
</states>
</oval_definitions>
"#;

fn cstr(p: &Path) -> CString {
    CString::new(p.as_os_str().as_bytes()).unwrap()
}

/// Swaps `a` and `b` atomically until told to stop; returns how many swaps it made.
fn swapper(a: &Path, b: &Path, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let (a, b) = (cstr(a), cstr(b));
    std::thread::spawn(move || {
        let mut n = 0;
        while !stop.load(Ordering::Relaxed) {
            // SAFETY: both paths are NUL-terminated; RENAME_EXCHANGE swaps two names.
            let rc = unsafe {
                libc::syscall(
                    libc::SYS_renameat2,
                    libc::AT_FDCWD,
                    a.as_ptr(),
                    libc::AT_FDCWD,
                    b.as_ptr(),
                    libc::RENAME_EXCHANGE,
                )
            };
            assert_eq!(rc, 0, "renameat2: {}", std::io::Error::last_os_error());
            n += 1;
        }
        n
    })
}

#[test]
fn swapping_an_image_directory_for_a_link_out_never_reads_the_host() {
    let work = tempfile::tempdir().unwrap();
    let image = work.path().join("image");
    std::fs::create_dir_all(image.join("etc/d")).unwrap();
    std::fs::write(image.join("etc/d/marker"), "image\n").unwrap();
    // The scanning machine's own directory, outside the image, with a file of the same
    // name that the image must never be reported to hold.
    let outside = work.path().join("host");
    std::fs::create_dir(&outside).unwrap();
    let mut host_text = b"HOSTMARK\n".to_vec();
    host_text.resize(777, b'#');
    std::fs::write(outside.join("marker"), &host_text).unwrap();
    symlink(&outside, image.join("etc/l")).unwrap();
    let content = work.path().join("race.xml");
    std::fs::write(&content, RACE_OVAL).unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = swapper(&image.join("etc/d"), &image.join("etc/l"), stop.clone());
    let (escapes, scans, errors) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let per_thread = 250;
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..per_thread {
                    let out = std::process::Command::new(VIGIL)
                        .arg("scan")
                        .arg(&content)
                        .arg("--root")
                        .arg(&image)
                        .args(["--json", "-", "--quiet"])
                        .output()
                        .expect("run vigil");
                    let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
                        .unwrap_or_else(|e| {
                            panic!(
                                "no JSON ({e}); stderr: {}",
                                String::from_utf8_lossy(&out.stderr)
                            )
                        });
                    let result = doc["definitions"][0]["result"].as_str().unwrap_or("");
                    match result {
                        "true" => escapes.fetch_add(1, Ordering::Relaxed),
                        "false" => 0,
                        _ => errors.fetch_add(1, Ordering::Relaxed),
                    };
                    scans.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    stop.store(true, Ordering::Relaxed);
    let swaps = swaps.join().unwrap();
    let (escapes, scans, errors) = (
        escapes.into_inner(),
        scans.into_inner(),
        errors.into_inner(),
    );
    eprintln!("{scans} scans, {swaps} swaps, {escapes} escapes, {errors} error results");
    assert!(swaps > 1000, "the swapper ran ({swaps} swaps)");
    assert_eq!(
        escapes, 0,
        "{escapes} of {scans} scans reported the host's file as the image's"
    );
}
