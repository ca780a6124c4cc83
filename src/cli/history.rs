//! `vigil history list|verify|diff|prune|record`: the arguments, what each prints and
//! its exit status (0 success; 2 when `verify` finds tampering or `diff` finds new
//! failures; 1 when the command could not run), over the ledger in
//! [`crate::history`]. Also the `--history`, `--sign-key` and `--events` options of
//! `vigil scan`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::exit::Exit;
use crate::history::{
    Entry, Error, EventSink, EventTarget, Kind, Recording, Result, diff, ledger, prune, verify,
};

/// The `--history`, `--sign-key` and `--events` options of `vigil scan`, to flatten
/// into the scan command (`#[command(flatten)]`).
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ScanHistoryArgs {
    /// Append the results to the tamper-evident history in DIR.
    #[arg(long, value_name = "DIR")]
    pub history: Option<PathBuf>,
    /// Sign history entries with this Ed25519 private key (PKCS#8 PEM, as
    /// `openssl genpkey -algorithm ed25519` writes).
    #[arg(long, value_name = "FILE", requires = "history")]
    pub sign_key: Option<PathBuf>,
    /// Emit new failures (vs. the previous scan in --history; without it, every
    /// failure is new) as JSON lines to PATH, `-` or `syslog[:rfc5424|:rfc3164]`.
    #[arg(long, value_name = "PATH|syslog")]
    pub events: Option<EventTarget>,
    /// The events' format: vigil's JSON (`json`), ArcSight CEF (`cef`) or OCSF 1.5.0
    /// findings (`ocsf`).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        default_value_t,
        requires = "events"
    )]
    pub events_format: crate::history::siem::Format,
}

impl ScanHistoryArgs {
    /// What the options ask to record.
    pub(crate) fn recording(&self) -> Recording {
        Recording {
            history: self.history.clone(),
            sign_key: self.sign_key.clone(),
            events: self
                .events
                .clone()
                .map(|t| EventSink::new(t, self.events_format)),
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct HistoryArgs {
    #[command(subcommand)]
    pub command: HistoryCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum HistoryCommand {
    /// List the entries of a history.
    List {
        /// The history directory.
        dir: PathBuf,
        /// Print the entries as JSON lines.
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain, results files and signatures; exit 2 on tampering.
    Verify {
        /// The history directory.
        dir: PathBuf,
        /// Require every entry and the HEAD checkpoint to be signed by this Ed25519 key
        /// (public or private).
        #[arg(long, value_name = "FILE")]
        public_key: Option<PathBuf>,
        /// Require the chain to contain this entry: a head a scan summary or event
        /// printed earlier (catches a history rolled back or replaced).
        #[arg(long, value_name = "SEQ:HASH", value_parser = verify::parse_head)]
        expect_head: Option<(u64, String)>,
        /// Require the chain to reach entry N (catches a history rolled back).
        #[arg(long, value_name = "N")]
        min_seq: Option<u64>,
    },
    /// Compare two scans (default: the last two); exit 2 when there are new failures.
    Diff {
        /// The history directory.
        dir: PathBuf,
        /// Older scan (entry seq); alone, it is compared with the latest scan.
        a: Option<u64>,
        /// Newer scan (entry seq).
        b: Option<u64>,
        /// Print the comparison as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Remove entries older than N days, recording the prune in the chain.
    Prune {
        /// The history directory.
        dir: PathBuf,
        /// Keep the entries recorded in the last N days.
        #[arg(long, value_name = "N")]
        keep_days: u64,
        /// Sign the prune entry with this Ed25519 private key (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        sign_key: Option<PathBuf>,
    },
    /// Append an existing results document (what `scan --history` does).
    Record {
        /// The history directory (created if needed).
        dir: PathBuf,
        /// The scan's JSON results.
        results: PathBuf,
        /// Sign the entry with this Ed25519 private key (PKCS#8 PEM).
        #[arg(long, value_name = "FILE")]
        sign_key: Option<PathBuf>,
        /// Emit new failures (vs. the previous scan in DIR) as JSON lines to PATH, `-`
        /// or `syslog[:rfc5424|:rfc3164]`.
        #[arg(long, value_name = "PATH|syslog")]
        events: Option<EventTarget>,
        /// The events' format: vigil's JSON (`json`), ArcSight CEF (`cef`) or OCSF 1.5.0
        /// findings (`ocsf`).
        #[arg(
            long,
            value_enum,
            value_name = "FORMAT",
            default_value_t,
            requires = "events"
        )]
        events_format: crate::history::siem::Format,
    },
}

/// Runs a `vigil history` subcommand, writing to stdout.
pub(crate) fn run(args: &HistoryArgs) -> Result<Exit> {
    let mut out = std::io::stdout().lock();
    run_to(args, &mut out)
}

/// Every line a history command prints: titles, host names and messages come from
/// content and scanned hosts, so control characters are shown escaped.
fn w(out: &mut dyn Write, s: &str) -> Result<()> {
    out.write_all(crate::report::sanitize::terminal_text(s).as_bytes())
        .map_err(Error::io("<stdout>"))
}

/// Runs a `vigil history` subcommand, writing to `out`.
pub(crate) fn run_to(args: &HistoryArgs, out: &mut dyn Write) -> Result<Exit> {
    match &args.command {
        HistoryCommand::List { dir, json } => {
            if !dir.is_dir() {
                return Err(Error::NotFound(format!(
                    "{}: no such history directory",
                    dir.display()
                )));
            }
            let entries = ledger::read_ledger(dir)?.entries(dir)?;
            if *json {
                for e in &entries {
                    w(out, &format!("{}\n", e.to_line()))?;
                }
            } else {
                w(out, &list_table(dir, &entries))?;
            }
            Ok(Exit::Clean)
        }
        HistoryCommand::Verify {
            dir,
            public_key,
            expect_head,
            min_seq,
        } => {
            let key = public_key
                .as_deref()
                .map(ledger::load_verifying_key)
                .transpose()?;
            let r = verify::verify_with(
                dir,
                &verify::Options {
                    trusted: key,
                    expect_head: expect_head.clone(),
                    min_seq: *min_seq,
                },
            )?;
            for p in &r.problems {
                w(out, &format!("TAMPERED {p}\n"))?;
            }
            for p in &r.warnings {
                w(out, &format!("warning: {p}\n"))?;
            }
            let code = if r.ok() {
                w(
                    out,
                    &format!(
                        "OK: {} entries, chain intact, {} signed{}\n",
                        r.entries,
                        r.signed,
                        if key.is_some() {
                            " by the trusted key"
                        } else {
                            ""
                        }
                    ),
                )?;
                Exit::Clean
            } else {
                w(out, &format!("FAILED: {} problem(s)\n", r.problems.len()))?;
                Exit::Findings
            };
            w(out, &identity_lines(&r))?;
            Ok(code)
        }
        HistoryCommand::Diff { dir, a, b, json } => {
            let (ea, eb) = pick_pair(dir, *a, *b)?;
            let parse = |e: &Entry| -> Result<serde_json::Value> {
                let bytes = ledger::read_results(dir, e)?;
                vigil_core::model::from_json_slice(&bytes)
                    .map_err(|x| Error::InvalidResults(x.to_string()))
            };
            let d = diff::diff(&parse(&ea)?, &parse(&eb)?);
            if *json {
                let v = serde_json::json!({"from": ea.seq, "to": eb.seq, "diff": d});
                w(out, &format!("{v}\n"))?;
            } else {
                w(out, &diff::render_text(&d, ea.seq, eb.seq))?;
            }
            Ok(Exit::findings_if(!d.new_failures.is_empty()))
        }
        HistoryCommand::Prune {
            dir,
            keep_days,
            sign_key,
        } => {
            let key = sign_key
                .as_deref()
                .map(ledger::load_signing_key)
                .transpose()?;
            let e = prune::prune(dir, *keep_days, chrono::Utc::now(), key.as_ref())?;
            let n = e.prune.as_ref().map_or(0, |p| p.removed_count);
            w(
                out,
                &format!("pruned {n} entries; recorded as entry {}\n", e.seq),
            )?;
            Ok(Exit::Clean)
        }
        HistoryCommand::Record {
            dir,
            results,
            sign_key,
            events,
            events_format,
        } => {
            let bytes =
                vigil_core::osutil::read_whole_input(results).map_err(Error::io(results))?;
            let a = Recording {
                history: Some(dir.clone()),
                sign_key: sign_key.clone(),
                events: events.clone().map(|t| EventSink::new(t, *events_format)),
            };
            let e = a
                .record(&bytes)
                .map_err(|e| match e {
                    Error::InvalidResults(message) => Error::InvalidResultsFile {
                        path: results.clone(),
                        message,
                    },
                    e => e,
                })?
                .expect("history given");
            w(out, &format!("recorded entry {} {}\n", e.seq, e.hash))?;
            Ok(Exit::Clean)
        }
    }
}

/// What `verify` says about the chain's identity and head, for an operator to record.
fn identity_lines(r: &verify::Report) -> String {
    let t = crate::report::sanitize::terminal;
    let mut s = String::new();
    match &r.chain {
        Some(c) if r.unidentified > 0 => s.push_str(&format!(
            "chain: {} (entries 1..{} were written before vigil recorded chain identities)\n",
            t(c),
            r.unidentified
        )),
        Some(c) => s.push_str(&format!("chain: {}\n", t(c))),
        None if r.entries > 0 => s.push_str(
            "chain: none (written before vigil recorded chain identities and signed \
             checkpoints; the next append adds them)\n",
        ),
        None => {}
    }
    if let Some((seq, hash)) = &r.head {
        let cp = match r.checkpoint {
            Some(verify::CheckpointKind::Signed) => "signed checkpoint",
            Some(verify::CheckpointKind::Unsigned) => "unsigned checkpoint",
            Some(verify::CheckpointKind::Legacy) => "old unsigned `SEQ HASH`, not a checkpoint",
            None => "no checkpoint",
        };
        s.push_str(&format!("head: {seq}:{} (HEAD: {cp})\n", t(hash)));
    }
    s
}

/// The `history list` table: a header, then one row per entry.
fn list_table(dir: &Path, entries: &[Entry]) -> String {
    let mut rows = vec![[
        "SEQ".to_string(),
        "TIME".to_string(),
        "HOST".to_string(),
        "KIND".to_string(),
        "HASH".to_string(),
        "SIGNED".to_string(),
        "RESULTS".to_string(),
    ]];
    rows.extend(entries.iter().map(|e| list_row(dir, e)));
    let width = |c: usize| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0);
    let widths: Vec<usize> = (0..6).map(width).collect();
    let mut s = String::new();
    for r in &rows {
        let mut line = format!("{:>w$}", r[0], w = widths[0]);
        for (c, w) in widths.iter().enumerate().skip(1) {
            line.push_str(&format!("  {:<w$}", r[c]));
        }
        line.push_str("  ");
        line.push_str(&r[6]);
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn list_row(dir: &Path, e: &Entry) -> [String; 7] {
    let doc = match e.kind {
        Kind::Prune | Kind::Restore => None,
        Kind::Scan => ledger::read_results(dir, e)
            .ok()
            .and_then(|b| vigil_core::model::from_json_slice::<serde_json::Value>(&b).ok()),
    };
    let summary = match (e.kind, &doc) {
        (Kind::Prune, _) => e.prune.as_ref().map_or(String::new(), |p| {
            format!(
                "prune --keep-days {}: removed {} entries",
                p.keep_days, p.removed_count
            )
        }),
        (Kind::Restore, _) => e.restore.as_ref().map_or(String::new(), |r| {
            format!(
                "restore from {}: {} restored, {} refused, {} added",
                r.store, r.restored, r.refused, r.added
            )
        }),
        (Kind::Scan, None) => "(results unavailable)".to_string(),
        (Kind::Scan, Some(v)) => {
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            for r in diff::rules_of(v).values() {
                *counts.entry(r.result.clone()).or_default() += 1;
            }
            counts
                .iter()
                .map(|(k, n)| format!("{k}={n}"))
                .collect::<Vec<_>>()
                .join(" ")
        }
    };
    // Entries written before the ledger recorded the host and the scan time: the
    // results document says.
    let facts = doc.as_ref().map(ledger::ScanFacts::of).unwrap_or_default();
    let host = e.host.clone().or(facts.host).unwrap_or_else(|| "-".into());
    // A scan is listed by when it ran, which `history record` can make much earlier than
    // when it was appended; a prune by when it ran (to the second, as scan times are).
    let time = match e.kind {
        Kind::Scan => e.scan_started.clone().or(facts.started),
        Kind::Prune | Kind::Restore => {
            Some(chrono::DateTime::parse_from_rfc3339(&e.time).map_or_else(
                |_| e.time.clone(),
                |t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            ))
        }
    };
    [
        e.seq.to_string(),
        time.unwrap_or_else(|| "-".into()),
        host,
        match e.kind {
            Kind::Scan => "scan",
            Kind::Prune => "prune",
            Kind::Restore => "restore",
        }
        .to_string(),
        e.hash[..e.hash.len().min(16)].to_string(),
        if e.signature.is_some() {
            "signed"
        } else {
            "unsigned"
        }
        .to_string(),
        summary,
    ]
}

/// The two scan entries to compare: explicit seqs, or A and the latest scan, or the last
/// two scans.
fn pick_pair(dir: &Path, a: Option<u64>, b: Option<u64>) -> Result<(Entry, Entry)> {
    let scans: Vec<Entry> = ledger::read_ledger(dir)?
        .entries(dir)?
        .into_iter()
        .filter(|e| e.kind == Kind::Scan)
        .collect();
    let by_seq = |s: u64| {
        scans.iter().find(|e| e.seq == s).cloned().ok_or_else(|| {
            Error::NotFound(format!("no scan entry with seq {s} in {}", dir.display()))
        })
    };
    let latest = || {
        scans
            .last()
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("{}: no scans recorded", dir.display())))
    };
    match (a, b) {
        (Some(a), Some(b)) => Ok((by_seq(a)?, by_seq(b)?)),
        (Some(a), None) => Ok((by_seq(a)?, latest()?)),
        _ => match scans.len() {
            n if n >= 2 => Ok((scans[n - 2].clone(), scans[n - 1].clone())),
            _ => Err(Error::NotFound(format!(
                "{}: fewer than two scans recorded",
                dir.display()
            ))),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::ledger::tests::{openssl_key, results_doc};
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: Cmd,
    }
    #[derive(clap::Subcommand)]
    enum Cmd {
        History(HistoryArgs),
    }

    fn run_cli(args: &[&str]) -> (i32, String) {
        let mut argv = vec!["vigil", "history"];
        argv.extend_from_slice(args);
        let Cmd::History(h) = Cli::try_parse_from(argv).unwrap().cmd;
        let mut out = Vec::new();
        let code = run_to(&h, &mut out).unwrap();
        (i32::from(code.code()), String::from_utf8(out).unwrap())
    }

    #[test]
    fn cli_record_list_diff_verify_prune() {
        let d = tempfile::tempdir().unwrap();
        let h = d.path().join("hist");
        let hs = h.to_str().unwrap();
        let key = openssl_key(d.path(), "k.pem");
        let ks = key.to_str().unwrap();
        let r1 = d.path().join("r1.json");
        let r2 = d.path().join("r2.json");
        std::fs::write(&r1, results_doc(&[("a", "pass"), ("b", "fail")])).unwrap();
        std::fs::write(&r2, results_doc(&[("a", "fail"), ("b", "pass")])).unwrap();
        let ev = d.path().join("ev.jsonl");
        let evs = ev.to_str().unwrap();
        for r in [&r1, &r2] {
            let (c, o) = run_cli(&[
                "record",
                hs,
                r.to_str().unwrap(),
                "--sign-key",
                ks,
                "--events",
                evs,
            ]);
            assert_eq!(c, 0);
            assert!(o.starts_with("recorded entry"), "{o}");
        }
        // First scan: b is new; second: a is new.
        let ev_rules: Vec<String> = std::fs::read_to_string(&ev)
            .unwrap()
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["rule"]["id"].to_string()
            })
            .collect();
        assert_eq!(ev_rules, ["\"b\"", "\"a\""]);
        let (c, o) = run_cli(&["list", hs]);
        assert_eq!(c, 0);
        let lines: Vec<&str> = o.lines().collect();
        assert_eq!(lines.len(), 3, "{o}");
        let words = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(
            words(lines[0]),
            ["SEQ", "TIME", "HOST", "KIND", "HASH", "SIGNED", "RESULTS"]
        );
        let row = words(lines[2]);
        assert_eq!(
            (&row[0][..], &row[2][..], &row[3][..], &row[5..]),
            (
                "2",
                "h1",
                "scan",
                &["signed", "fail=1", "pass=1"].map(String::from)[..]
            ),
            "{o}"
        );
        // The scan's own time (results_doc's scan.started), not when it was recorded.
        assert_eq!(row[1], "2024-01-01T00:00:00Z", "{o}");
        let (c, o) = run_cli(&["diff", hs]);
        assert_eq!(c, 2);
        assert!(o.contains("new failures (1):\n  a: pass -> fail"), "{o}");
        assert!(o.contains("fixed (1):\n  b: fail -> pass"), "{o}");
        let (c, _) = run_cli(&["diff", hs, "2", "1"]);
        assert_eq!(c, 2);
        let e2 = ledger::read_ledger(&h).unwrap().entries(&h).unwrap()[1].clone();
        let (c, o) = run_cli(&["verify", hs, "--public-key", ks]);
        assert_eq!(
            (c, o.as_str()),
            (
                0,
                format!(
                    "OK: 2 entries, chain intact, 2 signed by the trusted key\nchain: {}\n\
                     head: 2:{} (HEAD: signed checkpoint)\n",
                    e2.chain.as_ref().unwrap(),
                    e2.hash
                )
                .as_str()
            )
        );
        let (c, o) = run_cli(&["prune", hs, "--keep-days", "30", "--sign-key", ks]);
        assert_eq!(
            (c, o.as_str()),
            (0, "pruned 0 entries; recorded as entry 3\n")
        );
        // Editing a stored result is caught and named.
        let e1 = ledger::read_ledger(&h).unwrap().entries(&h).unwrap()[0].clone();
        std::fs::write(
            ledger::results_path(&h, e1.results_sha256.as_ref().unwrap()),
            "{}",
        )
        .unwrap();
        let (c, o) = run_cli(&["verify", hs]);
        assert_eq!(c, 2);
        assert!(
            o.starts_with("TAMPERED entry 1 (line 1): results file"),
            "{o}"
        );
    }

    #[test]
    fn list_shows_host_and_scan_time_of_entries_written_before_they_were_recorded() {
        let d = super::ledger::tests::v1_history();
        let (c, o) = run_cli(&["list", d.path().to_str().unwrap()]);
        assert_eq!(c, 0);
        let rows: Vec<Vec<&str>> = o
            .lines()
            .skip(1)
            .map(|l| l.split_whitespace().collect())
            .collect();
        assert_eq!(rows.len(), 2, "{o}");
        // From the results documents, as the entries have no host or scan time of their
        // own (they were recorded on 2026-12-01).
        assert_eq!(rows[0][1..3], ["2024-03-01T02:00:00Z", "old-host"], "{o}");
        assert_eq!(rows[1][1..3], ["2024-03-02T02:00:00Z", "old-host"], "{o}");
    }

    #[test]
    fn scan_args_without_history_only_emit_events() {
        let d = tempfile::tempdir().unwrap();
        let ev = d.path().join("ev");
        let a = ScanHistoryArgs {
            history: None,
            sign_key: None,
            events: Some(EventTarget::File(ev.clone())),
            events_format: crate::history::siem::Format::Json,
        };
        assert!(
            a.recording()
                .record(&results_doc(&[("a", "fail")]))
                .unwrap()
                .is_none()
        );
        assert_eq!(std::fs::read_to_string(ev).unwrap().lines().count(), 1);
    }
}
