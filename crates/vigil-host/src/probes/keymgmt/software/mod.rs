//! KMS software against the site policy (CCM CEK-12, NIST SP 800-130 FR:8.9), one
//! module per object:
//!
//! - [`software_version`], `software_version_object` (entity `name`): one item per
//!   `[[software]]` entry — the installed Debian package version (from
//!   /var/lib/dpkg/status) compared with `min_version` in dpkg order, and the upstream
//!   version (the package version without epoch and revision, or the first line of
//!   `version_file`) compared with `min_upstream` in the upstream order of
//!   [`crate::policy::upstream`] (letter releases such as `1.1.1w` and `9.2p1`
//!   included); absent software is not applicable unless `required = true`.
//! - [`package_files`], `package_files_object` (entity `package`): the files of the
//!   installed key-management packages against dpkg's md5sums, as `dpkg --verify`.
//! - [`integrity`], `integrity_object` (entity `path`): one item per file under the
//!   integrity-monitored paths and per baseline entry below them: SHA-256, mode, owner,
//!   group and named ACL entries compared with the baseline file, which `vigil baseline
//!   create` writes ([`crate::baseline`]); nothing else is read as a baseline (see
//!   [`parse_baseline`]).

pub mod integrity;
pub mod package_files;
pub mod software_version;

pub use integrity::{BaselineEntry, IntegrityProbe, parse_baseline};
pub use package_files::PackageFilesProbe;
pub use software_version::{SoftwareVersionProbe, dpkg_status};
