#!/usr/bin/env bash
# Every test: the Rust core's cargo tests, then the Python suite (which also runs the
# tutorials in ../shared/tutorials when that folder is beside the repository).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/embertorch/target}"
bash scripts/install.sh "pytest>=7" "hypothesis>=6"
cargo test --release
# Run from outside the source tree so the installed package is the one under test.
cd tests && python3 -m pytest -q -p no:cacheprovider .
# The tutorials once more through their own runner, when they sit beside the repository.
if [ -f ../../shared/tutorials/run_all.sh ]; then
    bash ../../shared/tutorials/run_all.sh embertorch
fi
