#!/usr/bin/env python3
"""Writes a large, fully expanded dagrun JSON graph for the load benchmark.

usage: make_big_graph.py TASKS OUT.json [--deps 4] [--seed 1]

Task i depends on `deps` distinct earlier tasks chosen at random (tasks with
fewer predecessors available take them all), so the file holds about
TASKS * deps edges, every task has an op and a cost, and ids are as long as
real ones ("t123456").  Deterministic for a seed.
"""
import argparse
import json
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tasks", type=int)
    ap.add_argument("out")
    ap.add_argument("--deps", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    edges = 0
    with open(a.out, "w") as f:
        f.write('{\n  "dagrun": 1,\n  "name": "big-%d",\n  "tasks": [\n' % a.tasks)
        for i in range(a.tasks):
            if i < a.deps:
                deps = list(range(i))
            else:
                # Mostly near neighbours (like real pipelines), some far.
                deps = set()
                while len(deps) < a.deps:
                    j = i - 1 - int(rng.expovariate(1 / 50)) if rng.random() < 0.8 \
                        else rng.randrange(i)
                    if 0 <= j < i:
                        deps.add(j)
                deps = sorted(deps)
            edges += len(deps)
            task = {"id": "t%d" % i, "op": "noop", "cost": round(rng.uniform(0.1, 2.0), 3),
                    "deps": ["t%d" % d for d in deps]}
            f.write("    " + json.dumps(task) + (",\n" if i + 1 < a.tasks else "\n"))
        f.write("  ]\n}\n")
    print("%s: %d tasks, %d edges" % (a.out, a.tasks, edges))


if __name__ == "__main__":
    main()
