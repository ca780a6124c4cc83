//! `log_secret_object`: private-key blocks and PINs written to the audit logs and the
//! policy's other `log_paths` (CCM LOG-11: logs must not disclose key material). The
//! evidence names the line; the key is not copied and the PIN is masked.

use std::path::Path;

use super::clip;
use crate::host::fileattrs;
use crate::probes::keymgmt::{not_declared, policy};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// Binary or compressed logs, which a line search cannot read: the systemd journal,
/// login accounting (wtmp, btmp, lastlog, faillog) and compressed rotations. They are
/// counted in the object's messages, not searched.
fn not_text_log(p: &Path) -> bool {
    let s = p.to_string_lossy();
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    s.contains("/journal/")
        || matches!(name.as_ref(), "wtmp" | "btmp" | "lastlog" | "faillog")
        || [".gz", ".xz", ".zst", ".bz2", ".journal", ".journal~"]
            .iter()
            .any(|e| name.ends_with(e))
}

/// The probe of `log_secret_object` (vigil family): private-key blocks and PINs found in
/// the audit logs and `[scan] log_paths`.
pub struct LogSecretProbe;

impl Probe<Context> for LogSecretProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["log_secret_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let key_re = pcre2::bytes::RegexBuilder::new()
            .build(r"-----BEGIN ((RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY)-----")
            .expect("static pattern");
        let pin_re = pcre2::bytes::RegexBuilder::new()
            .caseless(true)
            .build(
                r#"(pin-value=|\b(?:user_?pin|so_?pin|pin)["']?\s*[=:]\s*["']?)([^\s"'&;,}]{4,})"#,
            )
            .expect("static pattern");
        let mut paths: Vec<String> = pol.audit_logs.iter().map(|l| l.path.clone()).collect();
        paths.extend(pol.log_paths.iter().cloned());
        let mut items = ctx.sink(ctx.deadline());
        let mut messages = Vec::new();
        let mut seen = std::collections::BTreeSet::new();
        for p in &paths {
            let files = match fileattrs::walk_files(&ctx.host, Path::new(p), 8) {
                Ok(f) => f,
                Err(e) => {
                    messages.push(format!("{p}: {e}"));
                    continue;
                }
            };
            let mut skipped = 0;
            for f in files {
                if not_text_log(&f.host_path) {
                    skipped += 1;
                    continue;
                }
                if !seen.insert(f.real.clone()) {
                    continue;
                }
                let data = match f.read(ctx.max_file_size) {
                    Ok(d) => d,
                    Err(e) => {
                        messages.push(e.to_string());
                        continue;
                    }
                };
                for (n, line) in data.split(|&b| b == b'\n').enumerate() {
                    let path = f.host_path.to_string_lossy();
                    if let Ok(Some(c)) = key_re.captures(line) {
                        let _ = items.push(
                            Item::new()
                                .field("path", path.as_ref())
                                .field("line", (n + 1).to_string())
                                .field("kind", "private_key_block")
                                .field(
                                    "evidence",
                                    format!(
                                        "{}:{}: -----BEGIN {}----- (key material not copied)",
                                        path,
                                        n + 1,
                                        String::from_utf8_lossy(&c[1])
                                    ),
                                ),
                        );
                    } else if let Ok(Some(c)) = pin_re.captures(line) {
                        let m = c.get(2).expect("group 2");
                        let mut red = String::from_utf8_lossy(&line[..m.start()]).to_string();
                        red.push_str("****");
                        red.push_str(&String::from_utf8_lossy(&line[m.end()..]));
                        let _ = items.push(
                            Item::new()
                                .field("path", path.as_ref())
                                .field("line", (n + 1).to_string())
                                .field("kind", "pin")
                                .field("evidence", format!("{}:{}: {}", path, n + 1, clip(&red))),
                        );
                    }
                }
            }
            if skipped > 0 {
                messages.push(format!(
                    "{p}: {skipped} binary or compressed files (journal, wtmp, .gz, ...) not searched"
                ));
            }
        }
        if seen.is_empty() {
            return not_declared(
                ctx,
                "log file to search ([[audit_logs]] or [scan] log_paths that exist)",
            );
        }
        crate::probes::keymgmt::collected(items, messages)
    }
}
