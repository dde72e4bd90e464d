#!/usr/bin/env bash
# Installs what is missing, builds, and runs a CAN Sync node with its bundled CAN store.
# Usage: scripts/run.sh [CONFIG]   (default: config.yaml in the repository root)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
swift build -c release
exec .build/release/can-sync "${1:-config.yaml}"
