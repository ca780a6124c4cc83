//! vigil-host: the host side of a scan. [`host`] reads the system being scanned (the
//! running one, or a root mounted offline, every read confined to it); [`probes`]
//! collect OVAL items from it through the probe interface vigil-core's engine owns;
//! [`policy`] is the site key-management policy those probes judge against; [`scan`]
//! runs one scan from loaded content to the results document.
//!
//! The dependency runs one way: this crate uses vigil-core, never the other way, and
//! knows nothing of command lines, reports or remote hosts (the binary's).

pub mod baseline;
pub mod host;
pub mod policy;
pub mod probes;
pub mod scan;
pub mod waivers;

pub use host::Host;

#[cfg(test)]
#[path = "../../../src/testtool.rs"]
mod testtool;
