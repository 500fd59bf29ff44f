#!/bin/sh
# Writes N text files of pseudo-random words into DIR, the same bytes on
# every machine (a linear congruential generator in awk, no $RANDOM), so
# the word count example has a known answer.
#
# Usage: make-data.sh DIR [N [WORDS]]   (defaults: 4 files of 20000 words)
set -eu
dir=${1:?usage: make-data.sh DIR [N [WORDS]]}
n=${2:-4}
words=${3:-20000}
for v in "$n" "$words"; do
    case $v in
    '' | *[!0-9]*)
        echo "make-data.sh: N and WORDS must be whole numbers (got '$v')" >&2
        exit 2
        ;;
    esac
done
mkdir -p "$dir"
# The files of an earlier run with a larger N would otherwise stay beside
# this run's and be counted by anything that reads the folder.
rm -f "$dir"/part-*.txt
i=0
while [ "$i" -lt "$n" ]; do
    awk -v seed="$i" -v words="$words" 'BEGIN {
        split("the a graph task worker ready queue span work critical path " \
              "parallel idle core thread process make ninja dask shell map " \
              "reduce sum count word file line data", vocab, " ")
        nv = 0; for (k in vocab) nv++
        x = seed * 7919 + 1
        line = ""; perline = 0
        for (w = 0; w < words; w++) {
            x = (x * 69069 + 1) % 4294967296  # exact: < 2^53
            line = line (perline ? " " : "") vocab[int(x / 65536) % nv + 1]
            if (++perline == 12) { print line; line = ""; perline = 0 }
        }
        if (perline) print line
    }' >"$dir/part-$i.txt"
    i=$((i + 1))
done
