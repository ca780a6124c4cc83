//! `environmentvariable58_object` (OVAL 5.11 independent schema): environment variables
//! of processes. A nil (or absent) `pid` means the scanning process itself (OVAL 5.11:
//! "the environment of the process that is running the evaluation"); other pids are read
//! from `/proc/<pid>/environ`.
//!
//! Behaviour checked against oscap 1.3.7:
//! - an entry splits at its first `=` (`VIGILX=a=b=c` has value `a=b=c`);
//! - a pid that does not exist gives no item (the object does not exist);
//! - a process whose environment cannot be read (EACCES on pid 1, ESRCH on kernel
//!   threads) is an item with status `error`, its pid and a message, so the object's
//!   flag is `error`;
//! - a pid given by any other operation than equals walks every process.
//!
//! `environmentvariable_object` (the legacy independent form: `name`, `value`) is
//! [`LegacyEnvironmentProbe`]: the variables of the scanner's own environment, as oscap
//! 1.3.7's `environmentvariable` probe reads its `environ` (same split at the first
//! `=`; no pid). Compared with `tests/fixtures/oval/sys/environmentvariable.xml`.
//!
//! Not applicable on an offline root: there are no processes to read (oscap 1.3.7 with
//! OSCAP_PROBE_ROOT also reports both forms not applicable).

use std::ffi::OsStr;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;

use crate::probes::{Collected, Context, Item, ItemSink, ItemStatus, ObjectQuery, Probe};

use super::{compare_error, entity_matches, exact, require_live};

/// The probe of OVAL 5.11 `independent:environmentvariable58_object`: variables of
/// running processes (live only).
pub struct EnvironmentProbe;

/// Items for the variables of one environment (`NAME=value` entries) that match.
fn items_for(
    query: &ObjectQuery,
    pid: &str,
    entries: impl Iterator<Item = (String, String)>,
    items: &mut ItemSink,
) -> Result<(), Collected> {
    for (name, value) in entries {
        match entity_matches(query, "name", &name) {
            Ok(true) => {
                let item = Item::new()
                    .field("pid", pid)
                    .field("name", name)
                    .field("value", value);
                if items.push(item).is_err() {
                    // A limit: reported by the sink.
                    return Ok(());
                }
            }
            Ok(false) => {}
            Err(e) => return Err(compare_error(query, e)),
        }
    }
    Ok(())
}

/// Splits the NUL-separated content of `/proc/<pid>/environ`.
pub fn parse_environ(data: &[u8]) -> Vec<(String, String)> {
    data.split(|b| *b == 0)
        .filter_map(|e| {
            let s = String::from_utf8_lossy(e);
            s.split_once('=')
                .map(|(n, v)| (n.to_string(), v.to_string()))
        })
        .filter(|(n, _)| !n.is_empty())
        .collect()
}

fn process_pids() -> Vec<u32> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.file_name().to_str().and_then(|s| s.parse().ok()))
                .collect()
        })
        .unwrap_or_default();
    pids.sort_unstable();
    pids
}

/// Reads one process's environment into items; an unreadable live process is an error
/// item, a vanished one is nothing.
fn collect_pid(query: &ObjectQuery, pid: u32, items: &mut ItemSink) -> Result<(), Collected> {
    if items.is_full() {
        return Ok(());
    }
    let path = format!("/proc/{pid}/environ");
    match std::fs::read(&path) {
        Ok(data) => items_for(
            query,
            &pid.to_string(),
            parse_environ(&data).into_iter(),
            items,
        ),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => {
            let mut it = Item::with_status(ItemStatus::Error, format!("cannot read {path}: {e}"));
            it.push("pid", pid.to_string());
            let _ = items.push(it);
            Ok(())
        }
    }
}

impl Probe<Context> for EnvironmentProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["environmentvariable58_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        let mut items = ctx.sink(ctx.deadline());
        let res = match query.entity("pid") {
            None => self_env(query, &mut items),
            Some(e) if e.nil => self_env(query, &mut items),
            Some(_) => match exact(query, "pid") {
                Some(pids) => pids.iter().try_for_each(|p| match p.trim().parse::<u32>() {
                    Ok(pid) => collect_pid(query, pid, &mut items),
                    // Not a pid: no process has it.
                    Err(_) => Ok(()),
                }),
                None => process_pids().into_iter().try_for_each(|pid| {
                    match entity_matches(query, "pid", &pid.to_string()) {
                        Ok(true) => collect_pid(query, pid, &mut items),
                        Ok(false) => Ok(()),
                        Err(e) => Err(compare_error(query, e)),
                    }
                }),
            },
        };
        match res {
            Ok(()) => items.into_collected(),
            Err(c) => c,
        }
    }
}

/// The scanner's own environment as (name, value) pairs.
fn own_vars() -> impl Iterator<Item = (String, String)> {
    std::env::vars_os().map(|(n, v)| {
        let n: &OsStr = &n;
        (
            String::from_utf8_lossy(n.as_bytes()).into_owned(),
            String::from_utf8_lossy(v.as_bytes()).into_owned(),
        )
    })
}

fn self_env(query: &ObjectQuery, items: &mut ItemSink) -> Result<(), Collected> {
    let pid = std::process::id().to_string();
    items_for(query, &pid, own_vars(), items)
}

/// The probe of the legacy `independent:environmentvariable_object`: variables of the
/// scanner's own environment (live only).
pub struct LegacyEnvironmentProbe;

impl Probe<Context> for LegacyEnvironmentProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["environmentvariable_object"]
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        if let Some(c) = require_live(ctx, query) {
            return c;
        }
        if query.entity("name").is_none() {
            return Collected::error(format!("{}: no name entity", query.object_id));
        }
        let mut items = ctx.sink(ctx.deadline());
        for (name, value) in own_vars() {
            match entity_matches(query, "name", &name) {
                Ok(true) => {
                    if items
                        .push(Item::new().field("name", name).field("value", value))
                        .is_err()
                    {
                        break;
                    }
                }
                Ok(false) => {}
                Err(e) => return compare_error(query, e),
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
    use vigil_core::content::oval::{Family, Operation};

    fn q(pid: Option<(Operation, &str)>, name: (Operation, &str)) -> ObjectQuery {
        let mut q = testutil::query(
            Family::Independent,
            "environmentvariable58_object",
            &[("name", name.0, name.1)],
        );
        let mut e = testutil::entity(
            "pid",
            pid.map_or(Operation::Equals, |p| p.0),
            pid.map(|p| p.1),
        );
        e.datatype = vigil_core::content::oval::Datatype::Int;
        q.entities.insert(0, e);
        q
    }

    #[test]
    fn nil_pid_reads_own_environment() {
        let c = EnvironmentProbe.collect(&q(None, (Operation::Equals, "PATH")), &testutil::live());
        assert_eq!(c.flag, Flag::Complete);
        assert_eq!(c.items.len(), 1);
        let it = &c.items[0];
        assert_eq!(
            it.first("pid"),
            Some(std::process::id().to_string().as_str())
        );
        assert_eq!(it.first("value"), std::env::var("PATH").ok().as_deref());
    }

    #[test]
    fn explicit_pid_reads_proc_environ() {
        // A child with a known environment: its /proc/<pid>/environ is the real thing.
        let mut child = crate::testtool::tool("sleep")
            .arg("5")
            .env_clear()
            .env("VIGIL_T", "a=b=c")
            .spawn()
            .unwrap();
        let pid = child.id().to_string();
        // Until the child has exec'd, /proc/<pid>/environ is still the parent's (the fork
        // copy): wait for the exec, or the probe reads the wrong process image and the
        // test fails on a loaded machine.
        let environ = format!("/proc/{pid}/environ");
        for _ in 0..500 {
            if std::fs::read(&environ).is_ok_and(|e| e.windows(8).any(|w| w == b"VIGIL_T=")) {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let c = EnvironmentProbe.collect(
            &q(
                Some((Operation::Equals, &pid)),
                (Operation::Equals, "VIGIL_T"),
            ),
            &testutil::live(),
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(c.flag, Flag::Complete, "{:?}", c.messages);
        assert_eq!(c.items[0].first("value"), Some("a=b=c"));
        assert_eq!(c.items[0].first("pid"), Some(pid.as_str()));
    }

    #[test]
    fn missing_pid_does_not_exist() {
        let c = EnvironmentProbe.collect(
            &q(
                Some((Operation::Equals, "999999999")),
                (Operation::Equals, "PATH"),
            ),
            &testutil::live(),
        );
        assert_eq!(c.flag, Flag::DoesNotExist);
    }

    #[test]
    fn legacy_object_reads_own_environment() {
        let q = testutil::query(
            Family::Independent,
            "environmentvariable_object",
            &[("name", Operation::PatternMatch, "^PATH$")],
        );
        let c = LegacyEnvironmentProbe.collect(&q, &testutil::live());
        assert_eq!(c.flag, Flag::Complete);
        assert_eq!(c.items.len(), 1);
        assert_eq!(c.items[0].first("pid"), None);
        assert_eq!(
            c.items[0].first("value"),
            std::env::var("PATH").ok().as_deref()
        );
        let q = testutil::query(
            Family::Independent,
            "environmentvariable_object",
            &[("name", Operation::Equals, "VIGIL_NO_SUCH_VARIABLE_X")],
        );
        assert_eq!(
            LegacyEnvironmentProbe.collect(&q, &testutil::live()).flag,
            Flag::DoesNotExist
        );
    }

    #[test]
    fn environ_parsing_splits_at_first_equals() {
        let v = parse_environ(b"A=1\0B=x=y\0NOEQ\0=bad\0");
        assert_eq!(v, [("A".into(), "1".into()), ("B".into(), "x=y".into())]);
    }

    #[test]
    fn offline_root_is_not_applicable() {
        let dir = tempfile::tempdir().unwrap();
        let c = EnvironmentProbe.collect(
            &q(None, (Operation::Equals, "PATH")),
            &testutil::offline(dir.path()),
        );
        assert_eq!(c.flag, Flag::NotApplicable);
    }
}
