//! Issue 17 item 1, key lifecycle per key: the `key_lifecycle_object` rules of the
//! bundled benchmark on small roots whose Vault audit devices and CloudTrail log record
//! keys being generated, rotated, used, disabled and scheduled for deletion. Each case
//! runs the real `vigil` binary and checks the rule results and the evidence: the
//! offending record, the missing event, the reason a result is unknown or does not
//! apply; and the HTML report's "Key lifecycle" section.

use std::path::Path;

use serde_json::Value;

const DAY: i64 = 86400;

const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/content/ccm-log11/vigil-ccm-log11-ds.xml"
);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn at(days_ago: i64) -> String {
    vigil_host::policy::time::format_rfc3339(now() - days_ago * DAY)
}

/// A Vault file audit device's request and response records of one request.
fn vault(days_ago: i64, id: &str, user: &str, op: &str, path: &str) -> String {
    let auth = format!(
        "\"auth\":{{\"client_token\":\"hmac-sha256:aa\",\"display_name\":\"userpass-{user}\",\"policies\":[\"default\"],\"metadata\":{{\"username\":\"{user}\"}}}}"
    );
    let t = at(days_ago);
    format!(
        "{{\"time\":\"{t}\",\"type\":\"request\",{auth},\"request\":{{\"id\":\"{id}\",\"operation\":\"{op}\",\"path\":\"{path}\"}}}}\n{{\"time\":\"{t}\",\"type\":\"response\",{auth},\"request\":{{\"id\":\"{id}\",\"operation\":\"{op}\",\"path\":\"{path}\"}},\"response\":{{}}}}\n"
    )
}

/// One CloudTrail KMS record, one a line.
fn trail(days_ago: i64, id: &str, name: &str, key: &str, who: &str) -> String {
    format!(
        "{{\"eventVersion\":\"1.08\",\"userIdentity\":{{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::111122223333:user/{who}\"}},\"eventTime\":\"{}\",\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"{name}\",\"eventID\":\"{id}\",\"requestParameters\":{{\"keyId\":\"{key}\"}}}}\n",
        at(days_ago)
    )
}

const CMK: &str = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-000000000001";

const POLICY_LOGS: &str = r#"
[[audit_logs]]
name = "vault-a"
format = "vault"
path = "/var/log/vault/a.log"
retention_days = 30
max_silence = "3650d"

[[audit_logs]]
name = "vault-b"
format = "vault"
path = "/var/log/vault/b.log"
retention_days = 30
max_silence = "3650d"

[[audit_logs]]
name = "trail"
format = "cloudtrail"
path = "/var/log/cloudtrail/kms.json"
retention_days = 30
max_silence = "3650d"
"#;

const POLICY_KEYS: &str = r#"
[[kms_keys]]
name = "app"
vault_transit_key = "transit/app"
rotation_days = 90
logs = ["vault-a", "vault-b"]

[[kms_keys]]
name = "cmk"
aws_kms_key = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-000000000001"
rotation_days = 365
"#;

struct Host {
    dir: tempfile::TempDir,
}

impl Host {
    /// A root with accounts and the three logs, and a policy beside it.
    fn new(vault_a: &str, vault_b: &str, trail: &str, policy: &str) -> Host {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        for (p, text) in [
            (
                "etc/passwd",
                "root:x:0:0:root:/root:/bin/sh\nvault:x:999:999::/var/lib/vault:/usr/sbin/nologin\n",
            ),
            ("etc/group", "root:x:0:\nvault:x:999:\n"),
            ("var/log/vault/a.log", vault_a),
            ("var/log/vault/b.log", vault_b),
            ("var/log/cloudtrail/kms.json", trail),
        ] {
            let f = root.join(p);
            std::fs::create_dir_all(f.parent().unwrap()).unwrap();
            std::fs::write(f, text).unwrap();
        }
        std::fs::write(dir.path().join("policy.toml"), policy).unwrap();
        Host { dir }
    }

    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("root")
    }

    fn scan(&self, extra: &[&str]) -> Value {
        let policy = self.dir.path().join("policy.toml");
        let root = self.root();
        let mut args = vec![
            BENCH,
            "--policy",
            policy.to_str().unwrap(),
            "--root",
            root.to_str().unwrap(),
        ];
        for r in RULES {
            args.extend(["--rule", r]);
        }
        args.extend_from_slice(extra);
        let (_, doc) = crate::scan_json(&args);
        doc
    }
}

const RULES: [&str; 4] = [
    "key_rotation_recorded",
    "key_unused_retirement",
    "key_not_used_after_disable",
    "key_lifecycle_in_every_log",
];

fn result<'a>(doc: &'a Value, short: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == format!("xccdf_dev.vigil_rule_{short}"))
        .unwrap_or_else(|| panic!("no rule {short}"))
}

fn outcome<'a>(doc: &'a Value, short: &str) -> &'a str {
    result(doc, short)["result"].as_str().unwrap()
}

fn messages(doc: &Value, short: &str) -> String {
    result(doc, short)["messages"].to_string()
}

/// The lifecycle item of key `name` (from any of the rules' objects).
fn key<'a>(doc: &'a Value, name: &str) -> &'a Value {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["kind"] == "key_lifecycle_object")
        .flat_map(|o| o["items"].as_array().unwrap())
        .find(|i| field(i, "name") == [name])
        .unwrap_or_else(|| panic!("no lifecycle item for {name}"))
}

fn field<'a>(item: &'a Value, name: &str) -> Vec<&'a str> {
    item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .filter_map(|f| f["value"].as_str())
        .collect()
}

/// A site that rotates, uses and logs its keys as declared.
fn good_logs() -> (String, String, String) {
    let mut v = String::new();
    v.push_str(&vault(200, "r1", "alice", "create", "transit/keys/app"));
    v.push_str(&vault(
        30,
        "r2",
        "alice",
        "update",
        "transit/keys/app/rotate",
    ));
    v.push_str(&vault(2, "r3", "svc", "update", "transit/encrypt/app"));
    v.push_str(&vault(1, "r4", "svc", "update", "transit/decrypt/app"));
    let mut t = String::new();
    t.push_str(&trail(300, "e1", "CreateKey", CMK, "admin"));
    t.push_str(&trail(100, "e2", "RotateKey", CMK, "admin"));
    t.push_str(&trail(3, "e3", "Decrypt", CMK, "app"));
    t.push_str(&trail(2, "e4", "GenerateDataKey", CMK, "app"));
    (v.clone(), v, t)
}

#[test]
fn a_site_that_rotates_uses_and_logs_its_keys_passes() {
    let (a, b, t) = good_logs();
    let h = Host::new(&a, &b, &t, &format!("{POLICY_LOGS}{POLICY_KEYS}"));
    let doc = h.scan(&[]);
    for r in RULES {
        assert_eq!(outcome(&doc, r), "pass", "{r}: {}", messages(&doc, r));
    }
    let app = key(&doc, "app");
    assert_eq!(field(app, "rotations"), ["1"]);
    assert_eq!(field(app, "uses"), ["2"]);
    assert_eq!(field(app, "user"), ["svc (2)"]);
    assert_eq!(field(app, "rotated_in_period"), ["true"]);
    assert_eq!(field(app, "lifecycle_complete"), ["true"]);
    assert_eq!(field(app, "source"), ["vault-a", "vault-b"]);
    let cmk = key(&doc, "cmk");
    assert_eq!(field(cmk, "key_id"), [CMK]);
    // (within a minute: the fixture's clock and the scan's are read moments apart)
    let parse = vigil_host::policy::time::parse_rfc3339;
    let generated = parse(field(cmk, "generated")[0]).unwrap();
    assert!((generated - parse(&at(300)).unwrap()).abs() < 60);
    assert_eq!(field(cmk, "state"), ["active"]);
    // The timeline, oldest first, names the stage, who and where.
    let tl = field(cmk, "timeline");
    assert_eq!(tl.len(), 4);
    assert!(
        tl[0].contains(" generated arn:aws:iam::111122223333:user/admin (trail:1)"),
        "{tl:?}"
    );
    assert!(tl[3].contains(" used "), "{tl:?}");
    // The rule says what it examined: one declared key with a cryptoperiod each.
    assert_eq!(
        result(&doc, "key_rotation_recorded")["examined"]["items"],
        2
    );
}

#[test]
fn overdue_rotation_unused_keys_use_after_disable_and_a_missing_event_fail_naming_them() {
    let mut a = String::new();
    a.push_str(&vault(200, "r1", "alice", "create", "transit/keys/app"));
    a.push_str(&vault(
        120,
        "r2",
        "alice",
        "update",
        "transit/keys/app/rotate",
    ));
    // Only one of the two devices recorded this policy change.
    a.push_str(&vault(
        5,
        "r9",
        "mallory",
        "update",
        "transit/keys/app/config",
    ));
    a.push_str(&vault(1, "r3", "svc", "update", "transit/encrypt/app"));
    let mut b = String::new();
    b.push_str(&vault(200, "r1", "alice", "create", "transit/keys/app"));
    b.push_str(&vault(
        120,
        "r2",
        "alice",
        "update",
        "transit/keys/app/rotate",
    ));
    b.push_str(&vault(1, "r3", "svc", "update", "transit/encrypt/app"));
    let mut t = String::new();
    t.push_str(&trail(300, "e1", "CreateKey", CMK, "admin"));
    t.push_str(&trail(200, "e2", "Encrypt", CMK, "app"));
    // An undeclared key, scheduled for deletion and then used.
    let old = "arn:aws:kms:eu-west-1:111122223333:key/0b1c2d3e-aaaa-bbbb-cccc-0000000000ff";
    t.push_str(&trail(20, "e3", "ScheduleKeyDeletion", old, "admin"));
    t.push_str(&trail(10, "e4", "Decrypt", old, "intruder"));
    let h = Host::new(&a, &b, &t, &format!("{POLICY_LOGS}{POLICY_KEYS}"));
    let doc = h.scan(&[]);

    assert_eq!(outcome(&doc, "key_rotation_recorded"), "fail");
    let app = key(&doc, "app");
    assert_eq!(field(app, "rotated_in_period"), ["false"]);
    assert_eq!(field(app, "days_since_rotation"), ["120"]);
    let why = field(app, "rotation_reason");
    assert!(
        why.len() == 1 && why[0].contains("is 120 days old (rotation_days 90)"),
        "{why:?}"
    );

    assert_eq!(outcome(&doc, "key_unused_retirement"), "fail");
    let cmk = key(&doc, "cmk");
    assert_eq!(field(cmk, "unused"), ["true"]);
    let why = field(cmk, "use_reason");
    assert!(
        why.len() == 1 && why[0].contains("is 200 days old (unused_days 90)"),
        "{why:?}"
    );
    // The rule's explanation names the key that failed.
    let m = messages(&doc, "key_unused_retirement");
    assert!(m.contains("'cmk'"), "{m}");

    assert_eq!(outcome(&doc, "key_not_used_after_disable"), "fail");
    let stray = key(&doc, old);
    assert_eq!(field(stray, "declared"), ["false"]);
    assert_eq!(field(stray, "state"), ["deletion_scheduled"]);
    let rec = field(stray, "record");
    assert!(
        rec.len() == 1 && rec[0].starts_with("trail:4: ") && rec[0].contains("intruder"),
        "{rec:?}"
    );
    assert_eq!(
        field(stray, "misuse_reason"),
        ["used while deletion scheduled (trail:4)"]
    );

    assert_eq!(outcome(&doc, "key_lifecycle_in_every_log"), "fail");
    let missing = field(app, "missing_from");
    assert_eq!(missing.len(), 1, "{missing:?}");
    assert!(
        missing[0].contains("policy_changed (vault-a:5) is not in vault-b"),
        "{missing:?}"
    );

    // A longer retirement limit from the policy's [detection] clears the unused key.
    std::fs::write(
        h.dir.path().join("policy.toml"),
        format!("{POLICY_LOGS}{POLICY_KEYS}\n[detection]\nkey_unused_days = 365\n"),
    )
    .unwrap();
    let doc = h.scan(&[]);
    assert_eq!(outcome(&doc, "key_unused_retirement"), "pass");
}

#[test]
fn logs_too_young_to_tell_make_the_rules_unknown_not_fail() {
    // One day of logs: no rotation or use recorded, but the cryptoperiod and the
    // retirement limit reach further back than the logs.
    let a = vault(1, "r1", "bob", "read", "sys/health");
    let t = trail(1, "e1", "ListKeys", "-", "auditor");
    let h = Host::new(&a, &a, &t, &format!("{POLICY_LOGS}{POLICY_KEYS}"));
    let doc = h.scan(&[]);
    assert_eq!(outcome(&doc, "key_rotation_recorded"), "unknown");
    assert_eq!(outcome(&doc, "key_unused_retirement"), "unknown");
    let m = key(&doc, "app")["message"].as_str().unwrap_or_default();
    assert!(
        m.contains("no rotation recorded; the logs do not reach back 90 days"),
        "{m}"
    );
    assert!(
        m.contains("no use recorded; the logs do not reach back 90 days"),
        "{m}"
    );
    let m = messages(&doc, "key_rotation_recorded");
    assert!(m.contains("unknown: no rotation recorded"), "{m}");
    // Nothing says the keys are fine: the facts are left out, not guessed.
    assert!(field(key(&doc, "app"), "rotated_in_period").is_empty());
    assert!(field(key(&doc, "cmk"), "unused").is_empty());
    // Nothing was used while disabled, and no event is missing from either log.
    assert_eq!(outcome(&doc, "key_not_used_after_disable"), "pass");
    assert_eq!(outcome(&doc, "key_lifecycle_in_every_log"), "pass");
}

#[test]
fn without_kms_keys_or_key_events_the_rules_do_not_apply_and_say_why() {
    let a = vault(1, "r1", "bob", "read", "sys/health");
    let h = Host::new(&a, &a, "", POLICY_LOGS);
    let doc = h.scan(&[]);
    for r in RULES {
        assert_eq!(
            outcome(&doc, r),
            "notapplicable",
            "{r}: {}",
            messages(&doc, r)
        );
        assert!(
            messages(&doc, r).contains("the policy declares no [[kms_keys]] entry"),
            "{r}: {}",
            messages(&doc, r)
        );
    }
}

#[test]
fn a_bad_kms_key_entry_is_an_error_naming_the_field() {
    let h = Host::new(
        "",
        "",
        "",
        &format!(
            "{POLICY_LOGS}\n[[kms_keys]]\nname = \"x\"\nvault_transit_key = \"transit/x\"\nlogs = [\"vault-a\", \"nope\"]\n"
        ),
    );
    let out = crate::vigil(&[
        "policy",
        "check",
        h.dir.path().join("policy.toml").to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        err.contains("kms_keys[0].logs")
            && err.contains("'nope' is not the name of an [[audit_logs]] source"),
        "{err}"
    );
}

#[test]
fn the_html_report_draws_each_keys_timeline_with_hostile_names_escaped() {
    let (a, b, mut t) = good_logs();
    t.push_str(&trail(1, "e9", "Decrypt", CMK, "<script>alert(1)</script>"));
    let h = Host::new(&a, &b, &t, &format!("{POLICY_LOGS}{POLICY_KEYS}"));
    let html = h.dir.path().join("report.html");
    h.scan(&["--html", html.to_str().unwrap()]);
    let text = std::fs::read_to_string(Path::new(&html)).unwrap();
    let start = text
        .find("<section id=\"key-lifecycle\">")
        .expect("a Key lifecycle section");
    let section = &text[start..start + text[start..].find("</section>").unwrap()];
    assert!(
        section.contains("<th>app</th>") && section.contains("<th>cmk</th>"),
        "{section}"
    );
    assert!(section.contains("class=\"m-rotated\""), "{section}");
    assert!(section.contains("class=\"m-generated\""), "{section}");
    assert!(!section.contains("<script>"), "{section}");
    assert!(section.contains("&lt;script&gt;"), "{section}");
}
