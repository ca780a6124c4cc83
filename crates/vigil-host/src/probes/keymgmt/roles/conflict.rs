//! `role_conflict_object`: one item per identity found in two roles the policy keeps
//! separate (NIST SP 800-130 FR:5.4, separation of duties; CCM IAM-09).

use super::{members, read_accounts};
use crate::probes::keymgmt::not_declared;
use crate::probes::keymgmt::policy;
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `role_conflict_object`.
pub struct RoleConflictProbe;

impl Probe<Context> for RoleConflictProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_conflict_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        if pol.separation.is_empty() {
            return not_declared(ctx, "[[separation]] between [[roles]]");
        }
        let all = members(pol, &acc);
        let mut items = ctx.sink(ctx.deadline());
        let mut seen = std::collections::BTreeSet::new();
        for sep in &pol.separation {
            for (i, a) in sep.roles.iter().enumerate() {
                for b in &sep.roles[i + 1..] {
                    for ma in all
                        .iter()
                        .filter(|m| &m.role == a && m.identity_type != "unix_group")
                    {
                        for mb in all.iter().filter(|m| {
                            &m.role == b
                                && m.identity_type == ma.identity_type
                                && m.identity == ma.identity
                        }) {
                            if !seen.insert((ma.identity.clone(), a.clone(), b.clone())) {
                                continue;
                            }
                            let _ = items.push(
                                Item::new()
                                    .field("identity", ma.identity.as_str())
                                    .field("identity_type", ma.identity_type)
                                    .field("role_a", a.as_str())
                                    .field("via_a", ma.via.as_str())
                                    .field("role_b", b.as_str())
                                    .field("via_b", mb.via.as_str())
                                    .field("reason", sep.reason.as_str()),
                            );
                        }
                    }
                }
            }
        }
        items.into_collected()
    }
}
