//! The file-integrity baseline format, `vigil baseline`'s output and the
//! `integrity_object` probe's input: JSON `{format: "vigil-baseline", version: 1,
//! created, host, roots[], entries[]}`, entries sorted by path; paths that are not UTF-8
//! are stored with `\xNN` escapes (and `\\` for a backslash). The command that writes
//! and checks baselines is the binary's; this crate only reads them (from the scanned
//! host).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub const FORMAT: &str = "vigil-baseline";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRecord {
    pub path: String,
    /// file, dir, symlink, fifo, char, block, socket
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    pub mode: String,
    pub uid: u32,
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_acl: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub xattrs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Baseline {
    pub format: String,
    pub version: u32,
    pub created: String,
    pub host: String,
    pub roots: Vec<String>,
    pub entries: Vec<FileRecord>,
}

/// Parses a baseline document (also read by the `integrity_object` probe, from the
/// scanned host); the error says what is wrong with it.
pub fn parse(bytes: &[u8]) -> std::result::Result<Baseline, String> {
    let b: Baseline = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
    if b.format != FORMAT || b.version != 1 {
        return Err(format!("format {} version {}", b.format, b.version));
    }
    Ok(b)
}
