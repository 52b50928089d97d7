#!/usr/bin/env bash
# Installs what the project needs on Debian (run as root): system packages, then a virtualenv in .venv.
#   scripts/setup.sh          the service and its command-line tool
#   scripts/setup.sh --dev    also the test and lint tools, and the PostgreSQL server for the tests
set -euo pipefail
cd "$(dirname "$0")/.."

# libzbar0: pyzbar's barcode library. libgl1, libglib2.0-0: the OpenCV build with GUI windows.
# fonts-dejavu-core (Latin, Vietnamese), fonts-droid-fallback (Chinese), iso-codes (country names):
# what `intake relabel` prints with.
packages=(libzbar0 libgl1 libglib2.0-0 fonts-dejavu-core fonts-droid-fallback iso-codes)
# A Python with venv: Debian's own python3 when no other is on the PATH.
python=${PYTHON:-python3}
if ! "$python" -c 'import venv, ensurepip' 2>/dev/null; then
    packages+=(python3 python3-venv python3-dev)
    python=/usr/bin/python3
fi
# poppler-utils (pdftoppm, pdftotext): label tests; chromium: the station page tests (Playwright);
# openssl: a certificate for the https test
[[ "${1:-}" == "--dev" ]] && packages+=(postgresql poppler-utils chromium openssl)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing Debian packages: ${missing[*]}"
    if [[ $(id -u) -ne 0 ]]; then
        echo "setup: these need root: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "setup: Python 3.11 or newer is needed ($python is $("$python" --version 2>&1))" >&2
    exit 1
fi
[[ -x .venv/bin/python ]] || "$python" -m venv .venv
extra=""
[[ "${1:-}" == "--dev" ]] && extra="[dev]"
# Re-running is cheap: pip runs only when pyproject.toml or the extras changed since last time.
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)${extra}"
if [[ ! -f "$stamp" ]]; then
    echo "setup: installing Python packages into .venv"
    if ! .venv/bin/python -m pip install --disable-pip-version-check -e ".${extra}" \
            >.venv/pip.log 2>&1; then
        cat .venv/pip.log >&2
        echo "setup: pip failed (log above, also in .venv/pip.log)" >&2
        exit 1
    fi
    # rapidocr depends on opencv-python-headless, whose cv2 files overwrite those of opencv-python
    # (the build with windows, for the desktop station): put the windowed build's files back.
    cv2_version=$(.venv/bin/python -c 'import importlib.metadata as m; print(m.version("opencv-python"))')
    .venv/bin/python -m pip install --disable-pip-version-check --force-reinstall --no-deps \
        "opencv-python==$cv2_version" >>.venv/pip.log 2>&1
    rm -f .venv/.installed-*
    touch "$stamp"
fi
.venv/bin/python -c "import pyzbar.pyzbar, cv2, rapidocr, onnxruntime, intake, scanner, api
assert 'NONE' not in cv2.getBuildInformation().split('GUI:')[1].split()[0], 'headless OpenCV'" \
    || { rm -f "$stamp"; echo "setup: the installation is incomplete (see above)" >&2; exit 1; }
