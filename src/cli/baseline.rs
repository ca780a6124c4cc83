//! `vigil baseline create|check`: the arguments, what each prints and its exit status
//! (`create` 0; `check` 0 when nothing changed, 2 when something did; 1 when the
//! command could not run), over the baseline in [`crate::baseline`].

use std::io::Write;
use std::path::PathBuf;

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
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
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
            paths,
            sign_key,
        } => {
            let key = sign_key.as_deref().map(signing_key).transpose()?;
            let b = create(paths, file, key.as_ref(), progress)?;
            let files = b.entries.iter().filter(|e| e.kind == "file").count();
            let errors = b.entries.iter().filter(|e| e.error.is_some()).count();
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
            if let Some(k) = &key {
                w(
                    out,
                    format!(
                        "{}: signed by key {}\n",
                        crate::baseline::signature::signature_path(file).display(),
                        crate::baseline::signature::fingerprint(&k.verifying_key())
                    ),
                )?;
            }
            Ok(Exit::Clean)
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
