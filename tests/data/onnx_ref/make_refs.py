"""Writes the reference ONNX files of tests/python/onnx/test_mxnet_refs.py with MXNet 1.9.1.

Run once in an MXNet 1.9.1 environment (pip install mxnet==1.9.1 numpy==1.23.5 onnx==1.14.1):
    python tests/data/onnx_ref/make_refs.py
Each model <name>.onnx is exported by MXNet's own mx.onnx.export_model; <name>-io.npz holds
the input MXNet ran and the outputs MXNet predicted. MXNet 1.9.1 writes the installed onnx's
newest opset (19 with onnx 1.14, the oldest onnx with Python 3.11 wheels), where its
ReduceMean translation (axes as an attribute) is no longer valid; the models with a
reduction are written at opset 13 (what MXNet wrote with the onnx 1.8 of its day) by
pinning onnx.defs.onnx_opset_version, which MXNet's exporter reads, and checking its graph
against that opset (MXNet checks the bare graph, i.e. against the newest opset)."""
import os

import mxnet as mx
import numpy as np
from mxnet import gluon, nd

HERE = os.path.dirname(os.path.abspath(__file__))


def pin_opset(opset):
    import onnx
    import onnx.checker
    import onnx.defs
    onnx.defs.onnx_opset_version = lambda: opset
    check_model = onnx.checker.check_model
    onnx.checker.check_graph = lambda graph, ctx=None: check_model(
        onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", opset)]))


def save(name, net, x, opset=None):
    if opset is not None:
        pin_opset(opset)
    net.hybridize()
    y = net(x)
    prefix = os.path.join(HERE, name)
    net.export(prefix, 0)
    mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [x.shape], np.float32,
                         prefix + ".onnx")
    os.remove(prefix + "-symbol.json")
    os.remove(prefix + "-0000.params")
    np.savez(prefix + "-io.npz", x=x.asnumpy(), y=y.asnumpy())


def randomize(net, seed):
    rng = np.random.RandomState(seed)
    for name, p in net.collect_params().items():
        if name.endswith("running_var"):
            v = rng.uniform(0.5, 1.5, p.shape)
        else:
            v = rng.uniform(-0.3, 0.3, p.shape)
        p.set_data(nd.array(v))


def mlp():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(24, activation="relu"), gluon.nn.Dense(16, activation="tanh"), gluon.nn.Dense(5))
    net.initialize()
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (4, 12)))
    net(x)
    randomize(net, 1)
    save("mxnet_mlp", net, x)


def cnn():
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(8, 3, padding=1), gluon.nn.BatchNorm(), gluon.nn.Activation("relu"),
            gluon.nn.MaxPool2D(2), gluon.nn.Conv2D(12, 3, strides=2, groups=4), gluon.nn.BatchNorm(),
            gluon.nn.LeakyReLU(0.1), gluon.nn.AvgPool2D(2, ceil_mode=True), gluon.nn.Flatten(), gluon.nn.Dense(6))
    net.initialize()
    x = nd.array(np.random.RandomState(2).uniform(0, 1, (2, 3, 16, 16)))
    net(x)
    randomize(net, 3)
    save("mxnet_cnn", net, x, opset=13)


class Mixed(gluon.HybridBlock):
    """Ops beyond layers: reshape codes, transpose, concat, slice, reductions, scalar ops, softmax."""

    def __init__(self, **kw):
        super().__init__(**kw)
        self.fc = gluon.nn.Dense(12, flatten=False)

    def hybrid_forward(self, F, x):
        h = self.fc(x)                                  # (2, 3, 12)
        a = F.reshape(h, shape=(0, -1, 4))              # (2, 9, 4)
        b = F.transpose(a, axes=(0, 2, 1))              # (2, 4, 9)
        c = F.concat(F.slice_axis(b, axis=2, begin=0, end=3), F.clip(b, -0.5, 0.5), dim=2)
        d = F.softmax(c * 2.0 + 1.0, axis=-1)
        e = F.mean(d, axis=1) - F.max(c, axis=1)
        return F.sigmoid(e)


def mixed():
    net = Mixed()
    net.initialize()
    x = nd.array(np.random.RandomState(4).uniform(-1, 1, (2, 3, 5)))
    net(x)
    randomize(net, 5)
    save("mxnet_mixed", net, x, opset=13)


if __name__ == "__main__":
    mlp()
    cnn()
    mixed()
