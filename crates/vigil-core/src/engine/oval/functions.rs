//! Local-variable functions of OVAL 5.11.1 §4.3.6.7 (concat, arithmetic, begin, end,
//! count, escape_regex, regex_capture, split, substring, time_difference, unique,
//! glob_to_regex) over value lists. Each function maps the value lists of its
//! components to a new list; functions of several components take the cartesian
//! product, as the specification requires.

use crate::content::oval::{ArithmeticOperation, Datatype, DateTimeFormat};

/// Cartesian product of value lists, in component order.
pub(crate) fn cartesian(lists: &[Vec<String>]) -> Vec<Vec<&str>> {
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
    out
}

pub(crate) fn concat(lists: &[Vec<String>]) -> Vec<String> {
    cartesian(lists).into_iter().map(|p| p.concat()).collect()
}

pub(crate) fn arithmetic(
    op: ArithmeticOperation,
    datatype: Datatype,
    lists: &[Vec<String>],
) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for combo in cartesian(lists) {
        if datatype == Datatype::Float || combo.iter().any(|v| v.contains(['.', 'e', 'E'])) {
            let mut acc = if op == ArithmeticOperation::Add {
                0.0
            } else {
                1.0
            };
            for v in combo {
                let x: f64 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("arithmetic: '{v}' is not a number"))?;
                acc = if op == ArithmeticOperation::Add {
                    acc + x
                } else {
                    acc * x
                };
            }
            out.push(format_float(acc));
        } else {
            let mut acc: i128 = if op == ArithmeticOperation::Add { 0 } else { 1 };
            for v in combo {
                let x: i128 = v
                    .trim()
                    .parse()
                    .map_err(|_| format!("arithmetic: '{v}' is not an integer"))?;
                acc = if op == ArithmeticOperation::Add {
                    acc.checked_add(x)
                } else {
                    acc.checked_mul(x)
                }
                .ok_or("arithmetic: integer overflow")?;
            }
            out.push(acc.to_string());
        }
    }
    Ok(out)
}

fn format_float(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.1}")
    } else {
        x.to_string()
    }
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

/// `substring_start` is 1-based; a start below 1 counts as 1, a length of -1 or one
/// running past the end takes the rest of the string.
pub(crate) fn substring(start: i64, length: i64, values: Vec<String>) -> Vec<String> {
    values
        .into_iter()
        .map(|v| {
            let chars: Vec<char> = v.chars().collect();
            let from = (start.max(1) - 1) as usize;
            if from >= chars.len() {
                return String::new();
            }
            let to = if length < 0 {
                chars.len()
            } else {
                (from + length as usize).min(chars.len())
            };
            chars[from..to].iter().collect()
        })
        .collect()
}

pub(crate) fn unique(values: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// Converts a shell glob to an anchored regular expression (`*` and `?` do not cross
/// `/`, bracket expressions pass through). With `noescape`, a backslash is literal.
pub(crate) fn glob_to_regex(glob: &str, noescape: bool) -> String {
    let mut out = String::from("^");
    let mut chars = glob.chars().peekable();
    let mut in_bracket = false;
    while let Some(c) = chars.next() {
        if in_bracket {
            if c == ']' {
                in_bracket = false;
            }
            out.push(c);
            continue;
        }
        match c {
            '\\' if !noescape => match chars.next() {
                Some(n) => out.push_str(&escape_regex(&n.to_string())),
                None => out.push_str("\\\\"),
            },
            // As in shells, a wildcard that starts a path component does not match a
            // leading dot (hidden files).
            '*' | '?' if out.ends_with('/') || out == "^" => {
                out.push_str("(?=[^.])");
                out.push_str(if c == '*' { "[^/]*" } else { "[^/]" });
            }
            '*' => out.push_str("[^/]*"),
            '?' => out.push_str("[^/]"),
            '[' => {
                in_bracket = true;
                out.push('[');
                if chars.peek() == Some(&'!') {
                    chars.next();
                    out.push('^');
                }
            }
            c => out.push_str(&escape_regex(&c.to_string())),
        }
    }
    out.push('$');
    out
}

/// Parses a date-time in one of the OVAL formats to seconds since the epoch (UTC).
pub(crate) fn parse_datetime(format: DateTimeFormat, v: &str) -> Result<i64, String> {
    let v = v.trim();
    let bad = || format!("time_difference: '{v}' is not a {format} date-time");
    match format {
        DateTimeFormat::SecondsSinceEpoch => v.parse::<i64>().map_err(|_| bad()),
        DateTimeFormat::WinTimestamp => {
            let t: i64 = v.parse().map_err(|_| bad())?;
            Ok(t / 10_000_000 - 11_644_473_600)
        }
        DateTimeFormat::CimDatetime => {
            // yyyymmddHHMMSS.mmmmmmsUUU
            if v.len() < 14 || !v[..14].bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            let n = |a: usize, b: usize| v[a..b].parse::<i64>().map_err(|_| bad());
            to_epoch(
                n(0, 4)?,
                n(4, 6)?,
                n(6, 8)?,
                n(8, 10)?,
                n(10, 12)?,
                n(12, 14)?,
            )
            .ok_or_else(bad)
        }
        _ => {
            let (date, time) = match v.split_once([' ', 'T']) {
                Some((d, t)) => (d, t),
                None => (v, "00:00:00"),
            };
            let parts: Vec<&str> = date.split(['/', '-', '.']).collect();
            if parts.len() != 3 {
                return Err(bad());
            }
            let num = |s: &str| s.trim().parse::<i64>().map_err(|_| bad());
            let month_num = |s: &str| -> Result<i64, String> {
                if let Ok(n) = s.trim().parse::<i64>() {
                    return Ok(n);
                }
                const M: [&str; 12] = [
                    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                    "dec",
                ];
                let l = s.trim().to_ascii_lowercase();
                M.iter()
                    .position(|m| l.starts_with(m))
                    .map(|i| i as i64 + 1)
                    .ok_or_else(bad)
            };
            let (y, m, d) = match format {
                DateTimeFormat::YearMonthDay => {
                    (num(parts[0])?, month_num(parts[1])?, num(parts[2])?)
                }
                DateTimeFormat::MonthDayYear => {
                    (num(parts[2])?, month_num(parts[0])?, num(parts[1])?)
                }
                _ => (num(parts[2])?, month_num(parts[1])?, num(parts[0])?),
            };
            let t: Vec<&str> = time.split(':').collect();
            let hh = t.first().map(|s| num(s)).transpose()?.unwrap_or(0);
            let mm = t.get(1).map(|s| num(s)).transpose()?.unwrap_or(0);
            let ss = t.get(2).map(|s| num(s)).transpose()?.unwrap_or(0);
            to_epoch(y, m, d, hh, mm, ss).ok_or_else(bad)
        }
    }
}

/// Days from civil date (proleptic Gregorian), as in Howard Hinnant's algorithm.
pub(crate) fn to_epoch(y: i64, m: i64, d: i64, hh: i64, mm: i64, ss: i64) -> Option<i64> {
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn concat_is_a_cartesian_product() {
        assert_eq!(
            concat(&[s(&["a", "b"]), s(&["1", "2"])]),
            s(&["a1", "a2", "b1", "b2"])
        );
        assert!(concat(&[s(&["a"]), vec![]]).is_empty());
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
        assert_eq!(r.unwrap(), s(&["3.5"]));
        assert!(arithmetic(ArithmeticOperation::Add, Datatype::Int, &[s(&["x"])]).is_err());
    }

    #[test]
    fn begin_end_split_substring_unique() {
        assert_eq!(begin("/", s(&["etc", "/usr"])), s(&["/etc", "/usr"]));
        assert_eq!(end("/", s(&["etc", "usr/"])), s(&["etc/", "usr/"]));
        assert_eq!(split(",", s(&["a,b", "c"])), s(&["a", "b", "c"]));
        assert_eq!(substring(2, 3, s(&["abcdef"])), s(&["bcd"]));
        assert_eq!(substring(4, -1, s(&["abcdef"])), s(&["def"]));
        assert_eq!(substring(0, 2, s(&["abcdef"])), s(&["ab"]));
        assert_eq!(substring(9, 2, s(&["abc"])), s(&[""]));
        assert_eq!(unique(s(&["a", "b", "a"])), s(&["a", "b"]));
    }

    #[test]
    fn regex_escaping_and_globs() {
        assert_eq!(escape_regex("/etc/a.b(c)*"), "/etc/a\\.b\\(c\\)\\*");
        assert_eq!(
            glob_to_regex("/etc/*.conf", false),
            "^/etc/(?=[^.])[^/]*\\.conf$"
        );
        assert_eq!(glob_to_regex("a?[!x]", false), "^a[^/][^x]$");
        assert_eq!(glob_to_regex("?x", false), "^(?=[^.])[^/]x$");
        assert_eq!(glob_to_regex("a\\*", false), "^a\\*$");
        assert_eq!(glob_to_regex("a\\b", true), "^a\\\\b$");
    }

    #[test]
    fn datetimes() {
        assert_eq!(to_epoch(1970, 1, 1, 0, 0, 0), Some(0));
        assert_eq!(to_epoch(2000, 3, 1, 0, 0, 0), Some(951868800));
        assert_eq!(
            parse_datetime(DateTimeFormat::YearMonthDay, "2000/03/01 00:00:10"),
            Ok(951868810)
        );
        assert!(parse_datetime(DateTimeFormat::MonthDayYear, "Mar 1 2000").is_err());
        assert_eq!(
            parse_datetime(DateTimeFormat::MonthDayYear, "03/01/2000"),
            Ok(951868800)
        );
        assert_eq!(
            parse_datetime(DateTimeFormat::DayMonthYear, "01.03.2000"),
            Ok(951868800)
        );
        assert_eq!(
            parse_datetime(DateTimeFormat::SecondsSinceEpoch, "42"),
            Ok(42)
        );
    }
}
