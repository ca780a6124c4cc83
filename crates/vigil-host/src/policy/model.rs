//! The validated site policy, what the key-management probes read: roles and their
//! separation, keys, audit-log sources, SIEM, software, integrity and detection
//! settings (the README's "Key-management audit" documents each field). Built only by
//! [`super::Policy::load`] / [`super::Policy::parse`], so every value here has been
//! checked.

use std::path::PathBuf;

use serde::Deserialize;

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
