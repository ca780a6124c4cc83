//! A host to scan: `[user@]host[:port]` as given to `--host`, or one entry of an
//! inventory. `host` may be an ssh_config alias; ssh resolves it, so vigil never
//! second-guesses ~/.ssh/config. IPv6 literals take brackets when a port follows
//! (`[::1]:2222`), as in ssh's own `[host]:port` notation.

use std::path::PathBuf;

use thiserror::Error;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostSpec {
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
pub enum HostSpecError {
    #[error("empty host")]
    Empty,
    #[error("{0:?}: bad port (expected 1-65535)")]
    BadPort(String),
    #[error("{0:?}: unterminated '[' in IPv6 address")]
    Bracket(String),
    #[error("{0:?}: a host may not start with '-' or hold spaces or quotes")]
    Unsafe(String),
}

/// Rejects what ssh could read as an option, or what would need quoting: host and user
/// reach ssh as one argv element, but they also name report files.
fn check_word(original: &str, w: &str) -> Result<(), HostSpecError> {
    if w.is_empty() {
        return Err(HostSpecError::Empty);
    }
    if w.starts_with('-')
        || w.chars()
            .any(|c| c.is_whitespace() || "'\"`$;\\".contains(c))
    {
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
    pub fn parse(text: &str) -> Result<HostSpec, HostSpecError> {
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
        check_word(t, &host)?;
        if let Some(u) = &user {
            check_word(t, u)?;
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
    pub fn destination(&self) -> String {
        match &self.user {
            Some(u) => format!("{u}@{}", self.host),
            None => self.host.clone(),
        }
    }

    /// The label made safe as a file name (`<label>.json` in the fleet output dir).
    pub fn file_stem(&self) -> String {
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
        for bad in ["-oProxyCommand=x", "a b", "u@-h", "h;rm"] {
            assert!(
                matches!(HostSpec::parse(bad), Err(HostSpecError::Unsafe(_))),
                "{bad}"
            );
        }
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
