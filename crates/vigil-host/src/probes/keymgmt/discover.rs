//! Discovery: the policy a scan works from when it is given none (`vigil scan` without
//! `--policy`), and what `vigil policy init` writes as a starter policy.
//!
//! Everything here is read from the host, never assumed: private keys and their
//! certificates in the places key material conventionally lives (`/etc/ssl/private`,
//! `/etc/pki`, the SSH host keys, `/etc/letsencrypt`, Vault's TLS directories,
//! `/etc/kms`) and in the paths that service configurations name (sshd `HostKey`,
//! Vault `tls_key_file`, nginx `ssl_certificate_key`, Apache `SSLCertificateKeyFile`,
//! Postfix `smtpd_tls_key_file`); the auditd log its `auditd.conf` names (when auditd
//! is installed) and Vault file audit logs under `/var/log/vault`; the Vault server's
//! configuration ([`vault_server`]: the `-config` of `vault.service`, else
//! `/etc/vault.d/*.hcl` and `*.json`), which the Vault hardening probe reads with or
//! without a policy. What needs site facts
//! (roles and their separation, approved fingerprints, creation dates, retention duties,
//! the SIEM, minimum versions, an integrity baseline) stays empty, so the rules that need
//! it are `not applicable` and say which policy field would enable them
//! ([`super::not_declared`]).

use std::collections::BTreeSet;
use std::path::Path;

use super::keys::MAX_KEY_FILE;
use super::keys::material::{self, Kind};
use crate::host::{Host, fileattrs};
use crate::policy::{AuditLog, Detection, Key, KeyState, LogFormat, Policy};

/// Directories searched for private keys and certificates, recursively.
pub const KEY_PLACES: &[&str] = &[
    "/etc/ssl/private",
    "/etc/pki",
    "/etc/ssh",
    "/etc/letsencrypt",
    "/etc/vault.d",
    "/opt/vault/tls",
    "/etc/kms",
];

/// Directories searched (one level) only for certificates that may pair with a key
/// found elsewhere (`/etc/ssl/private/X.key` with `/etc/ssl/certs/X.pem`); links are not
/// followed, so the system's CA links are not read.
const CERT_PLACES: &[&str] = &["/etc/ssl/certs"];

/// Service configurations that name key and certificate files.
const CONFIG_PLACES: &[&str] = &[
    "/etc/ssh/sshd_config",
    "/etc/ssh/sshd_config.d",
    "/etc/vault.d",
    "/etc/nginx/nginx.conf",
    "/etc/nginx/sites-enabled",
    "/etc/nginx/conf.d",
    "/etc/apache2/sites-enabled",
    "/etc/postfix/main.cf",
];

/// Directives (case-insensitive) whose value is a private key's path, and those whose
/// value is a certificate's.
const KEY_DIRECTIVES: &[&str] = &[
    "hostkey",
    "tls_key_file",
    "ssl_certificate_key",
    "sslcertificatekeyfile",
    "smtpd_tls_key_file",
];
const CERT_DIRECTIVES: &[&str] = &[
    "tls_cert_file",
    "ssl_certificate",
    "sslcertificatefile",
    "smtpd_tls_cert_file",
];

/// Logs searched, with the audit logs, for key material (`[scan] log_paths`): every
/// text log (the probe skips the journal and other binary files).
const LOG_PLACES: &[&str] = &["/var/log"];

/// How deep the key places are walked, and how many files at most: a host with more
/// is still scanned, the rest is not searched (and `vigil policy init` says so).
const MAX_DEPTH: usize = 8;
const MAX_FILES: usize = 20_000;

/// Freshness bound of a discovered audit log: a running auditd records daemon, login
/// and cron events, so a week without a record means it is not recording.
pub const DISCOVERED_MAX_SILENCE_SECS: u64 = 7 * 86400;

/// What discovery found, beyond the policy it makes: where it looked.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    /// Places searched for keys that exist on the host.
    pub searched: Vec<String>,
    /// Whether the file bound was reached (some files were not examined).
    pub truncated: bool,
}

/// The policy of a scan without `--policy`: the keys and logs found on `host`, and
/// nothing that needs site facts.
pub fn discover(host: &Host, max_file_size: u64) -> Policy {
    discover_with_findings(host, max_file_size).0
}

/// [`discover`], with where it looked.
pub fn discover_with_findings(host: &Host, max_file_size: u64) -> (Policy, Findings) {
    let mut findings = Findings::default();
    let (named_keys, named_certs) = configured_paths(host, max_file_size);
    let mut files = Vec::new();
    let mut seen = BTreeSet::new();
    let mut visit = |f: crate::host::HostFile, files: &mut Vec<_>| {
        if f.meta.len() <= MAX_KEY_FILE && seen.insert(f.real.clone()) {
            files.push(f);
        }
    };
    for place in KEY_PLACES
        .iter()
        .map(|p| p.to_string())
        .chain(named_keys.iter().cloned())
        .chain(named_certs.iter().cloned())
    {
        let Ok(found) = fileattrs::walk_files(host, Path::new(&place), MAX_DEPTH) else {
            continue;
        };
        if KEY_PLACES.contains(&place.as_str())
            && host.resolve(Path::new(&place)).ok().flatten().is_some()
        {
            findings.searched.push(place.clone());
        }
        for f in found {
            if files.len() >= MAX_FILES {
                findings.truncated = true;
                break;
            }
            visit(f, &mut files);
        }
    }
    for place in CERT_PLACES {
        if let Ok(found) = fileattrs::walk_files(host, Path::new(place), 1) {
            for f in found {
                visit(f, &mut files);
            }
        }
    }

    // Private keys, and certificates to pair with them by public key.
    let mut keys: Vec<(String, Option<String>)> = Vec::new();
    let mut certs: Vec<(String, String)> = Vec::new();
    for f in &files {
        let Ok(data) = f.read(MAX_KEY_FILE.min(max_file_size)) else {
            continue;
        };
        let path = f.host_path.to_string_lossy().to_string();
        for info in material::analyse(&data) {
            match info.kind {
                Some(Kind::PrivateKey) => {
                    keys.push((path.clone(), info.spki_sha256.clone()));
                    break;
                }
                Some(Kind::Certificate) => {
                    if let Some(s) = info.spki_sha256 {
                        certs.push((path.clone(), s));
                    }
                    // The first certificate of a chain file is the server's.
                    break;
                }
                _ => {}
            }
        }
    }
    let keys = keys
        .into_iter()
        .map(|(path, spki)| {
            let certificate = spki.and_then(|s| {
                certs
                    .iter()
                    .find(|(_, cs)| *cs == s)
                    .map(|(p, _)| p.clone())
            });
            discovered_key(path, certificate)
        })
        .collect();

    let mut audit_logs = Vec::new();
    if let Some(log) = auditd_log(host, max_file_size) {
        audit_logs.push(log);
    }
    if let Ok(found) = fileattrs::walk_files(host, Path::new("/var/log/vault"), 1) {
        for f in found {
            let p = f.host_path.to_string_lossy().to_string();
            if p.ends_with(".log") {
                audit_logs.push(AuditLog {
                    name: format!("vault:{p}"),
                    format: LogFormat::Vault,
                    path: p,
                    retention_days: None,
                    max_silence_secs: DISCOVERED_MAX_SILENCE_SECS,
                    owner: "vault".into(),
                    group: None,
                    mode: 0o600,
                    append_only: false,
                    digest_directory: None,
                    digest_public_keys: Vec::new(),
                });
            }
        }
    }
    // No audit trail at all is a finding, not an absence of facts: the log auditd
    // would write is expected, so audit_log_present fails naming it, and the rules
    // about a log's content have nothing that exists to judge.
    if audit_logs.is_empty() {
        audit_logs.push(AuditLog {
            name: "auditd (not configured: no /etc/audit/auditd.conf, no Vault audit log found)"
                .into(),
            format: LogFormat::Auditd,
            path: "/var/log/audit/audit.log".into(),
            retention_days: None,
            max_silence_secs: DISCOVERED_MAX_SILENCE_SECS,
            owner: "root".into(),
            group: None,
            mode: 0o600,
            append_only: false,
            digest_directory: None,
            digest_public_keys: Vec::new(),
        });
    }
    let log_paths = LOG_PLACES
        .iter()
        .filter(|p| host.resolve(Path::new(p)).ok().flatten().is_some())
        .map(|p| p.to_string())
        .collect();

    let policy = Policy {
        path: Default::default(),
        discovered: true,
        site: String::new(),
        roles: Vec::new(),
        separation: Vec::new(),
        keys,
        key_directories: findings.searched.clone(),
        log_paths,
        audit_logs,
        siem: None,
        software: Vec::new(),
        integrity: None,
        detection: Detection::default(),
        aws_key_policies: Vec::new(),
        kms_keys: Vec::new(),
    };
    (policy, findings)
}

/// Vault's systemd unit, whose `ExecStart=` `-config` arguments name its configuration.
pub const VAULT_UNIT: &str = "vault.service";
/// Where Vault's packages put its configuration; read when the unit names none.
pub const VAULT_CONFIG_DIR: &str = "/etc/vault.d";
/// Most configuration files read of one Vault server.
const MAX_VAULT_FILES: usize = 64;

/// Where a Vault server's configuration is, as found on the host.
#[derive(Debug, Clone)]
pub struct VaultServer {
    /// `vault.service`, when a unit directory has it (`Err`: it exists and cannot be
    /// read).
    pub unit: Result<Option<super::audit_config::forwarders::units::Unit>, String>,
    /// The configuration files, in the order Vault loads them (only those that exist).
    pub config_files: Vec<String>,
    /// Where vigil looked, for the message when nothing is found.
    pub looked_in: String,
}

/// Finds the Vault server's configuration: the files and directories the `-config`
/// (or `--config`) arguments of `vault.service`'s `ExecStart=` name (a directory's
/// `*.hcl` and `*.json` files, sorted, as Vault loads them), else those of
/// `/etc/vault.d`.
pub fn vault_server(host: &Host) -> VaultServer {
    let unit = super::audit_config::forwarders::units::read_unit(host, VAULT_UNIT);
    let mut named = Vec::new();
    if let Ok(Some(u)) = &unit {
        for (exec, _) in u.all("Service", "ExecStart") {
            let words: Vec<&str> = exec.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                let w = w.trim_start_matches('-');
                let value = match w.strip_prefix("config") {
                    Some(rest) if rest.starts_with('=') => Some(&rest[1..]),
                    Some("") => words.get(i + 1).copied(),
                    _ => None,
                };
                if let Some(v) = value {
                    named.push(v.trim_matches(['"', '\'']).to_string());
                }
            }
        }
    }
    let unit_desc = match &unit {
        Ok(Some(u)) => format!("the -config of {}", u.files[0]),
        Ok(None) => format!("{VAULT_UNIT} (no such unit)"),
        Err(e) => format!("{VAULT_UNIT} (unreadable: {e})"),
    };
    let (places, looked_in) = if named.is_empty() {
        (
            vec![VAULT_CONFIG_DIR.to_string()],
            format!("{VAULT_CONFIG_DIR}/*.hcl, {VAULT_CONFIG_DIR}/*.json and {unit_desc}"),
        )
    } else {
        let l = format!("{} ({unit_desc})", named.join(", "));
        (named, l)
    };
    let mut config_files = Vec::new();
    for place in places {
        match host.resolve(Path::new(&place)) {
            Ok(Some(f)) if f.meta.is_dir() => {
                let mut names: Vec<String> = f
                    .list_dir()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|n| n.to_string_lossy().into_owned())
                    .filter(|n| n.ends_with(".hcl") || n.ends_with(".json"))
                    .collect();
                names.sort();
                config_files.extend(names.into_iter().map(|n| format!("{place}/{n}")));
            }
            Ok(Some(_)) => config_files.push(place),
            // A named file that cannot be resolved is still listed: reading it says why.
            Err(_) => config_files.push(place),
            Ok(None) => {}
        }
    }
    config_files.truncate(MAX_VAULT_FILES);
    VaultServer {
        unit,
        config_files,
        looked_in,
    }
}

fn discovered_key(path: String, certificate: Option<String>) -> Key {
    Key {
        name: path.clone(),
        path: Some(path),
        pkcs11: None,
        certificate,
        sha256: None,
        spki_sha256: None,
        algorithm: None,
        min_size: None,
        owner: None,
        group: None,
        mode: None,
        acl: Vec::new(),
        created: None,
        max_age_days: None,
        state: KeyState::Active,
        operational: false,
        discovered: true,
    }
}

/// Key and certificate paths the service configurations name (absolute paths only).
fn configured_paths(host: &Host, max_file_size: u64) -> (BTreeSet<String>, BTreeSet<String>) {
    let (mut keys, mut certs) = (BTreeSet::new(), BTreeSet::new());
    for place in CONFIG_PLACES {
        let Ok(found) = fileattrs::walk_files(host, Path::new(place), 2) else {
            continue;
        };
        for f in found {
            let Ok(data) = f.read(max_file_size.min(4 * 1024 * 1024)) else {
                continue;
            };
            for (directive, value) in directives(&String::from_utf8_lossy(&data)) {
                if KEY_DIRECTIVES.contains(&directive.as_str()) {
                    keys.insert(value);
                } else if CERT_DIRECTIVES.contains(&directive.as_str()) {
                    certs.insert(value);
                }
            }
        }
    }
    (keys, certs)
}

/// `(directive lower-cased, absolute path)` of every line `DIRECTIVE [=] "PATH"[;]` of a
/// configuration file; comments (`#`) skipped.
pub fn directives(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with('#') || t.starts_with("//") {
            continue;
        }
        let Some((name, rest)) = t.split_once(|c: char| c.is_whitespace() || c == '=') else {
            continue;
        };
        let value = rest
            .trim_start_matches(|c: char| c.is_whitespace() || c == '=')
            .trim_start_matches('"');
        let value: String = value
            .chars()
            .take_while(|c| !c.is_whitespace() && *c != '"' && *c != ';')
            .collect();
        if value.starts_with('/') {
            out.push((name.to_ascii_lowercase(), value));
        }
    }
    out
}

/// The auditd log `/etc/audit/auditd.conf` names (`log_file`, default
/// `/var/log/audit/audit.log`), with the group it sets (`log_group`) and the mode that
/// follows; `None` when auditd is not configured on the host.
fn auditd_log(host: &Host, max_file_size: u64) -> Option<AuditLog> {
    let conf = host
        .read_file(Path::new("/etc/audit/auditd.conf"), max_file_size)
        .ok()
        .flatten()?;
    let text = String::from_utf8_lossy(&conf);
    let setting = |key: &str| {
        text.lines().find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    let path = setting("log_file")
        .filter(|p| p.starts_with('/'))
        .unwrap_or_else(|| "/var/log/audit/audit.log".into());
    let group = setting("log_group").unwrap_or_else(|| "root".into());
    let mode = if group == "root" { 0o600 } else { 0o640 };
    Some(AuditLog {
        name: "auditd".into(),
        format: LogFormat::Auditd,
        path,
        retention_days: None,
        max_silence_secs: DISCOVERED_MAX_SILENCE_SECS,
        owner: "root".into(),
        group: Some(group),
        mode,
        append_only: false,
        digest_directory: None,
        digest_public_keys: Vec::new(),
    })
}

/// A starter site policy from what discovery found on `host`, as TOML every line of
/// which is commented: the keys with their current fingerprints, algorithm, size,
/// owner, group, mode and (from their certificates) dates; candidate role groups (the
/// host's groups that have members); the audit-log sources with a retention to confirm.
/// `vigil scan --policy` accepts it as written; the site then edits what it knows.
pub fn starter_policy(host: &Host, max_file_size: u64) -> String {
    use std::fmt::Write;
    use std::os::unix::fs::MetadataExt;
    let (p, findings) = discover_with_findings(host, max_file_size);
    let acc = crate::host::accounts::Accounts::read(host).unwrap_or_default();
    let q = |s: &str| toml_quote(s);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# vigil site key-management policy: a starter written by `vigil policy init` from\n\
         # what discovery found on this host. Every value is what the host shows today;\n\
         # confirm each one, declare what only the site knows (roles, retention, SIEM,\n\
         # minimum versions, an integrity baseline), and scan with\n\
         #   vigil scan --policy THIS_FILE\n\
         # Field reference: README.md, \"The site policy (TOML)\".\n"
    );
    let _ = writeln!(
        out,
        "[site]\n# A name for reports.\nname = \"{}\"\n",
        q(&crate::host::info::host_info(host).hostname)
    );
    // Candidate roles: groups with a person in them (uid 1000 and up, Debian's first
    // user id); none is declared, the site decides.
    let person = |name: &str| {
        acc.user(name)
            .is_some_and(|u| u.uid >= 1000 && u.uid != 65534)
    };
    let groups: Vec<_> = acc
        .groups
        .iter()
        .filter(|g| g.gid != 0 && acc.members(g).iter().any(|(n, _)| person(n)))
        .collect();
    if !groups.is_empty() {
        let _ = writeln!(
            out,
            "# Candidate role groups (groups with people in them on this host). Declare the roles the\n\
             # site has, e.g. (kind: key_administrator, audit_administrator, key_user, ...):\n\
             #\n\
             # [[roles]]\n\
             # name = \"key_admin\"\n\
             # kind = \"key_administrator\"\n\
             # unix_groups = [\"GROUP\"]\n\
             #"
        );
        for g in groups.iter().take(40) {
            let members: Vec<String> = acc.members(g).into_iter().map(|(n, _)| n).collect();
            let _ = writeln!(out, "#   group {}: {}", g.name, members.join(", "));
        }
        out.push('\n');
    }
    for k in &p.keys {
        let Some(path) = &k.path else { continue };
        let Ok(Some(f)) = host.resolve(Path::new(path)) else {
            continue;
        };
        let Ok(data) = f.read(MAX_KEY_FILE.min(max_file_size)) else {
            continue;
        };
        let infos = material::analyse(&data);
        let Some(info) = infos.iter().find(|i| i.kind == Some(Kind::PrivateKey)) else {
            continue;
        };
        let _ = writeln!(out, "# Found by discovery: {}", path);
        let _ = writeln!(
            out,
            "[[keys]]\nname = \"{}\"\npath = \"{}\"",
            q(path),
            q(path)
        );
        if let Some(c) = &k.certificate {
            let _ = writeln!(out, "certificate = \"{}\"", q(c));
        }
        let _ = writeln!(out, "sha256 = \"{}\"", super::sha256_hex(&data));
        if let Some(s) = &info.spki_sha256 {
            let _ = writeln!(out, "spki_sha256 = \"{s}\"");
        }
        if let Some(a @ ("rsa" | "ec" | "ed25519" | "ed448")) = info.algorithm.as_deref() {
            let _ = writeln!(out, "algorithm = \"{a}\"");
        }
        if let Some(size) = info.key_size {
            let _ = writeln!(out, "min_size = {size}");
        }
        let _ = writeln!(
            out,
            "owner = \"{}\"\ngroup = \"{}\"\nmode = \"{:04o}\"",
            q(&acc.user_name(f.meta.uid())),
            q(&acc.group_name(f.meta.gid())),
            f.meta.mode() & 0o777
        );
        // The certificate's notBefore is the best record of when the key was made;
        // without one the date is the site's to give.
        let not_before = k.certificate.as_ref().and_then(|c| {
            let cf = host.resolve(Path::new(c)).ok().flatten()?;
            let d = cf.read(MAX_KEY_FILE).ok()?;
            material::analyse(&d)
                .into_iter()
                .find_map(|i| i.cert.map(|c| c.not_before))
        });
        match not_before {
            Some(t) => {
                let _ = writeln!(
                    out,
                    "# from the certificate's notBefore\ncreated = {}\n# max_age_days = 365",
                    crate::policy::time::format_date(t.div_euclid(86400))
                );
            }
            None => {
                let _ = writeln!(out, "# created = YYYY-MM-DD\n# max_age_days = 365");
            }
        }
        let _ = writeln!(out, "operational = false\n");
    }
    if !findings.searched.is_empty() {
        let dirs: Vec<String> = findings
            .searched
            .iter()
            .map(|d| format!("\"{}\"", q(d)))
            .collect();
        let _ = writeln!(
            out,
            "[scan]\n# Searched for private keys the policy does not declare.\nkey_directories = [{}]\n",
            dirs.join(", ")
        );
    }
    for l in p
        .audit_logs
        .iter()
        .filter(|l| host.resolve(Path::new(&l.path)).ok().flatten().is_some())
    {
        let _ = writeln!(
            out,
            "[[audit_logs]]\nname = \"{}\"\nformat = \"{}\"\npath = \"{}\"\n# The retention duty is the site's: confirm it.\nretention_days = 365\nmax_silence = \"7d\"\nowner = \"{}\"\nmode = \"{:04o}\"\n",
            q(&l.name),
            l.format.as_str(),
            q(&l.path),
            q(&l.owner),
            l.mode
        );
    }
    if findings.truncated {
        let _ = writeln!(
            out,
            "# Note: discovery stopped after {MAX_FILES} files; some key places were not searched in full."
        );
    }
    out
}

/// `s` for a TOML basic string: backslashes, quotes and control characters escaped (a
/// host's file names are hostile).
fn toml_quote(s: &str) -> String {
    let mut o = String::new();
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if c.is_control() => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directives_name_absolute_paths_only() {
        let text = "# HostKey /etc/ssh/commented\nHostKey /etc/ssh/ssh_host_ed25519_key\n\
                    ssl_certificate_key /etc/nginx/k.pem;\n  tls_key_file = \"/etc/vault.d/tls/v.key\"\n\
                    SSLCertificateKeyFile relative/key.pem\nsmtpd_tls_key_file=/etc/ssl/private/p.key\n";
        assert_eq!(
            directives(text),
            vec![
                ("hostkey".into(), "/etc/ssh/ssh_host_ed25519_key".into()),
                ("ssl_certificate_key".into(), "/etc/nginx/k.pem".into()),
                ("tls_key_file".into(), "/etc/vault.d/tls/v.key".into()),
                ("smtpd_tls_key_file".into(), "/etc/ssl/private/p.key".into()),
            ]
        );
    }

    #[test]
    fn finds_keys_pairs_certificates_and_reads_auditd_conf() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("etc/ssl/private")).unwrap();
        std::fs::create_dir_all(root.join("etc/ssl/certs")).unwrap();
        std::fs::create_dir_all(root.join("etc/audit")).unwrap();
        let key = root.join("etc/ssl/private/site.key");
        let cert = root.join("etc/ssl/certs/site.pem");
        let out = crate::testtool::tool("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-subj", "/CN=t", "-days", "30", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(
            root.join("etc/audit/auditd.conf"),
            "log_file = /var/log/audit/audit.log\nlog_group = adm\n",
        )
        .unwrap();
        let (p, f) = discover_with_findings(&Host::offline(root), 1 << 20);
        assert!(p.discovered);
        assert_eq!(f.searched, ["/etc/ssl/private"]);
        assert_eq!(p.keys.len(), 1);
        assert_eq!(p.keys[0].path.as_deref(), Some("/etc/ssl/private/site.key"));
        assert_eq!(
            p.keys[0].certificate.as_deref(),
            Some("/etc/ssl/certs/site.pem")
        );
        assert_eq!(p.audit_logs.len(), 1);
        assert_eq!(p.audit_logs[0].group.as_deref(), Some("adm"));
        assert_eq!(p.audit_logs[0].mode, 0o640);
        assert!(p.roles.is_empty() && p.siem.is_none() && p.integrity.is_none());
    }
}
