//! `filehash58_item` construction (OVAL 5.11 independent-system-characteristics): the
//! digest of a file for each `hash_type` the object asks for (MD5, SHA-1, SHA-224,
//! SHA-256, SHA-384, SHA-512), lower-case hex as oscap writes it.

use std::ffi::OsStr;
use std::path::Path;

use md5::Md5;
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::file::push_location;
use crate::probes::Item;

/// Every hash type of the 5.11 schema.
pub(crate) const HASH_TYPES: &[&str] =
    &["MD5", "SHA-1", "SHA-224", "SHA-256", "SHA-384", "SHA-512"];

use vigil_core::osutil::hex;

pub(crate) fn digest(kind: &str, data: &[u8]) -> Option<String> {
    Some(match kind {
        "MD5" => hex(&Md5::digest(data)),
        "SHA-1" => hex(&Sha1::digest(data)),
        "SHA-224" => hex(&Sha224::digest(data)),
        "SHA-256" => hex(&Sha256::digest(data)),
        "SHA-384" => hex(&Sha384::digest(data)),
        "SHA-512" => hex(&Sha512::digest(data)),
        _ => return None,
    })
}

pub(crate) fn items(dir: &Path, name: &OsStr, content: &[u8], types: &[&'static str]) -> Vec<Item> {
    types
        .iter()
        .filter_map(|t| {
            let h = digest(t, content)?;
            let mut item = Item::new();
            push_location(&mut item, dir, Some(name));
            item.push("hash_type", *t);
            item.push("hash", h);
            Some(item)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_agree_with_coreutils() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("data");
        let data: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&f, &data).unwrap();
        for (kind, tool) in [
            ("MD5", "md5sum"),
            ("SHA-1", "sha1sum"),
            ("SHA-224", "sha224sum"),
            ("SHA-256", "sha256sum"),
            ("SHA-384", "sha384sum"),
            ("SHA-512", "sha512sum"),
        ] {
            let out = crate::testtool::tool(tool).arg(&f).output().unwrap();
            let want = String::from_utf8(out.stdout).unwrap();
            let want = want.split_whitespace().next().unwrap();
            let items = items(d.path(), OsStr::new("data"), &data, &[kind]);
            assert_eq!(items[0].first("hash"), Some(want), "{kind}");
            assert_eq!(items[0].first("hash_type"), Some(kind));
        }
    }
}
