//! Regular expressions for OVAL `pattern match` (OVAL 5.11.1 §5.3.6.3.1 "pattern match":
//! Perl-compatible regular expressions) and for the textfilecontent54 `pattern` entity
//! and its `multiline` / `singleline` behaviors.
//!
//! Patterns are compiled with PCRE2 (JIT when available) the way OpenSCAP compiles them:
//! UTF mode on (so `.` is one character), Unicode properties off (so `\w` is ASCII), and
//! matching is an unanchored search. Each distinct (pattern, options) pair is compiled once
//! per process and shared through [`compiled_with`]; SSG content reuses the same few
//! hundred patterns across thousands of items.
//!
//! **Limits.** Content patterns are untrusted: `^(a+)+$` against a long run of `a`s
//! backtracks exponentially. Every pattern vigil compiles (here and in the file-system
//! probes' [`build`]) carries vigil's own match and depth limits ([`RegexLimits`],
//! `--regex-match-limit` / `--regex-depth-limit`), written into the pattern as PCRE2's
//! `(*LIMIT_MATCH=n)(*LIMIT_DEPTH=n)` start options: the `pcre2` crate gives no access
//! to the match context, and a limit in the pattern holds for the interpreter and the
//! JIT alike, whatever limits the PCRE2 library was built with, as long as ours are not
//! above them ([`RegexLimits::check`] refuses that, since PCRE2 uses the smaller). The
//! JIT honours the match limit (counted in its own units) but not the depth limit; its
//! recursion is bounded instead by its stack (PCRE2's 32 KiB default), which ends a
//! pattern that needs more with an error too. A pattern that passes a limit makes its
//! comparison, object or test `error`, with a message naming the pattern and the limit
//! ([`match_failure`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, RwLock};

use pcre2::bytes::{Regex, RegexBuilder};

use super::compare::CompareError;

/// Compile options beyond the defaults, for textfilecontent54 behaviors.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PatternOptions {
    /// `^` and `$` also match at line starts and ends (PCRE2_MULTILINE).
    pub multiline: bool,
    /// `.` also matches a newline (PCRE2_DOTALL).
    pub singleline: bool,
}

/// The PCRE2 limits every pattern is compiled with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexLimits {
    /// PCRE2 match limit: how many times the matcher may call its internal match
    /// function (backtracking steps) in one search.
    pub match_limit: u32,
    /// PCRE2 depth limit: how deep its backtracking may nest (interpreter only).
    pub depth_limit: u32,
}

/// Default match limit: PCRE2's customary 10,000,000, the value OpenSCAP evaluates SSG
/// with, made explicit so every build agrees. A catastrophic pattern stops there in
/// well under a tenth of a second with the JIT (measured: `^(a+)+$` against 10,000 `a`s
/// and a `b`, a whole scan in 57 ms). Margin: `vigil scan ssg-debian11-ds.xml --profile
/// all` on a Debian 12 host gives the same rule results with `--regex-match-limit 10000`
/// but for one rule (accounts_password_minlen_login_defs), so SSG needs a thousandth of it.
pub const DEFAULT_MATCH_LIMIT: u32 = 10_000_000;

/// Default depth limit: 100,000 nested backtracking frames (about 15 MB of PCRE2 heap
/// in the interpreter, instead of PCRE2's 10,000,000 frames bounded only by its 20 GB
/// heap limit). A line-by-line pattern nests about once per repeated group within one
/// line; with the JIT the depth limit does not apply (see the module documentation).
pub const DEFAULT_DEPTH_LIMIT: u32 = 100_000;

impl Default for RegexLimits {
    fn default() -> RegexLimits {
        RegexLimits {
            match_limit: DEFAULT_MATCH_LIMIT,
            depth_limit: DEFAULT_DEPTH_LIMIT,
        }
    }
}

impl RegexLimits {
    /// Refuses limits PCRE2 would not honour: zero, or above the library's own
    /// (PCRE2 keeps the smaller of the pattern's and the library's).
    pub fn check(&self) -> Result<(), String> {
        for (flag, value, library) in [
            (
                "--regex-match-limit",
                self.match_limit,
                library_limit(pcre2_sys::PCRE2_CONFIG_MATCHLIMIT),
            ),
            (
                "--regex-depth-limit",
                self.depth_limit,
                library_limit(pcre2_sys::PCRE2_CONFIG_DEPTHLIMIT),
            ),
        ] {
            if value == 0 {
                return Err(format!("{flag} must be at least 1"));
            }
            if let Some(max) = library
                && value > max
            {
                return Err(format!(
                    "{flag} {value} is above the PCRE2 library's own limit of {max}, which would apply instead"
                ));
            }
        }
        Ok(())
    }

    /// The start options that put these limits into a pattern.
    fn prefix(&self) -> String {
        format!(
            "(*LIMIT_MATCH={})(*LIMIT_DEPTH={})",
            self.match_limit, self.depth_limit
        )
    }
}

/// A limit the PCRE2 library was built with (`pcre2_config`).
fn library_limit(what: u32) -> Option<u32> {
    let mut v: u32 = 0;
    // SAFETY: the match and depth limit queries write one uint32_t to `where`.
    let r = unsafe { pcre2_sys::pcre2_config_8(what, (&mut v as *mut u32).cast()) };
    (r >= 0).then_some(v)
}

static MATCH_LIMIT: AtomicU32 = AtomicU32::new(DEFAULT_MATCH_LIMIT);
static DEPTH_LIMIT: AtomicU32 = AtomicU32::new(DEFAULT_DEPTH_LIMIT);

/// Sets the limits patterns compiled from now on get (the scan does, from its
/// configuration, before it evaluates anything). Process-wide, like the pattern cache.
pub fn set_limits(limits: RegexLimits) {
    MATCH_LIMIT.store(limits.match_limit, Ordering::Relaxed);
    DEPTH_LIMIT.store(limits.depth_limit, Ordering::Relaxed);
}

/// The limits in force.
pub fn limits() -> RegexLimits {
    RegexLimits {
        match_limit: MATCH_LIMIT.load(Ordering::Relaxed),
        depth_limit: DEPTH_LIMIT.load(Ordering::Relaxed),
    }
}

/// Compiles `pattern` with the limits in force: every PCRE2 pattern vigil builds from
/// content goes through here. `builder` carries the other options. The error is PCRE2's,
/// its offset counted in `pattern` as written.
pub fn build(builder: &RegexBuilder, pattern: &str) -> Result<Regex, String> {
    let prefix = limits().prefix();
    builder
        .build(&format!("{prefix}{pattern}"))
        .map_err(|e| match e.offset() {
            Some(at) => e.to_string().replacen(
                &format!("offset {at}"),
                &format!("offset {}", at.saturating_sub(prefix.len())),
                1,
            ),
            None => e.to_string(),
        })
}

/// The message for a failed match of `pattern`: for a limit, which one and its value.
pub fn match_failure(pattern: &str, e: &pcre2::Error) -> String {
    let short = shorten(pattern);
    let l = limits();
    match e.code() {
        pcre2_sys::PCRE2_ERROR_MATCHLIMIT => format!(
            "pattern '{short}' passed the regular-expression match limit of {} steps (--regex-match-limit); not evaluated",
            l.match_limit
        ),
        pcre2_sys::PCRE2_ERROR_DEPTHLIMIT => format!(
            "pattern '{short}' passed the regular-expression depth limit of {} (--regex-depth-limit); not evaluated",
            l.depth_limit
        ),
        pcre2_sys::PCRE2_ERROR_HEAPLIMIT => {
            format!("pattern '{short}' passed the PCRE2 heap limit; not evaluated")
        }
        pcre2_sys::PCRE2_ERROR_JIT_STACKLIMIT => format!(
            "pattern '{short}' needs more than the PCRE2 JIT stack (the JIT's bound on depth); not evaluated"
        ),
        _ => format!("pattern '{short}': {e}"),
    }
}

/// `pattern` cut to 80 characters for messages.
fn shorten(pattern: &str) -> String {
    const MAX: usize = 80;
    match pattern.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &pattern[..i]),
        None => pattern.to_string(),
    }
}

/// Compiled patterns by pattern text, one slot per combination of options (looked up
/// by `&str`, without building a key per comparison), with the limits they carry.
type Slots = [Option<(RegexLimits, Arc<Regex>)>; 4];
type Cache = RwLock<HashMap<String, Slots>>;

static CACHE: LazyLock<Cache> = LazyLock::new(|| RwLock::new(HashMap::new()));

thread_local! {
    /// A per-thread front of [`CACHE`]: a walk of `/` compares millions of paths from
    /// every worker thread, which would otherwise contend on the lock's counter.
    static LOCAL: std::cell::RefCell<HashMap<String, Slots>> = std::cell::RefCell::new(HashMap::new());
}

impl PatternOptions {
    fn slot(self) -> usize {
        usize::from(self.multiline) | usize::from(self.singleline) << 1
    }
}

/// The compiled form of `pattern` with default options (as used by entity comparison).
pub fn compiled(pattern: &str) -> Result<Arc<Regex>, CompareError> {
    compiled_with(pattern, PatternOptions::default())
}

/// The compiled form of `pattern` with `options`, compiled on first use and cached for
/// the life of the process. Compile failures are not cached: they are rare and the error
/// is cheap to recompute.
pub fn compiled_with(pattern: &str, options: PatternOptions) -> Result<Arc<Regex>, CompareError> {
    let slot = options.slot();
    let lim = limits();
    // A pattern compiled under other limits (a scan that changed them) is compiled anew.
    let current = |s: &Slots| match &s[slot] {
        Some((l, re)) if *l == lim => Some(Arc::clone(re)),
        _ => None,
    };
    let local = LOCAL.with(|l| l.borrow().get(pattern).and_then(current));
    if let Some(re) = local {
        return Ok(re);
    }
    let shared = CACHE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(pattern)
        .and_then(current);
    let re = match shared {
        Some(re) => re,
        None => {
            let re = build(
                RegexBuilder::new()
                    .utf(true)
                    .multi_line(options.multiline)
                    .dotall(options.singleline)
                    .jit_if_available(true),
                pattern,
            )
            .map_err(|reason| CompareError::InvalidPattern {
                pattern: pattern.to_owned(),
                reason,
            })?;
            let mut cache = CACHE.write().unwrap_or_else(|e| e.into_inner());
            let slots = cache.entry(pattern.to_owned()).or_default();
            match current(slots) {
                Some(re) => re,
                None => {
                    let re = Arc::new(re);
                    slots[slot] = Some((lim, Arc::clone(&re)));
                    re
                }
            }
        }
    };
    LOCAL.with(|l| {
        l.borrow_mut().entry(pattern.to_owned()).or_default()[slot] = Some((lim, Arc::clone(&re)));
    });
    Ok(re)
}

/// Number of distinct compiled patterns held (for diagnostics and tests).
pub fn cache_len() -> usize {
    CACHE
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .values()
        .map(|s| s.iter().flatten().count())
        .sum()
}

pub(crate) fn match_error(pattern: &str, e: pcre2::Error) -> CompareError {
    CompareError::MatchFailed {
        pattern: pattern.to_owned(),
        reason: match_failure(pattern, &e),
    }
}

/// Whether `pattern` matches anywhere in `text`.
pub fn is_match(pattern: &str, text: &str) -> Result<bool, CompareError> {
    compiled(pattern)?
        .is_match(text.as_bytes())
        .map_err(|e| match_error(pattern, e))
}

/// The capture groups (1..) of the first match of `pattern` in `text`; empty when there
/// is no match, `None` for a group that did not participate.
pub fn captures(pattern: &str, text: &str) -> Result<Vec<Option<String>>, CompareError> {
    let re = compiled(pattern)?;
    let caps = re
        .captures(text.as_bytes())
        .map_err(|e| match_error(pattern, e))?;
    Ok(match caps {
        None => Vec::new(),
        Some(c) => (1..c.len())
            .map(|k| c.get(k).map(|m| slice(text, m.start(), m.end())))
            .collect(),
    })
}

/// One match of [`find_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternMatch {
    /// Byte offsets of the whole match in the text.
    pub start: usize,
    /// Byte offset just past the match (exclusive).
    pub end: usize,
    /// The whole matched text.
    pub text: String,
    /// Capture groups 1.. (`None` when a group did not participate).
    pub groups: Vec<Option<String>>,
}

/// Every non-overlapping match of `pattern` in `text`, left to right, with its groups
/// (textfilecontent54 collects one item per match). After an empty match the search
/// resumes one character later, so it always makes progress and never splits a UTF-8
/// character.
pub fn find_all(
    pattern: &str,
    text: &str,
    options: PatternOptions,
) -> Result<Vec<PatternMatch>, CompareError> {
    let re = compiled_with(pattern, options)?;
    let subject = text.as_bytes();
    let mut locs = re.capture_locations();
    let mut out = Vec::new();
    let mut at = 0;
    let mut last_end: Option<usize> = None;
    while at <= subject.len() {
        let Some(m) = re
            .captures_read_at(&mut locs, subject, at)
            .map_err(|e| match_error(pattern, e))?
        else {
            break;
        };
        let (start, end) = (m.start(), m.end());
        if start == end {
            // Step over one whole character so the next search starts on a boundary.
            at = end + text[end..].chars().next().map_or(1, char::len_utf8);
            // An empty match right where the previous match ended is not a new match.
            if last_end == Some(end) {
                continue;
            }
        } else {
            at = end;
        }
        last_end = Some(end);
        out.push(PatternMatch {
            start,
            end,
            text: slice(text, start, end),
            groups: (1..locs.len())
                .map(|k| locs.get(k).map(|(s, e)| slice(text, s, e)))
                .collect(),
        });
    }
    Ok(out)
}

/// Substring by byte offsets from PCRE2; in UTF mode they fall on character boundaries,
/// but `\C`-style oddities are tolerated rather than panicking.
fn slice(text: &str, start: usize, end: usize) -> String {
    match text.get(start..end) {
        Some(s) => s.to_owned(),
        None => String::from_utf8_lossy(&text.as_bytes()[start..end]).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(multiline: bool, singleline: bool) -> PatternOptions {
        PatternOptions {
            multiline,
            singleline,
        }
    }

    #[test]
    fn search_is_unanchored_and_case_sensitive() {
        assert!(is_match("b", "xabcx").unwrap());
        assert!(!is_match("^B", "abc").unwrap());
        assert!(is_match("(?i)^B", "bcd").unwrap());
    }

    #[test]
    fn pcre_only_features_work() {
        // Lookahead, \K and possessive quantifiers are beyond the regex crate.
        assert!(is_match(r"^(a)(?=b)", "ab").unwrap());
        assert!(is_match(r"a\Kb", "ab").unwrap());
        assert!(is_match(r"^\s*umask\s++0*77$", "  umask 077").unwrap());
        assert!(is_match(r"(\w)\1", "xaay").unwrap());
        assert!(!is_match(r"(\w)\1", "xay").unwrap());
    }

    #[test]
    fn utf_mode_without_unicode_properties() {
        // OpenSCAP: `.` matches one character, `\w` stays ASCII.
        assert!(is_match("^.$", "Ä").unwrap());
        assert!(!is_match(r"^\w$", "é").unwrap());
    }

    #[test]
    fn invalid_pattern_is_an_error() {
        assert!(matches!(
            is_match("(", "x"),
            Err(CompareError::InvalidPattern { .. })
        ));
    }

    #[test]
    fn cache_returns_the_same_compiled_pattern() {
        let a = compiled("^cache-test-[0-9]+$").unwrap();
        let b = compiled("^cache-test-[0-9]+$").unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        let c = compiled_with("^cache-test-[0-9]+$", opts(true, false)).unwrap();
        assert!(!Arc::ptr_eq(&a, &c));
        assert!(cache_len() >= 2);
    }

    #[test]
    fn captures_of_first_match() {
        assert_eq!(
            captures(r"(\d+)-(x)?(\d+)", "a 12-34 56-78").unwrap(),
            vec![Some("12".into()), None, Some("34".into())]
        );
        assert!(captures(r"(\d+)", "none").unwrap().is_empty());
    }

    #[test]
    fn find_all_iterates_matches_with_groups() {
        let text = "PASS_MAX_DAYS 90\n#PASS_MAX_DAYS 10\nPASS_MAX_DAYS 60\n";
        let ms = find_all(r"^PASS_MAX_DAYS\s+(\d+)$", text, opts(true, false)).unwrap();
        let got: Vec<_> = ms.iter().map(|m| m.groups[0].clone().unwrap()).collect();
        assert_eq!(got, ["90", "60"]);
        assert_eq!(&text[ms[1].start..ms[1].end], "PASS_MAX_DAYS 60");
        // Without MULTILINE, ^ and $ only match at the ends of the whole text.
        assert!(
            find_all(r"^PASS_MAX_DAYS\s+(\d+)$", text, opts(false, false))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn singleline_lets_dot_cross_newlines() {
        let text = "begin\nmiddle\nend";
        assert!(
            find_all("begin.*end", text, opts(false, false))
                .unwrap()
                .is_empty()
        );
        let ms = find_all("begin.*end", text, opts(false, true)).unwrap();
        assert_eq!(ms.len(), 1);
        assert_eq!(ms[0].text, text);
    }

    #[test]
    fn find_all_empty_matches_progress_over_multibyte_text() {
        let ms = find_all("x*", "äxxö", PatternOptions::default()).unwrap();
        let spans: Vec<_> = ms.iter().map(|m| (m.start, m.end)).collect();
        // "ä" is 2 bytes: empty at 0, "xx" at 2..4, then empty at the end ("ö" is 4..6).
        assert_eq!(spans, [(0, 0), (2, 4), (6, 6)]);
    }

    #[test]
    fn limits_are_vigils_and_are_named_when_hit() {
        // Patterns are compiled with the limits written in; PCRE2 builds agree.
        assert!(RegexLimits::default().check().is_ok());
        assert!(
            RegexLimits {
                match_limit: 0,
                ..Default::default()
            }
            .check()
            .unwrap_err()
            .contains("--regex-match-limit")
        );
        let re = build(RegexBuilder::new().jit_if_available(true), "^(a+)+$").unwrap();
        let subject = format!("{}b", "a".repeat(10_000));
        let t = std::time::Instant::now();
        let e = re.is_match(subject.as_bytes()).unwrap_err();
        assert!(
            t.elapsed() < std::time::Duration::from_secs(60),
            "hang guard"
        );
        let m = match_failure("^(a+)+$", &e);
        assert!(
            m.contains(
                "pattern '^(a+)+$' passed the regular-expression match limit of 10000000 steps"
            ),
            "{m}"
        );
        // Compile errors point into the pattern as written, not into the limits.
        let e = build(&RegexBuilder::new(), "ab(").unwrap_err();
        assert!(e.contains("offset 3"), "{e}");
        assert!(shorten(&"x".repeat(200)).ends_with('…'));
    }

    /// Every distinct pattern in the installed SSG Debian 11 OVAL compiles (many use PCRE
    /// syntax the `regex` crate refuses).
    #[test]
    fn ssg_debian11_patterns_compile() {
        let path = "/usr/share/xml/scap/ssg/content/ssg-debian11-oval.xml";
        crate::testtool::require(path);
        let xml = std::fs::read_to_string(path).unwrap();
        let doc = crate::content::xml::parse_str(&xml, std::path::Path::new(path))
            .expect("SSG OVAL parses");
        let mut patterns = std::collections::BTreeSet::new();
        collect_patterns(&doc.root, &mut patterns);
        assert!(patterns.len() > 300, "found only {}", patterns.len());
        let mut failed = Vec::new();
        for p in &patterns {
            if let Err(e) = compiled(p) {
                failed.push(e.to_string());
            }
        }
        assert!(failed.is_empty(), "{failed:#?}");
    }

    fn collect_patterns(
        e: &crate::content::xml::Element,
        out: &mut std::collections::BTreeSet<String>,
    ) {
        if e.attr("operation") == Some("pattern match") {
            out.insert(e.text());
        }
        for c in e.elements() {
            collect_patterns(c, out);
        }
    }
}
