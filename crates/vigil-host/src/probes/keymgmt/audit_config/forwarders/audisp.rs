//! audisp-remote (audisp-remote.conf(5)): the au-remote plugin of auditd
//! (/etc/audit/plugins.d/au-remote.conf, or /etc/audisp/plugins.d on audit 2.x) with
//! `active = yes`, sending to audisp-remote.conf's `remote_server` on `port` (default
//! 60) over `transport` (`tcp`, the default, or `krb5`). It runs as part of auditd, so
//! it is enabled when the plugin is active and `auditd.service` is enabled.

use super::{Forwarder, Reader, Target};

/// audisp-remote's default port (audisp-remote.conf(5)).
const DEFAULT_PORT: u16 = 60;

/// The value of `key = value` in `text`, with its 1-based line.
fn kv(text: &str, key: &str) -> Option<(String, usize)> {
    text.lines().enumerate().find_map(|(i, l)| {
        let l = l.split('#').next().unwrap_or("");
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| (v.trim().to_string(), i + 1))
    })
}

/// audisp-remote as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let plugin_paths = [
        "/etc/audit/plugins.d/au-remote.conf",
        "/etc/audisp/plugins.d/au-remote.conf",
    ];
    let conf_paths = [
        "/etc/audit/audisp-remote.conf",
        "/etc/audisp/audisp-remote.conf",
    ];
    let plugin = plugin_paths.iter().find_map(|p| r.text(p));
    let conf = conf_paths.iter().find_map(|p| r.text(p).map(|t| (*p, t)));
    let active = plugin
        .as_deref()
        .and_then(|p| kv(p, "active"))
        .is_some_and(|(a, _)| a.eq_ignore_ascii_case("yes"));
    let mut targets = Vec::new();
    if let Some((path, text)) = &conf
        && let Some((server, line)) = kv(text, "remote_server").filter(|(s, _)| !s.is_empty())
    {
        let port = kv(text, "port").and_then(|(p, _)| p.parse().ok());
        let protocol = kv(text, "transport")
            .map(|(t, _)| t.to_ascii_lowercase())
            .unwrap_or_else(|| "tcp".into());
        targets.push(Target {
            host: server,
            port: Some(port.unwrap_or(DEFAULT_PORT)),
            protocol,
            source: format!("{path}:{line}"),
        });
    }
    let enabled = if active {
        r.unit_enabled("auditd.service")
    } else {
        Some(false)
    };
    Forwarder {
        configured: !targets.is_empty(),
        enabled,
        targets,
        extra: vec![(
            "plugin_active",
            crate::probes::keymgmt::bool_str(active).into(),
        )],
        ..Forwarder::default()
    }
}
