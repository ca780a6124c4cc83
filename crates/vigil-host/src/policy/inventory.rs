//! The key inventory: fingerprints and creation dates of the policy's `[[keys]]` kept
//! in a file of their own (`[scan] inventory`), as a site's key-management system
//! exports them, instead of templated into the policy. Two formats, by extension:
//!
//! - CSV (`.csv`, RFC 4180 quoting): a header line naming the columns, `name` and any of
//!   `sha256`, `spki_sha256`, `created` (`YYYY-MM-DD`); an empty cell gives nothing.
//! - JSON (`.json`): an array of objects with the same fields.
//!
//! The file is read on the machine that runs vigil, never from the scanned host (with
//! `--root` or not): the expected fingerprints must not come from the system they
//! judge. A relative path is relative to the policy file's directory. Every error
//! names the inventory file and the line of the row.

use std::path::{Path, PathBuf};

/// Largest inventory read, so a wrong path (a device, a huge log) cannot exhaust memory.
const MAX_INVENTORY: u64 = 64 << 20;

/// The columns an inventory row may have.
const COLUMNS: [&str; 4] = ["name", "sha256", "spki_sha256", "created"];

/// One row: a key name and the values given for it, each with the row's line.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Row {
    pub(super) line: usize,
    pub(super) name: String,
    pub(super) sha256: Option<String>,
    pub(super) spki_sha256: Option<String>,
    pub(super) created: Option<String>,
}

/// An inventory problem: `(line, field, message)`; the caller names the file.
pub(super) type RowError = (usize, String, String);

/// Reads the inventory at `path` (already resolved).
pub(super) fn read(path: &Path) -> Result<Vec<Row>, RowError> {
    let (bytes, over) = vigil_core::osutil::read_input(path, MAX_INVENTORY).map_err(|e| {
        (
            0,
            String::new(),
            format!("cannot read the key inventory: {e}"),
        )
    })?;
    if over {
        return Err((
            0,
            String::new(),
            format!("larger than {MAX_INVENTORY} bytes, not read"),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        (
            0,
            String::new(),
            format!("not UTF-8 (at byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    let name = path.to_string_lossy();
    if name.ends_with(".csv") {
        parse_csv(&text)
    } else if name.ends_with(".json") {
        parse_json(&text)
    } else {
        Err((
            0,
            String::new(),
            "an inventory is a .csv or .json file".into(),
        ))
    }
}

/// The inventory path of `[scan] inventory` as given in the policy at `policy`.
pub(super) fn resolve(policy: &Path, given: &str) -> PathBuf {
    let p = Path::new(given);
    if p.is_absolute() {
        return p.to_path_buf();
    }
    policy
        .parent()
        .map_or_else(|| p.to_path_buf(), |d| d.join(p))
}

/// The cells of one CSV record starting at line `line` of `lines` (a quoted cell may
/// span lines); returns the cells and the number of lines used.
fn csv_record(lines: &[&str], start: usize) -> Result<(Vec<String>, usize), String> {
    let mut cells = Vec::new();
    let mut cell = String::new();
    let (mut quoted, mut used) = (false, 0);
    loop {
        let Some(line) = lines.get(start + used) else {
            return Err("a quoted cell is not closed".into());
        };
        used += 1;
        let mut chars = line.trim_end_matches('\r').chars().peekable();
        while let Some(c) = chars.next() {
            match (quoted, c) {
                (true, '"') if chars.peek() == Some(&'"') => {
                    chars.next();
                    cell.push('"');
                }
                (true, '"') => quoted = false,
                (true, c) => cell.push(c),
                (false, '"') if cell.trim().is_empty() => {
                    cell.clear();
                    quoted = true;
                }
                (false, ',') => cells.push(std::mem::take(&mut cell).trim().to_string()),
                (false, c) => cell.push(c),
            }
        }
        if !quoted {
            cells.push(cell.trim().to_string());
            return Ok((cells, used));
        }
        cell.push('\n');
    }
}

fn parse_csv(text: &str) -> Result<Vec<Row>, RowError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut i = 0;
    while i < lines.len() && lines[i].trim().is_empty() {
        i += 1;
    }
    let (header, used) = csv_record(&lines, i).map_err(|e| (i + 1, String::new(), e))?;
    let header_line = i + 1;
    i += used;
    for h in &header {
        if !COLUMNS.contains(&h.as_str()) {
            return Err((
                header_line,
                h.clone(),
                format!(
                    "unknown column (the header names columns of {})",
                    COLUMNS.join(", ")
                ),
            ));
        }
    }
    if !header.iter().any(|h| h == "name") {
        return Err((
            header_line,
            "name".into(),
            "the header line must name the columns, `name` among them".into(),
        ));
    }
    let mut rows = Vec::new();
    while i < lines.len() {
        if lines[i].trim().is_empty() {
            i += 1;
            continue;
        }
        let line = i + 1;
        let (cells, used) = csv_record(&lines, i).map_err(|e| (line, String::new(), e))?;
        i += used;
        if cells.len() != header.len() {
            return Err((
                line,
                String::new(),
                format!("{} cells, the header has {}", cells.len(), header.len()),
            ));
        }
        let mut row = Row {
            line,
            ..Row::default()
        };
        for (h, v) in header.iter().zip(cells) {
            let v = (!v.is_empty()).then_some(v);
            match h.as_str() {
                "name" => row.name = v.unwrap_or_default(),
                "sha256" => row.sha256 = v,
                "spki_sha256" => row.spki_sha256 = v,
                _ => row.created = v,
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

/// The 1-based line of the start of each top-level array element of `text`.
fn element_lines(text: &str) -> Vec<usize> {
    let (mut out, mut depth, mut line) = (Vec::new(), 0usize, 1);
    let (mut in_str, mut escaped) = (false, false);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => {
                if depth == 1 {
                    out.push(line);
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    out
}

fn parse_json(text: &str) -> Result<Vec<Row>, RowError> {
    use serde_json::Value;
    let doc: Value =
        serde_json::from_str(text).map_err(|e| (e.line(), String::new(), e.to_string()))?;
    let Value::Array(items) = doc else {
        return Err((1, String::new(), "expected a JSON array of keys".into()));
    };
    let lines = element_lines(text);
    let mut rows = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or(1);
        let Value::Object(map) = item else {
            return Err((line, String::new(), "expected an object".into()));
        };
        let mut row = Row {
            line,
            ..Row::default()
        };
        for (k, v) in map {
            let Some(s) = v.as_str().map(str::to_string) else {
                return Err((line, k, format!("expected a string, not {v}")));
            };
            let s = (!s.is_empty()).then_some(s);
            match k.as_str() {
                "name" => row.name = s.unwrap_or_default(),
                "sha256" => row.sha256 = s,
                "spki_sha256" => row.spki_sha256 = s,
                "created" => row.created = s,
                _ => {
                    return Err((
                        line,
                        k,
                        format!("unknown field (an entry has {})", COLUMNS.join(", ")),
                    ));
                }
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_with_header_quotes_and_empty_cells() {
        let rows = parse_csv(
            "name,sha256,created\n\"vault, tls\",AB,2026-01-15\nsigning,,\n\n\"multi\nline\",x,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].name, "vault, tls");
        assert_eq!(rows[0].created.as_deref(), Some("2026-01-15"));
        assert_eq!((rows[1].line, rows[1].sha256.as_deref()), (3, None));
        assert_eq!((rows[2].line, rows[2].name.as_str()), (5, "multi\nline"));
        assert_eq!(parse_csv("name,colour\n").unwrap_err().1, "colour");
        assert_eq!(parse_csv("sha256\nab\n").unwrap_err().1, "name");
        assert_eq!(parse_csv("name,sha256\nk\n").unwrap_err().0, 2);
    }

    #[test]
    fn json_entries_know_their_lines() {
        let rows = parse_json(
            "[\n  {\"name\": \"a\", \"sha256\": \"x\"},\n  {\n    \"name\": \"b\"\n  }\n]\n",
        )
        .unwrap();
        assert_eq!((rows[0].line, rows[1].line), (2, 3));
        let e = parse_json("[{\"name\": \"a\", \"size\": \"1\"}]").unwrap_err();
        assert_eq!((e.0, e.1.as_str()), (1, "size"));
        assert!(parse_json("{}").is_err());
    }
}
