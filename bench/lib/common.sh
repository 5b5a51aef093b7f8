# Helpers of bench/run: messages, the processes it starts and their cleanup, ports, /proc.
# Sourced, not run.

say() { printf '[bench] %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# Every process bench/run starts (its `timeout` wrapper); stopped on exit, also on failure.
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
  declare -F on_exit >/dev/null && on_exit
  if [ "$status" -ne 0 ]; then
    say "failed (exit $status); the servers' last log lines:"
    tail -n 20 "$TMP"/*.log 2>/dev/null >&2 || true
  fi
  [ -n "${BENCH_KEEP:-}" ] && say "kept $TMP" || rm -rf "$TMP"
  exit "$status"
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# Waits until URL answers (any HTTP status), at most 30 s.
wait_http() {
  local url=$1 pid=$2
  for _ in $(seq "${WAIT_TENTHS:-300}"); do
    kill -0 "$pid" 2>/dev/null || die "the server for $url exited early"
    curl -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  die "no answer from $url after $((${WAIT_TENTHS:-300} / 10)) s"
}

# The PID of a server under its `timeout` wrapper.
child_of() {
  local parent=$1 pid=""
  for _ in $(seq 50); do
    pid="$(pgrep -P "$parent" | head -n1 || true)"
    [ -n "$pid" ] && { echo "$pid"; return 0; }
    sleep 0.1
  done
  die "no child process under $parent"
}

# utime + stime of processes and all their threads, in clock ticks (added up).
cpu_ticks() {
  local pid total=0
  for pid in "$@"; do
    total=$((total + $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$pid/stat")))
  done
  echo "$total"
}

# The peak resident set of a process so far, in KiB.
peak_rss_kib() {
  awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

# A JSON member of a file, printed (empty when absent).
json_get() {
  node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[process.argv[2]];
    if (v !== undefined) console.log(typeof v === "string" ? v : JSON.stringify(v));' "$1" "$2"
}

# Random URL-safe text of N characters (N <= 64).
random_text() {
  head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '\n=' | head -c "$1"
}
