//! `role_activity_object` (entities `role`, `inactive_days`): the last recorded
//! activity of each role member in the policy's audit logs (CCM IAM-09; inactive key
//! custodians keep their access unnoticed). A member with no record is inactive only
//! when the logs reach back far enough to say so.

use crate::probes::keymgmt::read_accounts;
use std::collections::BTreeMap;

use super::{parse_context, source_events};
use crate::policy::{LogFormat, time};
use crate::probes::keymgmt::roles::members;
use crate::probes::keymgmt::{bool_str, int_entity, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// The kind of identity a log format records.
fn identity_type(f: LogFormat) -> &'static str {
    match f {
        LogFormat::Auditd => "unix_user",
        LogFormat::Vault => "vault_policy",
        LogFormat::Cloudtrail => "aws_principal",
    }
}

/// The log format that records an identity type ([`identity_type`]'s inverse).
fn format_of(itype: &str) -> &'static str {
    match itype {
        "unix_user" => "auditd",
        "vault_policy" => "vault",
        _ => "cloudtrail",
    }
}

/// The probe of `role_activity_object` (vigil family): each role member's last recorded
/// activity in the audit logs.
pub struct RoleActivityProbe;

impl Probe<Context> for RoleActivityProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_activity_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let days = match int_entity(query, "inactive_days", pol.detection.inactive_days as i64) {
            Ok(d) => d,
            Err(c) => return c,
        };
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let pc = parse_context(pol, &acc);
        // Last activity per (identity type, identity), and how far back each kind of
        // log reaches.
        let mut last: BTreeMap<(&'static str, String), i64> = BTreeMap::new();
        let mut reach: BTreeMap<&'static str, i64> = BTreeMap::new();
        let mut declared: BTreeMap<&'static str, &'static str> = BTreeMap::new();
        for src in &pol.audit_logs {
            declared.insert(identity_type(src.format), src.format.as_str());
        }
        for src in &pol.audit_logs {
            let Ok(s) = source_events(ctx, src, &pc) else {
                continue;
            };
            if s.file.is_none() {
                continue;
            }
            let itype = identity_type(src.format);
            for e in s.all() {
                let Some(t) = e.time else { continue };
                let r = reach.entry(itype).or_insert(t);
                *r = (*r).min(t);
                let mut ids: Vec<String> = e.identity.iter().cloned().collect();
                if src.format == LogFormat::Vault {
                    ids = e.policies.clone();
                }
                for id in ids {
                    let l = last.entry((itype, id)).or_insert(t);
                    *l = (*l).max(t);
                }
            }
        }
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        let people: Vec<_> = members(pol, &acc)
            .into_iter()
            .filter(|m| m.identity_type != "unix_group")
            .collect();
        if people.is_empty() {
            return not_declared(ctx, "[[roles]] member");
        }
        for m in people {
            match selects(query, "role", &m.role) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("role", m.role.as_str())
                .field("identity", m.identity.as_str())
                .field("identity_type", m.identity_type)
                .field("inactive_days", days.to_string());
            let since = reach
                .get(m.identity_type)
                .map(|r| (now - r).div_euclid(86400));
            match last.get(&(m.identity_type, m.identity.clone())) {
                Some(&t) => {
                    let d = (now - t).div_euclid(86400);
                    item.push("last_activity", time::format_rfc3339(t));
                    item.push("days_since_activity", d.to_string());
                    item.push("inactive", bool_str(d > days));
                }
                None => match since {
                    Some(s) if s > days => {
                        item.push("days_since_activity", s.to_string());
                        item.push("inactive", "true");
                        item.message = Some(format!("no activity in the {s} days the logs cover"));
                    }
                    // Whether the member is inactive cannot be established: the field
                    // is left out, so the state is unknown (never a failure).
                    _ if !declared.contains_key(m.identity_type) => {
                        item.message = Some(format!(
                            "unknown: no [[audit_logs]] source records {} activity (format {})",
                            m.identity_type,
                            format_of(m.identity_type)
                        ));
                    }
                    _ => {
                        item.message = Some(format!(
                            "unknown: no activity recorded, and the {} logs do not reach back {days} days",
                            declared[m.identity_type]
                        ));
                    }
                },
            }
            let _ = items.push(item);
        }
        items.into_collected()
    }
}
