#!/usr/bin/env bash
# Sets everything up (system packages included), starts PostgreSQL, then runs lint, types and the
# whole test suite against SQLite and PostgreSQL. Extra arguments go to pytest (-n 0: one process).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
source scripts/postgres.sh
.venv/bin/ruff check .
.venv/bin/mypy
# Two test processes, each taking whole files (a file's tests share its fixtures): most tests wait
# on a server, a browser or a subprocess, so two keep both cores busy.
.venv/bin/python -m pytest -n 2 --dist loadfile "$@"
