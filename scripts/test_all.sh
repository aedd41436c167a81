#!/usr/bin/env bash
# The README's test command: installs what the tests need on a fresh Debian
# machine (apt + pip), builds the core, and runs every test of every language:
#   1. C: ctest (unit tests, op fuzzing, ABI guard, installed-library example)
#   2. C again under AddressSanitizer + UndefinedBehaviorSanitizer (incl. leaks)
#   3. Python: `pip install .` into a fresh venv, then pytest tests/python;
#      then the OpenCL backend against the CPU on PoCL (tests/backends), both
#      suites again over the ASan + UBSan build of the core, and MXNet 1.9.1
#      (own venv) reading the files mxcore writes (tests/compat)
#   4. Python with numpy 1.26 (compatibility job, NDArray/autograd subset)
#   5. R, Scala and Perl suites (tests/bindings/run_all.sh)
# Environment: MXCORE_SKIP_APT=1 skips apt-get; MXCORE_SKIP_MXNET_COMPAT=1 skips the
# MXNet 1.9.1 round trip (it downloads MXNet from PyPI); MXCORE_JOBS sets build parallelism.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
JOBS=${MXCORE_JOBS:-$(nproc)}
WORK=${MXCORE_TEST_WORK:-$ROOT/build-test}
mkdir -p "$WORK"
step() { printf '\n==== %s ====\n' "$*"; }

# ---- system packages -------------------------------------------------------
APT_PKGS="build-essential cmake pkg-config python3-venv libopenblas-dev \
  ocl-icd-opencl-dev opencl-headers pocl-opencl-icd \
  r-base-core r-cran-testthat r-cran-jsonlite scala libjna-java junit4 libffi-platypus-perl pdl"
if [ "${MXCORE_SKIP_APT:-0}" != 1 ] && command -v apt-get >/dev/null; then
  missing=$(for p in $APT_PKGS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    step "apt-get install $(echo $missing | tr '\n' ' ')"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
fi

# ---- 1. C build + ctest ------------------------------------------------------
step "C core: build and ctest"
cmake -S . -B "$WORK/c" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$WORK/c" -j"$JOBS" 2>&1 | grep -E "warning|error" || true
ctest --test-dir "$WORK/c" --output-on-failure -j"$JOBS"

# ---- 2. sanitizers ---------------------------------------------------------------
step "C core under ASan + UBSan"
cmake -S . -B "$WORK/asan" -DCMAKE_BUILD_TYPE=Debug -DMXCORE_SANITIZE=ON >/dev/null
cmake --build "$WORK/asan" -j"$JOBS" >/dev/null
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir "$WORK/asan" --output-on-failure -j"$JOBS" -E install_example

# ---- 3. Python package in a fresh venv ----------------------------------------------
step "Python: pip install . into a fresh venv, then pytest"
VENV=$WORK/venv
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "numpy>=2" pytest scikit-learn graphviz pillow onnx onnxruntime
"$VENV/bin/python" -m pip install -q "$ROOT"
# the package uses the library it installed; the op harness uses the C build
(cd "$WORK" && MXCORE_HARNESS_LIB="$WORK/c/libmxcore.so" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python")

# ---- 3b. device backends: OpenCL on PoCL (the module must load here) ------------------
step "OpenCL backend on PoCL: cross-backend op tests vs the CPU"
MXCORE_HARNESS_LIB="$WORK/c/libmxcore.so" "$VENV/bin/python" - <<'PY'
import json, os, sys
sys.path.insert(0, os.path.join("tests", "python", "ops"))
import harness
out = harness.ffi.new("const char **")
harness.check(harness.lib.mx_runtime_features_json(out))
f = json.loads(harness.ffi.string(out[0]).decode())
ocl = f.get("backends", {}).get("opencl", {})
print("opencl backend:", json.dumps(ocl)[:300])
sys.exit(0 if ocl.get("loaded") and ocl.get("devices", ocl.get("device_count", 0)) else "the OpenCL module did not load: see the reason above")
PY
(cd "$WORK" && MXCORE_HARNESS_LIB="$WORK/c/libmxcore.so" "$VENV/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/backends")

# ---- 3c. the same suites on the core built with ASan + UBSan --------------------------
# (the source-tree package in cffi ABI mode over the sanitized library;
# --capture=sys so a sanitizer report written by C reaches the log; the
# packaging tests need the installed wheel and ran above)
step "Python and OpenCL suites on the ASan + UBSan core"
SAN_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libubsan.so)"
for suite in tests/python tests/backends; do  # separate runs: each has its own conftest
  (cd "$WORK" && LD_PRELOAD="$SAN_PRELOAD" ASAN_OPTIONS=detect_leaks=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     PYTHONPATH="$ROOT/bindings/python" MXCORE_LIB="$WORK/asan/libmxcore.so" MXCORE_HARNESS_LIB="$WORK/asan/libmxcore.so" \
     "$VENV/bin/python" -m pytest -q -p no:cacheprovider --capture=sys "$ROOT/$suite" -k "not packaging and not pyi_fresh and not gluon_on_device")
done

# ---- 3d. MXNet 1.9.1 reads what mxcore writes ------------------------------------------
# (the other direction — mxcore reading MXNet's files — is in the pytest suites,
# on files MXNet 1.9.1 wrote into tests/data/mxnet_ref)
if [ "${MXCORE_SKIP_MXNET_COMPAT:-0}" != 1 ]; then
  step "MXNet 1.9.1 loads mxcore's .params, exported models and save_parameters files"
  VENVMX=$WORK/venv-mxnet
  [ -x "$VENVMX/bin/python" ] || python3 -m venv "$VENVMX"
  "$VENVMX/bin/python" -m pip install -q "mxnet==1.9.1" "numpy==1.23.5" "onnx==1.14.1"
  rm -rf "$WORK/compat" && "$VENV/bin/python" tests/compat/write_with_mxcore.py "$WORK/compat"
  "$VENVMX/bin/python" tests/compat/read_with_mxnet.py "$WORK/compat"
fi

# ---- 4. numpy 1.26 compatibility -------------------------------------------------------
step "Python with numpy 1.26"
VENV1=$WORK/venv-np1
[ -x "$VENV1/bin/python" ] || python3 -m venv "$VENV1"
"$VENV1/bin/python" -m pip install -q "numpy==1.26.*" pytest cffi
(cd "$WORK" && PYTHONPATH="$ROOT/bindings/python" MXCORE_LIB="$WORK/c/libmxcore.so" \
  "$VENV1/bin/python" -m pytest -q -p no:cacheprovider "$ROOT/tests/python/test_ndarray.py" "$ROOT/tests/python/test_autograd.py")

# ---- 5. R, Scala, Perl -------------------------------------------------------------------
if [ -x tests/bindings/run_all.sh ]; then
  step "R, Scala and Perl bindings"
  cmake --install "$WORK/c" --prefix "$WORK/prefix" >/dev/null
  MXCORE_PREFIX="$WORK/prefix" PYTHON="$VENV/bin/python" tests/bindings/run_all.sh
fi
step "all test suites passed"
