"""Generates the MXNet 1.9.1 reference files in this folder. Run ONCE with
MXNet itself (separate venv), never in CI:

    python3 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install mxnet==1.9.1 numpy==1.23.5
    /tmp/mxvenv/bin/python tests/data/mxnet_ref/make_refs.py

Files (all small):
  nd_list.params / nd_dict.params   nd.save of a list / dict of arrays of several dtypes
  <model>-symbol.json, <model>-0000.params   exported hybridized Gluon models
  <model>-io.params                 {"x": input, "y": MXNet's output} for that model
  <big>-symbol.json, <big>-io.params  model-zoo nets whose parameters are NOT stored:
                                    tests regenerate them with regen_params() below
  mlp-gluon.params                  net.save_parameters() of the MLP (structured names)
"""
import os

import mxnet as mx
import numpy as np
from mxnet import gluon, nd
from mxnet.gluon import nn, rnn
from regen import regen_params  # shared with the tests (numpy only)

HERE = os.path.dirname(os.path.abspath(__file__))
mx.random.seed(0)
np.random.seed(0)


def p(name):
    return os.path.join(HERE, name)


# ---- nd.save lists and dicts
arrays = [nd.array(np.arange(6).reshape(2, 3), dtype="float32"),
          nd.array(np.linspace(-1, 1, 5), dtype="float64"),
          nd.array([[1, -2], [3, 4]], dtype="int32"),
          nd.array([0, 255, 7], dtype="uint8"),
          nd.array([2 ** 40, -3], dtype="int64"),
          nd.array([0.5, -1.25], dtype="float16"),
          nd.array(np.random.randn(2, 3, 4), dtype="float32")]
nd.save(p("nd_list.params"), arrays)
nd.save(p("nd_dict.params"), {"weight": arrays[0], "bias": arrays[1], "counts": arrays[2]})


def export(net, name, x):
    net.hybridize()
    y = net(x)
    net.export(p(name), 0)
    nd.save(p(name + "-io.params"), {"x": x, "y": y})


# ---- the seed MLP
mlp = nn.HybridSequential()
mlp.add(nn.Dense(100, activation="relu"), nn.Dense(10))
mlp.initialize(mx.init.Xavier())
x = nd.random.uniform(shape=(4, 784))
export(mlp, "mlp", x)
mlp.save_parameters(p("mlp-gluon.params"))

# ---- a CNN with BatchNorm (running stats made non-trivial first)
cnn = nn.HybridSequential()
cnn.add(nn.Conv2D(8, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2),
        nn.Conv2D(16, 3), nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Dense(10))
cnn.initialize(mx.init.Xavier())
xc = nd.random.normal(shape=(2, 3, 12, 12))
with mx.autograd.record():
    cnn(xc)  # one training pass updates the BatchNorm running statistics
export(cnn, "cnn_bn", xc)

# ---- an LSTM language model (fused RNN op + _rnn_param_concat)


class LM(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.emb = nn.Embedding(50, 16)
            self.lstm = rnn.LSTM(16, num_layers=2)
            self.out = nn.Dense(50, flatten=False)

    def hybrid_forward(self, F, x):
        return self.out(self.lstm(self.emb(x)))


lm = LM()
lm.initialize(mx.init.Xavier())
xt = nd.array(np.random.randint(0, 50, size=(5, 3)))
export(lm, "lstm_lm", xt)

# ---- model-zoo nets: symbol + io only; parameters regenerated deterministically
from mxnet.gluon.model_zoo import vision  # noqa: E402

for name, shape in (("resnet18_v1", (1, 3, 32, 32)), ("mobilenet0.25", (1, 3, 32, 32))):
    net = vision.get_model(name, classes=10)
    net.initialize()
    xz = nd.random.uniform(shape=shape)
    net(xz)
    params = net.collect_params()
    vals = regen_params([(k, v.shape) for k, v in params.items()])
    for k, v in params.items():
        v.set_data(nd.array(vals[k]))
    net.hybridize()
    y = net(xz)
    net.export(p(name + "-tmp"), 0)
    os.replace(p(name + "-tmp-symbol.json"), p(name + "-symbol.json"))
    os.remove(p(name + "-tmp-0000.params"))
    nd.save(p(name + "-io.params"), {"x": xz, "y": y})
    with open(p(name + "-params.txt"), "w") as f:  # name -> shape, for regeneration
        for k, v in params.items():
            f.write(f"{k} {','.join(map(str, v.shape))}\n")
print("written to", HERE)
