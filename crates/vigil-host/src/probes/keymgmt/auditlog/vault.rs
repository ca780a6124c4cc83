//! The HashiCorp Vault file audit device format: one JSON record per line, a request
//! and its response grouped into one [`Event`] by `request.id`. Identity from
//! `auth.metadata.username` (or `auth.display_name`, `auth.entity_id`), outcome from
//! the response record; a client token not HMAC'd means the device runs in raw mode.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Event, Parsed, Stage, clip, jstr};
use crate::policy::time;

/// The lifecycle category of a Vault request (`deletion`, `policy_change`,
/// `audit_change`), if it is one.
fn vault_action(op: &str, path: &str) -> Option<&'static str> {
    let path = path.trim_start_matches('/');
    let under = |prefix: &str| path.starts_with(prefix) && path.len() > prefix.len();
    if op == "delete" && (under("transit/keys/") || under("pki/key/") || under("pki/issuer/")) {
        Some("deletion")
    } else if op == "update" && path.starts_with("transit/keys/") && path.ends_with("/config") {
        // deletion_allowed / min_decryption_version changes prepare a destruction.
        Some("policy_change")
    } else if (op == "update" || op == "create" || op == "delete")
        && (under("sys/policy/") || under("sys/policies/acl/"))
    {
        Some("policy_change")
    } else if op == "delete" && under("sys/audit/") {
        Some("audit_change")
    } else {
        None
    }
}

/// The transit key (`MOUNT/NAME`) and lifecycle stage of a request on a transit
/// secrets engine's API (Vault transit API: `keys/:name`, `keys/:name/rotate`,
/// `keys/:name/config`, `encrypt/:name`, `decrypt/:name`, `rewrap/:name`,
/// `datakey/:type/:name`, `sign/:name`, `verify/:name`, `hmac/:name`,
/// `export/:type/:name`), if it is one. The mount is the path before the verb, so a
/// transit engine mounted anywhere is recognised.
fn transit_stage(op: &str, path: &str) -> Option<(String, Stage)> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let verbs = [
        "keys", "encrypt", "decrypt", "rewrap", "datakey", "sign", "verify", "hmac", "export",
    ];
    let at = parts.iter().rposition(|p| verbs.contains(p))?;
    if at == 0 {
        return None;
    }
    let mount = parts[..at].join("/");
    let rest = &parts[at + 1..];
    let (name, stage) = match (parts[at], rest, op) {
        ("keys", [name], "create" | "update") => (*name, Stage::Generated),
        ("keys", [name], "delete") => (*name, Stage::Destroyed),
        ("keys", [name, "rotate"], "update") => (*name, Stage::Rotated),
        ("keys", [name, "config"], "update") => (*name, Stage::PolicyChanged),
        ("keys", ..) => return None,
        ("datakey", [_, name, ..], "update") => (*name, Stage::Used),
        ("export", [_, name, ..], "read") => (*name, Stage::Exported),
        ("sign" | "verify" | "hmac", [name, ..], "update")
        | ("encrypt" | "decrypt" | "rewrap", [name], "update" | "create") => (*name, Stage::Used),
        _ => return None,
    };
    (!name.is_empty()).then(|| (format!("{mount}/{name}"), stage))
}

/// Parses a Vault file audit device log (JSON lines); the request and response records of
/// one request (same `request.id`) make one event.
pub fn parse_vault(text: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut by_id: BTreeMap<String, usize> = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            p.unparsable.push(n + 1);
            continue;
        };
        let rtype = jstr(&v, &["type"]);
        let id = jstr(&v, &["request", "id"])
            .map(String::from)
            .unwrap_or_else(|| format!("line:{}", n + 1));
        let record_id = jstr(&v, &["request", "id"]).map(String::from);
        let idx = *by_id.entry(id).or_insert_with(|| {
            p.events.push(Event {
                line: n + 1,
                record_id,
                ..Default::default()
            });
            p.events.len() - 1
        });
        let ev = &mut p.events[idx];
        if ev.event_type.is_none() {
            let op = jstr(&v, &["request", "operation"]);
            let path = jstr(&v, &["request", "path"]);
            ev.event_type = match (op, path) {
                (Some(o), Some(pa)) => Some(format!("{o} {pa}")),
                _ => rtype.map(String::from),
            };
            if let (Some(o), Some(pa)) = (op, path) {
                ev.action = Some(format!("{o} {pa}"));
                ev.destructive = vault_action(o, pa);
                if let Some((key, stage)) = transit_stage(o, pa) {
                    ev.key = Some(key);
                    ev.stage = Some(stage);
                }
            }
        }
        if ev.time.is_none() {
            ev.time = jstr(&v, &["time"]).and_then(time::parse_rfc3339);
        }
        if ev.identity.is_none() {
            ev.identity = jstr(&v, &["auth", "metadata", "username"])
                .or_else(|| jstr(&v, &["auth", "display_name"]))
                .or_else(|| jstr(&v, &["auth", "entity_id"]))
                .map(String::from);
        }
        if ev.policies.is_empty()
            && let Some(Value::Array(a)) = v.get("auth").and_then(|a| a.get("policies"))
        {
            ev.policies = a
                .iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect();
        }
        let root_policy = ["policies", "token_policies"].iter().any(|k| {
            v.get("auth")
                .and_then(|a| a.get(k))
                .and_then(Value::as_array)
                .is_some_and(|a| a.iter().any(|p| p.as_str() == Some("root")))
        });
        let generate_root = jstr(&v, &["request", "path"]).is_some_and(|p| {
            let p = p.trim_start_matches('/');
            p.starts_with("sys/generate-root")
                || (p.starts_with("sys/replication/") && p.contains("/generate-root"))
        });
        if generate_root {
            ev.root_activity = Some("generate_root");
        } else if root_policy && ev.root_activity.is_none() {
            ev.root_activity = Some("root_token");
        }
        let error = jstr(&v, &["error"]);
        if let Some(e) = error
            && e.contains("permission denied")
        {
            ev.denied = true;
            ev.outcome = Some("failure".into());
        }
        if rtype == Some("response") && ev.outcome.is_none() {
            ev.outcome = Some(
                if error.is_some() {
                    "failure"
                } else {
                    "success"
                }
                .into(),
            );
        }
        for token in [
            jstr(&v, &["auth", "client_token"]),
            jstr(&v, &["request", "client_token"]),
        ]
        .into_iter()
        .flatten()
        {
            ev.carries_token = true;
            if !token.starts_with("hmac-sha256:") {
                ev.raw_secret = true;
            }
        }
        ev.records.push(clip(line));
    }
    // A denied destructive request did not happen, nor did a failed key operation.
    for ev in &mut p.events {
        if ev.outcome.as_deref() == Some("failure") {
            ev.destructive = None;
            ev.stage = None;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vault_requests_pair_with_responses() {
        let text = r#"{"time":"2024-01-01T00:00:00Z","type":"request","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","metadata":{"username":"alice"},"policies":["kms-admin"]},"request":{"id":"r1","operation":"delete","path":"transit/keys/app","client_token":"hmac-sha256:aa"}}
{"time":"2024-01-01T00:00:01Z","type":"response","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","metadata":{"username":"alice"}},"request":{"id":"r1","operation":"delete","path":"transit/keys/app"},"response":{}}
{"time":"2024-01-01T00:00:02Z","type":"request","auth":{"client_token":"s.RAWTOKEN","display_name":"token"},"request":{"id":"r2","operation":"read","path":"secret/x"},"error":"permission denied"}
{"time":"2024-01-01T00:00:03Z","type":"request","request":{"id":"r3","operation":"read","path":"sys/health"}}
"#;
        let p = parse_vault(text);
        assert_eq!(p.events.len(), 3);
        assert_eq!(p.events[0].destructive, Some("deletion"));
        assert_eq!(p.events[0].outcome.as_deref(), Some("success"));
        assert_eq!(p.events[0].policies, vec!["kms-admin"]);
        assert!(p.events[1].denied && p.events[1].raw_secret);
        assert_eq!(p.events[2].missing(), vec!["identity", "outcome"]);
        assert!(p.events.iter().all(|e| e.root_activity.is_none()));
    }

    #[test]
    fn root_tokens_and_root_generation_are_marked() {
        let text = r#"{"type":"request","auth":{"client_token":"hmac-sha256:r","display_name":"root","policies":["root"],"token_policies":["root"]},"request":{"id":"a","operation":"read","path":"secret/x"}}
{"type":"request","request":{"id":"b","operation":"update","path":"sys/generate-root/attempt"}}
{"type":"request","auth":{"policies":["default"],"token_policies":["default","root"]},"request":{"id":"c","operation":"update","path":"/sys/replication/dr/secondary/generate-public-key"}}
{"type":"request","auth":{"policies":["default"]},"request":{"id":"d","operation":"update","path":"sys/replication/dr/secondary/generate-root/update"}}
"#;
        let p = parse_vault(text);
        let marks: Vec<_> = p.events.iter().map(|e| e.root_activity).collect();
        assert_eq!(
            marks,
            [
                Some("root_token"),
                Some("generate_root"),
                Some("root_token"),
                Some("generate_root")
            ]
        );
    }
}
