"""Hybridized vs eager training throughput (samples/s) on the CPU.

    PYTHONPATH=bindings/python python3 bench/bench_hybrid.py [--seconds 2]

Nets: the seed MLP (784-100-10) at batch 32 and 256, and a LeNet-style CNN
(conv5x5x20-pool-conv5x5x50-pool-dense500-dense10) on 1x28x28 at batch 64.
One step = forward under record, loss, backward, Trainer.step (SGD).
--block-only times just the block: forward under record and backward from a
fixed head gradient (no loss, no optimizer), i.e. the part hybridize changes."""
import argparse
import time

import numpy as np

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import nn


def mlp():
    net = nn.HybridSequential()
    net.add(nn.Dense(100, activation="relu"), nn.Dense(10))
    return net


def lenet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(20, 5, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(50, 5, activation="relu"),
            nn.MaxPool2D(2), nn.Dense(500, activation="relu"), nn.Dense(10))
    return net


def throughput(factory, shape, hybrid, seconds, block_only=False):
    mx.random.seed(0)
    net = factory()
    net.initialize(mx.init.Xavier())
    if hybrid:
        net.hybridize(static_alloc=True, static_shape=True)
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01})
    lf = gluon.loss.SoftmaxCrossEntropyLoss()
    rs = np.random.RandomState(0)
    x = nd.array(rs.rand(*shape).astype("float32"))
    y = nd.array(rs.randint(0, 10, shape[0]).astype("float32"))

    head = nd.ones((shape[0], 10))

    def step():
        with autograd.record():
            out = net(x)
            loss = None if block_only else lf(out, y)
        if block_only:
            out.backward(head)
        else:
            loss.backward()
            tr.step(shape[0])

    for _ in range(3):
        step()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        step()
        n += 1
    nd.waitall()
    return n * shape[0] / (time.perf_counter() - t0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--block-only", action="store_true", help="time only the block's forward + backward")
    a = ap.parse_args()
    print("%-22s %14s %14s %7s" % ("net", "eager samp/s", "hybrid samp/s", "ratio"))
    for name, fac, shape in [("mlp b32", mlp, (32, 784)), ("mlp b256", mlp, (256, 784)),
                             ("lenet b64", lenet, (64, 1, 28, 28))]:
        e = throughput(fac, shape, False, a.seconds, a.block_only)
        h = throughput(fac, shape, True, a.seconds, a.block_only)
        print("%-22s %14.0f %14.0f %7.2f" % (name, e, h, h / e))


if __name__ == "__main__":
    main()
