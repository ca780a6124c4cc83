//! Vault's server configuration (developer.hashicorp.com/vault/docs/configuration), as
//! far as the hardening rules read it: the top-level `disable_mlock`, every
//! `listener "TYPE" { ... }` block and the `storage "TYPE"` (or legacy `backend`)
//! block. A file is HCL (`.hcl`) or JSON (`.json`, the same structure with labels as
//! object keys); Vault merges every file of a `-config` directory, so the files of one
//! server make one [`VaultConfig`].
//!
//! HCL is parsed with `hcl-edit` (the parser of the hcl-rs project): pure Rust, bounded
//! nesting depth, and byte spans, so evidence names `file:line`. Only literal values
//! are read; an attribute whose value is an expression (a variable, a function call, a
//! template) is kept as [`Value::NotLiteral`], which the probe reports as unknown
//! rather than guessing what Vault would make of it.

use std::fmt;

use hcl_edit::Span;
use hcl_edit::expr::Expression;
use hcl_edit::structure::{Body, Structure};
use serde_json::Value as Json;

/// Largest configuration file read; Vault's are a few kilobytes.
pub const MAX_CONFIG_FILE: u64 = 1 << 20;

/// An attribute's value as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// A string, boolean or number, as text (`true`, `0`, `tls12`).
    Literal(String),
    /// Anything else (expression, list, object): not evaluated.
    NotLiteral,
}

impl Value {
    /// The value as Vault reads a boolean setting (Go's `strconv.ParseBool`, which
    /// Vault's config decoder applies to strings too): `None` when it is not one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Literal(s) => match s.as_str() {
                "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
                "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
                _ => None,
            },
            Value::NotLiteral => None,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Literal(s) => f.write_str(s),
            Value::NotLiteral => f.write_str("(an expression vigil does not evaluate)"),
        }
    }
}

/// One attribute: its value and where it is written (`file:line`, or `file: key.path`
/// for JSON, which has no line numbers after parsing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The value.
    pub value: Value,
    /// Where it is set.
    pub at: String,
}

/// A labelled block: `listener "tcp" { ... }`, `storage "raft" { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The label: `tcp`, `unix`, `raft`, `file`, `consul`, ...
    pub kind: String,
    /// Where the block starts.
    pub at: String,
    /// Its attributes (scalars and not-literal values), in file order.
    pub attrs: Vec<(String, Setting)>,
}

impl Section {
    /// The attribute `name`, if the block sets it (the last one written wins).
    pub fn get(&self, name: &str) -> Option<&Setting> {
        self.attrs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, s)| s)
    }
}

/// What the hardening rules read of one server's configuration files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VaultConfig {
    /// The files read, in order.
    pub files: Vec<String>,
    /// `disable_mlock`, where set (the last file's setting wins, as Vault merges).
    pub disable_mlock: Option<Setting>,
    /// Every `listener` block.
    pub listeners: Vec<Section>,
    /// The `storage` (or `backend`) blocks: Vault refuses more than one, but vigil
    /// reports what is written.
    pub storage: Vec<Section>,
}

/// A configuration file vigil cannot read: which file, where, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {message}")]
pub struct ConfigError {
    /// The file (with `:line:column` when the parser says where).
    pub file: String,
    /// What is wrong.
    pub message: String,
}

impl VaultConfig {
    /// Adds the file `name` with content `text` (HCL unless the name ends in `.json`).
    pub fn add(&mut self, name: &str, text: &str) -> Result<(), ConfigError> {
        if name.ends_with(".json") {
            self.add_json(name, text)?;
        } else {
            self.add_hcl(name, text)?;
        }
        self.files.push(name.to_string());
        Ok(())
    }

    fn add_hcl(&mut self, name: &str, text: &str) -> Result<(), ConfigError> {
        let body = hcl_edit::parser::parse_body(text).map_err(|e| ConfigError {
            file: format!("{name}:{}:{}", e.location().line(), e.location().column()),
            message: format!("not valid HCL: {}", e.message()),
        })?;
        let at = |span: Option<std::ops::Range<usize>>| match span {
            Some(r) => format!("{name}:{}", line_of(text, r.start)),
            None => name.to_string(),
        };
        for s in body.iter() {
            match s {
                Structure::Attribute(a) if a.key.as_str() == "disable_mlock" => {
                    self.disable_mlock = Some(Setting {
                        value: hcl_value(&a.value),
                        at: at(a.span()),
                    });
                }
                Structure::Attribute(_) => {}
                Structure::Block(b) => {
                    let which = match b.ident.as_str() {
                        "listener" => &mut self.listeners,
                        "storage" | "backend" => &mut self.storage,
                        _ => continue,
                    };
                    let kind = b
                        .labels
                        .first()
                        .map(|l| l.as_str().to_string())
                        .unwrap_or_default();
                    which.push(Section {
                        kind,
                        at: at(b.span()),
                        attrs: hcl_attrs(&b.body, &at),
                    });
                }
            }
        }
        Ok(())
    }

    fn add_json(&mut self, name: &str, text: &str) -> Result<(), ConfigError> {
        let doc: Json = serde_json::from_str(text).map_err(|e| ConfigError {
            file: format!("{name}:{}:{}", e.line(), e.column()),
            message: format!("not valid JSON: {e}"),
        })?;
        let Some(top) = doc.as_object() else {
            return Err(ConfigError {
                file: name.to_string(),
                message: "not a JSON object".into(),
            });
        };
        if let Some(v) = top.get("disable_mlock") {
            self.disable_mlock = Some(Setting {
                value: json_value(v),
                at: format!("{name}: disable_mlock"),
            });
        }
        for key in ["listener", "storage", "backend"] {
            let list = if key == "listener" {
                &mut self.listeners
            } else {
                &mut self.storage
            };
            if let Some(v) = top.get(key) {
                json_sections(name, key, v, list);
            }
        }
        Ok(())
    }
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

fn hcl_value(e: &Expression) -> Value {
    match e {
        Expression::String(s) => Value::Literal(s.value().clone()),
        Expression::Bool(b) => Value::Literal(b.value().to_string()),
        Expression::Number(n) => Value::Literal(n.value().to_string()),
        _ => Value::NotLiteral,
    }
}

fn hcl_attrs(
    body: &Body,
    at: &dyn Fn(Option<std::ops::Range<usize>>) -> String,
) -> Vec<(String, Setting)> {
    body.attributes()
        .map(|a| {
            (
                a.key.as_str().to_string(),
                Setting {
                    value: hcl_value(&a.value),
                    at: at(a.span()),
                },
            )
        })
        .collect()
}

fn json_value(v: &Json) -> Value {
    match v {
        Json::String(s) => Value::Literal(s.clone()),
        Json::Bool(b) => Value::Literal(b.to_string()),
        Json::Number(n) => Value::Literal(n.to_string()),
        _ => Value::NotLiteral,
    }
}

/// The sections of a JSON `listener`/`storage` value: `{"tcp": {...}}`,
/// `{"tcp": [{...}, {...}]}` or a list of such objects.
fn json_sections(file: &str, key: &str, v: &Json, out: &mut Vec<Section>) {
    match v {
        Json::Array(items) => {
            for i in items {
                json_sections(file, key, i, out);
            }
        }
        Json::Object(labels) => {
            for (kind, body) in labels {
                let bodies: Vec<&Json> = match body {
                    Json::Array(b) => b.iter().collect(),
                    b => vec![b],
                };
                for b in bodies {
                    let n = out.iter().filter(|s| s.kind == *kind).count();
                    let at = format!("{file}: {key}.{kind}[{n}]");
                    let attrs = b
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .map(|(k, v)| {
                                    (
                                        k.clone(),
                                        Setting {
                                            value: json_value(v),
                                            at: format!("{at}.{k}"),
                                        },
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    out.push(Section {
                        kind: kind.clone(),
                        at,
                        attrs,
                    });
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HCL: &str = r#"# production
ui = true
disable_mlock = false

storage "raft" {
  path    = "/opt/vault/data"
  node_id = "vault-1"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  tls_cert_file   = "/opt/vault/tls/tls.crt"
  tls_key_file    = "/opt/vault/tls/tls.key"
  tls_min_version = "tls13"
}

listener "tcp" {
  address     = "127.0.0.1:8201"
  tls_disable = "true"
  tls_min_version = var.min
}
"#;

    #[test]
    fn hcl_blocks_attributes_and_lines() {
        let mut c = VaultConfig::default();
        c.add("/etc/vault.d/vault.hcl", HCL).unwrap();
        let m = c.disable_mlock.as_ref().unwrap();
        assert_eq!(m.value.as_bool(), Some(false));
        assert_eq!(m.at, "/etc/vault.d/vault.hcl:3");
        assert_eq!(c.storage.len(), 1);
        assert_eq!(c.storage[0].kind, "raft");
        assert_eq!(c.storage[0].at, "/etc/vault.d/vault.hcl:5");
        let p = c.storage[0].get("path").unwrap();
        assert_eq!(p.value, Value::Literal("/opt/vault/data".into()));
        assert_eq!(p.at, "/etc/vault.d/vault.hcl:6");
        assert_eq!(c.listeners.len(), 2);
        assert_eq!(
            c.listeners[0].get("tls_min_version").unwrap().value,
            Value::Literal("tls13".into())
        );
        let l1 = &c.listeners[1];
        assert_eq!(l1.at, "/etc/vault.d/vault.hcl:17");
        assert_eq!(l1.get("tls_disable").unwrap().value.as_bool(), Some(true));
        assert_eq!(l1.get("tls_min_version").unwrap().value, Value::NotLiteral);
        assert!(l1.get("tls_cert_file").is_none());
    }

    #[test]
    fn json_has_the_same_structure() {
        let mut c = VaultConfig::default();
        c.add(
            "/etc/vault.d/vault.json",
            r#"{"disable_mlock": true,
                "storage": {"file": {"path": "/var/lib/vault"}},
                "listener": [{"tcp": {"address": ":8200", "tls_disable": 1}},
                             {"tcp": {"address": ":8201"}}]}"#,
        )
        .unwrap();
        assert_eq!(
            c.disable_mlock.as_ref().unwrap().value.as_bool(),
            Some(true)
        );
        assert_eq!(c.storage[0].kind, "file");
        assert_eq!(c.listeners.len(), 2);
        assert_eq!(
            c.listeners[1].at,
            "/etc/vault.d/vault.json: listener.tcp[1]"
        );
        assert_eq!(
            c.listeners[0].get("tls_disable").unwrap().value.as_bool(),
            Some(true)
        );
    }

    #[test]
    fn files_merge_and_the_last_mlock_wins() {
        let mut c = VaultConfig::default();
        c.add("/a.hcl", "disable_mlock = true\n").unwrap();
        c.add("/b.hcl", "listener \"tcp\" {}\ndisable_mlock = false\n")
            .unwrap();
        assert_eq!(c.files, ["/a.hcl", "/b.hcl"]);
        assert_eq!(c.disable_mlock.unwrap().at, "/b.hcl:2");
        assert_eq!(c.listeners[0].attrs, vec![]);
    }

    #[test]
    fn garbled_files_name_file_and_line() {
        let mut c = VaultConfig::default();
        let e = c
            .add(
                "/etc/vault.d/v.hcl",
                "ui = true\nlistener \"tcp\" {\n  address = \n",
            )
            .unwrap_err();
        assert!(e.file.starts_with("/etc/vault.d/v.hcl:"), "{e}");
        assert!(e.message.starts_with("not valid HCL"), "{e}");
        let e = c.add("/v.json", "{\n \"listener\": [\n").unwrap_err();
        assert!(e.file.starts_with("/v.json:"), "{e}");
        let e = c.add("/v.json", "[1]").unwrap_err();
        assert_eq!(e.to_string(), "/v.json: not a JSON object");
        // Deep nesting is refused by the parser, not a stack overflow.
        let deep = format!("x = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
        assert!(c.add("/deep.hcl", &deep).is_err());
        assert!(c.files.is_empty());
    }
}
