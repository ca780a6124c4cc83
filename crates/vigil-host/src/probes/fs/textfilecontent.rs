//! `textfilecontent_item` construction for the deprecated `textfilecontent_object`
//! (OVAL 5.11 independent-definitions-schema, deprecated since 5.4 in favour of
//! textfilecontent54; the object names a file by `path` + `filename` or `filepath` and
//! a `line` pattern).
//!
//! Answered as oscap 1.3.7 answers it (compared on
//! `tests/fixtures/oval/fs/textfilecontent.xml`): the file is read line by line, each
//! line with its newline and at most 4095 bytes (a longer line is matched in pieces, as
//! oscap's `fgets` buffer gives it), and cut at a NUL byte; the pattern is matched
//! once per line, without multiline or dotall (so `$` matches before the newline and
//! `.` never crosses a line); every matching line is one item, `instance` counting
//! them from 1, `text` the match, one `subexpression` per capture group that took part
//! in the match (a group that did not is left out, not given as empty), `pattern` the
//! pattern, and `line` the matched text: a state's `line` is compared with what
//! matched, as oscap compares it (its results document shows the pattern there, but
//! its comparison uses the text), and as the 5.11 item schema describes it ("a line in
//! the file that was collected"). The `line` entity's operation is ignored: its value
//! is always the regular expression. A file that is not regular (FIFO, device,
//! directory, dangling link) gives no item, even when named directly, as in oscap.
//!
//! Deliberate differences from oscap 1.3.7, following the specification (OVAL 5.11.2
//! independent-definitions-schema, `textfilecontent_object`: every line matching
//! `line` is an item): oscap reports only the first matching line of a file (its
//! later instances are lost), vigil every matching line; a `line` that is not a valid
//! regular expression makes the object an error here, where oscap silently collects
//! nothing (does not exist).

use std::ffi::OsStr;
use std::path::Path;

use pcre2::bytes::Regex;

use super::file::push_location;
use crate::probes::{Full, Item};

/// oscap reads lines into a buffer of this size, terminator included.
const LINE_BUFFER: usize = 4096;

pub(crate) struct Params {
    /// (pattern as written, compiled).
    pub pattern: (String, Regex),
}

/// The pieces oscap's `fgets` loop would see, each cut at its first NUL.
fn lines(content: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = content;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let max = rest.len().min(LINE_BUFFER - 1);
        let end = rest[..max]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(max, |p| p + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        Some(match line.iter().position(|&b| b == 0) {
            Some(nul) => &line[..nul],
            None => line,
        })
    })
}

/// The items for one file's content, handed to `emit` one matching line at a time.
/// `Err`: the pattern could not be matched (e.g. it hit the PCRE2 match limit).
pub(crate) fn items(
    dir: &Path,
    name: &OsStr,
    content: &[u8],
    p: &Params,
    emit: &mut dyn FnMut(Item) -> Result<(), Full>,
) -> Result<Result<(), Full>, String> {
    let (pattern, re) = &p.pattern;
    let mut instance = 0u64;
    for line in lines(content) {
        let Some(caps) = re
            .captures(line)
            .map_err(|e| vigil_core::values::pattern::match_failure(pattern, &e))?
        else {
            continue;
        };
        instance += 1;
        let mut item = Item::new();
        push_location(&mut item, dir, Some(name));
        item.push("pattern", pattern.as_str());
        item.push("instance", instance.to_string());
        let text = String::from_utf8_lossy(caps.get(0).map_or(&b""[..], |m| m.as_bytes()));
        item.push("line", text.clone());
        item.push("text", text);
        for g in 1..caps.len() {
            if let Some(m) = caps.get(g) {
                item.push("subexpression", String::from_utf8_lossy(m.as_bytes()));
            }
        }
        if let Err(full) = emit(item) {
            return Ok(Err(full));
        }
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::super::matcher::compile;
    use super::*;

    fn run(pat: &str, content: &[u8]) -> Vec<Item> {
        let p = Params {
            pattern: (pat.into(), compile(pat, false, false, false).unwrap()),
        };
        let mut out = Vec::new();
        items(Path::new("/etc"), OsStr::new("f"), content, &p, &mut |i| {
            out.push(i);
            Ok(())
        })
        .unwrap()
        .unwrap();
        out
    }

    fn field(items: &[Item], f: &str) -> Vec<Vec<String>> {
        items
            .iter()
            .map(|i| i.values(f).map(|v| v.unwrap().to_string()).collect())
            .collect()
    }

    #[test]
    fn one_item_per_matching_line_first_match_only() {
        let it = run(r"^(\w+)=(\d)", b"a=1 b=2\n# c=3\nd=4\n");
        assert_eq!(field(&it, "instance"), [["1"], ["2"]]);
        assert_eq!(field(&it, "text"), [["a=1"], ["d=4"]]);
        assert_eq!(field(&it, "subexpression"), [["a", "1"], ["d", "4"]]);
        assert_eq!(field(&it, "line"), [["a=1"], ["d=4"]]);
        assert_eq!(it[0].first("filepath"), Some("/etc/f"));
    }

    #[test]
    fn dollar_before_newline_and_unset_groups_left_out() {
        assert_eq!(field(&run(r"x$", b"ax\nb\n"), "text"), [["x"]]);
        let it = run(r"^(a)|(b)$", b"b\n");
        assert_eq!(field(&it, "subexpression"), [["b"]]);
        // No line crossing: the pattern never sees two lines.
        assert!(run(r"a\nb", b"a\nb\n").is_empty());
    }

    #[test]
    fn long_lines_in_pieces_and_nul_cuts() {
        let mut long = vec![b'a'; 5000];
        long.extend_from_slice(b"END\n");
        // The first 4095 bytes are one piece, the rest (with END) another.
        assert_eq!(run("^a+END", &long).len(), 1);
        assert_eq!(run("^a{4095}$", &long).len(), 1);
        assert!(run("hidden", b"shown\0hidden\n").is_empty());
    }
}
