//! rpm's dependency check for one installed package (`rpm -V`'s "Unsatisfied
//! dependencies", lib/depends.c): every Requires must be provided by an installed
//! package (a Provides whose version range overlaps, or, for a path, a file some
//! installed package owns), no installed package may provide what it Conflicts
//! with, and no installed package may conflict with what it provides. `rpmlib(...)` requirements are rpm's own features and always hold.
//! Rich (boolean) dependencies are not evaluated: an error, never a guess.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};

use vigil_core::values::version::rpmvercmp;

use super::db::{Dep, Package};

const LESS: u32 = 1 << 1;
const GREATER: u32 = 1 << 2;
const EQUAL: u32 = 1 << 3;
const RPMLIB: u32 = 1 << 24;

/// Every Provides and owned file of the installed packages.
pub struct Index<'a> {
    provides: HashMap<&'a str, Vec<&'a Dep>>,
    files: HashSet<&'a str>,
    conflicts: Vec<(&'a Package, &'a Dep)>,
    pkgs: &'a [Package],
}

fn split_evr(s: &str) -> (&str, &str, Option<&str>) {
    let (e, rest) = match s.split_once(':') {
        Some((e, r)) if e.chars().all(|c| c.is_ascii_digit()) => (e, r),
        _ => ("", s),
    };
    match rest.rsplit_once('-') {
        Some((v, r)) => (e, v, Some(r)),
        None => (e, rest, None),
    }
}

/// Do two version ranges overlap (rpm's `rpmdsCompare`)?
fn overlap(a: &Dep, b: &Dep) -> bool {
    let sense_a = a.flags & (LESS | GREATER | EQUAL);
    let sense_b = b.flags & (LESS | GREATER | EQUAL);
    if sense_a == 0 || sense_b == 0 || a.version.is_empty() || b.version.is_empty() {
        return true;
    }
    let (ae, av, ar) = split_evr(&a.version);
    let (be, bv, br) = split_evr(&b.version);
    fn num(e: &str) -> &str {
        if e.is_empty() { "0" } else { e }
    }
    let mut sense = rpmvercmp(num(ae), num(be));
    if sense == Ordering::Equal {
        sense = rpmvercmp(av, bv);
        if sense == Ordering::Equal
            && let (Some(ar), Some(br)) = (ar, br)
        {
            sense = rpmvercmp(ar, br);
        }
    }
    match sense {
        Ordering::Less => a.flags & GREATER != 0 || b.flags & LESS != 0,
        Ordering::Greater => a.flags & LESS != 0 || b.flags & GREATER != 0,
        Ordering::Equal => {
            (a.flags & EQUAL != 0 && b.flags & EQUAL != 0)
                || (a.flags & LESS != 0 && b.flags & LESS != 0)
                || (a.flags & GREATER != 0 && b.flags & GREATER != 0)
        }
    }
}

impl<'a> Index<'a> {
    /// Indexes the installed packages.
    pub fn new(pkgs: &'a [Package]) -> Index<'a> {
        let mut provides: HashMap<&str, Vec<&Dep>> = HashMap::new();
        let mut files = HashSet::new();
        let mut conflicts = Vec::new();
        for p in pkgs {
            conflicts.extend(p.conflicts.iter().map(|c| (p, c)));
            for d in &p.provides {
                provides.entry(d.name.as_str()).or_default().push(d);
            }
            for f in &p.files {
                files.insert(f.path.as_str());
            }
        }
        Index {
            provides,
            files,
            conflicts,
            pkgs,
        }
    }

    fn provided(&self, d: &Dep) -> bool {
        if d.name.starts_with('/') && self.files.contains(d.name.as_str()) {
            return true;
        }
        self.provides
            .get(d.name.as_str())
            .is_some_and(|ps| ps.iter().any(|p| overlap(p, d)))
    }

    /// Whether every dependency of `p` holds; `Err` for one vigil cannot evaluate.
    pub fn satisfied(&self, p: &Package) -> Result<bool, String> {
        for d in p.requires.iter().chain(&p.conflicts) {
            if d.name.starts_with('(') {
                return Err(format!("rich dependency {} is not evaluated", d.name));
            }
        }
        for d in &p.requires {
            if d.flags & RPMLIB != 0 || d.name.starts_with("rpmlib(") {
                continue;
            }
            if !self.provided(d) {
                return Ok(false);
            }
        }
        // Conflicts are rare: a scan of the other packages (a package's conflict with
        // itself is not one; rpm skips it too).
        let provides_it = |q: &Package, c: &Dep| {
            q.provides
                .iter()
                .any(|pr| pr.name == c.name && overlap(pr, c))
                || (c.name.starts_with('/') && q.files.iter().any(|f| f.path == c.name))
        };
        for c in &p.conflicts {
            if self
                .pkgs
                .iter()
                .any(|q| !std::ptr::eq(q, p) && provides_it(q, c))
            {
                return Ok(false);
            }
        }
        // rpm also fails a package that an installed package conflicts with.
        for &(q, c) in &self.conflicts {
            if !std::ptr::eq(q, p) && provides_it(p, c) {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(name: &str, flags: u32, v: &str) -> Dep {
        Dep {
            name: name.into(),
            flags,
            version: v.into(),
        }
    }

    #[test]
    fn ranges() {
        assert!(overlap(
            &dep("a", EQUAL, "1:2.0-3"),
            &dep("a", GREATER | EQUAL, "1:2.0")
        ));
        assert!(!overlap(
            &dep("a", EQUAL, "2.0-3"),
            &dep("a", GREATER, "2.0-3")
        ));
        assert!(overlap(&dep("a", EQUAL, "2.0-3"), &dep("a", LESS, "2.1")));
        assert!(!overlap(&dep("a", EQUAL, "1:1.0"), &dep("a", LESS, "2.1")));
        assert!(overlap(&dep("a", 0, ""), &dep("a", LESS, "2.1")));
    }
}
