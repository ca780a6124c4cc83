//! `undeclared_private_key_object` (entity `path`, optional): private keys found under
//! the policy's key directories that the policy does not declare (CCM CEK-21: an
//! unaccounted key is outside lifecycle management).

use std::path::Path;

use super::MAX_KEY_FILE;
use super::material::{self, Kind};
use crate::host::fileattrs;
use crate::probes::keymgmt::{policy, selects, sha256_hex};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `undeclared_private_key_object`.
pub struct UndeclaredKeyProbe;

impl Probe<Context> for UndeclaredKeyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["undeclared_private_key_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        // Declared files, by the path they resolve to (a declared key may be reached
        // through a link).
        let mut declared = std::collections::BTreeSet::new();
        for k in &pol.keys {
            for p in k.path.iter().chain(k.certificate.iter()) {
                if let Ok(Some(f)) = ctx.host.resolve(Path::new(p)) {
                    declared.insert(f.real);
                }
            }
        }
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for dir in &pol.key_directories {
            let files = match fileattrs::walk_files(&ctx.host, Path::new(dir), 16) {
                Ok(f) => f,
                Err(e) => {
                    messages.push(format!("{dir}: {e}"));
                    continue;
                }
            };
            for f in files {
                if declared.contains(&f.real)
                    || !seen.insert(f.real.clone())
                    || f.meta.len() > MAX_KEY_FILE
                {
                    continue;
                }
                let path = f.host_path.to_string_lossy().to_string();
                match selects(query, "path", &path) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(c) => return c,
                }
                let data = match f.read(MAX_KEY_FILE) {
                    Ok(d) => d,
                    Err(e) => {
                        messages.push(e.to_string());
                        continue;
                    }
                };
                let infos = material::analyse(&data);
                let Some(k) = infos.iter().find(|i| i.kind == Some(Kind::PrivateKey)) else {
                    continue;
                };
                let mut item = Item::new()
                    .field("path", path)
                    .field("format", k.format.as_str());
                if let Some(a) = &k.algorithm {
                    item.push("algorithm", a.as_str());
                }
                if let Some(s) = k.key_size {
                    item.push("key_size", s.to_string());
                }
                item.push("sha256", sha256_hex(&data));
                if let Some(s) = &k.spki_sha256 {
                    item.push("spki_sha256", s.as_str());
                }
                let _ = items.push(item);
            }
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}
