//! `vigil watch`: real-time monitoring of the paths the key-management rules read.
//!
//! inotify(7) watches on the directories of the site policy's key files and key
//! directories, audit logs, integrity paths and KMS configuration ([`targets`]), and
//! every `--path`, re-armed as the tree changes shape ([`tree`]). Changes are gathered
//! for a short debounce, compared with a snapshot kept per file ([`snapshot`]: content,
//! mode, owner, ACL, extended attributes, created, deleted, renamed), the selected rules
//! evaluated again through `vigil_host::scan::run` and compared with the previous
//! evaluation ([`rules`]), auditd asked who made each change
//! (`vigil_host::probes::keymgmt::auditlog::auditd::last_touch`), and one event per
//! changed path sent to the `--events` target through the history's event writer
//! ([`crate::history::events::send`]). It reads the host and never writes to it: the
//! only output is the event target the user named.
//!
//! Bounds: `--max-watches` directory watches (refused beyond, at start; reported by a
//! `vigil.watch.limit` event later), `--max-queue` changed paths pending in one batch
//! (beyond, and on the kernel's `IN_Q_OVERFLOW`, every watched path is compared again
//! and a `vigil.watch.overflow` event says so), [`MAX_FILES`] snapshots, and the tail
//! of the audit log read ([`AUDIT_TAIL`]). SIGTERM and SIGINT end the watch after the
//! batch in hand is sent, exit 0.

pub(crate) mod inotify;
pub(crate) mod rules;
pub(crate) mod snapshot;
pub(crate) mod targets;
pub(crate) mod tree;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::exit::Exit;
use crate::history::EventTarget;
use inotify::{Inotify, Signals};
use snapshot::Snap;
use tree::Tree;
use vigil_core::content::Content;
use vigil_host::Host;
use vigil_host::host::accounts::Accounts;
use vigil_host::probes::keymgmt::auditlog::{self, ParseContext, auditd};
use vigil_host::scan::{ScanConfig, ScanSpec};

/// Most files whose snapshot is kept; a watched tree with more is refused at start.
pub(crate) const MAX_FILES: usize = 100_000;
/// How much of the end of the audit log is searched for who made a change.
pub(crate) const AUDIT_TAIL: u64 = 4 * 1024 * 1024;
/// An auditd record counts for a change observed at T when it is from T-10 s to T+2 s.
const AUDIT_BEFORE: i64 = 10;
const AUDIT_AFTER: i64 = 2;
/// A batch is sent at most this many debounce periods after its first change, however
/// busy the tree, so latency stays bounded.
const MAX_BATCH_PERIODS: u32 = 4;

/// Default of `--max-watches`.
pub(crate) const DEFAULT_MAX_WATCHES: usize = 8192;
/// Default of `--max-queue`.
pub(crate) const DEFAULT_MAX_QUEUE: usize = 10_000;
/// Default of `--debounce`, milliseconds.
pub(crate) const DEFAULT_DEBOUNCE_MS: u64 = 50;

/// Everything `vigil watch` was asked for.
pub(crate) struct Options {
    pub content: Option<PathBuf>,
    pub spec: ScanSpec,
    pub root: Option<PathBuf>,
    pub paths: Vec<PathBuf>,
    pub events: crate::history::EventSink,
    pub debounce: Duration,
    pub max_watches: usize,
    pub max_queue: usize,
    pub max_events: Option<u64>,
    pub duration: Option<Duration>,
}

/// The changes gathered for one batch.
#[derive(Default)]
struct Pending {
    /// Changed real paths, with when each was first seen.
    paths: BTreeMap<PathBuf, SystemTime>,
    moved_from: HashMap<u32, PathBuf>,
    moved_to: HashMap<u32, PathBuf>,
    /// The tree's shape changed: re-arm and compare every path.
    structural: bool,
    /// Why every path must be compared again (queue overflow), for the event.
    overflow: Option<String>,
    first: Option<Instant>,
}

impl Pending {
    fn is_empty(&self) -> bool {
        self.paths.is_empty() && !self.structural && self.overflow.is_none()
    }
}

/// One changed path, ready to become an event.
struct Change {
    real: PathBuf,
    host_path: String,
    role: &'static str,
    changes: Vec<&'static str>,
    before: Option<Snap>,
    after: Option<Snap>,
    renamed_to: Option<String>,
    renamed_from: Option<String>,
    observed: SystemTime,
}

struct Watcher<'a> {
    o: &'a Options,
    content: Content,
    config: ScanConfig,
    registry: vigil_host::probes::Registry,
    tree: Tree,
    ino: Inotify,
    snaps: HashMap<PathBuf, Snap>,
    results: Option<vigil_core::model::ScanResults>,
    accounts: Accounts,
    audit: (PathBuf, PathBuf),
    /// The event file itself, whose own growth is not a change to report.
    sink: Option<PathBuf>,
    host: String,
    emitted: u64,
}

/// Runs the watch until a signal, `--duration` or `--max-events`.
pub(crate) fn run(o: &Options) -> Result<Exit> {
    // Before any thread exists, so every thread the scans start inherits the mask.
    let signals = Signals::new().context("cannot set up SIGTERM/SIGINT handling")?;
    let host = match &o.root {
        Some(r) => {
            if !r.is_dir() {
                bail!("--root {}: not a directory", r.display());
            }
            Host::offline(
                r.canonicalize()
                    .with_context(|| format!("--root {}", r.display()))?,
            )
        }
        None => Host::live(),
    };
    let root = host.root().map(Path::to_path_buf);
    let content = crate::load(o.content.as_deref(), &o.spec.load)?;
    let mut config = ScanConfig::from_spec(&o.spec, host).map_err(anyhow::Error::msg)?;
    config.command_line = std::env::args().collect();
    let policy = match &config.policy {
        Some(p) => (**p).clone(),
        None => vigil_host::probes::keymgmt::discover::discover(&config.host, o.spec.max_file_size),
    };
    let targets = targets::of_policy(&config.host, &policy, o.spec.policy.as_deref(), &o.paths);
    if targets.is_empty() {
        bail!(
            "nothing to watch: the policy names no key, log or integrity path (give --policy FILE or --path PATH)"
        );
    }
    let audit = targets::audit_source(&config.host, &policy);
    let accounts = Accounts::read(&config.host).unwrap_or_default();
    let ino = Inotify::new().context("cannot start inotify")?;
    let mut tree = Tree::new(targets, root, o.max_watches);
    tree.arm(&ino)?;
    let sink = match &o.events.target {
        EventTarget::File(p) => Some(std::path::absolute(p).unwrap_or_else(|_| p.clone())),
        _ => None,
    };
    let mut w = Watcher {
        o,
        content,
        config,
        registry: vigil_host::probes::builtin(),
        tree,
        ino,
        snaps: HashMap::new(),
        results: None,
        accounts,
        audit,
        sink,
        host: vigil_core::osutil::hostname(),
        emitted: 0,
    };
    let covered = w.tree.covered_paths(MAX_FILES).map_err(|n| {
        anyhow::anyhow!(
            "the watched paths hold more than {MAX_FILES} files ({n} found); watch fewer paths"
        )
    })?;
    for p in covered {
        if let Some(s) = w.snap(&p) {
            w.snaps.insert(p, s);
        }
    }
    w.results = vigil_host::scan::run(&w.content, &w.config, &w.registry).ok();
    let evaluated = w.results.as_ref().map_or(0, |r| r.rules.len());
    crate::report::sanitize::print(
        true,
        &format!(
            "vigil watch: watching {} paths ({} directories, {} files, {} rules evaluated); events to {}\n",
            w.tree.targets.len(),
            w.tree.dirs.len(),
            w.snaps.len(),
            evaluated,
            target_name(&o.events.target)
        ),
    );
    w.run(&signals)?;
    Ok(Exit::Clean)
}

fn target_name(t: &EventTarget) -> String {
    match t {
        EventTarget::Stdout => "standard output".into(),
        EventTarget::File(p) => p.display().to_string(),
        EventTarget::Syslog { socket, .. } => format!("syslog ({})", socket.display()),
    }
}

fn rfc3339(t: SystemTime) -> String {
    chrono::DateTime::<chrono::Utc>::from(t).to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Watcher<'_> {
    fn snap(&self, p: &Path) -> Option<Snap> {
        let role = self.tree.target_of(p).map_or("path", |t| t.role);
        snapshot::take(p, role != "audit_log")
    }

    fn run(&mut self, signals: &Signals) -> Result<()> {
        let deadline = self.o.duration.map(|d| Instant::now() + d);
        let mut buf = vec![0u8; 64 * 1024];
        let mut pending = Pending::default();
        let mut stop = false;
        while !stop {
            let timeout = deadline.map(|d| d.saturating_duration_since(Instant::now()));
            if timeout == Some(Duration::ZERO) {
                break;
            }
            let r = inotify::wait(&self.ino, signals, timeout)?;
            if r.signal && signals.take().is_some() {
                stop = true;
            }
            if r.inotify {
                self.drain(&mut buf, &mut pending)?;
            }
            // Debounce: keep gathering while changes keep coming, within bounds.
            while !stop && !pending.is_empty() {
                let started = pending.first.unwrap_or_else(Instant::now);
                let cap = started + self.o.debounce * MAX_BATCH_PERIODS;
                let left = cap
                    .saturating_duration_since(Instant::now())
                    .min(self.o.debounce);
                if left.is_zero() {
                    break;
                }
                let r = inotify::wait(&self.ino, signals, Some(left))?;
                if r.signal && signals.take().is_some() {
                    stop = true;
                }
                if !r.inotify {
                    break;
                }
                self.drain(&mut buf, &mut pending)?;
            }
            if !pending.is_empty() {
                let batch = std::mem::take(&mut pending);
                self.process(batch)?;
            }
            if self.o.max_events.is_some_and(|m| self.emitted >= m) {
                break;
            }
        }
        Ok(())
    }

    /// Reads every queued inotify event into `p`.
    fn drain(&self, buf: &mut [u8], p: &mut Pending) -> Result<()> {
        loop {
            let evs = self.ino.read(buf).context("reading inotify events")?;
            if evs.is_empty() {
                return Ok(());
            }
            let now = SystemTime::now();
            p.first.get_or_insert_with(Instant::now);
            for ev in evs {
                self.note(&ev, now, p);
            }
        }
    }

    fn note(&self, ev: &inotify::Event, now: SystemTime, p: &mut Pending) {
        if ev.is(libc::IN_Q_OVERFLOW) {
            p.overflow = Some("the kernel's inotify queue overflowed".into());
            p.structural = true;
            return;
        }
        let Some(dir) = self.tree.dirs.get(&ev.wd) else {
            return;
        };
        if ev.is(libc::IN_IGNORED) {
            p.structural = true;
            return;
        }
        let path = if ev.name.is_empty() {
            dir.clone()
        } else {
            dir.join(inotify::name_os(&ev.name))
        };
        if self.sink.as_deref() == Some(path.as_path()) {
            return;
        }
        let shape = libc::IN_CREATE | libc::IN_DELETE | libc::IN_MOVED_FROM | libc::IN_MOVED_TO;
        if ev.is(libc::IN_DELETE_SELF | libc::IN_MOVE_SELF)
            || (ev.is(libc::IN_ISDIR) && ev.is(shape))
            || (ev.is(shape) && self.tree.is_ancestor(&path))
        {
            p.structural = true;
        }
        if self.tree.target_of(&path).is_none() {
            return;
        }
        // Past an overflow every path is compared anyway, and nothing more is held:
        // the rename pairs are bounded with the paths.
        if p.overflow.is_some() {
            return;
        }
        if ev.is(libc::IN_MOVED_FROM) {
            p.moved_from.insert(ev.cookie, path.clone());
        }
        if ev.is(libc::IN_MOVED_TO) {
            p.moved_to.insert(ev.cookie, path.clone());
        }
        p.paths.entry(path).or_insert(now);
        if p.paths.len() > self.o.max_queue {
            p.overflow = Some(format!(
                "more than {} changed paths pending (--max-queue)",
                self.o.max_queue
            ));
            p.structural = true;
        }
    }

    fn host_path(&self, real: &Path) -> String {
        let hp = self
            .tree
            .target_of(real)
            .map_or_else(|| real.to_path_buf(), |t| t.host_path_of(real));
        vigil_core::osutil::encode_path(hp.as_os_str())
    }

    fn process(&mut self, batch: Pending) -> Result<()> {
        let mut events: Vec<Value> = Vec::new();
        let now = SystemTime::now();
        if batch.structural
            && let Err(e) = self.tree.arm(&self.ino)
        {
            events.push(json!({
                "event_type": "vigil.watch.limit",
                "time": rfc3339(now),
                "host": self.host,
                "reason": e.to_string(),
            }));
        }
        let candidates: BTreeSet<PathBuf> = if batch.structural {
            let mut all: BTreeSet<PathBuf> = self.snaps.keys().cloned().collect();
            all.extend(self.tree.covered_paths(MAX_FILES).unwrap_or_default());
            all.extend(batch.paths.keys().cloned());
            all
        } else {
            batch.paths.keys().cloned().collect()
        };
        if let Some(reason) = &batch.overflow {
            events.push(json!({
                "event_type": "vigil.watch.overflow",
                "time": rfc3339(now),
                "host": self.host,
                "reason": reason,
                "rescanned": candidates.len(),
            }));
        }
        let from_of: HashMap<&PathBuf, u32> =
            batch.moved_from.iter().map(|(c, p)| (p, *c)).collect();
        let to_of: HashMap<&PathBuf, u32> = batch.moved_to.iter().map(|(c, p)| (p, *c)).collect();
        let mut changes = Vec::new();
        for p in candidates {
            let Some(target) = self.tree.target_of(&p) else {
                self.snaps.remove(&p);
                continue;
            };
            let role = target.role;
            let after = snapshot::take(&p, role != "audit_log");
            let before = self.snaps.get(&p).cloned();
            let mut what = snapshot::changes(before.as_ref(), after.as_ref());
            let skip = role == "audit_log" && snapshot::is_append(before.as_ref(), after.as_ref());
            match &after {
                Some(s) if self.snaps.len() < MAX_FILES || before.is_some() => {
                    self.snaps.insert(p.clone(), s.clone());
                }
                Some(_) => {}
                None => {
                    self.snaps.remove(&p);
                }
            }
            let renamed_to = from_of
                .get(&p)
                .map(|c| batch.moved_to.get(c).map(|t| self.host_path(t)));
            let renamed_from = to_of
                .get(&p)
                .and_then(|c| batch.moved_from.get(c))
                .map(|f| self.host_path(f));
            if renamed_to.is_some() {
                what.insert(0, "renamed");
            }
            if skip || what.is_empty() {
                continue;
            }
            changes.push(Change {
                host_path: self.host_path(&p),
                observed: batch.paths.get(&p).copied().unwrap_or(now),
                real: p,
                role,
                changes: what,
                before,
                after,
                renamed_to: renamed_to.flatten(),
                renamed_from,
            });
        }
        if !changes.is_empty() {
            let lost = batch.overflow.is_some();
            events.extend(self.change_events(&changes, lost));
        }
        if events.is_empty() {
            return Ok(());
        }
        let n = crate::history::events::send(&events, &self.o.events, "watch")?;
        self.emitted += n as u64;
        Ok(())
    }

    /// Evaluates the rules `changes` can affect (all of them when events were `lost`)
    /// and puts the results into the last evaluation; returns the rule results that
    /// changed, and what was evaluated (the event's `evaluated` member).
    fn evaluate(
        &mut self,
        changes: &[Change],
        lost: bool,
    ) -> (Result<Vec<rules::RuleChange>, String>, Value) {
        let paths: Vec<(String, &str)> = changes
            .iter()
            .map(|c| (c.host_path.clone(), c.role))
            .collect();
        let scope = match &self.results {
            None => rules::Scope::All("no earlier evaluation to compare with".into()),
            Some(_) if lost => {
                rules::Scope::All("events were lost; every path was compared again".into())
            }
            Some(last) => rules::scope(last, self.content.benchmark.as_ref(), &paths),
        };
        // The selection's size (rules outside it are in the results as `notselected`).
        let total = self.results.as_ref().map(|r| {
            r.rules
                .iter()
                .filter(|x| x.result != vigil_core::engine::xccdf::RuleOutcome::NotSelected)
                .count()
        });
        let (run, evaluated) = match &scope {
            rules::Scope::All(reason) => (
                vigil_host::scan::run(&self.content, &self.config, &self.registry),
                json!({"scope": "all", "rules": total, "of": total, "reason": reason}),
            ),
            // No rule reads what changed: nothing to evaluate (an empty `--rule` list
            // would mean the whole selection).
            rules::Scope::Affected(ids) if ids.is_empty() => {
                return (
                    Ok(Vec::new()),
                    json!({"scope": "affected", "rules": 0, "of": total, "reason": null}),
                );
            }
            rules::Scope::Affected(ids) => {
                // The same scan, told to run only these rules (full ids, all from the
                // last evaluation of the selection, so none is unknown).
                let saved = std::mem::replace(&mut self.config.selection.rules, ids.clone());
                let r = vigil_host::scan::run(&self.content, &self.config, &self.registry);
                self.config.selection.rules = saved;
                (
                    r,
                    json!({"scope": "affected", "rules": ids.len(), "of": total, "reason": null}),
                )
            }
        };
        let new = match run {
            Ok(n) => n,
            Err(e) => return (Err(e.to_string()), evaluated),
        };
        let Some(old) = self.results.take() else {
            self.results = Some(new);
            return (Ok(Vec::new()), evaluated);
        };
        let new = match scope {
            rules::Scope::All(_) => new,
            rules::Scope::Affected(ids) => {
                let mut merged = old.clone();
                rules::merge(&mut merged, new, &ids);
                merged
            }
        };
        let c = rules::changed(&old, &new);
        self.results = Some(new);
        (Ok(c), evaluated)
    }

    fn change_events(&mut self, changes: &[Change], lost: bool) -> Vec<Value> {
        let (rule_changes, evaluated) = self.evaluate(changes, lost);
        let (rule_changes, scan_error) = match rule_changes {
            Ok(c) => (c, None),
            Err(e) => (Vec::new(), Some(e)),
        };
        let batch_paths: Vec<String> = changes.iter().map(|c| c.host_path.clone()).collect();
        let audit = self.audit_events();
        let identity = vigil_core::osutil::current_user();
        // SAFETY: geteuid never fails.
        let uid = unsafe { libc::geteuid() };
        let time = rfc3339(SystemTime::now());
        changes
            .iter()
            .map(|c| {
                let rules = match &scan_error {
                    Some(e) => json!({"error": e}),
                    None => rules::for_event(&rule_changes, &c.host_path, &batch_paths),
                };
                let mut ev = json!({
                    "event_type": "vigil.watch.change",
                    "time": time,
                    "observed": rfc3339(c.observed),
                    "identity": identity,
                    "uid": uid,
                    "host": self.host,
                    "path": c.host_path,
                    "watched_as": c.role,
                    "changes": c.changes,
                    "before": c.before.as_ref().map(snapshot::to_json),
                    "after": c.after.as_ref().map(snapshot::to_json),
                    "who": self.who(&audit, c),
                    "rules": rules,
                    "evaluated": evaluated,
                });
                if let Some(t) = &c.renamed_to {
                    ev["renamed_to"] = json!(t);
                } else if c.changes.contains(&"renamed") {
                    ev["renamed_to"] = Value::Null;
                }
                if let Some(f) = &c.renamed_from {
                    ev["renamed_from"] = json!(f);
                }
                if let Some(r) = self.tree_root() {
                    ev["root"] = json!(r);
                }
                ev
            })
            .collect()
    }

    fn tree_root(&self) -> Option<String> {
        self.config.host.root().map(|r| r.display().to_string())
    }

    /// The end of the auditd log, parsed; `Err` says why there is none.
    fn audit_events(&self) -> Result<auditlog::Parsed, String> {
        use std::io::{Read, Seek, SeekFrom};
        let (shown, real) = &self.audit;
        let f = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags_nofollow()
            .open(real)
            .map_err(|e| format!("no auditd log at {}: {e}", shown.display()))?;
        let mut f = f;
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        let start = len.saturating_sub(AUDIT_TAIL);
        f.seek(SeekFrom::Start(start)).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        f.take(AUDIT_TAIL)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{}: {e}", shown.display()))?;
        let text = String::from_utf8_lossy(&bytes);
        // A tail cut mid-line starts at the next record.
        let text = if start > 0 {
            text.split_once('\n').map_or("", |(_, rest)| rest)
        } else {
            &text
        };
        let pc = ParseContext {
            accounts: &self.accounts,
            key_paths: Vec::new(),
        };
        Ok(auditd::parse_auditd(text, &pc))
    }

    fn who(&self, audit: &Result<auditlog::Parsed, String>, c: &Change) -> Value {
        let source = vigil_core::osutil::encode_path(self.audit.0.as_os_str());
        let unknown = |note: String| {
            json!({
                "auid": null, "uid": null, "exe": null, "pid": null, "key": null,
                "source": source, "note": note,
            })
        };
        let parsed = match audit {
            Ok(p) => p,
            Err(e) => return unknown(format!("not recorded by auditd ({e})")),
        };
        let t = c
            .observed
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        // Renamed: the record names the old or the new name.
        let mut names = vec![c.host_path.clone()];
        names.extend(c.renamed_from.iter().cloned());
        names.extend(c.renamed_to.iter().cloned());
        let _ = &c.real;
        let found = names
            .iter()
            .filter_map(|n| auditd::last_touch(parsed, n, t - AUDIT_BEFORE, t + AUDIT_AFTER))
            .max_by_key(|x| x.time);
        match found {
            None => unknown("not recorded by auditd".into()),
            Some(x) => json!({
                "auid": x.auid,
                "user": x.auid.map(|a| self.accounts.user_name(a)),
                "uid": x.uid,
                "exe": x.exe,
                "pid": x.pid,
                "key": x.key,
                "syscall": x.syscall,
                "record_time": x.time,
                "serial": x.serial,
                "source": source,
            }),
        }
    }
}

/// `OpenOptions` that do not follow a final link and never wait on a FIFO.
trait NoFollow {
    fn custom_flags_nofollow(&mut self) -> &mut Self;
}

impl NoFollow for std::fs::OpenOptions {
    fn custom_flags_nofollow(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_NOCTTY)
    }
}
