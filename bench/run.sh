#!/bin/sh
# Runs the benchmarks (bench/README.md): the per-task scheduling overhead
# of noop tasks against native peers (a pool with dependency counters,
# OpenMP tasks, TBB's flow graph) at 1, 2 and 4 workers, the executors
# (threads, processes, sync) side by side, 1,000 commands against make and
# ninja, and Task Bench's METG against OpenMP tasks (metg.sh, a few
# minutes).  Builds a Release tree first unless given one.
#
# Usage: bench/run.sh [BUILD_DIR]     (default: build-bench, configured
#                                      here with CMAKE_BUILD_TYPE=Release)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${1:-$root/build-bench}
bench=$build/bench/dagrun_bench_overhead
if [ ! -d "$build" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
        -DDAGRUN_BUILD_TESTS=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target dagrun_cli dagrun >/dev/null
if cmake --build "$build" --target help 2>/dev/null | grep dagrun_bench_overhead >/dev/null; then
    cmake --build "$build" --target dagrun_bench_overhead dagrun_bench_executors \
        dagrun_bench_uv_spawn >/dev/null
else
    # bench/ not added to the build: compile the two benchmarks by hand
    # (the overhead one with its pool peer only; OpenMP and TBB come with
    # CMake).
    mkdir -p "$build/bench"
    for b in overhead executors; do
        extra=""
        [ "$b" = overhead ] && extra="$here/peers.c $here/workers_list.c"
        cc -O2 -std=gnu11 -I"$root/include" $(pkg-config --cflags jansson) \
            "$here/$b.c" "$here/shapes.c" $extra \
            -o "$build/bench/dagrun_bench_$b" \
            -L"$build" -ldagrun -Wl,-rpath,"$build" $(pkg-config --libs jansson) \
            -lpthread
    done
fi
echo "machine: $(nproc) cores, $(uname -sr), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo
"$bench" --runs 7
echo
"$build/bench/dagrun_bench_executors" --workers 2 --runs 5
echo
"$here/commands.sh" "$build/dagrun" 1000 2
echo
"$here/metg.sh" "$build"
