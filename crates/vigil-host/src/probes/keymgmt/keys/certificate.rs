//! `certificate_object` (entity `name`): one item per certificate of an active key of
//! the policy — subject, validity, days to expiry, whether it certifies the declared
//! key (CCM CEK-14).

use super::material::{self, Kind};
use super::read_key;
use crate::policy::{KeyState, time};
use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `certificate_object`.
pub struct CertificateProbe;

impl Probe<Context> for CertificateProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["certificate_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        let now = time::now();
        let mut items = ctx.sink(ctx.deadline());
        for key in pol.keys.iter().filter(|k| k.state == KeyState::Active) {
            match selects(query, "name", &key.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            // The certificate file, or the key path itself when it holds a certificate.
            let (path, file) = match (&key.certificate, &key.path) {
                (Some(c), _) => (c, read_key(ctx, c)),
                (None, Some(p)) => match read_key(ctx, p) {
                    Ok(Some((f, d)))
                        if material::analyse(&d)
                            .iter()
                            .any(|i| i.kind == Some(Kind::Certificate)) =>
                    {
                        (p, Ok(Some((f, d))))
                    }
                    Ok(_) => continue,
                    Err(e) => (p, Err(e)),
                },
                (None, None) => continue,
            };
            let mut item = Item::new()
                .field("name", key.name.as_str())
                .field("path", path.as_str());
            let data = match file {
                Err(e) => {
                    let _ = items.push(Item::with_status(crate::probes::ItemStatus::Error, e));
                    continue;
                }
                Ok(None) => {
                    item.push("present", "false");
                    let _ = items.push(item);
                    continue;
                }
                Ok(Some((_, d))) => d,
            };
            item.push("present", "true");
            let Some(info) = material::analyse(&data)
                .into_iter()
                .find(|i| i.kind == Some(Kind::Certificate))
            else {
                item.push("valid_certificate", "false");
                let _ = items.push(item);
                continue;
            };
            item.push("valid_certificate", "true");
            let c = info.cert.as_ref().expect("certificate info");
            item.push("subject", c.subject.as_str());
            item.push("issuer", c.issuer.as_str());
            item.push("not_before", time::format_rfc3339(c.not_before));
            item.push("not_after", time::format_rfc3339(c.not_after));
            item.push(
                "days_to_expiry",
                (c.not_after - now).div_euclid(86400).to_string(),
            );
            item.push("expired", bool_str(c.not_after < now));
            let (alg, strong) = material::signature_algorithm(&c.signature_oid);
            item.push("signature_algorithm", alg);
            item.push("signature_oid", c.signature_oid.as_str());
            // An algorithm vigil does not name is not judged: the field is left out.
            if alg != "unknown" {
                item.push("signature_strong", bool_str(strong));
            }
            if let Some(s) = &info.spki_sha256 {
                item.push("spki_sha256", s.as_str());
            }
            let _ = items.push(item);
        }
        if items.is_empty() {
            return not_declared(ctx, "active [[keys]] entry with a certificate");
        }
        items.into_collected()
    }
}
