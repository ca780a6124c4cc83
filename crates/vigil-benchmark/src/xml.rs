//! XML 1.0 escaping (§2.4 character data, §3.3.3 attribute-value normalisation), the
//! one place where text from the data files enters the documents.

/// Character data: `&`, `<` and `>` (the last so `]]>` can never appear).
pub(crate) fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A bare CR would be read back as LF (§2.11 end-of-line handling).
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// A double-quoted attribute value: also `"`, and tab/newline/CR as character
/// references, since a parser would otherwise normalise them to spaces (§3.3.3).
pub(crate) fn attr(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// `<tag>text</tag>` on its own line.
pub(crate) fn element(indent: &str, tag: &str, s: &str) -> String {
    format!("{indent}<{tag}>{}</{tag}>\n", text(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(text(r#"a<b>&"c"]]>"#), "a&lt;b&gt;&amp;\"c\"]]&gt;");
        assert_eq!(attr("x\"<&>\n\t\r"), "x&quot;&lt;&amp;&gt;&#10;&#9;&#13;");
        assert_eq!(text("type=\\\"omfwd\\\""), "type=\\\"omfwd\\\"");
    }
}
