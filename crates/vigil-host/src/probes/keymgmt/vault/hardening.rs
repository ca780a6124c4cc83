//! `vault_hardening_object` (vigil family, entity `setting`): one item per setting of
//! HashiCorp's production hardening guide that vigil checks, each with `setting`,
//! `subject` (what the item is about: a listener, an audit device, a file, a process),
//! `value` (what vigil found), `source` (where: `file:line`, the audit list, `/proc`),
//! `compliant` and `reason`. The settings:
//!
//! - `audit_device_count`: at least two audit devices enabled, so Vault (which refuses
//!   requests it cannot audit) keeps serving and a second copy of the trail exists;
//! - `audit_file_permissions`: each `file` device's log file has no permission for
//!   group or other (0600 or stricter) and belongs to the Vault user, and the device's
//!   `mode` option does not ask for more;
//! - `audit_log_raw`, `audit_hmac_accessor`, `audit_filter`: per device, `log_raw` not
//!   true, `hmac_accessor` not false, no `filter` or `exclude` option (both drop records
//!   or fields from the trail);
//! - `run_user`: the unit's `User=` (absent: root) and every running `vault` process's
//!   uid are not root;
//! - `memory_lock`: `disable_mlock` is not true, or no swap is active (`/proc/swaps`);
//! - `core_dumps`: each running `vault` process's soft RLIMIT_CORE is 0
//!   (`/proc/PID/limits`), or without a process the unit's `LimitCORE=` is 0;
//! - `listener_tls`: each `listener "tcp"` has TLS (`tls_disable` not true) and a
//!   `tls_min_version` (default tls12) of tls12 or tls13;
//! - `root_activity`: each Vault `[[audit_logs]]` source has no request made with a
//!   root token and none on `sys/generate-root`; the records are the evidence;
//! - `storage_permissions`: the `storage "file"` or `"raft"` directory has no group or
//!   other permission and belongs to the Vault user.
//!
//! No Vault configuration on the host: `not applicable`, "no Vault server configuration
//! found (looked in ...)". A setting that has nothing to examine (no file device, no
//! tcp listener) is not applicable with the reason; one vigil cannot read (an
//! unreadable file, an expression instead of a literal) is an `error` item saying why,
//! so the rule is unknown rather than guessed. The Vault user is the unit's `User=`
//! when it is not root, else `vault`.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use super::config::{MAX_CONFIG_FILE, Value, VaultConfig};
use crate::host::Host;
use crate::host::accounts::Accounts;
use crate::policy::LogFormat;
use crate::probes::keymgmt::audit_config::forwarders::{
    Reader, units::Unit, vault as vault_devices,
};
use crate::probes::keymgmt::auditlog::{MAX_RECORDS, parse_context, source_events};
use crate::probes::keymgmt::discover::{self, VaultServer};
use crate::probes::keymgmt::{bool_str, not_declared, policy, read_accounts, selects};
use crate::probes::{Collected, Context, Flag, Item, ItemStatus, ObjectQuery, Probe};

/// Every setting the object can select, in the order items are reported.
pub const SETTINGS: [&str; 11] = [
    "audit_device_count",
    "audit_file_permissions",
    "audit_log_raw",
    "audit_hmac_accessor",
    "audit_filter",
    "run_user",
    "memory_lock",
    "core_dumps",
    "listener_tls",
    "root_activity",
    "storage_permissions",
];

/// The probe of `vault_hardening_object`.
pub struct VaultHardeningProbe;

/// Why a setting yields no item.
enum Skip {
    /// Nothing to examine, with the reason.
    NotApplicable(String),
    /// It cannot be read, with the reason.
    Error(String),
}

/// The server as found: where, its unit, its parsed configuration, its processes.
struct Server<'a> {
    ctx: &'a Context,
    found: VaultServer,
    unit: Option<Unit>,
    config: Result<VaultConfig, String>,
    processes: Result<Vec<Process>, String>,
    accounts: Accounts,
    user: String,
}

/// A running `vault` process, from `/proc/PID` of the scanned host.
struct Process {
    pid: String,
    uid: Option<u32>,
    /// Soft and hard `Max core file size` of `/proc/PID/limits`.
    core: Option<(String, String)>,
}

impl Probe<Context> for VaultHardeningProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["vault_hardening_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let found = discover::vault_server(&ctx.host);
        if found.config_files.is_empty() {
            return Collected::with_flag(
                Flag::NotApplicable,
                format!(
                    "no Vault server configuration found (looked in {})",
                    found.looked_in
                ),
            );
        }
        let accounts = match read_accounts(ctx) {
            Ok(a) => a,
            Err(c) => return c,
        };
        let unit = found.unit.clone().ok().flatten();
        let user = unit
            .as_ref()
            .and_then(|u| u.get("Service", "User"))
            .map(|(v, _)| v.to_string())
            .filter(|u| !is_root_name(u))
            .unwrap_or_else(|| "vault".into());
        let server = Server {
            ctx,
            config: read_config(&ctx.host, &found.config_files),
            processes: vault_processes(&ctx.host),
            unit,
            found,
            accounts,
            user,
        };
        let mut items = ctx.sink(ctx.deadline());
        let (mut reasons, mut errors) = (Vec::new(), Vec::new());
        let mut any = false;
        for setting in SETTINGS {
            match selects(query, "setting", setting) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            match server.items(setting) {
                Ok(list) => {
                    for item in list {
                        any = true;
                        if items.push(item.field("setting", setting)).is_err() {
                            break;
                        }
                    }
                }
                Err(Skip::NotApplicable(r)) => reasons.push(format!("{setting}: {r}")),
                Err(Skip::Error(e)) => errors.push(format!("{setting}: {e}")),
            }
        }
        if !errors.is_empty() {
            return Collected::error(errors.join("; "));
        }
        if !any {
            if reasons.is_empty() {
                reasons.push("the object selects no setting vigil checks".into());
            }
            return Collected::with_flag(Flag::NotApplicable, reasons.join("; "));
        }
        let mut c = items.into_collected();
        c.messages.extend(reasons);
        c
    }
}

/// `root` or uid 0 as `User=` writes it.
fn is_root_name(u: &str) -> bool {
    u == "root" || u == "0"
}

/// An item about `subject`, found at `source`.
fn item(subject: &str, value: &str, source: &str, compliant: bool, reason: String) -> Item {
    Item::new()
        .field("subject", subject)
        .field("value", value)
        .field("source", source)
        .field("compliant", bool_str(compliant))
        .field("reason", reason)
}

/// An item vigil could not collect (`error` status): the rule is unknown, with why.
fn unreadable(subject: &str, why: String) -> Item {
    let mut i = Item::with_status(ItemStatus::Error, why);
    i.push("subject", subject);
    i
}

/// Every configuration file, read (capped) and parsed into one configuration.
fn read_config(host: &Host, files: &[String]) -> Result<VaultConfig, String> {
    let mut c = VaultConfig::default();
    for f in files {
        let data = host
            .read_file(Path::new(f), MAX_CONFIG_FILE)
            .map_err(|e| format!("{f}: {e}"))?
            .ok_or_else(|| format!("{f}: named as Vault configuration but not found"))?;
        c.add(f, &String::from_utf8_lossy(&data))
            .map_err(|e| e.to_string())?;
    }
    Ok(c)
}

/// The `vault` processes under the host's `/proc` (the live host's, or the offline
/// root's if it has one): `comm` is `vault`.
fn vault_processes(host: &Host) -> Result<Vec<Process>, String> {
    let Ok(Some(proc_dir)) = host.resolve(Path::new("/proc")) else {
        return Ok(Vec::new());
    };
    let read = |p: String| {
        host.read_file(Path::new(&p), 64 * 1024)
            .ok()
            .flatten()
            .map(|d| String::from_utf8_lossy(&d).into_owned())
    };
    let mut out = Vec::new();
    let mut pids: Vec<u64> = proc_dir
        .list_dir()
        .map_err(|e| format!("/proc: {e}"))?
        .into_iter()
        .filter_map(|n| n.to_str().and_then(|n| n.parse().ok()))
        .collect();
    pids.sort_unstable();
    for pid in pids {
        if read(format!("/proc/{pid}/comm")).is_none_or(|c| c.trim() != "vault") {
            continue;
        }
        let uid = read(format!("/proc/{pid}/status")).and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|u| u.split_whitespace().nth(1))
                .and_then(|u| u.parse().ok())
        });
        let core = read(format!("/proc/{pid}/limits")).and_then(|s| {
            s.lines().find_map(|l| {
                let rest = l.strip_prefix("Max core file size")?;
                let mut w = rest.split_whitespace();
                Some((w.next()?.to_string(), w.next()?.to_string()))
            })
        });
        out.push(Process {
            pid: pid.to_string(),
            uid,
            core,
        });
    }
    Ok(out)
}

/// A file's permissions against "no group or other access, owned by `user`".
fn owner_and_mode(
    host: &Host,
    accounts: &Accounts,
    path: &str,
    user: &str,
    what: &str,
) -> Result<(String, bool, String), String> {
    let f = host
        .resolve(Path::new(path))
        .map_err(|e| format!("{path}: {e}"))?
        .ok_or_else(|| format!("{path}: {what} does not exist on the host"))?;
    let mode = f.meta.mode() & 0o7777;
    let owner = accounts.user_name(f.meta.uid());
    let value = format!("{mode:04o} {owner}");
    let mut wrong = Vec::new();
    if mode & 0o077 != 0 {
        wrong.push(format!("mode {mode:04o} gives group or other access"));
    }
    if owner != user {
        wrong.push(format!("owned by {owner}, not the Vault user {user}"));
    }
    let ok = wrong.is_empty();
    let reason = if ok {
        format!("{what} is {mode:04o} and owned by {user}")
    } else {
        format!("{what} {}", wrong.join(" and "))
    };
    Ok((value, ok, reason))
}

impl Server<'_> {
    fn items(&self, setting: &str) -> Result<Vec<Item>, Skip> {
        match setting {
            "audit_device_count" => self.audit(|list, doc| {
                let devs = vault_devices::devices(doc, None);
                let names: Vec<&str> = devs.iter().map(|(p, _)| *p).collect();
                let n = devs.len();
                Ok(vec![item(
                    list,
                    &n.to_string(),
                    list,
                    n >= 2,
                    format!(
                        "{n} audit device(s) enabled{}; HashiCorp asks for at least two",
                        if names.is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", names.join(", "))
                        }
                    ),
                )])
            }),
            "audit_file_permissions" => self.audit(|list, doc| {
                let mut out = Vec::new();
                for (path, opts) in vault_devices::devices(doc, Some("file")) {
                    let file = opts.get("file_path").and_then(|v| v.as_str()).unwrap_or("");
                    if file.is_empty() || file == "stdout" || file == "discard" {
                        continue;
                    }
                    let subject = format!("audit device {path} ({file})");
                    let source = format!("{list} (audit device {path})");
                    let mode_opt = opts.get("mode").and_then(|v| v.as_str());
                    match owner_and_mode(
                        &self.ctx.host,
                        &self.accounts,
                        file,
                        &self.user,
                        "the audit log",
                    ) {
                        Ok((value, mut ok, mut reason)) => {
                            // Vault sets the file's mode from the option on every
                            // open ("0000": leave it alone).
                            if let Some(m) = mode_opt
                                && let Ok(bits) = u32::from_str_radix(m, 8)
                                && bits != 0
                                && bits & 0o077 != 0
                            {
                                ok = false;
                                reason = format!(
                                    "{reason}; the device's mode option {m} gives group or other access"
                                );
                            }
                            out.push(item(&subject, &value, &source, ok, reason));
                        }
                        Err(e) => out.push(unreadable(&subject, e)),
                    }
                }
                if out.is_empty() {
                    return Err(Skip::NotApplicable(format!(
                        "no file audit device writing to a file in {list}"
                    )));
                }
                Ok(out)
            }),
            "audit_log_raw" | "audit_hmac_accessor" | "audit_filter" => {
                self.audit(|list, doc| {
                    let mut out = Vec::new();
                    for (path, opts) in vault_devices::devices(doc, None) {
                        let ty = vault_devices::device_type(doc, path).unwrap_or("?");
                        let subject = format!("audit device {path} ({ty})");
                        let source = format!("{list} (audit device {path})");
                        let opt = |k: &str| opts.get(k).map(json_text);
                        let it = match setting {
                            "audit_log_raw" => match opt("log_raw") {
                                None => item(&subject, "false (default)", &source, true, "log_raw is not set: sensitive values are HMAC'd".into()),
                                Some(v) => match Value::Literal(v.clone()).as_bool() {
                                    Some(raw) => item(&subject, &v, &source, !raw, if raw { "log_raw is true: tokens and secrets are written in clear".into() } else { "log_raw is false".into() }),
                                    None => unreadable(&subject, format!("{source}: log_raw is '{v}', not a boolean")),
                                },
                            },
                            "audit_hmac_accessor" => match opt("hmac_accessor") {
                                None => item(&subject, "true (default)", &source, true, "hmac_accessor is not set: token accessors are HMAC'd".into()),
                                Some(v) => match Value::Literal(v.clone()).as_bool() {
                                    Some(h) => item(&subject, &v, &source, h, if h { "hmac_accessor is true".into() } else { "hmac_accessor is false: token accessors are written in clear".into() }),
                                    None => unreadable(&subject, format!("{source}: hmac_accessor is '{v}', not a boolean")),
                                },
                            },
                            _ => {
                                let set: Vec<String> = ["filter", "exclude"]
                                    .iter()
                                    .filter_map(|k| {
                                        opt(k).filter(|v| !v.trim().is_empty() && v != "[]").map(|v| format!("{k}={v}"))
                                    })
                                    .collect();
                                if set.is_empty() {
                                    item(&subject, "none", &source, true, "no filter or exclude option".into())
                                } else {
                                    item(&subject, &set.join(" "), &source, false, format!("{} drops records or fields from this trail", set.join(" and ")))
                                }
                            }
                        };
                        out.push(it);
                    }
                    if out.is_empty() {
                        return Err(Skip::NotApplicable(format!("no audit device in {list}")));
                    }
                    Ok(out)
                })
            }
            "run_user" => self.run_user(),
            "memory_lock" => self.memory_lock(),
            "core_dumps" => self.core_dumps(),
            "listener_tls" => self.listener_tls(),
            "root_activity" => self.root_activity(),
            "storage_permissions" => self.storage(),
            _ => Err(Skip::NotApplicable("not a setting vigil checks".into())),
        }
    }

    /// Runs `f` over the audit list `[siem] vault_audit_list` names.
    fn audit(
        &self,
        f: impl Fn(&str, &serde_json::Value) -> Result<Vec<Item>, Skip>,
    ) -> Result<Vec<Item>, Skip> {
        let list = self
            .ctx
            .policy
            .as_deref()
            .and_then(|p| p.siem.as_ref())
            .and_then(|s| s.vault_audit_list.as_deref());
        let Some(list) = list else {
            let na = not_declared(
                self.ctx,
                "[siem] vault_audit_list (the saved output of `vault audit list -format=json -detailed`)",
            );
            return Err(Skip::NotApplicable(na.messages.join("; ")));
        };
        let mut r = Reader::new(self.ctx);
        let doc = vault_devices::audit_list(&mut r, list).map_err(Skip::Error)?;
        f(list, &doc)
    }

    fn config(&self) -> Result<&VaultConfig, Skip> {
        self.config.as_ref().map_err(|e| Skip::Error(e.clone()))
    }

    fn unit(&self) -> Result<Option<&Unit>, Skip> {
        match &self.found.unit {
            Err(e) => Err(Skip::Error(e.clone())),
            Ok(_) => Ok(self.unit.as_ref()),
        }
    }

    fn processes(&self) -> Result<&[Process], Skip> {
        self.processes
            .as_deref()
            .map_err(|e| Skip::Error(e.clone()))
    }

    fn run_user(&self) -> Result<Vec<Item>, Skip> {
        let mut out = Vec::new();
        if let Some(u) = self.unit()? {
            let it = match u.get("Service", "User") {
                Some((name, at)) => item(
                    &u.files[0],
                    name,
                    at,
                    !is_root_name(name),
                    if is_root_name(name) {
                        "the unit runs Vault as root".into()
                    } else {
                        format!("the unit runs Vault as {name}")
                    },
                ),
                None => item(
                    &u.files[0],
                    "root (no User=)",
                    &u.files.join(", "),
                    false,
                    "the unit sets no User=, so systemd runs Vault as root".into(),
                ),
            };
            out.push(it);
        }
        for p in self.processes()? {
            let subject = format!("vault process {}", p.pid);
            let source = format!("/proc/{}/status", p.pid);
            out.push(match p.uid {
                Some(uid) => {
                    let name = self.accounts.user_name(uid);
                    item(
                        &subject,
                        &format!("{uid} ({name})"),
                        &source,
                        uid != 0,
                        if uid == 0 {
                            "the running Vault process is root".into()
                        } else {
                            format!("the running Vault process is {name}")
                        },
                    )
                }
                None => unreadable(&subject, format!("{source}: no readable Uid: line")),
            });
        }
        if out.is_empty() {
            return Err(Skip::Error(format!(
                "no {} unit and no running vault process: which user runs Vault is not known",
                discover::VAULT_UNIT
            )));
        }
        Ok(out)
    }

    fn memory_lock(&self) -> Result<Vec<Item>, Skip> {
        let c = self.config()?;
        let files = c.files.join(", ");
        let (value, at, disabled) = match &c.disable_mlock {
            None => ("false (default)".to_string(), files.clone(), Some(false)),
            Some(s) => (s.value.to_string(), s.at.clone(), s.value.as_bool()),
        };
        let subject = "disable_mlock";
        let it = match disabled {
            None => unreadable(
                subject,
                format!("{at}: disable_mlock is {value}, not a boolean"),
            ),
            Some(false) => item(
                subject,
                &value,
                &at,
                true,
                "memory locking is on: secrets are not swapped to disk".into(),
            ),
            Some(true) => match self.ctx.host.read_file(Path::new("/proc/swaps"), 1 << 20) {
                Ok(Some(d)) => {
                    let text = String::from_utf8_lossy(&d);
                    let active: Vec<&str> = text
                        .lines()
                        .skip(1)
                        .filter_map(|l| l.split_whitespace().next())
                        .collect();
                    let ok = active.is_empty();
                    item(
                        subject,
                        &value,
                        &format!("{at}; /proc/swaps"),
                        ok,
                        if ok {
                            "memory locking is off but no swap is active".into()
                        } else {
                            format!(
                                "memory locking is off and swap is active ({}): secrets can reach disk",
                                active.join(", ")
                            )
                        },
                    )
                }
                Ok(None) => unreadable(
                    subject,
                    format!(
                        "{at}: disable_mlock is true and /proc/swaps is not there, so whether swap is off is not known"
                    ),
                ),
                Err(e) => unreadable(
                    subject,
                    format!("{at}: disable_mlock is true and /proc/swaps cannot be read: {e}"),
                ),
            },
        };
        Ok(vec![it])
    }

    fn core_dumps(&self) -> Result<Vec<Item>, Skip> {
        let procs = self.processes()?;
        let mut out = Vec::new();
        for p in procs {
            let subject = format!("vault process {}", p.pid);
            let source = format!("/proc/{}/limits", p.pid);
            out.push(match &p.core {
                Some((soft, hard)) => item(
                    &subject,
                    &format!("{soft} (hard {hard})"),
                    &source,
                    soft == "0",
                    if soft == "0" {
                        "RLIMIT_CORE is 0: no core dump can hold Vault's memory".into()
                    } else {
                        format!("RLIMIT_CORE is {soft}: a crash writes Vault's memory, keys included, to disk")
                    },
                ),
                None => unreadable(&subject, format!("{source}: no readable Max core file size line")),
            });
        }
        if !out.is_empty() {
            return Ok(out);
        }
        let Some(u) = self.unit()? else {
            return Err(Skip::Error(format!(
                "no {} unit and no running vault process: the core dump limit is not known",
                discover::VAULT_UNIT
            )));
        };
        Ok(vec![match u.get("Service", "LimitCORE") {
            Some((v, at)) => {
                let ok = v == "0" || v == "0:0";
                item(
                    &u.files[0],
                    v,
                    at,
                    ok,
                    if ok {
                        "LimitCORE=0: Vault cannot dump core".into()
                    } else {
                        format!(
                            "LimitCORE={v}: a crash writes Vault's memory, keys included, to disk"
                        )
                    },
                )
            }
            None => item(
                &u.files[0],
                "(not set)",
                &u.files.join(", "),
                false,
                "the unit sets no LimitCORE=0, so Vault inherits the system's core dump limit"
                    .into(),
            ),
        }])
    }

    fn listener_tls(&self) -> Result<Vec<Item>, Skip> {
        let c = self.config()?;
        let mut out = Vec::new();
        for l in c.listeners.iter().filter(|l| l.kind == "tcp") {
            let address = match l.get("address").map(|s| &s.value) {
                Some(Value::Literal(a)) => a.clone(),
                _ => "127.0.0.1:8200 (default)".into(),
            };
            let subject = format!("listener \"tcp\" {address}");
            let disabled = l.get("tls_disable");
            let min = l.get("tls_min_version");
            let it = match (disabled.map(|s| (s.value.as_bool(), s)), min.map(|s| &s.value)) {
                (Some((None, s)), _) => unreadable(&subject, format!("{}: tls_disable is {}, not a boolean", s.at, s.value)),
                (Some((Some(true), s)), _) => item(&subject, "tls_disable = true", &s.at, false, "TLS is disabled on this listener: tokens and secrets cross the network in clear".into()),
                (_, Some(Value::NotLiteral)) => unreadable(&subject, format!("{}: tls_min_version is an expression vigil does not evaluate", min.map(|s| s.at.as_str()).unwrap_or(&l.at))),
                (_, Some(Value::Literal(v))) => {
                    let ok = matches!(v.as_str(), "tls12" | "tls13");
                    let at = min.map(|s| s.at.as_str()).unwrap_or(&l.at);
                    item(&subject, &format!("tls_min_version = {v}"), at, ok, if ok { format!("TLS on, at least {v}") } else { format!("tls_min_version {v} allows protocols older than TLS 1.2") })
                }
                (_, None) => item(&subject, "tls_min_version = tls12 (default)", &l.at, true, "TLS on, at least tls12 (Vault's default)".into()),
            };
            out.push(it);
        }
        if out.is_empty() {
            return Err(Skip::NotApplicable(format!(
                "no listener \"tcp\" in {}",
                c.files.join(", ")
            )));
        }
        Ok(out)
    }

    fn root_activity(&self) -> Result<Vec<Item>, Skip> {
        let pol = policy(self.ctx);
        let logs: Vec<_> = pol
            .audit_logs
            .iter()
            .filter(|l| l.format == LogFormat::Vault)
            .collect();
        if logs.is_empty() {
            let na = not_declared(self.ctx, "[[audit_logs]] source with format = \"vault\"");
            return Err(Skip::NotApplicable(na.messages.join("; ")));
        }
        let pc = parse_context(pol, &self.accounts);
        let mut out = Vec::new();
        let mut absent = Vec::new();
        for src in logs {
            match source_events(self.ctx, src, &pc) {
                Ok(s) if s.file.is_none() => absent.push(src.path.clone()),
                Ok(s) => {
                    let found: Vec<_> = s.all().filter(|e| e.root_activity.is_some()).collect();
                    let mut it = item(
                        &src.path,
                        &found.len().to_string(),
                        &src.path,
                        found.is_empty(),
                        if found.is_empty() {
                            "no root-token use and no root-token generation recorded".into()
                        } else {
                            format!(
                                "{} request(s) with a root token or on sys/generate-root: revoke root tokens after use and review each",
                                found.len()
                            )
                        },
                    );
                    for e in found.iter().take(MAX_RECORDS) {
                        let what = e.root_activity.unwrap_or("");
                        for r in e.records.iter().take(1) {
                            it.push("record", format!("{}:{} [{what}] {r}", src.path, e.line));
                        }
                    }
                    out.push(it);
                }
                Err(e) => out.push(unreadable(&src.path, e)),
            }
        }
        if out.is_empty() {
            return Err(Skip::NotApplicable(format!(
                "no Vault audit log on the host ({})",
                absent.join(", ")
            )));
        }
        Ok(out)
    }

    fn storage(&self) -> Result<Vec<Item>, Skip> {
        let c = self.config()?;
        let mut out = Vec::new();
        let mut other = Vec::new();
        for s in &c.storage {
            if s.kind != "file" && s.kind != "raft" {
                other.push(format!("storage \"{}\" ({})", s.kind, s.at));
                continue;
            }
            let subject = format!("storage \"{}\"", s.kind);
            match s.get("path") {
                Some(p) => match &p.value {
                    Value::Literal(path) => {
                        out.push(
                            match owner_and_mode(
                                &self.ctx.host,
                                &self.accounts,
                                path,
                                &self.user,
                                "the storage directory",
                            ) {
                                Ok((value, ok, reason)) => {
                                    item(&format!("{subject} {path}"), &value, &p.at, ok, reason)
                                }
                                Err(e) => unreadable(&subject, format!("{}: {e}", p.at)),
                            },
                        );
                    }
                    Value::NotLiteral => out.push(unreadable(
                        &subject,
                        format!("{}: path is an expression vigil does not evaluate", p.at),
                    )),
                },
                None => out.push(unreadable(
                    &subject,
                    format!("{}: the block has no path", s.at),
                )),
            }
        }
        if out.is_empty() {
            return Err(Skip::NotApplicable(if other.is_empty() {
                format!("no storage block in {}", c.files.join(", "))
            } else {
                format!(
                    "the storage is not on this host's file system: {}",
                    other.join(", ")
                )
            }));
        }
        Ok(out)
    }
}

/// An audit device option as text (`vault audit list` gives strings; the API may give
/// booleans or lists).
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
