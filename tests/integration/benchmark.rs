//! What ships is what the sources say: the bundled benchmark's committed XML (and the
//! copy embedded in the binary) and the README's tables against a fresh
//! `vigil-benchmark` build; the documents against oscap's schema validation; the README's
//! family table against the families the benchmark uses; and `src/report/sc_schema.rs`
//! against its generator.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const REGENERATE: &str = "cargo run -p vigil-benchmark -- build content/ccm-log11 --out content/ccm-log11 --readme README.md";

fn content_dir() -> PathBuf {
    Path::new(ROOT).join("content/ccm-log11")
}

fn bench() -> vigil_benchmark::Benchmark {
    vigil_benchmark::load(&content_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn committed_benchmark_is_fresh() {
    let outputs = vigil_benchmark::compile(&bench());
    let stale = vigil_benchmark::stale(&outputs, &content_dir());
    assert!(
        stale.is_empty(),
        "{} differ from a fresh build of content/ccm-log11/benchmark.toml and rules/; regenerate with\n    {REGENERATE}",
        stale
            .iter()
            .map(|p| p.strip_prefix(ROOT).unwrap_or(p).display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    // The binary embeds the data stream: the guard is on what ships, not only on disk.
    let ds = outputs
        .iter()
        .find(|o| o.name.ends_with("-ds.xml"))
        .unwrap();
    assert!(
        vigil_core::content::BUNDLED_DATASTREAM == ds.text,
        "the data stream embedded in vigil is stale; regenerate with\n    {REGENERATE}\nand rebuild"
    );
}

#[test]
fn readme_tables_are_fresh() {
    let (old, fresh) =
        vigil_benchmark::updated_readme(&bench(), &Path::new(ROOT).join("README.md"))
            .unwrap_or_else(|e| panic!("{e}"));
    if old != fresh {
        let diff: Vec<String> = old
            .lines()
            .zip(fresh.lines())
            .filter(|(a, b)| a != b)
            .take(3)
            .map(|(a, b)| format!("  README: {a}\n  fresh:  {b}"))
            .collect();
        panic!(
            "README.md's rule or Value table is stale; regenerate with\n    {REGENERATE}\n{}",
            diff.join("\n")
        );
    }
}

fn oscap(args: &[&str], file: &Path) -> (bool, String) {
    let out = crate::tool("oscap").args(args).arg(file).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// oscap validates against the OVAL 5.11 schemas it ships, which do not know vigil's
/// own test families, so it cannot accept the real OVAL document or the data stream
/// holding it. So: the benchmark without those families (every standard-family rule,
/// the data stream around them) must validate completely; the real XCCDF must
/// validate; the real OVAL and data stream may fail only on vigil's elements and the
/// references the schema then cannot resolve.
#[test]
fn oscap_validates_the_documents() {
    crate::testtool::require("oscap");
    let dir = tempfile::tempdir().unwrap();
    let mut standard = bench();
    standard.retain_families(&["ind", "unix", "linux"]);
    assert!(standard.rules.len() >= 4, "{}", standard.rules.len());
    for o in vigil_benchmark::compile(&standard) {
        std::fs::write(dir.path().join(&o.name), o.text).unwrap();
    }
    let f = &standard.meta.files;
    for (args, name) in [
        (&["xccdf", "validate"][..], &f.xccdf),
        (&["oval", "validate"][..], &f.oval),
        (&["ds", "sds-validate"][..], &f.datastream),
    ] {
        let (ok, text) = oscap(args, &dir.path().join(name));
        assert!(
            ok,
            "oscap {args:?} {name} (standard families only):\n{text}"
        );
    }

    let b = bench();
    let f = &b.meta.files;
    let (ok, text) = oscap(&["xccdf", "validate"], &content_dir().join(&f.xccdf));
    assert!(ok, "oscap xccdf validate {}:\n{text}", f.xccdf);
    // Once the schema has refused the first vigil element of a section, libxml2 skips
    // the rest of it, so references to every test, object and state after it are
    // reported as unresolved too: those are expected, for ids the benchmark defines.
    let ids: Vec<String> = b
        .rules
        .iter()
        .flat_map(|r| &r.check.tests)
        .flat_map(|t| {
            std::iter::once(t.id.clone())
                .chain(std::iter::once(t.object.id.clone()))
                .chain(t.states.iter().map(|s| s.id.clone()))
        })
        .collect();
    for (args, name) in [
        (&["oval", "validate"][..], &f.oval),
        (&["ds", "sds-validate"][..], &f.datastream),
    ] {
        let (_, text) = oscap(args, &content_dir().join(name));
        // It did validate (and still does not know vigil's families): else the filter
        // below would pass on an oscap that failed before reading the file.
        assert!(
            text.contains("{https://vigil.dev/XMLSchema/oval-definitions-5#vigil}"),
            "oscap {args:?} {name}:\n{text}"
        );
        let other: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("File "))
            .filter(|l| {
                let expected = l.contains("{https://vigil.dev/XMLSchema/oval-definitions-5#vigil}")
                    || (l.contains("of keyref")
                        && ids.iter().any(|id| l.contains(&format!("['{id}']"))));
                !expected
            })
            .collect();
        assert!(
            other.is_empty(),
            "oscap {args:?} {name}: errors beyond vigil's own families:\n{}",
            other.join("\n")
        );
    }
}

/// README's "vigil's OVAL test families" table documents what the probes collect. It
/// is written by hand (it describes probes, not the benchmark), so this checks it
/// against the data instead: every vigil object the benchmark uses has a row, and every
/// entity its objects and states name is listed in that row.
#[test]
fn readme_family_table_covers_the_benchmark() {
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).unwrap();
    let section = readme
        .split("### vigil's OVAL test families")
        .nth(1)
        .expect("README has a \"vigil's OVAL test families\" section");
    let rows: Vec<&str> = section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .collect();
    let mut missing = Vec::new();
    for r in bench().rules {
        for t in r.check.tests.iter().filter(|t| t.family().0 == "vigil") {
            let object = format!("`{}_object`", t.family().1);
            let Some(row) = rows.iter().find(|l| l.starts_with(&format!("| {object}"))) else {
                missing.push(format!("{}: no row for {object}", r.short_id));
                continue;
            };
            let entities = t
                .object
                .entities
                .iter()
                .chain(t.states.iter().flat_map(|s| &s.entities));
            for e in entities {
                if !row.contains(&format!("`{}`", e.name))
                    && !row.contains(&format!("`{}*`", e.name))
                {
                    missing.push(format!(
                        "{}: {object} row does not list `{}`",
                        r.short_id, e.name
                    ));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "README's family table:\n{}",
        missing.join("\n")
    );
}

/// src/report/sc_schema.rs is scripts/gen-sc-schema.py's output over the OVAL 5.11.3
/// system-characteristics schemas oscap installs, formatted by rustfmt.
#[test]
fn sc_schema_is_fresh() {
    const SCHEMAS: &str = "/usr/share/openscap/schemas/oval/5.11.3";
    crate::testtool::require("/usr/share/openscap/schemas/");
    let generated = crate::tool("python3")
        .arg(Path::new(ROOT).join("scripts/gen-sc-schema.py"))
        .arg(SCHEMAS)
        .output()
        .unwrap();
    assert!(
        generated.status.success(),
        "{}",
        String::from_utf8_lossy(&generated.stderr)
    );
    let mut fmt = crate::tool("rustfmt")
        .args(["--edition", "2024"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = fmt.stdin.take().unwrap();
    let input = generated.stdout;
    let writer = std::thread::spawn(move || {
        use std::io::Write;
        stdin.write_all(&input).unwrap();
    });
    let formatted = fmt.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(formatted.status.success(), "rustfmt failed");
    let committed = std::fs::read(Path::new(ROOT).join("src/report/sc_schema.rs")).unwrap();
    assert!(
        committed == formatted.stdout,
        "src/report/sc_schema.rs is stale; regenerate with\n    scripts/gen-sc-schema.py {SCHEMAS} | rustfmt --edition 2024 > src/report/sc_schema.rs"
    );
}
