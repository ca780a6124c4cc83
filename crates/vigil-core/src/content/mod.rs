//! SCAP content: reading source data streams (SCAP 1.2/1.3), standalone XCCDF 1.2
//! benchmarks with their OVAL files, tailoring files and OVAL 5.11 definition files
//! into one owned, validated model, [`Content`].

pub mod datastream;
pub mod error;
mod loader;
pub mod oval;
pub mod xccdf;
pub mod xml;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::IndexMap;

pub use error::{ContentError, Pos};
pub use loader::{cpe_dictionary_beside, load, load_bytes};

use oval::{OvalDefinitions, Unsupported};
use xccdf::{Benchmark, CpeDictionary, Tailoring};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
/// What the content file given to [`load`] is, told by its root element.
pub enum ContentKind {
    /// An SCAP 1.2/1.3 source data stream collection (`ds:data-stream-collection`).
    DataStream,
    /// A standalone XCCDF 1.2 `Benchmark`, OVAL files beside it.
    Xccdf,
    /// An OVAL 5.11 `oval_definitions` file on its own: no rules, every definition
    /// evaluated.
    Oval,
}

/// Everything a scan needs from the content, with references resolved.
#[derive(Debug, Clone)]
pub struct Content {
    /// The content file as given (for the bundled benchmark, [`BUNDLED_NAME`]).
    pub path: PathBuf,
    /// SHA-256 of the content file, hex.
    pub sha256: String,
    /// Which kind of document the file is.
    pub kind: ContentKind,
    /// The XCCDF benchmark; `None` for an OVAL definitions file.
    pub benchmark: Option<Benchmark>,
    /// OVAL documents by the href the benchmark and CPE dictionary use for them
    /// (`#component-ref-id` or a catalog URI in a data stream, a relative file name for a
    /// standalone benchmark, the file name for an OVAL file given directly).
    pub oval: IndexMap<String, Arc<OvalDefinitions>>,
    /// The CPE dictionary that decides platform applicability; `None` when the content has
    /// none (then CPE platforms of rules are not applicable, as in oscap).
    pub cpe_dictionary: Option<CpeDictionary>,
    /// Benchmark-referenced hrefs that could not be resolved (checks using them are
    /// reported as errors with this message).
    pub unresolved: IndexMap<String, String>,
    /// The tailoring file of [`LoadOptions::tailoring`]; `None` without one.
    pub tailoring: Option<Tailoring>,
    /// Known-namespace elements vigil does not implement.
    pub unsupported: Vec<Unsupported>,
}

/// Choices made when loading content.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoadOptions {
    /// `--datastream-id`: which data stream of a collection.
    pub datastream_id: Option<String>,
    /// `--xccdf-id`: which XCCDF component of the data stream.
    pub xccdf_id: Option<String>,
    /// `--tailoring`: an XCCDF 1.2 Tailoring document whose profiles `--profile` can choose.
    pub tailoring: Option<PathBuf>,
    /// `--max-content-size`: content files (and the OVAL, CPE and tailoring files they
    /// bring in) larger than this are refused; `None` is
    /// [`xml::DEFAULT_MAX_CONTENT_SIZE`].
    pub max_content_size: Option<u64>,
}

impl LoadOptions {
    /// The size limit in bytes in force: `max_content_size` or the default.
    pub fn content_limit(&self) -> u64 {
        self.max_content_size
            .unwrap_or(xml::DEFAULT_MAX_CONTENT_SIZE)
    }
}

/// The bundled CCM LOG-11 benchmark that `vigil scan` runs without CONTENT: under
/// `$VIGIL_CONTENT_DIR`, beside the executable (`<prefix>/share/vigil` for `<prefix>/bin`,
/// or `content/` next to it), or in the source tree the binary was built from.
/// The bundled CSA CCM LOG-11 benchmark as one source data stream, embedded in the
/// binary so a scan without CONTENT works anywhere (remote hosts included).
pub const BUNDLED_DATASTREAM: &str =
    include_str!("../../../../content/ccm-log11/vigil-ccm-log11-ds.xml");

/// The name the embedded benchmark goes by in messages and results.
pub const BUNDLED_NAME: &str = "(bundled) vigil-ccm-log11-ds.xml";

/// Loads the bundled benchmark: from `$VIGIL_CONTENT_DIR/ccm-log11/` when that is set
/// (to try edited content), else the copy embedded in the binary.
pub fn load_bundled(options: &LoadOptions) -> Result<Content, ContentError> {
    if std::env::var_os("VIGIL_CONTENT_DIR").is_some()
        && let Some(p) = bundled_benchmark()
    {
        return load(&p, options);
    }
    load_bytes(
        BUNDLED_DATASTREAM.as_bytes().to_vec(),
        Path::new(BUNDLED_NAME),
        options,
    )
}

/// The bundled benchmark's XCCDF file on disk, if one can be found.
pub fn bundled_benchmark() -> Option<PathBuf> {
    const REL: &str = "ccm-log11/vigil-ccm-log11-xccdf.xml";
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(d) = std::env::var_os("VIGIL_CONTENT_DIR") {
        dirs.push(PathBuf::from(d));
    }
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|e| e.parent().map(Path::to_path_buf))
    {
        dirs.push(bin.join("../share/vigil"));
        dirs.push(bin.join("content"));
    }
    // The source tree (cargo run, tests): content/ at the workspace root.
    dirs.push(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../../content")).to_path_buf());
    dirs.into_iter().map(|d| d.join(REL)).find(|p| p.is_file())
}
