//! The `vigil` command: parses arguments, calls the libraries (vigil-core,
//! vigil-host), renders, and turns what each command found into its exit status
//! through [`exit::Exit`] (0 all passed, 2 some rule failed / errored / unknown, 1 the
//! command could not run).

mod baseline;
mod cli;
mod exit;
mod history;
mod outfile;
mod remote;
mod report;
#[cfg(test)]
mod testtool;
mod watch;

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use crate::cli::{Cli, Command, ContentArgs, ReportArgs, ScanArgs};
use crate::exit::Exit;
use report::ScanResults;
use vigil_core::content::{self, Content, LoadOptions};
use vigil_core::engine::xccdf::RuleOutcome;

fn main() -> ExitCode {
    // Bad arguments exit 1 (the scan could not run), as oscap does; clap's own 2 would
    // mean "a rule failed" here.
    let cli = Cli::try_parse().unwrap_or_else(|e| {
        let _ = e.print();
        std::process::exit(if e.use_stderr() { 1 } else { 0 });
    });
    let r = match cli.command {
        Command::Scan(args) => scan(*args),
        Command::Info(args) => info(args),
        Command::Validate(args) => validate(args),
        Command::Report(args) => render_report(args),
        // The transport test stand-in exits with whatever its plan says.
        Command::RemoteSelftest(a) => {
            return ExitCode::from(crate::remote::selftest::run(&a.plan, &a.rest) as u8);
        }
        Command::History(a) => cli::history::run(&a).map_err(Into::into),
        Command::Baseline(a) => cli::baseline::run(&a).map_err(Into::into),
        Command::Policy(a) => cli::policy::run(&a),
        Command::Watch(a) => cli::watch::run(&a),
    };
    match r {
        Ok(exit) => exit.into(),
        Err(e) => {
            write_out(true, &format!("vigil: error: {}\n", error_text(&e)));
            Exit::CannotRun.into()
        }
    }
}

/// The error and its causes on one line, each said once: the library's messages
/// already end with their source (`{path}: cannot read: {source}`), so a cause whose
/// text is already there is not repeated.
fn error_text(e: &anyhow::Error) -> String {
    let mut out = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !out.contains(&c) {
            out.push_str(": ");
            out.push_str(&c);
        }
    }
    out
}

/// The content a command names, or the bundled benchmark when it names none.
fn load(path: Option<&std::path::Path>, opts: &LoadOptions) -> Result<Content> {
    Ok(match path {
        Some(p) => content::load(p, opts)?,
        None => content::load_bundled(opts)?,
    })
}

/// Every line vigil prints goes through the terminal escape; a closed pipe is ignored.
use crate::report::sanitize::print as write_out;

/// `println!` through [`write_out`].
macro_rules! say {
    ($($arg:tt)*) => {
        write_out(false, &format!("{}\n", format_args!($($arg)*)))
    };
}

fn scan(args: ScanArgs) -> Result<Exit> {
    // Two documents on one standard output would be neither.
    let to_stdout = args
        .outputs()
        .filter(|p| *p == std::path::Path::new("-"))
        .count();
    if to_stdout > 1 {
        anyhow::bail!("only one output can go to standard output (-)");
    }
    let to_stdout = to_stdout == 1;
    let formats = report::Format::asked(&args.sarif, &args.junit, &args.prometheus);
    if args.remote.is_remote() {
        if args.root.is_some() {
            anyhow::bail!("--root and --host cannot be combined");
        }
        // Loaded here as well: bad content is one clear error rather than one per host,
        // and a standalone benchmark's OVAL files and CPE dictionary travel with it.
        // (The hidden test subcommand takes a plan, not content.)
        let task = args.remote_task().map_err(anyhow::Error::msg)?;
        let task = match &args.content {
            Some(p) if args.remote.remote_subcommand == "scan" => {
                let content = load(Some(p), &task.spec.load)?;
                task.with_companions(&content).map_err(anyhow::Error::msg)?
            }
            _ => task,
        };
        let json = args.json.as_ref().map(|p| p.display().to_string());
        let outputs = cli::remote::RemoteOutputs {
            json: json.as_deref(),
            html: args.html.as_deref(),
            scap: args.scap_outputs(),
            formats,
            history: args.history.clone(),
            quiet: args.quiet,
        };
        return Ok(cli::remote::run(&args.remote, task, &outputs));
    }
    let t = vigil_core::trace::span(|| "load content".into());
    let spec = args.spec().map_err(anyhow::Error::msg)?;
    let content = load(args.content.as_deref(), &spec.load)?;
    drop(t);
    let mut config = args.config(&spec).map_err(anyhow::Error::msg)?;
    let bar = if args.progress {
        config.progress = Some(std::sync::Arc::new(Lines {
            to_stderr: to_stdout,
        }));
        None
    } else if !args.quiet && std::io::stderr().is_terminal() {
        let b = std::sync::Arc::new(Bar::new());
        config.progress = Some(b.clone());
        Some(b)
    } else {
        None
    };
    // The SCAP result files carry every item; the JSON and HTML are capped after.
    let scap_out =
        args.xccdf_results.is_some() || args.arf.is_some() || args.oval_results.is_some();
    let max_items = config.max_items_per_object;
    if scap_out {
        config.max_items_per_object = usize::MAX;
    }
    let registry = vigil_host::probes::builtin();
    let t = vigil_core::trace::span(|| "scan".into());
    let results = vigil_host::scan::run(&content, &config, &registry);
    if let Some(b) = &bar {
        b.0.finish_and_clear();
    }
    let mut results = results?;
    drop(t);
    // Every file written, in order, for the summary's last line.
    let mut wrote: Vec<std::path::PathBuf> = Vec::new();
    if let Some(p) = &args.xccdf_results {
        let xml = report::scap::xccdf_results(&results, &content)?;
        report::write_output(p, xml.as_bytes())?;
        wrote.push(p.clone());
    }
    if let Some(p) = &args.arf {
        let xml = report::scap::arf(&results, &content)?;
        report::write_output(p, xml.as_bytes())?;
        wrote.push(p.clone());
    }
    if let Some(p) = &args.oval_results {
        for (path, xml) in report::scap::oval_results_files(&results, &content, p)? {
            report::write_output(&path, xml.as_bytes())?;
            wrote.push(path);
        }
    }
    results.cap_items(max_items);
    if let Some(p) = &args.json {
        let _t = vigil_core::trace::span(|| "write json".into());
        report::write_json(&results, p)?;
        if !to_stdout {
            wrote.push(p.clone());
        }
    }
    if let Some(p) = &args.html {
        report::write_output(p, report::html::render(&results)?.as_bytes())?;
        wrote.push(p.clone());
    }
    let (before, after): (Vec<_>, Vec<_>) = formats
        .iter()
        .partition(|(f, _)| *f != report::Format::Prometheus);
    for (f, p) in before {
        report::write_output(p, &f.render(&results, None))?;
        wrote.push(p.clone());
    }
    let mut recorded = None;
    let recording = args.history.recording();
    if !recording.is_empty() {
        let doc = serde_json::to_vec_pretty(&results).context("serialising results")?;
        recorded = recording.record(&doc)?;
    }
    // After the history, so the metrics name the entry this scan became.
    for (f, p) in after {
        report::write_output(p, &f.render(&results, recorded.as_ref().map(|e| e.seq)))?;
        wrote.push(p.clone());
    }
    if !args.quiet {
        print_summary(&results, &wrote, recorded.as_ref(), to_stdout);
    }
    Ok(Exit::of_scan(&results))
}

/// `--progress`: one `id: result` line per rule, as oscap's `--progress` prints them,
/// for logs and CI output where a bar would be noise.
struct Lines {
    to_stderr: bool,
}

impl vigil_core::engine::ScanProgress for Lines {
    fn result(&self, id: &str, result: &str) {
        let line = format!("{}: {result}\n", crate::report::sanitize::terminal(id));
        write_out(self.to_stderr, &line);
    }
}

/// The progress bar a terminal shows: the phase, then objects collected of planned,
/// then rules evaluated of selected.
struct Bar(indicatif::ProgressBar);

impl Bar {
    fn new() -> Bar {
        let b = indicatif::ProgressBar::with_draw_target(
            Some(0),
            indicatif::ProgressDrawTarget::stderr(),
        );
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {msg:<32} [{bar:30}] {pos}/{len} ({elapsed})",
            )
            .expect("template")
            .progress_chars("=> "),
        );
        b.enable_steady_tick(std::time::Duration::from_millis(120));
        Bar(b)
    }
}

impl vigil_core::engine::ScanProgress for Bar {
    fn phase(&self, name: &str) {
        self.0.set_message(name.to_string());
    }
    fn objects_planned(&self, n: usize) {
        self.0.inc_length(n as u64);
    }
    fn objects_collected(&self, n: usize) {
        self.0.inc(n as u64);
    }
    fn results_planned(&self, n: usize) {
        self.0.set_message("evaluating rules");
        self.0.set_position(0);
        self.0.set_length(n as u64);
    }
    fn result(&self, _id: &str, _result: &str) {
        self.0.inc(1);
    }
}

/// `vigil report RESULTS.json --html OUT`: renders from a saved results document.
fn render_report(args: ReportArgs) -> Result<Exit> {
    let results = report::read_json(&args.results)?;
    let formats = report::Format::asked(&args.sarif, &args.junit, &args.prometheus);
    if args.html.is_none() && formats.is_empty() {
        anyhow::bail!("nothing to write: give --html, --sarif, --junit or --prometheus PATH");
    }
    if let Some(p) = &args.html {
        report::write_output(p, report::html::render(&results)?.as_bytes())?;
        say!("wrote {}", shown_path(p));
    }
    // A saved document does not say which history entry it became: no head sequence.
    for (f, p) in &formats {
        report::write_output(p, &f.render(&results, None))?;
        say!("wrote {}", shown_path(p));
    }
    Ok(Exit::Clean)
}

/// A path as the summary shows it: the file name a user gave, made safe for a terminal.
fn shown_path(p: &std::path::Path) -> String {
    crate::report::sanitize::terminal(&p.display().to_string())
}

/// A compact summary: counts by result and the rules that failed.
/// `recorded`: the history entry the scan was recorded as; its line is the head to keep
/// outside the host (`history verify --expect-head`).
fn print_summary(
    r: &ScanResults,
    wrote: &[std::path::PathBuf],
    recorded: Option<&crate::history::Entry>,
    to_stderr: bool,
) {
    let mut out = String::new();
    let title = r.title();
    // Titles, ids, host names and reasons come from content or the host: never raw.
    let t = crate::report::sanitize::terminal;
    out.push_str(&format!(
        "{} on {} ({} ms)\n",
        t(&title),
        t(&r.scan.host.hostname),
        r.scan.duration_ms
    ));
    if !r.rules.is_empty() {
        let counts: Vec<String> = RuleOutcome::ALL
            .iter()
            .filter_map(|w| {
                r.summary
                    .results
                    .get(w.as_str())
                    .map(|n| format!("{n} {w}"))
            })
            .collect();
        out.push_str(&format!(
            "rules: {}; score {:.2}\n",
            counts.join(", "),
            r.summary.score
        ));
        let failed: Vec<_> = r.rules.iter().filter(|x| x.is_finding()).collect();
        for x in failed.iter().take(50) {
            let expired = match &x.waiver {
                Some(w) if w.expired => format!(
                    "  (waiver expired on {})",
                    w.expires.as_deref().unwrap_or_default()
                ),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<8} {:<7} {}  {}{}\n",
                x.result.as_str(),
                x.severity.as_str(),
                t(&x.id),
                t(&x.title),
                t(&expired)
            ));
        }
        if failed.len() > 50 {
            out.push_str(&format!(
                "  ... and {} more (see the JSON results)\n",
                failed.len() - 50
            ));
        }
        // Accepted risks: said with their reason and end, so they are not forgotten.
        let waived: Vec<_> = r.rules.iter().filter(|x| x.is_accepted_risk()).collect();
        if !waived.is_empty() {
            out.push_str(&format!("  {} rules waived:\n", waived.len()));
        }
        for x in waived.iter().take(50) {
            let w = x.waiver.as_ref().expect("waived");
            out.push_str(&format!(
                "    {:<10} {}  {}: {}\n",
                x.result.as_str(),
                t(&x.id),
                t(&w.until()),
                t(&w.justification)
            ));
        }
        if let Some(f) = &r.scan.waivers {
            for u in &f.unmatched {
                out.push_str(&format!("  waiver matches no rule: {}\n", t(u)));
            }
        }
        // Why rules did not apply, grouped by reason (the test id prefix dropped).
        let mut why: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
        for x in r
            .rules
            .iter()
            .filter(|x| x.result == RuleOutcome::NotApplicable)
        {
            let reason = x
                .messages
                .first()
                .map(|m| {
                    m.split_once(": ")
                        .map_or(m.as_str(), |(_, rest)| rest)
                        .to_string()
                })
                .unwrap_or_else(|| "the rule's platform does not apply".into());
            why.entry(reason).or_default().push(&x.id);
        }
        for (reason, ids) in &why {
            // The whole benchmark is for another platform: one line that says so and
            // how to evaluate it anyway, not a list of every rule.
            if let Some(cpe) = vigil_host::scan::benchmark_platform_of(reason) {
                out.push_str(&format!(
                    "  all {} rules not applicable: {}\n  (to evaluate it here on purpose: --assume-platform {}; see README \"Which content applies\")\n",
                    ids.len(),
                    t(reason),
                    t(cpe)
                ));
                continue;
            }
            out.push_str(&format!(
                "  {} rules not applicable: {}\n",
                ids.len(),
                t(reason)
            ));
            for id in ids.iter().take(50) {
                out.push_str(&format!("    {}\n", t(id)));
            }
        }
        if why
            .keys()
            .any(|r| r.contains("no site policy given (--policy)"))
        {
            out.push_str(
                "  (`vigil policy init` writes a starter policy from what this host shows; scan with --policy FILE to evaluate these)\n",
            );
        }
    } else {
        let counts: Vec<String> = r
            .summary
            .definitions
            .iter()
            .map(|(k, v)| format!("{v} {}", t(k)))
            .collect();
        out.push_str(&format!("definitions: {}\n", counts.join(", ")));
    }
    if !r.scan.assumed_platforms.is_empty() {
        out.push_str(&format!(
            "platform assumed, not checked: {}\n",
            t(&r.scan.assumed_platforms.join(", "))
        ));
    }
    if let Some(e) = recorded {
        out.push_str(&format!(
            "history head: {}:{} (chain {})\n",
            e.seq,
            e.hash,
            t(e.chain.as_deref().unwrap_or("-"))
        ));
    }
    // Standard output is not a file written.
    if wrote.iter().any(|p| p.as_os_str() != "-") {
        let paths: Vec<String> = wrote
            .iter()
            .filter(|p| p.as_os_str() != "-")
            .map(|p| shown_path(p))
            .collect();
        out.push_str(&format!("wrote {}\n", paths.join(", ")));
    }
    write_out(to_stderr, &out);
}

fn content_opts(a: &ContentArgs) -> LoadOptions {
    LoadOptions {
        datastream_id: a.datastream_id.clone(),
        xccdf_id: a.xccdf_id.clone(),
        tailoring: None,
        max_content_size: a.max_content_size,
    }
}

fn info(args: ContentArgs) -> Result<Exit> {
    let c = load(args.content.as_deref(), &content_opts(&args))?;
    say!(
        "Content: {} ({:?}, sha256 {})",
        c.path.display(),
        c.kind,
        c.sha256
    );
    if let Some(b) = &c.benchmark {
        say!("Benchmark: {} — {} (version {})", b.id, b.title, b.version);
        say!(
            "Rules: {}  Groups: {}  Values: {}",
            b.rules.len(),
            b.groups.len(),
            b.values.len()
        );
        say!("Profiles:");
        for p in &b.profiles {
            let resolved = vigil_core::engine::xccdf::resolve_profile(&c, Some(&p.id))?;
            let n =
                vigil_core::engine::xccdf::selected_rules(b, &resolved, &Default::default())?.len();
            say!("  {}  ({} rules)  {}", p.id, n, p.title);
        }
        say!("Values:");
        for v in b.values.values() {
            say!(
                "  {} = {:?}  {}",
                v.id,
                v.default_value().unwrap_or(""),
                v.title
            );
        }
    }
    for (href, d) in &c.oval {
        say!(
            "OVAL {href}: {} definitions, {} tests, {} objects, {} states, {} variables",
            d.definitions.len(),
            d.tests.len(),
            d.objects.len(),
            d.states.len(),
            d.variables.len()
        );
    }
    Ok(Exit::Clean)
}

fn validate(args: ContentArgs) -> Result<Exit> {
    let c = load(args.content.as_deref(), &content_opts(&args))?;
    let mut problems = Vec::new();
    for (href, d) in &c.oval {
        for m in content::oval::parse::validate_references(d) {
            problems.push(format!("{href}: {m}"));
        }
    }
    for (href, m) in &c.unresolved {
        problems.push(format!("{href}: {m}"));
    }
    if let Some(b) = &c.benchmark {
        for r in b.rules.values() {
            for check in &r.checks {
                validate_check(check, &c, &r.id, &mut problems);
            }
        }
    }
    for u in &c.unsupported {
        say!(
            "unsupported: {}:{}: <{}>: {}",
            u.path.display(),
            u.pos,
            u.element,
            u.message
        );
    }
    for p in &problems {
        say!("error: {p}");
    }
    if problems.is_empty() {
        say!("{}: valid", c.path.display());
        Ok(Exit::Clean)
    } else {
        say!("{}: {} problem(s)", c.path.display(), problems.len());
        // Content that does not validate cannot be scanned as it is: exit 1.
        Ok(Exit::CannotRun)
    }
}

fn validate_check(
    check: &vigil_core::content::xccdf::RuleCheck,
    c: &Content,
    rule: &str,
    problems: &mut Vec<String>,
) {
    use vigil_core::content::xccdf::RuleCheck;
    match check {
        RuleCheck::Complex(cc) => cc
            .children
            .iter()
            .for_each(|x| validate_check(x, c, rule, problems)),
        RuleCheck::Check(ch) => {
            if ch.system != vigil_core::content::xccdf::ns::OVAL_SYSTEM {
                return;
            }
            let b = c.benchmark.as_ref().expect("checked by caller");
            for e in &ch.exports {
                if !b.values.contains_key(&e.value_id) {
                    problems.push(format!(
                        "rule {rule}: check-export of unknown Value {}",
                        e.value_id
                    ));
                }
            }
            for r in &ch.content_refs {
                match c.oval.get(&r.href) {
                    None => problems.push(format!(
                        "rule {rule}: check-content-ref href '{}' does not resolve",
                        r.href
                    )),
                    Some(d) => {
                        if let Some(n) = &r.name
                            && !d.definitions.contains_key(n)
                        {
                            problems.push(format!(
                                "rule {rule}: definition {n} is not in '{}'",
                                r.href
                            ));
                        }
                    }
                }
            }
        }
    }
}
