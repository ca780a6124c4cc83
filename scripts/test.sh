#!/usr/bin/env bash
# The test command (README "Tests"): installs what the tests need when it is missing
# (Debian packages, as root), then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v oscap >/dev/null || need+=(openscap-scanner)
[ -f /usr/share/xml/scap/ssg/content/ssg-debian11-ds.xml ] || need+=(ssg-debian)
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v setfacl >/dev/null || need+=(acl)
command -v openssl >/dev/null || need+=(openssl)
command -v dpkg >/dev/null || need+=(dpkg)
[ -x /usr/bin/time ] || need+=(time)
command -v chromium >/dev/null || need+=(chromium)
command -v python3 >/dev/null || need+=(python3)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: missing packages (${need[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release --locked
cargo test --release --locked
# The HTML report as a person sees it: headless Chromium, filters, screenshots.
VIGIL=target/release/vigil scripts/browser-check.sh
# Same answers as oscap on every SSG debian11 OVAL definition of this host.
scripts/ssg-parity.sh oval
