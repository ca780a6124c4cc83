//! Role membership and separation of duties (NIST SP 800-130 FR:5.3, FR:5.4; CCM
//! IAM-09, IAM-12, CEK-14), one module per object:
//!
//! - [`role`], `role_object` (entities `role`, `role_kind`, `identity_type`): one item
//!   per (identity, role), Unix groups expanded through /etc/group and primary groups.
//! - [`conflict`], `role_conflict_object`: one item per identity found in two roles the
//!   policy keeps separate.
//! - [`sudoers`], `sudoers_object` (entity `identity`): sudo grants held by role
//!   members, from /etc/sudoers and its include files, each with whether it breaks a
//!   separation.
//! - [`aws_key_policy`], `aws_key_policy_object` (entity `key_id`): one item per
//!   principal of an AWS KMS key-policy document, with the administrative and use
//!   actions it is allowed.
//!
//! This module holds what they share: the policy's role members, Unix groups expanded
//! ([`members`]).

pub mod aws_key_policy;
pub mod conflict;
pub mod role;
pub mod sudoers;

use crate::host::accounts::{Accounts, Via};
use crate::policy::{Policy, RoleKind};

pub use aws_key_policy::{AwsKeyPolicyProbe, key_policy_grants};
pub use conflict::RoleConflictProbe;
pub use role::RoleProbe;
pub use sudoers::{SudoersProbe, read_sudoers};

/// One (identity, role) membership.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// Name of the policy role.
    pub role: String,
    /// The role's kind.
    pub kind: RoleKind,
    /// The identity as the policy names it: Unix user or group name, Vault policy name,
    /// AWS principal (ARN, account id or `*`).
    pub identity: String,
    /// unix_user, unix_group, vault_policy, aws_principal.
    pub identity_type: &'static str,
    /// `direct`, `group:NAME` or `primary group:NAME`.
    pub via: String,
    /// Whether a Unix user or group exists on the host (others cannot be checked).
    pub exists: Option<bool>,
}

/// Every membership the policy declares, Unix groups expanded.
pub fn members(pol: &Policy, acc: &Accounts) -> Vec<Member> {
    let mut out = Vec::new();
    for r in &pol.roles {
        let m = |identity: &str, t: &'static str, via: String, exists: Option<bool>| Member {
            role: r.name.clone(),
            kind: r.kind,
            identity: identity.to_string(),
            identity_type: t,
            via,
            exists,
        };
        for u in &r.unix_users {
            out.push(m(
                u,
                "unix_user",
                "direct".into(),
                Some(acc.user(u).is_some()),
            ));
        }
        for g in &r.unix_groups {
            let group = acc.group(g);
            out.push(m(g, "unix_group", "direct".into(), Some(group.is_some())));
            if let Some(group) = group {
                for (user, via) in acc.members(group) {
                    let via = match via {
                        Via::Primary => format!("primary group:{g}"),
                        Via::Member => format!("group:{g}"),
                    };
                    if !out.iter().any(|x: &Member| {
                        x.role == r.name && x.identity == user && x.identity_type == "unix_user"
                    }) {
                        out.push(m(&user, "unix_user", via, Some(acc.user(&user).is_some())));
                    }
                }
            }
        }
        for v in &r.vault_policies {
            out.push(m(v, "vault_policy", "direct".into(), None));
        }
        for a in &r.aws_principals {
            out.push(m(a, "aws_principal", "direct".into(), None));
        }
    }
    out
}

pub(crate) use super::read_accounts;
