//! syslog-ng (syslog-ng OSE administration guide, "destination" and "log"): the
//! network destination drivers `network()`, `syslog()`, `tcp()`, `udp()`, `tcp6()`,
//! `udp6()` of the `destination NAME { ... };` blocks a `log { ... };` path uses (by
//! `destination(NAME)` or inline), in /etc/syslog-ng/syslog-ng.conf and
//! /etc/syslog-ng/conf.d/*.conf. The first argument is the host; `port()` and
//! `transport()` default as syslog-ng does: 514 over TCP for `network()`, 601 over TCP
//! (6514 with `tls`) for `syslog()`, 514 for the legacy drivers. A destination no log
//! path uses sends nothing.

use std::collections::BTreeSet;

use super::{Forwarder, Reader, Target};

/// The network destination drivers.
const DRIVERS: [&str; 6] = ["network", "syslog", "tcp", "udp", "tcp6", "udp6"];

/// The text with comments (`#` outside quotes to the end of the line) blanked, so
/// byte offsets (and so line numbers) stay those of the file.
fn strip_comments(text: &str) -> Vec<u8> {
    let mut out = text.as_bytes().to_vec();
    let (mut quote, mut comment) = (None, false);
    for b in out.iter_mut() {
        if comment {
            if *b == b'\n' {
                comment = false;
            } else {
                *b = b' ';
            }
            continue;
        }
        match (quote, *b) {
            (None, b'"' | b'\'') => quote = Some(*b),
            (Some(q), c) if c == q => quote = None,
            (None, b'#') => {
                comment = true;
                *b = b' ';
            }
            _ => {}
        }
    }
    out
}

/// The offset just past the bracket closing the one at `open` (quote-aware); the end
/// of the text when it is not closed.
fn matching(b: &[u8], open: usize) -> usize {
    let (o, c) = (b[open], if b[open] == b'{' { b'}' } else { b')' });
    let (mut depth, mut quote) = (0usize, None);
    for (i, &ch) in b.iter().enumerate().skip(open) {
        match (quote, ch) {
            (Some(q), x) if x == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(ch),
            (None, x) if x == o => depth += 1,
            (None, x) if x == c => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
    }
    b.len()
}

/// The identifier at `i` (letters, digits, `_`, `-`, `.`) and the offset after it.
fn word(b: &[u8], i: usize) -> (&str, usize) {
    let end = b[i..]
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.')))
        .map_or(b.len(), |p| i + p);
    (std::str::from_utf8(&b[i..end]).unwrap_or(""), end)
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Top-level `KEYWORD [NAME] { body }` statements: `(keyword, name, body range)`.
fn statements(b: &[u8]) -> Vec<(String, String, std::ops::Range<usize>)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'@' {
            let (kw, after) = word(b, i + usize::from(c == b'@'));
            let kw = kw.to_string();
            let mut j = skip_ws(b, after);
            let mut name = String::new();
            if j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                let (n, a) = word(b, j);
                name = n.to_string();
                j = skip_ws(b, a);
            }
            if j < b.len() && b[j] == b'{' {
                let end = matching(b, j);
                out.push((kw, name, j + 1..end.saturating_sub(1).max(j + 1)));
                i = end;
                continue;
            }
            // Not a block statement (`@version: 4.3`, `@include "..."`): skip the line.
            i = b[i..]
                .iter()
                .position(|&c| c == b'\n')
                .map_or(b.len(), |p| i + p + 1);
            continue;
        }
        if c == b'"' || c == b'\'' {
            // A stray string at top level: skip it whole.
            i = b[i + 1..]
                .iter()
                .position(|&x| x == c)
                .map_or(b.len(), |p| i + p + 2);
            continue;
        }
        i += 1;
    }
    out
}

/// The first quoted or bare argument of an argument list, and `OPTION(value)`.
fn first_arg(args: &str) -> Option<String> {
    let a = args.trim_start();
    if let Some(q) = a.chars().next().filter(|c| *c == '"' || *c == '\'') {
        let rest = &a[1..];
        return Some(rest[..rest.find(q)?].to_string());
    }
    let end = a.find(|c: char| c.is_whitespace() || c == '(' || c == ')')?;
    // A bare word followed by `(` is an option, not the host.
    if a[end..].trim_start().starts_with('(') || end == 0 {
        return None;
    }
    Some(a[..end].to_string())
}

fn option(args: &str, name: &str) -> Option<String> {
    let b = args.as_bytes();
    let mut from = 0;
    while let Some(p) = args[from..].find(name).map(|p| p + from) {
        let before_ok = p == 0 || !(b[p - 1].is_ascii_alphanumeric() || b[p - 1] == b'-');
        let after = skip_ws(b, p + name.len());
        if before_ok && after < b.len() && b[after] == b'(' {
            let end = matching(b, after);
            // An unclosed option runs to the end of the text, which may be inside a
            // character: `get` rather than slicing.
            let v = args
                .get(after + 1..end.saturating_sub(1).max(after + 1))
                .unwrap_or("")
                .trim();
            return Some(v.trim_matches(['"', '\'']).to_string());
        }
        from = p + name.len();
    }
    None
}

/// The network drivers in `range` of `b`, as targets of `file` (offsets give lines).
fn drivers(b: &[u8], range: std::ops::Range<usize>, file: &str, text: &str) -> Vec<Target> {
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if b[i].is_ascii_alphabetic() && (i == 0 || !b[i - 1].is_ascii_alphanumeric()) {
            let (w, after) = word(b, i);
            let j = skip_ws(b, after);
            if DRIVERS.contains(&w) && j < range.end && b[j] == b'(' {
                let end = matching(b, j).min(range.end);
                let args = String::from_utf8_lossy(&b[j + 1..end.saturating_sub(1).max(j + 1)]);
                if let Some(host) = first_arg(&args) {
                    let transport = match w {
                        "tcp" | "tcp6" => "tcp".to_string(),
                        "udp" | "udp6" => "udp".to_string(),
                        _ => option(&args, "transport")
                            .map(|t| t.to_ascii_lowercase())
                            .unwrap_or_else(|| "tcp".into()),
                    };
                    let default = match (w, transport.as_str()) {
                        ("syslog", "tls") => 6514,
                        ("syslog", _) => 601,
                        _ => 514,
                    };
                    let port = option(&args, "port")
                        .and_then(|p| p.parse().ok())
                        .unwrap_or(default);
                    let line = text[..i.min(text.len())].matches('\n').count() + 1;
                    out.push(Target {
                        host,
                        port: Some(port),
                        protocol: transport,
                        source: format!("{file}:{line}"),
                    });
                }
                i = end;
                continue;
            }
            i = after.max(i + 1);
            continue;
        }
        i += 1;
    }
    out
}

/// The targets of every destination a log path of `files` uses.
pub fn syslog_ng_targets(files: &[(String, String)]) -> Vec<Target> {
    let mut destinations: Vec<(String, Vec<Target>)> = Vec::new();
    let mut used = BTreeSet::new();
    let mut inline = Vec::new();
    for (file, text) in files {
        let b = strip_comments(text);
        for (kw, name, body) in statements(&b) {
            match kw.as_str() {
                "destination" => destinations.push((name, drivers(&b, body, file, text))),
                "log" => {
                    let mut i = body.start;
                    while i < body.end {
                        let (w, after) = if b[i].is_ascii_alphabetic() {
                            word(&b, i)
                        } else {
                            ("", i + 1)
                        };
                        let j = skip_ws(&b, after);
                        if w == "destination" && j < body.end && b[j] == b'(' {
                            let end = matching(&b, j).min(body.end);
                            let n = String::from_utf8_lossy(
                                &b[j + 1..end.saturating_sub(1).max(j + 1)],
                            );
                            used.insert(n.trim().to_string());
                            i = end;
                        } else if w == "destination" && j < body.end && b[j] == b'{' {
                            let end = matching(&b, j).min(body.end);
                            inline.extend(drivers(&b, j + 1..end, file, text));
                            i = end;
                        } else {
                            i = after.max(i + 1);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    let mut out: Vec<Target> = destinations
        .into_iter()
        .filter(|(n, _)| used.contains(n))
        .flat_map(|(_, t)| t)
        .collect();
    out.extend(inline);
    out
}

/// syslog-ng as configured on the host.
pub fn inspect(r: &mut Reader) -> Forwarder {
    let mut names = vec!["/etc/syslog-ng/syslog-ng.conf".to_string()];
    names.extend(r.dir_files("/etc/syslog-ng/conf.d", &[".conf"]));
    let files: Vec<(String, String)> = names
        .into_iter()
        .filter_map(|n| r.text(&n).map(|t| (n, t)))
        .collect();
    let targets = syslog_ng_targets(&files);
    Forwarder {
        configured: !targets.is_empty(),
        enabled: r.unit_enabled("syslog-ng.service"),
        targets,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_used_by_a_log_path() {
        let conf = r#"@version: 4.3
@include "scl.conf"
source s_src { system(); internal(); };
# destination d_old { network("old.example" port(514)); };
destination d_siem { network("siem.example.net" port(6514) transport("tls")); };
destination d_unused { tcp("unused.example" port(1)); };
destination d_local { file("/var/log/messages"); };
destination d_rfc { syslog('rfc.example' transport(tls)); };
log { source(s_src); destination(d_siem); destination(d_local); };
log { source(s_src); destination(d_rfc); };
log { source(s_src); destination { udp("10.1.2.3"); }; };
"#;
        let t = syslog_ng_targets(&[("/etc/syslog-ng/syslog-ng.conf".into(), conf.into())]);
        let got: Vec<String> = t.iter().map(Target::describe).collect();
        assert_eq!(
            got,
            [
                "siem.example.net:6514/tls (/etc/syslog-ng/syslog-ng.conf:5)",
                "rfc.example:6514/tls (/etc/syslog-ng/syslog-ng.conf:8)",
                "10.1.2.3:514/udp (/etc/syslog-ng/syslog-ng.conf:11)",
            ]
        );
    }

    #[test]
    fn unbalanced_and_hostile_text_ends() {
        for conf in [
            "destination d { network(\"x\" port(",
            "log { destination(",
            "\"",
            "{{{{",
            "destination",
        ] {
            let _ = syslog_ng_targets(&[("f".into(), conf.into())]);
        }
    }
}
