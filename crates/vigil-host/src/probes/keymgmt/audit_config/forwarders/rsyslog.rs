//! rsyslog (rsyslog.conf(5)): `action(type="omfwd" target= port= protocol=)` in
//! RainerScript (parameter names are case-insensitive) and the legacy `@host[:port]`
//! (UDP) and `@@host[:port]` (TCP) selector actions, in /etc/rsyslog.conf and
//! /etc/rsyslog.d/*.conf. The port omfwd uses when none is given is 514.

use super::{Forwarder, Reader, Target, split_host_port};

/// rsyslog's default forwarding port.
const DEFAULT_PORT: u16 = 514;

/// Every forwarding action of `files` (`(name, text)`).
pub fn rsyslog_targets(files: &[(String, String)]) -> Vec<Target> {
    let mut out = Vec::new();
    for (file, text) in files {
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let t = lines[i].split('#').next().unwrap_or("").trim();
            let lineno = i + 1;
            if t.to_ascii_lowercase().contains("action(") {
                // RainerScript: the action may span lines until its closing parenthesis.
                let mut block = t.to_string();
                while !block.contains(')') && i + 1 < lines.len() {
                    i += 1;
                    block.push(' ');
                    block.push_str(lines[i].split('#').next().unwrap_or("").trim());
                }
                let lower = block.to_ascii_lowercase();
                let param = |name: &str| {
                    let key = format!("{name}=\"");
                    let mut from = 0;
                    // The parameter name must start a word: `target=` is not the end of
                    // `mytarget=`.
                    while let Some(s) = lower[from..].find(&key).map(|s| s + from) {
                        let starts_word = s == 0
                            || !lower.as_bytes()[s - 1].is_ascii_alphanumeric()
                                && lower.as_bytes()[s - 1] != b'.';
                        if starts_word {
                            let rest = &block[s + key.len()..];
                            return Some(rest[..rest.find('"').unwrap_or(rest.len())].to_string());
                        }
                        from = s + key.len();
                    }
                    None
                };
                if param("type").is_some_and(|t| t.eq_ignore_ascii_case("omfwd"))
                    && let Some(target) = param("target")
                {
                    let port = param("port").and_then(|p| p.trim().parse().ok());
                    let protocol = param("protocol")
                        .map(|p| p.to_ascii_lowercase())
                        .unwrap_or_else(|| "udp".into());
                    out.push(Target {
                        host: target,
                        port: Some(port.unwrap_or(DEFAULT_PORT)),
                        protocol,
                        source: format!("{file}:{lineno}"),
                    });
                }
            } else if let Some(sel_end) = t.find(char::is_whitespace) {
                let dest = t[sel_end..].trim();
                if let Some(rest) = dest.strip_prefix('@') {
                    let (protocol, rest) = match rest.strip_prefix('@') {
                        Some(r) => ("tcp", r),
                        None => ("udp", rest),
                    };
                    let rest = rest.trim_start_matches("(o)");
                    let rest = rest.split([';', ' ', '\t']).next().unwrap_or(rest);
                    let (host, port) = split_host_port(rest);
                    out.push(Target {
                        host,
                        port: Some(port.unwrap_or(DEFAULT_PORT)),
                        protocol: protocol.into(),
                        source: format!("{file}:{lineno}"),
                    });
                }
            }
            i += 1;
        }
    }
    out
}

/// rsyslog as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let mut names = vec!["/etc/rsyslog.conf".to_string()];
    names.extend(r.dir_files("/etc/rsyslog.d", &[".conf"]));
    let files: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|n| r.text(&n).map(|t| (n, t)))
        .collect();
    let targets = rsyslog_targets(&files);
    Forwarder {
        configured: !targets.is_empty(),
        enabled: r.unit_enabled("rsyslog.service"),
        targets,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rsyslog_forwarding_forms() {
        let files = vec![(
            "/etc/rsyslog.d/60-siem.conf".to_string(),
            "*.* @@siem.example.net:6514\n# *.* @old.example:514\nauth.* @10.0.0.5\naction(Type=\"omfwd\"\n  Target=\"siem2.example.net\" port=\"10514\" protocol=\"tcp\")\n*.* @@[fd00::7]:6514;RSYSLOG_SyslogProtocol23Format\n".to_string(),
        )];
        let t = rsyslog_targets(&files);
        assert_eq!(t.len(), 4);
        assert_eq!(
            (t[0].host.as_str(), t[0].port, t[0].protocol.as_str()),
            ("siem.example.net", Some(6514), "tcp")
        );
        assert_eq!(
            (t[1].host.as_str(), t[1].port, t[1].protocol.as_str()),
            ("10.0.0.5", Some(514), "udp")
        );
        assert_eq!(
            (
                t[2].host.as_str(),
                t[2].port,
                t[2].protocol.as_str(),
                t[2].source.as_str()
            ),
            (
                "siem2.example.net",
                Some(10514),
                "tcp",
                "/etc/rsyslog.d/60-siem.conf:4"
            )
        );
        assert_eq!((t[3].host.as_str(), t[3].port), ("fd00::7", Some(6514)));
    }

    #[test]
    fn other_actions_are_not_forwarding() {
        let files = vec![(
            "/etc/rsyslog.conf".to_string(),
            "*.* /var/log/syslog\naction(type=\"omfile\" file=\"/var/log/x\")\naction(type=\"omfwd\" mytarget=\"x\")\n".to_string(),
        )];
        assert!(rsyslog_targets(&files).is_empty());
    }
}
