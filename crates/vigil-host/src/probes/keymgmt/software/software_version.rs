//! `software_version_object` (entity `name`): one item per `[[software]]` entry of the
//! policy — the installed Debian package version (from /var/lib/dpkg/status) compared
//! with `min_version` in dpkg order, and the upstream version (the package version
//! without epoch and revision, or the first line of `version_file`) compared with
//! `min_upstream` as semantic versions.

use std::collections::BTreeMap;
use std::path::Path;

use crate::policy::lenient_semver;
use crate::probes::keymgmt::{bool_str, policy, selects};
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
pub struct SoftwareVersionProbe;

impl Probe<Context> for SoftwareVersionProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["software_version_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let pol = match policy(ctx) {
            Ok(p) => p,
            Err(c) => return c,
        };
        let status = match ctx
            .host
            .read_file(Path::new("/var/lib/dpkg/status"), ctx.max_file_size)
        {
            Ok(d) => dpkg_status(&String::from_utf8_lossy(&d.unwrap_or_default())),
            Err(e) => return Collected::error(format!("/var/lib/dpkg/status: {e}")),
        };
        let mut items = ctx.sink(ctx.deadline());
        for sw in &pol.software {
            match selects(query, "name", &sw.name) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(c) => return c,
            }
            let mut item = Item::new().field("name", sw.name.as_str());
            let mut ok = true;
            let mut upstream: Option<String> = None;
            if let Some(pkg) = &sw.package {
                item.push("package", pkg.as_str());
                match status.get(pkg).filter(|(s, _)| s.ends_with(" installed")) {
                    Some((_, v)) => {
                        item.push("installed", "true");
                        item.push("version", v.as_str());
                        match v.parse::<debversion::Version>() {
                            Ok(have) => {
                                upstream = Some(have.upstream_version.clone());
                                if let Some(min) = &sw.min_version {
                                    item.push("min_version", min.as_str());
                                    let want: debversion::Version =
                                        min.parse().expect("validated in the policy");
                                    let meets = have >= want;
                                    ok &= meets;
                                    item.push("version_meets_policy", bool_str(meets));
                                }
                            }
                            Err(e) => {
                                item.message = Some(format!("{pkg}: version '{v}': {e}"));
                                ok = false;
                            }
                        }
                    }
                    None => {
                        item.push("installed", "false");
                        ok = false;
                    }
                }
            }
            if let Some(vf) = &sw.version_file {
                item.push("version_file", vf.as_str());
                match ctx.host.read_file(Path::new(vf), 1 << 16) {
                    Ok(Some(d)) => {
                        let text = String::from_utf8_lossy(&d);
                        upstream = text
                            .split_whitespace()
                            .find(|w| {
                                w.trim_start_matches('v')
                                    .starts_with(|c: char| c.is_ascii_digit())
                            })
                            .map(String::from);
                        item.push("installed", "true");
                    }
                    Ok(None) => {
                        item.push("installed", "false");
                        ok = false;
                    }
                    Err(e) => return Collected::error(format!("{vf}: {e}")),
                }
            }
            if let Some(min) = &sw.min_upstream {
                item.push("min_upstream", min.to_string());
                match upstream.as_deref().map(|u| (u, lenient_semver(u))) {
                    Some((u, Some(have))) => {
                        item.push("upstream_version", u);
                        let meets = have >= *min;
                        ok &= meets;
                        item.push("upstream_meets_policy", bool_str(meets));
                    }
                    Some((u, None)) => {
                        item.push("upstream_version", u);
                        item.message = Some(format!(
                            "upstream version '{u}' is not a semantic version: not compared"
                        ));
                        item.push_absent("upstream_meets_policy");
                        ok = false;
                    }
                    None => ok = false,
                }
            }
            item.push("meets_policy", bool_str(ok));
            let _ = items.push(item);
        }
        items.into_collected()
    }
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
