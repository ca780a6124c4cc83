//! `software_version_object` (entity `name`): one item per `[[software]]` entry of the
//! policy — the installed Debian package version (from /var/lib/dpkg/status) compared
//! with `min_version` in dpkg order, and the upstream version (the package version
//! without epoch and revision, or the first version-like word of `version_file`)
//! compared with `min_upstream` in the upstream order of [`crate::policy::upstream`]
//! (semantic versioning extended to letter releases such as OpenSSL `1.1.1w`).

use std::collections::BTreeMap;
use std::path::Path;

use crate::probes::keymgmt::{bool_str, not_declared, policy, selects};
use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

/// `package -> (status, version)` from a dpkg status file.
pub fn dpkg_status(text: &str) -> BTreeMap<String, (String, String)> {
    let mut out = BTreeMap::new();
    for stanza in text.split("\n\n") {
        let (mut pkg, mut status, mut version) = (None, String::new(), String::new());
        for line in stanza.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                pkg = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Status:") {
                status = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = v.trim().to_string();
            }
        }
        if let Some(p) = pkg {
            // Multi-arch packages appear once per architecture; an installed one wins.
            let installed = status.ends_with(" installed");
            if installed || !out.contains_key(&p) {
                out.insert(p, (status, version));
            }
        }
    }
    out
}

/// The probe of `software_version_object` (vigil family): each `[[software]]` entry's
/// installed version against its minimums.
///
/// Per entry, one item whose `meets_policy` is `true` when every declared minimum is
/// met, `false` when one is not (or required software is absent), and left out (so
/// the state is `unknown` for that item) when a version cannot be read as a version,
/// with the reason in the item's message. Software that is absent (its package not
/// installed and its `version_file`, if any, missing) is an item that does not exist,
/// not applicable, unless the entry says `required = true`; with no entry present the
/// whole object is not applicable.
pub struct SoftwareVersionProbe;

/// How one minimum compares: met, not met, or not comparable (with why).
enum Verdict {
    Meets(bool),
    Unknown(String),
}

impl Probe<Context> for SoftwareVersionProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["software_version_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = policy(ctx);
        if pol.software.is_empty() {
            return not_declared(ctx, "[[software]]");
        }
        let status = match ctx
            .host
            .read_file(Path::new("/var/lib/dpkg/status"), ctx.max_file_size)
        {
            Ok(d) => dpkg_status(&String::from_utf8_lossy(&d.unwrap_or_default())),
            Err(e) => return Collected::error(format!("/var/lib/dpkg/status: {e}")),
        };
        let mut items = ctx.sink(ctx.deadline());
        let mut absent = Vec::new();
        for sw in &pol.software {
            match selects(query, "name", &sw.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            match entry_item(sw, &status, ctx) {
                Ok(Entry::Present(item)) => {
                    let _ = items.push(item);
                }
                Ok(Entry::Absent(item, why)) => {
                    absent.push(why);
                    let _ = items.push(item);
                }
                Err(c) => return c,
            }
        }
        let present = items.len() - absent.len();
        if present == 0 && !absent.is_empty() {
            return Collected::with_flag(crate::probes::Flag::NotApplicable, absent.join("; "));
        }
        items.into_collected()
    }
}

/// An entry's item: software present (or required), or absent and so not applicable
/// (an item that does not exist, with the reason).
enum Entry {
    Present(Item),
    Absent(Item, String),
}

fn entry_item(
    sw: &crate::policy::Software,
    status: &BTreeMap<String, (String, String)>,
    ctx: &Context,
) -> Result<Entry, Collected> {
    let mut item = Item::new().field("name", sw.name.as_str());
    item.push("required", bool_str(sw.required));
    let mut verdicts: Vec<Verdict> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    let mut upstream: Option<String> = None;
    // Whether each source of the version shows the software installed.
    let mut package_installed = None;
    let mut file_present = None;
    let mut deb: Option<debversion::Version> = None;
    if let Some(pkg) = &sw.package {
        item.push("package", pkg.as_str());
        match status.get(pkg).filter(|(s, _)| s.ends_with(" installed")) {
            Some((_, v)) => {
                package_installed = Some(true);
                item.push("version", v.as_str());
                match v.parse::<debversion::Version>() {
                    Ok(have) => {
                        upstream = Some(have.upstream_version.clone());
                        deb = Some(have);
                    }
                    Err(e) => {
                        notes.push(format!("{pkg}: version '{v}' is not a Debian version: {e}"))
                    }
                }
            }
            None => package_installed = Some(false),
        }
    }
    if let Some(vf) = &sw.version_file {
        item.push("version_file", vf.as_str());
        match ctx.host.read_file(Path::new(vf), 1 << 16) {
            Ok(Some(d)) => {
                file_present = Some(true);
                let text = String::from_utf8_lossy(&d);
                // `OpenSSL 1.1.1w  11 Sep 2023`, `v2.4.0`: the first word that starts
                // with a digit (after an optional `v`).
                upstream = text
                    .split_whitespace()
                    .find(|w| {
                        w.trim_start_matches(['v', 'V'])
                            .starts_with(|c: char| c.is_ascii_digit())
                    })
                    .map(String::from);
                if upstream.is_none() {
                    notes.push(format!(
                        "{vf}: no version in it (no word starts with a digit)"
                    ));
                }
            }
            Ok(None) => file_present = Some(false),
            Err(e) => return Err(Collected::error(format!("{vf}: {e}"))),
        }
    }
    let installed = package_installed == Some(true) || file_present == Some(true);
    item.push("installed", bool_str(installed));
    if !installed {
        let mut what = Vec::new();
        if let Some(p) = &sw.package {
            what.push(format!("package {p} is not installed"));
        }
        if let Some(f) = &sw.version_file {
            what.push(format!("{f} does not exist"));
        }
        let why = format!("{}: not installed ({})", sw.name, what.join(", "));
        if !sw.required {
            let mut absent = Item::with_status(
                crate::probes::ItemStatus::DoesNotExist,
                format!("{why}; not required (no `required = true`), so its minimums do not apply"),
            );
            absent.fields = item.fields;
            return Ok(Entry::Absent(absent, format!("{why}: not applicable")));
        }
        item.message = Some(format!(
            "{why}, and the policy requires it (required = true)"
        ));
        item.push("meets_policy", "false");
        return Ok(Entry::Present(item));
    }
    if let Some(min) = &sw.min_version {
        item.push("min_version", min.as_str());
        let want: debversion::Version = min.parse().expect("validated in the policy");
        match (&deb, package_installed) {
            (Some(have), _) => {
                let meets = *have >= want;
                item.push("version_meets_policy", bool_str(meets));
                verdicts.push(Verdict::Meets(meets));
            }
            (None, Some(true)) => verdicts.push(Verdict::Unknown(
                "the package version is not a Debian version: min_version not compared".into(),
            )),
            // The package is declared but absent while its version_file is there.
            (None, _) => {
                item.push("version_meets_policy", "false");
                verdicts.push(Verdict::Meets(false));
                notes.push(format!(
                    "min_version {min}: package {} is not installed",
                    sw.package.as_deref().unwrap_or("")
                ));
            }
        }
    }
    if let Some(min) = &sw.min_upstream {
        item.push("min_upstream", min.as_str());
        match upstream.as_deref() {
            Some(u) => {
                item.push("upstream_version", u);
                match crate::policy::UpstreamVersion::parse(u) {
                    Ok(have) => {
                        let meets = have >= *min;
                        item.push("upstream_meets_policy", bool_str(meets));
                        verdicts.push(Verdict::Meets(meets));
                    }
                    Err(e) => verdicts.push(Verdict::Unknown(format!(
                        "upstream version '{u}' is not a version vigil can order ({e}): \
                         min_upstream {min} not compared"
                    ))),
                }
            }
            None => verdicts.push(Verdict::Unknown(format!(
                "no upstream version found: min_upstream {min} not compared"
            ))),
        }
    }
    // One minimum not met fails the entry whatever the others say; otherwise one that
    // cannot be compared leaves it unknown (`meets_policy` left out).
    let failed = verdicts.iter().any(|v| matches!(v, Verdict::Meets(false)));
    for v in &verdicts {
        if let Verdict::Unknown(why) = v {
            notes.push(why.clone());
        }
    }
    let unknown = verdicts.iter().any(|v| matches!(v, Verdict::Unknown(_)));
    if failed || !unknown {
        item.push("meets_policy", bool_str(!failed));
    }
    if !notes.is_empty() {
        item.message = Some(notes.join("; "));
    }
    Ok(Entry::Present(item))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_status_and_versions() {
        let s = dpkg_status(
            "Package: vault\nStatus: install ok installed\nVersion: 1.15.2-1\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1.0\n",
        );
        assert_eq!(s["vault"].1, "1.15.2-1");
        assert!(!s["old"].0.ends_with(" installed"));
        // dpkg ordering, checked against dpkg itself.
        for (a, b) in [
            ("1.15.2-1", "1.15.10-1"),
            ("1:0.9", "2.0"),
            ("3.0.11-1~deb12u1", "3.0.11-1"),
        ] {
            let ours = a.parse::<debversion::Version>().unwrap()
                < b.parse::<debversion::Version>().unwrap();
            let dpkg = crate::testtool::tool("dpkg")
                .args(["--compare-versions", a, "lt", b])
                .status()
                .unwrap()
                .success();
            assert_eq!(ours, dpkg, "{a} < {b}");
        }
    }
}
