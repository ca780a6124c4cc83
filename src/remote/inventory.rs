//! The `--hosts FILE` list: either one `[user@]host[:port]` per line, or an Ansible-style
//! INI inventory (`[group]` sections of `alias key=value ...` lines, `[group:vars]`,
//! `[group:children]`, numeric ranges such as `web[01:03]`). Of the host variables only
//! the connection ones matter here: `ansible_host`, `ansible_port`, `ansible_user`
//! (and their `ansible_ssh_*` spellings) and `ansible_ssh_private_key_file`. Password
//! variables are ignored and never echoed: vigil only uses ssh's non-interactive auth.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use thiserror::Error;

use super::hostspec::{HostSpec, HostSpecError};

#[derive(Debug, Error)]
pub(crate) enum InventoryError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: {message}")]
    Syntax {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

#[derive(Debug, Default, Clone)]
struct Vars(BTreeMap<String, String>);

impl Vars {
    /// Fills what is still unset: callers apply the most specific scope first.
    fn fill_from(&mut self, other: &Vars) {
        for (k, v) in &other.0 {
            self.0.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
    fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.0.get(*n).map(String::as_str))
    }
}

enum Section {
    Hosts(String),
    Vars(String),
    Children(String),
}

/// `[name]`, `[name:vars]` or `[name:children]`; anything else (e.g. `[::1]`) is a host.
fn section_header(line: &str) -> Option<Section> {
    let inner = line.strip_prefix('[')?.strip_suffix(']')?;
    let (name, kind) = match inner.split_once(':') {
        Some((n, k)) => (n, Some(k)),
        None => (inner, None),
    };
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return None;
    }
    let name = name.to_string();
    match kind {
        None => Some(Section::Hosts(name)),
        Some("vars") => Some(Section::Vars(name)),
        Some("children") => Some(Section::Children(name)),
        Some(_) => None,
    }
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    for q in ['"', '\''] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

/// Most hosts one inventory may list, ranges expanded: far more than anyone scans at
/// once, and few enough to hold in memory. A range product past it
/// (`a[0:99999]b[0:99999]`) is refused before anything is expanded.
pub(crate) const MAX_HOSTS: usize = 100_000;

/// One piece of a host pattern: literal text, or a numeric range `[start:end]`
/// (zero padding kept).
enum Piece<'a> {
    Text(&'a str),
    Range { start: u64, end: u64, width: usize },
}

/// Splits a host pattern into text and `[a:b]` ranges.
fn pattern_pieces(pattern: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut rest = pattern;
    // `[v6]:port` is a host spec, not a range.
    if rest.starts_with('[') {
        return Ok(vec![Piece::Text(rest)]);
    }
    while let Some(open) = rest.find('[') {
        let close = rest[open..]
            .find(']')
            .map(|i| i + open)
            .ok_or_else(|| format!("unterminated range in {pattern:?}"))?;
        let body = &rest[open + 1..close];
        let (a, b) = body
            .split_once(':')
            .ok_or_else(|| format!("range {body:?} is not start:end"))?;
        let (start, end) = match (a.parse::<u64>(), b.parse::<u64>()) {
            (Ok(s), Ok(e)) if s <= e => (s, e),
            _ => return Err(format!("range [{body}] is not a numeric start:end")),
        };
        let width = if a.starts_with('0') { a.len() } else { 0 };
        pieces.push(Piece::Text(&rest[..open]));
        pieces.push(Piece::Range { start, end, width });
        rest = &rest[close + 1..];
    }
    pieces.push(Piece::Text(rest));
    Ok(pieces)
}

/// Expands the `[a:b]` numeric ranges of a host pattern, refusing (before expanding)
/// a pattern that would give more than `room` hosts.
fn expand_range(pattern: &str, room: usize) -> Result<Vec<String>, String> {
    let pieces = pattern_pieces(pattern)?;
    let count = pieces.iter().try_fold(1usize, |n, p| match p {
        Piece::Text(_) => Some(n),
        Piece::Range { start, end, .. } => usize::try_from(end - start)
            .ok()
            .and_then(|d| d.checked_add(1))
            .and_then(|d| n.checked_mul(d)),
    });
    match count {
        Some(n) if n <= room => {}
        _ => {
            return Err(format!(
                "{pattern:?} expands to more than {MAX_HOSTS} hosts (with the hosts before \
                 it); an inventory may list at most {MAX_HOSTS}"
            ));
        }
    }
    let mut out = vec![String::new()];
    for p in &pieces {
        match p {
            Piece::Text(t) => out.iter_mut().for_each(|s| s.push_str(t)),
            Piece::Range { start, end, width } => {
                out = out
                    .iter()
                    .flat_map(|s| (*start..=*end).map(move |n| format!("{s}{n:0width$}")))
                    .collect();
            }
        }
    }
    Ok(out)
}

/// Reads a host list or inventory file.
pub(crate) fn load(path: &Path) -> Result<Vec<HostSpec>, InventoryError> {
    let read = |source| InventoryError::Read {
        path: path.to_path_buf(),
        source,
    };
    let bytes = vigil_core::osutil::read_whole_input(path).map_err(read)?;
    let text = String::from_utf8(bytes)
        .map_err(|e| read(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))?;
    parse(&text, path)
}

/// Parses inventory text; `path` is only used in messages.
pub(crate) fn parse(text: &str, path: &Path) -> Result<Vec<HostSpec>, InventoryError> {
    let err = |line: usize, message: String| InventoryError::Syntax {
        path: path.to_path_buf(),
        line,
        message,
    };
    // Hosts in file order, with their own vars and the groups naming them.
    let mut order: Vec<String> = Vec::new();
    let mut host_vars: HashMap<String, Vars> = HashMap::new();
    let mut host_groups: HashMap<String, Vec<String>> = HashMap::new();
    let mut host_line: HashMap<String, usize> = HashMap::new();
    let mut group_vars: HashMap<String, Vars> = HashMap::new();
    let mut parents: HashMap<String, Vec<String>> = HashMap::new();
    let mut section = Section::Hosts("ungrouped".to_string());

    for (i, raw) in text.lines().enumerate() {
        let lineno = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(s) = section_header(line) {
            section = s;
            continue;
        }
        match &section {
            Section::Hosts(group) => {
                let mut words = line.split_whitespace();
                let pattern = words.next().unwrap_or_default();
                let mut vars = Vars::default();
                for w in words {
                    if w.starts_with('#') {
                        break;
                    }
                    let (k, v) = w
                        .split_once('=')
                        .ok_or_else(|| err(lineno, format!("expected key=value, got {w:?}")))?;
                    vars.0.insert(k.to_string(), unquote(v));
                }
                let room = MAX_HOSTS - order.len();
                for alias in expand_range(pattern, room).map_err(|m| err(lineno, m))? {
                    if !host_vars.contains_key(&alias) {
                        order.push(alias.clone());
                        host_line.insert(alias.clone(), lineno);
                    }
                    let hv = host_vars.entry(alias.clone()).or_default();
                    // A later line for the same host adds to (and overrides) the earlier.
                    for (k, v) in &vars.0 {
                        hv.0.insert(k.clone(), v.clone());
                    }
                    host_groups.entry(alias).or_default().push(group.clone());
                }
            }
            Section::Vars(group) => {
                let (k, v) = line
                    .split_once('=')
                    .ok_or_else(|| err(lineno, format!("expected key=value, got {line:?}")))?;
                group_vars
                    .entry(group.clone())
                    .or_default()
                    .0
                    .insert(k.trim().to_string(), unquote(v));
            }
            Section::Children(group) => {
                parents
                    .entry(line.to_string())
                    .or_default()
                    .push(group.clone());
            }
        }
    }

    let mut out = Vec::new();
    for alias in order {
        let mut vars = host_vars.remove(&alias).unwrap_or_default();
        // Breadth-first up the group tree: nearer groups win over their parents.
        let mut queue: Vec<String> = host_groups.remove(&alias).unwrap_or_default();
        let mut seen = std::collections::HashSet::new();
        while !queue.is_empty() {
            let mut next = Vec::new();
            for g in queue {
                if !seen.insert(g.clone()) {
                    continue;
                }
                if let Some(gv) = group_vars.get(&g) {
                    vars.fill_from(gv);
                }
                next.extend(parents.get(&g).cloned().unwrap_or_default());
            }
            queue = next;
        }
        if let Some(all) = group_vars.get("all") {
            vars.fill_from(all);
        }
        let lineno = host_line.get(&alias).copied().unwrap_or(0);
        let mut spec = HostSpec::parse(&alias).map_err(|e| err(lineno, format!("host {e}")))?;
        if let Some(h) = vars.get(&["ansible_host", "ansible_ssh_host"]) {
            let probe = HostSpec::parse(h).map_err(|e| err(lineno, format!("ansible_host {e}")))?;
            spec.host = probe.host;
        }
        if let Some(p) = vars.get(&["ansible_port", "ansible_ssh_port"]) {
            spec.port = Some(
                p.parse::<u16>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| err(lineno, format!("{alias}: bad ansible_port {p:?}")))?,
            );
        }
        if let Some(u) = vars.get(&["ansible_user", "ansible_ssh_user"]) {
            let probe = HostSpec::parse(&format!("{u}@x"))
                .map_err(|e: HostSpecError| err(lineno, format!("ansible_user {e}")))?;
            spec.user = probe.user;
        }
        if let Some(k) = vars.get(&["ansible_ssh_private_key_file", "ansible_private_key_file"]) {
            spec.identity_file = Some(PathBuf::from(k));
        }
        out.push(spec);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Vec<HostSpec> {
        parse(text, Path::new("inv")).unwrap()
    }

    #[test]
    fn plain_list_with_comments() {
        let hosts = parse_ok("# fleet\nweb1\nalice@db:2200\n\n[::1]:2222\n");
        let got: Vec<_> = hosts
            .iter()
            .map(|h| (h.label.as_str(), h.user.as_deref(), h.host.as_str(), h.port))
            .collect();
        assert_eq!(
            got,
            vec![
                ("web1", None, "web1", None),
                ("alice@db:2200", Some("alice"), "db", Some(2200)),
                ("[::1]:2222", None, "::1", Some(2222)),
            ]
        );
    }

    #[test]
    fn ini_inventory_with_vars_children_and_ranges() {
        let text = "\
[web]
web[01:02] ansible_port=2201
lb ansible_host=10.0.0.5 ansible_user=\"ops\" ansible_password=hunter2

[db]
db1 ansible_host=10.0.0.9 ansible_port=2209 ansible_ssh_private_key_file=/k/id_db

[prod:children]
web
db

[prod:vars]
ansible_user=deploy
ansible_port=22

[all:vars]
ansible_user=nobody
";
        let hosts = parse_ok(text);
        let got: Vec<_> = hosts
            .iter()
            .map(|h| (h.label.as_str(), h.user.as_deref(), h.host.as_str(), h.port))
            .collect();
        assert_eq!(
            got,
            vec![
                ("web01", Some("deploy"), "web01", Some(2201)),
                ("web02", Some("deploy"), "web02", Some(2201)),
                ("lb", Some("ops"), "10.0.0.5", Some(22)),
                ("db1", Some("deploy"), "10.0.0.9", Some(2209)),
            ]
        );
        assert_eq!(
            hosts[3].identity_file.as_deref(),
            Some(Path::new("/k/id_db"))
        );
        assert!(!format!("{hosts:?}").contains("hunter2"));
    }

    #[test]
    fn host_in_two_groups_is_scanned_once() {
        let hosts = parse_ok("[a]\nh1\n[b]\nh1\nh2\n");
        assert_eq!(hosts.len(), 2);
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = parse("[g]\nh1 notakeyvalue\n", Path::new("inv")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "inv:2: expected key=value, got \"notakeyvalue\""
        );
        let e = parse("[g]\nh1 ansible_port=x\n", Path::new("inv")).unwrap_err();
        assert!(e.to_string().contains("bad ansible_port"), "{e}");
        assert!(parse("w[3:1]\n", Path::new("inv")).is_err());
        let e = parse("ok\na[0:99999]b[0:99999]\n", Path::new("inv")).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("inv:2: \"a[0:99999]b[0:99999]\" expands to more than 100000 hosts"),
            "{e}"
        );
        assert!(parse("w[0:18446744073709551615]x[0:9]\n", Path::new("inv")).is_err());
        // The cap counts the whole file, not one line.
        assert_eq!(
            parse("a[1:60000]\n", Path::new("inv")).unwrap().len(),
            60000
        );
        assert!(parse("a[1:60000]\nb[1:60000]\n", Path::new("inv")).is_err());
        assert_eq!(
            parse("w[08:10]x[1:2]\n", Path::new("inv"))
                .unwrap()
                .iter()
                .map(|h| h.label.as_str())
                .collect::<Vec<_>>(),
            ["w08x1", "w08x2", "w09x1", "w09x2", "w10x1", "w10x2"]
        );
    }
}
