# Running one slice of load against one server and recording it. Sourced, not run.
#
# Each slice appends one line to $TMP/slices.tsv:
#   row server requests duration_us errors cpu_ticks histogram_file
# where errors counts bad statuses, bad bodies, failed flows and socket errors alike, and
# cpu_ticks is the server's utime + stime over the slice (/proc/PID/stat, all its threads):
# robust to other load on the machine, unlike requests per second.

SLICE=0

# load ROW SERVER SECONDS RECORD: drives SERVER with ROW's load for SECONDS on core
# $LOAD_CORE; RECORD=1 appends the slice to slices.tsv (0: a warm-up).
load() {
  local row=$1 server=$2 seconds=$3 record=$4 pid=${SPID[$2]:-}
  # oxid-pg2: two instances on one PostgreSQL database, each given half the connections.
  [ "$server" = oxid-pg2 ] && pid="${SPID[oxid-pg]} ${SPID[oxid-pg-b]}"
  SLICE=$((SLICE + 1))
  local hist="$TMP/hist-$SLICE" out="$TMP/slice-$SLICE.out" before after
  [ "$record" = 1 ] || hist=/dev/null
  local swept_from=""
  [ "$server" = oxid-sweep ] && [ "$record" = 1 ] && swept_from="$(expired_tokens "$server")"
  before="$(cpu_ticks $pid)"
  case "${ROW_KIND[$row]}" in
    flow)
      HIST_FILE="$hist" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$SECRET" \
        REDIRECT_URI="$REDIRECT_URI" USERNAME="$USERNAME" PASSWORD="$PASSWORD" \
        SCOPE='openid profile email' \
        timeout $((seconds + 60)) taskset -c "$LOAD_CORE" "$FLOW" run "${BASE[$server]}" \
        "$seconds" "$FLOW_CONCURRENCY" >"$out" 2>"$out.err" ||
        { cat "$out.err" >&2; die "$row/$server: the flow load generator failed"; }
      ;;
    *)
      if [ "$server" = oxid-pg2 ]; then
        local half=$((CONNECTIONS / 2))
        wrk_slice "$row" oxid-pg "$seconds" "$half" "$hist" "$out.a" &
        local first=$!
        wrk_slice "$row" oxid-pg-b "$seconds" "$((CONNECTIONS - half))" "$hist.b" "$out.b" ||
          { wait "$first" || true; die "$row/$server: wrk failed"; }
        wait "$first" || die "$row/$server: wrk failed"
        [ "$hist" = /dev/null ] || cat "$hist.b" >>"$hist"
        cat "$out.a.err" "$out.b.err" >"$out.err"
        merge_results "$out.a" "$out.b" >"$out"
      else
        wrk_slice "$row" "$server" "$seconds" "$CONNECTIONS" "$hist" "$out" ||
          die "$row/$server: wrk failed"
      fi
      ;;
  esac
  after="$(cpu_ticks $pid)"
  if [ -n "$swept_from" ]; then
    # The sweep must have been running through the slice: expired rows left, before and after.
    local swept_to
    swept_to="$(expired_tokens "$server")"
    say "$row/$server: expired tokens left $swept_from before the slice, $swept_to after"
    printf '%s\t%s\t%s\t%s\n' "$row" "$server" "$swept_from" "$swept_to" >>"$TMP/sweep.tsv"
  fi
  local result
  result="$(grep '^RESULT ' "$out" | tail -n1)" || die "$row/$server: no RESULT line: $(cat "$out")"
  local requests duration errors
  requests="$(field "$result" requests)"
  duration="$(field "$result" duration_us)"
  errors=$(($(field "$result" non200) + $(field "$result" socket_errors)))
  if [ "$errors" -gt 0 ]; then
    say "$row/$server: $errors bad responses or errors of $requests:"
    head -n 5 "$out.err" >&2
  fi
  if [ "$record" = 1 ]; then
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$server" "$requests" "$duration" "$errors" \
      "$((after - before))" "$hist" >>"$TMP/slices.tsv"
  elif [ "$errors" -gt 0 ]; then
    printf '%s\t%s\t0\t1\t%s\t0\t/dev/null\n' "$row" "$server" "$errors" >>"$TMP/slices.tsv"
  fi
  printf '  %-22s %-10s %8.0f req/s  p99 %6.2f ms  errors %s\n' "$row" "$server" \
    "$(field "$result" rps)" "$(awk "BEGIN { print $(field "$result" p99_us) / 1000 }")" \
    "$errors" >&2
}

# wrk_slice ROW SERVER SECONDS CONNECTIONS HIST OUT: one wrk run of ROW against SERVER (its
# RESULT line in OUT, its complaints in OUT.err).
wrk_slice() {
  local row=$1 server=$2 seconds=$3 connections=$4 hist=$5 out=$6 pool=""
  [ "${ROW_KIND[$row]}" = refresh ] && pool="$TMP/$server-pool"
  HIST_FILE="$hist" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$SECRET" \
    ROW_METHOD="${ROW_METHOD[$row]}" ROW_AUTH="${ROW_AUTH[$row]}" \
    ROW_EXPECT="${ROW_EXPECT[$row]}" ROW_TOKEN="${ROW_TOKEN:-}" \
    ROW_POOL="$pool" WRK_THREADS="$WRK_THREADS" ROW_BODY="${ROW_BODY:-}" \
    timeout $((seconds + 60)) taskset -c "$LOAD_CORE" wrk -t"$WRK_THREADS" \
    -c"$connections" -d"${seconds}s" --latency -s "$BENCH/lib/row.lua" \
    "$(row_url "$row" "$server")" >"$out" 2>"$out.err" || { cat "$out" "$out.err" >&2; return 1; }
}

# merge_results A B: one RESULT line for two wrk runs side by side (requests and errors
# added, the longer duration; the percentiles come from the merged histogram later).
merge_results() {
  local a b
  a="$(grep '^RESULT ' "$1" | tail -n1)"
  b="$(grep '^RESULT ' "$2" | tail -n1)"
  local requests=$(($(field "$a" requests) + $(field "$b" requests)))
  local duration=$(($(field "$a" duration_us) > $(field "$b" duration_us) ? $(field "$a" duration_us) : $(field "$b" duration_us)))
  local p99=$(($(field "$a" p99_us) > $(field "$b" p99_us) ? $(field "$a" p99_us) : $(field "$b" p99_us)))
  printf 'RESULT requests=%s duration_us=%s rps=%s p50_us=%s p90_us=0 p99_us=%s max_us=0 non200=%s socket_errors=%s\n' \
    "$requests" "$duration" "$(awk "BEGIN { print $requests / ($duration / 1e6) }")" \
    "$(field "$a" p50_us)" "$p99" \
    "$(($(field "$a" non200) + $(field "$b" non200)))" \
    "$(($(field "$a" socket_errors) + $(field "$b" socket_errors)))"
}

# The value of NAME=VALUE in a RESULT line.
field() {
  sed -n "s/.* $2=\([0-9.]*\).*/\1/p" <<<" $1"
}

# The URL a wrk row loads on SERVER.
row_url() {
  local row=$1 server=$2 where=${ROW_ENDPOINT[$1]}
  case "$where" in
    /*) echo "${BASE[$server]}$where" ;;
    *) endpoint "$server" "$where" ;;
  esac
}

# measure ROW: a warm-up on each server, then the slices in ABBA order (A B B A ...), so a
# change of background load falls on every server alike; then each server's peak RSS.
measure() {
  local row=$1 slice_s=$((DURATION / ROUNDS)) s i servers=("${SERVERS[@]}")
  [ "${ROW_SERVERS[$row]}" = growth ] && servers=("${GROWTH_SERVERS[@]}")
  [ "${ROW_SERVERS[$row]}" = sweep ] && servers=(oxid-sweep oxid)
  [ "${ROW_SERVERS[$row]}" = pg2 ] && servers=(oxid-pg oxid-pg2)
  [ "$slice_s" -ge 1 ] || slice_s=1
  for s in "${servers[@]}"; do
    row_prepare "$row" "$s"
    load "$row" "$s" "$WARMUP" 0
  done
  local forward=("${servers[@]}") backward=()
  for ((i = ${#servers[@]} - 1; i >= 0; i--)); do backward+=("${servers[$i]}"); done
  for ((i = 0; i < ROUNDS; i++)); do
    local order=("${forward[@]}")
    [ $((i % 2)) = 1 ] && order=("${backward[@]}")
    for s in "${order[@]}"; do
      row_prepare "$row" "$s"
      load "$row" "$s" "$slice_s" 1
    done
  done
  # The p99 at half the maximum rate (issue 14): an open-loop load at half the rate each
  # server reached in the slices above. Not for the code flow (no target) nor pg2.
  if [ "$PACED" = 1 ] && [ "${ROW_KIND[$row]}" != flow ] && [ "${ROW_SERVERS[$row]}" != pg2 ]; then
    for s in "${servers[@]}"; do
      row_prepare "$row" "$s"
      paced "$row" "$s" "$slice_s"
    done
  fi
  for s in "${servers[@]}"; do
    local p=${SPID[$s]:-}
    [ "$s" = oxid-pg2 ] && p=${SPID[oxid-pg-b]}
    printf '%s\t%s\t%s\n' "$row" "$s" "$(peak_rss_kib "$p")" >>"$TMP/rss.tsv"
  done
}

# signing_rate ALG: the raw aws-lc-rs signing rate of ALG on the servers' core (bench/flow
# `sign`: a key made once, a JWT access token's signing input, one thread), measured now, in
# this run and on this core, for the ratio of a signed row; appended to signing.tsv.
signing_rate() {
  local alg=$1 line
  line="$(timeout 120 taskset -c "$SERVER_CORE" "$FLOW" sign "$alg" "${SIGN_SECONDS:-2}")" ||
    die "raw signing rate of $alg failed"
  say "raw $alg signing on core $SERVER_CORE: $(field "$line" rate)/s"
  printf '%s\t%s\n' "$alg" "$(field "$line" rate)" >>"$TMP/signing.tsv"
}

# paced ROW SERVER SECONDS: ROW against SERVER at half the req/s it reached in this row's
# slices, open-loop (bench/flow `paced`: each request is due at its time whatever came before,
# its latency counted from then, like wrk2); appended to paced.tsv as
#   row server target_rps achieved_rps p50_us p99_us errors histogram_file
paced() {
  local row=$1 server=$2 seconds=$3 rate pool="" out
  out="$TMP/paced-$row-$server.out"
  rate="$(awk -F'\t' -v r="$row" -v s="$server" '$1 == r && $2 == s { n += $3; d += $4 }
    END { if (d > 0 && n > 0) printf "%.1f", n / (d / 1e6) / 2 }' "$TMP/slices.tsv")"
  [ -n "$rate" ] || return 0
  [ "${ROW_KIND[$row]}" = refresh ] && pool="$TMP/$server-pool"
  HIST_FILE="$out.hist" CLIENT_ID="$CLIENT_ID" CLIENT_SECRET="$SECRET" \
    ROW_METHOD="${ROW_METHOD[$row]}" ROW_AUTH="${ROW_AUTH[$row]}" \
    ROW_EXPECT="${ROW_EXPECT[$row]}" ROW_TOKEN="${ROW_TOKEN:-}" ROW_POOL="$pool" \
    ROW_BODY="${ROW_BODY:-}" CONNECTIONS="$CONNECTIONS" \
    timeout $((seconds + 60)) taskset -c "$LOAD_CORE" "$FLOW" paced "$(row_url "$row" "$server")" \
    "$rate" "$seconds" >"$out" 2>"$out.err" || { cat "$out.err" >&2; die "$row/$server: paced load failed"; }
  local result errors
  result="$(grep '^RESULT ' "$out" | tail -n1)" || die "$row/$server: no paced RESULT line"
  errors=$(($(field "$result" non200) + $(field "$result" socket_errors)))
  [ "$errors" -gt 0 ] && { say "$row/$server: $errors paced errors:"; head -n 5 "$out.err" >&2; }
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$row" "$server" "$rate" "$(field "$result" rps)" \
    "$(field "$result" p50_us)" "$(field "$result" p99_us)" "$errors" "$out.hist" >>"$TMP/paced.tsv"
  printf '  %-22s %-10s %8.0f req/s  p99 %6.2f ms  errors %s  (paced at half the rate)\n' \
    "$row" "$server" "$(field "$result" rps)" \
    "$(awk "BEGIN { print $(field "$result" p99_us) / 1000 }")" "$errors" >&2
}
