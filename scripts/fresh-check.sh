#!/usr/bin/env bash
# Runs the README's test command as a new project machine would: on a minimal Debian 12
# root that has a C toolchain, git, Python, the ssh client, procps, e2fsprogs, time and
# openssl, and none of what the tests install (attr, acl, sudo, openssh-server, oscap,
# chromium, ...). A test that passes here only because this machine happens to have a
# package fails here instead.
#
#   sudo scripts/fresh-check.sh            # debootstrap, clone HEAD, run ./scripts/test.sh
#
# The root is a fresh debootstrap (--variant=minbase) in a temporary directory under
# $FRESH_DIR (default /var/tmp), removed afterwards unless FRESH_KEEP=1. With
# FRESH_CACHE=DIR the debootstrap download is kept in DIR as a tarball and reused (the
# root is still unpacked anew each run). The Rust toolchain is the host's (rustup home
# and cargo's bin directory bind-mounted read-only); cargo's registry starts empty. The
# repository is cloned from this checkout's HEAD (commit first: uncommitted changes are
# not tested, as CI tests a clean clone). /proc and /sys are mounted, /dev is a tmpfs of
# its own with the usual nodes, devpts and /dev/shm (a bind of the host's /dev would let
# a test replace the host's /dev/null), and the root
# is bind-mounted onto itself so that it is `/` in /proc/mounts inside; all mounts live
# in a private mount namespace and vanish with it.
#
# Prints the test command's last lines and its wall time; exits with its status.
#
# The body is one function, called on the last line: bash has then read the whole file
# before anything runs, so editing this script while it runs cannot make it execute a
# half-read line (outside the mount namespace) when the chroot returns.
set -euo pipefail

main() {
repo=$(cd "$(dirname "$0")/.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: run as root (debootstrap, chroot, mounts)" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  echo "fresh-check: installing debootstrap" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
}
mirror=${FRESH_MIRROR:-http://deb.debian.org/debian}
include=build-essential,git,ca-certificates,python3,openssh-client,procps,e2fsprogs,time,openssl
rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
cargo_bin=${CARGO_HOME:-$HOME/.cargo}/bin
[ -x "$cargo_bin/cargo" ] || { echo "fresh-check: no cargo in $cargo_bin" >&2; exit 1; }

work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/vigil-fresh.XXXXXX")
root=$work/root
cleanup() {
  if [ "${FRESH_KEEP:-0}" = 1 ]; then echo "fresh-check: root kept in $root" >&2; return; fi
  # A bind mount of the same file system has the same st_dev, so rm --one-file-system
  # alone would walk into a leftover bind of the toolchain: refuse while anything is
  # mounted below the work directory.
  if awk -v w="$work/" 'index($2, w) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "fresh-check: something is still mounted under $work; not removing it" >&2
    return
  fi
  rm -rf --one-file-system "$work"
}
trap cleanup EXIT

start=$(date +%s)
if [ -n "${FRESH_CACHE:-}" ]; then
  mkdir -p "$FRESH_CACHE"
  tarball=$(cd "$FRESH_CACHE" && pwd)/bookworm-minbase.tgz
  if [ ! -s "$tarball" ]; then
    debootstrap --variant=minbase --include="$include" --make-tarball="$tarball.part" \
      bookworm "$work/tarball-build" "$mirror" >"$work/debootstrap.log" 2>&1 ||
      { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    mv "$tarball.part" "$tarball"
    rm -rf "$work/tarball-build"
  fi
  debootstrap --variant=minbase --include="$include" --unpack-tarball="$tarball" \
    bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
else
  debootstrap --variant=minbase --include="$include" bookworm "$root" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
fi
echo "fresh-check: Debian 12 minbase root in $root ($(($(date +%s) - start)) s)" >&2

# What a project machine has beside the packages: name resolution, the certificate
# authorities the machine's network needs (this workplace's egress proxy signs TLS with
# its own CA, installed in /usr/local/share/ca-certificates) and the same apt sources
# (bookworm, updates, security) as this host.
cp /etc/resolv.conf "$root/etc/resolv.conf"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
cp /etc/hosts "$root/etc/hosts"
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
  cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  : >"$root/etc/apt/sources.list"
fi
git clone -q "$repo" "$root/work/vigil"
echo "fresh-check: cloned $(git -C "$repo" rev-parse --short HEAD) ($(git -C "$repo" log -1 --format=%s | cut -c1-60))" >&2
mkdir -p "$root/root/.rustup" "$root/root/.cargo/bin"

# Everything below runs in a private mount namespace: the mounts disappear with it, so
# the cleanup above never reaches through a bind mount into the host.
set +e
test_start=$(date +%s)
unshare --mount --propagation private bash -euo pipefail -c '
  root=$1 rustup_home=$2 cargo_bin=$3
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys"
  # A /dev of its own, not the one of this host: a test (or a bug under test) that
  # replaces or removes a device node inside must not take the host /dev/null with it.
  mount -t tmpfs -o mode=755,nosuid dev "$root/dev"
  for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
    set -- $n; mknod -m 666 "$root/dev/$1" c "$2" "$3"
  done
  mkdir "$root/dev/pts" "$root/dev/shm"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount --bind "$rustup_home" "$root/root/.rustup"
  mount -o remount,bind,ro "$root/root/.rustup"
  mount --bind "$cargo_bin" "$root/root/.cargo/bin"
  mount -o remount,bind,ro "$root/root/.cargo/bin"
  exec chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/root/.cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c "cd /work/vigil && ./scripts/test.sh"
' fresh "$root" "$rustup_home" "$cargo_bin" >"$work/test.log" 2>&1
status=$?
set -e
end=$(date +%s)
tail -25 "$work/test.log"
cp "$work/test.log" "${FRESH_LOG:-/var/tmp/vigil-fresh-check.log}"
echo "fresh-check: ./scripts/test.sh exited $status after $((end - test_start)) s" \
  "(package installs, build and tests; $((end - start)) s with debootstrap);" \
  "full log in ${FRESH_LOG:-/var/tmp/vigil-fresh-check.log}"
exit "$status"
}

main "$@"
