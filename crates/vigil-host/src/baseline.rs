//! The file-integrity baseline format, `vigil baseline`'s output and the
//! `integrity_object` probe's input: JSON `{format: "vigil-baseline", version: 1,
//! created, host, roots[], entries[]}`, entries sorted by path; paths that are not UTF-8
//! are stored with `\xNN` escapes (and `\\` for a backslash). The command that writes
//! and checks baselines is the binary's; this crate reads them (from the scanned host,
//! or from the scanning machine with `vigil scan --baseline`, see [`ScannerBaseline`])
//! and defines their detached signatures ([`signature`]).

pub mod signature;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The `format` every baseline document carries; [`parse`] refuses any other.
pub const FORMAT: &str = "vigil-baseline";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
/// One file system object of a baseline: its type, metadata, content hash and attributes
/// as `vigil baseline create` recorded them.
pub struct FileRecord {
    /// Absolute path as the host saw it, with `\xNN` escapes for bytes that are not UTF-8
    /// (and `\\` for a backslash).
    pub path: String,
    /// Object type: `file`, `dir`, `symlink`, `fifo`, `char`, `block` or `socket`.
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Size in bytes: of the content hashed for a regular file, of the link text for a
    /// symbolic link; `None` for other kinds.
    pub size: Option<u64>,
    /// Permission bits (including setuid, setgid and sticky) as 4 octal digits, e.g.
    /// `0640`.
    pub mode: String,
    /// Numeric owner user id.
    pub uid: u32,
    /// Numeric owner group id.
    pub gid: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Owner user name resolved on the host that made the baseline; `None` when the id
    /// has no name there.
    pub owner: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// Group name resolved on the host that made the baseline; `None` when the id has no
    /// name there.
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// SHA-256 of a regular file's content, lowercase hex; `None` for other kinds or when
    /// the file could not be read (see `error`).
    pub sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The access ACL (`system.posix_acl_access`) as `user::rw-,user:1000:r--,...`, with
    /// numeric qualifiers; `None` when the file has none.
    pub acl: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// The default ACL (`system.posix_acl_default`) of a directory, in the same form as
    /// `acl`; `None` when there is none.
    pub default_acl: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    /// Other extended attributes, name to value in lowercase hex; empty when there are
    /// none.
    pub xattrs: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// A symbolic link's target, escaped like `path`; `None` for other kinds.
    pub target: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    /// What could not be read (`hash: ...`, `readlink: ...`, `extended attributes: ...`);
    /// `None` when the record is complete.
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
/// A whole baseline document, the JSON `vigil baseline create` writes.
pub struct Baseline {
    /// Always [`FORMAT`].
    pub format: String,
    /// Format version; 1 is the only one.
    pub version: u32,
    /// When the baseline was made, RFC 3339 UTC, whole seconds.
    pub created: String,
    /// Host name of the machine that made it.
    pub host: String,
    /// The absolute paths given to `vigil baseline create`, escaped like
    /// [`FileRecord::path`].
    pub roots: Vec<String>,
    /// Every object found under `roots`, sorted by path.
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

/// `vigil scan --baseline FILE --baseline-key PUB.pem`: the integrity baseline and the
/// key its signature must verify with, both on the scanning machine (never resolved
/// under `--root`), overriding `[integrity] baseline` and `public_key`. A remote scan
/// uploads them with the scan (and `FILE.sig` beside the baseline).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScannerBaseline {
    /// `--baseline`: a baseline file on the scanning machine.
    pub file: Option<PathBuf>,
    /// `--baseline-key`: the Ed25519 public key (PEM) that must have signed the baseline.
    pub key: Option<PathBuf>,
}

impl ScannerBaseline {
    /// Its files taken relative to `base` (as [`crate::scan::ScanSpec::resolved_against`]).
    pub fn resolve_against(&mut self, base: &Path) {
        for p in [&mut self.file, &mut self.key].into_iter().flatten() {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        }
    }
}
