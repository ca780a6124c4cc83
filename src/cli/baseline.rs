//! `vigil baseline create|check|restore`: the arguments, what each prints and its exit
//! status (`create` 0; `check` 0 when nothing changed, 2 when something did; `restore`
//! 0 when nothing needed restoring or everything was, 2 when a path was refused; 1 when
//! the command could not run), over the baseline in [`crate::baseline`].

use std::io::Write;
use std::path::PathBuf;

use crate::baseline::restore::{self, Action};
use crate::baseline::scan::{self, Progress};
use crate::baseline::{Changes, Error, Result, compare, create, load_verified, signing_key};
use crate::exit::Exit;
use vigil_core::osutil::decode_path;

#[derive(Debug, Clone, clap::Args)]
pub(crate) struct BaselineArgs {
    #[command(subcommand)]
    pub command: BaselineCommand,
}

#[derive(Debug, Clone, clap::Subcommand)]
pub(crate) enum BaselineCommand {
    /// Record every file under PATH... into a baseline file.
    Create {
        /// Where to write the baseline (not inside a directory being recorded).
        #[arg(long, value_name = "FILE", required_unless_present = "store")]
        out: Option<PathBuf>,
        /// Also keep a known-good store in DIR (made 0700 if missing; refused when
        /// another user owns it or group or others may write it): a copy of every file,
        /// named by its SHA-256, and the baseline as DIR/manifest.json (signed with
        /// --sign-key), for `vigil baseline restore DIR`.
        #[arg(long, value_name = "DIR")]
        store: Option<PathBuf>,
        /// Files or directories to record (symbolic links are recorded, not followed).
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Also write FILE.sig, a detached signature by this Ed25519 private key
        /// (PKCS#8 PEM, as `openssl genpkey -algorithm ed25519` writes).
        #[arg(long, value_name = "KEY.pem")]
        sign_key: Option<PathBuf>,
    },
    /// Compare the paths recorded in FILE with their current state; exit 2 on changes.
    Check {
        /// A baseline written by `vigil baseline create`.
        file: PathBuf,
        /// Print the changes as JSON.
        #[arg(long)]
        json: bool,
        /// Refuse the baseline (exit 1) unless FILE.sig is its signature by this
        /// Ed25519 public key (PEM).
        #[arg(long, value_name = "PUB.pem")]
        verify_key: Option<PathBuf>,
    },
    /// Put back content, mode, owner, ACLs and extended attributes of the files that
    /// changed or were deleted since STORE was made; exit 2 when a path was refused.
    Restore {
        /// A store made by `vigil baseline create --store`.
        store: PathBuf,
        /// Restore only these recorded paths (and what is below them).
        #[arg(value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Restore into the file system mounted at DIR (the recorded paths taken
        /// relative to it; no link followed above it).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Print what would be done; change nothing (and record nothing).
        #[arg(long)]
        dry_run: bool,
        /// Refuse the store (exit 1) unless STORE/manifest.json.sig is its signature by
        /// this Ed25519 public key (PEM).
        #[arg(long, value_name = "PUB.pem")]
        verify_key: Option<PathBuf>,
        /// Restore from a store without checking a signature (instead of --verify-key).
        #[arg(long, conflicts_with = "verify_key")]
        allow_unsigned: bool,
        /// Record the restore in this history directory (a `restore` entry).
        #[arg(long, value_name = "DIR")]
        history: Option<PathBuf>,
        /// Sign the history entry with this Ed25519 private key (as `vigil scan
        /// --sign-key`).
        #[arg(long, value_name = "KEY.pem", requires = "history")]
        sign_key: Option<PathBuf>,
        /// Send one event per path restored or refused: a file (JSON lines), `-`, or
        /// `syslog[:rfc5424|rfc3164]`.
        #[arg(long, value_name = "PATH|syslog")]
        events: Option<crate::history::EventTarget>,
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

/// Runs a `vigil baseline` subcommand; returns the exit code.
pub(crate) fn run(args: &BaselineArgs) -> Result<Exit> {
    let progress = Progress::for_stderr();
    let mut out = std::io::stdout().lock();
    run_to(args, &progress, &mut out)
}

pub(crate) fn run_to(
    args: &BaselineArgs,
    progress: &Progress,
    out: &mut dyn Write,
) -> Result<Exit> {
    // File names and link targets are the host's: control characters shown escaped.
    let w = |out: &mut dyn Write, s: String| {
        out.write_all(crate::report::sanitize::terminal_text(&s).as_bytes())
            .map_err(Error::io("<stdout>"))
    };
    match &args.command {
        BaselineCommand::Create {
            out: file,
            store,
            paths,
            sign_key,
        } => {
            let key = sign_key.as_deref().map(signing_key).transpose()?;
            let b = create(
                paths,
                file.as_deref(),
                store.as_deref(),
                key.as_ref(),
                progress,
            )?;
            let files = b.entries.iter().filter(|e| e.kind == "file").count();
            let errors = b.entries.iter().filter(|e| e.error.is_some()).count();
            let fp = key
                .as_ref()
                .map(|k| crate::baseline::signature::fingerprint(&k.verifying_key()));
            if let Some(file) = file {
                w(
                    out,
                    format!(
                        "{}: {} entries ({} files hashed, {} with errors)\n",
                        file.display(),
                        b.entries.len(),
                        files,
                        errors
                    ),
                )?;
                if let Some(fp) = &fp {
                    w(
                        out,
                        format!(
                            "{}: signed by key {fp}\n",
                            crate::baseline::signature::signature_path(file).display(),
                        ),
                    )?;
                }
            }
            if let Some(dir) = store {
                w(
                    out,
                    format!(
                        "{}: store of {} entries ({} files copied, {} with errors), manifest {}\n",
                        dir.display(),
                        b.entries.len(),
                        files
                            - b.entries
                                .iter()
                                .filter(|e| e.kind == "file" && e.error.is_some())
                                .count(),
                        errors,
                        match &fp {
                            Some(fp) => format!("signed by key {fp}"),
                            None => "unsigned (restore will need --allow-unsigned)".into(),
                        }
                    ),
                )?;
            }
            Ok(Exit::Clean)
        }
        BaselineCommand::Restore {
            store,
            paths,
            root,
            dry_run,
            verify_key,
            allow_unsigned,
            history,
            sign_key,
            events,
            events_format,
        } => {
            let req = restore::Request {
                store: store.clone(),
                root: root.clone(),
                dry_run: *dry_run,
                verify_key: verify_key.clone(),
                allow_unsigned: *allow_unsigned,
                paths: paths.clone(),
            };
            // A history or signing key that cannot be used stops the restore before
            // it changes anything, not after.
            if !dry_run {
                if let Some(k) = sign_key {
                    crate::history::ledger::load_signing_key(k)?;
                }
                if let Some(h) = history {
                    crate::history::dir::HistoryDir::open(h, true)?;
                }
            }
            let report = restore::restore(&req)?;
            w(out, render_restore(&report))?;
            if !dry_run {
                record_restore(
                    &report,
                    history.as_deref(),
                    sign_key.as_deref(),
                    events
                        .clone()
                        .map(|t| crate::history::EventSink::new(t, *events_format))
                        .as_ref(),
                )?;
            }
            Ok(Exit::findings_if(report.count(Action::Refused) > 0))
        }
        BaselineCommand::Check {
            file,
            json,
            verify_key,
        } => {
            // The signature first: nothing is compared against a forged baseline.
            let (old, signed_by) = load_verified(file, verify_key.as_deref())?;
            let roots: Vec<PathBuf> = old
                .roots
                .iter()
                .map(|r| PathBuf::from(decode_path(r)))
                .collect();
            let now = scan::records(scan::walk(&roots, progress), progress);
            let changes = compare(&old.entries, &now);
            if *json {
                w(
                    out,
                    format!("{}\n", serde_json::to_string(&changes).expect("serializes")),
                )?;
            } else {
                if let Some(fp) = &signed_by {
                    w(out, format!("signature verified: key {fp}\n"))?;
                }
                w(out, render(&changes, now.len()))?;
            }
            Ok(Exit::findings_if(!changes.is_empty()))
        }
    }
}

fn render(c: &Changes, checked: usize) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    for p in &c.added {
        let _ = writeln!(s, "added:   {p}");
    }
    for p in &c.removed {
        let _ = writeln!(s, "removed: {p}");
    }
    let short = |v: &Option<String>| match v {
        None => "(none)".to_string(),
        Some(v) if v.len() > 24 => format!("{}…", &v[..v.floor_char_boundary(16)]),
        Some(v) => v.clone(),
    };
    for f in &c.changed {
        let attrs: Vec<String> = f
            .changes
            .iter()
            .map(|a| {
                format!(
                    "{} {} -> {}",
                    a.attribute,
                    short(&a.before),
                    short(&a.after)
                )
            })
            .collect();
        let _ = writeln!(s, "changed: {}: {}", f.path, attrs.join(", "));
    }
    let _ = writeln!(
        s,
        "{} added, {} removed, {} changed ({checked} entries checked)",
        c.added.len(),
        c.removed.len(),
        c.changed.len()
    );
    s
}

fn render_restore(r: &restore::Report) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = match &r.signed_by {
        Some(fp) => writeln!(s, "{}: manifest signature verified: key {fp}", r.store),
        None => writeln!(
            s,
            "{}: manifest NOT verified (--allow-unsigned): its origin is not checked",
            r.store
        ),
    };
    let _ = writeln!(
        s,
        "{} copies verified; restoring under {}{}",
        r.copies_verified,
        r.root,
        if r.dry_run {
            " (dry run: nothing is changed)"
        } else {
            ""
        }
    );
    for o in &r.outcomes {
        let _ = writeln!(s, "{}: {}: {}", o.action.word(), o.path, o.detail);
    }
    let _ = writeln!(
        s,
        "{} {}, {} refused, {} added (kept), {} unchanged",
        r.count(Action::Restored) + r.count(Action::WouldRestore),
        if r.dry_run { "to restore" } else { "restored" },
        r.count(Action::Refused),
        r.count(Action::Added),
        r.unchanged
    );
    s
}

/// The restore's history entry and events (a real run only).
fn record_restore(
    r: &restore::Report,
    history: Option<&std::path::Path>,
    sign_key: Option<&std::path::Path>,
    events: Option<&crate::history::EventSink>,
) -> Result<()> {
    use crate::history::ledger::RestoreRecord;
    let acted: Vec<(String, bool, String)> = r
        .outcomes
        .iter()
        .filter(|o| matches!(o.action, Action::Restored | Action::Refused))
        .map(|o| {
            (
                o.path.clone(),
                o.action == Action::Restored,
                o.detail.clone(),
            )
        })
        .collect();
    let rec = RestoreRecord {
        store: r.store.clone(),
        manifest_sha256: r.manifest_sha256.clone(),
        signed_by: r.signed_by.clone(),
        root: r.root.clone(),
        restored: r.count(Action::Restored) as u64,
        refused: r.count(Action::Refused) as u64,
        added: r.count(Action::Added) as u64,
        paths: acted
            .iter()
            .take(RestoreRecord::MAX_PATHS)
            .map(|(p, ok, _)| format!("{} {p}", if *ok { "restored" } else { "refused" }))
            .collect(),
    };
    let entry = history
        .map(|dir| crate::history::ledger::record_restore(dir, rec.clone(), sign_key))
        .transpose()?;
    if let Some(t) = events {
        let evs = crate::history::events::restore_events(&rec, &acted, entry.as_ref());
        crate::history::events::send(&evs, t, "restore")?;
    }
    Ok(())
}
