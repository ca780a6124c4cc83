//! The owned model of an OVAL 5.11 definitions document (OVAL 5.11.1 Language
//! Specification §4, oval-definitions-schema.xsd): definitions with their criteria,
//! tests, objects, states and variables, keyed by id. One model serves every test family;
//! family-specific content (the entities of a `file_object`, the behaviors of a
//! `textfilecontent54_object`) is kept as named entities for the probes to interpret.

pub mod parse;
pub mod types;
pub mod variables;

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::IndexMap;

pub use types::*;

use super::error::Pos;

/// Namespace URIs of OVAL 5.11.
pub mod ns {
    /// `oval-definitions-5`: the document, definitions, criteria, variables.
    pub const DEFINITIONS: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
    /// `oval-common-5`: the generator and shared enumerations.
    pub const COMMON: &str = "http://oval.mitre.org/XMLSchema/oval-common-5";
    /// The independent family (`textfilecontent54`, `variable`, `family`, ...).
    pub const INDEPENDENT: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#independent";
    /// The unix family (`file`, `password`, `shadow`, `process58`, ...).
    pub const UNIX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#unix";
    /// The linux family (`dpkginfo`, `rpminfo`, `partition`, ...).
    pub const LINUX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#linux";
    /// vigil's own test families (key material, ACLs, roles, KMS audit logs).
    pub const VIGIL: &str = "https://vigil.dev/XMLSchema/oval-definitions-5#vigil";
    /// XML Schema instance, for `xsi:nil` on entities.
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    /// Prefix shared by every OVAL definitions family namespace.
    pub const FAMILY_PREFIX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#";
}

/// The test family of a test, object or state, from its element namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Family {
    /// `#independent`: tests that do not depend on the platform.
    Independent,
    /// `#unix`: tests common to Unix-like systems.
    Unix,
    /// `#linux`: Linux-only tests.
    Linux,
    /// vigil's own family, [`ns::VIGIL`].
    Vigil,
    /// Any other family namespace (windows, macos, ...): parsed, never collected. Holds
    /// the part after [`ns::FAMILY_PREFIX`], or the whole URI when it lacks that prefix.
    Other(String),
}

impl Family {
    /// The family of an element in namespace `uri`; never fails (unknown URIs are
    /// [`Family::Other`]).
    pub fn from_namespace(uri: &str) -> Family {
        match uri {
            ns::INDEPENDENT => Family::Independent,
            ns::UNIX => Family::Unix,
            ns::LINUX => Family::Linux,
            ns::VIGIL => Family::Vigil,
            other => Family::Other(
                other
                    .strip_prefix(ns::FAMILY_PREFIX)
                    .unwrap_or(other)
                    .to_string(),
            ),
        }
    }

    /// The namespace URI of the family, the inverse of [`Family::from_namespace`].
    pub fn namespace(&self) -> String {
        match self {
            Family::Independent => ns::INDEPENDENT.into(),
            Family::Unix => ns::UNIX.into(),
            Family::Linux => ns::LINUX.into(),
            Family::Vigil => ns::VIGIL.into(),
            Family::Other(s) if s.contains(':') => s.clone(),
            Family::Other(s) => format!("{}{}", ns::FAMILY_PREFIX, s),
        }
    }

    /// Short name as used in OVAL ids and messages ("independent", "unix", ...).
    pub fn name(&self) -> &str {
        match self {
            Family::Independent => "independent",
            Family::Unix => "unix",
            Family::Linux => "linux",
            Family::Vigil => "vigil",
            Family::Other(s) => s,
        }
    }
}

/// A parsed OVAL definitions document.
#[derive(Debug, Clone, Default)]
pub struct OvalDefinitions {
    /// File the document came from (for a data-stream component: the data stream).
    pub path: PathBuf,
    /// `generator/oval:schema_version`, e.g. `5.11.2`, as written.
    pub schema_version: String,
    /// `definition` elements by OVAL id (`oval:NS:def:N`), in document order.
    pub definitions: IndexMap<String, Definition>,
    /// Tests of every family by OVAL id (`oval:NS:tst:N`), in document order.
    pub tests: IndexMap<String, Test>,
    /// Objects by OVAL id (`oval:NS:obj:N`), in document order.
    pub objects: IndexMap<String, Object>,
    /// States by OVAL id (`oval:NS:ste:N`), in document order.
    pub states: IndexMap<String, State>,
    /// Constant, external and local variables by OVAL id (`oval:NS:var:N`).
    pub variables: IndexMap<String, Variable>,
}

/// A definition's `metadata/reference`: where the definition comes from or what it
/// checks (a CVE, a CCE, a benchmark section).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    /// The `source` attribute: the naming authority, e.g. `CVE`, `CCE`.
    pub source: String,
    /// The `ref_id` attribute: the identifier within `source`, e.g. `CCE-80785-0`.
    pub ref_id: String,
    /// The optional `ref_url` attribute; `None` when absent.
    pub ref_url: Option<String>,
}

/// An OVAL `definition` element (OVAL 5.11 §4.3.3 DefinitionType): metadata and the
/// criteria tree whose result is the definition's result.
#[derive(Debug, Clone)]
pub struct Definition {
    /// The OVAL id, `oval:NAMESPACE:def:N`.
    pub id: String,
    /// The `version` attribute, a non-negative integer as written.
    pub version: String,
    /// compliance, inventory, miscellaneous, patch or vulnerability.
    pub class: String,
    /// `deprecated="true"`: kept for reference; results are still computed.
    pub deprecated: bool,
    /// `metadata/title`, whitespace as written; empty when absent.
    pub title: String,
    /// `metadata/description`; empty when absent.
    pub description: String,
    /// `metadata/reference` elements, in document order.
    pub references: Vec<Reference>,
    /// A definition without criteria evaluates to `not evaluated`... only when it is
    /// deprecated; the schema requires criteria otherwise.
    pub criteria: Option<Criteria>,
    /// Where the `definition` element starts, for messages.
    pub pos: Pos,
}

/// A `criteria` element (OVAL 5.11 §4.3.4 CriteriaType): its children combined with an
/// operator, then optionally negated.
#[derive(Debug, Clone)]
pub struct Criteria {
    /// How the children's results combine (`AND` when the attribute is absent).
    pub operator: Operator,
    /// `negate="true"`: true and false swap after combining; other results stay.
    pub negate: bool,
    /// The `applicability_check` attribute; `None` when absent (not the same as false
    /// in the results document, which echoes it).
    pub applicability_check: Option<bool>,
    /// The `comment` attribute; `None` when absent.
    pub comment: Option<String>,
    /// `criteria`, `criterion` and `extend_definition` children in document order;
    /// never empty in valid content.
    pub children: Vec<CriteriaNode>,
}

/// One child of a [`Criteria`].
#[derive(Debug, Clone)]
pub enum CriteriaNode {
    /// A nested `criteria` element.
    Criteria(Criteria),
    /// A `criterion`: the result of one test.
    Criterion {
        /// The OVAL id of the test, `oval:NS:tst:N`.
        test_ref: String,
        /// `negate="true"`: swap true and false of the test's result.
        negate: bool,
        /// The `applicability_check` attribute; `None` when absent.
        applicability_check: Option<bool>,
        /// The `comment` attribute; `None` when absent.
        comment: Option<String>,
    },
    /// An `extend_definition`: the result of another definition.
    ExtendDefinition {
        /// The OVAL id of the definition, `oval:NS:def:N`.
        definition_ref: String,
        /// `negate="true"`: swap true and false of the definition's result.
        negate: bool,
        /// The `applicability_check` attribute; `None` when absent.
        applicability_check: Option<bool>,
        /// The `comment` attribute; `None` when absent.
        comment: Option<String>,
    },
}

/// A test of any family (OVAL 5.11 §4.3.5 TestType): which items to collect (the
/// object), which must exist (`check_existence`) and how many of them must satisfy the
/// states (`check`).
#[derive(Debug, Clone)]
pub struct Test {
    /// The OVAL id, `oval:NAMESPACE:tst:N`.
    pub id: String,
    /// The family of the test element's namespace.
    pub family: Family,
    /// Element local name, e.g. `textfilecontent54_test`.
    pub kind: String,
    /// The `comment` attribute; the schema requires it, but `None` when absent.
    pub comment: Option<String>,
    /// `deprecated="true"`; evaluated all the same.
    pub deprecated: bool,
    /// The `check` attribute: how many collected items must satisfy the states.
    pub check: Check,
    /// The `check_existence` attribute (`at_least_one_exists` when absent).
    pub check_existence: Existence,
    /// The `state_operator` attribute: how several states combine per item (`AND`).
    pub state_operator: Operator,
    /// `None` only for tests that take no object (unknown_test).
    pub object_ref: Option<String>,
    /// OVAL ids of the `state` children, in order; empty: only existence is checked.
    pub state_refs: Vec<String>,
    /// Where the test element starts, for messages.
    pub pos: Pos,
}

/// A value given to an entity: literal text or a reference to a variable.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityValue {
    /// The element's text content, whitespace as written.
    Literal(String),
    /// The `var_ref` attribute: the OVAL id of a variable, `oval:NS:var:N`.
    VarRef(String),
}

/// An object or state entity (OVAL 5.11 §4.3.7 EntityObjectBaseType / EntityStateBaseType).
#[derive(Debug, Clone)]
pub struct Entity {
    /// The element's local name, which names the item field it matches (`path`,
    /// `filename`, `pattern`, ...); for a record field, the `name` attribute.
    pub name: String,
    /// The `datatype` attribute (`string` when absent).
    pub datatype: Datatype,
    /// The `operation` attribute (`equals` when absent).
    pub operation: Operation,
    /// What the entity compares against.
    pub value: EntityValue,
    /// `mask="true"`: the value is not written to results.
    pub mask: bool,
    /// `xsi:nil="true"`: the entity has no value (object: match items without it).
    pub nil: bool,
    /// The `var_check` attribute: how many of a multi-valued variable's values must
    /// match (`all` when absent).
    pub var_check: Check,
    /// The `entity_check` attribute (states only): how many of an item's values of this
    /// field must match (`all` when absent).
    pub entity_check: Check,
    /// Fields of a `record` datatype entity.
    pub fields: Vec<Entity>,
    /// Where the entity element starts, for messages.
    pub pos: Pos,
}

impl Entity {
    /// The literal value; `None` when the entity takes its value from a variable.
    pub fn literal(&self) -> Option<&str> {
        match &self.value {
            EntityValue::Literal(s) => Some(s),
            EntityValue::VarRef(_) => None,
        }
    }

    /// The referenced variable id; `None` for a literal value.
    pub fn var_ref(&self) -> Option<&str> {
        match &self.value {
            EntityValue::VarRef(s) => Some(s),
            EntityValue::Literal(_) => None,
        }
    }
}

/// An object's `filter` element (OVAL 5.11 §4.3.6.3): keeps or drops the collected
/// items that satisfy a state.
#[derive(Debug, Clone)]
pub struct Filter {
    /// The `action` attribute: `exclude` (the default) or `include`.
    pub action: FilterAction,
    /// The element text: the OVAL id of the state, `oval:NS:ste:N`.
    pub state_ref: String,
}

/// OVAL 5.11 §4.3.6.2 set element.
#[derive(Debug, Clone)]
/// Combines the items of one or two objects (or nested sets).
pub struct ObjectSet {
    /// The `set_operator` attribute (`UNION` when absent).
    pub operator: SetOperator,
    /// `object_reference` children: one or two OVAL object ids; empty when the set
    /// nests `sets` instead.
    pub object_refs: Vec<String>,
    /// Nested `set` elements (one or two); empty when `object_refs` is used.
    pub sets: Vec<ObjectSet>,
    /// Filters applied to each referenced object's items before combining.
    pub filters: Vec<Filter>,
}

/// An object of any family (OVAL 5.11 §4.3.6 ObjectType): what a probe collects.
/// Either entities that select items, or a [`ObjectSet`].
#[derive(Debug, Clone)]
pub struct Object {
    /// The OVAL id, `oval:NAMESPACE:obj:N`.
    pub id: String,
    /// The family of the object element's namespace.
    pub family: Family,
    /// Element local name, e.g. `file_object`.
    pub kind: String,
    /// The `comment` attribute; `None` when absent.
    pub comment: Option<String>,
    /// `deprecated="true"`; collected all the same.
    pub deprecated: bool,
    /// Attributes of the `behaviors` element, by name.
    /// Empty when there is no `behaviors` element (the probe's defaults apply).
    pub behaviors: BTreeMap<String, String>,
    /// The object entities in document order; empty for a set object.
    pub entities: Vec<Entity>,
    /// The `set` element; `None` for an object given by entities.
    pub set: Option<ObjectSet>,
    /// Top-level `filter` children, applied in order to the collected items.
    pub filters: Vec<Filter>,
    /// Where the object element starts, for messages.
    pub pos: Pos,
}

impl Object {
    /// The first entity named `name`; `None` when the object does not give it.
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }
}

/// A state of any family (OVAL 5.11 §4.3.7 StateType): the values an item's fields
/// must have.
#[derive(Debug, Clone)]
pub struct State {
    /// The OVAL id, `oval:NAMESPACE:ste:N`.
    pub id: String,
    /// The family of the state element's namespace.
    pub family: Family,
    /// Element local name, e.g. `file_state`.
    pub kind: String,
    /// The `comment` attribute; `None` when absent.
    pub comment: Option<String>,
    /// `deprecated="true"`; applied all the same.
    pub deprecated: bool,
    /// The `operator` attribute: how the entity results combine (`AND`).
    pub operator: Operator,
    /// The state entities in document order; empty: every item satisfies the state.
    pub entities: Vec<Entity>,
    /// Where the state element starts, for messages.
    pub pos: Pos,
}

/// A `constant_variable`, `external_variable` or `local_variable` (OVAL 5.11 §4.3.8):
/// a named list of values entities refer to with `var_ref`.
#[derive(Debug, Clone)]
pub struct Variable {
    /// The OVAL id, `oval:NAMESPACE:var:N`.
    pub id: String,
    /// The `datatype` attribute: the type of every value.
    pub datatype: Datatype,
    /// The `comment` attribute (required by the schema); `None` when absent.
    pub comment: Option<String>,
    /// Where the values come from.
    pub kind: VariableKind,
    /// Where the variable element starts, for messages.
    pub pos: Pos,
}

/// The three kinds of OVAL variable.
#[derive(Debug, Clone)]
pub enum VariableKind {
    /// `constant_variable`: the `value` children, in order.
    Constant(Vec<String>),
    /// Values come from outside (XCCDF check-export); `possible_values` and
    /// `possible_restrictions` constrain them.
    External {
        /// `possible_value` texts; a value equal to one of them is allowed.
        possible_values: Vec<String>,
        /// `possible_restriction` elements; a value satisfying one of them is allowed.
        possible_restrictions: Vec<Restriction>,
    },
    /// `local_variable`: values computed from one component.
    Local(Component),
}

/// A `possible_restriction` of an external variable: every restriction must hold
/// (operator AND by default).
#[derive(Debug, Clone)]
pub struct Restriction {
    /// The `operator` attribute combining the `restriction` results.
    pub operator: Operator,
    /// `restriction` children: the value must compare with `operation` against the
    /// text, in the variable's datatype.
    pub restrictions: Vec<(Operation, String)>,
}

/// OVAL 5.11 §4.3.6.7 local variable components and functions.
#[derive(Debug, Clone)]
pub enum Component {
    /// `literal_component`: one fixed value.
    Literal {
        /// The `datatype` attribute (`string` when absent).
        datatype: Datatype,
        /// The element text.
        value: String,
    },
    /// `object_component`: the values of one field of the items an object collects
    /// (items that exist only).
    Object {
        /// The OVAL id of the object, `oval:NS:obj:N`.
        object_ref: String,
        /// The item field (entity name) whose values are taken, e.g. `path`.
        item_field: String,
        /// For a record item field, the record field taken; `None` otherwise.
        record_field: Option<String>,
    },
    /// `variable_component`: the values of another variable.
    Variable {
        /// The OVAL id of that variable, `oval:NS:var:N`.
        var_ref: String,
    },
    /// `arithmetic`: the sum or product over every combination of the components'
    /// values.
    Arithmetic {
        /// `add` or `multiply`.
        operation: ArithmeticOperation,
        /// Two or more components.
        components: Vec<Component>,
    },
    /// `begin`: each value, prefixed with `character` unless it already starts with it.
    Begin {
        /// The `character` attribute (any string, despite the name).
        character: String,
        /// The values to prefix.
        component: Box<Component>,
    },
    /// `end`: each value, suffixed with `character` unless it already ends with it.
    End {
        /// The `character` attribute (any string, despite the name).
        character: String,
        /// The values to suffix.
        component: Box<Component>,
    },
    /// `concat`: every combination of the components' values, joined in order.
    Concat(Vec<Component>),
    /// `count`: one value, the number of values the components give together.
    Count(Vec<Component>),
    /// `escape_regex`: each value with regular-expression metacharacters escaped.
    EscapeRegex(Box<Component>),
    /// `regex_capture`: the first capture group of `pattern` in each value; a value it
    /// does not match, or a pattern without a group, gives the empty string.
    RegexCapture {
        /// The `pattern` attribute, a Perl-compatible regular expression.
        pattern: String,
        /// The values searched.
        component: Box<Component>,
    },
    /// `split`: each value cut at every `delimiter`.
    Split {
        /// The `delimiter` attribute, a literal string (not a pattern).
        delimiter: String,
        /// The values to split.
        component: Box<Component>,
    },
    /// `substring`: a part of each value.
    Substring {
        /// `substring_start`: 1-based character position; values below 1 count as 1.
        start: i64,
        /// `substring_length`: characters taken; negative: to the end of the value.
        length: i64,
        /// The values to cut.
        component: Box<Component>,
    },
    /// `time_difference`: seconds between two date-times (first minus second), or now
    /// minus the one given.
    TimeDifference {
        /// `format_1`: how the first component's values are written.
        format_1: DateTimeFormat,
        /// `format_2`: how the second (or only) component's values are written.
        format_2: DateTimeFormat,
        /// One or two components.
        components: Vec<Component>,
    },
    /// `unique`: the components' values without repeats, first occurrence kept.
    Unique(Vec<Component>),
    /// `glob_to_regex`: each shell glob turned into an equivalent regular expression.
    GlobToRegex {
        /// The `glob_noescape` attribute: backslash is an ordinary character.
        glob_noescape: bool,
        /// The globs to convert.
        component: Box<Component>,
    },
}

/// An element of a known namespace that vigil parsed but does not implement. It is
/// reported (by `validate` and in scan results), never dropped silently.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unsupported {
    /// The file that holds the element (for a data stream component: the data stream).
    pub path: PathBuf,
    /// Where the element starts in that file.
    pub pos: Pos,
    /// The element as `prefix:name` or its local name, for the message.
    pub element: String,
    /// What vigil does not implement about it and what happens instead.
    pub message: String,
}
