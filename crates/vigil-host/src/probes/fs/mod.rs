//! The OVAL file-system probes: unix `file_object`, `symlink_object` and
//! `fileextendedattribute_object`, independent `textfilecontent54_object`,
//! `filehash58_object`, `xmlfilecontent_object`, OpenSCAP's `yamlfilecontent_object`
//! and the deprecated `textfilecontent_object` and `filehash_object` (OVAL 5.11 unix
//! and independent definitions schemas, FileBehaviors).
//!
//! One [`FsProbe`] serves all nine kinds so that a batch ([`Probe::collect_many`]) of
//! every file-system object of a scan is collected together:
//!
//! - `equals` paths (`filepath`, or `path` + `filename`/xsi:nil without recursion) are
//!   looked up directly, without listing any directory;
//! - everything else becomes [`walk::Visitor`]s, and one shared parallel walk serves
//!   all of them (see [`walk`]): each directory is listed once, each entry `lstat`ed
//!   once, whatever number of objects look at it;
//! - file content is read at most once per batch ([`content::ContentCache`]), however
//!   many textfilecontent(54) / filehash(58) / xml- and yamlfilecontent objects want it;
//! - items the engine's filters would drop are dropped as they are produced
//!   ([`Context::keep`]), so a walk of `/` keeps only what the object's filters keep.
//!
//! Paths are mapped with [`Host::path`](crate::host::Host::path), opened and `stat`ed
//! only through the [`Host`](crate::host::Host) (within the root's descriptor when
//! offline), and reported as host paths; links resolve inside the host root.

mod content;
mod file;
mod fileextendedattribute;
mod filehash;
mod filehash58;
mod matcher;
mod symlink;
mod textfilecontent;
mod textfilecontent54;
mod walk;
mod xmlfilecontent;
mod yamlfilecontent;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::probes::{
    Collected, Context, Flag, Full, Item, ItemSink, ItemStatus, ObjectQuery, Probe, QueryEntity,
    Registry,
};
use matcher::Matcher;
use vigil_core::content::oval::{Family, Operation};
use walk::{FsScope, Hit, Scope, Visitor, Want};

/// Content read within one batch is kept up to this many bytes.
const CACHE_BUDGET: u64 = 64 * 1024 * 1024;

/// Walk errors kept per object.
const MAX_MESSAGES: usize = 20;

const KINDS: &[&str] = &[
    "file_object",
    "symlink_object",
    "textfilecontent54_object",
    "filehash58_object",
    "xmlfilecontent_object",
    "textfilecontent_object",
    "filehash_object",
    "fileextendedattribute_object",
    "yamlfilecontent_object",
];

/// The file-system probe (all nine kinds).
pub struct FsProbe;

/// Registers [`FsProbe`] for the unix and independent families.
pub fn register(r: &mut Registry) {
    let p: Arc<dyn Probe<Context>> = Arc::new(FsProbe);
    r.register(Family::Unix, p.clone());
    r.register(Family::Independent, p);
}

impl Probe<Context> for FsProbe {
    fn kinds(&self) -> &'static [&'static str] {
        KINDS
    }

    fn collect(&self, query: &ObjectQuery, ctx: &Context) -> Collected {
        collect_batch(&[query], ctx)
            .pop()
            .unwrap_or_else(|| Collected::error("no result"))
    }

    /// One walk of each file system serves every file object of the batch.
    fn collect_many(&self, queries: &[&ObjectQuery], ctx: &Context) -> Option<Vec<Collected>> {
        Some(collect_batch(queries, ctx))
    }
}

enum Kind {
    File,
    Symlink,
    Text(textfilecontent54::Params),
    Hash(Vec<&'static str>),
    Xml(Vec<(String, Result<xmlfilecontent::XPath, String>)>),
    Yaml(Vec<(String, Result<yamlfilecontent::YamlPath, String>)>),
    Line(Vec<textfilecontent::Params>),
    LegacyHash,
    Xattr(Matcher),
}

struct Plan {
    kind: Kind,
    /// Host paths to `lstat` directly; `true`: a directory item (`filename` nil).
    lookups: Vec<(PathBuf, bool)>,
    visitors: Vec<Visitor>,
}

struct Acc {
    /// The object's items, counted against the limits as they are produced.
    sink: ItemSink,
    errors: Vec<String>,
}

struct Behaviors {
    max_depth: i64,
    follow_dirs: bool,
    follow_links: bool,
    direction: String,
    fs: FsScope,
}

fn behaviors(q: &ObjectQuery) -> Result<Behaviors, String> {
    let max_depth = match q.behavior("max_depth") {
        None => -1,
        Some(s) => s
            .trim()
            .parse::<i64>()
            .map_err(|_| format!("behavior max_depth='{s}' is not an integer"))?,
    };
    let (follow_dirs, follow_links) =
        match q.behavior("recurse").unwrap_or("symlinks and directories") {
            "directories" => (true, false),
            "symlinks" => (false, true),
            "symlinks and directories" => (true, true),
            o => return Err(format!("behavior recurse='{o}' is not valid")),
        };
    let direction = q
        .behavior("recurse_direction")
        .unwrap_or("none")
        .to_string();
    if !matches!(direction.as_str(), "none" | "down" | "up") {
        return Err(format!(
            "behavior recurse_direction='{direction}' is not valid"
        ));
    }
    let fs = match q.behavior("recurse_file_system").unwrap_or("all") {
        "all" => FsScope::All,
        "local" => FsScope::Local,
        "defined" => FsScope::Defined,
        o => return Err(format!("behavior recurse_file_system='{o}' is not valid")),
    };
    Ok(Behaviors {
        max_depth,
        follow_dirs,
        follow_links,
        direction,
        fs,
    })
}

fn flag(q: &ObjectQuery, name: &str, default: bool) -> Result<bool, String> {
    match q.behavior(name) {
        None => Ok(default),
        Some("true" | "1") => Ok(true),
        Some("false" | "0") => Ok(false),
        Some(o) => Err(format!("behavior {name}='{o}' is not a boolean")),
    }
}

/// The same entity restricted to one of its values (one walk start per value).
fn single(e: &QueryEntity, v: &str) -> QueryEntity {
    QueryEntity {
        values: vec![v.to_string()],
        ..e.clone()
    }
}

fn plan(q: &ObjectQuery) -> Result<Plan, String> {
    let family_ok = match q.kind.as_str() {
        "file_object" | "symlink_object" | "fileextendedattribute_object" => {
            q.family == Family::Unix
        }
        _ => q.family == Family::Independent,
    };
    if !family_ok || !KINDS.contains(&q.kind.as_str()) {
        return Err(format!(
            "{} {} is not a file-system object vigil collects",
            q.family.name(),
            q.kind
        ));
    }
    let b = behaviors(q)?;
    let kind = match q.kind.as_str() {
        "file_object" => Kind::File,
        "symlink_object" => Kind::Symlink,
        "textfilecontent54_object" => {
            let pat = q
                .entity("pattern")
                .ok_or("textfilecontent54_object without a pattern entity")?;
            if pat.operation != Operation::PatternMatch {
                return Err(format!(
                    "textfilecontent54 pattern with operation '{}': only 'pattern match' is meaningful",
                    pat.operation
                ));
            }
            let (ml, sl, ic) = (
                flag(q, "multiline", true)?,
                flag(q, "singleline", false)?,
                flag(q, "ignore_case", false)?,
            );
            Kind::Text(textfilecontent54::Params {
                patterns: pat
                    .values
                    .iter()
                    .map(|v| matcher::compile(v, ml, sl, ic).map(|r| (v.clone(), r)))
                    .collect::<Result<_, _>>()?,
                instance: q.entity("instance").map(Matcher::new).transpose()?,
            })
        }
        "textfilecontent_object" => {
            let line = q
                .entity("line")
                .ok_or("textfilecontent_object without a line entity")?;
            Kind::Line(
                line.values
                    .iter()
                    .map(|v| {
                        matcher::compile(v, false, false, false).map(|r| textfilecontent::Params {
                            pattern: (v.clone(), r),
                        })
                    })
                    .collect::<Result<_, _>>()?,
            )
        }
        "filehash_object" => Kind::LegacyHash,
        "yamlfilecontent_object" => {
            if q.entity("content").is_some() {
                return Err(
                    "yamlfilecontent_object with a content entity: only files are read".into(),
                );
            }
            let yp = q
                .entity("yamlpath")
                .ok_or("yamlfilecontent_object without a yamlpath entity")?;
            if yp.operation != Operation::Equals {
                return Err(format!(
                    "yamlpath with operation '{}': only 'equals' is meaningful",
                    yp.operation
                ));
            }
            Kind::Yaml(
                yp.values
                    .iter()
                    .map(|v| (v.clone(), yamlfilecontent::YamlPath::parse(v)))
                    .collect(),
            )
        }
        "fileextendedattribute_object" => Kind::Xattr(Matcher::new(
            q.entity("attribute_name")
                .ok_or("fileextendedattribute_object without an attribute_name entity")?,
        )?),
        "filehash58_object" => {
            let ht = q
                .entity("hash_type")
                .ok_or("filehash58_object without a hash_type entity")?;
            let m = Matcher::new(ht)?;
            let mut types = Vec::new();
            for t in filehash58::HASH_TYPES {
                if m.matches(t)? {
                    types.push(*t);
                }
            }
            Kind::Hash(types)
        }
        _ => {
            let xp = q
                .entity("xpath")
                .ok_or("xmlfilecontent_object without an xpath entity")?;
            if xp.operation != Operation::Equals {
                return Err(format!(
                    "xpath with operation '{}': only 'equals' is meaningful",
                    xp.operation
                ));
            }
            Kind::Xml(
                xp.values
                    .iter()
                    .map(|v| (v.clone(), xmlfilecontent::XPath::parse(v)))
                    .collect(),
            )
        }
    };
    let mut p = Plan {
        kind,
        lookups: Vec::new(),
        visitors: Vec::new(),
    };
    let visitor = |start: &str, scope: Scope, want: Want, max_depth: i64| Visitor {
        start: walk::normalize(Path::new(start)),
        scope,
        want,
        max_depth,
        follow_dirs: b.follow_dirs,
        follow_links: b.follow_links,
        fs: b.fs,
    };

    if let Some(fp) = q.entity("filepath") {
        if fp.nil {
            return Err("filepath must not be nil".into());
        }
        if let Some(vals) = fp.exact_values() {
            p.lookups
                .extend(vals.iter().map(|v| (walk::normalize(Path::new(v)), false)));
        } else if fp.operation == Operation::PatternMatch {
            for v in &fp.values {
                let m = Matcher::new(&single(fp, v))?;
                p.visitors.push(visitor(
                    &matcher::literal_dir_prefix(v),
                    Scope::FilepathSearch(m),
                    Want::Filepath,
                    -1,
                ));
            }
        } else {
            p.visitors.push(visitor(
                "/",
                Scope::FilepathSearch(Matcher::new(fp)?),
                Want::Filepath,
                -1,
            ));
        }
        return Ok(p);
    }
    if matches!(p.kind, Kind::Symlink) {
        return Err("symlink_object needs a filepath entity".into());
    }
    let path = q
        .entity("path")
        .ok_or("object needs a filepath entity, or path and filename")?;
    let filename = q
        .entity("filename")
        .ok_or("object with a path entity needs a filename entity")?;
    if path.nil {
        return Err("path must not be nil".into());
    }
    let want = || -> Result<Want, String> {
        Ok(if filename.nil {
            Want::Dir
        } else {
            Want::Entries(Matcher::new(filename)?)
        })
    };
    if let Some(paths) = path.exact_values() {
        for pv in paths {
            match b.direction.as_str() {
                "none" if filename.nil => p.lookups.push((walk::normalize(Path::new(pv)), true)),
                "none" => match filename.exact_values() {
                    Some(names) => p.lookups.extend(
                        names
                            .iter()
                            .filter(|n| !n.contains('/'))
                            .map(|n| (walk::normalize(&Path::new(pv).join(n)), false)),
                    ),
                    None => p.visitors.push(visitor(pv, Scope::Tree, want()?, 0)),
                },
                "down" => p
                    .visitors
                    .push(visitor(pv, Scope::Tree, want()?, b.max_depth)),
                _ => {
                    // Up: the directory, its parent, ... `max_depth` levels up.
                    let mut dir = Some(walk::normalize(Path::new(pv)));
                    let mut level = 0;
                    while let Some(d) = dir {
                        if b.max_depth >= 0 && level > b.max_depth {
                            break;
                        }
                        p.visitors
                            .push(visitor(&d.to_string_lossy(), Scope::Tree, want()?, 0));
                        dir = d.parent().map(Path::to_path_buf);
                        level += 1;
                    }
                }
            }
        }
    } else {
        let depth = match b.direction.as_str() {
            "none" => 0,
            "down" => b.max_depth,
            _ => return Err(
                "recurse_direction 'up' with a path that is not 'equals' is not supported by vigil"
                    .into(),
            ),
        };
        if path.operation == Operation::PatternMatch {
            for v in &path.values {
                let m = Matcher::new(&single(path, v))?;
                p.visitors.push(visitor(
                    &matcher::literal_dir_prefix(v),
                    Scope::PathSearch(m),
                    want()?,
                    depth,
                ));
            }
        } else {
            p.visitors.push(visitor(
                "/",
                Scope::PathSearch(Matcher::new(path)?),
                want()?,
                depth,
            ));
        }
    }
    Ok(p)
}

/// Collects a batch of file-system objects with one shared walk; results in query order.
pub fn collect_batch(queries: &[&ObjectQuery], ctx: &Context) -> Vec<Collected> {
    let plans: Vec<Result<Plan, String>> = queries.par_iter().map(|q| plan(q)).collect();
    let deadline = ctx.deadline();
    let accs: Vec<Mutex<Acc>> = queries
        .iter()
        .map(|_| {
            Mutex::new(Acc {
                sink: ctx.sink(deadline.clone()),
                errors: Vec::new(),
            })
        })
        .collect();
    let cache = content::ContentCache::new(ctx.max_file_size, CACHE_BUDGET, deadline.clone());

    // Every visitor of every plan, remembering its query.
    let mut visitors = Vec::new();
    let mut owner = Vec::new();
    let mut lookups = Vec::new();
    let mut plans_ok: Vec<Option<Plan>> = Vec::with_capacity(plans.len());
    for (qi, p) in plans.into_iter().enumerate() {
        match p {
            Ok(mut p) => {
                for v in p.visitors.drain(..) {
                    visitors.push(v);
                    owner.push(qi);
                }
                lookups.extend(p.lookups.drain(..).map(|l| (qi, l)));
                plans_ok.push(Some(p));
            }
            Err(e) => {
                lock(&accs[qi]).errors.push(e);
                plans_ok.push(None);
            }
        }
    }
    let handler = Handler {
        masks: queries
            .iter()
            .map(|q| {
                q.item_filter
                    .as_ref()
                    .and_then(|f| f.fields())
                    .map(file::FieldMask::of)
            })
            .collect(),
        ctx,
        queries,
        plans: &plans_ok,
        accs: &accs,
        cache: &cache,
    };

    let started = std::time::Instant::now();
    let stats = walk::walk(
        &ctx.host,
        &visitors,
        &|hit: &Hit, vs: &[u32]| {
            let mut qs: Vec<usize> = vs.iter().map(|&v| owner[v as usize]).collect();
            qs.sort_unstable();
            qs.dedup();
            handler.hit(hit, &qs, false);
        },
        &|v, e| {
            let mut acc = lock(&accs[owner[v as usize]]);
            // One unreadable subtree can fail thousands of times; keep a sample.
            if acc.errors.len() < MAX_MESSAGES {
                acc.errors.push(e);
            } else if acc.errors.len() == MAX_MESSAGES {
                acc.errors.push("further errors not shown".into());
            }
        },
        &deadline,
    );
    if vigil_core::trace::enabled() {
        eprintln!(
            "vigil trace: {:>8.1} ms  file-system walk: {} visitors ({} objects), {} directories listed, {} entries, {} stat calls",
            started.elapsed().as_secs_f64() * 1e3,
            visitors.len(),
            queries.len(),
            stats.dirs,
            stats.entries,
            stats.stats
        );
    }
    lookups
        .par_iter()
        .for_each(|(qi, (host_path, dir_item))| handler.lookup(*qi, host_path, *dir_item));

    accs.into_iter()
        .zip(plans_ok.iter())
        .map(|(acc, plan)| {
            let Acc { sink, errors } = acc.into_inner().unwrap_or_else(|e| e.into_inner());
            if plan.is_none() {
                return Collected::error(errors.join("; "));
            }
            let (mut items, stopped) = sink.into_parts();
            items.sort_by_cached_key(item_key);
            items.dedup();
            let mut c = Collected::from_items(items);
            // A limit, or the deadline met in the walk: what was found before is kept as
            // evidence, but the object is an error, its items not known to be complete.
            if let Some(m) = stopped.or_else(|| deadline.was_hit().then(|| deadline.message())) {
                c.flag = Flag::Error;
                c.messages = vec![m];
                c.messages.extend(errors);
                return c;
            }
            if !errors.is_empty() && c.flag != Flag::Error {
                c.flag = if c.items.is_empty() {
                    Flag::Error
                } else {
                    Flag::Incomplete
                };
            }
            c.messages = errors;
            c
        })
        .collect()
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn item_key(i: &Item) -> (String, String, u64) {
    let path = match i.first("filepath") {
        Some(p) => p.to_string(),
        None => format!("{}/", i.first("path").unwrap_or_default()),
    };
    let sub = i
        .first("pattern")
        .or_else(|| i.first("hash_type"))
        .or_else(|| i.first("xpath"))
        .or_else(|| i.first("yamlpath"))
        .unwrap_or_default()
        .to_string();
    let inst = i
        .first("instance")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (path, sub, inst)
}

/// Runs `f` on this thread's partial item for `mask` (kept between entries so that
/// refilling it allocates nothing).
fn with_partial<R>(mask: file::FieldMask, f: impl FnOnce(&mut Item) -> R) -> R {
    thread_local! {
        static PARTIAL: std::cell::RefCell<Vec<(file::FieldMask, Item)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    PARTIAL.with(|p| {
        let Ok(mut p) = p.try_borrow_mut() else {
            return f(&mut Item::new());
        };
        let i = match p.iter().position(|(m, _)| *m == mask) {
            Some(i) => i,
            None => {
                p.push((mask, Item::new()));
                p.len() - 1
            }
        };
        f(&mut p[i].1)
    })
}

struct Handler<'a> {
    /// Per query: the file_item fields its pushed-down filter reads, when it says.
    masks: Vec<Option<file::FieldMask>>,
    ctx: &'a Context,
    queries: &'a [&'a ObjectQuery],
    plans: &'a [Option<Plan>],
    accs: &'a [Mutex<Acc>],
    cache: &'a content::ContentCache,
}

impl Handler<'_> {
    /// Adds one item to query `qi` if its filters keep it; [`Full`] once the object
    /// passed a limit, so the caller stops producing for it.
    fn emit(&self, qi: usize, item: Item) -> Result<(), Full> {
        if !self.queries[qi].keep(&item) {
            return Ok(());
        }
        lock(&self.accs[qi]).sink.push(item)
    }

    fn lookup(&self, qi: usize, host_path: &Path, dir_item: bool) {
        let real = match self.ctx.host.real_nofollow(host_path) {
            Ok(r) => r,
            Err(e) if is_missing(&e) => return,
            Err(e) => {
                return lock(&self.accs[qi])
                    .errors
                    .push(format!("cannot resolve {}: {e}", host_path.display()));
            }
        };
        let md = match self.ctx.host.lstat(&real) {
            Ok(md) => walk::Stat::from_metadata(&md),
            Err(e) if is_missing(&e) => return,
            Err(e) => {
                return lock(&self.accs[qi])
                    .errors
                    .push(format!("cannot stat {}: {e}", host_path.display()));
            }
        };
        let (dir, name) = match (dir_item, host_path.parent(), host_path.file_name()) {
            (false, Some(d), Some(n)) => (d, Some(n)),
            _ => (host_path, None),
        };
        // The real path's own name is the entry's name (the directory part resolved).
        let real_dir = match name {
            Some(_) => real.parent().unwrap_or(&real),
            None => &real,
        };
        self.hit(
            &Hit {
                dir,
                name,
                real_dir,
                meta: &md,
            },
            &[qi],
            true,
        );
    }

    /// Items for one directory or entry, for every query it matched. Content is read
    /// once for all of them.
    fn hit(&self, hit: &Hit, qs: &[usize], direct: bool) {
        let host_path = std::cell::OnceCell::new();
        let host_path = || {
            host_path.get_or_init(|| match hit.name {
                Some(n) => hit.dir.join(n),
                None => hit.dir.to_path_buf(),
            })
        };
        let real = || hit.real();
        let mut content: Option<Result<content::Content, String>> = None;
        // Built once (one ACL lookup) however many file_objects share the entry.
        let mut file_item: Option<Item> = None;
        for &qi in qs {
            let Some(plan) = &self.plans[qi] else {
                continue;
            };
            if lock(&self.accs[qi]).sink.is_full() {
                continue;
            }
            let emit = &mut |item: Item| self.emit(qi, item);
            // `Full` only ends this object's loop; the limit is reported at the end.
            let _ = match &plan.kind {
                Kind::File => {
                    // Most entries of a walk are dropped by the filters: decide on the
                    // few fields they read before building the whole item.
                    if let Some(f) = &self.queries[qi].item_filter
                        && let Some(mask) = self.masks[qi]
                        && file_item.is_none()
                        && !with_partial(mask, |part| {
                            file::fill_file_item(
                                &self.ctx.host,
                                part,
                                mask,
                                hit.dir,
                                hit.name,
                                &real,
                                hit.meta,
                            );
                            f.keep(part)
                        })
                    {
                        continue;
                    }
                    emit(
                        file_item
                            .get_or_insert_with(|| {
                                file::file_item(&self.ctx.host, hit.dir, hit.name, &real, hit.meta)
                            })
                            .clone(),
                    )
                }
                // A directory is an item only as a `path` with `filename` nil: oscap's
                // walk gives no directory for a filename.
                Kind::Xattr(_) if hit.name.is_some() && hit.meta.is_dir() => continue,
                Kind::Xattr(m) => {
                    fileextendedattribute::items(&self.ctx.host, hit.dir, hit.name, &real(), m)
                        .into_iter()
                        .try_for_each(&mut *emit)
                }
                Kind::Symlink => {
                    if hit.meta.is_symlink() {
                        emit(symlink::item(&self.ctx.host, host_path()))
                    } else {
                        Ok(())
                    }
                }
                Kind::Text(_)
                | Kind::Hash(_)
                | Kind::Xml(_)
                | Kind::Yaml(_)
                | Kind::Line(_)
                | Kind::LegacyHash => {
                    let Some(name) = hit.name else { continue };
                    let c = content.get_or_insert_with(|| self.read(hit, host_path(), direct));
                    match c {
                        Err(skip) if skip.is_empty() => continue,
                        // The deprecated textfilecontent skips what is not a regular
                        // file even when named directly, as oscap does.
                        Err(_) if matches!(plan.kind, Kind::Line(_)) => continue,
                        Err(e) => emit(error_item(hit.dir, name, e.clone())),
                        Ok(c) => match c.as_ref() {
                            Err(e) => emit(error_item(
                                hit.dir,
                                name,
                                format!("{}: {e}", host_path().display()),
                            )),
                            Ok(bytes) => match &plan.kind {
                                Kind::Text(p) => {
                                    match textfilecontent54::items(hit.dir, name, bytes, p, emit) {
                                        Ok(r) => r,
                                        Err(e) => emit(error_item(hit.dir, name, e)),
                                    }
                                }
                                // At most six hashes, and one item per XPath.
                                Kind::Hash(types) => filehash58::items(hit.dir, name, bytes, types)
                                    .into_iter()
                                    .try_for_each(&mut *emit),
                                Kind::Xml(x) => xmlfilecontent::items(hit.dir, name, bytes, x)
                                    .into_iter()
                                    .try_for_each(&mut *emit),
                                Kind::Yaml(y) => yamlfilecontent::items(hit.dir, name, bytes, y)
                                    .into_iter()
                                    .try_for_each(&mut *emit),
                                Kind::Line(ps) => {
                                    let mut r = Ok(());
                                    for p in ps {
                                        r = match textfilecontent::items(
                                            hit.dir, name, bytes, p, emit,
                                        ) {
                                            Ok(r) => r,
                                            Err(e) => emit(error_item(hit.dir, name, e)),
                                        };
                                        if r.is_err() {
                                            break;
                                        }
                                    }
                                    r
                                }
                                Kind::LegacyHash => emit(filehash::item(hit.dir, name, bytes)),
                                _ => Ok(()),
                            },
                        },
                    }
                }
            };
        }
    }

    /// The content of a hit. `Err("")`: not a file to read (directories, dangling links,
    /// and special files met while walking), no item.
    fn read(&self, hit: &Hit, host_path: &Path, direct: bool) -> Result<content::Content, String> {
        let md = hit.meta;
        if md.is_dir() {
            return Err(String::new());
        }
        let real = if md.is_symlink() {
            let Ok(real) = self.ctx.host.real_follow(host_path) else {
                return Err(String::new());
            };
            match self.ctx.host.stat(&real) {
                Ok(md) if md.is_file() => real,
                Ok(md) if md.is_dir() => return Err(String::new()),
                Ok(md) if direct => {
                    return Err(format!(
                        "{} is a {}, not a regular file: not read",
                        host_path.display(),
                        file::type_name(std::os::unix::fs::MetadataExt::mode(&md))
                    ));
                }
                _ => return Err(String::new()),
            }
        } else if md.is_file() {
            hit.real()
        } else if direct {
            return Err(format!(
                "{} is a {}, not a regular file: not read",
                host_path.display(),
                file::type_name(md.mode)
            ));
        } else {
            return Err(String::new());
        };
        Ok(self.cache.get(&self.ctx.host, &real))
    }
}

fn is_missing(e: &std::io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ENOENT) | Some(libc::ENOTDIR))
}

fn error_item(dir: &Path, name: &OsStr, message: String) -> Item {
    let mut i = Item::with_status(ItemStatus::Error, message);
    file::push_location(&mut i, dir, Some(name));
    i
}

#[cfg(test)]
mod tests;
