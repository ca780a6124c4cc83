//! Local-variable functions of OVAL 5.11.2 (oval-definitions-schema.xsd `FunctionGroup`
//! and each `*FunctionType`: concat, arithmetic, begin, end, count, escape_regex,
//! regex_capture, split, substring, time_difference, unique, glob_to_regex) over value
//! lists. Each function maps the value lists of its components to a new list; functions
//! of several components take the cartesian product, as the schema requires, capped at
//! [`MAX_PRODUCT`] combinations so hostile content cannot exhaust memory.
//!
//! Compared with oscap 1.3.7 through the `core` conformance fixtures
//! (`tests/fixtures/oval/core/functions.xml`, `time_difference.xml`), which check each
//! function against the schema's worked examples. Deliberate differences from oscap, each
//! following the schema text:
//! - `arithmetic` over `int` is exact 64-bit integer arithmetic with overflow an error
//!   (oscap computes in `double`, so it loses digits beyond 2^53); over `float` the result
//!   is written like oscap's `%f` (`1.210000`), so a `string` comparison sees the same text.
//! - `substring` with a start past the end of the value is an error ("an error should be
//!   reported"); oscap flags the variable in error too, which makes the test `unknown`.
//! - `time_difference` reads every format the DateTimeFormatEnumeration lists, as UTC, and
//!   may be negative; oscap converts through the host's local time zone, returns 0 for
//!   `win_filetime` and prints the difference as an unsigned number.
//! - `glob_to_regex` writes the schema table's expressions and keeps a bracket expression
//!   that starts a path component (`/etc/[ab]c`); oscap 1.3.7 drops its `[` there
//!   (`^/etc/ab]c$`). An unterminated `[` is an error, as the table says (oscap: the
//!   variable is flagged and the test `unknown`).
//! - `regex_capture` gives the empty string for a value the pattern does not match, as
//!   the schema says and oscap does.

use crate::content::oval::{ArithmeticOperation, Datatype, DateTimeFormat};
use crate::values::compare;

/// The most value combinations a function over several components may produce.
pub(crate) const MAX_PRODUCT: usize = 100_000;

/// Cartesian product of value lists, in component order; an error past [`MAX_PRODUCT`].
pub(crate) fn cartesian(lists: &[Vec<String>]) -> Result<Vec<Vec<&str>>, String> {
    let mut size: usize = 1;
    for l in lists {
        size = size.saturating_mul(l.len());
    }
    if size > MAX_PRODUCT {
        return Err(format!(
            "the components give {size} combinations of values, more than the {MAX_PRODUCT} vigil evaluates"
        ));
    }
    let mut out: Vec<Vec<&str>> = vec![Vec::new()];
    for list in lists {
        let mut next = Vec::with_capacity(out.len() * list.len());
        for prefix in &out {
            for v in list {
                let mut p = prefix.clone();
                p.push(v.as_str());
                next.push(p);
            }
        }
        out = next;
    }
    Ok(out)
}

pub(crate) fn concat(lists: &[Vec<String>]) -> Result<Vec<String>, String> {
    Ok(cartesian(lists)?.into_iter().map(|p| p.concat()).collect())
}

/// Whether a value is written as a float rather than an integer (a point, an exponent,
/// or inf/nan): "if both an integer and float components are used then the result is a
/// float".
fn written_as_float(v: &str) -> bool {
    let t = v.trim();
    t.contains(['.', 'e', 'E'])
        || t.to_ascii_lowercase().contains("inf")
        || t.eq_ignore_ascii_case("nan")
}

pub(crate) fn arithmetic(
    op: ArithmeticOperation,
    datatype: Datatype,
    lists: &[Vec<String>],
) -> Result<Vec<String>, String> {
    let float = datatype == Datatype::Float || lists.iter().flatten().any(|v| written_as_float(v));
    let mut out = Vec::new();
    for combo in cartesian(lists)? {
        if float {
            let mut acc = if op == ArithmeticOperation::Add {
                0.0
            } else {
                1.0
            };
            for v in combo {
                let x = compare::float_value(v).map_err(|e| format!("arithmetic: {e}"))?;
                acc = if op == ArithmeticOperation::Add {
                    acc + x
                } else {
                    acc * x
                };
            }
            if !acc.is_finite() {
                return Err(format!(
                    "arithmetic: the result ({acc}) is not a finite number"
                ));
            }
            out.push(format_float(acc));
        } else {
            let mut acc: i64 = if op == ArithmeticOperation::Add { 0 } else { 1 };
            for v in combo {
                let x = compare::int_value(v).map_err(|e| format!("arithmetic: {e}"))?;
                acc = if op == ArithmeticOperation::Add {
                    acc.checked_add(x)
                } else {
                    acc.checked_mul(x)
                }
                .ok_or("arithmetic: the result is out of the 64-bit integer range")?;
            }
            out.push(acc.to_string());
        }
    }
    Ok(out)
}

/// A float as C's `%f` writes it (six decimals), which is how oscap writes the result of
/// `arithmetic`: content comparing the result as a string sees the same text.
pub(crate) fn format_float(x: f64) -> String {
    format!("{x:.6}")
}

pub(crate) fn begin(character: &str, values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| {
            if v.starts_with(character) {
                v
            } else {
                format!("{character}{v}")
            }
        })
        .collect()
}

pub(crate) fn end(character: &str, values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| {
            if v.ends_with(character) {
                v
            } else {
                format!("{v}{character}")
            }
        })
        .collect()
}

/// Escapes every character that has a meaning in a regular expression.
pub(crate) fn escape_regex(v: &str) -> String {
    let mut out = String::with_capacity(v.len() * 2);
    for c in v.chars() {
        if "\\^$.|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn split(delimiter: &str, values: Vec<String>) -> Vec<String> {
    if delimiter.is_empty() {
        return values;
    }
    values
        .iter()
        .flat_map(|v| v.split(delimiter).map(str::to_string))
        .collect()
}

/// `substring_start` is 1-based; a start below 1 counts as 1, a length that is negative
/// or runs past the end takes the rest of the string. A start past the end of a value is
/// an error, as the schema says.
pub(crate) fn substring(
    start: i64,
    length: i64,
    values: Vec<String>,
) -> Result<Vec<String>, String> {
    values
        .into_iter()
        .map(|v| {
            let chars: Vec<char> = v.chars().collect();
            let from = usize::try_from(start.max(1) - 1).unwrap_or(usize::MAX);
            if from >= chars.len() {
                return Err(format!(
                    "substring: substring_start {start} is past the end of '{}' ({} characters)",
                    shorten(&v),
                    chars.len()
                ));
            }
            let to = match usize::try_from(length) {
                Ok(l) => from.saturating_add(l).min(chars.len()),
                Err(_) => chars.len(),
            };
            Ok(chars[from..to].iter().collect())
        })
        .collect()
}

/// A value cut to a length fit for a message.
fn shorten(v: &str) -> String {
    if v.chars().count() <= 64 {
        v.to_string()
    } else {
        format!("{}...", v.chars().take(64).collect::<String>())
    }
}

pub(crate) fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// Converts a shell glob to an anchored Perl regular expression, as the schema's
/// GlobToRegexFunctionType table writes it: `*` and `?` do not cross `/`, a wildcard
/// that starts a path component does not match a leading dot (`(?=[^.])[^/]*`,
/// `[^./]`), bracket expressions (with `!` negation and `[:class:]`) pass through, and
/// an unterminated bracket is an error. With `noescape`, a backslash is a literal.
pub(crate) fn glob_to_regex(glob: &str, noescape: bool) -> Result<String, String> {
    let mut out = String::from("^");
    let chars: Vec<char> = glob.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        let component_start = out == "^" || out.ends_with('/');
        match c {
            '\\' if !noescape => match chars.get(i) {
                Some(&n) => {
                    i += 1;
                    out.push_str(&escape_regex(&n.to_string()));
                }
                None => out.push_str("\\\\"),
            },
            '*' if component_start => out.push_str("(?=[^.])[^/]*"),
            '*' => out.push_str("[^/]*"),
            '?' if component_start => out.push_str("[^./]"),
            '?' => out.push_str("[^/]"),
            '[' => {
                let mut class = String::from("[");
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    class.push('^');
                    j += 1;
                }
                let first = j;
                let mut closed = false;
                while j < chars.len() {
                    let b = chars[j];
                    j += 1;
                    match b {
                        ']' if j - 1 > first => {
                            closed = true;
                            class.push(']');
                            break;
                        }
                        '[' if chars.get(j) == Some(&':') => {
                            // A POSIX class, [:digit:], up to its closing ":]".
                            let rest: String = chars[j..].iter().collect();
                            let Some(end) = rest.find(":]") else {
                                return Err(format!(
                                    "glob_to_regex: unterminated character class in '{}'",
                                    shorten(glob)
                                ));
                            };
                            class.push('[');
                            class.push_str(&rest[..end + 2]);
                            j += rest[..end + 2].chars().count();
                        }
                        '\\' if noescape => class.push_str("\\\\"),
                        '\\' => {
                            class.push('\\');
                            if let Some(&n) = chars.get(j) {
                                class.push(n);
                                j += 1;
                            }
                        }
                        b => class.push(b),
                    }
                }
                if !closed {
                    return Err(format!(
                        "glob_to_regex: '{}' has a '[' without its ']'",
                        shorten(glob)
                    ));
                }
                out.push_str(&class);
                i = j;
            }
            c => out.push_str(&escape_regex(&c.to_string())),
        }
    }
    out.push('$');
    Ok(out)
}

/// Seconds between the Windows file time epoch (1601-01-01) and the Unix epoch.
const FILETIME_EPOCH_OFFSET: i64 = 11_644_473_600;

/// Parses a date-time written in `format` (DateTimeFormatEnumeration) to seconds since
/// the Unix epoch. Date-times without a zone are read as UTC: the schema measures
/// differences from "the current time (UTC)".
pub(crate) fn parse_datetime(format: DateTimeFormat, v: &str) -> Result<i64, String> {
    let bad = || {
        format!(
            "time_difference: '{}' is not a {format} date-time ({})",
            shorten(v),
            format_help(format)
        )
    };
    let t = v.trim();
    match format {
        DateTimeFormat::SecondsSinceEpoch => compare::int_value(t).map_err(|_| bad()),
        DateTimeFormat::WinTimestamp => {
            // 100-nanosecond intervals since 1601-01-01 UTC.
            let ticks = compare::int_value(t).map_err(|_| bad())?;
            Ok(ticks.div_euclid(10_000_000) - FILETIME_EPOCH_OFFSET)
        }
        DateTimeFormat::CimDatetime => parse_cim(t).ok_or_else(bad),
        DateTimeFormat::YearMonthDay
        | DateTimeFormat::MonthDayYear
        | DateTimeFormat::DayMonthYear => parse_calendar(format, t).ok_or_else(bad),
    }
}

fn format_help(format: DateTimeFormat) -> &'static str {
    match format {
        DateTimeFormat::YearMonthDay => {
            "yyyymmdd, yyyymmddThhmmss, yyyy/mm/dd hh:mm:ss, yyyy/mm/dd, yyyy-mm-dd hh:mm:ss or yyyy-mm-dd"
        }
        DateTimeFormat::MonthDayYear => {
            "mm/dd/yyyy hh:mm:ss, mm/dd/yyyy, mm-dd-yyyy hh:mm:ss, mm-dd-yyyy, NameOfMonth, dd yyyy hh:mm:ss or NameOfMonth, dd yyyy"
        }
        DateTimeFormat::DayMonthYear => {
            "dd/mm/yyyy hh:mm:ss, dd/mm/yyyy, dd-mm-yyyy hh:mm:ss or dd-mm-yyyy"
        }
        DateTimeFormat::WinTimestamp => {
            "a decimal count of 100-nanosecond intervals since 1601-01-01"
        }
        DateTimeFormat::SecondsSinceEpoch => "a decimal count of seconds since 1970-01-01 UTC",
        DateTimeFormat::CimDatetime => "yyyymmddHHMMSS.mmmmmmsUUU or yyyy-mm-dd HH:MM:SS:mmm",
    }
}

/// A run of 1 to `max` ASCII digits at the start of `s`, and the rest.
fn digits(s: &str, min: usize, max: usize) -> Option<(i64, &str)> {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    if n < min {
        return None;
    }
    Some((s[..n].parse().ok()?, &s[n..]))
}

/// `hh:mm:ss` after the date, or nothing (midnight).
fn time_of_day(rest: &str) -> Option<(i64, i64, i64)> {
    if rest.is_empty() {
        return Some((0, 0, 0));
    }
    let t = rest
        .strip_prefix(|c: char| c.is_ascii_whitespace())?
        .trim_start();
    let (h, t) = digits(t, 1, 2)?;
    let (m, t) = digits(t.strip_prefix(':')?, 1, 2)?;
    let (s, t) = digits(t.strip_prefix(':')?, 1, 2)?;
    t.is_empty().then_some((h, m, s))
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A month name, full or abbreviated to three letters, in any case.
fn month_name(s: &str) -> Option<(i64, &str)> {
    let n = s.bytes().take_while(u8::is_ascii_alphabetic).count();
    let word = s[..n].to_ascii_lowercase();
    let i = MONTHS
        .iter()
        .position(|m| *m == word || (word.len() == 3 && m.starts_with(&word)))?;
    Some((i as i64 + 1, &s[n..]))
}

fn parse_calendar(format: DateTimeFormat, t: &str) -> Option<i64> {
    let (y, m, d, rest) = match format {
        DateTimeFormat::YearMonthDay => {
            let compact = t.len() >= 8 && t.as_bytes()[..8].iter().all(u8::is_ascii_digit);
            if compact {
                let n = |a: usize, b: usize| t[a..b].parse::<i64>().ok();
                let (y, m, d) = (n(0, 4)?, n(4, 6)?, n(6, 8)?);
                let rest = &t[8..];
                if rest.is_empty() {
                    return to_epoch(y, m, d, 0, 0, 0);
                }
                let hms = rest.strip_prefix('T')?;
                if hms.len() != 6 || !hms.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let h = |a: usize| hms[a..a + 2].parse::<i64>().ok();
                return to_epoch(y, m, d, h(0)?, h(2)?, h(4)?);
            }
            let (y, r) = digits(t, 4, 4)?;
            let sep = r.chars().next().filter(|c| matches!(c, '/' | '-'))?;
            let (m, r) = digits(&r[1..], 1, 2)?;
            let (d, r) = digits(r.strip_prefix(sep)?, 1, 2)?;
            (y, m, d, r)
        }
        DateTimeFormat::MonthDayYear if t.starts_with(|c: char| c.is_ascii_alphabetic()) => {
            // NameOfMonth, dd yyyy [hh:mm:ss]
            let (m, r) = month_name(t)?;
            let r = r.strip_prefix(',')?;
            let r = r
                .strip_prefix(|c: char| c.is_ascii_whitespace())?
                .trim_start();
            let (d, r) = digits(r, 1, 2)?;
            let r = r
                .strip_prefix(|c: char| c.is_ascii_whitespace())?
                .trim_start();
            let (y, r) = digits(r, 4, 4)?;
            (y, m, d, r)
        }
        _ => {
            let (a, r) = digits(t, 1, 2)?;
            let sep = r.chars().next().filter(|c| matches!(c, '/' | '-'))?;
            let (b, r) = digits(&r[1..], 1, 2)?;
            let (y, r) = digits(r.strip_prefix(sep)?, 4, 4)?;
            if format == DateTimeFormat::MonthDayYear {
                (y, a, b, r)
            } else {
                (y, b, a, r)
            }
        }
    };
    let (hh, mm, ss) = time_of_day(rest)?;
    to_epoch(y, m, d, hh, mm, ss)
}

/// CIM DATETIME `yyyymmddHHMMSS.mmmmmmsUUU` (DMTF DSP0004): `sUUU` is the offset from
/// UTC in minutes, so the UTC time is the written time minus the offset.
fn parse_cim(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    // "and alternatively 'yyyy-mm-dd HH:MM:SS:mmm' only when used in WMI Query Language
    // queries" (DateTimeFormatEnumeration): no offset, so UTC.
    if b.len() == 23
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[19] == b':'
    {
        let n = |a: usize, z: usize| {
            let f = &t[a..z];
            f.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| f.parse::<i64>().ok())
                .flatten()
        };
        n(20, 23)?;
        return to_epoch(
            n(0, 4)?,
            n(5, 7)?,
            n(8, 10)?,
            n(11, 13)?,
            n(14, 16)?,
            n(17, 19)?,
        );
    }
    if b.len() != 25
        || !b[..14].iter().all(u8::is_ascii_digit)
        || b[14] != b'.'
        || !b[15..21].iter().all(u8::is_ascii_digit)
        || !matches!(b[21], b'+' | b'-')
        || !b[22..].iter().all(u8::is_ascii_digit)
    {
        return None;
    }
    let n = |a: usize, z: usize| t[a..z].parse::<i64>().ok();
    let offset = n(22, 25)? * 60 * if b[21] == b'-' { -1 } else { 1 };
    Some(
        to_epoch(
            n(0, 4)?,
            n(4, 6)?,
            n(6, 8)?,
            n(8, 10)?,
            n(10, 12)?,
            n(12, 14)?,
        )? - offset,
    )
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Seconds since the epoch of a proleptic Gregorian UTC date-time (days from civil, as in
/// Howard Hinnant's algorithm); `None` for a date or time that does not exist.
pub(crate) fn to_epoch(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    if !(1..=12).contains(&m)
        || !(1..=days_in_month(y, m)).contains(&d)
        || !(0..=23).contains(&hh)
        || !(0..=59).contains(&mm)
        || !(0..=60).contains(&ss)
    {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    Some(days * 86400 + hh * 3600 + mm * 60 + ss)
}

/// `time_difference`: with one component, now minus each of its values (read with
/// `format_2`, "as the first input is considered to be the implied 'current time'
/// input"); with two, each value of the first (`format_1`) minus each of the second
/// (`format_2`), over the cartesian product.
pub(crate) fn time_difference(
    format_1: DateTimeFormat,
    format_2: DateTimeFormat,
    lists: &[Vec<String>],
    now: i64,
) -> Result<Vec<String>, String> {
    let diff = |a: i64, b: i64| {
        a.checked_sub(b)
            .map(|d| d.to_string())
            .ok_or_else(|| "time_difference: the difference is out of the 64-bit range".to_string())
    };
    match lists {
        [one] => one
            .iter()
            .map(|v| diff(now, parse_datetime(format_2, v)?))
            .collect(),
        [_, _] => cartesian(lists)?
            .into_iter()
            .map(|p| {
                diff(
                    parse_datetime(format_1, p[0])?,
                    parse_datetime(format_2, p[1])?,
                )
            })
            .collect(),
        _ => Err(format!(
            "time_difference takes one or two components, not {}",
            lists.len()
        )),
    }
}

/// `regex_capture`: for each value, the first capture group of the first match; the
/// empty string when the pattern does not match or has no group ("If no matches are
/// found in a target string, the result for that target must be the empty string").
pub(crate) fn regex_capture(pattern: &str, values: Vec<String>) -> Result<Vec<String>, String> {
    values
        .iter()
        .map(|v| {
            compare::first_group(pattern, v)
                .map(Option::unwrap_or_default)
                .map_err(|e| format!("regex_capture: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn concat_is_a_cartesian_product() {
        assert_eq!(
            concat(&[s(&["a", "b"]), s(&["1", "2"])]).unwrap(),
            s(&["a1", "a2", "b1", "b2"])
        );
        assert!(concat(&[s(&["a"]), vec![]]).unwrap().is_empty());
        // Hostile content: a product past the cap is an error, not an allocation.
        let big: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        assert!(concat(&[big.clone(), big.clone(), big]).is_err());
    }

    #[test]
    fn arithmetic_int_and_float() {
        let r = arithmetic(
            ArithmeticOperation::Add,
            Datatype::Int,
            &[s(&["1", "2"]), s(&["10"])],
        );
        assert_eq!(r.unwrap(), s(&["11", "12"]));
        let r = arithmetic(
            ArithmeticOperation::Multiply,
            Datatype::Int,
            &[s(&["3"]), s(&["-4"])],
        );
        assert_eq!(r.unwrap(), s(&["-12"]));
        let r = arithmetic(
            ArithmeticOperation::Add,
            Datatype::Float,
            &[s(&["1.5"]), s(&["2"])],
        );
        assert_eq!(r.unwrap(), s(&["3.500000"]));
        // oscap writes float results with %f: 1.1 * 1.1 is 1.210000, not 1.2100000000000002.
        let r = arithmetic(
            ArithmeticOperation::Multiply,
            Datatype::Float,
            &[s(&["1.1"]), s(&["1.1"])],
        );
        assert_eq!(r.unwrap(), s(&["1.210000"]));
        // An int and a float component give a float.
        let r = arithmetic(
            ArithmeticOperation::Add,
            Datatype::Int,
            &[s(&["1"]), s(&["0.5"])],
        );
        assert_eq!(r.unwrap(), s(&["1.500000"]));
        assert!(arithmetic(ArithmeticOperation::Add, Datatype::Int, &[s(&["x"])]).is_err());
        for bad in ["9223372036854775807", "1e308"] {
            let r = arithmetic(
                ArithmeticOperation::Add,
                Datatype::Int,
                &[s(&[bad]), s(&[bad])],
            );
            assert!(r.is_err(), "{bad}: {r:?}");
        }
        for hostile in ["nan", "inf", "1e400", ""] {
            let r = arithmetic(
                ArithmeticOperation::Add,
                Datatype::Float,
                &[s(&[hostile]), s(&["1"])],
            );
            assert!(r.is_err(), "{hostile}: {r:?}");
        }
    }

    #[test]
    fn begin_end_split_substring_unique() {
        assert_eq!(begin("/", s(&["etc", "/usr"])), s(&["/etc", "/usr"]));
        assert_eq!(end("/", s(&["etc", "usr/"])), s(&["etc/", "usr/"]));
        assert_eq!(split(",", s(&["a,b", "c"])), s(&["a", "b", "c"]));
        assert_eq!(substring(3, 2, s(&["abcdefg"])).unwrap(), s(&["cd"]));
        assert_eq!(substring(4, -1, s(&["abcdef"])).unwrap(), s(&["def"]));
        assert_eq!(substring(0, 2, s(&["abcdef"])).unwrap(), s(&["ab"]));
        assert_eq!(
            substring(i64::MIN, i64::MAX, s(&["ab"])).unwrap(),
            s(&["ab"])
        );
        assert!(substring(9, 2, s(&["abc"])).is_err());
        assert!(substring(i64::MAX, 2, s(&["abc"])).is_err());
        assert!(substring(1, 1, s(&[""])).is_err());
        assert_eq!(unique(s(&["a", "b", "a"])), s(&["a", "b"]));
    }

    #[test]
    fn regex_escaping_and_globs() {
        assert_eq!(escape_regex("/etc/a.b(c)*"), "/etc/a\\.b\\(c\\)\\*");
        // The schema's GlobToRegexFunctionType table.
        for (glob, noescape, want) in [
            ("/etc/*.conf", false, "^/etc/(?=[^.])[^/]*\\.conf$"),
            ("a?[!x]", false, "^a[^/][^x]$"),
            ("?x", false, "^[^./]x$"),
            ("a\\*", false, "^a\\*$"),
            ("a\\b", true, "^a\\\\b$"),
            ("\\[hello\\]", true, "^\\\\[hello\\\\]$"),
            ("x[[:digit:]]\\*", false, "^x[[:digit:]]\\*$"),
            ("x[[:digit:]]\\*", true, "^x[[:digit:]]\\\\[^/]*$"),
            ("xy/??z", true, "^xy/[^./][^/]z$"),
            ("type*.[ch]", false, "^type[^/]*\\.[ch]$"),
            ("[]a]", false, "^[]a]$"),
            ("", false, "^$"),
            ("\\", false, "^\\\\$"),
        ] {
            assert_eq!(
                glob_to_regex(glob, noescape).unwrap(),
                want,
                "{glob} {noescape}"
            );
        }
        for bad in ["[ab", "a[!", "[[:digit]", "[]"] {
            assert!(glob_to_regex(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn datetimes() {
        use DateTimeFormat as F;
        assert_eq!(to_epoch(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(to_epoch(2000, 3, 1, 0, 0, 0), Some(951868800));
        assert_eq!(to_epoch(2009, 2, 29, 0, 0, 0), None);
        assert_eq!(to_epoch(2008, 2, 29, 0, 0, 0), Some(1204243200));
        // Every variant DateTimeFormatEnumeration lists, for 2009-02-04 12:23:43 UTC.
        let (t, d) = (1233750223, 1233705600);
        for (f, v, want) in [
            (F::YearMonthDay, "20090204", d),
            (F::YearMonthDay, "20090204T122343", t),
            (F::YearMonthDay, "2009/02/04 12:23:43", t),
            (F::YearMonthDay, "2009/02/04", d),
            (F::YearMonthDay, "2009-02-04 12:23:43", t),
            (F::YearMonthDay, "2009-2-4", d),
            (F::MonthDayYear, "02/04/2009 12:23:43", t),
            (F::MonthDayYear, "02-04-2009", d),
            (F::MonthDayYear, "February, 04 2009 12:23:43", t),
            (F::MonthDayYear, "feb, 4 2009", d),
            (F::DayMonthYear, "04/02/2009 12:23:43", t),
            (F::DayMonthYear, "04-02-2009", d),
            (F::SecondsSinceEpoch, "1233750223", t),
            (F::SecondsSinceEpoch, "-5", -5),
            (F::WinTimestamp, "128782238230000000", t),
            (F::CimDatetime, "20090204122343.000000+000", t),
            (F::CimDatetime, "20090204142343.000000+120", t),
            (F::CimDatetime, "2009-02-04 12:23:43:000", t),
        ] {
            assert_eq!(parse_datetime(f, v), Ok(want), "{f} {v}");
        }
        for (f, v) in [
            (F::YearMonthDay, "2009-13-01"),
            (F::YearMonthDay, "2009/02/30"),
            (F::YearMonthDay, "20090204T1223"),
            (F::YearMonthDay, "2009/02-04"),
            (F::YearMonthDay, "2009-02-04T12:23:43"),
            (F::YearMonthDay, "2009-02-04 25:00:00"),
            (F::MonthDayYear, "Febr, 04 2009"),
            (F::MonthDayYear, "Feb 04 2009"),
            (F::DayMonthYear, "01.03.2000"),
            (F::DayMonthYear, "2009-02-04"),
            (F::SecondsSinceEpoch, "99999999999999999999"),
            (F::CimDatetime, "20090204122343"),
            (F::CimDatetime, "2009-02-04 12:23:43:0x0"),
            (F::YearMonthDay, ""),
            (F::YearMonthDay, "２００９-02-04"),
        ] {
            assert!(parse_datetime(f, v).is_err(), "{f} {v}");
        }
    }

    #[test]
    fn time_difference_order_and_now() {
        use DateTimeFormat as F;
        // Two components: first minus second, over the cartesian product.
        let r = time_difference(
            F::MonthDayYear,
            F::MonthDayYear,
            &[s(&["04/02/2009"]), s(&["04/01/2009", "04/03/2009"])],
            0,
        );
        assert_eq!(r.unwrap(), s(&["86400", "-86400"]));
        // One component: now minus it, read with format_2.
        let r = time_difference(F::CimDatetime, F::SecondsSinceEpoch, &[s(&["100"])], 1000);
        assert_eq!(r.unwrap(), s(&["900"]));
        assert!(time_difference(F::YearMonthDay, F::YearMonthDay, &[], 0).is_err());
        let r = time_difference(
            F::SecondsSinceEpoch,
            F::SecondsSinceEpoch,
            &[s(&["-9223372036854775808"]), s(&["1"])],
            0,
        );
        assert!(r.is_err());
    }

    #[test]
    fn regex_capture_gives_the_empty_string_without_a_match_or_group() {
        assert_eq!(
            regex_capture("^abc(.*)xyz$", s(&["abc123xyz", "nothing", "abcxyz"])).unwrap(),
            s(&["123", "", ""])
        );
        assert_eq!(regex_capture("b+", s(&["abbb"])).unwrap(), s(&[""]));
        assert_eq!(
            regex_capture("(a+)(b+)", s(&["xaabbb"])).unwrap(),
            s(&["aa"])
        );
        assert!(regex_capture("(", s(&["a"])).is_err());
    }
}
