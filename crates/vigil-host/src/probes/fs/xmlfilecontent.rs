//! `xmlfilecontent_item` construction (OVAL 5.11 independent-definitions-schema
//! `xmlfilecontent_object`, independent-system-characteristics `xmlfilecontent_item`):
//! the `value_of` what an XPath 1.0 expression gives on an XML file.
//!
//! The expression is full XPath 1.0 (every axis, predicates, the core function library,
//! unions, arithmetic), evaluated by `sxd-xpath` over an `sxd-document` tree. Why those
//! crates: they implement XPath 1.0 itself, not XPath 2/3 (whose comparisons, number
//! formatting and typing differ, e.g. `xee-xpath`), they are pure Rust with no `unsafe`
//! C parser to trust with hostile files (unlike libxml2 bindings, which would also need
//! the C library at build time), and they are complete and stable (sxd-xpath 0.4 has
//! not needed a release since 2019; its XPath 1.0 test suite covers the spec's
//! function library). Evaluating an expression is linear in the document for the paths
//! real content uses.
//!
//! Hostile documents: the file is parsed by vigil's bounded reader
//! ([`xml::parse_str_exact`]): a DOCTYPE (entity expansion, external entities), nesting
//! deeper than [`xml::MAX_DEPTH`], and undefined entities are errors; the size is capped
//! by the walk's file-size limit before the file is read. The tree XPath runs on is
//! built from that reader's result (sxd-document's own parser is not used: it has no
//! depth bound).
//!
//! What an item holds follows oscap 1.3.7 (its probe evaluates with libxml2 and no
//! namespace prefixes registered), compared on `tests/fixtures/oval/fs/xmlfilecontent.xml`:
//! - a node-set gives one `value_of` per attribute or text node, in document order;
//!   element, comment and other nodes give none (select `text()` or `string(...)`);
//! - an empty node-set gives an item with status `does not exist` and a `value_of`
//!   that does not exist;
//! - a number is written as a 32-bit integer, truncated (`count()`, `sum()`: 3.5 is
//!   `3`); NaN and numbers outside the 32-bit range are `-2147483648`, as oscap's C
//!   conversion gives on x86-64;
//! - a boolean is `true` or `false`; a string is itself;
//! - namespaces are dropped: every element and attribute is in no namespace under its
//!   local name, so `/root/item` selects `<root xmlns="urn:x"><item>` and
//!   `namespace-uri()` is empty (oscap 1.3.7's answer; XPath 1.0 §2.3 alone would match
//!   only elements in no namespace, but content written for oscap relies on it);
//! - a prefixed name test is an error (no prefix can be bound: OVAL has no place to
//!   declare one);
//! - comments and processing instructions are not in the tree (`comment()` selects
//!   nothing), as in oscap;
//! - an XPath that does not compile, or fails to evaluate, is an error item.
//!
//! Deliberate differences from oscap: a document with a DOCTYPE is an error item here
//! (libxml2 would read it, leaving its entities unexpanded); a CDATA section is a text
//! node here (libxml2 gives it its own node type, which oscap does not report). A file
//! that is not well-formed is an error item here; oscap flags the whole object `error`.

use std::ffi::OsStr;
use std::path::Path;

use sxd_xpath::nodeset::Node as XNode;
use sxd_xpath::{Context, Factory, Value};

use super::file::push_location;
use crate::probes::{Item, ItemStatus};
use vigil_core::content::xml::{self, Element, Node};

/// Longer expressions are refused: the XPath parser recurses on nesting.
const MAX_XPATH_LEN: usize = 16 * 1024;

/// An XPath of the object, checked when the object is planned. The compiled form is
/// not kept: sxd-xpath's expressions are not `Sync`, and compiling is cheap beside
/// parsing the file it runs on.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct XPath {
    source: String,
}

impl XPath {
    pub(crate) fn parse(src: &str) -> Result<XPath, String> {
        compile(src)?;
        Ok(XPath {
            source: src.to_string(),
        })
    }
}

fn compile(src: &str) -> Result<sxd_xpath::XPath, String> {
    if src.len() > MAX_XPATH_LEN {
        return Err(format!(
            "XPath of {} bytes: longer than {MAX_XPATH_LEN}",
            src.len()
        ));
    }
    if let Some(q) = prefixed_name(src) {
        return Err(format!(
            "XPath '{src}' uses the namespace prefix of '{q}': OVAL cannot bind prefixes; \
             use *[local-name()='...' and namespace-uri()='...']"
        ));
    }
    match Factory::new().build(src) {
        Ok(Some(x)) => Ok(x),
        Ok(None) => Err(format!("XPath '{src}' is empty")),
        Err(e) => Err(format!("XPath '{src}' is not valid XPath 1.0: {e}")),
    }
}

/// The first prefixed name (`p:name`, `p:*`) outside string literals. No prefix can be
/// bound, and sxd-xpath panics on a name test whose prefix is unbound, so these are
/// refused before compiling (axis names, `::`, are not prefixes).
fn prefixed_name(src: &str) -> Option<&str> {
    let b = src.as_bytes();
    let name_char =
        |c: u8| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.') || c >= 0x80;
    let mut quote = None;
    for i in 0..b.len() {
        match (quote, b[i]) {
            (None, q @ (b'\'' | b'"')) => quote = Some(q),
            (Some(q), c) if c == q => quote = None,
            (None, b':') => {
                let colon_pair = b.get(i + 1) == Some(&b':') || (i > 0 && b[i - 1] == b':');
                let before = i > 0 && name_char(b[i - 1]);
                let after = b.get(i + 1).is_some_and(|&c| name_char(c) || c == b'*');
                if !colon_pair && before && after {
                    let start = src[..i]
                        .rfind(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
                        .map_or(0, |p| p + 1);
                    return Some(&src[start..=i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// What an XPath gives on a document: `None` for an empty node-set.
fn evaluate(doc: &sxd_document::dom::Document, xp: &XPath) -> Result<Option<Vec<String>>, String> {
    let compiled = compile(&xp.source)?;
    let ctx = Context::new();
    // sxd-xpath asserts a few internal invariants with panics; one must not take the
    // batch of every file object down with it.
    let v = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        compiled.evaluate(&ctx, doc.root())
    }))
    .map_err(|_| format!("XPath '{}': the evaluator failed", xp.source))?
    .map_err(|e| format!("XPath '{}' cannot be evaluated: {e}", xp.source))?;
    Ok(match v {
        Value::Boolean(b) => Some(vec![b.to_string()]),
        Value::Number(n) => Some(vec![oscap_int(n).to_string()]),
        Value::String(s) => Some(vec![s]),
        Value::Nodeset(ns) => {
            if ns.size() == 0 {
                return Ok(None);
            }
            Some(
                ns.document_order()
                    .into_iter()
                    .filter_map(|n| match n {
                        XNode::Attribute(a) => Some(a.value().to_string()),
                        XNode::Text(t) => Some(t.text().to_string()),
                        _ => None,
                    })
                    .collect(),
            )
        }
    })
}

/// A number as oscap writes it: converted to a 32-bit integer by truncation, with
/// x86-64's answer (the "integer indefinite" value) where C leaves it undefined.
fn oscap_int(n: f64) -> i32 {
    if n.is_finite() && n > f64::from(i32::MIN) - 1.0 && n < f64::from(i32::MAX) + 1.0 {
        n.trunc() as i32
    } else {
        i32::MIN
    }
}

/// The document as XPath sees it: elements and attributes by local name, in no
/// namespace (as oscap 1.3.7 gives them), text exactly as written.
fn build(doc: sxd_document::dom::Document<'_>, root: &Element) {
    fn element<'d>(
        doc: sxd_document::dom::Document<'d>,
        e: &Element,
    ) -> sxd_document::dom::Element<'d> {
        let out = doc.create_element(&*e.name);
        for a in &e.attrs {
            out.set_attribute_value(&*a.name, &a.value);
        }
        for c in &e.children {
            match c {
                Node::Element(c) => out.append_child(element(doc, c)),
                Node::Text(t) => out.append_child(doc.create_text(t)),
            }
        }
        out
    }
    doc.root().append_child(element(doc, root));
}

/// The items for one file: one per XPath of the object.
pub(crate) fn items(
    dir: &Path,
    name: &OsStr,
    content: &[u8],
    xpaths: &[(String, Result<XPath, String>)],
) -> Vec<Item> {
    let parsed = std::str::from_utf8(content)
        .map_err(|e| format!("not UTF-8 text: {e}"))
        .and_then(|text| xml::parse_str_exact(text, &dir.join(name)).map_err(|e| e.to_string()));
    let package = sxd_document::Package::new();
    let doc = parsed.map(|d| {
        build(package.as_document(), &d.root);
        package.as_document()
    });
    xpaths
        .iter()
        .map(|(src, xp)| {
            let mut item = Item::new();
            push_location(&mut item, dir, Some(name));
            item.push("xpath", src.as_str());
            let r = match (&doc, xp) {
                (Ok(doc), Ok(xp)) => evaluate(doc, xp),
                (Err(e), _) | (_, Err(e)) => Err(e.clone()),
            };
            match r {
                Ok(Some(values)) => {
                    for v in values {
                        item.push("value_of", v);
                    }
                }
                Ok(None) => {
                    item.status = ItemStatus::DoesNotExist;
                    item.push_absent("value_of");
                }
                Err(e) => {
                    item.status = ItemStatus::Error;
                    item.message = Some(e);
                }
            }
            item
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<configuration xmlns:x="urn:x">
  <appSettings>
    <add key="a" value="1"/>
    <add key="b" value="2.5"/>
    <add key="c" value="3"/>
  </appSettings>
  <name>first</name>
  <name>second</name>
  <x:opt x:on="yes">ns</x:opt>
  <!-- a comment -->
</configuration>"#;

    fn eval(x: &str) -> (ItemStatus, Vec<Option<String>>) {
        let it = items(
            Path::new("/etc"),
            OsStr::new("c.xml"),
            DOC.as_bytes(),
            &[(x.to_string(), XPath::parse(x))],
        )
        .pop()
        .unwrap();
        assert_eq!(it.first("filepath"), Some("/etc/c.xml"));
        (
            it.status,
            it.values("value_of").map(|v| v.map(String::from)).collect(),
        )
    }

    fn values(x: &str) -> Vec<String> {
        let (s, v) = eval(x);
        assert_eq!(s, ItemStatus::Exists, "{x}");
        v.into_iter().map(Option::unwrap).collect()
    }

    #[test]
    fn node_sets_give_attribute_and_text_values() {
        assert_eq!(
            values("/configuration/appSettings/add[@key='b']/@value"),
            ["2.5"]
        );
        assert_eq!(values("//add[position()>1]/@key"), ["b", "c"]);
        assert_eq!(values("/configuration/name/text()"), ["first", "second"]);
        assert_eq!(
            values("//add[@key='a']/following-sibling::add/@key"),
            ["b", "c"]
        );
        assert_eq!(
            values("//add/ancestor::configuration/name[2]/text()"),
            ["second"]
        );
        assert_eq!(values("//name[1]/text() | //add[3]/@value"), ["3", "first"]);
        // Elements themselves give no value, as in oscap.
        assert!(values("/configuration/name").is_empty());
        // Namespaces are dropped, as oscap drops them; comments are not kept.
        assert_eq!(values("//opt/@on"), ["yes"]);
        assert_eq!(values("namespace-uri(//*[local-name()='opt'])"), [""]);
        assert_eq!(eval("//comment()").0, ItemStatus::DoesNotExist);
    }

    #[test]
    fn scalars_are_written_as_oscap_writes_them() {
        assert_eq!(values("count(//add)"), ["3"]);
        assert_eq!(values("sum(//add/@value)"), ["6"]);
        assert_eq!(values("number('x')"), ["-2147483648"]);
        assert_eq!(values("-7 div 2"), ["-3"]);
        assert_eq!(values("boolean(//name)"), ["true"]);
        assert_eq!(values("boolean(//nothing)"), ["false"]);
        assert_eq!(
            values("concat(//add[1]/@key, '-', string-length('abc'))"),
            ["a-3"]
        );
        assert_eq!(values("string(/configuration/name)"), ["first"]);
    }

    #[test]
    fn empty_node_set_does_not_exist() {
        assert_eq!(eval("/other/name"), (ItemStatus::DoesNotExist, vec![None]));
    }

    #[test]
    fn invalid_xpath_and_hostile_documents_are_errors() {
        for x in ["/a[", "count(", "", "/a/b::c", "/x:opt", "//x:*", "x:f()"] {
            assert!(XPath::parse(x).is_err(), "{x}");
        }
        assert_eq!(eval("//x:opt").0, ItemStatus::Error);
        // Not prefixes: axes, and colons inside literals.
        for x in [
            "/child::configuration",
            "//name[.='a:b']",
            "//add/attribute::key",
        ] {
            XPath::parse(x).unwrap();
        }
        let bomb = r#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]><a>&b;</a>"#;
        let deep = format!("{}{}", "<a>".repeat(300), "</a>".repeat(300));
        for doc in [bomb, deep.as_str(), "<a><b></a>", "not xml"] {
            let it = items(
                Path::new("/"),
                OsStr::new("x"),
                doc.as_bytes(),
                &[("/a".into(), XPath::parse("/a"))],
            );
            assert_eq!(it[0].status, ItemStatus::Error, "{doc}");
        }
    }
}
