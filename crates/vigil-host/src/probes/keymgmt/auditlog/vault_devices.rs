//! `vault_audit_devices_object` (entity `source`): two Vault file audit devices must
//! hold the same records. Vault writes every request and response to each enabled
//! device, so a record (`type` and `request.id`) in one device's log and not in the
//! other's was lost or removed from that one (CCM LOG-09, LOG-11; NIST SP 800-130
//! FR:8.12). One item per pair of `[[audit_logs]]` sources with `format = "vault"`,
//! current and rotated files read; records older than the later of the two logs'
//! first records are not compared (a device enabled later, or rotated away: the
//! retention rule's subject).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{MAX_RECORDS, jstr, rotated};
use crate::policy::{AuditLog, LogFormat, time};
use crate::probes::keymgmt::{bool_str, keeps, literal, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ItemStatus, ObjectQuery, Probe};

/// The probe of `vault_audit_devices_object` (vigil family).
pub struct VaultAuditDevicesProbe;

const OWN_ENTITIES: &[&str] = &["source"];

/// One record of a device: where it is and when.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Record {
    /// `FILE:LINE`.
    pub(crate) at: String,
    /// The record's `time`, seconds since the epoch.
    pub(crate) time: Option<i64>,
}

/// A device's records by (`type`, `request.id`).
pub(crate) type Records = BTreeMap<(String, String), Record>;

/// The records of one device's log text, by (`type`, `request.id`); lines that are not
/// records, or have no id, are counted in the second value.
pub(crate) fn records(file: &str, text: &str, out: &mut Records) -> usize {
    let mut skipped = 0;
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Ok(v) = serde_json::from_str::<Value>(line) else {
            skipped += 1;
            continue;
        };
        let (Some(t), Some(id)) = (jstr(&v, &["type"]), jstr(&v, &["request", "id"])) else {
            skipped += 1;
            continue;
        };
        out.entry((t.to_string(), id.to_string()))
            .or_insert_with(|| Record {
                at: format!("{file}:{}", n + 1),
                time: jstr(&v, &["time"]).and_then(time::parse_rfc3339),
            });
    }
    skipped
}

/// Every record of a source, its current file and rotated ones.
fn source_records(ctx: &Context, src: &AuditLog) -> Result<Option<(Records, usize)>, String> {
    let Some(f) = ctx
        .host
        .resolve(std::path::Path::new(&src.path))
        .map_err(|e| format!("{}: {e}", src.path))?
    else {
        return Ok(None);
    };
    let mut out = BTreeMap::new();
    let data = f.read(ctx.max_file_size).map_err(|e| e.to_string())?;
    let mut skipped = records(&src.path, &String::from_utf8_lossy(&data), &mut out);
    for r in rotated(ctx, &src.path) {
        let d = r.read(ctx.max_file_size).map_err(|e| e.to_string())?;
        let name = r.host_path.to_string_lossy().into_owned();
        skipped += records(&name, &String::from_utf8_lossy(&d), &mut out);
    }
    Ok(Some((out, skipped)))
}

/// The records of `a` missing from `b`, at or after `since`.
pub(crate) fn missing<'a>(
    a: &'a Records,
    b: &Records,
    since: Option<i64>,
) -> Vec<(&'a (String, String), &'a Record)> {
    a.iter()
        .filter(|(k, r)| {
            !b.contains_key(*k) && !matches!((since, r.time), (Some(s), Some(t)) if t < s)
        })
        .collect()
}

impl Probe<Context> for VaultAuditDevicesProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["vault_audit_devices_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let mut vault: Vec<&AuditLog> = Vec::new();
        for src in &policy(ctx).audit_logs {
            if src.format != LogFormat::Vault {
                continue;
            }
            match selects(query, "source", &src.name) {
                Ok(true) => vault.push(src),
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        if vault.len() < 2 {
            let mut what = "pair of [[audit_logs]] sources with format = \"vault\" (two audit devices of one Vault)".to_string();
            if let Some(n) = literal(query, "source") {
                what = format!("{what} named '{n}'");
            }
            return not_declared(ctx, &what);
        }
        let mut read = Vec::new();
        for src in &vault {
            read.push(source_records(ctx, src));
        }
        let mut items = ctx.sink(ctx.deadline());
        for i in 0..vault.len() {
            for j in i + 1..vault.len() {
                let (a, b) = (vault[i], vault[j]);
                let base = Item::new()
                    .field("source_a", a.name.as_str())
                    .field("source_b", b.name.as_str());
                let (ra, rb) = match (&read[i], &read[j]) {
                    (Ok(Some(x)), Ok(Some(y))) => (x, y),
                    (Err(e), _) | (_, Err(e)) => {
                        let mut it = Item::with_status(ItemStatus::Error, e.clone());
                        it.fields = base.fields;
                        let _ = items.push(it);
                        continue;
                    }
                    (Ok(None), _) | (_, Ok(None)) => {
                        let gone = if matches!(read[i], Ok(None)) { a } else { b };
                        let mut it = Item::with_status(
                            ItemStatus::Error,
                            format!(
                                "{}: the log of '{}' does not exist, so its records cannot be compared",
                                gone.path, gone.name
                            ),
                        );
                        it.fields = base.fields;
                        let _ = items.push(it);
                        continue;
                    }
                };
                let first = |m: &Records| m.values().filter_map(|r| r.time).min();
                let since = match (first(&ra.0), first(&rb.0)) {
                    (Some(x), Some(y)) => Some(x.max(y)),
                    _ => None,
                };
                let not_in_b = missing(&ra.0, &rb.0, since);
                let not_in_a = missing(&rb.0, &ra.0, since);
                let mut item = base;
                item.push("path_a", a.path.as_str());
                item.push("path_b", b.path.as_str());
                item.push("records_a", ra.0.len().to_string());
                item.push("records_b", rb.0.len().to_string());
                item.push("unidentified_lines_a", ra.1.to_string());
                item.push("unidentified_lines_b", rb.1.to_string());
                if let Some(s) = since {
                    item.push("compared_since", time::format_rfc3339(s));
                }
                item.push("missing_from_a", not_in_a.len().to_string());
                item.push("missing_from_b", not_in_b.len().to_string());
                item.push(
                    "records_missing",
                    (not_in_a.len() + not_in_b.len()).to_string(),
                );
                let named = not_in_b
                    .iter()
                    .map(|x| (x, b))
                    .chain(not_in_a.iter().map(|x| (x, a)));
                for (((t, id), rec), lacking) in named.take(MAX_RECORDS) {
                    item.push(
                        "missing_record",
                        format!(
                            "{t} {id} ({}) is not in '{}' ({})",
                            rec.at, lacking.name, lacking.path
                        ),
                    );
                }
                item.push(
                    "devices_agree",
                    bool_str(not_in_a.is_empty() && not_in_b.is_empty()),
                );
                match keeps(query, &item, OWN_ENTITIES) {
                    Ok(true) => {
                        let _ = items.push(item);
                    }
                    Ok(false) => {}
                    Err(c) => return c,
                }
            }
        }
        if items.is_empty() {
            return not_declared(
                ctx,
                "pair of [[audit_logs]] sources with format = \"vault\" (two audit devices of one Vault)",
            );
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_missing_from_either_device_are_named() {
        let a = r#"{"time":"2024-01-01T00:00:00Z","type":"request","request":{"id":"r1"}}
{"time":"2024-01-01T00:00:01Z","type":"response","request":{"id":"r1"}}
{"time":"2024-01-01T00:00:02Z","type":"request","request":{"id":"r2"}}
not json
{"time":"2024-01-01T00:00:03Z","type":"request"}
"#;
        let b = r#"{"time":"2024-01-01T00:00:00Z","type":"request","request":{"id":"r1"}}
{"time":"2024-01-01T00:00:02Z","type":"request","request":{"id":"r2"}}
{"time":"2024-01-01T00:00:04Z","type":"request","request":{"id":"r3"}}
"#;
        let (mut ma, mut mb) = (BTreeMap::new(), BTreeMap::new());
        assert_eq!(records("/a", a, &mut ma), 2);
        assert_eq!(records("/b", b, &mut mb), 0);
        let not_in_b = missing(&ma, &mb, None);
        assert_eq!(not_in_b.len(), 1);
        assert_eq!(not_in_b[0].0, &("response".to_string(), "r1".to_string()));
        assert_eq!(not_in_b[0].1.at, "/a:2");
        let not_in_a = missing(&mb, &ma, None);
        assert_eq!(not_in_a[0].1.at, "/b:3");
        // Records older than the later device's first record are not compared.
        let since = time::parse_rfc3339("2024-01-01T00:00:02Z");
        assert!(missing(&ma, &mb, since).is_empty());
    }
}
