#!/usr/bin/env bash
# Where the token row's time goes, in instructions (repeatable under load, unlike time):
# Oxid under `valgrind --tool=callgrind`, counters zeroed after start-up, then client_credentials
# requests with wrk; prints the instructions per request and the top functions (inclusive).
#
#   OXID_BIN=/path/to/oxid bash bench/token/profile.sh [SECONDS]   # default 20
#
# Writes callgrind.out.* into $PROFILE_DIR (default a temporary directory, printed).
# Needs valgrind (callgrind_control, callgrind_annotate), wrk, curl, node.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BENCH="$(cd "$HERE/.." && pwd)"
SECONDS_UNDER_LOAD="${1:-20}"
OXID="${OXID_BIN:?set OXID_BIN to a release oxid}"
. "$BENCH/lib/common.sh"
TMP="${PROFILE_DIR:-$(mktemp -d /tmp/oxid-profile.XXXXXX)}"
mkdir -p "$TMP"
BENCH_KEEP=1
WAIT_TENTHS=3000
trap cleanup EXIT
SECRET="$(random_text 64)"
DB="sqlite://$TMP/oxid.db"
printf '[[scopes]]\nname = "read:records"\n' >"$TMP/oxid.toml"
"$OXID" --config "$TMP/oxid.toml" --database "$DB" client add --client-id bench \
  --client-secret "$SECRET" --grant-type client_credentials --scope read:records >/dev/null
PORT="$(free_port)"
(cd "$TMP" && exec timeout 1800 valgrind --tool=callgrind --callgrind-out-file="$TMP/callgrind.out.%p" \
  "$OXID" --config "$TMP/oxid.toml" --database "$DB" serve --listen "127.0.0.1:$PORT" \
  --issuer "http://127.0.0.1:$PORT") >"$TMP/oxid.log" 2>&1 &
PIDS+=($!)
VG="$(child_of "${PIDS[-1]}")"
wait_http "http://127.0.0.1:$PORT/.well-known/openid-configuration" "$VG"
# Warm: the client cache, the statement caches, the first pages.
curl -sf -u "bench:$SECRET" -d 'grant_type=client_credentials&scope=read:records' \
  "http://127.0.0.1:$PORT/token" >/dev/null
callgrind_control --zero "$VG" >/dev/null
CLIENT_ID=bench CLIENT_SECRET="$SECRET" ROW_METHOD=POST ROW_AUTH=basic \
  ROW_EXPECT='"access_token"' ROW_BODY='grant_type=client_credentials&scope=read:records' \
  wrk -t1 -c8 -d"${SECONDS_UNDER_LOAD}s" --timeout 10s -s "$BENCH/lib/row.lua" \
  "http://127.0.0.1:$PORT/token" >"$TMP/wrk.out"
callgrind_control --dump=load "$VG" >/dev/null
sleep 1
RESULT="$(grep '^RESULT ' "$TMP/wrk.out")"
echo "$RESULT"
REQUESTS="$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$RESULT")"
FILES=("$TMP"/callgrind.out.*.[0-9]*)
TOTAL=0
for f in "${FILES[@]}"; do
  n="$(sed -n 's/^summary: //p; s/^totals: //p' "$f" | head -n1)"
  TOTAL=$((TOTAL + ${n:-0}))
done
echo "instructions per request: $((TOTAL / REQUESTS)) ($TOTAL over $REQUESTS requests, ${#FILES[@]} dumps)"
callgrind_annotate --inclusive=yes "${FILES[@]}" 2>/dev/null | sed -n '1,60p' >"$TMP/annotate.txt" || true
sed -n '20,60p' "$TMP/annotate.txt"
say "profile in $TMP"
