#!/bin/sh
# Compares vigil's shared file-system walk with `find -xdev` on the same tree.
#
#   benches/fswalk.sh [ROOT]      (default /)
#
# Both runs stay on ROOT's device. Each is run twice and the second (warm cache) time
# is reported, so the comparison is CPU and syscalls, not the disk. vigil's count is
# directories + other entries, each lstat'ed and turned into a full file_item (mode,
# owner, times, POSIX ACL); find only lists names.
set -eu
root=${1:-/}
cd "$(dirname "$0")/.."
cargo build --release --example fswalk >/dev/null 2>&1
bin=target/release/examples/fswalk

find_run() {
    start=$(date +%s.%N)
    n=$(find "$root" -xdev 2>/dev/null | wc -l)
    end=$(date +%s.%N)
    echo "$n $(echo "$end - $start" | bc)"
}

find_run >/dev/null
set -- $(find_run)
echo "find $root -xdev | wc -l : $1 entries in $2 s"
"$bin" "$root" >/dev/null 2>&1
set -- $("$bin" "$root" 2>/dev/null)
echo "vigil walk + lstat + item: $1 entries in $2 s ($(nproc) cores)"
set -- $("$bin" --ssg "$root" 2>/dev/null)
echo "vigil SSG-shaped batch    : 3 file objects over / + 4 textfilecontent54 on /etc in $2 s"
