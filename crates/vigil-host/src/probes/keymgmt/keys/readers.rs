//! `private_key_file_object` (entity `path`, optional): one item per private-key file
//! the scan knows of — declared, undeclared under `[scan] key_directories`, or found by
//! discovery ([`super::found_private_keys`]) — with who can read it and who can write
//! or replace it, computed with the acl(5) access-check algorithm from its owner, group,
//! mode, named ACL entries and mask, and every account's primary and supplementary
//! groups (CCM CEK-12/13, NIST SP 800-130 FR:5.4: a private key is read only by the
//! accounts that use it). The readers and writers are named in the evidence.
//!
//! A key fails `readers_within_policy` when every account can read it (the `other`
//! entry grants read) or a member of an audit-administrator role can; it fails
//! `writers_within_policy` when an account other than root and the file's owner can
//! write it, or can replace it through its directory (write and search on the
//! directory, unless the sticky bit keeps others from unlinking).

use crate::probes::keymgmt::read_accounts;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::{file_facts, found_private_keys};
use crate::host::accounts::Accounts;
use crate::host::fileattrs;
use crate::policy::RoleKind;
use crate::probes::keymgmt::acl::Acl;
use crate::probes::keymgmt::roles::members;
use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// Most readers or writers named in one item; the count is always given.
const MAX_NAMED: usize = 50;

/// `private_key_file_object`.
pub struct PrivateKeyFileProbe;

impl Probe<Context> for PrivateKeyFileProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["private_key_file_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let auditors: Vec<String> = members(pol, &acc)
            .into_iter()
            .filter(|m| m.kind == RoleKind::AuditAdministrator && m.identity_type == "unix_user")
            .map(|m| m.identity)
            .collect();
        let (found, mut messages) = found_private_keys(ctx, pol);
        let mut items = ctx.sink(ctx.deadline());
        for k in found {
            let path = k.file.host_path.to_string_lossy().to_string();
            match selects(query, "path", &path) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new().field("path", path.as_str());
            if let Some(n) = &k.name {
                item.push("name", n.as_str());
            }
            item.push("source", k.source.as_str());
            if let Some(a) = &k.info.algorithm {
                item.push("algorithm", a.as_str());
            }
            let facts = match file_facts(&k.file, &acc) {
                Ok(f) => f,
                Err(e) => {
                    messages.push(format!("{path}: {e}"));
                    let mut it = Item::with_status(crate::probes::ItemStatus::Error, e);
                    it.fields = item.fields;
                    let _ = items.push(it);
                    continue;
                }
            };
            item.push("owner", facts.owner.as_str());
            item.push("group", facts.group.as_str());
            item.push("mode", fileattrs::mode_str(facts.mode));
            for e in &facts.named_acl {
                item.push("acl_entry", e.as_str());
            }
            if let Some(m) = facts.acl.mask() {
                item.push("acl_mask", crate::probes::keymgmt::acl::perm_str(m));
            }
            access(ctx, &acc, &k.file, &facts.acl, &auditors, &mut item);
            let _ = items.push(item);
        }
        if items.is_empty() && messages.is_empty() {
            return not_declared(
                ctx,
                "private-key file ([[keys]] path or [scan] key_directories)",
            );
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}

/// The readers, writers and replacers of one key file, and the two judgements.
fn access(
    ctx: &Context,
    acc: &Accounts,
    f: &crate::host::HostFile,
    acl: &Acl,
    auditors: &[String],
    item: &mut Item,
) {
    let other = acl.other_perm();
    let world_readable = other & 4 != 0;
    let world_writable = other & 2 != 0;
    let dir = f
        .host_path
        .parent()
        .and_then(|p| ctx.host.resolve(Path::new(p)).ok().flatten())
        .map(|d| (Acl::of(&d), d.meta.mode() & 0o1000 != 0));
    let (mut readers, mut writers, mut replacers) = (Vec::new(), Vec::new(), Vec::new());
    let mut auditor_readers = Vec::new();
    for u in acc.users.iter().filter(|u| u.uid != 0) {
        let gids = acc.gids_of(u);
        let (r, why) = acl.check(u.uid, &gids, 4, acc);
        // Readers through `other` are everyone: counted once as world_readable.
        if r && !why.starts_with("other") {
            readers.push(format!("{}: {why}", u.name));
        }
        if r && auditors.contains(&u.name) {
            auditor_readers.push(format!("{}: {why}", u.name));
        }
        let (w, why) = acl.check(u.uid, &gids, 2, acc);
        if w && u.uid != f.meta.uid() {
            writers.push(format!("{}: {why}", u.name));
        }
        if let Some((Ok(dacl), sticky)) = &dir {
            let (dw, why) = dacl.check(u.uid, &gids, 3, acc);
            if dw && u.uid != f.meta.uid() && !*sticky {
                replacers.push(format!("{}: directory {why}", u.name));
            }
        }
    }
    item.push("world_readable", bool_str(world_readable));
    item.push("readers", readers.len().to_string());
    for r in readers.iter().take(MAX_NAMED) {
        item.push("reader", r.as_str());
    }
    for r in &auditor_readers {
        item.push("auditor_reader", r.as_str());
    }
    item.push(
        "readers_within_policy",
        bool_str(!world_readable && auditor_readers.is_empty()),
    );
    item.push("world_writable", bool_str(world_writable));
    for w in writers.iter().take(MAX_NAMED) {
        item.push("writer", w.as_str());
    }
    for r in replacers.iter().take(MAX_NAMED) {
        item.push("replacer", r.as_str());
    }
    match &dir {
        Some((Ok(_), _)) | None => item.push(
            "writers_within_policy",
            bool_str(!world_writable && writers.is_empty() && replacers.is_empty()),
        ),
        // The directory's ACL could not be read: whether the key can be replaced is
        // unknown, so the judgement is left out rather than guessed.
        Some((Err(e), _)) => item.message = Some(format!("directory ACL: {e}")),
    }
}
