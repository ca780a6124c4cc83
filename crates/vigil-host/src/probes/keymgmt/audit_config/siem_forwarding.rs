//! `siem_forwarding_object`: one item per forwarder the policy's `[siem] via` names —
//! `rsyslog` (omfwd actions and `@`/`@@` selectors in /etc/rsyslog.conf and
//! /etc/rsyslog.d/*.conf) or `audisp-remote` (the au-remote plugin's `active` and
//! audisp-remote.conf's `remote_server`) — with `forwards_to_policy_target`.

use super::{dir_files, read_text};
use crate::probes::keymgmt::{bool_str, policy};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `(host, port, file:line)` of every rsyslog forwarding action.
pub fn rsyslog_targets(files: &[(String, String)]) -> Vec<(String, Option<u16>, String)> {
    let mut out = Vec::new();
    for (file, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let t = lines[i].split('#').next().unwrap_or("").trim();
            let lineno = i + 1;
            if t.contains("action(") {
                // RainerScript: the action may span lines until its closing parenthesis.
                let mut block = t.to_string();
                while !block.contains(')') && i + 1 < lines.len() {
                    i += 1;
                    block.push(' ');
                    block.push_str(lines[i].split('#').next().unwrap_or("").trim());
                }
                let param = |name: &str| {
                    let re = format!("{name}=\"");
                    block.find(&re).map(|s| {
                        let rest = &block[s + re.len()..];
                        rest[..rest.find('"').unwrap_or(rest.len())].to_string()
                    })
                };
                if param("type").as_deref() == Some("omfwd")
                    && let Some(target) = param("target")
                {
                    let port = param("port").and_then(|p| p.parse().ok());
                    out.push((target, port, format!("{file}:{lineno}")));
                }
            } else if let Some(sel_end) = t.find(char::is_whitespace) {
                let dest = t[sel_end..].trim();
                if let Some(rest) = dest.strip_prefix('@') {
                    let rest = rest.trim_start_matches('@').trim_start_matches("(o)");
                    let rest = rest.split(';').next().unwrap_or(rest);
                    let (host, port) = match rest.rsplit_once(':') {
                        Some((h, p)) if !h.contains(']') || h.ends_with(']') => {
                            (h.trim_matches(['[', ']']).to_string(), p.parse().ok())
                        }
                        _ => (rest.to_string(), None),
                    };
                    out.push((host, port, format!("{file}:{lineno}")));
                }
            }
            i += 1;
        }
    }
    out
}

fn kv(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let l = l.split('#').next().unwrap_or("");
        let (k, v) = l.split_once('=')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// The probe of `siem_forwarding_object` (vigil family): which forwarders (rsyslog,
/// audisp-remote) send to the policy's `[siem]` host.
pub struct SiemForwardingProbe;

impl Probe<Context> for SiemForwardingProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["siem_forwarding_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let Some(siem) = &pol.siem else {
            return Collected::with_flag(
                crate::probes::Flag::NotApplicable,
                "the site policy names no [siem]",
            );
        };
        let mut items = ctx.sink(ctx.deadline());
        for via in &siem.via {
            let mut item = Item::new()
                .field("forwarder", via.as_str())
                .field("siem_host", siem.host.as_str());
            if let Some(p) = siem.port {
                item.push("siem_port", p.to_string());
            }
            let mut to_policy = false;
            if via == "rsyslog" {
                let mut names = vec!["/etc/rsyslog.conf".to_string()];
                names.extend(dir_files(ctx, "/etc/rsyslog.d", ".conf"));
                let files: Vec<(String, String)> = names
                    .into_iter()
                    .filter_map(|n| read_text(ctx, &n).map(|t| (n, t)))
                    .collect();
                let targets = rsyslog_targets(&files);
                item.push("configured", bool_str(!targets.is_empty()));
                for (host, port, src) in &targets {
                    item.push(
                        "target",
                        format!(
                            "{host}{} ({src})",
                            port.map(|p| format!(":{p}")).unwrap_or_default()
                        ),
                    );
                    if host == &siem.host
                        && (siem.port.is_none()
                            || *port == siem.port
                            || port.is_none() && siem.port == Some(514))
                    {
                        to_policy = true;
                    }
                }
            } else {
                let plugin = read_text(ctx, "/etc/audit/plugins.d/au-remote.conf")
                    .or_else(|| read_text(ctx, "/etc/audisp/plugins.d/au-remote.conf"));
                let conf = read_text(ctx, "/etc/audit/audisp-remote.conf")
                    .or_else(|| read_text(ctx, "/etc/audisp/audisp-remote.conf"));
                let active = plugin
                    .as_deref()
                    .and_then(|p| kv(p, "active"))
                    .is_some_and(|a| a == "yes");
                let server = conf
                    .as_deref()
                    .and_then(|c| kv(c, "remote_server"))
                    .filter(|s| !s.is_empty());
                let port = conf
                    .as_deref()
                    .and_then(|c| kv(c, "port"))
                    .and_then(|p| p.parse::<u16>().ok());
                item.push("plugin_active", bool_str(active));
                item.push("configured", bool_str(active && server.is_some()));
                if let Some(s) = &server {
                    item.push(
                        "target",
                        format!("{s}{}", port.map(|p| format!(":{p}")).unwrap_or_default()),
                    );
                    to_policy = active
                        && s == &siem.host
                        && (siem.port.is_none() || port.is_none_or(|p| Some(p) == siem.port));
                }
            }
            item.push("forwards_to_policy_target", bool_str(to_policy));
            let _ = items.push(item);
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsyslog_forwarding_forms() {
        let files = vec![(
            "/etc/rsyslog.d/60-siem.conf".to_string(),
            "*.* @@siem.example.net:6514\n# *.* @old.example:514\nauth.* @10.0.0.5\naction(type=\"omfwd\"\n  target=\"siem2.example.net\" port=\"10514\" protocol=\"tcp\")\n".to_string(),
        )];
        let t = rsyslog_targets(&files);
        assert_eq!(t.len(), 3);
        assert_eq!((t[0].0.as_str(), t[0].1), ("siem.example.net", Some(6514)));
        assert_eq!((t[1].0.as_str(), t[1].1), ("10.0.0.5", None));
        assert_eq!(
            (t[2].0.as_str(), t[2].1, t[2].2.as_str()),
            (
                "siem2.example.net",
                Some(10514),
                "/etc/rsyslog.d/60-siem.conf:4"
            )
        );
    }
}
