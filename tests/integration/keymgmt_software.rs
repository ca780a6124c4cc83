//! Issue 16, the software rules of the bundled benchmark on hosts they have never seen:
//! `software_min_versions` with letter releases (OpenSSL `1.1.1w`, OpenSSH `9.2p1`),
//! absent, required and unreadable software; `kms_integrity` with the baseline kept off
//! the scanned host (`vigil scan --baseline`) and signed (`vigil baseline create
//! --sign-key`, `[integrity] public_key`, `--baseline-key`), tampered, signed by another
//! key or unsigned. Each case runs the real `vigil` binary on a small root or tree and
//! checks the rule's result and the items' evidence; keys are made and signatures
//! checked with the real openssl.

use std::path::{Path, PathBuf};

use serde_json::Value;

const SOFTWARE_OBJECT: &str = "oval:dev.vigil.ccm:obj:37";
const INTEGRITY_OBJECT: &str = "oval:dev.vigil.ccm:obj:38";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// `vigil scan --rule RULE --policy POLICY [--root ROOT] EXTRA...`: exit code and JSON.
fn scan_rule(rule: &str, policy: &Path, root: Option<&Path>, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["--rule", rule, "--policy", s(policy)];
    if let Some(r) = root {
        args.extend(["--root", s(r)]);
    }
    args.extend_from_slice(extra);
    crate::scan_json(&args)
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

fn messages(doc: &Value, short: &str) -> String {
    rule(doc, short)["messages"].to_string()
}

fn object<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no object {id}"))
}

fn items(doc: &Value, id: &str) -> Vec<Value> {
    object(doc, id)["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// The one value of field `name` of `item`; `None` when absent or without a value.
fn field<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .and_then(|f| f["value"].as_str())
}

fn item_named<'a>(items: &'a [Value], key: &str, value: &str) -> &'a Value {
    items
        .iter()
        .find(|i| field(i, key) == Some(value))
        .unwrap_or_else(|| panic!("no item with {key} = {value}: {items:#?}"))
}

// ---- software_min_versions ----

/// A root whose dpkg database has OpenSSL 1.1.1w and OpenSSH 9.2p1 installed (as
/// Debian 11/12 ship them), and an unpackaged agent with a version file.
fn software_root() -> (tempfile::TempDir, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("opt/agent")).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: openssl\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 1.1.1w-0+deb11u1\n\n\
         Package: openssh-server\nStatus: install ok installed\nArchitecture: amd64\n\
         Version: 1:9.2p1-2+deb12u3\n\n\
         Package: vault\nStatus: deinstall ok config-files\nArchitecture: amd64\n\
         Version: 1.15.2-1\n\n",
    )
    .unwrap();
    std::fs::write(
        root.join("opt/agent/VERSION"),
        "OpenSSL 1.1.1w  11 Sep 2023\n",
    )
    .unwrap();
    std::fs::write(root.join("opt/agent/BROKEN"), "agent 7.x!\n").unwrap();
    (d, root)
}

fn software_scan(root: &Path, policy: &str) -> (i32, Value) {
    let p = root.parent().unwrap().join("policy.toml");
    std::fs::write(&p, policy).unwrap();
    scan_rule("software_min_versions", &p, Some(root), &[])
}

const OPENSSL_MIN_1_1_1X: &str =
    "[[software]]\nname = \"OpenSSL\"\npackage = \"openssl\"\nmin_upstream = \"1.1.1x\"\n";

#[test]
fn openssl_1_1_1w_fails_a_1_1_1x_minimum_and_passes_a_1_1_1v_one() {
    let (_d, root) = software_root();
    let (code, doc) = software_scan(&root, OPENSSL_MIN_1_1_1X);
    assert_eq!(result(&doc, "software_min_versions"), "fail");
    assert_eq!(code, 2);
    let it = items(&doc, SOFTWARE_OBJECT);
    let ssl = item_named(&it, "name", "OpenSSL");
    assert_eq!(field(ssl, "upstream_version"), Some("1.1.1w"));
    assert_eq!(field(ssl, "min_upstream"), Some("1.1.1x"));
    assert_eq!(field(ssl, "upstream_meets_policy"), Some("false"));
    assert_eq!(field(ssl, "meets_policy"), Some("false"));

    // Letter releases and OpenSSH's portable numbering, from the package and from a
    // version file: all at or above their minimums.
    let (code, doc) = software_scan(
        &root,
        "[[software]]\nname = \"OpenSSL\"\npackage = \"openssl\"\nmin_upstream = \"1.1.1v\"\n\
         min_version = \"1.1.1w-0+deb11u1\"\n\n\
         [[software]]\nname = \"OpenSSH\"\npackage = \"openssh-server\"\nmin_upstream = \"9.2p1\"\n\n\
         [[software]]\nname = \"agent\"\nversion_file = \"/opt/agent/VERSION\"\nmin_upstream = \"1.1.1\"\n",
    );
    assert_eq!(
        result(&doc, "software_min_versions"),
        "pass",
        "{}",
        messages(&doc, "software_min_versions")
    );
    assert_eq!(code, 0);
    let it = items(&doc, SOFTWARE_OBJECT);
    assert_eq!(it.len(), 3);
    let ssh = item_named(&it, "name", "OpenSSH");
    assert_eq!(field(ssh, "upstream_version"), Some("9.2p1"));
    assert_eq!(field(ssh, "upstream_meets_policy"), Some("true"));
    let agent = item_named(&it, "name", "agent");
    assert_eq!(field(agent, "upstream_version"), Some("1.1.1w"));
    assert_eq!(field(agent, "meets_policy"), Some("true"));

    // 9.2p1 is before 9.3p1.
    let (_, doc) = software_scan(
        &root,
        "[[software]]\nname = \"OpenSSH\"\npackage = \"openssh-server\"\nmin_upstream = \"9.3p1\"\n",
    );
    assert_eq!(result(&doc, "software_min_versions"), "fail");
}

#[test]
fn absent_software_is_not_applicable_unless_required() {
    let (_d, root) = software_root();
    let vault = "[[software]]\nname = \"Vault\"\npackage = \"vault\"\nmin_upstream = \"1.15.2\"\n";
    let (code, doc) = software_scan(&root, vault);
    assert_eq!(result(&doc, "software_min_versions"), "notapplicable");
    assert_eq!(code, 0);
    let m = messages(&doc, "software_min_versions");
    assert!(
        m.contains("Vault: not installed (package vault is not installed): not applicable"),
        "{m}"
    );

    // Beside software that is installed and passes, the absent entry is an item that
    // does not exist (not applicable), and the rule passes.
    let (_, doc) = software_scan(
        &root,
        &format!(
            "{vault}\n[[software]]\nname = \"OpenSSL\"\npackage = \"openssl\"\nmin_upstream = \"1.1.1\"\n"
        ),
    );
    assert_eq!(result(&doc, "software_min_versions"), "pass");
    let it = items(&doc, SOFTWARE_OBJECT);
    let v = item_named(&it, "name", "Vault");
    assert_eq!(v["status"], "does not exist");
    assert_eq!(field(v, "installed"), Some("false"));
    assert!(
        v["message"].as_str().unwrap().contains("not installed"),
        "{v}"
    );

    // required = true: absence fails, and the item says so.
    let (code, doc) = software_scan(&root, &format!("{vault}required = true\n"));
    assert_eq!(result(&doc, "software_min_versions"), "fail");
    assert_eq!(code, 2);
    let it = items(&doc, SOFTWARE_OBJECT);
    let v = item_named(&it, "name", "Vault");
    assert_eq!(field(v, "installed"), Some("false"));
    assert_eq!(field(v, "meets_policy"), Some("false"));
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("the policy requires it (required = true)"),
        "{v}"
    );
}

#[test]
fn a_version_vigil_cannot_order_is_unknown_with_the_reason() {
    let (_d, root) = software_root();
    let (_, doc) = software_scan(
        &root,
        "[[software]]\nname = \"agent\"\nversion_file = \"/opt/agent/BROKEN\"\nmin_upstream = \"7.1\"\n",
    );
    assert_eq!(result(&doc, "software_min_versions"), "unknown");
    let it = items(&doc, SOFTWARE_OBJECT);
    let a = item_named(&it, "name", "agent");
    assert_eq!(field(a, "upstream_version"), Some("7.x!"));
    assert_eq!(field(a, "meets_policy"), None, "not decided: {a}");
    insta::assert_snapshot!(
        "software_unorderable_version",
        a["message"].as_str().unwrap()
    );
    // A minimum that is not met still fails the entry whatever else is unknown.
    let (_, doc) = software_scan(
        &root,
        "[[software]]\nname = \"agent\"\npackage = \"openssl\"\nmin_version = \"3.0\"\n\
         version_file = \"/opt/agent/BROKEN\"\nmin_upstream = \"7.1\"\n",
    );
    assert_eq!(result(&doc, "software_min_versions"), "fail");
}

#[test]
fn no_software_declared_is_not_applicable_and_a_bad_minimum_stops_the_scan() {
    let (_d, root) = software_root();
    let (_, doc) = software_scan(&root, "[site]\nname = \"x\"\n");
    assert_eq!(result(&doc, "software_min_versions"), "notapplicable");
    let m = messages(&doc, "software_min_versions");
    assert!(
        m.contains("nothing to check: the policy declares no [[software]]"),
        "{m}"
    );

    let p = root.parent().unwrap().join("bad.toml");
    std::fs::write(
        &p,
        "[[software]]\nname = \"OpenSSL\"\npackage = \"openssl\"\nmin_upstream = \"1.1.1 w\"\n",
    )
    .unwrap();
    let dir = root.parent().unwrap();
    let out = vigil_snapshot!(
        "software_min_upstream_not_a_version",
        crate::snap::vigil_cmd(&["scan", "--policy", s(&p), "--root", s(&root)]),
        &[(dir, "[DIR]")]
    );
    assert_eq!(out.status.code(), Some(1));
}

// ---- kms_integrity ----

fn openssl(args: &[&str]) -> Vec<u8> {
    let out = crate::tool("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// An Ed25519 key pair made by openssl in `dir`: (private PEM, public PEM).
fn keypair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let (k, p) = (
        dir.join(format!("{name}.key.pem")),
        dir.join(format!("{name}.pub.pem")),
    );
    openssl(&["genpkey", "-algorithm", "ed25519", "-out", s(&k)]);
    openssl(&["pkey", "-in", s(&k), "-pubout", "-out", s(&p)]);
    (k, p)
}

/// `sha256:` and the SHA-256 of the DER SubjectPublicKeyInfo, as openssl writes it.
fn fingerprint(public: &Path) -> String {
    let der = openssl(&["pkey", "-pubin", "-in", s(public), "-outform", "DER"]);
    format!("sha256:{}", hex(&sha256(&der)))
}

fn sha256(b: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    sha2::Sha256::digest(b).to_vec()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Signs `baseline` with openssl alone, in the documented signature format (README,
/// "Signed baselines"): the check that the format is what it says, not what vigil's
/// own signer happens to write.
fn openssl_sign(baseline: &Path, key: &Path, public: &Path) {
    let dir = baseline.parent().unwrap();
    let data = std::fs::read(baseline).unwrap();
    let mut msg = b"vigil-baseline-signature-v1\n".to_vec();
    msg.extend(sha256(&data));
    let m = dir.join("msg.bin");
    std::fs::write(&m, &msg).unwrap();
    let sig = openssl(&["pkeyutl", "-sign", "-inkey", s(key), "-rawin", "-in", s(&m)]);
    let der = openssl(&["pkey", "-pubin", "-in", s(public), "-outform", "DER"]);
    let doc = serde_json::json!({
        "format": "vigil-baseline-signature",
        "version": 1,
        "algorithm": "ed25519",
        "public_key": hex(&der[der.len() - 32..]),
        "key_fingerprint": fingerprint(public),
        "baseline_sha256": hex(&sha256(&data)),
        "signature": hex(&sig),
    });
    let mut sigfile = baseline.as_os_str().to_os_string();
    sigfile.push(".sig");
    std::fs::write(sigfile, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
}

fn vigil_ok(args: &[&str]) -> String {
    let out = crate::vigil(args);
    assert!(
        out.status.success(),
        "vigil {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A KMS tree scanned live (`vigil baseline` records paths as this machine sees them),
/// its baseline kept in another directory (`off/`), signed by `vigil baseline create
/// --sign-key`, and a policy whose `[integrity] baseline` names a file that does not
/// exist: only `--baseline` can give the scan its baseline.
struct Signed {
    d: tempfile::TempDir,
    tree: PathBuf,
    baseline: PathBuf,
    key: PathBuf,
    public: PathBuf,
    policy: PathBuf,
}

fn signed() -> Signed {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("kms");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::write(tree.join("bin/vault"), b"\x7fELF vault").unwrap();
    std::fs::write(tree.join("vault.hcl"), "storage \"raft\" {}\n").unwrap();
    let off = d.path().join("off");
    std::fs::create_dir(&off).unwrap();
    let (key, public) = keypair(&off, "baseline");
    let baseline = off.join("kms.baseline");
    let out = vigil_ok(&[
        "baseline",
        "create",
        "--sign-key",
        s(&key),
        "--out",
        s(&baseline),
        s(&tree),
    ]);
    assert!(
        out.contains(&format!(
            "{}.sig: signed by key {}",
            baseline.display(),
            fingerprint(&public)
        )),
        "{out}"
    );
    let policy = d.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[integrity]\nbaseline = \"/nonexistent/kms.baseline\"\npaths = [{:?}]\n",
            s(&tree)
        ),
    )
    .unwrap();
    Signed {
        d,
        tree,
        baseline,
        key,
        public,
        policy,
    }
}

#[test]
fn a_signed_baseline_from_the_scanning_machine_is_verified_and_named_in_the_evidence() {
    let t = signed();
    let fp = fingerprint(&t.public);
    // vigil baseline check verifies it first.
    let out = vigil_ok(&[
        "baseline",
        "check",
        "--verify-key",
        s(&t.public),
        s(&t.baseline),
    ]);
    assert!(
        out.starts_with(&format!("signature verified: key {fp}\n")),
        "{out}"
    );

    let extra = ["--baseline", s(&t.baseline), "--baseline-key", s(&t.public)];
    let (code, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    assert_eq!(
        result(&doc, "kms_integrity"),
        "pass",
        "{}",
        messages(&doc, "kms_integrity")
    );
    assert_eq!(code, 0);
    let it = items(&doc, INTEGRITY_OBJECT);
    assert_eq!(it.len(), 2);
    for i in &it {
        assert_eq!(field(i, "baseline"), Some(s(&t.baseline)));
        assert_eq!(field(i, "baseline_read_from"), Some("scanner"));
        assert_eq!(field(i, "baseline_signature"), Some("verified"));
        assert_eq!(field(i, "baseline_key_fingerprint"), Some(fp.as_str()));
        assert!(
            field(i, "baseline_key")
                .unwrap()
                .starts_with(&format!("--baseline-key {}", t.public.display())),
            "{i}"
        );
    }

    // The same key from the policy (`public_key`, read on the scanning machine beside
    // a --baseline).
    let pol =
        std::fs::read_to_string(&t.policy).unwrap() + &format!("public_key = {:?}\n", s(&t.public));
    let policy2 = t.d.path().join("policy-key.toml");
    std::fs::write(&policy2, pol).unwrap();
    let (_, doc) = scan_rule("kms_integrity", &policy2, None, &extra[..2]);
    assert_eq!(result(&doc, "kms_integrity"), "pass");
    let it = items(&doc, INTEGRITY_OBJECT);
    assert!(
        field(&it[0], "baseline_key")
            .unwrap()
            .starts_with("[integrity] public_key"),
        "{:?}",
        it[0]
    );

    // Without a key the signature is not checked, and the items say so.
    let (_, doc) = scan_rule("kms_integrity", &t.policy, None, &extra[..2]);
    assert_eq!(result(&doc, "kms_integrity"), "pass");
    let it = items(&doc, INTEGRITY_OBJECT);
    assert_eq!(field(&it[0], "baseline_signature"), Some("not_checked"));
    assert_eq!(field(&it[0], "baseline_key_fingerprint"), None);

    // A file changed: fail, with the difference and the verified baseline named.
    std::fs::write(t.tree.join("vault.hcl"), "storage \"file\" {}\n").unwrap();
    let (code, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    assert_eq!(result(&doc, "kms_integrity"), "fail");
    assert_eq!(code, 2);
    let it = items(&doc, INTEGRITY_OBJECT);
    let changed = item_named(&it, "matches_baseline", "false");
    assert!(field(changed, "difference").unwrap().starts_with("sha256 "));
    assert_eq!(field(changed, "baseline_signature"), Some("verified"));
}

#[test]
fn a_tampered_baseline_or_a_bad_signature_is_an_error_never_a_comparison() {
    let t = signed();
    let dirs = [(t.d.path(), "[DIR]")];
    let extra = ["--baseline", s(&t.baseline), "--baseline-key", s(&t.public)];
    let error_message = |doc: &Value| {
        assert_eq!(result(doc, "kms_integrity"), "error");
        assert!(items(doc, INTEGRITY_OBJECT).is_empty());
        let m = object(doc, INTEGRITY_OBJECT)["messages"][0]
            .as_str()
            .unwrap()
            .to_string();
        crate::snap::filter(&m, &dirs)
    };

    // An attacker changes the recorded hash of the file they replaced.
    let vault = t.tree.join("bin/vault");
    std::fs::write(&vault, b"\x7fELF vault with a backdoor").unwrap();
    let text = std::fs::read_to_string(&t.baseline).unwrap();
    let old = hex(&sha256(b"\x7fELF vault"));
    let new = hex(&sha256(b"\x7fELF vault with a backdoor"));
    assert!(text.contains(&old));
    std::fs::write(&t.baseline, text.replace(&old, &new)).unwrap();
    let (code, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    insta::assert_snapshot!("integrity_tampered_baseline", error_message(&doc));
    assert_eq!(code, 2);
    // vigil baseline check refuses it the same way (exit 1).
    let out = vigil_snapshot!(
        "baseline_check_tampered",
        crate::snap::vigil_cmd(&[
            "baseline",
            "check",
            "--verify-key",
            s(&t.public),
            s(&t.baseline)
        ]),
        &dirs
    );
    assert_eq!(out.status.code(), Some(1));

    // Re-signed by the attacker's own key: signed, but not by the trusted key.
    let (k2, p2) = keypair(t.d.path(), "attacker");
    openssl_sign(&t.baseline, &k2, &p2);
    let (_, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    insta::assert_snapshot!("integrity_signed_by_another_key", error_message(&doc));

    // Signed with the trusted key by openssl alone, in the documented format: verified.
    openssl_sign(&t.baseline, &t.key, &t.public);
    let (_, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    assert_eq!(
        result(&doc, "kms_integrity"),
        "pass",
        "{}",
        messages(&doc, "kms_integrity")
    );

    // No signature at all.
    let mut sig = t.baseline.as_os_str().to_os_string();
    sig.push(".sig");
    std::fs::remove_file(&sig).unwrap();
    let (_, doc) = scan_rule("kms_integrity", &t.policy, None, &extra);
    insta::assert_snapshot!("integrity_unsigned_baseline", error_message(&doc));
    let (_, doc) = scan_rule("kms_integrity", &t.policy, None, &extra[..2]);
    assert_eq!(
        field(&items(&doc, INTEGRITY_OBJECT)[0], "baseline_signature"),
        Some("unsigned")
    );

    // A baseline that is not there, and a key that is not a key.
    let missing = t.d.path().join("off/missing.baseline");
    let (_, doc) = scan_rule(
        "kms_integrity",
        &t.policy,
        None,
        &["--baseline", s(&missing)],
    );
    insta::assert_snapshot!("integrity_baseline_missing", error_message(&doc));
    let (_, doc) = scan_rule(
        "kms_integrity",
        &t.policy,
        None,
        &["--baseline", s(&t.baseline), "--baseline-key", s(&t.policy)],
    );
    insta::assert_snapshot!("integrity_key_not_a_key", error_message(&doc));
}

/// `--baseline` is read on the scanning machine, never under `--root`: the image's own
/// baseline (which whoever controls the image can rewrite to match their changes) is
/// used only without it.
#[test]
fn a_baseline_outside_the_root_is_not_resolved_under_it() {
    crate::testtool::require_root("vigil baseline create reads the image as root");
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("image");
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("var/lib/vigil")).unwrap();
    let vault = root.join("usr/bin/vault");
    std::fs::write(&vault, b"\x7fELF vault").unwrap();
    // The honest baseline, made while the image was good, with the image's paths (as
    // on its own host), kept off the image and signed.
    let made = d.path().join("made.baseline");
    vigil_ok(&["baseline", "create", "--out", s(&made), s(&vault)]);
    let relocate = |from: &Path, to: &Path| {
        let text = std::fs::read_to_string(from).unwrap();
        std::fs::write(to, text.replace(s(&root), "")).unwrap();
    };
    let off = d.path().join("off");
    std::fs::create_dir(&off).unwrap();
    let honest = off.join("kms.baseline");
    relocate(&made, &honest);
    let (key, public) = keypair(&off, "site");
    openssl_sign(&honest, &key, &public);
    // The intruder replaces the binary and rewrites the image's own baseline to match.
    std::fs::write(&vault, b"\x7fELF vault with a backdoor").unwrap();
    vigil_ok(&["baseline", "create", "--out", s(&made), s(&vault)]);
    relocate(&made, &root.join("var/lib/vigil/kms.baseline"));
    let policy = d.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[integrity]\nbaseline = \"/var/lib/vigil/kms.baseline\"\npaths = [\"/usr/bin/vault\"]\n",
    )
    .unwrap();

    let (_, doc) = scan_rule("kms_integrity", &policy, Some(&root), &[]);
    assert_eq!(result(&doc, "kms_integrity"), "pass", "the image's word");
    let it = items(&doc, INTEGRITY_OBJECT);
    assert_eq!(
        field(&it[0], "baseline"),
        Some("/var/lib/vigil/kms.baseline")
    );
    assert_eq!(field(&it[0], "baseline_read_from"), Some("host"));
    assert_eq!(field(&it[0], "baseline_signature"), Some("unsigned"));

    let (code, doc) = scan_rule(
        "kms_integrity",
        &policy,
        Some(&root),
        &["--baseline", s(&honest), "--baseline-key", s(&public)],
    );
    assert_eq!(result(&doc, "kms_integrity"), "fail");
    assert_eq!(code, 2);
    let it = items(&doc, INTEGRITY_OBJECT);
    assert_eq!(field(&it[0], "path"), Some("/usr/bin/vault"));
    assert!(field(&it[0], "difference").unwrap().starts_with("sha256 "));
    assert_eq!(field(&it[0], "baseline"), Some(s(&honest)));
    assert_eq!(field(&it[0], "baseline_read_from"), Some("scanner"));
    assert_eq!(
        field(&it[0], "baseline_key_fingerprint"),
        Some(fingerprint(&public).as_str())
    );

    // A path given with --baseline is not looked up under the root: the image's
    // baseline path, given as a flag, names this machine's file (which is not there).
    let (_, doc) = scan_rule(
        "kms_integrity",
        &policy,
        Some(&root),
        &["--baseline", "/var/lib/vigil/kms.baseline"],
    );
    assert_eq!(result(&doc, "kms_integrity"), "error");
    let m = messages(&doc, "kms_integrity");
    assert!(
        m.contains(
            "/var/lib/vigil/kms.baseline: integrity baseline not found (on the scanning machine)"
        ),
        "{m}"
    );

    // `public_key` without --baseline is read in the image, and the image's baseline
    // must then be signed: it is not.
    std::fs::create_dir_all(root.join("etc/vigil")).unwrap();
    std::fs::copy(&public, root.join("etc/vigil/baseline.pub.pem")).unwrap();
    std::fs::write(
        &policy,
        "[integrity]\nbaseline = \"/var/lib/vigil/kms.baseline\"\npaths = [\"/usr/bin/vault\"]\n\
         public_key = \"/etc/vigil/baseline.pub.pem\"\n",
    )
    .unwrap();
    let (_, doc) = scan_rule("kms_integrity", &policy, Some(&root), &[]);
    assert_eq!(result(&doc, "kms_integrity"), "error");
    let m = messages(&doc, "kms_integrity");
    assert!(
        m.contains(
            "has no signature: /var/lib/vigil/kms.baseline.sig not found (on the scanned host)"
        ),
        "{m}"
    );
}

#[test]
fn no_integrity_section_is_not_applicable() {
    let d = tempfile::tempdir().unwrap();
    let policy = d.path().join("policy.toml");
    std::fs::write(&policy, "[site]\nname = \"x\"\n").unwrap();
    let (_, doc) = scan_rule("kms_integrity", &policy, None, &[]);
    assert_eq!(result(&doc, "kms_integrity"), "notapplicable");
    let m = messages(&doc, "kms_integrity");
    assert!(
        m.contains("nothing to check: the policy declares no [integrity]"),
        "{m}"
    );
}

/// A `--host` scan uploads `--baseline`, its signature and `--baseline-key`: the
/// baseline on this machine judges the host over ssh as it does locally, and a
/// baseline tampered with here is refused there.
#[test]
fn a_remote_scan_takes_the_baseline_and_its_key_along() {
    let t = signed();
    let mut lab = crate::remote::Lab::new();
    let port = lab.sshd("", "hostkey");
    let ds = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/content/ccm-log11/vigil-ccm-log11-ds.xml"
    );
    let remote = |extra: &[&str]| -> Value {
        let out = lab
            .real_scan(Path::new(ds))
            .args([
                "--host",
                &crate::remote::host(port),
                "--json",
                "-",
                "--quiet",
            ])
            .args(["--rule", "kms_integrity", "--policy", s(&t.policy)])
            .args(extra)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", crate::remote::text(&out)))
    };
    let extra = ["--baseline", s(&t.baseline), "--baseline-key", s(&t.public)];
    let doc = remote(&extra);
    assert_eq!(
        result(&doc, "kms_integrity"),
        "pass",
        "{}",
        messages(&doc, "kms_integrity")
    );
    let it = items(&doc, INTEGRITY_OBJECT);
    assert_eq!(field(&it[0], "baseline_signature"), Some("verified"));
    assert_eq!(
        field(&it[0], "baseline_key_fingerprint"),
        Some(fingerprint(&t.public).as_str())
    );
    assert_eq!(field(&it[0], "baseline_read_from"), Some("scanner"));

    let text = std::fs::read_to_string(&t.baseline).unwrap();
    std::fs::write(&t.baseline, text.replacen("\"0644\"", "\"0600\"", 1)).unwrap();
    let doc = remote(&extra);
    assert_eq!(result(&doc, "kms_integrity"), "error");
    assert!(
        messages(&doc, "kms_integrity").contains("it changed after it was signed"),
        "{}",
        messages(&doc, "kms_integrity")
    );
    assert!(lab.leftovers().is_empty(), "{:?}", lab.leftovers());
}
