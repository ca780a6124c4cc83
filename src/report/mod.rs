//! Results: the versioned results model and its renderings.

pub mod html;
pub mod model;
pub mod sanitize;
mod sc_schema;
pub mod scap;

pub use model::ScanResults;

use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Write(#[from] crate::outfile::Error),
    #[error("cannot render the report: {0}")]
    Render(String),
    #[error("{path}: not a vigil results document: {message}")]
    Read { path: String, message: String },
}

/// Writes the JSON results to a file, or to stdout for `-` ([`write_output`]).
pub fn write_json(results: &ScanResults, path: &Path) -> Result<(), ReportError> {
    let text = serde_json::to_vec_pretty(results).expect("results serialise");
    write_output(path, &text)
}

/// Writes one output: standard output for `-`, otherwise through [`crate::outfile`]
/// (written in place for devices and FIFOs, atomically replaced for files).
pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        let written = out
            .write_all(bytes)
            .and_then(|()| out.write_all(b"\n"))
            .and_then(|()| out.flush());
        // The reader closed the pipe (`vigil scan --json - | head`): it chose to stop
        // reading, which is not a failed write; the scan goes on (history, exit status).
        return match written {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(source) => Err(crate::outfile::Error::Io {
                path: "<stdout>".into(),
                source,
            }
            .into()),
            Ok(()) => Ok(()),
        };
    }
    Ok(crate::outfile::replace(
        path,
        bytes,
        crate::outfile::NewFile::Report,
    )?)
}

/// Reads a results document written by `vigil scan --json`.
pub fn read_json(path: &Path) -> Result<ScanResults, ReportError> {
    let bytes = crate::osutil::read_whole_input(path).map_err(|e| ReportError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    from_json_slice(&bytes).map_err(|e| ReportError::Read {
        path: path.display().to_string(),
        message: format!("line {}, column {}: {e}", e.line(), e.column()),
    })
}

/// Most nesting a results document may have when read back. Criteria trees nest as
/// deep as the content's XML (at most [`crate::content::xml::MAX_DEPTH`] elements, two
/// JSON levels each), past serde_json's default limit of 128; the scan is checked first
/// so a hostile document cannot overflow the stack.
pub const MAX_JSON_DEPTH: usize = 4 * crate::content::xml::MAX_DEPTH + 64;

/// `serde_json::from_slice` for results documents (and anything embedding them),
/// allowing nesting up to [`MAX_JSON_DEPTH`].
pub fn from_json_slice<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> serde_json::Result<T> {
    use serde::de::Error as _;
    let mut depth = 0usize;
    let (mut in_str, mut esc) = (false, false);
    for &b in bytes {
        if in_str {
            match (esc, b) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_JSON_DEPTH {
                    return Err(serde_json::Error::custom(format!(
                        "nested deeper than {MAX_JSON_DEPTH} levels"
                    )));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    de.disable_recursion_limit();
    let v = T::deserialize(&mut de)?;
    de.end()?;
    Ok(v)
}

/// A real scan of the report fixture (tests/fixtures/report: a small benchmark, its
/// OVAL file and a root tree), shared by the report tests.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::{Path, PathBuf};

    use super::ScanResults;
    use crate::content::{Content, LoadOptions, datastream};
    use crate::engine::xccdf::Selection;
    use crate::scan::{self, ScanConfig};
    use crate::target::Host;

    pub fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
    }

    pub fn scan_fixture(max_items: usize) -> (Content, ScanResults) {
        let dir = fixture_dir();
        let content = datastream::load(&dir.join("report-xccdf.xml"), &LoadOptions::default())
            .expect("fixture content loads");
        let mut config = ScanConfig::new(Host::offline(dir.join("root").canonicalize().unwrap()));
        config.selection = Selection {
            profile: Some("default".into()),
            ..Default::default()
        };
        config.max_items_per_object = max_items;
        config.command_line = vec!["vigil".into(), "scan".into()];
        let results =
            scan::run(&content, &config, &crate::probes::builtin()).expect("fixture scans");
        (content, results)
    }

    /// Replaces what changes from run to run (times, paths, the account) so renderings
    /// can be compared with a snapshot.
    pub fn normalise(r: &mut ScanResults) {
        r.scan.started = "2026-01-01T00:00:00Z".into();
        r.scan.finished = "2026-01-01T00:00:01Z".into();
        r.scan.duration_ms = 1000;
        r.scan.user = "auditor".into();
        r.scan.root = Some("/srv/fixture-root".into());
        r.scan.content.path = "report-xccdf.xml".into();
        r.scan.host.arch = "x86_64".into();
        r.scan.host.kernel = None;
        r.scan.host.addresses = vec!["192.0.2.10".into()];
        r.vigil_version = "0.0.0-test".into();
    }
}

#[cfg(test)]
mod tests {
    use super::testutil::scan_fixture;
    use crate::content::{LoadOptions, datastream};
    use crate::scan::{self, ScanConfig};
    use crate::target::Host;

    fn validator() -> jsonschema::Validator {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/results.schema.json");
        let schema: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
    }

    fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
        v.iter_errors(doc)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    #[test]
    fn xccdf_scan_output_matches_the_json_schema() {
        let (_, r) = scan_fixture(200);
        let doc = serde_json::to_value(&r).unwrap();
        let v = validator();
        assert_eq!(errors(&v, &doc), Vec::<String>::new());
        // The schema does check: a result word that is not XCCDF's is refused.
        let mut bad = doc.clone();
        bad["rules"][0]["result"] = "passed".into();
        assert!(!errors(&v, &bad).is_empty());
    }

    #[test]
    fn oval_scan_output_matches_the_json_schema() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/oval/engine.xml");
        let content = datastream::load(&path, &LoadOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = ScanConfig::new(Host::offline(dir.path().to_path_buf()));
        let r = scan::run(&content, &config, &crate::probes::builtin()).unwrap();
        let doc = serde_json::to_value(&r).unwrap();
        assert!(doc["definitions"].as_array().unwrap().len() > 10);
        assert_eq!(errors(&validator(), &doc), Vec::<String>::new());
    }

    #[test]
    fn schema_1_0_documents_still_read() {
        let (_, r) = scan_fixture(200);
        let mut doc = serde_json::to_value(&r).unwrap();
        doc["schema_version"] = "1.0".into();
        doc.as_object_mut().unwrap().remove("states");
        let back: super::ScanResults = serde_json::from_value(doc.clone()).unwrap();
        assert!(back.states.is_empty());
        assert_eq!(errors(&validator(), &doc), Vec::<String>::new());
    }
}

#[cfg(test)]
mod json_depth_tests {
    use super::*;

    fn nested(depth: usize) -> String {
        "[".repeat(depth) + &"]".repeat(depth)
    }

    #[test]
    fn deep_results_read_back_but_hostile_depth_is_refused() {
        // Regression: a 200-level criteria tree gave results that `--history` could not
        // record ("recursion limit exceeded" at serde_json's 128 levels).
        let v: serde_json::Value = from_json_slice(nested(600).as_bytes()).unwrap();
        assert!(v.is_array());
        assert!(serde_json::from_str::<serde_json::Value>(&nested(600)).is_err());
        let e = from_json_slice::<serde_json::Value>(nested(MAX_JSON_DEPTH + 1).as_bytes())
            .unwrap_err();
        assert!(e.to_string().contains("nested deeper than"), "{e}");
        // Brackets inside strings do not count.
        let s = format!(r#"{{"a": "{}\"{}"}}"#, "[".repeat(5000), "{".repeat(5000));
        assert!(from_json_slice::<serde_json::Value>(s.as_bytes()).is_ok());
        assert!(from_json_slice::<serde_json::Value>(b"[1] x").is_err());
    }
}
