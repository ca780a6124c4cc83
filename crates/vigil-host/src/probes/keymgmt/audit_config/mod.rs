//! Audit forwarding and audit rules against the site policy (CCM LOG-09, LOG-11; NIST
//! SP 800-130 FR:8.12, FR:8.14), one module per object:
//!
//! - [`siem_forwarding`], `siem_forwarding_object` and `forwarder_object`: the log
//!   forwarders that apply (those `[siem] via` names, else every one configured on the
//!   host), read by [`forwarders`] (rsyslog, audisp-remote, syslog-ng,
//!   systemd-journal-upload, Fluent Bit, Vector, Vault socket and syslog audit
//!   devices), with `forwards_to_policy_target` and `forwards_off_host`.
//! - [`audit_watch`], `audit_watch_object` (entity `target` = keys | kms_config): one
//!   item per declared key file, key directory or integrity-monitored path, `watched`
//!   when an auditd rule (`-w`, or `-F path=` / `-F dir=` on an exit rule) covers it
//!   with the permissions needed (read and write for keys, write for configuration).

pub mod audit_watch;
pub mod forwarders;
pub mod siem_forwarding;

use std::path::Path;

use crate::probes::Context;

pub use audit_watch::{AuditWatchProbe, Watch, parse_audit_rules};
pub use forwarders::rsyslog::rsyslog_targets;
pub use siem_forwarding::{ForwarderProbe, SiemForwardingProbe};

/// The text of a host file (lossily UTF-8), if it can be read.
pub(crate) fn read_text(ctx: &Context, p: &str) -> Option<String> {
    ctx.host
        .read_file(Path::new(p), 16 << 20)
        .ok()
        .flatten()
        .map(|d| String::from_utf8_lossy(&d).to_string())
}

/// Files of a `.d` directory with the given suffix, sorted.
pub(crate) fn dir_files(ctx: &Context, dir: &str, suffix: &str) -> Vec<String> {
    match ctx.host.resolve(Path::new(dir)) {
        Ok(Some(f)) if f.meta.is_dir() => f
            .list_dir()
            .unwrap_or_default()
            .into_iter()
            .map(|n| n.to_string_lossy().to_string())
            .filter(|n| n.ends_with(suffix))
            .map(|n| format!("{dir}/{n}"))
            .collect(),
        _ => Vec::new(),
    }
}
