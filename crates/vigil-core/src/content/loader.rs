//! The content loader: one entry point, [`load`], for every kind of content vigil reads.
//! It looks at the root element and hands a source data stream collection to
//! [`datastream`], reads a standalone XCCDF 1.2 benchmark with its OVAL files and CPE
//! dictionary beside it, or takes an OVAL 5.11 definitions file as it is.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use indexmap::{IndexMap, IndexSet};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::datastream::{self, ns};
use super::oval::{self, OvalDefinitions, Unsupported};
use super::xccdf::{self, Benchmark, CpeDictionary, RuleCheck};
use super::xml;
use super::{Content, ContentError, ContentKind, LoadOptions};
use crate::osutil::hex;

/// Loads the content file at `path`, whatever its kind: a source data stream collection,
/// an XCCDF 1.2 benchmark (with the OVAL and CPE files beside it) or an OVAL definitions
/// file, told apart by the root element. `options.tailoring` is read and attached;
/// files over [`LoadOptions::content_limit`] are refused.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Content, ContentError> {
    let bytes = xml::read_limited(path, options.content_limit())?;
    load_bytes(bytes, path, options)
}

/// The CPE dictionary a standalone benchmark uses when it is there: SSG's convention,
/// `<stem>-cpe-dictionary.xml` beside `<stem>-xccdf.xml`.
pub fn cpe_dictionary_beside(benchmark: &Path) -> Option<String> {
    let name = file_name(benchmark);
    let stem = name.strip_suffix("-xccdf.xml")?;
    Some(format!("{stem}-cpe-dictionary.xml"))
}

/// Loads content already read into memory; `path` names it in messages and is where
/// a standalone benchmark's OVAL files are looked for.
pub fn load_bytes(
    bytes: Vec<u8>,
    path: &Path,
    options: &LoadOptions,
) -> Result<Content, ContentError> {
    let sha256 = hex(&Sha256::digest(&bytes));
    let doc = xml::parse_bytes(bytes, path)?;
    let root = &doc.root;
    let mut content = Content {
        path: path.to_path_buf(),
        sha256,
        kind: ContentKind::Oval,
        benchmark: None,
        oval: IndexMap::new(),
        cpe_dictionary: None,
        unresolved: IndexMap::new(),
        tailoring: None,
        unsupported: Vec::new(),
    };
    if root.is(ns::DS, "data-stream-collection") {
        content.kind = ContentKind::DataStream;
        datastream::load_datastream(root, path, options, &mut content)?;
    } else if root.is(xccdf::ns::XCCDF, "Benchmark") {
        content.kind = ContentKind::Xccdf;
        load_standalone_xccdf(doc, path, options.content_limit(), &mut content)?;
    } else if root.is(oval::ns::DEFINITIONS, "oval_definitions") {
        content.kind = ContentKind::Oval;
        let (defs, unsupported) = oval::parse::parse_definitions(root, path)?;
        content.unsupported.extend(unsupported);
        content.oval.insert(file_name(path), Arc::new(defs));
    } else if root.is(ns::XCCDF_1_1, "Benchmark") {
        return Err(ContentError::Document {
            path: path.to_path_buf(),
            message: "XCCDF 1.1 benchmarks are not supported; use XCCDF 1.2 content".into(),
        });
    } else {
        return Err(ContentError::Document {
            path: path.to_path_buf(),
            message: format!(
                "not a SCAP source data stream, XCCDF 1.2 benchmark or OVAL definitions file \
                 (root element {{{}}}{})",
                root.ns, root.name
            ),
        });
    }
    if let Some(tpath) = &options.tailoring {
        let tdoc = xml::parse_file_limited(tpath, options.content_limit())?;
        let (t, unsupported) = xccdf::parse::parse_tailoring_with_unsupported(&tdoc.root, tpath)?;
        content.unsupported.extend(unsupported);
        content.tailoring = Some(t);
    }
    Ok(content)
}

pub(super) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
/// Hrefs of OVAL documents a benchmark uses: check-content-refs of OVAL checks and
/// OVAL check-fact-refs of its platform specification.
pub(super) fn benchmark_oval_hrefs(b: &Benchmark) -> IndexSet<String> {
    fn walk(c: &RuleCheck, out: &mut IndexSet<String>) {
        match c {
            RuleCheck::Check(c) => {
                if c.system == xccdf::ns::OVAL_SYSTEM {
                    out.extend(c.content_refs.iter().map(|r| r.href.clone()));
                }
            }
            RuleCheck::Complex(cc) => cc.children.iter().for_each(|c| walk(c, out)),
        }
    }
    fn facts(t: &xccdf::LogicalTest, out: &mut IndexSet<String>) {
        for (system, href, _) in &t.check_fact_refs {
            if system == xccdf::ns::OVAL_SYSTEM {
                out.insert(href.clone());
            }
        }
        t.tests.iter().for_each(|t| facts(t, out));
    }
    let mut out = IndexSet::new();
    for r in b.rules.values() {
        r.checks.iter().for_each(|c| walk(c, &mut out));
    }
    for p in b.platform_specification.values() {
        facts(&p.test, &mut out);
    }
    out
}

/// Hrefs of OVAL documents a CPE dictionary's `check` elements use.
pub(super) fn dictionary_oval_hrefs(d: &CpeDictionary) -> IndexSet<String> {
    d.items
        .values()
        .flat_map(|i| i.checks.iter())
        .filter(|(system, href, _)| system == xccdf::ns::OVAL_SYSTEM && !href.is_empty())
        .map(|(_, href, _)| href.clone())
        .collect()
}
/// A standalone benchmark: OVAL hrefs are files beside it; the CPE dictionary is the
/// `<name>-cpe-dictionary.xml` beside `<name>-xccdf.xml`, as oscap finds it for SSG.
fn load_standalone_xccdf(
    doc: xml::Document,
    path: &Path,
    limit: u64,
    content: &mut Content,
) -> Result<(), ContentError> {
    let (bench, unsupported) = xccdf::parse::parse_benchmark(&doc.root, path)?;
    // The benchmark's tree is the largest thing held while loading: free it before the
    // OVAL files are parsed.
    drop(doc);
    content.unsupported.extend(unsupported);
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut hrefs: Vec<(String, PathBuf)> = benchmark_oval_hrefs(&bench)
        .into_iter()
        .map(|h| {
            let p = dir.join(&h);
            (h, p)
        })
        .collect();

    if let Some(dict_name) = cpe_dictionary_beside(path) {
        let dict_path = dir.join(dict_name);
        if dict_path.is_file() {
            let doc = xml::parse_file_limited(&dict_path, limit)?;
            let dict = xccdf::parse::parse_cpe_dictionary(&doc.root, &dict_path)?;
            let dict_dir = dict_path.parent().unwrap_or(dir);
            for h in dictionary_oval_hrefs(&dict) {
                if !hrefs.iter().any(|(x, _)| *x == h) {
                    let p = dict_dir.join(&h);
                    hrefs.push((h, p));
                }
            }
            content.cpe_dictionary = Some(dict);
        }
    }

    let mut files: IndexSet<PathBuf> = IndexSet::new();
    let mut keyed: Vec<(String, PathBuf)> = Vec::new();
    for (href, p) in hrefs {
        if href.contains("://") {
            content
                .unresolved
                .insert(href, "remote content is not fetched".into());
            continue;
        }
        if !p.is_file() {
            let why = match std::fs::metadata(&p) {
                Ok(_) => "is not a regular file".to_string(),
                Err(e) => e.to_string(),
            };
            content
                .unresolved
                .insert(href, format!("{}: {why}", p.display()));
            continue;
        }
        // One parse per file, however the hrefs spell its path.
        let p = std::fs::canonicalize(&p).unwrap_or(p);
        // Content names its OVAL files; it must not make vigil read kernel pseudo
        // files (/proc/kmsg blocks, /proc/self/environ holds secrets).
        if ["/proc", "/sys", "/dev"].iter().any(|d| p.starts_with(d)) {
            content.unresolved.insert(
                href,
                format!("{}: in a pseudo file system: not read", p.display()),
            );
            continue;
        }
        files.insert(p.clone());
        keyed.push((href, p));
    }

    type FileParse = Result<
        (
            PathBuf,
            Option<(Arc<OvalDefinitions>, Vec<Unsupported>)>,
            String,
        ),
        ContentError,
    >;
    let parsed: Vec<FileParse> = files
        .into_iter()
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|p| {
            let doc = xml::parse_file_limited(&p, limit)?;
            if !doc.root.is(oval::ns::DEFINITIONS, "oval_definitions") {
                let why = format!(
                    "{}: root element is {{{}}}{}, not OVAL definitions",
                    p.display(),
                    doc.root.ns,
                    doc.root.name
                );
                return Ok((p, None, why));
            }
            let (defs, unsupported) = oval::parse::parse_definitions(&doc.root, &p)?;
            Ok((p, Some((Arc::new(defs), unsupported)), String::new()))
        })
        .collect();
    let mut by_path: HashMap<PathBuf, Result<Arc<OvalDefinitions>, String>> = HashMap::new();
    for r in parsed {
        let (p, defs, why) = r?;
        match defs {
            Some((defs, unsupported)) => {
                content.unsupported.extend(unsupported);
                by_path.insert(p, Ok(defs));
            }
            None => {
                by_path.insert(p, Err(why));
            }
        }
    }
    for (href, p) in keyed {
        match &by_path[&p] {
            Ok(defs) => {
                content.oval.insert(href, defs.clone());
            }
            Err(why) => {
                content.unresolved.insert(href, why.clone());
            }
        }
    }
    content.benchmark = Some(bench);
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    use crate::content::xml::Element;

    const OVAL_NS: &str = "http://oval.mitre.org/XMLSchema/oval-definitions-5";

    /// An OVAL document with one deprecated definition (so it may omit criteria).
    fn oval_doc(prefix: &str, def_id: &str) -> String {
        format!(
            r#"<{prefix}:oval_definitions xmlns:{prefix}="{OVAL_NS}" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5">
<{prefix}:generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2024-01-01T00:00:00</oval:timestamp></{prefix}:generator>
<{prefix}:definitions><{prefix}:definition id="{def_id}" version="1" class="compliance" deprecated="true">
<{prefix}:metadata><{prefix}:title>t</{prefix}:title><{prefix}:description>d</{prefix}:description></{prefix}:metadata>
</{prefix}:definition></{prefix}:definitions>
</{prefix}:oval_definitions>"#
        )
    }

    fn benchmark(id: &str, prefix: &str, oval_href: &str, extra_rules: &str) -> String {
        format!(
            r##"<{prefix}:Benchmark xmlns:{prefix}="http://checklists.nist.gov/xccdf/1.2" xmlns:cl="http://cpe.mitre.org/language/2.0" id="{id}" resolved="true">
  <{prefix}:title>T</{prefix}:title>
  <cl:platform-specification>
    <cl:platform id="machine"><cl:logical-test operator="AND" negate="false">
      <cl:fact-ref name="cpe:/a:machine"/>
    </cl:logical-test></cl:platform>
  </cl:platform-specification>
  <{prefix}:platform idref="cpe:/o:debian:debian_linux:11"/>
  <{prefix}:version>1</{prefix}:version>
  <{prefix}:Profile id="xccdf_t_profile_p"><{prefix}:title>P</{prefix}:title></{prefix}:Profile>
  <{prefix}:Rule id="xccdf_t_rule_1" severity="low">
    <{prefix}:title>R1</{prefix}:title>
    <{prefix}:platform idref="#machine"/>
    <{prefix}:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <{prefix}:check-content-ref href="{oval_href}" name="oval:t:def:1"/>
    </{prefix}:check>
    <{prefix}:check system="http://scap.nist.gov/schema/ocil/2">
      <{prefix}:check-content-ref href="t-ocil.xml" name="ocil:t:questionnaire:1"/>
    </{prefix}:check>
  </{prefix}:Rule>
  {extra_rules}
</{prefix}:Benchmark>"##
        )
    }

    fn cpe_dict(prefix: &str) -> String {
        format!(
            r#"<{prefix}:cpe-list xmlns:{prefix}="http://cpe.mitre.org/dictionary/2.0">
  <{prefix}:cpe-item name="cpe:/a:machine">
    <{prefix}:title>Machine</{prefix}:title>
    <{prefix}:check system="{OVAL_NS}" href="t-cpe-oval.xml">oval:t:def:100</{prefix}:check>
  </{prefix}:cpe-item>
  <{prefix}:cpe-item name="cpe:/o:debian:debian_linux:11"><{prefix}:title>Debian</{prefix}:title></{prefix}:cpe-item>
</{prefix}:cpe-list>"#
        )
    }

    /// A data stream collection with two data streams; prefixes differ from SSG's.
    fn datastream() -> String {
        let extra = r##"<b:Rule id="xccdf_t_rule_2"><b:title>R2</b:title>
    <b:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <b:check-content-ref href="#s_cref_oval" name="oval:t:def:2"/></b:check></b:Rule>
  <b:Rule id="xccdf_t_rule_3"><b:title>R3</b:title>
    <b:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <b:check-content-ref href="missing-oval.xml" name="oval:t:def:3"/></b:check></b:Rule>
  <b:Rule id="xccdf_t_rule_4"><b:title>R4</b:title>
    <b:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <b:check-content-ref href="t-ocil.xml" name="oval:t:def:4"/></b:check></b:Rule>"##;
        format!(
            r##"<?xml version="1.0"?>
<s:data-stream-collection xmlns:s="http://scap.nist.gov/schema/scap/source/1.2"
    xmlns:l="http://www.w3.org/1999/xlink" xmlns:k="urn:oasis:names:tc:entity:xmlns:xml:catalog"
    id="s_collection" schematron-version="1.3">
  <s:data-stream id="s_ds_one" scap-version="1.3" use-case="OTHER">
    <s:dictionaries>
      <s:component-ref id="s_cref_dict" l:href="#s_comp_dict">
        <k:catalog><k:uri name="t-cpe-oval.xml" uri="#s_cref_cpe_oval"/></k:catalog>
      </s:component-ref>
    </s:dictionaries>
    <s:checklists>
      <s:component-ref id="s_cref_xccdf" l:href="#s_comp_xccdf">
        <k:catalog>
          <k:uri name="t-oval.xml" uri="#s_cref_oval"/>
          <k:uri name="t-ocil.xml" uri="#s_cref_ocil"/>
        </k:catalog>
      </s:component-ref>
      <s:component-ref id="s_cref_xccdf2" l:href="#s_comp_xccdf2">
        <k:catalog><k:uri name="other.xml" uri="#s_cref_oval"/></k:catalog>
      </s:component-ref>
    </s:checklists>
    <s:checks>
      <s:component-ref id="s_cref_oval" l:href="#s_comp_oval"/>
      <s:component-ref id="s_cref_ocil" l:href="#s_comp_ocil"/>
      <s:component-ref id="s_cref_cpe_oval" l:href="#s_comp_cpe_oval"/>
    </s:checks>
  </s:data-stream>
  <s:data-stream id="s_ds_two" scap-version="1.2" use-case="OTHER">
    <s:checklists>
      <s:component-ref id="s_cref2_xccdf" l:href="#s_comp_xccdf2">
        <k:catalog><k:uri name="other.xml" uri="#s_cref2_oval"/></k:catalog>
      </s:component-ref>
    </s:checklists>
    <s:checks><s:component-ref id="s_cref2_oval" l:href="#s_comp_cpe_oval"/></s:checks>
  </s:data-stream>
  <s:component id="s_comp_dict" timestamp="2024-01-01T00:00:00">{dict}</s:component>
  <s:component id="s_comp_xccdf" timestamp="2024-01-01T00:00:00">{xccdf}</s:component>
  <s:component id="s_comp_xccdf2" timestamp="2024-01-01T00:00:00">{xccdf2}</s:component>
  <s:component id="s_comp_oval" timestamp="2024-01-01T00:00:00">{oval}</s:component>
  <s:component id="s_comp_cpe_oval" timestamp="2024-01-01T00:00:00">{cpe_oval}</s:component>
  <s:component id="s_comp_ocil" timestamp="2024-01-01T00:00:00">
    <o:ocil xmlns:o="http://scap.nist.gov/schema/ocil/2.0"/>
  </s:component>
</s:data-stream-collection>"##,
            dict = cpe_dict("cd"),
            xccdf = benchmark("xccdf_t_benchmark_one", "b", "t-oval.xml", extra),
            xccdf2 = benchmark("xccdf_t_benchmark_two", "x2", "other.xml", ""),
            oval = oval_doc("od", "oval:t:def:1"),
            cpe_oval = oval_doc("def", "oval:t:def:100"),
        )
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn datastream_hrefs_resolve_through_catalogs() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t-ds.xml", &datastream());
        let c = load(&p, &LoadOptions::default()).unwrap();
        assert_eq!(c.kind, ContentKind::DataStream);
        let b = c.benchmark.as_ref().unwrap();
        assert_eq!(
            b.id, "xccdf_t_benchmark_one",
            "first data stream, first checklist"
        );
        assert_eq!(b.rules.len(), 4);
        assert_eq!(
            c.oval.keys().collect::<Vec<_>>(),
            vec!["t-oval.xml", "#s_cref_oval", "t-cpe-oval.xml"],
            "keys are the hrefs exactly as the benchmark and dictionary write them"
        );
        assert!(Arc::ptr_eq(&c.oval["t-oval.xml"], &c.oval["#s_cref_oval"]));
        assert!(!Arc::ptr_eq(
            &c.oval["t-oval.xml"],
            &c.oval["t-cpe-oval.xml"]
        ));
        assert_eq!(
            c.unresolved.keys().collect::<Vec<_>>(),
            vec!["missing-oval.xml", "t-ocil.xml"],
            "the OCIL href is unresolved only where an OVAL check uses it"
        );
        assert!(c.unresolved["missing-oval.xml"].contains("not in the data stream's catalog"));
        assert!(c.unresolved["t-ocil.xml"].contains("not OVAL definitions"));
        let d = c.cpe_dictionary.as_ref().unwrap();
        assert_eq!(d.items["cpe:/a:machine"].checks[0].1, "t-cpe-oval.xml");
        assert!(c.tailoring.is_none());
        assert!(c.unsupported.is_empty(), "{:?}", c.unsupported);
    }

    #[test]
    fn datastream_and_checklist_selection() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t-ds.xml", &datastream());
        let by_cref = LoadOptions {
            xccdf_id: Some("s_cref_xccdf2".into()),
            ..Default::default()
        };
        let c = load(&p, &by_cref).unwrap();
        assert_eq!(c.benchmark.as_ref().unwrap().id, "xccdf_t_benchmark_two");
        let has = |c: &Content, href: &str, def: &str| c.oval[href].definitions.contains_key(def);
        assert!(
            has(&c, "other.xml", "oval:t:def:1"),
            "catalog of s_cref_xccdf2"
        );
        let by_comp = LoadOptions {
            xccdf_id: Some("s_comp_xccdf2".into()),
            ..Default::default()
        };
        assert_eq!(
            load(&p, &by_comp).unwrap().benchmark.unwrap().id,
            "xccdf_t_benchmark_two"
        );
        // The second data stream maps the same href to a different component.
        let two = LoadOptions {
            datastream_id: Some("s_ds_two".into()),
            ..Default::default()
        };
        let c2 = load(&p, &two).unwrap();
        assert_eq!(c2.benchmark.as_ref().unwrap().id, "xccdf_t_benchmark_two");
        assert!(c2.cpe_dictionary.is_none());
        assert_eq!(c2.oval.keys().collect::<Vec<_>>(), vec!["other.xml"]);
        assert!(
            has(&c2, "other.xml", "oval:t:def:100"),
            "catalog of s_cref2_xccdf"
        );

        let bad = LoadOptions {
            datastream_id: Some("nope".into()),
            ..Default::default()
        };
        let e = load(&p, &bad).unwrap_err().to_string();
        assert!(
            e.contains("no data-stream 'nope' (available: s_ds_one, s_ds_two)"),
            "{e}"
        );
        let bad = LoadOptions {
            xccdf_id: Some("nope".into()),
            ..Default::default()
        };
        let e = load(&p, &bad).unwrap_err().to_string();
        assert!(e.contains("available: s_cref_xccdf, s_cref_xccdf2"), "{e}");
    }

    #[test]
    fn standalone_benchmark_reads_oval_and_cpe_files_beside_it() {
        let dir = tempfile::tempdir().unwrap();
        let extra = r#"<x:Rule id="xccdf_t_rule_2"><x:title>R2</x:title>
    <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <x:check-content-ref href="./t-oval.xml" name="oval:t:def:2"/></x:check>
    <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <x:check-content-ref href="gone-oval.xml" name="oval:t:def:2"/></x:check>
    <x:check system="http://oval.mitre.org/XMLSchema/oval-definitions-5">
      <x:check-content-ref href="https://example.org/o.xml"/></x:check></x:Rule>"#;
        let p = write(
            dir.path(),
            "t-xccdf.xml",
            &benchmark("xccdf_t_benchmark_s", "x", "t-oval.xml", extra),
        );
        write(dir.path(), "t-oval.xml", &oval_doc("o", "oval:t:def:1"));
        write(dir.path(), "t-cpe-dictionary.xml", &cpe_dict("c"));
        write(
            dir.path(),
            "t-cpe-oval.xml",
            &oval_doc("p", "oval:t:def:100"),
        );
        let c = load(&p, &LoadOptions::default()).unwrap();
        assert_eq!(c.kind, ContentKind::Xccdf);
        assert_eq!(c.benchmark.as_ref().unwrap().id, "xccdf_t_benchmark_s");
        assert_eq!(
            c.oval.keys().collect::<Vec<_>>(),
            vec!["t-oval.xml", "./t-oval.xml", "t-cpe-oval.xml"]
        );
        assert!(
            Arc::ptr_eq(&c.oval["t-oval.xml"], &c.oval["./t-oval.xml"]),
            "one file, parsed once"
        );
        assert_eq!(c.cpe_dictionary.as_ref().unwrap().items.len(), 2);
        assert_eq!(
            c.unresolved.keys().collect::<Vec<_>>(),
            vec!["gone-oval.xml", "https://example.org/o.xml"]
        );
        let gone = &c.unresolved["gone-oval.xml"];
        assert!(
            gone.contains("gone-oval.xml") && gone.contains("No such file"),
            "{gone}"
        );

        // Without the dictionary file there is no dictionary, and its OVAL is not read.
        fs::remove_file(dir.path().join("t-cpe-dictionary.xml")).unwrap();
        let c = load(&p, &LoadOptions::default()).unwrap();
        assert!(c.cpe_dictionary.is_none());
        assert!(!c.oval.contains_key("t-cpe-oval.xml"));
    }

    #[test]
    fn standalone_oval_file_is_keyed_by_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "defs.xml", &oval_doc("q", "oval:t:def:7"));
        let c = load(&p, &LoadOptions::default()).unwrap();
        assert_eq!(c.kind, ContentKind::Oval);
        assert!(c.benchmark.is_none());
        assert_eq!(c.oval.keys().collect::<Vec<_>>(), vec!["defs.xml"]);
        assert!(c.oval["defs.xml"].definitions.contains_key("oval:t:def:7"));
    }

    #[test]
    fn sha256_matches_sha256sum() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t-ds.xml", &datastream());
        let c = load(&p, &LoadOptions::default()).unwrap();
        let out = crate::testtool::tool("sha256sum").arg(&p).output().unwrap();
        let expected = String::from_utf8(out.stdout).unwrap();
        assert_eq!(c.sha256, expected.split_whitespace().next().unwrap());
    }

    #[test]
    fn tailoring_is_attached() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "t-ds.xml", &datastream());
        let t = write(
            dir.path(),
            "tailoring.xml",
            r#"<Tailoring xmlns="http://checklists.nist.gov/xccdf/1.2" id="xccdf_t_tailoring_t">
  <benchmark href="t-ds.xml"/>
  <Profile id="xccdf_t_profile_tp" extends="xccdf_t_profile_p"><title>TP</title></Profile>
</Tailoring>"#,
        );
        let opts = LoadOptions {
            tailoring: Some(t.clone()),
            ..Default::default()
        };
        let c = load(&p, &opts).unwrap();
        let tailoring = c.tailoring.unwrap();
        assert_eq!(tailoring.profiles[0].id, "xccdf_t_profile_tp");
        assert_eq!(tailoring.path, t);

        let not_tailoring = LoadOptions {
            tailoring: Some(p.clone()),
            ..Default::default()
        };
        let e = load(&p, &not_tailoring).unwrap_err().to_string();
        assert!(e.contains("expected an XCCDF 1.2 Tailoring"), "{e}");
    }

    #[test]
    fn unknown_or_broken_documents_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "a.xml",
            "<html xmlns=\"http://www.w3.org/1999/xhtml\"/>",
        );
        let e = load(&p, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("not a SCAP source data stream"), "{e}");
        let p = write(
            dir.path(),
            "b.xml",
            r#"<Benchmark xmlns="http://checklists.nist.gov/xccdf/1.1" id="b"/>"#,
        );
        let e = load(&p, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("XCCDF 1.1"), "{e}");
        let p = write(dir.path(), "c.xml", "<a>\n<b></a>");
        let e = load(&p, &LoadOptions::default()).unwrap_err().to_string();
        assert!(e.contains("c.xml:2:"), "{e}");
        let p = write(
            dir.path(),
            "d.xml",
            &datastream().replace("#s_comp_xccdf\"", "#gone\""),
        );
        let e = load(&p, &LoadOptions::default()).unwrap_err().to_string();
        assert!(
            e.contains("component-ref 's_cref_xccdf': no component 'gone'"),
            "{e}"
        );
        let e = load(&dir.path().join("none.xml"), &LoadOptions::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
    }

    const SSG: &str = "/usr/share/xml/scap/ssg/content";

    /// Structural facts about an SSG file, counted on the raw text.
    fn count(text: &str, needle: &str) -> usize {
        text.matches(needle).count()
    }

    fn check_ssg(c: &Content, raw_benchmark: &str, file: &Path) {
        let b = c.benchmark.as_ref().unwrap();
        assert_eq!(b.rules.len(), count(raw_benchmark, "<xccdf-1.2:Rule "));
        assert_eq!(b.rules.len(), 355, "ssg-debian11 has 355 rules");
        assert_eq!(b.groups.len(), count(raw_benchmark, "<xccdf-1.2:Group "));
        assert_eq!(b.values.len(), count(raw_benchmark, "<xccdf-1.2:Value "));
        // Differential: profile ids and titles as oscap lists them.
        let out = crate::testtool::tool("oscap")
            .args(["info", "--profiles"])
            .arg(file)
            .output();
        if let Ok(out) = out {
            assert!(
                out.status.success(),
                "oscap info failed on {}",
                file.display()
            );
            let ours: Vec<String> = b
                .profiles
                .iter()
                .map(|p| format!("{}:{}", p.id, p.title))
                .collect();
            let theirs: Vec<String> = String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(str::to_string)
                .collect();
            assert_eq!(ours, theirs);
        }
        // Every OVAL check of every rule resolves.
        let mut n = 0;
        for r in b.rules.values() {
            for check in &r.checks {
                if let RuleCheck::Check(ch) = check
                    && ch.system == xccdf::ns::OVAL_SYSTEM
                {
                    for cr in &ch.content_refs {
                        assert!(c.oval.contains_key(&cr.href), "{}: {}", r.id, cr.href);
                        n += 1;
                    }
                }
            }
            for p in &r.platforms {
                if let Some(id) = p.strip_prefix('#') {
                    assert!(b.platform_specification.contains_key(id), "{p}");
                }
            }
        }
        assert_eq!(n, count(raw_benchmark, "href=\"ssg-debian11-oval.xml\""));
        assert!(c.unresolved.is_empty(), "{:?}", c.unresolved);
        // CPE: every platform fact names a dictionary item whose OVAL check resolves.
        let d = c.cpe_dictionary.as_ref().expect("cpe dictionary");
        for p in b.platform_specification.values() {
            for name in &p.test.fact_refs {
                let item = d.items.get(name).unwrap_or_else(|| panic!("{name}"));
                for (system, href, _) in &item.checks {
                    assert_eq!(system, xccdf::ns::OVAL_SYSTEM);
                    assert!(c.oval.contains_key(href), "{href}");
                }
            }
        }
        assert!(d.items.contains_key(&b.platforms[0]));
        assert_eq!(
            c.oval.keys().collect::<Vec<_>>(),
            vec!["ssg-debian11-oval.xml", "ssg-debian11-cpe-oval.xml"]
        );
        // requires/conflicts are modelled (oscap enforces them).
        let requires: usize = b.rules.values().map(|r| r.requires.len()).sum::<usize>()
            + b.groups.values().map(|g| g.requires.len()).sum::<usize>();
        let conflicts: usize = b.rules.values().map(|r| r.conflicts.len()).sum::<usize>()
            + b.groups.values().map(|g| g.conflicts.len()).sum::<usize>();
        assert_eq!(requires, count(raw_benchmark, "<xccdf-1.2:requires "));
        assert_eq!(conflicts, count(raw_benchmark, "<xccdf-1.2:conflicts "));
        // Nothing XCCDF-side is unsupported in SSG.
        let doc = xml::parse_str(raw_benchmark, file).unwrap();
        let bench_el = find_benchmark(&doc.root).unwrap();
        let xccdf_unsupported = xccdf::parse::parse_benchmark(bench_el, file).unwrap().1;
        assert!(xccdf_unsupported.is_empty(), "{xccdf_unsupported:?}");
        // The OVAL documents are the real ones: every referenced definition exists.
        for r in b.rules.values() {
            for check in &r.checks {
                if let RuleCheck::Check(ch) = check
                    && ch.system == xccdf::ns::OVAL_SYSTEM
                {
                    for cr in &ch.content_refs {
                        let name = cr.name.as_deref().unwrap();
                        assert!(c.oval[&cr.href].definitions.contains_key(name), "{name}");
                    }
                }
            }
        }
        for item in d.items.values() {
            for (_, href, id) in &item.checks {
                assert!(c.oval[href].definitions.contains_key(id), "{id}");
            }
        }
        let oval_raw =
            fs::read_to_string(Path::new(SSG).join("ssg-debian11-oval.xml")).unwrap_or_default();
        if !oval_raw.is_empty() {
            assert_eq!(
                c.oval["ssg-debian11-oval.xml"].definitions.len(),
                count(&oval_raw, "<oval-def:definition ")
            );
        }
    }

    fn find_benchmark(e: &Element) -> Option<&Element> {
        if e.is(xccdf::ns::XCCDF, "Benchmark") {
            return Some(e);
        }
        e.elements().find_map(find_benchmark)
    }

    #[test]
    fn ssg_debian11_datastream() {
        let p = Path::new(SSG).join("ssg-debian11-ds.xml");
        crate::testtool::require(&p.to_string_lossy());
        let start = std::time::Instant::now();
        let c = load(&p, &LoadOptions::default()).unwrap();
        eprintln!("loaded {} in {:?}", p.display(), start.elapsed());
        assert_eq!(c.kind, ContentKind::DataStream);
        let raw = fs::read_to_string(&p).unwrap();
        check_ssg(&c, &raw, &p);
    }

    #[test]
    fn ssg_debian11_standalone_xccdf() {
        let p = Path::new(SSG).join("ssg-debian11-xccdf.xml");
        crate::testtool::require(&p.to_string_lossy());
        let c = load(&p, &LoadOptions::default()).unwrap();
        assert_eq!(c.kind, ContentKind::Xccdf);
        let raw = fs::read_to_string(&p).unwrap();
        check_ssg(&c, &raw, &p);
    }
}
