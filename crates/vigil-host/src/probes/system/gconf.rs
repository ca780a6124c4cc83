//! `gconf_object` (OVAL 5.11 unix schema): GConf preference keys, read from GConf's XML
//! backend files. oscap 1.3.7 does not implement this test (`oscap -V`); the fixture
//! `tests/fixtures/oval/sys/gconf.xml` records the OVAL answers in its `.expect`.
//!
//! What vigil reads, and why:
//! - `source` is, as the schema says, "the absolute path to a GConf XML file". With
//!   operation equals vigil reads exactly the files named (a user's
//!   `~/.gconf/.../%gconf.xml`, a merged `%gconf-tree.xml`, any file). With another
//!   operation the candidates are the system-wide merged trees GConf installs,
//!   `/etc/gconf/gconf.xml.{defaults,mandatory,system}/%gconf-tree.xml`, filtered by the
//!   entity: walking every home directory for `.gconf` trees on a pattern would read
//!   users' files the content did not name.
//! - `source` nil means "looked up using the GConf daemon": vigil talks to no daemon
//!   (and a root scanner should not start one), so the object is `not collected`.
//! - Keys: a `<dir name="d">` nests (`/d/...`), an `<entry name="k">` is the key
//!   `.../k`. A per-directory `%gconf.xml` holds the entries of one directory; its key
//!   prefix is the file's directory below the configuration source (the path after
//!   `.gconf` or a `gconf.xml.*` component: `~/.gconf/apps/foo/%gconf.xml` holds
//!   `/apps/foo/...`).
//! - The item: `key`, `source`, `type` (`GCONF_VALUE_STRING`, `_INT`, `_FLOAT`, `_BOOL`,
//!   `_SCHEMA`; a list has its elements' type and one `value` per element),
//!   `is_writable` (false in a `gconf.xml.mandatory` source, which users cannot
//!   override), `mod_user` (`muser`), `mod_time` (`mtime`), `is_default` (true in a
//!   `gconf.xml.defaults` source), `value`. An entry that only names a schema (no
//!   `type`) holds no value in that source and is not an item; a `pair` value is an
//!   error item (OVAL's type enumeration has no pair).
//!
//! Offline, sources are read inside the root through the [`Host`](crate::host::Host).
//! A source that does not exist contributes nothing; one that is not GConf XML is an
//! error naming the file.

use std::path::{Component, Path};

use crate::probes::{Collected, Context, Flag, Item, ItemSink, ItemStatus, ObjectQuery, Probe};
use vigil_core::content::xml::{self, Element};

use super::{compare_error, entity_matches, exact};

/// The probe of OVAL 5.11 `unix:gconf_object`.
pub struct GconfProbe;

const SYSTEM_SOURCES: &[&str] = &[
    "/etc/gconf/gconf.xml.defaults/%gconf-tree.xml",
    "/etc/gconf/gconf.xml.mandatory/%gconf-tree.xml",
    "/etc/gconf/gconf.xml.system/%gconf-tree.xml",
];

/// GConf trees are settings, not data: 16 MiB is far beyond any real one.
const MAX_SOURCE: u64 = 16 * 1024 * 1024;

/// The key prefix of a per-directory `%gconf.xml`; empty for a merged tree.
fn key_prefix(source: &Path) -> String {
    if source.file_name().is_some_and(|n| n == "%gconf-tree.xml") {
        return String::new();
    }
    let Some(dir) = source.parent() else {
        return String::new();
    };
    let parts: Vec<&str> = dir
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    let start = parts
        .iter()
        .rposition(|p| *p == ".gconf" || p.starts_with("gconf.xml."))
        .map_or(parts.len(), |i| i + 1);
    parts[start..].iter().map(|p| format!("/{p}")).collect()
}

fn gconf_type(t: &str) -> Option<&'static str> {
    Some(match t {
        "string" => "GCONF_VALUE_STRING",
        "int" => "GCONF_VALUE_INT",
        "float" => "GCONF_VALUE_FLOAT",
        "bool" => "GCONF_VALUE_BOOL",
        "schema" => "GCONF_VALUE_SCHEMA",
        _ => return None,
    })
}

/// The value of a `string`/`int`/`float`/`bool` node (an entry or a list element).
fn scalar(e: &Element, t: &str) -> Option<String> {
    match t {
        "string" => Some(
            e.elements()
                .find(|c| &*c.name == "stringvalue")
                .map(|c| c.text())
                .unwrap_or_default(),
        ),
        "int" | "float" | "bool" => e.attr("value").map(str::to_string),
        _ => None,
    }
}

struct Source<'a> {
    path: &'a str,
    writable: bool,
    default: bool,
}

/// Walks `<dir>`/`<entry>` below `e`, calling `found` with (key, entry).
fn walk<'e>(
    e: &'e Element,
    prefix: &str,
    depth: usize,
    found: &mut dyn FnMut(String, &'e Element),
) {
    // GConf keys are a few levels deep; the XML reader bounds depth too.
    if depth > 64 {
        return;
    }
    for c in e.elements() {
        let Some(name) = c.attr("name") else { continue };
        match &*c.name {
            "dir" => walk(c, &format!("{prefix}/{name}"), depth + 1, found),
            "entry" => found(format!("{prefix}/{name}"), c),
            _ => {}
        }
    }
}

fn entry_item(key: String, e: &Element, src: &Source) -> Option<Item> {
    let t = e.attr("type")?;
    let mut it = Item::new()
        .field("key", key.clone())
        .field("source", src.path);
    let (kind, values): (&str, Vec<String>) = match t {
        "list" => {
            let lt = e.attr("ltype").unwrap_or("");
            let vals = e
                .elements()
                .filter(|c| &*c.name == "li")
                .filter_map(|li| scalar(li, lt))
                .collect();
            (lt, vals)
        }
        "schema" => ("schema", Vec::new()),
        "pair" => {
            let mut bad = Item::with_status(
                ItemStatus::Error,
                format!(
                    "{}: {key} is a pair, which OVAL's gconf types cannot express",
                    src.path
                ),
            );
            bad.push("key", key);
            bad.push("source", src.path);
            return Some(bad);
        }
        other => (other, scalar(e, other).into_iter().collect()),
    };
    let Some(gt) = gconf_type(kind) else {
        let mut bad = Item::with_status(
            ItemStatus::Error,
            format!("{}: {key} has an unknown type {kind:?}", src.path),
        );
        bad.push("key", key);
        bad.push("source", src.path);
        return Some(bad);
    };
    it.push("type", gt);
    it.push("is_writable", if src.writable { "true" } else { "false" });
    match e.attr("muser") {
        Some(u) => it.push("mod_user", u),
        None => it.push_absent("mod_user"),
    }
    match e.attr("mtime") {
        Some(m) => it.push("mod_time", m),
        None => it.push_absent("mod_time"),
    }
    it.push("is_default", if src.default { "true" } else { "false" });
    for v in values {
        it.push("value", v);
    }
    Some(it)
}

/// Items of one source file; `Err` for a source that cannot be read as GConf XML.
fn collect_source(
    query: &ObjectQuery,
    ctx: &Context,
    path: &str,
    items: &mut ItemSink,
) -> Result<(), Collected> {
    let bytes = match ctx.host.read_file(Path::new(path), MAX_SOURCE) {
        Ok(Some(b)) => b,
        Ok(None) => return Ok(()),
        Err(e) => {
            let mut it = Item::with_status(ItemStatus::Error, format!("cannot read {path}: {e}"));
            it.push("source", path);
            let _ = items.push(it);
            return Ok(());
        }
    };
    let doc = match xml::parse_bytes(bytes, Path::new(path)) {
        Ok(d) if &*d.root.name == "gconf" => d,
        Ok(d) => {
            let mut it = Item::with_status(
                ItemStatus::Error,
                format!(
                    "{path}: not a GConf XML file (root element {})",
                    &*d.root.name
                ),
            );
            it.push("source", path);
            let _ = items.push(it);
            return Ok(());
        }
        Err(e) => {
            let mut it = Item::with_status(ItemStatus::Error, format!("{path}: {e}"));
            it.push("source", path);
            let _ = items.push(it);
            return Ok(());
        }
    };
    let src = Source {
        path,
        writable: !path.contains("/gconf.xml.mandatory/"),
        default: path.contains("/gconf.xml.defaults/"),
    };
    let mut err = None;
    walk(&doc.root, &key_prefix(Path::new(path)), 0, &mut |key, e| {
        if err.is_some() || items.is_full() {
            return;
        }
        match entity_matches(query, "key", &key) {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => {
                err = Some(compare_error(query, e));
                return;
            }
        }
        if let Some(it) = entry_item(key, e, &src)
            && query.keep(&it)
        {
            let _ = items.push(it);
        }
    });
    err.map_or(Ok(()), Err)
}

impl Probe<Context> for GconfProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["gconf_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let Some(source) = query.entity("source") else {
            return Collected::error(format!("{}: gconf_object without source", query.object_id));
        };
        if source.nil {
            return Collected::with_flag(
                Flag::NotCollected,
                "gconf_object source xsi:nil asks the GConf daemon; vigil reads GConf XML files only",
            );
        }
        let sources: Vec<String> = match exact(query, "source") {
            Some(v) => v.to_vec(),
            None => {
                let mut out = Vec::new();
                for s in SYSTEM_SOURCES {
                    match entity_matches(query, "source", s) {
                        Ok(true) => out.push(s.to_string()),
                        Ok(false) => {}
                        Err(e) => return compare_error(query, e),
                    }
                }
                out
            }
        };
        let mut items = ctx.sink(ctx.deadline());
        for s in &sources {
            if let Err(c) = collect_source(query, ctx, s, &mut items) {
                return c;
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    const TREE: &str = r#"<?xml version="1.0"?>
<gconf>
  <dir name="apps">
    <dir name="gnome-screensaver">
      <entry name="idle_activation_enabled" mtime="1300000000" type="bool" value="true"/>
      <entry name="lock_delay" mtime="1300000001" muser="root" type="int" value="5"/>
      <entry name="themes" mtime="1" type="list" ltype="string">
        <li type="string"><stringvalue>a</stringvalue></li>
        <li type="string"><stringvalue>b</stringvalue></li>
      </entry>
      <entry name="title" mtime="1" type="string"><stringvalue>Lock</stringvalue></entry>
      <entry name="schema_only" mtime="1" schema="/schemas/x"/>
    </dir>
  </dir>
</gconf>"#;

    fn q(key: (Operation, &str), source: &str) -> ObjectQuery {
        testutil::query(
            Family::Unix,
            "gconf_object",
            &[("key", key.0, key.1), ("source", Operation::Equals, source)],
        )
    }

    #[test]
    fn merged_tree_keys_types_and_values() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("etc/gconf/gconf.xml.mandatory");
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("%gconf-tree.xml"), TREE).unwrap();
        let ctx = testutil::offline(dir.path());
        let src = "/etc/gconf/gconf.xml.mandatory/%gconf-tree.xml";
        let c = GconfProbe.collect(
            &q(
                (Operation::Equals, "/apps/gnome-screensaver/lock_delay"),
                src,
            ),
            &ctx,
        );
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        let it = &c.items[0];
        assert_eq!(it.first("type"), Some("GCONF_VALUE_INT"));
        assert_eq!(it.first("value"), Some("5"));
        assert_eq!(it.first("is_writable"), Some("false"));
        assert_eq!(it.first("mod_user"), Some("root"));
        assert_eq!(it.first("source"), Some(src));
        let c = GconfProbe.collect(&q((Operation::PatternMatch, "/themes$"), src), &ctx);
        let vals: Vec<_> = c.items[0].values("value").flatten().collect();
        assert_eq!(vals, ["a", "b"]);
        let c = GconfProbe.collect(&q((Operation::PatternMatch, "^/apps/"), src), &ctx);
        assert_eq!(c.items.len(), 4, "the schema-only entry is not an item");
        let c = GconfProbe.collect(&q((Operation::Equals, "/nope"), "/etc/none.xml"), &ctx);
        assert_eq!(c.flag, Flag::DoesNotExist);
    }

    #[test]
    fn per_directory_files_take_their_prefix_from_the_path() {
        assert_eq!(
            key_prefix(Path::new("/home/u/.gconf/apps/foo/%gconf.xml")),
            "/apps/foo"
        );
        assert_eq!(
            key_prefix(Path::new("/etc/gconf/gconf.xml.defaults/%gconf-tree.xml")),
            ""
        );
        assert_eq!(
            key_prefix(Path::new(
                "/etc/gconf/gconf.xml.defaults/desktop/%gconf.xml"
            )),
            "/desktop"
        );
    }

    #[test]
    fn nil_source_is_not_collected() {
        let mut q = q((Operation::Equals, "/a"), "x");
        q.entities[1] = testutil::entity("source", Operation::Equals, None);
        let c = GconfProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::NotCollected);
    }
}
