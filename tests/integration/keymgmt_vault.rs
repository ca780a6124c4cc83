//! Issue 17 item 5, the Vault hardening rules of the bundled benchmark
//! (`vault_hardening_object`) on offline roots: a hardened Vault server where every rule
//! passes, its broken twin where each violation fails the rule it belongs to with
//! evidence naming the setting, file and record, a host with no Vault (every rule not
//! applicable, saying where vigil looked), and configurations vigil cannot read (a
//! garbled HCL file, an expression, swap it cannot see), which are errors with the
//! reason, never a guess. The roots are real files with real owners and modes (the
//! tests run as root); `/proc` entries of a running vault are files under the root, as
//! an offline root's `/proc` is read.

use std::os::unix::fs::{PermissionsExt, chown};
use std::path::{Path, PathBuf};

use serde_json::Value;

const RULES: [&str; 9] = [
    "vault_audit_devices",
    "vault_audit_file_protected",
    "vault_audit_options",
    "vault_not_root",
    "vault_memory_locked",
    "vault_core_dumps_off",
    "vault_listener_tls",
    "vault_no_root_activity",
    "vault_storage_protected",
];

const VAULT_UID: u32 = 997;

const POLICY: &str = r#"[siem]
host = "siem.example.net"
vault_audit_list = "/var/lib/vigil/vault-audit.json"

[[audit_logs]]
name = "vault-audit"
format = "vault"
path = "/var/log/vault/audit.log"
retention_days = 365
max_silence = "1h"
owner = "vault"
mode = "0600"
"#;

/// Writes `text` at `rel` under `root` with `mode`, owned by `uid`.
fn put(root: &Path, rel: &str, text: &str, mode: u32, uid: u32) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, text).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    chown(&p, Some(uid), Some(uid)).unwrap();
}

fn dir(root: &Path, rel: &str, mode: u32, uid: u32) {
    let p = root.join(rel);
    std::fs::create_dir_all(&p).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    chown(&p, Some(uid), Some(uid)).unwrap();
}

const HARDENED_HCL: &str = r#"ui = true
disable_mlock = false

storage "raft" {
  path    = "/opt/vault/data"
  node_id = "vault-1"
}

listener "tcp" {
  address         = "0.0.0.0:8200"
  tls_cert_file   = "/opt/vault/tls/tls.crt"
  tls_key_file    = "/opt/vault/tls/tls.key"
  tls_min_version = "tls13"
}

listener "unix" {
  address = "/run/vault/vault.sock"
}
"#;

const BROKEN_HCL: &str = r#"disable_mlock = true

storage "file" {
  path = "/opt/vault/data"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = "true"
}

listener "tcp" {
  address         = "0.0.0.0:8201"
  tls_min_version = "tls10"
}
"#;

const CLEAN_LOG: &str = r#"{"time":"2026-12-01T10:00:00Z","type":"request","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","policies":["default","kms-admin"],"token_policies":["default","kms-admin"],"metadata":{"username":"alice"}},"request":{"id":"r1","operation":"update","path":"transit/encrypt/app","client_token":"hmac-sha256:aa"}}
{"time":"2026-12-01T10:00:00Z","type":"response","auth":{"client_token":"hmac-sha256:aa","display_name":"userpass-alice","policies":["default","kms-admin"],"metadata":{"username":"alice"}},"request":{"id":"r1","operation":"update","path":"transit/encrypt/app"},"response":{}}
"#;

const ROOT_LOG: &str = r#"{"time":"2026-12-02T03:00:00Z","type":"request","auth":{"client_token":"hmac-sha256:bb","display_name":"root","policies":["root"],"token_policies":["root"]},"request":{"id":"r7","operation":"read","path":"secret/data/db","client_token":"hmac-sha256:bb"}}
{"time":"2026-12-02T03:05:00Z","type":"request","request":{"id":"r8","operation":"update","path":"sys/generate-root/attempt"}}
"#;

/// A Vault server root; `broken` gives it one violation per rule.
fn vault_root(broken: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("root");
    let r = root.as_path();
    put(
        r,
        "etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nvault:x:997:997::/opt/vault:/usr/sbin/nologin\n",
        0o644,
        0,
    );
    put(r, "etc/group", "root:x:0:\nvault:x:997:\n", 0o644, 0);
    let unit = if broken {
        "[Unit]\nDescription=Vault\n\n[Service]\nExecStart=/usr/bin/vault server -config=/etc/vault.d/vault.hcl\nLimitCORE=infinity\n"
    } else {
        "[Unit]\nDescription=Vault\n\n[Service]\nUser=vault\nGroup=vault\nExecStart=/usr/bin/vault server -config=/etc/vault.d/vault.hcl\nLimitCORE=infinity\n"
    };
    put(r, "lib/systemd/system/vault.service", unit, 0o644, 0);
    if !broken {
        // The drop-in overrides the vendor unit's limit.
        put(
            r,
            "etc/systemd/system/vault.service.d/hardening.conf",
            "[Service]\nLimitCORE=0\n",
            0o644,
            0,
        );
    }
    put(
        r,
        "etc/vault.d/vault.hcl",
        if broken { BROKEN_HCL } else { HARDENED_HCL },
        0o640,
        0,
    );
    // Not named by -config, so not read: it would fail listener_tls.
    put(
        r,
        "etc/vault.d/old.json",
        r#"{"listener": {"tcp": {"tls_disable": true}}}"#,
        0o640,
        0,
    );
    let owner = if broken { 0 } else { VAULT_UID };
    dir(
        r,
        "opt/vault/data",
        if broken { 0o755 } else { 0o700 },
        owner,
    );
    dir(r, "var/log/vault", 0o700, VAULT_UID);
    put(
        r,
        "var/log/vault/audit.log",
        &if broken {
            format!("{CLEAN_LOG}{ROOT_LOG}")
        } else {
            CLEAN_LOG.to_string()
        },
        if broken { 0o644 } else { 0o600 },
        owner,
    );
    let list = if broken {
        r#"{"file/":{"type":"file","description":"","options":{"file_path":"/var/log/vault/audit.log","log_raw":"true","hmac_accessor":"false","exclude":"[{\"fields\":[\"/request/remote_address\"]}]"}}}"#
    } else {
        r#"{"file/":{"type":"file","description":"","options":{"file_path":"/var/log/vault/audit.log","mode":"0600"}},"siem/":{"type":"socket","description":"","options":{"address":"siem.example.net:9090","socket_type":"tcp","hmac_accessor":"true"}}}"#
    };
    put(r, "var/lib/vigil/vault-audit.json", list, 0o600, 0);
    let uid = if broken { 0 } else { VAULT_UID };
    put(r, "proc/4242/comm", "vault\n", 0o444, 0);
    put(
        r,
        "proc/4242/status",
        &format!(
            "Name:\tvault\nUid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{uid}\t{uid}\t{uid}\t{uid}\n"
        ),
        0o444,
        0,
    );
    let core = if broken { "unlimited" } else { "0" };
    put(
        r,
        "proc/4242/limits",
        &format!(
            "Limit                     Soft Limit           Hard Limit           Units\nMax file size             unlimited            unlimited            bytes\nMax core file size        {core}                    unlimited            bytes\n"
        ),
        0o444,
        0,
    );
    put(r, "proc/77/comm", "sshd\n", 0o444, 0);
    let swaps = if broken {
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda3                               partition\t2097148\t\t0\t\t-2\n"
    } else {
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n"
    };
    put(r, "proc/swaps", swaps, 0o444, 0);
    let policy = d.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    (d, root, policy)
}

/// `vigil scan --root ROOT [--policy P]` of the Vault rules: exit code and JSON.
fn scan(root: &Path, policy: Option<&Path>) -> (i32, Value) {
    let mut args = vec!["--root", root.to_str().unwrap()];
    if let Some(p) = policy {
        args.extend(["--policy", p.to_str().unwrap()]);
    }
    for r in RULES {
        args.extend(["--rule", r]);
    }
    crate::scan_json(&args)
}

fn rule<'a>(doc: &'a Value, short: &str) -> &'a Value {
    doc["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == format!("xccdf_dev.vigil_rule_{short}"))
        .unwrap_or_else(|| panic!("no rule {short}"))
}

fn result(doc: &Value, short: &str) -> String {
    rule(doc, short)["result"].as_str().unwrap().to_string()
}

/// Every item of the rule's object (the object id is the rule's definition number).
fn items(doc: &Value, short: &str) -> Vec<Value> {
    let n = match RULES.iter().position(|r| *r == short) {
        Some(i) => 60 + i,
        None => panic!("{short}"),
    };
    let id = format!("oval:dev.vigil.ccm:obj:{n}");
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

fn field<'a>(item: &'a Value, name: &str) -> Vec<&'a str> {
    item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .filter_map(|f| f["value"].as_str())
        .collect()
}

/// The failing items of a rule, as `subject | source | value | reason` lines.
fn failing(doc: &Value, short: &str) -> Vec<String> {
    items(doc, short)
        .iter()
        .filter(|i| field(i, "compliant") == ["false"])
        .map(|i| {
            format!(
                "{} | {} | {} | {}",
                field(i, "subject").join(""),
                field(i, "source").join(""),
                field(i, "value").join(""),
                field(i, "reason").join("")
            )
        })
        .collect()
}

#[test]
fn hardened_vault_passes_every_rule() {
    let (_d, root, policy) = vault_root(false);
    let (_, doc) = scan(&root, Some(&policy));
    for r in RULES {
        assert_eq!(result(&doc, r), "pass", "{r}: {:#}", rule(&doc, r));
    }
    // The evidence says what was read, and from where.
    let tls = items(&doc, "vault_listener_tls");
    assert_eq!(
        tls.len(),
        1,
        "only the tcp listener of the -config file: {tls:#?}"
    );
    assert_eq!(field(&tls[0], "source"), ["/etc/vault.d/vault.hcl:13"]);
    assert_eq!(field(&tls[0], "value"), ["tls_min_version = tls13"]);
    let core = items(&doc, "vault_core_dumps_off");
    assert_eq!(field(&core[0], "subject"), ["vault process 4242"]);
    let users: Vec<_> = items(&doc, "vault_not_root")
        .iter()
        .map(|i| field(i, "source").join(""))
        .collect();
    assert_eq!(
        users,
        ["/lib/systemd/system/vault.service:5", "/proc/4242/status"]
    );
    assert_eq!(
        field(&items(&doc, "vault_audit_devices")[0], "value"),
        ["2"]
    );
    assert_eq!(items(&doc, "vault_audit_options").len(), 6);
}

#[test]
fn broken_vault_fails_each_rule_naming_the_setting() {
    let (_d, root, policy) = vault_root(true);
    let (code, doc) = scan(&root, Some(&policy));
    assert_eq!(code, 2, "findings exit 2");
    for r in RULES {
        assert_eq!(result(&doc, r), "fail", "{r}: {:#}", rule(&doc, r));
    }
    let f = |r| failing(&doc, r);
    assert_eq!(
        f("vault_audit_devices"),
        [
            "/var/lib/vigil/vault-audit.json | /var/lib/vigil/vault-audit.json | 1 | 1 audit device(s) enabled (file/); HashiCorp asks for at least two"
        ]
    );
    assert_eq!(
        f("vault_audit_file_protected"),
        [
            "audit device file/ (/var/log/vault/audit.log) | /var/lib/vigil/vault-audit.json (audit device file/) | 0644 root | the audit log mode 0644 gives group or other access and owned by root, not the Vault user vault"
        ]
    );
    let opts = f("vault_audit_options");
    assert_eq!(opts.len(), 3, "{opts:#?}");
    assert!(opts[0].contains("| true | log_raw is true"), "{opts:#?}");
    assert!(
        opts[1].contains("| false | hmac_accessor is false"),
        "{opts:#?}"
    );
    assert!(opts[2].contains("exclude=[{\"fields\""), "{opts:#?}");
    assert_eq!(
        f("vault_not_root"),
        [
            "/lib/systemd/system/vault.service | /lib/systemd/system/vault.service | root (no User=) | the unit sets no User=, so systemd runs Vault as root",
            "vault process 4242 | /proc/4242/status | 0 (root) | the running Vault process is root"
        ]
    );
    assert_eq!(
        f("vault_memory_locked"),
        [
            "disable_mlock | /etc/vault.d/vault.hcl:1; /proc/swaps | true | memory locking is off and swap is active (/dev/sda3): secrets can reach disk"
        ]
    );
    assert_eq!(
        f("vault_core_dumps_off"),
        [
            "vault process 4242 | /proc/4242/limits | unlimited (hard unlimited) | RLIMIT_CORE is unlimited: a crash writes Vault's memory, keys included, to disk"
        ]
    );
    assert_eq!(
        f("vault_listener_tls"),
        [
            "listener \"tcp\" 127.0.0.1:8200 | /etc/vault.d/vault.hcl:9 | tls_disable = true | TLS is disabled on this listener: tokens and secrets cross the network in clear",
            "listener \"tcp\" 0.0.0.0:8201 | /etc/vault.d/vault.hcl:14 | tls_min_version = tls10 | tls_min_version tls10 allows protocols older than TLS 1.2"
        ]
    );
    assert_eq!(
        f("vault_storage_protected"),
        [
            "storage \"file\" /opt/vault/data | /etc/vault.d/vault.hcl:4 | 0755 root | the storage directory mode 0755 gives group or other access and owned by root, not the Vault user vault"
        ]
    );
    let root_items = items(&doc, "vault_no_root_activity");
    let records = field(&root_items[0], "record");
    assert_eq!(records.len(), 2, "{root_items:#?}");
    assert!(
        records[0].starts_with("/var/log/vault/audit.log:3 [root_token] {")
            && records[0].contains("secret/data/db"),
        "{records:?}"
    );
    assert!(
        records[1].starts_with("/var/log/vault/audit.log:4 [generate_root] {")
            && records[1].contains("sys/generate-root/attempt"),
        "{records:?}"
    );
}

#[test]
fn without_vault_every_rule_is_not_applicable_saying_where_vigil_looked() {
    let d = tempfile::tempdir().unwrap();
    put(
        d.path(),
        "etc/passwd",
        "root:x:0:0::/root:/bin/sh\n",
        0o644,
        0,
    );
    let (_, doc) = scan(d.path(), None);
    for r in RULES {
        assert_eq!(result(&doc, r), "notapplicable", "{r}");
        let msg = rule(&doc, r)["messages"].to_string();
        assert!(
            msg.contains(
                "no Vault server configuration found (looked in /etc/vault.d/*.hcl, /etc/vault.d/*.json and vault.service (no such unit))"
            ),
            "{r}: {msg}"
        );
    }
}

#[test]
fn without_a_policy_the_host_rules_still_judge_and_the_audit_list_rules_name_the_field() {
    let (_d, root, _) = vault_root(true);
    let (_, doc) = scan(&root, None);
    for r in [
        "vault_not_root",
        "vault_listener_tls",
        "vault_storage_protected",
    ] {
        assert_eq!(result(&doc, r), "fail", "{r}");
    }
    // Discovery finds /var/log/vault/*.log, so root activity is judged too.
    assert_eq!(result(&doc, "vault_no_root_activity"), "fail");
    assert_eq!(result(&doc, "vault_audit_devices"), "notapplicable");
    let msg = rule(&doc, "vault_audit_devices")["messages"].to_string();
    assert!(msg.contains("[siem] vault_audit_list"), "{msg}");
}

#[test]
fn config_vigil_cannot_read_is_an_error_with_the_reason() {
    let (_d, root, policy) = vault_root(false);
    put(
        &root,
        "etc/vault.d/vault.hcl",
        "storage \"raft\" {\n  path = \"/opt/vault/data\"\n\nlistener \"tcp\" {\n  address = \n}\n",
        0o640,
        0,
    );
    let (_, doc) = scan(&root, Some(&policy));
    for r in [
        "vault_listener_tls",
        "vault_memory_locked",
        "vault_storage_protected",
    ] {
        assert_eq!(result(&doc, r), "error", "{r}");
        let msg = rule(&doc, r)["messages"].to_string();
        assert!(
            msg.contains("/etc/vault.d/vault.hcl:") && msg.contains("not valid HCL"),
            "{r}: {msg}"
        );
    }
    // What does not need the file still passes.
    assert_eq!(result(&doc, "vault_not_root"), "pass");

    // Readable, but an expression and a swap state vigil cannot see.
    put(
        &root,
        "etc/vault.d/vault.hcl",
        "disable_mlock = true\nlistener \"tcp\" {\n  tls_min_version = var.tls\n}\n",
        0o640,
        0,
    );
    std::fs::remove_file(root.join("proc/swaps")).unwrap();
    let (_, doc) = scan(&root, Some(&policy));
    for (r, why) in [
        (
            "vault_listener_tls",
            "/etc/vault.d/vault.hcl:3: tls_min_version is an expression vigil does not evaluate",
        ),
        (
            "vault_memory_locked",
            "disable_mlock is true and /proc/swaps is not there",
        ),
    ] {
        assert_eq!(result(&doc, r), "error", "{r}: {:#}", rule(&doc, r));
        let all = format!("{:#}{:#}", rule(&doc, r), items(&doc, r)[0]);
        assert!(all.contains(why), "{r}: {all}");
    }
    // An unreadable audit list is an error, not a pass over no devices.
    put(
        &root,
        "var/lib/vigil/vault-audit.json",
        "Success! Enabled",
        0o600,
        0,
    );
    let (_, doc) = scan(&root, Some(&policy));
    assert_eq!(result(&doc, "vault_audit_devices"), "error");
    let msg = rule(&doc, "vault_audit_devices")["messages"].to_string();
    assert!(
        msg.contains("/var/lib/vigil/vault-audit.json: not the JSON of `vault audit list -format=json -detailed`"),
        "{msg}"
    );
}
