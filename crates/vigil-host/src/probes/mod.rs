//! The host's probes: they collect OVAL items (OVAL 5.11 §4.4, system
//! characteristics) for the objects the engine asks for, through the probe interface
//! the engine owns ([`vigil_core::engine::probe`]). A probe only gathers facts: it never
//! decides pass or fail.
//!
//! - [`fs`]: file, textfilecontent54, filehash58, xmlfilecontent and friends, over one
//!   shared walk of each file system.
//! - [`system`]: packages, processes, accounts, sysctl, systemd and the rest of the
//!   unix/linux/independent families.
//! - [`keymgmt`]: the key-management families of the bundled benchmark (OVAL family
//!   `vigil`, [`vigil_core::content::oval::Family::Vigil`]).
//!
//! Families vigil does not implement are `not collected`, with a message, so their tests
//! are `unknown`: vigil never guesses.

pub mod fs;
pub mod keymgmt;
pub mod system;

use std::sync::Arc;

pub use vigil_core::engine::probe::{
    Collected, Deadline, Flag, Full, Item, ItemField, ItemFilter, ItemPredicate, ItemSink,
    ItemStatus, Limits, ObjectQuery, Probe, QueryEntity,
};

use crate::host::Host;

/// Every probe vigil has, looked up by (family, object kind).
pub type Registry = vigil_core::engine::probe::Registry<Context>;

/// Scan-wide settings and shared state for probes.
pub struct Context {
    /// The host probes read, live or offline under a root.
    pub host: Arc<Host>,
    /// Files larger than this are not read for content or hashes (reported in the item).
    pub max_file_size: u64,
    /// The site key-management policy (`--policy`); vigil's own key-management probes
    /// are not applicable without one.
    pub policy: Option<Arc<crate::policy::Policy>>,
    /// `--baseline`, `--baseline-key`: the integrity baseline on the scanning machine,
    /// which the `integrity_object` probe reads instead of `[integrity] baseline`.
    pub baseline: crate::baseline::ScannerBaseline,
    /// Time, item and byte bounds of one object's collection.
    pub limits: Limits,
    /// Without `policy`: the policy discovery makes from the host, on the first probe
    /// that asks for one ([`keymgmt::discover`]), so content without vigil checks pays
    /// nothing for it.
    pub discovered: std::sync::OnceLock<Arc<crate::policy::Policy>>,
    /// The audit logs read so far, each parsed once per scan.
    pub audit_logs: keymgmt::auditlog::SourceCache,
}

impl Context {
    /// A context for `host` with the default file-size bound, no policy and no time
    /// limit.
    pub fn new(host: Arc<Host>) -> Context {
        Context {
            host,
            max_file_size: crate::scan::DEFAULT_MAX_FILE_SIZE,
            policy: None,
            baseline: Default::default(),
            limits: Limits::untimed(),
            discovered: std::sync::OnceLock::new(),
            audit_logs: Default::default(),
        }
    }

    /// An empty [`ItemSink`] for one object under this context's limits and `deadline`.
    pub fn sink(&self, deadline: Deadline) -> ItemSink {
        self.limits.sink(deadline)
    }

    /// A deadline starting now for one probe call; see [`Limits::deadline`].
    pub fn deadline(&self) -> Deadline {
        self.limits.deadline()
    }
}

/// The registry with every built-in probe.
pub fn builtin() -> Registry {
    let mut r = Registry::empty();
    system::register(&mut r);
    keymgmt::register(&mut r);
    fs::register(&mut r);
    r
}

#[cfg(test)]
mod tests {
    use vigil_core::content::oval::{Family, Operation};

    use super::system::testutil::{entity, query};
    use super::*;

    /// The system and vigil probes' helpers are the same rule (issue 14 item 4: they
    /// used to disagree on nil, the system one selecting every value).
    #[test]
    fn system_and_vigil_probes_agree_on_nil_and_on_absent_entities() {
        for (family, entities, want) in [
            (
                Family::Unix,
                vec![entity("name", Operation::Equals, None)],
                false,
            ),
            (
                Family::Vigil,
                vec![entity("name", Operation::Equals, None)],
                false,
            ),
            (Family::Unix, vec![], true),
            (Family::Vigil, vec![], true),
            (
                Family::Linux,
                vec![entity("name", Operation::Equals, Some("x"))],
                true,
            ),
        ] {
            let mut q = query(family, "sysctl_object", &[]);
            q.entities = entities;
            let sys = system::entity_matches(&q, "name", "x").unwrap();
            let own = keymgmt::selects(&q, "name", "x").ok().unwrap();
            assert_eq!((sys, own), (want, want), "{:?}", q.entities);
        }
    }
}
