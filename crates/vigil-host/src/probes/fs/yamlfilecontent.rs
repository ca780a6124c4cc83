//! `yamlfilecontent_item` construction (OpenSCAP's independent extension to OVAL 5.11,
//! `/usr/share/openscap/schemas/oval/5.11.3/independent-definitions-schema.xsd`
//! `yamlfilecontent_object`): what a YAML Path selects in a YAML file, as `value`
//! record entities.
//!
//! Behaviour follows oscap 1.3.7's probe and the yaml-path filter it uses (read for
//! behaviour in OpenSCAP/openscap `yamlfilecontent_probe.c` and OpenSCAP/yaml-filter
//! `yaml-path.c`, then measured against oscap 1.3.7 on this host: its yaml-path is an
//! older one than the repository's), compared on `tests/fixtures/oval/yaml/`:
//! - the path: `.key`, `key` (first segment), `$` (root), `['key.with.dots']` and
//!   `["..."]`, `[n]` (`[ 1]`, `[+1]` too, as C `strtol` reads them), `[:]` (every
//!   element), `.*` / `[*]`; other slices (`[0:2]`, `[1:]`), negative indexes and
//!   anything else in brackets are errors, as in oscap; text after a `]` that is not
//!   `.` or `[` is ignored, as in yaml-path;
//! - a trailing `.*` / `[*]` selects the map before it whole (and nothing of a
//!   sequence), as oscap answers; inside the path it selects every value of a map;
//! - the path is applied to every document of the file (`---`);
//! - the selected events become records as oscap builds them: a scalar (or each
//!   scalar of a selected sequence, over all documents) is a field named `#` of one
//!   record; a map is one record whose fields are its keys (capitals written `^x`,
//!   `^` as `^^`, since OVAL field names are lower case), a sequence value giving
//!   several fields of that name; a sequence of maps or of sequences gives one record
//!   per element; a map in a map, or deeper, is an error ("multi-dimensional
//!   structure");
//! - a scalar's value: plain `true|True|TRUE` / `false|...` is a boolean, decimal,
//!   `0o` and `0x` integers are ints (written in decimal, cut to 32 bits as oscap's
//!   C `int` is), floats are written as C's `%f` does (`1.5` is `1.500000`), a plain
//!   null (`null`, `~`, empty) is written `(null)` (oscap's NULL string through
//!   glibc's printf); quoted scalars and everything else (`yes`, `on`) are strings; an
//!   explicit `!!bool`, `!!int` or `!!float` tag on a scalar it cannot convert is an
//!   error;
//! - an alias (`*a`) is skipped and, as in oscap, not counted as a map's key or value;
//! - nothing selected gives no item (the object does not exist).
//!
//! Offline (`--root`), the file is read inside the root through the walk, like the
//! other content kinds.
//!
//! Hostile files: the file is parsed as a stream of events (yaml-rust2's parser), so
//! aliases are never expanded (no billion laughs) and memory is what the selected
//! records hold; nesting deeper than yaml-rust2's recursion limit (a parser error) or
//! [`MAX_DEPTH`], and more than [`MAX_FIELDS`]
//! collected values are errors naming the file; the size is capped by the walk's
//! file-size limit before the file is read.
//!
//! Why yaml-rust2: it is a pure-Rust, maintained YAML 1.2 parser that exposes the
//! event stream (what oscap's libyaml-based filter works on), with no C library and
//! no `unsafe` parser to trust with hostile files; `serde_yaml` is deprecated and
//! unmaintained, `serde_yml` is a fork with a poor record, and both build values
//! (expanding aliases) rather than events; `saphyr` is the same authors' successor,
//! still changing its API between 0.x releases.
//!
//! Deliberate differences from oscap: a path starting with an anchor (`&name`) is an
//! error item here (yaml-rust2 numbers anchors rather than naming them); a selected
//! structure that is an error, or a bad path, gives an error item for that file here,
//! where oscap flags the whole object `error` with no item (the test result is
//! `error` either way); the `content` entity (a YAML text in the object) is not
//! collected; record fields carry no datatype (the state field's datatype decides
//! the comparison, as it does in oscap); fields are in document order, not oscap's
//! hash order.

use std::ffi::OsStr;
use std::path::Path;

use yaml_rust2::parser::{Event, Parser};
use yaml_rust2::scanner::TScalarStyle;

use super::file::push_location;
use crate::probes::{Item, ItemField, ItemStatus};

/// Deeper nesting is refused.
pub(crate) const MAX_DEPTH: usize = 1000;
/// More collected values (record fields, over all records) are refused.
pub(crate) const MAX_FIELDS: usize = 100_000;
/// Longer paths are refused (yaml-path's own bound is 255 sections of 1024 bytes).
const MAX_PATH_LEN: usize = 16 * 1024;

#[derive(Debug, Clone, PartialEq)]
enum Sec {
    Root,
    Key(String),
    Index(i64),
    /// `[:]`: every element of a sequence.
    All,
    /// `.*` / `[*]`: any key of a map.
    AnyKey,
}

/// A parsed YAML Path.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct YamlPath {
    secs: Vec<Sec>,
    /// The path ended in a wildcard key: only maps are selected.
    maps_only: bool,
}

/// C `strtol` on a byte slice from `i`: the value and where it stopped (`i` when no
/// digits were read).
fn strtol(b: &[u8], i: usize) -> (i64, usize) {
    let mut j = i;
    while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        j += 1;
    }
    let neg = j < b.len() && b[j] == b'-';
    if j < b.len() && (b[j] == b'-' || b[j] == b'+') {
        j += 1;
    }
    let digits = j;
    let mut v: i64 = 0;
    while j < b.len() && b[j].is_ascii_digit() {
        v = v.saturating_mul(10).saturating_add(i64::from(b[j] - b'0'));
        j += 1;
    }
    if j == digits {
        return (0, i);
    }
    // `int` in yaml-path: the long is cut to 32 bits.
    let v = if neg { -v } else { v };
    (i64::from(v as i32), j)
}

impl YamlPath {
    pub(crate) fn parse(src: &str) -> Result<YamlPath, String> {
        let bad = |why: &str| Err(format!("Invalid YAML path '{src}': {why}"));
        if src.is_empty() {
            return bad("Path is empty");
        }
        if src.len() > MAX_PATH_LEN {
            return bad("longer than 16 KiB");
        }
        let b = src.as_bytes();
        let mut secs: Vec<Sec> = Vec::new();
        let mut i = 0;
        let key_end = |from: usize| {
            let mut e = from;
            while e < b.len() && b[e] != b'.' && b[e] != b'[' {
                e += 1;
            }
            e
        };
        let key = |k: &str| {
            if k == "*" {
                Sec::AnyKey
            } else {
                Sec::Key(k.to_string())
            }
        };
        while i < b.len() {
            match b[i] {
                c @ (b'.' | b'[') => {
                    if secs.is_empty() {
                        secs.push(Sec::Root);
                    }
                    if c == b'.' {
                        let e = key_end(i + 1);
                        if e == i + 1 {
                            return bad("Segment key is missing");
                        }
                        secs.push(key(&src[i + 1..e]));
                        i = e;
                        continue;
                    }
                    match b.get(i + 1) {
                        Some(&q @ (b'\'' | b'"')) => {
                            let open = i + 1;
                            let mut e = open + 1;
                            while e < b.len() && b[e] != q {
                                e += 1;
                            }
                            if e == open + 1 {
                                return bad("Segment key is missing");
                            }
                            if e >= b.len() {
                                return bad("Segment key is invalid (missing closing quote)");
                            }
                            if b.get(e + 1) != Some(&b']') {
                                return bad("Segment key is invalid (invalid character)");
                            }
                            secs.push(Sec::Key(src[open + 1..e].to_string()));
                            i = e + 2;
                        }
                        Some(b'*') if b.get(i + 2) == Some(&b']') => {
                            secs.push(Sec::AnyKey);
                            i += 3;
                        }
                        // yaml-path of oscap 1.3.7 knows one slice: all elements.
                        Some(b':') if b.get(i + 2) == Some(&b']') => {
                            secs.push(Sec::All);
                            i += 3;
                        }
                        _ => {
                            let (n, e) = strtol(b, i + 1);
                            if e == i + 1 {
                                return bad("Segment index is invalid (invalid character)");
                            }
                            if n < 0 {
                                return bad("Segment index is invalid (negative number)");
                            }
                            if b.get(e) != Some(&b']') {
                                return bad("Segment index is invalid (invalid character)");
                            }
                            secs.push(Sec::Index(n));
                            i = e + 1;
                        }
                    }
                }
                c => {
                    if secs.is_empty() {
                        let next = b.get(i + 1);
                        if c == b'$' && matches!(next, None | Some(b'.') | Some(b'[')) {
                            secs.push(Sec::Root);
                            i += 1;
                        } else if c == b'&' {
                            return bad("anchors (&name) are not supported by vigil");
                        } else {
                            let e = key_end(i + 1);
                            secs.push(Sec::Root);
                            secs.push(key(&src[i..e]));
                            i = e;
                        }
                    } else {
                        // yaml-path skips what follows a `]` up to the next `.` or `[`.
                        i += 1;
                    }
                }
            }
        }
        if secs.is_empty() {
            return bad("Invalid path segments");
        }
        // A trailing `.m.*` selects the map `.m` itself (oscap's answer); inside the
        // path a wildcard key selects every value of a map, and nothing of a sequence.
        let maps_only = secs.last() == Some(&Sec::AnyKey);
        if maps_only {
            secs.pop();
            if secs.contains(&Sec::All) {
                return bad("a trailing wildcard key after [:] is not supported by vigil");
            }
        }
        Ok(YamlPath { secs, maps_only })
    }
}

#[derive(Clone, Copy, PartialEq)]
enum NodeType {
    Scalar,
    Map,
    Seq,
}

/// The per-section state of yaml-path's event filter.
struct SecState {
    node: NodeType,
    counter: i64,
    valid: bool,
    next_valid: bool,
}

/// yaml-path's event filter: decides for each event whether it is in the selection.
struct Filter<'p> {
    path: &'p YamlPath,
    st: Vec<SecState>,
    /// 1-based level of the first slice section, 0 without one.
    seq_level: usize,
    current: usize,
    start: usize,
}

enum Ev<'e> {
    DocStart,
    DocEnd,
    MapStart,
    SeqStart,
    MapEnd,
    SeqEnd,
    Alias,
    Scalar(&'e str),
    Other,
}

impl<'p> Filter<'p> {
    fn new(path: &'p YamlPath) -> Self {
        let seq_level = path
            .secs
            .iter()
            .position(|s| matches!(s, Sec::All))
            .map_or(0, |p| p + 1);
        Filter {
            path,
            st: path
                .secs
                .iter()
                .map(|_| SecState {
                    node: NodeType::Scalar,
                    counter: 0,
                    valid: false,
                    next_valid: false,
                })
                .collect(),
            seq_level,
            current: 0,
            start: 0,
        }
    }

    /// The 0-based index of the section for the current level, if any.
    fn cur(&self) -> Option<usize> {
        if self.start == 0 || self.current + 1 < self.start {
            return None;
        }
        let level = self.current + 1 - self.start;
        (level >= 1 && level <= self.st.len()).then(|| level - 1)
    }

    fn all_valid(&self) -> bool {
        self.st.iter().all(|s| s.valid)
    }

    fn prev_valid(&self) -> bool {
        let lvl = (self.current + 1).saturating_sub(self.start);
        self.st.iter().take(lvl.saturating_sub(1)).all(|s| s.valid)
    }

    fn is_last(&self) -> bool {
        self.cur() == Some(self.st.len() - 1)
    }

    fn mandatory_seq(&self) -> bool {
        self.cur()
            .is_some_and(|c| matches!(self.path.secs[c], Sec::All) && c + 1 == self.seq_level)
    }

    fn event(&mut self, ev: &Ev<'_>) -> bool {
        if self.start == 0 && matches!(ev, Ev::DocStart) {
            // Every parsed path starts with the root section.
            self.start = 1;
            self.st[0].valid = true;
        }
        if let Some(c) = self.cur()
            && matches!(
                ev,
                Ev::DocStart | Ev::MapStart | Ev::SeqStart | Ev::Alias | Ev::Scalar(_)
            )
        {
            {
                let s = &mut self.st[c];
                match s.node {
                    NodeType::Scalar => s.valid = true,
                    NodeType::Map => match &self.path.secs[c] {
                        sec @ (Sec::Key(_) | Sec::AnyKey) => {
                            if s.counter % 2 == 1 {
                                s.valid = s.next_valid;
                                s.next_valid = false;
                            } else {
                                // A complex or aliased key never names a section.
                                s.next_valid = match sec {
                                    Sec::Key(k) => matches!(ev, Ev::Scalar(v) if v == k),
                                    _ => true,
                                };
                                s.valid = false;
                            }
                        }
                        _ => s.valid = false,
                    },
                    NodeType::Seq => {
                        s.valid = match self.path.secs[c] {
                            Sec::Index(i) => i == s.counter,
                            Sec::All => true,
                            _ => false,
                        };
                    }
                }
                s.counter += 1;
            }
        }
        match ev {
            Ev::DocStart => {
                if self.start == 1 {
                    self.current += 1;
                }
                false
            }
            Ev::DocEnd => {
                if self.start == 1 {
                    self.current = self.current.saturating_sub(1);
                }
                false
            }
            Ev::MapStart | Ev::SeqStart => {
                let mut res = false;
                if self.cur().is_some() {
                    if self.is_last() {
                        res = self.all_valid();
                    }
                } else if self.current > self.start {
                    res = self.all_valid();
                }
                self.current += 1;
                if self.cur().is_some() && self.mandatory_seq() {
                    res = self.prev_valid();
                }
                if let Some(c) = self.cur() {
                    self.st[c].node = if matches!(ev, Ev::MapStart) {
                        NodeType::Map
                    } else {
                        NodeType::Seq
                    };
                    self.st[c].counter = 0;
                }
                res
            }
            Ev::MapEnd | Ev::SeqEnd => {
                let mut res = false;
                if self.cur().is_some() && self.mandatory_seq() {
                    res = self.prev_valid();
                }
                self.current = self.current.saturating_sub(1);
                if self.cur().is_some() {
                    if self.is_last() {
                        res = self.all_valid();
                    }
                } else if self.current > self.start {
                    res = self.all_valid();
                }
                res
            }
            Ev::Alias | Ev::Scalar(_) => {
                if self.cur().is_none() {
                    self.current >= self.start && self.all_valid()
                } else {
                    self.all_valid() && self.is_last()
                }
            }
            Ev::Other => false,
        }
    }
}

/// `Foo^` as an OVAL field name: `^foo^^`.
fn escape_key(k: &str) -> String {
    let mut s = String::with_capacity(k.len());
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            s.push('^');
            s.push(c.to_ascii_lowercase());
        } else if c == '^' {
            s.push_str("^^");
        } else {
            s.push(c);
        }
    }
    s
}

fn full_match(re: &str, v: &str) -> bool {
    // Small fixed patterns; compiled per call as the values are few.
    pcre2::bytes::Regex::new(re).is_ok_and(|r| r.is_match(v.as_bytes()).unwrap_or(false))
}

/// C `strtol` with a base over the whole text (already checked to be digits).
fn c_int(digits: &str, radix: u32, neg: bool) -> String {
    let v = i64::from_str_radix(digits, radix).unwrap_or(i64::MAX);
    let v = if neg { v.saturating_neg() } else { v };
    (v as i32).to_string()
}

/// A scalar's value as oscap types it; `None`: its explicit tag does not fit.
fn scalar_value(value: &str, style: TScalarStyle, tag: Option<&str>) -> Option<String> {
    const Y: &str = "tag:yaml.org,2002:";
    let tag = match tag {
        None if style != TScalarStyle::Plain => "!".to_string(),
        None => "?".to_string(),
        Some(t) => t.to_string(),
    };
    let question = tag == "?";
    let is = |t: &str| tag.strip_prefix(Y) == Some(t);
    if question || is("bool") {
        if full_match("^(true|True|TRUE)$", value) {
            return Some("true".into());
        } else if full_match("^(false|False|FALSE)$", value) {
            return Some("false".into());
        } else if !question {
            return None;
        }
    }
    if question || is("int") {
        if full_match("^[+-]?[0-9]+$", value) {
            let neg = value.starts_with('-');
            return Some(c_int(value.trim_start_matches(['+', '-']), 10, neg));
        } else if full_match("^0o[0-7]+$", value) {
            return Some(c_int(&value[2..], 8, false));
        } else if full_match("^0x[0-9a-fA-F]+$", value) {
            return Some(c_int(&value[2..], 16, false));
        } else if !question {
            return None;
        }
    }
    if question || is("float") {
        // Written as C's "%f" writes a double, as oscap does.
        if full_match(
            r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$",
            value,
        ) {
            return value.parse::<f64>().ok().map(|f| format!("{f:.6}"));
        } else if full_match(r"^[-+]?(\.inf|\.Inf|\.INF)$", value) {
            return Some(
                if value.starts_with('-') {
                    "-inf"
                } else {
                    "inf"
                }
                .into(),
            );
        } else if full_match(r"^(\.nan|\.NaN|\.NAN)$", value) {
            return Some("nan".into());
        } else if !question {
            return None;
        }
    }
    // A null is a NULL string to oscap, which it writes as glibc prints one.
    if (question && full_match("^(null|Null|NULL|~|)$", value)) || is("null") {
        return Some("(null)".into());
    }
    Some(value.to_string())
}

type Record = Vec<ItemField>;

/// oscap's record builder over the selected events.
#[derive(Default)]
struct Builder {
    sequence: bool,
    mapping: bool,
    fake_mapping: bool,
    index: usize,
    key: Option<String>,
    record: Option<Record>,
    values: Vec<Record>,
    fields: usize,
}

impl Builder {
    fn flush(&mut self) {
        if let Some(r) = self.record.take()
            && !r.is_empty()
        {
            self.values.push(r);
        }
    }

    fn event(
        &mut self,
        ev: &Ev<'_>,
        scalar: Option<Option<String>>,
        yp: &str,
    ) -> Result<(), String> {
        let multi = |what: &str| {
            Err(format!(
                "YAML path '{yp}' points to a multi-dimensional structure ({what})"
            ))
        };
        if self.sequence {
            match ev {
                Ev::SeqEnd if self.fake_mapping => {
                    self.fake_mapping = false;
                    self.flush();
                }
                Ev::SeqEnd => self.sequence = false,
                Ev::SeqStart if self.mapping || self.fake_mapping => {
                    return multi("a map or a sequence containing other sequences");
                }
                Ev::SeqStart => {
                    self.fake_mapping = true;
                    self.record = Some(Vec::new());
                }
                _ => {}
            }
        } else if matches!(ev, Ev::SeqStart) {
            self.sequence = true;
            if self.mapping {
                self.index += 1;
            }
        }
        if self.mapping {
            match ev {
                Ev::MapEnd => {
                    self.mapping = false;
                    self.flush();
                }
                Ev::MapStart => return multi("map containing another map"),
                _ => {}
            }
        } else if matches!(ev, Ev::MapStart) {
            if self.record.is_some() {
                return Err(format!(
                    "YAML path '{yp}' points to an invalid structure (map containing another map)"
                ));
            }
            if self.fake_mapping {
                return multi("two-dimensional sequence containing a map");
            }
            self.mapping = true;
            self.sequence = false;
            self.index = 0;
            self.record = Some(Vec::new());
        }
        match ev {
            // An alias is not a scalar to oscap: it is skipped, and not counted as a
            // map's key or value either (so `{x: *a, y: 2}` gives the field x = "y").
            Ev::Alias => {}
            Ev::Scalar(raw) => {
                if self.mapping && !self.sequence {
                    let is_key = self.index.is_multiple_of(2);
                    self.index += 1;
                    if is_key {
                        self.key = Some(escape_key(raw));
                        return Ok(());
                    }
                }
                let Some(Some(v)) = scalar else {
                    return Err(format!("cannot convert '{raw}' to the type its tag names"));
                };
                self.fields += 1;
                if self.fields > MAX_FIELDS {
                    return Err(format!("more than {MAX_FIELDS} values selected"));
                }
                let key = self.key.clone().unwrap_or_else(|| "#".to_string());
                self.record
                    .get_or_insert_with(Vec::new)
                    .push(ItemField::simple(&key, v));
            }
            _ => {}
        }
        Ok(())
    }
}

/// The records the path selects in the text.
fn query(text: &str, path: &YamlPath, yp: &str) -> Result<Vec<Record>, String> {
    let mut parser = Parser::new_from_str(text);
    let mut filter = Filter::new(path);
    let mut b = Builder::default();
    let mut depth = 0usize;
    let (mut skip_depth, mut open) = (0usize, 0usize);
    let r = loop {
        let (ev, mark) = match parser.next_token() {
            Ok(e) => e,
            Err(e) => break Err(format!("YAML parser error: {e}")),
        };
        let mut scalar = None;
        let e = match &ev {
            Event::StreamEnd => break Ok(()),
            Event::DocumentStart => Ev::DocStart,
            Event::DocumentEnd => Ev::DocEnd,
            Event::MappingStart(..) => Ev::MapStart,
            Event::SequenceStart(..) => Ev::SeqStart,
            Event::MappingEnd => Ev::MapEnd,
            Event::SequenceEnd => Ev::SeqEnd,
            Event::Alias(_) => Ev::Alias,
            Event::Scalar(v, style, _, tag) => {
                let t = tag.as_ref().map(|t| format!("{}{}", t.handle, t.suffix));
                scalar = Some(scalar_value(v, *style, t.as_deref()));
                Ev::Scalar(v)
            }
            _ => Ev::Other,
        };
        match e {
            Ev::MapStart | Ev::SeqStart => {
                depth += 1;
                if depth > MAX_DEPTH {
                    break Err(format!(
                        "nesting deeper than {MAX_DEPTH} at line {}",
                        mark.line()
                    ));
                }
            }
            Ev::MapEnd | Ev::SeqEnd => depth = depth.saturating_sub(1),
            _ => {}
        }
        if filter.event(&e) {
            // A trailing wildcard key keeps only the maps among what is selected.
            if path.maps_only {
                let top = skip_depth == 0 && open == 0;
                match e {
                    Ev::MapStart | Ev::SeqStart if top && matches!(e, Ev::SeqStart) => {
                        skip_depth = 1;
                        continue;
                    }
                    Ev::MapStart | Ev::SeqStart if skip_depth > 0 => {
                        skip_depth += 1;
                        continue;
                    }
                    Ev::MapEnd | Ev::SeqEnd if skip_depth > 0 => {
                        skip_depth -= 1;
                        continue;
                    }
                    Ev::Scalar(_) | Ev::Alias if top || skip_depth > 0 => continue,
                    Ev::MapStart | Ev::SeqStart => open += 1,
                    Ev::MapEnd | Ev::SeqEnd => open = open.saturating_sub(1),
                    _ => {}
                }
            }
            if let Err(err) = b.event(&e, scalar, yp) {
                break Err(err);
            }
        }
    };
    r?;
    if let Some(rec) = b.record.take() {
        // oscap keeps the open record at the end, even an empty one.
        b.values.push(rec);
    }
    Ok(b.values)
}

/// The items of one file for the object's YAML paths: one per path that selects
/// something, holding a `value` record per selected structure.
pub(crate) fn items(
    dir: &Path,
    name: &OsStr,
    content: &[u8],
    paths: &[(String, Result<YamlPath, String>)],
) -> Vec<Item> {
    let file = dir.join(name);
    let text = std::str::from_utf8(content).map_err(|e| format!("not UTF-8 text: {e}"));
    let mut out = Vec::new();
    for (src, path) in paths {
        let mut item = Item::new();
        push_location(&mut item, dir, Some(name));
        item.push("yamlpath", src.as_str());
        let r = match (&text, path) {
            (Ok(t), Ok(p)) => query(t, p, src),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        };
        match r {
            Ok(records) if records.is_empty() => {}
            Ok(records) => {
                for r in records {
                    item.push_record("value", r);
                }
                out.push(item);
            }
            Err(e) => {
                item.status = ItemStatus::Error;
                item.message = Some(format!("{}: {e}", file.display()));
                out.push(item);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recs(text: &str, yp: &str) -> Result<Vec<Vec<(String, String)>>, String> {
        let p = YamlPath::parse(yp)?;
        query(text, &p, yp).map(|v| {
            v.into_iter()
                .map(|r| {
                    r.into_iter()
                        .map(|f| (f.name, f.value.unwrap_or_default()))
                        .collect()
                })
                .collect()
        })
    }

    fn one(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn paths_parse_as_yaml_path_does() {
        assert!(YamlPath::parse(".a.b[0][:]['x.y'][\"k\"]").is_ok());
        assert!(YamlPath::parse(".a[ 1]").is_ok());
        assert!(YamlPath::parse(".m[*]").is_ok());
        // oscap 1.3.7's yaml-path knows no other slice, nor negative indexes.
        assert!(YamlPath::parse(".a[0:2]").is_err());
        assert!(YamlPath::parse(".a[1:]").is_err());
        assert!(YamlPath::parse(".a[-1]").is_err());
        assert!(YamlPath::parse("a.b").is_ok());
        assert!(YamlPath::parse("").is_err());
        assert!(YamlPath::parse(".").is_err());
        assert!(YamlPath::parse(".a[").is_err());
        assert!(YamlPath::parse(".a[x]").is_err());
        assert!(YamlPath::parse(".a['k'").is_err());
    }

    #[test]
    fn scalars_maps_and_sequences_become_records() {
        let y = "a: 5\nb: [x, 'y', 0x10]\nc: {k: true, Up: 1.5}\nitems:\n  - name: n1\n    port: 80\n  - name: n2\n    port: 0o17\n";
        assert_eq!(recs(y, ".a").unwrap(), vec![one(&[("#", "5")])]);
        assert_eq!(
            recs(y, ".b").unwrap(),
            vec![one(&[("#", "x"), ("#", "y"), ("#", "16")])]
        );
        assert_eq!(recs(y, ".b[1]").unwrap(), vec![one(&[("#", "y")])]);
        assert_eq!(
            recs(y, ".c").unwrap(),
            vec![one(&[("k", "true"), ("^up", "1.500000")])]
        );
        assert_eq!(
            recs(y, ".items[:].name").unwrap(),
            vec![one(&[("#", "n1"), ("#", "n2")])]
        );
        assert_eq!(
            recs(y, ".items[:]").unwrap(),
            vec![
                one(&[("name", "n1"), ("port", "80")]),
                one(&[("name", "n2"), ("port", "15")])
            ]
        );
        assert_eq!(
            recs(y, ".nope").unwrap(),
            Vec::<Vec<(String, String)>>::new()
        );
        assert!(recs("a: {b: {c: 1}}", ".a").is_err());
    }

    #[test]
    fn every_document_is_searched() {
        assert_eq!(
            recs("a: 1\n---\na: 2\n", ".a").unwrap(),
            vec![one(&[("#", "1"), ("#", "2")])]
        );
    }

    #[test]
    fn hostile_yaml_is_bounded() {
        let bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n";
        // Aliases are skipped, never expanded: nothing is selected of `d`.
        assert!(recs(bomb, ".d").unwrap().is_empty());
        assert_eq!(recs(bomb, ".a").unwrap().len(), 1);
        let deep = format!("{}{}", "[".repeat(1500), "]".repeat(1500));
        let err = recs(&deep, "[0]").unwrap_err();
        // yaml-rust2 stops first (its own recursion limit); MAX_DEPTH is the backstop.
        assert!(
            err.contains("recursion limit") || err.contains("nesting deeper"),
            "{err}"
        );
        assert!(recs(&"[".repeat(100_000), ".a").is_err());
        assert!(recs("a: [unclosed", ".a").is_err());
        assert!(recs("a: !!int nope", ".a").is_err());
    }
}
