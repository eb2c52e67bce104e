#!/usr/bin/env bash
# The main job: build and install embertorch, then run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
python3 examples/demo.py
