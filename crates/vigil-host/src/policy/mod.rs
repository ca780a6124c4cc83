//! The site key-management policy: a TOML file in which a site declares its roles and
//! their members, which roles must stay separate (NIST SP 800-130 FR:5.3/5.4), its keys
//! and their expected fingerprints, owners, modes, ACLs and lifetimes, its audit-log
//! sources, the SIEM they are forwarded to, software minimums, integrity-monitored paths
//! and detection settings. vigil's own OVAL probes (`crate::probes::keymgmt`) compare the
//! host against it; the format is documented in the README ("Key-management audit") and shown in full in
//! content/ccm-log11/policy.example.toml.
//!
//! [`Policy::load`] parses and validates; every error names the file, the line and
//! column, and the field (`keys[2].mode`), using the spans the `toml` parser keeps.

pub mod time;

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

/// Why a policy file cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{path}: cannot read the site policy: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}:{line}:{column}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{path}:{line}:{column}: {field}: {message}")]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        field: String,
        message: String,
    },
}

/// What a role is for; separation and access rules are written against these kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoleKind {
    KeyAdministrator,
    AuditAdministrator,
    KeyUser,
    KeyCustodian,
    SystemAdministrator,
    Other,
}

impl RoleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RoleKind::KeyAdministrator => "key_administrator",
            RoleKind::AuditAdministrator => "audit_administrator",
            RoleKind::KeyUser => "key_user",
            RoleKind::KeyCustodian => "key_custodian",
            RoleKind::SystemAdministrator => "system_administrator",
            RoleKind::Other => "other",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Role {
    pub name: String,
    pub kind: RoleKind,
    pub description: String,
    pub unix_users: Vec<String>,
    pub unix_groups: Vec<String>,
    pub vault_policies: Vec<String>,
    pub aws_principals: Vec<String>,
}

/// Roles no identity may hold two of at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Separation {
    pub roles: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    Active,
    Destroyed,
}

impl KeyState {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Destroyed => "destroyed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KeyAlgorithm {
    Rsa,
    Ec,
    Ed25519,
    Ed448,
}

impl KeyAlgorithm {
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa => "rsa",
            KeyAlgorithm::Ec => "ec",
            KeyAlgorithm::Ed25519 => "ed25519",
            KeyAlgorithm::Ed448 => "ed448",
        }
    }
}

/// A POSIX ACL entry a key may carry beyond its owner, group and other bits.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct AclEntry {
    /// `user` or `group`.
    pub tag: String,
    pub qualifier: String,
    /// `rwx` form, `-` for a missing permission.
    pub perms: String,
}

impl std::fmt::Display for AclEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.tag, self.qualifier, self.perms)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    /// File holding the key (PEM/DER private or public key, or an X.509 certificate).
    pub path: Option<String>,
    /// Key held in a token, `pkcs11:` URI (RFC 7512); only its certificate can be read.
    pub pkcs11: Option<String>,
    /// Certificate for the key, checked for expiry and public-key match.
    pub certificate: Option<String>,
    /// Expected SHA-256 of the key file, lower-case hex.
    pub sha256: Option<String>,
    /// Expected SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex.
    pub spki_sha256: Option<String>,
    pub algorithm: Option<KeyAlgorithm>,
    pub min_size: Option<u32>,
    pub owner: Option<String>,
    pub group: Option<String>,
    /// Most permissive mode allowed (permission bits).
    pub mode: Option<u32>,
    /// Named ACL entries allowed; `None`: no named entries allowed.
    pub acl: Vec<AclEntry>,
    /// Creation date, days since the epoch.
    pub created: Option<i64>,
    pub max_age_days: Option<u32>,
    pub state: KeyState,
    /// An operational key: audit administrators must not be able to read it.
    pub operational: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Auditd,
    Vault,
    Cloudtrail,
}

impl LogFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Auditd => "auditd",
            LogFormat::Vault => "vault",
            LogFormat::Cloudtrail => "cloudtrail",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditLog {
    pub name: String,
    pub format: LogFormat,
    pub path: String,
    pub retention_days: u32,
    /// Longest time without a new record, seconds.
    pub max_silence_secs: u64,
    pub owner: String,
    pub group: Option<String>,
    /// Most permissive mode allowed.
    pub mode: u32,
    /// The file must carry the append-only attribute (chattr +a).
    pub append_only: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Siem {
    pub host: String,
    pub port: Option<u16>,
    /// Forwarders of which at least one must send to `host`: `rsyslog`, `audisp-remote`.
    pub via: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Software {
    pub name: String,
    /// Debian package name.
    pub package: Option<String>,
    /// Minimum Debian version (dpkg ordering).
    pub min_version: Option<String>,
    /// Minimum upstream version (semantic versioning), compared with the upstream part
    /// of the package version or with the version read from `version_file`.
    pub min_upstream: Option<semver::Version>,
    /// For software not installed by dpkg: a file holding its version.
    pub version_file: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Integrity {
    /// Baseline file: as `vigil baseline create` writes it, or the older
    /// `sha256 mode owner group acl path` lines.
    pub baseline: String,
    pub paths: Vec<String>,
}

/// A lifecycle event that is expected (not reported as destructive).
#[derive(Debug, Clone, PartialEq)]
pub struct AllowedEvent {
    /// Identity as logged (ARN, Vault display name, Unix user); `*` matches any.
    pub identity: String,
    /// Action name (`ScheduleKeyDeletion`, `delete`, ...); `*` matches any.
    pub action: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    pub denied_threshold: u32,
    pub window_minutes: u32,
    pub inactive_days: u32,
    pub cert_warning_days: u32,
    pub allow: Vec<AllowedEvent>,
}

impl Default for Detection {
    fn default() -> Detection {
        Detection {
            denied_threshold: 5,
            window_minutes: 10,
            inactive_days: 90,
            cert_warning_days: 30,
            allow: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AwsKeyPolicy {
    pub key_id: String,
    pub path: String,
}

/// A validated site policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub path: PathBuf,
    pub site: String,
    pub roles: Vec<Role>,
    pub separation: Vec<Separation>,
    pub keys: Vec<Key>,
    pub key_directories: Vec<String>,
    /// Extra files or directories searched for key material and PINs.
    pub log_paths: Vec<String>,
    pub audit_logs: Vec<AuditLog>,
    pub siem: Option<Siem>,
    pub software: Vec<Software>,
    pub integrity: Option<Integrity>,
    pub detection: Detection,
    pub aws_key_policies: Vec<AwsKeyPolicy>,
}

/// XCCDF Value ids of the bundled benchmark that the policy's `[detection]` settings
/// feed (see [`Policy::xccdf_values`]).
pub mod value_ids {
    pub const DENIED_THRESHOLD: &str = "xccdf_dev.vigil_value_denied_threshold";
    pub const WINDOW_MINUTES: &str = "xccdf_dev.vigil_value_denied_window_minutes";
    pub const INACTIVE_DAYS: &str = "xccdf_dev.vigil_value_inactive_days";
    pub const CERT_WARNING_DAYS: &str = "xccdf_dev.vigil_value_cert_warning_days";
}

impl Policy {
    /// Reads and validates a policy file.
    pub fn load(path: &Path) -> Result<Policy, PolicyError> {
        let io = |source| PolicyError::Io {
            path: path.to_path_buf(),
            source,
        };
        let bytes = vigil_core::osutil::read_whole_input(path).map_err(io)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            io(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
            ))
        })?;
        Policy::parse(&text, path)
    }

    /// Parses and validates policy text; `path` is used in messages.
    pub fn parse(text: &str, path: &Path) -> Result<Policy, PolicyError> {
        // An empty policy declares no key, log or role, so every "each declared ..."
        // rule would pass on nothing; an unwritten or truncated file is an error.
        if text.trim().is_empty() {
            return Err(PolicyError::Syntax {
                path: path.to_path_buf(),
                line: 1,
                column: 1,
                message: "the policy file is empty".into(),
            });
        }
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            PolicyError::Syntax {
                path: path.to_path_buf(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        Validator { text, path }.policy(raw)
    }

    /// The XCCDF Values this policy sets, `(value id, value)`: the `[detection]`
    /// thresholds. A scan applies them over the Values' defaults; a tailoring file
    /// given on the command line still wins.
    pub fn xccdf_values(&self) -> Vec<(&'static str, String)> {
        let d = &self.detection;
        vec![
            (value_ids::DENIED_THRESHOLD, d.denied_threshold.to_string()),
            (value_ids::WINDOW_MINUTES, d.window_minutes.to_string()),
            (value_ids::INACTIVE_DAYS, d.inactive_days.to_string()),
            (
                value_ids::CERT_WARNING_DAYS,
                d.cert_warning_days.to_string(),
            ),
        ]
    }

    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |p| before.len() - p - 1)
        + 1;
    (line, column)
}

// ---- raw, as written ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    site: Option<RawSite>,
    #[serde(default)]
    roles: Vec<RawRole>,
    #[serde(default)]
    separation: Vec<RawSeparation>,
    #[serde(default)]
    keys: Vec<Spanned<RawKey>>,
    #[serde(default)]
    scan: Option<RawScan>,
    #[serde(default)]
    audit_logs: Vec<RawAuditLog>,
    #[serde(default)]
    siem: Option<RawSiem>,
    #[serde(default)]
    software: Vec<Spanned<RawSoftware>>,
    #[serde(default)]
    integrity: Option<RawIntegrity>,
    #[serde(default)]
    detection: Option<RawDetection>,
    #[serde(default)]
    aws_key_policies: Vec<RawAwsKeyPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSite {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRole {
    name: Spanned<String>,
    kind: RoleKind,
    #[serde(default)]
    description: String,
    #[serde(default)]
    unix_users: Vec<Spanned<String>>,
    #[serde(default)]
    unix_groups: Vec<Spanned<String>>,
    #[serde(default)]
    vault_policies: Vec<String>,
    #[serde(default)]
    aws_principals: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeparation {
    roles: Vec<Spanned<String>>,
    #[serde(default)]
    reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKey {
    name: Spanned<String>,
    #[serde(default)]
    path: Option<Spanned<String>>,
    #[serde(default)]
    pkcs11: Option<Spanned<String>>,
    #[serde(default)]
    certificate: Option<Spanned<String>>,
    #[serde(default)]
    sha256: Option<Spanned<String>>,
    #[serde(default)]
    spki_sha256: Option<Spanned<String>>,
    #[serde(default)]
    algorithm: Option<KeyAlgorithm>,
    #[serde(default)]
    min_size: Option<u32>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    acl: Vec<Spanned<String>>,
    #[serde(default)]
    created: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    max_age_days: Option<u32>,
    #[serde(default)]
    state: Option<KeyState>,
    #[serde(default)]
    operational: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    #[serde(default)]
    key_directories: Vec<Spanned<String>>,
    #[serde(default)]
    log_paths: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuditLog {
    name: Spanned<String>,
    format: LogFormat,
    path: Spanned<String>,
    retention_days: u32,
    max_silence: Spanned<String>,
    #[serde(default)]
    owner: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    mode: Option<Spanned<String>>,
    #[serde(default)]
    append_only: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSiem {
    host: Spanned<String>,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    via: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSoftware {
    name: String,
    #[serde(default)]
    package: Option<String>,
    #[serde(default)]
    min_version: Option<Spanned<String>>,
    #[serde(default)]
    min_upstream: Option<Spanned<String>>,
    #[serde(default)]
    version_file: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIntegrity {
    baseline: Spanned<String>,
    paths: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetection {
    #[serde(default)]
    denied_threshold: Option<u32>,
    #[serde(default)]
    window_minutes: Option<Spanned<u32>>,
    #[serde(default)]
    inactive_days: Option<u32>,
    #[serde(default)]
    cert_warning_days: Option<u32>,
    #[serde(default)]
    allow: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    identity: String,
    action: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAwsKeyPolicy {
    key_id: String,
    path: Spanned<String>,
}

struct Validator<'a> {
    text: &'a str,
    path: &'a Path,
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
        let v = s.get_ref().to_ascii_lowercase();
        let v = v.strip_prefix("sha256:").unwrap_or(&v).to_string();
        if v.len() != 64 || !v.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(self.err(
                s.span(),
                field,
                "expected 64 hexadecimal digits (a SHA-256 digest)",
            ));
        }
        Ok(v)
    }

    fn policy(&self, raw: RawPolicy) -> Result<Policy, PolicyError> {
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
            audit_logs.push(AuditLog {
                path: self.abs_path(&a.path, &f("path"))?,
                mode: a
                    .mode
                    .as_ref()
                    .map(|m| self.mode(m, &f("mode")))
                    .transpose()?
                    .unwrap_or(0o640),
                name: a.name.into_inner(),
                format: a.format,
                retention_days: a.retention_days,
                max_silence_secs,
                owner: a.owner.unwrap_or_else(|| "root".into()),
                group: a.group,
                append_only: a.append_only.unwrap_or(false),
            });
        }

        let siem = match raw.siem {
            None => None,
            Some(s) => {
                let mut via = Vec::new();
                for v in &s.via {
                    if !matches!(v.get_ref().as_str(), "rsyslog" | "audisp-remote") {
                        return Err(self.err(
                            v.span(),
                            "siem.via",
                            format!(
                                "'{}' is not a known forwarder (rsyslog, audisp-remote)",
                                v.get_ref()
                            ),
                        ));
                    }
                    via.push(v.get_ref().clone());
                }
                if via.is_empty() {
                    via = vec!["rsyslog".into(), "audisp-remote".into()];
                }
                if s.host.get_ref().trim().is_empty() {
                    return Err(self.err(s.host.span(), "siem.host", "empty host name"));
                }
                Some(Siem {
                    host: s.host.into_inner(),
                    port: s.port,
                    via,
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
                Some(v) => Some(lenient_semver(v.get_ref()).ok_or_else(|| {
                    self.err(
                        v.span(),
                        f("min_upstream"),
                        format!("'{}' is not a semantic version", v.get_ref()),
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

        Ok(Policy {
            path: self.path.to_path_buf(),
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
        })
    }
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

#[cfg(test)]
mod tests;
