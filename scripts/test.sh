#!/usr/bin/env bash
# Installs what is missing, builds everything (the tests dlopen the built plugin .so files), and
# runs the whole test suite. Extra arguments go to `swift test` (e.g. --filter PluginHostTests).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --test
export CAN_SYNC_PYTHON="$PWD/.venv-test/bin/python"
swift build
swift test --disable-swift-testing "$@"
