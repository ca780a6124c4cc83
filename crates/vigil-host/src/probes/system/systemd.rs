//! `systemdunitproperty_object` and `systemdunitdependency_object` (OVAL 5.11 linux
//! schema): systemd unit properties and the units a unit pulls in, read with
//! `systemctl` (vigil does not speak D-Bus itself).
//!
//! Without a running systemd (no `/run/systemd/system`) oscap 1.3.7 cannot reach systemd
//! over D-Bus and reports the object as `error` ("DBus connection failed, could not
//! identify systemd units."); vigil gives the same flag with its own message. Not
//! applicable on an offline root.
//!
//! Dependencies follow `Requires=` and `Wants=` recursively: an item for a unit lists
//! every unit reachable that way, each once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches, exact, require_live};

/// The probe of OVAL 5.11 `linux:systemdunitproperty_object`: unit properties from
/// `systemctl show` (live only).
pub struct SystemdPropertyProbe;
/// The probe of OVAL 5.11 `linux:systemdunitdependency_object`: the units a unit
/// depends on (live only).
pub struct SystemdDependencyProbe;

/// Why a systemd object cannot be collected, if it cannot.
fn systemd_unavailable(ctx: &Context, query: &ObjectQuery) -> Option<Collected> {
    if let Some(c) = require_live(ctx, query) {
        return Some(c);
    }
    if !Path::new("/run/systemd/system").is_dir() {
        return Some(Collected::error(
            "systemd is not running (no /run/systemd/system): could not identify systemd units",
        ));
    }
    None
}

fn systemctl(args: &[&str]) -> Result<String, String> {
    let out = Command::new("systemctl")
        .args(["--no-pager", "--no-legend", "--plain", "--full"])
        .args(args)
        .output()
        .map_err(|e| format!("cannot run systemctl: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "systemctl {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Unit names from `list-units`/`list-unit-files` output: the first column.
pub fn parse_unit_list(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|u| u.contains('.'))
        .map(str::to_string)
        .collect()
}

/// `Key=Value` lines of `systemctl show`, in order (a key may not repeat).
pub fn parse_show(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The units the object's `unit` entity selects.
fn select_units(query: &ObjectQuery) -> Result<Vec<String>, Collected> {
    if let Some(units) = exact(query, "unit") {
        return Ok(units.to_vec());
    }
    let mut all = parse_unit_list(&systemctl(&["list-unit-files"]).map_err(Collected::error)?);
    all.extend(parse_unit_list(
        &systemctl(&["list-units", "--all"]).map_err(Collected::error)?,
    ));
    let mut out = Vec::new();
    for u in all {
        match entity_matches(query, "unit", &u) {
            Ok(true) => out.push(u),
            Ok(false) => {}
            Err(e) => return Err(compare_error(query, e)),
        }
    }
    Ok(out)
}

fn show(unit: &str, props: &[&str]) -> Result<BTreeMap<String, String>, Collected> {
    let mut args = vec!["show"];
    for p in props {
        args.push("-p");
        args.push(p);
    }
    args.push("--");
    args.push(unit);
    systemctl(&args)
        .map(|t| parse_show(&t))
        .map_err(Collected::error)
}

/// A unit systemd does not know is not an item.
fn unit_exists(props: &BTreeMap<String, String>) -> bool {
    props.get("LoadState").is_none_or(|s| s != "not-found")
}

impl Probe<Context> for SystemdPropertyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["systemdunitproperty_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = systemd_unavailable(ctx, query) {
            return c;
        }
        let units = match select_units(query) {
            Ok(u) => u,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        for unit in units {
            let props = match show(&unit, &[]) {
                Ok(p) => p,
                Err(c) => return c,
            };
            if !unit_exists(&props) {
                continue;
            }
            for (k, v) in &props {
                match entity_matches(query, "property", k) {
                    Ok(true) => {
                        let _ = items.push(
                            Item::new()
                                .field("unit", unit.as_str())
                                .field("property", k.as_str())
                                .field("value", v.as_str()),
                        );
                    }
                    Ok(false) => {}
                    Err(e) => return compare_error(query, e),
                }
            }
        }
        items.into_collected()
    }
}

/// Every unit reachable from `unit` through Requires= and Wants=, in discovery order.
pub fn dependencies(
    unit: &str,
    mut direct: impl FnMut(&str) -> Result<Vec<String>, Collected>,
) -> Result<Vec<String>, Collected> {
    let mut seen = BTreeSet::from([unit.to_string()]);
    let mut order = Vec::new();
    let mut queue = std::collections::VecDeque::from([unit.to_string()]);
    while let Some(u) = queue.pop_front() {
        for d in direct(&u)? {
            if seen.insert(d.clone()) {
                order.push(d.clone());
                queue.push_back(d);
            }
        }
    }
    Ok(order)
}

impl Probe<Context> for SystemdDependencyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["systemdunitdependency_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = systemd_unavailable(ctx, query) {
            return c;
        }
        let units = match select_units(query) {
            Ok(u) => u,
            Err(c) => return c,
        };
        let mut items = ctx.sink(ctx.deadline());
        for unit in units {
            let top = match show(&unit, &["LoadState"]) {
                Ok(p) => p,
                Err(c) => return c,
            };
            if !unit_exists(&top) {
                continue;
            }
            let deps = dependencies(&unit, |u| {
                let p = show(u, &["Requires", "Wants"])?;
                Ok(p.values()
                    .flat_map(|v| v.split_whitespace())
                    .map(str::to_string)
                    .collect())
            });
            let deps = match deps {
                Ok(d) => d,
                Err(c) => return c,
            };
            let mut it = Item::new().field("unit", unit.as_str());
            for d in deps {
                it.push("dependency", d);
            }
            let _ = items.push(it);
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use vigil_core::content::oval::{Family, Operation};

    #[test]
    fn without_running_systemd_the_object_is_an_error_like_oscap() {
        let q = testutil::query(
            Family::Linux,
            "systemdunitproperty_object",
            &[
                ("unit", Operation::PatternMatch, r"^ssh\.(socket|service)$"),
                ("property", Operation::Equals, "ActiveState"),
            ],
        );
        let c = SystemdPropertyProbe.collect(&q, &testutil::live());
        if Path::new("/run/systemd/system").is_dir() {
            assert_ne!(c.flag, Flag::Error, "{:?}", c.messages);
        } else {
            assert_eq!(c.flag, Flag::Error);
            assert!(c.messages[0].contains("systemd"));
        }
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let q = testutil::query(
            Family::Linux,
            "systemdunitdependency_object",
            &[("unit", Operation::Equals, "multi-user.target")],
        );
        let c = SystemdDependencyProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::NotApplicable);
    }

    #[test]
    fn show_and_list_parsing() {
        let p = parse_show("Requires=a.service b.socket\nWants=\nActiveState=active\nX=y=z\n");
        assert_eq!(p["Requires"], "a.service b.socket");
        assert_eq!(p["X"], "y=z");
        let l = parse_unit_list("ssh.service enabled enabled\nauditd.service disabled -\n\n");
        assert_eq!(
            l.into_iter().collect::<Vec<_>>(),
            ["auditd.service", "ssh.service"]
        );
    }

    #[test]
    fn dependencies_are_transitive_once_each_and_survive_cycles() {
        let graph = BTreeMap::from([
            ("multi-user.target", vec!["basic.target", "ssh.service"]),
            ("basic.target", vec!["sockets.target", "multi-user.target"]),
            ("sockets.target", vec!["ssh.socket", "basic.target"]),
            ("ssh.service", vec!["ssh.socket"]),
        ]);
        let deps = dependencies("multi-user.target", |u| {
            Ok(graph
                .get(u)
                .map(|v| v.iter().map(|s| s.to_string()).collect())
                .unwrap_or_default())
        })
        .unwrap();
        assert_eq!(
            deps,
            [
                "basic.target",
                "ssh.service",
                "sockets.target",
                "ssh.socket"
            ]
        );
    }
}
