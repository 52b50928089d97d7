#!/usr/bin/env bash
# Sets everything up (system packages included), starts PostgreSQL, then runs lint, types and the
# whole test suite against SQLite and PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
source scripts/postgres.sh
.venv/bin/ruff check .
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
