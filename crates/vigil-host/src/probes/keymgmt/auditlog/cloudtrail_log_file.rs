//! `cloudtrail_log_file_object` (entity `source`): one item per log file a CloudTrail
//! digest lists — present in the copy of the bucket or not, and whether the SHA-256 of
//! its uncompressed content is the one the digest records (CCM LOG-09, LOG-11; NIST SP
//! 800-130 FR:8.12). Log files are found at their S3 key under the bucket root the
//! digest itself lies in ([`super::digest`]).

use std::path::Path;

use super::cloudtrail_digest::{describe, digest_sources};
use super::digest::{Signature, inflate, trail};
use crate::probes::keymgmt::{bool_str, collected, keeps, not_declared, sha256_hex};
use crate::probes::{Collected, Context, Item, ItemStatus, ObjectQuery, Probe};

/// The probe of `cloudtrail_log_file_object` (vigil family).
pub struct CloudtrailLogFileProbe;

const OWN_ENTITIES: &[&str] = &["source"];

impl Probe<Context> for CloudtrailLogFileProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["cloudtrail_log_file_object"]
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
        'sources: for src in sources {
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
                let dir = src.digest_directory.as_deref().unwrap_or_default();
                let mut it = Item::with_status(
                    ItemStatus::Error,
                    format!(
                        "{dir}: no CloudTrail digest file (*CloudTrail-Digest*.json.gz) under the digest_directory of '{}', so no log file can be checked",
                        src.name
                    ),
                );
                it.push("source", src.name.as_str());
                let _ = items.push(it);
                continue;
            }
            for r in &t.digests {
                let Ok(d) = &r.file.doc else {
                    continue;
                };
                let signature = match &r.signature {
                    Signature::Verified { .. } => "verified",
                    Signature::Failed(_) => "failed",
                    Signature::Unknown(_) => "unknown",
                };
                let root = r.file.bucket_root();
                for l in &d.log_files {
                    let base = |it: Item| {
                        it.field("source", src.name.as_str())
                            .field("digest", r.file.path.as_str())
                            .field("digest_signature", signature)
                            .field("s3_object", l.object.as_str())
                    };
                    let Some(root) = &root else {
                        let mut it = Item::with_status(
                            ItemStatus::Error,
                            format!(
                                "{}: the digest does not lie at its own key {} under a copy of the bucket, so its log files cannot be found",
                                r.file.path, d.object
                            ),
                        );
                        it = base(it);
                        if items.push(it).is_err() {
                            break 'sources;
                        }
                        continue;
                    };
                    // A key is hostile text: `..` would read a file outside the copy.
                    if l.object.split('/').any(|c| c == ".." || c == ".") {
                        let it = base(Item::with_status(
                            ItemStatus::Error,
                            format!(
                                "{}: log file key {} has a '.' or '..' component: not read",
                                r.file.path, l.object
                            ),
                        ));
                        if items.push(it).is_err() {
                            break 'sources;
                        }
                        continue;
                    }
                    let path = root.join(l.object.trim_start_matches('/'));
                    let shown = path.to_string_lossy().into_owned();
                    let mut item = base(Item::new()).field("log_file", shown.as_str());
                    item.push("expected_sha256", l.hash.as_str());
                    let content = ctx
                        .host
                        .read_file(Path::new(&path), ctx.max_file_size)
                        .map_err(|e| e.to_string())
                        .and_then(|d| {
                            d.map(|d| {
                                inflate(d, ctx.max_file_size).map_err(|e| format!("{shown}: {e}"))
                            })
                            .transpose()
                        });
                    match content {
                        Ok(Some(data)) => {
                            let sum = sha256_hex(&data);
                            item.push("present", "true");
                            item.push("hash_matches", bool_str(sum == l.hash));
                            item.push("sha256", sum.as_str());
                            if sum != l.hash {
                                item.push(
                                    "evidence",
                                    format!(
                                        "{shown}: SHA-256 {sum}, but {} records {}: the log file was changed after delivery",
                                        r.file.path, l.hash
                                    ),
                                );
                            }
                        }
                        Ok(None) => {
                            item.push("present", "false");
                            item.push("hash_matches", "false");
                            item.push(
                                "evidence",
                                format!(
                                    "{shown}: listed in {} but not in the copy of the bucket: the log file was deleted",
                                    r.file.path
                                ),
                            );
                        }
                        Err(e) => {
                            item.status = ItemStatus::Error;
                            item.message = Some(e);
                        }
                    }
                    match keeps(query, &item, OWN_ENTITIES) {
                        Ok(true) => {
                            if items.push(item).is_err() {
                                break 'sources;
                            }
                        }
                        Ok(false) => {}
                        Err(c) => return c,
                    }
                }
            }
        }
        if items.is_empty() {
            return Collected::with_flag(
                crate::probes::Flag::NotApplicable,
                "nothing to check: the digests list no log file (no CloudTrail activity in the hours they cover)",
            );
        }
        collected(items, messages)
    }
}
