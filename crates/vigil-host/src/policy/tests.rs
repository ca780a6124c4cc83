use super::*;

fn example() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../content/ccm-log11/policy.example.toml"
    ))
    .unwrap()
}

#[test]
fn example_policy_loads() {
    let p = Policy::parse(&example(), Path::new("policy.example.toml")).unwrap();
    assert_eq!(p.site, "example-kms-site");
    assert_eq!(p.roles.len(), 3);
    assert_eq!(
        p.role("audit_admin").unwrap().kind,
        RoleKind::AuditAdministrator
    );
    assert_eq!(p.separation.len(), 3);
    let tls = p.keys.iter().find(|k| k.name == "vault-tls").unwrap();
    assert_eq!(tls.mode, Some(0o640));
    assert_eq!(tls.acl[0].to_string(), "group:kmsusers:r--");
    assert_eq!(tls.created, time::parse_date("2026-01-15"));
    assert_eq!(
        p.keys
            .iter()
            .find(|k| k.name == "old-signing")
            .unwrap()
            .state,
        KeyState::Destroyed
    );
    assert_eq!(p.audit_logs[1].max_silence_secs, 3600);
    assert!(p.audit_logs[1].append_only);
    assert_eq!(
        p.software[0].min_upstream.as_ref().map(|v| v.as_str()),
        Some("1.15.2")
    );
    assert_eq!(p.detection.allow.len(), 3);
    assert_eq!(
        p.xccdf_values()[0],
        (value_ids::DENIED_THRESHOLD, "5".to_string())
    );
}

fn err_of(text: &str) -> String {
    Policy::parse(text, Path::new("site.toml"))
        .unwrap_err()
        .to_string()
}

#[test]
fn errors_name_file_line_and_field() {
    let e = err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nmode = \"0985\"\n");
    assert_eq!(
        e,
        "site.toml:4:8: keys[0].mode: '0985' is not an octal file mode such as \"0640\""
    );
    let e = err_of("[[keys]]\nname = \"k\"\npath = \"relative/k\"\n");
    assert!(e.starts_with("site.toml:3:8: keys[0].path:"), "{e}");
    let e = err_of(
        "[[roles]]\nname = \"a\"\nkind = \"key_user\"\n[[separation]]\nroles = [\"a\", \"zz\"]\n",
    );
    assert!(
        e.starts_with("site.toml:5:15: separation[0].roles: no role named 'zz'"),
        "{e}"
    );
    let e = err_of(
        "[[audit_logs]]\nname=\"a\"\nformat=\"vault\"\npath=\"/l\"\nretention_days=1\nmax_silence=\"soon\"\n",
    );
    assert!(
        e.starts_with("site.toml:6:13: audit_logs[0].max_silence:"),
        "{e}"
    );
    let ct = "[[audit_logs]]\nname=\"t\"\nformat=\"cloudtrail\"\npath=\"/l\"\nretention_days=1\nmax_silence=\"1h\"\n";
    let e = err_of(&format!("{ct}digest_public_keys=[\"/k.pem\"]\n"));
    assert!(
        e.starts_with("site.toml:7:21: audit_logs[0].digest_public_keys: digest_public_keys needs digest_directory"),
        "{e}"
    );
    let e = err_of(&format!("{ct}digest_directory=\"d\"\n"));
    assert!(
        e.starts_with(
            "site.toml:7:18: audit_logs[0].digest_directory: 'd' is not an absolute path"
        ),
        "{e}"
    );
    let e = err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nsha256 = \"abc\"\n");
    assert!(
        e.contains("keys[0].sha256: expected 64 hexadecimal digits"),
        "{e}"
    );
}

/// Every kind of error a field can have names the field's path: missing (at its
/// table), unknown, of the wrong type, and invalid.
#[test]
fn every_field_error_names_the_field_path() {
    let log =
        "[[audit_logs]]\nname = \"a\"\nformat = \"vault\"\npath = \"/l\"\nmax_silence = \"1h\"\n";
    insta::assert_snapshot!(
        err_of(&format!("[site]\nname = \"x\"\n\n{log}")),
        @"site.toml:4:1: audit_logs[0].retention_days is required"
    );
    insta::assert_snapshot!(
        err_of("[[keys]]\npath = \"/k\"\n"),
        @"site.toml:1:1: keys[0].name is required"
    );
    insta::assert_snapshot!(
        err_of("[siem]\nport = 1\n"),
        @"site.toml:1:1: siem.host is required"
    );
    insta::assert_snapshot!(
        err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nmode = 640\n"),
        @r#"site.toml:4:8: keys[0].mode: invalid type: integer 640, expected a string such as "0640""#
    );
    insta::assert_snapshot!(
        err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nmin_size = \"big\"\n"),
        @r#"site.toml:4:12: keys[0].min_size: invalid type: string "big", expected u32"#
    );
    insta::assert_snapshot!(
        err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\n[[keys]]\nname = \"j\"\npath = \"/j\"\ncolour = 1\n"),
        @"site.toml:7:1: keys[1].colour: unknown field `colour`, expected one of `name`, `path`, `pkcs11`, `certificate`, `sha256`, `spki_sha256`, `algorithm`, `min_size`, `owner`, `group`, `mode`, `acl`, `created`, `max_age_days`, `state`, `operational`"
    );
    insta::assert_snapshot!(
        err_of("[[roles]]\nname = \"r\"\nkind = \"boss\"\n"),
        @"site.toml:3:8: roles[0].kind: unknown variant `boss`, expected one of `key_administrator`, `audit_administrator`, `key_user`, `key_custodian`, `system_administrator`, `other`"
    );
    insta::assert_snapshot!(
        err_of("colour = 1\n"),
        @"site.toml:1:1: colour: unknown field `colour`, expected one of `site`, `roles`, `separation`, `keys`, `scan`, `audit_logs`, `siem`, `software`, `integrity`, `detection`, `aws_key_policies`, `kms_keys`"
    );
    insta::assert_snapshot!(
        err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nmode = \"0985\"\n"),
        @r#"site.toml:4:8: keys[0].mode: '0985' is not an octal file mode such as "0640""#
    );
    insta::assert_snapshot!(err_of("[site\n"), @"site.toml:1:6: unclosed table, expected `]`");
}

#[test]
fn syntax_and_unknown_fields_have_positions() {
    let e = err_of("[site]\nname = \"x\"\ncolour = 1\n");
    assert!(e.starts_with("site.toml:3:1:"), "{e}");
    assert!(e.contains("colour"), "{e}");
    let e = err_of("[site\n");
    assert!(e.starts_with("site.toml:1:"), "{e}");
    let e = err_of(
        "[[audit_logs]]\nname=\"a\"\nformat=\"syslog\"\npath=\"/l\"\nretention_days=1\nmax_silence=\"1h\"\n",
    );
    assert!(e.starts_with("site.toml:3:"), "{e}");
}

#[test]
fn helpers() {
    assert_eq!(parse_duration("90s"), Some(90));
    assert_eq!(parse_duration("7d"), Some(604800));
    assert_eq!(parse_duration("7"), None);
    assert_eq!(parse_duration("h"), None);
    assert_eq!(
        lenient_semver("v1.15"),
        Some(semver::Version::new(1, 15, 0))
    );
    assert_eq!(lenient_semver("1.x"), None);
    assert!(parse_acl_entry("user:vault:r--").is_some());
    assert!(parse_acl_entry("mask::r--").is_none());
    assert!(parse_acl_entry("user:vault:rw").is_none());
}

/// The policy's `[detection]` settings feed XCCDF Values of the bundled benchmark by id
/// (`value_ids`); the benchmark's data (content/ccm-log11/benchmark.toml) says which
/// setting feeds each Value (`policy = "detection.FIELD"`). Both sides must agree: every
/// id the policy sets is a Value of the benchmark of a type its value fits, and every
/// Value the benchmark says the policy sets is set, from that field.
#[test]
fn policy_value_ids_match_the_benchmark() {
    use std::collections::BTreeMap;
    let bench = vigil_benchmark::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../content/ccm-log11"
    )))
    .unwrap();
    // Give every policy-set Value a distinct number, so a swapped pair is caught.
    let fed: Vec<(&vigil_benchmark::model::Value, &str, String)> = bench
        .meta
        .values
        .iter()
        .filter_map(|v| Some((v, v.policy.as_deref()?)))
        .enumerate()
        .map(|(i, (v, setting))| {
            let field = setting.strip_prefix("detection.").unwrap_or_else(|| {
                panic!("{}: policy {setting:?} is not a [detection] field", v.id)
            });
            (v, field, (101 + i).to_string())
        })
        .collect();
    assert!(!fed.is_empty());
    let mut text = String::new();
    for line in example().lines() {
        match fed
            .iter()
            .find(|(_, f, _)| line.starts_with(&format!("{f} =")))
        {
            Some((_, f, n)) => text.push_str(&format!("{f} = {n}\n")),
            None => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    let p = Policy::parse(&text, Path::new("policy.toml")).unwrap();
    let set: BTreeMap<&str, String> = p.xccdf_values().into_iter().collect();
    for (id, value) in &set {
        let short = id
            .strip_prefix(&format!("{}_value_", bench.meta.id_prefix))
            .unwrap_or_else(|| panic!("{id} is not an XCCDF Value id of the bundled benchmark"));
        let v = bench
            .value(short)
            .unwrap_or_else(|| panic!("the policy sets {id}, which benchmark.toml does not have"));
        assert_eq!(v.kind, "number", "{id}");
        let n: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("{id} = {value:?} is not a number"));
        if let Some(lower) = &v.lower_bound {
            assert!(
                n >= lower.parse::<f64>().unwrap(),
                "{id} = {value} < {lower}"
            );
        }
    }
    for (v, field, n) in &fed {
        let id = bench.xccdf_id("value", &v.id);
        assert_eq!(
            set.get(id.as_str()),
            Some(n),
            "benchmark.toml says [detection] {field} sets {id}; Policy::xccdf_values does not"
        );
    }
    assert_eq!(
        set.len(),
        fed.len(),
        "the policy sets Values benchmark.toml does not mark: {set:?}"
    );
}

/// `[scan] inventory`: fingerprints and dates from a CSV or JSON file beside the policy.
#[test]
fn inventory_fills_the_keys_and_refuses_what_does_not_fit() {
    let d = tempfile::tempdir().unwrap();
    let a = "a".repeat(64);
    let b = "B".repeat(64);
    let policy = |inv: &str, extra: &str| {
        let p = d.path().join("p.toml");
        std::fs::write(
            &p,
            format!(
                "[scan]\ninventory = \"{inv}\"\n\n[[keys]]\nname = \"tls\"\npath = \"/k\"\n{extra}\n[[keys]]\nname = \"signing\"\npath = \"/s\"\n"
            ),
        )
        .unwrap();
        p
    };
    let write = |name: &str, text: &str| std::fs::write(d.path().join(name), text).unwrap();
    let err = |p: &Path| {
        Policy::load(p)
            .unwrap_err()
            .to_string()
            .replace(d.path().to_str().unwrap(), "[DIR]")
    };

    write(
        "keys.csv",
        &format!("name,sha256,spki_sha256,created\ntls,{a},,2026-01-15\nsigning,,sha256:{b},\n"),
    );
    let p = Policy::load(&policy("keys.csv", "")).unwrap();
    assert_eq!(p.keys[0].sha256.as_deref(), Some(a.as_str()));
    assert_eq!(p.keys[0].created, time::parse_date("2026-01-15"));
    assert_eq!(p.keys[1].spki_sha256, Some(b.to_ascii_lowercase()));
    // The same value in both is fine.
    Policy::load(&policy("keys.csv", &format!("sha256 = \"{a}\""))).unwrap();

    write(
        "keys.json",
        &format!(
            "[\n  {{\"name\": \"tls\", \"sha256\": \"{a}\"}},\n  {{\"name\": \"signing\", \"created\": \"2025-02-30\"}}\n]\n"
        ),
    );
    insta::assert_snapshot!(
        err(&policy("keys.json", "")),
        @"[DIR]/keys.json:3: created: '2025-02-30' is not a date such as 2025-01-31"
    );

    write("bad.csv", "name,sha256\ntls,abc\n");
    insta::assert_snapshot!(
        err(&policy("bad.csv", "")),
        @"[DIR]/bad.csv:2: sha256: expected 64 hexadecimal digits (a SHA-256 digest)"
    );
    write("extra.csv", "name,sha256\ntls,\nnope,\n");
    insta::assert_snapshot!(
        err(&policy("extra.csv", "")),
        @"[DIR]/extra.csv:3: name: the policy declares no [[keys]] named 'nope'"
    );
    insta::assert_snapshot!(
        err(&policy("keys.csv", &format!("sha256 = \"{}\"", "c".repeat(64)))),
        @"[DIR]/keys.csv:2: sha256: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' differs from keys[0].sha256 'cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc' ([DIR]/p.toml:7:10)"
    );
    write("noheader.csv", &format!("tls,{a}\n"));
    insta::assert_snapshot!(
        err(&policy("noheader.csv", "")),
        @"[DIR]/noheader.csv:1: tls: unknown column (the header names columns of name, sha256, spki_sha256, created)"
    );
    insta::assert_snapshot!(
        err(&policy("missing.csv", "")),
        @"[DIR]/missing.csv: cannot read the key inventory: No such file or directory (os error 2)"
    );
    write("keys.txt", "");
    insta::assert_snapshot!(
        err(&policy("keys.txt", "")),
        @"[DIR]/keys.txt: an inventory is a .csv or .json file"
    );
}

/// Issue 16: `min_upstream` takes letter releases; garbage is refused naming the field.
#[test]
fn min_upstream_takes_letter_releases_and_refuses_garbage() {
    let base = "[[software]]\nname = \"OpenSSL\"\npackage = \"openssl\"\n";
    for good in ["1.1.1x", "9.3p1", "2.4", "1.15.2+ent", "3.0.13-rc1"] {
        let p = Policy::parse(
            &format!("{base}min_upstream = \"{good}\"\n"),
            Path::new("site.toml"),
        )
        .unwrap();
        assert_eq!(p.software[0].min_upstream.as_ref().unwrap().as_str(), good);
        assert!(!p.software[0].required);
    }
    let e = err_of(&format!("{base}min_upstream = \"latest\"\n"));
    assert_eq!(
        e,
        "site.toml:4:16: software[0].min_upstream: 'latest' is not an upstream version such \
         as \"1.15.2\", \"1.1.1w\" or \"9.2p1\": does not start with a digit"
    );
    let p = Policy::parse(
        &format!("{base}min_upstream = \"1.1.1x\"\nrequired = true\n"),
        Path::new("site.toml"),
    )
    .unwrap();
    assert!(p.software[0].required);
    let e = err_of("[integrity]\nbaseline = \"/b\"\npaths = [\"/etc\"]\npublic_key = \"k.pem\"\n");
    assert!(
        e.starts_with("site.toml:4:14: integrity.public_key:"),
        "{e}"
    );
}

#[test]
fn forbidden_commands_replace_the_kind_defaults_and_must_be_commands() {
    let text = "[[roles]]\nname = \"ka\"\nkind = \"key_administrator\"\nunix_users = [\"alice\"]\nforbidden_commands = [\" /usr/sbin/auditctl \", \"rm *{audit_logs}*\"]\n";
    let p = Policy::parse(text, Path::new("p.toml")).unwrap();
    assert_eq!(
        p.roles[0].forbidden_commands.as_deref(),
        Some(
            &[
                "/usr/sbin/auditctl".to_string(),
                "rm *{audit_logs}*".to_string()
            ][..]
        )
    );
    let p = Policy::parse(&example(), Path::new("policy.example.toml")).unwrap();
    assert_eq!(p.roles[0].forbidden_commands, None);
    let bad =
        "[[roles]]\nname = \"ka\"\nkind = \"key_administrator\"\nforbidden_commands = [\"  \"]\n";
    let err = Policy::parse(bad, Path::new("p.toml"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("roles[0].forbidden_commands"), "{err}");
}
