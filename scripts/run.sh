#!/usr/bin/env bash
# Sets everything up and runs the main job on the embedded default: SQLite under var/, demo data,
# then the HTTP service with the station page, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/intake db upgrade
.venv/bin/intake demo "$@"
# The label check at the dock: the sample cartons' order book, then a few of their photos
# (a correct label, a printed link, a carton without a label, another order's label).
.venv/bin/intake orders import sample_images/labels/orders.csv
.venv/bin/intake inspect --station DOCK-1 --operator demo \
    sample_images/labels/label_001.jpg sample_images/labels/label_057.jpg \
    sample_images/labels/label_019.jpg sample_images/labels/label_031.jpg
# Tokens to try the service with (each run makes new ones; `intake tokens list` shows them all).
station=$(.venv/bin/intake tokens create --role station --name "Demo dock" --json)
admin=$(.venv/bin/intake tokens create --role admin --name "Demo admin" --json)
token() { .venv/bin/python -c 'import json, sys; print(json.loads(sys.argv[1])["token"])' "$1"; }
port=${INTAKE_PORT:-8000}
echo
echo "station page: http://127.0.0.1:$port/station   (station token: $(token "$station"))"
echo "API docs:     http://127.0.0.1:$port/docs      (admin token:   $(token "$admin"))"
echo
exec .venv/bin/intake serve --host 127.0.0.1 --port "$port"
