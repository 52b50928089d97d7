#!/usr/bin/env bash
# Sets everything up and runs the main job on the embedded default: SQLite under var/, demo data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/intake db upgrade
.venv/bin/intake demo "$@"
