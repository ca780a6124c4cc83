//! A HashiCorp Vault server on the scanned host, against HashiCorp's production
//! hardening guide (developer.hashicorp.com/vault/docs/concepts/production-hardening):
//! CCM CEK-*, IAM-* and LOG-* evidence about the KMS itself rather than its keys.
//!
//! - [`config`]: the server configuration (HCL or JSON): `disable_mlock`, `listener`
//!   and `storage` blocks, with `file:line` for every setting.
//! - [`hardening`], `vault_hardening_object` (entity `setting`): one item per setting
//!   checked (per listener, audit device, storage directory, process...) with
//!   `compliant`, the value found and where.
//!
//! Where the server is comes from discovery ([`super::discover::vault_server`]: the
//! `-config` of `vault.service`, else `/etc/vault.d`), with or without a policy; its
//! enabled audit devices from the saved `vault audit list` output that `[siem]
//! vault_audit_list` names (read by [`super::audit_config::forwarders::vault`], the one
//! reader of that file); root-token use from the policy's Vault `[[audit_logs]]`.

pub mod config;
pub mod hardening;

pub use hardening::VaultHardeningProbe;
