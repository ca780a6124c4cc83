//! `role_object` (entities `role`, `role_kind`, `identity_type`): one item per
//! (identity, role) of the policy, Unix groups expanded through /etc/group and primary
//! groups (NIST SP 800-130 FR:5.3).

use super::{members, read_accounts};
use crate::probes::keymgmt::not_declared;
use crate::probes::keymgmt::{bool_str, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `role_object`.
pub struct RoleProbe;

impl Probe<Context> for RoleProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["role_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        for m in members(pol, &acc) {
            let sel = (|| {
                Ok::<_, Collected>(
                    selects(query, "role", &m.role)?
                        && selects(query, "role_kind", m.kind.as_str())?
                        && selects(query, "identity_type", m.identity_type)?,
                )
            })();
            match sel {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("role", m.role.as_str())
                .field("role_kind", m.kind.as_str())
                .field("identity", m.identity.as_str())
                .field("identity_type", m.identity_type)
                .field("via", m.via.as_str());
            match m.exists {
                Some(e) => item.push("exists", bool_str(e)),
                None => item.push_absent("exists"),
            }
            let _ = items.push(item);
        }
        if items.is_empty() {
            return not_declared(ctx, "[[roles]] member");
        }
        items.into_collected()
    }
}
