//! The system programs tests run, checked against `scripts/test-tools.txt`.
//!
//! Tests start a program only through [`tool`]: a name missing from the list is a test
//! bug (scripts/test.sh would not install it, so the test would pass here and fail on
//! a fresh machine), and a listed program that is not installed fails the test with
//! the package to install instead of a bare `NotFound`. Compiled into the unit tests
//! (`#[cfg(test)]` in lib.rs) and, by `#[path]`, into the integration test binary.

#![allow(dead_code)]
// Compiled into several crates and the integration binary, which re-exports it: `pub`
// is what each of them needs, though no one crate uses all of it.
#![allow(unreachable_pub)]

use std::process::Command;

const LIST: &str = include_str!("../scripts/test-tools.txt");

/// The Debian package that provides `name`, if the list has it.
pub fn package_of(name: &str) -> Option<&'static str> {
    LIST.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            Some((w.next()?, w.next()?))
        })
        // An entry ending in '/' covers every path below it.
        .find(|(n, _)| *n == name || (n.ends_with('/') && name.starts_with(n)))
        .map(|(_, p)| p)
}

/// Whether `name` (a command looked up on PATH, or an absolute path) is installed.
pub fn installed(name: &str) -> bool {
    if name.starts_with('/') {
        return std::path::Path::new(name).exists();
    }
    std::env::var_os("PATH").is_some_and(|path| {
        std::env::split_paths(&path).any(|d| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(d.join(name))
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
    })
}

/// Panics unless `name` is listed and installed, naming the package to install.
pub fn require(name: &str) {
    let Some(pkg) = package_of(name) else {
        panic!(
            "a test uses `{name}`, which scripts/test-tools.txt does not list: add it with its Debian package"
        );
    };
    assert!(
        installed(name),
        "this test needs `{name}` (Debian package {pkg}), which is not installed; scripts/test.sh installs it"
    );
}

/// Panics unless the test runs as root, saying what for. The tests run as root
/// (README "Tests": scripts/test.sh and CI do), so a test that needs root fails rather
/// than passing without having checked anything.
pub fn require_root(what: &str) {
    // SAFETY: geteuid has no preconditions and never fails.
    let euid = unsafe { libc::geteuid() };
    assert_eq!(
        euid, 0,
        "this test needs root ({what}); run the tests as root, as scripts/test.sh and CI do"
    );
}

/// A [`Command`] for a listed, installed system program.
pub fn tool(name: &str) -> Command {
    require(name);
    Command::new(name)
}

/// The python of the venv scripts/test.sh makes from scripts/test-pypi.txt (consumers
/// Debian does not package), or `$VIGIL_TEST_VENV/bin/python`; panics naming the
/// command that creates it when it is missing.
pub fn pypi_python() -> Command {
    let venv = std::env::var_os("VIGIL_TEST_VENV").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/test-venv"),
        std::path::PathBuf::from,
    );
    let python = venv.join("bin/python");
    assert!(
        python.exists(),
        "this test needs {} with scripts/test-pypi.txt installed; scripts/test.sh creates it",
        python.display()
    );
    Command::new(python)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Files whose test code starts a program by name: past the first `#[cfg(test)]` of a
    /// library file, or anywhere in a test-only file.
    fn test_code(path: &Path, text: &str) -> Vec<(usize, String)> {
        let test_only = path.starts_with("tests") || path.ends_with("tests.rs");
        let start = if test_only {
            Some(0)
        } else {
            text.lines().position(|l| l.contains("#[cfg(test)]"))
        };
        let Some(start) = start else { return vec![] };
        text.lines()
            .enumerate()
            .skip(start)
            .filter(|(_, l)| l.contains("Command::new(\""))
            .map(|(i, l)| (i + 1, l.trim().to_string()))
            .collect()
    }

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                rust_files(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }

    /// Tests start system programs only through `tool`, so that every one of them is in
    /// scripts/test-tools.txt and a fresh machine gets it from scripts/test.sh.
    #[test]
    fn tests_start_programs_only_through_tool() {
        // The workspace root (this file is compiled into every crate's tests).
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .find(|d| d.join("scripts/test-tools.txt").is_file())
            .expect("the workspace root");
        let mut files = Vec::new();
        rust_files(&root.join("src"), &mut files);
        rust_files(&root.join("crates"), &mut files);
        rust_files(&root.join("tests"), &mut files);
        let mut found = Vec::new();
        for f in files.iter().filter(|f| !f.ends_with("testtool.rs")) {
            let text = std::fs::read_to_string(f).unwrap();
            let f = f.strip_prefix(root).unwrap();
            for (line, l) in test_code(f, &text) {
                found.push(format!("{}:{line}: {l}", f.display()));
            }
        }
        assert!(
            found.is_empty(),
            "use testtool::tool(NAME) instead:\n{}",
            found.join("\n")
        );
    }

    #[test]
    fn every_listed_name_has_a_package() {
        for l in super::LIST.lines().map(str::trim) {
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            assert_eq!(
                l.split_whitespace().count(),
                2,
                "scripts/test-tools.txt: {l:?}"
            );
        }
        assert_eq!(super::package_of("setfattr"), Some("attr"));
        assert_eq!(
            super::package_of("/usr/share/xml/scap/ssg/content/x.xml"),
            Some("ssg-debian")
        );
        assert_eq!(super::package_of("no-such-tool"), None);
    }
}
