#!/usr/bin/env bash
# Token endpoint benchmark: Oxid against panva's node-oidc-provider, client_credentials grant.
#
#   bash bench/token/run.sh
#
# Builds `oxid` in release, starts it on a random 127.0.0.1 port with a temporary SQLite
# database and one confidential client, starts node-oidc-provider on another 127.0.0.1 port
# with the equivalent client, checks that each answers with a real token response, then drives
# each in turn (interleaved slices) with the same wrk load (POST /token, grant_type=client_credentials,
# scope=read:records, HTTP Basic) and prints requests per second, p50/p99 latency, errors,
# the server's CPU time per request and the ratio Oxid / node-oidc-provider.
#
# Knobs (environment): DURATION (s per server, default 20), ROUNDS (slices it is cut into, run
# in ABBA order, default 4), WARMUP (s, default 3), CONNECTIONS (16),
# WRK_THREADS (1), CARGO_TARGET_DIR (default <repo>/target), OXID_BIN (a prebuilt oxid binary to
# measure instead of building one, e.g. the previous commit's for a before/after row),
# OXID_LOG (Oxid's log filter,
# default its own "info": one line per request, written to a file in the temporary dir).
# Needs: cargo, node >= 20 with npm, curl, wrk (Debian: apt-get install -y wrk).
# Every process it starts is stopped on exit, also on failure or Ctrl-C.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
DURATION="${DURATION:-20}"
WARMUP="${WARMUP:-3}"
CONNECTIONS="${CONNECTIONS:-16}"
WRK_THREADS="${WRK_THREADS:-1}"
ROUNDS="${ROUNDS:-4}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$REPO/target}"
OXID="${OXID_BIN:-$CARGO_TARGET_DIR/release/oxid}"
CLIENT_ID=bench
SCOPE='read:records'
BODY="grant_type=client_credentials&scope=$SCOPE"

say() { printf '[bench/token] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in cargo node npm curl wrk pgrep; do
  command -v "$tool" >/dev/null || {
    [ "$tool" = wrk ] && die "wrk is missing: apt-get install -y wrk"
    die "$tool is missing"
  }
done

# --- processes and cleanup -------------------------------------------------------------------
TMP="$(mktemp -d /tmp/oxid-bench-token.XXXXXX)"
PIDS=()
cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    # Give each up to 5 s, then kill it.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [ "$status" -ne 0 ]; then
    say "failed (exit $status); server logs:"
    tail -n 20 "$TMP"/*.log 2>/dev/null >&2 || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until URL answers (any HTTP status), at most 30 s.
wait_http() {
  local url=$1 pid=$2
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || die "server for $url exited early"
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  die "no answer from $url after 30 s"
}

# The PID of the server itself under its `timeout` wrapper.
child_of() {
  local parent=$1 pid=""
  for _ in $(seq 50); do
    pid="$(pgrep -P "$parent" | head -n1 || true)"
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    sleep 0.1
  done
  die "no child process under $parent"
}

# utime + stime of a process, in clock ticks.
cpu_ticks() {
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# POSTs one token request and checks the answer is a real token response.
check_token() {
  local name=$1 base=$2 out="$TMP/sample-$1.json" code
  code="$(curl -s --max-time 10 -o "$out" -w '%{http_code}' -u "$CLIENT_ID:$SECRET" \
    -H 'Content-Type: application/x-www-form-urlencoded' -d "$BODY" "$base/token")"
  [ "$code" = 200 ] || die "$name: POST /token answered $code: $(cat "$out")"
  node -e '
    const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const ok = typeof r.access_token === "string" && r.access_token.length >= 32
      && /^bearer$/i.test(r.token_type) && Number.isInteger(r.expires_in) && r.expires_in > 0
      && r.scope === process.argv[2] && !("refresh_token" in r) && !("id_token" in r);
    if (!ok) { console.error("not a client_credentials token response: " + JSON.stringify(r)); process.exit(1); }
    console.log(`token_type=${r.token_type} expires_in=${r.expires_in} scope=${r.scope} access_token=${r.access_token.length} chars${r.access_token.split(".").length === 3 ? " (JWT)" : " (opaque)"}`);
  ' "$out" "$SCOPE" || die "$name: bad token response"
}

# --- build and install -----------------------------------------------------------------------
if [ -z "${OXID_BIN:-}" ]; then
  say "building oxid (release) into $CARGO_TARGET_DIR"
  (cd "$REPO" && timeout 1800 cargo build --release -p oxid --quiet) || die "cargo build failed"
fi
[ -x "$OXID" ] || die "no binary at $OXID"

if [ ! -d "$HERE/node/node_modules/oidc-provider" ]; then
  say "installing oidc-provider (npm ci)"
  (cd "$HERE/node" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
fi
NODE_PROVIDER_VERSION="$(node -p "require('$HERE/node/node_modules/oidc-provider/package.json').version")"

# --- start the servers -----------------------------------------------------------------------
SECRET="$(head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n=')"
[ "${#SECRET}" -eq 64 ] || die "secret generation failed"
DB="sqlite://$TMP/oxid.db"

OXID_PORT="$(free_port)"
OXID_BASE="http://127.0.0.1:$OXID_PORT"
"$OXID" --database "$DB" client add --client-id "$CLIENT_ID" --client-secret "$SECRET" \
  --grant-type client_credentials --scope "$SCOPE" >"$TMP/client-add.log" 2>&1 ||
  { cat "$TMP/client-add.log" >&2; die "oxid client add failed"; }
timeout 3600 "$OXID" --database "$DB" serve --listen "127.0.0.1:$OXID_PORT" --issuer "$OXID_BASE" \
  >"$TMP/oxid.log" 2>&1 &
PIDS+=($!)
OXID_PID="$(child_of "${PIDS[-1]}")"
wait_http "$OXID_BASE/.well-known/openid-configuration" "$OXID_PID"

NODE_PORT="$(free_port)"
NODE_BASE="http://127.0.0.1:$NODE_PORT"
(cd "$HERE/node" && NODE_ENV=production exec timeout 3600 node server.mjs "$NODE_PORT" "$CLIENT_ID" "$SECRET") \
  >"$TMP/node.log" 2>&1 &
PIDS+=($!)
NODE_PID="$(child_of "${PIDS[-1]}")"
wait_http "$NODE_BASE/.well-known/openid-configuration" "$NODE_PID"

OXID_VERSION="$("$OXID" --version | awk '{print $2}')"
say "oxid $OXID_VERSION at $OXID_BASE (pid $OXID_PID), oidc-provider $NODE_PROVIDER_VERSION on node $(node --version) at $NODE_BASE (pid $NODE_PID)"
SAMPLE_OXID="$(check_token oxid "$OXID_BASE")"
SAMPLE_NODE="$(check_token oidc-provider "$NODE_BASE")"
say "sample oxid:          $SAMPLE_OXID"
say "sample oidc-provider: $SAMPLE_NODE"

# --- load ------------------------------------------------------------------------------------
# Each server gets DURATION seconds of measured load, cut into ROUNDS slices run in ABBA order
# (oxid, node, node, oxid, ...), so that a change of background load on a shared machine
# falls on both sides alike. Latency percentiles come from the merged wrk histograms.
export CLIENT_ID CLIENT_SECRET="$SECRET"
WRK=(wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -s "$HERE/token.lua")
TICK="$(getconf CLK_TCK)"
SLICE=$((DURATION / ROUNDS))
[ "$SLICE" -ge 1 ] || die "DURATION/ROUNDS must be at least 1 s"
declare -A REQ=() DUR=() NON200=() SOCKERR=() TICKS=() LOADS=()

warm_up() {
  local name=$1 base=$2
  say "$name: warm-up ${WARMUP}s"
  timeout $((WARMUP + 30)) "${WRK[@]}" -d"${WARMUP}s" "$base" >"$TMP/warmup-$name.txt" ||
    die "$name: wrk warm-up failed"
}

# slice NAME BASE PID ROUND: one measured slice, added to the totals of NAME.
slice() {
  local name=$1 base=$2 pid=$3 round=$4 before after line load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  before="$(cpu_ticks "$pid")"
  HIST_FILE="$TMP/hist-$name.txt" timeout $((SLICE + 30)) "${WRK[@]}" -d"${SLICE}s" "$base" \
    >"$TMP/run-$name-$round.txt" || die "$name: wrk failed"
  after="$(cpu_ticks "$pid")"
  line="$(grep '^RESULT ' "$TMP/run-$name-$round.txt")" ||
    { cat "$TMP/run-$name-$round.txt" >&2; die "$name: no RESULT line"; }
  local R_requests R_duration_us R_rps R_p50_us R_p90_us R_p99_us R_max_us R_non200 R_socket_errors
  eval "$(echo "${line#RESULT }" | tr ' ' '\n' | sed 's/^/R_/')"
  say "$(printf 'round %d %-14s %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  non-200 %d  load %s' \
    "$round" "$name" "$R_rps" "$(ms "$R_p50_us")" "$(ms "$R_p99_us")" "$R_non200" "$load")"
  REQ[$name]=$((${REQ[$name]:-0} + R_requests))
  DUR[$name]=$((${DUR[$name]:-0} + R_duration_us))
  NON200[$name]=$((${NON200[$name]:-0} + R_non200))
  SOCKERR[$name]=$((${SOCKERR[$name]:-0} + R_socket_errors))
  TICKS[$name]=$((${TICKS[$name]:-0} + after - before))
  LOADS[$name]="${LOADS[$name]:+${LOADS[$name]} }$load"
}

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }

# percentile NAME P: the P-th percentile (microseconds) of the merged histogram of NAME.
percentile() {
  sort -n "$TMP/hist-$1.txt" | awk -v p="$2" '
    { v[NR] = $1; c[NR] = $2; n += $2 }
    END { t = 0; for (i = 1; i <= NR; i++) { t += c[i]; if (t >= p / 100 * n) { print v[i]; exit } } }'
}

say "measuring ${DURATION}s per server in $ROUNDS slices of ${SLICE}s (ABBA order), ${CONNECTIONS} connections, ${WRK_THREADS} wrk thread(s)"
warm_up oxid "$OXID_BASE"
warm_up oidc-provider "$NODE_BASE"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) -eq 1 ]; then
    slice oxid "$OXID_BASE" "$OXID_PID" "$round"
    slice oidc-provider "$NODE_BASE" "$NODE_PID" "$round"
  else
    slice oidc-provider "$NODE_BASE" "$NODE_PID" "$round"
    slice oxid "$OXID_BASE" "$OXID_PID" "$round"
  fi
done
for name in oxid oidc-provider; do
  [ "${NON200[$name]}" -eq 0 ] || die "$name: ${NON200[$name]} responses were not 200"
  [ "${SOCKERR[$name]}" -eq 0 ] || die "$name: ${SOCKERR[$name]} socket errors"
done

# The servers still answer properly after the load.
AFTER="$(check_token oxid "$OXID_BASE")"
AFTER="$(check_token oidc-provider "$NODE_BASE")"
STORED="$(command -v sqlite3 >/dev/null && sqlite3 "$TMP/oxid.db" 'SELECT count(*) FROM tokens' 2>/dev/null || echo '?')"

# --- report ----------------------------------------------------------------------------------
rps() { awk -v n="${REQ[$1]}" -v d="${DUR[$1]}" 'BEGIN { printf "%.0f", n / (d / 1e6) }'; }
cpu_per_req() { awk -v t="${TICKS[$1]}" -v k="$TICK" -v n="${REQ[$1]}" 'BEGIN { printf "%.0f", t / k * 1e6 / n }'; }
cpu_share() { awk -v t="${TICKS[$1]}" -v k="$TICK" -v d="${DUR[$1]}" 'BEGIN { printf "%.2f", t / k / (d / 1e6) }'; }
row() {
  printf '%-22s %8s %8s %8s %9d %7d %10s %9s\n' "$1" "$(rps "$2")" "$(ms "$(percentile "$2" 50)")" \
    "$(ms "$(percentile "$2" 99)")" "${REQ[$2]}" "$((NON200[$2] + SOCKERR[$2]))" "$(cpu_per_req "$2")" "$(cpu_share "$2")"
}
RATIO="$(awk -v a="$(rps oxid)" -v b="$(rps oidc-provider)" 'BEGIN { printf "%.2f", a / b }')"
CPU_RATIO="$(awk -v a="$(cpu_per_req oxid)" -v b="$(cpu_per_req oidc-provider)" 'BEGIN { printf "%.2f", a / b }')"
echo
echo "Token endpoint, client_credentials, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $(uname -m), oxid $OXID_VERSION, oidc-provider $NODE_PROVIDER_VERSION on node $(node --version)"
echo "wrk -t$WRK_THREADS -c$CONNECTIONS, ${DURATION}s per server in $ROUNDS slices (ABBA), after ${WARMUP}s warm-up; POST /token $BODY, HTTP Basic"
printf '%-22s %8s %8s %8s %9s %7s %10s %9s\n' server req/s p50_ms p99_ms requests errors cpu_us/req cpu_cores
row oxid oxid
row "oidc-provider" oidc-provider
echo "load average at the slices: oxid ${LOADS[oxid]}; oidc-provider ${LOADS[oidc-provider]}"
echo "access tokens in Oxid's database: $STORED"
echo "RATIO oxid/oidc-provider req/s = $RATIO (server CPU per request: oxid/oidc-provider = $CPU_RATIO)"
