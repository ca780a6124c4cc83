//! System probes: host facts that are not files (OVAL 5.11 independent, unix and linux
//! component schemas). One module per area:
//!
//! - [`family`]: `family_object` (independent) — always `unix` on Linux.
//! - [`environment`]: `environmentvariable58_object` and the legacy
//!   `environmentvariable_object` (independent).
//! - [`uname`]: `uname_object` (unix), from `uname(2)`.
//! - [`sysctl`]: `sysctl_object` (unix), from `/proc/sys`.
//! - [`accounts`]: `password_object` and `shadow_object` (unix), from `/etc/passwd` and
//!   `/etc/shadow`.
//! - [`process`]: `process58_object` and the legacy `process_object` (unix), from
//!   `/proc/<pid>`.
//! - [`runlevel`]: `runlevel_object` (unix), from the `/etc/rc?.d` links.
//! - [`packages`]: `dpkginfo_object` (linux).
//! - [`rpm`]: `rpminfo_object`, `rpmverify_object`, `rpmverifyfile_object`,
//!   `rpmverifypackage_object` (linux), from the rpm database read by vigil.
//! - [`partition`]: `partition_object` (linux), from `/proc/mounts` and `statvfs(3)`.
//! - [`systemd`]: `systemdunitproperty_object` and `systemdunitdependency_object`
//!   (linux), through `systemctl`.
//! - [`sql`]: `sql_object` and `sql57_object` (independent): always an error, with
//!   oscap's message (vigil queries no database).
//! - [`apparmor`]: `apparmorstatus_object` (linux), from securityfs and `/proc`.
//! - [`slackware`]: `slackwarepkginfo_object` (linux), from `/var/log/packages`.
//! - [`gconf`]: `gconf_object` (unix), from GConf XML backend files.
//! - [`selinux`]: `selinuxboolean_object` and `selinuxsecuritycontext_object` (linux),
//!   from selinuxfs, `security.selinux` attributes and `/proc/<pid>/attr/current`.
//! - [`network`]: `interface_object`, `routingtable_object` and `dnscache_object`
//!   (unix), from `getifaddrs(3)` and `/proc/net/route`, `/proc/net/ipv6_route`.
//! - [`sockets`]: `inetlisteningservers_object` and `iflisteners_object` (linux), from
//!   `/proc/net/*` and the socket links of `/proc/<pid>/fd`.
//! - [`inetd`]: `xinetd_object` and `inetd_object` (unix), from `/etc/xinetd.conf`
//!   (and what it includes) and `/etc/inetd.conf`.
//!
//! Each probe was compared by hand with OpenSCAP 1.3.7 (`oscap oval eval`) on a Debian 12
//! host; where vigil differs from oscap on purpose the module says so and why.

pub mod accounts;
pub mod apparmor;
pub mod environment;
pub mod family;
pub mod gconf;
pub mod inetd;
pub mod network;
pub mod packages;
pub mod partition;
pub mod process;
pub mod rpm;
pub mod runlevel;
pub mod selinux;
pub mod slackware;
pub mod sockets;
pub mod sql;
pub mod sysctl;
pub mod systemd;
pub mod uname;

use std::sync::Arc;

use crate::probes::{Collected, Context, Flag, Item, ObjectQuery, Registry};
use vigil_core::content::oval::Family;
use vigil_core::values::compare::CompareError;

/// Registers every system probe with its family.
pub fn register(r: &mut Registry) {
    r.register(Family::Independent, Arc::new(family::FamilyProbe));
    r.register(Family::Independent, Arc::new(environment::EnvironmentProbe));
    r.register(
        Family::Independent,
        Arc::new(environment::LegacyEnvironmentProbe),
    );
    r.register(Family::Unix, Arc::new(uname::UnameProbe));
    r.register(Family::Unix, Arc::new(sysctl::SysctlProbe));
    r.register(Family::Unix, Arc::new(accounts::PasswordProbe));
    r.register(Family::Unix, Arc::new(accounts::ShadowProbe));
    r.register(Family::Unix, Arc::new(process::ProcessProbe));
    r.register(Family::Unix, Arc::new(process::LegacyProcessProbe));
    r.register(Family::Unix, Arc::new(runlevel::RunlevelProbe));
    r.register(Family::Linux, Arc::new(packages::DpkgProbe::default()));
    let rpmdb = rpm::Shared::default();
    r.register(Family::Linux, Arc::new(rpm::InfoProbe(rpmdb.clone())));
    r.register(Family::Linux, Arc::new(rpm::VerifyProbe(rpmdb.clone())));
    r.register(Family::Linux, Arc::new(rpm::VerifyFileProbe(rpmdb.clone())));
    r.register(Family::Linux, Arc::new(rpm::VerifyPackageProbe(rpmdb)));
    r.register(Family::Linux, Arc::new(partition::PartitionProbe));
    r.register(Family::Linux, Arc::new(systemd::SystemdPropertyProbe));
    r.register(Family::Linux, Arc::new(systemd::SystemdDependencyProbe));
    r.register(Family::Linux, Arc::new(selinux::SelinuxBooleanProbe));
    r.register(Family::Linux, Arc::new(selinux::SelinuxContextProbe));
    r.register(Family::Independent, Arc::new(sql::SqlProbe));
    r.register(Family::Linux, Arc::new(apparmor::AppArmorProbe));
    r.register(Family::Linux, Arc::new(slackware::SlackwareProbe));
    r.register(Family::Unix, Arc::new(gconf::GconfProbe));
    r.register(Family::Unix, Arc::new(network::InterfaceProbe));
    r.register(Family::Unix, Arc::new(network::RoutingTableProbe));
    r.register(Family::Unix, Arc::new(network::DnsCacheProbe));
    r.register(Family::Linux, Arc::new(sockets::InetListeningServersProbe));
    r.register(Family::Linux, Arc::new(sockets::IfListenersProbe));
    r.register(Family::Unix, Arc::new(inetd::XinetdProbe));
    r.register(Family::Unix, Arc::new(inetd::InetdProbe));
}

/// Does `candidate` satisfy the object entity `name`? [`ObjectQuery::selects`]: an
/// entity the object does not give selects every value, one given as nil none (as
/// oscap; an entity whose nil means something else, such as environmentvariable58's
/// `pid`, is handled by its probe first).
pub(crate) fn entity_matches(
    query: &ObjectQuery,
    name: &str,
    candidate: &str,
) -> Result<bool, CompareError> {
    query.selects(name, candidate)
}

/// [`entity_matches`], with a comparison vigil cannot make turned into the object's
/// error ([`compare_error`]).
pub(crate) fn selects(query: &ObjectQuery, name: &str, v: &str) -> Result<bool, Collected> {
    entity_matches(query, name, v).map_err(|e| compare_error(query, e))
}

/// The values of entity `name` when it can be looked up directly (operation equals).
pub(crate) fn exact<'q>(query: &'q ObjectQuery, name: &str) -> Option<&'q [String]> {
    query.entity(name).and_then(|e| e.exact_values())
}

/// Probes that read the running kernel have nothing to read on an offline root.
pub(crate) fn require_live(ctx: &Context, query: &ObjectQuery) -> Option<Collected> {
    ctx.host.root().map(|root| {
        Collected::with_flag(
            Flag::NotApplicable,
            format!(
                "{} reads the running system; not applicable when scanning the offline root {}",
                query.kind,
                root.display()
            ),
        )
    })
}

/// The object could not be matched against its entities (e.g. an operation the
/// comparison does not support): an error, never a guess.
pub(crate) fn compare_error(query: &ObjectQuery, e: CompareError) -> Collected {
    Collected::error(format!("{}: {e}", query.object_id))
}

/// Drops items identical to an earlier one (oscap merges identical items, e.g. a mount
/// point listed twice in /proc/mounts).
pub(crate) fn dedup(items: Vec<Item>) -> Vec<Item> {
    let mut out: Vec<Item> = Vec::with_capacity(items.len());
    for it in items {
        if !out.contains(&it) {
            out.push(it);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod testutil {
    use std::sync::Arc;

    use crate::host::Host;
    use crate::probes::{Context, ObjectQuery, QueryEntity};
    use vigil_core::content::oval::{Check, Datatype, Family, Operation};

    /// A query with the given (name, operation, value) entities.
    pub(crate) fn query(
        family: Family,
        kind: &str,
        entities: &[(&str, Operation, &str)],
    ) -> ObjectQuery {
        ObjectQuery {
            object_id: format!("oval:test:obj:{kind}"),
            family,
            kind: kind.to_string(),
            behaviors: Default::default(),
            entities: entities
                .iter()
                .map(|(n, op, v)| entity(n, *op, Some(v)))
                .collect(),
            item_filter: None,
        }
    }

    /// A query entity `name` compared by `operation` against `value`; `None` makes it a
    /// nil entity (`xsi:nil="true"`) with no values.
    pub(crate) fn entity(name: &str, operation: Operation, value: Option<&str>) -> QueryEntity {
        QueryEntity {
            name: name.to_string(),
            datatype: Datatype::String,
            operation,
            values: value.map(|v| vec![v.to_string()]).unwrap_or_default(),
            nil: value.is_none(),
            var_check: Check::All,
            from_variable: false,
        }
    }

    pub(crate) fn live() -> Context {
        Context::new(Arc::new(Host::live()))
    }

    pub(crate) fn offline(root: &std::path::Path) -> Context {
        Context::new(Arc::new(Host::offline(root)))
    }
}
