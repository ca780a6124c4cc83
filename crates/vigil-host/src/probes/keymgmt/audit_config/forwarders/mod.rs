//! The log forwarders `[siem] via` can name, each read from its configuration on the
//! scanned host (offline as well as live): where it sends events (host, port, protocol
//! and the file:line that says so) and whether its service is enabled. One file per
//! forwarder:
//!
//! - [`rsyslog`]: omfwd actions and `@`/`@@` selectors in /etc/rsyslog.conf and
//!   /etc/rsyslog.d/*.conf (rsyslog.conf(5), "Actions"); unit `rsyslog.service`.
//! - [`audisp`]: the au-remote plugin (`active`) and audisp-remote.conf's
//!   `remote_server`, `port`, `transport` (audisp-remote.conf(5)); enabled when the plugin
//!   is active and `auditd.service` is.
//! - [`syslog_ng`]: `network()`, `syslog()`, `tcp()`, `udp()` (and `tcp6`, `udp6`)
//!   destination drivers used by a `log` path, in /etc/syslog-ng/syslog-ng.conf and
//!   /etc/syslog-ng/conf.d/*.conf (syslog-ng OSE administration guide, "destination");
//!   unit `syslog-ng.service`.
//! - [`journal_upload`]: `[Upload] URL=` of /etc/systemd/journal-upload.conf and its
//!   `.d/*.conf` drop-ins (journal-upload.conf(5)); unit
//!   `systemd-journal-upload.service`.
//! - [`fluent_bit`]: `[OUTPUT]` sections with `Host`/`Port` of /etc/fluent-bit/*.conf
//!   (and their `@INCLUDE`s), `pipeline.outputs` of /etc/fluent-bit/*.yaml; unit
//!   `fluent-bit.service`.
//! - [`vector`]: `sinks` with `address`, `endpoint(s)` or `uri` in /etc/vector/*.toml
//!   and *.yaml; unit `vector.service`.
//! - [`vault`]: Vault audit devices of type `socket` (their `address`) and `syslog`
//!   (which go wherever the host's rsyslog or syslog-ng sends them), read from the saved
//!   output of `vault audit list -format=json -detailed` that `[siem]
//!   vault_audit_list` names: no file of the host says which devices Vault has enabled.
//!
//! Whether a unit is enabled is read from the systemd `*.wants/` links
//! ([`units::enabled`]); whether it runs now is not read (that would need the live
//! host's service manager).

pub mod audisp;
pub mod fluent_bit;
pub mod journal_upload;
pub mod rsyslog;
pub mod syslog_ng;
pub mod units;
pub mod vault;
pub mod vector;

use std::path::Path;

use crate::policy::{FORWARDERS, Siem};
use crate::probes::Context;

/// Where a forwarder sends events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Host name or address (a Unix socket's path for `vault-socket` over `unix`).
    pub host: String,
    /// The port, the forwarder's default filled in when the configuration names none;
    /// `None` when there is no default to fill in.
    pub port: Option<u16>,
    /// `tcp`, `udp`, `tls`, `relp`, `http`, `https`, or the output plugin's name.
    pub protocol: String,
    /// `file:line` of the setting (or what the target was read from).
    pub source: String,
}

impl Target {
    /// False for loopback, the unspecified address and local sockets: events sent there
    /// stay on the host.
    pub fn off_host(&self) -> bool {
        let h = self.host.trim_matches(['[', ']']).to_ascii_lowercase();
        !(h.is_empty()
            || h.starts_with('/')
            || h == "localhost"
            || h.ends_with(".localhost")
            || h == "::1"
            || h == "::"
            || h == "0.0.0.0"
            || h.starts_with("127.")
            || self.protocol == "unix")
    }

    /// Does it go to the policy's SIEM host (case-insensitive) and, when the policy
    /// names one, port?
    pub fn matches(&self, siem: &Siem) -> bool {
        let h = self.host.trim_matches(['[', ']']);
        h.eq_ignore_ascii_case(siem.host.trim_matches(['[', ']']))
            && siem.port.is_none_or(|p| self.port == Some(p))
    }

    /// `host:port/protocol (source)`, as items show it.
    pub fn describe(&self) -> String {
        let host = if self.host.contains(':') && !self.host.starts_with('[') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!(
            "{host}{}/{} ({})",
            self.port.map(|p| format!(":{p}")).unwrap_or_default(),
            self.protocol,
            self.source
        )
    }
}

/// What vigil read of one forwarder.
#[derive(Debug, Clone, Default)]
pub struct Forwarder {
    /// Its name in `[siem] via`.
    pub name: &'static str,
    /// It has configuration that sends events somewhere (a target, even a local one).
    pub configured: bool,
    /// Its service is enabled; `None` when that cannot be read (no systemd unit
    /// directory on the host).
    pub enabled: Option<bool>,
    /// Every destination it sends to.
    pub targets: Vec<Target>,
    /// Files that exist but could not be read (too large, not regular, I/O error):
    /// with them the answer is not known.
    pub unreadable: Vec<String>,
    /// Other facts worth showing (e.g. the au-remote plugin's `active`).
    pub extra: Vec<(&'static str, String)>,
}

impl Forwarder {
    /// It sends to at least one target off the host.
    pub fn forwards_off_host(&self) -> bool {
        self.targets.iter().any(Target::off_host)
    }

    /// It sends to the policy's SIEM.
    pub fn forwards_to(&self, siem: &Siem) -> bool {
        self.targets.iter().any(|t| t.matches(siem))
    }
}

/// Reads one forwarder (a name of [`FORWARDERS`]) from the host.
pub fn inspect(ctx: &Context, name: &str, siem: Option<&Siem>) -> Forwarder {
    let mut reader = Reader::new(ctx);
    let mut f = match name {
        "rsyslog" => rsyslog::inspect(&mut reader),
        "audisp-remote" => audisp::inspect(&mut reader),
        "syslog-ng" => syslog_ng::inspect(&mut reader),
        "systemd-journal-upload" => journal_upload::inspect(&mut reader),
        "fluent-bit" => fluent_bit::inspect(&mut reader),
        "vector" => vector::inspect(&mut reader),
        "vault-socket" | "vault-syslog" => vault::inspect(
            &mut reader,
            name,
            siem.and_then(|s| s.vault_audit_list.as_deref()),
        ),
        _ => Forwarder::default(),
    };
    f.name = FORWARDERS
        .iter()
        .find(|n| **n == name)
        .copied()
        .unwrap_or("unknown");
    f.unreadable.extend(reader.unreadable);
    f
}

/// The forwarders vigil can read on this host without site facts: all but the Vault
/// audit devices, which need `[siem] vault_audit_list`.
pub fn readable(siem: Option<&Siem>) -> Vec<&'static str> {
    FORWARDERS
        .iter()
        .copied()
        .filter(|n| !n.starts_with("vault-") || siem.is_some_and(|s| s.vault_audit_list.is_some()))
        .collect()
}

/// Reads configuration files of the host, capped at the scan's file size, and keeps
/// the names of those that exist but cannot be read.
pub struct Reader<'a> {
    pub(crate) ctx: &'a Context,
    unreadable: Vec<String>,
}

impl<'a> Reader<'a> {
    /// A reader of `ctx`'s host.
    pub fn new(ctx: &'a Context) -> Reader<'a> {
        Reader {
            ctx,
            unreadable: Vec::new(),
        }
    }

    /// The last unreadable file's reason, taken out of the list.
    pub fn take_unreadable(&mut self) -> Option<String> {
        self.unreadable.pop()
    }

    /// The text of `path` (lossily UTF-8); `None` when it does not exist or cannot be
    /// read (then remembered in [`Forwarder::unreadable`]).
    pub fn text(&mut self, path: &str) -> Option<String> {
        match self
            .ctx
            .host
            .read_file(Path::new(path), self.ctx.max_file_size)
        {
            Ok(Some(d)) => Some(String::from_utf8_lossy(&d).into_owned()),
            Ok(None) => None,
            Err(e) => {
                self.unreadable.push(format!("{path}: {e}"));
                None
            }
        }
    }

    /// Files of directory `dir` ending in one of `suffixes`, sorted.
    pub fn dir_files(&self, dir: &str, suffixes: &[&str]) -> Vec<String> {
        super::dir_files(self.ctx, dir, "")
            .into_iter()
            .filter(|n| suffixes.iter().any(|s| n.ends_with(s)))
            .collect()
    }

    /// Is `unit` enabled ([`units::enabled`])?
    pub fn unit_enabled(&self, unit: &str) -> Option<bool> {
        units::enabled(self.ctx, unit)
    }
}

/// `host:port`, `[v6]:port`, `host` or a bare IPv6 address split into host and port.
pub(crate) fn split_host_port(s: &str) -> (String, Option<u16>) {
    let s = s.trim();
    if let Some(rest) = s.strip_prefix('[')
        && let Some((h, after)) = rest.split_once(']')
    {
        return (
            h.to_string(),
            after.strip_prefix(':').and_then(|p| p.parse().ok()),
        );
    }
    match s.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h.to_string(), p.parse().ok()),
        _ => (s.to_string(), None),
    }
}

/// A URL's scheme, host and port (the scheme's default port when none is given:
/// `default_port` for the scheme `None` case).
pub(crate) fn parse_url(url: &str, default_scheme: &str) -> (String, String, Option<u16>) {
    let url = url.trim();
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => (default_scheme.to_string(), url),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    let (host, port) = split_host_port(authority);
    (scheme, host, port)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(host: &str, port: Option<u16>) -> Target {
        Target {
            host: host.into(),
            port,
            protocol: "tcp".into(),
            source: "f:1".into(),
        }
    }

    #[test]
    fn off_host_and_policy_match() {
        assert!(t("siem.example.net", None).off_host());
        for local in ["localhost", "127.0.0.1", "::1", "/run/log.sock", "[::1]"] {
            assert!(!t(local, None).off_host(), "{local}");
        }
        let siem = Siem {
            host: "SIEM.example.net".into(),
            port: Some(6514),
            via: vec![],
            vault_audit_list: None,
        };
        assert!(t("siem.example.net", Some(6514)).matches(&siem));
        assert!(!t("siem.example.net", Some(514)).matches(&siem));
        assert!(!t("siem.example.net", None).matches(&siem));
        assert_eq!(
            t("fd00::5", Some(6514)).describe(),
            "[fd00::5]:6514/tcp (f:1)"
        );
    }

    #[test]
    fn hosts_ports_and_urls() {
        assert_eq!(split_host_port("a:1"), ("a".into(), Some(1)));
        assert_eq!(split_host_port("[fd00::1]:2"), ("fd00::1".into(), Some(2)));
        assert_eq!(split_host_port("fd00::1"), ("fd00::1".into(), None));
        assert_eq!(
            parse_url("https://u:p@logs.example:8443/x?y", "http"),
            ("https".into(), "logs.example".into(), Some(8443))
        );
        assert_eq!(
            parse_url("logs.example", "https"),
            ("https".into(), "logs.example".into(), None)
        );
    }
}
