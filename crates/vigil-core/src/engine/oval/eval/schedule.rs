//! Collection scheduling, the one place that decides how objects reach probes: which
//! objects a set of definitions needs, in which rounds (an object whose variables,
//! sets or filters rest on other objects waits for them), grouped per probe so a probe
//! can share work across its objects (one walk of `/` for every file object), run in
//! parallel, with a panic in a probe turned into an `error` for its objects only.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use std::panic::{AssertUnwindSafe, catch_unwind};

use rayon::prelude::*;

use super::{Evaluator, ObjectOutcome, ProbeBatch, not_implemented};
use crate::content::oval::{
    Component, Criteria, CriteriaNode, Entity, EntityValue, ObjectSet, VariableKind,
};
use crate::engine::probe::{Collected, Flag, ObjectQuery, panic_message};

impl Evaluator<'_> {
    /// Collects, in parallel and batched per probe, every object the given definitions
    /// need. Objects that depend on other objects (through variables, sets or filters)
    /// are collected in later rounds, once what they depend on is in.
    pub fn prefetch<'i>(&self, definition_ids: impl IntoIterator<Item = &'i str>) {
        let mut needed = HashSet::new();
        let mut seen_defs = HashSet::new();
        for id in definition_ids {
            self.needed_objects_of_definition(id, &mut needed, &mut seen_defs);
        }
        let mut deps: HashMap<String, HashSet<String>> = HashMap::new();
        let mut queue: Vec<String> = needed.iter().cloned().collect();
        while let Some(id) = queue.pop() {
            if deps.contains_key(&id) {
                continue;
            }
            let d = self.object_dependencies(&id);
            for o in &d {
                if !deps.contains_key(o) {
                    queue.push(o.clone());
                }
            }
            deps.insert(id, d);
        }
        if let Some(p) = &self.progress {
            let done = self.objects.lock().unwrap();
            p.objects_planned(deps.keys().filter(|id| !done.contains_key(*id)).count());
        }
        loop {
            let done: HashSet<String> = self.objects.lock().unwrap().keys().cloned().collect();
            let ready: Vec<&String> = deps
                .iter()
                .filter(|(id, d)| !done.contains(*id) && d.iter().all(|x| done.contains(x)))
                .map(|(id, _)| id)
                .collect();
            if ready.is_empty() {
                break;
            }
            let _t = crate::trace::span(|| format!("prefetch round: {} objects", ready.len()));
            self.collect_batch(&ready);
        }
        // Anything left is part of a dependency cycle; on-demand collection reports it.
    }

    fn needed_objects_of_definition(
        &self,
        id: &str,
        out: &mut HashSet<String>,
        seen: &mut HashSet<String>,
    ) {
        if !seen.insert(id.to_string()) {
            return;
        }
        let Some(def) = self.defs.definitions.get(id) else {
            return;
        };
        fn walk(
            ev: &Evaluator<'_>,
            c: &Criteria,
            out: &mut HashSet<String>,
            seen: &mut HashSet<String>,
        ) {
            for n in &c.children {
                match n {
                    CriteriaNode::Criteria(c) => walk(ev, c, out, seen),
                    CriteriaNode::Criterion { test_ref, .. } => {
                        if let Some(t) = ev.defs.tests.get(test_ref) {
                            if let Some(o) = &t.object_ref {
                                out.insert(o.clone());
                            }
                            for s in &t.state_refs {
                                ev.state_object_deps(s, out, &mut HashSet::new());
                            }
                        }
                    }
                    CriteriaNode::ExtendDefinition { definition_ref, .. } => {
                        ev.needed_objects_of_definition(definition_ref, out, seen)
                    }
                }
            }
        }
        if let Some(c) = &def.criteria {
            walk(self, c, out, seen);
        }
    }

    fn state_object_deps(
        &self,
        state_id: &str,
        out: &mut HashSet<String>,
        seen: &mut HashSet<String>,
    ) {
        if let Some(s) = self.defs.states.get(state_id) {
            for e in &s.entities {
                self.entity_object_deps(e, out, seen);
            }
        }
    }

    fn entity_object_deps(
        &self,
        e: &Entity,
        out: &mut HashSet<String>,
        seen: &mut HashSet<String>,
    ) {
        if let EntityValue::VarRef(v) = &e.value {
            self.variable_object_deps(v, out, seen);
        }
        for f in &e.fields {
            self.entity_object_deps(f, out, seen);
        }
    }

    pub(super) fn variable_object_deps(
        &self,
        var: &str,
        out: &mut HashSet<String>,
        seen: &mut HashSet<String>,
    ) {
        if !seen.insert(var.to_string()) {
            return;
        }
        if let Some(v) = self.defs.variables.get(var)
            && let VariableKind::Local(c) = &v.kind
        {
            self.component_object_deps(c, out, seen);
        }
    }

    fn component_object_deps(
        &self,
        c: &Component,
        out: &mut HashSet<String>,
        seen: &mut HashSet<String>,
    ) {
        match c {
            Component::Literal { .. } => {}
            Component::Object { object_ref, .. } => {
                out.insert(object_ref.clone());
            }
            Component::Variable { var_ref } => self.variable_object_deps(var_ref, out, seen),
            Component::Arithmetic { components, .. }
            | Component::Concat(components)
            | Component::Count(components)
            | Component::Unique(components)
            | Component::TimeDifference { components, .. } => {
                for c in components {
                    self.component_object_deps(c, out, seen);
                }
            }
            Component::Begin { component, .. }
            | Component::End { component, .. }
            | Component::EscapeRegex(component)
            | Component::RegexCapture { component, .. }
            | Component::Split { component, .. }
            | Component::Substring { component, .. }
            | Component::GlobToRegex { component, .. } => {
                self.component_object_deps(component, out, seen)
            }
        }
    }

    /// Objects that must be collected before this one.
    fn object_dependencies(&self, id: &str) -> HashSet<String> {
        let mut out = HashSet::new();
        let Some(o) = self.defs.objects.get(id) else {
            return out;
        };
        let mut seen = HashSet::new();
        for e in &o.entities {
            self.entity_object_deps(e, &mut out, &mut seen);
        }
        for f in &o.filters {
            self.state_object_deps(&f.state_ref, &mut out, &mut seen);
        }
        if let Some(set) = &o.set {
            fn set_deps(
                ev: &Evaluator<'_>,
                s: &ObjectSet,
                out: &mut HashSet<String>,
                seen: &mut HashSet<String>,
            ) {
                out.extend(s.object_refs.iter().cloned());
                for f in &s.filters {
                    ev.state_object_deps(&f.state_ref, out, seen);
                }
                for c in &s.sets {
                    set_deps(ev, c, out, seen);
                }
            }
            set_deps(self, set, &mut out, &mut seen);
        }
        if o.kind == "variable_object" {
            for e in &o.entities {
                if let Some(v) = e.literal() {
                    self.variable_object_deps(v, &mut out, &mut seen);
                }
            }
        }
        out.remove(id);
        out
    }

    /// Collects objects whose dependencies are all collected: queries are built
    /// (variables resolve from cache), grouped by probe and each group handed to its
    /// probe at once; groups run in parallel.
    fn collect_batch(&self, ids: &[&String]) {
        let mut direct: Vec<(String, ObjectOutcome)> = Vec::new();
        let mut groups: Vec<(usize, ProbeBatch)> = Vec::new();
        for id in ids {
            let Some(obj) = self.defs.objects.get(id.as_str()) else {
                direct.push((
                    id.to_string(),
                    ObjectOutcome::flagged(id, Flag::Error, format!("object {id} is not defined")),
                ));
                continue;
            };
            if obj.set.is_some() || obj.kind == "variable_object" {
                let mut stack = Vec::new();
                let o = self.build_object(obj, &mut stack);
                direct.push((id.to_string(), o));
                continue;
            }
            let mut stack = Vec::new();
            match self.query_for(obj, &mut stack) {
                Err(outcome) => direct.push((id.to_string(), outcome)),
                Ok((query, vars)) => match self.collector.probe_for(&obj.family, &obj.kind) {
                    None => direct.push((id.to_string(), not_implemented(obj))),
                    Some(p) => {
                        let gi = match groups.iter().position(|(k, _)| *k == p) {
                            Some(i) => i,
                            None => {
                                groups.push((p, Vec::new()));
                                groups.len() - 1
                            }
                        };
                        groups[gi].1.push((id.to_string(), query, vars));
                    }
                },
            }
        }
        let collected: Vec<(String, ObjectOutcome)> = groups
            .into_par_iter()
            .flat_map_iter(|(pi, entries)| {
                let queries: Vec<&ObjectQuery> = entries.iter().map(|(_, q, _)| q).collect();
                let _t = crate::trace::span(|| {
                    let mut kinds: Vec<&str> = queries.iter().map(|q| q.kind.as_str()).collect();
                    kinds.sort_unstable();
                    kinds.dedup();
                    format!(
                        "probe batch: {} objects ({})",
                        queries.len(),
                        kinds.join(", ")
                    )
                });
                let results = self.collect_group(pi, &queries);
                if let Some(p) = &self.progress {
                    p.objects_collected(queries.len());
                }
                entries
                    .into_iter()
                    .zip(results)
                    .map(|((id, _, vars), c)| {
                        let mut o = ObjectOutcome::from_collected(&id, c);
                        o.variables = vars;
                        (id, o)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if let Some(p) = &self.progress {
            p.objects_collected(direct.len());
        }
        let mut finished = Vec::new();
        for (id, mut o) in collected.into_iter().chain(direct) {
            if let Some(obj) = self.defs.objects.get(&id)
                && obj.set.is_none()
            {
                let mut stack = Vec::new();
                self.apply_filters(&obj.filters, &mut o, &mut stack);
            }
            finished.push((id, Arc::new(o)));
        }
        let mut map = self.objects.lock().unwrap();
        for (id, o) in finished {
            map.entry(id).or_insert(o);
        }
    }

    /// Collects one object with probe `probe`.
    pub(super) fn collect_one(&self, probe: usize, query: &ObjectQuery) -> Collected {
        match catch_unwind(AssertUnwindSafe(|| self.collector.collect(probe, query))) {
            Ok(c) => c,
            Err(p) => Collected::error(panic_message(p.as_ref())),
        }
    }

    /// Collects the objects of one probe: in one call when the probe shares work
    /// between objects, otherwise each object on its own, in parallel. A panic makes
    /// the objects of that call errors and nothing else.
    fn collect_group(&self, probe: usize, queries: &[&ObjectQuery]) -> Vec<Collected> {
        let n = queries.len();
        match catch_unwind(AssertUnwindSafe(|| {
            self.collector.collect_many(probe, queries)
        })) {
            Ok(None) => queries
                .par_iter()
                .map(|q| self.collect_one(probe, q))
                .collect(),
            Ok(Some(v)) if v.len() == n => v,
            Ok(Some(_)) => (0..n)
                .map(|_| Collected::error("probe returned the wrong number of results"))
                .collect(),
            Err(p) => {
                let msg = panic_message(p.as_ref());
                (0..n).map(|_| Collected::error(msg.clone())).collect()
            }
        }
    }
}
