//! Results: the versioned results model and its renderings.

pub mod model;

pub use model::ScanResults;

use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("{path}: cannot write: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a vigil results document: {message}")]
    Read { path: String, message: String },
}

/// Writes the JSON results to a file, or to stdout for `-`. The file is written to a
/// temporary name and renamed so a reader never sees half a document.
pub fn write_json(results: &ScanResults, path: &Path) -> Result<(), ReportError> {
    let text = serde_json::to_vec_pretty(results).expect("results serialise");
    write_output(path, &text)
}

pub fn write_output(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    let err = |source| ReportError::Write {
        path: path.display().to_string(),
        source,
    };
    if path == Path::new("-") {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes).map_err(err)?;
        out.write_all(b"\n").map_err(err)?;
        return out.flush().map_err(err);
    }
    let tmp = path.with_extension(format!(
        "{}.tmp{}",
        path.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        err(e)
    })
}

/// Reads a results document written by `vigil scan --json`.
pub fn read_json(path: &Path) -> Result<ScanResults, ReportError> {
    let bytes = std::fs::read(path).map_err(|e| ReportError::Read {
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
