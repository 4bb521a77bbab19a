#!/usr/bin/env bash
# Fuzz/nice-all.sh LEVEL COMMAND...: runs COMMAND at niceness LEVEL and keeps all its descendants there.
# SwiftPM starts its compiler jobs and the test runner in process groups of their own at niceness 0,
# whatever its own niceness is, so `nice swift build` alone does not keep a build out of others' way.
set -u
level=$1
shift
nice -n "$level" "$@" &
pid=$!
trap 'kill -TERM "$pid" 2>/dev/null' INT TERM
descendants() { local child; for child in $(pgrep -P "$1"); do echo "$child"; descendants "$child"; done; }
while kill -0 "$pid" 2>/dev/null; do
    pids=$(descendants "$pid")
    [ -n "$pids" ] && renice -n "$level" -p $pids > /dev/null 2>&1
    sleep 0.5
done
wait "$pid"
