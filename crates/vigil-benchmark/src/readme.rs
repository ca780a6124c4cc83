//! The README's rule and Value tables, made from the same data as the documents and
//! kept between marker comments (`<!-- vigil-benchmark:rules begin -->` ...
//! `<!-- vigil-benchmark:rules end -->`), so the tables cannot drift from the content.

use crate::model::Benchmark;

/// The table names, in the order they are filled.
pub const TABLES: &[&str] = &["rules", "values"];

fn cell(s: &str) -> String {
    // A '|' would end the Markdown cell; a newline the row.
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// One table's Markdown, ending in a newline.
pub fn table(b: &Benchmark, name: &str) -> String {
    let mut t = String::new();
    match name {
        "rules" => {
            t.push_str(&format!(
                "| Rule (`{}_rule_...`) | Severity",
                b.meta.id_prefix
            ));
            for k in &b.meta.reference_kinds {
                t.push_str(&format!(" | {}", cell(&k.readme_column)));
            }
            t.push_str(" | Needs policy |\n|---|---");
            for _ in &b.meta.reference_kinds {
                t.push_str("|---");
            }
            t.push_str("|---|\n");
            for r in &b.rules {
                t.push_str(&format!(
                    "| `{}` — {} | {}",
                    r.short_id,
                    cell(&r.title),
                    r.severity
                ));
                for k in &b.meta.reference_kinds {
                    let ids = r.references.get(&k.key).cloned().unwrap_or_default();
                    t.push_str(&format!(" | {}", cell(&ids.join(", "))));
                }
                t.push_str(if r.needs_policy {
                    " | yes |\n"
                } else {
                    " | no |\n"
                });
            }
        }
        "values" => {
            t.push_str(&format!(
                "| Value (`{}_value_...`) | Default | Exported to | Used by | Set by the policy |\n",
                b.meta.id_prefix
            ));
            t.push_str("|---|---|---|---|---|\n");
            for v in &b.meta.values {
                let mut export = format!("`{}`", v.export);
                for l in &b.meta.oval.local_variables {
                    if l.components
                        .iter()
                        .any(|c| c.var_ref.as_ref() == Some(&v.export))
                    {
                        export.push_str(&format!(
                            " (in local variable `{}`: {})",
                            l.id,
                            cell(&l.comment)
                        ));
                    }
                }
                let users: Vec<String> = b
                    .rules
                    .iter()
                    .filter(|r| r.values.contains(&v.id))
                    .map(|r| format!("`{}`", r.short_id))
                    .collect();
                let mut used = users.join(", ");
                if let Some(n) = &v.readme_note {
                    used.push_str(&format!(" ({})", cell(n)));
                }
                let policy = match v.policy.as_deref().and_then(|p| p.split_once('.')) {
                    Some((section, field)) => format!("`[{section}] {field}`"),
                    None => "—".to_string(),
                };
                t.push_str(&format!(
                    "| `{}` | {} | {export} | {used} | {policy} |\n",
                    v.id,
                    cell(&v.default)
                ));
            }
        }
        _ => {}
    }
    t
}

fn markers(name: &str) -> (String, String) {
    (
        format!("<!-- vigil-benchmark:{name} begin -->\n"),
        format!("<!-- vigil-benchmark:{name} end -->"),
    )
}

/// `readme` with every table replaced by a fresh one; an error names a missing marker.
pub fn update(b: &Benchmark, readme: &str) -> Result<String, String> {
    let mut out = readme.to_string();
    for name in TABLES {
        let (begin, end) = markers(name);
        let start = out
            .find(&begin)
            .ok_or_else(|| format!("no {:?} marker line", begin.trim_end()))?
            + begin.len();
        let stop = out[start..]
            .find(&end)
            .ok_or_else(|| format!("no {end:?} marker after {:?}", begin.trim_end()))?
            + start;
        out.replace_range(start..stop, &table(b, name));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn cells_cannot_break_the_table() {
        assert_eq!(super::cell("a|b\nc"), "a\\|b c");
    }
}
