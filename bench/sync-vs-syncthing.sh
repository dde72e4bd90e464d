#!/usr/bin/env bash
# CAN Sync against Syncthing, side by side, on one machine over loopback.
#
# Moves the same random files through two CAN Sync nodes (bundled stores, QUIC transport) and through two
# Syncthing instances, back to back in one run, and prints both systems' figures, the ratios and the targets:
#   1. one 1 GiB asset A -> B                                   (MB/s; target: ahead of Syncthing)
#   2. 102 x 1 MiB both ways at once (51 added on each side)    (MB/s; target: >= 4 x 63 MB/s and ahead)
#   3. 1000 x 4 KiB A -> B                                      (files/s, MB/s; target: ahead)
#   4. one small asset, added on A until listed on B, 20 times  (p50/p95 ms; target: p50 <= 300 ms and ahead)
#   and each CAN Sync node's peak RSS (VmHWM) after the 1 GiB sync (target: <= 64 MiB).
#
# Both systems run inside one network namespace that has only loopback (unshare --net), which also keeps
# Syncthing from reaching out; a PID namespace ends every process the run started when it exits.
# Syncthing (Debian's package, installed with apt-get if missing) has discovery, relays, NAT, usage and
# crash reporting and upgrades off before its first start, a static tcp://127.0.0.1 address for its peer,
# and a fresh sendreceive folder per workload with the file watcher on (fsWatcherDelayS=1); each batch of
# files is copied in and followed by POST /rest/db/scan, and its latency is shown both with that scan and
# with the watcher alone. Files count as arrived when they have their full size in the peer's folder
# (Syncthing) or when the peer's store lists them (CAN Sync, GET /list?since_seq=&wait_ms= long poll).
#
# Usage: bench/sync-vs-syncthing.sh [--only both|can-sync|syncthing] [--rounds N] [--big-mib N]
#                                   [--latency-reps N] [--latency-gap SECONDS] [--log-level LEVEL]
#   --rounds N runs both systems N times with the order alternating and reports the median round (numbers swing
#   about 30 % between runs on a shared machine; the ratios within one run are steadier).
# Exit status: 0 when both systems finished every workload (targets missed or met), 1 when a step failed
# or timed out (the message names the system, the step and the logs to read). Logs and results.json are
# kept in the directory printed at the start; the data is deleted on exit.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="$ROOT/.build-release"
ONLY="both"
ROUNDS=1
for ((i = 1; i <= $#; i++)); do
    j=$((i + 1))
    if [[ "${!i}" == "--only" ]]; then ONLY="${!j:-both}"; fi
    if [[ "${!i}" == "--rounds" && "${!j:-}" =~ ^[0-9]+$ ]]; then ROUNDS="${!j}"; fi
done

fail() { echo "sync-vs-syncthing: $*" >&2; exit 1; }

[[ "$(id -u)" == 0 ]] || fail "needs root: it runs both systems in a loopback-only network namespace (unshare --net)"

if [[ "$ONLY" != "can-sync" ]] && ! command -v syncthing > /dev/null; then
    echo "installing syncthing (apt-get)..." >&2
    timeout 600 apt-get install -y syncthing > /dev/null || fail "apt-get install -y syncthing failed"
fi

LOGS="$(mktemp -d /tmp/sync-vs-syncthing-logs.XXXXXX)"
BIN_DIR=""
if [[ "$ONLY" != "syncthing" ]]; then
    echo "building can-sync and plugins (release, $SCRATCH; output in $LOGS/build.log)..." >&2
    for product in can-sync QuicTransport Filters; do
        # A source file edited mid-build fails the build once; a second attempt settles that.
        for attempt in 1 2 3; do
            (cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --product "$product") \
                >> "$LOGS/build.log" 2>&1 && break
            if [[ "$attempt" == 3 ]]; then
                grep -E "error:" "$LOGS/build.log" | sort -u | head -20 >&2 || true
                fail "release build of $product failed; full output: $LOGS/build.log"
            fi
            sleep 15
        done
    done
    BIN_DIR="$(cd "$ROOT" && swift build -c release --scratch-path "$SCRATCH" --show-bin-path)"
    for file in can-sync libQuicTransport.so libFilters.so; do
        [[ -e "$BIN_DIR/$file" ]] || fail "release build did not produce $BIN_DIR/$file (see $LOGS/build.log)"
    done
fi

# Data: the files (1.1 GiB) plus two copies on each system's side at a time, about 5 GiB; tmpfs keeps the
# disk out of what is measured, the work disk is the fallback.
NEED_KB=$((6 * 1024 * 1024))
if (( $(df --output=avail -k /dev/shm | tail -1) > NEED_KB )); then
    WORK="$(mktemp -d /dev/shm/sync-vs-syncthing.XXXXXX)"; WHERE="/dev/shm (tmpfs, RAM)"
else
    WORK="$(mktemp -d /var/tmp/sync-vs-syncthing.XXXXXX)"; WHERE="/var/tmp (work disk)"
fi
DRIVER=""
first_child() { cat /proc/"$1"/task/*/children 2>/dev/null | awk '{print $1}' | head -1; }
cleanup() {
    if [[ -n "$DRIVER" ]] && kill -0 "$DRIVER" 2>/dev/null; then
        # timeout -> unshare -> python. unshare ignores SIGTERM while it waits for its child, so the driver (PID 1
        # of the namespace) is told to stop: it stops its children, and the kernel ends whatever is left.
        local unshare_pid python_pid
        unshare_pid="$(first_child "$DRIVER")"
        python_pid="$([[ -n "$unshare_pid" ]] && first_child "$unshare_pid")"
        if [[ -n "$python_pid" ]]; then kill -TERM "$python_pid" 2>/dev/null || true; fi
        for _ in $(seq 1 300); do kill -0 "$DRIVER" 2>/dev/null || break; sleep 0.1; done
        # Still there: killing unshare makes --kill-child send the driver SIGTERM once more.
        if [[ -n "$unshare_pid" ]]; then kill -KILL "$unshare_pid" 2>/dev/null || true; fi
        wait "$DRIVER" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "data and both systems' files: $WHERE ($WORK); logs: $LOGS" >&2
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo) RAM," \
     "load average $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine skews both systems);" \
     "CAN Sync $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet HEAD -- Sources Plugins || echo '+local changes');" \
     "$(command -v syncthing > /dev/null && syncthing --version | cut -d' ' -f1-2)"

# The driver is PID 1 of a fresh PID namespace: when it exits, the kernel ends everything it started. After an
# hour per round, timeout kills unshare (which ignores SIGTERM), and --kill-child then sends the driver SIGTERM.
timeout --kill-after=30 $((3600 * (ROUNDS > 0 ? ROUNDS : 1))) unshare --net --pid --fork --mount-proc --kill-child=TERM \
    sh -c 'ip link set lo up && exec python3 -B "$0" "$@"' "$ROOT/bench/syncthing/compare.py" \
    --bin-dir "$BIN_DIR" --work "$WORK" --logs "$LOGS" "$@" &
DRIVER=$!
set +e
wait "$DRIVER"
STATUS=$?
set -e
DRIVER=""
echo "logs and results.json: $LOGS" >&2
exit "$STATUS"
