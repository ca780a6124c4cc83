//! `undeclared_private_key_object` (entity `path`, optional): private keys found under
//! the policy's key directories that the policy does not declare (CCM CEK-21: an
//! unaccounted key is outside lifecycle management).

use super::{Source, found_private_keys};
use crate::probes::keymgmt::{policy, selects, sha256_hex};
use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};

/// `undeclared_private_key_object`.
pub struct UndeclaredKeyProbe;

impl Probe<Context> for UndeclaredKeyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["undeclared_private_key_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        if pol.discovered {
            return Collected::with_flag(
                Flag::NotApplicable,
                "nothing to check: without a site policy no key is declared, so none is undeclared (a policy's [[keys]] and [scan] key_directories enable it)",
            );
        }
        if pol.key_directories.is_empty() {
            return crate::probes::keymgmt::not_declared(ctx, "[scan] key_directories");
        }
        let (found, messages) = found_private_keys(ctx, pol);
        let mut items = ctx.sink(ctx.deadline());
        for k in found.into_iter().filter(|k| k.source == Source::Undeclared) {
            let path = k.file.host_path.to_string_lossy().to_string();
            match selects(query, "path", &path) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new()
                .field("path", path)
                .field("format", k.info.format.as_str());
            if let Some(a) = &k.info.algorithm {
                item.push("algorithm", a.as_str());
            }
            if let Some(s) = k.info.key_size {
                item.push("key_size", s.to_string());
            }
            item.push("sha256", sha256_hex(&k.data));
            if let Some(s) = &k.info.spki_sha256 {
                item.push("spki_sha256", s.as_str());
            }
            let _ = items.push(item);
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}
