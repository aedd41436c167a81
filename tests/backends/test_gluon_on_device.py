"""Gluon programs on the device, as a user writes them: the seed MLP with
SoftmaxCrossEntropyLoss and Trainer('sgd', momentum), and a stacked
bidirectional LSTM with a Dense head, trained on ctx=mx.opencl(0) (or
mx.gpu(0)) with MXCORE_STRICT_DEVICE=1 — every op of forward, backward, loss
and update must have a device kernel — and compared with the same run on
the CPU. Each program runs in a subprocess with the installed package."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import DEVICE, require_backend

PROGRAM = r"""
import json, sys
import numpy as np
import mxcore as mx
from mxcore import autograd, gluon, nd

def net_of(kind):
    net = gluon.nn.HybridSequential()
    if kind == "mlp":
        net.add(gluon.nn.Dense(100, activation="relu"), gluon.nn.Dense(10))
    else:
        net.add(gluon.rnn.LSTM(16, num_layers=2, layout="TNC", input_size=8, bidirectional=True),
                gluon.nn.Dense(10, flatten=False))
    return net

def train(kind, ctx, hybrid):
    mx.random.seed(0)
    net = net_of(kind)
    net.initialize(mx.init.Xavier(), ctx=ctx)
    if hybrid:
        net.hybridize()
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    lf = gluon.loss.SoftmaxCrossEntropyLoss()
    rs = np.random.RandomState(0)
    shape, ys = ((32, 784), (32,)) if kind == "mlp" else ((6, 4, 8), (6, 4))
    x = nd.array(rs.rand(*shape).astype("f"), ctx=ctx)
    y = nd.array(rs.randint(0, 10, ys).astype("f"), ctx=ctx)
    losses = []
    for _ in range(6):
        with autograd.record():
            loss = lf(net(x), y)
        loss.backward()
        tr.step(x.shape[0] if kind == "mlp" else 24)
        losses.append(float(loss.mean().asscalar()))
    return losses

kind, dev, hybrid = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
ctx = mx.opencl(0) if dev == "opencl" else mx.gpu(0)
print(json.dumps({"cpu": train(kind, mx.cpu(), hybrid), "dev": train(kind, ctx, hybrid)}))
"""


@pytest.mark.parametrize("kind,hybrid", [("mlp", False), ("mlp", True), ("lstm", False)])
def test_gluon_training_runs_on_device_like_cpu(kind, hybrid):
    require_backend()
    count = "num_opencl_devices" if DEVICE == "opencl" else "num_gpus"
    probe = subprocess.run([sys.executable, "-c", f"import mxcore as mx; print(mx.context.{count}())"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip("the mxcore package is not importable here: " + probe.stderr.strip()[-200:])
    if int(probe.stdout.split()[-1]) == 0:
        pytest.skip(f"the installed mxcore package has no {DEVICE} device")
    env = dict(os.environ, MXCORE_STRICT_DEVICE="1")
    r = subprocess.run([sys.executable, "-c", PROGRAM, kind, DEVICE, "1" if hybrid else "0"], env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    res = json.loads(r.stdout.strip().splitlines()[-1])
    assert res["cpu"][-1] < res["cpu"][0]  # it trains
    np.testing.assert_allclose(res["dev"], res["cpu"], rtol=1e-4, atol=1e-5)
