#!/usr/bin/env bash
# Result-for-result comparison of vigil with oscap (the reference) on the SCAP Security
# Guide for Debian 11, on this host. `oval` compares every OVAL definition of
# ssg-debian11-oval.xml; `xccdf` every rule of the benchmark with all rules and groups
# selected and the Debian-11-only platform removed (so it applies to any Debian host).
# In oval mode every OVAL test is compared too (vigil's --oval-results file), and the
# number of items each test looked at is reported.
# Prints each difference and "N/M equal"; exits 3 when any result differs.
#
# usage: scripts/ssg-parity.sh [oval|xccdf] [VIGIL_BINARY]
set -euo pipefail
mode=${1:-oval}
vigil=$(realpath "${2:-target/release/vigil}")
work=$(mktemp -d /tmp/vigil-parity.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")"/../scripts/ssg-prepare.sh "$work"
cd "$work"
if [ "$mode" = xccdf ]; then
  SEXP_VALIDATE_DISABLE=1 oscap xccdf eval --results oscap.xml all.xml >/dev/null 2>&1 || true
  "$vigil" scan all.xml --json vigil.json --quiet || true
else
  SEXP_VALIDATE_DISABLE=1 oscap oval eval --results oscap.xml ssg-debian11-oval.xml >/dev/null 2>&1 || true
  "$vigil" scan ssg-debian11-oval.xml --json vigil.json --oval-results vigil-oval.xml --quiet || true
fi
python3 - "$mode" <<'PY'
import json, sys, xml.etree.ElementTree as ET
mode = sys.argv[1]
root = ET.parse('oscap.xml').getroot()
if mode == 'xccdf':
    ns = '{http://checklists.nist.gov/xccdf/1.2}'
    ref = {r.get('idref'): r.find(ns + 'result').text for r in root.iter(ns + 'rule-result')}
    key = 'rules'
else:
    ns = '{http://oval.mitre.org/XMLSchema/oval-results-5}'
    ref = {d.get('definition_id'): d.get('result') for d in root.iter(ns + 'definition')}
    key = 'definitions'
got = {r['id']: r['result'] for r in json.load(open('vigil.json'))[key]}
diff = [(k, v, got.get(k, 'MISSING')) for k, v in sorted(ref.items()) if got.get(k) != v]
for k, v, g in diff:
    print(f'  {k}: oscap={v} vigil={g}')
print(f'{mode} parity: {len(ref) - len(diff)}/{len(ref)} equal')
if mode == 'oval':
    # Every test too, from vigil's OVAL results file: a test can differ while the
    # definition above it does not (the other branch of an OR decides).
    def tests(path):
        return {t.get('test_id'): t.get('result')
                for t in ET.parse(path).getroot().iter(ns + 'test')}
    tref, tgot = tests('oscap.xml'), tests('vigil-oval.xml')
    tdiff = [(k, v, tgot.get(k, 'MISSING')) for k, v in sorted(tref.items()) if tgot.get(k) != v]
    for k, v, g in tdiff:
        print(f'  {k}: oscap={v} vigil={g}')
    print(f'oval test parity: {len(tref) - len(tdiff)}/{len(tref)} equal')
    diff += tdiff
    # How many items each test looked at. Reported, not failed on: the process and
    # mount tables can change between the two runs.
    def counts(path):
        return {t.get('test_id'): len(t.findall(ns + 'tested_item'))
                for t in ET.parse(path).getroot().iter(ns + 'test')}
    cref, cgot = counts('oscap.xml'), counts('vigil-oval.xml')
    cdiff = [(k, v, cgot.get(k)) for k, v in sorted(cref.items()) if cgot.get(k) != v]
    for k, v, g in cdiff:
        print(f'  {k}: tested items oscap={v} vigil={g}')
    print(f'oval tested-item counts: {len(cref) - len(cdiff)}/{len(cref)} equal (informational)')
sys.exit(3 if diff or not ref else 0)
PY
