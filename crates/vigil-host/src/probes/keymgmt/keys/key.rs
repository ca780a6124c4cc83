//! `key_object` (entities `name`, `key_state`): one item per declared key of the policy
//! — presence, file and SPKI fingerprints, algorithm and size, owner, group, mode,
//! named ACL entries, age — each with the comparison against the policy (CCM
//! CEK-12/13/21).

use super::material::{self, Kind};
use super::{file_facts, main_key, read_key, unexpected_acl};
use crate::host::accounts::Accounts;
use crate::host::fileattrs;
use crate::policy::{Key, KeyState, time};
use crate::probes::keymgmt::read_accounts;
use crate::probes::keymgmt::{bool_str, keeps, literal, not_declared, policy, selects, sha256_hex};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// Where the minimum size came from when the policy declares none.
pub(crate) const DEFAULT_MIN_SOURCE: &str = "NIST SP 800-131A Rev. 2 minimum";

/// NIST SP 800-131A Rev. 2's smallest acceptable size, in bits, for an algorithm
/// (RSA and DSA moduli 2048, elliptic-curve fields 224); `None` for algorithms whose
/// strength is fixed (Ed25519, Ed448, X25519).
pub(crate) fn default_min_size(algorithm: &str) -> Option<u32> {
    match algorithm {
        "rsa" | "dsa" => Some(2048),
        "ec" => Some(224),
        _ => None,
    }
}

fn key_item(ctx: &Context, acc: &Accounts, key: &Key, now: i64) -> Item {
    let mut item = Item::new()
        .field("name", key.name.as_str())
        .field("key_state", key.state.as_str());
    if let Some(p) = &key.path {
        item.push("path", p.as_str());
    }
    if let Some(u) = &key.pkcs11 {
        item.push("pkcs11_uri", u.as_str());
    }
    item.push("operational", bool_str(key.operational));
    item.push("declared", bool_str(!key.discovered));
    item.push(
        "storage",
        if key.path.is_some() { "file" } else { "pkcs11" },
    );

    let file = match key.path.as_deref().map(|p| read_key(ctx, p)).transpose() {
        Ok(f) => f.flatten(),
        Err(e) => return Item::with_status(crate::probes::ItemStatus::Error, e),
    };
    let present = file.is_some();
    if key.path.is_some() {
        item.push("present", bool_str(present));
    } else {
        item.push_absent("present");
        item.message = Some("key held in a PKCS#11 token: only its certificate is read".into());
    }
    if key.state == KeyState::Destroyed {
        if let Some((_, data)) = &file {
            item.push("sha256", sha256_hex(data));
        }
        return item;
    }

    let cert = match key
        .certificate
        .as_deref()
        .map(|p| read_key(ctx, p))
        .transpose()
    {
        Ok(c) => c.flatten(),
        Err(e) => return Item::with_status(crate::probes::ItemStatus::Error, e),
    };
    let cert_info = cert.as_ref().and_then(|(_, d)| {
        material::analyse(d)
            .into_iter()
            .find(|i| i.kind == Some(Kind::Certificate))
    });
    let infos = file
        .as_ref()
        .map(|(_, d)| material::analyse(d))
        .unwrap_or_default();
    let info = main_key(&infos).or(cert_info.as_ref());

    // Fingerprints.
    let sha = file.as_ref().map(|(_, d)| sha256_hex(d));
    if let Some(s) = &sha {
        item.push("sha256", s.as_str());
    }
    let spki = info.and_then(|i| i.spki_sha256.clone());
    if let Some(s) = &spki {
        item.push("spki_sha256", s.as_str());
    }
    let declared = key.sha256.is_some() || key.spki_sha256.is_some();
    item.push("fingerprint_declared", bool_str(declared));
    if declared {
        let file_ok = key.sha256.as_ref().map(|want| sha.as_ref() == Some(want));
        let spki_ok = key
            .spki_sha256
            .as_ref()
            .map(|want| spki.as_ref() == Some(want));
        let known = (file_ok.is_none() || sha.is_some()) && (spki_ok.is_none() || spki.is_some());
        if known {
            item.push(
                "fingerprint_matches_policy",
                bool_str(file_ok.unwrap_or(true) && spki_ok.unwrap_or(true)),
            );
        } else {
            item.push_absent("fingerprint_matches_policy");
        }
    }

    // Algorithm and size.
    if let Some(i) = info {
        item.push("kind", i.kind.map(Kind::as_str).unwrap_or("unknown"));
        item.push("format", i.format.as_str());
        item.push("encrypted", bool_str(i.encrypted));
        if let Some(a) = &i.algorithm {
            item.push("algorithm", a.as_str());
        }
        if let Some(s) = i.key_size {
            item.push("key_size", s.to_string());
        }
        if let Some(c) = &i.curve {
            item.push("curve", c.as_str());
        }
    } else if present {
        item.push("kind", "unknown");
    }
    let strength_declared = key.algorithm.is_some() || key.min_size.is_some();
    item.push("strength_declared", bool_str(strength_declared));
    // Without a declared minimum the key is still judged, against NIST SP 800-131A's
    // (the item says which applied), so a 1024-bit key fails with no policy at all.
    let have_alg = info.and_then(|i| i.algorithm.as_deref());
    let min = match key.min_size {
        Some(m) => Some((m, "policy")),
        None => have_alg
            .and_then(default_min_size)
            .map(|m| (m, DEFAULT_MIN_SOURCE)),
    };
    if let Some((m, source)) = min {
        item.push("min_size", m.to_string());
        item.push("min_size_source", source);
    }
    let alg_ok = key
        .algorithm
        .map(|a| have_alg.map(|have| have == a.as_str()));
    let size_ok = min.map(|(min, _)| info.and_then(|i| i.key_size).map(|have| have >= min));
    if let Some(Some(ok)) = alg_ok {
        item.push("algorithm_matches_policy", bool_str(ok));
    }
    if let Some(Some(ok)) = size_ok {
        item.push("size_meets_policy", bool_str(ok));
    }
    match (alg_ok, size_ok) {
        // The policy declares an algorithm or size but the file's cannot be read (an
        // encrypted PKCS#8 key hides both, and no certificate tells): the rule cannot
        // say, so the field is left out and the state is unknown, not a failure. (A
        // missing key fails below, as every fact of a missing key does.)
        (Some(None), _) | (_, Some(None)) if present => {
            item.message = Some(format!(
                "{}: the key's algorithm and size cannot be read{}: strength not judged",
                key.path.as_deref().unwrap_or(&key.name),
                if infos.iter().any(|i| i.encrypted) {
                    " (encrypted)"
                } else {
                    ""
                }
            ));
        }
        (Some(None), _) | (_, Some(None)) => item.push_absent("strength_meets_policy"),
        // Nothing known to judge (no algorithm read, none declared): the rule cannot
        // say, so the field is left out and the state is unknown, not a pass.
        (None, None) if have_alg.is_none() => {}
        (a, s) => item.push(
            "strength_meets_policy",
            bool_str(a.flatten().unwrap_or(true) && s.flatten().unwrap_or(true)),
        ),
    }
    if let (Some(k), Some(c)) = (
        spki.as_ref(),
        cert_info.as_ref().and_then(|c| c.spki_sha256.as_ref()),
    ) && main_key(&infos).is_some()
    {
        item.push("certificate_matches_key", bool_str(k == c));
    }

    // Ownership, mode and ACL of the key file (the certificate is public).
    let perms_declared = key.owner.is_some() || key.group.is_some() || key.mode.is_some();
    item.push("permissions_declared", bool_str(perms_declared));
    if file.is_none() && key.path.is_some() {
        // A missing key has none of these facts: they are reported as not existing,
        // which a state compares as false.
        for f in [
            "permissions_match_policy",
            "acl_matches_policy",
            "strength_meets_policy",
        ] {
            if item.values(f).next().is_none() {
                item.push_absent(f);
            }
        }
        if declared && item.values("fingerprint_matches_policy").next().is_none() {
            item.push_absent("fingerprint_matches_policy");
        }
    }
    if let Some((f, _)) = &file {
        match file_facts(f, acc) {
            Err(e) => item.message = Some(e),
            Ok(facts) => {
                item.push("owner", facts.owner.as_str());
                item.push("group", facts.group.as_str());
                item.push("mode", fileattrs::mode_str(facts.mode));
                let owner_ok = key.owner.as_ref().is_none_or(|o| o == &facts.owner);
                let group_ok = key.group.as_ref().is_none_or(|g| g == &facts.group);
                let mode_ok = key.mode.is_none_or(|m| facts.mode & !m == 0);
                item.push("owner_matches_policy", bool_str(owner_ok));
                item.push("group_matches_policy", bool_str(group_ok));
                item.push("mode_within_policy", bool_str(mode_ok));
                item.push(
                    "permissions_match_policy",
                    bool_str(owner_ok && group_ok && mode_ok),
                );
                for e in &facts.named_acl {
                    item.push("acl_entry", e.as_str());
                }
                let bad = unexpected_acl(&facts.named_acl, &key.acl);
                for e in &bad {
                    item.push("unexpected_acl_entry", e.as_str());
                }
                if let Some(m) = facts.acl.mask() {
                    item.push("acl_mask", crate::probes::keymgmt::acl::perm_str(m));
                }
                item.push("acl_matches_policy", bool_str(bad.is_empty()));
            }
        }
    }

    // Age.
    let today = now.div_euclid(86400);
    if let Some(c) = key.created {
        item.push("created", time::format_date(c));
        item.push("age_days", (today - c).to_string());
    }
    if let Some(m) = key.max_age_days {
        item.push("max_age_days", m.to_string());
    }
    match (key.created, key.max_age_days) {
        (Some(c), Some(m)) => {
            item.push("age_declared", "true");
            item.push("age_within_policy", bool_str(today - c <= m as i64));
        }
        _ => item.push("age_declared", "false"),
    }
    item
}

/// The entities of `key_object` that select keys; any other entity names an item field
/// the rule examines ([`keeps`]).
const OWN_ENTITIES: &[&str] = &["name", "key_state"];

/// What the policy would have to declare for the object to have a key: `[[keys]]
/// entry with state = "destroyed"`, `active [[keys]] entry with owner, group or mode`.
fn describe(query: &ObjectQuery) -> String {
    let literal = |name: &str| literal(query, name);
    let mut what = match literal("key_state").as_deref() {
        Some("destroyed") => "[[keys]] entry with state = \"destroyed\"".to_string(),
        Some(s) => format!("{s} [[keys]] entry"),
        None => "[[keys]] entry".to_string(),
    };
    if let Some(n) = literal("name") {
        what = format!("{what} named '{n}'");
    }
    let others = || {
        query
            .entities
            .iter()
            .filter(|e| !OWN_ENTITIES.contains(&e.name.as_str()))
    };
    let fields: Vec<&str> = others()
        .filter(|e| e.name != "declared")
        .map(|e| match e.name.as_str() {
            "fingerprint_declared" => "sha256 or spki_sha256",
            "permissions_declared" => "owner, group or mode",
            "age_declared" => "created and max_age_days",
            "storage" => "a file path",
            other => other,
        })
        .collect();
    if !fields.is_empty() {
        what = format!("{what} with {}", fields.join(" and "));
    }
    if others().any(|e| e.name == "declared") {
        what.push_str(", declared by the site (a key found by discovery is present by definition)");
    }
    what
}

/// `key_object`.
pub struct KeyProbe;

impl Probe<Context> for KeyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["key_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let acc = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for key in &pol.keys {
            let wanted = selects(query, "name", &key.name)
                .and_then(|a| Ok(a && selects(query, "key_state", key.state.as_str())?));
            match wanted {
                Ok(true) => {
                    let item = key_item(ctx, &acc, key, now);
                    match keeps(query, &item, OWN_ENTITIES) {
                        Ok(true) => {
                            let _ = items.push(item);
                        }
                        Ok(false) => {}
                        Err(c) => return c,
                    }
                }
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        if items.is_empty() {
            return not_declared(ctx, &describe(query));
        }
        items.into_collected()
    }
}
