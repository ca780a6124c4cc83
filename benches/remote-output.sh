#!/bin/sh
# Memory cost of what a host sends back: peak RSS of `vigil scan --host` (one sshd on
# 127.0.0.1, generated keys, run in the foreground) while the host sends a results
# document of about N MB, against N. The remote command is the transport stand-in
# `remote-selftest` with a `bulk BYTES` plan: rules with long descriptions, so the
# document is real JSON of the results schema that vigil reads into its typed model,
# writes per host (--fleet-out) and renders as HTML. The target (issue 13) is a peak
# RSS of at most 3x the output for a host sending the --max-remote-output default.
#
# Usage: benches/remote-output.sh   (env: VIGIL=path/to/vigil SIZES_MB="8 32 64",
#                                    OUTPUTS="" to leave out the --html report,
#                                    a size of 64 is the default limit)
set -eu
SIZES_MB=${SIZES_MB:-"8 32 64"}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${VIGIL:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
    VIGIL=$here/target/release/vigil
fi

lab=$(mktemp -d)
pid=""
cleanup() {
    [ -z "$pid" ] || { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
    rm -rf "$lab"
}
trap cleanup EXIT INT TERM

mkdir -p /run/sshd "$lab/remote-tmp" "$lab/home"
ssh-keygen -q -t ed25519 -N '' -f "$lab/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$lab/userkey"
cp "$lab/userkey.pub" "$lab/authorized_keys"
port=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
cat > "$lab/sshd_config" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $lab/hostkey
PidFile $lab/sshd.pid
AuthorizedKeysFile $lab/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
SetEnv HOME=$lab/home
CFG
/usr/sbin/sshd -D -e -f "$lab/sshd_config" 2>"$lab/sshd.log" &
pid=$!
echo "[127.0.0.1]:$port $(cat "$lab/hostkey.pub")" > "$lab/known_hosts"
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
    i=$((i + 1)); [ $i -lt 200 ] || { echo "sshd did not start" >&2; exit 1; }
    sleep 0.05
done

echo "binary: $VIGIL, load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%10s %12s %12s %7s\n' "size MB" "sent bytes" "peak RSS kB" "ratio"
for mb in $SIZES_MB; do
    printf 'bulk %s\n' "$((mb * 1000000 - 2000))" > "$lab/plan"
    rm -rf "$lab/out" "$lab/html"
    /usr/bin/time -f '%M' -o "$lab/rss" "$VIGIL" scan "$lab/plan" \
        --remote-subcommand remote-selftest --host "root@127.0.0.1:$port" \
        --ssh-option "UserKnownHostsFile=$lab/known_hosts" \
        --ssh-option "IdentityFile=$lab/userkey" --ssh-option IdentitiesOnly=yes \
        --remote-tmpdir "$lab/remote-tmp" --fleet-out "$lab/out" ${OUTPUTS-"--html $lab/html"} \
        --quiet >"$lab/last.out" 2>&1 || { cat "$lab/last.out" >&2; exit 1; }
    sent=$(wc -c < "$lab/out/root@127.0.0.1_$port.json")
    rss=$(tail -n 1 "$lab/rss")
    printf '%10s %12s %12s %7s\n' "$mb" "$sent" "$rss" "$(echo "$rss * 1024 / $sent" | bc -l | cut -c1-5)"
done
echo "left behind in remote temp dir: $(ls -A "$lab/remote-tmp" | wc -l)"
