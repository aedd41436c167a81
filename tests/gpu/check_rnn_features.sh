#!/usr/bin/env bash
# Short GPU check of the fused RNN's projection / sequence-length paths on CUDA
# (run from the repository root with prebuilt libraries in $BUILD, default build/):
#   1. the CUDA module loads with a device
#   2. the cross-backend RNN cases, CPU vs CUDA (the CUDA RNN driver with LSTM
#      projection and float sequence lengths: keep_rows_k in cuda_rnn.cu; and
#      integer lengths, which run the CPU op from device tensors)
#   3. Gluon LSTM(projection_size) and GRU(use_sequence_length) on mx.gpu(0),
#      eager and hybridized, outputs and gradients vs the CPU
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUILD="${BUILD:-$ROOT/build}"
if [ -z "${MXCORE_CUBLAS:-}" ] && ! ldconfig -p 2>/dev/null | grep -q 'libcublas\.so'; then
  MXCORE_CUBLAS="$(python3 -c "
import glob, os, site
for d in site.getsitepackages():
    hits = sorted(glob.glob(os.path.join(d, 'nvidia', '**', 'libcublas.so.*'), recursive=True))
    if hits:
        print(hits[-1]); break" 2>/dev/null)"
  export MXCORE_CUBLAS
fi
export PYTHONPATH="$ROOT/bindings/python" MXCORE_LIB="$BUILD/libmxcore.so" MXCORE_HARNESS_LIB="$BUILD/libmxcore.so"
export MXCORE_TEST_DEVICE=cuda
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
python3 -c "import sys, json; sys.path.insert(0, '$ROOT/tests/backends'); from conftest import features; print(json.dumps(features()['backends']['cuda']))"
status=0
timeout 240 python3 -m pytest -q -rfE -p no:cacheprovider "$ROOT/tests/backends" -k "rnn or RNN" 2>&1 | tail -15 || status=1
timeout 120 python3 - <<'PY' || status=1
import numpy as np
import mxcore as mx
from mxcore import autograd, nd
from mxcore.gluon import rnn

def run(ctx, make, x, lens, hybrid):
    mx.random.seed(0)
    layer = make()
    layer.initialize(mx.init.Uniform(0.5), ctx=ctx)
    if hybrid:
        layer.hybridize()
    xd = nd.array(x, ctx=ctx)
    xd.attach_grad()
    with autograd.record():
        y = layer(xd) if lens is None else layer(xd, sequence_length=nd.array(lens, ctx=ctx))
        y.sum().backward()
    return y.asnumpy(), xd.grad.asnumpy()

x = np.random.default_rng(0).uniform(-1, 1, (6, 4, 5)).astype(np.float32)
cases = [("LSTMP", lambda: rnn.LSTM(8, num_layers=2, bidirectional=True, projection_size=3, input_size=5), None),
         ("GRU lengths", lambda: rnn.GRU(8, bidirectional=True, use_sequence_length=True, input_size=5), [6, 2, 4, 1])]
bad = 0
for name, make, lens in cases:
    for hybrid in (False, True):
        yc, gc = run(mx.cpu(), make, x, lens, hybrid)
        yg, gg = run(mx.gpu(0), make, x, lens, hybrid)
        ok = np.allclose(yc, yg, rtol=1e-4, atol=1e-5) and np.allclose(gc, gg, rtol=1e-4, atol=1e-5)
        bad += not ok
        print("%-12s hybrid=%d  max|y diff| %.2e  max|dx diff| %.2e  %s"
              % (name, hybrid, np.abs(yc - yg).max(), np.abs(gc - gg).max(), "ok" if ok else "MISMATCH"))
raise SystemExit(1 if bad else 0)
PY
exit $status
