#!/bin/sh
# Installs the Debian packages dagrun needs, and does nothing when they are
# all present.
#
#   scripts/setup.sh          what building and running need (README's first
#                             command)
#   scripts/setup.sh --test   also what scripts/test.sh needs: Criterion,
#                             clang and its fuzzer runtime, clang-format,
#                             Chromium, xmllint, and for bench/ python3,
#                             TBB and ninja
#
# `apt-get update` runs only when something must be installed; `sudo` is
# used only when we are not root.
#
# When another apt or dpkg runs (unattended-upgrades, a second terminal),
# it holds the package manager's locks and apt-get would fail at once with
# "Could not get lock /var/lib/dpkg/lock-frontend".  Instead we wait, saying
# for which lock and which process, until every lock is free, and then run
# apt-get with DPkg::Lock::Timeout so that it also waits if another apt
# takes the lock between our check and its start (apt-get update has no
# such option: the wait before it is ours alone).  We give up after
# DAGRUN_APT_LOCK_TIMEOUT seconds (default 1800) with the holder's name.
# DAGRUN_APT_LOCKS replaces the list of lock files (the tests use files of
# their own, since holding the system's locks would stop every other apt on
# the machine).
set -eu

# libopenmpi-dev + openmpi-bin: --executor mpi (docs/mpi.md) is part of the
# build, and its tests and examples start jobs with mpirun.
build="build-essential cmake pkg-config libgraphviz-dev graphviz \
libuv1-dev libjansson-dev libxxhash-dev libopenmpi-dev openmpi-bin"
# Criterion: the unit tests; clang + its runtime: fuzzers; clang-format: the
# format check; chromium: the report screenshot test; libxml2-utils: xmllint
# checks SVG well-formedness; python3: bench/ scripts; libtbb-dev: the TBB
# flow-graph peer of bench/overhead.c (without it that peer is absent);
# ninja-build: ninja, the build tool the commands benchmark is compared with
# (docs/running.md).
test_only="libcriterion-dev clang libclang-rt-14-dev clang-format chromium \
libxml2-utils python3 libtbb-dev ninja-build"

pkgs=$build
case "${1:-}" in
"") ;;
--test) pkgs="$build $test_only" ;;
-h | --help)
    sed -n '2,10s/^# \{0,1\}//p' "$0"
    exit 0
    ;;
*)
    echo "setup.sh: unknown option '$1' (usage: scripts/setup.sh [--test])" >&2
    exit 2
    ;;
esac

locks=${DAGRUN_APT_LOCKS:-/var/lib/dpkg/lock-frontend /var/lib/dpkg/lock \
/var/lib/apt/lists/lock /var/cache/apt/archives/lock}
timeout=${DAGRUN_APT_LOCK_TIMEOUT:-1800}

# The process holding a lock on file $1, as "PID (NAME)", or nothing.
# /proc/locks lists every fcntl, OFD and flock lock of the machine as
# MAJOR:MINOR:INODE (hex, hex, decimal); dpkg and apt take fcntl locks,
# which flock(1) cannot see.
lock_holder() {
    [ -e "$1" ] || return 0
    id=$(stat -L -c '%d %i' "$1" 2>/dev/null) || return 0
    pid=$(awk -v id="$id" '
        function hex(s,    i, n) {
            n = 0
            s = tolower(s)
            for (i = 1; i <= length(s); i++)
                n = n * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
            return n
        }
        BEGIN {
            split(id, f, " ")
            dev = f[1]; ino = f[2]
            # glibc encoding of st_dev (sys/sysmacros.h).
            major = int(dev / 256) % 4096 + int(dev / 17592186044416) * 4096
            minor = dev % 256 + (int(dev / 1048576) % 16777216) * 256
        }
        $2 == "->" { next }  # a process waiting for the lock, not holding it
        {
            split($6, d, ":")
            if (hex(d[1]) == major && hex(d[2]) == minor && d[3] == ino) {
                print $5
                exit
            }
        }' /proc/locks 2>/dev/null) || pid=""
    [ -n "$pid" ] || return 0
    # An open-file-description lock has no owner process (pid -1).
    if [ "$pid" -le 0 ] 2>/dev/null; then
        echo "unknown (an OFD lock)"
        return 0
    fi
    name=$(cat "/proc/$pid/comm" 2>/dev/null) || name="ended"
    echo "$pid ($name)"
}

# Waits until no process holds any of $locks, saying once for each lock and
# holder what it waits for; fails after $timeout seconds.
wait_for_locks() {
    waited=0
    said=""
    while :; do
        busy=""
        for lock in $locks; do
            holder=$(lock_holder "$lock")
            [ -n "$holder" ] || continue
            busy="$lock, held by process $holder"
            break
        done
        if [ -z "$busy" ]; then
            [ -z "$said" ] || echo "setup: the package manager is free; going on" >&2
            return 0
        fi
        if [ "$waited" -ge "$timeout" ]; then
            echo "setup: gave up after ${timeout} s waiting for $busy; let it" \
                "finish (or stop it) and run scripts/setup.sh again" >&2
            return 1
        fi
        if [ "$busy" != "$said" ]; then
            echo "setup: another package manager is running: waiting for" \
                "$busy (up to ${timeout} s; Ctrl-C to stop)" >&2
            said=$busy
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

missing=""
for p in $pkgs; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "setup: installing:$missing" >&2
wait_for_locks
$sudo env DEBIAN_FRONTEND=noninteractive apt-get \
    -o DPkg::Lock::Timeout="$timeout" update -qq
wait_for_locks
$sudo env DEBIAN_FRONTEND=noninteractive apt-get \
    -o DPkg::Lock::Timeout="$timeout" install -y -qq --no-install-recommends \
    $missing >&2
