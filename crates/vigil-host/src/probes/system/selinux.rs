//! `selinuxboolean_object` and `selinuxsecuritycontext_object` (OVAL 5.11 linux
//! schema): SELinux booleans from selinuxfs, and the security contexts of files (the
//! `security.selinux` extended attribute) and processes (`/proc/<pid>/attr/current`).
//!
//! Booleans: every file of `/sys/fs/selinux/booleans` is one boolean, holding the
//! active and the pending value (`"1 0"`); the item is `name`, `current_status`,
//! `pending_status`. Without that directory SELinux is not enabled and the object is
//! `not applicable` (there is nothing the object could be about). oscap 1.3.7 differs:
//! on a host without SELinux its probe fails ("Invalid type, value or format"), the
//! whole `oscap oval eval` stops without a results document and prints the definition
//! `unknown`; OpenSCAP's own later copy of the probe (openshift_probe.c) sets the flag
//! `not applicable` when `is_selinux_enabled()` is false, which is what vigil does.
//! Offline, `ROOT/sys/fs/selinux/booleans` is read through the [`Host`](crate::host::Host)
//! (a captured selinuxfs tree; an ordinary image has none and is not applicable).
//!
//! Security contexts, compared with oscap 1.3.7 on this host
//! (`tests/fixtures/oval/sys/selinuxsecuritycontext.xml`):
//! - `filepath` or `path`+`filename` select files exactly as `file_object` does (every
//!   operation and FileBehaviors): the object is handed to the file-system probe as a
//!   `file_object` and each file found is given its context; so the walk, its limits and
//!   its offline confinement are the file probe's;
//! - a file without a `security.selinux` attribute is an item with status `error` and
//!   its path fields (oscap: "Can't get context for PATH: No data available"), so the
//!   object's flag is `error`;
//! - the context `user:role:type[:range]` gives `user`, `role`, `type`; a range
//!   `low[-high]` gives `low_sensitivity`/`low_category` and, only when there is a
//!   `-high` part, `high_sensitivity`/`high_category` (as oscap reports them). The
//!   translated fields equal the raw ones: vigil does not run mcstrans, and neither
//!   does a host without mcstransd;
//! - `pid` (nil: the scanner itself): a process has an SELinux context only when SELinux
//!   is enabled (`/sys/fs/selinux/enforce` exists); otherwise there are no items (oscap:
//!   the object does not exist). Processes are not applicable offline, as for the
//!   process probes; oscap 1.3.7 with OSCAP_PROBE_ROOT reports an error there instead
//!   (its chroot has no `/proc`), which vigil does not copy: a root has no processes,
//!   and the process probes of both tools call that not applicable.

use std::path::Path;

use crate::probes::{Collected, Context, Flag, Item, ItemStatus, ObjectQuery, Probe};

use super::{compare_error, entity_matches, exact, require_live};

/// The probe of OVAL 5.11 `linux:selinuxboolean_object`.
pub struct SelinuxBooleanProbe;

/// The probe of OVAL 5.11 `linux:selinuxsecuritycontext_object`.
pub struct SelinuxContextProbe;

const BOOLEANS: &str = "/sys/fs/selinux/booleans";

/// A boolean file holds two small numbers; anything longer is not one.
const MAX_BOOLEAN: u64 = 64;

/// Contexts are short; the kernel caps a process's at a page.
const MAX_CONTEXT: u64 = 4096;

/// The (active, pending) values of a selinuxfs boolean file.
fn parse_boolean(data: &[u8]) -> Option<(bool, bool)> {
    let s = std::str::from_utf8(data).ok()?;
    let mut it = s.split_whitespace();
    let bit = |v: &str| match v {
        "0" => Some(false),
        "1" => Some(true),
        _ => None,
    };
    let active = bit(it.next()?)?;
    let pending = bit(it.next()?)?;
    it.next().is_none().then_some((active, pending))
}

fn tf(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

impl Probe<Context> for SelinuxBooleanProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["selinuxboolean_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let host = &ctx.host;
        let dir = host.path(Path::new(BOOLEANS));
        let names = match host.list_dir(&dir) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Collected::with_flag(
                    Flag::NotApplicable,
                    format!("SELinux is not enabled: {} does not exist", dir.display()),
                );
            }
            Err(e) => return Collected::error(format!("cannot list {}: {e}", dir.display())),
        };
        let mut items = ctx.sink(ctx.deadline());
        for name in names {
            let name = name.to_string_lossy().into_owned();
            match entity_matches(query, "name", &name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            let path = Path::new(BOOLEANS).join(&name);
            let item = match host.read_file(&path, MAX_BOOLEAN) {
                Ok(Some(data)) => match parse_boolean(&data) {
                    Some((active, pending)) => Item::new()
                        .field("name", name)
                        .field("current_status", tf(active))
                        .field("pending_status", tf(pending)),
                    None => {
                        let mut it = Item::with_status(
                            ItemStatus::Error,
                            format!(
                                "{}: not an SELinux boolean (want \"0|1 0|1\")",
                                path.display()
                            ),
                        );
                        it.push("name", name);
                        it
                    }
                },
                Ok(None) => continue,
                Err(e) => {
                    let mut it = Item::with_status(
                        ItemStatus::Error,
                        format!("cannot read {}: {e}", path.display()),
                    );
                    it.push("name", name);
                    it
                }
            };
            if !query.keep(&item) {
                continue;
            }
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

/// The parts of a security context, in item order.
#[derive(Debug, PartialEq)]
struct SeContext {
    user: String,
    role: String,
    kind: String,
    low: (String, Option<String>),
    high: Option<(String, Option<String>)>,
}

/// `sensitivity[:categories]`.
fn level(s: &str) -> (String, Option<String>) {
    match s.split_once(':') {
        Some((sens, cats)) => (sens.to_string(), Some(cats.to_string())),
        None => (s.to_string(), None),
    }
}

/// Parses `user:role:type[:low[-high]]`; `None` when it is not a context.
fn parse_context(raw: &str) -> Option<SeContext> {
    let raw = raw.trim_end_matches(['\0', '\n']);
    let mut it = raw.splitn(4, ':');
    let user = it.next().filter(|s| !s.is_empty())?;
    let role = it.next().filter(|s| !s.is_empty())?;
    let kind = it.next().filter(|s| !s.is_empty())?;
    let (low, high) = match it.next() {
        None => ((String::new(), None), None),
        Some(range) => match range.split_once('-') {
            Some((l, h)) => (level(l), Some(level(h))),
            None => (level(range), None),
        },
    };
    Some(SeContext {
        user: user.to_string(),
        role: role.to_string(),
        kind: kind.to_string(),
        low,
        high,
    })
}

/// Appends the context fields (translated, then raw: the same values) to `item`.
fn push_context(item: &mut Item, c: &SeContext) {
    item.push("user", &c.user);
    item.push("role", &c.role);
    item.push("type", &c.kind);
    let levels = |item: &mut Item, prefix: &str| {
        if !c.low.0.is_empty() {
            item.push(&format!("{prefix}low_sensitivity"), &c.low.0);
        }
        if let Some(cat) = &c.low.1 {
            item.push(&format!("{prefix}low_category"), cat);
        }
        if let Some((sens, cat)) = &c.high {
            item.push(&format!("{prefix}high_sensitivity"), sens);
            if let Some(cat) = cat {
                item.push(&format!("{prefix}high_category"), cat);
            }
        }
    };
    levels(item, "");
    levels(item, "raw");
}

fn selinux_enabled_live() -> bool {
    Path::new("/sys/fs/selinux/enforce").exists()
}

impl SelinuxContextProbe {
    fn processes(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        if !selinux_enabled_live() {
            let mut c = Collected::from_items(Vec::new());
            c.messages
                .push("SELinux is not enabled: processes have no SELinux context".into());
            return c;
        }
        let own = query.entity("pid").is_some_and(|e| e.nil);
        let pids: Vec<u32> = if own {
            vec![std::process::id()]
        } else if let Some(v) = exact(query, "pid") {
            v.iter().filter_map(|p| p.trim().parse().ok()).collect()
        } else {
            let mut all: Vec<u32> = std::fs::read_dir("/proc")
                .map(|rd| {
                    rd.flatten()
                        .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                        .collect()
                })
                .unwrap_or_default();
            all.sort_unstable();
            let mut kept = Vec::new();
            for pid in all {
                match entity_matches(query, "pid", &pid.to_string()) {
                    Ok(true) => kept.push(pid),
                    Ok(false) => {}
                    Err(e) => return compare_error(query, e),
                }
            }
            kept
        };
        let mut items = ctx.sink(ctx.deadline());
        for pid in pids {
            let path = format!("/proc/{pid}/attr/current");
            let item = match read_capped(Path::new(&path), MAX_CONTEXT) {
                Ok(data) => {
                    let text = String::from_utf8_lossy(&data);
                    match parse_context(&text) {
                        Some(c) => {
                            let mut it = Item::new().field("pid", pid.to_string());
                            push_context(&mut it, &c);
                            it
                        }
                        None => error_with(
                            format!("{path}: not an SELinux context: {text:?}"),
                            &[("pid", pid.to_string())],
                        ),
                    }
                }
                // A vanished process, or a kernel thread: nothing to report.
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => continue,
                Err(e) => error_with(
                    format!("cannot read {path}: {e}"),
                    &[("pid", pid.to_string())],
                ),
            };
            if query.keep(&item) && items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }

    fn files(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let mut fq = query.clone();
        fq.kind = "file_object".into();
        fq.family = vigil_core::content::oval::Family::Unix;
        // The filters name selinuxsecuritycontext fields: applied to the items made here.
        fq.item_filter = None;
        let files = crate::probes::fs::collect_batch(&[&fq], ctx)
            .pop()
            .unwrap_or_else(|| Collected::error("the file probe gave no answer"));
        if matches!(files.flag, Flag::Error | Flag::NotCollected) && files.items.is_empty() {
            return files;
        }
        let mut items = ctx.sink(ctx.deadline());
        for f in &files.items {
            let mut names: Vec<(&str, String)> = Vec::new();
            for n in ["filepath", "path", "filename"] {
                if let Some(v) = f.first(n) {
                    names.push((n, v.to_string()));
                }
            }
            let item = if f.status != ItemStatus::Exists {
                let mut it = error_with(f.message.clone().unwrap_or_default(), &names);
                it.status = f.status;
                it
            } else {
                let filepath = match (f.first("filepath"), f.first("path"), f.first("filename")) {
                    (Some(fp), _, _) => fp.to_string(),
                    (None, Some(p), Some(n)) if !n.is_empty() => {
                        Path::new(p).join(n).to_string_lossy().into_owned()
                    }
                    (None, Some(p), _) => p.to_string(),
                    _ => continue,
                };
                context_item(ctx, &filepath, names)
            };
            if query.keep(&item) && items.push(item).is_err() {
                break;
            }
        }
        let mut out = items.into_collected();
        out.messages.extend(files.messages);
        if files.flag == Flag::Incomplete && out.flag == Flag::Complete {
            out.flag = Flag::Incomplete;
        }
        out
    }
}

/// The item of one file: its path fields and its context, or an error item.
fn context_item(ctx: &Context, filepath: &str, names: Vec<(&str, String)>) -> Item {
    let host = &ctx.host;
    let attr = host
        .real_nofollow(Path::new(filepath))
        .and_then(|real| host.xattr(&real, b"security.selinux"));
    match attr {
        Ok(raw) if raw.len() as u64 <= MAX_CONTEXT => {
            let text = String::from_utf8_lossy(&raw);
            match parse_context(&text) {
                Some(c) => {
                    let mut it = Item::new();
                    for (n, v) in &names {
                        it.push(n, v);
                    }
                    push_context(&mut it, &c);
                    it
                }
                None => error_with(
                    format!("{filepath}: security.selinux is not an SELinux context: {text:?}"),
                    &names,
                ),
            }
        }
        Ok(raw) => error_with(
            format!(
                "{filepath}: security.selinux is {} bytes, more than {MAX_CONTEXT}",
                raw.len()
            ),
            &names,
        ),
        Err(e) => error_with(format!("Can't get context for {filepath}: {e}"), &names),
    }
}

fn error_with<S: AsRef<str>>(message: String, fields: &[(&str, S)]) -> Item {
    let mut it = Item::with_status(ItemStatus::Error, message);
    for (n, v) in fields {
        it.push(n, v.as_ref());
    }
    it
}

/// Reads at most `max` bytes of a (proc) file.
fn read_capped(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    std::fs::File::open(path)?.take(max).read_to_end(&mut out)?;
    Ok(out)
}

impl Probe<Context> for SelinuxContextProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["selinuxsecuritycontext_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if query.entity("pid").is_some() {
            self.processes(query, ctx)
        } else if query.entity("filepath").is_some() || query.entity("path").is_some() {
            self.files(query, ctx)
        } else {
            Collected::error(format!(
                "{}: selinuxsecuritycontext_object needs filepath, path and filename, or pid",
                query.object_id
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    #[test]
    fn boolean_files() {
        assert_eq!(parse_boolean(b"1 0"), Some((true, false)));
        assert_eq!(parse_boolean(b"0 0\n"), Some((false, false)));
        assert_eq!(parse_boolean(b"2 0"), None);
        assert_eq!(parse_boolean(b"1"), None);
        assert_eq!(parse_boolean(b"1 1 1"), None);
    }

    #[test]
    fn contexts() {
        let c = parse_context("unconfined_u:object_r:user_home_t:s0-s0:c0.c1023\0").unwrap();
        assert_eq!(c.kind, "user_home_t");
        assert_eq!(c.low, ("s0".into(), None));
        assert_eq!(c.high, Some(("s0".into(), Some("c0.c1023".into()))));
        let c = parse_context("system_u:system_r:init_t").unwrap();
        assert_eq!(c.low.0, "");
        assert!(parse_context("nocolons").is_none());
        assert!(parse_context("a::t").is_none());
    }

    #[test]
    fn booleans_offline_from_a_captured_selinuxfs() {
        let dir = tempfile::tempdir().unwrap();
        let b = dir.path().join("sys/fs/selinux/booleans");
        std::fs::create_dir_all(&b).unwrap();
        std::fs::write(b.join("httpd_can_network_connect"), "1 0").unwrap();
        std::fs::write(b.join("bad"), "x").unwrap();
        let q = testutil::query(
            Family::Linux,
            "selinuxboolean_object",
            &[("name", Operation::Equals, "httpd_can_network_connect")],
        );
        let c = SelinuxBooleanProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        assert_eq!(c.items[0].first("current_status"), Some("true"));
        assert_eq!(c.items[0].first("pending_status"), Some("false"));
        let q = testutil::query(
            Family::Linux,
            "selinuxboolean_object",
            &[("name", Operation::Equals, "bad")],
        );
        let c = SelinuxBooleanProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Error);
        let empty = tempfile::tempdir().unwrap();
        let c = SelinuxBooleanProbe.collect(&q, &testutil::offline(empty.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
    }

    #[test]
    fn file_contexts_from_xattrs() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, "").unwrap();
        std::fs::write(&b, "").unwrap();
        let st = crate::testtool::tool("setfattr")
            .args([
                "-n",
                "security.selinux",
                "-v",
                "system_u:object_r:shadow_t:s0",
            ])
            .arg(&a)
            .status()
            .unwrap();
        assert!(st.success());
        let fp = a.to_str().unwrap();
        let q = testutil::query(
            Family::Linux,
            "selinuxsecuritycontext_object",
            &[("filepath", Operation::Equals, fp)],
        );
        let c = SelinuxContextProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        let it = &c.items[0];
        assert_eq!(it.first("filepath"), Some(fp));
        assert_eq!(it.first("type"), Some("shadow_t"));
        assert_eq!(it.first("rawlow_sensitivity"), Some("s0"));
        assert_eq!(it.first("high_sensitivity"), None);
        let q = testutil::query(
            Family::Linux,
            "selinuxsecuritycontext_object",
            &[("filepath", Operation::Equals, b.to_str().unwrap())],
        );
        let c = SelinuxContextProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::Error);
        assert_eq!(c.items[0].status, ItemStatus::Error);
    }
}
