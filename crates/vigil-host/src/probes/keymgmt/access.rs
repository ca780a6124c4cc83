//! Who can read or write the key-management files (NIST SP 800-130 FR:5.4, FR:8.14;
//! CCM IAM-09, LOG-09). `key_access_object` (entities `role_kind`, `target`): for every
//! Unix user in a role of the selected kind and every target file — `operational_keys`
//! (active operational keys of the policy) or `audit_logs` (the policy's audit-log
//! sources) — one item with `can_read`, `can_write` and `can_replace` (write and search
//! on the directory: the file can be deleted or swapped), computed with the acl(5)
//! access-check algorithm from owner, group, mode, named ACL entries and the mask, and
//! the user's primary and supplementary groups. The entry that decided is the evidence.

use crate::probes::keymgmt::read_accounts;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::acl::Acl;
use super::roles::members;
use super::{bool_str, not_declared, policy, selects};
use crate::policy::KeyState;
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// What a policy declares for this object to have something to judge.
const NOTHING: &str = "[[roles]] member with a Unix account of this kind, with a file to judge (an operational [[keys]] path or an [[audit_logs]] source)";

/// The probe of `key_access_object` (vigil family): which role members can read or write
/// each declared key file, and the separation findings that follow.
pub struct KeyAccessProbe;

impl Probe<Context> for KeyAccessProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["key_access_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let mut targets: Vec<(&str, &str, &str)> = Vec::new();
        for k in pol
            .keys
            .iter()
            .filter(|k| k.state == KeyState::Active && k.operational)
        {
            if let Some(p) = &k.path {
                targets.push(("operational_keys", &k.name, p));
            }
        }
        for l in &pol.audit_logs {
            targets.push(("audit_logs", &l.name, &l.path));
        }
        let mut people = Vec::new();
        for m in members(pol, &acc)
            .into_iter()
            .filter(|m| m.identity_type == "unix_user")
        {
            match selects(query, "role_kind", m.kind.as_str()) {
                Ok(true) => people.push(m),
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        // No one to judge: a missing file must not turn that into a pass over nothing.
        if people.is_empty() {
            return not_declared(ctx, NOTHING);
        }
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut examined = false;
        for (target, name, path) in targets {
            match selects(query, "target", target) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let f = match ctx.host.resolve(Path::new(path)) {
                Ok(Some(f)) => f,
                Ok(None) => {
                    messages.push(format!("{path}: does not exist, no access to compute"));
                    continue;
                }
                Err(e) => return Collected::error(format!("{path}: {e}")),
            };
            examined = true;
            let acl = match Acl::of(&f) {
                Ok(a) => a,
                Err(e) => return Collected::error(e),
            };
            let parent = f.host_path.parent().map(Path::to_path_buf);
            let dir = match parent.as_deref().map(|p| ctx.host.resolve(p)) {
                Some(Ok(Some(d))) => Some((Acl::of(&d), d.meta.mode() & 0o1000 != 0)),
                _ => None,
            };
            for m in &people {
                let Some(user) = acc.user(&m.identity) else {
                    continue;
                };
                let gids = acc.gids_of(user);
                let (r, r_why) = acl.check(user.uid, &gids, 4, &acc);
                let (w, w_why) = acl.check(user.uid, &gids, 2, &acc);
                let mut item = Item::new()
                    .field("target", target)
                    .field("name", name)
                    .field("path", path)
                    .field("identity", m.identity.as_str())
                    .field("role", m.role.as_str())
                    .field("role_kind", m.kind.as_str())
                    .field("via", m.via.as_str())
                    .field("can_read", bool_str(r))
                    .field("read_reason", r_why)
                    .field("can_write", bool_str(w))
                    .field("write_reason", w_why);
                match &dir {
                    Some((Ok(dacl), sticky)) => {
                        let (dw, why) = dacl.check(user.uid, &gids, 3, &acc);
                        // With the sticky bit only the file's owner (or root) may unlink it.
                        let replace = dw && (!sticky || user.uid == 0 || user.uid == f.meta.uid());
                        item.push("can_replace", bool_str(replace));
                        item.push(
                            "replace_reason",
                            format!("directory: {why}{}", if *sticky { " (sticky)" } else { "" }),
                        );
                    }
                    _ => item.push_absent("can_replace"),
                }
                let _ = items.push(item);
            }
        }
        if items.is_empty() && messages.is_empty() {
            return not_declared(ctx, NOTHING);
        }
        super::judged(items, messages, examined)
    }
}
