#!/bin/sh
# The whole test command (README's second command; .ci/run calls it):
#  1. installs what is missing, the test-only packages included
#     (scripts/setup.sh --test),
#  2. builds warning-free (-Werror) and runs every test,
#  3. builds with AddressSanitizer + UndefinedBehaviorSanitizer and runs every
#     test again,
#  4. builds with ThreadSanitizer and runs the scheduler tests,
#  5. runs each loader's fuzzer briefly (when clang is present), with its
#     dictionary (tests/fuzz/<name>.dict) when it has one,
#  6. checks that every C file is clang-formatted (scripts/format.sh).
# Build trees go to build/, build-asan/, build-tsan/, build-fuzz/.
set -eu
cd "$(dirname "$0")/.."
scripts/setup.sh --test
jobs=$(nproc 2>/dev/null || echo 2)

step() { printf '\n==== %s\n' "$*"; }

step "build (warnings are errors)"
# DAGRUN_BUILD_TESTS=ON: README's first command builds without the tests.
cmake -S . -B build -DDAGRUN_WERROR=ON -DDAGRUN_BUILD_TESTS=ON >/dev/null
cmake --build build -j"$jobs"
step "tests"
ctest --test-dir build --output-on-failure -j1

step "build with ASan + UBSan"
cmake -S . -B build-asan -DDAGRUN_WERROR=ON -DDAGRUN_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Debug -DDAGRUN_SANITIZE="address;undefined" >/dev/null
cmake --build build-asan -j"$jobs"
step "tests under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j1

step "build with TSan"
cmake -S . -B build-tsan -DDAGRUN_WERROR=ON -DDAGRUN_BUILD_TESTS=ON \
    -DCMAKE_BUILD_TYPE=Debug -DDAGRUN_SANITIZE=thread >/dev/null
cmake --build build-tsan -j"$jobs"
step "scheduler tests under TSan"
if ctest --test-dir build-tsan -N -L scheduler | grep -q "Total Tests: [1-9]"; then
    ctest --test-dir build-tsan --output-on-failure -j1 -L scheduler
else
    echo "no scheduler tests yet"
fi

if command -v clang >/dev/null 2>&1 && [ -f tests/fuzz/CMakeLists.txt ]; then
    step "fuzzers (short runs)"
    CC=clang cmake -S . -B build-fuzz -DDAGRUN_BUILD_FUZZERS=ON \
        -DDAGRUN_BUILD_TESTS=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
    cmake --build build-fuzz -j"$jobs"
    for f in build-fuzz/tests/fuzz/fuzz_*; do
        [ -x "$f" ] || continue
        name=$(basename "$f")
        corpus="tests/fuzz/corpus/${name#fuzz_}"
        echo "$name"
        # New inputs go to a scratch folder (libFuzzer writes to the first
        # corpus folder); the committed seeds are only read.
        scratch="build-fuzz/corpus-$name"
        mkdir -p "$scratch"
        # A fuzzer's dictionary (tests/fuzz/<name>.dict: the format's
        # keywords and punctuation) lets a short run get past the parser's
        # first checks; fuzzers without one run without.
        dict="tests/fuzz/${name#fuzz_}.dict"
        set --
        [ -f "$dict" ] && set -- -dict="$dict"
        "$f" "$@" -max_total_time="${DAGRUN_FUZZ_SECONDS:-20}" -timeout=5 \
            -rss_limit_mb=2048 "$scratch" "$corpus" >/dev/null 2>build-fuzz/"$name".log \
            || { tail -40 build-fuzz/"$name".log; exit 1; }
    done
fi
step "format check"
scripts/format.sh --check
step "all tests passed"
