"""Step 1 of the MXNet-compatibility check: write files with mxcore.

    python write_with_mxcore.py OUTDIR

Writes nd.save lists/dicts of several dtypes, an exported hybridized MLP and a
CNN with BatchNorm (symbol JSON + params + the input and mxcore's output), and
a Gluon save_parameters file, fused LSTM layers (projection, sequence lengths)
exported with their begin states as inputs, plus expected.json describing them. Step 2
(read_with_mxnet.py) runs under MXNet 1.9.1 and checks it reads them all and
predicts what mxcore predicted."""
import json
import os
import sys

import numpy as np

import mxcore as mx
from mxcore import gluon, nd
from mxcore.gluon import nn, rnn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
p = lambda name: os.path.join(out, name)  # noqa: E731
mx.random.seed(7)
rng = np.random.RandomState(7)

arrays = {"f32": rng.randn(2, 3).astype(np.float32), "f64": rng.randn(4).astype(np.float64),
          "i32": np.array([[1, -2], [3, 4]], dtype=np.int32), "u8": np.array([0, 255, 7], dtype=np.uint8),
          "i64": np.array([2 ** 40, -3], dtype=np.int64), "f16": np.array([0.5, -1.25], dtype=np.float16)}
nd.save(p("list.params"), [nd.array(v, dtype=v.dtype) for v in arrays.values()])
nd.save(p("dict.params"), {k: nd.array(v, dtype=v.dtype) for k, v in arrays.items()})
np.savez(p("arrays.npz"), **arrays)


def export(net, name, x):
    net.initialize(mx.init.Xavier())
    net(x)
    net.hybridize()
    y = net(x)
    net.export(p(name), 0)
    np.save(p(name + "-x.npy"), x.asnumpy())
    np.save(p(name + "-y.npy"), y.asnumpy())


mlp = nn.HybridSequential()
mlp.add(nn.Dense(64, activation="relu"), nn.Dense(10))
export(mlp, "mlp", nd.array(rng.rand(4, 20)))

cnn = nn.HybridSequential()
cnn.add(nn.Conv2D(6, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(),
        nn.Dense(10))
export(cnn, "cnn", nd.array(rng.rand(2, 3, 8, 8)))



class Misc(gluon.HybridBlock):
    """Ops whose symbol form needs care to stay MXNet-loadable: split_v2 (MXNet
    records _split_v2 with indices/sections), LRN, moments, SoftmaxActivation,
    smooth_l1, clip with positional attributes, GroupNorm (gamma/beta per group in
    MXNet 1.x)."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.conv = nn.Conv2D(6, 3, padding=1)
            self.gn = nn.GroupNorm(num_groups=3, gamma_initializer="uniform", beta_initializer="uniform")

    def hybrid_forward(self, F, x):
        y = F.LRN(self.gn(self.conv(x)), nsize=3, alpha=1e-3)
        a, b = F.split_v2(y, 2, axis=1)
        c = F.split_v2(y, (1, 4), axis=1)[2]
        m, v = F.moments(y, axes=(2, 3), keepdims=True)
        z = F.SoftmaxActivation(F.flatten(a + b), mode="instance")
        s = F.smooth_l1(F.mean(c, axis=(2, 3)), scalar=2.0)
        return F.concat(z, F.flatten(m), F.flatten(v), s, F.clip(F.flatten(y), 0, 1).sum(axis=1, keepdims=True), dim=1)


export(Misc(), "misc", nd.array(rng.rand(2, 3, 6, 6)))


class Contrib(gluon.HybridBlock):
    """contrib ops of BERT and detection exports: interleaved attention,
    div_sqrt_dim, arange_like, ROIAlign, AdaptiveAvgPooling2D, MultiBoxPrior, box_nms."""

    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.qkv = nn.Dense(24, flatten=False)
            self.conv = nn.Conv2D(4, 3, padding=1)

    def hybrid_forward(self, F, x):  # x: (4, 2, 6)
        qkv = self.qkv(x + F.contrib.arange_like(x, axis=-1))
        att = F.softmax(F.contrib.interleaved_matmul_selfatt_qk(qkv, heads=2), axis=-1)
        ctx = F.contrib.div_sqrt_dim(F.contrib.interleaved_matmul_selfatt_valatt(qkv, att, heads=2))  # (4, 2, 8)
        img = self.conv(F.reshape(F.transpose(ctx, (1, 0, 2)), (2, 1, 4, 8)))
        rois = F.reshape(F.contrib.arange_like(F.slice_axis(ctx, axis=2, begin=0, end=5), axis=2), (1, 5)) * \
            F.reshape(F.contrib.arange_like(F.slice_axis(ctx, axis=2, begin=0, end=5), axis=2) > 0, (1, 5))
        ra = F.contrib.ROIAlign(img, rois, pooled_size=(2, 2), spatial_scale=1.0)
        ap = F.contrib.AdaptiveAvgPooling2D(img, output_size=(2, 3))
        anchors = F.contrib.MultiBoxPrior(img, sizes=(0.5,), ratios=(1, 2))
        boxes = F.concat(F.zeros_like(F.slice_axis(anchors, axis=2, begin=0, end=1)),
                         F.sigmoid(F.slice_axis(anchors, axis=2, begin=0, end=1) * 7), anchors, dim=2)
        kept = F.contrib.box_nms(boxes, overlap_thresh=0.4, coord_start=2, score_index=1)
        return F.concat(F.flatten(ra), F.reshape(ap, (1, -1)), F.reshape(kept, (1, -1)), dim=1)


export(Contrib(), "contrib", nd.array(rng.rand(4, 2, 6)))

g = nn.HybridSequential()
g.add(nn.Dense(8, in_units=5), nn.Dense(3, in_units=8))
g.initialize(mx.init.Normal(0.5))
g.save_parameters(p("gluon.params"))
xg = rng.rand(2, 5).astype(np.float32)
np.save(p("gluon-x.npy"), xg)
np.save(p("gluon-y.npy"), g(nd.array(xg)).asnumpy())


def export_rnn(layer, name, x, states, **kw):
    """A fused RNN layer, hybridized and called with x only (kw: sequence_length):
    MXNet's export lists data0 (x), the begin states, then the lengths. Saves the
    inputs for those names and the output for the given states."""
    layer.initialize(mx.init.Uniform(0.5))
    layer.hybridize()
    layer(nd.array(x), **{k: nd.array(v) for k, v in kw.items()})
    layer.export(p(name), 0)
    y = layer(nd.array(x), [nd.array(a) for a in states], *[nd.array(v) for v in kw.values()])[0]
    ins = [x] + list(states) + list(kw.values())
    for i, a in enumerate(ins):
        np.save(p("%s-in%d.npy" % (name, i)), a)
    np.save(p(name + "-y.npy"), y.asnumpy())
    return ["data%d" % i for i in range(len(ins))]


# fused RNN layers called without states: MXNet's export has the begin states as
# inputs data1, data2 (an LSTM projection: h has projection_size elements); with
# use_sequence_length the lengths follow them (full lengths: MXNet 1.9.1's CPU
# kernel ignores them)
xr = rng.uniform(-1, 1, (5, 2, 4)).astype(np.float32)
multi = {
    "lstmp": export_rnn(rnn.LSTM(6, num_layers=2, bidirectional=True, projection_size=3), "lstmp", xr,
                        [rng.uniform(-0.5, 0.5, s).astype(np.float32) for s in ((4, 2, 3), (4, 2, 6))]),
    "lstm_len": export_rnn(rnn.LSTM(5, use_sequence_length=True), "lstm_len", xr,
                           [rng.uniform(-0.5, 0.5, (1, 2, 5)).astype(np.float32) for _ in range(2)],
                           sequence_length=np.full(2, 5, np.float32)),
}
lstm_seq = nn.HybridSequential()
lstm_seq.add(rnn.LSTM(4, projection_size=2), nn.Dense(3, flatten=False))
export(lstm_seq, "lstm_seq", nd.array(xr))
# a fused LSTM with projection in a Sequential: MXNet's save_parameters names (0._unfused.0.l_cell...)
gr = nn.HybridSequential()
gr.add(rnn.LSTM(5, bidirectional=True, projection_size=2, input_size=4))
gr.initialize(mx.init.Uniform(0.5))
gr.save_parameters(p("gluon_rnn.params"))
np.save(p("gluon_rnn-y.npy"), gr(nd.array(xr)).asnumpy())
json.dump({"arrays": list(arrays), "models": ["mlp", "cnn", "misc", "contrib", "lstm_seq"], "multi": multi},
          open(p("expected.json"), "w"))
# Trainer states (MXNet's pickle) of SGD with momentum after 3 steps, and the weight a
# fresh net that loads them reaches in one more step
def sgd_trainer():
    net = nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.5))
    return net, gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})


def sgd_step(net, tr):
    with mx.autograd.record():
        loss = (net(nd.array(np.arange(12).reshape(4, 3) / 10.0)) ** 2).sum()
    loss.backward()
    tr.step(4)


tn, tr = sgd_trainer()
for _ in range(3):
    sgd_step(tn, tr)
tr.save_states(p("trainer.states"))
tn, tr = sgd_trainer()
tr.load_states(p("trainer.states"))
sgd_step(tn, tr)
np.save(p("trainer-w.npy"), tn.weight.data().asnumpy())
# sparse arrays (csr, row_sparse, an empty csr) next to a dense one, and their dense values
sp = rng.rand(5, 6).astype(np.float32)
sp[sp < 0.6] = 0
sp[2] = 0
sparse_vals = {"csr": (sp, "csr"), "csr64": (sp.astype(np.float64), "csr"), "rsp": (sp, "row_sparse"),
               "csr_empty": (np.zeros((2, 3), np.float32), "csr"), "dense": (sp, "default")}
nd.save(p("sparse.params"), {k: nd.array(v, dtype=v.dtype).tostype(st) for k, (v, st) in sparse_vals.items()})
np.savez(p("sparse.npz"), **{k: v for k, (v, _) in sparse_vals.items()})
with open(p("sparse.json"), "w") as f:
    json.dump({k: st for k, (_, st) in sparse_vals.items()}, f)
se = gluon.contrib.nn.SparseEmbedding(10, 4)
se.initialize(mx.init.Uniform(1))
se.save_parameters(p("sparse_embedding.params"))
np.save(p("sparse_embedding-w.npy"), se.weight.data().asnumpy())
# ONNX files of the MLP and the CNN (when onnx is installed), with every initializer listed
# as a graph input: MXNet 1.9.1's mx.contrib.onnx.import_model reads only such files
try:
    import onnx  # noqa: F401
except ImportError:
    onnx = None
if onnx is not None:
    for m in ("mlp", "cnn"):
        mx.onnx.export_model(p(m + "-symbol.json"), p(m + "-0000.params"), [np.load(p(m + "-x.npy")).shape],
                             onnx_file_path=p(m + ".onnx"), params_as_inputs=True)
    json.dump(["mlp", "cnn"], open(p("onnx_models.json"), "w"))
print("wrote", out)
