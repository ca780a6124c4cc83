#!/usr/bin/env python3
"""Writes the bundled CCM LOG-11 benchmark: vigil-ccm-log11-xccdf.xml (XCCDF 1.2) and
vigil-ccm-log11-oval.xml (OVAL 5.11), from the rule table below, so that every rule's
text, references and check stay together in one place. Run from anywhere:

    python3 content/ccm-log11/generate.py

The generated files are committed; this script is only needed to change them.
"""

import os
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
OVAL_HREF = "vigil-ccm-log11-oval.xml"
CCM = "https://cloudsecurityalliance.org/artifacts/cloud-controls-matrix-v4"
NIST = "https://csrc.nist.gov/pubs/sp/800/130/final"
NS = "dev.vigil.ccm"
P = "xccdf_dev.vigil"

# ---------------------------------------------------------------------------------------
# XCCDF Values (tailorable thresholds), exported to OVAL external variables.
VALUES = [
    # id suffix, title, description, default, lower bound, oval var number
    ("denied_threshold", "Access-denied events tolerated per identity and window",
     "Highest number of access-denied events one identity may cause within the detection window before the rule fails.", "5", "0", 1),
    ("denied_window_minutes", "Access-denied detection window (minutes)",
     "Length of the sliding window within which access-denied events are counted per identity.", "10", "1", 2),
    ("inactive_days", "Days without activity before a role member counts as inactive",
     "Role members with no recorded activity in the audit logs for more than this many days are reported.", "90", "1", 3),
    ("cert_warning_days", "Certificate expiry warning (days)",
     "Certificates that expire within this many days fail the expiry-warning rule.", "30", "0", 4),
]

# ---------------------------------------------------------------------------------------
# OVAL building blocks. Each test: (kind, family prefix, check, check_existence,
# object xml, [state xml], state_operator). Objects and states are written as XML
# fragments with {ns} placeholders.

tests, objects, states, variables = [], [], [], []
counter = {"tst": 0, "obj": 0, "ste": 0}


def oid(kind):
    counter[kind] += 1
    return f"oval:{NS}:{kind}:{counter[kind]}"


def state(prefix, kind, body, operator="AND", comment=""):
    sid = oid("ste")
    op = f' operator="{operator}"' if operator != "AND" else ""
    states.append(f'    <{prefix}:{kind}_state id="{sid}" version="1"{op} comment="{escape(comment)}">\n{body}    </{prefix}:{kind}_state>\n')
    return sid


def obj(prefix, kind, body, comment=""):
    xid = oid("obj")
    objects.append(f'    <{prefix}:{kind}_object id="{xid}" version="1" comment="{escape(comment)}">\n{body}    </{prefix}:{kind}_object>\n')
    return xid


def test(prefix, kind, comment, obj_id, state_ids=(), check="all", existence="at_least_one_exists"):
    tid = oid("tst")
    body = f'      <{prefix}:object object_ref="{obj_id}"/>\n'
    for s in state_ids:
        body += f'      <{prefix}:state state_ref="{s}"/>\n'
    tests.append(f'    <{prefix}:{kind}_test id="{tid}" version="1" check="{check}" check_existence="{existence}" comment="{escape(comment)}">\n{body}    </{prefix}:{kind}_test>\n')
    return tid


def ent(name, value, datatype=None, operation=None, var_ref=None):
    a = ""
    if datatype:
        a += f' datatype="{datatype}"'
    if operation:
        a += f' operation="{operation}"'
    if var_ref:
        return f'      <vigil:{name}{a} var_ref="{var_ref}"/>\n'
    return f'      <vigil:{name}{a}>{escape(value)}</vigil:{name}>\n'


def b(name, value):
    return ent(name, "true" if value else "false", "boolean")


def vtest(kind, comment, obj_body, state_body=None, operator="AND", check="all", existence="any_exist", obj_comment=""):
    o = obj("vigil", kind, obj_body, obj_comment or comment)
    st = [state("vigil", kind, state_body, operator, comment)] if state_body is not None else []
    return test("vigil", kind, comment, o, st, check, existence)


def ind_textfile(comment, path, filename, pattern):
    body = (f'      <ind:path>{escape(path)}</ind:path>\n'
            f'      <ind:filename operation="pattern match">{escape(filename)}</ind:filename>\n'
            f'      <ind:pattern operation="pattern match">{escape(pattern)}</ind:pattern>\n'
            f'      <ind:instance datatype="int" operation="greater than or equal">1</ind:instance>\n')
    o = obj("ind", "textfilecontent54", body, comment)
    return test("ind", "textfilecontent54", comment, o, (), "all", "at_least_one_exists")


# External and local variables.
VAR = {}
for suffix, _, _, _, _, n in VALUES:
    VAR[suffix] = f"oval:{NS}:var:{n}"
    variables.append(f'    <external_variable id="{VAR[suffix]}" version="1" datatype="int" comment="XCCDF Value {P}_value_{suffix}"/>\n')
VAR["window_seconds"] = f"oval:{NS}:var:5"
variables.append(
    f'    <local_variable id="{VAR["window_seconds"]}" version="1" datatype="int" comment="detection window in seconds">\n'
    f'      <arithmetic arithmetic_operation="multiply">\n'
    f'        <variable_component var_ref="{VAR["denied_window_minutes"]}"/>\n'
    f'        <literal_component datatype="int">60</literal_component>\n'
    f'      </arithmetic>\n'
    f'    </local_variable>\n')

# ---------------------------------------------------------------------------------------
# Rules. Each: group, id, severity, title, description, rationale, fixtext, CCM ids,
# NIST SP 800-130 ids, criteria (list of test ids, AND unless "OR:" prefix), values used.

NEEDS_POLICY = "Needs the site policy (--policy); without one the rule is not applicable."

ALL = "https://vigil.dev/XMLSchema/oval-definitions-5#vigil"

rules = []


def rule(group, rid, severity, title, description, rationale, fixtext, ccm, nist, criteria, values=(), policy=True, operator="AND"):
    if policy:
        description = description + " " + NEEDS_POLICY
    rules.append(dict(group=group, id=rid, severity=severity, title=title, description=description,
                      rationale=rationale, fixtext=fixtext, ccm=ccm, nist=nist, criteria=criteria,
                      values=values, operator=operator))


# ---- audit logs ----
audit_all = ""
rule("audit", "audit_log_present", "high",
     "Every audit-log source of the site policy exists",
     "Each audit-log source declared in the site policy (auditd log, Vault file audit device, CloudTrail export) exists on the host.",
     "Key lifecycle events can only be audited and reported when the logs recording them exist (CCM LOG-11).",
     "Enable the audit device or trail that writes the declared file, or correct the path in the site policy.",
     ["LOG-11", "LOG-08"], ["FR:8.10"],
     [vtest("audit_log", "audit-log sources exist", "", b("exists", True), existence="at_least_one_exists")])
rule("audit", "audit_log_fresh", "medium",
     "Audit logs received a record within the policy's maximum silence",
     "The newest record of each audit-log source is younger than the source's max_silence in the site policy.",
     "A log that has gone silent means events are no longer being recorded: a stopped daemon, a disabled audit device or a broken trail hides key misuse.",
     "Restart or repair the component that writes the log (auditd, the Vault audit device, the CloudTrail export) and check that new records arrive.",
     ["LOG-11", "LOG-13"], ["FR:8.10", "FR:8.12"],
     [vtest("audit_log", "audit logs are fresh", "", b("silence_within_policy", True), existence="at_least_one_exists")])
rule("audit", "audit_log_record_fields", "medium",
     "Every audit record carries event type, date and time, identity and outcome",
     "Each event of each audit-log source carries the type of event, its date and time, the identity or role that initiated it and its outcome (success or failure). Unparsable lines count as incomplete records.",
     "NIST SP 800-130 FR:8.11 requires these four details so that each security-relevant event can be attributed and judged.",
     "Configure the logging component to record complete events (auditd: log_format = ENRICHED; Vault: keep request and response records; CloudTrail: do not filter userIdentity).",
     ["LOG-08", "LOG-11"], ["FR:8.11"],
     [vtest("audit_log", "no record misses a required field", "", ent("records_missing_fields", "0", "int"), existence="at_least_one_exists")])
rule("audit", "audit_log_permissions", "high",
     "Audit logs have the owner and mode the policy requires",
     "Each audit-log file is owned by the policy's owner (and group, when given), has no permission bits beyond the policy's mode and no named ACL entry that grants write.",
     "Audit logs must be protected from unauthorised modification so that the integrity of the audit trail can be relied upon.",
     "chown and chmod the log file to the declared owner and mode, and remove write-granting ACL entries with setfacl -x.",
     ["LOG-09", "IAM-12"], ["FR:8.12"],
     [vtest("audit_log", "audit log ownership and mode", "", b("permissions_match_policy", True), existence="at_least_one_exists")])
rule("audit", "audit_log_append_only", "medium",
     "Audit logs that must be append-only carry the append-only attribute",
     "Audit-log sources with append_only = true in the site policy carry the file-system append-only flag (chattr +a), so records can be added but not rewritten or truncated.",
     "Write-once storage keeps an attacker with write access from erasing the trail of a key compromise.",
     "Set the flag with `chattr +a FILE` (and configure log rotation to lift and set it around rotation).",
     ["LOG-09", "IAM-12"], ["FR:8.12"],
     [vtest("audit_log", "append-only where required", "", b("append_only_required", False) + b("append_only", True), operator="OR", existence="at_least_one_exists")])
rule("audit", "audit_log_retention", "medium",
     "Audit-log retention is at least the policy's retention",
     "The host keeps each audit log at least retention_days: logrotate's rotate count times its period (capped by maxage) covers it, auditd does not delete logs (max_log_file_action other than rotate), or the records kept reach back that far.",
     "Key misuse is often discovered long after the fact; logs must still exist when the investigation starts.",
     "Raise logrotate's rotate count or period for the log, or set max_log_file_action = keep_logs in /etc/audit/auditd.conf, and archive logs centrally.",
     ["LOG-02", "LOG-11"], ["FR:8.12"],
     [vtest("audit_log", "retention meets the policy", "", b("retention_meets_policy", True), existence="at_least_one_exists")])
rule("audit", "vault_audit_not_raw", "high",
     "The Vault audit device does not log in raw mode",
     "No Vault audit record carries a client token in clear: the file audit device hashes sensitive values (hmac-sha256) unless log_raw is set.",
     "A raw audit log holds live tokens and secrets, turning the audit trail into a credential store.",
     "Re-enable the audit device without log_raw=true (vault audit disable / vault audit enable file file_path=...), then rotate the exposed tokens.",
     ["LOG-09", "LOG-11"], ["FR:8.12"],
     [vtest("audit_log", "no raw Vault audit records", ent("format", "vault"), ent("raw_records", "0", "int"))])
rule("audit", "siem_forwarding", "medium",
     "Audit events are forwarded to the site SIEM",
     "At least one forwarder named in the policy's [siem] via (rsyslog omfwd or @/@@ actions, audisp-remote) sends to the policy's SIEM host (and port, when given).",
     "Central collection lets the audit administrator detect and report unusual key events promptly, and keeps a copy out of reach of a compromised host.",
     "Add a forwarding action, e.g. `*.* @@siem.example.net:6514` in /etc/rsyslog.d/60-siem.conf, or set remote_server in /etc/audit/audisp-remote.conf and active = yes in /etc/audit/plugins.d/au-remote.conf.",
     ["LOG-03", "LOG-11"], ["FR:8.12"],
     [vtest("siem_forwarding", "a forwarder sends to the policy's SIEM", "", b("forwards_to_policy_target", True), check="at least one", existence="at_least_one_exists")])
rule("audit", "rsyslog_remote_forwarding", "low",
     "rsyslog forwards logs to a remote collector",
     "/etc/rsyslog.conf or a file in /etc/rsyslog.d forwards messages to a remote host (an omfwd action or an @/@@ selector action).",
     "Logs kept only on the host that produced them can be erased by whoever compromises it.",
     "Add `*.* @@LOGHOST:6514` (TCP) or an action(type=\"omfwd\" ...) to a file in /etc/rsyslog.d and restart rsyslog.",
     ["LOG-03", "LOG-09"], ["FR:8.12"],
     [ind_textfile("rsyslog.conf forwards remotely", "/etc", r"^rsyslog\.conf$", r"^[ \t]*([^#\s]\S*[ \t]+@@?[^\s;]+|[^#]*type=\"omfwd\")"),
      ind_textfile("rsyslog.d forwards remotely", "/etc/rsyslog.d", r"^.*\.conf$", r"^[ \t]*([^#\s]\S*[ \t]+@@?[^\s;]+|[^#]*type=\"omfwd\")")],
     policy=False, operator="OR")
rule("audit", "audisp_remote_active", "low",
     "auditd forwards events with audisp-remote",
     "The au-remote plugin is active (/etc/audit/plugins.d/au-remote.conf: active = yes) and /etc/audit/audisp-remote.conf names a remote_server.",
     "Forwarding audit events as they happen keeps them safe from tampering on the host.",
     "Install audispd-plugins, set active = yes in /etc/audit/plugins.d/au-remote.conf and remote_server in /etc/audit/audisp-remote.conf, then restart auditd.",
     ["LOG-03", "LOG-09"], ["FR:8.12"],
     [ind_textfile("au-remote plugin active", "/etc/audit/plugins.d", r"^au-remote\.conf$", r"^[ \t]*active[ \t]*=[ \t]*yes[ \t]*$"),
      ind_textfile("audisp-remote has a server", "/etc/audit", r"^audisp-remote\.conf$", r"^[ \t]*remote_server[ \t]*=[ \t]*\S+")],
     policy=False)
rule("audit", "auditd_watch_key_files", "high",
     "auditd watches the declared key files and key directories",
     "An auditd rule (-w with read and write permissions, or an exit rule with -F path= / -F dir= and perm=rw) covers every active key file and key directory of the site policy.",
     "Reads and writes of key files are key usage and lifecycle events that CCM LOG-11 requires to be logged.",
     "Add e.g. `-w /etc/kms/keys -p rwa -k kms-keys` to /etc/audit/rules.d/kms.rules and load it with augenrules --load.",
     ["LOG-11", "CEK-21"], ["FR:8.10", "FR:8.14"],
     [vtest("audit_watch", "key files are watched", ent("target", "keys"), b("watched", True), existence="at_least_one_exists")])
rule("audit", "auditd_watch_kms_config", "medium",
     "auditd watches the KMS binaries and configuration",
     "An auditd rule with write permission covers every integrity-monitored path of the site policy (KMS binaries and configuration).",
     "Changes to KMS software and configuration must be recorded so that unauthorised modification is detected.",
     "Add e.g. `-w /etc/vault.d -p wa -k kms-config` to /etc/audit/rules.d/kms.rules and load it with augenrules --load.",
     ["LOG-11", "LOG-10"], ["FR:8.9", "FR:8.14"],
     [vtest("audit_watch", "KMS configuration is watched", ent("target", "kms_config"), b("watched", True), existence="at_least_one_exists")])
rule("audit", "auditd_rules_watch_audit_config", "medium",
     "auditd watches its own configuration",
     "A file in /etc/audit/rules.d watches /etc/audit/ for writes and attribute changes (-w /etc/audit/ -p wa).",
     "Whoever can silently change the audit rules can stop key events from being recorded.",
     "Add `-w /etc/audit/ -p wa -k auditconfig` to /etc/audit/rules.d/audit.rules and run augenrules --load.",
     ["IAM-12", "LOG-09"], ["FR:8.12"],
     [ind_textfile("audit rules watch /etc/audit", "/etc/audit/rules.d", r"^.*\.rules$", r"^[ \t]*-w[ \t]+/etc/audit/?[ \t]+-p[ \t]+\S*w\S*a")],
     policy=False)
rule("audit", "auditd_rules_immutable", "medium",
     "The audit rules are locked (-e 2)",
     "The audit rules end with `-e 2`, so they cannot be changed until reboot.",
     "Locked rules keep an administrator from turning auditing of key events off on a running system.",
     "Add `-e 2` as the last line of /etc/audit/rules.d/99-finalize.rules and run augenrules --load.",
     ["IAM-12", "LOG-09"], ["FR:8.12"],
     [ind_textfile("audit rules are immutable", "/etc/audit/rules.d", r"^.*\.rules$", r"^[ \t]*-e[ \t]+2[ \t]*$")],
     policy=False)
o = obj("linux", "dpkginfo", '      <linux:name>auditd</linux:name>\n', "auditd package")
rule("audit", "auditd_installed", "medium",
     "The auditd package is installed",
     "The Linux audit daemon (Debian package auditd) is installed.",
     "auditd records file access and administrative actions on key material at the kernel level.",
     "apt-get install auditd audispd-plugins",
     ["LOG-11"], ["FR:8.10"],
     [test("linux", "dpkginfo", "auditd is installed", o, (), "all", "at_least_one_exists")],
     policy=False)
o = obj("unix", "file", '      <unix:path>/var/log/audit</unix:path>\n      <unix:filename xsi:nil="true"/>\n', "/var/log/audit")
s = state("unix", "file", '      <unix:gwrite datatype="boolean">false</unix:gwrite>\n      <unix:oread datatype="boolean">false</unix:oread>\n      <unix:owrite datatype="boolean">false</unix:owrite>\n      <unix:oexec datatype="boolean">false</unix:oexec>\n', comment="no access for others, no group write")
rule("audit", "audit_log_dir_protected", "medium",
     "/var/log/audit is closed to other users",
     "The directory /var/log/audit gives no access to other users and no write access to its group.",
     "The audit trail must not be readable or replaceable by unprivileged users.",
     "chmod 0750 /var/log/audit (or 0700).",
     ["LOG-09", "IAM-12"], ["FR:8.12"],
     [test("unix", "file", "/var/log/audit is protected", o, (s,), "all", "at_least_one_exists")],
     policy=False)

# ---- role separation ----
rule("roles", "role_members_resolve", "low",
     "Every Unix user and group of a role exists",
     "Each Unix user and group the site policy maps to a role exists in the host's /etc/passwd and /etc/group.",
     "A role mapped to a missing account is a policy that does not describe the host: separation cannot be verified for it.",
     "Create the account or correct the role's unix_users / unix_groups in the site policy.",
     ["IAM-09"], ["FR:5.3"],
     [vtest("role", "role accounts exist", ent("identity_type", "^unix_(user|group)$", operation="pattern match"), b("exists", True))])
rule("roles", "role_separation", "high",
     "No identity holds two roles that must stay separate",
     "No Unix user (directly, through a listed group or through its primary group), Vault policy or AWS principal is a member of two roles named together in a [[separation]] of the site policy.",
     "Separating key administration, key use and audit keeps any single person from both misusing a key and hiding it (NIST SP 800-130 FR:5.4).",
     "Remove the identity from one of the two roles (usermod -G, gpasswd -d, the Vault policy or the IAM role assignment).",
     ["IAM-04", "IAM-09"], ["FR:5.3", "FR:5.4"],
     [vtest("role_conflict", "no identity in two separated roles", "", None, existence="none_exist")])
rule("roles", "audit_admin_cannot_read_keys", "high",
     "Audit administrators cannot read operational keys",
     "No member of an audit_administrator role can read an active operational key file, computed from the file's owner, group, mode, named ACL entries and mask (system.posix_acl_access) and the member's groups.",
     "The audit administrator must not have access to any operational key other than their own; otherwise the reviewer of key use could use the keys unobserved.",
     "Remove the ACL entry (setfacl -x), the group membership or the mode bit that gives the audit administrator read access.",
     ["IAM-09", "CEK-21"], ["FR:5.4", "FR:8.14"],
     [vtest("key_access", "audit administrators cannot read keys", ent("role_kind", "audit_administrator") + ent("target", "operational_keys"), b("can_read", False))])
rule("roles", "key_admin_cannot_write_audit_logs", "high",
     "Key administrators cannot modify or replace audit logs",
     "No member of a key_administrator role can write an audit-log file of the site policy, nor delete or replace it through write access to its directory.",
     "Whoever manages keys must not be able to erase the record of what they did.",
     "Remove the write permission, ACL entry or group membership that gives the key administrator write access to the log or its directory.",
     ["IAM-12", "LOG-09"], ["FR:5.4", "FR:8.12"],
     [vtest("key_access", "key administrators cannot write audit logs", ent("role_kind", "key_administrator") + ent("target", "audit_logs"), b("can_write", False) + b("can_replace", False))])
rule("roles", "sudoers_separation", "high",
     "sudo grants do not break role separation",
     "No sudo rule (/etc/sudoers and its includes) lets a member of a role run a shell or any command as root, or run commands as a member of a role it must stay separate from.",
     "A root shell or running as the other role's account defeats the separation the file permissions enforce.",
     "Restrict the sudo rule to the specific commands the role needs, run as a service account that belongs to no separated role.",
     ["IAM-09", "IAM-04"], ["FR:5.4"],
     [vtest("sudoers", "no sudo grant breaks separation", "", b("breaks_separation", False))])
rule("roles", "aws_key_policy_separation", "high",
     "No AWS principal both administers and uses a KMS key",
     "In each AWS KMS key-policy document of the site policy, no principal is allowed both administrative actions (Create*, Put*, Disable*, ScheduleKeyDeletion, ...) and cryptographic use (Encrypt, Decrypt, GenerateDataKey*, Sign, ...).",
     "Key administrators who can also use the key can decrypt data and then change or delete the key to hide it.",
     "Split the key-policy statements so that administrators and users are different principals; remove kms:* grants.",
     ["IAM-09", "CEK-21"], ["FR:5.4"],
     [vtest("aws_key_policy", "no principal administers and uses a key", "", b("document_present", True) + b("admin_and_use", False))])
rule("roles", "role_members_active", "low",
     "Role members have recorded activity within the inactivity limit",
     "Each member of a role (Unix user, Vault policy, AWS principal) has a record in the audit logs of the matching kind within the inactivity limit (XCCDF Value inactive_days). Members never seen, when the logs reach back that far, are inactive.",
     "Dormant privileged memberships are unreviewed access waiting to be misused; they should be removed.",
     "Remove the inactive member from the role, or document why it must stay.",
     ["IAM-08", "IAM-09"], ["FR:5.3"],
     [vtest("role_activity", "no inactive role member", ent("inactive_days", "", "int", var_ref=VAR["inactive_days"]), b("inactive", False))],
     values=("inactive_days",))

# ---- keys ----
rule("keys", "key_present", "high",
     "Every active key of the policy is present",
     "Each key the site policy declares active exists at its path (keys held in a PKCS#11 token are exempt: vigil cannot read the token).",
     "A missing key breaks the service that depends on it, or shows that it was moved or removed outside the lifecycle process.",
     "Restore the key from escrow or re-issue it, and record the event; or mark the key destroyed in the site policy.",
     ["CEK-21"], ["FR:8.14"],
     [vtest("key", "active keys are present", ent("key_state", "active"), b("present", True) + ent("storage", "pkcs11"), operator="OR")])
rule("keys", "key_fingerprint_approved", "high",
     "Deployed keys have the approved fingerprint",
     "For each active key with an approved fingerprint, the SHA-256 of the file and/or of its SubjectPublicKeyInfo (computed from the private key, public key or certificate) equals the policy's value.",
     "A different key at the same path means substitution: data is encrypted to, or signed by, a key the site does not control.",
     "Investigate the substitution, restore the approved key and re-issue anything protected by the rogue key.",
     ["CEK-21", "LOG-10"], ["FR:8.14"],
     [vtest("key", "fingerprints match", ent("key_state", "active"), b("fingerprint_declared", False) + b("fingerprint_matches_policy", True), operator="OR")])
rule("keys", "key_permissions", "high",
     "Key files have the declared owner, group and mode",
     "Each active key file is owned by the declared owner and group and has no permission bits beyond the declared mode.",
     "Loose permissions let other accounts read private keys.",
     "chown OWNER:GROUP and chmod MODE the key file as the site policy declares.",
     ["CEK-21", "IAM-09"], ["FR:8.14"],
     [vtest("key", "key ownership and mode", ent("key_state", "active"), b("permissions_declared", False) + b("permissions_match_policy", True), operator="OR")])
rule("keys", "key_acl", "high",
     "Key files carry only the ACL entries the policy allows",
     "Each active key file's named POSIX ACL entries (read from system.posix_acl_access) are listed in the key's acl in the site policy, with no more permissions.",
     "An extra ACL entry grants key access invisibly to ls -l and to mode-based checks.",
     "Remove the entry with setfacl -x u:NAME FILE (or g:NAME), or add it to the policy after approval.",
     ["CEK-21", "IAM-09"], ["FR:8.14"],
     [vtest("key", "key ACL as declared", ent("key_state", "active"), ent("storage", "pkcs11") + b("acl_matches_policy", True), operator="OR")])
rule("keys", "no_undeclared_private_keys", "medium",
     "No undeclared private keys in the key directories",
     "The key directories of the site policy hold no private key (PEM PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, OpenSSH; DER PKCS#8; PKCS#12) that the policy does not declare.",
     "Undeclared keys are outside inventory, rotation and destruction: nobody knows they exist until they leak.",
     "Declare the key in the site policy, or destroy it following the key destruction procedure.",
     ["CEK-21"], ["FR:8.14"],
     [vtest("undeclared_private_key", "no undeclared private keys", "", None, existence="none_exist")])
rule("keys", "key_strength", "high",
     "Keys use the declared algorithm and at least the minimum size",
     "Each active key has the algorithm the policy declares (rsa, ec, ed25519, ed448) and at least its min_size bits (RSA modulus, EC field size), read from the key or its certificate.",
     "Weak or unexpected algorithms undermine every protection built on the key.",
     "Generate a new key with the required algorithm and size and retire the weak one.",
     ["CEK-04", "CEK-21"], ["FR:8.14"],
     [vtest("key", "key algorithm and size", ent("key_state", "active"), b("strength_declared", False) + b("strength_meets_policy", True), operator="OR")])
rule("keys", "key_age", "medium",
     "Keys are younger than their maximum age",
     "Each active key with a creation date and max_age_days in the site policy is not older than that.",
     "Keys past their cryptoperiod have had more exposure than planned and must be rotated.",
     "Rotate the key and update its creation date and fingerprint in the site policy.",
     ["CEK-12"], ["FR:8.14"],
     [vtest("key", "key age within policy", ent("key_state", "active"), b("age_declared", False) + b("age_within_policy", True), operator="OR")])
rule("keys", "certificate_not_expired", "high",
     "Certificates of active keys are not expired",
     "Every certificate of an active key (the key's certificate file, or the key file itself when it is a certificate) exists, parses and has not passed its notAfter time.",
     "An expired certificate stops the service or pushes users to bypass validation.",
     "Renew the certificate and deploy it.",
     ["CEK-12", "CEK-13"], ["FR:8.14"],
     [vtest("certificate", "certificates not expired", "", b("present", True) + b("expired", False))])
rule("keys", "certificate_not_expiring", "medium",
     "Certificates do not expire within the warning window",
     "Every certificate of an active key is valid for more than the warning window (XCCDF Value cert_warning_days).",
     "Renewing ahead of expiry avoids outages and rushed key handling.",
     "Renew the certificate before the warning window.",
     ["CEK-12"], ["FR:8.14"],
     [vtest("certificate", "certificates not expiring soon", "", b("present", True) + ent("days_to_expiry", "", "int", "greater than", var_ref=VAR["cert_warning_days"]))],
     values=("cert_warning_days",))
rule("keys", "destroyed_keys_absent", "high",
     "Keys marked destroyed are gone",
     "No key the site policy marks destroyed is still present at its path.",
     "A destroyed key that still exists can still decrypt what it protected (CCM CEK-14).",
     "Destroy the key material (shred the file, delete every copy and backup) and record the destruction.",
     ["CEK-14"], ["FR:8.14"],
     [vtest("key", "destroyed keys absent", ent("key_state", "destroyed"), b("present", False))])
rule("keys", "no_key_material_in_logs", "high",
     "No private keys or PINs are written to logs",
     "No audit log or log path of the site policy contains a PEM private-key block or a PIN (pin-value=, PIN=, user_pin, so_pin).",
     "Logs are widely read and shipped; key material in them is disclosed.",
     "Remove the secrets from the logs (and their copies in the SIEM), rotate the exposed keys and PINs, and fix the component that logged them.",
     ["LOG-09", "CEK-21"], ["FR:8.12", "FR:8.14"],
     [vtest("log_secret", "no secrets in logs", "", None, existence="none_exist")])

# ---- software ----
rule("software", "software_min_versions", "medium",
     "KMS software is at or above the policy minimums",
     "Each [[software]] entry of the site policy is installed at or above min_version (dpkg ordering) and min_upstream (semantic versioning of the upstream version or of version_file).",
     "Known-vulnerable KMS versions expose the keys they manage.",
     "Upgrade the package (apt-get install --only-upgrade PACKAGE) or the unpackaged software.",
     ["LOG-10", "CEK-21"], ["FR:8.9"],
     [vtest("software_version", "software meets minimums", "", b("meets_policy", True), existence="at_least_one_exists")])
rule("software", "kms_integrity", "high",
     "KMS binaries and configuration match the integrity baseline",
     "Every file under the integrity-monitored paths has the baseline's SHA-256, mode, owner, group and named ACL entries; no file was added or removed.",
     "Unauthorised modification of KMS software or configuration can disable protections or leak keys (NIST SP 800-130 FR:8.9, FR:8.14).",
     "Investigate the change; restore the file from a trusted source, or regenerate the baseline after an approved change.",
     ["LOG-10", "IAM-12"], ["FR:8.9", "FR:8.14"],
     [vtest("integrity", "files match the baseline", "", b("matches_baseline", True), existence="at_least_one_exists")])

# ---- monitoring ----
window = ent("category", "denied") + ent("window_seconds", "", "int", var_ref=VAR["window_seconds"])
rule("monitoring", "denied_access_spike", "high",
     "No identity exceeds the access-denied threshold",
     "In each audit-log source (auditd EACCES/EPERM and failed results, Vault permission denied, CloudTrail AccessDenied), no identity has more access-denied events within the detection window than the threshold (XCCDF Values denied_window_minutes and denied_threshold). The records of the busiest window are the evidence.",
     "Bursts of denied access are the signature of probing for keys and of misconfigured automation alike; both need the audit administrator's attention.",
     "Investigate the identity's activity; block it if malicious, fix its permissions if legitimate.",
     ["LOG-05", "LOG-13", "LOG-11"], ["FR:8.10", "FR:8.12"],
     [vtest("audit_event", "denied events under threshold", window, ent("max_in_window", "", "int", "less than or equal", var_ref=VAR["denied_threshold"]))],
     values=("denied_threshold", "denied_window_minutes"))
rule("monitoring", "destructive_events_allowlisted", "high",
     "Key deletion and disabling events are on the allow-list",
     "Every successful destructive lifecycle event — CloudTrail ScheduleKeyDeletion, DeleteImportedKeyMaterial, DisableKey, DisableKeyRotation; Vault deletion of transit or PKI keys; auditd deletion of a declared key file — matches an entry of the policy's [[detection.allow]] (identity and action).",
     "Unexpected key destruction is either sabotage or an unreviewed change; both make data unrecoverable.",
     "Confirm the event with the identity's owner; restore or cancel the deletion (CancelKeyDeletion) if unauthorised, or add the expected event to the allow-list.",
     ["LOG-11", "CEK-13", "CEK-14"], ["FR:8.10", "FR:8.11"],
     [vtest("audit_event", "destructive events allowed", ent("category", "destructive") + ent("kind", "^(deletion|disable)$", operation="pattern match"), b("allowed", True))])
rule("monitoring", "key_policy_changes_allowlisted", "high",
     "Key-policy and audit configuration changes are on the allow-list",
     "Every key-policy change (CloudTrail PutKeyPolicy, CreateGrant, RevokeGrant, RetireGrant; Vault ACL policy writes and transit key configuration) and every change to the audit trail itself (StopLogging, DeleteTrail, UpdateTrail; Vault audit device removal) matches an entry of the allow-list.",
     "Changing who may use a key, or switching the audit trail off, precedes most key misuse.",
     "Review the change with its author, revert it if unauthorised, or add the expected change to the allow-list.",
     ["LOG-11", "IAM-12"], ["FR:8.10", "FR:8.11"],
     [vtest("audit_event", "policy changes allowed", ent("category", "destructive") + ent("kind", "^(policy_change|audit_change)$", operation="pattern match"), b("allowed", True))])

GROUPS = {
    "audit": ("Audit logs", "Presence, completeness, protection, retention and forwarding of the key-management audit logs."),
    "roles": ("Role separation", "Key administrators, audit administrators and key users stay separate (NIST SP 800-130 FR:5.3, FR:5.4)."),
    "keys": ("Key deployment", "Keys and certificates are deployed as the site declares: present, approved, protected, strong, current; destroyed keys are gone."),
    "software": ("KMS software", "KMS software is current and unmodified (NIST SP 800-130 FR:8.9)."),
    "monitoring": ("Monitoring", "Access-denied spikes and destructive key lifecycle events are detected in the audit logs."),
}

# ---------------------------------------------------------------------------------------
# Write OVAL.

defs = []
for i, r in enumerate(rules, 1):
    r["def"] = f"oval:{NS}:def:{i}"
    crit = "".join(f'        <criterion test_ref="{t}"/>\n' for t in r["criteria"])
    op = f' operator="{r["operator"]}"' if r["operator"] != "AND" else ""
    refs = "".join(f'        <reference source="CCM v4" ref_id="{c}" ref_url="{CCM}"/>\n' for c in r["ccm"])
    defs.append(
        f'    <definition id="{r["def"]}" version="1" class="compliance">\n'
        f'      <metadata>\n'
        f'        <title>{escape(r["title"])}</title>\n'
        f'        <affected family="unix">\n          <platform>Debian GNU/Linux</platform>\n        </affected>\n'
        f'{refs}'
        f'        <description>{escape(r["description"])}</description>\n'
        f'      </metadata>\n'
        f'      <criteria{op}>\n{crit}      </criteria>\n'
        f'    </definition>\n')

oval = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!-- Generated by generate.py: edit the rule table there. -->\n'
    '<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5"\n'
    '    xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5"\n'
    '    xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent"\n'
    '    xmlns:unix="http://oval.mitre.org/XMLSchema/oval-definitions-5#unix"\n'
    '    xmlns:linux="http://oval.mitre.org/XMLSchema/oval-definitions-5#linux"\n'
    f'    xmlns:vigil="{ALL}"\n'
    '    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
    '  <generator>\n    <oval:product_name>vigil content generator</oval:product_name>\n'
    '    <oval:schema_version>5.11.1</oval:schema_version>\n'
    '    <oval:timestamp>2026-01-15T00:00:00</oval:timestamp>\n  </generator>\n'
    '  <definitions>\n' + "".join(defs) + '  </definitions>\n'
    '  <tests>\n' + "".join(tests) + '  </tests>\n'
    '  <objects>\n' + "".join(objects) + '  </objects>\n'
    '  <states>\n' + "".join(states) + '  </states>\n'
    '  <variables>\n' + "".join(variables) + '  </variables>\n'
    '</oval_definitions>\n')

# ---------------------------------------------------------------------------------------
# Write XCCDF.

def text(tag, s, indent):
    return f'{indent}<{tag}>{escape(s)}</{tag}>\n'

x = []
x.append('<?xml version="1.0" encoding="UTF-8"?>\n<!-- Generated by generate.py: edit the rule table there. -->\n')
x.append(f'<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.2" id="{P}_benchmark_ccm-log11" resolved="1" xml:lang="en-US" style="SCAP_1.2">\n')
x.append('  <status date="2026-01-15">draft</status>\n')
x.append(text("title", "vigil: key-management audit (CSA CCM v4 LOG-11)", "  "))
x.append(text("description", "Audits key management on a host against CSA Cloud Controls Matrix v4 LOG-11 (log and monitor key lifecycle management events to enable auditing and reporting on usage of cryptographic keys) and the related controls LOG-09, LOG-10, IAM-09, IAM-12 and CEK-12/13/14/21, following the requirements of NIST SP 800-130 (FR:5.3/5.4 role separation, FR:8.9 software integrity, FR:8.10-8.12 auditable events, FR:8.14 monitoring of sensitive files). Most rules compare the host with a site policy given with --policy; without it they are not applicable.", "  "))
x.append(f'  <reference href="{CCM}">CSA Cloud Controls Matrix v4</reference>\n')
x.append(f'  <reference href="{NIST}">NIST SP 800-130, A Framework for Designing Cryptographic Key Management Systems</reference>\n')
x.append('  <version>0.1.0</version>\n')
x.append('  <metadata>\n    <dc:publisher xmlns:dc="http://purl.org/dc/elements/1.1/">vigil</dc:publisher>\n    <dc:source xmlns:dc="http://purl.org/dc/elements/1.1/">content/ccm-log11/generate.py</dc:source>\n  </metadata>\n')
x.append(f'  <Profile id="{P}_profile_ccm_log11">\n')
x.append(text("title", "CCM LOG-11 key-management audit", "    "))
x.append(text("description", "Every rule of the benchmark.", "    "))
for r in rules:
    x.append(f'    <select idref="{P}_rule_{r["id"]}" selected="true"/>\n')
x.append('  </Profile>\n')
for suffix, title, desc, default, lower, _ in VALUES:
    x.append(f'  <Value id="{P}_value_{suffix}" type="number" operator="equals">\n')
    x.append(text("title", title, "    "))
    x.append(text("description", desc, "    "))
    x.append(f'    <value>{default}</value>\n')
    x.append(f'    <lower-bound>{lower}</lower-bound>\n')
    x.append('  </Value>\n')
for g, (gtitle, gdesc) in GROUPS.items():
    x.append(f'  <Group id="{P}_group_{g}">\n')
    x.append(text("title", gtitle, "    "))
    x.append(text("description", gdesc, "    "))
    for r in (r for r in rules if r["group"] == g):
        x.append(f'    <Rule id="{P}_rule_{r["id"]}" selected="true" severity="{r["severity"]}">\n')
        x.append(text("title", r["title"], "      "))
        x.append(text("description", r["description"], "      "))
        for c in r["ccm"]:
            x.append(f'      <reference href="{CCM}">{c}</reference>\n')
        for n in r["nist"]:
            x.append(f'      <reference href="{NIST}">NIST SP 800-130 {n}</reference>\n')
        x.append(text("rationale", r["rationale"], "      "))
        x.append(text("fixtext", r["fixtext"], "      "))
        x.append('      <check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">\n')
        for v in r["values"]:
            x.append(f'        <check-export value-id="{P}_value_{v}" export-name="{VAR[v]}"/>\n')
        x.append(f'        <check-content-ref href="{OVAL_HREF}" name="{r["def"]}"/>\n')
        x.append('      </check>\n')
        x.append('    </Rule>\n')
    x.append('  </Group>\n')
x.append('</Benchmark>\n')

with open(os.path.join(HERE, "vigil-ccm-log11-oval.xml"), "w") as f:
    f.write(oval)
with open(os.path.join(HERE, "vigil-ccm-log11-xccdf.xml"), "w") as f:
    f.write("".join(x))
print(f"{len(rules)} rules, {len(tests)} tests, {len(objects)} objects, {len(states)} states")

# The single-file source data stream that vigil embeds (so `vigil scan` with no content
# works anywhere, including on remote hosts). oscap composes it; its schema check
# rejects vigil's own OVAL families but the file is written all the same.
import subprocess
ds = os.path.join(HERE, "vigil-ccm-log11-ds.xml")
subprocess.run(["oscap", "ds", "sds-compose", "vigil-ccm-log11-xccdf.xml", ds], cwd=HERE, check=False)
if not os.path.isfile(ds):
    raise SystemExit("oscap ds sds-compose did not write " + ds)
