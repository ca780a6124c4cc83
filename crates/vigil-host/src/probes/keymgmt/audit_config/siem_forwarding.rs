//! `siem_forwarding_object` and `forwarder_object`: which log forwarders
//! ([`super::forwarders`]) the site uses, and what they do.
//!
//! Which forwarders apply: those `[siem] via` names when the policy names any;
//! otherwise (no policy, no `[siem]`, or `[siem]` without `via`: all three are read the
//! same way, through [`site_siem`]) every forwarder vigil can read on the host, and of
//! those the ones configured to send events somewhere. So a host that forwards with
//! rsyslog is not failed for having no audisp-remote:
//!
//! - `siem_forwarding_object`: one item per forwarder that applies (when none is
//!   configured: every one, unconfigured), with `forwards_to_policy_target`; without
//!   `[siem]` it is `not applicable` ([`not_declared`]): there is no SIEM to compare
//!   with.
//! - `forwarder_object` (entity `forwarder`): one item per forwarder the entity selects
//!   that applies, with `configured`, `enabled`, `enabled_known` and
//!   `forwards_off_host`. A selected forwarder that does not apply is `not applicable`
//!   with the reason: "[siem] via does not name audisp-remote", or, without `via`,
//!   "audisp-remote is not configured; events leave the host through rsyslog (...)".
//!   Without `via` and with no forwarder sending anything off the host, every selected
//!   forwarder is an item, unconfigured, so the check fails rather than not applying.

use super::forwarders::{self, Forwarder};
use crate::policy::Siem;
use crate::probes::keymgmt::{bool_str, not_declared, selects};
use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Probe};

/// The site's `[siem]`: `None` both without a policy and with a policy that has no
/// `[siem]`, so a scan without `--policy` and one with a policy (given or discovered)
/// that declares no SIEM behave the same.
pub(crate) fn site_siem(ctx: &Context) -> Option<&Siem> {
    ctx.policy.as_deref().and_then(|p| p.siem.as_ref())
}

/// Every forwarder that applies to this host and site, read; and the forwarders that
/// were read but do not apply, with the reason.
fn applicable(ctx: &Context, siem: Option<&Siem>) -> (Vec<Forwarder>, Vec<(&'static str, String)>) {
    let mut not = Vec::new();
    if let Some(s) = siem.filter(|s| s.via_declared()) {
        let mut found = Vec::new();
        for name in crate::policy::FORWARDERS {
            if s.via.iter().any(|v| v == name) {
                found.push(forwarders::inspect(ctx, name, Some(s)));
            } else {
                not.push((name, format!("[siem] via does not name {name}")));
            }
        }
        return (found, not);
    }
    let all: Vec<Forwarder> = forwarders::readable(siem)
        .into_iter()
        .map(|n| forwarders::inspect(ctx, n, siem))
        .collect();
    let leaving: Vec<String> = all
        .iter()
        .filter(|f| f.forwards_off_host())
        .map(|f| {
            let t: Vec<String> = f
                .targets
                .iter()
                .filter(|t| t.off_host())
                .map(|t| t.describe())
                .collect();
            format!("{} ({})", f.name, t.join(", "))
        })
        .collect();
    if leaving.is_empty() {
        // Nothing leaves the host: every forwarder is judged, and fails unconfigured.
        return (all, not);
    }
    let mut found = Vec::new();
    for f in all {
        if f.configured || !f.unreadable.is_empty() {
            found.push(f);
        } else {
            not.push((
                f.name,
                format!(
                    "{} is not configured; events leave the host through {}",
                    f.name,
                    leaving.join("; ")
                ),
            ));
        }
    }
    (found, not)
}

/// The item fields every forwarder item has.
fn item_of(f: &Forwarder) -> Item {
    let mut item = Item::new()
        .field("forwarder", f.name)
        .field("configured", bool_str(f.configured))
        .field("enabled", bool_str(f.enabled == Some(true)))
        .field("enabled_known", bool_str(f.enabled.is_some()));
    for (k, v) in &f.extra {
        item.push(k, v.clone());
    }
    for t in &f.targets {
        item.push("target", t.describe());
    }
    item.push("forwards_off_host", bool_str(f.forwards_off_host()));
    item
}

/// An error when a forwarder's configuration could not be read and what was read
/// does not already decide (`decided`): the answer is not known.
fn unreadable_error(f: &Forwarder, decided: bool) -> Option<Collected> {
    (!decided && !f.unreadable.is_empty()).then(|| {
        Collected::error(format!(
            "{}: configuration not read, so whether it forwards is not known: {}",
            f.name,
            f.unreadable.join("; ")
        ))
    })
}

/// The probe of `siem_forwarding_object` (vigil family): which forwarders send to the
/// policy's `[siem]` host and port.
pub struct SiemForwardingProbe;

impl Probe<Context> for SiemForwardingProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["siem_forwarding_object"]
    }

    fn collect(&self, _query: &ObjectQuery, ctx: &Context) -> Collected {
        let Some(siem) = site_siem(ctx) else {
            return not_declared(ctx, "[siem]");
        };
        let (found, _) = applicable(ctx, Some(siem));
        let any = found.iter().any(|f| f.forwards_to(siem));
        let mut items = ctx.sink(ctx.deadline());
        for f in &found {
            if let Some(e) = unreadable_error(f, any) {
                return e;
            }
            let mut item = item_of(f).field("siem_host", siem.host.as_str());
            if let Some(p) = siem.port {
                item.push("siem_port", p.to_string());
            }
            for t in f.targets.iter().filter(|t| t.matches(siem)) {
                item.push("policy_target", t.describe());
            }
            item.push("forwards_to_policy_target", bool_str(f.forwards_to(siem)));
            if items.push(item).is_err() {
                break;
            }
        }
        items.into_collected()
    }
}

/// The probe of `forwarder_object` (vigil family, entity `forwarder`): each forwarder
/// that applies, whether it is configured, enabled and sending off the host.
pub struct ForwarderProbe;

impl Probe<Context> for ForwarderProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["forwarder_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let siem = site_siem(ctx);
        let (found, not) = applicable(ctx, siem);
        let mut items = ctx.sink(ctx.deadline());
        let mut reasons = Vec::new();
        let mut any = false;
        for f in &found {
            match selects(query, "forwarder", f.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            if let Some(e) = unreadable_error(f, f.forwards_off_host()) {
                return e;
            }
            any = true;
            if items.push(item_of(f)).is_err() {
                break;
            }
        }
        for (name, why) in not {
            match selects(query, "forwarder", name) {
                Ok(true) => reasons.push(why),
                Ok(false) => {}
                Err(c) => return c,
            }
        }
        if !any {
            if reasons.is_empty() {
                reasons.push("the object selects no forwarder vigil knows".into());
            }
            return Collected::with_flag(Flag::NotApplicable, reasons.join("; "));
        }
        let mut c = items.into_collected();
        c.messages.extend(reasons);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use crate::probes::system::testutil;
    use std::os::unix::fs::symlink;
    use std::path::Path;
    use std::sync::Arc;
    use vigil_core::content::oval::{Family, Operation};

    /// An offline root with `files` and the systemd `*.wants/` links of `enabled`.
    fn host(files: &[(&str, &str)], enabled: &[&str]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let p = d.path().join(p.trim_start_matches('/'));
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        let wants = d.path().join("etc/systemd/system/multi-user.target.wants");
        std::fs::create_dir_all(&wants).unwrap();
        for u in enabled {
            symlink(format!("/lib/systemd/system/{u}"), wants.join(u)).unwrap();
        }
        d
    }

    fn ctx(root: &Path, siem: Option<&str>) -> Context {
        let mut c = testutil::offline(root);
        if let Some(s) = siem {
            c.policy = Some(Arc::new(
                Policy::parse(&format!("[siem]\n{s}\n"), Path::new("p.toml")).unwrap(),
            ));
        }
        c
    }

    fn forwarder(c: &Context, which: &str) -> Collected {
        let q = testutil::query(
            Family::Vigil,
            "forwarder_object",
            &[("forwarder", Operation::Equals, which)],
        );
        ForwarderProbe.collect(&q, c)
    }

    fn siem(c: &Context) -> Collected {
        let q = testutil::query(Family::Vigil, "siem_forwarding_object", &[]);
        SiemForwardingProbe.collect(&q, c)
    }

    fn field<'a>(c: &'a Collected, item: usize, name: &'a str) -> Option<&'a str> {
        c.items.get(item)?.first(name)
    }

    const RSYSLOG: (&str, &str) = (
        "/etc/rsyslog.d/60-siem.conf",
        "*.* @@siem.example.net:6514\n",
    );
    const AUDISP: [(&str, &str); 2] = [
        ("/etc/audit/plugins.d/au-remote.conf", "active = yes\n"),
        (
            "/etc/audit/audisp-remote.conf",
            "remote_server = siem.example.net\nport = 6514\n",
        ),
    ];

    #[test]
    fn rsyslog_only_site_passes_and_audisp_does_not_apply() {
        let d = host(&[RSYSLOG], &["rsyslog.service"]);
        let c = ctx(
            d.path(),
            Some("host = \"siem.example.net\"\nport = 6514\nvia = [\"rsyslog\"]"),
        );
        let r = forwarder(&c, "rsyslog");
        assert_eq!(field(&r, 0, "configured"), Some("true"));
        assert_eq!(field(&r, 0, "enabled"), Some("true"));
        assert_eq!(field(&r, 0, "forwards_off_host"), Some("true"));
        assert_eq!(
            field(&r, 0, "target"),
            Some("siem.example.net:6514/tcp (/etc/rsyslog.d/60-siem.conf:1)")
        );
        let a = forwarder(&c, "audisp-remote");
        assert_eq!(a.flag, Flag::NotApplicable);
        assert_eq!(a.messages, ["[siem] via does not name audisp-remote"]);
        let s = siem(&c);
        assert_eq!(s.items.len(), 1);
        assert_eq!(field(&s, 0, "forwards_to_policy_target"), Some("true"));
        // The wrong port is not the SIEM.
        let c = ctx(
            d.path(),
            Some("host = \"siem.example.net\"\nport = 514\nvia = [\"rsyslog\"]"),
        );
        assert_eq!(
            field(&siem(&c), 0, "forwards_to_policy_target"),
            Some("false")
        );
    }

    #[test]
    fn audisp_only_site_passes() {
        let d = host(&AUDISP, &["auditd.service"]);
        let c = ctx(
            d.path(),
            Some("host = \"siem.example.net\"\nvia = [\"audisp-remote\"]"),
        );
        let a = forwarder(&c, "audisp-remote");
        assert_eq!(field(&a, 0, "configured"), Some("true"));
        assert_eq!(field(&a, 0, "enabled"), Some("true"));
        assert_eq!(field(&a, 0, "forwards_off_host"), Some("true"));
        assert_eq!(forwarder(&c, "rsyslog").flag, Flag::NotApplicable);
        assert_eq!(
            field(&siem(&c), 0, "forwards_to_policy_target"),
            Some("true")
        );
        // auditd not enabled: the plugin runs nowhere.
        let d = host(&AUDISP, &[]);
        let c = ctx(
            d.path(),
            Some("host = \"siem.example.net\"\nvia = [\"audisp-remote\"]"),
        );
        assert_eq!(
            field(&forwarder(&c, "audisp-remote"), 0, "enabled"),
            Some("false")
        );
    }

    #[test]
    fn vector_site_passes() {
        let d = host(
            &[(
                "/etc/vector/vector.toml",
                "[sinks.siem]\ntype = \"socket\"\nmode = \"tcp\"\naddress = \"siem.example.net:6514\"\n",
            )],
            &["vector.service"],
        );
        let c = ctx(
            d.path(),
            Some("host = \"siem.example.net\"\nport = 6514\nvia = [\"vector\"]"),
        );
        let s = siem(&c);
        assert_eq!(field(&s, 0, "forwarder"), Some("vector"));
        assert_eq!(field(&s, 0, "forwards_to_policy_target"), Some("true"));
        let q = testutil::query(
            Family::Vigil,
            "forwarder_object",
            &[(
                "forwarder",
                Operation::PatternMatch,
                "^(syslog-ng|systemd-journal-upload|fluent-bit|vector|vault-socket|vault-syslog)$",
            )],
        );
        let v = ForwarderProbe.collect(&q, &c);
        assert_eq!(v.items.len(), 1);
        assert_eq!(field(&v, 0, "forwards_off_host"), Some("true"));
        assert_eq!(field(&v, 0, "enabled"), Some("true"));
        assert_eq!(forwarder(&c, "rsyslog").flag, Flag::NotApplicable);
    }

    #[test]
    fn journal_upload_and_syslog_ng_sites() {
        let files = [
            (
                "/etc/systemd/journal-upload.conf.d/siem.conf",
                "[Upload]\nURL=https://siem.example.net:19532\n",
            ),
            (
                "/etc/syslog-ng/conf.d/siem.conf",
                "destination d_siem { syslog(\"siem.example.net\" transport(\"tls\")); };\nlog { source(s_src); destination(d_siem); };\n",
            ),
        ];
        let via = "host = \"siem.example.net\"\nvia = [\"systemd-journal-upload\", \"syslog-ng\"]";
        let d = host(
            &files,
            &["systemd-journal-upload.service", "syslog-ng.service"],
        );
        let c = ctx(d.path(), Some(via));
        let q = testutil::query(Family::Vigil, "forwarder_object", &[]);
        let all = ForwarderProbe.collect(&q, &c);
        assert_eq!(all.items.len(), 2, "{:?}", all.messages);
        assert_eq!(field(&all, 0, "forwarder"), Some("syslog-ng"));
        assert_eq!(
            field(&all, 0, "target"),
            Some("siem.example.net:6514/tls (/etc/syslog-ng/conf.d/siem.conf:1)")
        );
        assert_eq!(field(&all, 1, "enabled"), Some("true"));
        assert_eq!(field(&all, 1, "forwards_off_host"), Some("true"));
        // The upload service installed but not enabled sends nothing.
        let d = host(&files, &["syslog-ng.service"]);
        let c = ctx(d.path(), Some(via));
        let j = forwarder(&c, "systemd-journal-upload");
        assert_eq!(field(&j, 0, "enabled"), Some("false"));
        assert_eq!(field(&j, 0, "enabled_known"), Some("true"));
    }

    #[test]
    fn without_siem_the_forwarder_that_is_used_decides() {
        let d = host(&[RSYSLOG], &["rsyslog.service"]);
        // No policy and a policy without [siem] give the same answers.
        let mut with_policy = ctx(d.path(), None);
        with_policy.policy = Some(Arc::new(
            Policy::parse("[site]\nname = \"x\"\n", Path::new("p.toml")).unwrap(),
        ));
        for c in [ctx(d.path(), None), with_policy] {
            let s = siem(&c);
            assert_eq!(s.flag, Flag::NotApplicable);
            let want = if c.policy.is_some() {
                "nothing to check: the policy declares no [siem]"
            } else {
                "nothing to check: no site policy given (--policy), so no [siem] is declared"
            };
            assert_eq!(s.messages, [want]);
            assert_eq!(
                field(&forwarder(&c, "rsyslog"), 0, "forwards_off_host"),
                Some("true")
            );
            let a = forwarder(&c, "audisp-remote");
            assert_eq!(a.flag, Flag::NotApplicable);
            assert_eq!(
                a.messages,
                [
                    "audisp-remote is not configured; events leave the host through rsyslog (siem.example.net:6514/tcp (/etc/rsyslog.d/60-siem.conf:1))"
                ]
            );
        }
        // Nothing forwards: every forwarder is judged and fails.
        let d = host(&[("/etc/rsyslog.conf", "*.* /var/log/syslog\n")], &[]);
        let c = ctx(d.path(), None);
        let a = forwarder(&c, "audisp-remote");
        assert_eq!(field(&a, 0, "configured"), Some("false"));
        // Local-only forwarding is not off the host.
        let d = host(&[("/etc/rsyslog.d/x.conf", "*.* @127.0.0.1:514\n")], &[]);
        let c = ctx(d.path(), None);
        let r = forwarder(&c, "rsyslog");
        assert_eq!(field(&r, 0, "configured"), Some("true"));
        assert_eq!(field(&r, 0, "forwards_off_host"), Some("false"));
    }

    #[test]
    fn a_siem_without_via_takes_the_forwarders_in_use() {
        let d = host(&AUDISP, &["auditd.service"]);
        let c = ctx(d.path(), Some("host = \"siem.example.net\""));
        let s = siem(&c);
        assert_eq!(s.items.len(), 1);
        assert_eq!(field(&s, 0, "forwarder"), Some("audisp-remote"));
        assert_eq!(field(&s, 0, "forwards_to_policy_target"), Some("true"));
        assert_eq!(forwarder(&c, "rsyslog").flag, Flag::NotApplicable);
    }

    #[test]
    fn vault_devices_from_the_saved_audit_list() {
        let d = host(
            &[
                (
                    "/var/lib/vigil/vault-audit.json",
                    r#"{"file/":{"type":"file","options":{"file_path":"/var/log/vault/audit.log"}},"syslog/":{"type":"syslog","options":{}},"siem/":{"type":"socket","options":{"address":"siem.example.net:9090","socket_type":"tcp"}}}"#,
                ),
                RSYSLOG,
            ],
            &[],
        );
        let c = ctx(
            d.path(),
            Some(
                "host = \"siem.example.net\"\nvia = [\"vault-socket\", \"vault-syslog\"]\nvault_audit_list = \"/var/lib/vigil/vault-audit.json\"",
            ),
        );
        let s = siem(&c);
        assert_eq!(s.items.len(), 2, "{:?}", s.messages);
        assert_eq!(
            field(&s, 0, "policy_target"),
            Some(
                "siem.example.net:9090/tcp (/var/lib/vigil/vault-audit.json (audit device siem/))"
            )
        );
        assert_eq!(
            field(&s, 1, "target"),
            Some(
                "siem.example.net:6514/tcp (/var/lib/vigil/vault-audit.json (audit device syslog/) -> /etc/rsyslog.d/60-siem.conf:1)"
            )
        );
        // A missing audit list is an error, never a pass or a fail.
        let c = ctx(
            d.path(),
            Some(
                "host = \"siem.example.net\"\nvia = [\"vault-socket\"]\nvault_audit_list = \"/nope.json\"",
            ),
        );
        assert_eq!(siem(&c).flag, Flag::Error);
    }

    #[test]
    fn vault_in_via_needs_the_audit_list() {
        let e = Policy::parse(
            "[siem]\nhost = \"s\"\nvia = [\"vault-socket\"]\n",
            Path::new("p.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("p.toml:3:8: siem.via: 'vault-socket' needs [siem] vault_audit_list"),
            "{e}"
        );
        let e = Policy::parse(
            "[siem]\nhost = \"s\"\nvia = [\"nxlog\"]\n",
            Path::new("p.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(
            e.contains("'nxlog' is not a known forwarder (rsyslog, audisp-remote, syslog-ng"),
            "{e}"
        );
    }
}
