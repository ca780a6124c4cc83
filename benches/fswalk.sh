#!/bin/sh
# Compares vigil's shared file-system walk with `find -xdev` on the same tree.
#
#   benches/fswalk.sh [ROOT]      (default /)
#
# Every run stays on ROOT's device and is run twice; the second (warm cache) run is
# reported as wall time and CPU time (user + sys), since on a shared machine the wall
# time mostly measures the other load. vigil's count is directories + other entries,
# each lstat'ed and turned into a full file_item (mode, owner, times, POSIX ACL xattr);
# `find | wc -l` only lists names, `find -printf` also stats.
set -eu
root=${1:-/}
cd "$(dirname "$0")/.."
cargo build --release -p vigil-host --example fswalk >/dev/null 2>&1
bin=target/release/examples/fswalk
t=$(mktemp)
trap 'rm -f "$t"' EXIT

measure() { # label, command...
    label=$1
    shift
    "$@" >/dev/null 2>&1 || true
    /usr/bin/time -f "%e %U %S" -o "$t" "$@" 2>/dev/null >"$t.out" || true
    set -- $(cat "$t")
    printf '%-34s %-8s wall %6ss  cpu %5.2fs\n' "$label" "$(cut -d' ' -f1 "$t.out")" "$1" "$(echo "$2 + $3" | bc)"
    rm -f "$t.out"
}

measure "find -xdev | wc -l" sh -c "find '$root' -xdev 2>/dev/null | wc -l"
measure "find -xdev -printf (stat)" sh -c "find '$root' -xdev -printf '%m %U %G %s %T@\n' 2>/dev/null | wc -l"
measure "vigil walk + lstat + file_item" "$bin" "$root"
measure "vigil SSG-shaped batch (7 objs)" "$bin" --ssg "$root"
echo "($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
