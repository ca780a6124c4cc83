#!/bin/sh
# Fleet scan benchmark: wall time of scanning 20 hosts with -j 8 against one host.
# The hosts are 20 sshd instances on 127.0.0.1 (free ports, generated keys, run as root
# in the foreground), so the figure measures vigil's transport and parallelism, not a
# network. Until `vigil scan` exists the remote command is the transport stand-in
# `remote-selftest`; set SUBCOMMAND=scan CONTENT=file.xml to time real scans.
#
# Usage: benches/fleet.sh   (env: VIGIL=path/to/vigil HOSTS=20 JOBS=8 RUNS=3
#                            SCAN_MS=0 emulated scan time per host for the stand-in,
#                            ACCOUNT_SHELL=0: sessions get an empty HOME, so the login
#                            account's ~/.bashrc, sourced by every ssh command, is not
#                            timed; 1 keeps the account's own)
set -eu
HOSTS=${HOSTS:-20}
JOBS=${JOBS:-8}
RUNS=${RUNS:-3}
SCAN_MS=${SCAN_MS:-0}
SUBCOMMAND=${SUBCOMMAND:-remote-selftest}
ACCOUNT_SHELL=${ACCOUNT_SHELL:-0}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${VIGIL:-}" ]; then
    (cd "$here" && cargo build --release --quiet)
    VIGIL=$here/target/release/vigil
fi

lab=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    rm -rf "$lab"
}
trap cleanup EXIT INT TERM

mkdir -p /run/sshd "$lab/remote-tmp" "$lab/home"
home_line=""
[ "$ACCOUNT_SHELL" = 1 ] || home_line="SetEnv HOME=$lab/home"
ssh-keygen -q -t ed25519 -N '' -f "$lab/hostkey"
ssh-keygen -q -t ed25519 -N '' -f "$lab/userkey"
cp "$lab/userkey.pub" "$lab/authorized_keys"
: > "$lab/known_hosts"
: > "$lab/hosts"
ports=$(python3 -c "
import socket
ss=[socket.socket() for _ in range($HOSTS)]
for s in ss: s.bind(('127.0.0.1',0))
print(' '.join(str(s.getsockname()[1]) for s in ss))")
for port in $ports; do
    cat > "$lab/sshd_config.$port" <<CFG
Port $port
ListenAddress 127.0.0.1
HostKey $lab/hostkey
PidFile $lab/sshd.$port.pid
AuthorizedKeysFile $lab/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PasswordAuthentication no
KbdInteractiveAuthentication no
$home_line
CFG
    /usr/sbin/sshd -D -e -f "$lab/sshd_config.$port" 2>"$lab/sshd.$port.log" &
    pids="$pids $!"
    echo "[127.0.0.1]:$port $(cat "$lab/hostkey.pub")" >> "$lab/known_hosts"
    echo "root@127.0.0.1:$port" >> "$lab/hosts"
done
for port in $ports; do
    i=0
    until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
        i=$((i + 1)); [ $i -lt 200 ] || { echo "sshd on $port did not start" >&2; exit 1; }
        sleep 0.05
    done
done

if [ "$SUBCOMMAND" = remote-selftest ]; then
    CONTENT=$lab/plan
    printf 'file /etc/passwd\nsleep %s\n' "$SCAN_MS" > "$CONTENT"
fi

run() { # run HOSTFILE JOBS -> seconds
    s=$(date +%s.%N)
    "$VIGIL" scan "$CONTENT" --remote-subcommand "$SUBCOMMAND" --hosts "$1" -j "$2" \
        --ssh-option "UserKnownHostsFile=$lab/known_hosts" \
        --ssh-option "IdentityFile=$lab/userkey" --ssh-option IdentitiesOnly=yes \
        --remote-tmpdir "$lab/remote-tmp" --fleet-out "$lab/out" >"$lab/last.out" 2>&1 ||
        { rc=$?; [ $rc -eq 2 ] || { cat "$lab/last.out" >&2; exit 1; }; }
    e=$(date +%s.%N)
    echo "$e - $s" | bc -l
}
median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

head -n 1 "$lab/hosts" > "$lab/one"
one=""; many=""
for _ in $(seq "$RUNS"); do
    one="$one $(run "$lab/one" 1)"
    many="$many $(run "$lab/hosts" "$JOBS")"
done
t1=$(echo "$one" | median)
tn=$(echo "$many" | median)
left=$(ls -A "$lab/remote-tmp" | wc -l)
echo "binary: $VIGIL ($(wc -c < "$VIGIL") bytes), remote command: $SUBCOMMAND, scan_ms=$SCAN_MS, account_shell=$ACCOUNT_SHELL, load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "1 host:                 ${t1}s (median of $RUNS:$one)"
echo "$HOSTS hosts, -j $JOBS:     ${tn}s (median of $RUNS:$many)"
echo "wall-time ratio ($HOSTS hosts / 1 host): $(echo "$tn / $t1" | bc -l | cut -c1-5)  (sequential would be $HOSTS)"
echo "left behind in remote temp dir: $left"
tail -n 1 "$lab/last.out"
