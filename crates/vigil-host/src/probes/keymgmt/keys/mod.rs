//! Key deployment facts against the site policy's `[[keys]]` (CCM CEK-12/13/14/21, NIST
//! SP 800-130 FR:8.14), one module per object:
//!
//! - [`key`], `key_object` (entities `name`, `key_state`): one item per declared key —
//!   presence, file and SPKI fingerprints, algorithm and size, owner, group, mode,
//!   named ACL entries, age — each with the comparison against the policy.
//! - [`certificate`], `certificate_object` (entity `name`): one item per certificate of
//!   an active key — subject, validity, days to expiry, whether it certifies the
//!   declared key.
//! - [`undeclared`], `undeclared_private_key_object` (entity `path`, optional): private
//!   keys found under the policy's key directories that the policy does not declare.
//!
//! This module holds what they share: reading a key file and its owner, mode and ACL
//! facts; [`material`] recognises the key material itself.

pub mod certificate;
pub mod key;
pub mod material;
pub mod readers;
pub mod undeclared;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use material::{KeyInfo, Kind};

use crate::host::HostFile;
use crate::host::accounts::Accounts;
use crate::probes::Context;

use super::acl::Acl;

pub use certificate::CertificateProbe;
pub use key::KeyProbe;
pub use readers::PrivateKeyFileProbe;
pub use undeclared::UndeclaredKeyProbe;

/// Key and certificate files are small; anything larger is not key material.
pub(crate) const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Owner, group, mode and named ACL entries of a file.
pub struct FileFacts {
    /// Owner user name, or the uid in decimal when it has no name on the host.
    pub owner: String,
    /// Group name, or the gid in decimal when it has no name on the host.
    pub group: String,
    /// Permission bits including setuid, setgid and sticky (`mode & 0o7777`).
    pub mode: u32,
    /// The file's whole access ACL.
    pub acl: Acl,
    /// The named ACL entries as `user:NAME:rwx` / `group:NAME:rwx` (qualifiers named with
    /// the host's accounts); empty for a minimal ACL.
    pub named_acl: Vec<String>,
}

/// The ownership, mode and ACL of the opened file `f`; the error says why the ACL cannot
/// be read.
pub fn file_facts(f: &HostFile, acc: &Accounts) -> Result<FileFacts, String> {
    let acl = Acl::of(f)?;
    Ok(FileFacts {
        owner: acc.user_name(f.meta.uid()),
        group: acc.group_name(f.meta.gid()),
        mode: f.meta.mode() & 0o7777,
        named_acl: acl.named_entries(acc),
        acl,
    })
}

/// Named ACL entries not allowed by `allowed` (an entry is allowed when the policy lists
/// the same tag and qualifier with at least its permissions).
pub fn unexpected_acl(named: &[String], allowed: &[crate::policy::AclEntry]) -> Vec<String> {
    named
        .iter()
        .filter(|n| {
            let Some(e) = crate::policy::parse_acl_entry(n) else {
                return true;
            };
            !allowed.iter().any(|a| {
                a.tag == e.tag
                    && a.qualifier == e.qualifier
                    && e.perms
                        .chars()
                        .zip(a.perms.chars())
                        .all(|(have, may)| have == '-' || have == may)
            })
        })
        .cloned()
        .collect()
}

pub(crate) fn read_key(ctx: &Context, path: &str) -> Result<Option<(HostFile, Vec<u8>)>, String> {
    let f = match ctx.host.resolve(Path::new(path)) {
        Ok(Some(f)) => f,
        Ok(None) => return Ok(None),
        Err(e) => return Err(format!("{path}: {e}")),
    };
    let data = f
        .read(MAX_KEY_FILE.min(ctx.max_file_size))
        .map_err(|e| format!("{path}: {e}"))?;
    Ok(Some((f, data)))
}

/// The key in a file: the first private key, else the first public key or certificate.
pub(crate) fn main_key(infos: &[KeyInfo]) -> Option<&KeyInfo> {
    infos
        .iter()
        .find(|i| i.kind == Some(Kind::PrivateKey))
        .or_else(|| infos.first())
}

/// Where vigil found a private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The path of an active `[[keys]]` entry of the site policy.
    Declared,
    /// Under the policy's `[scan] key_directories`, not declared.
    Undeclared,
    /// Found by discovery (a scan without `--policy`).
    Discovered,
}

impl Source {
    /// `declared`, `undeclared`, `discovered`: the items' `source` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Declared => "declared",
            Source::Undeclared => "undeclared",
            Source::Discovered => "discovered",
        }
    }
}

/// A private-key file vigil found, with its content and what it holds.
pub struct FoundKey {
    /// The opened file (its metadata is the file's, links resolved).
    pub file: HostFile,
    /// The file's bytes (at most [`MAX_KEY_FILE`]).
    pub data: Vec<u8>,
    /// The private key in it.
    pub info: KeyInfo,
    /// How it was found.
    pub source: Source,
    /// The `[[keys]]` name for declared and discovered keys; `None` for undeclared ones.
    pub name: Option<String>,
}

/// Every private-key file the scan knows of, once each (by the file it resolves to):
/// the active keys of the policy (declared or discovered) whose file holds a private
/// key, then the undeclared ones under `[scan] key_directories`. Files that cannot be
/// read are reported in the returned messages, never skipped silently.
pub fn found_private_keys(
    ctx: &Context,
    pol: &crate::policy::Policy,
) -> (Vec<FoundKey>, Vec<String>) {
    use std::collections::BTreeSet;
    let mut out = Vec::new();
    let mut messages = Vec::new();
    let mut seen: BTreeSet<std::path::PathBuf> = BTreeSet::new();
    let private = |data: &[u8]| {
        material::analyse(data)
            .into_iter()
            .find(|i| i.kind == Some(Kind::PrivateKey))
    };
    for k in &pol.keys {
        let Some(p) = &k.path else { continue };
        if k.state != crate::policy::KeyState::Active {
            // A destroyed key still on disk is destroyed_keys_absent's finding, not an
            // undeclared key.
            if let Ok(Some(f)) = ctx.host.resolve(Path::new(p)) {
                seen.insert(f.real);
            }
            continue;
        }
        match read_key(ctx, p) {
            Ok(Some((f, data))) => {
                if !seen.insert(f.real.clone()) {
                    continue;
                }
                if let Some(info) = private(&data) {
                    out.push(FoundKey {
                        file: f,
                        data,
                        info,
                        source: if k.discovered {
                            Source::Discovered
                        } else {
                            Source::Declared
                        },
                        name: Some(k.name.clone()),
                    });
                }
            }
            Ok(None) => {}
            Err(e) => messages.push(e),
        }
        // A declared certificate is public, but a file declared as one is not
        // searched again as an undeclared key.
        if let Some(c) = &k.certificate
            && let Ok(Some(f)) = ctx.host.resolve(Path::new(c))
        {
            seen.insert(f.real);
        }
    }
    if pol.discovered {
        return (out, messages);
    }
    for dir in &pol.key_directories {
        let files = match crate::host::fileattrs::walk_files(&ctx.host, Path::new(dir), 16) {
            Ok(f) => f,
            Err(e) => {
                messages.push(format!("{dir}: {e}"));
                continue;
            }
        };
        for f in files {
            if f.meta.len() > MAX_KEY_FILE || !seen.insert(f.real.clone()) {
                continue;
            }
            let data = match f.read(MAX_KEY_FILE) {
                Ok(d) => d,
                Err(e) => {
                    messages.push(e.to_string());
                    continue;
                }
            };
            if let Some(info) = private(&data) {
                out.push(FoundKey {
                    file: f,
                    data,
                    info,
                    source: Source::Undeclared,
                    name: None,
                });
            }
        }
    }
    (out, messages)
}
