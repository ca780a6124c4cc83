//! Command-line types (clap), their conversion into the libraries' plain
//! configuration ([`ScanSpec`]), and the handlers of the subcommands that are not a
//! scan: [`history`], [`baseline`], [`policy`], [`watch`], and the remote part of
//! `scan` ([`remote`]). The
//! library crates never see clap types.

pub(crate) mod baseline;
pub(crate) mod history;
pub(crate) mod policy;
pub(crate) mod remote;
pub(crate) mod watch;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use vigil_core::engine::probe::{
    DEFAULT_MAX_OBJECT_BYTES, DEFAULT_MAX_OBJECT_ITEMS, DEFAULT_OBJECT_TIMEOUT_SECS, Limits,
};
use vigil_core::engine::xccdf::Selection;
use vigil_host::host::Host;
use vigil_host::scan::{DEFAULT_MAX_FILE_SIZE, DEFAULT_MAX_ITEMS, ScanConfig, ScanSpec};

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "A fast SCAP compliance scanner (XCCDF 1.2, OVAL 5.11) with a key-management audit",
    long_about = None
)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The hidden transport test stand-in for `scan` (see src/remote/selftest.rs).
#[derive(Debug, Args)]
pub(crate) struct SelftestArgs {
    pub plan: PathBuf,
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Evaluate content against this host (or an offline root) and write results.
    Scan(Box<ScanArgs>),
    /// Show the benchmarks, profiles (with rule counts) and values of content.
    Info(ContentArgs),
    /// Parse content and check that every reference resolves.
    Validate(ContentArgs),
    /// Render reports from a saved JSON results document (away from the scanned host).
    Report(ReportArgs),
    #[command(hide = true)]
    RemoteSelftest(SelftestArgs),
    /// Tamper-evident scan history: list, verify, diff, prune, record.
    History(history::HistoryArgs),
    /// File-integrity baseline: create, check.
    Baseline(baseline::BaselineArgs),
    /// Site key-management policy: check.
    Policy(policy::PolicyArgs),
    /// Watch the policy's key files, audit logs, integrity and KMS paths; on a change,
    /// evaluate the rules again and send an event (who did it, what changed).
    Watch(Box<watch::WatchArgs>),
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// A results document written by `vigil scan --json`.
    pub results: PathBuf,
    /// Write the HTML report to PATH.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write a SARIF 2.1.0 log to PATH.
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
    /// Write JUnit XML to PATH.
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the Prometheus text exposition format to PATH.
    #[arg(long, value_name = "PATH")]
    pub prometheus: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ContentArgs {
    /// Source data stream, XCCDF benchmark or OVAL definitions file (default: the
    /// bundled CSA CCM LOG-11 key-management benchmark).
    pub content: Option<PathBuf>,
    /// Data stream to use from a collection (default: the first).
    #[arg(long)]
    pub datastream_id: Option<String>,
    /// XCCDF component (checklist) of the data stream (default: the first).
    #[arg(long)]
    pub xccdf_id: Option<String>,
    /// Refuse content files larger than this many bytes (default 256 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_content_size: Option<u64>,
}

#[derive(Debug, Args)]
pub(crate) struct ScanArgs {
    /// Source data stream, XCCDF benchmark or OVAL definitions file (default: the
    /// bundled CSA CCM LOG-11 key-management benchmark).
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
    /// Take this host to match the CPE platform name (e.g.
    /// cpe:/o:debian:debian_linux:11), to evaluate content written for another release
    /// on purpose; recorded in the results. Repeatable.
    #[arg(long = "assume-platform", value_name = "CPE")]
    pub assume_platforms: Vec<String>,
    /// XCCDF tailoring file (its profiles can be chosen with --profile).
    #[arg(long, value_name = "FILE")]
    pub tailoring: Option<PathBuf>,
    /// Set an XCCDF Value (or, for OVAL content, an external variable); repeatable.
    #[arg(long = "var", value_name = "NAME=VALUE", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// OVAL 5.11 variables document (`oval_variables`) giving external variables their
    /// values, as `oscap oval eval --variables`; `--var` and Values the checks export
    /// take precedence.
    #[arg(long, value_name = "FILE")]
    pub variables: Option<PathBuf>,
    /// Print one `RULE_ID: result` line per rule as it is evaluated (OVAL content: per
    /// definition), on standard output (standard error with `--json -`), instead of the
    /// progress bar a terminal shows.
    #[arg(long)]
    pub progress: bool,
    /// Write the JSON results document to PATH (`-` for standard output).
    #[arg(long, value_name = "PATH")]
    pub json: Option<PathBuf>,
    /// Write the HTML report (one self-contained file) to PATH.
    #[arg(long, value_name = "PATH")]
    pub html: Option<PathBuf>,
    /// Write XCCDF 1.2 results (the benchmark with a TestResult) to PATH.
    #[arg(long = "xccdf-results", value_name = "PATH")]
    pub xccdf_results: Option<PathBuf>,
    /// Write an ARF 1.1 report (source content, XCCDF results, OVAL results and system
    /// characteristics) to PATH.
    #[arg(long, value_name = "PATH")]
    pub arf: Option<PathBuf>,
    /// Write OVAL 5.11 results (definitions, tests, system characteristics) to PATH; when
    /// PATH is a directory, one `<document>.result.xml` per OVAL document of the content.
    #[arg(long = "oval-results", value_name = "PATH")]
    pub oval_results: Option<PathBuf>,
    /// Write a SARIF 2.1.0 log to PATH: one result per failed, errored or unknown rule,
    /// with fingerprints that stay the same from scan to scan (for code scanning).
    #[arg(long, value_name = "PATH")]
    pub sarif: Option<PathBuf>,
    /// Write JUnit XML to PATH: a test suite per benchmark, a test case per rule (for
    /// CI test reports).
    #[arg(long, value_name = "PATH")]
    pub junit: Option<PathBuf>,
    /// Write the Prometheus text exposition format to PATH (a `.prom` file in
    /// node_exporter's textfile collector directory), atomically.
    #[arg(long, value_name = "PATH")]
    pub prometheus: Option<PathBuf>,
    /// Scan a file system mounted at DIR instead of the running system.
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Site key-management policy (TOML) for the bundled benchmark.
    #[arg(long, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// Waiver file (TOML, YAML or JSON, by extension): accepted risks, each with a rule
    /// pattern, a justification and an expiry. A waived failure is reported as waived
    /// in every output and does not fail the exit status; an expired waiver no longer
    /// applies. A malformed file is an error before anything is scanned.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
    /// With --waivers: refuse (exit 1, before anything is collected) an expired waiver
    /// or one that matches no rule of the scan.
    #[arg(long, requires = "waivers")]
    pub waivers_strict: bool,
    /// Integrity baseline (`vigil baseline create`) on this machine, never looked up
    /// under --root: used instead of the policy's `[integrity] baseline`, so the host
    /// scanned cannot edit it. A remote scan uploads it (and FILE.sig).
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Require the integrity baseline to be signed (FILE.sig) by this Ed25519 public key
    /// (PEM, on this machine); overrides `[integrity] public_key`.
    #[arg(long, value_name = "PUB.pem")]
    pub baseline_key: Option<PathBuf>,
    /// Files larger than this many bytes are not read for content or hashes.
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_FILE_SIZE)]
    pub max_file_size: u64,
    /// Most items kept per object in the results document.
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_ITEMS)]
    pub max_items: usize,
    /// Data stream to use from a collection (default: the first).
    #[arg(long)]
    pub datastream_id: Option<String>,
    /// XCCDF component (checklist) of the data stream (default: the first).
    #[arg(long)]
    pub xccdf_id: Option<String>,
    /// Refuse content files larger than this many bytes (default 256 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_content_size: Option<u64>,
    /// Give up collecting one object after this many seconds (the object is then an
    /// error: "timed out"); default 300, 0 for no limit.
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_OBJECT_TIMEOUT_SECS)]
    pub object_timeout: u64,
    /// Most items one object may collect before it is an error (bounds memory).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_OBJECT_ITEMS)]
    pub max_object_items: usize,
    /// Most memory one object's items may hold before it is an error (bounds memory
    /// whatever the item size).
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_OBJECT_BYTES)]
    pub max_object_bytes: usize,
    /// PCRE2 match limit for content patterns: backtracking steps one search may take
    /// before the check is an error.
    #[arg(long, value_name = "N", default_value_t = vigil_core::values::pattern::DEFAULT_MATCH_LIMIT)]
    pub regex_match_limit: u32,
    /// PCRE2 depth limit for content patterns: how deep backtracking may nest (not
    /// applied by the JIT, whose stack bounds it).
    #[arg(long, value_name = "N", default_value_t = vigil_core::values::pattern::DEFAULT_DEPTH_LIMIT)]
    pub regex_depth_limit: u32,
    /// Print nothing on the terminal but errors.
    #[arg(long, short)]
    pub quiet: bool,
    /// The scan's settings as a serialised scan specification (what a remote scan
    /// sends its host) instead of the flags that set them.
    #[arg(
        long,
        hide = true,
        value_name = "FILE",
        conflicts_with_all = [
            "profile", "rules", "skip_rules", "assume_platforms", "tailoring", "vars", "variables",
            "policy", "waivers", "waivers_strict", "baseline", "baseline_key", "max_file_size", "max_items", "datastream_id", "xccdf_id",
            "max_content_size", "object_timeout", "max_object_items", "max_object_bytes",
            "regex_match_limit", "regex_depth_limit",
        ]
    )]
    pub spec: Option<PathBuf>,
    #[command(flatten)]
    pub remote: remote::RemoteArgs,
    /// `--history DIR`, `--sign-key FILE`, `--events PATH|syslog`.
    #[command(flatten)]
    pub history: history::ScanHistoryArgs,
}

fn parse_var(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .filter(|(k, _)| !k.is_empty())
        .ok_or_else(|| format!("'{s}' is not NAME=VALUE"))
}

impl ScanArgs {
    /// The scan's settings as flags give them, or as `--spec FILE` gives them (the
    /// serialised [`ScanSpec`] a controller sends a remote host; its file names are
    /// relative to the spec file).
    pub(crate) fn spec(&self) -> Result<ScanSpec, String> {
        if let Some(f) = &self.spec {
            let bytes = std::fs::read(f).map_err(|e| format!("--spec {}: {e}", f.display()))?;
            let spec: ScanSpec = serde_json::from_slice(&bytes)
                .map_err(|e| format!("--spec {}: {e}", f.display()))?;
            let base = f.parent().unwrap_or(std::path::Path::new("."));
            return Ok(spec.resolved_against(base));
        }
        Ok(ScanSpec {
            selection: Selection {
                profile: self.profile.clone(),
                rules: self.rules.clone(),
                skip_rules: self.skip_rules.clone(),
                vars: self.vars.clone(),
                assumed_platforms: self.assume_platforms.clone(),
            },
            load: vigil_core::content::LoadOptions {
                datastream_id: self.datastream_id.clone(),
                xccdf_id: self.xccdf_id.clone(),
                tailoring: self.tailoring.clone(),
                max_content_size: self.max_content_size,
            },
            policy: self.policy.clone(),
            variables: self.variables.clone(),
            baseline: vigil_host::baseline::ScannerBaseline {
                file: self.baseline.clone(),
                key: self.baseline_key.clone(),
            },
            max_file_size: self.max_file_size,
            max_items_per_object: self.max_items,
            limits: Limits {
                object_timeout: (self.object_timeout > 0)
                    .then(|| std::time::Duration::from_secs(self.object_timeout)),
                max_object_items: self.max_object_items,
                max_object_bytes: self.max_object_bytes,
            },
            regex_limits: vigil_core::values::pattern::RegexLimits {
                match_limit: self.regex_match_limit,
                depth_limit: self.regex_depth_limit,
            },
            waivers: self
                .waivers
                .as_deref()
                .map(|p| {
                    vigil_host::waivers::WaiverSet::load(p).map(|mut w| {
                        w.strict = self.waivers_strict;
                        w
                    })
                })
                .transpose()
                .map_err(|e| e.to_string())?,
        })
    }

    /// The remote scan task: the scan's settings travel as a serialised [`ScanSpec`],
    /// the files it names are copied, output flags stay local (reports are rendered
    /// here).
    pub(crate) fn remote_task(&self) -> Result<crate::remote::ScanTask, String> {
        crate::remote::ScanTask::scan(self.content.clone(), self.spec()?)
    }

    /// Every output path given, for the check that at most one is `-`.
    pub(crate) fn outputs(&self) -> impl Iterator<Item = &std::path::Path> {
        [
            &self.json,
            &self.html,
            &self.xccdf_results,
            &self.arf,
            &self.oval_results,
            &self.sarif,
            &self.junit,
            &self.prometheus,
        ]
        .into_iter()
        .filter_map(|p| p.as_deref())
    }

    /// The SCAP results files asked for, for a remote scan to bring back.
    pub(crate) fn scap_outputs(&self) -> Vec<(crate::remote::ScapOutput, PathBuf)> {
        use crate::remote::ScapOutput;
        [
            (ScapOutput::Arf, &self.arf),
            (ScapOutput::XccdfResults, &self.xccdf_results),
            (ScapOutput::OvalResults, &self.oval_results),
        ]
        .into_iter()
        .filter_map(|(kind, path)| Some((kind, path.clone()?)))
        .collect()
    }

    /// The validated scan configuration of `spec` (from [`ScanArgs::spec`]) on the
    /// host `--root` names, or this one.
    pub(crate) fn config(&self, spec: &ScanSpec) -> Result<ScanConfig, String> {
        let host = match &self.root {
            Some(r) => {
                if !r.is_dir() {
                    return Err(format!("--root {}: not a directory", r.display()));
                }
                Host::offline(
                    r.canonicalize()
                        .map_err(|e| format!("--root {}: {e}", r.display()))?,
                )
            }
            None => Host::live(),
        };
        let mut c = ScanConfig::from_spec(spec, host)?;
        c.command_line = std::env::args().collect();
        Ok(c)
    }
}
