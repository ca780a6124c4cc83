//! Allow-list sanitiser for the XHTML fragments benchmarks put in descriptions,
//! rationales and fix texts (XCCDF 1.2 §6.2.3 htmlTextType), before they go into the
//! HTML report. Content is not trusted: only a small set of formatting tags survives,
//! every attribute is dropped except an `http(s)` link target, and headings are
//! demoted below the report's own. The fragment is parsed with [`vigil_core::content::xml`]
//! (so DOCTYPE and entity tricks are refused there); anything that does not parse is
//! shown as escaped text.

use std::path::Path;

use vigil_core::content::xml::{self, Element, Node, escape};

/// Tags kept as they are (with no attributes).
const KEPT: &[&str] = &[
    "p",
    "br",
    "ul",
    "ol",
    "li",
    "code",
    "pre",
    "tt",
    "b",
    "i",
    "em",
    "strong",
    "table",
    "tr",
    "td",
    "th",
    "sub",
    "sup",
    "blockquote",
];

/// Tags dropped together with everything inside them: their text is not prose.
const DROPPED_WITH_CONTENT: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "template", "noscript", "head", "title", "svg",
    "math", "form", "select", "textarea",
];

/// Sanitises an XHTML fragment (as serialised by [`Element::inner_xml`]) to HTML that is
/// safe to insert into the report.
pub(crate) fn sanitize(fragment: &str) -> String {
    let wrapped = format!("<vigil-fragment>{fragment}</vigil-fragment>");
    let mut out = String::with_capacity(fragment.len());
    match xml::parse_str_exact(&wrapped, Path::new("<description>")) {
        Ok(doc) => children(&doc.root, &mut out),
        Err(_) => out.push_str(&escape(fragment)),
    }
    out
}

/// An XHTML fragment as plain text, for formats that carry no markup (SARIF's
/// `text`, JUnit messages): tags go, their text stays (scripts and the like with
/// theirs), an XCCDF `<sub idref>` shows the Value it stands for, and block elements
/// end a line. Whitespace runs become one space, as a browser shows them. Control
/// characters are left to the format's own escape.
pub(crate) fn plain_text(fragment: &str) -> String {
    let wrapped = format!("<vigil-fragment>{fragment}</vigil-fragment>");
    let mut out = String::with_capacity(fragment.len());
    match xml::parse_str_exact(&wrapped, Path::new("<description>")) {
        Ok(doc) => text_of(&doc.root, &mut out),
        Err(_) => out.push_str(fragment),
    }
    let lines: Vec<String> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let mut text = String::new();
    for l in lines {
        // One blank line at most between paragraphs.
        if l.is_empty() && (text.is_empty() || text.ends_with("\n\n")) {
            continue;
        }
        text.push_str(&l);
        text.push('\n');
    }
    text.trim_end().to_string()
}

fn text_of(e: &Element, out: &mut String) {
    for n in &e.children {
        match n {
            // Newlines in the source are layout, not breaks.
            Node::Text(t) => out.push_str(&t.replace(['\n', '\r'], " ")),
            Node::Element(c) => {
                let name = c.name.to_ascii_lowercase();
                let name = name.as_str();
                if name == "sub"
                    && let Some(idref) = c.attr("idref")
                {
                    out.push_str(short_id(idref));
                    continue;
                }
                if DROPPED_WITH_CONTENT.contains(&name) {
                    continue;
                }
                if name == "br" {
                    out.push('\n');
                    continue;
                }
                let block = matches!(
                    name,
                    "p" | "ul" | "ol" | "li" | "pre" | "table" | "tr" | "blockquote" | "div"
                ) || heading_level(name).is_some();
                if name == "li" {
                    out.push_str("\n- ");
                } else if block {
                    out.push_str("\n\n");
                }
                text_of(c, out);
                // An item's line ends where the next item (or the list) starts.
                if block && name != "li" {
                    out.push('\n');
                }
                if matches!(name, "ul" | "ol") {
                    out.push('\n');
                }
            }
        }
    }
}

fn children(e: &Element, out: &mut String) {
    for n in &e.children {
        match n {
            Node::Text(t) => out.push_str(&escape(t)),
            Node::Element(c) => element(c, out),
        }
    }
}

fn element(e: &Element, out: &mut String) {
    let name = e.name.to_ascii_lowercase();
    let name = name.as_str();
    // An XCCDF <sub idref="..."/> (a Value substituted into the text) has no text of
    // its own: show which Value it stands for.
    if name == "sub"
        && let Some(idref) = e.attr("idref")
    {
        out.push_str("<code class=\"xccdf-sub\">");
        out.push_str(&escape(short_id(idref)));
        out.push_str("</code>");
        return;
    }
    if DROPPED_WITH_CONTENT.contains(&name) {
        return;
    }
    if name == "br" {
        out.push_str("<br>");
        return;
    }
    if let Some(level) = heading_level(name) {
        // The report uses h1-h3; content headings start below them.
        let to = (level + 3).min(6);
        out.push_str(&format!("<h{to}>"));
        children(e, out);
        out.push_str(&format!("</h{to}>"));
        return;
    }
    if name == "a" {
        match e.attr("href").map(str::trim).filter(|h| is_web_link(h)) {
            Some(href) => {
                out.push_str("<a href=\"");
                out.push_str(&escape(href));
                out.push_str("\" rel=\"noopener noreferrer\">");
                children(e, out);
                out.push_str("</a>");
            }
            None => children(e, out),
        }
        return;
    }
    if KEPT.contains(&name) {
        out.push('<');
        out.push_str(name);
        out.push('>');
        children(e, out);
        out.push_str("</");
        out.push_str(name);
        out.push('>');
        return;
    }
    // Any other element: the tag goes, its text stays.
    children(e, out);
}

fn heading_level(name: &str) -> Option<u8> {
    match name.as_bytes() {
        [b'h', d @ b'1'..=b'6'] => Some(d - b'0'),
        _ => None,
    }
}

fn is_web_link(href: &str) -> bool {
    let lower = href.to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://"))
        && !href.chars().any(|c| c.is_control() || c.is_whitespace())
}

fn escape_if(s: &str, unsafe_char: impl Fn(char) -> bool) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(&unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            xml::push_escaped(&mut out, c);
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text from content or a host made safe for one terminal line: every control
/// character (escape sequences, carriage returns, newlines) and bidirectional override
/// is shown escaped ([`xml::push_escaped`]), so a rule id, title or message cannot move the
/// cursor, recolour the terminal, set its title or forge a line of the summary.
pub(crate) fn terminal(s: &str) -> String {
    escape_if(s, xml::unsafe_in_line).into_owned()
}

/// [`terminal`] for whole blocks of output, which keep their newlines and tabs. Every
/// text vigil prints passes through this last (the summary, errors, `info`, `validate`,
/// `history`, `baseline`, the fleet table), so a host name, file name or remote error
/// holding `ESC ] 0 ; ... BEL` reaches the terminal as visible text.
pub(crate) fn terminal_text(s: &str) -> std::borrow::Cow<'_, str> {
    escape_if(s, |c| c != '\n' && c != '\t' && xml::unsafe_in_line(c))
}

/// Writes `text` to standard error or output through [`terminal_text`], the one way
/// vigil prints to a terminal. A closed pipe (`vigil scan | head`) is the reader's
/// choice, not an error, so what does not fit is dropped and the caller goes on.
pub(crate) fn print(to_stderr: bool, text: &str) {
    use std::io::Write;
    let text = terminal_text(text);
    let _ = if to_stderr {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
}

/// `xccdf_org.ssgproject.content_value_var_x` -> `var_x`.
pub(crate) fn short_id(id: &str) -> &str {
    for marker in ["_value_", "_rule_", "_group_", "_profile_"] {
        if let Some(i) = id.find(marker) {
            return &id[i + marker.len()..];
        }
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_formatting_and_escapes_text() {
        insta::assert_snapshot!(
            sanitize("Use <code>a &lt; b</code> and <b>bold</b>, <em>em</em><br/>line"),
            @"Use <code>a &lt; b</code> and <b>bold</b>, <em>em</em><br>line"
        );
    }

    #[test]
    fn drops_scripts_handlers_and_unsafe_links() {
        let html = sanitize(
            r#"<p onclick="alert(1)" style="x">Hi<script>alert('x')</script> <a href="javascript:alert(1)">js</a> <a href=" https://example.com/a?b=1&amp;c=&quot;2&quot; ">ok</a> <a href="data:text/html,x">data</a><img src="http://e/x.png" onerror="alert(1)"/></p><style>body{}</style>"#,
        );
        insta::assert_snapshot!(html, @r#"<p>Hi js <a href="https://example.com/a?b=1&amp;c=&quot;2&quot;" rel="noopener noreferrer">ok</a> data</p>"#);
        assert!(!html.contains("script") && !html.contains("onclick") && !html.contains("img"));
    }

    #[test]
    fn demotes_headings_and_keeps_tables() {
        insta::assert_snapshot!(
            sanitize("<h1>T</h1><h5>U</h5><table><tr><th>a</th><td>b</td></tr></table><blockquote>q</blockquote><sub>2</sub><sup>3</sup>"),
            @"<h4>T</h4><h6>U</h6><table><tr><th>a</th><td>b</td></tr></table><blockquote>q</blockquote><sub>2</sub><sup>3</sup>"
        );
    }

    #[test]
    fn unknown_tags_keep_their_text() {
        insta::assert_snapshot!(
            sanitize(r#"<div class="x"><span>a</span> <font color="red">b</font></div>"#),
            @"a b"
        );
    }

    #[test]
    fn xccdf_sub_shows_the_value_it_stands_for() {
        insta::assert_snapshot!(
            sanitize(r#"at least <sub idref="xccdf_org.ssgproject.content_value_var_password_minlen" use="legacy"/> characters"#),
            @r#"at least <code class="xccdf-sub">var_password_minlen</code> characters"#
        );
    }

    #[test]
    fn plain_text_keeps_the_words_and_the_paragraphs() {
        insta::assert_snapshot!(
            plain_text("<p>Keys  must\n be <code>0600</code>.</p><script>x()</script><ul><li>one</li><li>min <sub idref=\"xccdf_a_value_var_len\"/></li></ul>tail<br/>end"),
            @r"
        Keys must be 0600.

        - one
        - min var_len

        tail
        end
        "
        );
        assert_eq!(plain_text("a <b>unclosed"), "a <b>unclosed");
    }

    #[test]
    fn malformed_fragments_are_escaped_text() {
        insta::assert_snapshot!(sanitize("a <b>unclosed & <script>"), @"a &lt;b&gt;unclosed &amp; &lt;script&gt;");
    }

    #[test]
    fn doctype_smuggled_into_a_fragment_is_not_expanded() {
        let html = sanitize("<!DOCTYPE x [<!ENTITY a \"boom\">]><p>&a;</p>");
        assert!(
            !html.contains("boom") || html.contains("&lt;!DOCTYPE"),
            "{html}"
        );
        assert!(!html.contains("<p>"), "{html}");
    }

    #[test]
    fn terminal_text_has_no_control_characters() {
        assert_eq!(terminal("plain: ok"), "plain: ok");
        assert_eq!(terminal("a\u{1b}[2Jb\r\nc"), "a\\x1b[2Jb\\x0d\\x0ac");
        // A right-to-left override would reorder what the reader sees.
        assert_eq!(terminal("x\u{202e}y"), "x\\u{202e}y");
    }
}

#[cfg(test)]
mod terminal_tests {
    use super::terminal;

    #[test]
    fn control_and_bidi_characters_are_escaped() {
        assert_eq!(terminal("plain — ok"), "plain — ok");
        assert_eq!(terminal("a\x1b[2Jb"), "a\\x1b[2Jb");
        assert_eq!(terminal("line\nforged"), "line\\x0aforged");
        assert_eq!(terminal("x\u{202e}y\u{9b}"), "x\\u{202e}y\\x9b");
    }

    #[test]
    fn blocks_keep_newlines_and_tabs_and_lose_escape_sequences() {
        use super::terminal_text;
        let hostile = "host\x1b]0;owned\x07\x1b[2J\n\tnext\u{85}\x7f";
        assert_eq!(
            terminal_text(hostile),
            "host\\x1b]0;owned\\x07\\x1b[2J\n\tnext\\x85\\x7f"
        );
        assert!(matches!(
            terminal_text("ok\n"),
            std::borrow::Cow::Borrowed(_)
        ));
    }
}
