//! `textfilecontent54_item` construction (OVAL 5.11 independent-system-characteristics
//! `textfilecontent_item`): one item per match of the pattern in the file, `instance`
//! numbering the matches from 1, `text` the whole match and one `subexpression` per
//! capture group. Behaviors `multiline` (default true: `^`/`$` match at line breaks),
//! `singleline` (default false: `.` matches a newline) and `ignore_case` set the PCRE2
//! flags. Like oscap, the item also carries `line` with the pattern (its deprecated
//! 5.x field).

use std::ffi::OsStr;
use std::path::Path;

use pcre2::bytes::Regex;

use super::file::push_location;
use super::matcher::Matcher;
use crate::probes::{Full, Item};

pub(crate) struct Params {
    /// (pattern as written, compiled).
    pub patterns: Vec<(String, Regex)>,
    /// `None`: every instance.
    pub instance: Option<Matcher>,
}

/// The items for one file's content, handed to `emit` one match at a time (a file of a
/// million matching lines is never turned into a million items before the object's
/// limits are checked); stops at the first [`Full`]. `Err`: the pattern could not be
/// matched (e.g. it hit the PCRE2 match limit).
pub(crate) fn items(
    dir: &Path,
    name: &OsStr,
    content: &[u8],
    p: &Params,
    emit: &mut dyn FnMut(Item) -> Result<(), Full>,
) -> Result<Result<(), Full>, String> {
    for (pattern, re) in &p.patterns {
        for (n, caps) in re.captures_iter(content).enumerate() {
            let caps = caps.map_err(|e| vigil_core::values::pattern::match_failure(pattern, &e))?;
            let instance = (n + 1).to_string();
            if let Some(m) = &p.instance
                && !m.matches(&instance)?
            {
                continue;
            }
            let mut item = Item::new();
            push_location(&mut item, dir, Some(name));
            item.push("pattern", pattern.as_str());
            item.push("instance", instance);
            item.push("line", pattern.as_str());
            item.push(
                "text",
                String::from_utf8_lossy(caps.get(0).map_or(&b""[..], |m| m.as_bytes())),
            );
            for g in 1..caps.len() {
                item.push(
                    "subexpression",
                    String::from_utf8_lossy(caps.get(g).map_or(&b""[..], |m| m.as_bytes())),
                );
            }
            if let Err(full) = emit(item) {
                return Ok(Err(full));
            }
        }
    }
    Ok(Ok(()))
}

/// [`items`] collected into a vector (tests).
#[cfg(test)]
fn all_items(dir: &Path, name: &OsStr, content: &[u8], p: &Params) -> Result<Vec<Item>, String> {
    let mut out = Vec::new();
    items(dir, name, content, p, &mut |i| {
        out.push(i);
        Ok(())
    })?
    .unwrap();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::matcher::compile;
    use super::*;
    use crate::probes::QueryEntity;
    use vigil_core::content::oval::{Check, Datatype, Operation};

    fn params(
        pat: &str,
        multiline: bool,
        singleline: bool,
        inst: Option<(Operation, &str)>,
    ) -> Params {
        Params {
            patterns: vec![(
                pat.to_string(),
                compile(pat, multiline, singleline, false).unwrap(),
            )],
            instance: inst.map(|(op, v)| {
                Matcher::new(&QueryEntity {
                    name: "instance".into(),
                    datatype: Datatype::Int,
                    operation: op,
                    values: vec![v.into()],
                    nil: false,
                    var_check: Check::All,
                    from_variable: false,
                })
                .unwrap()
            }),
        }
    }

    fn texts(items: &[Item], f: &str) -> Vec<Vec<String>> {
        items
            .iter()
            .map(|i| {
                i.values(f)
                    .map(|v| v.unwrap_or_default().to_string())
                    .collect()
            })
            .collect()
    }

    const CONF: &[u8] = b"# c\nfoo=1 a\nbar=2\nfoo=3 b\n";

    #[test]
    fn instances_and_subexpressions_multiline() {
        let p = params(r"^foo=(\d) (\w)$", true, false, None);
        let items = all_items(Path::new("/etc"), OsStr::new("x"), CONF, &p).unwrap();
        assert_eq!(texts(&items, "instance"), [["1"], ["2"]]);
        assert_eq!(texts(&items, "text"), [["foo=1 a"], ["foo=3 b"]]);
        assert_eq!(texts(&items, "subexpression"), [["1", "a"], ["3", "b"]]);
        assert_eq!(items[0].first("filepath"), Some("/etc/x"));
        // Instance selects among the matches.
        let p = params(r"^foo=(\d)", true, false, Some((Operation::Equals, "2")));
        let items = super::all_items(Path::new("/etc"), OsStr::new("x"), CONF, &p).unwrap();
        assert_eq!(texts(&items, "subexpression"), [["3"]]);
        let p = params(
            r"^foo=(\d)",
            true,
            false,
            Some((Operation::GreaterThanOrEqual, "1")),
        );
        assert_eq!(
            super::all_items(Path::new("/e"), OsStr::new("x"), CONF, &p)
                .unwrap()
                .len(),
            2
        );
    }

    #[test]
    fn multiline_off_anchors_to_the_whole_file() {
        let p = params(r"^foo=(\d)", false, false, None);
        assert!(
            all_items(Path::new("/e"), OsStr::new("x"), CONF, &p)
                .unwrap()
                .is_empty()
        );
        let p = params(r"^# c", false, false, None);
        assert_eq!(
            all_items(Path::new("/e"), OsStr::new("x"), CONF, &p)
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn singleline_dot_crosses_lines() {
        let p = params(r"foo=1.(.)ar", true, false, None);
        assert!(
            all_items(Path::new("/e"), OsStr::new("x"), CONF, &p)
                .unwrap()
                .is_empty()
        );
        let p = params(r"a.(b)ar", true, true, None);
        let it = all_items(Path::new("/e"), OsStr::new("x"), CONF, &p).unwrap();
        assert_eq!(texts(&it, "text"), [["a\nbar"]]);
        assert_eq!(texts(&it, "subexpression"), [["b"]]);
    }
}
