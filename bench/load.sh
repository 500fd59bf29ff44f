#!/bin/sh
# Load benchmark: `dagrun validate` (read + parse + build + check for cycles
# and costs) against Python's json.load of the same file (parse only), on a
# 100,000-task / ~400,000-edge graph and a 1,000,000-task / ~4,000,000-edge
# one.  Runs are interleaved (dagrun, python, dagrun, ...) so both see the
# same machine load; prints the median wall time and median peak RSS
# (/usr/bin/time -f %M) of each and the load average after each size.
#
# usage: bench/load.sh [BUILD_DIR]   (default: build)
# Environment: SIZES="100000 1000000", RUNS=5, BENCH_DIR=/tmp/dagrun-bench,
#              DAGRUN=path/to/another/dagrun (e.g. an older build)
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
dagrun=${DAGRUN:-"$build/dagrun"}
[ -x "$dagrun" ] || { echo "no $dagrun; build first" >&2; exit 2; }
sizes=${SIZES:-"100000 1000000"}
runs=${RUNS:-5}
dir=${BENCH_DIR:-/tmp/dagrun-bench}
mkdir -p "$dir"

# one OUT CMD...: appends "seconds peak_kib" of one run to OUT.
one() {
    out=$1
    shift
    /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >/dev/null
    cat "$dir/time" >>"$out"
}
# med FILE COLUMN: the median of a column.
med() { sort -n -k"$2" "$1" | awk -v n="$runs" -v c="$2" \
    'NR == int((n + 1) / 2) { print $c }'; }

printf '%-9s %-9s %9s %9s %9s %9s %6s %6s  %s\n' tasks edges "dagrun s" \
    "dagrun MB" "python s" "python MB" "time" "memory" "load average"
for n in $sizes; do
    f="$dir/big-$n.json"
    [ -f "$f" ] || python3 bench/make_big_graph.py "$n" "$f" >/dev/null
    edges=$("$dagrun" validate "$f" | sed 's/.*, \([0-9]*\) dependencies.*/\1/')
    : >"$dir/d"
    : >"$dir/p"
    i=0
    while [ $i -lt "$runs" ]; do
        one "$dir/d" "$dagrun" validate "$f"
        one "$dir/p" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f"
        i=$((i + 1))
    done
    dt=$(med "$dir/d" 1) dm=$(med "$dir/d" 2) pt=$(med "$dir/p" 1) pm=$(med "$dir/p" 2)
    printf '%-9s %-9s %9s %9.0f %9s %9.0f %6.2f %6.2f  %s\n' "$n" "$edges" \
        "$dt" "$(echo "$dm" | awk '{ print $1 / 1024 }')" "$pt" \
        "$(echo "$pm" | awk '{ print $1 / 1024 }')" \
        "$(echo "$dt $pt" | awk '{ print $1 / $2 }')" \
        "$(echo "$dm $pm" | awk '{ print $1 / $2 }')" \
        "$(uptime | sed 's/.*load average: //')"
done
