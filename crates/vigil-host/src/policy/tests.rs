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
        p.software[0].min_upstream,
        Some(semver::Version::new(1, 15, 2))
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
    let e = err_of("[[keys]]\nname = \"k\"\npath = \"/k\"\nsha256 = \"abc\"\n");
    assert!(
        e.contains("keys[0].sha256: expected 64 hexadecimal digits"),
        "{e}"
    );
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
