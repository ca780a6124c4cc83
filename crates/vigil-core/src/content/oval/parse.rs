//! Parser from the namespace-resolved XML tree to the OVAL model
//! [`super::OvalDefinitions`] (OVAL 5.11.1 Language Specification §4.3, the
//! `oval_definitions` document of oval-definitions-schema.xsd).
//!
//! Entry points: [`parse_file`] and [`parse_definitions`], which return the model and the
//! list of [`Unsupported`] elements, and [`validate_references`], which checks that every
//! id reference in a parsed document resolves.
//!
//! The parser checks what the engine relies on: enumeration attributes, required
//! attributes, id syntax, duplicate ids and the child counts of sets and variable
//! functions. A schema violation is an error naming the file, line and column. An
//! element from a known namespace that vigil does not model (a child it does not know
//! under `definitions`, a test child it does not know, a future variable function) is
//! recorded as [`Unsupported`] so the caller can report it; where dropping it could turn
//! into a guessed result (inside `criteria` or `set`), it is an error instead.
//! Metadata beyond title, description and references is documentation only and is not
//! reported.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use indexmap::IndexMap;

use super::{
    ArithmeticOperation, Check, Component, Criteria, CriteriaNode, Datatype, DateTimeFormat,
    Definition, Entity, EntityValue, Existence, Family, Filter, FilterAction, Object, ObjectSet,
    Operation, Operator, OvalDefinitions, Reference, Restriction, SetOperator, State, Test,
    Unsupported, Variable, VariableKind, ns,
};
use crate::content::error::{ContentError, Pos, Result};
use crate::content::xml::{self, Element};

/// XML digital signature namespace (`ds:Signature` may close any OVAL element).
const XMLDSIG: &str = "http://www.w3.org/2000/09/xmldsig#";

/// The values of the definition `class` attribute (oval-common ClassEnumeration).
const CLASSES: &[&str] = &[
    "compliance",
    "inventory",
    "miscellaneous",
    "patch",
    "vulnerability",
];

/// Reads an OVAL definitions file (standalone, not a data stream).
pub fn parse_file(path: &Path) -> Result<(OvalDefinitions, Vec<Unsupported>)> {
    let doc = xml::parse_file(path)?;
    parse_definitions(&doc.root, path)
}

/// Parses an `oval_definitions` element; `path` names the file in errors and in the model.
pub fn parse_definitions(
    root: &Element,
    path: &Path,
) -> Result<(OvalDefinitions, Vec<Unsupported>)> {
    let mut parser = Parser {
        path,
        unsupported: Vec::new(),
    };
    let defs = parser.document(root)?;
    Ok((defs, parser.unsupported))
}

/// Checks that every reference in `defs` resolves inside the document: criterion
/// `test_ref`, `extend_definition`, test `object_ref` / `state_ref`, entity `var_ref`,
/// filter and set references, and variable component references. Returns one message
/// per dangling reference, naming the element that holds it.
pub fn validate_references(defs: &OvalDefinitions) -> Vec<String> {
    let mut v = RefCheck {
        defs,
        out: Vec::new(),
    };
    for d in defs.definitions.values() {
        if let Some(c) = &d.criteria {
            v.criteria(&d.id, c);
        }
    }
    for t in defs.tests.values() {
        if let Some(o) = &t.object_ref {
            v.object(&t.id, "object_ref", o);
        }
        for s in &t.state_refs {
            v.state(&t.id, "state_ref", s);
        }
    }
    for o in defs.objects.values() {
        v.entities(&o.id, &o.entities);
        v.filters(&o.id, &o.filters);
        if let Some(set) = &o.set {
            v.set(&o.id, set);
        }
        // variable_object names its variable in an entity, not in a var_ref attribute.
        if o.family == Family::Independent
            && o.kind == "variable_object"
            && let Some(e) = o.entity("var_ref")
            && let (Some(id), Operation::Equals) = (e.literal(), e.operation)
        {
            v.variable(&o.id, "var_ref entity", id.trim());
        }
    }
    for s in defs.states.values() {
        v.entities(&s.id, &s.entities);
    }
    for var in defs.variables.values() {
        if let VariableKind::Local(c) = &var.kind {
            v.component(&var.id, c);
        }
    }
    v.out
}

struct RefCheck<'a> {
    defs: &'a OvalDefinitions,
    out: Vec<String>,
}

impl RefCheck<'_> {
    fn dangling(&mut self, from: &str, what: &str, target: &str, kind: &str) {
        self.out.push(format!(
            "{from}: {what} '{target}' does not name any {kind} in this document"
        ));
    }

    fn test(&mut self, from: &str, what: &str, id: &str) {
        if !self.defs.tests.contains_key(id) {
            self.dangling(from, what, id, "test");
        }
    }

    fn definition(&mut self, from: &str, what: &str, id: &str) {
        if !self.defs.definitions.contains_key(id) {
            self.dangling(from, what, id, "definition");
        }
    }

    fn object(&mut self, from: &str, what: &str, id: &str) {
        if !self.defs.objects.contains_key(id) {
            self.dangling(from, what, id, "object");
        }
    }

    fn state(&mut self, from: &str, what: &str, id: &str) {
        if !self.defs.states.contains_key(id) {
            self.dangling(from, what, id, "state");
        }
    }

    fn variable(&mut self, from: &str, what: &str, id: &str) {
        if !self.defs.variables.contains_key(id) {
            self.dangling(from, what, id, "variable");
        }
    }

    fn criteria(&mut self, from: &str, c: &Criteria) {
        for child in &c.children {
            match child {
                CriteriaNode::Criteria(inner) => self.criteria(from, inner),
                CriteriaNode::Criterion { test_ref, .. } => self.test(from, "test_ref", test_ref),
                CriteriaNode::ExtendDefinition { definition_ref, .. } => {
                    self.definition(from, "definition_ref", definition_ref)
                }
            }
        }
    }

    fn entities(&mut self, from: &str, entities: &[Entity]) {
        for e in entities {
            if let Some(var) = e.var_ref() {
                self.variable(from, &format!("var_ref of entity '{}'", e.name), var);
            }
            self.entities(from, &e.fields);
        }
    }

    fn filters(&mut self, from: &str, filters: &[Filter]) {
        for f in filters {
            self.state(from, "filter", &f.state_ref);
        }
    }

    fn set(&mut self, from: &str, set: &ObjectSet) {
        for o in &set.object_refs {
            self.object(from, "object_reference", o);
        }
        self.filters(from, &set.filters);
        for s in &set.sets {
            self.set(from, s);
        }
    }

    fn component(&mut self, from: &str, c: &Component) {
        match c {
            Component::Literal { .. } => {}
            Component::Object { object_ref, .. } => {
                self.object(from, "object_component object_ref", object_ref)
            }
            Component::Variable { var_ref } => {
                self.variable(from, "variable_component var_ref", var_ref)
            }
            Component::Arithmetic { components, .. }
            | Component::TimeDifference { components, .. }
            | Component::Concat(components)
            | Component::Count(components)
            | Component::Unique(components) => {
                for inner in components {
                    self.component(from, inner);
                }
            }
            Component::Begin { component, .. }
            | Component::End { component, .. }
            | Component::RegexCapture { component, .. }
            | Component::Split { component, .. }
            | Component::Substring { component, .. }
            | Component::GlobToRegex { component, .. }
            | Component::EscapeRegex(component) => self.component(from, component),
        }
    }
}

fn is_notes(el: &Element) -> bool {
    el.name == "notes" && (&*el.ns == ns::DEFINITIONS || &*el.ns == ns::COMMON)
}

fn is_signature(el: &Element) -> bool {
    el.is(XMLDSIG, "Signature")
}

/// Elements of the core OVAL namespaces; anything else under `tests`, `objects` or
/// `states` is a (possibly unknown) test family.
fn is_core(el: &Element) -> bool {
    &*el.ns == ns::DEFINITIONS || &*el.ns == ns::COMMON
}

struct Parser<'a> {
    path: &'a Path,
    unsupported: Vec<Unsupported>,
}

impl Parser<'_> {
    fn err(&self, el: &Element, message: impl Into<String>) -> ContentError {
        ContentError::invalid(self.path, el.pos, el.label(), message)
    }

    fn unsupported(&mut self, el: &Element, message: impl Into<String>) {
        self.unsupported.push(Unsupported {
            path: self.path.to_path_buf(),
            pos: el.pos,
            element: el.label(),
            message: message.into(),
        });
    }

    /// An element vigil does not model where the schema allows nothing else.
    fn unknown_child(&mut self, el: &Element, parent: &str) {
        let message = if is_signature(el) {
            "XML digital signatures are not verified by vigil".to_string()
        } else {
            format!(
                "element '{}' (namespace '{}') inside <{parent}> is not supported by vigil; \
                 it is ignored",
                el.name, el.ns
            )
        };
        self.unsupported(el, message);
    }

    fn required<'e>(&self, el: &'e Element, name: &str) -> Result<&'e str> {
        match el.attr(name) {
            Some(v) if !v.is_empty() => Ok(v),
            Some(_) => Err(self.err(el, format!("attribute '{name}' is empty"))),
            None => Err(self.err(el, format!("missing required attribute '{name}'"))),
        }
    }

    fn parse_value<T: FromStr<Err = String>>(
        &self,
        el: &Element,
        name: &str,
        value: &str,
    ) -> Result<T> {
        value
            .parse()
            .map_err(|m: String| self.err(el, format!("attribute '{name}': {m}")))
    }

    fn enum_or<T: FromStr<Err = String>>(&self, el: &Element, name: &str, default: T) -> Result<T> {
        match el.attr(name) {
            Some(v) => self.parse_value(el, name, v),
            None => Ok(default),
        }
    }

    fn enum_required<T: FromStr<Err = String>>(&self, el: &Element, name: &str) -> Result<T> {
        let v = self.required(el, name)?;
        self.parse_value(el, name, v)
    }

    fn xsd_bool(&self, el: &Element, name: &str, value: Option<&str>) -> Result<Option<bool>> {
        match value.map(str::trim) {
            None => Ok(None),
            Some("true" | "1") => Ok(Some(true)),
            Some("false" | "0") => Ok(Some(false)),
            Some(other) => Err(self.err(
                el,
                format!("attribute '{name}': '{other}' is not a boolean (true, false, 1 or 0)"),
            )),
        }
    }

    fn bool_or(&self, el: &Element, name: &str, default: bool) -> Result<bool> {
        Ok(self.xsd_bool(el, name, el.attr(name))?.unwrap_or(default))
    }

    fn integer(&self, el: &Element, name: &str) -> Result<i64> {
        let v = self.required(el, name)?;
        v.trim()
            .parse()
            .map_err(|_| self.err(el, format!("attribute '{name}': '{v}' is not an integer")))
    }

    /// The `id` attribute, checked against the schema pattern
    /// `oval:[A-Za-z0-9_\-\.]+:<kind>:[1-9][0-9]*`.
    fn id(&self, el: &Element, kind: &str) -> Result<String> {
        let id = self.required(el, "id")?;
        if !valid_id(id, kind) {
            return Err(self.err(
                el,
                format!("id '{id}' does not have the form oval:<namespace>:{kind}:<number>"),
            ));
        }
        Ok(id.to_string())
    }

    /// The required `version` attribute (a non-negative integer).
    fn version(&self, el: &Element) -> Result<String> {
        let v = self.required(el, "version")?;
        if !v.bytes().all(|b| b.is_ascii_digit()) {
            return Err(self.err(
                el,
                format!("attribute 'version': '{v}' is not a non-negative integer"),
            ));
        }
        Ok(v.to_string())
    }

    fn insert_unique<T>(
        &self,
        map: &mut IndexMap<String, T>,
        el: &Element,
        id: String,
        item: T,
        pos_of: fn(&T) -> Pos,
    ) -> Result<()> {
        if let Some(first) = map.get(&id) {
            return Err(self.err(
                el,
                format!(
                    "duplicate id '{id}': already defined at {}:{}",
                    self.path.display(),
                    pos_of(first)
                ),
            ));
        }
        map.insert(id, item);
        Ok(())
    }

    fn document(&mut self, root: &Element) -> Result<OvalDefinitions> {
        if !root.is(ns::DEFINITIONS, "oval_definitions") {
            return Err(self.err(
                root,
                format!(
                    "expected the root element oval_definitions in namespace {}, found '{}' in \
                     namespace '{}'",
                    ns::DEFINITIONS,
                    root.name,
                    root.ns
                ),
            ));
        }
        let mut out = OvalDefinitions {
            path: self.path.to_path_buf(),
            ..Default::default()
        };
        for section in root.elements() {
            if &*section.ns != ns::DEFINITIONS {
                self.unknown_child(section, "oval_definitions");
                continue;
            }
            match section.name.as_str() {
                "generator" => {
                    if let Some(v) = section.child(ns::COMMON, "schema_version") {
                        out.schema_version = v.text().trim().to_string();
                    }
                }
                "definitions" => {
                    for el in section.elements() {
                        if el.is(ns::DEFINITIONS, "definition") {
                            let d = self.definition(el)?;
                            self.insert_unique(&mut out.definitions, el, d.id.clone(), d, |d| {
                                d.pos
                            })?;
                        } else {
                            self.unknown_child(el, "definitions");
                        }
                    }
                }
                "tests" => {
                    for el in section.elements() {
                        if is_core(el) || is_signature(el) {
                            self.unknown_child(el, "tests");
                            continue;
                        }
                        let t = self.test(el)?;
                        self.insert_unique(&mut out.tests, el, t.id.clone(), t, |t| t.pos)?;
                    }
                }
                "objects" => {
                    for el in section.elements() {
                        if is_core(el) || is_signature(el) {
                            self.unknown_child(el, "objects");
                            continue;
                        }
                        let o = self.object(el)?;
                        self.insert_unique(&mut out.objects, el, o.id.clone(), o, |o| o.pos)?;
                    }
                }
                "states" => {
                    for el in section.elements() {
                        if is_core(el) || is_signature(el) {
                            self.unknown_child(el, "states");
                            continue;
                        }
                        let s = self.state(el)?;
                        self.insert_unique(&mut out.states, el, s.id.clone(), s, |s| s.pos)?;
                    }
                }
                "variables" => {
                    for el in section.elements() {
                        if &*el.ns != ns::DEFINITIONS
                            || !matches!(
                                el.name.as_str(),
                                "constant_variable" | "external_variable" | "local_variable"
                            )
                        {
                            self.unknown_child(el, "variables");
                            continue;
                        }
                        // Ids are checked even for variables dropped as unsupported, so a
                        // duplicate is never hidden.
                        let id = self.id(el, "var")?;
                        if let Some(first) = out.variables.get(&id) {
                            return Err(self.err(
                                el,
                                format!(
                                    "duplicate id '{id}': already defined at {}:{}",
                                    self.path.display(),
                                    first.pos
                                ),
                            ));
                        }
                        if let Some(v) = self.variable(el, id)? {
                            out.variables.insert(v.id.clone(), v);
                        }
                    }
                }
                _ => self.unknown_child(section, "oval_definitions"),
            }
        }
        Ok(out)
    }

    fn definition(&mut self, el: &Element) -> Result<Definition> {
        let id = self.id(el, "def")?;
        let version = self.version(el)?;
        let class = self.required(el, "class")?;
        if !CLASSES.contains(&class) {
            return Err(self.err(
                el,
                format!(
                    "attribute 'class': '{class}' is not a valid class (expected one of: {})",
                    CLASSES.join(", ")
                ),
            ));
        }
        let deprecated = self.bool_or(el, "deprecated", false)?;
        let mut def = Definition {
            id,
            version,
            class: class.to_string(),
            deprecated,
            title: String::new(),
            description: String::new(),
            references: Vec::new(),
            criteria: None,
            pos: el.pos,
        };
        for child in el.elements() {
            if is_notes(child) {
                continue;
            }
            if &*child.ns != ns::DEFINITIONS {
                self.unknown_child(child, "definition");
                continue;
            }
            match child.name.as_str() {
                "metadata" => self.metadata(child, &mut def)?,
                "criteria" => {
                    if def.criteria.is_some() {
                        return Err(self.err(child, "a definition has at most one criteria"));
                    }
                    def.criteria = Some(self.criteria(child)?);
                }
                _ => self.unknown_child(child, "definition"),
            }
        }
        if def.criteria.is_none() && !deprecated {
            return Err(self.err(
                el,
                "definition has no criteria (only a deprecated definition may omit them)",
            ));
        }
        Ok(def)
    }

    fn metadata(&mut self, el: &Element, def: &mut Definition) -> Result<()> {
        for child in el.elements() {
            if &*child.ns != ns::DEFINITIONS {
                // The schema allows any element here as documentation.
                continue;
            }
            match child.name.as_str() {
                "title" => def.title = child.text().trim().to_string(),
                "description" => def.description = child.text().trim().to_string(),
                "reference" => def.references.push(Reference {
                    source: self.required(child, "source")?.to_string(),
                    ref_id: self.required(child, "ref_id")?.to_string(),
                    ref_url: child.attr("ref_url").map(str::to_string),
                }),
                // `affected` (family and platforms) documents the definition; evaluation
                // does not use it.
                _ => {}
            }
        }
        Ok(())
    }

    fn criteria(&mut self, el: &Element) -> Result<Criteria> {
        let mut c = Criteria {
            operator: self.enum_or(el, "operator", Operator::And)?,
            negate: self.bool_or(el, "negate", false)?,
            applicability_check: self.xsd_bool(
                el,
                "applicability_check",
                el.attr("applicability_check"),
            )?,
            comment: el.attr("comment").map(str::to_string),
            children: Vec::new(),
        };
        for child in el.elements() {
            // Dropping a child would change the operator's result, so anything unknown is
            // an error rather than an Unsupported entry.
            if &*child.ns != ns::DEFINITIONS {
                return Err(self.err(
                    child,
                    format!(
                        "unexpected element in criteria (namespace '{}'); only criteria, \
                         criterion and extend_definition are allowed",
                        child.ns
                    ),
                ));
            }
            let negate = self.bool_or(child, "negate", false)?;
            let applicability_check = self.xsd_bool(
                child,
                "applicability_check",
                child.attr("applicability_check"),
            )?;
            let comment = child.attr("comment").map(str::to_string);
            let node = match child.name.as_str() {
                "criteria" => CriteriaNode::Criteria(self.criteria(child)?),
                "criterion" => CriteriaNode::Criterion {
                    test_ref: self.required(child, "test_ref")?.to_string(),
                    negate,
                    applicability_check,
                    comment,
                },
                "extend_definition" => CriteriaNode::ExtendDefinition {
                    definition_ref: self.required(child, "definition_ref")?.to_string(),
                    negate,
                    applicability_check,
                    comment,
                },
                _ => {
                    return Err(self.err(
                        child,
                        "unexpected element in criteria; only criteria, criterion and \
                         extend_definition are allowed",
                    ));
                }
            };
            c.children.push(node);
        }
        if c.children.is_empty() {
            return Err(self.err(
                el,
                "criteria must contain at least one criteria, criterion or extend_definition",
            ));
        }
        Ok(c)
    }

    fn test(&mut self, el: &Element) -> Result<Test> {
        let id = self.id(el, "tst")?;
        self.version(el)?;
        let mut t = Test {
            id,
            family: Family::from_namespace(&el.ns),
            kind: el.name.to_string(),
            comment: el.attr("comment").map(str::to_string),
            deprecated: self.bool_or(el, "deprecated", false)?,
            check: self.enum_required(el, "check")?,
            check_existence: self.enum_or(el, "check_existence", Existence::AtLeastOneExists)?,
            state_operator: self.enum_or(el, "state_operator", Operator::And)?,
            object_ref: None,
            state_refs: Vec::new(),
            pos: el.pos,
        };
        for child in el.elements() {
            if child.ns == el.ns && child.name == "object" {
                if t.object_ref.is_some() {
                    return Err(self.err(child, "a test has at most one object"));
                }
                t.object_ref = Some(self.required(child, "object_ref")?.to_string());
            } else if child.ns == el.ns && child.name == "state" {
                t.state_refs
                    .push(self.required(child, "state_ref")?.to_string());
            } else if !is_notes(child) {
                self.unknown_child(child, &el.name);
            }
        }
        if t.object_ref.is_none() && t.kind != "unknown_test" {
            return Err(self.err(el, "test has no object element"));
        }
        Ok(t)
    }

    fn object(&mut self, el: &Element) -> Result<Object> {
        let id = self.id(el, "obj")?;
        self.version(el)?;
        let mut o = Object {
            id,
            family: Family::from_namespace(&el.ns),
            kind: el.name.to_string(),
            comment: el.attr("comment").map(str::to_string),
            deprecated: self.bool_or(el, "deprecated", false)?,
            behaviors: BTreeMap::new(),
            entities: Vec::new(),
            set: None,
            filters: Vec::new(),
            pos: el.pos,
        };
        let mut behaviors_seen = false;
        for child in el.elements() {
            if is_notes(child) {
                continue;
            }
            if &*child.ns == ns::DEFINITIONS {
                match child.name.as_str() {
                    "set" => {
                        if o.set.is_some() {
                            return Err(self.err(child, "an object has at most one set"));
                        }
                        o.set = Some(self.set(child)?);
                    }
                    "filter" => o.filters.push(self.filter(child)?),
                    _ => self.unknown_child(child, &el.name),
                }
            } else if child.ns == el.ns && child.name == "behaviors" {
                if behaviors_seen {
                    return Err(self.err(child, "an object has at most one behaviors element"));
                }
                behaviors_seen = true;
                o.behaviors = child
                    .attrs
                    .iter()
                    .filter(|a| a.ns.is_none())
                    .map(|a| (a.name.to_string(), a.value.to_string()))
                    .collect();
            } else if child.ns == el.ns {
                o.entities.push(self.entity(child, false)?);
            } else {
                self.unknown_child(child, &el.name);
            }
        }
        if o.set.is_some() && (!o.entities.is_empty() || !o.filters.is_empty() || behaviors_seen) {
            return Err(self.err(
                el,
                "an object defined by a set cannot also have entities, behaviors or filters",
            ));
        }
        Ok(o)
    }

    fn filter(&self, el: &Element) -> Result<Filter> {
        let state_ref = el.text().trim().to_string();
        if state_ref.is_empty() {
            return Err(self.err(el, "filter names no state id"));
        }
        Ok(Filter {
            action: self.enum_or(el, "action", FilterAction::Exclude)?,
            state_ref,
        })
    }

    fn set(&mut self, el: &Element) -> Result<ObjectSet> {
        let mut s = ObjectSet {
            operator: self.enum_or(el, "set_operator", SetOperator::Union)?,
            object_refs: Vec::new(),
            sets: Vec::new(),
            filters: Vec::new(),
        };
        for child in el.elements() {
            let name = if &*child.ns == ns::DEFINITIONS {
                child.name.as_str()
            } else {
                ""
            };
            match name {
                "object_reference" => {
                    let r = child.text().trim().to_string();
                    if r.is_empty() {
                        return Err(self.err(child, "object_reference names no object id"));
                    }
                    s.object_refs.push(r);
                }
                "set" => s.sets.push(self.set(child)?),
                "filter" => s.filters.push(self.filter(child)?),
                _ => {
                    return Err(self.err(
                        child,
                        "unexpected element in set; only object_reference, filter and set are \
                         allowed",
                    ));
                }
            }
        }
        let refs_form = (1..=2).contains(&s.object_refs.len()) && s.sets.is_empty();
        let sets_form =
            (1..=2).contains(&s.sets.len()) && s.object_refs.is_empty() && s.filters.is_empty();
        if !refs_form && !sets_form {
            return Err(self.err(
                el,
                format!(
                    "a set holds either one or two object_reference elements (with optional \
                     filters) or one or two sets; found {} object_reference, {} set, {} filter",
                    s.object_refs.len(),
                    s.sets.len(),
                    s.filters.len()
                ),
            ));
        }
        Ok(s)
    }

    /// An object or state entity, or (`is_field`) a field of a record entity.
    fn entity(&mut self, el: &Element, is_field: bool) -> Result<Entity> {
        let name = if is_field {
            self.required(el, "name")?.to_string()
        } else {
            el.name.to_string()
        };
        let datatype = self.enum_or(el, "datatype", Datatype::String)?;
        let mut fields = Vec::new();
        for child in el.elements() {
            let field_ns = &*child.ns == ns::DEFINITIONS || child.ns == el.ns;
            if !is_field && child.name == "field" && field_ns {
                fields.push(self.entity(child, true)?);
            } else {
                self.unknown_child(child, &el.name);
            }
        }
        if !fields.is_empty() && datatype != Datatype::Record {
            return Err(self.err(
                el,
                format!("field elements need datatype 'record', not '{datatype}'"),
            ));
        }
        let value = match el.attr("var_ref") {
            Some("") => return Err(self.err(el, "attribute 'var_ref' is empty")),
            Some(v) => EntityValue::VarRef(v.to_string()),
            None if datatype == Datatype::Record => EntityValue::Literal(String::new()),
            None => EntityValue::Literal(el.text()),
        };
        Ok(Entity {
            name,
            datatype,
            operation: self.enum_or(el, "operation", Operation::Equals)?,
            value,
            mask: self.bool_or(el, "mask", false)?,
            nil: self
                .xsd_bool(el, "xsi:nil", el.attr_ns(ns::XSI, "nil"))?
                .unwrap_or(false),
            var_check: self.enum_or(el, "var_check", Check::All)?,
            entity_check: self.enum_or(el, "entity_check", Check::All)?,
            fields,
            pos: el.pos,
        })
    }

    fn state(&mut self, el: &Element) -> Result<State> {
        let id = self.id(el, "ste")?;
        self.version(el)?;
        let mut s = State {
            id,
            family: Family::from_namespace(&el.ns),
            kind: el.name.to_string(),
            comment: el.attr("comment").map(str::to_string),
            deprecated: self.bool_or(el, "deprecated", false)?,
            operator: self.enum_or(el, "operator", Operator::And)?,
            entities: Vec::new(),
            pos: el.pos,
        };
        for child in el.elements() {
            if child.ns == el.ns {
                s.entities.push(self.entity(child, false)?);
            } else if !is_notes(child) {
                self.unknown_child(child, &el.name);
            }
        }
        Ok(s)
    }

    /// A variable; `None` when it uses a function vigil does not implement (recorded as
    /// Unsupported, so references to it fail instead of evaluating wrongly).
    fn variable(&mut self, el: &Element, id: String) -> Result<Option<Variable>> {
        self.version(el)?;
        let datatype = self.enum_required(el, "datatype")?;
        let kind = match el.name.as_str() {
            "constant_variable" => {
                let mut values = Vec::new();
                for child in el.elements() {
                    if child.is(ns::DEFINITIONS, "value") {
                        values.push(child.text());
                    } else if !is_notes(child) {
                        self.unknown_child(child, &el.name);
                    }
                }
                if values.is_empty() {
                    return Err(self.err(el, "constant_variable has no value"));
                }
                VariableKind::Constant(values)
            }
            "external_variable" => self.external(el)?,
            _ => {
                let mut components = Vec::new();
                for child in el.elements() {
                    if !is_notes(child) && !is_signature(child) {
                        components.push(child);
                    }
                }
                let [child] = components[..] else {
                    return Err(self.err(
                        el,
                        format!(
                            "local_variable needs exactly one component, found {}",
                            components.len()
                        ),
                    ));
                };
                match self.component(child)? {
                    Some(c) => VariableKind::Local(c),
                    None => return Ok(None),
                }
            }
        };
        Ok(Some(Variable {
            id,
            datatype,
            comment: el.attr("comment").map(str::to_string),
            kind,
            pos: el.pos,
        }))
    }

    fn external(&mut self, el: &Element) -> Result<VariableKind> {
        let mut possible_values = Vec::new();
        let mut possible_restrictions = Vec::new();
        for child in el.elements() {
            if child.is(ns::DEFINITIONS, "possible_value") {
                possible_values.push(child.text());
            } else if child.is(ns::DEFINITIONS, "possible_restriction") {
                let mut r = Restriction {
                    operator: self.enum_or(child, "operator", Operator::And)?,
                    restrictions: Vec::new(),
                };
                for rc in child.elements() {
                    if rc.is(ns::DEFINITIONS, "restriction") {
                        r.restrictions
                            .push((self.enum_required(rc, "operation")?, rc.text()));
                    } else {
                        return Err(self.err(
                            rc,
                            "unexpected element in possible_restriction; only restriction is \
                             allowed",
                        ));
                    }
                }
                if r.restrictions.is_empty() {
                    return Err(self.err(child, "possible_restriction has no restriction"));
                }
                possible_restrictions.push(r);
            } else if !is_notes(child) {
                self.unknown_child(child, &el.name);
            }
        }
        Ok(VariableKind::External {
            possible_values,
            possible_restrictions,
        })
    }

    /// The components inside a function, `min..=max` of them. `None` when one of them is
    /// unsupported.
    fn components(
        &mut self,
        el: &Element,
        min: usize,
        max: usize,
    ) -> Result<Option<Vec<Component>>> {
        let children: Vec<&Element> = el.elements().collect();
        if children.len() < min || children.len() > max {
            let wanted = match (min, max) {
                (a, b) if a == b => format!("exactly {a}"),
                (a, usize::MAX) => format!("at least {a}"),
                (a, b) => format!("{a} to {b}"),
            };
            return Err(self.err(
                el,
                format!(
                    "{} takes {wanted} component(s), found {}",
                    el.name,
                    children.len()
                ),
            ));
        }
        let mut out = Vec::with_capacity(children.len());
        for child in children {
            match self.component(child)? {
                Some(c) => out.push(c),
                None => return Ok(None),
            }
        }
        Ok(Some(out))
    }

    fn one_component(&mut self, el: &Element) -> Result<Option<Box<Component>>> {
        Ok(self
            .components(el, 1, 1)?
            .map(|mut v| Box::new(v.remove(0))))
    }

    /// OVAL 5.11 §4.3.6.7: a component or function of a local variable.
    fn component(&mut self, el: &Element) -> Result<Option<Component>> {
        if &*el.ns != ns::DEFINITIONS {
            self.unknown_child(el, "local_variable");
            return Ok(None);
        }
        let c = match el.name.as_str() {
            "literal_component" => Component::Literal {
                datatype: self.enum_or(el, "datatype", Datatype::String)?,
                value: el.text(),
            },
            "object_component" => Component::Object {
                object_ref: self.required(el, "object_ref")?.to_string(),
                item_field: self.required(el, "item_field")?.to_string(),
                record_field: el.attr("record_field").map(str::to_string),
            },
            "variable_component" => Component::Variable {
                var_ref: self.required(el, "var_ref")?.to_string(),
            },
            "arithmetic" => {
                let operation: ArithmeticOperation =
                    self.enum_required(el, "arithmetic_operation")?;
                let Some(components) = self.components(el, 2, usize::MAX)? else {
                    return Ok(None);
                };
                Component::Arithmetic {
                    operation,
                    components,
                }
            }
            "begin" | "end" => {
                let character = self.required(el, "character")?.to_string();
                let Some(component) = self.one_component(el)? else {
                    return Ok(None);
                };
                if el.name == "begin" {
                    Component::Begin {
                        character,
                        component,
                    }
                } else {
                    Component::End {
                        character,
                        component,
                    }
                }
            }
            "concat" | "count" | "unique" => {
                let min = if el.name == "concat" { 2 } else { 1 };
                let Some(components) = self.components(el, min, usize::MAX)? else {
                    return Ok(None);
                };
                match el.name.as_str() {
                    "concat" => Component::Concat(components),
                    "count" => Component::Count(components),
                    _ => Component::Unique(components),
                }
            }
            "escape_regex" => match self.one_component(el)? {
                Some(c) => Component::EscapeRegex(c),
                None => return Ok(None),
            },
            "regex_capture" => {
                let pattern = el.attr("pattern").unwrap_or_default().to_string();
                let Some(component) = self.one_component(el)? else {
                    return Ok(None);
                };
                Component::RegexCapture { pattern, component }
            }
            "split" => {
                let delimiter = self.required(el, "delimiter")?.to_string();
                let Some(component) = self.one_component(el)? else {
                    return Ok(None);
                };
                Component::Split {
                    delimiter,
                    component,
                }
            }
            "substring" => {
                let start = self.integer(el, "substring_start")?;
                let length = self.integer(el, "substring_length")?;
                let Some(component) = self.one_component(el)? else {
                    return Ok(None);
                };
                Component::Substring {
                    start,
                    length,
                    component,
                }
            }
            "time_difference" => {
                let format_1 = self.enum_or(el, "format_1", DateTimeFormat::YearMonthDay)?;
                let format_2 = self.enum_or(el, "format_2", DateTimeFormat::YearMonthDay)?;
                let Some(components) = self.components(el, 1, 2)? else {
                    return Ok(None);
                };
                Component::TimeDifference {
                    format_1,
                    format_2,
                    components,
                }
            }
            "glob_to_regex" => {
                let glob_noescape = self.bool_or(el, "glob_noescape", false)?;
                let Some(component) = self.one_component(el)? else {
                    return Ok(None);
                };
                Component::GlobToRegex {
                    glob_noescape,
                    component,
                }
            }
            _ => {
                self.unsupported(
                    el,
                    format!(
                        "variable function '{}' is not supported by vigil; the variable is \
                         left undefined",
                        el.name
                    ),
                );
                return Ok(None);
            }
        };
        Ok(Some(c))
    }
}

/// `oval:<ns>:<kind>:<n>` where `<ns>` is `[A-Za-z0-9_.-]+` and `<n>` has no leading zero.
fn valid_id(id: &str, kind: &str) -> bool {
    let mut parts = id.split(':');
    let (Some("oval"), Some(namespace), Some(k), Some(num), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return false;
    };
    !namespace.is_empty()
        && namespace
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
        && k == kind
        && num.bytes().all(|b| b.is_ascii_digit())
        && num.as_bytes().first().is_some_and(|b| *b != b'0')
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::xml::parse_str;

    /// A document whose OVAL core elements use prefix `p` ("" for the default
    /// namespace); `@` in `body` stands for that prefix. The body starts on line 2.
    fn doc(p: &str, body: &str) -> String {
        let decl = match p.strip_suffix(':') {
            Some(name) => format!("xmlns:{name}=\"{}\"", ns::DEFINITIONS),
            None => format!("xmlns=\"{}\"", ns::DEFINITIONS),
        };
        format!(
            "<{p}oval_definitions {decl} xmlns:oval=\"{}\" xmlns:ind=\"{}\" xmlns:unix=\"{}\" \
             xmlns:linux=\"{}\" xmlns:xsi=\"{}\" xmlns:win=\"{}windows\" \
             xmlns:ds=\"{XMLDSIG}\">\n{}\n</{p}oval_definitions>",
            ns::COMMON,
            ns::INDEPENDENT,
            ns::UNIX,
            ns::LINUX,
            ns::XSI,
            ns::FAMILY_PREFIX,
            body.replace('@', p)
        )
    }

    fn parse(text: &str) -> Result<(OvalDefinitions, Vec<Unsupported>)> {
        let d = parse_str(text, Path::new("t.xml")).expect("well-formed fixture");
        parse_definitions(&d.root, Path::new("t.xml"))
    }

    fn parse_ok(p: &str, body: &str) -> (OvalDefinitions, Vec<Unsupported>) {
        parse(&doc(p, body)).unwrap_or_else(|e| panic!("{e}"))
    }

    fn error(body: &str) -> String {
        match parse(&doc("oval-def:", body)) {
            Ok(_) => panic!("fixture parsed without error"),
            Err(e) => e.to_string(),
        }
    }

    const FULL: &str = r#"<@generator><oval:schema_version>5.11.1</oval:schema_version></@generator>
<@definitions>
  <@definition id="oval:t:def:1" version="2" class="compliance">
    <@metadata>
      <@title> Title one </@title>
      <@affected family="unix"><@platform>Debian 11</@platform></@affected>
      <@reference source="CCE" ref_id="CCE-1" ref_url="https://x.example"/>
      <@reference source="X" ref_id="x-2"/>
      <@description>Desc</@description>
    </@metadata>
    <@criteria operator="OR" comment="top">
      <@criterion test_ref="oval:t:tst:1" negate="true" comment="c1"/>
      <@criteria operator="XOR" negate="1" applicability_check="true">
        <@extend_definition definition_ref="oval:t:def:2" applicability_check="false"/>
        <@criterion test_ref="oval:t:tst:2"/>
      </@criteria>
    </@criteria>
  </@definition>
  <@definition id="oval:t:def:2" version="1" class="inventory" deprecated="true">
    <@metadata><@title>Two</@title><@description/></@metadata>
  </@definition>
</@definitions>
<@tests>
  <ind:textfilecontent54_test id="oval:t:tst:1" version="1" check="all" comment="tfc">
    <ind:object object_ref="oval:t:obj:1"/>
    <ind:state state_ref="oval:t:ste:1"/>
    <ind:state state_ref="oval:t:ste:2"/>
  </ind:textfilecontent54_test>
  <unix:file_test id="oval:t:tst:2" version="1" check="at least one"
      check_existence="none_exist" state_operator="OR" deprecated="true" unknown="ignored">
    <unix:object object_ref="oval:t:obj:2"/>
  </unix:file_test>
  <ind:unknown_test id="oval:t:tst:3" version="1" check="all"/>
</@tests>
<@objects>
  <ind:textfilecontent54_object id="oval:t:obj:1" version="1">
    <ind:behaviors multiline="false" singleline="true"/>
    <ind:filepath operation="pattern match" var_ref="oval:t:var:1" var_check="at least one"/>
    <ind:pattern operation="pattern match">^\s*x = (\d+)  </ind:pattern>
    <ind:instance datatype="int" operation="greater than or equal">1</ind:instance>
    <@filter action="include">oval:t:ste:1</@filter>
    <@filter> oval:t:ste:2 </@filter>
  </ind:textfilecontent54_object>
  <unix:file_object id="oval:t:obj:2" version="1" comment="c">
    <unix:path>/etc</unix:path>
    <unix:filename xsi:nil="true"/>
  </unix:file_object>
  <unix:file_object id="oval:t:obj:3" version="1">
    <@set set_operator="INTERSECTION">
      <@set><@object_reference>oval:t:obj:1</@object_reference></@set>
      <@set>
        <@object_reference>oval:t:obj:2</@object_reference>
        <@object_reference>oval:t:obj:1</@object_reference>
        <@filter action="exclude">oval:t:ste:2</@filter>
      </@set>
    </@set>
  </unix:file_object>
</@objects>
<@states>
  <ind:textfilecontent54_state id="oval:t:ste:1" version="1" operator="OR">
    <ind:subexpression datatype="int" operation="less than" entity_check="at least one"
        mask="true">5</ind:subexpression>
  </ind:textfilecontent54_state>
  <ind:sql57_state id="oval:t:ste:2" version="1">
    <ind:result datatype="record" entity_check="all">
      <@field name="user" operation="pattern match">^r</@field>
      <@field name="uid" datatype="int" var_ref="oval:t:var:2"/>
    </ind:result>
  </ind:sql57_state>
</@states>
<@variables>
  <@constant_variable id="oval:t:var:1" version="1" datatype="string" comment="c">
    <@value>/a</@value><@value> b </@value>
  </@constant_variable>
  <@external_variable id="oval:t:var:2" version="1" datatype="int" comment="e">
    <@possible_value hint="h">1</@possible_value>
    <@possible_restriction hint="r" operator="OR">
      <@restriction operation="greater than">0</@restriction>
      <@restriction operation="less than">9</@restriction>
    </@possible_restriction>
  </@external_variable>
  <@local_variable id="oval:t:var:3" version="1" datatype="string" comment="l">
    <@concat>
      <@literal_component>x</@literal_component>
      <@variable_component var_ref="oval:t:var:1"/>
    </@concat>
  </@local_variable>
</@variables>"#;

    /// Checks every construct of FULL; shared by the prefix variants.
    fn check_full(defs: &OvalDefinitions, unsupported: &[Unsupported]) {
        assert!(unsupported.is_empty(), "{unsupported:?}");
        assert_eq!(defs.schema_version, "5.11.1");
        assert_eq!(defs.path, Path::new("t.xml"));

        let d = &defs.definitions["oval:t:def:1"];
        assert_eq!(
            (d.version.as_str(), d.class.as_str(), d.deprecated),
            ("2", "compliance", false)
        );
        assert_eq!(
            (d.title.as_str(), d.description.as_str()),
            ("Title one", "Desc")
        );
        assert_eq!(
            d.references,
            vec![
                Reference {
                    source: "CCE".into(),
                    ref_id: "CCE-1".into(),
                    ref_url: Some("https://x.example".into())
                },
                Reference {
                    source: "X".into(),
                    ref_id: "x-2".into(),
                    ref_url: None
                },
            ]
        );
        assert_eq!(d.pos, Pos { line: 4, col: 3 });
        let c = d.criteria.as_ref().unwrap();
        assert_eq!(c.operator, Operator::Or);
        assert!(!c.negate);
        assert_eq!(c.applicability_check, None);
        assert_eq!(c.comment.as_deref(), Some("top"));
        let [
            CriteriaNode::Criterion {
                test_ref,
                negate: true,
                comment: Some(comment),
                applicability_check: None,
            },
            CriteriaNode::Criteria(inner),
        ] = &c.children[..]
        else {
            panic!("{:?}", c.children)
        };
        assert_eq!(
            (test_ref.as_str(), comment.as_str()),
            ("oval:t:tst:1", "c1")
        );
        assert_eq!(inner.operator, Operator::Xor);
        assert!(inner.negate);
        assert_eq!(inner.applicability_check, Some(true));
        let [
            CriteriaNode::ExtendDefinition {
                definition_ref,
                negate: false,
                applicability_check: Some(false),
                comment: None,
            },
            CriteriaNode::Criterion { test_ref: t2, .. },
        ] = &inner.children[..]
        else {
            panic!("{:?}", inner.children)
        };
        assert_eq!(
            (definition_ref.as_str(), t2.as_str()),
            ("oval:t:def:2", "oval:t:tst:2")
        );
        let d2 = &defs.definitions["oval:t:def:2"];
        assert!(d2.deprecated && d2.criteria.is_none());
        assert_eq!(d2.class, "inventory");

        let t1 = &defs.tests["oval:t:tst:1"];
        assert_eq!(t1.family, Family::Independent);
        assert_eq!(t1.kind, "textfilecontent54_test");
        assert_eq!(t1.check, Check::All);
        assert_eq!(t1.check_existence, Existence::AtLeastOneExists);
        assert_eq!(t1.state_operator, Operator::And);
        assert_eq!(t1.object_ref.as_deref(), Some("oval:t:obj:1"));
        assert_eq!(t1.state_refs, ["oval:t:ste:1", "oval:t:ste:2"]);
        assert_eq!(t1.comment.as_deref(), Some("tfc"));
        let t2 = &defs.tests["oval:t:tst:2"];
        assert_eq!(t2.family, Family::Unix);
        assert_eq!(t2.check, Check::AtLeastOne);
        assert_eq!(t2.check_existence, Existence::NoneExist);
        assert_eq!(t2.state_operator, Operator::Or);
        assert!(t2.deprecated && t2.state_refs.is_empty());
        assert_eq!(defs.tests["oval:t:tst:3"].object_ref, None);

        let o1 = &defs.objects["oval:t:obj:1"];
        assert_eq!(o1.kind, "textfilecontent54_object");
        assert_eq!(
            o1.behaviors.iter().collect::<Vec<_>>(),
            [
                (&"multiline".to_string(), &"false".to_string()),
                (&"singleline".to_string(), &"true".to_string())
            ]
        );
        let names: Vec<&str> = o1.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["filepath", "pattern", "instance"]);
        let fp = o1.entity("filepath").unwrap();
        assert_eq!(fp.value, EntityValue::VarRef("oval:t:var:1".into()));
        assert_eq!(fp.operation, Operation::PatternMatch);
        assert_eq!(fp.var_check, Check::AtLeastOne);
        assert_eq!(fp.datatype, Datatype::String);
        // Entity text is kept exactly: trailing blanks are part of a pattern.
        assert_eq!(
            o1.entity("pattern").unwrap().literal(),
            Some(r"^\s*x = (\d+)  ")
        );
        let inst = o1.entity("instance").unwrap();
        assert_eq!(
            (inst.datatype, inst.operation, inst.literal()),
            (Datatype::Int, Operation::GreaterThanOrEqual, Some("1"))
        );
        assert_eq!(inst.var_check, Check::All);
        assert_eq!(inst.entity_check, Check::All);
        assert!(!inst.mask && !inst.nil);
        assert_eq!(o1.filters.len(), 2);
        assert_eq!(o1.filters[0].action, FilterAction::Include);
        assert_eq!(o1.filters[1].action, FilterAction::Exclude);
        assert_eq!(o1.filters[1].state_ref, "oval:t:ste:2");

        let o2 = &defs.objects["oval:t:obj:2"];
        assert_eq!(o2.entity("path").unwrap().literal(), Some("/etc"));
        assert!(o2.entity("filename").unwrap().nil);
        assert!(o2.set.is_none() && o2.behaviors.is_empty());

        let set = defs.objects["oval:t:obj:3"].set.as_ref().unwrap();
        assert_eq!(set.operator, SetOperator::Intersection);
        assert!(set.object_refs.is_empty() && set.filters.is_empty());
        assert_eq!(set.sets.len(), 2);
        assert_eq!(set.sets[0].operator, SetOperator::Union);
        assert_eq!(set.sets[0].object_refs, ["oval:t:obj:1"]);
        assert_eq!(set.sets[1].object_refs, ["oval:t:obj:2", "oval:t:obj:1"]);
        assert_eq!(set.sets[1].filters[0].state_ref, "oval:t:ste:2");

        let s1 = &defs.states["oval:t:ste:1"];
        assert_eq!(s1.operator, Operator::Or);
        let sub = &s1.entities[0];
        assert_eq!(sub.entity_check, Check::AtLeastOne);
        assert!(sub.mask);
        assert_eq!(sub.operation, Operation::LessThan);
        let s2 = &defs.states["oval:t:ste:2"];
        assert_eq!(s2.family, Family::Independent);
        assert_eq!(s2.operator, Operator::And);
        let rec = &s2.entities[0];
        assert_eq!(rec.datatype, Datatype::Record);
        assert_eq!(rec.literal(), Some(""));
        assert_eq!(rec.fields.len(), 2);
        assert_eq!(rec.fields[0].name, "user");
        assert_eq!(rec.fields[0].operation, Operation::PatternMatch);
        assert_eq!(rec.fields[0].literal(), Some("^r"));
        assert_eq!(rec.fields[1].datatype, Datatype::Int);
        assert_eq!(rec.fields[1].var_ref(), Some("oval:t:var:2"));

        let VariableKind::Constant(values) = &defs.variables["oval:t:var:1"].kind else {
            panic!()
        };
        assert_eq!(values, &["/a", " b "]);
        let v2 = &defs.variables["oval:t:var:2"];
        assert_eq!(v2.datatype, Datatype::Int);
        let VariableKind::External {
            possible_values,
            possible_restrictions,
        } = &v2.kind
        else {
            panic!()
        };
        assert_eq!(possible_values, &["1"]);
        assert_eq!(possible_restrictions[0].operator, Operator::Or);
        assert_eq!(
            possible_restrictions[0].restrictions,
            [
                (Operation::GreaterThan, "0".to_string()),
                (Operation::LessThan, "9".to_string())
            ]
        );
        let VariableKind::Local(Component::Concat(parts)) = &defs.variables["oval:t:var:3"].kind
        else {
            panic!()
        };
        assert!(matches!(
            &parts[..],
            [Component::Literal { datatype: Datatype::String, value }, Component::Variable { var_ref }]
                if value == "x" && var_ref == "oval:t:var:1"
        ));

        assert_eq!(validate_references(defs), Vec::<String>::new());
    }

    #[test]
    fn full_document_with_oval_def_prefix() {
        let (defs, unsupported) = parse_ok("oval-def:", FULL);
        check_full(&defs, &unsupported);
    }

    #[test]
    fn full_document_with_default_namespace() {
        let (defs, unsupported) = parse_ok("", FULL);
        check_full(&defs, &unsupported);
    }

    #[test]
    fn full_document_with_def_prefix() {
        let (defs, unsupported) = parse_ok("def:", FULL);
        check_full(&defs, &unsupported);
    }

    /// Parses one local variable holding `component` (prefix `def:`).
    fn component(xml: &str) -> Component {
        let body = format!(
            r#"<@variables><@local_variable id="oval:t:var:1" version="1" datatype="string">{xml}</@local_variable></@variables>"#
        );
        let (mut defs, unsupported) = parse_ok("def:", &body);
        assert!(unsupported.is_empty(), "{unsupported:?}");
        match defs.variables.swap_remove("oval:t:var:1").unwrap().kind {
            VariableKind::Local(c) => c,
            other => panic!("{other:?}"),
        }
    }

    const OBJ: &str = r#"<@object_component object_ref="oval:t:obj:1" item_field="path"/>"#;

    #[test]
    fn leaf_components() {
        assert!(matches!(
            component(r#"<@literal_component datatype="int"> 7</@literal_component>"#),
            Component::Literal { datatype: Datatype::Int, value } if value == " 7"
        ));
        assert!(matches!(
            component(OBJ),
            Component::Object { object_ref, item_field, record_field: None }
                if object_ref == "oval:t:obj:1" && item_field == "path"
        ));
        assert!(matches!(
            component(r#"<@object_component object_ref="oval:t:obj:1" item_field="result" record_field="uid"/>"#),
            Component::Object { record_field: Some(f), .. } if f == "uid"
        ));
        assert!(matches!(
            component(r#"<@variable_component var_ref="oval:t:var:9"/>"#),
            Component::Variable { var_ref } if var_ref == "oval:t:var:9"
        ));
    }

    #[test]
    fn function_components() {
        let wrap = |open: &str, close: &str| component(&format!("{open}{OBJ}{close}"));
        assert!(matches!(
            component(&format!(r#"<@arithmetic arithmetic_operation="multiply">{OBJ}<@literal_component>2</@literal_component></@arithmetic>"#)),
            Component::Arithmetic { operation: ArithmeticOperation::Multiply, components } if components.len() == 2
        ));
        assert!(matches!(
            wrap(r#"<@begin character="/">"#, "</@begin>"),
            Component::Begin { character, component } if character == "/" && matches!(*component, Component::Object { .. })
        ));
        assert!(matches!(
            wrap(r#"<@end character=";">"#, "</@end>"),
            Component::End { character, .. } if character == ";"
        ));
        assert!(matches!(
            component(&format!("<@concat>{OBJ}{OBJ}{OBJ}</@concat>")),
            Component::Concat(c) if c.len() == 3
        ));
        assert!(matches!(
            wrap("<@count>", "</@count>"),
            Component::Count(c) if c.len() == 1
        ));
        assert!(matches!(
            wrap("<@escape_regex>", "</@escape_regex>"),
            Component::EscapeRegex(_)
        ));
        assert!(matches!(
            wrap(r#"<@regex_capture pattern="^(\d+)">"#, "</@regex_capture>"),
            Component::RegexCapture { pattern, .. } if pattern == r"^(\d+)"
        ));
        assert!(matches!(
            wrap(r#"<@split delimiter=",">"#, "</@split>"),
            Component::Split { delimiter, .. } if delimiter == ","
        ));
        assert!(matches!(
            wrap(
                r#"<@substring substring_start="2" substring_length="-1">"#,
                "</@substring>"
            ),
            Component::Substring {
                start: 2,
                length: -1,
                ..
            }
        ));
        assert!(matches!(
            wrap("<@time_difference>", "</@time_difference>"),
            Component::TimeDifference {
                format_1: DateTimeFormat::YearMonthDay,
                format_2: DateTimeFormat::YearMonthDay,
                components
            } if components.len() == 1
        ));
        assert!(matches!(
            component(&format!(r#"<@time_difference format_1="seconds_since_epoch" format_2="win_filetime">{OBJ}{OBJ}</@time_difference>"#)),
            Component::TimeDifference {
                format_1: DateTimeFormat::SecondsSinceEpoch,
                format_2: DateTimeFormat::WinTimestamp,
                components
            } if components.len() == 2
        ));
        assert!(matches!(
            wrap("<@unique>", "</@unique>"),
            Component::Unique(c) if c.len() == 1
        ));
        assert!(matches!(
            wrap("<@glob_to_regex>", "</@glob_to_regex>"),
            Component::GlobToRegex {
                glob_noescape: false,
                ..
            }
        ));
        assert!(matches!(
            wrap(
                r#"<@glob_to_regex glob_noescape="true">"#,
                "</@glob_to_regex>"
            ),
            Component::GlobToRegex {
                glob_noescape: true,
                ..
            }
        ));
        // Functions nest.
        assert!(matches!(
            component(&format!("<@unique><@split delimiter=\":\"><@concat>{OBJ}{OBJ}</@concat></@split></@unique>")),
            Component::Unique(c) if matches!(&c[0], Component::Split { component, .. } if matches!(**component, Component::Concat(_)))
        ));
    }

    const DEF_OPEN: &str = r#"<@definitions>
  <@definition id="oval:t:def:1" version="1" class="compliance">"#;

    #[test]
    fn invalid_enum_names_file_line_column_and_element() {
        let e = error(&format!(
            "{DEF_OPEN}\n    <@criteria operator=\"NAND\"><@criterion test_ref=\"oval:t:tst:1\"/></@criteria>\n  </@definition>\n</@definitions>"
        ));
        assert_eq!(
            e,
            "t.xml:4:5: <criteria>: attribute 'operator': 'NAND' is not a valid Operator \
             (expected one of: AND, ONE, OR, XOR)"
        );
    }

    #[test]
    fn invalid_entity_enums_are_errors() {
        let obj = |attrs: &str| {
            error(&format!(
                "<@objects>\n  <unix:file_object id=\"oval:t:obj:1\" version=\"1\">\n    <unix:path {attrs}>/</unix:path>\n  </unix:file_object>\n</@objects>"
            ))
        };
        let e = obj(r#"datatype="text""#);
        assert!(
            e.starts_with(
                "t.xml:4:5: <path>: attribute 'datatype': 'text' is not a valid Datatype"
            ),
            "{e}"
        );
        let e = obj(r#"operation="matches""#);
        assert!(
            e.starts_with("t.xml:4:5: <path>: attribute 'operation': 'matches'"),
            "{e}"
        );
        let e = obj(r#"var_check="some""#);
        assert!(
            e.starts_with("t.xml:4:5: <path>: attribute 'var_check': 'some'"),
            "{e}"
        );
        let e = obj(r#"xsi:nil="yes""#);
        assert!(
            e.starts_with("t.xml:4:5: <path>: attribute 'xsi:nil': 'yes' is not a boolean"),
            "{e}"
        );
    }

    #[test]
    fn missing_required_attributes_are_errors() {
        let e = error(&format!(
            "{DEF_OPEN}\n    <@criteria><@criterion negate=\"true\"/></@criteria>\n  </@definition>\n</@definitions>"
        ));
        assert_eq!(
            e,
            "t.xml:4:24: <criterion>: missing required attribute 'test_ref'"
        );

        let e = error(
            "<@tests>\n  <ind:family_test id=\"oval:t:tst:1\" version=\"1\">\n    <ind:object object_ref=\"oval:t:obj:1\"/>\n  </ind:family_test>\n</@tests>",
        );
        assert_eq!(
            e,
            "t.xml:3:3: <family_test>: missing required attribute 'check'"
        );

        let e = error(
            "<@tests>\n  <ind:family_test id=\"oval:t:tst:1\" version=\"1\" check=\"all\">\n    <ind:object/>\n  </ind:family_test>\n</@tests>",
        );
        assert_eq!(
            e,
            "t.xml:4:5: <object>: missing required attribute 'object_ref'"
        );

        let e = error(
            "<@variables>\n  <@local_variable id=\"oval:t:var:1\" version=\"1\" datatype=\"int\">\n    <@object_component item_field=\"x\"/>\n  </@local_variable>\n</@variables>",
        );
        assert_eq!(
            e,
            "t.xml:4:5: <object_component>: missing required attribute 'object_ref'"
        );

        let e = error(
            "<@definitions>\n  <@definition version=\"1\" class=\"patch\"/>\n</@definitions>",
        );
        assert_eq!(
            e,
            "t.xml:3:3: <definition>: missing required attribute 'id'"
        );

        let e = error(
            "<@variables>\n  <@constant_variable id=\"oval:t:var:1\" version=\"1\"><@value>1</@value></@constant_variable>\n</@variables>",
        );
        assert_eq!(
            e,
            "t.xml:3:3: <constant_variable>: missing required attribute 'datatype'"
        );
    }

    #[test]
    fn duplicate_ids_name_both_positions() {
        let e = error(
            "<@objects>\n  <unix:file_object id=\"oval:t:obj:1\" version=\"1\"/>\n  <ind:family_object id=\"oval:t:obj:1\" version=\"1\"/>\n</@objects>",
        );
        assert_eq!(
            e,
            "t.xml:4:3: <family_object>: duplicate id 'oval:t:obj:1': already defined at t.xml:3:3"
        );
        let e = error(
            "<@variables>\n  <@constant_variable id=\"oval:t:var:1\" version=\"1\" datatype=\"int\"><@value>1</@value></@constant_variable>\n  <@external_variable id=\"oval:t:var:1\" version=\"1\" datatype=\"int\"/>\n</@variables>",
        );
        assert_eq!(
            e,
            "t.xml:4:3: <external_variable>: duplicate id 'oval:t:var:1': already defined at t.xml:3:3"
        );
    }

    #[test]
    fn schema_violations_are_errors() {
        let def = |inner: &str| {
            error(&format!(
                "{DEF_OPEN}\n{inner}\n  </@definition>\n</@definitions>"
            ))
        };
        assert_eq!(
            def("    <@metadata><@title>x</@title></@metadata>"),
            "t.xml:3:3: <definition>: definition has no criteria (only a deprecated definition may omit them)"
        );
        assert_eq!(
            def("    <@criteria/>"),
            "t.xml:4:5: <criteria>: criteria must contain at least one criteria, criterion or extend_definition"
        );
        assert!(
            def(
                "    <@criteria><@criterion test_ref=\"oval:t:tst:1\" negate=\"yes\"/></@criteria>"
            )
            .starts_with("t.xml:4:24: <criterion>: attribute 'negate': 'yes' is not a boolean")
        );
        // Dropping an unknown criteria child would change the result: refused.
        assert!(
            def("    <@criteria><@criterion test_ref=\"oval:t:tst:1\"/><@maybe/></@criteria>")
                .starts_with("t.xml:4:69: <maybe>: unexpected element in criteria")
        );

        let e = error(
            "<@definitions>\n  <@definition id=\"oval:t:tst:1\" version=\"1\" class=\"compliance\"/>\n</@definitions>",
        );
        assert_eq!(
            e,
            "t.xml:3:3: <definition>: id 'oval:t:tst:1' does not have the form oval:<namespace>:def:<number>"
        );
        let e = error(
            "<@definitions>\n  <@definition id=\"oval:t:def:1\" version=\"1\" class=\"advisory\"/>\n</@definitions>",
        );
        assert!(
            e.starts_with(
                "t.xml:3:3: <definition>: attribute 'class': 'advisory' is not a valid class"
            ),
            "{e}"
        );
        let e = error(
            "<@definitions>\n  <@definition id=\"oval:t:def:1\" version=\"v1\" class=\"patch\"/>\n</@definitions>",
        );
        assert_eq!(
            e,
            "t.xml:3:3: <definition>: attribute 'version': 'v1' is not a non-negative integer"
        );

        let e = error(
            "<@objects>\n  <unix:file_object id=\"oval:t:obj:1\" version=\"1\">\n    <@set><@object_reference>oval:t:obj:2</@object_reference><@object_reference>oval:t:obj:3</@object_reference><@object_reference>oval:t:obj:4</@object_reference></@set>\n  </unix:file_object>\n</@objects>",
        );
        assert!(
            e.starts_with("t.xml:4:5: <set>: a set holds either one or two object_reference"),
            "{e}"
        );
        let e = error(
            "<@objects>\n  <unix:file_object id=\"oval:t:obj:1\" version=\"1\">\n    <@set set_operator=\"MINUS\"><@object_reference>oval:t:obj:2</@object_reference></@set>\n  </unix:file_object>\n</@objects>",
        );
        assert!(
            e.starts_with("t.xml:4:5: <set>: attribute 'set_operator': 'MINUS'"),
            "{e}"
        );

        let var = |inner: &str| {
            error(&format!(
                "<@variables>\n  <@local_variable id=\"oval:t:var:1\" version=\"1\" datatype=\"int\">\n    {inner}\n  </@local_variable>\n</@variables>"
            ))
        };
        assert_eq!(
            var(
                &format!("<@arithmetic arithmetic_operation=\"add\">{OBJ}</@arithmetic>")
                    .replace('@', "oval-def:")
            ),
            "t.xml:4:5: <arithmetic>: arithmetic takes at least 2 component(s), found 1"
        );
        assert!(
            var(
                &format!("<@arithmetic arithmetic_operation=\"divide\">{OBJ}{OBJ}</@arithmetic>")
                    .replace('@', "oval-def:")
            )
            .starts_with("t.xml:4:5: <arithmetic>: attribute 'arithmetic_operation': 'divide'")
        );
        assert_eq!(
            var(&format!(
                "<@substring substring_start=\"one\" substring_length=\"1\">{OBJ}</@substring>"
            )
            .replace('@', "oval-def:")),
            "t.xml:4:5: <substring>: attribute 'substring_start': 'one' is not an integer"
        );
        assert!(
            var(
                &format!("<@time_difference format_1=\"iso\">{OBJ}</@time_difference>")
                    .replace('@', "oval-def:")
            )
            .starts_with("t.xml:4:5: <time_difference>: attribute 'format_1': 'iso'")
        );
        assert_eq!(
            var(&format!("<@escape_regex>{OBJ}{OBJ}</@escape_regex>").replace('@', "oval-def:")),
            "t.xml:4:5: <escape_regex>: escape_regex takes exactly 1 component(s), found 2"
        );
        assert_eq!(
            var(&format!("{OBJ}{OBJ}").replace('@', "oval-def:")),
            "t.xml:3:3: <local_variable>: local_variable needs exactly one component, found 2"
        );
    }

    #[test]
    fn wrong_root_is_an_error() {
        let d = parse_str(
            "<oval_results xmlns=\"http://oval.mitre.org/XMLSchema/oval-results-5\"/>",
            Path::new("t.xml"),
        )
        .unwrap();
        let e = parse_definitions(&d.root, Path::new("t.xml"))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("t.xml:1:1: <oval_results>: expected the root element oval_definitions"),
            "{e}"
        );
    }

    #[test]
    fn unmodelled_elements_are_reported_not_dropped() {
        let (defs, unsupported) = parse_ok(
            "oval-def:",
            r#"<@definitions>
  <@definition id="oval:t:def:1" version="1" class="compliance">
    <@criteria><@criterion test_ref="oval:t:tst:1"/></@criteria>
  </@definition>
  <@definition_group id="g"/>
</@definitions>
<@tests>
  <win:registry_test id="oval:t:tst:1" version="1" check="all">
    <win:object object_ref="oval:t:obj:1"/>
    <win:future_child/>
    <ds:Signature/>
  </win:registry_test>
</@tests>
<@objects>
  <win:registry_object id="oval:t:obj:1" version="1">
    <win:hive>HKEY_LOCAL_MACHINE</win:hive>
  </win:registry_object>
</@objects>
<@variables>
  <@local_variable id="oval:t:var:1" version="1" datatype="string">
    <@reverse><@literal_component>x</@literal_component></@reverse>
  </@local_variable>
</@variables>
<@extensions/>"#,
        );
        // An unknown family is still modelled, generically.
        let t = &defs.tests["oval:t:tst:1"];
        assert_eq!(t.family, Family::Other("windows".into()));
        assert_eq!(t.kind, "registry_test");
        assert_eq!(defs.objects["oval:t:obj:1"].entities[0].name, "hive");
        // The variable using an unknown function is left out, so its users fail.
        assert!(defs.variables.is_empty());

        let seen: Vec<(String, Pos)> = unsupported
            .iter()
            .map(|u| (u.element.clone(), u.pos))
            .collect();
        assert_eq!(
            seen,
            [
                ("definition_group".to_string(), Pos { line: 6, col: 3 }),
                ("future_child".to_string(), Pos { line: 11, col: 5 }),
                ("Signature".to_string(), Pos { line: 12, col: 5 }),
                ("reverse".to_string(), Pos { line: 22, col: 5 }),
                ("extensions".to_string(), Pos { line: 25, col: 1 }),
            ]
        );
        assert!(unsupported.iter().all(|u| u.path == Path::new("t.xml")));
        assert!(
            unsupported[3]
                .message
                .contains("variable function 'reverse'")
        );
        assert!(
            unsupported[2]
                .message
                .contains("signatures are not verified")
        );
    }

    #[test]
    fn dangling_references_are_each_reported() {
        let (defs, unsupported) = parse_ok(
            "",
            r#"<@definitions>
  <@definition id="oval:t:def:1" version="1" class="compliance">
    <@criteria>
      <@criterion test_ref="oval:t:tst:9"/>
      <@criteria><@extend_definition definition_ref="oval:t:def:9"/></@criteria>
      <@criterion test_ref="oval:t:tst:1"/>
    </@criteria>
  </@definition>
</@definitions>
<@tests>
  <ind:variable_test id="oval:t:tst:1" version="1" check="all">
    <ind:object object_ref="oval:t:obj:9"/>
    <ind:state state_ref="oval:t:ste:9"/>
  </ind:variable_test>
</@tests>
<@objects>
  <ind:variable_object id="oval:t:obj:1" version="1">
    <ind:var_ref>oval:t:var:8</ind:var_ref>
  </ind:variable_object>
  <unix:file_object id="oval:t:obj:2" version="1">
    <unix:filepath var_ref="oval:t:var:7"/>
    <@filter>oval:t:ste:8</@filter>
  </unix:file_object>
  <unix:file_object id="oval:t:obj:3" version="1">
    <@set><@object_reference>oval:t:obj:8</@object_reference><@filter>oval:t:ste:7</@filter></@set>
  </unix:file_object>
</@objects>
<@states>
  <ind:sql57_state id="oval:t:ste:1" version="1">
    <ind:result datatype="record"><field name="a" var_ref="oval:t:var:6"/></ind:result>
  </ind:sql57_state>
</@states>
<@variables>
  <@local_variable id="oval:t:var:1" version="1" datatype="string">
    <@concat>
      <@object_component object_ref="oval:t:obj:7" item_field="x"/>
      <@variable_component var_ref="oval:t:var:5"/>
    </@concat>
  </@local_variable>
</@variables>"#,
        );
        assert!(unsupported.is_empty());
        let msgs = validate_references(&defs);
        let expected = [
            ("oval:t:def:1", "test_ref 'oval:t:tst:9'"),
            ("oval:t:def:1", "definition_ref 'oval:t:def:9'"),
            ("oval:t:tst:1", "object_ref 'oval:t:obj:9'"),
            ("oval:t:tst:1", "state_ref 'oval:t:ste:9'"),
            ("oval:t:obj:1", "var_ref entity 'oval:t:var:8'"),
            (
                "oval:t:obj:2",
                "var_ref of entity 'filepath' 'oval:t:var:7'",
            ),
            ("oval:t:obj:2", "filter 'oval:t:ste:8'"),
            ("oval:t:obj:3", "object_reference 'oval:t:obj:8'"),
            ("oval:t:obj:3", "filter 'oval:t:ste:7'"),
            ("oval:t:ste:1", "var_ref of entity 'a' 'oval:t:var:6'"),
            ("oval:t:var:1", "object_component object_ref 'oval:t:obj:7'"),
            ("oval:t:var:1", "variable_component var_ref 'oval:t:var:5'"),
        ];
        assert_eq!(msgs.len(), expected.len(), "{msgs:#?}");
        for (msg, (from, what)) in msgs.iter().zip(expected) {
            assert!(
                msg.starts_with(&format!("{from}: {what} does not name any ")),
                "{msg}"
            );
        }
    }

    #[test]
    fn id_syntax() {
        assert!(valid_id("oval:org.ssg-x_y:def:10", "def"));
        assert!(!valid_id("oval:org:def:0", "def"));
        assert!(!valid_id("oval:org:def:01", "def"));
        assert!(!valid_id("oval::def:1", "def"));
        assert!(!valid_id("oval:a b:def:1", "def"));
        assert!(!valid_id("oval:org:def:1:2", "def"));
        assert!(!valid_id("oval:org:obj:1", "def"));
        assert!(!valid_id("ovel:org:def:1", "def"));
    }

    const SSG: &str = "/usr/share/xml/scap/ssg/content";

    /// Counts the children of a top-level section straight from the XML tree, as an
    /// independent check of what the parser kept.
    fn section_len(root: &Element, section: &str) -> usize {
        root.child(ns::DEFINITIONS, section)
            .map_or(0, |s| s.elements().count())
    }

    #[test]
    fn ssg_debian11_oval_parses_and_resolves() {
        let path = Path::new(SSG).join("ssg-debian11-oval.xml");
        crate::testtool::require(&path.to_string_lossy());
        let (defs, unsupported) = parse_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let root = xml::parse_file(&path).unwrap().root;
        assert_eq!(defs.definitions.len(), 487);
        assert_eq!(defs.schema_version, "5.11");
        assert!(unsupported.is_empty(), "{unsupported:#?}");
        assert_eq!(validate_references(&defs), Vec::<String>::new());
        for (map_len, section) in [
            (defs.tests.len(), "tests"),
            (defs.objects.len(), "objects"),
            (defs.states.len(), "states"),
            (defs.variables.len(), "variables"),
        ] {
            assert_eq!(map_len, section_len(&root, section), "{section}");
        }
        let t = &defs.tests["oval:ssg-test_unauthenticated_apt_conf:tst:1"];
        assert_eq!(t.kind, "textfilecontent54_test");
        assert_eq!(t.family, Family::Independent);
        assert_eq!(t.check_existence, Existence::NoneExist);
    }

    #[test]
    fn ssg_debian11_cpe_oval_parses_and_resolves() {
        let path = Path::new(SSG).join("ssg-debian11-cpe-oval.xml");
        crate::testtool::require(&path.to_string_lossy());
        let (defs, unsupported) = parse_file(&path).unwrap_or_else(|e| panic!("{e}"));
        let root = xml::parse_file(&path).unwrap().root;
        assert_eq!(defs.definitions.len(), section_len(&root, "definitions"));
        assert!(!defs.definitions.is_empty());
        assert!(unsupported.is_empty(), "{unsupported:#?}");
        assert_eq!(validate_references(&defs), Vec::<String>::new());
    }

    #[test]
    fn parse_file_reports_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let e = parse_file(&dir.path().join("none.xml")).unwrap_err();
        assert!(e.to_string().contains("none.xml: cannot read"), "{e}");
    }
}
