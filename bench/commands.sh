#!/bin/sh
# dagrun against make -j and ninja on 1,000 `true` commands at 2 workers,
# and the same 1,000 commands with a 1,000,000-task graph in memory.
#
# Small case: 1,000 independent commands that do nothing, two at a time, so
# the time is what each tool spends starting processes and tracking them.
# make gets an equivalent Makefile (one phony target per command, all
# prerequisites of `all`), ninja an equivalent build.ninja (one `true` edge
# per command, whose output is never written so it always runs), and the libuv-only peer
# (uv_spawn_peer.c, built as bench/dagrun_bench_uv_spawn) starts the same
# commands with uv_spawn and nothing else.  dagrun also writes each
# command's stdout and stderr to log files, which the others do not; that
# cost is included.
#
# Big case: a graph of BIG noop tasks (default 1,000,000) is run with and
# without the same 1,000 `true` command tasks; (big+cmds - big) is the cost
# of the commands while the big graph is in memory, compared with the small
# case (target: within 10%).  A fork-based spawn would pay for copying the
# page tables of the big graph on every command.  Every noop waits for one
# gate task, and in big+cmds the gate waits for every command, so the
# commands run first, with the whole graph loaded but no noop running next
# to them on the cores, and the noops after; big has the same gate, with no
# dependencies, so the noop part is the same work in both.
#
# Every tool runs once per round, in the same order, for ROUNDS rounds
# (interleaved, so that a change of load hits all of them alike), after one
# warm-up round; the median of each is reported, and for the big case also
# the difference taken within each round (median and range).  The load average is
# printed before and after.  A peer that is not installed gets its column
# skipped with a note.
#
# Usage: bench/commands.sh [DAGRUN [N [WORKERS [ROUNDS [BIG]]]]]
#   DAGRUN   the dagrun binary (default: build/dagrun)
#   BIG      noop tasks of the big case; 0 skips it
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dagrun=${1:-$here/../build/dagrun}
n=${2:-1000}
workers=${3:-2}
rounds=${4:-5}
big=${5:-1000000}
[ -x "$dagrun" ] || { echo "commands.sh: no dagrun binary at $dagrun" >&2; exit 2; }
dagrun=$(cd "$(dirname "$dagrun")" && pwd)/$(basename "$dagrun")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dagrun-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

cat >small.json <<JSON
{"dagrun": 1, "name": "true-commands", "params": {"n": $n},
 "tasks": [{"id": "t-{i}", "range": {"i": "n"}, "cmd": ["true"]}]}
JSON
# The gate that runs the commands before the noops: see the top.
cat >big.json <<JSON
{"dagrun": 1, "name": "big-noop", "params": {"big": $big},
 "tasks": [{"id": "gate", "op": "noop"},
           {"id": "b-{i}", "range": {"i": "big"}, "op": "noop", "deps": ["gate"]}]}
JSON
cat >bigcmds.json <<JSON
{"dagrun": 1, "name": "big-noop-and-commands", "params": {"big": $big, "n": $n},
 "tasks": [{"id": "t-{i}", "range": {"i": "n"}, "cmd": ["true"]},
           {"id": "gate", "op": "noop", "deps": [{"all": "t-{i}"}]},
           {"id": "b-{i}", "range": {"i": "big"}, "op": "noop", "deps": ["gate"]}]}
JSON
{
    printf '.PHONY: all'
    i=0; while [ $i -lt "$n" ]; do printf ' t%d' $i; i=$((i + 1)); done
    printf '\nall:'
    i=0; while [ $i -lt "$n" ]; do printf ' t%d' $i; i=$((i + 1)); done
    printf '\n'
    i=0; while [ $i -lt "$n" ]; do printf 't%d:\n\t@true\n' $i; i=$((i + 1)); done
} >Makefile
{
    printf 'rule true\n  command = true\n'
    i=0; while [ $i -lt "$n" ]; do printf 'build t%d: true\n' $i; i=$((i + 1)); done
    printf 'build all: phony'
    i=0; while [ $i -lt "$n" ]; do printf ' t%d' $i; i=$((i + 1)); done
    printf '\ndefault all\n'
} >build.ninja

# name|command line, one per tool that is there.
: >tools
echo "dagrun|'$dagrun' run small.json -w $workers --no-outputs -q --run-dir logs-s" >>tools
if command -v make >/dev/null; then
    echo "make|make -s -j$workers -f Makefile all" >>tools
else
    echo "commands.sh: make is not installed: its column is skipped" >&2
fi
if command -v ninja >/dev/null; then
    # No edge's output is ever written, so every edge runs each time; the
    # .ninja_log is removed so that it does not grow from run to run.
    echo "ninja|rm -f .ninja_log; ninja -j$workers all" >>tools
else
    echo "commands.sh: ninja is not installed (Debian: ninja-build): its column is skipped" >&2
fi
peer="$(dirname "$dagrun")/bench/dagrun_bench_uv_spawn"
if [ -x "$peer" ]; then
    echo "libuv|'$peer' $n $workers true" >>tools
else
    echo "commands.sh: no libuv peer at $peer (build bench/): its column is skipped" >&2
fi
if [ "$big" -gt 0 ]; then
    echo "big|'$dagrun' run big.json -w $workers --no-outputs -q --run-dir logs-b" >>tools
    echo "big+cmds|'$dagrun' run bigcmds.json -w $workers --no-outputs -q --run-dir logs-bc" >>tools
fi

# Seconds one shell command line takes.
time_once() {
    t0=$(date +%s.%N)
    sh -c "$1" >/dev/null 2>&1 || { echo "commands.sh: failed: $1" >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}
range() { # smallest to largest, printf format $2
    sort -g "$1" | awk -v f="$2" 'NR == 1 { a = $1 } { b = $1 } END { printf f " to " f, a, b }'
}
median() {
    sort -g "$1" | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.4f\n", m }'
}

echo "commands benchmark: $n x 'true', $workers workers, big graph $big noop tasks, median of $rounds interleaved rounds"
echo "load average before: $(uptime | sed 's/.*load average: //')"
r=0
while [ $r -le "$rounds" ]; do # round 0 is the warm-up
    while IFS='|' read -r name cmd; do
        t=$(time_once "$cmd")
        [ $r -gt 0 ] && echo "$t" >>"t.$name"
    done <tools
    r=$((r + 1))
done
echo "load average after:  $(uptime | sed 's/.*load average: //')"

: >medians
while IFS='|' read -r name cmd; do
    echo "$name $(median "t.$name")" >>medians
done <tools
awk -v n="$n" '
{ s[$1] = $2; order[NR] = $1 }
END {
    printf "%-9s %10s %12s\n", "tool", "seconds", "ms/command"
    for (i = 1; i <= NR; i++) {
        k = order[i]
        if (k == "big" || k == "big+cmds") continue
        printf "%-9s %10.3f %12.3f\n", k, s[k], s[k] / n * 1000
    }
    d = s["dagrun"]
    if ("make" in s)
        printf "dagrun / make  = %.2f (%s)\n", d / s["make"], d <= s["make"] ? "no slower" : "SLOWER"
    if ("ninja" in s)
        printf "dagrun / ninja = %.2f (%s)\n", d / s["ninja"], d <= s["ninja"] ? "no slower" : "SLOWER"
    if ("libuv" in s)
        printf "dagrun / libuv = %.2f\n", d / s["libuv"]
    if ("big" in s) {
        c = s["big+cmds"] - s["big"]
        printf "big graph: big %.3f s, big+cmds %.3f s, commands %.3f s (%.3f ms/command)\n", s["big"], s["big+cmds"], c, c / n * 1000
        printf "(big+cmds - big) / small = %.2f (%s)\n", c / d, (c <= d * 1.10) ? "within 10%" : "OVER 10%"
    }
}' medians
# The same difference taken within each round (big, big+cmds and small of
# one round ran within seconds of each other), its median and range: the
# medians' difference above mixes rounds, and the load of a shared machine
# moves a 2-3 s figure by more than the commands' half second.
if [ "$big" -gt 0 ]; then
    paste t.big t.big+cmds t.dagrun | awk '{ printf "%.6f %.6f\n", $2 - $1, ($2 - $1) / $3 }' >t.diff
    cut -d' ' -f1 t.diff >t.diff.s
    cut -d' ' -f2 t.diff >t.diff.r
    printf 'per round: (big+cmds - big) %.3f s (%s), / small %.2f (%s)\n' \
        "$(median t.diff.s)" "$(range t.diff.s %.3f)" "$(median t.diff.r)" "$(range t.diff.r %.2f)"
fi
