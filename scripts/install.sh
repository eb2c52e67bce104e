#!/usr/bin/env bash
# Build embertorch (Rust extension, release) and install it with its Python dependencies.
# Cargo's build cache lives outside the clone, so repeated runs on one machine are quick.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/embertorch/target}"
python3 -m pip install --quiet --disable-pip-version-check "numpy>=1.24" "$@"
if python3 -c "import maturin" 2>/dev/null; then
    # maturin is already here: skip pip's isolated build environment.
    python3 -m pip install --quiet --disable-pip-version-check --no-build-isolation --no-deps .
else
    python3 -m pip install --quiet --disable-pip-version-check --no-deps .
fi
