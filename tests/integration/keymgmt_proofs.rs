//! Issue 17 item 6, the proof that the logs are whole: CloudTrail digest files checked
//! offline as `aws cloudtrail validate-logs` checks them (log-file hashes, the chain of
//! digests, gaps in time, SHA256withRSA signatures), and two Vault audit devices
//! compared record by record. The trail is built here as CloudTrail delivers it: log
//! files and digests gzipped by the real gzip, digests signed over the documented
//! signing string by the real `openssl dgst -sha256 -sign` (the independent oracle of
//! vigil's verification), each signature in the `DIGEST.sig` sidecar the README
//! describes. Then it is broken one way at a time, and each break must fail the rule it
//! is about, with evidence naming the file.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

const DIGEST_OBJECT: &str = "oval:dev.vigil.ccm:obj:75";
const LOG_FILE_OBJECT: &str = "oval:dev.vigil.ccm:obj:77";
const VAULT_OBJECT: &str = "oval:dev.vigil.ccm:obj:78";

const ACCOUNT: &str = "111122223333";
const BUCKET: &str = "kms-trail-bucket";
const DIGEST_DIR: &str = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/12/01";
const LOG_DIR: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/12/01";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn run(tool: &str, args: &[&str]) -> Vec<u8> {
    let out = crate::tool(tool).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn sha256(b: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// `data` gzipped by gzip(1) into `path`.
fn write_gz(path: &Path, data: &[u8]) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let plain = path.with_extension("");
    std::fs::write(&plain, data).unwrap();
    run("gzip", &["-n", "-f", s(&plain)]);
    assert!(path.exists(), "gzip wrote no {}", path.display());
}

/// An RSA key pair made by openssl: (private key PEM, public key PEM, CloudTrail
/// fingerprint = MD5 of the PKCS#1 DER).
fn rsa_key(dir: &Path, name: &str) -> (PathBuf, PathBuf, String) {
    let k = dir.join(format!("{name}.key.pem"));
    let p = dir.join(format!("{name}.pub.pem"));
    let der = dir.join(format!("{name}.pub.der"));
    run(
        "openssl",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            s(&k),
        ],
    );
    run("openssl", &["pkey", "-in", s(&k), "-pubout", "-out", s(&p)]);
    run(
        "openssl",
        &[
            "rsa",
            "-in",
            s(&k),
            "-RSAPublicKey_out",
            "-outform",
            "DER",
            "-out",
            s(&der),
        ],
    );
    let md5 = run("openssl", &["dgst", "-md5", "-r", s(&der)]);
    let fp = String::from_utf8_lossy(&md5)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    (k, p, fp)
}

/// A trail of three hourly digests (00-01, 01-02, 02-03 UTC), each listing log files,
/// under ROOT/srv/trail (a copy of the bucket), the public key at
/// ROOT/etc/vigil/cloudtrail.pem and a second key pair beside it.
struct Trail {
    _dir: tempfile::TempDir,
    root: PathBuf,
    keys: PathBuf,
    digests: Vec<PathBuf>,
    logs: Vec<PathBuf>,
}

impl Trail {
    fn policy(&self, extra: &str) -> PathBuf {
        let p = self.root.parent().unwrap().join("policy.toml");
        std::fs::write(
            &p,
            format!(
                "[[audit_logs]]\nname = \"trail\"\nformat = \"cloudtrail\"\npath = \"/srv/trail/current.json\"\n\
                 retention_days = 90\nmax_silence = \"2h\"\n\
                 digest_directory = \"/srv/trail/AWSLogs/{ACCOUNT}/CloudTrail-Digest\"\n{extra}"
            ),
        )
        .unwrap();
        p
    }

    fn keyed_policy(&self) -> PathBuf {
        self.policy("digest_public_keys = [\"/etc/vigil/cloudtrail.pem\"]\n")
    }

    fn sidecar(&self, i: usize) -> PathBuf {
        PathBuf::from(format!("{}.sig", s(&self.digests[i])))
    }
}

fn log_record(hour: u32, n: u32) -> Vec<u8> {
    serde_json::to_vec(&json!({"Records": [{
        "eventTime": format!("2026-12-01T{hour:02}:{n:02}:00Z"),
        "eventSource": "kms.amazonaws.com",
        "eventName": "Decrypt",
        "userIdentity": {"arn": format!("arn:aws:iam::{ACCOUNT}:user/app{n}")},
    }]}))
    .unwrap()
}

fn trail() -> Trail {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    let bucket = root.join("srv/trail");
    let keys = d.path().join("keys");
    std::fs::create_dir_all(&keys).unwrap();
    std::fs::create_dir_all(root.join("etc/vigil")).unwrap();
    let (key, public, fp) = rsa_key(&keys, "cloudtrail");
    std::fs::copy(&public, root.join("etc/vigil/cloudtrail.pem")).unwrap();
    let mut digests = Vec::new();
    let mut logs = Vec::new();
    let mut previous: Option<(String, String, String)> = None; // object, hash, signature
    for h in 0..3u32 {
        let mut files = Vec::new();
        for n in 0..2u32 {
            let object = format!(
                "{LOG_DIR}/{ACCOUNT}_CloudTrail_us-east-1_20261201T{h:02}{:02}Z_log{h}{n}.json.gz",
                n * 20 + 5
            );
            let plain = log_record(h, n * 20 + 5);
            let path = bucket.join(&object);
            write_gz(&path, &plain);
            logs.push(path);
            files.push(json!({
                "s3Bucket": BUCKET, "s3Object": object, "hashValue": sha256(&plain),
                "hashAlgorithm": "SHA-256",
                "newestEventTime": format!("2026-12-01T{h:02}:{:02}:00Z", n * 20 + 5),
                "oldestEventTime": format!("2026-12-01T{h:02}:{:02}:00Z", n * 20 + 5),
            }));
        }
        let end = format!("2026-12-01T{:02}:00:00Z", h + 1);
        let object = format!(
            "{DIGEST_DIR}/{ACCOUNT}_CloudTrail-Digest_us-east-1_kms_us-east-1_20261201T{:02}0000Z.json.gz",
            h + 1
        );
        let mut doc = json!({
            "awsAccountId": ACCOUNT,
            "digestStartTime": format!("2026-12-01T{h:02}:00:00Z"),
            "digestEndTime": end,
            "digestS3Bucket": BUCKET,
            "digestS3Object": object,
            "digestPublicKeyFingerprint": fp,
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": format!("2026-12-01T{h:02}:45:00Z"),
            "oldestEventTime": format!("2026-12-01T{h:02}:05:00Z"),
            "previousDigestS3Bucket": null,
            "previousDigestS3Object": null,
            "previousDigestHashValue": null,
            "previousDigestHashAlgorithm": null,
            "previousDigestSignature": null,
            "logFiles": files,
        });
        if let Some((o, hash, sig)) = &previous {
            doc["previousDigestS3Bucket"] = json!(BUCKET);
            doc["previousDigestS3Object"] = json!(o);
            doc["previousDigestHashValue"] = json!(hash);
            doc["previousDigestHashAlgorithm"] = json!("SHA-256");
            doc["previousDigestSignature"] = json!(sig);
        }
        let plain = serde_json::to_vec(&doc).unwrap();
        // The signing string of the AWS documentation, signed by openssl.
        let msg = format!(
            "{end}\n{BUCKET}/{object}\n{}\n{}",
            sha256(&plain),
            previous.as_ref().map(|p| p.2.as_str()).unwrap_or("null")
        );
        let m = keys.join("msg.txt");
        std::fs::write(&m, msg).unwrap();
        let sig = hex(&run(
            "openssl",
            &["dgst", "-sha256", "-sign", s(&key), s(&m)],
        ));
        let path = bucket.join(&object);
        write_gz(&path, &plain);
        std::fs::write(format!("{}.sig", s(&path)), format!("{sig}\n")).unwrap();
        digests.push(path);
        previous = Some((object, sha256(&plain), sig));
    }
    Trail {
        _dir: d,
        root,
        keys,
        digests,
        logs,
    }
}

const RULES: [&str; 3] = [
    "cloudtrail_digest_chain_intact",
    "cloudtrail_digest_signatures_verified",
    "cloudtrail_log_files_match_digests",
];

fn scan(t: &Trail, policy: &Path) -> Value {
    let mut args = Vec::new();
    for r in RULES {
        args.extend(["--rule", r]);
    }
    args.extend(["--policy", s(policy), "--root", s(&t.root)]);
    crate::scan_json(&args).1
}

fn rule<'a>(doc: &'a Value, short: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == format!("xccdf_dev.vigil_rule_{short}"))
        .unwrap()
}

fn result(doc: &Value, short: &str) -> String {
    rule(doc, short)["result"].as_str().unwrap().to_string()
}

fn results(doc: &Value) -> Vec<String> {
    RULES.iter().map(|r| result(doc, r)).collect()
}

fn items(doc: &Value, id: &str) -> Vec<Value> {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no object {id}"))["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn field<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
}

/// The item whose field `key` ends with `suffix`.
fn item_for<'a>(items: &'a [Value], key: &str, suffix: &str) -> &'a Value {
    items
        .iter()
        .find(|i| field(i, key).is_some_and(|v| v.ends_with(suffix)))
        .unwrap_or_else(|| panic!("no item with {key} ending {suffix}: {items:#?}"))
}

fn name(p: &Path) -> &str {
    p.file_name().unwrap().to_str().unwrap()
}

#[test]
fn a_whole_signed_trail_passes_and_names_what_was_verified() {
    let t = trail();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "pass", "pass"], "{doc:#}");
    let digests = items(&doc, DIGEST_OBJECT);
    assert_eq!(digests.len(), 3);
    let first = item_for(&digests, "digest", name(&t.digests[0]));
    assert_eq!(field(first, "chain_link"), Some("start"));
    let last = item_for(&digests, "digest", name(&t.digests[2]));
    assert_eq!(field(last, "chain_link"), Some("ok"));
    assert_eq!(field(last, "signature"), Some("verified"));
    assert_eq!(field(last, "signature_source"), Some("sidecar"));
    assert_eq!(field(last, "public_key"), Some("/etc/vigil/cloudtrail.pem"));
    let logs = items(&doc, LOG_FILE_OBJECT);
    assert_eq!(logs.len(), 6);
    assert!(
        logs.iter()
            .all(|l| field(l, "hash_matches") == Some("true"))
    );
}

#[test]
fn an_edited_log_file_fails_the_log_rule_naming_it() {
    let t = trail();
    // The same record with another identity, compressed again as CloudTrail would.
    let forged = String::from_utf8(log_record(1, 25))
        .unwrap()
        .replace("app25", "root");
    write_gz(&t.logs[3], forged.as_bytes());
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "pass", "fail"], "{doc:#}");
    let logs = items(&doc, LOG_FILE_OBJECT);
    let bad = item_for(&logs, "log_file", name(&t.logs[3]));
    assert_eq!(field(bad, "hash_matches"), Some("false"));
    let ev = field(bad, "evidence").unwrap();
    assert!(
        ev.contains(name(&t.logs[3])) && ev.contains("changed after delivery"),
        "{ev}"
    );
    assert!(ev.contains(name(&t.digests[1])), "{ev}");
    assert_eq!(
        logs.iter()
            .filter(|l| field(l, "hash_matches") == Some("false"))
            .count(),
        1
    );
}

#[test]
fn a_deleted_log_file_fails_the_log_rule_naming_it() {
    let t = trail();
    std::fs::remove_file(&t.logs[0]).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "pass", "fail"], "{doc:#}");
    let logs = items(&doc, LOG_FILE_OBJECT);
    let gone = item_for(&logs, "log_file", name(&t.logs[0]));
    assert_eq!(field(gone, "present"), Some("false"));
    assert!(field(gone, "evidence").unwrap().contains("was deleted"));
}

#[test]
fn a_digest_deleted_from_the_middle_breaks_the_chain_and_leaves_a_gap() {
    let t = trail();
    std::fs::remove_file(&t.digests[1]).unwrap();
    std::fs::remove_file(t.sidecar(1)).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(result(&doc, RULES[0]), "fail", "{doc:#}");
    // What remains is still CloudTrail's own signature, and its log files are whole.
    assert_eq!(result(&doc, RULES[1]), "pass");
    assert_eq!(result(&doc, RULES[2]), "pass");
    let digests = items(&doc, DIGEST_OBJECT);
    assert_eq!(digests.len(), 2);
    let last = item_for(&digests, "digest", name(&t.digests[2]));
    assert_eq!(field(last, "chain_link"), Some("missing"));
    assert!(
        field(last, "chain_evidence")
            .unwrap()
            .contains(name(&t.digests[1]))
    );
    assert_eq!(field(last, "gap_seconds"), Some("3600"));
    let gap = field(last, "gap_evidence").unwrap();
    assert!(gap.contains(name(&t.digests[0])), "{gap}");
}

#[test]
fn a_replaced_digest_breaks_the_link_of_the_next_one() {
    let t = trail();
    // The middle digest rewritten (a log file's hash changed to match a forgery), its
    // signature left as it was: nobody but CloudTrail can sign it again.
    let raw = run("gzip", &["-dc", s(&t.digests[1])]);
    let mut doc: Value = serde_json::from_slice(&raw).unwrap();
    doc["logFiles"][0]["hashValue"] = json!(sha256(b"forged"));
    write_gz(&t.digests[1], &serde_json::to_vec(&doc).unwrap());
    let out = scan(&t, &t.keyed_policy());
    assert_eq!(results(&out), ["fail", "fail", "fail"], "{out:#}");
    let digests = items(&out, DIGEST_OBJECT);
    let next = item_for(&digests, "digest", name(&t.digests[2]));
    assert_eq!(field(next, "chain_link"), Some("broken"));
    assert!(
        field(next, "chain_evidence")
            .unwrap()
            .contains("previousDigestHashValue")
    );
    let changed = item_for(&digests, "digest", name(&t.digests[1]));
    assert_eq!(field(changed, "signature"), Some("failed"));
}

#[test]
fn a_corrupt_signature_fails_the_signature_rule_naming_the_digest() {
    let t = trail();
    let sig = std::fs::read_to_string(t.sidecar(2)).unwrap();
    let flipped = if sig.starts_with('0') { "1" } else { "0" };
    std::fs::write(t.sidecar(2), format!("{flipped}{}", &sig[1..])).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "fail", "pass"], "{doc:#}");
    let digests = items(&doc, DIGEST_OBJECT);
    let bad = item_for(&digests, "digest", name(&t.digests[2]));
    assert_eq!(field(bad, "signature"), Some("failed"));
    let ev = field(bad, "signature_evidence").unwrap();
    assert!(
        ev.contains(name(&t.digests[2])) && ev.contains("does not verify"),
        "{ev}"
    );
}

#[test]
fn another_key_fails_the_signature_rule() {
    let t = trail();
    let (_, other, other_fp) = rsa_key(&t.keys, "other");
    std::fs::copy(&other, t.root.join("etc/vigil/cloudtrail.pem")).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "fail", "pass"], "{doc:#}");
    let digests = items(&doc, DIGEST_OBJECT);
    let d = item_for(&digests, "digest", name(&t.digests[0]));
    assert_eq!(field(d, "signature"), Some("failed"));
    let ev = field(d, "signature_evidence").unwrap();
    assert!(
        ev.contains(&other_fp) && ev.contains("none of digest_public_keys"),
        "{ev}"
    );
}

#[test]
fn without_a_sidecar_the_next_digest_vouches_for_the_signature() {
    let t = trail();
    std::fs::remove_file(t.sidecar(0)).unwrap();
    std::fs::remove_file(t.sidecar(1)).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(results(&doc), ["pass", "pass", "pass"], "{doc:#}");
    let digests = items(&doc, DIGEST_OBJECT);
    let d = item_for(&digests, "digest", name(&t.digests[0]));
    assert_eq!(field(d, "signature_source"), Some("next_digest"));
    assert_eq!(field(d, "signature"), Some("verified"));
    // The newest digest has no successor: without its sidecar it is unknown.
    std::fs::remove_file(t.sidecar(2)).unwrap();
    let doc = scan(&t, &t.keyed_policy());
    assert_eq!(result(&doc, RULES[1]), "unknown");
    assert!(
        rule(&doc, RULES[1])["messages"]
            .to_string()
            .contains("no signature")
    );
}

#[test]
fn no_key_is_unknown_with_the_reason_and_no_digest_directory_is_not_applicable() {
    let t = trail();
    let doc = scan(&t, &t.policy(""));
    assert_eq!(results(&doc), ["pass", "unknown", "pass"], "{doc:#}");
    let why = rule(&doc, RULES[1])["messages"].to_string();
    assert!(
        why.contains("the policy gives no digest_public_keys"),
        "{why}"
    );

    let p = t.root.parent().unwrap().join("bare.toml");
    std::fs::write(
        &p,
        "[[audit_logs]]\nname = \"trail\"\nformat = \"cloudtrail\"\npath = \"/srv/trail/current.json\"\n\
         retention_days = 90\nmax_silence = \"2h\"\n",
    )
    .unwrap();
    let doc = scan(&t, &p);
    assert_eq!(
        results(&doc),
        ["notapplicable", "notapplicable", "notapplicable"]
    );
    let why = rule(&doc, RULES[0])["messages"].to_string();
    assert!(why.contains("digest_directory"), "{why}");
}

#[test]
fn digest_fields_on_another_format_are_refused_naming_the_field() {
    let t = trail();
    let p = t.root.parent().unwrap().join("vault.toml");
    std::fs::write(
        &p,
        "[[audit_logs]]\nname = \"v\"\nformat = \"vault\"\npath = \"/l\"\nretention_days = 1\n\
         max_silence = \"1h\"\ndigest_directory = \"/srv/trail\"\n",
    )
    .unwrap();
    let out = crate::vigil(&["scan", "--policy", s(&p), "--root", s(&t.root)]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("audit_logs[0].digest_directory") && err.contains("CloudTrail"),
        "{err}"
    );
    assert_ne!(out.status.code(), Some(0));
}

// ---- vault_audit_devices_agree ----

fn vault_record(kind: &str, id: &str, sec: u32) -> String {
    json!({
        "time": format!("2026-12-01T10:00:{sec:02}Z"),
        "type": kind,
        "auth": {"client_token": "hmac-sha256:aa", "metadata": {"username": "alice"}},
        "request": {"id": id, "operation": "update", "path": "transit/encrypt/app"},
    })
    .to_string()
}

fn vault_scan(a: &[String], b: &[String]) -> (Value, tempfile::TempDir) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir_all(root.join("var/log/vault")).unwrap();
    std::fs::write(root.join("var/log/vault/audit.log"), a.join("\n") + "\n").unwrap();
    std::fs::write(root.join("var/log/vault/audit2.log"), b.join("\n") + "\n").unwrap();
    let p = d.path().join("policy.toml");
    std::fs::write(
        &p,
        "[[audit_logs]]\nname = \"file\"\nformat = \"vault\"\npath = \"/var/log/vault/audit.log\"\n\
         retention_days = 1\nmax_silence = \"1h\"\n\n\
         [[audit_logs]]\nname = \"file2\"\nformat = \"vault\"\npath = \"/var/log/vault/audit2.log\"\n\
         retention_days = 1\nmax_silence = \"1h\"\n",
    )
    .unwrap();
    let doc = crate::scan_json(&[
        "--rule",
        "vault_audit_devices_agree",
        "--policy",
        s(&p),
        "--root",
        s(&root),
    ])
    .1;
    (doc, d)
}

#[test]
fn two_vault_devices_agree_until_one_loses_a_record() {
    let log: Vec<String> = (0..5)
        .flat_map(|i| {
            let id = format!("req-{i}");
            [
                vault_record("request", &id, i * 2),
                vault_record("response", &id, i * 2 + 1),
            ]
        })
        .collect();
    let (doc, _d) = vault_scan(&log, &log);
    assert_eq!(result(&doc, "vault_audit_devices_agree"), "pass", "{doc:#}");

    // The second device lost the response of req-2 (line 6 of the first log).
    let mut cut = log.clone();
    cut.remove(5);
    let (doc, _d) = vault_scan(&log, &cut);
    assert_eq!(result(&doc, "vault_audit_devices_agree"), "fail");
    let it = &items(&doc, VAULT_OBJECT)[0];
    assert_eq!(field(it, "missing_from_b"), Some("1"));
    assert_eq!(field(it, "missing_from_a"), Some("0"));
    let rec = field(it, "missing_record").unwrap();
    assert!(
        rec.contains("response req-2")
            && rec.contains("/var/log/vault/audit.log:6")
            && rec.contains("'file2'"),
        "{rec}"
    );
}

#[test]
fn one_vault_device_is_not_applicable_naming_the_policy_field() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("policy.toml");
    std::fs::write(
        &p,
        "[[audit_logs]]\nname = \"file\"\nformat = \"vault\"\npath = \"/var/log/vault/audit.log\"\n\
         retention_days = 1\nmax_silence = \"1h\"\n",
    )
    .unwrap();
    let doc = crate::scan_json(&["--rule", "vault_audit_devices_agree", "--policy", s(&p)]).1;
    assert_eq!(result(&doc, "vault_audit_devices_agree"), "notapplicable");
    let why = rule(&doc, "vault_audit_devices_agree")["messages"].to_string();
    assert!(
        why.contains("pair of [[audit_logs]] sources with format = \\\"vault\\\""),
        "{why}"
    );
}

#[test]
fn a_log_file_key_climbing_out_of_the_copy_is_not_read() {
    let t = trail();
    std::fs::write(t.root.join("srv/secret"), "not a log").unwrap();
    let raw = run("gzip", &["-dc", s(&t.digests[2])]);
    let mut doc: Value = serde_json::from_slice(&raw).unwrap();
    doc["logFiles"][0]["s3Object"] = json!("AWSLogs/../../secret");
    write_gz(&t.digests[2], &serde_json::to_vec(&doc).unwrap());
    let out = scan(&t, &t.keyed_policy());
    assert_eq!(result(&out, RULES[2]), "error", "{out:#}");
    let logs = items(&out, LOG_FILE_OBJECT);
    let bad = item_for(&logs, "s3_object", "../secret");
    assert_eq!(bad["status"], "error");
    let why = bad["message"].as_str().unwrap();
    assert!(why.contains("'..' component: not read"), "{why}");
}
