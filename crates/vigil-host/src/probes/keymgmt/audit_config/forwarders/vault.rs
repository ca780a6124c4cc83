//! HashiCorp Vault audit devices that forward (developer.hashicorp.com/vault/docs/
//! audit): `socket` devices send to their `address` over `socket_type` (`tcp`, the
//! default, `udp` or `unix`); `syslog` devices hand records to the host's syslog daemon,
//! so they reach the SIEM only where rsyslog or syslog-ng forwards them (their targets
//! are those, each naming the device). Which devices Vault has enabled lives in Vault's
//! storage, not in a file of the host, so vigil reads the saved output of
//! `vault audit list -format=json -detailed` (or the `sys/audit` API response, whose
//! devices are under `data`) that `[siem] vault_audit_list` names, on the scanned host.
//! The answer is as fresh as that file.

use serde_json::Value;

use super::{Forwarder, Reader, Target, rsyslog, split_host_port, syslog_ng};

/// `(mount path, options)` of every device of `kind` (every device for `None`) in the
/// audit list document.
pub fn devices<'a>(doc: &'a Value, kind: Option<&str>) -> Vec<(&'a str, &'a Value)> {
    let map = match doc.get("data").and_then(Value::as_object) {
        Some(m) => m,
        None => match doc.as_object() {
            Some(m) => m,
            None => return Vec::new(),
        },
    };
    map.iter()
        .filter(|(_, d)| kind.is_none() || d.get("type").and_then(Value::as_str) == kind)
        .map(|(path, d)| (path.as_str(), d.get("options").unwrap_or(&Value::Null)))
        .collect()
}

/// The type (`file`, `socket`, `syslog`) of the device mounted at `path`.
pub fn device_type<'a>(doc: &'a Value, path: &str) -> Option<&'a str> {
    let map = doc.get("data").unwrap_or(doc);
    map.get(path)?.get("type")?.as_str()
}

/// The audit list document at `list` (the `[siem] vault_audit_list` file), or why it
/// cannot be read: the one reader of that file, for the forwarders and for the Vault
/// hardening probe.
pub fn audit_list(r: &mut Reader, list: &str) -> Result<Value, String> {
    let Some(text) = r.text(list) else {
        return Err(r.take_unreadable().unwrap_or_else(|| {
            format!("{list}: [siem] vault_audit_list names a file the host does not have")
        }));
    };
    serde_json::from_str(&text).map_err(|e| {
        format!("{list}: not the JSON of `vault audit list -format=json -detailed`: {e}")
    })
}

/// The `vault-socket` or `vault-syslog` forwarder from the audit list at `list`.
pub fn inspect(r: &mut Reader, name: &str, list: Option<&str>) -> Forwarder {
    let Some(list) = list else {
        return Forwarder::default();
    };
    let doc = match audit_list(r, list) {
        Ok(d) => d,
        Err(e) => {
            return Forwarder {
                unreadable: vec![e],
                ..Forwarder::default()
            };
        }
    };
    let mut targets = Vec::new();
    let found = if name == "vault-socket" {
        let devs = devices(&doc, Some("socket"));
        for (path, opts) in &devs {
            let address = opts.get("address").and_then(Value::as_str).unwrap_or("");
            let socket_type = opts
                .get("socket_type")
                .and_then(Value::as_str)
                .unwrap_or("tcp")
                .to_ascii_lowercase();
            let (host, port) = if socket_type == "unix" {
                (address.to_string(), None)
            } else {
                split_host_port(address)
            };
            targets.push(Target {
                host,
                port,
                protocol: socket_type,
                source: format!("{list} (audit device {path})"),
            });
        }
        !devs.is_empty()
    } else {
        let devs = devices(&doc, Some("syslog"));
        if let Some((path, _)) = devs.first() {
            // The records go to the local syslog daemon; what it forwards is theirs.
            let via_syslog = rsyslog::inspect(r)
                .targets
                .into_iter()
                .chain(syslog_ng::inspect(r).targets);
            for mut t in via_syslog {
                t.source = format!("{list} (audit device {path}) -> {}", t.source);
                targets.push(t);
            }
        }
        !devs.is_empty()
    };
    Forwarder {
        configured: found,
        // A device in the list is enabled: Vault lists only enabled devices.
        enabled: Some(found),
        targets,
        ..Forwarder::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_of_either_shape() {
        let cli: Value = serde_json::from_str(r#"{"file/":{"type":"file","options":{}},"siem/":{"type":"socket","options":{"address":"siem.example.net:9090"}}}"#).unwrap();
        let api: Value = serde_json::json!({"data": {"s/": {"type": "syslog", "options": {}}}});
        assert_eq!(devices(&cli, Some("socket"))[0].0, "siem/");
        assert!(devices(&cli, Some("syslog")).is_empty());
        assert_eq!(devices(&cli, None).len(), 2);
        assert_eq!(devices(&api, Some("syslog"))[0].0, "s/");
        assert_eq!(device_type(&api, "s/"), Some("syslog"));
        assert_eq!(device_type(&cli, "file/"), Some("file"));
    }
}
