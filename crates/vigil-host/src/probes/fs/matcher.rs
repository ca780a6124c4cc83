//! Object-entity matching for the file-system probes, compiled once per query.
//!
//! A walk of `/` tests hundreds of thousands of names against the same entity, so the
//! regular expressions of `pattern match` entities are compiled once here (PCRE2, with
//! JIT) instead of per comparison. `equals`, `not equal` and the integer orderings are
//! evaluated directly; every other operation goes through [`QueryEntity::matches`]
//! (OVAL 5.11.1 §5.3.6 via `values::compare`), so the semantics stay in one place.
//!
//! [`literal_dir_prefix`] finds where a walk for a `pattern match` path must start: the
//! deepest directory every match lies under (`^/etc/ssh/.*` -> `/etc/ssh`).

use pcre2::bytes::{Regex, RegexBuilder};

use crate::probes::QueryEntity;
use vigil_core::content::oval::{Datatype, Operation};
use vigil_core::values::compare::{CompareError, compare};

/// Compiles an OVAL `pattern match` regular expression (Perl 5 syntax, PCRE2).
pub(crate) fn compile(
    pattern: &str,
    multiline: bool,
    dotall: bool,
    caseless: bool,
) -> Result<Regex, String> {
    vigil_core::values::pattern::build(
        RegexBuilder::new()
            .multi_line(multiline)
            .dotall(dotall)
            .caseless(caseless)
            .jit_if_available(true),
        pattern,
    )
    .map_err(|e| format!("invalid regular expression '{pattern}': {e}"))
}

enum Kind {
    Equals,
    NotEqual,
    Pattern(Vec<Regex>),
    IntOrder,
    Delegate,
}

/// A compiled object entity.
pub(crate) struct Matcher {
    entity: QueryEntity,
    kind: Kind,
    /// Literal text every matching string starts with, one per alternative; `None`:
    /// anything may match.
    prefixes: Option<Vec<Vec<u8>>>,
}

impl Matcher {
    pub(crate) fn new(entity: &QueryEntity) -> Result<Matcher, String> {
        let kind = match entity.operation {
            Operation::Equals if entity.datatype != Datatype::Int => Kind::Equals,
            Operation::NotEqual if entity.datatype == Datatype::String => Kind::NotEqual,
            Operation::PatternMatch => Kind::Pattern(
                entity
                    .values
                    .iter()
                    .map(|v| compile(v, false, false, false))
                    .collect::<Result<_, _>>()?,
            ),
            Operation::Equals
            | Operation::NotEqual
            | Operation::GreaterThan
            | Operation::GreaterThanOrEqual
            | Operation::LessThan
            | Operation::LessThanOrEqual
                if entity.datatype == Datatype::Int =>
            {
                for v in &entity.values {
                    v.trim().parse::<i64>().map_err(|e| {
                        format!("'{v}' is not a valid int for entity '{}': {e}", entity.name)
                    })?;
                }
                Kind::IntOrder
            }
            _ => {
                // Refuse up front what the comparison cannot do, rather than once per
                // walked entry.
                if let Some(v) = entity.values.first()
                    && let Err(e @ CompareError::Unsupported { .. }) =
                        compare(entity.datatype, entity.operation, v, v)
                {
                    return Err(format!("entity '{}': {e}", entity.name));
                }
                Kind::Delegate
            }
        };
        let prefixes = match kind {
            Kind::Equals => Some(
                entity
                    .values
                    .iter()
                    .map(|v| v.as_bytes().to_vec())
                    .collect(),
            ),
            Kind::Pattern(_) => Some(
                entity
                    .values
                    .iter()
                    .flat_map(|v| split_top_level_alternation(v))
                    .flat_map(literal_prefixes)
                    .map(String::into_bytes)
                    .collect(),
            ),
            _ => None,
        };
        Ok(Matcher {
            entity: entity.clone(),
            kind,
            prefixes,
        })
    }

    /// Could a path below the directory `dir` match? A walk that searches for matching
    /// paths skips the subtrees where none can (as oscap does with partial matching):
    /// every match starts with one of the literal prefixes, so `dir/` and that prefix
    /// must agree as far as both go.
    pub(crate) fn may_match_below(&self, dir: &[u8]) -> bool {
        let Some(prefixes) = &self.prefixes else {
            return true;
        };
        let dir = dir.strip_suffix(b"/").unwrap_or(dir);
        // `dir/` starts with p, or p starts with `dir/`.
        let below = |p: &[u8]| {
            if p.len() <= dir.len() {
                p == &dir[..p.len()]
            } else {
                &p[..dir.len()] == dir && p[dir.len()] == b'/'
            }
        };
        prefixes.iter().any(|p| below(p))
    }

    /// Does `candidate` match any of the entity's values?
    pub(crate) fn matches(&self, candidate: &str) -> Result<bool, String> {
        self.matches_bytes(candidate.as_bytes())
    }

    /// As [`Matcher::matches`], on raw bytes (file names need not be UTF-8).
    pub(crate) fn matches_bytes(&self, candidate: &[u8]) -> Result<bool, String> {
        match &self.kind {
            Kind::Equals => Ok(self.entity.values.iter().any(|v| v.as_bytes() == candidate)),
            Kind::NotEqual => Ok(self.entity.values.iter().any(|v| v.as_bytes() != candidate)),
            Kind::Pattern(res) => {
                for (re, pattern) in res.iter().zip(&self.entity.values) {
                    if re
                        .is_match(candidate)
                        .map_err(|e| vigil_core::values::pattern::match_failure(pattern, &e))?
                    {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Kind::IntOrder => {
                let s = String::from_utf8_lossy(candidate);
                let Ok(a) = s.trim().parse::<i64>() else {
                    return Err(format!("'{s}' is not a valid int"));
                };
                Ok(self.entity.values.iter().any(|v| {
                    let e: i64 = v.trim().parse().unwrap_or_default();
                    match self.entity.operation {
                        Operation::Equals => a == e,
                        Operation::NotEqual => a != e,
                        Operation::GreaterThan => a > e,
                        Operation::GreaterThanOrEqual => a >= e,
                        Operation::LessThan => a < e,
                        _ => a <= e,
                    }
                }))
            }
            Kind::Delegate => self
                .entity
                .matches(&String::from_utf8_lossy(candidate))
                .map_err(|e| format!("entity '{}': {e}", self.entity.name)),
        }
    }
}

/// The deepest directory under which every string matching `pattern` lies, when the
/// pattern is anchored; `/` otherwise. Used as the start of a walk for `pattern match`
/// paths (as oscap does), so `^/etc/ssh/sshd_config\.d/.*` walks only that directory.
pub(crate) fn literal_dir_prefix(pattern: &str) -> String {
    let branches = split_top_level_alternation(pattern);
    let mut prefixes = branches.iter().map(|b| literal_prefix(b));
    let first = prefixes.next().unwrap_or_default();
    let common = prefixes.fold(first, |acc, p| {
        acc.chars()
            .zip(p.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    match common.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => common[..i].to_string(),
    }
}

/// The top-level alternatives of `pattern`, each to be read for its own literal prefix.
/// An inline option setting such as `(?i)` or `(?m)`, or a `(*VERB)`, changes how the rest
/// of the pattern matches, later alternatives included (PCRE2 "Internal option
/// setting"), so every alternative after the one holding it is returned as empty: it
/// then gives the empty prefix and prunes nothing.
fn split_top_level_alternation(pattern: &str) -> Vec<&str> {
    let bytes = pattern.as_bytes();
    let (mut depth, mut in_class, mut start, mut i) = (0i32, false, 0usize, 0usize);
    let mut options_changed = false;
    let mut out = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                // A `]` right after `[` or `[^` is a member of the class, not its end.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b']' if in_class => in_class = false,
            b'(' if !in_class => {
                depth += 1;
                match bytes.get(i + 1) {
                    Some(b'*') => options_changed = true,
                    Some(b'?') => {
                        // `(?i)`, `(?-m)`, `(?^)`; named groups are caught too,
                        // which only costs pruning.
                        let next = bytes.get(i + 2).copied().unwrap_or(b')');
                        if next.is_ascii_alphabetic() || matches!(next, b'-' | b'^' | b')') {
                            options_changed = true;
                        }
                    }
                    _ => {}
                }
            }
            b')' if !in_class => depth -= 1,
            b'|' if !in_class && depth == 0 => {
                out.push(&pattern[start..i]);
                start = i + 1;
                if options_changed {
                    // Every later alternative matches under the changed options.
                    out.push("");
                    return out;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&pattern[start..]);
    out
}

/// Above this many alternatives, the expansion of literal groups stops early.
const MAX_PREFIXES: usize = 64;

/// The literal texts one of which every match of a branch starts with: the literal
/// prefix, with groups of literal alternatives such as `(|s)` or `(?:a|b)` expanded
/// (`^/(|s)bin` gives `/bin` and `/sbin`). An unanchored branch gives the empty prefix.
fn literal_prefixes(branch: &str) -> Vec<String> {
    let Some(rest) = branch.strip_prefix('^') else {
        return vec![String::new()];
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut out = vec![String::new()];
    let mut i = 0;
    // One literal character at i: (char, index after it).
    let literal = |i: usize| -> Option<(char, usize)> {
        match chars.get(i)? {
            '\\' => match chars.get(i + 1) {
                Some(&e) if !e.is_ascii_alphanumeric() => Some((e, i + 2)),
                _ => None,
            },
            '.' | '[' | ']' | '(' | ')' | '*' | '+' | '?' | '{' | '}' | '|' | '$' | '^' => None,
            &c => Some((c, i + 1)),
        }
    };
    while i < chars.len() {
        if chars[i] == '(' {
            // A group of literal alternatives, not followed by a quantifier.
            let mut j = i + 1;
            if chars.get(j) == Some(&'?') {
                if chars.get(j + 1) != Some(&':') {
                    break;
                }
                j += 2;
            }
            let mut alts = vec![String::new()];
            let closed = loop {
                match chars.get(j) {
                    Some(')') => break true,
                    Some('|') => {
                        alts.push(String::new());
                        j += 1;
                    }
                    _ => match literal(j) {
                        Some((c, next)) => {
                            alts.last_mut().expect("one").push(c);
                            j = next;
                        }
                        None => break false,
                    },
                }
            };
            if !closed
                || matches!(chars.get(j + 1), Some('*' | '?' | '{' | '+'))
                || out.len() * alts.len() > MAX_PREFIXES
            {
                break;
            }
            out = out
                .iter()
                .flat_map(|p| alts.iter().map(move |a| format!("{p}{a}")))
                .collect();
            i = j + 1;
            continue;
        }
        let Some((c, next)) = literal(i) else { break };
        // A quantifier makes the character before it optional or repeated.
        if matches!(chars.get(next), Some('*' | '?' | '{')) {
            break;
        }
        for p in &mut out {
            p.push(c);
        }
        i = next;
    }
    out
}

/// The literal text every match of an anchored branch starts with.
fn literal_prefix(branch: &str) -> String {
    let Some(rest) = branch.strip_prefix('^') else {
        return String::new();
    };
    let chars: Vec<char> = rest.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let (c, next) = match chars[i] {
            '\\' => match chars.get(i + 1) {
                Some(&e) if !e.is_ascii_alphanumeric() => (e, i + 2),
                _ => break,
            },
            '.' | '[' | '(' | ')' | '*' | '+' | '?' | '{' | '|' | '$' | '^' => break,
            c => (c, i + 1),
        };
        // A quantifier makes the character before it optional or repeated.
        if matches!(chars.get(next), Some('*' | '?' | '{')) {
            break;
        }
        out.push(c);
        i = next;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entity(op: Operation, dt: Datatype, values: &[&str]) -> QueryEntity {
        QueryEntity {
            name: "x".into(),
            datatype: dt,
            operation: op,
            values: values.iter().map(|s| s.to_string()).collect(),
            nil: false,
            var_check: vigil_core::content::oval::Check::All,
            from_variable: false,
        }
    }

    #[test]
    fn prefixes_of_ssg_path_patterns() {
        assert_eq!(
            literal_dir_prefix(r"^/etc/ssh/sshd_config\.d/.*\.conf$"),
            "/etc/ssh/sshd_config.d"
        );
        assert_eq!(
            literal_dir_prefix(r"^/etc/audit/rules\.d/.*\.rules$"),
            "/etc/audit/rules.d"
        );
        assert_eq!(
            literal_dir_prefix(r"^/etc/chrony\.(conf|d/.+\.conf)$"),
            "/etc"
        );
        assert_eq!(
            literal_dir_prefix(r"^/etc/apt/sources(.d\/[a-zA-Z0-9]+){0,1}.list$"),
            "/etc/apt"
        );
        assert_eq!(
            literal_dir_prefix(r"^\/(|s)bin|^\/usr\/(|local\/)(|s)bin|^\/usr\/libexec"),
            "/"
        );
        assert_eq!(literal_dir_prefix(r"^/usr/lib|^/usr/share"), "/usr");
        assert_eq!(literal_dir_prefix(r"^/etc/sudoers(|\.d/.*)$"), "/etc");
        assert_eq!(literal_dir_prefix(r"/etc/x"), "/");
        assert_eq!(literal_dir_prefix(r"^/etc/ab?/c"), "/etc");
        assert_eq!(literal_dir_prefix(r"^/etc/\d/c"), "/etc");
        assert_eq!(literal_dir_prefix(r"^/boot/config-.*$"), "/boot");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]
        /// The pruning of search walks is sound: whatever path a pattern matches starts
        /// with one of the literal prefixes taken from it, and lies under the directory
        /// the walk starts from (a wrong prefix would skip files that should have been
        /// found, and a test could pass on what it missed).
        #[test]
        fn every_match_starts_with_a_literal_prefix(
            tokens in proptest::collection::vec(
                proptest::sample::select(vec![
                    "/", "a", "b", "ab", "\\.", ".", "(a|b)", "(|a)", "(?:a|/b)", "(a|)?",
                    "?", "*", "+", "{1,2}", "[ab]", "[/a]", "|^", "|", "(?i)", "\\/", ")",
                    "(?m)", "(*UCP)", "[]|]", "[^]a]", "(?i:a)", "(?<n>a)",
                ]),
                1..8,
            ),
            anchored in proptest::bool::ANY,
            paths in proptest::collection::vec(
                proptest::collection::vec(
                    proptest::sample::select(vec!["/", "a", "b", "ab", ".", "A", "\n", "]", "|"]),
                    0..7,
                ),
                1..40,
            ),
        ) {
            let pattern = format!("{}{}", if anchored { "^" } else { "" }, tokens.concat());
            let Ok(re) = vigil_core::values::pattern::compiled(&pattern) else {
                return Ok(());
            };
            let prefixes: Vec<String> = split_top_level_alternation(&pattern)
                .into_iter()
                .flat_map(literal_prefixes)
                .collect();
            // Where a search walk starts must hold every match too.
            let start = literal_dir_prefix(&pattern);
            for path in paths.iter().map(|p| p.concat()) {
                if re.is_match(path.as_bytes()).unwrap_or(false) {
                    proptest::prop_assert!(
                        prefixes.iter().any(|p| path.starts_with(p.as_str())),
                        "{pattern:?} matches {path:?} outside the prefixes {prefixes:?}"
                    );
                    proptest::prop_assert!(
                        start == "/" || path.starts_with(&format!("{start}/")),
                        "{pattern:?} matches {path:?} outside the walk start {start:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn literal_groups_expand_and_prune_search_subtrees() {
        assert_eq!(
            split_top_level_alternation(r"^\/(|s)bin|^\/usr\/(|local\/)(|s)bin|^\/usr\/libexec")
                .into_iter()
                .flat_map(literal_prefixes)
                .collect::<Vec<_>>(),
            [
                "/bin",
                "/sbin",
                "/usr/bin",
                "/usr/sbin",
                "/usr/local/bin",
                "/usr/local/sbin",
                "/usr/libexec"
            ]
        );
        assert_eq!(
            literal_prefixes(r"^/etc/pam.d/(?:system|password)-auth$"),
            ["/etc/pam"]
        );
        assert_eq!(
            literal_prefixes(r"^/etc/pam\.d/(?:system|password)-auth$"),
            ["/etc/pam.d/system-auth", "/etc/pam.d/password-auth"]
        );
        assert_eq!(literal_prefixes(r"^/etc/(a|b)*x"), ["/etc/"]);
        assert_eq!(literal_prefixes(r"^/etc/(a|.)x"), ["/etc/"]);
        assert_eq!(literal_prefixes(r"^/etc/(?i)x"), ["/etc/"]);
        assert_eq!(literal_prefixes(r"/etc/x"), [""]);
        // An option set in one alternative holds for the alternatives after it.
        assert_eq!(
            split_top_level_alternation(r"^/a(?i)|^/b|^/c"),
            [r"^/a(?i)", ""]
        );
        assert_eq!(literal_dir_prefix(r"^/etc/a(?m)|^/etc/b"), "/");
        assert_eq!(
            split_top_level_alternation(r"^/a[]|]|^/b"),
            [r"^/a[]|]", "^/b"]
        );

        let m = Matcher::new(&entity(
            Operation::PatternMatch,
            Datatype::String,
            &[r"^\/(|s)bin|^\/usr\/(|local\/)(|s)bin|^\/usr\/libexec"],
        ))
        .unwrap();
        for (dir, below) in [
            ("/", true),
            ("/usr", true),
            ("/usr/local", true),
            ("/usr/lib", false),
            ("/usr/libexec", true),
            ("/usr/libexec/x/y", true),
            ("/lib", false),
            ("/bin", true),
            ("/binx", true),
            ("/bi", false),
            ("/etc", false),
        ] {
            assert_eq!(m.may_match_below(dir.as_bytes()), below, "{dir}");
            // Whatever matches below a pruned directory would prove the pruning wrong.
            if !below {
                assert!(!m.matches(&format!("{dir}/bin")).unwrap());
            }
        }
        let m = Matcher::new(&entity(Operation::Equals, Datatype::String, &["/etc/a/b"])).unwrap();
        assert!(m.may_match_below(b"/etc/a") && !m.may_match_below(b"/etc/ab"));
        let m = Matcher::new(&entity(Operation::PatternMatch, Datatype::String, &["a$"])).unwrap();
        assert!(m.may_match_below(b"/anything"));
        let m = Matcher::new(&entity(Operation::NotEqual, Datatype::String, &["/x"])).unwrap();
        assert!(m.may_match_below(b"/x"));
    }

    #[test]
    fn int_orderings_and_patterns() {
        let m = Matcher::new(&entity(
            Operation::GreaterThanOrEqual,
            Datatype::Int,
            &["2"],
        ))
        .unwrap();
        assert!(!m.matches("1").unwrap());
        assert!(m.matches("2").unwrap());
        assert!(m.matches("10").unwrap());
        let m = Matcher::new(&entity(
            Operation::PatternMatch,
            Datatype::String,
            &["^a", "z$"],
        ))
        .unwrap();
        assert!(m.matches("abc").unwrap());
        assert!(m.matches("xyz").unwrap());
        assert!(!m.matches("xyza").unwrap());
        assert!(Matcher::new(&entity(Operation::PatternMatch, Datatype::String, &["("])).is_err());
        let m = Matcher::new(&entity(Operation::Equals, Datatype::String, &["a", "b"])).unwrap();
        assert!(m.matches("b").unwrap() && !m.matches("c").unwrap());
    }
}
