#!/usr/bin/env bash
# Benchmark: `vigil watch` latency from a change on disk to its event (issue 17.4).
#
# One watcher on a fresh directory (`--path`), its events to a file. A driver writes
# N files into the directory, one every INTERVAL_MS, noting the time just before each
# write; the latency of a change is the `time` of the first event naming that path
# minus that moment (both this machine's clock, microseconds). Prints the count of
# changes seen, median, p90, p99 and max, and as a reference the same figures for
# `inotifywait` (inotify-tools) when it is installed: the kernel's delivery alone, so
# the difference is vigil's debounce, comparison, rule evaluation and event writing.
# The debounce (default 50 ms) is part of the latency by design: a burst of changes
# to one file is one event.
#
# Usage: benches/watch.sh [N] [INTERVAL_MS] [RULE]   (defaults: 1000, 5, key_permissions)
#   RULE: the rule re-evaluated per batch (`all` for the whole bundled selection).
# Needs: cargo, /usr/bin/python3; optional: inotifywait.
set -euo pipefail

N=${1:-1000}
INTERVAL_MS=${2:-5}
RULE=${3:-key_permissions}
cd "$(dirname "$0")/.."

cargo build --release --quiet
VIGIL=$PWD/target/release/vigil
PY=/usr/bin/python3

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-watch-bench.XXXXXX")
WATCHER=
trap '[ -n "$WATCHER" ] && kill "$WATCHER" 2>/dev/null; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/d"

# Writes N files, printing "PATH TIME" per change (seconds since the epoch).
drive() {
    "$PY" - "$WORK/d" "$N" "$INTERVAL_MS" >"$1" <<'EOF'
import os, sys, time
d, n, gap = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]) / 1000
for i in range(n):
    p = os.path.join(d, f"f{i:05d}")
    t = time.time()
    with open(p, "w") as f:
        f.write("x")
    print(p, f"{t:.6f}")
    time.sleep(gap)
EOF
}

# Prints count, median, p90, p99 and max of (first event time - change time).
stats() {
    "$PY" - "$1" "$2" "$3" <<'EOF'
import json, sys, datetime
changes, events, kind = sys.argv[1], sys.argv[2], sys.argv[3]
when = {}
for line in open(changes):
    p, t = line.split()
    when[p] = float(t)
first = {}
for line in open(events):
    line = line.strip()
    if not line:
        continue
    if kind == "vigil":
        e = json.loads(line)
        if e.get("event_type") != "vigil.watch.change":
            continue
        p = e["path"]
        t = datetime.datetime.fromisoformat(e["time"].replace("Z", "+00:00")).timestamp()
    else:
        t, p = line.split(" ", 1)
        t = float(t)
    if p in when and p not in first:
        first[p] = t
lat = sorted((first[p] - when[p]) * 1000 for p in first)
if not lat:
    print(f"{kind:>12}: no events"); sys.exit()
q = lambda f: lat[min(len(lat) - 1, int(f * len(lat)))]
print(f"{kind:>12}: {len(lat)}/{len(when)} changes seen; latency ms: median {q(0.5):.1f}, "
      f"p90 {q(0.9):.1f}, p99 {q(0.99):.1f}, max {lat[-1]:.1f}")
EOF
}

echo "vigil watch latency: $N changes, one every $INTERVAL_MS ms, rule $RULE ($(nproc) cores, $(date -u +%F))"
rule_args=(--rule "$RULE")
[ "$RULE" = all ] && rule_args=()
"$VIGIL" watch --path "$WORK/d" --events "$WORK/events.jsonl" "${rule_args[@]}" \
    >"$WORK/watch.out" 2>&1 &
WATCHER=$!
# Ready once it says what it watches.
for _ in $(seq 100); do grep -q "vigil watch: watching" "$WORK/watch.out" && break; sleep 0.1; done
drive "$WORK/changes.txt"
sleep 2
kill -TERM "$WATCHER"; wait "$WATCHER" || true; WATCHER=
grep -v "^vigil watch: watching" "$WORK/watch.out" >&2 || true
stats "$WORK/changes.txt" "$WORK/events.jsonl" vigil

if command -v inotifywait >/dev/null; then
    rm -rf "$WORK/d"; mkdir -p "$WORK/d"
    # inotifywait's own time format has whole seconds: each line is stamped as it
    # arrives instead.
    (inotifywait -m -q -e close_write --format '%w%f' "$WORK/d" 2>/dev/null |
        "$PY" -u -c '
import sys, time
for line in sys.stdin:
    print(f"{time.time():.6f} {line.strip()}", flush=True)
' >"$WORK/inotify.txt") &
    WATCHER=$!
    sleep 0.5
    drive "$WORK/changes2.txt"
    sleep 1
    pkill -P "$WATCHER" 2>/dev/null || true; kill "$WATCHER" 2>/dev/null || true; WATCHER=
    stats "$WORK/changes2.txt" "$WORK/inotify.txt" inotifywait
else
    echo "(inotifywait not installed: apt-get install inotify-tools for the kernel-only reference)"
fi
