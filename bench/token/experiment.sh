#!/usr/bin/env bash
# One Oxid-only measurement for profiling experiments (not the comparison; see run.sh):
#
#   bash bench/token/experiment.sh BINARY LABEL SECONDS [VAR=value ...]
#
# Starts BINARY (an `oxid` build, e.g. one with experiments.patch applied) on a temporary
# SQLite database under $EXP_DIR (default /tmp; /dev/shm for a database in RAM) with the VAR=value
# environment, loads POST /token (client_credentials) with wrk -t1 -c16 for SECONDS after a 2 s
# warm-up and prints one line: req/s, server CPU microseconds per request, bytes and write
# syscalls per request (from /proc/PID/io), read syscalls, p50/p99 latency.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN=$1 LABEL=$2 DUR=$3
shift 3
D="$(mktemp -d "${EXP_DIR:-/tmp}/oxid-bench-exp.XXXXXX")"
T=""
trap '[ -n "$T" ] && kill "$T" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"' EXIT
S="$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n=')"
PORT="$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")"
"$BIN" --database "sqlite://$D/oxid.db" client add --client-id bench --client-secret "$S" \
  --grant-type client_credentials --scope read:records >/dev/null
env "$@" timeout 300 "$BIN" --database "sqlite://$D/oxid.db" serve --listen "127.0.0.1:$PORT" \
  --issuer "http://127.0.0.1:$PORT" >"$D/log" 2>&1 &
T=$!
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$PORT/jwks" && break; sleep 0.1; done
P="$(pgrep -P "$T")"
export CLIENT_ID=bench CLIENT_SECRET="$S"
WRK=(wrk -t1 -c16 -s "$HERE/token.lua")
timeout 60 "${WRK[@]}" -d2s "http://127.0.0.1:$PORT" >/dev/null
io() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$P/io"; }
ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$P/stat"; }
c0=$(ticks) w0=$(io wchar) s0=$(io syscw) r0=$(io syscr)
line="$(timeout $((DUR + 60)) "${WRK[@]}" -d"${DUR}s" "http://127.0.0.1:$PORT" | grep '^RESULT ')"
c1=$(ticks) w1=$(io wchar) s1=$(io syscw) r1=$(io syscr)
get() { echo "$line" | grep -o "$1=[0-9.]*" | cut -d= -f2; }
n=$(get requests)
awk -v l="$LABEL" -v rps="$(get rps)" -v c=$((c1 - c0)) -v k="$(getconf CLK_TCK)" -v n="$n" \
  -v w=$((w1 - w0)) -v sw=$((s1 - s0)) -v sr=$((r1 - r0)) -v p50="$(get p50_us)" -v p99="$(get p99_us)" \
  -v bad="$(get non200)" -v la="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
    printf "%-16s %6.0f req/s  %4.0f us CPU/req  %6.0f B written/req  %4.1f writes/req  %4.1f reads/req  p50 %5.2f ms  p99 %6.2f ms  non-200 %d  load %s\n",
      l, rps, c / k * 1e6 / n, w / n, sw / n, sr / n, p50 / 1000, p99 / 1000, bad, la }'
