//! KMS audit logs (CCM LOG-09, LOG-10, LOG-11; NIST SP 800-130 FR:8.10-8.12). The three
//! formats the site policy names are parsed into one [`Event`] model, one module each:
//!
//! - [`auditd`]: audit.log records grouped by `msg=audit(SECONDS.MS:SERIAL)`;
//! - [`vault`]: Vault file audit device JSON lines, a request and its response grouped
//!   by `request.id`;
//! - [`cloudtrail`]: CloudTrail `{"Records": [...]}` documents or one record per line.
//!
//! [`retention`] says how long the host keeps each log (auditd.conf, logrotate). The
//! objects (vigil family), one module each:
//!
//! - [`audit_log`], `audit_log_object`: per source — presence, ownership, mode,
//!   append-only flag, freshness, records missing a required field, Vault raw-mode
//!   records, retention;
//! - [`audit_event`], `audit_event_object`: denied events per identity with the busiest
//!   window, or every destructive lifecycle event with whether the policy allows it;
//! - [`role_activity`], `role_activity_object`: last recorded activity of each role
//!   member;
//! - [`log_secret`], `log_secret_object`: private-key blocks and PINs written to log
//!   files;
//! - [`cloudtrail_digest`], `cloudtrail_digest_object`, and [`cloudtrail_log_file`],
//!   `cloudtrail_log_file_object`: the proof that a CloudTrail log is whole — digest
//!   chain, signatures and log-file hashes, read and checked by [`digest`];
//! - [`vault_devices`], `vault_audit_devices_object`: two Vault audit devices hold the
//!   same records.
//!
//! This module holds what they share: the event model, and reading a source with its
//! rotated files (`source_events`).

pub mod audit_event;
pub mod audit_log;
pub mod auditd;
pub mod cloudtrail;
pub mod cloudtrail_digest;
pub mod cloudtrail_log_file;
pub mod digest;
pub mod lifecycle;
pub mod log_secret;
pub mod retention;
pub mod role_activity;
pub mod vault;
pub mod vault_devices;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

use crate::host::HostFile;
use crate::host::accounts::Accounts;
use crate::policy::{AuditLog, LogFormat, Policy};
use crate::probes::Context;

pub use audit_event::{AuditEventProbe, busiest_window};
pub use audit_log::AuditLogProbe;
pub use auditd::parse_auditd;
pub use cloudtrail::parse_cloudtrail;
pub use cloudtrail_digest::CloudtrailDigestProbe;
pub use cloudtrail_log_file::CloudtrailLogFileProbe;
pub use lifecycle::KeyLifecycleProbe;
pub use log_secret::LogSecretProbe;
pub use retention::{Retention, logrotate_retention};
pub use role_activity::RoleActivityProbe;
pub use vault::parse_vault;
pub use vault_devices::VaultAuditDevicesProbe;

/// Longest record text kept as evidence.
pub(crate) const MAX_EVIDENCE: usize = 2000;
/// Evidence records kept per item.
pub(crate) const MAX_RECORDS: usize = 20;

/// One audit event, normalised across formats.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Event {
    /// 1-based line of the event's first record.
    pub line: usize,
    /// The event's type: auditd record type (`SYSCALL` preferred), Vault `<operation>
    /// <path>` (else the record `type`), CloudTrail `eventName`; `None` when the record
    /// has none (a FR:8.11 gap).
    pub event_type: Option<String>,
    /// When it happened, seconds since the Unix epoch (UTC); `None` when the record has
    /// no readable time.
    pub time: Option<i64>,
    /// Who acted, as logged: IAM ARN (CloudTrail), Vault user name or display name, Unix
    /// user name from `auid` (auditd); `None` when not recorded.
    pub identity: Option<String>,
    /// Vault policies of the token (for role activity).
    pub policies: Vec<String>,
    /// `success` or `failure`.
    pub outcome: Option<String>,
    /// The request was refused (permission denied, `AccessDenied`, Vault `permission
    /// denied`).
    pub denied: bool,
    /// Lifecycle action: CloudTrail eventName, Vault `<operation> <path>`,
    /// `DeleteKeyFile` for auditd deletions of key files.
    pub action: Option<String>,
    /// deletion, disable, policy_change, audit_change.
    pub destructive: Option<&'static str>,
    /// A Vault record carries a client token in clear (raw mode).
    pub raw_secret: bool,
    /// A Vault record carries a client token at all (HMAC'd or in clear): only such a
    /// record can show whether the device runs in raw mode.
    pub carries_token: bool,
    /// Vault: the request used a root token (`root_token`: a token with the `root`
    /// policy) or works on root-token generation (`generate_root`: `sys/generate-root`
    /// and `sys/replication/*/generate-root` paths); HashiCorp's hardening guide asks
    /// for both to be rare and watched.
    pub root_activity: Option<&'static str>,
    /// The event's record lines, each clipped to 2000 bytes, as evidence.
    pub records: Vec<String>,
    /// The key the event is about, as the log names it: a KMS key ARN or id
    /// (CloudTrail), `MOUNT/NAME` of a Vault transit key, a key file path (auditd).
    pub key: Option<String>,
    /// Where in the key's lifecycle the event falls, for a successful key event.
    pub stage: Option<Stage>,
    /// The log's own id of the event (CloudTrail `eventID`, Vault `request.id`), so
    /// two logs of the same events can be compared.
    pub record_id: Option<String>,
}

/// A step of a key's lifecycle (NIST SP 800-57 Part 1 §7: generation, use, rotation,
/// suspension, destruction), as the audit logs record it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Key (material) created: CloudTrail `CreateKey`/`ImportKeyMaterial`, Vault
    /// `create`/`update` of `MOUNT/keys/NAME`.
    Generated,
    /// New key version: CloudTrail `RotateKey`, Vault `MOUNT/keys/NAME/rotate`.
    Rotated,
    /// A cryptographic operation with the key (encrypt, decrypt, sign, data keys, ...).
    Used,
    /// The key's policy, grants or configuration changed.
    PolicyChanged,
    /// Disabled (CloudTrail `DisableKey`): it must not be used until enabled.
    Disabled,
    /// Enabled again (CloudTrail `EnableKey`).
    Enabled,
    /// Deletion scheduled (CloudTrail `ScheduleKeyDeletion`): no use is legitimate.
    DeletionScheduled,
    /// Scheduled deletion cancelled (`CancelKeyDeletion`).
    DeletionCancelled,
    /// Destroyed: Vault `delete MOUNT/keys/NAME`, key material deleted, key file deleted.
    Destroyed,
    /// Exported out of the KMS (Vault `MOUNT/export/...`).
    Exported,
}

impl Stage {
    /// The word reports and item fields use.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Generated => "generated",
            Stage::Rotated => "rotated",
            Stage::Used => "used",
            Stage::PolicyChanged => "policy_changed",
            Stage::Disabled => "disabled",
            Stage::Enabled => "enabled",
            Stage::DeletionScheduled => "deletion_scheduled",
            Stage::DeletionCancelled => "deletion_cancelled",
            Stage::Destroyed => "destroyed",
            Stage::Exported => "exported",
        }
    }
}

impl Event {
    /// The record fields SP 800-130 FR:8.11 requires that the event lacks.
    pub(crate) fn missing(&self) -> Vec<&'static str> {
        let mut m = Vec::new();
        if self.event_type.is_none() {
            m.push("event type");
        }
        if self.time.is_none() {
            m.push("date and time");
        }
        if self.identity.is_none() {
            m.push("identity");
        }
        if self.outcome.is_none() {
            m.push("outcome");
        }
        m
    }
}

/// `s`, cut to [`MAX_EVIDENCE`] bytes (on a character boundary) for an item field.
pub(crate) fn clip(s: &str) -> String {
    if s.len() <= MAX_EVIDENCE {
        return s.to_string();
    }
    let mut end = MAX_EVIDENCE;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

/// Parsed log: events and lines that are not records of the format.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Every event, in log order.
    pub events: Vec<Event>,
    /// 1-based line numbers of lines that are not records of the format.
    pub unparsable: Vec<usize>,
}

/// What the parsers need to know about the site.
pub struct ParseContext<'a> {
    /// The host's accounts, to name auditd `auid`s.
    pub accounts: &'a Accounts,
    /// Declared key paths and key directories (auditd deletions of these are lifecycle
    /// events).
    pub key_paths: Vec<String>,
}

/// The string at `path` in a JSON record (Vault and CloudTrail), if it is a non-empty
/// string.
fn jstr<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str().filter(|s| !s.is_empty())
}

/// Reads a log of `format` into events (dispatches to [`parse_auditd`], [`parse_vault`],
/// [`parse_cloudtrail`]).
pub fn parse(format: LogFormat, text: &str, pc: &ParseContext) -> Parsed {
    match format {
        LogFormat::Auditd => parse_auditd(text, pc),
        LogFormat::Vault => parse_vault(text),
        LogFormat::Cloudtrail => parse_cloudtrail(text),
    }
}

/// Rotated siblings of a log (`audit.log.1`, `audit.log.2`, ...), oldest last; compressed
/// ones are not read.
fn rotated(ctx: &Context, path: &str) -> Vec<HostFile> {
    let mut out = Vec::new();
    for i in 1..=1000 {
        match ctx.host.resolve(Path::new(&format!("{path}.{i}"))) {
            Ok(Some(f)) if f.meta.file_type().is_file() => out.push(f),
            _ => break,
        }
    }
    out
}

/// What the parsers need of `pol` and the host's accounts.
pub(crate) fn parse_context<'a>(pol: &Policy, acc: &'a Accounts) -> ParseContext<'a> {
    let mut key_paths: Vec<String> = pol.keys.iter().filter_map(|k| k.path.clone()).collect();
    key_paths.extend(pol.key_directories.iter().cloned());
    ParseContext {
        accounts: acc,
        key_paths,
    }
}

/// One source read and parsed: the current file (`None` when it does not exist), its
/// events, and the events of its rotated files, newest first.
#[derive(Debug)]
pub(crate) struct SourceEvents {
    pub file: Option<HostFile>,
    pub current: Parsed,
    pub old: Vec<Parsed>,
}

impl SourceEvents {
    /// Every event, the rotated files' (oldest file first) then the current file's.
    pub(crate) fn all(&self) -> impl Iterator<Item = &Event> {
        self.old
            .iter()
            .rev()
            .chain(std::iter::once(&self.current))
            .flat_map(|p| p.events.iter())
    }
}

/// The audit-log sources a scan has read, by path and format, so that each log is read
/// and parsed once per scan however many objects look at it (a dozen rules of the
/// bundled benchmark read the same audit.log). The parse depends only on the policy and
/// the host's accounts, which are fixed for a scan's [`Context`].
#[derive(Debug, Default)]
pub struct SourceCache {
    sources: Mutex<HashMap<SourceKey, Arc<OnceLock<SourceRead>>>>,
}

type SourceRead = Result<Arc<SourceEvents>, String>;
/// A source's path and format.
type SourceKey = (String, &'static str);

/// The events of one source (current file and rotated ones), or why it cannot be read;
/// read on the first call of a scan and shared afterwards ([`SourceCache`]).
pub(crate) fn source_events(ctx: &Context, src: &AuditLog, pc: &ParseContext) -> SourceRead {
    let cell = {
        let mut map = ctx
            .audit_logs
            .sources
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        map.entry((src.path.clone(), src.format.as_str()))
            .or_default()
            .clone()
    };
    // Outside the map's lock: two probes wanting the same log wait for one read, two
    // wanting different logs read in parallel.
    cell.get_or_init(|| read_source(ctx, src, pc).map(Arc::new))
        .clone()
}

fn read_source(ctx: &Context, src: &AuditLog, pc: &ParseContext) -> Result<SourceEvents, String> {
    let Some(f) = ctx
        .host
        .resolve(Path::new(&src.path))
        .map_err(|e| format!("{}: {e}", src.path))?
    else {
        return Ok(SourceEvents {
            file: None,
            current: Parsed::default(),
            old: Vec::new(),
        });
    };
    let data = f.read(ctx.max_file_size).map_err(|e| e.to_string())?;
    let current = parse(src.format, &String::from_utf8_lossy(&data), pc);
    let mut old = Vec::new();
    for r in rotated(ctx, &src.path) {
        if let Ok(d) = r.read(ctx.max_file_size) {
            old.push(parse(src.format, &String::from_utf8_lossy(&d), pc));
        }
    }
    Ok(SourceEvents {
        file: Some(f),
        current,
        old,
    })
}
