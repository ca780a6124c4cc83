//! `integrity_object` (entity `path`): one item per file under the policy's
//! integrity-monitored paths and per baseline entry below them: SHA-256, mode, owner,
//! group and named ACL entries compared with the baseline file, which `vigil baseline
//! create` writes ([`crate::baseline`]); nothing else is read as a baseline (see
//! [`parse_baseline`]).
//!
//! The baseline is `[integrity] baseline` on the scanned host (under `--root`), or
//! `vigil scan --baseline FILE` on the scanning machine, out of reach of whoever
//! controls the host. With a trusted key (`vigil scan --baseline-key`, or `[integrity]
//! public_key`, read where the baseline is) its detached signature `FILE.sig`
//! ([`crate::baseline::signature`]) must verify, or the object is an error saying why;
//! nothing is compared against a baseline that could have been forged.

use crate::probes::keymgmt::read_accounts;
use std::collections::BTreeMap;
use std::path::Path;

use crate::host::accounts::Accounts;
use crate::host::fileattrs;
use crate::probes::keymgmt::keys::file_facts;
use crate::probes::keymgmt::{bool_str, not_declared, policy, selects, sha256_hex};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// What the baseline says of one file.
#[derive(Debug, Clone, PartialEq)]
pub struct BaselineEntry {
    /// SHA-256 of the content when the baseline was made, lowercase hex; empty when
    /// `error` is set.
    pub sha256: String,
    /// Permission bits (including setuid, setgid and sticky) recorded in the baseline.
    pub mode: u32,
    /// Owner, named with the scanned host's accounts (the uid in decimal when it has no
    /// name).
    pub owner: String,
    /// Group, named with the scanned host's accounts (the gid in decimal when it has no
    /// name).
    pub group: String,
    /// Named ACL entries, `user:NAME:rwx` / `group:NAME:rwx`.
    pub acl: Vec<String>,
    /// Why the baseline holds no SHA-256 for the file (it could not be read when the
    /// baseline was made); the file then differs from the baseline whatever it holds.
    pub error: Option<String>,
}

/// Parses a baseline file: the JSON document `vigil baseline create` writes. Owners,
/// groups and ACL qualifiers, which `vigil baseline` records as ids, are named with the
/// scanned host's accounts, as the probe names the files' own.
///
/// Anything else is refused with the way out: one baseline format, the one the command
/// that makes baselines writes, so that what `vigil baseline check` and the
/// `kms_integrity` rule compare is the same record. A file in the line format of earlier
/// versions (`sha256 mode owner group acl path`) is named as such, since that is what a
/// site upgrading will have.
pub fn parse_baseline(
    data: &[u8],
    acc: &Accounts,
) -> Result<BTreeMap<String, BaselineEntry>, String> {
    let refuse =
        |why: &str| format!("not a vigil baseline: {why}; make one with `vigil baseline create`");
    if !data.trim_ascii_start().starts_with(b"{") {
        return Err(refuse(if is_line_format(data) {
            "the line format of earlier versions (`sha256 mode owner group acl path`) is no \
             longer read"
        } else {
            "not a JSON document"
        }));
    }
    let b = crate::baseline::parse(data).map_err(|e| refuse(&e))?;
    from_vigil_baseline(&b, acc)
}

/// Does the first line that is not blank or a `#` comment start with a SHA-256 in hex,
/// as the earlier line format's lines do?
fn is_line_format(data: &[u8]) -> bool {
    String::from_utf8_lossy(data)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))
        .and_then(|l| l.split_whitespace().next())
        .is_some_and(|w| w.len() == 64 && w.bytes().all(|c| c.is_ascii_hexdigit()))
}

/// The regular files of a `vigil baseline` document. Directories, symbolic links and
/// other entries are left out: the probe compares regular files only (it does not follow
/// links below the monitored paths), so they would otherwise all read as removed.
fn from_vigil_baseline(
    b: &crate::baseline::Baseline,
    acc: &Accounts,
) -> Result<BTreeMap<String, BaselineEntry>, String> {
    let named = |qualified: &str| -> Option<String> {
        // `getfacl -n` text: `user:1000:r--`; the entries without a qualifier (owner,
        // owning group, mask, other) are the mode, compared on their own.
        let mut parts = qualified.splitn(3, ':');
        let (tag, q, perms) = (parts.next()?, parts.next()?, parts.next()?);
        let name = match (tag, q.parse::<u32>()) {
            (_, _) if q.is_empty() => return None,
            ("user", Ok(id)) => acc.user_name(id),
            ("group", Ok(id)) => acc.group_name(id),
            _ => q.to_string(),
        };
        Some(format!("{tag}:{name}:{perms}"))
    };
    b.entries
        .iter()
        .filter(|r| r.kind == "file")
        .map(|r| {
            let path = vigil_core::osutil::decode_path(&r.path)
                .to_string_lossy()
                .into_owned();
            let error = match (&r.sha256, &r.error) {
                (_, Some(e)) => Some(e.clone()),
                (None, None) => Some("no SHA-256 recorded".into()),
                (Some(_), None) => None,
            };
            let mode = u32::from_str_radix(&r.mode, 8)
                .map_err(|_| format!("{}: mode '{}' is not octal", r.path, r.mode))?;
            let entry = BaselineEntry {
                sha256: r.sha256.clone().unwrap_or_default(),
                mode,
                owner: acc.user_name(r.uid),
                group: acc.group_name(r.gid),
                acl: r
                    .acl
                    .as_deref()
                    .map(|a| a.split(',').filter_map(named).collect())
                    .unwrap_or_default(),
                error,
            };
            Ok((path, entry))
        })
        .collect()
}

/// Largest baseline file read (a baseline of a whole KMS install is a few MiB).
const MAX_BASELINE_SIZE: u64 = 64 << 20;

/// Where a file named for the integrity check is read: on the scanning machine (a
/// `--baseline` or `--baseline-key` flag, and `public_key` beside a `--baseline`), or
/// on the scanned host (under `--root`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    Scanner,
    Host,
}

impl Side {
    fn as_str(self) -> &'static str {
        match self {
            Side::Scanner => "scanner",
            Side::Host => "host",
        }
    }
}

/// `path` on `side`, at most `max` bytes; `Ok(None)` when it does not exist.
fn read_on(ctx: &Context, side: Side, path: &Path, max: u64) -> Result<Option<Vec<u8>>, String> {
    match side {
        Side::Host => ctx.host.read_file(path, max).map_err(|e| e.to_string()),
        Side::Scanner => match vigil_core::osutil::read_input(path, max) {
            Ok((_, true)) => Err(format!("larger than {max} bytes")),
            Ok((b, false)) => Ok(Some(b)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.to_string()),
        },
    }
}

/// The baseline the comparison uses and what vouches for it, reported on every item.
#[derive(Debug, Clone, PartialEq)]
pub struct Provenance {
    /// The baseline file's path where it was read.
    pub path: String,
    /// `scanner` (`vigil scan --baseline`) or `host` (`[integrity] baseline`, under
    /// `--root`).
    pub read_from: &'static str,
    /// `verified` (its signature verified with the trusted key), `not_checked` (a
    /// signature file is beside it but no key was given) or `unsigned`.
    pub signature: &'static str,
    /// The fingerprint of the key that verified it (`sha256:...`), and where that key
    /// came from (`--baseline-key PATH` or `[integrity] public_key PATH`, on which side).
    pub verified_by: Option<(String, String)>,
}

impl Provenance {
    fn annotate(&self, item: &mut Item) {
        item.push("baseline", self.path.as_str());
        item.push("baseline_read_from", self.read_from);
        item.push("baseline_signature", self.signature);
        match &self.verified_by {
            Some((fp, key)) => {
                item.push("baseline_key_fingerprint", fp.as_str());
                item.push("baseline_key", key.as_str());
            }
            None => item.push_absent("baseline_key_fingerprint"),
        }
    }
}

/// Reads the baseline (from `--baseline` on the scanning machine, or `[integrity]
/// baseline` on the host) and, when a key is given (`--baseline-key`, or `[integrity]
/// public_key`), verifies its signature `BASELINE.sig`; any failure is the reason the
/// object is an error.
fn load_baseline(
    integ: &crate::policy::Integrity,
    ctx: &Context,
    acc: &Accounts,
) -> Result<(BTreeMap<String, BaselineEntry>, Provenance), String> {
    use crate::baseline::signature;
    let (path, side) = match &ctx.baseline.file {
        Some(f) => (f.clone(), Side::Scanner),
        None => (std::path::PathBuf::from(&integ.baseline), Side::Host),
    };
    let shown = path.display().to_string();
    let on = |s: Side| match s {
        Side::Scanner => "on the scanning machine",
        Side::Host => "on the scanned host",
    };
    let data = match read_on(ctx, side, &path, MAX_BASELINE_SIZE) {
        Ok(Some(d)) => d,
        Ok(None) => {
            return Err(format!(
                "{shown}: integrity baseline not found ({})",
                on(side)
            ));
        }
        Err(e) => return Err(format!("{shown}: {e}")),
    };
    // The trusted key: the flag, else the policy's, read where the baseline is.
    let key = match (&ctx.baseline.key, &integ.public_key) {
        (Some(k), _) => Some((k.clone(), Side::Scanner, "--baseline-key")),
        (None, Some(k)) => Some((std::path::PathBuf::from(k), side, "[integrity] public_key")),
        (None, None) => None,
    };
    let sig_path = signature::signature_path(&path);
    let sig_shown = sig_path.display().to_string();
    let sig = read_on(ctx, side, &sig_path, signature::MAX_SIGNATURE_SIZE)
        .map_err(|e| format!("{sig_shown}: {e}"))?;
    let mut prov = Provenance {
        path: shown.clone(),
        read_from: side.as_str(),
        signature: if sig.is_some() {
            "not_checked"
        } else {
            "unsigned"
        },
        verified_by: None,
    };
    if let Some((kpath, kside, origin)) = key {
        let kshown = kpath.display().to_string();
        let trusted = match read_on(ctx, kside, &kpath, signature::MAX_KEY_SIZE) {
            Ok(Some(b)) => {
                signature::public_key(&b).map_err(|e| format!("{origin} {kshown}: {e}"))?
            }
            Ok(None) => {
                return Err(format!(
                    "{origin} {kshown}: public key not found ({})",
                    on(kside)
                ));
            }
            Err(e) => return Err(format!("{origin} {kshown}: {e}")),
        };
        let fp = signature::fingerprint(&trusted);
        let Some(sig) = sig else {
            return Err(format!(
                "{shown}: the baseline must be signed by key {fp} ({origin} {kshown}) but \
                 has no signature: {sig_shown} not found ({})",
                on(side)
            ));
        };
        signature::verify(&data, &sig, &trusted)
            .map_err(|e| format!("{shown}: signature {sig_shown}: {e}"))?;
        prov.signature = "verified";
        prov.verified_by = Some((fp, format!("{origin} {kshown} ({})", on(kside))));
    }
    let b = parse_baseline(&data, acc).map_err(|e| format!("{shown}: {e}"))?;
    Ok((b, prov))
}

/// The probe of `integrity_object` (vigil family): each file of `[integrity] paths`
/// compared with the baseline. Every item names the baseline, where it was read and
/// the key that verified its signature ([`Provenance`]).
pub struct IntegrityProbe;

impl Probe<Context> for IntegrityProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["integrity_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let Some(integ) = &pol.integrity else {
            return not_declared(ctx, "[integrity]");
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let (baseline, prov) = match load_baseline(integ, ctx, &acc) {
            Ok(b) => b,
            Err(e) => return Collected::error(e),
        };
        let mut items = ctx.sink(ctx.deadline());
        let mut seen = std::collections::BTreeSet::new();
        for root in &integ.paths {
            let files = match fileattrs::walk_files(&ctx.host, Path::new(root), 16) {
                Ok(f) => f,
                Err(e) => return Collected::error(format!("{root}: {e}")),
            };
            for f in files {
                let path = f.host_path.to_string_lossy().to_string();
                if !seen.insert(path.clone()) {
                    continue;
                }
                match selects(query, "path", &path) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(c) => return c,
                }
                let data = match f.read(ctx.max_file_size) {
                    Ok(d) => d,
                    Err(e) => return Collected::error(e.to_string()),
                };
                let facts = match file_facts(&f, &acc) {
                    Ok(x) => x,
                    Err(e) => return Collected::error(e),
                };
                let sha = sha256_hex(&data);
                let mut item = Item::new()
                    .field("path", path.as_str())
                    .field("exists", "true")
                    .field("sha256", sha.as_str())
                    .field("mode", fileattrs::mode_str(facts.mode))
                    .field("owner", facts.owner.as_str())
                    .field("group", facts.group.as_str());
                for e in &facts.named_acl {
                    item.push("acl_entry", e.as_str());
                }
                let mut diffs = Vec::new();
                match baseline.get(&path) {
                    None => {
                        item.push("in_baseline", "false");
                        diffs.push("not in the baseline (added)".to_string());
                    }
                    Some(b) => {
                        item.push("in_baseline", "true");
                        if let Some(e) = &b.error {
                            diffs.push(format!("the baseline has no SHA-256 of it: {e}"));
                        } else {
                            item.push("expected_sha256", b.sha256.as_str());
                            if b.sha256 != sha {
                                diffs.push(format!("sha256 {sha} != baseline {}", b.sha256));
                            }
                        }
                        if b.mode != facts.mode {
                            diffs.push(format!(
                                "mode {} != baseline {}",
                                fileattrs::mode_str(facts.mode),
                                fileattrs::mode_str(b.mode)
                            ));
                        }
                        if b.owner != facts.owner || b.group != facts.group {
                            diffs.push(format!(
                                "owner {}:{} != baseline {}:{}",
                                facts.owner, facts.group, b.owner, b.group
                            ));
                        }
                        let (mut have, mut want) = (facts.named_acl.clone(), b.acl.clone());
                        have.sort();
                        want.sort();
                        if have != want {
                            diffs.push(format!(
                                "ACL [{}] != baseline [{}]",
                                have.join(","),
                                want.join(",")
                            ));
                        }
                    }
                }
                for d in &diffs {
                    item.push("difference", d.as_str());
                }
                item.push("matches_baseline", bool_str(diffs.is_empty()));
                prov.annotate(&mut item);
                let _ = items.push(item);
            }
        }
        // Baseline entries under the monitored paths whose file is gone.
        for path in baseline.keys() {
            let under = integ
                .paths
                .iter()
                .any(|r| path == r || path.starts_with(&format!("{}/", r.trim_end_matches('/'))));
            if !under || seen.contains(path) {
                continue;
            }
            match selects(query, "path", path) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("path", path.as_str())
                .field("exists", "false")
                .field("in_baseline", "true")
                .field("difference", "in the baseline but missing (removed)")
                .field("matches_baseline", "false");
            prov.annotate(&mut item);
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vigil_baseline_document_is_read() {
        let acc = Accounts::parse(
            "root:x:0:0::/root:/bin/sh\nvault:x:999:998::/:/bin/false\n",
            "root:x:0:\nkms:x:998:\n",
        );
        let doc = serde_json::json!({
            "format": "vigil-baseline", "version": 1, "created": "2026-01-01T00:00:00Z",
            "host": "h", "roots": ["/etc/vault.d"],
            "entries": [
                {"path": "/etc/vault.d", "kind": "dir", "mode": "0755", "uid": 0, "gid": 0},
                {"path": "/etc/vault.d/vault.hcl", "kind": "file", "size": 3, "mode": "0640",
                 "uid": 0, "gid": 998, "owner": "root", "group": "kms", "sha256": "ab",
                 "acl": "user::rw-,user:999:r--,group::r--,group:4242:r--,mask::r--,other::---"},
                {"path": "/etc/vault.d/link", "kind": "symlink", "mode": "0777", "uid": 0,
                 "gid": 0, "target": "vault.hcl"},
                {"path": "/etc/vault.d/x\\xffy", "kind": "file", "mode": "0600", "uid": 999,
                 "gid": 0, "error": "hash: Permission denied"},
            ]
        });
        let b = parse_baseline(&serde_json::to_vec_pretty(&doc).unwrap(), &acc).unwrap();
        let keys: Vec<&str> = b.keys().map(String::as_str).collect();
        assert_eq!(keys, ["/etc/vault.d/vault.hcl", "/etc/vault.d/x\u{fffd}y"]);
        assert_eq!(
            b["/etc/vault.d/vault.hcl"],
            BaselineEntry {
                sha256: "ab".into(),
                mode: 0o640,
                owner: "root".into(),
                group: "kms".into(),
                acl: vec!["user:vault:r--".into(), "group:4242:r--".into()],
                error: None,
            }
        );
        let unread = &b["/etc/vault.d/x\u{fffd}y"];
        assert_eq!(unread.owner, "vault");
        assert_eq!(unread.error.as_deref(), Some("hash: Permission denied"));
        let e = parse_baseline(br#"{"format": "aide"}"#, &acc).unwrap_err();
        assert!(e.starts_with("not a vigil baseline"), "{e}");
        let mut bad = doc.clone();
        bad["entries"][1]["mode"] = "rw".into();
        let e = parse_baseline(&serde_json::to_vec(&bad).unwrap(), &acc).unwrap_err();
        assert_eq!(e, "/etc/vault.d/vault.hcl: mode 'rw' is not octal");
    }

    /// Issue 14 item 4: one baseline format. A baseline in the line format earlier
    /// versions read is refused, saying what it is and how to make the one that is read.
    #[test]
    fn line_format_baselines_are_refused_with_the_way_out() {
        let acc = Accounts::default();
        let lines = format!(
            "# comment\n{} 0755 root root - /usr/bin/vault\n",
            "a".repeat(64)
        );
        let e = parse_baseline(lines.as_bytes(), &acc).unwrap_err();
        assert_eq!(
            e,
            "not a vigil baseline: the line format of earlier versions (`sha256 mode owner \
             group acl path`) is no longer read; make one with `vigil baseline create`"
        );
        let e = parse_baseline(b"hello\n", &acc).unwrap_err();
        assert_eq!(
            e,
            "not a vigil baseline: not a JSON document; make one with `vigil baseline create`"
        );
    }
}
