#!/usr/bin/env bash
# The README's "run the main job" command: installs mxcore into a virtualenv
# (pip install . builds the C core with CMake through scikit-build-core) and
# trains the digits models (an MLP and a small CNN), printing accuracy.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${MXCORE_VENV:-$PWD/.venv}
if command -v apt-get >/dev/null && ! dpkg -s libopenblas-dev >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  # OpenBLAS makes GEMM fast; without it the build falls back to a portable kernel
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopenblas-dev pkg-config cmake >/dev/null || true
fi
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q . scikit-learn
"$VENV/bin/python" examples/train_digits.py "$@"
