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
