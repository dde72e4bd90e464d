#!/usr/bin/env bash
# Ingest throughput and peak memory of the bundled store (can-service).
#
# Builds can-service in release mode, starts it with its data directory on tmpfs (/dev/shm) so the disk is
# not what is measured, uploads one random file with curl as multipart/form-data, checks the returned hash,
# and prints throughput and the store's peak RSS (VmHWM).
#
# Targets: throughput >= 300 MB/s, peak RSS < 100 MiB.
# The file is ingested RUNS times (deleted in between, so each run stores it anew); every run is printed,
# then the best and the median, since other work on a small machine skews single runs.
# Usage: bench/store-ingest.sh [size-in-MiB, default 1024] [runs, default 3]
set -euo pipefail

SIZE_MIB="${1:-1024}"
RUNS="${2:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SCRATCH="$ROOT/.build-release"
WORK="$(mktemp -d /dev/shm/can-store-bench.XXXXXX)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT/api/v1/can/0"
PID=""

cleanup() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then kill "$PID"; wait "$PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

echo "building can-service (release)..." >&2
(cd "$ROOT" && swift build -c release --product can-service --scratch-path "$SCRATCH" 2>&1 | tail -3) >&2
BIN="$(cd "$ROOT" && swift build -c release --product can-service --scratch-path "$SCRATCH" --show-bin-path)/can-service"

head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/input.bin"
EXPECTED="$(sha256sum "$WORK/input.bin" | cut -c1-64)"

"$BIN" --port "$PORT" --data-dir "$WORK/data" --log-level warning > "$WORK/service.log" 2>&1 &
PID=$!
for _ in $(seq 1 100); do
    curl -sf "$BASE/health" > /dev/null && break
    sleep 0.1
done
curl -sf "$BASE/health" > /dev/null || { echo "store did not start:" >&2; cat "$WORK/service.log" >&2; exit 1; }
RSS_IDLE_KB="$(awk '/VmRSS/ {print $2}' "/proc/$PID/status")"

TIMES=()
for run in $(seq 1 "$RUNS"); do
    START="$(date +%s.%N)"
    RESPONSE="$(curl -sS -F "file=@$WORK/input.bin;type=application/octet-stream" -F "expected_hash=$EXPECTED" \
        -H 'Expect:' "$BASE/ingest")"
    END="$(date +%s.%N)"
    echo "$RESPONSE" | grep -q "\"$EXPECTED\"" || { echo "ingest failed: $RESPONSE" >&2; exit 1; }
    echo "$RESPONSE" | grep -q '"duplicate":false' || { echo "run $run did not store anew: $RESPONSE" >&2; exit 1; }
    TIMES+=("$(python3 -c "print($END - $START)")")
    curl -sSf -X DELETE "$BASE/asset/$EXPECTED" > /dev/null
done
PEAK_KB="$(awk '/VmHWM/ {print $2}' "/proc/$PID/status")"

python3 - "$SIZE_MIB" "$PEAK_KB" "$RSS_IDLE_KB" "${TIMES[@]}" <<'PY'
import statistics, sys
size_mib, peak_kb, idle_kb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
times = [float(t) for t in sys.argv[4:]]
mb = size_mib * 1024 * 1024 / 1e6
for run, seconds in enumerate(times, 1):
    print(f"run {run}: {size_mib} MiB in {seconds:.2f} s = {mb / seconds:.0f} MB/s")
print(f"throughput best {mb / min(times):.0f} MB/s, median {mb / statistics.median(times):.0f} MB/s (target >= 300)")
print(f"store RSS idle {idle_kb / 1024:.1f} MiB, peak (VmHWM) {peak_kb / 1024:.1f} MiB (target < 100)")
PY
