//! A host to scan: `[user@]host[:port]` as given to `--host`, or one entry of an
//! inventory. `host` may be an ssh_config alias; ssh resolves it, so vigil never
//! second-guesses ~/.ssh/config. IPv6 literals take brackets when a port follows
//! (`[::1]:2222`), as in ssh's own `[host]:port` notation.

use std::path::PathBuf;

use thiserror::Error;

use crate::report::sanitize::terminal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HostSpec {
    /// What reports call this host: the inventory name, or the `--host` text.
    pub label: String,
    pub user: Option<String>,
    /// Host name, address or ssh_config alias, as passed to ssh.
    pub host: String,
    pub port: Option<u16>,
    /// From an inventory's `ansible_ssh_private_key_file` (passed as `-i`).
    pub identity_file: Option<PathBuf>,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub(crate) enum HostSpecError {
    #[error("empty host")]
    Empty,
    #[error("{}: bad port (expected 1-65535)", terminal(.0))]
    BadPort(String),
    #[error("{}: unterminated '[' in IPv6 address", terminal(.0))]
    Bracket(String),
    #[error(
        "{}: not a host name (a host is letters, digits, '.', '-', '_', ':' and '%', a user \
         letters, digits, '.', '-' and '_', neither starting with '-')",
        terminal(.0)
    )]
    Unsafe(String),
}

/// The one check of a host name or user vigil passes to ssh, for `--host` and every
/// inventory entry (and its `ansible_host`/`ansible_user`): an allow-list, so no shell
/// metacharacter, whitespace or control character reaches ssh, which before OpenSSH 9.6
/// hands the name to a `ProxyCommand`'s shell (`%h`), and nothing ssh could read as an
/// option. Host names, addresses and ssh_config aliases in practice are letters, digits,
/// `.`, `-` and `_`; `:` is for IPv6 and `%` for an IPv6 zone (`fe80::1%eth0`).
pub(crate) fn check_word(original: &str, w: &str, is_user: bool) -> Result<(), HostSpecError> {
    if w.is_empty() {
        return Err(HostSpecError::Empty);
    }
    let extra = if is_user { "._-" } else { "._-:%" };
    if w.starts_with('-') || !w.chars().all(|c| c.is_alphanumeric() || extra.contains(c)) {
        return Err(HostSpecError::Unsafe(original.to_string()));
    }
    Ok(())
}

fn parse_port(original: &str, p: &str) -> Result<u16, HostSpecError> {
    match p.parse::<u16>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(HostSpecError::BadPort(original.to_string())),
    }
}

impl HostSpec {
    /// Parses `[user@]host[:port]`, `[user@][v6addr]:port` or a bare IPv6 address.
    pub(crate) fn parse(text: &str) -> Result<HostSpec, HostSpecError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(HostSpecError::Empty);
        }
        // The user cannot hold '@' in practice; the last '@' splits, as ssh does.
        let (user, rest) = match t.rsplit_once('@') {
            Some((u, r)) => (Some(u.to_string()), r),
            None => (None, t),
        };
        let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
            let (h, after) = inner
                .split_once(']')
                .ok_or_else(|| HostSpecError::Bracket(t.to_string()))?;
            let port = match after {
                "" => None,
                p => match p.strip_prefix(':') {
                    Some(p) => Some(parse_port(t, p)?),
                    None => return Err(HostSpecError::BadPort(t.to_string())),
                },
            };
            (h.to_string(), port)
        } else if rest.matches(':').count() > 1 {
            // A bare IPv6 address: no port possible without brackets.
            (rest.to_string(), None)
        } else if let Some((h, p)) = rest.split_once(':') {
            (h.to_string(), Some(parse_port(t, p)?))
        } else {
            (rest.to_string(), None)
        };
        check_word(t, &host, false)?;
        if let Some(u) = &user {
            check_word(t, u, true)?;
        }
        Ok(HostSpec {
            label: t.to_string(),
            user,
            host,
            port,
            identity_file: None,
        })
    }

    /// The ssh destination argument (`user@host`); the port goes in `-p`.
    pub(crate) fn destination(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The label made safe as a file name (`<label>.json` in the fleet output dir).
    pub(crate) fn file_stem(&self) -> String {
        let s: String = self
            .label
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-@".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        // A label of only dots would name a directory.
        if s.trim_matches('.').is_empty() {
            format!("host{s}")
        } else {
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> HostSpec {
        HostSpec::parse(s).unwrap()
    }

    #[test]
    fn user_host_port() {
        let h = p("alice@web1.example.com:2222");
        assert_eq!(h.user.as_deref(), Some("alice"));
        assert_eq!(h.host, "web1.example.com");
        assert_eq!(h.port, Some(2222));
        assert_eq!(h.destination(), "alice@web1.example.com");
        assert_eq!(h.file_stem(), "alice@web1.example.com_2222");
    }

    #[test]
    fn bare_alias_has_no_user_or_port() {
        let h = p("db");
        assert_eq!((h.user, h.host.as_str(), h.port), (None, "db", None));
    }

    #[test]
    fn ipv6_forms() {
        let h = p("root@[::1]:22");
        assert_eq!((h.host.as_str(), h.port), ("::1", Some(22)));
        assert_eq!(p("fe80::1").port, None);
        assert_eq!(p("fe80::1").host, "fe80::1");
        assert_eq!(p("[::1]").port, None);
        assert!(matches!(
            HostSpec::parse("[::1"),
            Err(HostSpecError::Bracket(_))
        ));
        assert!(matches!(
            HostSpec::parse("[::1]x"),
            Err(HostSpecError::BadPort(_))
        ));
    }

    #[test]
    fn bad_ports_and_unsafe_names_are_refused() {
        for bad in ["h:0", "h:65536", "h:", "h:x"] {
            assert!(
                matches!(HostSpec::parse(bad), Err(HostSpecError::BadPort(_))),
                "{bad}"
            );
        }
        for bad in [
            "-oProxyCommand=x",
            "a b",
            "u@-h",
            "h;rm",
            "x&id>/tmp/p",
            "h\u{7}",
            "h\u{202e}",
            "a|b",
            "$(id)",
            "u$@h",
            "h/x",
        ] {
            assert!(
                matches!(HostSpec::parse(bad), Err(HostSpecError::Unsafe(_))),
                "{bad}"
            );
        }
        for good in [
            "web-1.example.com",
            "a_b@h",
            "[fe80::1%eth0]:22",
            "müller.de",
        ] {
            assert!(HostSpec::parse(good).is_ok(), "{good}");
        }
        assert!(
            HostSpec::parse("h\u{1b}[2J")
                .unwrap_err()
                .to_string()
                .starts_with("h\\x1b[2J: not a host name"),
        );
        assert_eq!(HostSpec::parse("  "), Err(HostSpecError::Empty));
        assert_eq!(HostSpec::parse("@h"), Err(HostSpecError::Empty));
    }

    #[test]
    fn file_stem_never_escapes_the_directory() {
        let mut h = p("web");
        h.label = "../../etc/x".into();
        assert!(!h.file_stem().contains('/'));
        h.label = "..".into();
        assert_eq!(h.file_stem(), "host..");
    }
}
