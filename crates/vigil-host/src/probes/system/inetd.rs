//! Internet super-server configuration (OVAL 5.11 unix schema): `xinetd_object`, the
//! services of `/etc/xinetd.conf` and the files it includes, and `inetd_object`, the
//! services of `/etc/inetd.conf`. Both read through [`Host`], so an offline root
//! (`--root`) answers from its own files (oscap 1.3.7 reads xinetd's files inside
//! `OSCAP_PROBE_ROOT` the same way).
//!
//! `xinetd` follows oscap 1.3.7's parser, compared with it on fixture roots
//! (`tests/fixtures/oval/net/xinetd.*`):
//! - top level: `service NAME` and `defaults` sections (`{` on the next line, one
//!   `attribute op value` per line, `}` alone), `includedir DIR` (every file of DIR
//!   whose name has no `.` and does not end in `~`), comments and blank lines;
//! - attributes read: `disable`, `flags`, `id`, `no_access`, `only_from`, `port`,
//!   `protocol`, `server`, `server_args`, `socket_type`, `type`, `user`, `wait` (and
//!   in `defaults`: `no_access`, `only_from`, `disabled`, `enabled`); others are
//!   ignored; `+=` and `-=` add to and remove from the list attributes and are
//!   ignored on the others;
//! - a service without `protocol` gets `udp` for `socket_type = dgram`, `tcp` for
//!   `stream`, else the protocol of its first `/etc/services` entry; one without
//!   `port` the port `/etc/services` gives for its name and protocol (0 when none);
//! - `type` is the value when it is one of the schema's values (RPC, INTERNAL,
//!   UNLISTED, TCPMUX, TCPMUXPLUS), empty otherwise; `wait` and `disabled` (the
//!   service's `disable` attribute) are booleans, false unless set;
//! - every `service` section is an item, two sections with the same name included;
//! - no `/etc/xinetd.conf`: `not applicable` (xinetd is not configured), as oscap.
//!
//! Deliberate differences from oscap 1.3.7:
//! - a configuration that does not parse (a line outside a section that is not a
//!   directive, a bad value, an attribute in the wrong kind of section) is an `error`
//!   naming the file and line; oscap drops the whole configuration and answers `not
//!   applicable`, which would make a broken configuration look absent;
//! - `include FILE` is read (oscap 1.3.7 opens an uninitialised path for it);
//! - a `defaults` section's `disabled = ID...` (or `enabled = ID...`, which disables
//!   every service not listed) makes the named services `disabled`, as xinetd.conf(5)
//!   defines; oscap 1.3.7 crashes its probe on `disabled` and ignores `enabled`.
//!
//! `inetd` is not implemented by oscap 1.3.7 (`oscap -V` does not list it), so the
//! OVAL 5.11.2 unix schema is the oracle (`inetd.expect`): each non-comment line of
//! `/etc/inetd.conf` (`service socket_type protocol wait[.max] user[.group] server
//! args...`) is an item with `protocol`, `service_name` (without a `host:` prefix),
//! `server_program`, `server_arguments` (the rest of the line, absent when empty),
//! `endpoint_type` (the socket type when it is one of the schema's values, else
//! empty), `exec_as_user` (the user without its group) and `wait_status` (`wait` or
//! `nowait`, empty otherwise). Lines that are only `host:` set a default listen
//! address and are no services. A line with fewer than six fields is an error naming
//! the line. No `/etc/inetd.conf`: no items (`does not exist`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::host::Host;
use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};

use super::selects;

/// The largest configuration file read (oscap's limit, 640 KiB).
const MAX_CONF: u64 = 655_360;
/// At most this many files are read for one xinetd configuration (oscap's limit).
const MAX_FILES: usize = 128;
/// Include depth limit (oscap's).
const MAX_DEPTH: usize = 32;

/// The attributes xinetd_item reports or that decide them; others are skipped.
const KNOWN_ATTRIBUTES: &[&str] = &[
    "disable",
    "disabled",
    "enabled",
    "flags",
    "id",
    "no_access",
    "only_from",
    "port",
    "protocol",
    "server",
    "server_args",
    "socket_type",
    "type",
    "user",
    "wait",
];

const XINETD_CONF: &str = "/etc/xinetd.conf";
const INETD_CONF: &str = "/etc/inetd.conf";

/// The probe of OVAL 5.11 `unix:xinetd_object`: xinetd's services.
pub struct XinetdProbe;

/// The probe of OVAL 5.11 `unix:inetd_object`: inetd's services.
pub struct InetdProbe;

/// Reads a configuration file of the host; `Ok(None)` when it does not exist.
fn read_conf(host: &Host, path: &Path) -> Result<Option<String>, String> {
    let show = path.display();
    if let Some(f) = host.resolve(path).map_err(|e| format!("{show}: {e}"))? {
        if !f.meta.is_file() {
            return Err(format!("{show}: not a regular file"));
        }
        if f.meta.len() > MAX_CONF {
            return Err(format!(
                "{show}: {} bytes, larger than the {MAX_CONF} read",
                f.meta.len()
            ));
        }
    }
    match host.read_file(path, MAX_CONF) {
        Ok(Some(b)) => Ok(Some(String::from_utf8_lossy(&b).into_owned())),
        Ok(None) => Ok(None),
        Err(e) => Err(format!("{show}: {e}")),
    }
}

// ---------------------------------------------------------------- xinetd

/// One `service` section, as parsed.
#[derive(Debug, Clone, Default, PartialEq)]
struct XService {
    name: String,
    id: Option<String>,
    kind: Option<String>,
    flags: Option<Vec<String>>,
    socket_type: Option<String>,
    protocol: Option<String>,
    user: Option<String>,
    server: Option<String>,
    server_args: Option<String>,
    only_from: Option<Vec<String>>,
    no_access: Option<Vec<String>>,
    port: u16,
    disable: bool,
    wait: bool,
}

/// The parsed configuration: services in file order and the defaults' service lists.
#[derive(Debug, Default)]
struct XConf {
    services: Vec<XService>,
    disabled: BTreeSet<String>,
    enabled: Option<BTreeSet<String>>,
    seen_defaults: bool,
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "yes" => Some(true),
        "no" => Some(false),
        // oscap reads anything else as a binary number.
        _ => u64::from_str_radix(v, 2).ok().map(|n| n != 0),
    }
}

fn list_op(list: &mut Option<Vec<String>>, op: &str, value: &str) {
    let words = value.split_whitespace().map(str::to_string);
    match op {
        "=" => *list = Some(words.collect()),
        "+=" => list.get_or_insert_with(Vec::new).extend(words),
        _ => {
            if let Some(l) = list {
                let gone: Vec<String> = words.collect();
                l.retain(|w| !gone.contains(w));
            }
        }
    }
}

/// Applies `key op value` to a service (or to the defaults when `service` is None).
fn apply(
    conf: &mut XConf,
    service: Option<&mut XService>,
    key: &str,
    op: &str,
    value: &str,
) -> Result<(), String> {
    let Some(s) = service else {
        match key {
            "disabled" if op == "=" => conf
                .disabled
                .extend(value.split_whitespace().map(str::to_string)),
            "enabled" if op == "=" => conf
                .enabled
                .get_or_insert_with(BTreeSet::new)
                .extend(value.split_whitespace().map(str::to_string)),
            "disabled" | "enabled" | "no_access" | "only_from" => {}
            "disable" | "flags" | "id" | "port" | "protocol" | "server" | "server_args"
            | "socket_type" | "type" | "user" | "wait" => {
                return Err(format!("{key} is not allowed in the defaults section"));
            }
            _ => {}
        }
        return Ok(());
    };
    let string = |v: &str| -> Result<String, String> {
        if v.is_empty() {
            Err(format!("{key} has no value"))
        } else {
            Ok(v.to_string())
        }
    };
    match (key, op) {
        ("flags", _) => list_op(&mut s.flags, op, value),
        ("only_from", _) => list_op(&mut s.only_from, op, value),
        ("no_access", _) => list_op(&mut s.no_access, op, value),
        ("disabled" | "enabled", _) => {
            return Err(format!("{key} is only allowed in the defaults section"));
        }
        (_, "+=" | "-=") => {}
        ("disable", _) => {
            s.disable = parse_bool(value).ok_or_else(|| format!("disable = {value:?}"))?
        }
        ("wait", _) => s.wait = parse_bool(value).ok_or_else(|| format!("wait = {value:?}"))?,
        ("port", _) => {
            s.port = value
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| format!("port = {value:?} is not a port"))?
        }
        ("id", _) => s.id = Some(string(value)?),
        ("type", _) => s.kind = Some(string(value)?),
        ("socket_type", _) => s.socket_type = Some(string(value)?),
        ("protocol", _) => s.protocol = Some(string(value)?),
        ("user", _) => s.user = Some(string(value)?),
        ("server", _) => s.server = Some(string(value)?),
        ("server_args", _) => s.server_args = Some(string(value)?),
        _ => {}
    }
    Ok(())
}

/// Parses one file into `conf`; `includes` receives the files it names.
fn parse_xinetd(
    path: &Path,
    text: &str,
    conf: &mut XConf,
    host: &Host,
    includes: &mut Vec<PathBuf>,
) -> Result<(), String> {
    let lines: Vec<&str> = text.split('\n').collect();
    let at = |n: usize, what: String| format!("{} line {}: {what}", path.display(), n + 1);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i].trim();
        let n = i;
        i += 1;
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut words = line.split_whitespace();
        let keyword = words.next().unwrap_or_default();
        let mut service = match keyword {
            "service" => {
                let Some(name) = words.next() else {
                    return Err(at(n, "service without a name".into()));
                };
                Some(XService {
                    name: name.to_string(),
                    ..Default::default()
                })
            }
            "defaults" => {
                if conf.seen_defaults {
                    return Err(at(n, "a second defaults section".into()));
                }
                conf.seen_defaults = true;
                None
            }
            "includedir" | "include" => {
                let arg = line[keyword.len()..].trim();
                if arg.is_empty() {
                    continue;
                }
                if keyword == "include" {
                    includes.push(PathBuf::from(arg));
                    continue;
                }
                let dir = Path::new(arg);
                let Ok(real) = host.real_follow(dir) else {
                    continue;
                };
                let Ok(names) = host.list_dir(&real) else {
                    continue;
                };
                let mut names: Vec<String> = names
                    .iter()
                    .map(|n| n.to_string_lossy().into_owned())
                    .filter(|n| !n.contains('.') && !n.ends_with('~'))
                    .collect();
                names.sort();
                includes.extend(names.iter().map(|n| dir.join(n)));
                continue;
            }
            _ => return Err(at(n, format!("cannot parse {line:?}"))),
        };
        // The opening brace: alone on the next non-blank line.
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        if i >= lines.len() || lines[i].trim() != "{" {
            return Err(at(n, format!("{keyword} without {{ on the next line")));
        }
        i += 1;
        loop {
            let Some(raw) = lines.get(i) else {
                return Err(at(n, format!("{keyword} section without a closing }}")));
            };
            let n = i;
            i += 1;
            let body = raw.trim_start();
            if body.is_empty() || body.starts_with('#') {
                continue;
            }
            if let Some(rest) = body.strip_prefix('}') {
                if !rest.trim().is_empty() {
                    return Err(at(n, format!("text after }}: {raw:?}")));
                }
                break;
            }
            let key_len = body.find(char::is_whitespace).unwrap_or(body.len());
            let (key, rest) = body.split_at(key_len);
            // As oscap (and xinetd, which warns): an attribute it does not read is skipped
            // whatever follows it.
            if !KNOWN_ATTRIBUTES.contains(&key) {
                continue;
            }
            let rest = rest.trim_start();
            let (op, value) = if let Some(v) = rest.strip_prefix("+=") {
                ("+=", v)
            } else if let Some(v) = rest.strip_prefix("-=") {
                ("-=", v)
            } else if let Some(v) = rest.strip_prefix('=') {
                ("=", v)
            } else {
                return Err(at(n, format!("no operator in {raw:?}")));
            };
            let value = value.trim_start().trim_end_matches('\r');
            apply(conf, service.as_mut(), key, op, value).map_err(|e| at(n, e))?;
        }
        if let Some(s) = service {
            conf.services.push(s);
        }
    }
    Ok(())
}

/// `/etc/services` entries: (name and aliases, port, protocol).
fn services_db(host: &Host) -> Vec<(Vec<String>, u16, String)> {
    let Ok(Some(text)) = read_conf(host, Path::new("/etc/services")) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or_default();
            let mut w = l.split_whitespace();
            let name = w.next()?;
            let (port, proto) = w.next()?.split_once('/')?;
            let mut names = vec![name.to_string()];
            names.extend(w.map(str::to_string));
            Some((names, port.parse().ok()?, proto.to_string()))
        })
        .collect()
}

/// Reads xinetd's configuration; `Ok(None)` when there is no `/etc/xinetd.conf`.
fn read_xinetd(host: &Host) -> Result<Option<XConf>, String> {
    let Some(text) = read_conf(host, Path::new(XINETD_CONF))? else {
        return Ok(None);
    };
    let mut conf = XConf::default();
    let mut queue: Vec<(PathBuf, String, usize)> = vec![(XINETD_CONF.into(), text, 0)];
    let mut files = 1;
    while let Some((path, text, depth)) = queue.pop() {
        let mut includes = Vec::new();
        parse_xinetd(&path, &text, &mut conf, host, &mut includes)?;
        if depth + 1 > MAX_DEPTH {
            continue;
        }
        // Parsed in the order named: push in reverse onto the stack.
        let mut next = Vec::new();
        for inc in includes {
            files += 1;
            if files > MAX_FILES {
                return Err(format!(
                    "{}: more than {MAX_FILES} configuration files",
                    path.display()
                ));
            }
            // A directory (or other non-file) in an includedir is skipped, as xinetd and
            // oscap skip it; a file that cannot be read is an error.
            let regular = host
                .resolve(&inc)
                .map_err(|e| format!("{}: {e}", inc.display()))?
                .is_some_and(|f| f.meta.is_file());
            if !regular {
                continue;
            }
            if let Some(t) = read_conf(host, &inc)? {
                next.push((inc, t, depth + 1));
            }
        }
        queue.extend(next.into_iter().rev());
    }
    let db = services_db(host);
    for s in &mut conf.services {
        if s.protocol.is_none() {
            s.protocol = match s.socket_type.as_deref() {
                Some("dgram") => Some("udp".into()),
                Some("stream") => Some("tcp".into()),
                _ => db
                    .iter()
                    .find(|(names, _, _)| names.contains(&s.name))
                    .map(|(_, _, p)| p.clone()),
            };
        }
        if s.port == 0
            && let Some(proto) = &s.protocol
            && let Some((_, port, _)) = db
                .iter()
                .find(|(names, _, p)| names.contains(&s.name) && p == proto)
        {
            s.port = *port;
        }
        if let Some(k) = &s.kind
            && !["RPC", "INTERNAL", "UNLISTED", "TCPMUX", "TCPMUXPLUS"].contains(&k.as_str())
        {
            s.kind = Some(String::new());
        }
    }
    Ok(Some(conf))
}

impl XConf {
    /// Disabled by its own `disable`, or by the defaults' `disabled`/`enabled` lists.
    fn is_disabled(&self, s: &XService) -> bool {
        let id = s.id.as_deref().unwrap_or(&s.name);
        s.disable
            || self.disabled.contains(id)
            || self.enabled.as_ref().is_some_and(|e| !e.contains(id))
    }
}

impl Probe<Context> for XinetdProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["xinetd_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let conf = match read_xinetd(&ctx.host) {
            Ok(Some(c)) => c,
            Ok(None) => {
                return Collected::with_flag(
                    Flag::NotApplicable,
                    format!("{XINETD_CONF} does not exist: xinetd is not configured"),
                );
            }
            Err(e) => return Collected::error(e),
        };
        let mut items = ctx.sink(ctx.deadline());
        for s in &conf.services {
            let Some(protocol) = s.protocol.as_deref() else {
                return Collected::error(format!(
                    "{XINETD_CONF}: service {} has no protocol, socket_type or /etc/services entry",
                    s.name
                ));
            };
            let mut keep = true;
            for (name, v) in [("protocol", protocol), ("service_name", s.name.as_str())] {
                match selects(query, name, v) {
                    Ok(b) => keep &= b,
                    Err(c) => return c,
                }
            }
            if !keep {
                continue;
            }
            let mut item = Item::new()
                .field("protocol", protocol)
                .field("service_name", s.name.as_str());
            for (name, list) in [
                ("flags", &s.flags),
                ("no_access", &s.no_access),
                ("only_from", &s.only_from),
            ] {
                for v in list.iter().flatten() {
                    item.push(name, v.as_str());
                }
            }
            item.push("port", s.port.to_string());
            for (name, v) in [
                ("server", &s.server),
                ("server_arguments", &s.server_args),
                ("socket_type", &s.socket_type),
                ("type", &s.kind),
                ("user", &s.user),
            ] {
                if let Some(v) = v {
                    item.push(name, v.as_str());
                }
            }
            item.push("wait", if s.wait { "true" } else { "false" });
            item.push(
                "disabled",
                if conf.is_disabled(s) { "true" } else { "false" },
            );
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

// ---------------------------------------------------------------- inetd

/// One service line of inetd.conf.
#[derive(Debug, Clone, PartialEq)]
struct InetdService {
    service_name: String,
    endpoint_type: String,
    protocol: String,
    wait_status: String,
    exec_as_user: String,
    server_program: String,
    server_arguments: Option<String>,
}

fn parse_inetd(text: &str) -> Result<Vec<InetdService>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() == 1 && f[0].ends_with(':') {
            continue;
        }
        if f.len() < 6 {
            return Err(format!(
                "{INETD_CONF} line {}: {} fields, want at least 6 (service socket_type protocol wait user server): {line:?}",
                n + 1,
                f.len()
            ));
        }
        let service_name = f[0].rsplit_once(':').map_or(f[0], |(_, s)| s).to_string();
        let endpoint_type =
            match f[1] {
                t @ ("stream" | "dgram" | "raw" | "seqpacket" | "tli" | "sunrpc_tcp"
                | "sunrpc_udp") => t.to_string(),
                _ => String::new(),
            };
        let wait = f[3].split(['.', '/']).next().unwrap_or_default();
        let wait_status = match wait {
            "wait" | "nowait" => wait.to_string(),
            _ => String::new(),
        };
        let exec_as_user = f[4]
            .split([':', '.'])
            .next()
            .unwrap_or_default()
            .to_string();
        let args = f[6..].join(" ");
        out.push(InetdService {
            service_name,
            endpoint_type,
            protocol: f[2].to_string(),
            wait_status,
            exec_as_user,
            server_program: f[5].to_string(),
            server_arguments: (!args.is_empty()).then_some(args),
        });
    }
    Ok(out)
}

impl Probe<Context> for InetdProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["inetd_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let services = match read_conf(&ctx.host, Path::new(INETD_CONF)) {
            Ok(Some(text)) => match parse_inetd(&text) {
                Ok(s) => s,
                Err(e) => return Collected::error(e),
            },
            Ok(None) => Vec::new(),
            Err(e) => return Collected::error(e),
        };
        let mut items = ctx.sink(ctx.deadline());
        for s in services {
            let mut keep = true;
            for (name, v) in [("protocol", &s.protocol), ("service_name", &s.service_name)] {
                match selects(query, name, v) {
                    Ok(b) => keep &= b,
                    Err(c) => return c,
                }
            }
            if !keep {
                continue;
            }
            let mut item = Item::new()
                .field("protocol", s.protocol)
                .field("service_name", s.service_name)
                .field("server_program", s.server_program);
            if let Some(a) = s.server_arguments {
                item.push("server_arguments", a);
            }
            item.push("endpoint_type", s.endpoint_type);
            item.push("exec_as_user", s.exec_as_user);
            item.push("wait_status", s.wait_status);
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::system::testutil;
    use std::fs;
    use vigil_core::content::oval::{Family, Operation};

    fn root(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let p = dir.path().join(p.trim_start_matches('/'));
            fs::create_dir_all(p.parent().unwrap()).unwrap();
            fs::write(p, text).unwrap();
        }
        dir
    }

    fn xq(proto: &str, name: &str) -> ObjectQuery {
        testutil::query(
            Family::Unix,
            "xinetd_object",
            &[
                ("protocol", Operation::PatternMatch, proto),
                ("service_name", Operation::PatternMatch, name),
            ],
        )
    }

    const CONF: &str =
        "defaults\n{\n  only_from = 10.0.0.0/8\n  instances = 60\n}\n\nincludedir /etc/xinetd.d\n";

    #[test]
    fn xinetd_services_from_includedir() {
        let dir = root(&[
            ("/etc/xinetd.conf", CONF),
            (
                "/etc/xinetd.d/telnet",
                "# c\nservice telnet\n{\n\tflags = REUSE IPv4\n\tflags += NAMEINARGS\n\tflags -= IPv4\n\tsocket_type = stream\n\twait = no\n\tuser = root\n\tserver = /usr/sbin/in.telnetd\n\tserver_args = -h -n\n\tonly_from = 127.0.0.1 192.0.2.0/24\n\tdisable = yes\n\ttype = UNLISTED INTERNAL\n}\n",
            ),
            ("/etc/xinetd.d/skip.rpmsave", "garbage\n"),
            ("/etc/xinetd.d/old~", "garbage\n"),
            ("/etc/xinetd.d/subdir/x", "garbage\n"),
            (
                "/etc/xinetd.d/tftp",
                "service tftp\n{\n log_on_success\n banner=/x\n socket_type = dgram\n wait = yes\n server = /usr/sbin/in.tftpd\n type = RPC\n}\n",
            ),
            ("/etc/services", "telnet 23/tcp\ntftp 69/udp\n"),
        ]);
        let ctx = testutil::offline(dir.path());
        let c = XinetdProbe.collect(&xq(".*", ".*"), &ctx);
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        assert_eq!(c.items.len(), 2);
        let t = c
            .items
            .iter()
            .find(|i| i.first("service_name") == Some("telnet"))
            .unwrap();
        assert_eq!(t.first("protocol"), Some("tcp"));
        assert_eq!(t.first("port"), Some("23"));
        let flags: Vec<_> = t.values("flags").flatten().collect();
        assert_eq!(flags, ["REUSE", "NAMEINARGS"]);
        let only: Vec<_> = t.values("only_from").flatten().collect();
        assert_eq!(only, ["127.0.0.1", "192.0.2.0/24"]);
        assert_eq!(t.first("server_arguments"), Some("-h -n"));
        assert_eq!(t.first("type"), Some(""));
        assert_eq!(t.first("disabled"), Some("true"));
        assert_eq!(t.first("wait"), Some("false"));
        let f = c
            .items
            .iter()
            .find(|i| i.first("service_name") == Some("tftp"))
            .unwrap();
        assert_eq!(f.first("protocol"), Some("udp"));
        assert_eq!(f.first("port"), Some("69"));
        assert_eq!(f.first("type"), Some("RPC"));
        assert_eq!(f.first("wait"), Some("true"));
        assert_eq!(f.first("disabled"), Some("false"));
        assert_eq!(f.first("user"), None);
    }

    #[test]
    fn xinetd_missing_is_not_applicable_and_broken_is_an_error() {
        let dir = root(&[]);
        let c = XinetdProbe.collect(&xq(".*", ".*"), &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
        let dir = root(&[("/etc/xinetd.conf", "service x\n{\n port = 99999\n}\n")]);
        let c = XinetdProbe.collect(&xq(".*", ".*"), &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Error);
        assert!(c.messages[0].contains("line 3"), "{:?}", c.messages);
        let dir = root(&[("/etc/xinetd.conf", "bogus line\n")]);
        let c = XinetdProbe.collect(&xq(".*", ".*"), &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Error);
    }

    #[test]
    fn xinetd_defaults_disabled_and_enabled() {
        let dir = root(&[(
            "/etc/xinetd.conf",
            "defaults\n{\n disabled = a\n}\nservice a\n{\n socket_type = stream\n port = 1\n}\nservice b\n{\n socket_type = stream\n port = 2\n}\n",
        )]);
        let c = XinetdProbe.collect(&xq("tcp", ".*"), &testutil::offline(dir.path()));
        let d: Vec<_> = c
            .items
            .iter()
            .map(|i| i.first("disabled").unwrap())
            .collect();
        assert_eq!(d, ["true", "false"]);
    }

    #[test]
    fn inetd_lines() {
        let text = "# comment\n127.0.0.1:\nftp\tstream\ttcp\tnowait\troot\t/usr/sbin/tcpd\tin.ftpd -l\n\
                    127.0.0.1:time dgram udp wait.10 nobody.nogroup internal\n";
        let s = parse_inetd(text).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].service_name, "ftp");
        assert_eq!(s[0].server_arguments.as_deref(), Some("in.ftpd -l"));
        assert_eq!(s[0].wait_status, "nowait");
        assert_eq!(s[1].service_name, "time");
        assert_eq!(s[1].wait_status, "wait");
        assert_eq!(s[1].exec_as_user, "nobody");
        assert_eq!(s[1].server_arguments, None);
        assert!(
            parse_inetd("ftp stream tcp\n")
                .unwrap_err()
                .contains("line 1")
        );
    }

    #[test]
    fn inetd_offline_root() {
        let dir = root(&[(
            "/etc/inetd.conf",
            "telnet stream tcp nowait telnetd /usr/sbin/tcpd /usr/sbin/in.telnetd\n",
        )]);
        let q = testutil::query(
            Family::Unix,
            "inetd_object",
            &[
                ("protocol", Operation::Equals, "tcp"),
                ("service_name", Operation::Equals, "telnet"),
            ],
        );
        let c = InetdProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Complete);
        assert_eq!(c.items[0].first("exec_as_user"), Some("telnetd"));
        assert_eq!(c.items[0].first("endpoint_type"), Some("stream"));
        let empty = root(&[]);
        let c = InetdProbe.collect(&q, &testutil::offline(empty.path()));
        assert_eq!(c.flag, Flag::DoesNotExist);
    }
}
