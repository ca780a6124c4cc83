//! The `vigil` command: parses arguments, calls the library, maps errors to exit
//! codes (0 all passed, 2 some rule failed / errored / unknown, 1 the scan could not
//! run).

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;

use vigil::cli::{Cli, Command, ContentArgs, ReportArgs, ScanArgs};
use vigil::content::{self, Content, LoadOptions};
use vigil::engine::xccdf::RuleOutcome;
use vigil::probes::Registry;
use vigil::report::{self, ScanResults};

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
        Command::RemoteSelftest(a) => Ok(vigil::remote::selftest::run(&a.plan, &a.rest) as u8),
        Command::History(a) => vigil::history::run(&a).map(|c| c as u8).map_err(Into::into),
        Command::Baseline(a) => vigil::baseline::run(&a)
            .map(|c| c as u8)
            .map_err(Into::into),
    };
    match r {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("vigil: error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn load(path: &std::path::Path, opts: &LoadOptions) -> Result<Content> {
    Ok(content::datastream::load(path, opts)?)
}

fn scan(args: ScanArgs) -> Result<u8> {
    if args.remote.is_remote() {
        if args.root.is_some() {
            anyhow::bail!("--root and --host cannot be combined");
        }
        // Loaded here as well: bad content is one clear error rather than one per host,
        // and a standalone benchmark's OVAL files and CPE dictionary travel with it.
        // (The hidden test subcommand takes a plan, not content.)
        let task = match &args.content {
            Some(p) if args.remote.remote_subcommand == "scan" => args
                .remote_task()
                .with_companions(&load(p, &args.load_options())?)
                .map_err(anyhow::Error::msg)?,
            _ => args.remote_task(),
        };
        let json = args.json.as_ref().map(|p| p.display().to_string());
        let outputs = vigil::remote::cli::RemoteOutputs {
            json: json.as_deref(),
            html: args.html.as_deref(),
            scap: args.scap_outputs(),
            history: args.history.clone(),
            quiet: args.quiet,
        };
        return Ok(vigil::remote::cli::run(&args.remote, task, &outputs) as u8);
    }
    let t = vigil::trace::span(|| "load content".into());
    let content = match &args.content {
        Some(p) => load(p, &args.load_options())?,
        None => content::load_bundled(&args.load_options())?,
    };
    drop(t);
    let mut config = args.config().map_err(anyhow::Error::msg)?;
    let to_stdout = args.json.as_deref() == Some(std::path::Path::new("-"));
    config.progress = !args.quiet && std::io::stderr().is_terminal();
    // The SCAP result files carry every item; the JSON and HTML are capped after.
    let scap_out =
        args.xccdf_results.is_some() || args.arf.is_some() || args.oval_results.is_some();
    let max_items = config.max_items_per_object;
    if scap_out {
        config.max_items_per_object = usize::MAX;
    }
    let registry = Registry::builtin();
    let t = vigil::trace::span(|| "scan".into());
    let mut results = vigil::scan::run(&content, &config, &registry)?;
    drop(t);
    if let Some(p) = &args.xccdf_results {
        let xml = report::scap::xccdf_results(&results, &content)?;
        report::write_output(p, xml.as_bytes())?;
    }
    if let Some(p) = &args.arf {
        let xml = report::scap::arf(&results, &content)?;
        report::write_output(p, xml.as_bytes())?;
    }
    if let Some(p) = &args.oval_results {
        for (path, xml) in report::scap::oval_results_files(&results, &content, p)? {
            report::write_output(&path, xml.as_bytes())?;
        }
    }
    results.cap_items(max_items);
    if let Some(p) = &args.json {
        let _t = vigil::trace::span(|| "write json".into());
        report::write_json(&results, p)?;
    }
    if let Some(p) = &args.html {
        report::write_output(p, report::html::render(&results)?.as_bytes())?;
    }
    if args.history.history.is_some() || args.history.events.is_some() {
        let doc = serde_json::to_vec_pretty(&results).context("serialising results")?;
        args.history.record(&doc)?;
    }
    if !args.quiet {
        print_summary(&results, to_stdout);
    }
    Ok(results.exit_code() as u8)
}

/// `vigil report RESULTS.json --html OUT`: renders from a saved results document.
fn render_report(args: ReportArgs) -> Result<u8> {
    let results = report::read_json(&args.results)?;
    if args.html.is_none() {
        anyhow::bail!("nothing to write: give --html PATH");
    }
    if let Some(p) = &args.html {
        report::write_output(p, report::html::render(&results)?.as_bytes())?;
    }
    Ok(0)
}

/// A compact summary: counts by result and the rules that failed.
fn print_summary(r: &ScanResults, to_stderr: bool) {
    // Ids, titles and messages come from content and hosts: no control character of
    // theirs reaches the terminal.
    use vigil::report::sanitize::terminal;
    let mut out = String::new();
    let title = r
        .scan
        .benchmark
        .as_ref()
        .and_then(|b| b.title.clone())
        .unwrap_or_else(|| r.scan.content.path.clone());
    out.push_str(&format!(
        "{} on {} ({} ms)\n",
        terminal(&title),
        terminal(&r.scan.host.hostname),
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
        let failed: Vec<_> = r.rules.iter().filter(|x| x.result.is_failure()).collect();
        for x in failed.iter().take(50) {
            out.push_str(&format!(
                "  {:<8} {:<7} {}  {}\n",
                x.result.as_str(),
                x.severity.as_str(),
                terminal(&x.id),
                terminal(&x.title)
            ));
        }
        if failed.len() > 50 {
            out.push_str(&format!(
                "  ... and {} more (see the JSON results)\n",
                failed.len() - 50
            ));
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
            why.entry(terminal(&reason)).or_default().push(&x.id);
        }
        for (reason, ids) in &why {
            out.push_str(&format!("  {} rules not applicable: {reason}\n", ids.len()));
            for id in ids.iter().take(50) {
                out.push_str(&format!("    {}\n", terminal(id)));
            }
        }
    } else {
        let counts: Vec<String> = r
            .summary
            .definitions
            .iter()
            .map(|(k, v)| format!("{v} {k}"))
            .collect();
        out.push_str(&format!("definitions: {}\n", counts.join(", ")));
    }
    if to_stderr {
        eprint!("{out}");
    } else {
        print!("{out}");
    }
}

fn content_opts(a: &ContentArgs) -> LoadOptions {
    LoadOptions {
        datastream_id: a.datastream_id.clone(),
        xccdf_id: a.xccdf_id.clone(),
        tailoring: None,
        max_content_size: a.max_content_size,
    }
}

fn info(args: ContentArgs) -> Result<u8> {
    let c = load(&args.content, &content_opts(&args))?;
    println!(
        "Content: {} ({:?}, sha256 {})",
        c.path.display(),
        c.kind,
        c.sha256
    );
    if let Some(b) = &c.benchmark {
        println!("Benchmark: {} — {} (version {})", b.id, b.title, b.version);
        println!(
            "Rules: {}  Groups: {}  Values: {}",
            b.rules.len(),
            b.groups.len(),
            b.values.len()
        );
        println!("Profiles:");
        for p in &b.profiles {
            let resolved = vigil::engine::xccdf::resolve_profile(&c, Some(&p.id))?;
            let n = vigil::engine::xccdf::selected_rules(b, &resolved, &Default::default())?.len();
            println!("  {}  ({} rules)  {}", p.id, n, p.title);
        }
        println!("Values:");
        for v in b.values.values() {
            println!(
                "  {} = {:?}  {}",
                v.id,
                v.default_value().unwrap_or(""),
                v.title
            );
        }
    }
    for (href, d) in &c.oval {
        println!(
            "OVAL {href}: {} definitions, {} tests, {} objects, {} states, {} variables",
            d.definitions.len(),
            d.tests.len(),
            d.objects.len(),
            d.states.len(),
            d.variables.len()
        );
    }
    Ok(0)
}

fn validate(args: ContentArgs) -> Result<u8> {
    let c = load(&args.content, &content_opts(&args))?;
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
        println!(
            "unsupported: {}:{}: <{}>: {}",
            u.path.display(),
            u.pos,
            u.element,
            u.message
        );
    }
    for p in &problems {
        println!("error: {p}");
    }
    if problems.is_empty() {
        println!("{}: valid", c.path.display());
        Ok(0)
    } else {
        println!("{}: {} problem(s)", c.path.display(), problems.len());
        Ok(1)
    }
}

fn validate_check(
    check: &vigil::content::xccdf::RuleCheck,
    c: &Content,
    rule: &str,
    problems: &mut Vec<String>,
) {
    use vigil::content::xccdf::RuleCheck;
    match check {
        RuleCheck::Complex(cc) => cc
            .children
            .iter()
            .for_each(|x| validate_check(x, c, rule, problems)),
        RuleCheck::Check(ch) => {
            if ch.system != vigil::content::xccdf::ns::OVAL_SYSTEM {
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
