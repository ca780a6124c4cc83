//! The owned model of an OVAL 5.11 definitions document (OVAL 5.11.1 Language
//! Specification §4, oval-definitions-schema.xsd): definitions with their criteria,
//! tests, objects, states and variables, keyed by id. One model serves every test family;
//! family-specific content (the entities of a `file_object`, the behaviors of a
//! `textfilecontent54_object`) is kept as named entities for the probes to interpret.

pub mod parse;
pub mod types;

use std::collections::BTreeMap;
use std::path::PathBuf;

use indexmap::IndexMap;

pub use types::*;

use super::error::Pos;

/// Namespace URIs of OVAL 5.11.
pub mod ns {
    pub const DEFINITIONS: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
    pub const COMMON: &str = "http://oval.mitre.org/XMLSchema/oval-common-5";
    pub const INDEPENDENT: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#independent";
    pub const UNIX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#unix";
    pub const LINUX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#linux";
    /// vigil's own test families (key material, ACLs, roles, KMS audit logs).
    pub const VIGIL: &str = "https://vigil.dev/XMLSchema/oval-definitions-5#vigil";
    pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";
    /// Prefix shared by every OVAL definitions family namespace.
    pub const FAMILY_PREFIX: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5#";
}

/// The test family of a test, object or state, from its element namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Family {
    Independent,
    Unix,
    Linux,
    Vigil,
    /// Any other family namespace (windows, macos, ...): parsed, never collected.
    Other(String),
}

impl Family {
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
    pub schema_version: String,
    pub definitions: IndexMap<String, Definition>,
    pub tests: IndexMap<String, Test>,
    pub objects: IndexMap<String, Object>,
    pub states: IndexMap<String, State>,
    pub variables: IndexMap<String, Variable>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Reference {
    pub source: String,
    pub ref_id: String,
    pub ref_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Definition {
    pub id: String,
    pub version: String,
    /// compliance, inventory, miscellaneous, patch or vulnerability.
    pub class: String,
    pub deprecated: bool,
    pub title: String,
    pub description: String,
    pub references: Vec<Reference>,
    /// A definition without criteria evaluates to `not evaluated`... only when it is
    /// deprecated; the schema requires criteria otherwise.
    pub criteria: Option<Criteria>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Criteria {
    pub operator: Operator,
    pub negate: bool,
    pub applicability_check: Option<bool>,
    pub comment: Option<String>,
    pub children: Vec<CriteriaNode>,
}

#[derive(Debug, Clone)]
pub enum CriteriaNode {
    Criteria(Criteria),
    Criterion {
        test_ref: String,
        negate: bool,
        applicability_check: Option<bool>,
        comment: Option<String>,
    },
    ExtendDefinition {
        definition_ref: String,
        negate: bool,
        applicability_check: Option<bool>,
        comment: Option<String>,
    },
}

#[derive(Debug, Clone)]
pub struct Test {
    pub id: String,
    pub family: Family,
    /// Element local name, e.g. `textfilecontent54_test`.
    pub kind: String,
    pub comment: Option<String>,
    pub deprecated: bool,
    pub check: Check,
    pub check_existence: Existence,
    pub state_operator: Operator,
    /// `None` only for tests that take no object (unknown_test).
    pub object_ref: Option<String>,
    pub state_refs: Vec<String>,
    pub pos: Pos,
}

/// A value given to an entity: literal text or a reference to a variable.
#[derive(Debug, Clone, PartialEq)]
pub enum EntityValue {
    Literal(String),
    VarRef(String),
}

/// An object or state entity (OVAL 5.11 §4.3.7 EntityObjectBaseType / EntityStateBaseType).
#[derive(Debug, Clone)]
pub struct Entity {
    pub name: String,
    pub datatype: Datatype,
    pub operation: Operation,
    pub value: EntityValue,
    pub mask: bool,
    /// `xsi:nil="true"`: the entity has no value (object: match items without it).
    pub nil: bool,
    pub var_check: Check,
    pub entity_check: Check,
    /// Fields of a `record` datatype entity.
    pub fields: Vec<Entity>,
    pub pos: Pos,
}

impl Entity {
    pub fn literal(&self) -> Option<&str> {
        match &self.value {
            EntityValue::Literal(s) => Some(s),
            EntityValue::VarRef(_) => None,
        }
    }

    pub fn var_ref(&self) -> Option<&str> {
        match &self.value {
            EntityValue::VarRef(s) => Some(s),
            EntityValue::Literal(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub action: FilterAction,
    pub state_ref: String,
}

/// OVAL 5.11 §4.3.6.2 set element.
#[derive(Debug, Clone)]
pub struct ObjectSet {
    pub operator: SetOperator,
    pub object_refs: Vec<String>,
    pub sets: Vec<ObjectSet>,
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone)]
pub struct Object {
    pub id: String,
    pub family: Family,
    /// Element local name, e.g. `file_object`.
    pub kind: String,
    pub comment: Option<String>,
    pub deprecated: bool,
    /// Attributes of the `behaviors` element, by name.
    pub behaviors: BTreeMap<String, String>,
    pub entities: Vec<Entity>,
    pub set: Option<ObjectSet>,
    pub filters: Vec<Filter>,
    pub pos: Pos,
}

impl Object {
    pub fn entity(&self, name: &str) -> Option<&Entity> {
        self.entities.iter().find(|e| e.name == name)
    }
}

#[derive(Debug, Clone)]
pub struct State {
    pub id: String,
    pub family: Family,
    /// Element local name, e.g. `file_state`.
    pub kind: String,
    pub comment: Option<String>,
    pub deprecated: bool,
    pub operator: Operator,
    pub entities: Vec<Entity>,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub struct Variable {
    pub id: String,
    pub datatype: Datatype,
    pub comment: Option<String>,
    pub kind: VariableKind,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub enum VariableKind {
    Constant(Vec<String>),
    /// Values come from outside (XCCDF check-export); `possible_values` and
    /// `possible_restrictions` constrain them.
    External {
        possible_values: Vec<String>,
        possible_restrictions: Vec<Restriction>,
    },
    Local(Component),
}

/// A `possible_restriction` of an external variable: every restriction must hold
/// (operator AND by default).
#[derive(Debug, Clone)]
pub struct Restriction {
    pub operator: Operator,
    pub restrictions: Vec<(Operation, String)>,
}

/// OVAL 5.11 §4.3.6.7 local variable components and functions.
#[derive(Debug, Clone)]
pub enum Component {
    Literal {
        datatype: Datatype,
        value: String,
    },
    Object {
        object_ref: String,
        item_field: String,
        record_field: Option<String>,
    },
    Variable {
        var_ref: String,
    },
    Arithmetic {
        operation: ArithmeticOperation,
        components: Vec<Component>,
    },
    Begin {
        character: String,
        component: Box<Component>,
    },
    End {
        character: String,
        component: Box<Component>,
    },
    Concat(Vec<Component>),
    Count(Vec<Component>),
    EscapeRegex(Box<Component>),
    RegexCapture {
        pattern: String,
        component: Box<Component>,
    },
    Split {
        delimiter: String,
        component: Box<Component>,
    },
    Substring {
        start: i64,
        length: i64,
        component: Box<Component>,
    },
    TimeDifference {
        format_1: DateTimeFormat,
        format_2: DateTimeFormat,
        components: Vec<Component>,
    },
    Unique(Vec<Component>),
    GlobToRegex {
        glob_noescape: bool,
        component: Box<Component>,
    },
}

/// An element of a known namespace that vigil parsed but does not implement. It is
/// reported (by `validate` and in scan results), never dropped silently.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unsupported {
    pub path: PathBuf,
    pub pos: Pos,
    pub element: String,
    pub message: String,
}
