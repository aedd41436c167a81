#!/usr/bin/env bash
# GPU check for the CUDA backend module (one H100 is plenty; < 8 minutes):
#   1. configure + build libmxcore and libmxcore-cuda (sm_80/sm_90)
#   2. cross-backend op test CPU vs CUDA (MXCORE_TEST_DEVICE=cuda)
#   3. seed MLP (float32 and float16) and a LeNet CNN with BatchNorm and Dropout
#      trained on the GPU, losses vs the CPU (strict: no CPU fallback)
#   4. GEMM benchmark GPU vs CPU BLAS
# Writes $OUT/gpu_report.md (plus logs); OUT defaults to ./gpu-out.
# Usage: tests/gpu/run.sh   (from anywhere; needs cmake, nvcc, python3 with numpy, cffi, pytest)
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT="${OUT:-$ROOT/gpu-out}"
BUILD="${MXCORE_GPU_BUILD:-$ROOT/build-gpu}"
mkdir -p "$OUT"
REPORT="$OUT/gpu_report.md"
status=0
step() { echo "== $*" | tee -a "$OUT/run.log"; }

{
  echo "# mxcore CUDA backend check"
  echo
  echo "- date: $(date -u +%FT%TZ)"
  echo "- gpu: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'nvidia-smi unavailable')"
  echo "- nvcc: $(nvcc --version 2>/dev/null | tail -1 || echo 'not found')"
} > "$REPORT"

step "build"
if timeout 240 cmake -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DMXCORE_CUDA=ON -DMXCORE_OPENCL=OFF -DMXCORE_TESTS=OFF "$ROOT" \
     > "$OUT/build.log" 2>&1 &&
   timeout 300 cmake --build "$BUILD" -j"$(nproc)" >> "$OUT/build.log" 2>&1; then
  echo "- build: ok" >> "$REPORT"
else
  echo "- build: FAILED (see build.log)" >> "$REPORT"
  tail -30 "$OUT/build.log"
  exit 1
fi
export MXCORE_LIB="$BUILD/libmxcore.so" MXCORE_TEST_DEVICE=cuda
python3 -c "
import sys, json; sys.path.insert(0, '$ROOT/tests/backends')
from conftest import features
print('- cuda module:', json.dumps(features()['backends']['cuda']))" >> "$REPORT" 2>&1

step "cross-backend test (CPU vs CUDA)"
if timeout 240 python3 -m pytest -q "$ROOT/tests/backends/test_cross_backend.py" > "$OUT/cross_backend.log" 2>&1; then
  echo "- cross-backend CPU vs CUDA: $(tail -1 "$OUT/cross_backend.log")" >> "$REPORT"
else
  status=1
  echo "- cross-backend CPU vs CUDA: FAILED: $(tail -1 "$OUT/cross_backend.log")" >> "$REPORT"
fi

step "seed MLP and LeNet on the GPU"
if timeout 150 python3 -m pytest -q "$ROOT/tests/backends/test_device_runtime.py" -k "mlp or disabled" \
     "$ROOT/tests/backends/test_train_lenet.py" > "$OUT/mlp.log" 2>&1; then
  echo "- seed MLP (fp32, fp16) and LeNet (strict device) match CPU losses: $(tail -1 "$OUT/mlp.log")" >> "$REPORT"
else
  status=1
  echo "- seed MLP: FAILED: $(tail -1 "$OUT/mlp.log")" >> "$REPORT"
fi

step "GEMM benchmark"
{
  echo
  echo "## GEMM float32 (dot n x n), best of 5"
  echo '```'
  timeout 120 python3 "$ROOT/bench/bench_opencl.py" --device cuda --sizes 1024 2048 4096 --reps 5 2>&1 || echo "benchmark failed"
  echo '```'
} >> "$REPORT"

cat "$REPORT"
exit $status
