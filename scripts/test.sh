#!/usr/bin/env bash
# The test command (README "Tests"): installs what the tests need when it is missing
# (Debian packages, as root), then runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."

# scripts/test-tools.txt lists every program and file the tests use with its Debian
# package; the tests refuse to run a program it does not list.
need=()
while read -r name pkg; do
  case $name in ''|'#'*) continue ;; esac
  if [ "${name#/}" != "$name" ]; then [ -e "$name" ] && continue
  else command -v "$name" >/dev/null && continue; fi
  case " ${need[*]} " in *" $pkg "*) ;; *) need+=("$pkg") ;; esac
done <scripts/test-tools.txt
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "scripts/test.sh: missing packages (${need[*]}); run as root or install them" >&2
    exit 1
  fi
  echo "scripts/test.sh: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

# Consumers Debian does not package (scripts/test-pypi.txt), pinned, in a venv of the
# tests' own, from binary wheels only.
python3=/usr/bin/python3
[ -x target/test-venv/bin/python ] || "$python3" -m venv target/test-venv
target/test-venv/bin/pip install -q --disable-pip-version-check --only-binary :all: -r scripts/test-pypi.txt

cargo build --release --locked --workspace
cargo test --release --locked --workspace
# The HTML report as a person sees it: headless Chromium, filters, screenshots.
VIGIL=target/release/vigil scripts/browser-check.sh
# Same answers as oscap on every SSG debian11 OVAL definition of this host.
scripts/ssg-parity.sh oval
# Same answers as oscap (or, where oscap is not the oracle, the OVAL specification) on
# every OVAL fixture under tests/fixtures/oval/.
VIGIL=target/release/vigil scripts/oval-conformance.sh
