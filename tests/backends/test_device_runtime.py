"""Device runtime behaviour: the seed MLP trains on the device with the CPU's
losses, offline-compiled program binaries load (the FPGA flow, round-tripped
with PoCL's own binaries), and a disabled module says why."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEVICE, DEV_TYPE, H, require_backend, strict_device, to_dev

HERE = os.path.dirname(os.path.abspath(__file__))


def _train_mlp(put, steps=20, lr=0.1, dtype=np.float32):
    """Seed MLP 784-100-10, relu, softmax_cross_entropy, SGD on a fixed
    dataset; returns the mean loss of every step."""
    rng = np.random.default_rng(7)
    n = 64
    x = rng.uniform(0, 1, size=(n, 784)).astype(dtype)
    y = rng.integers(0, 10, size=(n,)).astype(dtype)
    params = [rng.normal(0, 0.05, size=(100, 784)).astype(dtype), np.zeros(100, dtype),
              rng.normal(0, 0.1, size=(10, 100)).astype(dtype), np.zeros(10, dtype)]
    ps = [put(p) for p in params]
    xd, yd = put(x), put(y)
    have_sgd = any(op["name"] == "sgd_update" for op in H.manifest()["ops"])
    losses = []
    for _ in range(steps):
        vars_ = H.ffi.new("mx_tensor[]", ps)
        H.check(H.lib.mx_autograd_mark_variables(vars_, H.ffi.new("int[]", [1] * 4), H.ffi.NULL, 4))
        H.check(H.lib.mx_autograd_set_recording(1, H.ffi.NULL))
        try:
            h = H.invoke_handles("FullyConnected", [xd, ps[0], ps[1]], {"num_hidden": 100})[0]
            a = H.invoke_handles("relu", [h])[0]
            o = H.invoke_handles("FullyConnected", [a, ps[2], ps[3]], {"num_hidden": 10})[0]
            loss = H.invoke_handles("softmax_cross_entropy", [o, yd])[0]
        finally:
            H.check(H.lib.mx_autograd_set_recording(0, H.ffi.NULL))
        H.check(H.lib.mx_autograd_backward(H.ffi.new("mx_tensor[]", [loss]), H.ffi.NULL, 1, 0, 0))
        losses.append(float(H.from_mx(loss)[0]) / n)
        new = []
        for p in ps:
            g = H.ffi.new("mx_tensor *")
            H.check(H.lib.mx_tensor_grad(p, g))
            g = H.ffi.gc(g[0], H._release)
            if have_sgd:
                new.append(H.invoke_handles("sgd_update", [p, g], {"lr": lr, "rescale_grad": 1.0 / n})[0])
            else:
                step = H.invoke_handles("_mul_scalar", [g], {"scalar": lr / n})[0]
                new.append(H.invoke_handles("elemwise_sub", [p, step])[0])
        ps = new
    return losses


def test_seed_mlp_trains_on_device_like_cpu():
    require_backend()
    cpu = _train_mlp(H.to_mx)
    with strict_device():  # every op of forward, backward and update has a device kernel
        dev = _train_mlp(to_dev)
    assert cpu[-1] < cpu[0]
    np.testing.assert_allclose(dev, cpu, rtol=1e-4, atol=1e-4)


def test_seed_mlp_trains_in_float16_on_device_like_cpu():
    """float16 tensors on the device: every op runs its float32 kernel on
    device-side conversions (strict mode: nothing falls back to the CPU)."""
    require_backend()
    cpu = _train_mlp(H.to_mx, steps=10, dtype=np.float16)
    with strict_device():
        dev = _train_mlp(to_dev, steps=10, dtype=np.float16)
    assert cpu[-1] < cpu[0]
    np.testing.assert_allclose(dev, cpu, rtol=1e-2, atol=1e-2)


def _run(code: str, env: dict) -> str:
    full = dict(os.environ, **env)
    r = subprocess.run([sys.executable, "-c", code], cwd=HERE, env=full, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return r.stdout


PROBE = """
import json, numpy as np
from conftest import H, to_dev, features
a = np.arange(12, dtype=np.float32).reshape(3, 4)
r = H.invoke_handles('dot', [to_dev(a), to_dev(a.T.copy())])[0]
assert np.allclose(H.from_mx(r), a @ a.T)
print(json.dumps(features()['backends']['{dev}']))
"""


@pytest.mark.skipif(DEVICE != "opencl", reason="the binary flow is OpenCL's")
def test_prebuilt_binaries_round_trip(tmp_path):
    require_backend()
    export = tmp_path / "export"
    info = json.loads(_run(PROBE.format(dev="opencl"), {"MXCORE_OPENCL_EXPORT": str(export)}))
    assert (export / "mxcore_kernels.cl").exists()
    bins = list(export.glob("mxcore-*.bin"))
    assert bins, "no binary exported"
    info = json.loads(_run(PROBE.format(dev="opencl"),
                           {"MXCORE_OPENCL_BINARIES": str(export), "MXCORE_OPENCL_CACHE": "off"}))
    assert info["devices"][0]["program"].startswith("prebuilt:"), info
    # a generic name also works (one binary for a board)
    generic = tmp_path / "generic"
    generic.mkdir()
    (generic / "mxcore.bin").write_bytes(bins[0].read_bytes())
    info = json.loads(_run(PROBE.format(dev="opencl"),
                           {"MXCORE_OPENCL_BINARIES": str(generic), "MXCORE_OPENCL_CACHE": "off"}))
    assert info["devices"][0]["program"] == f"prebuilt:{generic}/mxcore.bin"


def test_disabled_module_reports_why():
    code = """
import json
from conftest import H, features, DEVICE, DEV_TYPE
b = features()['backends'][DEVICE]
out = H.ffi.new('mx_tensor *')
shape = H.ffi.new('int64_t[]', [2])
rc = H.lib.mx_tensor_create(shape, 1, 0, {'type': DEV_TYPE, 'id': 0}, out)
print(json.dumps([b, rc, H.ffi.string(H.lib.mx_last_error()).decode()]))
"""
    b, rc, msg = json.loads(_run(code, {"MXCORE_DISABLE_BACKENDS": DEVICE}))
    assert b["loaded"] is False and "MXCORE_DISABLE_BACKENDS" in b["reason"]
    assert rc != 0 and "MXCORE_DISABLE_BACKENDS" in msg


GEMM_PROBE = """
import numpy as np
from conftest import H, to_dev, strict_device
rng = np.random.default_rng(5)
for (m, k, n, ta, tb) in [(67, 130, 66, 0, 0), (5, 3, 40, 1, 0), (33, 17, 9, 0, 1), (1, 64, 1, 1, 1)]:
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(np.float32)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(np.float32)
    with strict_device():
        r = H.from_mx(H.invoke_handles('dot', [to_dev(a), to_dev(b)], {'transpose_a': bool(ta), 'transpose_b': bool(tb)})[0])
    want = (a.T if ta else a) @ (b.T if tb else b)
    np.testing.assert_allclose(r, want, rtol=1e-4, atol=1e-4)
print('ok')
"""


@pytest.mark.skipif(DEVICE != "opencl", reason="OpenCL GEMM variants")
@pytest.mark.parametrize("env", [{"MXCORE_OPENCL_GEMM": "tiled"}, {"MXCORE_OPENCL_GEMM": "packed", "MXCORE_OPENCL_GEMM_TILE": "3x1"},
                                 {"MXCORE_OPENCL_GEMM": "packed", "MXCORE_OPENCL_GEMM_TILE": "8x2"}])
def test_every_gemm_variant_matches_numpy(env):
    """The kernel a device does not pick by default still computes the same GEMM."""
    require_backend()
    assert _run(GEMM_PROBE, env).strip().endswith("ok")
