//! `aws_key_policy_object` (entity `key_id`): one item per principal of an AWS KMS
//! key-policy document, with the administrative and use actions it is allowed (CCM
//! IAM-09: key administrators must not use keys, key users must not administer them).

use std::collections::BTreeMap;
use std::path::Path;

use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

const USE_ACTIONS: &[&str] = &[
    "Encrypt",
    "Decrypt",
    "ReEncryptFrom",
    "ReEncryptTo",
    "GenerateDataKey",
    "GenerateDataKeyWithoutPlaintext",
    "GenerateDataKeyPair",
    "GenerateDataKeyPairWithoutPlaintext",
    "GenerateMac",
    "VerifyMac",
    "Sign",
    "Verify",
    "DeriveSharedSecret",
];
const ADMIN_ACTIONS: &[&str] = &[
    "CreateAlias",
    "CreateGrant",
    "DeleteAlias",
    "DeleteImportedKeyMaterial",
    "DisableKey",
    "DisableKeyRotation",
    "EnableKey",
    "EnableKeyRotation",
    "ImportKeyMaterial",
    "PutKeyPolicy",
    "RetireGrant",
    "RevokeGrant",
    "RotateKeyOnDemand",
    "ScheduleKeyDeletion",
    "CancelKeyDeletion",
    "TagResource",
    "UntagResource",
    "UpdateAlias",
    "UpdateKeyDescription",
    "UpdatePrimaryRegion",
    "ReplicateKey",
];

/// IAM action glob (`*`, `?`), case-insensitive as IAM compares actions.
fn glob(pattern: &str, s: &str) -> bool {
    crate::probes::keymgmt::wildcard_match(&pattern.to_ascii_lowercase(), &s.to_ascii_lowercase())
}

fn strings(v: Option<&serde_json::Value>) -> Vec<String> {
    match v {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

/// Allowed actions per principal in a key-policy document.
pub fn key_policy_grants(doc: &serde_json::Value) -> Result<BTreeMap<String, Vec<String>>, String> {
    let stmts = match doc.get("Statement") {
        Some(serde_json::Value::Array(a)) => a.clone(),
        Some(o @ serde_json::Value::Object(_)) => vec![o.clone()],
        _ => return Err("no Statement in the key policy".into()),
    };
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in &stmts {
        if s.get("Effect").and_then(|e| e.as_str()) != Some("Allow") {
            continue;
        }
        let principals = match s.get("Principal") {
            Some(serde_json::Value::String(p)) => vec![p.clone()],
            Some(serde_json::Value::Object(o)) => o
                .iter()
                .filter(|(k, _)| k.as_str() == "AWS")
                .flat_map(|(_, v)| strings(Some(v)))
                .collect(),
            _ => Vec::new(),
        };
        // NotAction with Allow grants everything not listed: counted as every action.
        let actions = if s.get("NotAction").is_some() {
            vec!["kms:*".to_string()]
        } else {
            strings(s.get("Action"))
        };
        for p in principals {
            out.entry(p).or_default().extend(actions.iter().cloned());
        }
    }
    Ok(out)
}

/// `aws_key_policy_object`.
pub struct AwsKeyPolicyProbe;

impl Probe<Context> for AwsKeyPolicyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["aws_key_policy_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        if pol.aws_key_policies.is_empty() {
            return not_declared(ctx, "[[aws_key_policies]]");
        }
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        for kp in &pol.aws_key_policies {
            match selects(query, "key_id", &kp.key_id) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let data = match ctx.host.read_file(Path::new(&kp.path), ctx.max_file_size) {
                Ok(Some(d)) => d,
                Ok(None) => {
                    messages.push(format!("{}: key policy document not found", kp.path));
                    let _ = items.push(
                        Item::new()
                            .field("key_id", kp.key_id.as_str())
                            .field("path", kp.path.as_str())
                            .field("document_present", "false"),
                    );
                    continue;
                }
                Err(e) => return Collected::error(format!("{}: {e}", kp.path)),
            };
            let grants = match serde_json::from_slice(&data)
                .map_err(|e| e.to_string())
                .and_then(|d| key_policy_grants(&d))
            {
                Ok(g) => g,
                Err(e) => return Collected::error(format!("{}: {e}", kp.path)),
            };
            for (principal, actions) in grants {
                let matched = |list: &[&str]| -> Vec<String> {
                    list.iter()
                        .filter(|a| {
                            actions
                                .iter()
                                .any(|p| p == "*" || glob(p, &format!("kms:{a}")))
                        })
                        .map(|a| format!("kms:{a}"))
                        .collect()
                };
                let (admin, uses) = (matched(ADMIN_ACTIONS), matched(USE_ACTIONS));
                let mut item = Item::new()
                    .field("key_id", kp.key_id.as_str())
                    .field("path", kp.path.as_str())
                    .field("document_present", "true")
                    .field("principal", principal.as_str());
                for a in &actions {
                    item.push("action", a.as_str());
                }
                item.push("administers", bool_str(!admin.is_empty()));
                item.push("uses", bool_str(!uses.is_empty()));
                item.push(
                    "admin_and_use",
                    bool_str(!admin.is_empty() && !uses.is_empty()),
                );
                if let (Some(a), Some(u)) = (admin.first(), uses.first()) {
                    item.push("evidence", format!("{principal} is allowed {a} and {u}"));
                }
                let _ = items.push(item);
            }
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iam_globs_and_key_policy() {
        assert!(glob("kms:*", "kms:Decrypt"));
        assert!(glob("kms:re*", "kms:ReEncryptFrom"));
        assert!(glob("kms:Re*", "kms:RevokeGrant"));
        assert!(!glob("kms:Get*", "kms:Decrypt"));
        let doc: serde_json::Value = serde_json::from_str(
            r#"{"Version":"2012-10-17","Statement":[
              {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::1:role/A"},"Action":["kms:Create*","kms:Put*"],"Resource":"*"},
              {"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::1:role/A","arn:aws:iam::1:role/U"]},"Action":"kms:Decrypt","Resource":"*"},
              {"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}]}"#,
        )
        .unwrap();
        let g = key_policy_grants(&doc).unwrap();
        assert_eq!(
            g["arn:aws:iam::1:role/A"],
            vec!["kms:Create*", "kms:Put*", "kms:Decrypt"]
        );
        assert_eq!(g["arn:aws:iam::1:role/U"], vec!["kms:Decrypt"]);
        assert!(!g.contains_key("*"));
    }
}
