use std::path::PathBuf;

use clap::{Parser, Subcommand};
use vigil::remote;

/// Minimal CLI of the `remote` branch; the lead's CLI replaces it and keeps calling
/// `remote::cli::run` for `--host`/`--hosts`.
#[derive(Parser)]
#[command(name = "vigil", version)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Evaluate CONTENT against this host or, with --host/--hosts, remote hosts.
    Scan {
        content: Option<PathBuf>,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long, value_name = "FILE")]
        policy: Option<PathBuf>,
        #[arg(long, value_name = "PATH|-")]
        json: Option<String>,
        #[command(flatten)]
        remote: Box<remote::RemoteArgs>,
    },
    /// Transport test stand-in for `scan` (see src/remote/selftest.rs).
    #[command(hide = true)]
    RemoteSelftest {
        plan: PathBuf,
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        rest: Vec<String>,
    },
}

fn main() {
    // Bad arguments exit 1 (the scan could not run), as oscap does; clap would say 2,
    // which means "a rule failed" here.
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        std::process::exit(if e.use_stderr() { 1 } else { 0 });
    });
    let code = match cli.command {
        Cmd::Scan {
            content,
            profile,
            policy,
            json,
            remote,
        } => {
            if remote.is_remote() {
                let mut task = remote::ScanTask::scan(content);
                if let Some(p) = profile {
                    task.flags.extend(["--profile".to_string(), p]);
                }
                if let Some(p) = policy {
                    task.files.push(("--policy".into(), p));
                }
                remote::cli::run(&remote, task, json.as_deref())
            } else {
                eprintln!("vigil: local scan is not built on this branch");
                1
            }
        }
        Cmd::RemoteSelftest { plan, rest } => remote::selftest::run(&plan, &rest),
    };
    std::process::exit(code);
}
