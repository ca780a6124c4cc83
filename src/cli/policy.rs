//! `vigil policy check FILE [--root DIR]`: loads a site policy with the loader a scan
//! uses (`vigil_host::policy::Policy::load`) and says what it declares, or the first
//! error (naming the file, line, column and field); exit 0 when it loads, 1 when it
//! does not (README "The site policy", DESIGN.md "Contracts"). `policy` is a group so
//! that further policy commands sit beside `check`. `vigil policy init [--root DIR]
//! [-o FILE]` writes the starter policy discovery makes
//! (`vigil_host::probes::keymgmt::discover::starter_policy`).

use std::path::{Path, PathBuf};

use anyhow::Result;

use crate::exit::Exit;
use vigil_host::host::Host;
use vigil_host::policy::Policy;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    pub command: PolicyCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum PolicyCommand {
    /// Validate a site policy as `vigil scan --policy` loads it; exit 1 when it does not
    /// load.
    Check {
        /// The policy file (TOML).
        file: PathBuf,
        /// Also say which files the policy names are missing from the file system
        /// mounted at DIR (notes: a missing key is the scan's finding, not an error).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
    },
    /// Write a starter policy from what discovery finds on this host (or the root at
    /// DIR): keys with their current fingerprints and dates, candidate role groups,
    /// audit-log sources; every line commented, accepted by `vigil scan --policy` as is.
    Init {
        /// Discover on the file system mounted at DIR instead of the running system.
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Write the policy to FILE (written as every vigil output is: never through
        /// another user's link) instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

/// Runs a `vigil policy` subcommand.
pub(crate) fn run(args: &PolicyArgs) -> Result<Exit> {
    match &args.command {
        PolicyCommand::Check { file, root } => {
            let policy = Policy::load(file)?;
            let mut out = format!("{}: ok ({})\n", file.display(), summary(&policy));
            if let Some(root) = root {
                let host = Host::offline(root);
                for (field, path) in named_paths(&policy) {
                    match host.resolve(Path::new(&path)) {
                        Ok(Some(_)) => {}
                        Ok(None) => out.push_str(&format!(
                            "{}: note: {field}: {path} does not exist under {}\n",
                            file.display(),
                            root.display()
                        )),
                        Err(e) => out.push_str(&format!(
                            "{}: note: {field}: {path} cannot be read under {}: {e}\n",
                            file.display(),
                            root.display()
                        )),
                    }
                }
            }
            crate::report::sanitize::print(false, &out);
            Ok(Exit::Clean)
        }
        PolicyCommand::Init { root, out } => {
            let host = match root {
                Some(r) => Host::offline(r),
                None => Host::live(),
            };
            let text = vigil_host::probes::keymgmt::discover::starter_policy(
                &host,
                vigil_host::scan::DEFAULT_MAX_FILE_SIZE,
            );
            let path = out.clone().unwrap_or_else(|| PathBuf::from("-"));
            crate::report::write_output(&path, text.as_bytes())?;
            Ok(Exit::Clean)
        }
    }
}

/// `3 roles, 5 keys, ...`: what the policy declares, each count with its noun.
fn summary(p: &Policy) -> String {
    fn n(count: usize, one: &str, many: &str) -> String {
        format!("{count} {}", if count == 1 { one } else { many })
    }
    let mut parts = vec![
        n(p.roles.len(), "role", "roles"),
        n(p.separation.len(), "separation", "separations"),
        n(p.keys.len(), "key", "keys"),
        n(p.audit_logs.len(), "audit log", "audit logs"),
    ];
    match &p.siem {
        Some(s) => {
            let port = s.port.map(|p| format!(":{p}")).unwrap_or_default();
            let via = if s.via.is_empty() {
                "any forwarder".to_string()
            } else {
                s.via.join(", ")
            };
            parts.push(format!("SIEM {}{port} via {via}", s.host));
        }
        None => parts.push("no SIEM".into()),
    }
    parts.push(n(p.software.len(), "software minimum", "software minimums"));
    if let Some(i) = &p.integrity {
        parts.push(format!("integrity: {}", n(i.paths.len(), "path", "paths")));
    }
    if !p.aws_key_policies.is_empty() {
        parts.push(n(
            p.aws_key_policies.len(),
            "AWS key policy",
            "AWS key policies",
        ));
    }
    parts.join(", ")
}

/// The host files the policy names, with their field paths.
fn named_paths(p: &Policy) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (i, k) in p.keys.iter().enumerate() {
        // A destroyed key's file is meant to be gone.
        if k.state == vigil_host::policy::KeyState::Destroyed {
            continue;
        }
        if let Some(path) = &k.path {
            out.push((format!("keys[{i}].path"), path.clone()));
        }
        if let Some(c) = &k.certificate {
            out.push((format!("keys[{i}].certificate"), c.clone()));
        }
    }
    for (i, a) in p.audit_logs.iter().enumerate() {
        out.push((format!("audit_logs[{i}].path"), a.path.clone()));
    }
    if let Some(l) = p.siem.as_ref().and_then(|s| s.vault_audit_list.as_ref()) {
        out.push(("siem.vault_audit_list".into(), l.clone()));
    }
    for (i, s) in p.software.iter().enumerate() {
        if let Some(f) = &s.version_file {
            out.push((format!("software[{i}].version_file"), f.clone()));
        }
    }
    if let Some(int) = &p.integrity {
        out.push(("integrity.baseline".into(), int.baseline.clone()));
        for path in &int.paths {
            out.push(("integrity.paths".into(), path.clone()));
        }
    }
    for (i, a) in p.aws_key_policies.iter().enumerate() {
        out.push((format!("aws_key_policies[{i}].path"), a.path.clone()));
    }
    out
}
