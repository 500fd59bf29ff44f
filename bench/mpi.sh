#!/bin/sh
# dagrun's --executor mpi against threads and processes, through the CLI.
#
# mpi runs as `mpirun -np R+1 dagrun run G --executor mpi --workers 1`:
# rank 0 schedules, R worker ranks of one slot each.  threads and processes
# run with --workers 2, so the default comparison (-np 3) has two slots
# everywhere.  Every measurement is repeated $RUNS times with the executors
# interleaved (mpi, threads, processes, mpi, ...) so all see the same
# machine; medians are printed, with the load average before each part.
#
# Three parts, one markdown table each:
#   overhead  2,000 noop tasks in four shapes: the summary's makespan per
#             task (µs) and the wall time of the whole command, mpirun and
#             start-up included; ratios mpi/threads and mpi/processes.
#   transfer  a 2-task chain, builtin `array` -> `sum`, the array's JSON
#             text about 1 KB, 1 MB and 64 MB: the trace's start of the
#             first task to end of the second, and the summary's transfer.
#   pi        examples/pi.json on 1, 2, 3 worker ranks (mpi only): the
#             makespan and the speed-up over 1 rank.
#
# Usage: bench/mpi.sh [DAGRUN [PART...]]
#   DAGRUN   the dagrun binary (default: build/dagrun)
#   PART     overhead, transfer, pi (default: all three)
# Environment: RUNS (5), TASKS (2000), PI_SAMPLES (900000000), MAX_MB (64).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dagrun=${1:-$here/../build/dagrun}
[ $# -gt 0 ] && shift
parts=${*:-overhead transfer pi}
runs=${RUNS:-5}
tasks=${TASKS:-2000}
pi_samples=${PI_SAMPLES:-900000000}
max_mb=${MAX_MB:-64}
[ -x "$dagrun" ] || { echo "mpi.sh: no dagrun binary at $dagrun" >&2; exit 2; }
dagrun=$(cd "$(dirname "$dagrun")" && pwd)/$(basename "$dagrun")
for t in mpirun jq; do
    command -v $t >/dev/null || { echo "mpi.sh: $t is not installed" >&2; exit 2; }
done
examples=$here/../examples

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dagrun-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
cd "$tmp"

mpirun="mpirun --oversubscribe --allow-run-as-root"
out="--no-outputs -q --no-journal --json s.json --trace t.json"

# run EXEC GRAPH [RANKS [ARGS...]]: one run; prints its wall seconds.
run() {
    ex=$1 g=$2 ranks=${3:-2}
    if [ $# -ge 3 ]; then shift 3; else shift $#; fi
    rm -f s.json t.json
    t0=$(date +%s.%N)
    if [ "$ex" = mpi ]; then
        $mpirun -np $((ranks + 1)) "$dagrun" run "$g" --executor mpi \
            --workers 1 $out "$@" >log 2>&1
    else
        "$dagrun" run "$g" --executor "$ex" --workers 2 $out "$@" >log 2>&1
    fi || { echo "mpi.sh: $ex $g failed:" >&2; cat log >&2; exit 1; }
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f\n", b - a }'
}

# median FILE KEY COLUMN: median of COLUMN over the lines starting with KEY.
median() {
    awk -v k="$2" -v c="$3" '$1 == k { print $c }' "$1" | sort -g |
        awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.6f\n", m }'
}

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "dagrun --executor mpi vs threads and processes; $(nproc) cores; median of $runs interleaved runs"
echo "mpi: $mpirun -np R+1 dagrun run G --executor mpi --workers 1; threads, processes: --workers 2"
echo

for part in $parts; do
case $part in
overhead)
    w=$((tasks - 1)) leaves=$(((tasks + 1) / 2)) width=$((tasks / 20))
    "$dagrun" gen map-reduce --set n=$w -o wide.json
    "$dagrun" gen chain --set n=$tasks -o chain.json
    "$dagrun" gen tree --set n=$leaves -o tree.json
    "$dagrun" gen layered --set layers=20 --set width=$width --set deps=4 -o layered.json
    echo "### Per-task overhead: $tasks noop tasks, 2 worker slots (load average before: $(load))"
    echo
    : >ov
    for shape in wide chain tree layered; do
        n=$(jq '.tasks | length' $shape.json)
        i=0
        while [ $i -lt "$runs" ]; do
            for ex in mpi threads processes; do
                wall=$(run $ex $shape.json)
                echo "$shape-$ex $(jq .makespan s.json) $wall $n" >>ov
            done
            i=$((i + 1))
        done
    done
    echo "| shape | tasks | mpi µs/task | threads µs/task | processes µs/task | mpi/threads | mpi/processes | mpi wall s | threads wall s | processes wall s | wall mpi/threads | wall mpi/processes |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
    for shape in wide chain tree layered; do
        n=$(awk -v k="$shape-mpi" '$1 == k { print $4; exit }' ov)
        awk -v s=$shape -v n="$n" \
            -v mm="$(median ov $shape-mpi 2)" -v tm="$(median ov $shape-threads 2)" \
            -v pm="$(median ov $shape-processes 2)" -v mw="$(median ov $shape-mpi 3)" \
            -v tw="$(median ov $shape-threads 3)" -v pw="$(median ov $shape-processes 3)" 'BEGIN {
            printf "| %s | %d | %.2f | %.2f | %.2f | %.1f | %.2f | %.3f | %.3f | %.3f | %.1f | %.2f |\n",
                s, n, mm / n * 1e6, tm / n * 1e6, pm / n * 1e6, mm / tm, mm / pm,
                mw, tw, pw, mw / tw, mw / pw }'
    done
    echo
    echo "µs/task: the summary's makespan (first task start to last end) / tasks; wall s: the whole command, mpirun and start-up included. Load average after: $(load)"
    echo
    ;;
transfer)
    echo "### Moving a result: array -> sum, 2 worker slots (load average before: $(load))"
    echo
    : >tr
    for b in 1000 1000000 $((max_mb * 1000000)); do
        # The smallest n whose array [0,1,...,n-1] as JSON text is at least
        # b bytes: each number's digits plus a comma, and the brackets.
        n=$(awk -v b="$b" 'BEGIN { len = 1; n = 0; d = 1; p = 10
            while (len < b) { if (n == p) { d++; p *= 10 }; len += d + 1; n++ }
            print n }')
        printf '{"dagrun": 1, "name": "transfer", "tasks": [{"id": "make", "op": "array", "args": {"n": %d}}, {"id": "read", "op": "sum", "deps": ["make"]}]}\n' "$n" >tr$b.json
        i=0
        while [ $i -lt "$runs" ]; do
            for ex in mpi threads processes; do
                wall=$(run $ex tr$b.json)
                pair=$(jq '[.traceEvents[] | select(.ph == "X")] as $e
                    | (($e[] | select(.name == "read") | .ts + .dur)
                       - ($e[] | select(.name == "make") | .ts)) / 1e6' t.json)
                x=$(jq -r '.transfer | "\(.bytes_sent + .bytes_received) \(.send_seconds + .receive_seconds)"' s.json)
                echo "$b-$ex $pair $wall $x $n" >>tr
            done
            i=$((i + 1))
        done
    done
    echo "| B | n | executor | pair s | MB/s | wall s | transfer MB | transfer s |"
    echo "|---|---|---|---|---|---|---|---|"
    for b in 1000 1000000 $((max_mb * 1000000)); do
        for ex in mpi threads processes; do
            n=$(awk -v k="$b-$ex" '$1 == k { print $6; exit }' tr)
            awk -v b="$b" -v n="$n" -v ex=$ex -v p="$(median tr $b-$ex 2)" \
                -v w="$(median tr $b-$ex 3)" -v xb="$(median tr $b-$ex 4)" \
                -v xs="$(median tr $b-$ex 5)" 'BEGIN {
                label = b >= 1e6 ? sprintf("%d MB", b / 1e6) : sprintf("%d KB", b / 1e3)
                printf "| %s | %d | %s | %.6f | %.1f | %.3f | %.3f | %.6f |\n",
                    label, n, ex, p, b / 1e6 / p, w, xb / 1e6, xs }'
        done
    done
    echo
    echo "pair s: start of make to end of read in trace.json; MB/s: B / pair s; wall s: the whole command;"
    echo "transfer: the summary's bytes sent + received and seconds sending + receiving. Load average after: $(load)"
    echo
    ;;
pi)
    echo "### π strong scaling: examples/pi.json, samples=$pi_samples, mpi, --workers 1 per rank (load average before: $(load))"
    echo
    : >pi
    i=0
    while [ $i -lt "$runs" ]; do
        for r in 1 2 3; do
            wall=$(run mpi "$examples/pi.json" $r --set samples=$pi_samples)
            echo "r$r $(jq .makespan s.json) $wall" >>pi
        done
        i=$((i + 1))
    done
    t1=$(median pi r1 2)
    echo "| worker ranks | mpirun -np | makespan s | speed-up | wall s |"
    echo "|---|---|---|---|---|"
    for r in 1 2 3; do
        awk -v r=$r -v m="$(median pi r$r 2)" -v t1="$t1" -v w="$(median pi r$r 3)" \
            -v c="$(nproc)" 'BEGIN {
            printf "| %d | %d | %.3f | %.2f | %.3f |\n", r, r + 1, m, t1 / m, w }'
    done
    echo
    echo "$(nproc) cores: rank 0 and the worker ranks share them, so more than $(nproc) processes oversubscribe. Load average after: $(load)"
    echo
    ;;
*)
    echo "mpi.sh: unknown part '$part' (overhead, transfer, pi)" >&2
    exit 2
    ;;
esac
done
