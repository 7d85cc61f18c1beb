#!/bin/bash
# py-spy flame graphs of the engine worker of partition 0 and of the TCP listener while
# bench_pipeline runs flat out (docs/performance.md).
#
#   devtools/bench/flamegraphs.sh OUT_DIR [SAMPLES] [FORMAT]
#
# FORMAT is py-spy's: flamegraph (SVG, the default), speedscope or raw. py-spy attaches
# to the running processes (ptrace); it samples 100 times a second without pausing them
# (--nonblocking) from the moment both processes exist until they stop, so the start-up
# of the stack is in the graphs too (a thin slice at the left).
set -eu
out=$(realpath "$1")
samples=${2:-1000000}
format=${3:-flamegraph}
case "$format" in flamegraph) ext=svg ;; speedscope) ext=json ;; *) ext=txt ;; esac
cd "$(dirname "$0")/../.."
mkdir -p "$out"

.venv/bin/python manage.py bench_pipeline --samples "$samples" --rate 0 >"$out/bench.txt" 2>&1 &
bench=$!

descendants() {
    local child
    for child in $(pgrep -P "$1"); do
        echo "$child"
        descendants "$child"
    done
}

engine="" listener=""
for _ in $(seq 240); do
    sleep 0.5
    for pid in $(descendants "$bench"); do
        cmd=$( { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null || true)  # gone: ""
        case "$cmd" in
            *"-Q engine.0 "*) engine=$pid ;;
            *listen_tcp*) listener=$pid ;;
        esac
    done
    [ -n "$engine" ] && [ -n "$listener" ] && break
done
echo "engine.0: pid $engine, listener: pid $listener"

spy() {
    .venv/bin/py-spy record --pid "$1" --rate 100 --nonblocking --format "$format" \
        -o "$out/$2.$ext" >"$out/$2.log" 2>&1
}
spy "$engine" engine &
spy "$listener" listener &
wait
cat "$out/bench.txt"
