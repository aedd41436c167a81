"""hybridize (CachedOp equivalent), export/imports and SymbolBlock."""
import json
import os
import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.base import ffi, lib
from mxcore.gluon import nn, rnn

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")
sys.path.insert(0, REF)
from regen import read_params_txt  # noqa: E402  (numpy-only helper shared with make_refs.py)
R = np.random.RandomState(0)


def _layers():
    """(factory, input shape, input dtype) for every Gluon layer family."""
    return [
        (lambda: nn.Dense(5, activation="relu"), (4, 6), "float32"),
        (lambda: nn.Dense(5, flatten=False, use_bias=False), (2, 3, 6), "float32"),
        (lambda: nn.Conv1D(4, 3), (2, 3, 10), "float32"),
        (lambda: nn.Conv2D(4, 3, padding=1, strides=2, activation="tanh"), (2, 3, 8, 8), "float32"),
        (lambda: nn.Conv3D(2, 2), (1, 2, 4, 4, 4), "float32"),
        (lambda: nn.Conv1DTranspose(3, 3), (2, 2, 5), "float32"),
        (lambda: nn.Conv2DTranspose(3, 3, strides=2), (2, 2, 4, 4), "float32"),
        (lambda: nn.Conv3DTranspose(2, 2), (1, 2, 3, 3, 3), "float32"),
        (lambda: nn.MaxPool1D(2), (2, 3, 8), "float32"),
        (lambda: nn.MaxPool2D(2), (2, 3, 8, 8), "float32"),
        (lambda: nn.AvgPool2D(3, strides=2, padding=1), (2, 3, 8, 8), "float32"),
        (lambda: nn.MaxPool3D(2), (1, 2, 4, 4, 4), "float32"),
        (lambda: nn.GlobalAvgPool2D(), (2, 3, 5, 5), "float32"),
        (lambda: nn.GlobalMaxPool1D(), (2, 3, 5), "float32"),
        (lambda: nn.LayerNorm(), (3, 7), "float32"),
        (lambda: nn.InstanceNorm(), (2, 3, 6), "float32"),
        (lambda: nn.GroupNorm(num_groups=2), (2, 4, 5), "float32"),
        (lambda: nn.Embedding(10, 4), (3, 5), "int32"),
        (lambda: nn.Activation("sigmoid"), (3, 4), "float32"),
        (lambda: nn.LeakyReLU(0.1), (3, 4), "float32"),
        (lambda: nn.PReLU(), (3, 4), "float32"),
        (lambda: nn.ELU(), (3, 4), "float32"),
        (lambda: nn.SELU(), (3, 4), "float32"),
        (lambda: nn.GELU(), (3, 4), "float32"),
        (lambda: nn.Swish(), (3, 4), "float32"),
        (lambda: nn.Flatten(), (2, 3, 4), "float32"),
        (lambda: rnn.RNN(6, num_layers=2), (5, 3, 4), "float32"),
        (lambda: rnn.LSTM(6, bidirectional=True), (5, 3, 4), "float32"),
        (lambda: rnn.GRU(6, layout="NTC"), (3, 5, 4), "float32"),
        (_seq_mlp, (4, 12), "float32"),
        (_seq_cnn, (2, 3, 10, 10), "float32"),
    ]


def _seq_mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(8, activation="relu"), nn.Dropout(0.5), nn.Dense(8, activation="tanh"), nn.Dense(3))
    return net


def _seq_cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(),
                nn.Dense(5))
    return net


def _blocks(net):
    yield net
    for child in net._children.values():
        yield from _blocks(child)


def _input(shape, dtype):
    if dtype == "int32":
        return nd.array(R.randint(0, 10, shape), dtype=dtype)
    return nd.array(R.randn(*shape).astype(dtype))


def _run(net, x, og, train):
    if x.dtype == np.float32:
        x.attach_grad()
    with autograd.record(train_mode=train):
        y = net(x)
    y.backward(og)
    grads = {k: p.grad().asnumpy().copy() for k, p in net.collect_params().items() if p.grad_req != "null"}
    gx = x.grad.asnumpy().copy() if x.dtype == np.float32 else None
    return y.asnumpy(), grads, gx


@pytest.mark.parametrize("train", [False, True], ids=["predict", "train"])
@pytest.mark.parametrize("idx", range(len(_layers())))
def test_hybridized_equals_eager(idx, train):
    """Every layer family, inference and training mode (BatchNorm batch
    statistics; the hybridized backward is the whole-graph tape node)."""
    factory, shape, dtype = _layers()[idx]
    net = factory()
    if train and any(isinstance(b, nn.Dropout) for b in _blocks(net)):
        pytest.skip("Dropout draws different masks in the two runs")
    net.initialize(mx.init.Xavier())
    x = _input(shape, dtype)
    net(x)  # finish deferred init eagerly
    og = nd.array(R.randn(*net(x).shape).astype("float32"))
    ye, ge, gxe = _run(net, x.copy(), og, train=train)
    net.hybridize()
    yh, gh, gxh = _run(net, x.copy(), og, train=train)
    assert net._last_cached is not None or isinstance(net, gluon.SymbolBlock)
    np.testing.assert_allclose(yh, ye, rtol=1e-5, atol=1e-6)
    for k in ge:
        np.testing.assert_allclose(gh[k], ge[k], rtol=1e-4, atol=1e-5, err_msg=k)
    if gxe is not None:
        np.testing.assert_allclose(gxh, gxe, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("train", [True, False])
def test_batchnorm_train_and_inference_with_running_stats(train):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(3, 3), nn.BatchNorm(momentum=0.8))
    net.initialize()
    x = _input((4, 2, 6, 6), "float32")
    net(x)
    bn = net[1]
    stats0 = [bn.running_mean.data().asnumpy().copy(), bn.running_var.data().asnumpy().copy()]
    og = nd.ones((4, 3, 4, 4))
    ye, ge, _ = _run(net, x.copy(), og, train)
    stats_e = [bn.running_mean.data().asnumpy().copy(), bn.running_var.data().asnumpy().copy()]
    bn.running_mean.set_data(nd.array(stats0[0]))
    bn.running_var.set_data(nd.array(stats0[1]))
    net.hybridize()
    yh, gh, _ = _run(net, x.copy(), og, train)
    stats_h = [bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()]
    np.testing.assert_allclose(yh, ye, rtol=1e-5, atol=1e-5)
    for k in ge:
        np.testing.assert_allclose(gh[k], ge[k], rtol=1e-4, atol=1e-4, err_msg=k)
    for a, b, s0 in zip(stats_h, stats_e, stats0):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
        assert train == (not np.allclose(a, s0))


def test_training_loop_hybridized_matches_eager():
    def train(hybrid):
        mx.random.seed(1)
        net = nn.HybridSequential()
        net.add(nn.Dense(16, activation="relu", in_units=8), nn.Dense(3, in_units=16))
        net.initialize(mx.init.Xavier())
        if hybrid:
            net.hybridize()
        tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
        lf = gluon.loss.SoftmaxCrossEntropyLoss()
        rs = np.random.RandomState(3)
        for _ in range(5):
            x = nd.array(rs.randn(10, 8).astype("float32"))
            y = nd.array(rs.randint(0, 3, 10).astype("float32"))
            with autograd.record():
                loss = lf(net(x), y)
            loss.backward()
            tr.step(10)
        return [p.data().asnumpy() for p in net.collect_params().values()]
    for a, b in zip(train(False), train(True)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_retrace_on_new_shape_and_dtype():
    net = nn.Dense(3, in_units=4)
    net.initialize()
    net.hybridize()
    for n in (2, 5, 2):
        x = nd.ones((n, 4))
        assert net(x).shape == (n, 3)
    assert len(net._cached) == 2


def test_data_dependent_op_works_in_graph():
    class Mask(gluon.HybridBlock):
        def hybrid_forward(self, F, x, m):
            return F.boolean_mask(x, m) * 2

    net = Mask()
    net.hybridize()
    x = nd.array(np.arange(8).reshape(4, 2))
    out = net(x, nd.array([1, 0, 1, 0]))
    np.testing.assert_allclose(out.asnumpy(), [[0, 2], [8, 10]])


def test_tracing_error_names_layer():
    class Bad(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x * float(x.asnumpy().sum())  # NDArray-only code: fails when traced

    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3), Bad(prefix="badlayer_"))
    net.initialize()
    net.hybridize()
    with pytest.raises(mx.MXNetError, match="badlayer"):
        net(nd.ones((2, 4)))


def test_shape_pass_error_names_layer_and_line():
    # Deferred shapes come from one eager pass before tracing; an error there names
    # the innermost layer, the op, the shapes and the user's line, as tracing errors do.
    class BadDot(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.dot(F.relu(x), F.ones((3, 5)))

    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(4), BadDot(prefix="baddot_"))
    net.initialize()
    net.hybridize()
    with pytest.raises(mx.MXNetError, match=r"_baddot. \(BadDot.*dot.*\(2,4\).*\(3,5\).*test_hybridize.py:\d+"):
        net(nd.ones((2, 7)))


def _zoo_like():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(8, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(2),
                nn.Conv2D(16, 3), nn.BatchNorm(), nn.Activation("relu"), nn.GlobalAvgPool2D(), nn.Dense(10))
    return net


def test_export_imports_round_trip(tmp_path):
    net = _zoo_like()
    net.initialize(mx.init.Xavier())
    x = _input((2, 3, 12, 12), "float32")
    with autograd.record():
        net(x)  # non-trivial running stats
    net.hybridize()
    y = net(x).asnumpy()
    sym_file, params_file = net.export(str(tmp_path / "m"), epoch=3)
    assert params_file.endswith("m-0003.params")
    keys = set(nd.load(params_file))
    assert any(k.startswith("arg:") for k in keys) and any(k.startswith("aux:") for k in keys)
    assert {k[4:] for k in keys} == {p.name for p in net.collect_params().values()}
    back = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(back(x).asnumpy(), y, rtol=1e-5, atol=1e-6)
    # a SymbolBlock made from Symbols, sharing the loaded parameters
    s = mx.sym.load(sym_file)
    sb = gluon.SymbolBlock(s, mx.sym.var("data"), params=back.collect_params())
    np.testing.assert_allclose(sb(x).asnumpy(), y, rtol=1e-5, atol=1e-6)


def test_export_needs_a_forward_first():
    net = nn.Dense(2, in_units=2)
    net.initialize()
    with pytest.raises(RuntimeError, match="hybridize"):
        net.export("/tmp/never")


def test_symbolblock_trains():
    data = mx.sym.var("data")
    out = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    sb = gluon.SymbolBlock(out, data)
    sb.initialize()
    x = nd.ones((3, 4))
    with autograd.record():
        y = sb(x)
    y.backward()
    assert sb.collect_params()["fc_weight"].grad().asnumpy().tolist() == [[3.0] * 4] * 2


def _load_params(path):
    return nd.load(path)


@pytest.mark.parametrize("model", ["mlp", "cnn_bn", "lstm_lm", "bert_block", "det_head", "syncbn"])
def test_imports_mxnet_exported_models(model, tmp_path):
    net = gluon.SymbolBlock.imports(os.path.join(REF, model + "-symbol.json"), ["data"],
                                    os.path.join(REF, model + "-0000.params"))
    io = nd.load(os.path.join(REF, model + "-io.params"))
    np.testing.assert_allclose(net(io["x"]).asnumpy(), io["y"].asnumpy(), rtol=1e-4, atol=1e-4)
    net.export(str(tmp_path / "again"), 3)  # and it round-trips through our own export
    back = gluon.SymbolBlock.imports(str(tmp_path / "again-symbol.json"), ["data"], str(tmp_path / "again-0003.params"))
    np.testing.assert_allclose(back(io["x"]).asnumpy(), io["y"].asnumpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("model", ["resnet18_v1", "mobilenet0.25"])
def test_imports_mxnet_model_zoo_symbols(model, tmp_path):
    params = read_params_txt(os.path.join(REF, model + "-params.txt"))
    s = mx.sym.load(os.path.join(REF, model + "-symbol.json"))
    aux = set(s.list_auxiliary_states())
    pf = str(tmp_path / "p.params")
    nd.save(pf, {("aux:" if k in aux else "arg:") + k: nd.array(v) for k, v in params.items()})
    net = gluon.SymbolBlock.imports(os.path.join(REF, model + "-symbol.json"), "data", pf)
    io = nd.load(os.path.join(REF, model + "-io.params"))
    np.testing.assert_allclose(net(io["x"]).asnumpy(), io["y"].asnumpy(), rtol=1e-4, atol=1e-4)


class _Deep(gluon.HybridBlock):
    """Residual-style blocks whose intermediates stay alive in Python locals when eager."""

    def __init__(self, depth=8, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.layers = nn.HybridSequential()
            for _ in range(depth):
                self.layers.add(nn.Dense(256, flatten=False, in_units=256))

    def hybrid_forward(self, F, x):
        outs = [x]
        for layer in self.layers._children.values():
            a = F.relu(layer(outs[-1]))
            b = F.tanh(a)
            c = F.sigmoid(b)
            outs.append(c * 0.5 + a)
        return outs[-1]


def _peak(fn):
    cur, peak = ffi.new("int64_t *"), ffi.new("int64_t *")
    assert lib.mx_memory_reset_peak() == 0
    lib.mx_memory_stats(cur, peak)
    base = cur[0]
    y = fn()
    lib.mx_memory_stats(cur, peak)
    del y
    return peak[0] - base


def test_hybridized_forward_uses_less_peak_memory():
    net = _Deep()
    net.initialize()
    x = nd.array(R.randn(64, 256).astype("float32"))
    net(x)
    eager = _peak(lambda: net(x))
    net.hybridize()
    net(x)
    hybrid = _peak(lambda: net(x))
    assert hybrid < eager * 0.6, (hybrid, eager)


def test_traced_node_and_parameter_names_follow_mxnet():
    """Names MXNet 1.9.1 gives the same net (feature extraction reads them:
    net(sym.var('data')).get_internals()['..._fwd_output'])."""
    from mxcore.gluon import nn
    with mx.name.NameManager():  # fresh counters, as in a new MXNet process
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(), nn.Dropout(0.5),
                    nn.Swish(), nn.Conv2DTranspose(2, 3), nn.Flatten(), nn.Dense(3))
    net.initialize()
    net(mx.nd.ones((1, 2, 8, 8)))
    out = net(mx.sym.var("data"))
    names = [n["name"] for n in json.loads(out.tojson())["nodes"] if n["op"] != "null"]
    p = "hybridsequential0_"
    assert names == [p + "conv0_fwd", p + "conv0_relu_fwd", p + "batchnorm0_fwd", p + "pool0_fwd", p + "dropout0_fwd",
                     p + "swish0__mulscalar0", p + "swish0_fwd", p + "swish0__mul0", p + "conv1_fwd",
                     p + "flatten0_flatten0", p + "dense0_fwd"]
    assert p + "conv0_relu_fwd_output" in out.get_internals().list_outputs()
    assert sorted(net.collect_params().keys())[:2] == [p + "batchnorm0_beta", p + "batchnorm0_gamma"]
    assert p + "conv1_weight" in net.collect_params()  # Conv and ConvTranspose share MXNet's 'conv' counter


def test_symbolblock_with_params_infer_shape_and_optimize_for():
    """MXNet 1.9.1 behaviours: SymbolBlock(outputs, inputs, params=net.collect_params())
    reuses the net's parameters; infer_shape fixes deferred shapes from an input;
    optimize_for without a backend hybridizes and runs."""
    from mxcore.gluon import nn
    d = nn.Dense(3)
    d.initialize()
    x = mx.nd.ones((2, 4))
    ref = d(x)
    sb = mx.gluon.SymbolBlock(d(mx.sym.var("data")), mx.sym.var("data"), params=d.collect_params())
    np.testing.assert_allclose(sb(x).asnumpy(), ref.asnumpy())
    assert sb.collect_params()[d.weight.name] is d.weight
    net = nn.HybridSequential()
    net.add(nn.Dense(3), nn.Dense(2))
    net.initialize()
    net.infer_shape(mx.nd.ones((2, 5)))
    assert [p.shape for p in net.collect_params().values()] == [(3, 5), (3,), (2, 3), (2,)]
    out = net.optimize_for(mx.nd.ones((2, 5)))
    assert out.shape == (2, 2) and net._active
    with pytest.raises(mx.MXNetError, match="backend 'MKLDNN'"):
        net.optimize_for(mx.nd.ones((2, 5)), backend="MKLDNN")


def test_multi_output_ops_and_parameter_free_blocks_like_mxnet(tmp_path):
    """A hybridized block returning F.topk(ret_typ='both') gives both outputs (MXNet 1.9.1:
    values and indices); a block without parameters exports and imports (empty params)."""
    from mxcore.gluon import nn
    x = mx.nd.array([[0.1, 0.5, 0.3], [0.9, 0.2, 0.4]])
    net = nn.HybridLambda(lambda F, x: F.topk(x, k=2, ret_typ="both"))
    eager = [o.asnumpy() for o in net(x)]
    net.hybridize()
    hybrid = net(x)
    assert isinstance(hybrid, list) and len(hybrid) == 2
    np.testing.assert_array_equal(hybrid[1].asnumpy(), [[1, 2], [0, 2]])
    for a, b in zip(eager, hybrid):
        np.testing.assert_array_equal(a, b.asnumpy())
    sl = nn.HybridLambda(lambda F, x: F.slice_axis(x, axis=1, begin=1, end=-1))
    sl.hybridize()
    sl(mx.nd.ones((2, 5, 3)))
    sl.export(str(tmp_path / "p"))
    back = mx.gluon.SymbolBlock.imports(str(tmp_path / "p-symbol.json"), ["data"], str(tmp_path / "p-0000.params"))
    assert back(mx.nd.ones((2, 5, 3))).shape == (2, 3, 3)


def test_symbolblock_name_and_saved_keys_follow_mxnet(tmp_path):
    """MXNet 1.9.1 names a SymbolBlock symbolblock<N> and keys its parameters without the
    names' common prefix, so save_parameters writes 'fc_weight' for 'm_fc_weight'."""
    d = mx.sym.var("data")
    s = mx.sym.FullyConnected(mx.sym.FullyConnected(d, num_hidden=3, name="m_fc"), num_hidden=2, name="m_out")
    with mx.name.NameManager():
        sb = mx.gluon.SymbolBlock(s, d)
    assert sb.name == "symbolblock0"
    sb.initialize()
    sb(mx.nd.ones((1, 4)))
    f = str(tmp_path / "sb.params")
    sb.save_parameters(f)
    assert sorted(mx.nd.load(f)) == ["fc_bias", "fc_weight", "out_bias", "out_weight"]
    assert sorted(sb.collect_params()) == ["m_fc_bias", "m_fc_weight", "m_out_bias", "m_out_weight"]


def test_hybridized_outputs_come_back_as_lists_like_mxnet():
    """MXNet 1.9.1: eager returns what hybrid_forward returned (a tuple here); the
    hybridized block returns lists (its CachedOp regroups outputs as lists)."""
    class Pair(mx.gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return x + 1, (x * 2, x * 3)

    net = Pair()
    assert type(net(mx.nd.ones(2))) is tuple
    net.hybridize()
    out = net(mx.nd.ones(2))
    assert type(out) is list and type(out[1]) is list
    np.testing.assert_array_equal(out[1][1].asnumpy(), [3, 3])
