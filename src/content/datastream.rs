//! SCAP 1.2/1.3 source data streams and content loading. Placeholder.

use super::{Content, ContentError, LoadOptions};
use std::path::Path;

/// Loads a data stream, XCCDF benchmark or OVAL definitions file.
pub fn load(path: &Path, _options: &LoadOptions) -> Result<Content, ContentError> {
    Err(ContentError::Document {
        path: path.to_path_buf(),
        message: "content loading is not implemented yet".into(),
    })
}
