#!/usr/bin/env bash
# Sets everything up and runs the main job on the embedded default: SQLite under var/, demo data.
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
