#!/usr/bin/env bash
# OVAL conformance: vigil against oscap (and, where oscap is not the oracle, against
# the OVAL 5.11 specification) on every OVAL definitions file under tests/fixtures/oval/.
#
# usage: scripts/oval-conformance.sh [FIXTURE.xml...]    (default: every fixture)
#   VIGIL=path/to/vigil (default target/release/vigil)
#
# A fixture is an OVAL 5.11 definitions document, NAME.xml, anywhere below
# tests/fixtures/oval/ except files/ (the data the fixtures read). Beside it:
#   NAME.variables.xml  an OVAL variables document, given to both tools (--variables)
#   NAME.setup          a shell script run before both tools, with $FILES set (below), to
#                       make what git cannot store: extended attributes, FIFOs, databases;
#                       a process it leaves running (a listening socket) has its pid
#                       appended to "$PIDS" and is killed after both tools ran
#   NAME.root           one line, a path relative to the copy of files/ (e.g. rpm/root):
#                       both tools scan that directory offline instead of this host
#                       (oscap with OSCAP_PROBE_ROOT, vigil with --root), after setup
#   NAME.expect         where oscap is not the oracle (a kind oscap 1.3.7 does not
#                       implement, or gets wrong against the specification): lines
#                       "DEFINITION_ID RESULT  # why (spec section)"; those definitions are
#                       compared with this file instead of oscap; a definition's
#                       <reference source="vigil-expect" ref_id="RESULT"/> says the same
# Every "@FILES@" in NAME.xml and NAME.variables.xml is replaced by the absolute path of
# a fresh copy of tests/fixtures/oval/files/ (made once per fixture in a private
# temporary directory), so fixtures name real files without depending on where the
# repository is. oscap validates each fixture against the OVAL schemas unless it
# contains the comment "<!-- conformance: skip-valid -->" (content invalid on purpose).
#
# Prints one line per fixture and "OVAL conformance: E/T definitions equal"; exits 0
# only when every definition of every fixture is equal.
set -euo pipefail
cd "$(dirname "$0")/.."
vigil=${VIGIL:-target/release/vigil}
vigil=$(realpath "$vigil")
command -v oscap >/dev/null || { echo "oval-conformance: oscap not found (openscap-scanner)" >&2; exit 1; }
[ -x "$vigil" ] || { echo "oval-conformance: $vigil is not executable (cargo build --release)" >&2; exit 1; }

if [ $# -gt 0 ]; then fixtures=("$@")
else mapfile -t fixtures < <(find tests/fixtures/oval -path tests/fixtures/oval/files -prune -o \
  -name '*.xml' ! -name '*.variables.xml' -print | LC_ALL=C sort); fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
summary=$work/summary
: >"$summary"
status=0
for fx in "${fixtures[@]}"; do
  fx=$(realpath "$fx")
  base=${fx%.xml}
  name=${fx#"$PWD/tests/fixtures/oval/"}
  d=$(mktemp -d "$work/fx.XXXXXX")
  mkdir "$d/files"
  [ -d tests/fixtures/oval/files ] && cp -a tests/fixtures/oval/files/. "$d/files/"
  files=$d/files
  sed "s|@FILES@|$files|g" "$fx" >"$d/content.xml"
  vargs=()
  if [ -f "$base.variables.xml" ]; then
    sed "s|@FILES@|$files|g" "$base.variables.xml" >"$d/variables.xml"
    vargs=(--variables "$d/variables.xml")
  fi
  if [ -f "$base.setup" ]; then
    if ! (cd "$d" && FILES=$files PIDS=$d/pids bash "$base.setup") >"$d/setup.log" 2>&1; then
      echo "$name: setup failed:"; sed 's/^/  /' "$d/setup.log"; status=1; continue
    fi
  fi
  oargs=() rootargs=() oenv=()
  if [ -f "$base.root" ]; then
    r=$files/$(head -n1 "$base.root")
    rootargs=(--root "$r") oenv=(OSCAP_PROBE_ROOT="$r")
  fi
  grep -q '<!-- conformance: skip-valid -->' "$fx" && oargs=(--skip-valid)
  # oscap 1.3.7 crashes on some content; the crash goes to oscap.err, not the terminal.
  { (cd "$d" && exec env "${oenv[@]}" oscap oval eval "${oargs[@]}" "${vargs[@]}" --results "$d/oscap.xml" "$d/content.xml" \
    >oscap.out 2>oscap.err) || true; } 2>>"$d/oscap.err"
  (cd "$d" && "$vigil" scan content.xml "${vargs[@]}" "${rootargs[@]}" --json vigil.json -q \
    >vigil.out 2>vigil.err) || true
  if [ -f "$d/pids" ]; then xargs -r kill <"$d/pids" 2>/dev/null || true; fi
  python3 - "$name" "$d" "$base.expect" "$summary" <<'EOF' || status=1
import json, os, sys, xml.etree.ElementTree as ET
name, d, expect_path, summary = sys.argv[1:]
R = '{http://oval.mitre.org/XMLSchema/oval-results-5}'
D = '{http://oval.mitre.org/XMLSchema/oval-definitions-5}'
titles, expect = {}, {}
for e in ET.parse(os.path.join(d, 'content.xml')).getroot().iter(D + 'definition'):
    t = e.find(f'{D}metadata/{D}title')
    titles[e.get('id')] = t.text if t is not None else ''
    for r in e.iterfind(f'{D}metadata/{D}reference[@source="vigil-expect"]'):
        expect[e.get('id')] = r.get('ref_id').replace('_', ' ')
ref, oracle = {}, {}
try:
    for e in ET.parse(os.path.join(d, 'oscap.xml')).getroot().iter(R + 'definition'):
        ref[e.get('definition_id')] = e.get('result')
        oracle[e.get('definition_id')] = 'oscap'
except Exception as e:
    if not os.path.exists(expect_path) and not expect:
        print(f'{name}: oscap gave no results: {e}')
        print(open(os.path.join(d, 'oscap.err')).read()[-1500:])
        open(summary, 'a').write(f'0 {len(titles)}\n')
        sys.exit(1)
if os.path.exists(expect_path):
    for n, line in enumerate(open(expect_path), 1):
        line = line.split('#', 1)[0].split()
        if not line:
            continue
        if len(line) != 2:
            print(f'{expect_path}:{n}: want "DEFINITION_ID RESULT"'); sys.exit(1)
        ref[line[0]] = line[1].replace('_', ' ')
        oracle[line[0]] = 'spec'
for k, v in expect.items():
    ref[k], oracle[k] = v, 'spec'
missing = sorted(set(titles) - set(ref))
try:
    got = {r['id']: r['result'] for r in json.load(open(os.path.join(d, 'vigil.json')))['definitions']}
except Exception as e:
    print(f'{name}: vigil gave no results: {e}')
    print(open(os.path.join(d, 'vigil.err')).read()[-1500:])
    open(summary, 'a').write(f'0 {len(ref) + len(missing)}\n')
    sys.exit(1)
wrong = [(k, v, got.get(k, 'MISSING')) for k, v in sorted(ref.items()) if got.get(k) != v]
equal = len(ref) - len(wrong)
spec = sum(1 for k in ref if oracle[k] == 'spec')
note = f' ({spec} against the specification)' if spec else ''
print(f'{name}: {equal}/{len(ref)} equal{note}')
for k, v, g in wrong:
    print(f'  {k} [{titles.get(k, "?")}]: {oracle[k]}={v} vigil={g}')
for k in missing:
    print(f'  {k} [{titles[k]}]: no reference result (oscap gave none and no .expect line)')
with open(summary, 'a') as f:
    f.write(f'{equal} {len(ref) + len(missing)}\n')
sys.exit(0 if not wrong and not missing else 1)
EOF
done
read -r equal total < <(awk '{e+=$1; t+=$2} END {print e+0, t+0}' "$summary")
echo "OVAL conformance: $equal/$total definitions equal (${#fixtures[@]} fixtures)"
exit $status
