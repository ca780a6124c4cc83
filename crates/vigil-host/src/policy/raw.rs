//! The policy file as written: the TOML document deserialised as it stands, with the
//! spans ([`Spanned`]) that let validation name the line and column of a bad value.
//! Unknown fields are refused here (`deny_unknown_fields`), so a misspelt key is an
//! error rather than a setting silently ignored. [`super::validate`] turns it into the
//! model.

use serde::Deserialize;
use toml::Spanned;

use super::model::{KeyAlgorithm, KeyState, LogFormat, RoleKind};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(default)]
    pub(super) site: Option<RawSite>,
    #[serde(default)]
    pub(super) roles: Vec<RawRole>,
    #[serde(default)]
    pub(super) separation: Vec<RawSeparation>,
    #[serde(default)]
    pub(super) keys: Vec<Spanned<RawKey>>,
    #[serde(default)]
    pub(super) scan: Option<RawScan>,
    #[serde(default)]
    pub(super) audit_logs: Vec<RawAuditLog>,
    #[serde(default)]
    pub(super) siem: Option<RawSiem>,
    #[serde(default)]
    pub(super) software: Vec<Spanned<RawSoftware>>,
    #[serde(default)]
    pub(super) integrity: Option<RawIntegrity>,
    #[serde(default)]
    pub(super) detection: Option<RawDetection>,
    #[serde(default)]
    pub(super) aws_key_policies: Vec<RawAwsKeyPolicy>,
    #[serde(default)]
    pub(super) kms_keys: Vec<Spanned<RawKmsKey>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKmsKey {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) aws_kms_key: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) vault_transit_key: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) rotation_days: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) logs: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSite {
    pub(super) name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRole {
    pub(super) name: Spanned<String>,
    pub(super) kind: RoleKind,
    #[serde(default)]
    pub(super) description: String,
    #[serde(default)]
    pub(super) unix_users: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) unix_groups: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) vault_policies: Vec<String>,
    #[serde(default)]
    pub(super) aws_principals: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) forbidden_commands: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeparation {
    pub(super) roles: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) reason: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawKey {
    pub(super) name: Spanned<String>,
    #[serde(default)]
    pub(super) path: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) pkcs11: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) certificate: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) spki_sha256: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) algorithm: Option<KeyAlgorithm>,
    #[serde(default)]
    pub(super) min_size: Option<u32>,
    #[serde(default)]
    pub(super) owner: Option<String>,
    #[serde(default)]
    pub(super) group: Option<String>,
    #[serde(default)]
    pub(super) mode: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) acl: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) created: Option<Spanned<toml::value::Datetime>>,
    #[serde(default)]
    pub(super) max_age_days: Option<u32>,
    #[serde(default)]
    pub(super) state: Option<KeyState>,
    #[serde(default)]
    pub(super) operational: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawScan {
    #[serde(default)]
    pub(super) key_directories: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) log_paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) inventory: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuditLog {
    pub(super) name: Spanned<String>,
    pub(super) format: LogFormat,
    pub(super) path: Spanned<String>,
    pub(super) retention_days: u32,
    pub(super) max_silence: Spanned<String>,
    #[serde(default)]
    pub(super) owner: Option<String>,
    #[serde(default)]
    pub(super) group: Option<String>,
    #[serde(default)]
    pub(super) mode: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) append_only: Option<bool>,
    #[serde(default)]
    pub(super) digest_directory: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) digest_public_keys: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSiem {
    pub(super) host: Spanned<String>,
    #[serde(default)]
    pub(super) port: Option<u16>,
    #[serde(default)]
    pub(super) via: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) vault_audit_list: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSoftware {
    pub(super) name: String,
    #[serde(default)]
    pub(super) package: Option<String>,
    #[serde(default)]
    pub(super) min_version: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) min_upstream: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) version_file: Option<Spanned<String>>,
    #[serde(default)]
    pub(super) required: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIntegrity {
    pub(super) baseline: Spanned<String>,
    pub(super) paths: Vec<Spanned<String>>,
    #[serde(default)]
    pub(super) public_key: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDetection {
    #[serde(default)]
    pub(super) denied_threshold: Option<u32>,
    #[serde(default)]
    pub(super) window_minutes: Option<Spanned<u32>>,
    #[serde(default)]
    pub(super) inactive_days: Option<u32>,
    #[serde(default)]
    pub(super) cert_warning_days: Option<u32>,
    #[serde(default)]
    pub(super) key_unused_days: Option<u32>,
    #[serde(default)]
    pub(super) allow: Vec<RawAllow>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllow {
    pub(super) identity: String,
    pub(super) action: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAwsKeyPolicy {
    pub(super) key_id: String,
    pub(super) path: Spanned<String>,
}
