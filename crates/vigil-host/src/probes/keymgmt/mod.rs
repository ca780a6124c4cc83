//! vigil's own OVAL test families, in the namespace
//! `https://vigil.dev/XMLSchema/oval-definitions-5#vigil`
//! ([`vigil_core::content::oval::ns::VIGIL`]). Standard OVAL 5.11 has no test for POSIX
//! ACL entries, key material, role membership, KMS audit logs or lifecycle events;
//! these probes collect those facts so that the bundled CCM LOG-11 content can decide
//! with ordinary OVAL states.
//!
//! Every probe except `posix_acl_object` and `forwarder_object` compares the host with
//! the site policy ([`crate::policy`]); without one the object is `not applicable` with
//! the message [`NO_POLICY`] (or [`not_declared`] for the part of the policy it needs). Where an item field is a comparison against the policy its name says
//! so (`fingerprint_matches_policy`), and a matching `*_declared` field tells whether
//! the policy asked for anything, so content can write
//! `declared = false OR matches = true`. The families are documented in the README
//! ("Key-management audit").
//!
//! One module per topic, and in it one file per object kind: [`acl`]
//! (`posix_acl_object`), [`access`] (`key_access_object`), [`keys`] (and the key
//! material decoder), [`roles`], [`auditlog`] (and its three log formats and
//! retention), [`audit_config`] (forwarding, audit rules), [`software`] (versions,
//! integrity baseline), [`vault`] (a Vault server against HashiCorp's production
//! hardening guide). What reads the host beyond [`crate::host::Host`] is there too
//! ([`crate::host::accounts`], [`crate::host::fileattrs`]); this module holds the
//! registration and the helpers every probe uses (the policy, object entities).

pub mod access;
pub mod acl;
pub mod audit_config;
pub mod auditlog;
pub mod discover;
pub mod keys;
pub mod roles;
pub mod software;
pub mod vault;

use std::sync::Arc;

use crate::policy::Policy;
use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe, Registry};
use vigil_core::content::oval::Family;

/// Registers every vigil probe under [`Family::Vigil`].
pub fn register(r: &mut Registry) {
    let probes: Vec<Arc<dyn Probe<Context>>> = vec![
        Arc::new(acl::PosixAclProbe),
        Arc::new(keys::KeyProbe),
        Arc::new(keys::CertificateProbe),
        Arc::new(keys::UndeclaredKeyProbe),
        Arc::new(keys::PrivateKeyFileProbe),
        Arc::new(roles::RoleProbe),
        Arc::new(roles::RoleConflictProbe),
        Arc::new(roles::SudoersProbe),
        Arc::new(roles::AwsKeyPolicyProbe),
        Arc::new(access::KeyAccessProbe),
        Arc::new(auditlog::AuditLogProbe),
        Arc::new(auditlog::AuditEventProbe),
        Arc::new(auditlog::RoleActivityProbe),
        Arc::new(auditlog::KeyLifecycleProbe),
        Arc::new(auditlog::LogSecretProbe),
        Arc::new(auditlog::CloudtrailDigestProbe),
        Arc::new(auditlog::CloudtrailLogFileProbe),
        Arc::new(auditlog::VaultAuditDevicesProbe),
        Arc::new(audit_config::SiemForwardingProbe),
        Arc::new(audit_config::ForwarderProbe),
        Arc::new(audit_config::AuditWatchProbe),
        Arc::new(software::SoftwareVersionProbe),
        Arc::new(software::IntegrityProbe),
        Arc::new(software::PackageFilesProbe),
        Arc::new(vault::VaultHardeningProbe),
    ];
    for p in probes {
        r.register(Family::Vigil, p);
    }
}

/// The site policy, or without `--policy` the one discovery makes from the host (once
/// per scan).
pub(crate) fn policy(ctx: &Context) -> &Policy {
    match ctx.policy.as_deref() {
        Some(p) => p,
        None => ctx
            .discovered
            .get_or_init(|| Arc::new(discover::discover(&ctx.host, ctx.max_file_size))),
    }
}

/// The scanned host's accounts, or the error every probe that needs them gives.
pub(crate) fn read_accounts(ctx: &Context) -> Result<crate::host::accounts::Accounts, Collected> {
    crate::host::accounts::Accounts::read(&ctx.host)
        .map_err(|e| Collected::error(format!("cannot read accounts: {e}")))
}

/// The `not applicable` answer of an object with nothing to examine because the policy
/// declares nothing under `field` (a policy field path: `[[roles]]`, `[siem] via`,
/// `[[keys]] state = "destroyed"`). The message names the field that would enable the
/// check, so a rule that checked nothing never passes silently.
pub(crate) fn not_declared(ctx: &Context, field: &str) -> Collected {
    let msg = if ctx.policy.is_none() {
        format!("nothing to check: no site policy given (--policy), so no {field} is declared")
    } else {
        format!("nothing to check: the policy declares no {field}")
    };
    Collected::with_flag(Flag::NotApplicable, msg)
}

/// Whether `item` is kept by the object's entities that name item fields rather than
/// the object's own keys (`own`): content narrows an object to what a rule examines
/// (`permissions_declared = true`: only keys whose permissions the policy declares), so
/// that an object left with nothing is `not applicable` instead of a pass over zero
/// items. An item lacking such a field is not kept; an item that is not `exists` (an
/// error reading it) always is, so errors are never filtered away.
pub(crate) fn keeps(query: &ObjectQuery, item: &Item, own: &[&str]) -> Result<bool, Collected> {
    if item.status != crate::probes::ItemStatus::Exists {
        return Ok(true);
    }
    for e in query
        .entities
        .iter()
        .filter(|e| !own.contains(&e.name.as_str()))
    {
        let mut any = false;
        for v in item.values(&e.name).flatten() {
            if selects(query, &e.name, v)? {
                any = true;
                break;
            }
        }
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The first value of the object's entity `name` when it is a literal the object
/// selects by equality (not a pattern, not from a variable): what a "nothing to check"
/// message can name.
pub(crate) fn literal(query: &ObjectQuery, name: &str) -> Option<String> {
    query
        .entity(name)
        .and_then(|e| e.exact_values())
        .and_then(|v| v.first().cloned())
}

/// Does the object's entity `name` (if the object has one) select `value`
/// ([`ObjectQuery::selects`], `xsi:nil` included)? An object entity vigil cannot compare
/// makes the object an error.
pub(crate) fn selects(query: &ObjectQuery, name: &str, value: &str) -> Result<bool, Collected> {
    query
        .selects(name, value)
        .map_err(|err| Collected::error(format!("{}: entity {name}: {err}", query.object_id)))
}

/// An integer given through an object entity (e.g. a window from an XCCDF Value),
/// falling back to `default` when the object does not name it.
pub(crate) fn int_entity(query: &ObjectQuery, name: &str, default: i64) -> Result<i64, Collected> {
    match query.entity(name) {
        None => Ok(default),
        Some(e) => match e.values.as_slice() {
            [v] => v.trim().parse().map_err(|_| {
                Collected::error(format!(
                    "{}: entity {name}: '{v}' is not an integer",
                    query.object_id
                ))
            }),
            [] => Err(Collected::error(format!(
                "{}: entity {name} has no value",
                query.object_id
            ))),
            _ => Err(Collected::error(format!(
                "{}: entity {name} must have exactly one value",
                query.object_id
            ))),
        },
    }
}

pub(crate) fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
}

pub(crate) use vigil_core::osutil::hex;

/// `*` (any run of characters, `/` included) and `?` (one character) matched against
/// the whole of `s`, case-sensitively: the wildcards of logrotate paths, Vault audit
/// actions and (lower-cased by the caller) IAM actions. One backtrack point (the last
/// `*`), so at most `pattern.len() x s.len()` steps, never exponential.
pub(crate) fn wildcard_match(pattern: &str, s: &str) -> bool {
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), s.chars().collect());
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex(&sha2::Sha256::digest(bytes))
}

/// Items from per-object collection, with the messages joined.
pub(crate) fn collected(items: crate::probes::ItemSink, messages: Vec<String>) -> Collected {
    let mut c = items.into_collected();
    c.messages.extend(messages);
    c
}

/// [`collected`] for an object whose items are what a rule judges (tested with
/// `any_exist`): when no file to judge could be examined (`examined` is false: every
/// one is missing, and `messages` says which), the object is `not applicable` with that
/// reason, since a test over no items would pass over nothing. Objects whose items are
/// findings (tested with `none_exist`) use [`collected`]: there, no finding is a pass.
pub(crate) fn judged(
    items: crate::probes::ItemSink,
    messages: Vec<String>,
    examined: bool,
) -> Collected {
    if !examined && items.is_empty() && !messages.is_empty() {
        return Collected::with_flag(
            Flag::NotApplicable,
            format!("nothing to check: {}", messages.join("; ")),
        );
    }
    collected(items, messages)
}
