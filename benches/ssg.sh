#!/usr/bin/env bash
# benches/ssg.sh: oscap against vigil on the SCAP Security Guide content for Debian 11,
# measured in the same run on the same files, so that the ratio holds on a shared,
# noisy machine where absolute figures do not.
#
# usage: benches/ssg.sh [xccdf|oval|both] [VIGIL_BINARY]     (default: both, target/release/vigil)
#
# The content is prepared as ../shared/tools/ssg-parity prepares it: the Debian-11-only
# platform is removed and every Rule and Group is selected (all 355 rules), and the
# OVAL run evaluates all 487 definitions of ssg-debian11-oval.xml. oscap runs with
# SEXP_VALIDATE_DISABLE=1, its fastest setting. Each scanner's wall time and peak
# resident memory come from /usr/bin/time. vigil runs VIGIL_RUNS times (default 3: one
# before oscap, the rest after) and its median wall time is used; oscap runs once.
# A `find /` first warms the dentry and inode caches for both scanners alike.
#
# Output: one line per run, then per mode
#   <mode>: oscap <s> s <MB> MB | vigil <s> s <MB> MB | ratio <x>
set -euo pipefail
modes=${1:-both}
vigil=${2:-target/release/vigil}
runs=${VIGIL_RUNS:-3}
src=/usr/share/xml/scap/ssg/content
command -v oscap >/dev/null || { echo "oscap missing: apt-get install openscap-scanner" >&2; exit 1; }
[ -f $src/ssg-debian11-xccdf.xml ] || { echo "ssg content missing: apt-get install ssg-debian" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
[ -x "$vigil" ] || { echo "no vigil binary at $vigil (cargo build --release first)" >&2; exit 1; }
vigil=$(realpath "$vigil")
[ "$modes" = both ] && modes="xccdf oval"

work=$(mktemp -d /tmp/vigil-ssg-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$(dirname "$0")"/../scripts/ssg-prepare.sh "$work"
cd "$work"

find / -xdev >/dev/null 2>&1 || true

# timed OUT_PREFIX CMD...: runs CMD under /usr/bin/time, prints "wall_s peak_kib".
timed() {
    local out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$out.time" "$@" >"$out.out" 2>"$out.err" || true
    cat "$out.time" | tail -1
}

for mode in $modes; do
    if [ "$mode" = xccdf ]; then
        oscap_cmd=(env SEXP_VALIDATE_DISABLE=1 oscap xccdf eval --results oscap-xccdf.xml all.xml)
        vigil_cmd=("$vigil" scan all.xml --quiet --json vigil-xccdf.json)
    else
        oscap_cmd=(env SEXP_VALIDATE_DISABLE=1 oscap oval eval --results oscap-oval.xml ssg-debian11-oval.xml)
        vigil_cmd=("$vigil" scan ssg-debian11-oval.xml --quiet --json vigil-oval.json)
    fi
    vigil_times=()
    vigil_peak=0
    for i in $(seq 1 "$runs"); do
        line=$(timed "vigil-$mode-$i" "${vigil_cmd[@]}")
        echo "  $mode vigil run $i: ${line% *} s, peak ${line#* } KiB"
        vigil_times+=("${line% *}")
        [ "${line#* }" -gt "$vigil_peak" ] && vigil_peak=${line#* }
        if [ "$i" = 1 ]; then
            oscap_line=$(timed "oscap-$mode" "${oscap_cmd[@]}")
            echo "  $mode oscap: ${oscap_line% *} s, peak ${oscap_line#* } KiB"
        fi
    done
    python3 - "$mode" "$oscap_line" "$vigil_peak" "${vigil_times[@]}" <<'EOF'
import statistics, sys
mode, oscap, vpeak, *vt = sys.argv[1:]
ow, opeak = map(float, oscap.split())
vw = statistics.median(map(float, vt))
print(f"{mode}: oscap {ow:.2f} s {opeak / 1024:.0f} MB | vigil {vw:.2f} s "
      f"{float(vpeak) / 1024:.0f} MB (median of {len(vt)}) | ratio {ow / max(vw, 1e-3):.1f}x")
EOF
done
