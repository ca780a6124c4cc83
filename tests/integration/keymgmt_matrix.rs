//! Issue 16's result matrix for the bundled benchmark: for every rule, a fixture for
//! each result it can give (pass, fail, notapplicable, unknown, error), with the
//! evidence that must come with it, and a completeness test that every rule under
//! content/ccm-log11/rules/ has its pass, fail, notapplicable and unknown cases or an
//! entry in [`CANNOT`] saying why it cannot give that result.
//!
//! A case is one line of [`CASES`]: the rule, the result, the scenario (a fixture host
//! and policy, scanned once for all its cases) and a needle that must appear in the
//! rule's evidence: its messages, the `field=value` of the items it judged (for a
//! failure, of the failing items only), the items' messages, or the `flag=...` and
//! messages of its objects. Fixtures are the ones of `keymgmt.rs` (`build` with
//! `Break`s, `plain_debian`) with policy or file edits.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use super::keymgmt::{
    Break, Fixture, KEY_BREAKS, KEY_LIFE_BREAKS, LOG_BREAKS, ROLE_BREAKS, SOFTWARE_BREAKS,
    STANDARD_BREAKS, Scan, build, plain_debian, refit_forwarding, scan, set_sudoers,
};

const PASS: &str = "pass";
const FAIL: &str = "fail";
const NA: &str = "notapplicable";
const UNKNOWN: &str = "unknown";
const ERROR: &str = "error";

/// (rule short id, expected result, scenario, evidence needle).
type Case = (&'static str, &'static str, &'static str, &'static str);

#[rustfmt::skip]
const CASES: &[Case] = &[
    // ---- keys ----
    ("key_present", PASS, "compliant", "path=/etc/kms/keys/backup.key"),
    ("key_present", FAIL, "weak, old and expiring keys", "path=/etc/kms/keys/backup.key"),
    ("key_present", NA, "bare policy", "the policy declares no active [[keys]] entry"),
    ("key_fingerprint_approved", PASS, "compliant", "fingerprint_matches_policy=true"),
    ("key_fingerprint_approved", FAIL, "tampered keys", "name=signing"),
    ("key_fingerprint_approved", NA, "thin policy", "with sha256 or spki_sha256"),
    ("key_fingerprint_approved", NA, "no policy", "no site policy given (--policy)"),
    ("key_permissions", PASS, "compliant", "mode=0600"),
    ("key_permissions", FAIL, "tampered keys", "mode=0644"),
    ("key_permissions", NA, "thin policy", "active [[keys]] entry with owner, group or mode"),
    ("key_acl", PASS, "compliant", "acl_entry=user:vault:r--"),
    ("key_acl", FAIL, "tampered keys", "unexpected_acl_entry=user:bob:r--"),
    ("key_acl", NA, "bare policy", "the policy declares no"),
    ("key_strength", PASS, "compliant", "curve=P-256"),
    ("key_strength", FAIL, "weak, old and expiring keys", "key_size=2048"),
    ("key_strength", FAIL, "plain debian, broken", "path=/etc/ssl/private/legacy.key"),
    ("key_strength", NA, "bare policy", "the policy declares no"),
    ("key_strength", UNKNOWN, "undecidable", "/etc/kms/keys/backup.key: the key's algorithm and size cannot be read (encrypted)"),
    ("key_age", PASS, "compliant", "age_within_policy=true"),
    ("key_age", FAIL, "weak, old and expiring keys", "age_days=400"),
    ("key_age", NA, "thin policy", "with created and max_age_days"),
    ("destroyed_keys_absent", PASS, "compliant", "name=old-signing"),
    ("destroyed_keys_absent", FAIL, "tampered keys", "path=/etc/kms/keys/old-signing.pem"),
    ("destroyed_keys_absent", NA, "thin policy", "[[keys]] entry with state = \"destroyed\""),
    ("no_undeclared_private_keys", PASS, "compliant", "flag=does not exist"),
    ("no_undeclared_private_keys", FAIL, "tampered keys", "path=/etc/kms/keys/stray.pem"),
    ("no_undeclared_private_keys", NA, "no policy", "without a site policy no key is declared"),
    ("private_key_readers", PASS, "compliant", "path=/etc/kms/keys/signing.pem"),
    ("private_key_readers", FAIL, "plain debian, broken", "path=/etc/ssl/private/ssl-cert-snakeoil.key"),
    ("private_key_readers", NA, "bare policy", "the policy declares no"),
    ("private_key_writers", PASS, "compliant", "path=/etc/kms/keys/signing.pem"),
    ("private_key_writers", FAIL, "key writable by an auditor", "writer=bob"),
    ("private_key_writers", NA, "bare policy", "the policy declares no"),
    ("certificate_not_expired", PASS, "compliant", "name=hsm-root"),
    ("certificate_not_expired", FAIL, "weak, old and expiring keys", "not_after=2020-02-01T00:00:00Z"),
    ("certificate_not_expired", NA, "bare policy", "active [[keys]] entry with a certificate"),
    ("certificate_not_expiring", PASS, "compliant", "subject=CN=vault.example.net"),
    ("certificate_not_expiring", FAIL, "weak, old and expiring keys", "subject=CN=vault.example.net"),
    ("certificate_not_expiring", NA, "bare policy", "active [[keys]] entry with a certificate"),
    ("certificate_signature_strong", PASS, "compliant", "signature_algorithm=ecdsa-with-SHA256"),
    ("certificate_signature_strong", FAIL, "weak certificate signature", "signature_algorithm=ecdsa-with-SHA1"),
    ("certificate_signature_strong", NA, "bare policy", "active [[keys]] entry with a certificate"),
    ("certificate_signature_strong", UNKNOWN, "undecidable", "signature_oid=2.16.840.1.101.3.4.3.11"),
    // ---- roles ----
    ("role_separation", PASS, "compliant", "flag=does not exist"),
    ("role_separation", FAIL, "broken role separation", "identity=bob"),
    ("role_separation", NA, "no policy", "no site policy given (--policy)"),
    ("role_members_resolve", PASS, "compliant", "identity=alice"),
    ("role_members_resolve", FAIL, "broken role separation", "identity=ghost"),
    ("role_members_resolve", NA, "bare policy", "the policy declares no"),
    ("role_members_active", PASS, "compliant", "identity=alice"),
    ("role_members_active", FAIL, "broken role separation", "identity=dave"),
    ("role_members_active", NA, "bare policy", "the policy declares no"),
    ("role_members_active", UNKNOWN, "thin policy", "no [[audit_logs]] source records unix_user activity (format auditd)"),
    ("sudoers_separation", PASS, "compliant", "identity=alice"),
    ("sudoers_separation", FAIL, "broken role separation", "command=/bin/bash"),
    ("sudoers_separation", NA, "no sudoers", "/etc/sudoers does not exist"),
    ("sudoers_separation", ERROR, "undecidable", "could not be collected: /etc/sudoers:1: whether the grant applies to alice cannot be told: +kmsops is a netgroup"),
    ("audit_admin_cannot_read_keys", PASS, "compliant", "identity=bob"),
    ("audit_admin_cannot_read_keys", FAIL, "tampered keys", "read_reason=ACL user:bob"),
    ("audit_admin_cannot_read_keys", NA, "no policy", "no site policy given (--policy)"),
    ("key_admin_cannot_write_audit_logs", PASS, "compliant", "identity=alice"),
    ("key_admin_cannot_write_audit_logs", FAIL, "broken role separation", "write_reason=ACL user:alice"),
    ("key_admin_cannot_write_audit_logs", NA, "bare policy", "the policy declares no [[roles]] member"),
    ("key_admin_cannot_write_audit_logs", NA, "empty root", "no site policy given (--policy), so no [[roles]] member"),
    ("key_admin_cannot_write_audit_logs", NA, "audit logs missing", "nothing to check: /var/log/audit/audit.log: does not exist"),
    ("key_admin_cannot_write_audit_logs", PASS, "only the vault audit log", "path=/var/log/vault/audit.log"),
    ("aws_key_policy_separation", PASS, "compliant", "admin_and_use=false"),
    ("aws_key_policy_separation", FAIL, "broken role separation", "evidence=arn:aws:iam::111122223333:role/KeyAdmin is allowed kms:"),
    ("aws_key_policy_separation", NA, "thin policy", "[[aws_key_policies]]"),
    // ---- audit logs ----
    ("audit_log_present", PASS, "compliant", "path=/var/log/vault/audit.log"),
    ("audit_log_present", FAIL, "broken audit logs", "path=/var/log/hsm/audit.log"),
    ("audit_log_present", FAIL, "plain debian", "path=/var/log/audit/audit.log"),
    ("audit_log_present", NA, "bare policy", "[[audit_logs]]"),
    ("audit_log_fresh", PASS, "compliant", "name=cloudtrail-kms"),
    ("audit_log_fresh", FAIL, "broken audit logs", "name=cloudtrail-kms"),
    ("audit_log_fresh", NA, "bare policy", "[[audit_logs]]"),
    ("audit_log_permissions", PASS, "compliant", "mode=0600"),
    ("audit_log_permissions", FAIL, "broken audit logs", "mode=0644"),
    ("audit_log_permissions", NA, "bare policy", "[[audit_logs]]"),
    ("audit_log_append_only", PASS, "compliant", "append_only=true"),
    ("audit_log_append_only", FAIL, "broken audit logs", "name=vault-audit"),
    ("audit_log_append_only", NA, "thin policy", "append_only = true"),
    ("audit_log_record_fields", PASS, "compliant", "name=auditd"),
    ("audit_log_record_fields", FAIL, "broken audit logs", "missing identity, outcome: type=PROCTITLE"),
    ("audit_log_record_fields", NA, "bare policy", "[[audit_logs]]"),
    ("audit_log_retention", PASS, "compliant", "retention_basis=/etc/logrotate.d/vault: rotate 60"),
    ("audit_log_retention", FAIL, "broken audit logs", "retention_basis=/etc/logrotate.d/vault: rotate 4 x 7 day(s)"),
    ("audit_log_retention", NA, "no policy", "retention_days"),
    ("vault_audit_not_raw", PASS, "compliant", "name=vault-audit"),
    ("vault_audit_not_raw", FAIL, "broken audit logs", "raw_record_line=9"),
    ("vault_audit_not_raw", NA, "thin policy", "format = \"vault\""),
    ("no_key_material_in_logs", PASS, "compliant", "flag=does not exist"),
    ("no_key_material_in_logs", FAIL, "broken audit logs", "kind=private_key_block"),
    ("no_key_material_in_logs", FAIL, "broken audit logs", "pin-value=****"),
    ("no_key_material_in_logs", NA, "bare policy", "the policy declares no"),
    ("denied_access_spike", PASS, "compliant", "identity=bob"),
    ("denied_access_spike", FAIL, "broken audit logs", "success=no exit=-13 auid=1003"),
    ("denied_access_spike", NA, "bare policy", "[[audit_logs]] source"),
    ("denied_access_spike", NA, "plain debian", "nothing to check: auditd (not configured"),
    ("denied_access_spike", NA, "audit logs missing", "/var/log/audit/audit.log does not exist"),
    ("denied_access_spike", PASS, "only the vault audit log", "auditd: /var/log/audit/audit.log does not exist"),
    ("destructive_events_allowlisted", PASS, "compliant", "action=ScheduleKeyDeletion"),
    ("destructive_events_allowlisted", FAIL, "broken audit logs", "action=DisableKey"),
    ("destructive_events_allowlisted", NA, "no policy", "[[detection.allow]]"),
    ("destructive_events_allowlisted", NA, "audit logs missing", "cloudtrail-kms: /var/log/cloudtrail/kms-events.json does not exist"),
    ("key_policy_changes_allowlisted", PASS, "compliant", "action=PutKeyPolicy"),
    ("key_policy_changes_allowlisted", FAIL, "broken audit logs", "identity=arn:aws:iam::111122223333:role/AppRole"),
    ("key_policy_changes_allowlisted", NA, "no policy", "[[detection.allow]]"),
    // ---- audit configuration and forwarding ----
    ("auditd_watch_key_files", PASS, "compliant", "path=/etc/kms/keys/signing.pem"),
    ("auditd_watch_key_files", FAIL, "broken audit logs", "path=/etc/kms/keys/signing.pem"),
    ("auditd_watch_key_files", NA, "bare policy", "the policy declares no"),
    ("auditd_watch_kms_config", PASS, "compliant", "path=/etc/vault.d/vault.hcl"),
    ("auditd_watch_kms_config", FAIL, "broken audit logs", "path=/etc/vault.d/vault.hcl"),
    ("auditd_watch_kms_config", NA, "no policy", "no site policy given (--policy)"),
    ("siem_forwarding", PASS, "compliant", "target=siem.example.net"),
    ("siem_forwarding", FAIL, "broken audit logs", "target=logs.elsewhere.example"),
    ("siem_forwarding", NA, "no policy", "no site policy given (--policy)"),
    ("rsyslog_remote_forwarding", PASS, "compliant", "forwarder=rsyslog"),
    ("rsyslog_remote_forwarding", FAIL, "no audit daemon", "forwarder=rsyslog"),
    ("rsyslog_remote_forwarding", NA, "audisp-remote only site", "[siem] via does not name rsyslog"),
    ("audisp_remote_active", PASS, "compliant", "forwarder=audisp-remote"),
    ("audisp_remote_active", FAIL, "broken audit logs", "forwarder=audisp-remote"),
    ("audisp_remote_active", NA, "rsyslog only site", "[siem] via does not name audisp-remote"),
    ("log_forwarders_configured", PASS, "vector site", "forwarder=vector"),
    ("log_forwarders_configured", FAIL, "empty root", "forwarder=vector"),
    ("log_forwarders_configured", NA, "compliant", "[siem] via does not name vector"),
    // ---- software ----
    ("software_min_versions", PASS, "compliant", "version=1.15.4-1"),
    ("software_min_versions", FAIL, "outdated or modified software", "version=1.14.0-1"),
    ("software_min_versions", NA, "bare policy", "[[software]]"),
    ("software_min_versions", UNKNOWN, "undecidable", "is not a version vigil can order"),
    ("kms_integrity", PASS, "compliant", "path=/usr/bin/vault"),
    ("kms_integrity", FAIL, "outdated or modified software", "difference=sha256"),
    ("kms_integrity", NA, "bare policy", "[integrity]"),
    ("kms_packages_unmodified", PASS, "compliant", "package=openssl"),
    ("kms_packages_unmodified", FAIL, "outdated or modified software", "changed_file=/usr/share/doc/openssl/copyright"),
    ("kms_packages_unmodified", NA, "empty root", "/var/lib/dpkg/status does not exist"),
    ("kms_packages_unmodified", UNKNOWN, "undecidable", "vault: no md5sums file in /var/lib/dpkg/info: nothing to verify against"),
    // ---- standard OVAL checks of the audit daemon ----
    ("auditd_installed", PASS, "compliant", "name=auditd"),
    ("auditd_installed", FAIL, "no audit daemon", "flag=does not exist"),
    ("auditd_enabled", PASS, "compliant", "filename=auditd.service"),
    ("auditd_enabled", FAIL, "no audit daemon", "flag=does not exist"),
    ("audit_log_dir_protected", PASS, "compliant", "path=/var/log/audit"),
    ("audit_log_dir_protected", FAIL, "no audit daemon", "oread=true"),
    ("audit_early_boot", PASS, "compliant", "filepath=/etc/default/grub"),
    ("audit_early_boot", FAIL, "empty root", "flag=does not exist"),
    ("auditd_keep_logs", PASS, "compliant", "filepath=/etc/audit/auditd.conf"),
    ("auditd_keep_logs", FAIL, "empty root", "flag=does not exist"),
    ("auditd_disk_full_action", PASS, "compliant", "filepath=/etc/audit/auditd.conf"),
    ("auditd_disk_full_action", FAIL, "empty root", "flag=does not exist"),
    ("auditd_rules_immutable", PASS, "compliant", "filename=kms.rules"),
    ("auditd_rules_immutable", FAIL, "no audit daemon", "flag=does not exist"),
    ("auditd_rules_watch_audit_config", PASS, "compliant", "filename=kms.rules"),
    ("auditd_rules_watch_audit_config", FAIL, "no audit daemon", "flag=does not exist"),
];

/// (rule, result, `module::test`): cases that live in a module of their own, because
/// their fixture is a site the compliant host is not (two Vault audit devices, a copy of
/// a CloudTrail trail with its digests, a Vault server, years of key lifecycle). The
/// completeness test checks that each named test exists.
#[rustfmt::skip]
const ELSEWHERE: &[(&str, &str, &str)] = &[
    ("key_rotation_recorded", PASS, "keymgmt_lifecycle::a_site_that_rotates_uses_and_logs_its_keys_passes"),
    ("key_unused_retirement", PASS, "keymgmt_lifecycle::a_site_that_rotates_uses_and_logs_its_keys_passes"),
    ("key_not_used_after_disable", PASS, "keymgmt_lifecycle::a_site_that_rotates_uses_and_logs_its_keys_passes"),
    ("key_lifecycle_in_every_log", PASS, "keymgmt_lifecycle::a_site_that_rotates_uses_and_logs_its_keys_passes"),
    ("key_rotation_recorded", FAIL, "keymgmt_lifecycle::overdue_rotation_unused_keys_use_after_disable_and_a_missing_event_fail_naming_them"),
    ("key_unused_retirement", FAIL, "keymgmt_lifecycle::overdue_rotation_unused_keys_use_after_disable_and_a_missing_event_fail_naming_them"),
    ("key_not_used_after_disable", FAIL, "keymgmt_lifecycle::overdue_rotation_unused_keys_use_after_disable_and_a_missing_event_fail_naming_them"),
    ("key_lifecycle_in_every_log", FAIL, "keymgmt_lifecycle::overdue_rotation_unused_keys_use_after_disable_and_a_missing_event_fail_naming_them"),
    ("key_rotation_recorded", NA, "keymgmt_lifecycle::without_kms_keys_or_key_events_the_rules_do_not_apply_and_say_why"),
    ("key_unused_retirement", NA, "keymgmt_lifecycle::without_kms_keys_or_key_events_the_rules_do_not_apply_and_say_why"),
    ("key_not_used_after_disable", NA, "keymgmt_lifecycle::without_kms_keys_or_key_events_the_rules_do_not_apply_and_say_why"),
    ("key_lifecycle_in_every_log", NA, "keymgmt_lifecycle::without_kms_keys_or_key_events_the_rules_do_not_apply_and_say_why"),
    ("key_rotation_recorded", UNKNOWN, "keymgmt_lifecycle::logs_too_young_to_tell_make_the_rules_unknown_not_fail"),
    ("key_unused_retirement", UNKNOWN, "keymgmt_lifecycle::logs_too_young_to_tell_make_the_rules_unknown_not_fail"),
    ("cloudtrail_digest_chain_intact", PASS, "keymgmt_proofs::a_whole_signed_trail_passes_and_names_what_was_verified"),
    ("cloudtrail_digest_signatures_verified", PASS, "keymgmt_proofs::a_whole_signed_trail_passes_and_names_what_was_verified"),
    ("cloudtrail_log_files_match_digests", PASS, "keymgmt_proofs::a_whole_signed_trail_passes_and_names_what_was_verified"),
    ("cloudtrail_digest_chain_intact", FAIL, "keymgmt_proofs::a_digest_deleted_from_the_middle_breaks_the_chain_and_leaves_a_gap"),
    ("cloudtrail_digest_signatures_verified", FAIL, "keymgmt_proofs::a_corrupt_signature_fails_the_signature_rule_naming_the_digest"),
    ("cloudtrail_log_files_match_digests", FAIL, "keymgmt_proofs::an_edited_log_file_fails_the_log_rule_naming_it"),
    ("cloudtrail_digest_chain_intact", NA, "keymgmt_proofs::no_key_is_unknown_with_the_reason_and_no_digest_directory_is_not_applicable"),
    ("cloudtrail_digest_signatures_verified", NA, "keymgmt_proofs::no_key_is_unknown_with_the_reason_and_no_digest_directory_is_not_applicable"),
    ("cloudtrail_log_files_match_digests", NA, "keymgmt_proofs::no_key_is_unknown_with_the_reason_and_no_digest_directory_is_not_applicable"),
    ("cloudtrail_digest_signatures_verified", UNKNOWN, "keymgmt_proofs::no_key_is_unknown_with_the_reason_and_no_digest_directory_is_not_applicable"),
    ("vault_audit_devices_agree", PASS, "keymgmt_proofs::two_vault_devices_agree_until_one_loses_a_record"),
    ("vault_audit_devices_agree", FAIL, "keymgmt_proofs::two_vault_devices_agree_until_one_loses_a_record"),
    ("vault_audit_devices_agree", NA, "keymgmt_proofs::one_vault_device_is_not_applicable_naming_the_policy_field"),
    ("vault_audit_devices", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_audit_file_protected", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_audit_options", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_not_root", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_memory_locked", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_core_dumps_off", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_listener_tls", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_no_root_activity", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_storage_protected", PASS, "keymgmt_vault::hardened_vault_passes_every_rule"),
    ("vault_audit_devices", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_audit_file_protected", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_audit_options", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_not_root", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_memory_locked", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_core_dumps_off", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_listener_tls", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_no_root_activity", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_storage_protected", FAIL, "keymgmt_vault::broken_vault_fails_each_rule_naming_the_setting"),
    ("vault_audit_devices", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_audit_file_protected", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_audit_options", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_not_root", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_memory_locked", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_core_dumps_off", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_listener_tls", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_no_root_activity", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
    ("vault_storage_protected", NA, "keymgmt_vault::without_vault_every_rule_is_not_applicable_saying_where_vigil_looked"),
];

/// (rule, result, why it cannot give it): the reviewed exceptions to "every rule has a
/// pass, fail, notapplicable and unknown case".
#[rustfmt::skip]
const CANNOT: &[(&str, &str, &str)] = &[
    // Lifecycle: the events are in the logs or not; no fact is left unestablished.
    ("key_not_used_after_disable", UNKNOWN, "a use after disable is read from the records present; an unreadable log is named in the messages, not guessed"),
    ("key_lifecycle_in_every_log", UNKNOWN, "each event is matched by id or stage and time in the other logs' records; nothing is left unestablished"),
    // Log proofs: links and hashes are computed from the files present or are errors.
    ("cloudtrail_digest_chain_intact", UNKNOWN, "each link is computed from the digest files present; an unreadable digest is an error"),
    ("cloudtrail_log_files_match_digests", UNKNOWN, "each log file is present with its hash or missing; an unreadable one is an error"),
    ("vault_audit_devices_agree", UNKNOWN, "the two devices' records are compared as read; an unreadable log is an error"),
    // Vault: a setting vigil cannot read is an error with its reason
    // (keymgmt_vault::config_vigil_cannot_read_is_an_error_with_the_reason).
    ("vault_audit_devices", UNKNOWN, "an unreadable audit list is an error with the reason"),
    ("vault_audit_file_protected", UNKNOWN, "an unreadable config or audit list is an error with the reason"),
    ("vault_audit_options", UNKNOWN, "an unreadable config or audit list is an error with the reason"),
    ("vault_not_root", UNKNOWN, "an unreadable unit or config is an error with the reason"),
    ("vault_memory_locked", UNKNOWN, "an unreadable config or /proc/swaps is an error with the reason"),
    ("vault_core_dumps_off", UNKNOWN, "an unreadable unit or process limit is an error with the reason"),
    ("vault_listener_tls", UNKNOWN, "an unreadable config is an error with the reason"),
    ("vault_no_root_activity", UNKNOWN, "an unreadable Vault log is an error with the reason"),
    ("vault_storage_protected", UNKNOWN, "an unreadable config is an error with the reason"),
    // The standard OVAL checks read a host file or package the benchmark requires of
    // every host; no policy field enables them, so a missing file fails them.
    ("auditd_installed", NA, "standard dpkginfo check required of every host: no policy field enables it"),
    ("auditd_enabled", NA, "standard file check required of every host: no policy field enables it"),
    ("audit_log_dir_protected", NA, "standard file check required of every host: no policy field enables it"),
    ("audit_early_boot", NA, "standard textfilecontent54 check required of every host"),
    ("auditd_keep_logs", NA, "standard textfilecontent54 check required of every host"),
    ("auditd_disk_full_action", NA, "standard textfilecontent54 check required of every host"),
    ("auditd_rules_immutable", NA, "standard textfilecontent54 check required of every host"),
    ("auditd_rules_watch_audit_config", NA, "standard textfilecontent54 check required of every host"),
    ("auditd_installed", UNKNOWN, "existence-only check: a package is listed or not (an unreadable status file is an error)"),
    ("auditd_enabled", UNKNOWN, "existence-only check of a link (an unreadable directory is an error)"),
    ("audit_log_dir_protected", UNKNOWN, "the mode bits of a directory that exists are always read"),
    ("audit_early_boot", UNKNOWN, "existence-only pattern check: a line matches or not"),
    ("auditd_keep_logs", UNKNOWN, "existence-only pattern check: a line matches or not"),
    ("auditd_disk_full_action", UNKNOWN, "existence-only pattern check: a line matches or not"),
    ("auditd_rules_immutable", UNKNOWN, "existence-only pattern check: a line matches or not"),
    ("auditd_rules_watch_audit_config", UNKNOWN, "existence-only pattern check: a line matches or not"),
    // Facts a probe always establishes for what it examines; what it cannot read is an
    // error (an unreadable file), not an unknown.
    ("key_present", UNKNOWN, "a declared path exists or not; a PKCS#11 key is not selected (storage = file)"),
    ("key_fingerprint_approved", UNKNOWN, "a fingerprint that cannot be computed (missing file, undecodable key) fails: the approved key is not there"),
    ("key_permissions", UNKNOWN, "only when the owner or mode of an existing file cannot be resolved (an I/O error fstat does not give on a fixture)"),
    ("key_acl", UNKNOWN, "only when system.posix_acl_access of an existing file cannot be read, which a fixture cannot arrange as root"),
    ("key_age", UNKNOWN, "age is computed from the declared created date, always known when declared"),
    ("destroyed_keys_absent", UNKNOWN, "a destroyed key's path exists or not"),
    ("no_undeclared_private_keys", UNKNOWN, "findings (none_exist): a file is a private key or not; an unreadable one is an error"),
    ("private_key_readers", UNKNOWN, "readers are computed from mode, owner and ACL, always known for a found key; unreadable is an error"),
    ("private_key_writers", UNKNOWN, "writers are computed from mode, owner and ACL, always known for a found key; unreadable is an error"),
    ("certificate_not_expired", UNKNOWN, "a certificate vigil reads has its dates; one it cannot decode is an error"),
    ("certificate_not_expiring", UNKNOWN, "a certificate vigil reads has its dates; one it cannot decode is an error"),
    ("role_separation", UNKNOWN, "findings (none_exist) from declared memberships and /etc/group, always known"),
    ("role_members_resolve", UNKNOWN, "only Unix users and groups are selected, which /etc/passwd and /etc/group answer"),
    ("audit_admin_cannot_read_keys", UNKNOWN, "access computed with acl(5) from owner, mode and ACL: always known for a file that exists"),
    ("key_admin_cannot_write_audit_logs", UNKNOWN, "access computed with acl(5) from owner, mode and ACL: always known for a file that exists"),
    ("aws_key_policy_separation", UNKNOWN, "a key policy document parses (then judged) or is an error naming the file"),
    ("audit_log_present", UNKNOWN, "a declared path exists or not"),
    ("audit_log_fresh", UNKNOWN, "the newest record's time against max_silence; a log without timed records is stale (fail)"),
    ("audit_log_permissions", UNKNOWN, "only when the owner or ACL of an existing log cannot be read, which a fixture cannot arrange as root"),
    ("audit_log_append_only", UNKNOWN, "only on a file system without inode flags (FS_IOC_GETFLAGS), which tmpfs and ext4 here both have"),
    ("audit_log_record_fields", UNKNOWN, "each record has the fields or not"),
    ("audit_log_retention", UNKNOWN, "auditd.conf or logrotate always gives a basis (a log never rotated is kept); size-based rotation is judged by the oldest record"),
    ("vault_audit_not_raw", UNKNOWN, "each record's token is an HMAC or not"),
    ("no_key_material_in_logs", UNKNOWN, "findings (none_exist) of a text search"),
    ("denied_access_spike", UNKNOWN, "counts of parsed records, always known for a log that exists"),
    ("destructive_events_allowlisted", UNKNOWN, "an event is on the allow list or not"),
    ("key_policy_changes_allowlisted", UNKNOWN, "an event is on the allow list or not"),
    ("auditd_watch_key_files", UNKNOWN, "a path is covered by a -w or -F path rule or not"),
    ("auditd_watch_kms_config", UNKNOWN, "a path is covered by a -w or -F path rule or not"),
    ("siem_forwarding", UNKNOWN, "a forwarder's configuration names the target or not; an unparsable one is an error"),
    ("rsyslog_remote_forwarding", UNKNOWN, "configured or not; enablement that cannot be read is accepted (enabled_known = false), not unknown"),
    ("audisp_remote_active", UNKNOWN, "configured or not; enablement that cannot be read is accepted (enabled_known = false), not unknown"),
    ("log_forwarders_configured", UNKNOWN, "configured or not; enablement that cannot be read is accepted (enabled_known = false), not unknown"),
    ("kms_integrity", UNKNOWN, "a file matches its baseline entry or not; an unusable baseline is an error"),
    ("sudoers_separation", UNKNOWN, "a sudo rule vigil cannot resolve (a netgroup, an sss source) is an error naming it: the 'undecidable' case"),
];

/// The results the completeness test asks of every rule.
const REQUIRED: &[&str] = &[PASS, FAIL, NA, UNKNOWN];

type Make = fn(&Hosts) -> Scan;

/// Every scenario a case may name: how its host and policy are made, and scanned.
const SCENARIOS: &[(&str, Make)] = &[
    ("compliant", |h| scan(Some(&h.compliant), &[])),
    ("tampered keys", |_| broken(KEY_BREAKS)),
    ("weak, old and expiring keys", |_| broken(KEY_LIFE_BREAKS)),
    ("broken role separation", |_| broken(ROLE_BREAKS)),
    ("broken audit logs", |_| broken(LOG_BREAKS)),
    ("outdated or modified software", |_| broken(SOFTWARE_BREAKS)),
    ("no audit daemon", |_| broken(STANDARD_BREAKS)),
    ("no policy", |h| {
        scan(None, &["--root", s(&h.compliant.root)])
    }),
    ("bare policy", |h| with_policy(&h.compliant, BARE)),
    ("thin policy", |h| with_policy(&h.compliant, THIN)),
    ("empty root", |_| {
        let d = tempfile::tempdir().unwrap();
        scan(None, &["--root", s(d.path())])
    }),
    ("plain debian", |_| {
        let d = plain_debian(false);
        scan(None, &["--root", s(d.path())])
    }),
    ("plain debian, broken", |_| {
        let d = plain_debian(true);
        scan(None, &["--root", s(d.path())])
    }),
    ("audit logs missing", |_| {
        without_logs(&[AUDITD_LOG, VAULT_LOG, TRAIL])
    }),
    ("only the vault audit log", |_| {
        without_logs(&[AUDITD_LOG, TRAIL])
    }),
    ("key writable by an auditor", key_writable_by_an_auditor),
    ("weak certificate signature", weak_certificate_signature),
    ("undecidable", undecidable),
    ("no sudoers", |_| {
        let f = build(&[]);
        std::fs::remove_file(f.root.join("etc/sudoers")).unwrap();
        scan(Some(&f), &[])
    }),
    ("rsyslog only site", |_| {
        let f = build(&[]);
        refit_forwarding(&f, "[\"rsyslog\"]", &AUDISP, &[]);
        scan(Some(&f), &[])
    }),
    ("audisp-remote only site", |_| {
        let f = build(&[]);
        refit_forwarding(
            &f,
            "[\"audisp-remote\"]",
            &["/etc/rsyslog.d/60-siem.conf"],
            &[],
        );
        scan(Some(&f), &[])
    }),
    ("vector site", vector_site),
];

const AUDISP: [&str; 2] = [
    "/etc/audit/plugins.d/au-remote.conf",
    "/etc/audit/audisp-remote.conf",
];

/// A policy that declares nothing but the site's name.
const BARE: &str = "[site]\nname = \"bare\"\n";

/// A policy that declares one of each thing and none of what several rules need.
const THIN: &str = r#"
[[roles]]
name = "key_admin"
kind = "key_administrator"
unix_users = ["alice"]

[[keys]]
name = "signing"
path = "/etc/kms/keys/signing.pem"

[[audit_logs]]
name = "cloudtrail-kms"
format = "cloudtrail"
path = "/var/log/cloudtrail/kms-events.json"
retention_days = 30
max_silence = "3650d"
"#;

/// What the scenarios share: the compliant host, built once and only read.
struct Hosts {
    compliant: Fixture,
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn broken(breaks: &[Break]) -> Scan {
    let f = build(breaks);
    scan(Some(&f), &[])
}

/// The compliant host scanned with another policy (written beside the host's).
fn with_policy(f: &Fixture, text: &str) -> Scan {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, text).unwrap();
    scan(None, &["--root", s(&f.root), "--policy", s(&policy)])
}

fn rm(f: &Fixture, host: &str) {
    std::fs::remove_file(f.root.join(host.trim_start_matches('/'))).unwrap();
}

const AUDITD_LOG: &str = "/var/log/audit/audit.log";
const VAULT_LOG: &str = "/var/log/vault/audit.log";
const TRAIL: &str = "/var/log/cloudtrail/kms-events.json";

/// The compliant host with declared audit logs gone (audit_log_present fails for them):
/// with all of them gone, what judges their records or their writers has nothing to
/// examine; with one left, that one is judged.
fn without_logs(logs: &[&str]) -> Scan {
    // The Vault log is made append-only only where it is not removed.
    let breaks: &[Break] = if logs.contains(&VAULT_LOG) {
        &[Break::NotAppendOnly]
    } else {
        &[]
    };
    let f = build(breaks);
    for p in logs {
        rm(&f, p);
    }
    scan(Some(&f), &[])
}

/// An ACL entry lets bob (an auditor) write the signing key.
fn key_writable_by_an_auditor(_: &Hosts) -> Scan {
    let f = build(&[]);
    let key = f.root.join("etc/kms/keys/signing.pem");
    let out = crate::tool("setfacl")
        .args(["-m", "u:1002:rw-"])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    scan(Some(&f), &[])
}

/// openssl's self-signed certificate over a fresh P-384 key, signed with `digest`.
fn self_signed(key: &Path, cert: &Path, digest: &str) {
    let out = crate::tool("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
        ])
        .args(["-nodes", "-subj", "/CN=hsm-root", "-days", "400", digest])
        .arg("-keyout")
        .arg(key)
        .arg("-out")
        .arg(cert)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The HSM root certificate re-signed with SHA-1.
fn weak_certificate_signature(_: &Hosts) -> Scan {
    let f = build(&[]);
    let tmp = tempfile::tempdir().unwrap();
    self_signed(
        &tmp.path().join("k"),
        &f.root.join("etc/kms/certs/hsm-root.crt"),
        "-sha1",
    );
    scan(Some(&f), &[])
}

/// What vigil cannot decide, one fact per rule: an encrypted backup key (algorithm
/// and size unreadable), a certificate signed with an algorithm vigil does not name
/// (ECDSA with SHA3-384), a version file vigil cannot order, a sudoers netgroup, an
/// installed package dpkg keeps no md5sums for.
fn undecidable(_: &Hosts) -> Scan {
    let f = build(&[]);
    let key = f.root.join("etc/kms/keys/backup.key");
    let out = crate::tool("openssl")
        .args([
            "genpkey",
            "-algorithm",
            "ED25519",
            "-aes-256-cbc",
            "-pass",
            "pass:x",
            "-out",
        ])
        .arg(&key)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    self_signed(
        &tmp.path().join("k"),
        &f.root.join("etc/kms/certs/hsm-root.crt"),
        "-sha3-384",
    );
    std::fs::write(f.root.join("opt/kms-agent/VERSION"), "2.x!\n").unwrap();
    set_sudoers(
        &f,
        "+kmsops ALL = (ALL) ALL\nalice ALL = (root) /usr/bin/systemctl restart vault\n",
    );
    rm(&f, "/var/lib/dpkg/info/vault.md5sums");
    scan(Some(&f), &[])
}

/// A site that forwards with Vector alone, enabled, to the SIEM.
fn vector_site(_: &Hosts) -> Scan {
    let f = build(&[]);
    let mut remove = vec!["/etc/rsyslog.d/60-siem.conf"];
    remove.extend(AUDISP);
    refit_forwarding(
        &f,
        "[\"vector\"]",
        &remove,
        &[(
            "/etc/vector/vector.toml",
            "[sources.journal]\ntype = \"journald\"\n\n[sinks.siem]\ntype = \"socket\"\ninputs = [\"journal\"]\nmode = \"tcp\"\naddress = \"siem.example.net:6514\"\n",
        )],
    );
    std::os::unix::fs::symlink(
        "/lib/systemd/system/vector.service",
        f.root
            .join("etc/systemd/system/multi-user.target.wants/vector.service"),
    )
    .unwrap();
    scan(Some(&f), &[])
}

/// Everything a case's needle is looked for in: the rule's messages; `name=value` of
/// every item its tests examined (of the failing ones only when it failed) and the
/// items' messages; `flag=...` and the messages of its tests and objects.
fn evidence_text(s: &Scan, rule: &str) -> Vec<String> {
    let mut out: Vec<String> = s.rule(rule)["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(String::from))
        .collect();
    let items = if s.results()[rule] == FAIL {
        s.evidence(rule)
    } else {
        s.examined(rule)
    };
    for i in &items {
        for f in i["fields"].as_array().into_iter().flatten() {
            if let (Some(n), Some(v)) = (f["name"].as_str(), f["value"].as_str()) {
                out.push(format!("{n}={v}"));
            }
        }
        if let Some(m) = i["message"].as_str() {
            out.push(m.to_string());
        }
    }
    for t in s.tests_of(rule) {
        out.extend(strings(&t["messages"]));
        if let Some(o) = s.json["objects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["id"] == t["object"])
        {
            out.push(format!("flag={}", o["flag"].as_str().unwrap_or("")));
            out.extend(strings(&o["messages"]));
        }
    }
    out
}

fn strings(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str().map(String::from))
        .collect()
}

/// The bundled benchmark's rules, from their TOML sources.
fn benchmark_rules() -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("content/ccm-log11/rules");
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect()
}

/// Every rule has a case for each result it can give, or a reviewed reason it cannot;
/// every case and exception names a rule and a scenario that exist.
#[test]
fn every_rule_has_a_case_for_every_result_it_can_give() {
    let rules = benchmark_rules();
    assert!(rules.len() >= 40, "{} rules", rules.len());
    let mut problems = Vec::new();
    for (rule, result, scenario, needle) in CASES {
        if !rules.contains(*rule) {
            problems.push(format!("case for {rule}, which is not a rule"));
        }
        if !SCENARIOS.iter().any(|(n, _)| n == scenario) {
            problems.push(format!("{rule} {result}: no scenario '{scenario}'"));
        }
        if needle.is_empty() {
            problems.push(format!("{rule} {result} in {scenario}: no evidence"));
        }
    }
    for (rule, result, why) in CANNOT {
        if !rules.contains(*rule) {
            problems.push(format!("CANNOT names {rule}, which is not a rule"));
        }
        if CASES.iter().any(|c| c.0 == *rule && c.1 == *result) {
            problems.push(format!("{rule} {result} is both in CANNOT and a case"));
        }
        if why.trim().is_empty() {
            problems.push(format!("CANNOT ({rule}, {result}) gives no reason"));
        }
    }
    for (rule, result, test) in ELSEWHERE {
        if !rules.contains(*rule) {
            problems.push(format!("ELSEWHERE names {rule}, which is not a rule"));
        }
        let exists = test.split_once("::").is_some_and(|(module, name)| {
            let file = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/integration")
                .join(format!("{module}.rs"));
            std::fs::read_to_string(file).is_ok_and(|src| src.contains(&format!("fn {name}()")))
        });
        if !exists {
            problems.push(format!("({rule}, {result}): no test {test}"));
        }
        if CANNOT.iter().any(|c| c.0 == *rule && c.1 == *result) {
            problems.push(format!("{rule} {result} is both in CANNOT and ELSEWHERE"));
        }
    }
    for rule in &rules {
        for result in REQUIRED {
            let covered = CASES.iter().any(|c| c.0 == rule && c.1 == *result)
                || ELSEWHERE.iter().any(|c| c.0 == rule && c.1 == *result)
                || CANNOT.iter().any(|c| c.0 == rule && c.1 == *result);
            if !covered {
                problems.push(format!("({rule}, {result}): no case and no CANNOT entry"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every case of [`CASES`]: each scenario used is made and scanned once, and each of
/// its cases must get its result with its evidence.
#[test]
fn every_case_of_the_matrix_gives_its_result_with_its_evidence() {
    crate::testtool::require_root("the key-management fixtures set owners and chattr +a");
    let hosts = Hosts {
        compliant: build(&[]),
    };
    let mut by_scenario: BTreeMap<&str, Vec<&Case>> = BTreeMap::new();
    for c in CASES {
        by_scenario.entry(c.2).or_default().push(c);
    }
    let mut wrong = Vec::new();
    for (name, make) in SCENARIOS {
        let Some(cases) = by_scenario.get(name) else {
            continue;
        };
        let s = make(&hosts);
        let results = s.results();
        for (rule, want, _, needle) in cases {
            let got = results
                .get(*rule)
                .map(String::as_str)
                .unwrap_or("(missing)");
            if got != *want {
                wrong.push(format!(
                    "{rule} in '{name}': {got}, expected {want}; messages: {}",
                    s.messages(rule)
                ));
                continue;
            }
            let text = evidence_text(&s, rule);
            if !text.iter().any(|t| t.contains(needle)) {
                wrong.push(format!(
                    "{rule} {want} in '{name}': no evidence containing '{needle}' in {text:?}"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
