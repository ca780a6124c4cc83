//! Times vigil's shared file-system walk (used by benches/fswalk.sh).
//!
//! `fswalk [--ssg] [ROOT]`: walks ROOT (default `/`, staying on its device like
//! `find -xdev`) with one file_object for every non-directory entry and one for every
//! directory, counting the items through a pushed-down filter that keeps none (so the
//! measure is walk + lstat + item construction, not memory). With `--ssg`, the batch is
//! the shape of the SSG debian11 file objects instead: world-writable files, set-id
//! files, world-writable directories, all over `/` (local file systems), plus
//! textfilecontent54 objects on /etc, all in one batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use std::collections::HashMap;
use vigil_core::content::oval::{Check, Datatype, Family, Operation};
use vigil_host::Host;
use vigil_host::probes::fs::FsProbe;
use vigil_host::probes::{
    Context, Item, ItemFilter, ItemPredicate, ObjectQuery, Probe, QueryEntity,
};

fn ent(name: &str, op: Operation, v: Option<&str>) -> QueryEntity {
    QueryEntity {
        name: name.into(),
        datatype: Datatype::String,
        operation: op,
        values: v.map(|s| vec![s.to_string()]).unwrap_or_default(),
        nil: v.is_none(),
        var_check: Check::All,
        from_variable: false,
    }
}

fn q(id: &str, kind: &str, fs: &str, entities: Vec<QueryEntity>) -> ObjectQuery {
    let family = if kind == "file_object" {
        Family::Unix
    } else {
        Family::Independent
    };
    let mut behaviors = std::collections::BTreeMap::new();
    if kind == "file_object" {
        for (k, v) in [
            ("recurse_direction", "down"),
            ("recurse", "directories"),
            ("max_depth", "-1"),
            ("recurse_file_system", fs),
        ] {
            behaviors.insert(k.to_string(), v.to_string());
        }
    }
    ObjectQuery {
        object_id: id.into(),
        family,
        kind: kind.into(),
        behaviors,
        item_filter: None,
        entities,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ssg = args.iter().any(|a| a == "--ssg");
    let root = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .cloned()
        .unwrap_or_else(|| "/".into());
    let ctx = Context::new(Arc::new(Host::live()));
    let mut filters: HashMap<String, ItemPredicate> = HashMap::new();
    let counted = Arc::new(AtomicUsize::new(0));
    let mut queries = Vec::new();
    if !ssg {
        queries.push(q(
            "files",
            "file_object",
            "defined",
            vec![
                ent("path", Operation::Equals, Some(&root)),
                ent("filename", Operation::PatternMatch, Some(".")),
            ],
        ));
        queries.push(q(
            "dirs",
            "file_object",
            "defined",
            vec![
                ent("path", Operation::Equals, Some(&root)),
                ent("filename", Operation::Equals, None),
            ],
        ));
        for id in ["files", "dirs"] {
            let c = counted.clone();
            filters.insert(
                id.into(),
                Arc::new(move |_: &Item| {
                    c.fetch_add(1, Ordering::Relaxed);
                    false
                }),
            );
        }
    } else {
        let t = |i: &Item, f: &str| i.first(f) == Some("true");
        queries.push(q(
            "world_writable",
            "file_object",
            "local",
            vec![
                ent("path", Operation::Equals, Some(&root)),
                ent("filename", Operation::PatternMatch, Some("^.*$")),
            ],
        ));
        filters.insert(
            "world_writable".into(),
            Arc::new(move |i: &Item| t(i, "owrite") && i.first("type") == Some("regular")),
        );
        queries.push(q(
            "setid",
            "file_object",
            "local",
            vec![
                ent("path", Operation::Equals, Some(&root)),
                ent("filename", Operation::PatternMatch, Some("[a-z]+")),
            ],
        ));
        filters.insert(
            "setid".into(),
            Arc::new(move |i: &Item| t(i, "suid") || t(i, "sgid")),
        );
        queries.push(q(
            "ww_dirs",
            "file_object",
            "local",
            vec![
                ent("path", Operation::Equals, Some(&root)),
                ent("filename", Operation::Equals, None),
            ],
        ));
        filters.insert(
            "ww_dirs".into(),
            Arc::new(move |i: &Item| t(i, "owrite") && !t(i, "sticky")),
        );
        for (n, pat) in [
            "^\\s*PermitRootLogin",
            "^\\s*Defaults\\s+use_pty",
            "^deb\\s",
            "^\\s*-a\\s+always,exit",
        ]
        .iter()
        .enumerate()
        {
            queries.push(q(
                &format!("tfc{n}"),
                "textfilecontent54_object",
                "all",
                vec![
                    ent("filepath", Operation::PatternMatch, Some("^/etc/.*")),
                    ent("pattern", Operation::PatternMatch, Some(pat)),
                ],
            ));
        }
    }
    for q in &mut queries {
        // As the engine pushes them down: with the fields the filter states read.
        let fields = match q.object_id.as_str() {
            "world_writable" => vec!["owrite", "type"],
            "setid" => vec!["suid", "sgid"],
            "ww_dirs" => vec!["owrite", "sticky"],
            _ => vec!["path"],
        };
        q.item_filter = filters
            .get(&q.object_id)
            .cloned()
            .map(|f| ItemFilter::with_fields(f, fields.iter().map(|s| s.to_string()).collect()));
    }
    let refs: Vec<&ObjectQuery> = queries.iter().collect();
    let t = Instant::now();
    let out = FsProbe
        .collect_many(&refs, &ctx)
        .expect("the file probe shares its walk");
    let secs = t.elapsed().as_secs_f64();
    for (qq, c) in queries.iter().zip(&out) {
        eprintln!(
            "{:>16}: {:>7} items kept, flag {}, {} messages",
            qq.object_id,
            c.items.len(),
            c.flag,
            c.messages.len()
        );
        for i in c.items.iter().filter(|i| i.message.is_some()).take(3) {
            eprintln!("{:>16}  {:?}", "", i.message);
        }
    }
    println!("{} {:.3}", counted.load(Ordering::Relaxed), secs);
}
