//! Parser from the XML tree to [`super::OvalDefinitions`]. Placeholder.

use super::{OvalDefinitions, Unsupported};
use crate::content::error::Result;
use crate::content::xml::Element;
use std::path::Path;

/// Parses an `oval_definitions` element.
pub fn parse_definitions(
    _root: &Element,
    path: &Path,
) -> Result<(OvalDefinitions, Vec<Unsupported>)> {
    Ok((
        OvalDefinitions {
            path: path.to_path_buf(),
            ..Default::default()
        },
        Vec::new(),
    ))
}

/// Every dangling reference in the document, one message each (placeholder).
pub fn validate_references(_defs: &OvalDefinitions) -> Vec<String> {
    Vec::new()
}
