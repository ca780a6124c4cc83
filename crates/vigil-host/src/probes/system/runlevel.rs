//! `runlevel_object` (OVAL 5.11 unix schema): whether SysV init scripts start or stop at
//! each runlevel, from the `S<nn><service>` and `K<nn><service>` links in
//! `/etc/rc<level>.d` (read through `Host`, so offline roots work).
//!
//! Every service (a script in `/etc/init.d` or a name linked from an rc directory) gets
//! one item per existing rc directory, with `start` and `kill` true or false, so a state
//! can ask for a service that is *not* started.
//!
//! Differs from oscap on purpose: oscap 1.3.7 has no Debian implementation and reports
//! `error` ("get_runlevel failed.") for every runlevel object on Debian. ssg does not use
//! this test.

use std::collections::BTreeSet;
use std::path::Path;

use crate::host::Host;

use crate::probes::{Collected, Context, Item, ObjectQuery, Probe};

use super::{compare_error, entity_matches};

/// The probe of OVAL 5.11 `unix:runlevel_object`: the start and kill links of every
/// service in each `/etc/rc<level>.d`.
pub struct RunlevelProbe;

const LEVELS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "S"];

/// The service a link names: `S01ssh` -> (start, `ssh`).
fn parse_link(name: &str) -> Option<(char, &str)> {
    let kind = name.chars().next().filter(|c| *c == 'S' || *c == 'K')?;
    let rest = &name[1..];
    let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits == rest.len() {
        return None;
    }
    Some((kind, &rest[digits..]))
}

/// The entry names of a host directory (links resolved within the root); none when it
/// is missing or not a directory.
fn names_in(host: &Host, dir: &str) -> Vec<String> {
    let Ok(real) = host.real_follow(Path::new(dir)) else {
        return Vec::new();
    };
    host.list_dir(&real)
        .map(|names| {
            names
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

impl Probe<Context> for RunlevelProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["runlevel_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        let mut services: BTreeSet<String> = names_in(&ctx.host, "/etc/init.d")
            .into_iter()
            .filter(|n| !n.starts_with('.') && n != "README" && n != "skeleton")
            .collect();
        // (level, links in it)
        let mut levels = Vec::new();
        for level in LEVELS {
            let dir = format!("/etc/rc{level}.d");
            if !ctx
                .host
                .real_follow(Path::new(&dir))
                .is_ok_and(|d| ctx.host.stat(&d).is_ok_and(|m| m.is_dir()))
            {
                continue;
            }
            let links: Vec<(char, String)> = names_in(&ctx.host, &dir)
                .iter()
                .filter_map(|n| parse_link(n).map(|(k, s)| (k, s.to_string())))
                .collect();
            services.extend(links.iter().map(|(_, s)| s.clone()));
            levels.push((*level, links));
        }
        let mut items = ctx.sink(ctx.deadline());
        for service in &services {
            match entity_matches(query, "service_name", service) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(e) => return compare_error(query, e),
            }
            for (level, links) in &levels {
                match entity_matches(query, "runlevel", level) {
                    Ok(true) => {}
                    Ok(false) => continue,
                    Err(e) => return compare_error(query, e),
                }
                let has = |k: char| links.iter().any(|(lk, s)| *lk == k && s == service);
                let _ = items.push(
                    Item::new()
                        .field("service_name", service.as_str())
                        .field("runlevel", *level)
                        .field("start", if has('S') { "true" } else { "false" })
                        .field("kill", if has('K') { "true" } else { "false" }),
                );
            }
        }
        items.into_collected()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probes::Flag;
    use crate::probes::system::testutil;
    use std::fs;
    use std::os::unix::fs::symlink;
    use vigil_core::content::oval::{Family, Operation};

    fn root() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let etc = dir.path().join("etc");
        fs::create_dir_all(etc.join("init.d")).unwrap();
        for s in ["ssh", "hwclock.sh", "README"] {
            fs::write(etc.join("init.d").join(s), "#!/bin/sh\n").unwrap();
        }
        for l in ["0", "2", "3"] {
            fs::create_dir_all(etc.join(format!("rc{l}.d"))).unwrap();
        }
        symlink("../init.d/ssh", etc.join("rc2.d/S01ssh")).unwrap();
        symlink("../init.d/ssh", etc.join("rc3.d/S01ssh")).unwrap();
        symlink("../init.d/hwclock.sh", etc.join("rc0.d/K01hwclock.sh")).unwrap();
        fs::write(etc.join("rc2.d/README"), "").unwrap();
        dir
    }

    fn q(service: &str, level: &str) -> ObjectQuery {
        testutil::query(
            Family::Unix,
            "runlevel_object",
            &[
                ("service_name", Operation::Equals, service),
                ("runlevel", Operation::Equals, level),
            ],
        )
    }

    #[test]
    fn start_and_kill_links() {
        let dir = root();
        let ctx = testutil::offline(dir.path());
        let c = RunlevelProbe.collect(&q("ssh", "3"), &ctx);
        assert_eq!(c.items.len(), 1);
        assert_eq!(c.items[0].first("start"), Some("true"));
        assert_eq!(c.items[0].first("kill"), Some("false"));
        let c = RunlevelProbe.collect(&q("ssh", "0"), &ctx);
        assert_eq!(c.items[0].first("start"), Some("false"));
        let c = RunlevelProbe.collect(&q("hwclock.sh", "0"), &ctx);
        assert_eq!(c.items[0].first("kill"), Some("true"));
        // No rc5.d in the fixture, no README service.
        assert_eq!(
            RunlevelProbe.collect(&q("ssh", "5"), &ctx).flag,
            Flag::DoesNotExist
        );
        assert_eq!(
            RunlevelProbe.collect(&q("README", "2"), &ctx).flag,
            Flag::DoesNotExist
        );
    }

    #[test]
    fn whole_matrix_without_entities() {
        let dir = root();
        let all = testutil::query(Family::Unix, "runlevel_object", &[]);
        let c = RunlevelProbe.collect(&all, &testutil::offline(dir.path()));
        // 2 services x 3 rc directories.
        assert_eq!(c.items.len(), 6);
    }

    #[test]
    fn link_names() {
        assert_eq!(parse_link("S01ssh"), Some(('S', "ssh")));
        assert_eq!(parse_link("K20hwclock.sh"), Some(('K', "hwclock.sh")));
        assert_eq!(parse_link("README"), None);
        assert_eq!(parse_link("S99"), None);
    }
}
