//! `xmlfilecontent_item` construction (OVAL 5.11 independent-system-characteristics):
//! the `value_of` every node an XPath selects in an XML file.
//!
//! vigil evaluates the XPath 1.0 subset real content uses: absolute location paths
//! (`/a/b`, `//b`), name tests and `*`, `text()`, `@name` and `@*` as the last step, and
//! predicates `[@a]`, `[@a='v']`, `[@a!='v']`, `[name='v']`, `[text()='v']` and `[n]`.
//! Anything else (functions, axes, namespace prefixes, arithmetic) is reported as an
//! item error naming the XPath, never approximated.

use std::ffi::OsStr;
use std::path::Path;

use super::file::push_location;
use crate::probes::{Item, ItemStatus};
use vigil_core::content::xml::{self, Element, Node};

#[derive(Debug, Clone, PartialEq)]
enum Test {
    Name(String),
    Any,
    Text,
    Attr(String),
    AnyAttr,
}

#[derive(Debug, Clone, PartialEq)]
enum Pred {
    HasAttr(String),
    AttrEq(String, String, bool),
    ChildEq(String, String, bool),
    TextEq(String, bool),
    Position(usize),
}

#[derive(Debug, Clone, PartialEq)]
struct Step {
    descendant: bool,
    test: Test,
    preds: Vec<Pred>,
}

/// A compiled XPath of the supported subset.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct XPath {
    source: String,
    steps: Vec<Step>,
}

fn unsupported(xpath: &str, what: &str) -> String {
    format!(
        "XPath '{xpath}' is not supported by vigil ({what}); supported: absolute paths, name tests, text(), @attr, and [@a='v'] / [n] predicates"
    )
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !s.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.')
}

fn literal(s: &str) -> Option<String> {
    let s = s.trim();
    let q = s.chars().next()?;
    if (q == '\'' || q == '"') && s.len() >= 2 && s.ends_with(q) {
        let inner = &s[1..s.len() - 1];
        (!inner.contains(q)).then(|| inner.to_string())
    } else {
        None
    }
}

impl XPath {
    pub(crate) fn parse(src: &str) -> Result<XPath, String> {
        let s = src.trim();
        if !s.starts_with('/') {
            return Err(unsupported(src, "only absolute location paths"));
        }
        // Split on '/' outside predicates and quotes.
        let mut raw: Vec<(bool, String)> = Vec::new();
        let (mut depth, mut quote, mut cur, mut descendant) =
            (0, None::<char>, String::new(), false);
        let chars: Vec<char> = s.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            match (c, quote) {
                ('\'' | '"', None) => {
                    quote = Some(c);
                    cur.push(c)
                }
                (q, Some(o)) if q == o => {
                    quote = None;
                    cur.push(c)
                }
                ('[', None) => {
                    depth += 1;
                    cur.push(c)
                }
                (']', None) => {
                    depth -= 1;
                    cur.push(c)
                }
                ('/', None) if depth == 0 => {
                    if i > 0 {
                        raw.push((descendant, std::mem::take(&mut cur)));
                    }
                    descendant = chars.get(i + 1) == Some(&'/');
                    if descendant {
                        i += 1;
                    }
                }
                _ => cur.push(c),
            }
            i += 1;
        }
        raw.push((descendant, cur));
        let n = raw.len();
        let mut steps = Vec::new();
        for (k, (descendant, text)) in raw.into_iter().enumerate() {
            let (head, preds) = match text.find('[') {
                Some(p) => (&text[..p], &text[p..]),
                None => (text.as_str(), ""),
            };
            let head = head.trim();
            let test = match head {
                "*" => Test::Any,
                "text()" => Test::Text,
                "@*" => Test::AnyAttr,
                h if h.starts_with('@') && is_name(&h[1..]) => Test::Attr(h[1..].to_string()),
                h if is_name(h) => Test::Name(h.to_string()),
                h if h.contains(':') => return Err(unsupported(src, "namespace prefixes")),
                "" => return Err(unsupported(src, "empty step")),
                h => return Err(unsupported(src, &format!("step '{h}'"))),
            };
            if matches!(test, Test::Text | Test::Attr(_) | Test::AnyAttr) && k + 1 != n {
                return Err(unsupported(src, "text() and @attr only as the last step"));
            }
            let mut pv = Vec::new();
            let mut rest = preds.trim();
            while !rest.is_empty() {
                let Some(end) = rest.find(']') else {
                    return Err(unsupported(src, "unbalanced predicate"));
                };
                if !rest.starts_with('[') {
                    return Err(unsupported(src, "text after a predicate"));
                }
                pv.push(parse_pred(src, &rest[1..end])?);
                rest = rest[end + 1..].trim();
            }
            if !pv.is_empty() && matches!(test, Test::Text | Test::Attr(_) | Test::AnyAttr) {
                return Err(unsupported(src, "predicates on text() or attributes"));
            }
            steps.push(Step {
                descendant,
                test,
                preds: pv,
            });
        }
        Ok(XPath {
            source: src.to_string(),
            steps,
        })
    }

    /// The string values of the selected nodes, in document order.
    pub(crate) fn eval(&self, root: &Element) -> Vec<String> {
        // The document node's only child is the root element.
        let mut set: Vec<&Element> = Vec::new();
        let mut out = Vec::new();
        for (k, step) in self.steps.iter().enumerate() {
            let mut candidates: Vec<&Element> = Vec::new();
            if k == 0 {
                if step.descendant {
                    descendants_or_self(root, &mut candidates);
                } else {
                    candidates.push(root);
                }
            } else {
                for e in &set {
                    if step.descendant {
                        for c in e.elements() {
                            descendants_or_self(c, &mut candidates);
                        }
                    } else {
                        candidates.extend(e.elements());
                    }
                }
            }
            if matches!(step.test, Test::Text | Test::Attr(_) | Test::AnyAttr) {
                // Text and attribute nodes belong to the context elements (or, after
                // `//`, to them and all their descendants).
                let owners: Vec<&Element> = match (k, step.descendant) {
                    (0, false) => Vec::new(),
                    (0, true) => candidates,
                    (_, false) => set.clone(),
                    (_, true) => {
                        let mut all = Vec::new();
                        for e in &set {
                            descendants_or_self(e, &mut all);
                        }
                        all
                    }
                };
                for e in owners {
                    match &step.test {
                        Test::Text => out.extend(e.children.iter().filter_map(|n| match n {
                            Node::Text(t) => Some(t.to_string()),
                            Node::Element(_) => None,
                        })),
                        Test::Attr(n) => out.extend(
                            e.attrs
                                .iter()
                                .filter(|a| a.ns.is_none() && &a.name == n)
                                .map(|a| a.value.to_string()),
                        ),
                        _ => out.extend(e.attrs.iter().map(|a| a.value.to_string())),
                    }
                }
                return out;
            }
            let named: Vec<&Element> = candidates
                .into_iter()
                .filter(|e| match &step.test {
                    Test::Name(n) => &e.name == n,
                    _ => true,
                })
                .collect();
            set = apply_preds(named, &step.preds);
        }
        set.iter().map(|e| e.text()).collect()
    }
}

fn descendants_or_self<'a>(e: &'a Element, out: &mut Vec<&'a Element>) {
    out.push(e);
    for c in e.elements() {
        descendants_or_self(c, out);
    }
}

fn parse_pred(src: &str, p: &str) -> Result<Pred, String> {
    let p = p.trim();
    if let Ok(n) = p.parse::<usize>() {
        return Ok(Pred::Position(n));
    }
    let (lhs, rhs, neg) = if let Some(i) = p.find("!=") {
        (&p[..i], Some(&p[i + 2..]), true)
    } else if let Some(i) = p.find('=') {
        (&p[..i], Some(&p[i + 1..]), false)
    } else {
        (p, None, false)
    };
    let lhs = lhs.trim();
    match (lhs, rhs) {
        (l, None) if l.starts_with('@') && is_name(&l[1..]) => {
            Ok(Pred::HasAttr(l[1..].to_string()))
        }
        (l, Some(r)) => {
            let v = literal(r).ok_or_else(|| unsupported(src, &format!("predicate '{p}'")))?;
            if let Some(a) = l.strip_prefix('@').filter(|a| is_name(a)) {
                Ok(Pred::AttrEq(a.to_string(), v, neg))
            } else if l == "text()" || l == "." {
                Ok(Pred::TextEq(v, neg))
            } else if is_name(l) {
                Ok(Pred::ChildEq(l.to_string(), v, neg))
            } else {
                Err(unsupported(src, &format!("predicate '{p}'")))
            }
        }
        _ => Err(unsupported(src, &format!("predicate '{p}'"))),
    }
}

fn apply_preds<'a>(mut set: Vec<&'a Element>, preds: &[Pred]) -> Vec<&'a Element> {
    for p in preds {
        set = match p {
            Pred::Position(n) => set.get(n.wrapping_sub(1)).copied().into_iter().collect(),
            _ => set
                .into_iter()
                .filter(|e| match p {
                    Pred::HasAttr(a) => e.attr(a).is_some(),
                    Pred::AttrEq(a, v, neg) => e.attr(a).is_some_and(|x| (x == v) != *neg),
                    Pred::ChildEq(c, v, neg) => e
                        .elements()
                        .any(|c2| &c2.name == c && ((c2.text() == *v) != *neg)),
                    Pred::TextEq(v, neg) => (e.text() == *v) != *neg,
                    Pred::Position(_) => true,
                })
                .collect(),
        };
    }
    set
}

/// The items for one file: one per XPath of the object.
pub(crate) fn items(
    dir: &Path,
    name: &OsStr,
    content: &[u8],
    xpaths: &[(String, Result<XPath, String>)],
) -> Vec<Item> {
    let doc = std::str::from_utf8(content)
        .map_err(|e| format!("not UTF-8 text: {e}"))
        .and_then(|text| xml::parse_str_exact(text, &dir.join(name)).map_err(|e| e.to_string()));
    xpaths
        .iter()
        .map(|(src, xp)| {
            let mut item = Item::new();
            push_location(&mut item, dir, Some(name));
            item.push("xpath", src.as_str());
            match (&doc, xp) {
                (Ok(doc), Ok(xp)) => {
                    for v in xp.eval(&doc.root) {
                        item.push("value_of", v);
                    }
                    item
                }
                (Err(e), _) | (_, Err(e)) => {
                    item.status = ItemStatus::Error;
                    item.message = Some(e.clone());
                    item
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"<?xml version="1.0"?>
<configuration>
  <appSettings>
    <add key="a" value="1"/>
    <add key="b" value="2"/>
  </appSettings>
  <name>first</name>
  <name>second</name>
</configuration>"#;

    fn eval(x: &str) -> Vec<String> {
        let doc = xml::parse_str_exact(DOC, Path::new("t.xml")).unwrap();
        XPath::parse(x).unwrap().eval(&doc.root)
    }

    #[test]
    fn subset() {
        assert_eq!(
            eval("/configuration/appSettings/add[@key='b']/@value"),
            ["2"]
        );
        assert_eq!(eval("/configuration/appSettings/add/@key"), ["a", "b"]);
        assert_eq!(eval("/configuration/name/text()"), ["first", "second"]);
        assert_eq!(eval("/configuration/name[2]"), ["second"]);
        assert_eq!(eval("//add[@key!='a']/@value"), ["2"]);
        assert_eq!(eval("/configuration/*[text()='first']"), ["first"]);
        assert!(eval("/other/name").is_empty());
    }

    #[test]
    fn beyond_the_subset_is_an_error() {
        for x in [
            "count(/a)",
            "/a/b[position()>1]",
            "/x:a",
            "a/b",
            "/a/following-sibling::b",
        ] {
            let e = XPath::parse(x).unwrap_err();
            assert!(e.contains("not supported"), "{x}: {e}");
        }
        let items = items(
            Path::new("/etc"),
            OsStr::new("c.xml"),
            DOC.as_bytes(),
            &[("count(/a)".into(), XPath::parse("count(/a)"))],
        );
        assert_eq!(items[0].status, ItemStatus::Error);
    }
}
