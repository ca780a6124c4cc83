//! `password_object` and `shadow_object` (OVAL 5.11 unix schema): the entries of
//! `/etc/passwd` and `/etc/shadow`, read as files (through `Host`, so they work on
//! an offline root too).
//!
//! Behaviour checked against oscap 1.3.7:
//! - passwd lines with fewer than seven `:` fields are skipped; an eighth field stays in
//!   `login_shell` (`/bin/sh:extra`); empty fields are empty strings; `last_login` is
//!   always `-1` (oscap does not read lastlog);
//! - shadow: empty numeric fields are `-1`, an empty `flag` is `18446744073709551615`
//!   (oscap prints -1 as unsigned); `encrypt_method` comes from the hash prefix and is
//!   `DES` for anything unrecognised, including locked (`!`, `*`) entries.
//!
//! Differs from oscap on purpose: oscap reads shadow through getspent(3) and reports
//! `not applicable` under OSCAP_PROBE_ROOT; vigil reads the root's `/etc/shadow`.

use std::path::Path;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches};

/// The probe of OVAL 5.11 `unix:password_object`: lines of the host's `/etc/passwd`.
pub struct PasswordProbe;
/// The probe of OVAL 5.11 `unix:shadow_object`: lines of the host's `/etc/shadow`.
pub struct ShadowProbe;

/// The lines of a host file, or the object's answer when it cannot be read.
fn read_lines(ctx: &Context, host_path: &str) -> Result<String, Collected> {
    match ctx.host.read_file(Path::new(host_path), ctx.max_file_size) {
        Ok(Some(b)) => Ok(String::from_utf8_lossy(&b).into_owned()),
        Ok(None) => Err(Collected::from_items(Vec::new())),
        Err(e) => Err(Collected::error(format!("cannot read {host_path}: {e}"))),
    }
}

fn collect_lines(
    query: &ObjectQuery,
    text: &str,
    min_fields: usize,
    build: impl Fn(&[&str]) -> Item,
    max_fields: usize,
) -> Collected {
    let mut items = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.splitn(max_fields, ':').collect();
        if fields.len() < min_fields {
            continue;
        }
        match entity_matches(query, "username", fields[0]) {
            Ok(true) => items.push(build(&fields)),
            Ok(false) => {}
            Err(e) => return compare_error(query, e),
        }
    }
    Collected::from_items(items)
}

/// The `password_item` of one `/etc/passwd` line split at `:` (7 fields);
/// `last_login` is -1 (not tracked).
pub fn password_item(f: &[&str]) -> Item {
    Item::new()
        .field("username", f[0])
        .field("password", f[1])
        .field("user_id", f[2])
        .field("group_id", f[3])
        .field("gcos", f[4])
        .field("home_dir", f[5])
        .field("login_shell", f[6])
        .field("last_login", "-1")
}

/// `$6$...` -> `SHA-512`, following the OVAL EntityItemEncryptMethodType words.
pub fn encrypt_method(hash: &str) -> &'static str {
    if hash.starts_with("$1$") {
        "MD5"
    } else if hash.starts_with("$2a$") || hash.starts_with("$2b$") || hash.starts_with("$2y$") {
        "Blowfish"
    } else if hash.starts_with("$md5") {
        "Sun MD5"
    } else if hash.starts_with("$5$") {
        "SHA-256"
    } else if hash.starts_with("$6$") {
        "SHA-512"
    } else if hash.starts_with('_') {
        "BSDi"
    } else {
        "DES"
    }
}

/// The `shadow_item` of one `/etc/shadow` line split at `:`; an empty numeric field is
/// -1 (unset) and the hash's prefix gives `encrypt_method`.
pub fn shadow_item(f: &[&str]) -> Item {
    let num = |i: usize| match f.get(i).copied() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => "-1".to_string(),
    };
    let flag = match f.get(8).copied() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => u64::MAX.to_string(),
    };
    Item::new()
        .field("username", f[0])
        .field("password", f[1])
        .field("chg_lst", num(2))
        .field("chg_allow", num(3))
        .field("chg_req", num(4))
        .field("exp_warn", num(5))
        .field("exp_inact", num(6))
        .field("exp_date", num(7))
        .field("flag", flag)
        .field("encrypt_method", encrypt_method(f[1]))
}

impl Probe<Context> for PasswordProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["password_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        match read_lines(ctx, "/etc/passwd") {
            Ok(text) => collect_lines(query, &text, 7, password_item, 7),
            Err(c) => c,
        }
    }
}

impl Probe<Context> for ShadowProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["shadow_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        match read_lines(ctx, "/etc/shadow") {
            // getspent(3) accepts a line with only the name and the password.
            Ok(text) => collect_lines(query, &text, 2, shadow_item, 9),
            Err(c) => c,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use std::fs;
    use vigil_core::content::oval::{Family, Operation};

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash
alice:x:1000:1000:Alice,,,:/home/alice:/bin/bash
bob:*:1001:1001::/home/bob:
# comment line
broken:x:12
carol:x:1002:1002:Carol:/home/carol:/bin/sh:extra
";

    const SHADOW: &str = "root:$6$abc$def:19000:0:99999:7:::
alice:$y$j9T$abc$def:19001:1:90:14:30:20000:
bob:$1$salt$hash:::::::
carol:$2b$10$abcdefghijk:19002:0:99999:7:::5
locked:!*:19003::::::
";

    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join("etc")).unwrap();
        fs::write(dir.path().join("etc/passwd"), PASSWD).unwrap();
        fs::write(dir.path().join("etc/shadow"), SHADOW).unwrap();
        dir
    }

    fn user_query(kind: &str, op: Operation, v: &str) -> ObjectQuery {
        testutil::query(Family::Unix, kind, &[("username", op, v)])
    }

    /// Items as oscap 1.3.7 printed them for the same passwd under OSCAP_PROBE_ROOT.
    #[test]
    fn passwd_fixture_matches_oscap_items() {
        let dir = root();
        let q = testutil::query(Family::Unix, "password_object", &[]);
        let c = PasswordProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::Complete);
        let users: Vec<_> = c
            .items
            .iter()
            .map(|i| i.first("username").unwrap())
            .collect();
        assert_eq!(users, ["root", "alice", "bob", "carol"]);
        let bob = &c.items[2];
        assert_eq!(bob.first("password"), Some("*"));
        assert_eq!(bob.first("gcos"), Some(""));
        assert_eq!(bob.first("login_shell"), Some(""));
        assert_eq!(bob.first("last_login"), Some("-1"));
        assert_eq!(c.items[3].first("login_shell"), Some("/bin/sh:extra"));
        assert_eq!(c.items[1].first("user_id"), Some("1000"));
        assert_eq!(c.items[1].first("gcos"), Some("Alice,,,"));
    }

    #[test]
    fn passwd_exact_and_pattern_lookup() {
        let dir = root();
        let ctx = testutil::offline(dir.path());
        let c = PasswordProbe.collect(
            &user_query("password_object", Operation::Equals, "alice"),
            &ctx,
        );
        assert_eq!(c.items.len(), 1);
        assert_eq!(c.items[0].first("home_dir"), Some("/home/alice"));
        let c = PasswordProbe.collect(
            &user_query("password_object", Operation::Equals, "zed"),
            &ctx,
        );
        assert_eq!(c.flag, Flag::DoesNotExist);
        let c = PasswordProbe.collect(
            &user_query("password_object", Operation::PatternMatch, "^(root|bob)$"),
            &ctx,
        );
        let users: Vec<_> = c
            .items
            .iter()
            .map(|i| i.first("username").unwrap())
            .collect();
        assert_eq!(users, ["root", "bob"], "{:?}", c.messages);
    }

    #[test]
    fn live_passwd_has_root() {
        let c = PasswordProbe.collect(
            &user_query("password_object", Operation::Equals, "root"),
            &testutil::live(),
        );
        assert_eq!(c.items.len(), 1);
        assert_eq!(c.items[0].first("user_id"), Some("0"));
    }

    #[test]
    fn shadow_fixture_fields() {
        let dir = root();
        let q = testutil::query(Family::Unix, "shadow_object", &[]);
        let c = ShadowProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.items.len(), 5);
        let root = &c.items[0];
        assert_eq!(root.first("chg_lst"), Some("19000"));
        assert_eq!(root.first("chg_req"), Some("99999"));
        assert_eq!(root.first("exp_inact"), Some("-1"));
        assert_eq!(root.first("flag"), Some("18446744073709551615"));
        assert_eq!(root.first("encrypt_method"), Some("SHA-512"));
        let alice = &c.items[1];
        assert_eq!(alice.first("exp_inact"), Some("30"));
        assert_eq!(alice.first("exp_date"), Some("20000"));
        assert_eq!(alice.first("encrypt_method"), Some("DES"));
        assert_eq!(c.items[2].first("encrypt_method"), Some("MD5"));
        assert_eq!(c.items[2].first("chg_lst"), Some("-1"));
        assert_eq!(c.items[3].first("encrypt_method"), Some("Blowfish"));
        assert_eq!(c.items[3].first("flag"), Some("5"));
        // oscap: locked accounts ('!', '*', '!*') report DES.
        assert_eq!(c.items[4].first("encrypt_method"), Some("DES"));
        assert_eq!(c.items[4].first("chg_allow"), Some("-1"));
    }

    #[test]
    fn missing_files_do_not_exist() {
        let dir = tempfile::tempdir().unwrap();
        let q = testutil::query(Family::Unix, "shadow_object", &[]);
        let c = ShadowProbe.collect(&q, &testutil::offline(dir.path()));
        assert_eq!(c.flag, Flag::DoesNotExist);
    }
}
