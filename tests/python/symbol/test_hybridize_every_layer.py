"""hybridize() changes speed, never results: every HybridBlock class that
mxcore.gluon exports (nn, rnn, contrib.nn, contrib.rnn, contrib.cnn) runs
eagerly and hybridized, in predict and train mode, and gives the same outputs,
parameter gradients, input gradients and auxiliary states (BatchNorm running
statistics). test_every_exported_layer_is_covered fails when a new layer class
is added without a case here."""
import inspect

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import contrib, nn, rnn

R = np.random.RandomState(3)

# Base classes and containers exercised through the cases that use them.
NOT_LAYERS = {"HybridBlock", "HybridRecurrentCell", "ModifierCell", "SymbolBlock"}

def _f32(*shape):
    return ("f", shape)


def _seq(*blocks):
    net = nn.HybridSequential()
    net.add(*blocks)
    return net


class _CellStep(gluon.HybridBlock):
    """Runs cell(x, [h0, ...]) with states passed in as inputs (one step)."""

    def __init__(self, cell, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.cell = cell

    def hybrid_forward(self, F, x, *states):
        self.cell.reset()  # ZoneoutCell remembers its last output between eager calls
        out, new_states = self.cell(x, list(states))
        return [out] + list(new_states)


def _cell(factory, x_shape, state_shapes):
    return (lambda: _CellStep(factory()), [_f32(*x_shape)] + [_f32(*s) for s in state_shapes])


def _unroll(factory, length, x_shape):
    """A cell unrolled over `length` steps of NTC input (merge_outputs)."""
    class Unrolled(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.cell = factory()

        def hybrid_forward(self, F, x):
            out, _ = self.cell.unroll(length, x, layout="NTC", merge_outputs=True)
            return out
    return (Unrolled, [_f32(*x_shape)])


def _cases():
    """{class name: (factory, input specs)}; a spec is ('f', shape) or ('i', shape, high)."""
    return {
        # nn
        "Activation": (lambda: nn.Activation("softrelu"), [_f32(3, 4)]),
        "AvgPool1D": (lambda: nn.AvgPool1D(3, strides=2, padding=1, count_include_pad=False), [_f32(2, 3, 9)]),
        "AvgPool2D": (lambda: nn.AvgPool2D(2, ceil_mode=True), [_f32(2, 3, 7, 7)]),
        "AvgPool3D": (lambda: nn.AvgPool3D(2), [_f32(1, 2, 4, 4, 4)]),
        "BatchNorm": (lambda: nn.BatchNorm(momentum=0.7), [_f32(4, 3, 5, 5)]),
        "BatchNormReLU": (lambda: nn.BatchNormReLU(), [_f32(4, 3, 5)]),
        "Conv1D": (lambda: nn.Conv1D(4, 3, dilation=2, activation="relu"), [_f32(2, 3, 12)]),
        "Conv1DTranspose": (lambda: nn.Conv1DTranspose(3, 3, strides=2, output_padding=1), [_f32(2, 2, 5)]),
        "Conv2D": (lambda: nn.Conv2D(4, 3, padding=1, groups=2), [_f32(2, 4, 6, 6)]),
        "Conv2DTranspose": (lambda: nn.Conv2DTranspose(3, 3, strides=2, padding=1), [_f32(2, 2, 4, 4)]),
        "Conv3D": (lambda: nn.Conv3D(2, 2, use_bias=False), [_f32(1, 2, 4, 4, 4)]),
        "Conv3DTranspose": (lambda: nn.Conv3DTranspose(2, 2), [_f32(1, 2, 3, 3, 3)]),
        "Dense": (lambda: nn.Dense(5, activation="sigmoid"), [_f32(4, 2, 3)]),
        "Dropout": (lambda: nn.Dropout(0.4), [_f32(6, 5)]),
        "ELU": (lambda: nn.ELU(0.7), [_f32(3, 4)]),
        "Embedding": (lambda: nn.Embedding(10, 4), [("i", (3, 5), 10)]),
        "Flatten": (lambda: nn.Flatten(), [_f32(2, 3, 4)]),
        "GELU": (lambda: nn.GELU(), [_f32(3, 4)]),
        "GlobalAvgPool1D": (lambda: nn.GlobalAvgPool1D(), [_f32(2, 3, 5)]),
        "GlobalAvgPool2D": (lambda: nn.GlobalAvgPool2D(), [_f32(2, 3, 5, 4)]),
        "GlobalAvgPool3D": (lambda: nn.GlobalAvgPool3D(), [_f32(1, 2, 3, 3, 3)]),
        "GlobalMaxPool1D": (lambda: nn.GlobalMaxPool1D(), [_f32(2, 3, 5)]),
        "GlobalMaxPool2D": (lambda: nn.GlobalMaxPool2D(), [_f32(2, 3, 5, 4)]),
        "GlobalMaxPool3D": (lambda: nn.GlobalMaxPool3D(), [_f32(1, 2, 3, 3, 3)]),
        "GroupNorm": (lambda: nn.GroupNorm(num_groups=2), [_f32(2, 4, 5)]),
        "HybridLambda": (lambda: nn.HybridLambda(lambda F, x: F.tanh(x) * 2 + 1), [_f32(3, 4)]),
        "HybridSequential": (lambda: _seq(nn.Dense(6, activation="relu"), nn.Dense(3)), [_f32(4, 5)]),
        "Identity": (lambda: _seq(nn.Dense(3), nn.Identity()), [_f32(2, 4)]),
        "InstanceNorm": (lambda: nn.InstanceNorm(), [_f32(2, 3, 6)]),
        "LayerNorm": (lambda: nn.LayerNorm(axis=1), [_f32(3, 7, 2)]),
        "LeakyReLU": (lambda: nn.LeakyReLU(0.1), [_f32(3, 4)]),
        "MaxPool1D": (lambda: nn.MaxPool1D(2), [_f32(2, 3, 8)]),
        "MaxPool2D": (lambda: nn.MaxPool2D(3, strides=2, padding=1), [_f32(2, 3, 8, 8)]),
        "MaxPool3D": (lambda: nn.MaxPool3D(2), [_f32(1, 2, 4, 4, 4)]),
        "PReLU": (lambda: nn.PReLU(), [_f32(3, 4)]),
        "ReflectionPad2D": (lambda: nn.ReflectionPad2D(2), [_f32(1, 2, 4, 5)]),
        "SELU": (lambda: nn.SELU(), [_f32(3, 4)]),
        "Swish": (lambda: nn.Swish(1.5), [_f32(3, 4)]),
        # rnn layers and cells
        "RNN": (lambda: rnn.RNN(6, num_layers=2, activation="tanh"), [_f32(5, 3, 4)]),
        "LSTM": (lambda: rnn.LSTM(6, bidirectional=True), [_f32(5, 3, 4)]),
        "GRU": (lambda: rnn.GRU(6, layout="NTC"), [_f32(3, 5, 4)]),
        "RNNCell": _cell(lambda: rnn.RNNCell(5, input_size=4), (3, 4), [(3, 5)]),
        "LSTMCell": _cell(lambda: rnn.LSTMCell(5, input_size=4), (3, 4), [(3, 5), (3, 5)]),
        "GRUCell": _cell(lambda: rnn.GRUCell(5, input_size=4), (3, 4), [(3, 5)]),
        "DropoutCell": _cell(lambda: rnn.DropoutCell(0.3), (3, 4), []),
        "ResidualCell": _cell(lambda: rnn.ResidualCell(rnn.GRUCell(4, input_size=4)), (3, 4), [(3, 4)]),
        "ZoneoutCell": _cell(lambda: rnn.ZoneoutCell(rnn.RNNCell(4, input_size=4), 0.3, 0.3), (3, 4), [(3, 4)]),
        "HybridSequentialRNNCell": _unroll(lambda: _stacked_cells(), 4, (2, 4, 3)),
        "BidirectionalCell": _unroll(lambda: rnn.BidirectionalCell(rnn.LSTMCell(3, input_size=3),
                                                                   rnn.GRUCell(3, input_size=3)), 4, (2, 4, 3)),
        # contrib
        "HybridConcurrent": (lambda: _concurrent(), [_f32(2, 5)]),
        "PixelShuffle1D": (lambda: contrib.nn.PixelShuffle1D(2), [_f32(2, 4, 3)]),
        "PixelShuffle2D": (lambda: contrib.nn.PixelShuffle2D((2, 3)), [_f32(1, 12, 2, 3)]),
        "PixelShuffle3D": (lambda: contrib.nn.PixelShuffle3D(2), [_f32(1, 16, 2, 1, 2)]),
        "SyncBatchNorm": (lambda: contrib.nn.SyncBatchNorm(in_channels=3), [_f32(4, 3, 2, 2)]),
        "LSTMPCell": _cell(lambda: contrib.rnn.LSTMPCell(6, 3, input_size=4), (2, 4), [(2, 3), (2, 6)]),
        "VariationalDropoutCell": _unroll(lambda: contrib.rnn.VariationalDropoutCell(
            rnn.GRUCell(3, input_size=3), drop_inputs=0.3, drop_states=0.2, drop_outputs=0.1), 3, (2, 3, 3)),
        "DeformableConvolution": (lambda: contrib.cnn.DeformableConvolution(3, (3, 3), padding=(1, 1)),
                                  [_f32(1, 2, 5, 5)]),
        "ModulatedDeformableConvolution": (lambda: contrib.cnn.ModulatedDeformableConvolution(
            3, (3, 3), padding=(1, 1)), [_f32(1, 2, 5, 5)]),
        **_conv_cells(),
    }


def _conv_cells():
    """Conv{1,2,3}D{RNN,LSTM,GRU}Cell: 2 input channels, 3 hidden, 3-wide kernels, same padding."""
    cases = {}
    for d, spatial in ((1, (6,)), (2, (4, 4)), (3, (3, 3, 3))):
        k, pad = (3,) * d, (1,) * d
        for kind, n_states in (("RNN", 1), ("LSTM", 2), ("GRU", 1)):
            cls = getattr(contrib.rnn, "Conv%dD%sCell" % (d, kind))
            cases[cls.__name__] = _cell(lambda cls=cls, spatial=spatial, k=k, pad=pad:
                                        cls((2,) + spatial, 3, k, k, i2h_pad=pad),
                                        (2, 2) + spatial, [(2, 3) + spatial] * n_states)
    return cases


def _stacked_cells():
    s = rnn.HybridSequentialRNNCell()
    s.add(rnn.LSTMCell(4, input_size=3))
    s.add(rnn.RNNCell(3, input_size=4))
    return s


def _concurrent():
    c = contrib.nn.HybridConcurrent(axis=1)
    c.add(nn.Dense(3), nn.Dense(2, activation="tanh"), contrib.nn.Identity())
    return c


def _make_inputs(specs):
    out = []
    for s in specs:
        if s[0] == "i":
            out.append(nd.array(R.randint(0, s[2], s[1]), dtype="int32"))
        else:
            out.append(nd.array(R.randn(*s[1]).astype("float32")))
    return out


def _flat(out):
    if isinstance(out, (list, tuple)):
        return [a for o in out for a in _flat(o)]
    return [out]


def _run(net, inputs, head_grads, train):
    xs = [x.copy() for x in inputs]
    for x in xs:
        if x.dtype == np.float32:
            x.attach_grad()
    mx.random.seed(11)  # random layers draw the same masks in both runs
    with autograd.record(train_mode=train):
        outs = _flat(net(*xs))
    autograd.backward(outs, head_grads)
    params = net.collect_params()
    grads = [p.grad().asnumpy().copy() for p in params.values() if p.grad_req != "null"]
    aux = [p.data().asnumpy().copy() for p in params.values() if p.grad_req == "null"]
    gx = [x.grad.asnumpy().copy() for x in xs if x.dtype == np.float32]
    return [o.asnumpy() for o in outs], grads, gx, aux


def _twin_nets(factory, inputs):
    """Two instances with identical parameters (the second copies the first)."""
    a, b = factory(), factory()
    for net in (a, b):
        net.initialize(mx.init.Uniform(0.5))
        with autograd.predict_mode():
            net(*inputs)  # finish deferred initialization
    for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
        assert pa.shape == pb.shape, (pa.name, pb.name)
        pb.set_data(pa.data())
    return a, b


@pytest.mark.parametrize("train", [False, True], ids=["predict", "train"])
@pytest.mark.parametrize("name", sorted(_cases()))
def test_hybridized_equals_eager(name, train):
    factory, specs = _cases()[name]
    inputs = _make_inputs(specs)
    eager, hyb = _twin_nets(factory, inputs)
    hyb.hybridize()
    with autograd.predict_mode():
        shapes = [o.shape for o in _flat(eager(*inputs))]
    heads = [nd.array(R.randn(*s).astype("float32")) for s in shapes]
    ye, ge, gxe, ae = _run(eager, inputs, heads, train)
    yh, gh, gxh, ah = _run(hyb, inputs, heads, train)
    assert hyb._last_cached is not None, "the hybridized block did not run as a graph"
    for what, e, h in (("output", ye, yh), ("param grad", ge, gh), ("input grad", gxe, gxh),
                       ("aux state", ae, ah)):
        assert len(e) == len(h), what
        for k, (u, v) in enumerate(zip(e, h)):
            np.testing.assert_allclose(v, u, rtol=1e-4, atol=1e-5, err_msg="%s %s %d" % (name, what, k))


def test_every_exported_layer_is_covered():
    cases = _cases()
    missing = []
    for mod in (nn, rnn, contrib.nn, contrib.rnn, contrib.cnn):
        for n, c in vars(mod).items():
            if inspect.isclass(c) and issubclass(c, gluon.HybridBlock) and n not in NOT_LAYERS and n not in cases:
                missing.append("%s.%s" % (mod.__name__, n))
    assert not missing, "layers without a hybridize-vs-eager case: %s" % missing
