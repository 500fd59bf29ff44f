#!/bin/sh
# dagrun against make on 1,000 `true` commands at 2 workers.
#
# Both run the same work: 1,000 independent commands that do nothing, two at
# a time, so the time is what each tool spends starting processes and
# tracking them.  make gets an equivalent Makefile (one phony target per
# command, all prerequisites of `all`).  Each tool runs 5 times and the
# median wall time is reported (hyperfine when installed, else a loop timed
# with date +%s.%N).  dagrun also writes each command's stdout and stderr
# to log files, which make does not; that cost is included.
#
# Usage: bench/commands.sh [DAGRUN [N [WORKERS]]]
#   DAGRUN   the dagrun binary (default: build/dagrun)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dagrun=${1:-$here/../build/dagrun}
n=${2:-1000}
workers=${3:-2}
runs=5
[ -x "$dagrun" ] || { echo "commands.sh: no dagrun binary at $dagrun" >&2; exit 2; }
dagrun=$(cd "$(dirname "$dagrun")" && pwd)/$(basename "$dagrun")
command -v make >/dev/null || { echo "commands.sh: make is not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dagrun-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

cat >graph.json <<JSON
{"dagrun": 1, "name": "true-commands", "params": {"n": $n},
 "tasks": [{"id": "t-{i}", "range": {"i": "n"}, "cmd": ["true"]}]}
JSON
{
    printf '.PHONY: all'
    i=0; while [ $i -lt "$n" ]; do printf ' t%d' $i; i=$((i + 1)); done
    printf '\nall:'
    i=0; while [ $i -lt "$n" ]; do printf ' t%d' $i; i=$((i + 1)); done
    printf '\n'
    i=0; while [ $i -lt "$n" ]; do printf 't%d:\n\t@true\n' $i; i=$((i + 1)); done
} >Makefile

dagrun_cmd="'$dagrun' run graph.json -w $workers --no-outputs -q --run-dir logs"
make_cmd="make -s -j$workers -f Makefile all"
# The libuv-only peer (uv_spawn_peer.c), built next to dagrun in bench/.
peer="$(dirname "$dagrun")/bench/dagrun_bench_uv_spawn"
[ -x "$peer" ] || peer=""
peer_cmd="'$peer' $n $workers true"

# Median of $runs timings of a shell command line, in seconds.
median_time() {
    i=0
    : >times
    while [ $i -lt $runs ]; do
        t0=$(date +%s.%N)
        sh -c "$1" >/dev/null 2>&1 || { echo "commands.sh: failed: $1" >&2; exit 1; }
        t1=$(date +%s.%N)
        awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }' >>times
        i=$((i + 1))
    done
    sort -g times | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f\n", m }'
}

echo "1,000-command benchmark: $n x 'true', $workers workers, median of $runs runs"
if command -v hyperfine >/dev/null; then
    hyperfine --runs $runs --warmup 1 --export-json hf.json \
        "$dagrun_cmd" "$make_cmd" >/dev/null
    d=$(jq -r '.results[0].median' hf.json)
    m=$(jq -r '.results[1].median' hf.json)
else
    sh -c "$dagrun_cmd" >/dev/null 2>&1 || true # warm-up
    d=$(median_time "$dagrun_cmd")
    m=$(median_time "$make_cmd")
fi
u=0
[ -n "$peer" ] && u=$(median_time "$peer_cmd")
awk -v d="$d" -v m="$m" -v u="$u" -v n="$n" 'BEGIN {
    printf "%-8s %10s %14s\n", "tool", "seconds", "ms/command"
    printf "%-8s %10.3f %14.3f\n", "dagrun", d, d / n * 1000
    printf "%-8s %10.3f %14.3f\n", "make", m, m / n * 1000
    if (u > 0)
        printf "%-8s %10.3f %14.3f   (uv_spawn alone: no graph, no logs)\n", "libuv", u, u / n * 1000
    printf "dagrun / make = %.2f (%s)\n", d / m, d <= m * 1.05 ? "no slower" : "SLOWER"
    if (u > 0)
        printf "libuv / make = %.2f; dagrun / libuv = %.2f\n", u / m, d / u
}'
