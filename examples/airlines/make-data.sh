#!/bin/sh
# Writes N CSV files of flights (airline,origin,destination,distance) into
# DIR, the same bytes on every machine (a linear congruential generator in
# awk), so the per-airline totals have a known answer.
#
# Usage: make-data.sh DIR [N [ROWS]]   (defaults: 4 files of 5000 flights)
set -eu
dir=${1:?usage: make-data.sh DIR [N [ROWS]]}
n=${2:-4}
rows=${3:-5000}
for v in "$n" "$rows"; do
    case $v in
    '' | *[!0-9]*)
        echo "make-data.sh: N and ROWS must be whole numbers (got '$v')" >&2
        exit 2
        ;;
    esac
done
mkdir -p "$dir"
# The files of an earlier run with a larger N would otherwise stay beside
# this run's and be counted by anything that reads the folder.
rm -f "$dir"/flights-*.csv
i=0
while [ "$i" -lt "$n" ]; do
    awk -v seed="$i" -v rows="$rows" 'BEGIN {
        na = split("AA DL UA WN B6 AS NK F9", airline, " ")
        np = split("ATL LAX ORD DFW DEN JFK SFO SEA LAS MCO", airport, " ")
        x = seed * 104729 + 17
        print "airline,origin,destination,distance"
        for (r = 0; r < rows; r++) {
            x = (x * 69069 + 1) % 4294967296  # exact: < 2^53
            a = airline[int(x / 65536) % na + 1]
            x = (x * 69069 + 1) % 4294967296
            o = int(x / 65536) % np
            d = (o + 1 + int(x / 16) % (np - 1)) % np
            x = (x * 69069 + 1) % 4294967296
            printf "%s,%s,%s,%d\n", a, airport[o + 1], airport[d + 1],
                   150 + int(x / 65536) % 2600
        }
    }' >"$dir/flights-$i.csv"
    i=$((i + 1))
done
