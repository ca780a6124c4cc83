//! Key deployment facts against the site policy's `[[keys]]` (CCM CEK-12/13/14/21,
//! NIST SP 800-130 FR:8.14):
//!
//! - `key_object` (entities `name`, `key_state`): one item per declared key — presence,
//!   file and SPKI fingerprints, algorithm and size, owner, group, mode, named ACL
//!   entries, age — each with the comparison against the policy.
//! - `certificate_object` (entity `name`): one item per certificate of an active key —
//!   subject, validity, days to expiry, whether it certifies the declared key.
//! - `undeclared_private_key_object` (entity `path`, optional): private keys found under
//!   the policy's key directories that the policy does not declare.

pub mod material;

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::acl::Acl;
use super::{bool_str, policy, selects, sha256_hex};
use crate::host::accounts::Accounts;
use crate::host::{HostFile, fileattrs};
use crate::policy::{Key, KeyState, time};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};
use material::{KeyInfo, Kind};

/// Key and certificate files are small; anything larger is not key material.
const MAX_KEY_FILE: u64 = 1024 * 1024;

/// Owner, group, mode and named ACL entries of a file.
pub struct FileFacts {
    pub owner: String,
    pub group: String,
    pub mode: u32,
    pub acl: Acl,
    pub named_acl: Vec<String>,
}

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

fn read_key(ctx: &Context, path: &str) -> Result<Option<(HostFile, Vec<u8>)>, String> {
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
fn main_key(infos: &[KeyInfo]) -> Option<&KeyInfo> {
    infos
        .iter()
        .find(|i| i.kind == Some(Kind::PrivateKey))
        .or_else(|| infos.first())
}

fn key_item(ctx: &Context, acc: &Accounts, key: &Key, now: i64) -> Item {
    let mut item = Item::new()
        .field("name", key.name.as_str())
        .field("key_state", key.state.as_str());
    if let Some(p) = &key.path {
        item.push("path", p.as_str());
    }
    if let Some(u) = &key.pkcs11 {
        item.push("pkcs11_uri", u.as_str());
    }
    item.push("operational", bool_str(key.operational));
    item.push(
        "storage",
        if key.path.is_some() { "file" } else { "pkcs11" },
    );

    let file = match key.path.as_deref().map(|p| read_key(ctx, p)).transpose() {
        Ok(f) => f.flatten(),
        Err(e) => return Item::with_status(crate::probes::ItemStatus::Error, e),
    };
    let present = file.is_some();
    if key.path.is_some() {
        item.push("present", bool_str(present));
    } else {
        item.push_absent("present");
        item.message = Some("key held in a PKCS#11 token: only its certificate is read".into());
    }
    if key.state == KeyState::Destroyed {
        if let Some((_, data)) = &file {
            item.push("sha256", sha256_hex(data));
        }
        return item;
    }

    let cert = match key
        .certificate
        .as_deref()
        .map(|p| read_key(ctx, p))
        .transpose()
    {
        Ok(c) => c.flatten(),
        Err(e) => return Item::with_status(crate::probes::ItemStatus::Error, e),
    };
    let cert_info = cert.as_ref().and_then(|(_, d)| {
        material::analyse(d)
            .into_iter()
            .find(|i| i.kind == Some(Kind::Certificate))
    });
    let infos = file
        .as_ref()
        .map(|(_, d)| material::analyse(d))
        .unwrap_or_default();
    let info = main_key(&infos).or(cert_info.as_ref());

    // Fingerprints.
    let sha = file.as_ref().map(|(_, d)| sha256_hex(d));
    if let Some(s) = &sha {
        item.push("sha256", s.as_str());
    }
    let spki = info.and_then(|i| i.spki_sha256.clone());
    if let Some(s) = &spki {
        item.push("spki_sha256", s.as_str());
    }
    let declared = key.sha256.is_some() || key.spki_sha256.is_some();
    item.push("fingerprint_declared", bool_str(declared));
    if declared {
        let file_ok = key.sha256.as_ref().map(|want| sha.as_ref() == Some(want));
        let spki_ok = key
            .spki_sha256
            .as_ref()
            .map(|want| spki.as_ref() == Some(want));
        let known = (file_ok.is_none() || sha.is_some()) && (spki_ok.is_none() || spki.is_some());
        if known {
            item.push(
                "fingerprint_matches_policy",
                bool_str(file_ok.unwrap_or(true) && spki_ok.unwrap_or(true)),
            );
        } else {
            item.push_absent("fingerprint_matches_policy");
        }
    }

    // Algorithm and size.
    if let Some(i) = info {
        item.push("kind", i.kind.map(Kind::as_str).unwrap_or("unknown"));
        item.push("format", i.format.as_str());
        item.push("encrypted", bool_str(i.encrypted));
        if let Some(a) = &i.algorithm {
            item.push("algorithm", a.as_str());
        }
        if let Some(s) = i.key_size {
            item.push("key_size", s.to_string());
        }
        if let Some(c) = &i.curve {
            item.push("curve", c.as_str());
        }
    } else if present {
        item.push("kind", "unknown");
    }
    let strength_declared = key.algorithm.is_some() || key.min_size.is_some();
    item.push("strength_declared", bool_str(strength_declared));
    if strength_declared {
        let alg_ok = key.algorithm.map(|a| {
            info.and_then(|i| i.algorithm.as_deref())
                .map(|have| have == a.as_str())
        });
        let size_ok = key
            .min_size
            .map(|min| info.and_then(|i| i.key_size).map(|have| have >= min));
        if let Some(Some(ok)) = alg_ok {
            item.push("algorithm_matches_policy", bool_str(ok));
        }
        if let Some(Some(ok)) = size_ok {
            item.push("size_meets_policy", bool_str(ok));
        }
        match (alg_ok, size_ok) {
            (Some(None), _) | (_, Some(None)) => item.push_absent("strength_meets_policy"),
            (a, s) => item.push(
                "strength_meets_policy",
                bool_str(a.flatten().unwrap_or(true) && s.flatten().unwrap_or(true)),
            ),
        }
    }
    if let (Some(k), Some(c)) = (
        spki.as_ref(),
        cert_info.as_ref().and_then(|c| c.spki_sha256.as_ref()),
    ) && main_key(&infos).is_some()
    {
        item.push("certificate_matches_key", bool_str(k == c));
    }

    // Ownership, mode and ACL of the key file (the certificate is public).
    let perms_declared = key.owner.is_some() || key.group.is_some() || key.mode.is_some();
    item.push("permissions_declared", bool_str(perms_declared));
    if file.is_none() && key.path.is_some() {
        // A missing key has none of these facts: they are reported as not existing,
        // which a state compares as false.
        for f in [
            "permissions_match_policy",
            "acl_matches_policy",
            "strength_meets_policy",
        ] {
            if item.values(f).next().is_none() {
                item.push_absent(f);
            }
        }
        if declared && item.values("fingerprint_matches_policy").next().is_none() {
            item.push_absent("fingerprint_matches_policy");
        }
    }
    if let Some((f, _)) = &file {
        match file_facts(f, acc) {
            Err(e) => item.message = Some(e),
            Ok(facts) => {
                item.push("owner", facts.owner.as_str());
                item.push("group", facts.group.as_str());
                item.push("mode", fileattrs::mode_str(facts.mode));
                let owner_ok = key.owner.as_ref().is_none_or(|o| o == &facts.owner);
                let group_ok = key.group.as_ref().is_none_or(|g| g == &facts.group);
                let mode_ok = key.mode.is_none_or(|m| facts.mode & !m == 0);
                item.push("owner_matches_policy", bool_str(owner_ok));
                item.push("group_matches_policy", bool_str(group_ok));
                item.push("mode_within_policy", bool_str(mode_ok));
                item.push(
                    "permissions_match_policy",
                    bool_str(owner_ok && group_ok && mode_ok),
                );
                for e in &facts.named_acl {
                    item.push("acl_entry", e.as_str());
                }
                let bad = unexpected_acl(&facts.named_acl, &key.acl);
                for e in &bad {
                    item.push("unexpected_acl_entry", e.as_str());
                }
                if let Some(m) = facts.acl.mask() {
                    item.push("acl_mask", super::acl::perm_str(m));
                }
                item.push("acl_matches_policy", bool_str(bad.is_empty()));
            }
        }
    }

    // Age.
    let today = now.div_euclid(86400);
    if let Some(c) = key.created {
        item.push("created", time::format_date(c));
        item.push("age_days", (today - c).to_string());
    }
    if let Some(m) = key.max_age_days {
        item.push("max_age_days", m.to_string());
    }
    match (key.created, key.max_age_days) {
        (Some(c), Some(m)) => {
            item.push("age_declared", "true");
            item.push("age_within_policy", bool_str(today - c <= m as i64));
        }
        _ => item.push("age_declared", "false"),
    }
    item
}

/// `key_object`.
pub struct KeyProbe;

impl Probe<Context> for KeyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["key_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let acc = match Accounts::read(&ctx.host) {
            Ok(a) => a,
            Err(e) => return Collected::error(format!("cannot read accounts: {e}")),
        };
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for key in &pol.keys {
            let wanted = selects(query, "name", &key.name)
                .and_then(|a| Ok(a && selects(query, "key_state", key.state.as_str())?));
            match wanted {
                Ok(true) => {
                    let _ = items.push(key_item(ctx, &acc, key, now));
                }
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        items.into_collected()
    }
}

/// `certificate_object`.
pub struct CertificateProbe;

impl Probe<Context> for CertificateProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["certificate_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for key in pol.keys.iter().filter(|k| k.state == KeyState::Active) {
            match selects(query, "name", &key.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            // The certificate file, or the key path itself when it holds a certificate.
            let (path, file) = match (&key.certificate, &key.path) {
                (Some(c), _) => (c, read_key(ctx, c)),
                (None, Some(p)) => match read_key(ctx, p) {
                    Ok(Some((f, d)))
                        if material::analyse(&d)
                            .iter()
                            .any(|i| i.kind == Some(Kind::Certificate)) =>
                    {
                        (p, Ok(Some((f, d))))
                    }
                    Ok(_) => continue,
                    Err(e) => (p, Err(e)),
                },
                (None, None) => continue,
            };
            let mut item = Item::new()
                .field("name", key.name.as_str())
                .field("path", path.as_str());
            let data = match file {
                Err(e) => {
                    let _ = items.push(Item::with_status(crate::probes::ItemStatus::Error, e));
                    continue;
                }
                Ok(None) => {
                    item.push("present", "false");
                    let _ = items.push(item);
                    continue;
                }
                Ok(Some((_, d))) => d,
            };
            item.push("present", "true");
            let Some(info) = material::analyse(&data)
                .into_iter()
                .find(|i| i.kind == Some(Kind::Certificate))
            else {
                item.push("valid_certificate", "false");
                let _ = items.push(item);
                continue;
            };
            item.push("valid_certificate", "true");
            let c = info.cert.as_ref().expect("certificate info");
            item.push("subject", c.subject.as_str());
            item.push("issuer", c.issuer.as_str());
            item.push("not_before", time::format_rfc3339(c.not_before));
            item.push("not_after", time::format_rfc3339(c.not_after));
            item.push(
                "days_to_expiry",
                (c.not_after - now).div_euclid(86400).to_string(),
            );
            item.push("expired", bool_str(c.not_after < now));
            if let Some(s) = &info.spki_sha256 {
                item.push("spki_sha256", s.as_str());
            }
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

/// `undeclared_private_key_object`.
pub struct UndeclaredKeyProbe;

impl Probe<Context> for UndeclaredKeyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["undeclared_private_key_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        // Declared files, by the path they resolve to (a declared key may be reached
        // through a link).
        let mut declared = std::collections::BTreeSet::new();
        for k in &pol.keys {
            for p in k.path.iter().chain(k.certificate.iter()) {
                if let Ok(Some(f)) = ctx.host.resolve(Path::new(p)) {
                    declared.insert(f.real);
                }
            }
        }
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for dir in &pol.key_directories {
            let files = match fileattrs::walk_files(&ctx.host, Path::new(dir), 16) {
                Ok(f) => f,
                Err(e) => {
                    messages.push(format!("{dir}: {e}"));
                    continue;
                }
            };
            for f in files {
                if declared.contains(&f.real)
                    || !seen.insert(f.real.clone())
                    || f.meta.len() > MAX_KEY_FILE
                {
                    continue;
                }
                let path = f.host_path.to_string_lossy().to_string();
                match selects(query, "path", &path) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(c) => return c,
                }
                let data = match f.read(MAX_KEY_FILE) {
                    Ok(d) => d,
                    Err(e) => {
                        messages.push(e.to_string());
                        continue;
                    }
                };
                let infos = material::analyse(&data);
                let Some(k) = infos.iter().find(|i| i.kind == Some(Kind::PrivateKey)) else {
                    continue;
                };
                let mut item = Item::new()
                    .field("path", path)
                    .field("format", k.format.as_str());
                if let Some(a) = &k.algorithm {
                    item.push("algorithm", a.as_str());
                }
                if let Some(s) = k.key_size {
                    item.push("key_size", s.to_string());
                }
                item.push("sha256", sha256_hex(&data));
                if let Some(s) = &k.spki_sha256 {
                    item.push("spki_sha256", s.as_str());
                }
                let _ = items.push(item);
            }
        }
        super::collected(items, messages)
    }
}
