//! `cloudtrail_digest_object` (entity `source`): one item per CloudTrail digest file
//! under a source's `digest_directory` — its link to the previous digest (hash and
//! signature recorded), the time gap since the previous digest, and its SHA256withRSA
//! signature checked against the site's `digest_public_keys` (CCM LOG-09, LOG-11; NIST
//! SP 800-130 FR:8.12). The format and the checks are in [`super::digest`].

use super::digest::{Link, Signature, trail};
use crate::policy::{AuditLog, LogFormat};
use crate::probes::keymgmt::{bool_str, collected, keeps, literal, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ItemStatus, ObjectQuery, Probe};

/// The probe of `cloudtrail_digest_object` (vigil family).
pub struct CloudtrailDigestProbe;

/// The entities of the object that select sources; others name item fields.
const OWN_ENTITIES: &[&str] = &["source"];

/// The CloudTrail sources with a `digest_directory` that the object's `source` selects.
pub(crate) fn digest_sources<'a>(
    query: &ObjectQuery,
    ctx: &'a Context,
) -> Result<Vec<&'a AuditLog>, Collected> {
    let mut out = Vec::new();
    for src in &policy(ctx).audit_logs {
        if src.format != LogFormat::Cloudtrail || src.digest_directory.is_none() {
            continue;
        }
        if selects(query, "source", &src.name)? {
            out.push(src);
        }
    }
    Ok(out)
}

/// What the policy would have to declare for the object to have a digest to examine.
pub(crate) fn describe(query: &ObjectQuery) -> String {
    let mut what =
        "[[audit_logs]] source with format = \"cloudtrail\" and digest_directory".to_string();
    if let Some(n) = literal(query, "source") {
        what = format!("{what} named '{n}'");
    }
    what
}

impl Probe<Context> for CloudtrailDigestProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["cloudtrail_digest_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let sources = match digest_sources(query, ctx) {
            Ok(s) => s,
            Err(c) => return c,
        };
        if sources.is_empty() {
            return not_declared(ctx, &describe(query));
        }
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        for src in sources {
            let dir = src.digest_directory.as_deref().unwrap_or_default();
            let t = match trail(&ctx.host, src, ctx.max_file_size) {
                Ok(t) => t,
                Err(e) => {
                    let mut it = Item::with_status(ItemStatus::Error, e);
                    it.push("source", src.name.as_str());
                    let _ = items.push(it);
                    continue;
                }
            };
            messages.extend(t.problems.iter().map(|p| format!("{}: {p}", src.name)));
            if t.digests.is_empty() {
                let mut it = Item::with_status(
                    ItemStatus::Error,
                    format!(
                        "{dir}: no CloudTrail digest file (*CloudTrail-Digest*.json.gz) under the digest_directory of '{}': is log file validation enabled?",
                        src.name
                    ),
                );
                it.push("source", src.name.as_str());
                let _ = items.push(it);
                continue;
            }
            for r in &t.digests {
                let mut item = Item::new()
                    .field("source", src.name.as_str())
                    .field("digest", r.file.path.as_str());
                if let Ok(d) = &r.file.doc {
                    item.push("digest_s3_object", d.object.as_str());
                    item.push("digest_start_time", d.start_text.as_str());
                    item.push("digest_end_time", d.end_text.as_str());
                    if let Some((_, o)) = &d.previous {
                        item.push("previous_digest", o.as_str());
                    }
                    item.push("log_files", d.log_files.len().to_string());
                    if let Some(f) = &d.fingerprint {
                        item.push("key_fingerprint", f.as_str());
                    }
                }
                item.push("at_s3_key", bool_str(!r.misplaced));
                item.push("chain_link", r.link.as_str());
                item.push("chain_intact", bool_str(r.link.intact()));
                match &r.link {
                    Link::Missing(e) | Link::Broken(e) | Link::Restarted(e) => {
                        item.push("chain_evidence", format!("{}: {e}", r.file.path));
                    }
                    _ => {}
                }
                match &r.gap {
                    Some((secs, after)) => {
                        item.push("gap_seconds", secs.to_string());
                        item.push(
                            "gap_evidence",
                            format!(
                                "{} starts {secs} s after {after} ends: no digest covers that time",
                                r.file.path
                            ),
                        );
                    }
                    None => item.push("gap_seconds", "0"),
                }
                if let Some(s) = r.signature_source {
                    item.push("signature_source", s);
                }
                match &r.signature {
                    Signature::Verified { key, fingerprint } => {
                        item.push("signature", "verified");
                        item.push("signature_verified", "true");
                        item.push("public_key", key.as_str());
                        item.push("public_key_fingerprint", fingerprint.as_str());
                    }
                    Signature::Failed(e) => {
                        item.push("signature", "failed");
                        item.push("signature_verified", "false");
                        item.push("signature_evidence", e.as_str());
                    }
                    Signature::Unknown(e) => {
                        // Not verifiable: the verdict is left out, so the rule is unknown.
                        item.push("signature", "unknown");
                        item.push("signature_evidence", e.as_str());
                        item.message = Some(e.clone());
                    }
                }
                match keeps(query, &item, OWN_ENTITIES) {
                    Ok(true) => {
                        if items.push(item).is_err() {
                            break;
                        }
                    }
                    Ok(false) => {}
                    Err(c) => return c,
                }
            }
        }
        if items.is_empty() {
            return not_declared(ctx, &describe(query));
        }
        collected(items, messages)
    }
}
