//! The remote/fleet part of `vigil scan`: clap arguments that flatten into the scan
//! command, and [`run`], which main calls when any `--host`/`--hosts` is given: it
//! prints each host's progress and the fleet table and says how the scan ended. The
//! transport and the fleet are [`crate::remote`].

use std::path::{Path, PathBuf};

use super::history::ScanHistoryArgs;
use crate::exit::Exit;
use crate::remote::fleet::{HostStatus, file_stems, run_fleet, write_host_scap};
use crate::remote::hostspec::HostSpec;
use crate::remote::inventory;
use crate::remote::ssh::{SshOptions, validate_option};
use crate::remote::task::{ScanTask, ScapOutput};
use crate::report::Format;

#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct RemoteArgs {
    /// Scan this host over ssh (repeatable): [USER@]HOST[:PORT] or an ssh_config alias.
    #[arg(long = "host", value_name = "[USER@]HOST[:PORT]")]
    pub hosts: Vec<String>,
    /// Scan the hosts listed in FILE: one per line, or an Ansible INI inventory.
    #[arg(long = "hosts", value_name = "FILE")]
    pub hosts_file: Option<PathBuf>,
    /// How many hosts to scan at once.
    #[arg(short = 'j', long = "jobs", value_name = "N", default_value_t = 4)]
    pub jobs: usize,
    /// ssh client configuration file (ssh -F FILE).
    #[arg(long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Extra ssh option (ssh -o KEY=VALUE), repeatable; overrides vigil's defaults
    /// (BatchMode=yes, StrictHostKeyChecking=yes, ConnectTimeout=10).
    #[arg(long = "ssh-option", value_name = "KEY=VALUE")]
    pub ssh_options: Vec<String>,
    /// Run the remote scan with non-interactive sudo (sudo -n).
    #[arg(long)]
    pub sudo: bool,
    /// Write one results document per host (DIR/<host>.json) and DIR/fleet-summary.json.
    #[arg(long, value_name = "DIR")]
    pub fleet_out: Option<PathBuf>,
    /// Directory on the hosts for vigil's private temporary directory (default
    /// $TMPDIR or /tmp); it must allow executing files.
    #[arg(long, value_name = "DIR")]
    pub remote_tmpdir: Option<String>,
    /// Most bytes a host may send back for one scan (results and SCAP files); past it
    /// the host is an error, so a compromised host cannot exhaust this machine's memory.
    #[arg(long, value_name = "BYTES", default_value_t = crate::remote::ssh::DEFAULT_MAX_REMOTE_OUTPUT)]
    pub max_remote_output: u64,
    /// The subcommand run remotely (tests use remote-selftest).
    #[arg(long, hide = true, default_value = "scan")]
    pub remote_subcommand: String,
}

impl RemoteArgs {
    pub(crate) fn is_remote(&self) -> bool {
        !self.hosts.is_empty() || self.hosts_file.is_some()
    }

    /// The hosts from --host and --hosts, in that order.
    pub(crate) fn host_list(&self) -> Result<Vec<HostSpec>, String> {
        let mut v = Vec::new();
        for h in &self.hosts {
            v.push(HostSpec::parse(h).map_err(|e| format!("--host {e}"))?);
        }
        if let Some(f) = &self.hosts_file {
            let listed = inventory::load(f).map_err(|e| e.to_string())?;
            if listed.is_empty() {
                return Err(format!("--hosts {}: the file lists no hosts", f.display()));
            }
            v.extend(listed);
        }
        if v.is_empty() {
            return Err("no hosts to scan".into());
        }
        Ok(v)
    }

    pub(crate) fn ssh_options(&self) -> Result<SshOptions, String> {
        for o in &self.ssh_options {
            validate_option(o)?;
        }
        if self.jobs == 0 {
            return Err("-j must be at least 1".into());
        }
        if let Some(d) = &self.remote_tmpdir
            && !crate::remote::runner::valid_remote_base(d)
        {
            return Err(format!(
                "--remote-tmpdir {}: not an absolute path of letters, digits and '/._-+' \
                 without '..' (vigil removes only such directories on the host)",
                crate::report::sanitize::terminal(d)
            ));
        }
        Ok(SshOptions {
            config_file: self.ssh_config.clone(),
            options: self.ssh_options.clone(),
            sudo: self.sudo,
            remote_tmpdir: self.remote_tmpdir.clone(),
            max_output: self.max_remote_output,
            ..SshOptions::default()
        })
    }
}

/// What a remote scan writes here, from `vigil scan`'s flags.
#[derive(Debug, Default)]
pub(crate) struct RemoteOutputs<'a> {
    /// `--json`: with one host that host's results document, with several the fleet
    /// summary.
    pub json: Option<&'a str>,
    /// `--html`: a report, or for a fleet a directory of `<host>.html`.
    pub html: Option<&'a Path>,
    /// The SCAP results asked for (see [`write_host_scap`]).
    pub scap: Vec<(ScapOutput, PathBuf)>,
    /// `--sarif`, `--junit`, `--prometheus`: rendered here from each host's results,
    /// to the path for one host, to `DIR/<host>.<extension>` for a fleet.
    pub formats: Vec<(Format, PathBuf)>,
    /// Records each scanned host's results as a local scan would: into `--history DIR`
    /// for one host, into `DIR/<host>/` (one chain per host) for a fleet, so that drift
    /// and events compare a host with its own previous scan.
    pub history: ScanHistoryArgs,
    /// `--quiet`: no per-host progress lines and no table; errors are still printed.
    pub quiet: bool,
}

/// Runs a remote/fleet scan and says how it ended.
pub(crate) fn run(args: &RemoteArgs, mut task: ScanTask, outputs: &RemoteOutputs<'_>) -> Exit {
    let (json_out, html_out, quiet) = (outputs.json, outputs.html, outputs.quiet);
    let (scap_out, history) = (&outputs.scap, &outputs.history);
    let fail = |m: String| {
        crate::report::sanitize::print(true, &format!("vigil: {m}\n"));
        Exit::CannotRun
    };
    let hosts = match args.host_list() {
        Ok(h) => h,
        Err(m) => return fail(m),
    };
    let opts = match args.ssh_options() {
        Ok(o) => o,
        Err(m) => return fail(m),
    };
    let binary = match std::env::current_exe() {
        Ok(b) => b,
        Err(e) => return fail(format!("cannot find this vigil binary to copy: {e}")),
    };
    task.subcommand = args.remote_subcommand.clone();
    task.outputs = scap_out.iter().map(|(kind, _)| *kind).collect();
    // SCAP results are written as each host finishes and then dropped.
    let stems = file_stems(&hosts);
    let single = hosts.len() == 1;
    let write_errors = std::sync::Mutex::new(Vec::new());
    let on_done = |i: usize, h: &mut crate::remote::fleet::HostOutcome| {
        match &h.result {
            Ok(_) if quiet => {}
            Ok(_) => crate::report::sanitize::print(
                true,
                &format!(
                    "vigil: {}: {} ({:.1}s)\n",
                    h.spec.label,
                    h.status().word(),
                    h.duration.as_secs_f64()
                ),
            ),
            // The detail holds the host's own stderr: escaped like every host string.
            Err(e) => crate::report::sanitize::print(
                true,
                &format!("vigil: {}: error: {e}\n", h.spec.label),
            ),
        }
        if let Ok(scan) = &mut h.result {
            let stem = (!single).then_some(stems[i].as_str());
            if let Err(m) = write_host_scap(scan, stem, scap_out) {
                let m = if single {
                    m
                } else {
                    format!("{}: {m}", h.spec.label)
                };
                write_errors
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(m);
            }
            scan.drop_files();
        }
    };
    let report = match run_fleet(&hosts, args.jobs, &opts, &task, &binary, &on_done) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let mut paths = None;
    if let Some(dir) = &args.fleet_out {
        match report.write(dir) {
            Ok(p) => paths = Some(p),
            Err(e) => return fail(format!("{}: {e}", dir.display())),
        }
    }
    if let Some(out) = html_out
        && let Err(m) = report.write_html(out)
    {
        return fail(m);
    }
    let (before, after): (Vec<_>, Vec<_>) = outputs
        .formats
        .iter()
        .partition(|(f, _)| *f != Format::Prometheus);
    for (f, out) in before {
        if let Err(m) = report.write_each(out, f.extension(), &|r, _| Ok(f.render(r, None))) {
            return fail(m);
        }
    }
    let write_errors = write_errors.into_inner().unwrap_or_else(|e| e.into_inner());
    if !write_errors.is_empty() {
        return fail(write_errors.join("\nvigil: "));
    }
    // The history entry each host's scan became, for the Prometheus metrics.
    let mut heads: Vec<Option<u64>> = vec![None; report.hosts.len()];
    if !history.recording().is_empty() {
        for (i, (h, stem)) in report.hosts.iter().zip(&stems).enumerate() {
            let Ok(scan) = &h.result else { continue };
            let mut per_host = history.clone();
            if !single {
                per_host.history = per_host.history.map(|d| d.join(stem));
            }
            match per_host.recording().record(scan.json()) {
                Ok(entry) => heads[i] = entry.map(|e| e.seq),
                Err(e) => return fail(format!("{}: {e}", h.spec.label)),
            }
        }
    }
    for (f, out) in after {
        if let Err(m) = report.write_each(out, f.extension(), &|r, i| Ok(f.render(r, heads[i]))) {
            return fail(m);
        }
    }
    let to_stdout = json_out == Some("-");
    if let Some(out) = json_out {
        let summary;
        let bytes: &[u8] = match &report.hosts[..] {
            [one] if one.status() != HostStatus::Error => {
                one.result.as_ref().map(|s| s.json()).unwrap_or_default()
            }
            _ => {
                let s = report.summary(paths.as_deref());
                summary = serde_json::to_vec_pretty(&s).unwrap_or_default();
                &summary
            }
        };
        if let Err(e) = crate::report::write_output(std::path::Path::new(out), bytes) {
            return fail(e.to_string());
        }
    }
    if quiet {
        return report.outcome();
    }
    crate::report::sanitize::print(to_stdout, &report.table());
    report.outcome()
}
