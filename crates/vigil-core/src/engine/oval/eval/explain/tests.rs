//! The decision walk on small documents whose objects a stand-in probe answers: only
//! the deciding branches are named (AND, OR, negation), existence failures name the
//! object and what it looked for, state mismatches name the item, the entity, its
//! value and the expected one.

use std::collections::HashMap;
use std::sync::Arc;

use crate::content::oval::Family;
use crate::content::xml;
use crate::engine::oval::{Evaluator, OvalResult};
use crate::engine::probe::{Collected, Item, ObjectQuery, Probe, Registry};

/// Answers each object with the items given for its id (none: does not exist).
struct MapProbe(HashMap<String, Vec<Item>>);

impl Probe<()> for MapProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["environmentvariable58_object"]
    }

    fn collect(&self, query: &ObjectQuery, _ctx: &()) -> Collected {
        Collected::from_items(self.0.get(&query.object_id).cloned().unwrap_or_default())
    }
}

fn var(name: &str, value: &str) -> Item {
    Item::new()
        .field("pid", "1")
        .field("name", name)
        .field("value", value)
}

/// A test of object `n` (looking for variable `V<n>`), with state `n` (value equals
/// `want`) when `want` is given.
fn test(n: u32, check: &str, existence: &str, want: Option<&str>) -> (String, String, String) {
    let state_ref = want
        .map(|_| format!(r#"<ind:state state_ref="oval:t:ste:{n}"/>"#))
        .unwrap_or_default();
    let t = format!(
        r#"<ind:environmentvariable58_test id="oval:t:tst:{n}" version="1" check="{check}" check_existence="{existence}" comment="variable {n} is right"><ind:object object_ref="oval:t:obj:{n}"/>{state_ref}</ind:environmentvariable58_test>"#
    );
    let o = format!(
        r#"<ind:environmentvariable58_object id="oval:t:obj:{n}" version="1"><ind:pid xsi:nil="true" datatype="int"/><ind:name>V{n}</ind:name></ind:environmentvariable58_object>"#
    );
    let s = want
        .map(|w| {
            format!(
                r#"<ind:environmentvariable58_state id="oval:t:ste:{n}" version="1"><ind:value>{w}</ind:value></ind:environmentvariable58_state>"#
            )
        })
        .unwrap_or_default();
    (t, o, s)
}

struct Doc {
    defs: crate::content::oval::OvalDefinitions,
}

fn doc(criteria: &str, tests: &[(String, String, String)]) -> Doc {
    let t: String = tests.iter().map(|x| x.0.clone()).collect();
    let o: String = tests.iter().map(|x| x.1.clone()).collect();
    let s: String = tests.iter().map(|x| x.2.clone()).collect();
    let text = format!(
        r#"<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions><definition id="oval:t:def:1" version="1" class="compliance"><metadata><title>t</title><description>d</description></metadata>{criteria}</definition></definitions>
<tests>{t}</tests><objects>{o}</objects>{states}</oval_definitions>"#,
        states = if s.is_empty() {
            String::new()
        } else {
            format!("<states>{s}</states>")
        }
    );
    let path = std::path::Path::new("explain.xml");
    let root = xml::parse_str(&text, path).unwrap().root;
    let (defs, _) = crate::content::oval::parse::parse_definitions(&root, path).unwrap();
    Doc { defs }
}

/// Evaluates the definition with the given items per object number; returns its result
/// and its explanation.
fn explain(d: &Doc, items: &[(u32, Vec<Item>)]) -> (OvalResult, Vec<String>) {
    let map = items
        .iter()
        .map(|(n, i)| (format!("oval:t:obj:{n}"), i.clone()))
        .collect();
    let mut registry = Registry::empty();
    registry.register(Family::Independent, Arc::new(MapProbe(map)));
    let collector = registry.bind(&());
    let ev = Evaluator::new(&d.defs, &collector, Default::default());
    ev.prefetch(["oval:t:def:1"]);
    let r = ev.definition("oval:t:def:1").result;
    (r, ev.explain("oval:t:def:1"))
}

fn crit(operator: &str, negate: bool, children: &[&str]) -> String {
    format!(
        r#"<criteria operator="{operator}" negate="{negate}">{}</criteria>"#,
        children.concat()
    )
}

fn criterion(n: u32, negate: bool) -> String {
    format!(r#"<criterion test_ref="oval:t:tst:{n}" negate="{negate}"/>"#)
}

#[test]
fn a_false_and_names_only_its_false_branch() {
    let (c1, c2) = (criterion(1, false), criterion(2, false));
    let d = doc(
        &crit("AND", false, &[&c1, &c2]),
        &[
            test(1, "all", "at_least_one_exists", Some("a")),
            test(2, "all", "at_least_one_exists", Some("a")),
        ],
    );
    let (r, why) = explain(&d, &[(1, vec![var("V1", "a")]), (2, vec![var("V2", "b")])]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(
        why,
        [
            "test oval:t:tst:2 (variable 2 is right): environmentvariable58 '1' (name 'V2'): value is 'b', expected 'a'"
        ]
    );
}

#[test]
fn a_false_or_names_every_branch() {
    let (c1, c2) = (criterion(1, false), criterion(2, false));
    let d = doc(
        &crit("OR", false, &[&c1, &c2]),
        &[
            test(1, "all", "at_least_one_exists", Some("a")),
            test(2, "all", "at_least_one_exists", None),
        ],
    );
    let (r, why) = explain(&d, &[(1, vec![var("V1", "z")])]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(why.len(), 2, "{why:?}");
    assert!(why[0].contains("value is 'z', expected 'a'"), "{why:?}");
    assert_eq!(
        why[1],
        "test oval:t:tst:2 (variable 2 is right): object oval:t:obj:2 (name 'V2') does not exist"
    );
}

#[test]
fn negation_is_followed_both_on_the_criterion_and_the_criteria() {
    // NOT (tst:1 AND NOT tst:2): tst:1 is true and tst:2 false, so the inner AND is
    // true and the whole is false; both tests decided it. tst:1 reaches the result
    // through one negation, tst:2 through two.
    let (c1, c2) = (criterion(1, false), criterion(2, true));
    let d = doc(
        &crit("AND", true, &[&c1, &c2]),
        &[
            test(1, "all", "at_least_one_exists", None),
            test(2, "all", "at_least_one_exists", None),
        ],
    );
    let (r, why) = explain(&d, &[(1, vec![var("V1", "a")])]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(
        why,
        [
            "test oval:t:tst:1 (variable 1 is right), negated: object oval:t:obj:1 (name 'V1') exists: environmentvariable58 '1' (name 'V1')",
            "test oval:t:tst:2 (variable 2 is right): object oval:t:obj:2 (name 'V2') does not exist",
        ]
    );
}

#[test]
fn an_object_that_must_not_exist_is_named_with_its_items() {
    let c1 = criterion(1, false);
    let d = doc(
        &crit("AND", false, &[&c1]),
        &[test(1, "all", "none_exist", None)],
    );
    let (r, why) = explain(&d, &[(1, vec![var("V1", "a"), var("V1", "b")])]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(
        why,
        [
            "test oval:t:tst:1 (variable 1 is right): object oval:t:obj:1 (name 'V1') exists where check_existence none_exist requires that it does not: environmentvariable58 '1' (name 'V1'), and 1 more item"
        ]
    );
}

#[test]
fn a_state_mismatch_names_the_first_failing_item_and_counts_the_rest() {
    let c1 = criterion(1, false);
    let d = doc(
        &crit("AND", false, &[&c1]),
        &[test(1, "all", "at_least_one_exists", Some("ok"))],
    );
    let items = vec![
        Item::new().field("name", "V1").field("value", "ok"),
        Item::new()
            .field("name", "V1")
            .field("value", "bad\u{1b}[31m"),
        Item::new().field("name", "V1").field("value", "worse"),
    ];
    let (r, why) = explain(&d, &[(1, items)]);
    assert_eq!(r, OvalResult::False);
    // The control character from the host is escaped, not passed to a terminal.
    assert_eq!(
        why,
        [
            "test oval:t:tst:1 (variable 1 is right): 2 of 3 items do not satisfy the state, the first: environmentvariable58 'V1': value is 'bad\\x1b[31m', expected 'ok'"
        ]
    );
}

#[test]
fn none_satisfy_names_the_items_that_satisfy() {
    let c1 = criterion(1, false);
    let d = doc(
        &crit("AND", false, &[&c1]),
        &[test(1, "none satisfy", "any_exist", Some("bad"))],
    );
    let items = vec![
        Item::new().field("name", "V1").field("value", "fine"),
        Item::new().field("name", "V1").field("value", "bad"),
    ];
    let (r, why) = explain(&d, &[(1, items)]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(
        why,
        [
            "test oval:t:tst:1 (variable 1 is right): 1 of 2 items satisfies the state, where none may: environmentvariable58 'V1': value is 'bad' (equals 'bad')"
        ]
    );
}

#[test]
fn an_unknown_item_says_what_it_lacks() {
    let c1 = criterion(1, false);
    let d = doc(
        &crit("AND", false, &[&c1]),
        &[test(1, "all", "at_least_one_exists", Some("a"))],
    );
    let (r, why) = explain(&d, &[(1, vec![Item::new().field("name", "V1")])]);
    assert_eq!(r, OvalResult::Unknown);
    assert_eq!(
        why,
        [
            "test oval:t:tst:1 (variable 1 is right): environmentvariable58 'V1': the item has no value to compare"
        ]
    );
}

#[test]
fn a_true_definition_is_explained_too() {
    // What a vulnerability definition that is true (a failing rule) needs.
    let (c1, c2) = (criterion(1, false), criterion(2, false));
    let d = doc(
        &crit("OR", false, &[&c1, &c2]),
        &[
            test(1, "all", "at_least_one_exists", Some("a")),
            test(2, "all", "at_least_one_exists", Some("a")),
        ],
    );
    let (r, why) = explain(&d, &[(1, vec![var("V1", "x")]), (2, vec![var("V2", "a")])]);
    assert_eq!(r, OvalResult::True);
    assert_eq!(
        why,
        [
            "test oval:t:tst:2 (variable 2 is right): environmentvariable58 '1' (name 'V2'): value is 'a' (equals 'a')"
        ]
    );
}

#[test]
fn the_explanation_is_capped() {
    let tests: Vec<_> = (1..=15)
        .map(|n| test(n, "all", "at_least_one_exists", None))
        .collect();
    let cs: Vec<String> = (1..=15).map(|n| criterion(n, false)).collect();
    let refs: Vec<&str> = cs.iter().map(String::as_str).collect();
    let d = doc(&crit("OR", false, &refs), &tests);
    let (r, why) = explain(&d, &[]);
    assert_eq!(r, OvalResult::False);
    assert_eq!(why.len(), super::MAX_LINES);
}
