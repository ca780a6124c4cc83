//! SCAP result files, so existing SCAP tooling can read vigil's results:
//!
//! - [`xccdf_results`]: the benchmark with an XCCDF 1.2 `TestResult` appended (NISTIR
//!   7275r4 §6.6), the shape `oscap xccdf eval --results` writes;
//! - [`arf`]: an ARF 1.1 asset-report-collection (NISTIR 7694) holding the source data
//!   stream (or one built around a standalone benchmark and its OVAL files, SCAP 1.2
//!   SP 800-126r2 §3), the TestResult, and per OVAL document an OVAL 5.11 results
//!   document with the system characteristics (oval-results-schema, §4.5-4.6), in the
//!   structure `oscap xccdf eval --results-arf` produces.
//!
//! Both render from the results model plus the raw text of the content files (which are
//! embedded, not re-parsed, and checked against the SHA-256 recorded at scan time);
//! nothing is evaluated again. Items should be complete (a scan run with no item cap,
//! see [`super::model::ScanResults::cap_items`]): an object's items and its tests'
//! item results are written as they are in the model.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::ReportError;
use super::sc_schema;
use vigil_core::content::xml::escape;
use vigil_core::content::{Content, ContentKind};
use vigil_core::engine::oval::eval::CriteriaOutcome;
use vigil_core::engine::xccdf::RuleOutcome;
use vigil_core::model::*;

const XCCDF_NS: &str = "http://checklists.nist.gov/xccdf/1.2";
const OVAL_SYSTEM: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";
const OVAL_RES_NS: &str = "http://oval.mitre.org/XMLSchema/oval-results-5";
const OVAL_COMMON_NS: &str = "http://oval.mitre.org/XMLSchema/oval-common-5";
const OVAL_SC_NS: &str = "http://oval.mitre.org/XMLSchema/oval-system-characteristics-5";
const VIGIL_SC_NS: &str = "https://vigil.dev/XMLSchema/oval-system-characteristics-5#vigil";
const ID_PREFIX: &str = "scap_dev.vigil";

fn err(message: impl Into<String>) -> ReportError {
    ReportError::Render(message.into())
}

/// Raw text of a content file, refused when it changed since the scan.
fn read_source(path: &Path, sha256: Option<&str>) -> Result<String, ReportError> {
    let bytes = if path == Path::new(vigil_core::content::BUNDLED_NAME) {
        vigil_core::content::BUNDLED_DATASTREAM.as_bytes().to_vec()
    } else {
        std::fs::read(path).map_err(|e| err(format!("{}: {e}", path.display())))?
    };
    if let Some(expected) = sha256 {
        use sha2::{Digest, Sha256};
        let got: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        if !got.eq_ignore_ascii_case(expected) {
            return Err(err(format!(
                "{}: the file changed since the scan (SHA-256 {got}, scanned {expected})",
                path.display()
            )));
        }
    }
    String::from_utf8(bytes).map_err(|_| err(format!("{}: not UTF-8", path.display())))
}

/// The root element of a document as text (no XML declaration or leading comments).
fn root_text(text: &str) -> &str {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if rest.starts_with("<?") {
            match rest.find("?>") {
                Some(i) => rest = &rest[i + 2..],
                None => return rest,
            }
        } else if rest.starts_with("<!--") {
            match rest.find("-->") {
                Some(i) => rest = &rest[i + 3..],
                None => return rest,
            }
        } else {
            return rest.trim_end();
        }
    }
}

/// An element found in a raw document: its byte span, the namespace declarations of
/// its ancestors it needs to stand alone, and the nearest enclosing `ds:component` id.
struct Span {
    start: usize,
    /// Offset of the element's end tag (where children may be appended).
    close: usize,
    end: usize,
    /// Byte offset just after the start tag's name, where attributes can be added.
    after_name: usize,
    inherited_ns: Vec<(String, String)>,
    component: Option<String>,
}

/// Namespace declarations, as (attribute name, URI).
type Decls = Vec<(String, String)>;
/// An open element while scanning: its name, its declarations, its component id.
type Open = (String, Decls, Option<String>);
/// The element found: start, end of its name, depth, inherited declarations, component.
type Found = (usize, usize, usize, Decls, Option<String>);

/// Finds the first element with local name `local` whose `id` attribute is `id`.
fn find_element(text: &str, local: &str, id: &str) -> Result<Option<Span>, ReportError> {
    let mut reader = Reader::from_str(text);
    // (name, ns declarations, component id, start offset, matched)
    let mut stack: Vec<Open> = Vec::new();
    let mut found: Option<Found> = None;
    loop {
        let before = reader.buffer_position() as usize;
        let ev = reader
            .read_event()
            .map_err(|e| err(format!("content is not well-formed XML: {e}")))?;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().0.to_string();
                let local_name = e.local_name().into_inner().to_string();
                let mut decls = Vec::new();
                let mut el_id = None;
                for a in e.attributes().flatten() {
                    let key = a.key.0.to_string();
                    let value = a
                        .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                        .map(|v| v.into_owned())
                        .unwrap_or_default();
                    if key == "xmlns" || key.starts_with("xmlns:") {
                        decls.push((key, value));
                    } else if key == "id" {
                        el_id = Some(value);
                    }
                }
                let component = if local_name == "component" {
                    el_id.clone()
                } else {
                    stack.last().and_then(|s| s.2.clone())
                };
                if found.is_none() && local_name == local && el_id.as_deref() == Some(id) {
                    // Declarations in scope from ancestors, not redeclared here.
                    let mut inherited: Vec<(String, String)> = Vec::new();
                    for (_, d, _) in stack.iter().rev() {
                        for (k, v) in d {
                            if !inherited.iter().any(|(k2, _)| k2 == k)
                                && !decls.iter().any(|(k2, _)| k2 == k)
                            {
                                inherited.push((k.clone(), v.clone()));
                            }
                        }
                    }
                    let after_name = before + 1 + name.len();
                    if matches!(ev, Event::Empty(_)) {
                        let end = reader.buffer_position() as usize;
                        return Ok(Some(Span {
                            start: before,
                            close: end,
                            end,
                            after_name,
                            inherited_ns: inherited,
                            component,
                        }));
                    }
                    found = Some((
                        before,
                        after_name,
                        stack.len(),
                        inherited,
                        component.clone(),
                    ));
                }
                if matches!(ev, Event::Start(_)) {
                    stack.push((name, decls, component));
                }
            }
            Event::End(_) => {
                stack.pop();
                if let Some((start, after_name, depth, inherited, component)) = &found
                    && stack.len() == *depth
                {
                    return Ok(Some(Span {
                        start: *start,
                        close: before,
                        end: reader.buffer_position() as usize,
                        after_name: *after_name,
                        inherited_ns: inherited.clone(),
                        component: component.clone(),
                    }));
                }
            }
            Event::Eof => return Ok(None),
            _ => {}
        }
    }
}

/// Whether `s` can be an XCCDF idref (xs:NCName, ASCII approximation).
fn is_ncname(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

/// XML-safe id fragment from a file name.
fn id_part(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

fn file_name(p: &Path) -> String {
    p.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| p.display().to_string())
}

/// `2026-11-24T02:00:00Z` -> `2026-11-24T02:00:00` (OVAL timestamps carry no zone).
fn local_time(t: &str) -> &str {
    t.trim_end_matches('Z')
}

/// The XCCDF results: the benchmark text with a TestResult added before its end tag.
pub(crate) fn xccdf_results(
    results: &ScanResults,
    content: &Content,
) -> Result<String, ReportError> {
    let bench = content.benchmark.as_ref().ok_or_else(|| {
        err(
            "XCCDF results need XCCDF content (a benchmark or data stream); \
                 for OVAL content use --oval-results",
        )
    })?;
    let (text, path) = match content.kind {
        ContentKind::DataStream => (
            read_source(&content.path, Some(&content.sha256))?,
            &content.path,
        ),
        _ => (
            read_source(
                &bench.path,
                (bench.path == content.path).then_some(content.sha256.as_str()),
            )?,
            &bench.path,
        ),
    };
    let span = find_element(&text, "Benchmark", &bench.id)?.ok_or_else(|| {
        err(format!(
            "{}: benchmark {} not found",
            path.display(),
            bench.id
        ))
    })?;
    let benchmark_href = match &span.component {
        Some(c) => format!("#{c}"),
        None => file_name(path),
    };
    let test_result = test_result(results, &benchmark_href, None)?;
    let mut out = String::with_capacity(span.end - span.start + test_result.len() + 256);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&text[span.start..span.after_name]);
    for (k, v) in &span.inherited_ns {
        let _ = write!(out, " {k}=\"{}\"", escape(v));
    }
    if span.close == span.end {
        // An empty <Benchmark/> cannot be valid; keep it as found.
        out.push_str(&text[span.after_name..span.end]);
    } else {
        out.push_str(&text[span.after_name..span.close]);
        out.push_str(&test_result);
        out.push('\n');
        out.push_str(&text[span.close..span.end]);
    }
    out.push('\n');
    Ok(out)
}

fn testresult_id(results: &ScanResults) -> String {
    let profile = results
        .scan
        .profile
        .as_ref()
        .map(|p| id_part(&p.id))
        .unwrap_or_else(|| "default-profile".into());
    format!("xccdf_dev.vigil_testresult_{profile}")
}

/// A TestResult element. `oval_reports` maps OVAL document hrefs to ARF report ids
/// (`#oval0`); without it, check-content-refs keep the benchmark's hrefs.
fn test_result(
    results: &ScanResults,
    benchmark_href: &str,
    oval_reports: Option<&HashMap<String, String>>,
) -> Result<String, ReportError> {
    let scan = &results.scan;
    let bench = scan
        .benchmark
        .as_ref()
        .ok_or_else(|| err("the results have no benchmark"))?;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "<TestResult xmlns=\"{XCCDF_NS}\" id=\"{}\" start-time=\"{}\" end-time=\"{}\" version=\"{}\" test-system=\"cpe:/a:vigil:vigil:{}\">",
        escape(&testresult_id(results)),
        escape(&scan.started),
        escape(&scan.finished),
        escape(bench.version.as_deref().unwrap_or("1.0")),
        escape(&results.vigil_version),
    );
    let _ = writeln!(
        s,
        "  <benchmark href=\"{}\" id=\"{}\"/>",
        escape(benchmark_href),
        escape(&bench.id)
    );
    let _ = writeln!(s, "  <title>vigil scan result</title>");
    let privileged = scan.user == "root";
    let _ = writeln!(
        s,
        "  <identity authenticated=\"false\" privileged=\"{privileged}\">{}</identity>",
        escape(&scan.user)
    );
    // `--profile all` selects every rule without a profile: there is no idref to give.
    if let Some(p) = scan.profile.as_ref().filter(|p| is_ncname(&p.id)) {
        let _ = writeln!(s, "  <profile idref=\"{}\"/>", escape(&p.id));
    }
    let _ = writeln!(s, "  <target>{}</target>", escape(&scan.host.hostname));
    for a in &scan.host.addresses {
        let _ = writeln!(s, "  <target-address>{}</target-address>", escape(a));
    }
    s.push_str("  <target-facts>\n");
    let mut fact = |name: &str, value: &str| {
        let _ = writeln!(
            s,
            "    <fact name=\"{name}\" type=\"string\">{}</fact>",
            escape(value)
        );
    };
    fact("urn:xccdf:fact:scanner:name", "vigil");
    fact("urn:xccdf:fact:scanner:version", &results.vigil_version);
    fact(
        "urn:xccdf:fact:asset:identifier:host_name",
        &scan.host.hostname,
    );
    for a in &scan.host.addresses {
        let name = if a.contains(':') {
            "urn:xccdf:fact:asset:identifier:ipv6"
        } else {
            "urn:xccdf:fact:asset:identifier:ipv4"
        };
        fact(name, a);
    }
    if let Some(os) = &scan.host.os_name {
        fact("urn:xccdf:fact:asset:identifier:os_name", os);
    }
    if let Some(v) = &scan.host.os_version {
        fact("urn:xccdf:fact:asset:identifier:os_version", v);
    }
    s.push_str("  </target-facts>\n");
    if oval_reports.is_some() {
        s.push_str("  <target-id-ref system=\"http://scap.nist.gov/schema/asset-identification/1.1\" name=\"asset0\" href=\"\"/>\n");
    }
    for r in &results.rules {
        let role = if r.result == RuleOutcome::NotChecked
            && r.messages.iter().any(|m| m.contains("role is unchecked"))
        {
            "unchecked"
        } else {
            "full"
        };
        let _ = writeln!(
            s,
            "  <rule-result idref=\"{}\" role=\"{role}\" time=\"{}\" severity=\"{}\" weight=\"{:.6}\">",
            escape(&r.id),
            escape(&scan.finished),
            r.severity.as_str(),
            r.weight
        );
        // An accepted risk (an active waiver over a failure, error or unknown) is an
        // XCCDF override (§6.6.4.3): the result becomes `informational` (checked, kept
        // for auditors, not a compliance category), the override keeps the result as
        // found, who accepted it and why.
        match r
            .waiver
            .as_ref()
            .filter(|_| r.is_waived() && r.result.is_failure())
        {
            Some(w) => {
                let _ = writeln!(s, "    <result>informational</result>");
                let authority = w
                    .approved_by
                    .clone()
                    .unwrap_or_else(|| "vigil --waivers".to_string());
                let _ = writeln!(
                    s,
                    "    <override time=\"{}\" authority=\"{}\">\n      <old-result>{}</old-result>\n      <new-result>informational</new-result>\n      <remark>{}</remark>\n    </override>",
                    escape(&scan.finished),
                    escape(&authority),
                    r.result.as_str(),
                    escape(&format!(
                        "waived: {} ({}; {})",
                        w.justification,
                        w.until(),
                        w.source
                    ))
                );
            }
            None => {
                let _ = writeln!(s, "    <result>{}</result>", r.result.as_str());
            }
        }
        for i in &r.idents {
            let _ = writeln!(
                s,
                "    <ident system=\"{}\">{}</ident>",
                escape(&i.system),
                escape(&i.value)
            );
        }
        for m in &r.messages {
            let _ = writeln!(s, "    <message severity=\"info\">{}</message>", escape(m));
        }
        if !r.checks.is_empty() {
            let _ = writeln!(s, "    <check system=\"{OVAL_SYSTEM}\">");
            for c in &r.checks {
                let href = oval_reports
                    .and_then(|m| m.get(&c.href))
                    .map(|x| format!("#{x}"))
                    .unwrap_or_else(|| c.href.clone());
                let _ = writeln!(
                    s,
                    "      <check-content-ref name=\"{}\" href=\"{}\"/>",
                    escape(&c.id),
                    escape(&href)
                );
            }
            s.push_str("    </check>\n");
        }
        s.push_str("  </rule-result>\n");
    }
    let _ = writeln!(
        s,
        "  <score system=\"urn:xccdf:scoring:default\" maximum=\"{:.6}\">{:.6}</score>",
        results.summary.max_score, results.summary.score
    );
    s.push_str("</TestResult>");
    Ok(s)
}

/// An ARF 1.1 report collection.
pub(crate) fn arf(results: &ScanResults, content: &Content) -> Result<String, ReportError> {
    let bench = content.benchmark.as_ref().ok_or_else(|| {
        err("ARF needs XCCDF content (a benchmark or data stream); \
                 for OVAL content use --oval-results")
    })?;
    let started = local_time(&results.scan.started);

    // The report request: the source data stream as scanned, or one built around a
    // standalone benchmark and its OVAL files.
    let mut request = String::new();
    let benchmark_href;
    match content.kind {
        ContentKind::DataStream => {
            let text = read_source(&content.path, Some(&content.sha256))?;
            let span = find_element(&text, "Benchmark", &bench.id)?;
            benchmark_href = span
                .and_then(|s| s.component)
                .map(|c| format!("#{c}"))
                .unwrap_or_else(|| file_name(&content.path));
            request.push_str(root_text(&text));
        }
        _ => {
            let xccdf_name = file_name(&bench.path);
            let comp = |n: &str| format!("{ID_PREFIX}_comp_{}", id_part(n));
            let cref = |n: &str| format!("{ID_PREFIX}_cref_{}", id_part(n));
            benchmark_href = format!("#{}", comp(&xccdf_name));
            // OVAL files by href, each once.
            let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
            for (href, doc) in &content.oval {
                if !files.iter().any(|(_, p)| *p == doc.path) {
                    files.push((href.clone(), doc.path.clone()));
                }
            }
            let _ = write!(
                request,
                "<ds:data-stream-collection xmlns:ds=\"http://scap.nist.gov/schema/scap/source/1.2\" xmlns:xlink=\"http://www.w3.org/1999/xlink\" xmlns:cat=\"urn:oasis:names:tc:entity:xmlns:xml:catalog\" id=\"{ID_PREFIX}_collection_from_xccdf_{x}\" schematron-version=\"1.2\">\n\
                 <ds:data-stream id=\"{ID_PREFIX}_datastream_from_xccdf_{x}\" scap-version=\"1.2\" use-case=\"OTHER\">\n\
                 <ds:checklists>\n<ds:component-ref id=\"{cr}\" xlink:href=\"#{c}\">\n<cat:catalog>\n",
                x = id_part(&xccdf_name),
                cr = cref(&xccdf_name),
                c = comp(&xccdf_name),
            );
            for (href, p) in &files {
                let _ = writeln!(
                    request,
                    "<cat:uri name=\"{}\" uri=\"#{}\"/>",
                    escape(href),
                    cref(&file_name(p))
                );
            }
            request
                .push_str("</cat:catalog>\n</ds:component-ref>\n</ds:checklists>\n<ds:checks>\n");
            for (_, p) in &files {
                let n = file_name(p);
                let _ = writeln!(
                    request,
                    "<ds:component-ref id=\"{}\" xlink:href=\"#{}\"/>",
                    cref(&n),
                    comp(&n)
                );
            }
            request.push_str("</ds:checks>\n</ds:data-stream>\n");
            for (_, p) in &files {
                let text = read_source(p, None)?;
                let _ = write!(
                    request,
                    "<ds:component id=\"{}\" timestamp=\"{started}\">\n{}\n</ds:component>\n",
                    comp(&file_name(p)),
                    root_text(&text)
                );
            }
            let sha = (bench.path == content.path).then_some(content.sha256.as_str());
            let text = read_source(&bench.path, sha)?;
            let _ = write!(
                request,
                "<ds:component id=\"{}\" timestamp=\"{started}\">\n{}\n</ds:component>\n</ds:data-stream-collection>",
                comp(&xccdf_name),
                root_text(&text)
            );
        }
    }

    // One OVAL results report per OVAL document with evaluated definitions.
    let mut docs: Vec<&str> = Vec::new();
    for d in &results.definitions {
        if !docs.contains(&d.document.as_str()) {
            docs.push(&d.document);
        }
    }
    let oval_reports: HashMap<String, String> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| (d.to_string(), format!("oval{i}")))
        .collect();
    let tr = test_result(results, &benchmark_href, Some(&oval_reports))?;

    let mut out = String::with_capacity(request.len() + tr.len() * 2);
    out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str("<arf:asset-report-collection xmlns:arf=\"http://scap.nist.gov/schema/asset-reporting-format/1.1\" xmlns:core=\"http://scap.nist.gov/schema/reporting-core/1.1\" xmlns:ai=\"http://scap.nist.gov/schema/asset-identification/1.1\">\n");
    out.push_str("<core:relationships xmlns:arfvocab=\"http://scap.nist.gov/specifications/arf/vocabulary/relationships/1.0#\">\n");
    out.push_str("<core:relationship type=\"arfvocab:createdFor\" subject=\"xccdf1\"><core:ref>collection1</core:ref></core:relationship>\n");
    out.push_str("<core:relationship type=\"arfvocab:isAbout\" subject=\"xccdf1\"><core:ref>asset0</core:ref></core:relationship>\n");
    out.push_str("</core:relationships>\n");
    out.push_str("<arf:report-requests>\n<arf:report-request id=\"collection1\">\n<arf:content>\n");
    out.push_str(&request);
    out.push_str("\n</arf:content>\n</arf:report-request>\n</arf:report-requests>\n");
    out.push_str("<arf:assets>\n<arf:asset id=\"asset0\">\n<ai:computing-device>\n");
    let addrs = &results.scan.host.addresses;
    if !addrs.is_empty() {
        out.push_str("<ai:connections>\n");
        for a in addrs {
            // ai:ip-v6 takes only the full eight-group form.
            let (tag, text) = match a.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V4(v4)) => ("ip-v4", v4.to_string()),
                Ok(std::net::IpAddr::V6(v6)) => (
                    "ip-v6",
                    v6.segments()
                        .iter()
                        .map(|g| format!("{g:x}"))
                        .collect::<Vec<_>>()
                        .join(":"),
                ),
                Err(_) => continue,
            };
            let _ = writeln!(
                out,
                "<ai:connection><ai:ip-address><ai:{tag}>{text}</ai:{tag}></ai:ip-address></ai:connection>"
            );
        }
        out.push_str("</ai:connections>\n");
    }
    // ai:hostname has a pattern (letters, digits, '-', '_' in dot-separated labels).
    let host = &results.scan.host.hostname;
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    if host.split('.').all(label_ok) {
        let _ = writeln!(out, "<ai:hostname>{}</ai:hostname>", escape(host));
    }
    out.push_str("</ai:computing-device>\n</arf:asset>\n</arf:assets>\n<arf:reports>\n");
    out.push_str("<arf:report id=\"xccdf1\">\n<arf:content>\n");
    out.push_str(&tr);
    out.push_str("\n</arf:content>\n</arf:report>\n");
    for (i, doc) in docs.iter().enumerate() {
        let _ = writeln!(out, "<arf:report id=\"oval{i}\">\n<arf:content>");
        out.push_str(&oval_results_body(results, content, doc));
        out.push_str("\n</arf:content>\n</arf:report>\n");
    }
    out.push_str("</arf:reports>\n</arf:asset-report-collection>\n");
    Ok(out)
}

/// A standalone OVAL 5.11 results document for one OVAL document of the content.
pub(crate) fn oval_results(results: &ScanResults, content: &Content, document: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{}\n",
        oval_results_body(results, content, document)
    )
}

/// The OVAL results files for `--oval-results PATH`: PATH itself when the content has
/// one OVAL document, or `PATH/<document>.result.xml` for each when PATH is a directory
/// (the names `oscap --oval-results` gives), `<document>` being the last plain component
/// of the document's name ([`vigil_core::osutil::plain_file_name`]).
pub(crate) fn oval_results_files(
    results: &ScanResults,
    content: &Content,
    path: &Path,
) -> Result<Vec<(PathBuf, String)>, ReportError> {
    let docs: Vec<&String> = content.oval.keys().collect();
    if docs.is_empty() {
        return Err(err("--oval-results: the content has no OVAL definitions"));
    }
    if path.is_dir() {
        // The document names come from the content: each is reduced to its last plain
        // component, so an absolute or `../..` href cannot put a file outside PATH
        // (locally, or on a host that writes its results for a remote scan). Names
        // that reduce to nothing, or two documents that reduce to one name, are refused
        // before any file is written.
        let mut named: Vec<(&String, String)> = Vec::new();
        for d in docs {
            let name = vigil_core::osutil::plain_file_name(d).ok_or_else(|| {
                err(format!(
                    "--oval-results {}: the OVAL document {:?} of {} has no file name to \
                     write its results under",
                    path.display(),
                    crate::report::sanitize::terminal(d),
                    content.path.display()
                ))
            })?;
            let file = format!("{name}.result.xml");
            if let Some((other, _)) = named.iter().find(|(_, f)| *f == file) {
                return Err(err(format!(
                    "--oval-results {}: the OVAL documents {:?} and {:?} of {} would both \
                     be written as {file}",
                    path.display(),
                    crate::report::sanitize::terminal(other),
                    crate::report::sanitize::terminal(d),
                    content.path.display()
                )));
            }
            named.push((d, file));
        }
        return Ok(named
            .into_iter()
            .map(|(d, file)| (path.join(file), oval_results(results, content, d)))
            .collect());
    }
    match docs.as_slice() {
        [one] => Ok(vec![(
            path.to_path_buf(),
            oval_results(results, content, one),
        )]),
        many => Err(err(format!(
            "--oval-results {}: the content has {} OVAL documents ({}); give an existing \
             directory to get one <document>.result.xml each",
            path.display(),
            many.len(),
            many.iter()
                .map(|d| d.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

/// Appends `<tag>\ninner</tag>\n`, or nothing when `inner` is empty: in the OVAL results
/// and system-characteristics schemas these containers are optional but, when present,
/// must hold at least one child.
fn push_element(s: &mut String, tag: &str, inner: &str) {
    if !inner.is_empty() {
        let _ = write!(s, "<{tag}>\n{inner}</{tag}>\n");
    }
}

fn version_of(content: &Content, document: &str, def: &str) -> String {
    content
        .oval
        .get(document)
        .and_then(|d| d.definitions.get(def))
        .map(|d| d.version.clone())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "1".to_string())
}

fn criteria_xml(c: &CriteriaOutcome, content: &Content, document: &str, out: &mut String) {
    let neg = |n: bool| if n { " negate=\"true\"" } else { "" };
    match c {
        CriteriaOutcome::Criteria {
            operator,
            negate,
            result,
            children,
            ..
        } => {
            let _ = write!(
                out,
                "<criteria operator=\"{}\"{} result=\"{}\">",
                escape(operator),
                neg(*negate),
                result.as_str()
            );
            for ch in children {
                criteria_xml(ch, content, document, out);
            }
            out.push_str("</criteria>");
        }
        CriteriaOutcome::Criterion {
            test_ref,
            negate,
            result,
            ..
        } => {
            let _ = write!(
                out,
                "<criterion test_ref=\"{}\" version=\"1\"{} result=\"{}\"/>",
                escape(test_ref),
                neg(*negate),
                result.as_str()
            );
        }
        CriteriaOutcome::ExtendDefinition {
            definition_ref,
            negate,
            result,
            ..
        } => {
            let _ = write!(
                out,
                "<extend_definition definition_ref=\"{}\" version=\"{}\"{} result=\"{}\"/>",
                escape(definition_ref),
                version_of(content, document, definition_ref),
                neg(*negate),
                result.as_str()
            );
        }
    }
}

fn sc_namespace(family: &str) -> (String, String) {
    match family {
        "vigil" => ("vigil-sys".into(), VIGIL_SC_NS.into()),
        f if f.contains(':') => ("x-sys".into(), f.to_string()),
        f => (format!("{f}-sys"), format!("{OVAL_SC_NS}#{f}")),
    }
}

fn oval_results_body(results: &ScanResults, content: &Content, document: &str) -> String {
    let mut s = String::new();
    let now = local_time(&results.scan.finished);
    let _ = write!(
        s,
        "<oval_results xmlns=\"{OVAL_RES_NS}\" xmlns:oval=\"{OVAL_COMMON_NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n\
         <generator><oval:product_name>vigil</oval:product_name><oval:product_version>{}</oval:product_version><oval:schema_version>5.11.2</oval:schema_version><oval:timestamp>{now}</oval:timestamp></generator>\n<directives include_source_definitions=\"false\">\n",
        escape(&results.vigil_version)
    );
    for d in [
        "true",
        "false",
        "unknown",
        "error",
        "not_evaluated",
        "not_applicable",
    ] {
        let _ = writeln!(s, "<definition_{d} reported=\"true\" content=\"full\"/>");
    }
    s.push_str("</directives>\n<results>\n<system>\n");
    let mut definitions = String::new();
    for d in results
        .definitions
        .iter()
        .filter(|d| d.document == document)
    {
        let _ = write!(
            definitions,
            "<definition definition_id=\"{}\" result=\"{}\" version=\"{}\">",
            escape(&d.id),
            d.result.as_str(),
            version_of(content, document, &d.id)
        );
        for m in d.messages.iter().take(50) {
            let _ = write!(
                definitions,
                "<message level=\"info\">{}</message>",
                escape(m)
            );
        }
        if let Some(c) = &d.criteria {
            criteria_xml(c, content, document, &mut definitions);
        }
        definitions.push_str("</definition>\n");
    }
    push_element(&mut s, "definitions", &definitions);

    // Items, numbered once per document; identical items (the same file seen by two
    // objects) share an id.
    let objects: Vec<&ObjectResult> = results
        .objects
        .iter()
        .filter(|o| o.document == document)
        .collect();
    let mut item_ids: HashMap<String, u64> = HashMap::new();
    let mut object_items: HashMap<&str, Vec<u64>> = HashMap::new();
    let mut system_data = String::new();
    let mut namespaces: Vec<(String, String)> = Vec::new();
    for o in &objects {
        let (prefix, ns) = sc_namespace(&o.family);
        if !namespaces.iter().any(|(p, _)| *p == prefix) {
            namespaces.push((prefix.clone(), ns));
        }
        let item_kind = item_kind(&o.kind);
        let mut ids = Vec::with_capacity(o.items.len());
        for it in &o.items {
            let xml = item_xml(&prefix, &o.family, &item_kind, it);
            let next = item_ids.len() as u64 + 1;
            let id = *item_ids.entry(xml.clone()).or_insert(next);
            if id == next {
                let _ = writeln!(
                    system_data,
                    "<{prefix}:{item_kind} id=\"{id}\" status=\"{}\">{xml}</{prefix}:{item_kind}>",
                    it.status.as_str()
                );
            }
            ids.push(id);
        }
        object_items.insert(o.id.as_str(), ids);
    }

    let mut tests = String::new();
    for t in results.tests.iter().filter(|t| t.document == document) {
        let _ = write!(
            tests,
            "<test test_id=\"{}\" version=\"1\" check_existence=\"{}\" check=\"{}\" state_operator=\"{}\" result=\"{}\">",
            escape(&t.id),
            escape(&t.check_existence),
            escape(&t.check),
            escape(&t.state_operator),
            t.result.as_str()
        );
        for m in t.messages.iter().take(50) {
            let _ = write!(tests, "<message level=\"info\">{}</message>", escape(m));
        }
        if let Some(ids) = t.object.as_deref().and_then(|o| object_items.get(o)) {
            // Items of a test without states were not compared: "not evaluated".
            for (i, id) in ids.iter().enumerate() {
                let r = t
                    .item_results
                    .get(i)
                    .map_or("not evaluated", |r| r.as_str());
                let _ = write!(tests, "<tested_item item_id=\"{id}\" result=\"{r}\"/>");
            }
        }
        tests.push_str("</test>\n");
    }
    push_element(&mut s, "tests", &tests);

    let _ = write!(
        s,
        "<oval_system_characteristics xmlns=\"{OVAL_SC_NS}\" xmlns:oval=\"{OVAL_COMMON_NS}\""
    );
    for (p, ns) in &namespaces {
        let _ = write!(s, " xmlns:{p}=\"{}\"", escape(ns));
    }
    s.push_str(">\n");
    let _ = writeln!(
        s,
        "<generator><oval:product_name>vigil</oval:product_name><oval:product_version>{}</oval:product_version><oval:schema_version>5.11.2</oval:schema_version><oval:timestamp>{now}</oval:timestamp></generator>",
        escape(&results.vigil_version)
    );
    let host = &results.scan.host;
    let _ = write!(
        s,
        "<system_info><os_name>{}</os_name><os_version>{}</os_version><architecture>{}</architecture><primary_host_name>{}</primary_host_name><interfaces>",
        escape(host.os_name.as_deref().unwrap_or("unknown")),
        escape(host.os_version.as_deref().unwrap_or("unknown")),
        escape(&host.arch),
        escape(&host.hostname)
    );
    for a in &host.addresses {
        let _ = write!(
            s,
            "<interface><interface_name></interface_name><ip_address>{}</ip_address><mac_address></mac_address></interface>",
            escape(a)
        );
    }
    s.push_str("</interfaces></system_info>\n");
    let mut collected = String::new();
    for o in &objects {
        let _ = write!(
            collected,
            "<object id=\"{}\" version=\"1\" flag=\"{}\">",
            escape(&o.id),
            o.flag.as_str()
        );
        for m in o.messages.iter().take(50) {
            let _ = write!(collected, "<message level=\"info\">{}</message>", escape(m));
        }
        for (var, values) in &o.variables {
            for v in values {
                let _ = write!(
                    collected,
                    "<variable_value variable_id=\"{}\">{}</variable_value>",
                    escape(var),
                    escape(v)
                );
            }
        }
        if let Some(ids) = object_items.get(o.id.as_str()) {
            for id in ids {
                let _ = write!(collected, "<reference item_ref=\"{id}\"/>");
            }
        }
        collected.push_str("</object>\n");
    }
    // The schema wants these elements absent rather than empty.
    push_element(&mut s, "collected_objects", &collected);
    push_element(&mut s, "system_data", &system_data);
    s.push_str("</oval_system_characteristics>\n</system>\n</results>\n</oval_results>");
    s
}

/// The item element an object's items are written as (OVAL 5.11: the
/// textfilecontent54 object collects textfilecontent items).
fn item_kind(object_kind: &str) -> String {
    let base = object_kind.strip_suffix("_object").unwrap_or(object_kind);
    match base {
        "textfilecontent54" => "textfilecontent_item".to_string(),
        b => format!("{b}_item"),
    }
}

/// The children of an item element: its message and its entities in the order the
/// OVAL system-characteristics schema gives them, with the datatypes it requires.
fn item_xml(prefix: &str, family: &str, kind: &str, it: &vigil_host::probes::Item) -> String {
    let mut s = String::new();
    if let Some(m) = &it.message {
        let _ = write!(
            s,
            "<message xmlns=\"{OVAL_SC_NS}\" level=\"info\">{}</message>",
            escape(m)
        );
    }
    let schema = sc_schema::entities(family, kind);
    let mut fields: Vec<&vigil_host::probes::ItemField> = it.fields.iter().collect();
    if let Some(order) = schema {
        // Fields the schema does not define would make the document invalid.
        fields.retain(|f| order.iter().any(|(n, _)| *n == f.name));
        fields.sort_by_key(|f| order.iter().position(|(n, _)| *n == f.name));
    }
    for f in fields {
        let datatype = schema
            .and_then(|o| o.iter().find(|(n, _)| *n == f.name))
            .and_then(|(_, d)| *d);
        let dt = datatype
            .map(|d| format!(" datatype=\"{d}\""))
            .unwrap_or_default();
        if let Some(record) = &f.record {
            // OVAL 5.11 EntityItemRecordType: the fields are in the sc namespace.
            let _ = write!(s, "<{prefix}:{n} datatype=\"record\">", n = f.name);
            for r in record.iter() {
                match &r.value {
                    Some(v) => {
                        let _ = write!(
                            s,
                            "<field xmlns=\"{OVAL_SC_NS}\" name=\"{}\">{}</field>",
                            escape(&r.name),
                            escape(v)
                        );
                    }
                    None => {
                        let _ = write!(
                            s,
                            "<field xmlns=\"{OVAL_SC_NS}\" name=\"{}\" status=\"does not exist\"/>",
                            escape(&r.name)
                        );
                    }
                }
            }
            let _ = write!(s, "</{prefix}:{n}>", n = f.name);
            continue;
        }
        match &f.value {
            Some(v) => {
                let _ = write!(
                    s,
                    "<{prefix}:{n}{dt}>{}</{prefix}:{n}>",
                    escape(v),
                    n = f.name
                );
            }
            None => {
                let _ = write!(
                    s,
                    "<{prefix}:{n}{dt} status=\"does not exist\"/>",
                    n = f.name
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::scan_fixture;

    /// Runs oscap with `args` (the last one a file) and returns its output; fails the
    /// test on a non-zero status. oscap is installed by scripts/test.sh.
    fn oscap(args: &[&str]) -> String {
        let out = crate::testtool::tool("oscap")
            .args(args)
            .output()
            .expect("oscap is installed (scripts/test.sh installs openscap-scanner)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "oscap {args:?} failed:\n{text}");
        text
    }

    fn write(dir: &Path, name: &str, text: &str) -> String {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p.display().to_string()
    }

    #[test]
    fn xccdf_results_validate_and_render_with_oscap() {
        let (content, results) = scan_fixture(usize::MAX);
        let xml = xccdf_results(&results, &content).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "results-xccdf.xml", &xml);
        oscap(&["xccdf", "validate", &p]);
        let html = oscap(&["xccdf", "generate", "report", &p]);
        // oscap's report shows vigil's rule results.
        assert!(html.contains("xccdf_dev.vigil_rule_shells"));
        assert!(xml.contains("<rule-result idref=\"xccdf_dev.vigil_rule_shells\""));
        assert!(xml.contains("<result>fail</result>"));
        assert!(xml.contains("<result>notselected</result>"));
    }

    #[test]
    fn arf_validates_and_renders_with_oscap() {
        let (content, results) = scan_fixture(usize::MAX);
        let xml = arf(&results, &content).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "results-arf.xml", &xml);
        oscap(&["ds", "rds-validate", &p]);
        let html = oscap(&["xccdf", "generate", "report", &p]);
        assert!(html.contains("xccdf_dev.vigil_rule_uid0"));
        // The OVAL results inside are valid on their own (rds-validate does not look
        // into them): schema and schematron.
        let doc = "report-oval.xml";
        let oval = oval_results(&results, &content, doc);
        let op = write(dir.path(), "oval-results.xml", &oval);
        oscap(&["oval", "validate", "--results", &op]);
        assert!(
            xml.contains(root_text(&oval)),
            "the ARF embeds the same OVAL results"
        );
        // The source benchmark and OVAL file travel with the results, as oscap does.
        assert!(xml.contains("<ds:component id=\"scap_dev.vigil_comp_report-xccdf.xml\""));
        assert!(xml.contains("<ds:component id=\"scap_dev.vigil_comp_report-oval.xml\""));
        assert!(xml.contains("href=\"#oval0\""));
    }

    #[test]
    fn oval_results_carry_every_item_and_item_result() {
        let (content, results) = scan_fixture(usize::MAX);
        let oval = oval_results(&results, &content, "report-oval.xml");
        // tst:4 looks at the six accounts of the fixture's /etc/passwd.
        let t4 = oval
            .split("<test test_id=\"oval:vigil.report:tst:4\"")
            .nth(1)
            .and_then(|s| s.split("</test>").next())
            .unwrap();
        assert_eq!(t4.matches("<tested_item ").count(), 6, "{t4}");
        // Items seen by two objects (obj:3 is a subset of obj:4) are written once,
        // plus the family item and the telnetd and openssl packages: 6 + 1 + 2.
        assert_eq!(oval.matches("<unix-sys:password_item ").count(), 6);
        assert_eq!(oval.matches("_item id=\"").count(), 9, "{oval}");
        // tst:5 has no state: its item is listed, not evaluated.
        assert!(
            oval.contains(
                "result=\"false\"><tested_item item_id=\"8\" result=\"not evaluated\"/></test>"
            ),
            "{oval}"
        );
        // Schema datatypes and order: last_login is an int and comes last.
        assert!(oval.contains(
            "<unix-sys:login_shell>/bin/bash</unix-sys:login_shell><unix-sys:last_login datatype=\"int\">-1</unix-sys:last_login>"
        ));
        // Content from the host is escaped.
        assert!(oval.contains("Alice &lt;script&gt;alert(1)&lt;/script&gt;"));
    }

    #[test]
    fn profile_all_gives_valid_xccdf_results() {
        let (content, mut results) = scan_fixture(usize::MAX);
        results.scan.profile = Some(NamedInfo {
            id: "(all)".into(),
            title: None,
            version: None,
        });
        let xml = xccdf_results(&results, &content).unwrap();
        assert!(!xml.contains("<profile idref"));
        let dir = tempfile::tempdir().unwrap();
        oscap(&["xccdf", "validate", &write(dir.path(), "x.xml", &xml)]);
    }

    #[test]
    fn a_changed_content_file_is_refused() {
        let (mut content, results) = scan_fixture(usize::MAX);
        content.sha256 = "00".repeat(32);
        let e = xccdf_results(&results, &content).unwrap_err().to_string();
        assert!(e.contains("changed since the scan"), "{e}");
    }

    #[test]
    fn benchmark_is_found_inside_a_data_stream_with_inherited_namespaces() {
        let text = r#"<?xml version="1.0"?>
<ds:data-stream-collection xmlns:ds="http://scap.nist.gov/schema/scap/source/1.2" xmlns:x="http://checklists.nist.gov/xccdf/1.2">
  <ds:component id="scap_a_comp_b"><x:Benchmark id="xccdf_a_benchmark_b"><x:title>t</x:title></x:Benchmark></ds:component>
</ds:data-stream-collection>"#;
        let span = find_element(text, "Benchmark", "xccdf_a_benchmark_b")
            .unwrap()
            .unwrap();
        assert_eq!(span.component.as_deref(), Some("scap_a_comp_b"));
        assert!(span.inherited_ns.iter().any(|(k, _)| k == "xmlns:x"));
        assert!(text[span.start..span.end].starts_with("<x:Benchmark"));
        assert!(text[span.start..span.end].ends_with("</x:Benchmark>"));
        assert_eq!(&text[span.close..span.end], "</x:Benchmark>");
    }
}
