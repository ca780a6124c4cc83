//! A small namespace-resolved XML tree built with quick-xml's `NsReader`.
//!
//! SCAP producers choose their own prefixes (`oval-def:`, `def:`, none at all), so every
//! element and attribute carries its namespace URI, never its prefix. Each element keeps
//! its line and column for error messages. Hostile documents are refused up front: a
//! DOCTYPE (entity expansion, external entities), nesting deeper than [`MAX_DEPTH`], and
//! undefined entity references are errors, never silently expanded.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::error::{ContentError, Pos, Result};

/// Deeper nesting than any SCAP schema needs; refusing it bounds the parser's stack.
pub const MAX_DEPTH: usize = 256;

/// An element or attribute local name, or a namespace URI, shared by every occurrence
/// in a document: a large benchmark repeats a few hundred names millions of times. One
/// pointer wide (the string sits behind the shared allocation), since every element
/// holds two of them.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Name(Arc<Box<str>>);

impl Name {
    /// The string itself.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

#[derive(Debug, Clone)]
/// An attribute of an [`Element`].
pub struct Attr {
    /// Namespace URI of a prefixed attribute; `None` for the usual unprefixed ones.
    pub ns: Option<Name>,
    /// Local name, without prefix.
    pub name: Name,
    /// Value with entity and character references expanded; whitespace as written.
    pub value: Box<str>,
}

#[derive(Debug, Clone)]
/// A child of an [`Element`]: comments and processing instructions are dropped when
/// parsing.
pub enum Node {
    /// A child element.
    Element(Element),
    /// Character data (CDATA included), references expanded; whitespace-only text survives
    /// only in
    /// mixed content (the indentation of element-only content is dropped).
    Text(Box<str>),
}

#[derive(Debug, Clone)]
/// An XML element with its attributes and children, owned; namespace prefixes are resolved
/// away.
pub struct Element {
    /// Namespace URI ("" when the element is in no namespace).
    pub ns: Name,
    /// Local name, without prefix (shared by every element of that name).
    pub name: Name,
    /// Attributes in document order, `xmlns` declarations excluded.
    pub attrs: Box<[Attr]>,
    /// Child elements and text, in document order.
    pub children: Box<[Node]>,
    /// Where the start tag begins in the file.
    pub pos: Pos,
}

impl Element {
    /// Value of an unprefixed attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && &*a.name == name)
            .map(|a| &*a.value)
    }

    /// Value of an attribute in a namespace (for example `xsi:nil`).
    pub fn attr_ns(&self, ns: &str, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(ns) && &*a.name == name)
            .map(|a| &*a.value)
    }

    /// Whether this element is `{ns}name`.
    pub fn is(&self, ns: &str, name: &str) -> bool {
        &*self.ns == ns && &*self.name == name
    }

    /// Child elements, in document order.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// The first child element `{ns}name`; `None` when there is none.
    pub fn child(&self, ns: &str, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.is(ns, name))
    }

    /// Every child element `{ns}name`, in document order.
    pub fn children_named<'a>(
        &'a self,
        ns: &'a str,
        name: &'a str,
    ) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.is(ns, name))
    }

    /// Concatenated text of this element and its descendants.
    pub fn text(&self) -> String {
        let mut out = String::new();
        self.collect_text(&mut out);
        out
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) => e.collect_text(out),
            }
        }
    }

    /// The element's content re-serialised as XML (used for XHTML descriptions); the
    /// namespace of nested elements is dropped, names are kept.
    pub fn inner_xml(&self) -> String {
        let mut out = String::new();
        for n in &self.children {
            write_node(n, &mut out);
        }
        out
    }

    /// `prefix:name` style label for messages.
    pub fn label(&self) -> String {
        self.name.to_string()
    }
}

fn write_node(n: &Node, out: &mut String) {
    match n {
        Node::Text(t) => out.push_str(&escape(t)),
        Node::Element(e) => {
            out.push('<');
            out.push_str(&e.name);
            for a in &e.attrs {
                out.push(' ');
                out.push_str(&a.name);
                out.push_str("=\"");
                out.push_str(&escape(&a.value));
                out.push('"');
            }
            if e.children.is_empty() {
                out.push_str("/>");
            } else {
                out.push('>');
                for c in &e.children {
                    write_node(c, out);
                }
                out.push_str("</");
                out.push_str(&e.name);
                out.push('>');
            }
        }
    }
}

/// Characters that must not reach a terminal or an XML 1.0 document as they are, when
/// they come from content or a host inside a one-line message: C0 and C1 controls
/// (escape sequences, carriage returns, newlines), the bidirectional overrides and
/// isolates that reorder what a reader sees, and the non-characters U+FFFE/U+FFFF that
/// XML forbids. Callers show them escaped (`\u{1b}`).
pub fn unsafe_in_line(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{fffe}' | '\u{ffff}'
        )
}

/// How one unsafe character ([`unsafe_in_line`]) is shown: C0, DEL and C1
/// controls as `\xNN`, bidirectional controls and non-characters as `\u{NNNN}`. The one
/// escape of text that did not come from vigil, wherever vigil shows it to a person.
pub fn push_escaped(out: &mut String, c: char) {
    use std::fmt::Write as _;
    let n = c as u32;
    let _ = if c.is_control() {
        write!(out, "\\x{n:02x}")
    } else {
        write!(out, "\\u{{{n:x}}}")
    };
}

/// Whether XML 1.0 (§2.2 `Char`) cannot hold `c` at all, even as a character
/// reference: the C0 controls but tab, newline and carriage return, and U+FFFE/U+FFFF.
fn not_xml_char(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// Escapes text for XML and HTML output. A character XML 1.0 cannot hold (a terminal
/// escape in a host's file name, a NUL in a justification) is shown escaped
/// ([`push_escaped`]) rather than making the document unreadable.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            c if not_xml_char(c) => push_escaped(&mut out, c),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A parsed document: its root element and the file it came from.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file the document was read from (or the name given to in-memory bytes).
    pub path: PathBuf,
    /// The document element.
    pub root: Element,
}

/// Maps byte offsets to line and column.
struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    fn pos(&self, text: &str, offset: usize) -> Pos {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset);
        let start = self.starts[line - 1];
        let col = text
            .get(start..offset)
            .map(|s| s.chars().count())
            .unwrap_or(offset - start);
        Pos {
            line: line as u32,
            col: col as u32 + 1,
        }
    }
}

/// Content files larger than this are refused unless `--max-content-size` says
/// otherwise: the tree costs a few times the file size in memory (see the README).
pub const DEFAULT_MAX_CONTENT_SIZE: u64 = 256 * 1024 * 1024;

/// Reads a content file, refusing it once it grows past `limit` bytes. The size is
/// checked while reading, not only from metadata, so a FIFO or a device such as
/// /dev/zero cannot make vigil read without bound.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>> {
    let (bytes, over) = crate::osutil::read_input(path, limit).map_err(|source| {
        if source.kind() == std::io::ErrorKind::IsADirectory {
            ContentError::Document {
                path: path.to_path_buf(),
                message: "is a directory, not a content file".into(),
            }
        } else {
            ContentError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    if over {
        return Err(ContentError::Document {
            path: path.to_path_buf(),
            message: format!(
                "content file is larger than the {limit}-byte limit (raise it with --max-content-size)"
            ),
        });
    }
    Ok(bytes)
}

/// Reads and parses a file (at most [`DEFAULT_MAX_CONTENT_SIZE`] bytes).
pub fn parse_file(path: &Path) -> Result<Document> {
    parse_file_limited(path, DEFAULT_MAX_CONTENT_SIZE)
}

/// Reads and parses a file of at most `limit` bytes.
pub fn parse_file_limited(path: &Path, limit: u64) -> Result<Document> {
    let bytes = read_limited(path, limit)?;
    parse_bytes(bytes, path)
}

/// Parses a document given as bytes; `path` is used in error messages only.
pub fn parse_bytes(bytes: Vec<u8>, path: &Path) -> Result<Document> {
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let prefix = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
        let idx = LineIndex::new(&prefix);
        ContentError::Syntax {
            path: path.to_path_buf(),
            pos: idx.pos(&prefix, offset),
            message: "file is not valid UTF-8".into(),
        }
    })?;
    parse_str(&text, path)
}

/// Parses SCAP content held in memory; `path` is used in error messages only. The
/// indentation between elements is not kept (whitespace-only text between
/// the children of an element that holds only elements is dropped; mixed content keeps it).
pub fn parse_str(text: &str, path: &Path) -> Result<Document> {
    parse(text, path, false)
}

/// Parses a document keeping every text node, whitespace included, as a target file
/// read by `xmlfilecontent` must be: an XPath `text()` may select it.
pub fn parse_str_exact(text: &str, path: &Path) -> Result<Document> {
    parse(text, path, true)
}

fn parse(text: &str, path: &Path, keep_indentation: bool) -> Result<Document> {
    let lines = LineIndex::new(text);
    let syntax = |offset: u64, message: String| ContentError::Syntax {
        path: path.to_path_buf(),
        pos: lines.pos(text, offset as usize),
        message,
    };
    let mut reader = NsReader::from_str(text);
    reader.config_mut().check_end_names = true;
    let mut names: HashMap<String, Name> = HashMap::new();
    let mut intern = |s: &str| -> Name {
        if let Some(a) = names.get(s) {
            return a.clone();
        }
        let a = Name(Arc::new(Box::from(s)));
        names.insert(s.to_string(), a.clone());
        a
    };
    // Children are gathered in a Vec while an element is open and boxed when it closes:
    // a closed element holds exactly what it has, which is most of a large document's
    // cost. Adjacent text (split by entity references) is joined before it is stored.
    struct Open {
        el: Element,
        children: Vec<Node>,
        text: String,
    }
    impl Open {
        fn flush_text(&mut self) {
            if !self.text.is_empty() {
                let t = std::mem::take(&mut self.text);
                self.children.push(Node::Text(t.into_boxed_str()));
            }
        }
        fn push_child(&mut self, el: Element) {
            self.flush_text();
            self.children.push(Node::Element(el));
        }
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let start_offset = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| syntax(reader.error_position(), e.to_string()))?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(syntax(
                        start_offset,
                        format!("elements nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                if root.is_some() {
                    return Err(syntax(
                        start_offset,
                        "content after the root element".into(),
                    ));
                }
                let pos = lines.pos(text, start_offset as usize);
                let el = build_element(&reader, e, pos, &mut intern)
                    .map_err(|m| syntax(start_offset, m))?;
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.push_child(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(Open {
                        el,
                        children: Vec::new(),
                        text: String::new(),
                    });
                }
            }
            Event::End(_) => {
                let mut open = stack.pop().expect("quick-xml checks end names");
                open.flush_text();
                if !keep_indentation {
                    drop_indentation(&mut open.children);
                }
                let mut el = open.el;
                el.children = open.children.into_boxed_slice();
                match stack.last_mut() {
                    Some(parent) => parent.push_child(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                if let Some(parent) = stack.last_mut() {
                    parent
                        .text
                        .push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0));
                }
            }
            Event::CData(t) => {
                if let Some(parent) = stack.last_mut() {
                    parent.text.push_str(&t.into_inner());
                }
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => {
                            return Err(syntax(
                                start_offset,
                                format!("invalid character reference &{};", r.into_inner()),
                            ));
                        }
                    }
                } else {
                    let name = r.into_inner();
                    match predefined_entity(&name) {
                        Some(s) => s.to_string(),
                        None => {
                            return Err(syntax(
                                start_offset,
                                format!(
                                    "undefined entity &{name}; (DTD entities are not supported)"
                                ),
                            ));
                        }
                    }
                };
                if let Some(parent) = stack.last_mut() {
                    parent.text.push_str(&resolved);
                }
            }
            Event::DocType(_) => {
                return Err(syntax(
                    start_offset,
                    "DOCTYPE declarations are refused: SCAP content has no DTD, and entity \
                     definitions could expand without bound or read external files"
                        .into(),
                ));
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(ContentError::Syntax {
            path: path.to_path_buf(),
            pos: open.el.pos,
            message: format!("element <{}> is never closed", open.el.name),
        });
    }
    let root = root.ok_or_else(|| ContentError::Document {
        path: path.to_path_buf(),
        message: "no root element (empty or not XML)".into(),
    })?;
    Ok(Document {
        path: path.to_path_buf(),
        root,
    })
}

fn predefined_entity(name: &str) -> Option<&'static str> {
    Some(match name {
        "lt" => "<",
        "gt" => ">",
        "amp" => "&",
        "apos" => "'",
        "quot" => "\"",
        _ => return None,
    })
}

const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// Removes the whitespace-only text between the child elements of an element that holds
/// only elements (the indentation of pretty-printed content, about half the nodes of a
/// benchmark). Mixed content keeps it: XHTML and XCCDF `sub`/`instance` placeholders in
/// descriptions and fixes, where a space between two elements is part of the text.
fn drop_indentation(children: &mut Vec<Node>) {
    let mut has_element = false;
    for n in children.iter() {
        match n {
            Node::Element(c) => {
                if &*c.ns == XHTML || c.name == "sub" || c.name == "instance" {
                    return;
                }
                has_element = true;
            }
            Node::Text(t) => {
                if !t.bytes().all(|b| b.is_ascii_whitespace()) {
                    return;
                }
            }
        }
    }
    if has_element {
        children.retain(|n| matches!(n, Node::Element(_)));
    }
}

fn build_element(
    reader: &NsReader<&[u8]>,
    e: &BytesStart<'_>,
    pos: Pos,
    intern: &mut impl FnMut(&str) -> Name,
) -> std::result::Result<Element, String> {
    let (ns, local) = reader.resolver().resolve_element(e.name());
    let ns = match ns {
        ResolveResult::Bound(n) => intern(n.as_ref()),
        ResolveResult::Unbound => intern(""),
        ResolveResult::Unknown(p) => {
            return Err(format!("undeclared namespace prefix '{}'", p));
        }
    };
    let name = intern(local.as_ref());
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|err| format!("<{name}>: malformed attribute: {err}"))?;
        let key = a.key;
        if key.as_namespace_binding().is_some() {
            continue;
        }
        let (ans, alocal) = reader.resolver().resolve_attribute(key);
        let ans = match ans {
            ResolveResult::Bound(n) => Some(intern(n.as_ref())),
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(format!(
                    "<{name}>: undeclared namespace prefix '{}' on an attribute",
                    p
                ));
            }
        };
        let value = a
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(|err| format!("<{name}>: attribute value: {err}"))?
            .into_owned();
        attrs.push(Attr {
            ns: ans,
            name: intern(alocal.as_ref()),
            value: value.into_boxed_str(),
        });
    }
    Ok(Element {
        ns,
        name,
        attrs: attrs.into_boxed_slice(),
        children: Box::default(),
        pos,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Document> {
        parse_str(s, Path::new("t.xml"))
    }

    #[test]
    fn escaped_text_is_always_well_formed_xml() {
        let hostile = "a<b>&\"c'\u{1b}[2J\u{0}\t\n\r\u{fffe}\u{202e}z";
        let e = escape(hostile);
        assert_eq!(
            e,
            "a&lt;b&gt;&amp;&quot;c&#39;\\x1b[2J\\x00\t\n\r\\u{fffe}\u{202e}z"
        );
        // A strict XML 1.0 parser reads it back.
        let d = parse(&format!("<r>{e}</r>")).unwrap();
        assert!(d.root.text().contains("\\x1b[2J"));
    }

    #[test]
    fn prefixes_resolve_to_namespaces() {
        let d =
            parse(r#"<a:x xmlns:a="urn:a"><b:y xmlns:b="urn:a" k="v &amp; w"/></a:x>"#).unwrap();
        assert!(d.root.is("urn:a", "x"));
        let y = d.root.child("urn:a", "y").unwrap();
        assert_eq!(y.attr("k"), Some("v & w"));
        assert_eq!(y.pos, Pos { line: 1, col: 22 });
    }

    #[test]
    fn indentation_between_elements_is_dropped_but_text_is_kept() {
        let doc = "<r>\n  <v> </v>\n  <d>a <h:b xmlns:h=\"http://www.w3.org/1999/xhtml\">b</h:b> \
                   <h:i xmlns:h=\"http://www.w3.org/1999/xhtml\">c</h:i></d>\n</r>";
        let d = parse(doc).unwrap();
        assert!(
            d.root
                .children
                .iter()
                .all(|n| matches!(n, Node::Element(_)))
        );
        assert_eq!(d.root.child("", "v").unwrap().text(), " ");
        assert_eq!(d.root.child("", "d").unwrap().text(), "a b c");
        // Whitespace alone between XHTML elements is text too.
        let d = parse("<d><h:b xmlns:h=\"http://www.w3.org/1999/xhtml\">b</h:b> <h:i xmlns:h=\"http://www.w3.org/1999/xhtml\">c</h:i></d>").unwrap();
        assert_eq!(d.root.text(), "b c");
        // A target file read by xmlfilecontent keeps everything.
        let d = parse_str_exact(doc, Path::new("t.xml")).unwrap();
        assert_eq!(d.root.children.len(), 5);
        // Names are shared, not copied per element.
        let d = parse("<r><v/><v/></r>").unwrap();
        let vs: Vec<&Element> = d.root.elements().collect();
        assert!(Arc::ptr_eq(&vs[0].name.0, &vs[1].name.0));
    }

    #[test]
    fn doctype_is_refused() {
        let e = parse("<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY a \"aaaa\">]>\n<x>&a;</x>")
            .unwrap_err();
        assert!(e.to_string().contains("t.xml:2:1: DOCTYPE"), "{e}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let s = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
        let e = parse(&s).unwrap_err();
        assert!(e.to_string().contains("nested deeper"), "{e}");
    }

    #[test]
    fn mismatched_end_names_give_position() {
        let e = parse("<a>\n  <b></c>\n</a>").unwrap_err();
        assert!(e.to_string().starts_with("t.xml:2:"), "{e}");
    }

    #[test]
    fn text_and_char_refs() {
        let d = parse("<a>x &lt; &#65;<![CDATA[<z>]]></a>").unwrap();
        assert_eq!(d.root.text(), "x < A<z>");
    }
}
