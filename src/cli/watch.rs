//! `vigil watch`: the command line of real-time monitoring (the watch itself is
//! [`crate::watch`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::exit::Exit;
use crate::history::EventTarget;
use crate::watch::{DEFAULT_DEBOUNCE_MS, DEFAULT_MAX_QUEUE, DEFAULT_MAX_WATCHES, Options};
use vigil_core::engine::xccdf::Selection;
use vigil_host::scan::ScanSpec;

#[derive(Debug, Args)]
pub(crate) struct WatchArgs {
    /// Content whose rules are evaluated again on every change (default: the bundled
    /// CSA CCM LOG-11 key-management benchmark).
    pub content: Option<PathBuf>,
    /// Profile id (full, or the part after `_profile_`); `all` selects every rule.
    #[arg(long)]
    pub profile: Option<String>,
    /// Evaluate only this rule (full id or the part after `_rule_`); repeatable.
    #[arg(long = "rule", value_name = "ID")]
    pub rules: Vec<String>,
    /// Do not evaluate this rule; repeatable.
    #[arg(long = "skip-rule", value_name = "ID")]
    pub skip_rules: Vec<String>,
    /// Site key-management policy (TOML): its key files and directories, audit logs,
    /// integrity paths and KMS configuration are watched (default: what discovery finds,
    /// as `vigil scan` without --policy).
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Watch this file or directory (recursively) too; repeatable.
    #[arg(long = "path", value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Watch a file system mounted at DIR (policy paths are taken under it) instead of
    /// the running system.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Where events go: a file (JSON lines, appended), `-` (standard output) or
    /// `syslog[:rfc5424|:rfc3164]`.
    #[arg(long, value_name = "PATH|syslog", default_value = "-")]
    pub events: EventTarget,
    /// The events' format: vigil's JSON (`json`), ArcSight CEF (`cef`) or OCSF 1.5.0
    /// findings (`ocsf`).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t)]
    pub events_format: crate::history::siem::Format,
    /// Gather changes for this many milliseconds of quiet (at most four times as long)
    /// before evaluating and sending them.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_DEBOUNCE_MS)]
    pub debounce: u64,
    /// Most directories watched; more is refused at start.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_WATCHES)]
    pub max_watches: usize,
    /// Most changed paths held for one batch; past it every watched path is compared
    /// again and an overflow event says so.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_QUEUE)]
    pub max_queue: usize,
    /// Stop after sending N events.
    #[arg(long, value_name = "N")]
    pub max_events: Option<u64>,
    /// Stop after the first batch of events (`--max-events 1`).
    #[arg(long, conflicts_with = "max_events")]
    pub once: bool,
    /// Stop after SECS seconds.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<f64>,
}

pub(crate) fn run(a: &WatchArgs) -> anyhow::Result<Exit> {
    if a.max_watches == 0 || a.max_queue == 0 {
        anyhow::bail!("--max-watches and --max-queue must be at least 1");
    }
    let duration = match a.duration {
        Some(s) if !(s.is_finite() && s > 0.0) => {
            anyhow::bail!("--duration {s}: not a positive number of seconds")
        }
        Some(s) => Some(Duration::from_secs_f64(s)),
        None => None,
    };
    let o = Options {
        content: a.content.clone(),
        spec: ScanSpec {
            selection: Selection {
                profile: a.profile.clone(),
                rules: a.rules.clone(),
                skip_rules: a.skip_rules.clone(),
                ..Default::default()
            },
            policy: a.policy.clone(),
            ..Default::default()
        },
        root: a.root.clone(),
        paths: a.paths.clone(),
        events: crate::history::EventSink::new(a.events.clone(), a.events_format),
        debounce: Duration::from_millis(a.debounce.max(1)),
        max_watches: a.max_watches,
        max_queue: a.max_queue,
        max_events: if a.once { Some(1) } else { a.max_events },
        duration,
    };
    crate::watch::run(&o)
}
