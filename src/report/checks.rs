//! The checks of a scan as the pipeline formats (SARIF, JUnit, Prometheus) list them:
//! the XCCDF rules, or for OVAL-only content the definitions mapped to XCCDF result
//! words by class (XCCDF 1.2 §6.4.4.4, as the exit status and the HTML report map
//! them), each with what it examined and the OVAL objects it read. One walk of the
//! results document, so the three formats cannot disagree on what a check is.

use std::collections::{BTreeSet, HashMap};

use vigil_core::content::xccdf::{Ident, Severity, XccdfReference};
use vigil_core::engine::oval::eval::CriteriaOutcome;
use vigil_core::engine::xccdf::RuleOutcome;
use vigil_core::model::{DefinitionResult, RuleWaiver, ScanResults, TestResult};

/// One check (a rule, or an OVAL definition of OVAL-only content) and its result.
#[derive(Debug)]
pub(crate) struct Check<'a> {
    /// The rule id (`xccdf_NS_rule_NAME`) or definition id (`oval:NS:def:N`).
    pub id: &'a str,
    pub title: &'a str,
    /// `unknown` for OVAL definitions, which carry none.
    pub severity: Severity,
    pub result: RuleOutcome,
    pub references: &'a [XccdfReference],
    pub idents: &'a [Ident],
    /// XHTML fragments as in the content (empty for definitions).
    pub description: &'a str,
    pub rationale: &'a str,
    pub fixtext: Option<&'a str>,
    /// Why the result is not a plain pass or fail, in words.
    pub messages: &'a [String],
    /// One sentence per test the check evaluated (what it found); empty when nothing
    /// was evaluated.
    pub tested: &'a [String],
    /// The distinct OVAL object ids the check's tests read, sorted: what the check
    /// looked at, the same from scan to scan of the same content.
    pub objects: Vec<String>,
    /// The waiver covering the rule, active or expired (`None` for definitions).
    pub waiver: Option<&'a RuleWaiver>,
}

impl Check<'_> {
    /// The active waiver that makes this failure an accepted risk, if any.
    pub(crate) fn active_waiver(&self) -> Option<&RuleWaiver> {
        self.waiver.filter(|w| !w.expired)
    }
}

impl Check<'_> {
    /// What the check found, one line each: its messages, then its tests' sentences.
    pub(crate) fn evidence(&self) -> Vec<&str> {
        self.messages
            .iter()
            .chain(self.tested)
            .map(String::as_str)
            .collect()
    }
}

/// Every check of `r`, in the document's order.
pub(crate) fn checks(r: &ScanResults) -> Vec<Check<'_>> {
    let idx = Index::new(r);
    if r.rules.is_empty() {
        return r
            .definitions
            .iter()
            .map(|d| Check {
                id: &d.id,
                title: &d.title,
                severity: Severity::Unknown,
                result: RuleOutcome::from_oval(d.result, &d.class),
                references: &[],
                idents: &[],
                description: "",
                rationale: "",
                fixtext: None,
                messages: &d.messages,
                tested: &[],
                objects: idx.objects_of([(d.document.as_str(), d.id.as_str())]),
                waiver: None,
            })
            .collect();
    }
    r.rules
        .iter()
        .map(|rule| Check {
            id: &rule.id,
            title: &rule.title,
            severity: rule.severity,
            result: rule.result,
            references: &rule.references,
            idents: &rule.idents,
            description: &rule.description,
            rationale: &rule.rationale,
            fixtext: rule.fixtext.as_deref(),
            messages: &rule.messages,
            tested: rule.examined.as_ref().map_or(&[], |e| &e.tested[..]),
            objects: idx.objects_of(rule.checks.iter().map(|c| (c.href.as_str(), c.id.as_str()))),
            waiver: rule.waiver.as_ref(),
        })
        .collect()
}

/// Definitions and tests by (document, id), as the results document scopes them.
struct Index<'a> {
    definitions: HashMap<(&'a str, &'a str), &'a DefinitionResult>,
    tests: HashMap<(&'a str, &'a str), &'a TestResult>,
}

impl<'a> Index<'a> {
    fn new(r: &'a ScanResults) -> Index<'a> {
        Index {
            definitions: r
                .definitions
                .iter()
                .map(|d| ((d.document.as_str(), d.id.as_str()), d))
                .collect(),
            tests: r
                .tests
                .iter()
                .map(|t| ((t.document.as_str(), t.id.as_str()), t))
                .collect(),
        }
    }

    /// The objects the tests under these definitions read (through
    /// `extend_definition` too, each definition visited once).
    fn objects_of<'d>(&self, defs: impl IntoIterator<Item = (&'d str, &'d str)>) -> Vec<String> {
        let mut seen = BTreeSet::new();
        let mut objects = BTreeSet::new();
        let mut pending: Vec<(String, String)> = defs
            .into_iter()
            .map(|(doc, id)| (doc.to_string(), id.to_string()))
            .collect();
        while let Some((doc, id)) = pending.pop() {
            if !seen.insert((doc.clone(), id.clone())) {
                continue;
            }
            let Some(d) = self.definitions.get(&(doc.as_str(), id.as_str())) else {
                continue;
            };
            let mut nodes: Vec<&CriteriaOutcome> = d.criteria.iter().collect();
            while let Some(n) = nodes.pop() {
                match n {
                    CriteriaOutcome::Criteria { children, .. } => nodes.extend(children),
                    CriteriaOutcome::ExtendDefinition { definition_ref, .. } => {
                        pending.push((doc.clone(), definition_ref.clone()));
                    }
                    CriteriaOutcome::Criterion { test_ref, .. } => {
                        if let Some(o) = self
                            .tests
                            .get(&(doc.as_str(), test_ref.as_str()))
                            .and_then(|t| t.object.as_ref())
                        {
                            objects.insert(o.clone());
                        }
                    }
                }
            }
        }
        objects.into_iter().collect()
    }
}

/// The severity words, lowest first.
pub(crate) const SEVERITIES: [Severity; 5] = [
    Severity::Unknown,
    Severity::Info,
    Severity::Low,
    Severity::Medium,
    Severity::High,
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::testutil::scan_fixture;

    #[test]
    fn every_rule_is_a_check_with_the_objects_its_tests_read() {
        let (_, r) = scan_fixture(200);
        let c = checks(&r);
        assert_eq!(c.len(), r.rules.len());
        // A rule that was evaluated read at least one object; one not selected none.
        for (check, rule) in c.iter().zip(&r.rules) {
            assert_eq!(check.id, rule.id);
            if rule.result == RuleOutcome::NotSelected {
                assert!(check.objects.is_empty(), "{}", check.id);
            }
            if matches!(rule.result, RuleOutcome::Pass | RuleOutcome::Fail) {
                assert!(!check.objects.is_empty(), "{}", check.id);
                for o in &check.objects {
                    assert!(r.objects.iter().any(|x| &x.id == o), "{o}");
                }
            }
        }
    }
}
