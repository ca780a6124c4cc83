#!/bin/sh
# Runs every cargo-fuzz target one after another (the machine's cores are shared), each
# for $FUZZ_SECS seconds (default 600), on its kept corpus under fuzz/corpus/<target>.
# Crashes land in fuzz/artifacts/<target>/. Needs `cargo install cargo-fuzz`; on a
# stable toolchain RUSTC_BOOTSTRAP=1 lets it use the nightly-only sanitizer flags.
# Usage: scripts/fuzz.sh [target...]   (default: all targets)
set -u
cd "$(dirname "$0")/../fuzz"
secs=${FUZZ_SECS:-600}
targets=${*:-datastream xccdf oval version}
export RUSTC_BOOTSTRAP=1
for t in $targets; do
    cargo fuzz build -O "$t" || exit 1
done
for t in $targets; do
    mkdir -p "corpus/$t"
    start=$(date +%s)
    echo "== $t: fuzzing for $secs s (started $(date -u +%H:%M:%S))"
    # -timeout: an input slower than 10 s is reported as a hang; -rss_limit_mb bounds
    # memory per input (a parser that balloons is a finding too).
    cargo fuzz run -O "$t" "corpus/$t" -- \
        -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1
    echo "== $t: exit $? after $(( $(date +%s) - start )) s"
done
