#!/usr/bin/env bash
# Installs the Debian packages CAN Sync builds against (and, with --test, what the tests use).
# Safe to run repeatedly: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

build_packages=(pkg-config libsodium-dev libyaml-dev libsqlite3-dev libcurl4-openssl-dev libssl-dev
                libngtcp2-dev libngtcp2-crypto-gnutls-dev libgnutls28-dev)
test_packages=(gcc libc6-dev curl python3 python3-venv iproute2)

packages=("${build_packages[@]}")
[[ "${1:-}" == "--test" ]] && packages+=("${test_packages[@]}")

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]})); then
    echo "Installing Debian packages: ${missing[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}"
fi

if ! command -v swift >/dev/null; then
    echo "error: no Swift toolchain on PATH. Install Swift 6 (swift.org) and put its usr/bin on PATH." >&2
    exit 1
fi

if [[ "${1:-}" == "--test" ]]; then
    # The QUIC interop test talks to aioquic, an independent QUIC implementation.
    if [[ ! -x .venv-test/bin/python ]] || ! .venv-test/bin/python -c "import aioquic" 2>/dev/null; then
        echo "Creating .venv-test with aioquic for the QUIC interop test"
        python3 -m venv .venv-test
        .venv-test/bin/pip install -q aioquic
    fi
fi
