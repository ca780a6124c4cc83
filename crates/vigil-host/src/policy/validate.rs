//! Validation of the policy as written ([`super::raw`]) into the model
//! ([`super::model`]): absolute paths, octal modes, SHA-256 fingerprints, ACL entries,
//! durations and versions parsed; references between sections (a separation naming a
//! role, a key's state) checked. Every error is a [`PolicyError::Invalid`] naming the
//! line, the column and the field (`keys[2].mode`).

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::Path;

use toml::Spanned;

use super::model::{
    AclEntry, AllowedEvent, AuditLog, AwsKeyPolicy, Detection, FORWARDERS, Integrity, Key,
    KeyState, KmsKey, LogFormat, Policy, Role, Separation, Siem, Software,
};
use super::raw::RawPolicy;
use super::upstream::UpstreamVersion;
use super::{PolicyError, inventory, line_col, time};
/// Checks a raw policy and builds the model; errors carry the field's position in
/// `text`, the file at `path`.
pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) path: &'a Path,
}

impl Validator<'_> {
    fn err(
        &self,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> PolicyError {
        let (line, column) = line_col(self.text, span.start);
        PolicyError::Invalid {
            path: self.path.to_path_buf(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    fn abs_path(&self, s: &Spanned<String>, field: &str) -> Result<String, PolicyError> {
        let p = s.get_ref();
        if !p.starts_with('/') {
            return Err(self.err(s.span(), field, format!("'{p}' is not an absolute path")));
        }
        Ok(p.clone())
    }

    fn mode(&self, s: &Spanned<String>, field: &str) -> Result<u32, PolicyError> {
        let v = s.get_ref();
        match u32::from_str_radix(v.trim_start_matches("0o"), 8) {
            Ok(m) if m <= 0o7777 && !v.is_empty() => Ok(m),
            _ => Err(self.err(
                s.span(),
                field,
                format!("'{v}' is not an octal file mode such as \"0640\""),
            )),
        }
    }

    fn sha256(&self, s: &Spanned<String>, field: &str) -> Result<String, PolicyError> {
        sha256_digest(s.get_ref()).map_err(|m| self.err(s.span(), field, m))
    }

    /// Fills the keys' `sha256`, `spki_sha256` and `created` from the inventory file
    /// `[scan] inventory` names ([`super::inventory`]): a row for a key the policy does
    /// not declare, a value that is not valid, or one the policy gives differently is an
    /// error naming the inventory's line (and the policy's, for a difference).
    fn merge_inventory(
        &self,
        given: &Spanned<String>,
        keys: &mut [Key],
        spans: &[[Option<Range<usize>>; 3]],
    ) -> Result<(), PolicyError> {
        if given.get_ref().trim().is_empty() {
            return Err(self.err(given.span(), "scan.inventory", "empty path"));
        }
        let path = inventory::resolve(self.path, given.get_ref());
        let inv_err = |line: usize, field: &str, message: String| PolicyError::Inventory {
            path: path.clone(),
            line,
            field: field.to_string(),
            message,
        };
        let rows = inventory::read(&path).map_err(|(l, f, m)| inv_err(l, &f, m))?;
        let mut seen = BTreeSet::new();
        for row in rows {
            if row.name.is_empty() {
                return Err(inv_err(row.line, "name", "empty key name".into()));
            }
            let Some(i) = keys.iter().position(|k| k.name == row.name) else {
                return Err(inv_err(
                    row.line,
                    "name",
                    format!("the policy declares no [[keys]] named '{}'", row.name),
                ));
            };
            if !seen.insert(row.name.clone()) {
                return Err(inv_err(
                    row.line,
                    "name",
                    format!("'{}' is listed twice", row.name),
                ));
            }
            let differs = |field: &str, idx: usize, ours: &str, theirs: &str| {
                let at = spans[i][idx]
                    .clone()
                    .map(|s| {
                        let (l, c) = line_col(self.text, s.start);
                        format!(" ({}:{l}:{c})", self.path.display())
                    })
                    .unwrap_or_default();
                inv_err(
                    row.line,
                    field,
                    format!("'{ours}' differs from keys[{i}].{field} '{theirs}'{at}"),
                )
            };
            let k = &mut keys[i];
            for (idx, field, value, slot) in [
                (0, "sha256", &row.sha256, &mut k.sha256),
                (1, "spki_sha256", &row.spki_sha256, &mut k.spki_sha256),
            ] {
                let Some(v) = value else { continue };
                let v = sha256_digest(v).map_err(|m| inv_err(row.line, field, m.into()))?;
                match slot {
                    Some(p) if *p != v => return Err(differs(field, idx, &v, p)),
                    _ => *slot = Some(v),
                }
            }
            if let Some(c) = &row.created {
                let days = time::parse_date(c).ok_or_else(|| {
                    inv_err(
                        row.line,
                        "created",
                        format!("'{c}' is not a date such as 2025-01-31"),
                    )
                })?;
                match k.created {
                    Some(p) if p != days => {
                        return Err(differs("created", 2, c, &time::format_date(p)));
                    }
                    _ => k.created = Some(days),
                }
            }
        }
        Ok(())
    }

    /// The validated policy of `raw`, or the first error.
    pub(super) fn policy(&self, raw: RawPolicy) -> Result<Policy, PolicyError> {
        let mut roles = Vec::new();
        let mut names = BTreeSet::new();
        for (i, r) in raw.roles.into_iter().enumerate() {
            let f = |n: &str| format!("roles[{i}].{n}");
            if !names.insert(r.name.get_ref().clone()) {
                return Err(self.err(r.name.span(), f("name"), "duplicate role name"));
            }
            for u in r.unix_users.iter().chain(&r.unix_groups) {
                if u.get_ref().is_empty() || u.get_ref().contains([':', ' ', '\n']) {
                    return Err(self.err(u.span(), f("unix_users"), "not a valid Unix name"));
                }
            }
            for a in &r.aws_principals {
                let v = a.get_ref();
                if v != "*" && !v.starts_with("arn:") && !v.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(self.err(
                        a.span(),
                        f("aws_principals"),
                        format!("'{v}' is not an ARN, an account id or '*'"),
                    ));
                }
            }
            if let Some(fc) = &r.forbidden_commands {
                for c in fc {
                    let v = c.get_ref().trim();
                    if v.is_empty() || v.contains(['\n', '\0']) {
                        return Err(self.err(
                            c.span(),
                            f("forbidden_commands"),
                            "expected a command: PROGRAM [ARGUMENTS]",
                        ));
                    }
                }
            }
            roles.push(Role {
                name: r.name.into_inner(),
                kind: r.kind,
                description: r.description,
                unix_users: r.unix_users.into_iter().map(Spanned::into_inner).collect(),
                unix_groups: r.unix_groups.into_iter().map(Spanned::into_inner).collect(),
                vault_policies: r.vault_policies,
                aws_principals: r
                    .aws_principals
                    .into_iter()
                    .map(Spanned::into_inner)
                    .collect(),
                forbidden_commands: r.forbidden_commands.map(|fc| {
                    fc.into_iter()
                        .map(|c| c.into_inner().trim().to_string())
                        .collect()
                }),
            });
        }

        let mut separation = Vec::new();
        for (i, s) in raw.separation.into_iter().enumerate() {
            if s.roles.len() < 2 {
                let span = s.roles.first().map(|r| r.span()).unwrap_or(0..0);
                return Err(self.err(
                    span,
                    format!("separation[{i}].roles"),
                    "name at least two roles",
                ));
            }
            for r in &s.roles {
                if !names.contains(r.get_ref()) {
                    return Err(self.err(
                        r.span(),
                        format!("separation[{i}].roles"),
                        format!("no role named '{}'", r.get_ref()),
                    ));
                }
            }
            separation.push(Separation {
                roles: s.roles.into_iter().map(Spanned::into_inner).collect(),
                reason: s.reason,
            });
        }

        let mut keys = Vec::new();
        // Where each key gives sha256, spki_sha256 and created: an inventory value that
        // differs names them.
        let mut key_spans: Vec<[Option<Range<usize>>; 3]> = Vec::new();
        let mut key_names = BTreeSet::new();
        for (i, k) in raw.keys.into_iter().enumerate() {
            let span = k.span();
            let k = k.into_inner();
            let f = |n: &str| format!("keys[{i}].{n}");
            if !key_names.insert(k.name.get_ref().clone()) {
                return Err(self.err(k.name.span(), f("name"), "duplicate key name"));
            }
            if k.path.is_none() && k.pkcs11.is_none() {
                return Err(self.err(span, f("path"), "give the key's `path` or its `pkcs11` URI"));
            }
            let path = k
                .path
                .as_ref()
                .map(|p| self.abs_path(p, &f("path")))
                .transpose()?;
            let certificate = k
                .certificate
                .as_ref()
                .map(|p| self.abs_path(p, &f("certificate")))
                .transpose()?;
            if let Some(u) = &k.pkcs11
                && !u.get_ref().starts_with("pkcs11:")
            {
                return Err(self.err(
                    u.span(),
                    f("pkcs11"),
                    "a PKCS#11 URI starts with 'pkcs11:' (RFC 7512)",
                ));
            }
            let sha256 = k
                .sha256
                .as_ref()
                .map(|s| self.sha256(s, &f("sha256")))
                .transpose()?;
            let spki_sha256 = k
                .spki_sha256
                .as_ref()
                .map(|s| self.sha256(s, &f("spki_sha256")))
                .transpose()?;
            let mode = k
                .mode
                .as_ref()
                .map(|m| self.mode(m, &f("mode")))
                .transpose()?;
            let mut acl = Vec::new();
            for a in &k.acl {
                acl.push(parse_acl_entry(a.get_ref()).ok_or_else(|| {
                    self.err(
                        a.span(),
                        f("acl"),
                        format!(
                            "'{}' is not a named ACL entry such as \"user:vault:r--\"",
                            a.get_ref()
                        ),
                    )
                })?);
            }
            let created = match &k.created {
                None => None,
                Some(c) => match (c.get_ref().date, c.get_ref().time) {
                    (Some(d), _) => Some(time::days_from_civil(
                        d.year as i64,
                        d.month as u32,
                        d.day as u32,
                    )),
                    _ => {
                        return Err(self.err(
                            c.span(),
                            f("created"),
                            "expected a date such as 2025-01-31",
                        ));
                    }
                },
            };
            key_spans.push([
                k.sha256.as_ref().map(Spanned::span),
                k.spki_sha256.as_ref().map(Spanned::span),
                k.created.as_ref().map(Spanned::span),
            ]);
            keys.push(Key {
                name: k.name.into_inner(),
                path,
                pkcs11: k.pkcs11.map(Spanned::into_inner),
                certificate,
                sha256,
                spki_sha256,
                algorithm: k.algorithm,
                min_size: k.min_size,
                owner: k.owner,
                group: k.group,
                mode,
                acl,
                created,
                max_age_days: k.max_age_days,
                state: k.state.unwrap_or(KeyState::Active),
                operational: k.operational.unwrap_or(true),
                discovered: false,
            });
        }

        let (mut key_directories, mut log_paths) = (Vec::new(), Vec::new());
        if let Some(scan) = raw.scan {
            for d in &scan.key_directories {
                key_directories.push(self.abs_path(d, "scan.key_directories")?);
            }
            for d in &scan.log_paths {
                log_paths.push(self.abs_path(d, "scan.log_paths")?);
            }
            if let Some(inv) = &scan.inventory {
                self.merge_inventory(inv, &mut keys, &key_spans)?;
            }
        }

        let mut audit_logs = Vec::new();
        for (i, a) in raw.audit_logs.into_iter().enumerate() {
            let f = |n: &str| format!("audit_logs[{i}].{n}");
            let max_silence_secs = parse_duration(a.max_silence.get_ref()).ok_or_else(|| {
                self.err(
                    a.max_silence.span(),
                    f("max_silence"),
                    format!(
                        "'{}' is not a duration such as \"30m\", \"24h\" or \"7d\"",
                        a.max_silence.get_ref()
                    ),
                )
            })?;
            // The digest chain is CloudTrail's; keys without a directory prove nothing.
            let digest_directory = a
                .digest_directory
                .as_ref()
                .map(|d| self.abs_path(d, &f("digest_directory")))
                .transpose()?;
            let mut digest_public_keys = Vec::new();
            for k in &a.digest_public_keys {
                digest_public_keys.push(self.abs_path(k, &f("digest_public_keys"))?);
            }
            if let Some(d) = a.digest_directory.as_ref()
                && a.format != LogFormat::Cloudtrail
            {
                return Err(self.err(
                    d.span(),
                    f("digest_directory"),
                    format!(
                        "digest files are CloudTrail's; this source has format = \"{}\"",
                        a.format.as_str()
                    ),
                ));
            }
            if let (None, Some(k)) = (&digest_directory, a.digest_public_keys.first()) {
                return Err(self.err(
                    k.span(),
                    f("digest_public_keys"),
                    "digest_public_keys needs digest_directory (where the digest files are)",
                ));
            }
            audit_logs.push(AuditLog {
                digest_directory,
                digest_public_keys,
                path: self.abs_path(&a.path, &f("path"))?,
                mode: a
                    .mode
                    .as_ref()
                    .map(|m| self.mode(m, &f("mode")))
                    .transpose()?
                    .unwrap_or(0o640),
                name: a.name.into_inner(),
                format: a.format,
                retention_days: Some(a.retention_days),
                max_silence_secs,
                owner: a.owner.unwrap_or_else(|| "root".into()),
                group: a.group,
                append_only: a.append_only.unwrap_or(false),
            });
        }

        let siem = match raw.siem {
            None => None,
            Some(s) => {
                let mut via: Vec<String> = Vec::new();
                for v in &s.via {
                    if !FORWARDERS.contains(&v.get_ref().as_str()) {
                        return Err(self.err(
                            v.span(),
                            "siem.via",
                            format!(
                                "'{}' is not a known forwarder ({})",
                                v.get_ref(),
                                FORWARDERS.join(", ")
                            ),
                        ));
                    }
                    if !via.contains(v.get_ref()) {
                        via.push(v.get_ref().clone());
                    }
                }
                if s.host.get_ref().trim().is_empty() {
                    return Err(self.err(s.host.span(), "siem.host", "empty host name"));
                }
                let vault_audit_list = s
                    .vault_audit_list
                    .as_ref()
                    .map(|p| self.abs_path(p, "siem.vault_audit_list"))
                    .transpose()?;
                // A Vault audit device cannot be seen in any file of the host: without
                // the saved `vault audit list` output the check would have nothing to
                // read, so the policy must say where it is.
                if vault_audit_list.is_none()
                    && let Some(v) = s.via.iter().find(|v| v.get_ref().starts_with("vault-"))
                {
                    return Err(self.err(
                        v.span(),
                        "siem.via",
                        format!(
                            "'{}' needs [siem] vault_audit_list (the output of `vault audit list -format=json -detailed` saved on the host)",
                            v.get_ref()
                        ),
                    ));
                }
                Some(Siem {
                    host: s.host.into_inner(),
                    port: s.port,
                    via,
                    vault_audit_list,
                })
            }
        };

        let mut software = Vec::new();
        for (i, s) in raw.software.into_iter().enumerate() {
            let span = s.span();
            let s = s.into_inner();
            let f = |n: &str| format!("software[{i}].{n}");
            if s.package.is_none() && s.version_file.is_none() {
                return Err(self.err(
                    span,
                    f("package"),
                    "give a dpkg `package` or a `version_file`",
                ));
            }
            if s.min_version.is_none() && s.min_upstream.is_none() {
                return Err(self.err(
                    span,
                    f("min_version"),
                    "give `min_version` or `min_upstream`",
                ));
            }
            if let Some(v) = &s.min_version
                && v.get_ref().parse::<debversion::Version>().is_err()
            {
                return Err(self.err(
                    v.span(),
                    f("min_version"),
                    format!("'{}' is not a Debian version", v.get_ref()),
                ));
            }
            let min_upstream = match &s.min_upstream {
                None => None,
                Some(v) => Some(UpstreamVersion::parse(v.get_ref()).map_err(|e| {
                    self.err(
                        v.span(),
                        f("min_upstream"),
                        format!(
                            "'{}' is not an upstream version such as \"1.15.2\", \"1.1.1w\" \
                             or \"9.2p1\": {e}",
                            v.get_ref()
                        ),
                    )
                })?),
            };
            software.push(Software {
                name: s.name,
                package: s.package,
                min_version: s.min_version.map(Spanned::into_inner),
                min_upstream,
                version_file: s
                    .version_file
                    .as_ref()
                    .map(|p| self.abs_path(p, &f("version_file")))
                    .transpose()?,
                required: s.required.unwrap_or(false),
            });
        }

        let integrity = match raw.integrity {
            None => None,
            Some(i) => Some(Integrity {
                baseline: self.abs_path(&i.baseline, "integrity.baseline")?,
                paths: i
                    .paths
                    .iter()
                    .map(|p| self.abs_path(p, "integrity.paths"))
                    .collect::<Result<_, _>>()?,
                public_key: i
                    .public_key
                    .as_ref()
                    .map(|p| self.abs_path(p, "integrity.public_key"))
                    .transpose()?,
            }),
        };

        let mut detection = Detection::default();
        if let Some(d) = raw.detection {
            if let Some(v) = d.denied_threshold {
                detection.denied_threshold = v;
            }
            if let Some(w) = d.window_minutes {
                if *w.get_ref() == 0 {
                    return Err(self.err(
                        w.span(),
                        "detection.window_minutes",
                        "must be at least 1",
                    ));
                }
                detection.window_minutes = w.into_inner();
            }
            if let Some(v) = d.inactive_days {
                detection.inactive_days = v;
            }
            if let Some(v) = d.cert_warning_days {
                detection.cert_warning_days = v;
            }
            if let Some(v) = d.key_unused_days {
                detection.key_unused_days = v;
            }
            detection.allow = d
                .allow
                .into_iter()
                .map(|a| AllowedEvent {
                    identity: a.identity,
                    action: a.action,
                })
                .collect();
        }

        let mut aws_key_policies = Vec::new();
        for (i, a) in raw.aws_key_policies.into_iter().enumerate() {
            aws_key_policies.push(AwsKeyPolicy {
                path: self.abs_path(&a.path, &format!("aws_key_policies[{i}].path"))?,
                key_id: a.key_id,
            });
        }

        let mut kms_keys: Vec<KmsKey> = Vec::new();
        for (i, k) in raw.kms_keys.into_iter().enumerate() {
            let span = k.span();
            let k = k.into_inner();
            let f = |n: &str| format!("kms_keys[{i}].{n}");
            if kms_keys.iter().any(|o| o.name == *k.name.get_ref())
                || key_names.contains(k.name.get_ref())
            {
                return Err(self.err(k.name.span(), f("name"), "duplicate key name"));
            }
            if k.aws_kms_key.is_none() && k.vault_transit_key.is_none() {
                return Err(self.err(
                    span,
                    f("aws_kms_key"),
                    "give the key's `aws_kms_key` (id or ARN) or its `vault_transit_key` (MOUNT/NAME)",
                ));
            }
            let vault_transit_key = match k.vault_transit_key {
                None => None,
                Some(v) => {
                    let t = v.get_ref().trim_matches('/');
                    if t.is_empty() || t.split('/').any(str::is_empty) {
                        return Err(self.err(
                            v.span(),
                            f("vault_transit_key"),
                            "expected MOUNT/NAME such as \"transit/payments\"",
                        ));
                    }
                    Some(if t.contains('/') {
                        t.to_string()
                    } else {
                        format!("transit/{t}")
                    })
                }
            };
            if let Some(r) = &k.rotation_days
                && *r.get_ref() == 0
            {
                return Err(self.err(r.span(), f("rotation_days"), "must be at least 1"));
            }
            let mut logs = Vec::new();
            for l in &k.logs {
                if !audit_logs.iter().any(|a: &AuditLog| a.name == *l.get_ref()) {
                    return Err(self.err(
                        l.span(),
                        f("logs"),
                        format!(
                            "'{}' is not the name of an [[audit_logs]] source",
                            l.get_ref()
                        ),
                    ));
                }
                logs.push(l.get_ref().clone());
            }
            if logs.len() == 1 {
                return Err(self.err(
                    k.logs[0].span(),
                    f("logs"),
                    "name at least two [[audit_logs]] sources that must each record the key's lifecycle",
                ));
            }
            kms_keys.push(KmsKey {
                name: k.name.into_inner(),
                aws_kms_key: k.aws_kms_key.map(Spanned::into_inner),
                vault_transit_key,
                rotation_days: k.rotation_days.map(Spanned::into_inner),
                logs,
            });
        }

        Ok(Policy {
            path: self.path.to_path_buf(),
            discovered: false,
            site: raw.site.map(|s| s.name).unwrap_or_default(),
            roles,
            separation,
            keys,
            key_directories,
            log_paths,
            audit_logs,
            siem,
            software,
            integrity,
            detection,
            aws_key_policies,
            kms_keys,
        })
    }
}

/// A SHA-256 digest as the policy and the inventory accept it (hex, any case, an
/// optional `sha256:` prefix), lower-cased.
fn sha256_digest(v: &str) -> Result<String, &'static str> {
    let v = v.trim().to_ascii_lowercase();
    let v = v.strip_prefix("sha256:").unwrap_or(&v).to_string();
    if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err("expected 64 hexadecimal digits (a SHA-256 digest)");
    }
    Ok(v)
}

/// `user:NAME:rwx` or `group:NAME:r--` (named entries only: owner, group, mask and other
/// are the file's mode).
pub fn parse_acl_entry(s: &str) -> Option<AclEntry> {
    let mut parts = s.split(':');
    let (tag, q, perms) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || q.is_empty() {
        return None;
    }
    let tag = match tag {
        "u" | "user" => "user",
        "g" | "group" => "group",
        _ => return None,
    };
    let b = perms.as_bytes();
    let ok = b.len() == 3
        && matches!(b[0], b'r' | b'-')
        && matches!(b[1], b'w' | b'-')
        && matches!(b[2], b'x' | b'-');
    ok.then(|| AclEntry {
        tag: tag.to_string(),
        qualifier: q.to_string(),
        perms: perms.to_string(),
    })
}

/// `90s`, `30m`, `24h`, `7d` to seconds.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    let (n, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit())?);
    let n: u64 = n.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => return None,
    };
    n.checked_mul(mult)
}

/// Semantic version, accepting the `1.15` and `v1.15.2` forms upstreams commonly print.
pub fn lenient_semver(s: &str) -> Option<semver::Version> {
    let s = s.trim().trim_start_matches('v');
    if let Ok(v) = semver::Version::parse(s) {
        return Some(v);
    }
    let core_end = s.find(['-', '+']).unwrap_or(s.len());
    let (core, rest) = s.split_at(core_end);
    let mut parts: Vec<&str> = core.split('.').collect();
    if parts.is_empty()
        || parts.len() > 3
        || parts
            .iter()
            .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return None;
    }
    while parts.len() < 3 {
        parts.push("0");
    }
    semver::Version::parse(&format!("{}{}", parts.join("."), rest)).ok()
}
