#!/bin/sh
# Peak memory of a capped collection: a textfilecontent54 object whose pattern matches
# every line of a large /etc/login.defs (issue 13 item 6). The collection must stop at
# the cap (--max-object-items, the item budget) as items are produced, so the peak is
# bounded by the cap, not by the file.
#
#   benches/limits.sh [SIZE_MB [VIGIL_FLAGS...]]     (default 20 MB, default limits)
#
# Builds the release binary, writes the file into a temporary root, runs
# `vigil scan --root` under /usr/bin/time (Debian package `time`) and prints the file
# size, the peak RSS and their ratio, and what the object reported.
set -eu
size_mb=${1:-20}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/.."
cargo build --release >/dev/null 2>&1
bin=$PWD/target/release/vigil
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/root/etc"
# 17-byte lines: about 1.2 million matching lines for 20 MB, more than the default
# 500,000-item cap.
python3 - "$work/root/etc/login.defs" "$size_mb" <<'PY'
import sys
path, mb = sys.argv[1], int(sys.argv[2])
line = b"PASS_MAX_DAYS 90\n"
with open(path, "wb") as f:
    f.write(line * (mb * 1024 * 1024 // len(line)))
PY
cat >"$work/content.xml" <<'XML'
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5" xmlns:ind="http://oval.mitre.org/XMLSchema/oval-definitions-5#independent">
<generator><oval:schema_version>5.11</oval:schema_version><oval:timestamp>2026-01-01T00:00:00</oval:timestamp></generator>
<definitions><definition id="oval:b:def:1" version="1" class="compliance"><metadata><title>every line</title><description>d</description></metadata><criteria><criterion test_ref="oval:b:tst:1"/></criteria></definition></definitions>
<tests><ind:textfilecontent54_test id="oval:b:tst:1" version="1" check="all" check_existence="at_least_one_exists" comment="c"><ind:object object_ref="oval:b:obj:1"/><ind:state state_ref="oval:b:ste:1"/></ind:textfilecontent54_test></tests>
<objects><ind:textfilecontent54_object id="oval:b:obj:1" version="1"><ind:filepath>/etc/login.defs</ind:filepath><ind:pattern operation="pattern match">^\s*PASS_MAX_DAYS\s+(\d+)\s*$</ind:pattern><ind:instance datatype="int" operation="greater than or equal">1</ind:instance></ind:textfilecontent54_object></objects>
<states><ind:textfilecontent54_state id="oval:b:ste:1" version="1"><ind:subexpression datatype="int" operation="less than or equal">90</ind:subexpression></ind:textfilecontent54_state></states>
</oval_definitions>
XML
bytes=$(stat -c %s "$work/root/etc/login.defs")
/usr/bin/time -f "%M %e" -o "$work/time" "$bin" scan "$work/content.xml" --root "$work/root" \
    --json "$work/results.json" -q "$@" || true
set -- $(tail -n 1 "$work/time")
rss_kib=$1
wall=$2
python3 - "$work/results.json" "$bytes" "$rss_kib" "$wall" <<'PY'
import json, sys
path, size, rss, wall = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
try:
    obj = json.load(open(path))["objects"][0]
    said = "flag %s, %s items: %s" % (obj.get("flag"), obj.get("item_count"), "; ".join(obj.get("messages", []))[:160])
except Exception as e:
    said = "no results (%s)" % e
print("login.defs %.1f MB, peak RSS %.1f MB (%.2f x the file), %ss" % (size / 1e6, rss * 1024 / 1e6, rss * 1024 / size, wall))
print("object: " + said)
PY
