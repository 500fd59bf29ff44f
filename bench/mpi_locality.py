#!/usr/bin/env python3
"""What `--executor mpi` saves by keeping large results on worker ranks and
placing tasks where their inputs are (docs/mpi.md, "Where results are").

Two graphs from `dagrun gen`, every task turned into the builtin `array`
(n numbers, about 5.8 bytes of JSON each: over the 64 KiB kept size at the
default n), so every edge carries one large result:
  - map-reduce n=16 r=4: 16 maps, 4 reducers each reading all 16;
  - tiled Cholesky t=6 (56 tasks, each tile task reading 1 to 3 tiles).
Three ways, interleaved, under `mpirun -np 3` (2 worker ranks, --workers 2):
  rank0     every result sent back to rank 0 and from it to each consumer
            (DAGRUN_MPI_KEEP_BYTES=1000000000): the process pool's way;
  kept      results kept where made, consumers fetch them, no placement
            rule (DAGRUN_MPI_LOCALITY=0);
  locality  kept, and a task goes to the free slot on the rank holding most
            of its input bytes (the default).
Figures (medians of RUNS runs): megabytes through rank 0 (task messages out
minus what came from other ranks, plus result messages in), megabytes
between worker ranks, and the makespan.

Usage: bench/mpi_locality.py [DAGRUN [RUNS [N]]]
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
dagrun = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                         os.path.join(here, "..", "build", "dagrun"))
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
mpirun = shutil.which("mpirun")
if mpirun is None:
    sys.exit("mpi_locality.py: no mpirun on PATH (scripts/setup.sh)")

MODES = [("rank0", {"DAGRUN_MPI_KEEP_BYTES": "1000000000"}),
         ("kept", {"DAGRUN_MPI_LOCALITY": "0"}),
         ("locality", {})]


def graph(tmp, shape, sets):
    out = subprocess.run([dagrun, "gen", shape] + sum(
        (["--set", s] for s in sets), []), capture_output=True, text=True,
        check=True).stdout
    g = json.loads(out)
    for t in g["tasks"]:
        t.pop("cost", None)
        t["op"] = "array"
        t["args"] = {"n": n}
    path = os.path.join(tmp, shape + ".json")
    with open(path, "w") as f:
        json.dump(g, f)
    return path


def one(tmp, path, env_extra):
    env = dict(os.environ)
    env.pop("DAGRUN_MPI_KEEP_BYTES", None)
    env.pop("DAGRUN_MPI_LOCALITY", None)
    env.update(env_extra)
    args = [mpirun, "--oversubscribe", "--allow-run-as-root", "-np", "3"]
    for k in env_extra:
        args += ["-x", k]
    args += [dagrun, "run", path, "--executor", "mpi", "-w", "2", "-q",
             "-o", os.path.join(tmp, "out")]
    subprocess.run(args, env=env, check=True, capture_output=True, cwd=tmp)
    with open(os.path.join(tmp, "out", "summary.json")) as f:
        s = json.load(f)
    x = s["transfer"]
    peer = x.get("bytes_between_ranks", 0)
    via0 = x["bytes_sent"] - peer + x["bytes_received"]
    return via0 / 1e6, peer / 1e6, s["makespan"]


def main():
    tmp = tempfile.mkdtemp(prefix="dagrun-bench-")
    try:
        graphs = [("map-reduce n=16 r=4",
                   graph(tmp, "map-reduce", ["n=16", "r=4"])),
                  ("cholesky t=6", graph(tmp, "cholesky", ["t=6"]))]
        with open("/proc/loadavg") as f:
            load0 = f.read().split()[0]
        res = {}
        for _ in range(runs):
            for gname, path in graphs:
                for mode, env in MODES:
                    res.setdefault((gname, mode), []).append(
                        one(tmp, path, env))
        with open("/proc/loadavg") as f:
            load1 = f.read().split()[0]
        print(f"`bench/mpi_locality.py` — array results of n={n} numbers, "
              f"mpirun -np 3, --workers 2 per rank, medians of {runs}; "
              f"load average {load0} before, {load1} after\n")
        print("| graph | mode | MB through rank 0 | MB between ranks "
              "| makespan (s) |")
        print("|---|---|--:|--:|--:|")
        for gname, _ in graphs:
            for mode, _ in MODES:
                v = res[(gname, mode)]
                med = [statistics.median(c) for c in zip(*v)]
                print(f"| {gname} | {mode} | {med[0]:.2f} | {med[1]:.2f} "
                      f"| {med[2]:.3f} |")
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
