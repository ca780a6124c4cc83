//! `package_files_object` (entity `package`): one item per installed key-management
//! package (OpenSSL, OpenSSH, GnuPG, auditd, Vault, SoftHSM, OpenSC, p11-kit, ...:
//! [`KMS_PACKAGES`]) with every file its dpkg `md5sums` lists compared with the file on
//! the host, as `dpkg --verify` does (CCM CEK-12, NIST SP 800-130 FR:8.9: the software
//! that generates and uses keys is the software the vendor shipped). Configuration files
//! (`Conffiles:`, which `md5sums` does not list) are the site's to change and are not
//! compared; a file listed but missing is a difference.
//!
//! This needs no site facts: the package database is the known-good record. Hosts
//! without dpkg data (rpm-based) give `not applicable` with the reason.

use std::path::Path;

use md5::{Digest, Md5};

use super::software_version::dpkg_status;
use crate::probes::keymgmt::{bool_str, hex, selects};
use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};

/// The packages whose shipped files the rule verifies: libraries, tools and daemons
/// that generate, store, use or audit keys.
pub const KMS_PACKAGES: &[&str] = &[
    "openssl",
    "libssl3",
    "libssl3t64",
    "libssl1.1",
    "openssh-server",
    "openssh-client",
    "gnupg",
    "gpg",
    "gpg-agent",
    "auditd",
    "libaudit1",
    "vault",
    "softhsm2",
    "libsofthsm2",
    "opensc",
    "opensc-pkcs11",
    "p11-kit",
    "libp11-kit0",
    "ssl-cert",
    "ca-certificates",
    "sudo",
];

/// Most differing files named in one item; the count is always given.
const MAX_NAMED: usize = 50;

/// `package_files_object`.
pub struct PackageFilesProbe;

impl Probe<Context> for PackageFilesProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["package_files_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let status = match ctx
            .host
            .read_file(Path::new("/var/lib/dpkg/status"), ctx.max_file_size)
        {
            Ok(Some(d)) => dpkg_status(&String::from_utf8_lossy(&d)),
            Ok(None) => {
                return Collected::with_flag(
                    Flag::NotApplicable,
                    "nothing to check: /var/lib/dpkg/status does not exist (no dpkg package database to verify against)",
                );
            }
            Err(e) => return Collected::error(format!("/var/lib/dpkg/status: {e}")),
        };
        let names = md5sums_names(ctx);
        let mut items = ctx.sink(ctx.deadline());
        for pkg in KMS_PACKAGES {
            let Some((st, version)) = status.get(*pkg) else {
                continue;
            };
            if !st.ends_with(" installed") {
                continue;
            }
            match selects(query, "package", pkg) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let list = match md5sums(ctx, pkg, &names) {
                Ok(Some(l)) => l,
                Ok(None) => {
                    // Installed, but dpkg holds no record to verify against: unknown.
                    let mut item = Item::new()
                        .field("package", *pkg)
                        .field("version", version.as_str());
                    item.message = Some(format!(
                        "{pkg}: no md5sums file in /var/lib/dpkg/info: nothing to verify against"
                    ));
                    let _ = items.push(item);
                    continue;
                }
                Err(e) => return Collected::error(e),
            };
            let _ = items.push(verify(ctx, pkg, version, &list));
        }
        if items.is_empty() {
            return Collected::with_flag(
                Flag::NotApplicable,
                "nothing to check: no key-management package (openssl, openssh, gnupg, auditd, vault, softhsm2, opensc, ...) is installed",
            );
        }
        items.into_collected()
    }
}

/// Where dpkg keeps each package's md5sums.
const INFO_DIR: &str = "/var/lib/dpkg/info";

/// The `*.md5sums` names in [`INFO_DIR`], listed once per object: the directory holds
/// thousands of entries, and multi-arch packages (`PKG:ARCH.md5sums`) are found in it.
fn md5sums_names(ctx: &Context) -> Vec<String> {
    match ctx.host.resolve(Path::new(INFO_DIR)) {
        Ok(Some(dir)) => dir
            .list_dir()
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".md5sums"))
            .collect(),
        _ => Vec::new(),
    }
}

/// The text of the package's md5sums file (`PKG.md5sums`, else `PKG:ARCH.md5sums`
/// among `names`).
fn md5sums(ctx: &Context, pkg: &str, names: &[String]) -> Result<Option<String>, String> {
    let info = Path::new(INFO_DIR);
    let arch = format!("{pkg}:");
    let candidates = std::iter::once(format!("{pkg}.md5sums"))
        .chain(names.iter().filter(|n| n.starts_with(&arch)).cloned());
    for n in candidates {
        match ctx.host.read_file(&info.join(&n), 16 * 1024 * 1024) {
            Ok(Some(d)) => return Ok(Some(String::from_utf8_lossy(&d).into_owned())),
            Ok(None) => {}
            Err(e) => return Err(format!("{}: {e}", info.join(&n).display())),
        }
    }
    Ok(None)
}

/// One package's item: each listed file's MD5 against the host's file.
fn verify(ctx: &Context, pkg: &str, version: &str, list: &str) -> Item {
    let (mut checked, mut changed, mut missing, mut unreadable) = (0, Vec::new(), Vec::new(), 0);
    for line in list.lines() {
        let Some((sum, rel)) = line.split_once("  ") else {
            continue;
        };
        let path = format!("/{}", rel.trim_start_matches('/'));
        match ctx.host.read_file(Path::new(&path), ctx.max_file_size) {
            Ok(Some(data)) => {
                checked += 1;
                if hex(&Md5::digest(&data)) != sum.trim().to_ascii_lowercase() {
                    changed.push(path);
                }
            }
            Ok(None) => missing.push(path),
            Err(_) => unreadable += 1,
        }
    }
    let mut item = Item::new()
        .field("package", pkg)
        .field("version", version)
        .field("files_checked", checked.to_string())
        .field("files_changed", changed.len().to_string())
        .field("files_missing", missing.len().to_string())
        .field("files_unreadable", unreadable.to_string());
    for p in changed.iter().take(MAX_NAMED) {
        item.push("changed_file", p.as_str());
    }
    for p in missing.iter().take(MAX_NAMED) {
        item.push("missing_file", p.as_str());
    }
    if unreadable > 0 {
        // Files that could not be read (too large, not regular) cannot be shown
        // unmodified: the judgement is left out, so the rule is unknown.
        item.message = Some(format!(
            "{unreadable} listed files could not be read (larger than --max-file-size or not regular files)"
        ));
        if !changed.is_empty() || !missing.is_empty() {
            item.push("unmodified", "false");
        }
    } else {
        item.push(
            "unmodified",
            bool_str(changed.is_empty() && missing.is_empty()),
        );
    }
    item
}
