#!/usr/bin/env python3
"""Efficiency against task granularity, one panel per Task Bench pattern.

Reads the CSVs dagrun_bench_metg writes (bench/metg.c; several may be
given, e.g. a measured and a simulated one) and writes an SVG: per pattern
a panel with log-scaled granularity (microseconds per task and core) on x,
efficiency (0 to 1) on y, a line per runtime, the 50% line dashed and each
runtime's METG(50%) marked where its line crosses it, interpolated
linearly between the two measured points around 50% as bench/metg.c does
(the rows' efficiencies are used as written).
Plain SVG written by hand: no plotting library is installed.

Usage: bench/metg_plot.py OUT.svg IN.csv [IN.csv ...]
"""
import csv
import math
import sys
from xml.sax.saxutils import escape

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
           "#8c564b", "#e377c2", "#17becf"]
PANEL_W, PANEL_H = 300, 220
MARGIN_L, MARGIN_T, MARGIN_B = 46, 28, 40
COLS = 4


def read(paths):
    """{pattern: {runtime: [(granularity, efficiency), ...]}} in file order."""
    data, runtimes, meta = {}, [], None
    for path in paths:
        with open(path, newline="") as f:
            for row in csv.DictReader(f):
                rt, pat = row["runtime"], row["pattern"]
                if rt not in runtimes:
                    runtimes.append(rt)
                meta = meta or row
                data.setdefault(pat, {}).setdefault(rt, []).append(
                    (float(row["granularity_us"]), float(row["efficiency"])))
    return data, runtimes, meta


def metg(points):
    """METG(50%) from points ordered from the largest grain down, found as
    bench/metg.c (and Task Bench's chart_metg.py) does: the smallest
    granularity at 50% or more, interpolated towards the next point."""
    above = [i for i, (_, e) in enumerate(points) if e >= 0.5]
    if not above:
        return None
    i = min(above, key=lambda k: points[k][0])
    (g_hi, e_hi) = points[i]
    if i + 1 >= len(points) or points[i + 1][0] >= g_hi:
        return g_hi
    (g_lo, e_lo) = points[i + 1]
    return g_lo + (0.5 - e_lo) / (e_hi - e_lo) * (g_hi - g_lo)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    data, runtimes, meta = read(sys.argv[2:])
    if not data:
        sys.exit("metg_plot: no rows in " + ", ".join(sys.argv[2:]))
    grains = [g for p in data.values() for pts in p.values() for g, _ in pts
              if g > 0]
    lo = 10 ** math.floor(math.log10(min(grains)))
    hi = 10 ** math.ceil(math.log10(max(grains)))
    rows = math.ceil(len(data) / COLS)
    width = COLS * PANEL_W + 20
    height = rows * PANEL_H + 70
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="sans-serif" font-size="11">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="10" y="18" font-size="14">Task Bench efficiency vs task '
           f'granularity: width {meta["width"]}, {meta["steps"]} steps, '
           f'{meta["workers"]} workers (METG(50%) marked)</text>']
    # Legend.
    x = 10
    for i, rt in enumerate(runtimes):
        c = COLOURS[i % len(COLOURS)]
        out.append(f'<line x1="{x}" y1="34" x2="{x + 20}" y2="34" '
                   f'stroke="{c}" stroke-width="2"/>'
                   f'<text x="{x + 24}" y="38">{escape(rt)}</text>')
        x += 34 + 7 * len(rt)
    pw = PANEL_W - MARGIN_L - 14
    ph = PANEL_H - MARGIN_T - MARGIN_B

    def px(g):
        return MARGIN_L + pw * (math.log10(g) - math.log10(lo)) / (
            math.log10(hi) - math.log10(lo))

    def py(e):
        return MARGIN_T + ph * (1 - min(max(e, 0), 1.1) / 1.1)

    for k, pat in enumerate(data):
        ox = 10 + (k % COLS) * PANEL_W
        oy = 50 + (k // COLS) * PANEL_H
        out.append(f'<g transform="translate({ox},{oy})">')
        out.append(f'<rect x="{MARGIN_L}" y="{MARGIN_T}" width="{pw}" '
                   f'height="{ph}" fill="none" stroke="#999"/>')
        out.append(f'<text x="{MARGIN_L + pw / 2}" y="{MARGIN_T - 8}" '
                   f'text-anchor="middle" font-size="13">{escape(pat)}</text>')
        decade = lo
        while decade <= hi * 1.0001:
            X = px(decade)
            out.append(f'<line x1="{X:.1f}" y1="{MARGIN_T}" x2="{X:.1f}" '
                       f'y2="{MARGIN_T + ph}" stroke="#eee"/>'
                       f'<text x="{X:.1f}" y="{MARGIN_T + ph + 14}" '
                       f'text-anchor="middle">{decade:g}</text>')
            decade *= 10
        for e in (0, 0.25, 0.5, 0.75, 1.0):
            Y = py(e)
            dash = ' stroke-dasharray="4,3"' if e == 0.5 else ""
            colour = "#555" if e == 0.5 else "#eee"
            out.append(f'<line x1="{MARGIN_L}" y1="{Y:.1f}" '
                       f'x2="{MARGIN_L + pw}" y2="{Y:.1f}" stroke="{colour}"'
                       f'{dash}/><text x="{MARGIN_L - 4}" y="{Y + 4:.1f}" '
                       f'text-anchor="end">{e:g}</text>')
        out.append(f'<text x="{MARGIN_L + pw / 2}" y="{MARGIN_T + ph + 30}" '
                   f'text-anchor="middle">granularity, µs (log)</text>')
        out.append(f'<text transform="translate(12,{MARGIN_T + ph / 2}) '
                   f'rotate(-90)" text-anchor="middle">efficiency</text>')
        for i, rt in enumerate(runtimes):
            pts = data[pat].get(rt)
            if not pts:
                continue
            c = COLOURS[i % len(COLOURS)]
            path = " ".join(f"{px(g):.1f},{py(e):.1f}" for g, e in pts if g > 0)
            out.append(f'<polyline points="{path}" fill="none" stroke="{c}" '
                       f'stroke-width="1.8"/>')
            for g, e in pts:
                if g > 0:
                    out.append(f'<circle cx="{px(g):.1f}" cy="{py(e):.1f}" '
                               f'r="2.2" fill="{c}"/>')
            m = metg(pts)
            if m is not None:
                out.append(f'<circle cx="{px(m):.1f}" cy="{py(0.5):.1f}" '
                           f'r="5" fill="none" stroke="{c}" '
                           f'stroke-width="2"><title>{escape(rt)} METG '
                           f'{m:.2f} µs</title></circle>')
        out.append('</g>')
    out.append('</svg>')
    with open(sys.argv[1], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
