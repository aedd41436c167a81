"""Shared checks of the ONNX tests: run a file with onnxruntime, compare with our forward.

Tolerance: float32 models whose kernels sum in a different order (OpenBLAS /
our convolutions vs onnxruntime's MLAS) differ by ~1e-6 relative per layer;
through the ~100-layer model-zoo nets that grows to ~1e-5. rtol = atol = 1e-4
(atol scaled by the output's magnitude) catches any wrong translation, which
moves outputs by far more, while leaving room for that summation order."""
from __future__ import annotations

import mxcore as mx
import numpy as np

RTOL = 1e-4


def assert_close(got, want, rtol=RTOL):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape, (got.shape, want.shape)
    finite = np.abs(want[np.isfinite(want)])  # -inf outputs (empty max windows) must match exactly
    scale = float(finite.max()) if finite.size else 1.0
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * max(1.0, scale))


def run_ort(path, feeds):
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.log_severity_level = 3  # errors only
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    return sess.run(None, feeds)


def randomize(params, seed=0):
    """Random values for every parameter (running variances positive) so that BatchNorm
    statistics and biases are exercised, not just their initial 0/1 values."""
    rng = np.random.RandomState(seed)
    for name, p in params.items():
        shape = p.shape
        if name.endswith(("running_var", "moving_var")):
            v = rng.uniform(0.5, 1.5, shape)
        elif name.endswith(("running_mean", "moving_mean", "bias", "beta")):
            v = rng.uniform(-0.2, 0.2, shape)
        elif name.endswith("gamma"):
            v = rng.uniform(0.8, 1.2, shape)
        else:
            fan_in = max(1, int(np.prod(shape[1:]))) if len(shape) > 1 else max(1, shape[0])
            v = rng.uniform(-1, 1, shape) * np.sqrt(3.0 / fan_in)
        p.set_data(mx.nd.array(v.astype(np.float32)))


def export_block(net, x, path, **kwargs):
    """Export a hybridized Gluon block run once on ``x``; returns (onnx path, our output)."""
    net.hybridize()
    want = net(x)
    prefix = str(path.with_suffix(""))
    net.export(prefix, 0)
    onnx_path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [x.shape], np.float32,
                                     str(path), **kwargs)
    return onnx_path, want


def import_forward(onnx_path, feeds):
    """Our outputs of an ONNX file, through import_model + a bound executor."""
    sym, arg_params, aux_params = mx.contrib.onnx.import_model(onnx_path)
    args = dict(arg_params, **{k: mx.nd.array(v) for k, v in feeds.items()})
    ex = sym.bind(mx.cpu(), args, aux_states=aux_params)
    return [o.asnumpy() for o in ex.forward(is_train=False)]
