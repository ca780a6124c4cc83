//! A faulty probe must not take the scan down: a panic while collecting one object
//! makes that object (and only its batch) an `error`, and the other definitions are
//! still evaluated.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::content::oval::Family;
use crate::content::xml;
use crate::engine::oval::{Evaluator, OvalResult};
use crate::engine::probe::{Collected, Flag, ObjectQuery, Probe, Registry};

/// Panics for objects whose id ends in `:1`; collects nothing (does not exist) for
/// the others.
struct PanickyProbe {
    calls: AtomicUsize,
}

impl Probe<()> for PanickyProbe {
    fn kinds(&self) -> &'static [&'static str] {
        &["environmentvariable58_object"]
    }

    fn collect(&self, query: &ObjectQuery, _ctx: &()) -> Collected {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if query.object_id.ends_with(":1") {
            panic!("test probe exploded on {}", query.object_id);
        }
        Collected::from_items(Vec::new())
    }
}

fn doc() -> String {
    let mut defs = String::new();
    let mut tests = String::new();
    let mut objects = String::new();
    for n in 1..=3 {
        defs += &format!(
            r#"<definition id="oval:p:def:{n}" version="1" class="compliance"><metadata><title>t</title><description>d</description></metadata>
<criteria><criterion test_ref="oval:p:tst:{n}"/></criteria></definition>"#
        );
        tests += &format!(
            r#"<ind:environmentvariable58_test id="oval:p:tst:{n}" version="1" check="all" check_existence="none_exist" comment="c"><ind:object object_ref="oval:p:obj:{n}"/></ind:environmentvariable58_test>"#
        );
        objects += &format!(
            r#"<ind:environmentvariable58_object id="oval:p:obj:{n}" version="1"><ind:pid xsi:nil="true" datatype="int"/><ind:name>V{n}</ind:name></ind:environmentvariable58_object>"#
        );
    }
    format!(
        r#"<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions>{defs}</definitions><tests>{tests}</tests><objects>{objects}</objects></oval_definitions>"#
    )
}

#[test]
fn probe_panic_becomes_an_error_for_that_object_and_the_scan_goes_on() {
    let path = std::path::Path::new("panic.xml");
    let root = xml::parse_str(&doc(), path).unwrap().root;
    let (defs, _) = crate::content::oval::parse::parse_definitions(&root, path).unwrap();
    let probe = Arc::new(PanickyProbe {
        calls: AtomicUsize::new(0),
    });
    let mut registry = Registry::empty();
    registry.register(Family::Independent, probe.clone());
    let collector = registry.bind(&());
    let ev = Evaluator::new(&defs, &collector, Default::default());
    // Batch collection (the scan's path): a probe that shares no work has each object collected on its own.
    ev.prefetch(vec!["oval:p:def:1", "oval:p:def:2", "oval:p:def:3"]);
    let d1 = ev.definition("oval:p:def:1");
    assert_eq!(d1.result, OvalResult::Error);
    let objs = ev.collected_objects();
    let o1 = &objs["oval:p:obj:1"];
    assert_eq!(o1.flag, Flag::Error);
    assert!(
        o1.messages
            .iter()
            .any(|m| m.contains("probe panicked: test probe exploded on oval:p:obj:1")),
        "{:?}",
        o1.messages
    );
    for n in [2, 3] {
        assert_eq!(
            ev.definition(&format!("oval:p:def:{n}")).result,
            OvalResult::True,
            "definition {n} is still evaluated"
        );
        assert_eq!(objs[&format!("oval:p:obj:{n}")].flag, Flag::DoesNotExist);
    }
    assert_eq!(probe.calls.load(Ordering::SeqCst), 3);
}

#[test]
fn probe_panic_outside_a_batch_is_an_error_too() {
    let path = std::path::Path::new("panic.xml");
    let root = xml::parse_str(&doc(), path).unwrap().root;
    let (defs, _) = crate::content::oval::parse::parse_definitions(&root, path).unwrap();
    let mut registry = Registry::empty();
    registry.register(
        Family::Independent,
        Arc::new(PanickyProbe {
            calls: AtomicUsize::new(0),
        }),
    );
    let collector = registry.bind(&());
    let ev = Evaluator::new(&defs, &collector, Default::default());
    // No prefetch: objects are collected one by one as tests need them.
    assert_eq!(ev.definition("oval:p:def:1").result, OvalResult::Error);
    assert_eq!(ev.definition("oval:p:def:2").result, OvalResult::True);
}
