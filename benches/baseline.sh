#!/usr/bin/env bash
# Benchmark: `vigil baseline create` against `aide --init` (SHA-256 only) and
# `sha256sum`, on one generated tree held in the page cache, in one run.
#
# The reference for the hashing limit is `openssl dgst -sha256` pinned to one core
# (SHA-NI when the CPU has it): the aim is for vigil to hash at >= 80% of two such
# cores. vigil's figure is end to end (walk, lstat, xattrs, ACLs, open, read, hash,
# JSON), so it is a lower bound of its hashing throughput.
#
# Usage: benches/baseline.sh [TREE_MB] [RUNS]     (defaults: 2048 MB, best of 3)
# Needs: cargo, openssl, aide (installed with apt-get if missing), taskset.
set -euo pipefail

TREE_MB=${1:-2048}
RUNS=${2:-3}
cd "$(dirname "$0")/.."

cargo build --release --quiet
VIGIL=$PWD/target/release/vigil

if ! command -v aide >/dev/null; then
    echo "installing aide..." >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq aide >/dev/null
fi

WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/vigil-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
TREE=$WORK/tree
mkdir -p "$TREE"

# The tree: 32 large files carrying most of the bytes, plus 4000 small files
# (0-16 KiB) in 40 directories, as in a configuration or key store.
BIG_MB=$((TREE_MB / 32))
for i in $(seq -w 1 32); do
    head -c "${BIG_MB}M" /dev/urandom >"$TREE/big$i.bin"
done
for d in $(seq -w 1 40); do
    mkdir -p "$TREE/dir$d"
    for f in $(seq -w 1 100); do
        head -c $(((RANDOM * 16384) / 32768)) /dev/urandom >"$TREE/dir$d/f$f"
    done
done
BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {printf "%d\n", s}')
FILES=$(find "$TREE" -type f | wc -l)
# Into the page cache: every tool below reads from memory, not from the disk.
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null

# best_of CMD...: "WALL CPU" (seconds) of the run with the shortest wall time out of
# $RUNS; CPU is user+system time of the command and its children. On a shared machine
# the wall time suffers from other load, the CPU time much less.
best_of() {
    local best="" cpu="" out w c
    for _ in $(seq "$RUNS"); do
        /usr/bin/time -o "$WORK/time" -f "%e %U %S" "$@" >/dev/null 2>&1
        out=$(tail -1 "$WORK/time")
        w=$(echo "$out" | awk '{print $1}')
        c=$(echo "$out" | awk '{print $2 + $3}')
        if [ -z "$best" ] || [ "$(echo "$w < $best" | bc -l)" = 1 ]; then
            best=$w
            cpu=$c
        fi
    done
    echo "$best $cpu"
}
mbps() { echo "scale=0; $BYTES / $1 / 1000000" | bc -l; }

openssl_one_core() {
    # All files in one process, pinned to one CPU.
    find "$TREE" -type f -print0 | xargs -0 taskset -c 0 openssl dgst -sha256
}
sha256sum_one() { find "$TREE" -type f -print0 | xargs -0 sha256sum; }
sha256sum_two() { find "$TREE" -type f -print0 | xargs -0 -n 64 -P 2 sha256sum; }

aide_conf() {
    cat >"$WORK/aide-$1.conf" <<EOF
database_out=file:$WORK/aide-$1.db
gzip_dbout=no
num_workers=$1
Sha = sha256
$TREE Sha
EOF
}
aide_conf 1
aide_conf 2
aide_init() { aide --init --config="$WORK/aide-$1.conf"; }
vigil_create() { "$VIGIL" baseline create --out "$WORK/vigil.json" "$TREE"; }

export TREE WORK VIGIL
export -f openssl_one_core sha256sum_one sha256sum_two aide_init vigil_create
read -r T_SSL C_SSL <<<"$(best_of bash -c openssl_one_core)"
read -r T_VIGIL C_VIGIL <<<"$(best_of bash -c vigil_create)"
read -r T_AIDE1 C_AIDE1 <<<"$(best_of bash -c 'aide_init 1')"
read -r T_AIDE2 C_AIDE2 <<<"$(best_of bash -c 'aide_init 2')"
read -r T_SUM1 C_SUM1 <<<"$(best_of bash -c sha256sum_one)"
read -r T_SUM2 C_SUM2 <<<"$(best_of bash -c sha256sum_two)"

# vigil and sha256sum agree on every hash.
find "$TREE" -type f -print0 | xargs -0 sha256sum | awk '{print $1}' | sort >"$WORK/sums.ref"
grep -o '"sha256": "[0-9a-f]*"' "$WORK/vigil.json" | cut -d'"' -f4 | sort >"$WORK/sums.vigil"
cmp -s "$WORK/sums.ref" "$WORK/sums.vigil" && AGREE=yes || AGREE=NO

SSL=$(mbps "$T_SSL")
VIG=$(mbps "$T_VIGIL")
LIMIT=$((2 * SSL))
AIM=$((LIMIT * 8 / 10))
# Per CPU-second rates: how much each tool hashes per core it actually used.
SSL_CPU=$(mbps "$C_SSL")
VIG_CPU=$(mbps "$C_VIGIL")
SHANI=$(grep -m1 -ow sha_ni /proc/cpuinfo >/dev/null && echo yes || echo no)

echo "tree: $FILES files, $((BYTES / 1000000)) MB (page cache), $(nproc) CPUs, SHA-NI: $SHANI," \
    "best of $RUNS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-32s %8s %8s %9s %12s\n' tool "wall s" "cpu s" "MB/s" "MB/cpu-s"
row() { printf '%-32s %8s %8s %9s %12s\n' "$1" "$2" "$3" "$(mbps "$2")" "$(mbps "$3")"; }
row "openssl dgst -sha256 (1 core)" "$T_SSL" "$C_SSL"
row "vigil baseline create" "$T_VIGIL" "$C_VIGIL"
row "aide --init sha256 (1 worker)" "$T_AIDE1" "$C_AIDE1"
row "aide --init sha256 (2 workers)" "$T_AIDE2" "$C_AIDE2"
row "sha256sum (1 process)" "$T_SUM1" "$C_SUM1"
row "sha256sum (xargs -P2)" "$T_SUM2" "$C_SUM2"
echo "limit (2 x openssl on one core): $LIMIT MB/s; aim (80%): $AIM MB/s;" \
    "vigil: $VIG MB/s = $((100 * VIG / LIMIT))% of the limit -> $([ "$VIG" -ge "$AIM" ] && echo MET || echo NOT MET)"
echo "per core used: vigil $VIG_CPU MB/cpu-s = $((100 * VIG_CPU / SSL_CPU))% of openssl's $SSL_CPU MB/cpu-s"
echo "vigil hashes agree with sha256sum: $AGREE"
