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
    /// Holds and manages keys (`key_administrator`); must not be able to modify audit
    /// logs.
    KeyAdministrator,
    /// Manages the audit logs (`audit_administrator`); must not be able to read
    /// operational keys.
    AuditAdministrator,
    /// Uses keys for their purpose (`key_user`), e.g. an application account.
    KeyUser,
    /// Holds key components or backups in custody (`key_custodian`).
    KeyCustodian,
    /// Administers the operating system (`system_administrator`).
    SystemAdministrator,
    /// Any other role (`other`); no rule selects roles of this kind.
    Other,
}

impl RoleKind {
    /// The kind as written in the policy's `kind` field (`key_administrator`, ...).
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
/// A `[[roles]]` entry: a named role and the identities (Unix, Vault, AWS) that act in
/// it.
pub struct Role {
    /// Unique role name, referred to by `[[separation]]` `roles`.
    pub name: String,
    /// What the role is for (`kind`); rules about audit and key administrators select by
    /// it.
    pub kind: RoleKind,
    /// Free text from the policy, shown in reports; empty when not given.
    pub description: String,
    /// Unix user names in the role; empty: none.
    pub unix_users: Vec<String>,
    /// Unix group names whose every member is in the role: users listed in `/etc/group`
    /// and users whose primary group (`/etc/passwd`) it is; empty: none.
    pub unix_groups: Vec<String>,
    /// Vault policy names: a Vault token with one of them acts in the role; empty: none.
    pub vault_policies: Vec<String>,
    /// AWS IAM ARNs (roles, users), account ids or `*` (any principal); empty: none.
    pub aws_principals: Vec<String>,
    /// Commands a sudo grant must not let the role's members run as root, replacing
    /// the defaults for the role's kind (README, "sudo grants"); `None`: the defaults.
    /// Each is `PROGRAM [ARGUMENTS]` with fnmatch wildcards, `{audit_logs}` and
    /// `{keys}` standing for the policy's audit-log and key paths.
    pub forbidden_commands: Option<Vec<String>>,
}

/// Roles no identity may hold two of at once.
#[derive(Debug, Clone, PartialEq)]
pub struct Separation {
    /// Names of at least two `[[roles]]`; no identity may be in two of them.
    pub roles: Vec<String>,
    /// Why the roles are kept apart (the policy's `reason`), quoted in findings.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
/// A key's lifecycle state, the `[[keys]]` `state` field.
pub enum KeyState {
    /// In use (`active`, the default): it must be present and is checked.
    Active,
    /// Retired (`destroyed`): its file must be gone.
    Destroyed,
}

impl KeyState {
    /// The state as written in the policy (`active`, `destroyed`).
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::Destroyed => "destroyed",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
/// A key's algorithm, the `[[keys]]` `algorithm` field.
pub enum KeyAlgorithm {
    /// RSA (`rsa`); its size is the modulus length in bits.
    Rsa,
    /// Elliptic curve (`ec`); its size is the curve's field size in bits (P-256 = 256).
    Ec,
    /// Ed25519 (`ed25519`).
    Ed25519,
    /// Ed448 (`ed448`).
    Ed448,
}

impl KeyAlgorithm {
    /// The algorithm as written in the policy (`rsa`, `ec`, `ed25519`, `ed448`).
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
    /// User or group name the entry grants to (the POSIX ACL qualifier), as on the host.
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
/// A `[[keys]]` entry: a key the site declares, where it lives and what it must look
/// like. Every `None` means the policy does not ask for that check.
pub struct Key {
    /// Unique key name, used in findings.
    pub name: String,
    /// File holding the key (PEM/DER private or public key, or an X.509 certificate).
    pub path: Option<String>,
    /// Key held in a token, `pkcs11:` URI (RFC 7512); only its certificate can be read.
    pub pkcs11: Option<String>,
    /// Certificate for the key, checked for expiry and public-key match.
    pub certificate: Option<String>,
    /// Expected SHA-256 of the key file, lower-case hex (from the policy or its
    /// `[scan] inventory`).
    pub sha256: Option<String>,
    /// Expected SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex.
    pub spki_sha256: Option<String>,
    /// Required algorithm; `None`: any.
    pub algorithm: Option<KeyAlgorithm>,
    /// Minimum key size in bits (RSA modulus, EC field size); `None`: no minimum.
    pub min_size: Option<u32>,
    /// Expected owner user name of the key file; `None`: not checked.
    pub owner: Option<String>,
    /// Expected group name of the key file; `None`: not checked.
    pub group: Option<String>,
    /// Most permissive mode allowed (permission bits, e.g. `0o640`); `None`: not checked.
    pub mode: Option<u32>,
    /// The only named POSIX ACL entries allowed (an entry with more permissions than
    /// listed is unexpected); empty: no named entries allowed.
    pub acl: Vec<AclEntry>,
    /// Creation date, days since the epoch.
    pub created: Option<i64>,
    /// Maximum age (cryptoperiod) in days from `created`; `None`: no limit.
    pub max_age_days: Option<u32>,
    /// Lifecycle state: active keys must be present, destroyed ones gone.
    pub state: KeyState,
    /// An operational key: audit administrators must not be able to read it.
    pub operational: bool,
    /// Found by discovery (a scan without `--policy`), not declared by the site: the
    /// rules about what the site declares (presence, ACL as declared) skip it.
    pub discovered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
/// The format of an audit-log source, the `[[audit_logs]]` `format` field.
pub enum LogFormat {
    /// Linux audit daemon log (`auditd`), `type=... msg=audit(...)` records.
    Auditd,
    /// HashiCorp Vault file audit device (`vault`), one JSON object a line.
    Vault,
    /// AWS CloudTrail (`cloudtrail`): `{"Records":[...]}` documents or one record a line.
    Cloudtrail,
}

impl LogFormat {
    /// The format as written in the policy (`auditd`, `vault`, `cloudtrail`).
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Auditd => "auditd",
            LogFormat::Vault => "vault",
            LogFormat::Cloudtrail => "cloudtrail",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
/// An `[[audit_logs]]` entry: one audit-log source on the host and its requirements.
pub struct AuditLog {
    /// Source name, used in findings.
    pub name: String,
    /// How the log's records are read.
    pub format: LogFormat,
    /// Absolute path of the log file on the scanned host (under `--root` offline);
    /// rotated siblings `PATH.1`, `PATH.2`, ... are read too.
    pub path: String,
    /// Minimum retention in days the host's rotation settings must keep; `None` for a
    /// log found by discovery (retention is a site duty).
    pub retention_days: Option<u32>,
    /// Longest time without a new record, seconds.
    pub max_silence_secs: u64,
    /// Expected owner user name of the log file (default `root`).
    pub owner: String,
    /// Expected group name of the log file; `None`: not checked.
    pub group: Option<String>,
    /// Most permissive mode allowed.
    pub mode: u32,
    /// The file must carry the append-only attribute (chattr +a).
    pub append_only: bool,
    /// CloudTrail only: the directory holding the trail's digest files, a copy of the
    /// bucket as `aws s3 sync` leaves it (log files are found at their S3 keys relative
    /// to the same bucket root); `None`: the digest chain is not checked.
    pub digest_directory: Option<String>,
    /// CloudTrail only: RSA public key files (PEM or DER, PKCS#1 or SubjectPublicKeyInfo)
    /// the digests are verified with, chosen by `digestPublicKeyFingerprint`; empty:
    /// signatures are `unknown`.
    pub digest_public_keys: Vec<String>,
}

/// The forwarders `[siem] via` may name, in the order vigil reports them.
pub const FORWARDERS: [&str; 8] = [
    "rsyslog",
    "audisp-remote",
    "syslog-ng",
    "systemd-journal-upload",
    "fluent-bit",
    "vector",
    "vault-socket",
    "vault-syslog",
];

#[derive(Debug, Clone, PartialEq)]
/// The `[siem]` section: the collector audit events must be forwarded to.
pub struct Siem {
    /// Host name or address of the SIEM collector, compared with the forwarders' targets.
    pub host: String,
    /// Collector port; `None`: any port.
    pub port: Option<u16>,
    /// The forwarders the site uses (names of [`FORWARDERS`]), as written; empty when
    /// the policy does not say, and then any forwarder found on the host counts
    /// ([`Siem::via_declared`]).
    pub via: Vec<String>,
    /// `vault_audit_list`: the output of `vault audit list -format=json -detailed` saved
    /// on the scanned host, read for the `vault-socket` and `vault-syslog` forwarders
    /// (required when `via` names one of them).
    pub vault_audit_list: Option<String>,
}

impl Siem {
    /// True when the policy's `via` names the forwarders the site uses.
    pub fn via_declared(&self) -> bool {
        !self.via.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq)]
/// A `[[software]]` entry: KMS software that must be at or above a minimum version.
pub struct Software {
    /// Software name, used in findings.
    pub name: String,
    /// Debian package name.
    pub package: Option<String>,
    /// Minimum Debian version (dpkg ordering).
    pub min_version: Option<String>,
    /// Minimum upstream version, compared with the upstream part of the package version
    /// or with the version read from `version_file`, in the order of
    /// [`super::upstream`] (semantic versioning extended to letter releases such as
    /// `1.1.1w` and `9.2p1`).
    pub min_upstream: Option<super::UpstreamVersion>,
    /// For software not installed by dpkg: a file holding its version.
    pub version_file: Option<String>,
    /// `required = true`: the software must be installed, so its absence fails the
    /// check. Otherwise (the default) the minimum applies only where it is installed,
    /// and an absent entry is not applicable.
    pub required: bool,
}

#[derive(Debug, Clone, PartialEq)]
/// The `[integrity]` section: files that must match a known-good baseline.
pub struct Integrity {
    /// Baseline file, as `vigil baseline create` writes it: absolute, on the scanned
    /// host (read under `--root`). `vigil scan --baseline FILE` replaces it with a file
    /// on the scanning machine.
    pub baseline: String,
    /// `public_key`: an Ed25519 public key (PEM SubjectPublicKeyInfo) whose signature
    /// the baseline must carry (`BASELINE.sig`, see [`crate::baseline::signature`]).
    /// Read on the scanning machine when the baseline comes from `--baseline`, on the
    /// scanned host (under `--root`) otherwise. `None`: no signature required.
    pub public_key: Option<String>,
    /// Files or directories (absolute, on the scanned host) whose regular files must
    /// match the baseline; files added or removed count as differences.
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
/// The `[detection]` section: thresholds for the audit-log analysis rules. They set the
/// bundled benchmark's XCCDF Values (see [`Policy::xccdf_values`]).
pub struct Detection {
    /// Most access-denied events one identity may have in one window (default 5).
    pub denied_threshold: u32,
    /// Length of the denied-access window, minutes (default 10).
    pub window_minutes: u32,
    /// Days without recorded activity after which a role member is inactive (default 90).
    pub inactive_days: u32,
    /// Days before a certificate's expiry from which it is reported as expiring (default
    /// 30).
    pub cert_warning_days: u32,
    /// Days without a recorded use after which a `[[kms_keys]]` key is a candidate for
    /// retirement (default 90).
    pub key_unused_days: u32,
    /// Expected destructive lifecycle events (`[[detection.allow]]`); empty: none
    /// expected.
    pub allow: Vec<AllowedEvent>,
}

impl Default for Detection {
    fn default() -> Detection {
        Detection {
            denied_threshold: 5,
            window_minutes: 10,
            inactive_days: 90,
            cert_warning_days: 30,
            key_unused_days: 90,
            allow: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
/// An `[[aws_key_policies]]` entry: an AWS KMS key and its key-policy document.
pub struct AwsKeyPolicy {
    /// The KMS key id or ARN the policy document belongs to.
    pub key_id: String,
    /// Absolute path of the key-policy JSON (e.g. from `aws kms get-key-policy`) on the
    /// scanned host.
    pub path: String,
}

/// A validated site policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// The policy file it was loaded from, as given (`--policy`); empty when discovered.
    pub path: PathBuf,
    /// Made by discovery for a scan without `--policy`
    /// ([`crate::probes::keymgmt::discover`]): it holds only what the host shows.
    pub discovered: bool,
    /// Site name (`[site] name`), shown in reports.
    pub site: String,
    /// The `[[roles]]`, in file order.
    pub roles: Vec<Role>,
    /// The `[[separation]]` constraints, in file order.
    pub separation: Vec<Separation>,
    /// The declared `[[keys]]`, in file order.
    pub keys: Vec<Key>,
    /// Directories (`[scan] key_directories`) searched recursively for private keys the
    /// policy does not declare; empty: no search.
    pub key_directories: Vec<String>,
    /// Extra files or directories (`[scan] log_paths`) searched, with every audit log,
    /// for private-key blocks and PINs; empty: only the audit logs.
    pub log_paths: Vec<String>,
    /// The `[[audit_logs]]` sources, in file order.
    pub audit_logs: Vec<AuditLog>,
    /// The `[siem]` section; `None` when the policy has none.
    pub siem: Option<Siem>,
    /// The `[[software]]` minimum versions, in file order.
    pub software: Vec<Software>,
    /// The `[integrity]` section; `None` when the policy has none.
    pub integrity: Option<Integrity>,
    /// The `[detection]` thresholds; the defaults when the section is absent.
    pub detection: Detection,
    /// The `[[aws_key_policies]]`, in file order.
    pub aws_key_policies: Vec<AwsKeyPolicy>,
    /// The `[[kms_keys]]`: keys held by a KMS (AWS KMS, Vault transit) whose lifecycle
    /// the audit logs record, in file order.
    pub kms_keys: Vec<KmsKey>,
}

#[derive(Debug, Clone, PartialEq)]
/// A `[[kms_keys]]` entry: a key that lives in a KMS, known to vigil only through the
/// audit logs that record its lifecycle.
pub struct KmsKey {
    /// Unique name, used in findings.
    pub name: String,
    /// AWS KMS key id or ARN, as CloudTrail records name it.
    pub aws_kms_key: Option<String>,
    /// Vault transit key, `MOUNT/NAME` (`transit/NAME` when given as a bare name).
    pub vault_transit_key: Option<String>,
    /// Cryptoperiod: a generation or rotation must be recorded within this many days.
    pub rotation_days: Option<u32>,
    /// Names of `[[audit_logs]]` sources that must each record the key's lifecycle
    /// events; empty: not checked.
    pub logs: Vec<String>,
}

impl KmsKey {
    /// Does the key a log names (`logged`: an id, ARN, alias or `MOUNT/NAME`) mean
    /// this key? An AWS key matches by ARN or by the key id the ARN ends with.
    pub fn is(&self, logged: &str) -> bool {
        let id_of = |s: &str| s.rsplit_once(":key/").map_or(s, |(_, id)| id).to_string();
        self.aws_kms_key
            .as_deref()
            .is_some_and(|k| k == logged || id_of(k) == id_of(logged))
            || self.vault_transit_key.as_deref() == Some(logged)
    }
}

/// XCCDF Value ids of the bundled benchmark that the policy's `[detection]` settings
/// feed (see [`Policy::xccdf_values`]).
pub mod value_ids {
    /// XCCDF Value set by `[detection] denied_threshold`.
    pub const DENIED_THRESHOLD: &str = "xccdf_dev.vigil_value_denied_threshold";
    /// XCCDF Value set by `[detection] window_minutes`.
    pub const WINDOW_MINUTES: &str = "xccdf_dev.vigil_value_denied_window_minutes";
    /// XCCDF Value set by `[detection] inactive_days`.
    pub const INACTIVE_DAYS: &str = "xccdf_dev.vigil_value_inactive_days";
    /// XCCDF Value set by `[detection] cert_warning_days`.
    pub const CERT_WARNING_DAYS: &str = "xccdf_dev.vigil_value_cert_warning_days";
    /// XCCDF Value set by `[detection] key_unused_days`.
    pub const KEY_UNUSED_DAYS: &str = "xccdf_dev.vigil_value_key_unused_days";
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
            (value_ids::KEY_UNUSED_DAYS, d.key_unused_days.to_string()),
        ]
    }

    /// The role named `name`; `None` when the policy has no such role.
    pub fn role(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }
}
