//! Results: the versioned results model and its renderings.

pub mod html;

pub mod sanitize;
mod sc_schema;
pub mod scap;

pub use vigil_core::model::ScanResults;

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
    let bytes = vigil_core::osutil::read_whole_input(path).map_err(|e| ReportError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })?;
    vigil_core::model::from_json_slice(&bytes).map_err(|e| ReportError::Read {
        path: path.display().to_string(),
        message: format!("line {}, column {}: {e}", e.line(), e.column()),
    })
}

/// A real scan of the report fixture (tests/fixtures/report: a small benchmark, its
/// OVAL file and a root tree), shared by the report tests.
#[cfg(test)]
pub(crate) mod testutil {
    use std::path::{Path, PathBuf};

    use super::ScanResults;
    use vigil_core::content::{Content, LoadOptions, load};
    use vigil_core::engine::xccdf::Selection;
    use vigil_host::host::Host;
    use vigil_host::scan::{self, ScanConfig};

    pub fn fixture_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/report")
    }

    pub fn scan_fixture(max_items: usize) -> (Content, ScanResults) {
        let dir = fixture_dir();
        let content = load(&dir.join("report-xccdf.xml"), &LoadOptions::default())
            .expect("fixture content loads");
        let mut config = ScanConfig::new(Host::offline(dir.join("root").canonicalize().unwrap()));
        config.selection = Selection {
            profile: Some("default".into()),
            ..Default::default()
        };
        config.max_items_per_object = max_items;
        config.command_line = vec!["vigil".into(), "scan".into()];
        let results =
            scan::run(&content, &config, &vigil_host::probes::builtin()).expect("fixture scans");
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
    use vigil_core::content::{LoadOptions, load};
    use vigil_host::host::Host;
    use vigil_host::scan::{self, ScanConfig};

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
        let content = load(&path, &LoadOptions::default()).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let config = ScanConfig::new(Host::offline(dir.path().to_path_buf()));
        let r = scan::run(&content, &config, &vigil_host::probes::builtin()).unwrap();
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
