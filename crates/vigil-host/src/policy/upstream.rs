//! Upstream software versions and their order: what `[[software]] min_upstream` is
//! written in and what the `software_version_object` probe compares it with (the
//! upstream part of a Debian version, or the version in a `version_file`).
//!
//! Upstreams number releases in ways semantic versioning (semver.org 2.0.0) does not
//! cover: OpenSSL `1.1.1w`, OpenSSH `9.2p1`, `2.4`, Vault Enterprise `1.15.2+ent`. The
//! order here is semver's for ordinary releases (`MAJOR.MINOR.PATCH` compared
//! numerically, a pre-release before its release, build metadata ignored), extended as
//! dpkg (deb-version(7)) and rpm (`rpmvercmp`) treat letters and numbers:
//!
//! - A version is `[v]CORE[-PRE|~PRE][+BUILD]`. It starts with a digit (after an
//!   optional `v`); `CORE` is components separated by `.`; each component is a run of
//!   digits and letters, read as alternating segments: `2p1` is `2`, `p`, `1`.
//! - Components are compared in order; a missing component counts as `0`, so `1.2` =
//!   `1.2.0` (semver's `1.2.0`; dpkg would put `1.2` first).
//! - Inside a component, segments are compared in order: numbers numerically (any
//!   length, leading zeros ignored), letters byte by byte (ASCII), a number before
//!   letters; a missing number counts as `0` and missing letters come before any
//!   letters. So a letter suffix comes after its number: `1.1.1` < `1.1.1a` <
//!   `1.1.1w` < `1.1.1x` < `1.1.2` < `3.0.0`, and `9.2p1` < `9.3` < `9.3p1` < `9.3p2`.
//! - `-` or `~` starts a pre-release (`3.0.13-rc1`, `2.0~beta2`): it comes before the
//!   release itself (`3.0.13-rc1` < `3.0.13`). Pre-releases of one core are compared
//!   as cores are, except that a missing component comes first (semver: `alpha` <
//!   `alpha.1`); `.`, `-`, `_` and `~` separate their components. Numbers inside an
//!   identifier compare numerically (`rc9` < `rc10`), where semver would compare
//!   `rc10` and `rc9` as text.
//! - `+` starts build metadata, which is ignored (`1.15.2+ent` = `1.15.2`), as semver
//!   says; dpkg would put `1.15.2+ent` after `1.15.2`.
//!
//! Anything else (an empty string, `latest`, a component that is not digits and
//! letters, `1..2`) is not a version: [`UpstreamVersion::parse`] says why, and the probe
//! reports the comparison as unknown rather than guessing.

use std::cmp::Ordering;
use std::fmt;

/// Longest version text accepted: real versions are short, and the text comes from the
/// scanned host.
const MAX_LEN: usize = 128;

/// One run of a component: digits (kept without leading zeros, compared by length then
/// text, so any length compares without overflow) or letters.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(String),
    Letters(String),
}

/// An upstream version in the order this module documents. Equality is that order's
/// (`1.2` equals `1.2.0`); [`fmt::Display`] gives the text as written.
#[derive(Debug, Clone)]
pub struct UpstreamVersion {
    text: String,
    core: Vec<Vec<Segment>>,
    pre: Option<Vec<Vec<Segment>>>,
}

impl UpstreamVersion {
    /// Parses `s` (surrounding white space ignored); the error says what is not a
    /// version in it.
    pub fn parse(s: &str) -> Result<UpstreamVersion, String> {
        let text = s.trim();
        if text.is_empty() {
            return Err("empty version".into());
        }
        if text.len() > MAX_LEN {
            return Err(format!("longer than {MAX_LEN} characters"));
        }
        let body = text
            .strip_prefix(['v', 'V'])
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
            .unwrap_or(text);
        if !body.starts_with(|c: char| c.is_ascii_digit()) {
            return Err("does not start with a digit".into());
        }
        let (body, build) = match body.split_once('+') {
            Some((b, m)) => (b, Some(m)),
            None => (body, None),
        };
        if let Some(m) = build
            && (m.is_empty()
                || !m
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-~+".contains(&b)))
        {
            return Err(format!(
                "build metadata '+{m}' is not letters, digits and .-~_"
            ));
        }
        let (core, pre) = match body.find(['-', '~']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let core = components(core, &['.']).map_err(|e| format!("release '{core}': {e}"))?;
        let pre = match pre {
            None => None,
            Some(p) => Some(
                components(p, &['.', '-', '_', '~'])
                    .map_err(|e| format!("pre-release '{p}': {e}"))?,
            ),
        };
        Ok(UpstreamVersion {
            text: text.to_string(),
            core,
            pre,
        })
    }

    /// The version as written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl std::str::FromStr for UpstreamVersion {
    type Err = String;
    fn from_str(s: &str) -> Result<UpstreamVersion, String> {
        UpstreamVersion::parse(s)
    }
}

impl fmt::Display for UpstreamVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialEq for UpstreamVersion {
    fn eq(&self, other: &UpstreamVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for UpstreamVersion {}

impl PartialOrd for UpstreamVersion {
    fn partial_cmp(&self, other: &UpstreamVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for UpstreamVersion {
    fn cmp(&self, other: &UpstreamVersion) -> Ordering {
        cmp_components(&self.core, &other.core, false).then_with(|| match (&self.pre, &other.pre) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => cmp_components(a, b, true),
        })
    }
}

/// `s` split at `seps` into components of segments; every component non-empty and made
/// of ASCII digits and letters only.
fn components(s: &str, seps: &[char]) -> Result<Vec<Vec<Segment>>, String> {
    let mut out = Vec::new();
    for c in s.split(seps) {
        if c.is_empty() {
            return Err("empty component".into());
        }
        if let Some(bad) = c.chars().find(|c| !c.is_ascii_alphanumeric()) {
            return Err(format!("'{bad}' is not a digit or a letter"));
        }
        let mut segs = Vec::new();
        let mut rest = c;
        while !rest.is_empty() {
            let digits = rest.starts_with(|c: char| c.is_ascii_digit());
            let end = rest
                .find(|c: char| c.is_ascii_digit() != digits)
                .unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            segs.push(if digits {
                let n = run.trim_start_matches('0');
                Segment::Number(if n.is_empty() { "0" } else { n }.to_string())
            } else {
                Segment::Letters(run.to_string())
            });
            rest = tail;
        }
        out.push(segs);
    }
    Ok(out)
}

/// Components in order; a missing one is empty (equal to `0`) in a release, and comes
/// first in a pre-release (`missing_first`).
fn cmp_components(a: &[Vec<Segment>], b: &[Vec<Segment>], missing_first: bool) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(x), Some(y)) => cmp_segments(x, y),
            (Some(_), None) if missing_first => Ordering::Greater,
            (None, Some(_)) if missing_first => Ordering::Less,
            (Some(x), None) => cmp_segments(x, &[]),
            (None, Some(y)) => cmp_segments(&[], y),
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn cmp_segments(a: &[Segment], b: &[Segment]) -> Ordering {
    for i in 0..a.len().max(b.len()) {
        let o = match (a.get(i), b.get(i)) {
            (Some(Segment::Number(x)), Some(Segment::Number(y))) => cmp_numbers(x, y),
            (Some(Segment::Letters(x)), Some(Segment::Letters(y))) => x.cmp(y),
            (Some(Segment::Number(_)), Some(Segment::Letters(_))) => Ordering::Less,
            (Some(Segment::Letters(_)), Some(Segment::Number(_))) => Ordering::Greater,
            // A missing number is 0; missing letters come before any letters.
            (Some(Segment::Number(x)), None) => cmp_numbers(x, "0"),
            (None, Some(Segment::Number(y))) => cmp_numbers("0", y),
            (Some(Segment::Letters(_)), None) => Ordering::Greater,
            (None, Some(Segment::Letters(_))) => Ordering::Less,
            (None, None) => Ordering::Equal,
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

/// Decimal numbers without leading zeros: the longer is larger, else the text decides.
fn cmp_numbers(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> UpstreamVersion {
        UpstreamVersion::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn letter_releases_pre_releases_and_build_metadata() {
        // Each strictly before the next.
        let chain = [
            "1.1.0",
            "1.1.1-rc1",
            "1.1.1",
            "1.1.1a",
            "1.1.1w",
            "1.1.1x",
            "1.1.2",
            "2.4",
            "3.0.0-alpha",
            "3.0.0-alpha.1",
            "3.0.0-alpha.beta",
            "3.0.0-beta.2",
            "3.0.0-beta.11",
            "3.0.0-rc9",
            "3.0.0-rc10",
            "3.0.0",
            "3.0.13-rc1",
            "3.0.13",
            "9.2p1",
            "9.3",
            "9.3p1",
            "9.3p2",
            "10",
            "99999999999999999999999",
        ];
        for w in chain.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
            assert!(v(w[1]) > v(w[0]), "{} > {}", w[1], w[0]);
        }
        for (a, b) in [
            ("1.2", "1.2.0"),
            ("1.15.2+ent", "1.15.2"),
            ("v1.15", "1.15.0"),
            ("2.0~beta1", "2.0-beta1"),
            ("01.002", "1.2"),
            ("9.3p0", "9.3p"),
        ] {
            assert_eq!(v(a), v(b), "{a} = {b}");
        }
        assert_eq!(v(" 1.1.1w ").to_string(), "1.1.1w");
    }

    #[test]
    fn what_is_not_a_version_says_why() {
        for (s, why) in [
            ("", "empty version"),
            ("latest", "does not start with a digit"),
            ("v", "does not start with a digit"),
            ("1..2", "release '1..2': empty component"),
            ("1.2/3", "release '1.2/3': '/' is not a digit or a letter"),
            ("1.0-", "pre-release '': empty component"),
            ("1.0+", "build metadata '+' is not letters, digits and .-~_"),
        ] {
            assert_eq!(UpstreamVersion::parse(s).unwrap_err(), why, "{s:?}");
        }
        assert!(UpstreamVersion::parse(&"1".repeat(200)).is_err());
    }

    /// A semantic version whose pre-release identifiers are all digits or all letters,
    /// where semver's order and this module's must agree.
    fn semver_text() -> impl Strategy<Value = String> {
        let ident = prop_oneof![
            (0u32..30).prop_map(|n| n.to_string()),
            "[a-z]{1,5}".prop_map(String::from),
        ];
        (
            0u32..5,
            0u32..12,
            0u32..12,
            proptest::option::of(proptest::collection::vec(ident, 1..4)),
        )
            .prop_map(|(a, b, c, pre)| match pre {
                None => format!("{a}.{b}.{c}"),
                Some(p) => format!("{a}.{b}.{c}-{}", p.join(".")),
            })
    }

    /// A version in the subset where dpkg's order and this module's agree: the same
    /// number of components (dpkg puts `1.2` before `1.2.0`), letters only in the last
    /// component (dpkg puts letters before `.`), `~` for pre-releases, no `+`.
    fn dpkg_pair() -> impl Strategy<Value = (String, String)> {
        (1usize..4).prop_flat_map(|n| {
            let one = move || {
                (
                    proptest::collection::vec(0u32..20, n),
                    "([a-z]{1,2}[0-9]?)?",
                    proptest::option::of("(alpha|beta|rc)[0-9]?"),
                )
                    .prop_map(|(nums, suffix, pre)| {
                        let core: Vec<String> = nums.iter().map(u32::to_string).collect();
                        let pre = pre.map(|p| format!("~{p}")).unwrap_or_default();
                        format!("{}{suffix}{pre}", core.join("."))
                    })
            };
            (one(), one())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn a_total_order(a in "[0-9]{1,3}(\\.[0-9a-z]{1,3}){0,3}(-[a-z0-9]{1,3})?",
                         b in "[0-9]{1,3}(\\.[0-9a-z]{1,3}){0,3}(-[a-z0-9]{1,3})?",
                         c in "[0-9]{1,3}(\\.[0-9a-z]{1,3}){0,3}(-[a-z0-9]{1,3})?") {
            let (a, b, c) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(a.cmp(&b), b.cmp(&a).reverse());
            if a <= b && b <= c {
                prop_assert!(a <= c);
            }
            // Build metadata never changes the order.
            prop_assert_eq!(v(&format!("{a}+x1")).cmp(&b), a.cmp(&b));
        }

        #[test]
        fn semver_inputs_order_as_semver(a in semver_text(), b in semver_text()) {
            let (sa, sb) = (semver::Version::parse(&a).unwrap(), semver::Version::parse(&b).unwrap());
            prop_assert_eq!(v(&a).cmp(&v(&b)), sa.cmp(&sb), "{} vs {}", a, b);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,40}") {
            let _ = UpstreamVersion::parse(&s);
        }
    }

    /// Differential test against the real dpkg on the subset where both orders apply
    /// (see [`dpkg_pair`]): the listed pairs and 150 generated ones (a bounded number of dpkg
    /// runs).
    #[test]
    fn agrees_with_dpkg_compare_versions() {
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        // Deterministic: the same 150 generated pairs every run, so a disagreement
        // found once is found again.
        let mut runner = TestRunner::deterministic();
        let mut pairs: Vec<(String, String)> = [
            ("1.1.1w", "1.1.1x"),
            ("1.1.1x", "3.0.0"),
            ("9.2p1", "9.3p1"),
            ("9.3p1", "9.3p2"),
            ("1.1.1", "1.1.1a"),
            ("3.0.13~rc1", "3.0.13"),
            ("2.4", "2.4"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        for _ in 0..150 {
            pairs.push(dpkg_pair().new_tree(&mut runner).unwrap().current());
        }
        for (a, b) in pairs {
            let ours = v(&a).cmp(&v(&b));
            let dpkg = |op: &str| {
                crate::testtool::tool("dpkg")
                    .args(["--compare-versions", &a, op, &b])
                    .status()
                    .unwrap()
                    .success()
            };
            let theirs = if dpkg("lt") {
                Ordering::Less
            } else if dpkg("eq") {
                Ordering::Equal
            } else {
                Ordering::Greater
            };
            assert_eq!(ours, theirs, "{a} vs {b}");
        }
    }
}
