// vigil report: filters and search over the rule list, from this file alone.
(function () {
  "use strict";
  var form = document.getElementById("filters");
  if (!form) { return; }
  var rules = Array.prototype.slice.call(document.querySelectorAll("details.rule"));
  var facts = rules.map(function (el) {
    return {
      el: el,
      result: el.getAttribute("data-result"),
      severity: el.getAttribute("data-severity"),
      controls: (el.getAttribute("data-controls") || "").split("\n"),
      search: el.getAttribute("data-search") || ""
    };
  });
  var fResult = document.getElementById("f-result");
  var fSeverity = document.getElementById("f-severity");
  var fControl = document.getElementById("f-control");
  var fSearch = document.getElementById("f-search");
  var count = document.getElementById("f-count");
  var problems = { fail: true, error: true, unknown: true };

  function apply() {
    var r = fResult.value, s = fSeverity.value;
    var c = fControl ? fControl.value : "";
    var words = fSearch.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = 0;
    facts.forEach(function (f) {
      var ok = (!r || (r === "problem" ? problems[f.result] === true : f.result === r)) &&
        (!s || f.severity === s) &&
        (!c || f.controls.indexOf(c) >= 0) &&
        words.every(function (w) { return f.search.indexOf(w) >= 0; });
      f.el.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown + " of " + facts.length + " shown";
  }

  form.addEventListener("submit", function (e) { e.preventDefault(); });
  [fResult, fSeverity, fControl].forEach(function (el) {
    if (el) { el.addEventListener("change", apply); }
  });
  fSearch.addEventListener("input", apply);
  document.getElementById("f-reset").addEventListener("click", function () {
    fResult.value = ""; fSeverity.value = ""; fSearch.value = "";
    if (fControl) { fControl.value = ""; }
    apply();
  });
  // "N rules" links in the control roll-up filter the list to that control.
  Array.prototype.forEach.call(document.querySelectorAll("a.ctl"), function (a) {
    a.addEventListener("click", function () {
      if (fControl) { fControl.value = a.getAttribute("data-control"); apply(); }
    });
  });
  // A link to a rule or a test opens the rule it is in.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id && document.getElementById(id);
    var rule = el && (el.matches("details.rule") ? el : el.closest("details.rule"));
    if (rule) { rule.hidden = false; rule.open = true; el.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  // On paper, the rules that are shown are printed open.
  var opened = [];
  window.addEventListener("beforeprint", function () {
    facts.forEach(function (f) {
      if (!f.el.hidden && !f.el.open) { f.el.open = true; opened.push(f.el); }
    });
  });
  window.addEventListener("afterprint", function () {
    opened.forEach(function (el) { el.open = false; });
    opened = [];
  });
  // Filters can be given in the address (report.html?result=fail&severity=high&q=ssh),
  // so a filtered view can be linked to.
  var params = {};
  location.search.replace(/^\?/, "").split("&").forEach(function (kv) {
    var i = kv.indexOf("=");
    if (i > 0) {
      params[decodeURIComponent(kv.slice(0, i))] =
        decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    }
  });
  function preset(el, value) {
    if (el && value !== undefined) { el.value = value; }
  }
  preset(fResult, params.result);
  preset(fSeverity, params.severity);
  preset(fControl, params.control);
  preset(fSearch, params.q);
  form.hidden = false;
  apply();
  openTarget();
})();
