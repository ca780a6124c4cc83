//! What `vigil watch` watches: the paths of the site policy the bundled benchmark's
//! rules read (declared keys and certificates, key directories, audit logs with their
//! rotated siblings and CloudTrail digest directories, integrity paths and baseline,
//! AWS key-policy documents, software version files, the saved Vault audit-device
//! list), the Vault server's configuration files, the policy file itself, and every
//! `--path`. Each is a host path (absolute; under `--root` when scanning a mounted
//! tree), with the role it plays, which the event names.

use std::path::{Path, PathBuf};

use vigil_host::Host;
use vigil_host::policy::{LogFormat, Policy};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    /// The path on the watched host (absolute), as the policy or `--path` names it.
    pub host_path: PathBuf,
    /// Where vigil reads it: `host_path`, or under `--root`.
    pub real: PathBuf,
    /// `key`, `certificate`, `key_directory`, `audit_log`, `integrity`, `kms_config`,
    /// `policy` or `path`.
    pub role: &'static str,
    /// A directory is watched with everything below it.
    pub recursive: bool,
    /// `PATH.1`, `PATH.2`, ... belong to it (rotated audit logs).
    pub rotated: bool,
}

impl Target {
    fn new(host: &Host, path: &str, role: &'static str, recursive: bool) -> Option<Target> {
        let p = Path::new(path);
        if !p.is_absolute() {
            return None;
        }
        Some(Target {
            host_path: p.to_path_buf(),
            real: host.path(p),
            role,
            recursive,
            rotated: false,
        })
    }

    /// Does the real path `p` belong to this target?
    pub(crate) fn covers(&self, p: &Path) -> bool {
        if p == self.real || (self.recursive && p.starts_with(&self.real)) {
            return true;
        }
        self.rotated
            && p.parent() == self.real.parent()
            && match (p.file_name(), self.real.file_name()) {
                (Some(n), Some(base)) => n
                    .to_str()
                    .zip(base.to_str())
                    .and_then(|(n, b)| n.strip_prefix(b)?.strip_prefix('.'))
                    .is_some_and(|rest| {
                        !rest.is_empty() && rest.bytes().all(|c| c.is_ascii_digit())
                    }),
                _ => false,
            }
    }

    /// The host path of a real path this target covers.
    pub(crate) fn host_path_of(&self, real: &Path) -> PathBuf {
        match real.strip_prefix(&self.real) {
            Ok(rest) if rest.as_os_str().is_empty() => self.host_path.clone(),
            Ok(rest) => self.host_path.join(rest),
            Err(_) => match (self.host_path.parent(), real.file_name()) {
                (Some(dir), Some(name)) => dir.join(name),
                _ => real.to_path_buf(),
            },
        }
    }
}

/// The targets of `policy` on `host`, then the `--path`s (given relative to the
/// current directory or absolute; under `--root`, host paths), the policy file
/// (`policy_file`, a path on this machine) and the Vault configuration files. A path
/// named twice is watched once, in the first role it got.
pub(crate) fn of_policy(
    host: &Host,
    policy: &Policy,
    policy_file: Option<&Path>,
    extra: &[PathBuf],
) -> Vec<Target> {
    let mut out: Vec<Target> = Vec::new();
    let mut add = |t: Option<Target>| {
        if let Some(t) = t
            && !out.iter().any(|o| o.real == t.real)
        {
            out.push(t);
        }
    };
    for k in &policy.keys {
        add(k
            .path
            .as_deref()
            .and_then(|p| Target::new(host, p, "key", false)));
        add(k
            .certificate
            .as_deref()
            .and_then(|p| Target::new(host, p, "certificate", false)));
    }
    for d in &policy.key_directories {
        add(Target::new(host, d, "key_directory", true));
    }
    for l in &policy.audit_logs {
        add(Target::new(host, &l.path, "audit_log", false).map(|mut t| {
            t.rotated = true;
            t
        }));
        if let Some(d) = &l.digest_directory {
            add(Target::new(host, d, "audit_log", true));
        }
        for k in &l.digest_public_keys {
            add(Target::new(host, k, "audit_log", false));
        }
    }
    if let Some(i) = &policy.integrity {
        for p in &i.paths {
            add(Target::new(host, p, "integrity", true));
        }
        add(Target::new(host, &i.baseline, "integrity", false));
        if let Some(k) = &i.public_key {
            add(Target::new(host, k, "integrity", false));
        }
    }
    for a in &policy.aws_key_policies {
        add(Target::new(host, &a.path, "kms_config", false));
    }
    for s in &policy.software {
        if let Some(v) = &s.version_file {
            add(Target::new(host, v, "kms_config", false));
        }
    }
    if let Some(v) = policy
        .siem
        .as_ref()
        .and_then(|s| s.vault_audit_list.as_deref())
    {
        add(Target::new(host, v, "kms_config", false));
    }
    for f in vigil_host::probes::keymgmt::discover::vault_server(host).config_files {
        add(Target::new(host, &f, "kms_config", false));
    }
    if let Some(p) = policy_file {
        let abs = absolute(p);
        add(Some(Target {
            host_path: abs.clone(),
            real: abs,
            role: "policy",
            recursive: false,
            rotated: false,
        }));
    }
    for p in extra {
        let t = if host.is_live() {
            let abs = absolute(p);
            Some(Target {
                host_path: abs.clone(),
                real: abs,
                role: "path",
                recursive: true,
                rotated: false,
            })
        } else {
            p.to_str().and_then(|s| Target::new(host, s, "path", true))
        };
        add(t);
    }
    out
}

/// The auditd log to ask who made a change: the policy's first `auditd` source, else
/// `/var/log/audit/audit.log`; as (host path, real path).
pub(crate) fn audit_source(host: &Host, policy: &Policy) -> (PathBuf, PathBuf) {
    let p = policy
        .audit_logs
        .iter()
        .find(|l| l.format == LogFormat::Auditd)
        .map_or("/var/log/audit/audit.log", |l| l.path.as_str());
    (PathBuf::from(p), host.path(Path::new(p)))
}

/// `p` made absolute against the current directory (without resolving links: the
/// path is watched as named).
fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir().map_or_else(|_| p.to_path_buf(), |d| d.join(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_siblings_and_subtrees_are_covered_and_nothing_else() {
        let host = Host::live();
        let mut log = Target::new(&host, "/var/log/audit/audit.log", "audit_log", false).unwrap();
        log.rotated = true;
        assert!(log.covers(Path::new("/var/log/audit/audit.log")));
        assert!(log.covers(Path::new("/var/log/audit/audit.log.1")));
        assert!(log.covers(Path::new("/var/log/audit/audit.log.12")));
        assert!(!log.covers(Path::new("/var/log/audit/audit.log.1.gz")));
        assert!(!log.covers(Path::new("/var/log/audit/audit.log.")));
        assert!(!log.covers(Path::new("/var/log/audit/other.log")));
        assert_eq!(
            log.host_path_of(Path::new("/var/log/audit/audit.log.3")),
            Path::new("/var/log/audit/audit.log.3")
        );
        let dir = Target::new(&host, "/etc/kms/keys", "key_directory", true).unwrap();
        assert!(dir.covers(Path::new("/etc/kms/keys/a/b.pem")));
        assert!(!dir.covers(Path::new("/etc/kms/keysX")));
        assert!(Target::new(&host, "relative/path", "key", false).is_none());
    }

    #[test]
    fn under_a_root_host_paths_map_to_real_paths_and_back() {
        let host = Host::offline("/mnt/img");
        let t = Target::new(&host, "/etc/kms/keys", "key_directory", true).unwrap();
        assert_eq!(t.real, Path::new("/mnt/img/etc/kms/keys"));
        assert_eq!(
            t.host_path_of(Path::new("/mnt/img/etc/kms/keys/x.pem")),
            Path::new("/etc/kms/keys/x.pem")
        );
    }
}
