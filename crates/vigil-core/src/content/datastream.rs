//! SCAP 1.2/1.3 source data streams (NIST SP 800-126r3 §3): picking the data stream and
//! checklist, and following component-refs and their catalogs to the XCCDF, OVAL and
//! CPE components. [`super::load`] calls in here when the root element is a
//! `ds:data-stream-collection`.
//!
//! In a data stream the benchmark names its OVAL documents by the href it was written
//! with (`ssg-debian11-oval.xml`); the checklist's component-ref carries an XML catalog
//! (OASIS XML Catalogs) mapping that name to `#component-ref-id`, whose `xlink:href`
//! names the `ds:component`. [`Content::oval`] is keyed by the benchmark's href, so the
//! engine looks a check up exactly as it is written. The CPE dictionary works the same
//! way through the catalog of its own component-ref.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use rayon::prelude::*;

use super::loader::{benchmark_oval_hrefs, dictionary_oval_hrefs};
use super::oval::{self, OvalDefinitions, Unsupported};
use super::xccdf::{self, CpeDictionary};
use super::xml::Element;
use super::{Content, ContentError, LoadOptions};

/// Namespace URIs of source data streams and what they carry.
pub mod ns {
    /// Source data stream namespace; SCAP 1.3 keeps it and sets `schematron-version`.
    pub const DS: &str = "http://scap.nist.gov/schema/scap/source/1.2";
    /// XLink: `xlink:href` of a component-ref names its component.
    pub const XLINK: &str = "http://www.w3.org/1999/xlink";
    /// OASIS XML Catalogs: the `cat:catalog` of a component-ref maps hrefs to components.
    pub const CATALOG: &str = "urn:oasis:names:tc:entity:xmlns:xml:catalog";
    /// XCCDF 1.1, recognised only to refuse it with a clear message.
    pub const XCCDF_1_1: &str = "http://checklists.nist.gov/xccdf/1.1";
}
/// One data stream's component-refs and the collection's components, by id.
struct Stream<'a> {
    path: &'a Path,
    crefs: HashMap<&'a str, &'a Element>,
    components: HashMap<&'a str, &'a Element>,
}

impl<'a> Stream<'a> {
    /// Follows a component-ref (`#id` or bare id) to the root element of its component.
    fn component_of_cref(&self, cref_id: &str) -> Result<(&'a str, &'a Element), String> {
        let id = cref_id.strip_prefix('#').unwrap_or(cref_id);
        let cref = self
            .crefs
            .get(id)
            .ok_or_else(|| format!("no component-ref '{id}' in the data stream"))?;
        let target = cref
            .attr_ns(ns::XLINK, "href")
            .ok_or_else(|| format!("component-ref '{id}' has no xlink:href"))?;
        let comp_id = target.strip_prefix('#').ok_or_else(|| {
            format!("component-ref '{id}' points outside the data stream ({target}); not fetched")
        })?;
        let comp = self
            .components
            .get(comp_id)
            .ok_or_else(|| format!("component-ref '{id}': no component '{comp_id}'"))?;
        let root = comp
            .elements()
            .next()
            .ok_or_else(|| format!("component '{comp_id}' is empty"))?;
        Ok((comp_id, root))
    }

    /// Resolves a document href through a component-ref's catalog.
    fn resolve(
        &self,
        href: &str,
        catalogs: &[&HashMap<String, String>],
    ) -> Result<(&'a str, &'a Element), String> {
        if let Some(uri) = catalogs.iter().find_map(|c| c.get(href)) {
            return self.component_of_cref(uri);
        }
        if href.starts_with('#') {
            return self.component_of_cref(href);
        }
        Err(format!(
            "'{href}' is not in the data stream's catalog and no component-ref has that id"
        ))
    }

    fn invalid(&self, el: &Element, message: String) -> ContentError {
        ContentError::invalid(self.path, el.pos, el.label(), message)
    }
}

/// `cat:uri` entries of a component-ref's catalog: name -> uri.
fn catalog(cref: &Element) -> HashMap<String, String> {
    cref.children_named(ns::CATALOG, "catalog")
        .flat_map(|c| c.children_named(ns::CATALOG, "uri"))
        .filter_map(|u| Some((u.attr("name")?.to_string(), u.attr("uri")?.to_string())))
        .collect()
}

/// Reads the data stream collection `root` into `content`: the data stream and
/// checklist `options` select, the benchmark, its OVAL and CPE components through the
/// catalogs, and hrefs that resolve to nothing as [`Content::unresolved`].
pub(super) fn load_datastream(
    root: &Element,
    path: &Path,
    options: &LoadOptions,
    content: &mut Content,
) -> Result<(), ContentError> {
    let doc_err = |message: String| ContentError::Document {
        path: path.to_path_buf(),
        message,
    };
    let streams: Vec<&Element> = root.children_named(ns::DS, "data-stream").collect();
    let stream = match &options.datastream_id {
        Some(id) => streams
            .iter()
            .find(|s| s.attr("id") == Some(id.as_str()))
            .ok_or_else(|| {
                doc_err(format!(
                    "no data-stream '{id}' (available: {})",
                    ids(streams.iter().copied())
                ))
            })?,
        None => streams
            .first()
            .ok_or_else(|| doc_err("the collection holds no data-stream".into()))?,
    };
    let mut components = HashMap::new();
    for c in root
        .elements()
        .filter(|e| e.is(ns::DS, "component") || e.is(ns::DS, "extended-component"))
    {
        let id = c.attr("id").ok_or_else(|| {
            ContentError::invalid(path, c.pos, c.label(), "missing attribute 'id'")
        })?;
        if components.insert(id, c).is_some() {
            return Err(ContentError::invalid(
                path,
                c.pos,
                c.label(),
                format!("duplicate component id '{id}'"),
            ));
        }
    }
    let section = |name: &'static str| -> Vec<&Element> { component_refs(stream, name) };
    let mut crefs = HashMap::new();
    for name in [
        "dictionaries",
        "checklists",
        "checks",
        "extended-components",
    ] {
        for c in section(name) {
            let id = c.attr("id").ok_or_else(|| {
                ContentError::invalid(path, c.pos, c.label(), "missing attribute 'id'")
            })?;
            crefs.insert(id, c);
        }
    }
    let ds = Stream {
        path,
        crefs,
        components,
    };

    let checklists = section("checklists");
    let checklist = match &options.xccdf_id {
        // oscap's --xccdf-id names the component-ref; the component id is accepted too.
        Some(id) => checklists
            .iter()
            .find(|c| {
                c.attr("id") == Some(id.as_str())
                    || c.attr_ns(ns::XLINK, "href")
                        .and_then(|h| h.strip_prefix('#'))
                        == Some(id.as_str())
            })
            .ok_or_else(|| {
                doc_err(format!(
                    "no checklist component-ref '{id}' (available: {})",
                    ids(checklists.iter().copied())
                ))
            })?,
        None => checklists
            .first()
            .ok_or_else(|| doc_err("the data stream has no checklist (XCCDF)".into()))?,
    };
    let cref_id = checklist.attr("id").unwrap_or_default();
    let (_, bench_el) = ds.component_of_cref(cref_id).map_err(doc_err)?;
    if !bench_el.is(xccdf::ns::XCCDF, "Benchmark") {
        return Err(ds.invalid(
            bench_el,
            format!("checklist '{cref_id}' is not an XCCDF 1.2 Benchmark"),
        ));
    }
    let (bench, unsupported) = xccdf::parse::parse_benchmark(bench_el, path)?;
    content.unsupported.extend(unsupported);
    let bench_catalog = catalog(checklist);

    // href -> component id, for every OVAL document the content uses.
    let mut wanted = Wanted::default();
    for href in benchmark_oval_hrefs(&bench) {
        let found = ds.resolve(&href, &[&bench_catalog]);
        wanted.add(href, found, content, path)?;
    }

    let mut dictionary: Option<CpeDictionary> = None;
    for dref in section("dictionaries") {
        let dref_id = dref.attr("id").unwrap_or_default();
        let (_, dict_el) = ds.component_of_cref(dref_id).map_err(doc_err)?;
        if !dict_el.is(xccdf::ns::CPE_DICT, "cpe-list") {
            content.unsupported.push(Unsupported {
                path: path.to_path_buf(),
                pos: dict_el.pos,
                element: dict_el.label(),
                message: format!(
                    "dictionary '{dref_id}' is {{{}}}{}, not a CPE 2.x dictionary",
                    dict_el.ns, dict_el.name
                ),
            });
            continue;
        }
        let dict = xccdf::parse::parse_cpe_dictionary(dict_el, path)?;
        let dict_catalog = catalog(dref);
        for href in dictionary_oval_hrefs(&dict) {
            let found = ds.resolve(&href, &[&dict_catalog, &bench_catalog]);
            wanted.add(href, found, content, path)?;
        }
        match &mut dictionary {
            None => dictionary = Some(dict),
            // Several dictionaries: the first definition of a name wins.
            Some(d) => {
                for (name, item) in dict.items {
                    d.items.entry(name).or_insert(item);
                }
            }
        }
    }

    let parsed = parse_oval_roots(wanted.roots.into_iter().collect(), path)?;
    for (href, comp_id) in wanted.hrefs {
        let (defs, _) = &parsed[comp_id];
        content.oval.insert(href, defs.clone());
    }
    for (_, (_, unsupported)) in parsed {
        content.unsupported.extend(unsupported);
    }
    content.benchmark = Some(bench);
    content.cpe_dictionary = dictionary;
    Ok(())
}

/// OVAL documents a data stream's content uses: href -> component id, and the root
/// element of each distinct component (parsed once however many hrefs name it).
#[derive(Default)]
struct Wanted<'a> {
    hrefs: IndexMap<String, &'a str>,
    roots: IndexMap<&'a str, &'a Element>,
}

impl<'a> Wanted<'a> {
    fn add(
        &mut self,
        href: String,
        found: Result<(&'a str, &'a Element), String>,
        content: &mut Content,
        path: &Path,
    ) -> Result<(), ContentError> {
        let (comp_id, el) = match found {
            Ok(f) => f,
            Err(message) => {
                content.unresolved.insert(href, message);
                return Ok(());
            }
        };
        if let Some(prev) = self.hrefs.get(&href)
            && *prev != comp_id
        {
            return Err(ContentError::Document {
                path: path.to_path_buf(),
                message: format!(
                    "href '{href}' resolves to two components: '{prev}' and '{comp_id}'"
                ),
            });
        }
        if !el.is(oval::ns::DEFINITIONS, "oval_definitions") {
            let message = format!(
                "component '{comp_id}' holds {{{}}}{}, not OVAL definitions",
                el.ns, el.name
            );
            content.unresolved.insert(href, message);
            return Ok(());
        }
        self.hrefs.insert(href, comp_id);
        self.roots.insert(comp_id, el);
        Ok(())
    }
}

type Parsed<K> = HashMap<K, (Arc<OvalDefinitions>, Vec<Unsupported>)>;

/// Parses distinct OVAL documents in parallel.
fn parse_oval_roots<'a>(
    roots: Vec<(&'a str, &'a Element)>,
    path: &Path,
) -> Result<Parsed<&'a str>, ContentError> {
    roots
        .into_par_iter()
        .map(|(id, el)| {
            let (defs, unsupported) = oval::parse::parse_definitions(el, path)?;
            Ok((id, (Arc::new(defs), unsupported)))
        })
        .collect()
}

/// The component-refs of one section (`checklists`, `checks`, ...) of a data stream.
fn component_refs<'a>(stream: &'a Element, section: &'static str) -> Vec<&'a Element> {
    stream
        .children_named(ns::DS, section)
        .flat_map(|s| s.children_named(ns::DS, "component-ref"))
        .collect()
}

fn ids<'a>(els: impl Iterator<Item = &'a Element>) -> String {
    els.filter_map(|e| e.attr("id"))
        .collect::<Vec<_>>()
        .join(", ")
}
