#!/bin/sh
# Formats every C file git tracks with the committed .clang-format, or with
# --check lists the files that are not formatted and exits 1.
set -eu
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h')
if [ "${1:-}" = "--check" ]; then
    bad=0
    for f in $files; do
        if clang-format --dry-run "$f" 2>&1 | grep -q warning; then
            echo "not formatted: $f"
            bad=1
        fi
    done
    exit $bad
fi
clang-format -i $files
