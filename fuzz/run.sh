#!/usr/bin/env bash
# Runs every cargo-fuzz target of oxid-protocol for a bounded time each, then prints per
# target the executions, the coverage reached and whether it found a crash.
# Not run by CI; see fuzz/README.md.
#
#   fuzz/run.sh                         # every target, 60 s each
#   FUZZ_SECONDS=300 fuzz/run.sh jwk    # only the named targets, 300 s each
#
# Environment:
#   FUZZ_SECONDS     seconds per target (libFuzzer -max_total_time), default 60
#   FUZZ_SANITIZER   cargo fuzz --sanitizer (address, none, ...), default address
#   FUZZ_JOBS        libFuzzer -jobs, default 1 (the machine is shared)
#   CARGO_TARGET_DIR default $HOME/.cache/oxid-fuzz-target, to keep the fuzz build (nightly
#                    flags, instrumentation) apart from the workspace's build cache
#
# There is no nightly toolchain here: RUSTC_BOOTSTRAP=1 lets the stable compiler accept the
# flags cargo fuzz passes (-Zsanitizer, -Cpasses=sancov-module, ...).
set -uo pipefail

cd "$(dirname "$0")"
FUZZ_DIR=$(pwd)
SECONDS_PER_TARGET=${FUZZ_SECONDS:-60}
SANITIZER=${FUZZ_SANITIZER:-address}
JOBS=${FUZZ_JOBS:-1}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/oxid-fuzz-target}
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: cargo install cargo-fuzz" >&2
    exit 2
fi

ALL_TARGETS=$(cargo fuzz list)
TARGETS=${*:-$ALL_TARGETS}

echo "== building (sanitizer: $SANITIZER, target dir: $CARGO_TARGET_DIR)"
if ! cargo fuzz build --sanitizer "$SANITIZER"; then
    echo "build failed" >&2
    exit 2
fi

mkdir -p logs
summary=()
crashed=0
for t in $TARGETS; do
    mkdir -p "corpus/$t" "artifacts/$t" "seeds/$t"
    before=$(ls "artifacts/$t" | wc -l)
    log="logs/$t.log"
    echo "== $t: ${SECONDS_PER_TARGET}s"
    # libFuzzer with -jobs writes each job's output to fuzz-<n>.log in the working
    # directory; run in logs/ so those files land there.
    (
        cd logs &&
            cargo fuzz run --fuzz-dir "$FUZZ_DIR" --sanitizer "$SANITIZER" "$t" \
                "$FUZZ_DIR/corpus/$t" "$FUZZ_DIR/seeds/$t" -- \
                -max_total_time="$SECONDS_PER_TARGET" -jobs="$JOBS" -workers=1 \
                -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
    ) >"$log" 2>&1
    status=$?
    # With -jobs the run's own output is in logs/fuzz-0.log; append it.
    if [ -f logs/fuzz-0.log ]; then
        cat logs/fuzz-0.log >>"$log"
        rm -f logs/fuzz-*.log
    fi
    after=$(ls "artifacts/$t" | wc -l)
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    ft=$(grep -o 'ft: [0-9]*' "$log" | tail -1 | awk '{print $2}')
    corpus=$(ls "corpus/$t" | wc -l)
    if [ "$status" -ne 0 ] || [ "$after" -gt "$before" ] || grep -q 'SUMMARY: \|panicked at\|==ERROR' "$log"; then
        found="CRASH (exit $status; artifacts/$t; log $log)"
        crashed=1
    else
        found="no crash"
    fi
    summary+=("$(printf '%-22s %6ss  runs %-10s cov %-6s ft %-6s corpus %-6s %s' \
        "$t" "$SECONDS_PER_TARGET" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$corpus" "$found")")
done

echo
echo "== summary"
printf '%s\n' "${summary[@]}"
exit $crashed
