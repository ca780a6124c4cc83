//! OVAL 5.11 variables documents (oval-variables-schema.xsd, `oval_variables`): the
//! values of a definitions document's `external_variable`s, supplied from outside, as
//! `oscap oval eval --variables FILE` reads them.
//!
//! A document is refused as a whole, with the file, line and element, when it is not an
//! `oval_variables` document, when a `variable` lacks its id, datatype or values, when an
//! id repeats, or when a variable's declared datatype differs from the datatype the
//! definitions give the same external variable ([`OvalVariables::check_against`]):
//! values typed one way and compared another would give answers nobody asked for.
//! Whether each value is valid for its datatype and allowed by the variable's
//! `possible_value`/`possible_restriction` is decided by the engine, as for values
//! exported from XCCDF, so the three sources of external values obey one rule.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{Datatype, OvalDefinitions, VariableKind};
use crate::content::error::{ContentError, Pos, Result};
use crate::content::xml::{self, Element};

/// `oval-variables-5`: the namespace of a variables document.
pub const NS: &str = "http://oval.mitre.org/XMLSchema/oval-variables-5";

/// The values of one external variable, as the document gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct ExternalValues {
    /// The variable's OVAL id, `oval:NAMESPACE:var:N`.
    pub id: String,
    /// The `datatype` attribute of the `variable` element.
    pub datatype: Datatype,
    /// The `value` children, in order.
    pub values: Vec<String>,
    /// Where the `variable` element starts.
    pub pos: Pos,
}

/// A parsed OVAL variables document.
#[derive(Debug, Clone, PartialEq)]
pub struct OvalVariables {
    /// The file it was read from.
    pub path: PathBuf,
    /// Its variables, in document order.
    pub variables: Vec<ExternalValues>,
}

fn invalid(path: &Path, el: &Element, message: impl Into<String>) -> ContentError {
    ContentError::invalid(path, el.pos, el.label(), message)
}

impl OvalVariables {
    /// Reads the variables document at `path` (at most `limit` bytes).
    pub fn load(path: &Path, limit: u64) -> Result<OvalVariables> {
        let doc = xml::parse_file_limited(path, limit)?;
        Self::from_document(&doc)
    }

    /// The variables of a parsed document.
    pub fn from_document(doc: &xml::Document) -> Result<OvalVariables> {
        let path = doc.path.as_path();
        let root = &doc.root;
        if !root.is(NS, "oval_variables") {
            return Err(ContentError::Document {
                path: path.to_path_buf(),
                message: format!(
                    "the document element is <{}>, not an OVAL variables document \
                     (<oval_variables> in {NS})",
                    root.label()
                ),
            });
        }
        let mut variables = Vec::new();
        let mut seen: HashMap<String, Pos> = HashMap::new();
        for section in root.elements() {
            if section.is(NS, "generator") || &*section.name == "Signature" {
                continue;
            }
            if !section.is(NS, "variables") {
                return Err(invalid(
                    path,
                    section,
                    "unexpected element; an OVAL variables document holds generator and variables",
                ));
            }
            for v in section.elements() {
                if !v.is(NS, "variable") {
                    return Err(invalid(
                        path,
                        v,
                        "unexpected element in variables; only variable is allowed",
                    ));
                }
                let id = v
                    .attr("id")
                    .ok_or_else(|| invalid(path, v, "variable without an id attribute"))?;
                if !is_variable_id(id) {
                    return Err(invalid(
                        path,
                        v,
                        format!("id '{id}' is not an OVAL variable id (oval:NAMESPACE:var:N)"),
                    ));
                }
                let datatype: Datatype = v
                    .attr("datatype")
                    .ok_or_else(|| {
                        invalid(path, v, format!("variable {id} has no datatype attribute"))
                    })?
                    .parse()
                    .map_err(|m: String| {
                        invalid(path, v, format!("variable {id}: attribute 'datatype': {m}"))
                    })?;
                if datatype == Datatype::Record {
                    return Err(invalid(
                        path,
                        v,
                        format!("variable {id}: datatype 'record' is not allowed for a variable"),
                    ));
                }
                let mut values = Vec::new();
                for c in v.elements() {
                    if !c.is(NS, "value") {
                        return Err(invalid(
                            path,
                            c,
                            format!("unexpected element in variable {id}; only value is allowed"),
                        ));
                    }
                    values.push(c.text());
                }
                if values.is_empty() {
                    return Err(invalid(
                        path,
                        v,
                        format!("variable {id} has no value (the schema requires at least one)"),
                    ));
                }
                if let Some(first) = seen.insert(id.to_string(), v.pos) {
                    return Err(invalid(
                        path,
                        v,
                        format!(
                            "variable {id} is given twice (first at line {})",
                            first.line
                        ),
                    ));
                }
                variables.push(ExternalValues {
                    id: id.to_string(),
                    datatype,
                    values,
                    pos: v.pos,
                });
            }
        }
        Ok(OvalVariables {
            path: path.to_path_buf(),
            variables,
        })
    }

    /// Refuses a variable whose datatype differs from the datatype a definitions
    /// document declares for the same `external_variable`. Ids no document declares as
    /// external are ignored, as oscap ignores them (a variables file may serve several
    /// documents).
    pub fn check_against<'a>(
        &self,
        documents: impl IntoIterator<Item = &'a OvalDefinitions>,
    ) -> Result<()> {
        let documents: Vec<&OvalDefinitions> = documents.into_iter().collect();
        for v in &self.variables {
            for defs in &documents {
                let Some(decl) = defs.variables.get(&v.id) else {
                    continue;
                };
                if !matches!(decl.kind, VariableKind::External { .. }) {
                    continue;
                }
                if decl.datatype != v.datatype {
                    return Err(ContentError::Invalid {
                        path: self.path.clone(),
                        pos: v.pos,
                        element: "variable".into(),
                        message: format!(
                            "variable {} is declared {} here but {} in {} (line {})",
                            v.id,
                            v.datatype,
                            decl.datatype,
                            defs.path.display(),
                            decl.pos.line
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    /// The values by variable id.
    pub fn by_id(&self) -> HashMap<&str, &[String]> {
        self.variables
            .iter()
            .map(|v| (v.id.as_str(), v.values.as_slice()))
            .collect()
    }
}

fn is_variable_id(id: &str) -> bool {
    let mut parts = id.split(':');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("oval"), Some(ns), Some("var"), Some(n), None)
            if !ns.is_empty() && !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<OvalVariables> {
        let doc = xml::parse_str(text, Path::new("vars.xml"))?;
        OvalVariables::from_document(&doc)
    }

    fn doc(body: &str) -> String {
        format!(
            r#"<?xml version="1.0"?>
<oval_variables xmlns="{NS}" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5">
<generator><oval:schema_version>5.11.1</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<variables>{body}</variables>
</oval_variables>"#
        )
    }

    #[test]
    fn reads_typed_values_in_order() {
        let v = parse(&doc(
            r#"<variable id="oval:x:var:1" datatype="int" comment="c"><value>5</value><value>7</value></variable>
<variable id="oval:x:var:2" datatype="string" comment="c"><value> a b </value></variable>"#,
        ))
        .unwrap();
        assert_eq!(v.variables.len(), 2);
        assert_eq!(v.variables[0].datatype, Datatype::Int);
        assert_eq!(v.variables[0].values, ["5", "7"]);
        assert_eq!(v.variables[1].values, [" a b "]);
        assert_eq!(v.by_id()["oval:x:var:2"], [" a b ".to_string()]);
    }

    #[test]
    fn bad_documents_are_refused_with_file_and_line() {
        for (body, want) in [
            (
                r#"<variable datatype="int"><value>1</value></variable>"#,
                "vars.xml:4:",
            ),
            (
                r#"<variable id="oval:x:var:1" datatype="int"/>"#,
                "has no value",
            ),
            (
                r#"<variable id="oval:x:var:1"><value>1</value></variable>"#,
                "no datatype",
            ),
            (
                r#"<variable id="oval:x:var:1" datatype="integer"><value>1</value></variable>"#,
                "'datatype'",
            ),
            (
                r#"<variable id="x" datatype="int"><value>1</value></variable>"#,
                "not an OVAL variable id",
            ),
            (
                r#"<variable id="oval:x:var:1" datatype="int"><value>1</value></variable>
<variable id="oval:x:var:1" datatype="int"><value>2</value></variable>"#,
                "given twice (first at line 4)",
            ),
            (
                r#"<variable id="oval:x:var:1" datatype="int"><val>1</val></variable>"#,
                "only value is allowed",
            ),
        ] {
            let e = parse(&doc(body)).unwrap_err().to_string();
            assert!(e.contains(want), "{body}: {e}");
            assert!(e.starts_with("vars.xml:"), "{e}");
        }
        let e = parse(
            r#"<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"/>"#,
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("not an OVAL variables document"), "{e}");
    }
}
