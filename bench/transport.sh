#!/usr/bin/env bash
# Transport benchmark: two processes on loopback talking through the quic plugin's ABI.
# Prints time to first byte of a fresh connection, one-stream throughput with CPU per side,
# and N concurrent streams with per-stream rates (fair sharing).
#
#   bench/transport.sh [BYTES] [STREAMS]      defaults: 1 GiB, 8 streams
# Target on the 2-core reference machine: >= 250 MB/s on one stream.
set -euo pipefail
cd "$(dirname "$0")/.."
BYTES=${1:-1073741824}
STREAMS=${2:-8}
SCRATCH=.build-release

for product in QuicTransport TransportBench; do
    swift build -c release --scratch-path "$SCRATCH" --product "$product" 2>&1 | tail -1
done
BIN="$SCRATCH/release"
PLUGIN="$BIN/libQuicTransport.so"

LOG=$(mktemp)
"$BIN/TransportBench" serve --plugin "$PLUGIN" > "$LOG" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; rm -f "$LOG"' EXIT

for _ in $(seq 1 100); do
    grep -q '^READY ' "$LOG" && break
    sleep 0.1
done
read -r _ PEER ADDRESS < <(grep '^READY ' "$LOG")
[ -n "${ADDRESS:-}" ] || { echo "the bench server did not start:"; cat "$LOG"; exit 1; }

echo "server $PEER at $ADDRESS; sending $BYTES bytes, then $STREAMS streams"
"$BIN/TransportBench" client --plugin "$PLUGIN" --peer "$PEER" --address "$ADDRESS" \
    --bytes "$BYTES" --streams "$STREAMS"
