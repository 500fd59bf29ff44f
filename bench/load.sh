#!/bin/sh
# Load benchmark: `dagrun validate` (read + parse + build + check for cycles)
# against Python's json.load of the same file (parse only), on a
# 100,000-task / ~400,000-edge graph and a 1,000,000-task / ~4,000,000-edge
# one.  Reports the median of 5 runs of wall time and the peak RSS.
#
# usage: bench/load.sh [BUILD_DIR]   (default: build)
# Environment: SIZES="100000 1000000", RUNS=5, BENCH_DIR=/tmp/dagrun-bench
set -eu
cd "$(dirname "$0")/.."
build=${1:-build}
dagrun="$build/dagrun"
[ -x "$dagrun" ] || { echo "no $dagrun; build first" >&2; exit 2; }
sizes=${SIZES:-"100000 1000000"}
runs=${RUNS:-5}
dir=${BENCH_DIR:-/tmp/dagrun-bench}
mkdir -p "$dir"

# measure CMD...: prints "seconds peak_kib" for one run.
measure() {
    python3 - "$@" <<'PY'
import resource, subprocess, sys, time
t = time.perf_counter()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
dt = time.perf_counter() - t
if r.returncode != 0:
    sys.exit("failed: %s" % " ".join(sys.argv[1:]))
print("%.3f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
PY
}

# median of `runs` runs: prints "seconds peak_mib"
median() {
    i=0
    : >"$dir/runs"
    while [ $i -lt "$runs" ]; do
        measure "$@" >>"$dir/runs"
        i=$((i + 1))
    done
    sort -n "$dir/runs" | awk -v n="$runs" 'NR == int((n + 1) / 2) {
        printf "%.3f %.0f\n", $1, $2 / 1024 }'
}

printf '%-10s %-10s %12s %10s %12s %10s %7s\n' tasks edges \
    "dagrun s" "dagrun MB" "python s" "python MB" ratio
for n in $sizes; do
    f="$dir/big-$n.json"
    [ -f "$f" ] || python3 bench/make_big_graph.py "$n" "$f" >/dev/null
    edges=$("$dagrun" validate "$f" | sed 's/.*, \([0-9]*\) dependencies.*/\1/')
    set -- $(median "$dagrun" validate "$f")
    dt=$1 dm=$2
    set -- $(median python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$f")
    pt=$1 pm=$2
    printf '%-10s %-10s %12s %10s %12s %10s %7.2f\n' "$n" "$edges" "$dt" "$dm" \
        "$pt" "$pm" "$(echo "$dt $pt" | awk '{ print $1 / $2 }')"
done
