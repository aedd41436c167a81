#!/usr/bin/env bash
# GPU check for the CUDA backend module (one H100/H200 is plenty; < 8 minutes):
#   1. configure + build libmxcore and libmxcore-cuda (sm_80/sm_90), or use the
#      libraries in $MXCORE_GPU_PREBUILT (a build folder made elsewhere) when
#      their CUDA module loads here
#   2. cross-backend op test CPU vs CUDA (MXCORE_TEST_DEVICE=cuda)
#   3. seed MLP (float32 and float16), a LeNet CNN with BatchNorm and Dropout,
#      and Gluon programs (MLP eager/hybridized, stacked LSTM) trained on the GPU,
#      losses vs the CPU (strict: no CPU fallback); DLPack both ways with torch
#   4. benchmark vs PyTorch CUDA: float32 GEMM and seed-MLP training
# Writes $OUT/gpu_report.md (plus logs); OUT defaults to ./gpu-out.
# cuBLAS: found by the loader, or in a pip wheel (nvidia-cublas) whose path is
# passed to the module as MXCORE_CUBLAS.
# Usage: tests/gpu/run.sh   (from anywhere; needs cmake, nvcc, python3 with numpy, cffi, pytest; torch for step 4)
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-$ROOT/gpu-out}"
BUILD="${MXCORE_GPU_BUILD:-$ROOT/build-gpu}"
mkdir -p "$OUT"
REPORT="$OUT/gpu_report.md"
status=0
step() { echo "== $* ($(date -u +%T))" | tee -a "$OUT/run.log"; }

{
  echo "# mxcore CUDA backend check"
  echo
  echo "- date: $(date -u +%FT%TZ)"
  echo "- gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi unavailable')"
  echo "- nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo 'not found')"
} > "$REPORT"

if [ -z "${MXCORE_CUBLAS:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so'; then
  MXCORE_CUBLAS="$(python3 - <<'EOF' 2>/dev/null
import glob, os, site
for d in site.getsitepackages():
    hits = sorted(glob.glob(os.path.join(d, "nvidia", "**", "libcublas.so.*"), recursive=True))
    if hits:
        print(hits[-1]); break
EOF
)"
  export MXCORE_CUBLAS
fi
export PYTHONPATH="$ROOT/bindings/python${PYTHONPATH:+:$PYTHONPATH}" MXCORE_TEST_DEVICE=cuda

cuda_loaded() {  # $1: libmxcore.so; prints the module's features, succeeds when it loaded with a device
  MXCORE_LIB="$1" python3 -c "
import sys, json; sys.path.insert(0, '$ROOT/tests/backends')
from conftest import features
info = features()['backends']['cuda']; print(json.dumps(info))
sys.exit(0 if info.get('loaded') and info.get('devices') else 1)"
}

step "build"
LIB=""
if [ -n "${MXCORE_GPU_PREBUILT:-}" ] && cuda_loaded "$MXCORE_GPU_PREBUILT/libmxcore.so" > "$OUT/prebuilt.log" 2>&1; then
  LIB="$MXCORE_GPU_PREBUILT/libmxcore.so"
  echo "- build: prebuilt libraries from $MXCORE_GPU_PREBUILT" >> "$REPORT"
else
  [ -n "${MXCORE_GPU_PREBUILT:-}" ] && { echo "prebuilt module did not load:"; cat "$OUT/prebuilt.log"; }
  if timeout 240 cmake -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMXCORE_CUDA=ON -DMXCORE_OPENCL=OFF -DMXCORE_TESTS=OFF "$ROOT" \
       > "$OUT/build.log" 2>&1 &&
     timeout 300 cmake --build "$BUILD" -j"$(nproc)" >> "$OUT/build.log" 2>&1; then
    LIB="$BUILD/libmxcore.so"
    echo "- build: ok" >> "$REPORT"
  else
    echo "- build: FAILED (see build.log)" >> "$REPORT"
    tail -30 "$OUT/build.log"
    exit 1
  fi
fi
export MXCORE_LIB="$LIB"
echo "- cuda module: $(cuda_loaded "$LIB" 2>&1 | tail -1)" >> "$REPORT"
echo "- cuBLAS given by MXCORE_CUBLAS: ${MXCORE_CUBLAS:-(none; loader path)}" >> "$REPORT"

run_tests() {  # $1: label, $2: log name, $3: timeout, rest: pytest arguments
  local label="$1" log="$OUT/$2" limit="$3"; shift 3
  step "$label"
  if timeout "$limit" python3 -m pytest -q -rfE -p no:cacheprovider "$@" > "$log" 2>&1; then
    echo "- $label: $(tail -1 "$log")" >> "$REPORT"
  else
    status=1
    echo "- $label: FAILED: $(tail -1 "$log")" >> "$REPORT"
    grep -E '^(FAILED|ERROR)' "$log" | head -40 >> "$REPORT"
  fi
}

run_tests "cross-backend CPU vs CUDA" cross_backend.log 180 "$ROOT/tests/backends/test_cross_backend.py"
export MXCORE_CUDA_CONV_COLS=100  # column buffer of one sample: tests the chunked convolution path
run_tests "Convolution in one-sample chunks (MXCORE_CUDA_CONV_COLS=100)" conv_chunks.log 60 \
  "$ROOT/tests/backends/test_cross_backend.py" -k Convolution
unset MXCORE_CUDA_CONV_COLS
run_tests "seed MLP (fp32, fp16), LeNet, Gluon MLP/LSTM on the GPU (strict) vs CPU losses; DLPack with torch" \
  training.log 150 "$ROOT/tests/backends/test_device_runtime.py" "$ROOT/tests/backends/test_train_lenet.py" \
  "$ROOT/tests/backends/test_gluon_on_device.py" "$ROOT/tests/backends/test_dlpack_cuda.py"

step "benchmark vs PyTorch CUDA"
{
  echo
  echo "## Benchmark vs PyTorch CUDA (bench/bench_gpu.py)"
  echo '```'
  timeout 120 python3 "$ROOT/bench/bench_gpu.py" --json "$OUT/bench_gpu.json" 2>&1 || echo "benchmark failed"
  echo '```'
} >> "$REPORT"

cat "$REPORT"
exit $status
