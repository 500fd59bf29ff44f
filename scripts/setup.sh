#!/bin/sh
# Install the Debian packages dagrun needs to build, test and render, and do
# nothing when they are all present.  `apt-get update` runs only when
# something must be installed; `sudo` is used only when we are not root.
#
#   scripts/setup.sh          build + test + render dependencies
#   DAGRUN_SETUP_MINIMAL=1    only what building and running needs
set -eu

pkgs="build-essential cmake pkg-config libgraphviz-dev graphviz libuv1-dev \
libjansson-dev libcriterion-dev python3"
if [ -z "${DAGRUN_SETUP_MINIMAL:-}" ]; then
    # clang + its runtime: fuzzers; clang-format: the format check;
    # chromium: the report screenshot test; libxml2-utils: xmllint checks
    # SVG well-formedness.
    pkgs="$pkgs clang libclang-rt-14-dev clang-format chromium libxml2-utils"
fi

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "setup: installing:$missing" >&2
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >&2
