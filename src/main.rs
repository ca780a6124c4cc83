//! Minimal command line for the `history` and `baseline` subcommands; the full `scan`
//! CLI lives elsewhere and calls `vigil::history::ScanHistoryArgs::record`.

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "vigil", version, about = "Fast SCAP compliance scanner")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Tamper-evident scan history: list, verify, diff, prune, record.
    History(vigil::history::HistoryArgs),
    /// File-integrity baseline: create, check.
    Baseline(vigil::baseline::BaselineArgs),
}

fn main() {
    let cli = Cli::parse();
    let code = match &cli.command {
        Command::History(a) => vigil::history::run(a).map_err(|e| e.to_string()),
        Command::Baseline(a) => vigil::baseline::run(a).map_err(|e| e.to_string()),
    };
    std::process::exit(match code {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vigil: {e}");
            1
        }
    });
}
