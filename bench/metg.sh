#!/bin/sh
# Task Bench's METG(50%) (bench/README.md, "Task Bench METG"): dagrun
# (threads, processes) and the OpenMP-tasks peer on every pattern at width 2
# on 2 workers, then the simulator's prediction for a runtime of OVERHEAD
# microseconds per task, and the plot of both.  Writes metg.csv,
# metg-sim.csv and metg.svg into OUT_DIR.
#
# Usage: bench/metg.sh [BUILD_DIR] [OUT_DIR] [OVERHEAD_US]
#        (defaults: build-bench, dagrun-out/metg, 2; more options of the
#         measurement through METG_ARGS, e.g. METG_ARGS="--runs 7")
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build-bench}
out=${2:-$root/dagrun-out/metg}
overhead=${3:-2}
if [ ! -d "$build" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DDAGRUN_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j2 --target dagrun_bench_metg >/dev/null
mkdir -p "$out"
echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
# shellcheck disable=SC2086  # METG_ARGS is a list of options
"$build/bench/dagrun_bench_metg" --workers 2 --width 2 --steps 2000 \
    --runs 5 --max-iter 65536 --min-iter 16 --csv "$out/metg.csv" ${METG_ARGS:-}
echo
"$build/bench/dagrun_bench_metg" --workers 2 --width 2 --steps 2000 \
    --max-iter 65536 --min-iter 16 --simulate --overhead "$overhead" \
    --csv "$out/metg-sim.csv"
python3 "$here/metg_plot.py" "$out/metg.svg" "$out/metg.csv" "$out/metg-sim.csv"
echo "plot: $out/metg.svg"
