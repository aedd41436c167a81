#!/usr/bin/env bash
# The README's "run the main job" command: installs mxcore into a virtualenv
# (pip install . builds the C core with CMake through scikit-build-core; BLAS
# comes from the scipy-openblas32 wheel, so pip and a C compiler are all it
# needs) and trains the digits models (an MLP and a small CNN), printing
# per-epoch loss/accuracy and the final test accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cc >/dev/null || command -v gcc >/dev/null || {
  echo "run_main.sh: a C compiler is needed (Debian: apt-get install build-essential)" >&2
  exit 1
}
VENV=${MXCORE_VENV:-$PWD/.venv}
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q . scikit-learn
"$VENV/bin/python" examples/train_digits.py "$@"
