"""A LeNet-style CNN trains entirely on the device (MXCORE_STRICT_DEVICE=1:
any CPU fallback is an error) and its losses match the same training run on
the CPU: Conv(6,5)-relu-maxpool-Conv(16,5)-relu-maxpool-FC(120)-relu-FC(10),
softmax cross-entropy, sgd_update, batch 8 of 1x28x28 random data."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import DEVICE, H, require_backend, strict_device, to_dev

SHAPES = {"c1_w": (6, 1, 5, 5), "c1_b": (6,), "c2_w": (16, 6, 5, 5), "c2_b": (16,),
          "f1_w": (120, 256), "f1_b": (120,), "f2_w": (10, 120), "f2_b": (10,)}


def _forward(p, x, y, use_bn_dropout):
    inv = H.invoke_handles

    def conv_block(h, w, b, nf, bn):
        h = inv("Convolution", [h, p[w], p[b]], {"kernel": (5, 5), "num_filter": nf})[0]
        if use_bn_dropout:
            h = inv("BatchNorm", [h] + [p[f"{bn}_{k}"] for k in ("g", "b", "mm", "mv")], {"fix_gamma": False})[0]
        h = inv("Activation", [h], {"act_type": "relu"})[0]
        return inv("Pooling", [h], {"kernel": (2, 2), "stride": (2, 2), "pool_type": "max"})[0]

    h = conv_block(x, "c1_w", "c1_b", 6, "bn1")
    h = conv_block(h, "c2_w", "c2_b", 16, "bn2")
    h = inv("Flatten", [h])[0]
    h = inv("FullyConnected", [h, p["f1_w"], p["f1_b"]], {"num_hidden": 120})[0]
    h = inv("Activation", [h], {"act_type": "relu"})[0]
    if use_bn_dropout:
        h = inv("Dropout", [h], {"p": 0.25})[0]
    h = inv("FullyConnected", [h, p["f2_w"], p["f2_b"]], {"num_hidden": 10})[0]
    return inv("softmax_cross_entropy", [h, y])[0]


def _train(put, params, batches, use_bn_dropout, steps):
    p = {k: put(v) for k, v in params.items()}
    learn = [k for k in p if not k.endswith(("_mm", "_mv"))]
    prev = H.ffi.new("int *")
    H.check(H.lib.mx_autograd_set_training(1, prev))
    H.check(H.lib.mx_random_seed(7))
    losses = []
    try:
        for step in range(steps):
            x, y = (put(a) for a in batches[step])
            hs = [p[k] for k in learn]
            H.check(H.lib.mx_autograd_mark_variables(H.ffi.new("mx_tensor[]", hs), H.ffi.new("int[]", [1] * len(hs)),
                                                     H.ffi.NULL, len(hs)))
            H.check(H.lib.mx_autograd_set_recording(1, H.ffi.NULL))
            try:
                loss = _forward(p, x, y, use_bn_dropout)
            finally:
                H.check(H.lib.mx_autograd_set_recording(0, H.ffi.NULL))
            H.check(H.lib.mx_autograd_backward(H.ffi.new("mx_tensor[]", [loss]), H.ffi.NULL, 1, 0, 1))
            losses.append(float(H.from_mx(loss).reshape(-1)[0]))
            for k in learn:
                g = H.ffi.new("mx_tensor *")
                H.check(H.lib.mx_tensor_grad(p[k], g))
                grad = H.ffi.gc(g[0], H._release)
                p[k] = H.invoke_handles("sgd_update", [p[k], grad], {"lr": 0.05, "rescale_grad": 1 / 8})[0]
    finally:
        H.check(H.lib.mx_autograd_set_training(prev[0], H.ffi.NULL))
    return losses, {k: H.from_mx(v) for k, v in p.items()}


@pytest.mark.parametrize("use_bn_dropout", [False, True], ids=["lenet", "lenet_bn_dropout"])
def test_lenet_trains_on_device_like_cpu(use_bn_dropout):
    require_backend()
    rng = np.random.default_rng(3)
    params = {k: (rng.standard_normal(s) * (0.1 if k.endswith("_w") else 0.01)).astype(np.float32)
              for k, s in SHAPES.items()}
    if use_bn_dropout:
        for bn, c in (("bn1", 6), ("bn2", 16)):
            params.update({f"{bn}_g": np.ones(c, np.float32), f"{bn}_b": np.zeros(c, np.float32),
                           f"{bn}_mm": np.zeros(c, np.float32), f"{bn}_mv": np.ones(c, np.float32)})
    steps = 4
    batch = (rng.standard_normal((8, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, size=8).astype(np.float32))
    batches = [batch] * steps  # one batch, so the loss must go down
    cpu_losses, cpu_params = _train(H.to_mx, params, batches, use_bn_dropout, steps)
    with strict_device():
        dev_losses, dev_params = _train(to_dev, params, batches, use_bn_dropout, steps)
    np.testing.assert_allclose(dev_losses, cpu_losses, rtol=1e-4, atol=1e-4, err_msg=f"{DEVICE} vs cpu losses")
    assert cpu_losses[-1] < cpu_losses[0]  # it trains
    for k in params:  # incl. the BatchNorm moving statistics updated on the device
        np.testing.assert_allclose(dev_params[k], cpu_params[k], rtol=1e-3, atol=1e-4, err_msg=k)
