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
BYTES=$(find "$TREE" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
FILES=$(find "$TREE" -type f | wc -l)
# Into the page cache: every tool below reads from memory, not from the disk.
find "$TREE" -type f -print0 | xargs -0 cat >/dev/null

now() { echo "$EPOCHREALTIME"; }
# best_of CMD...: the shortest wall time (seconds) of $RUNS runs.
best_of() {
    local best="" t0 t1 dt
    for _ in $(seq "$RUNS"); do
        t0=$(now)
        "$@" >/dev/null 2>&1
        t1=$(now)
        dt=$(echo "$t1 - $t0" | bc -l)
        if [ -z "$best" ] || [ "$(echo "$dt < $best" | bc -l)" = 1 ]; then best=$dt; fi
    done
    echo "$best"
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

T_SSL=$(best_of openssl_one_core)
T_VIGIL=$(best_of vigil_create)
T_AIDE1=$(best_of aide_init 1)
T_AIDE2=$(best_of aide_init 2)
T_SUM1=$(best_of sha256sum_one)
T_SUM2=$(best_of sha256sum_two)

# vigil and sha256sum agree on every hash.
find "$TREE" -type f -print0 | xargs -0 sha256sum | awk '{print $1}' | sort >"$WORK/sums.ref"
grep -o '"sha256": "[0-9a-f]*"' "$WORK/vigil.json" | cut -d'"' -f4 | sort >"$WORK/sums.vigil"
cmp -s "$WORK/sums.ref" "$WORK/sums.vigil" && AGREE=yes || AGREE=NO

SSL=$(mbps "$T_SSL")
VIG=$(mbps "$T_VIGIL")
LIMIT=$((2 * SSL))
AIM=$((LIMIT * 8 / 10))
SHANI=$(grep -m1 -ow sha_ni /proc/cpuinfo >/dev/null && echo yes || echo no)

echo "tree: $FILES files, $((BYTES / 1000000)) MB (page cache), $(nproc) CPUs, SHA-NI: $SHANI, best of $RUNS"
printf '%-36s %8s s %7s MB/s\n' \
    "openssl dgst -sha256 (1 core)" "$T_SSL" "$SSL" \
    "vigil baseline create" "$T_VIGIL" "$VIG" \
    "aide --init sha256 (1 worker)" "$T_AIDE1" "$(mbps "$T_AIDE1")" \
    "aide --init sha256 (2 workers)" "$T_AIDE2" "$(mbps "$T_AIDE2")" \
    "sha256sum (1 process)" "$T_SUM1" "$(mbps "$T_SUM1")" \
    "sha256sum (xargs -P2)" "$T_SUM2" "$(mbps "$T_SUM2")"
echo "limit (2 x openssl one core): $LIMIT MB/s; aim (80%): $AIM MB/s;" \
    "vigil: $VIG MB/s = $((100 * VIG / LIMIT))% of the limit -> $([ "$VIG" -ge "$AIM" ] && echo MET || echo NOT MET)"
echo "vigil hashes agree with sha256sum: $AGREE"
