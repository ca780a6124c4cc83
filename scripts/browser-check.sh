#!/usr/bin/env bash
# Opens a real vigil HTML report in headless Chromium, as a person would, and checks
# that it loads without console errors (script errors, CSP violations, blocked network
# requests), that the filters change what is shown, and saves a screenshot.
#
#   scripts/browser-check.sh [REPORT.html] [OUT_DIR]
#
# Without REPORT it scans the report fixture (tests/fixtures/report) with $VIGIL or a
# debug build of this checkout. Needs Debian's chromium (apt-get install chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

out=${2:-target/browser-check}
mkdir -p "$out"
out=$(cd "$out" && pwd)
# The vigil to use: $VIGIL, or a fresh debug build of this checkout.
if [ -z "${VIGIL:-}" ]; then cargo build -q; fi
vigil=${VIGIL:-target/debug/vigil}
report=${1:-}
if [ -z "$report" ]; then
  report=$out/report.html
  f=tests/fixtures/report
  "$vigil" scan "$f/report-xccdf.xml" --profile default --root "$f/root" \
    --html "$report" --json "$out/results.json" -q || [ $? -eq 2 ]
fi
report=$(cd "$(dirname "$report")" && pwd)/$(basename "$report")
command -v chromium >/dev/null || { echo "browser-check: chromium is not installed (apt-get install chromium)" >&2; exit 1; }

fail=0
# One fresh profile per run; flags keep Chromium off the network.
# run_chromium DOM_OUT ARGS...: writes the page's stdout (the DOM) to DOM_OUT and prints
# the console messages.
run_chromium() {
  local profile dom=$1
  shift
  profile=$(mktemp -d)
  timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 \
    --virtual-time-budget=3000 "$@" >"$dom" 2>"$profile.log" || true
  # Console messages the page produced (errors, CSP refusals, failed loads).
  grep -E 'CONSOLE|Refused to|Uncaught|ERR_' "$profile.log" | grep -v 'dbus\|gpu\|GCM\|Fontconfig' || true
  rm -rf "$profile" "$profile.log"
}

# count DOM [ATTR=VALUE]: rules in a dumped DOM (all, or only the shown ones with
# "shown"), optionally only those with data-ATTR=VALUE.
count() {
  python3 - "$@" <<'PY'
import html.parser, sys
dom, mode = sys.argv[1], sys.argv[2]
want = sys.argv[3].split("=", 1) if len(sys.argv) > 3 else None
n = 0
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        global n
        a = dict(attrs)
        if tag != "details" or "rule" not in (a.get("class") or "").split():
            return
        if mode == "shown" and "hidden" in a:
            return
        if want and a.get("data-" + want[0]) != want[1]:
            return
        n += 1
P().feed(open(dom, encoding="utf-8").read())
print(n)
PY
}
shown() { count "$1" shown "${@:2}"; }
total() { count "$1" all "${@:2}"; }

echo "browser-check: $report"
console=$(run_chromium "$out/dom-all.html" --dump-dom "file://$report")
if [ -n "$console" ]; then echo "console output on load:"; echo "$console"; fail=1; fi
all=$(total "$out/dom-all.html"); visible=$(shown "$out/dom-all.html")
echo "rules listed: $all, shown without filters: $visible"
[ "$all" -gt 0 ] && [ "$visible" -eq "$all" ] || { echo "FAIL: not every rule shown without filters"; fail=1; }
grep -q 'id="filters"' "$out/dom-all.html" && ! grep -q '<form class="filters" id="filters" hidden' "$out/dom-all.html" \
  || { echo "FAIL: the filter bar did not appear (script did not run)"; fail=1; }
grep -q '[0-9]* of [0-9]* shown' "$out/dom-all.html" || { echo "FAIL: no filter count"; fail=1; }

check_filter() { # query, expected test on the rules shown
  local q=$1 name=$2
  local console n
  console=$(run_chromium "$out/dom-$name.html" --dump-dom "file://$report?$q")
  [ -z "$console" ] || { echo "console output: $console" >&2; fail=1; }
  n=$(shown "$out/dom-$name.html")
  echo "filter ?$q: $n of $all shown" >&2
  echo "$n"
}
n_fail=$(check_filter "result=fail" fail)
expect_fail=$(total "$out/dom-all.html" result=fail)
[ "$n_fail" -eq "$expect_fail" ] && [ "$n_fail" -lt "$all" ] || { echo "FAIL: result filter shows $n_fail, expected $expect_fail"; fail=1; }
[ "$(shown "$out/dom-fail.html" result=fail)" -eq "$expect_fail" ] || { echo "FAIL: a failing rule is hidden by result=fail"; fail=1; }
expect_high=$(total "$out/dom-all.html" severity=high)
if [ "$expect_high" -gt 0 ]; then
  n_high=$(check_filter "severity=high" high)
  [ "$n_high" -eq "$expect_high" ] || { echo "FAIL: severity filter shows $n_high, expected $expect_high"; fail=1; }
fi
# Search for a word of the first rule's title.
word=$(python3 - "$out/dom-all.html" <<'PY'
import html.parser, re, sys
class P(html.parser.HTMLParser):
    found = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if not self.found and tag == "details" and "data-search" in a:
            words = [w for w in re.findall(r"[a-z]{5,}", a["data-search"].split(" ", 1)[-1])]
            self.found = words[0] if words else "rule"
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); print(p.found or "rule")
PY
)
n_q=$(check_filter "q=$word" search)
[ "$n_q" -ge 1 ] && [ "$n_q" -lt "$all" ] || { echo "FAIL: search shows $n_q"; fail=1; }
ctl=$(grep -o 'data-control="[^"]*"' "$out/dom-all.html" | head -1 | sed 's/data-control="//; s/"$//; s/&#x2f;/\//g; s/&amp;/\&/g' || true)
if [ -n "$ctl" ]; then
  enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$ctl")
  n_c=$(check_filter "control=$enc" control)
  [ "$n_c" -ge 1 ] && [ "$n_c" -lt "$all" ] || { echo "FAIL: control filter ($ctl) shows $n_c"; fail=1; }
fi

run_chromium /dev/null --screenshot="$out/report.png" --window-size=1280,2000 "file://$report" >/dev/null
# The failing rules, with the first one opened on its evidence.
first_fail=$(python3 - "$out/dom-all.html" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    found = None
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if not self.found and tag == "details" and a.get("data-result") == "fail":
            self.found = a.get("id")
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read()); print(p.found or "rules")
PY
)
run_chromium /dev/null --screenshot="$out/report-failed.png" --window-size=1280,2400 "file://$report?result=problem#$first_fail" >/dev/null
ls -la "$out"/*.png
if [ "$fail" -ne 0 ]; then echo "browser-check: FAILED"; exit 1; fi
echo "browser-check: ok (screenshots in $out)"
