#!/usr/bin/env bash
# Fuzz/run.sh [SECONDS] [HARNESS...]: builds the libFuzzer harnesses (address sanitizer) and runs each one
# for SECONDS (default 600), then prints one line per harness: runs, seconds, findings.
#
#   FUZZ_JOBS=2      harnesses run at the same time (default 1; each is one process)
#   FUZZ_FORK=1      keep going after a finding (libFuzzer -fork=1 -ignore_crashes/timeouts/ooms)
#   FUZZ_NICE=19     niceness of the build and the fuzzers
#
# Everything run.sh writes goes to Fuzz/out/ (git-ignored): out/<harness>/corpus (inputs libFuzzer found
# interesting, grown from the committed seeds in corpus/<harness>), out/<harness>/findings (crash-*,
# timeout-*, oom-* inputs; a run counts only its own) and out/<harness>/log. Reproduce a finding with
#   Fuzz/.build-fuzz/release/fuzz-<harness> Fuzz/out/<harness>/findings/<file>
set -euo pipefail
cd "$(dirname "$0")"

ALL=(region bed labels fasta-records window-reader model-config safetensors meme jaspar partial-state)
seconds=${1:-600}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=("${ALL[@]}")
jobs=${FUZZ_JOBS:-1}
nice_level=${FUZZ_NICE:-19}
SWIFT=${SWIFT:-swift}

# Longest input per harness: text formats a few KB, binary containers up to one BGZF block or a small model.
max_len() {
    case $1 in
        region|labels) echo 512 ;;
        bed|jaspar|model-config) echo 4096 ;;
        meme) echo 8192 ;;
        safetensors|fasta-records|partial-state) echo 32768 ;;
        window-reader) echo 65536 ;;
        *) echo 4096 ;;
    esac
}

# Largest single allocation: 2 GB, except for the window reader: htslib's BAM header reader allocates the
# header length a file declares before reading it (a 100-byte file can ask for 15 GB, untouched: it fails
# on the short read). The RSS limit (2 GB) still applies.
malloc_limit() {
    case $1 in
        window-reader) echo 32768 ;;
        *) echo 2048 ;;
    esac
}

for h in "${harnesses[@]}"; do
    [[ " ${ALL[*]} " == *" $h "* ]] || { echo "run.sh: unknown harness '$h' (known: ${ALL[*]})" >&2; exit 64; }
done

mkdir -p out
: > out/build.log
# SwiftPM keeps the file list of a path dependency until the manifest changes: a source file added to the
# main package would be missing from the harnesses (an "has no member" error) without this.
touch Package.swift
# -Xswiftc -sanitize=fuzzer,address: SwiftPM passes the compiler -sanitize=fuzzer -sanitize=address and then
# a second -sanitize=address, and the last one wins, so without it the Swift code gets no coverage counters
# (a harness then runs blind: libFuzzer prints no "Loaded 1 modules" line; checked below). --sanitize
# stays for linking. nice-all.sh: SwiftPM starts its compiler jobs at niceness 0 whatever its own is.
build() {
    ./nice-all.sh "$nice_level" "$SWIFT" build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
        --disable-dead-strip --scratch-path .build-fuzz "$@" >> out/build.log 2>&1
}
# `swift build` takes one --product: build everything, or each harness asked for.
if [ ${#harnesses[@]} -eq ${#ALL[@]} ]; then build_ok() { build; }; else build_ok() { for h in "${harnesses[@]}"; do build --product "fuzz-$h" || return 1; done; }; fi
if ! build_ok; then
    grep -E "error" out/build.log | head -20 >&2
    echo "run.sh: the build failed (Fuzz/out/build.log)" >&2
    exit 1
fi
bin=.build-fuzz/release
for h in "${harnesses[@]}"; do
    if [[ "$("$bin/fuzz-$h" -runs=0 2>&1)" != *"inline 8-bit counters"* ]]; then
        echo "run.sh: fuzz-$h has no coverage instrumentation; rebuild (rm -rf Fuzz/.build-fuzz)" >&2
        exit 1
    fi
done
# A Swift runtime trap is the finding: skip the runtime's backtracer (its memory reader upsets ASan).
export SWIFT_BACKTRACE=enable=no
export LSAN_OPTIONS="suppressions=$PWD/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

run_one() {
    local h=$1 out=out/$1
    mkdir -p "$out/corpus" "$out/findings"
    local fork=()
    [ "${FUZZ_FORK:-0}" = 1 ] && fork=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
    local start=$SECONDS status=0
    touch "$out/started"
    nice -n "$nice_level" "$bin/fuzz-$h" "$out/corpus" "corpus/$h" -dict="dict/$h.dict" -max_len="$(max_len "$h")" \
        -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb="$(malloc_limit "$h")" -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="$out/findings/" "${fork[@]}" > "$out/log" 2>&1 || status=$?
    local elapsed=$((SECONDS - start))
    local runs
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/log" | tail -1 | grep -o '[0-9]*$' || true)
    [ -n "$runs" ] || runs=$(grep -oE '^#[0-9]+' "$out/log" | tail -1 | tr -d '#' || true)
    local findings
    # crash-, leak-, timeout-, oom- inputs; slow-unit- files (a run over 10 s, usually a busy machine) are not findings.
    findings=$(find "$out/findings" -type f -newer "$out/started" ! -name 'slow-unit-*' | wc -l)
    printf '%-14s %12s runs %6s s  %s finding(s)%s\n' "$h" "${runs:-?}" "$elapsed" "$findings" \
        "$([ "$findings" -gt 0 ] && echo " in $out/findings (exit $status)")"
}

running=0
for h in "${harnesses[@]}"; do
    if [ "$jobs" -le 1 ]; then
        run_one "$h"
    else
        run_one "$h" &
        running=$((running + 1))
        if [ "$running" -ge "$jobs" ]; then wait -n; running=$((running - 1)); fi
    fi
done
wait
