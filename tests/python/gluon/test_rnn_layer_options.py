"""Gluon's fused RNN layers with MXNet 1.9.1's newer options: LSTM projection_size
(LSTMP, ``l0_h2r_weight``), use_sequence_length (``layer(x, states, sequence_length)``),
and the export of a hybridized layer called without states (MXNet's graph has the
begin states as inputs data1, data2; inside a HybridSequential they are _zeros nodes).
MXNet's own files (tests/data/mxnet_ref/make_refs_rnn.py) must load and give its
outputs; values against the op's numpy reference (tests/python/ops/rnn_ref.py)."""
import json
import os
import sys

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import nn, rnn

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "ops"))
from rnn_ref import ref_rnn  # noqa: E402

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")


def flat_params(layer):
    """The fused vector in MXNet's order, from the layer's own parameters."""
    return np.concatenate([p.data().asnumpy().ravel() for p in layer._param_order(
        {k: v for k, v in layer._reg_params.items()})])


def graph_inputs(path):
    j = json.load(open(path))
    return [n["name"] for n in j["nodes"] if n["op"] == "null" and n["name"].startswith("data")], j


# ---- MXNet's files ----

def test_mxnet_lstmp_export_imports_with_states_as_inputs():
    names, _ = graph_inputs(os.path.join(REF, "lstmp-symbol.json"))
    assert names == ["data0", "data1", "data2"]
    net = gluon.SymbolBlock.imports(os.path.join(REF, "lstmp-symbol.json"), ["data0", "data1", "data2"],
                                    os.path.join(REF, "lstmp-0000.params"))
    io = nd.load(os.path.join(REF, "lstmp-io.params"))
    y = net(io["x"], io["h0"], io["c0"])
    np.testing.assert_allclose(y.asnumpy(), io["y"].asnumpy(), rtol=1e-5, atol=1e-6)


def test_mxnet_lstmp_save_parameters_load():
    layer = rnn.LSTM(6, num_layers=2, bidirectional=True, projection_size=3, input_size=4)
    layer.load_parameters(os.path.join(REF, "lstmp-gluon.params"))
    assert layer.l1_h2r_weight.shape == (3, 6) and layer.r1_i2h_weight.shape == (24, 6)
    assert layer.l0_h2h_weight.shape == (24, 3)
    io = nd.load(os.path.join(REF, "lstmp-io.params"))
    out, (hy, cy) = layer(io["x"], [io["h0"], io["c0"]])
    np.testing.assert_allclose(out.asnumpy(), io["y"].asnumpy(), rtol=1e-5, atol=1e-6)
    assert hy.shape == (4, 2, 3) and cy.shape == (4, 2, 6)
    ref = ref_rnn(io["x"].asnumpy(), flat_params(layer), io["h0"].asnumpy(), io["c0"].asnumpy(), "lstm", 6, 2,
                  True, 3)
    np.testing.assert_allclose(out.asnumpy(), ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cy.asnumpy(), ref[2], rtol=1e-5, atol=1e-6)


def test_mxnet_use_sequence_length_export_imports():
    path = os.path.join(REF, "lstm_len-symbol.json")
    names, j = graph_inputs(path)
    assert names == ["data0", "data1", "data2", "data3"]
    rnn_node = next(n for n in j["nodes"] if n["op"] == "RNN")
    assert rnn_node["attrs"]["use_sequence_length"] == "True" and len(rnn_node["inputs"]) == 5
    net = gluon.SymbolBlock.imports(path, names, os.path.join(REF, "lstm_len-0000.params"))
    io = nd.load(os.path.join(REF, "lstm_len-io.params"))
    y = net(io["x"], io["h0"], io["c0"], io["len"])
    np.testing.assert_allclose(y.asnumpy(), io["y"].asnumpy(), rtol=1e-5, atol=1e-6)
    # shorter lengths: the recurrence stops there (MXNet 1.9.1's CPU kernel ignores them)
    lens = nd.array([4, 1, 2])
    y2 = net(io["x"], io["h0"], io["c0"], lens).asnumpy()
    assert not y2[1:, 1].any() and not y2[2:, 2].any()
    np.testing.assert_allclose(y2[:, 0], y.asnumpy()[:, 0], rtol=1e-6)


# ---- our exports match MXNet's input lists ----

def test_export_bare_layer_has_states_as_inputs(tmp_path):
    layer = rnn.LSTM(5, projection_size=2, input_size=3)
    layer.initialize()
    layer.hybridize()
    x = nd.random.uniform(-1, 1, shape=(4, 2, 3))
    y = layer(x)
    assert isinstance(y, nd.NDArray) and y.shape == (4, 2, 2)
    sym_file, params_file = layer.export(str(tmp_path / "lstmp"))
    names, j = graph_inputs(sym_file)
    assert names == ["data0", "data1", "data2"] and len(j["heads"]) == 1
    rnn_node = next(n for n in j["nodes"] if n["op"] == "RNN")
    # MXNet's layers write every RNN attribute
    assert rnn_node["attrs"]["projection_size"] == "2" and rnn_node["attrs"]["lstm_state_clip_min"] == "None"
    net = gluon.SymbolBlock.imports(sym_file, names, params_file)
    h0, c0 = nd.random.uniform(shape=(1, 2, 2)), nd.random.uniform(shape=(1, 2, 5))
    out, _ = layer(x, [h0, c0])  # with states: output and states (its own cached graph)
    np.testing.assert_allclose(net(x, h0, c0).asnumpy(), out.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(layer(x).asnumpy(), y.asnumpy(), rtol=1e-6)


def test_export_in_sequential_keeps_zeros_nodes(tmp_path):
    net = nn.HybridSequential()
    net.add(rnn.GRU(4, input_size=3), nn.Dense(2, flatten=False))
    net.initialize()
    net.hybridize()
    x = nd.random.uniform(shape=(3, 2, 3))
    y = net(x)
    sym_file, params_file = net.export(str(tmp_path / "seq"))
    names, j = graph_inputs(sym_file)
    assert names == ["data"]  # as MXNet 1.9.1: the begin state is a _zeros node
    assert any(n["op"] == "_zeros" for n in j["nodes"])
    back = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(back(x).asnumpy(), y.asnumpy(), rtol=1e-6)


# ---- use_sequence_length ----

@pytest.mark.parametrize("cls,kw", [(rnn.LSTM, {}), (rnn.GRU, {}), (rnn.RNN, {"activation": "tanh"}),
                                    (rnn.LSTM, {"projection_size": 2, "num_layers": 2})])
@pytest.mark.parametrize("layout", ["TNC", "NTC"])
def test_sequence_length_eager_hybrid_and_reference(cls, kw, layout):
    layer = cls(3, bidirectional=True, use_sequence_length=True, layout=layout, input_size=4, **kw)
    layer.initialize(mx.init.Uniform(0.5))
    xt = np.random.default_rng(0).uniform(-1, 1, (5, 3, 4)).astype(np.float32)
    x = nd.array(xt if layout == "TNC" else xt.transpose(1, 0, 2))
    lens = nd.array([5, 2, 3])
    states = layer.begin_state(3)
    out, new_states = layer(x, states, lens)
    mode = {rnn.LSTM: "lstm", rnn.GRU: "gru", rnn.RNN: "rnn_tanh"}[cls]
    L = kw.get("num_layers", 1)
    ref = ref_rnn(xt, flat_params(layer), states[0].asnumpy(), states[1].asnumpy() if mode == "lstm" else None,
                  mode, 3, L, True, kw.get("projection_size"), [5, 2, 3])
    o = out.asnumpy() if layout == "TNC" else out.asnumpy().transpose(1, 0, 2)
    np.testing.assert_allclose(o, ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_states[0].asnumpy(), ref[1], rtol=1e-5, atol=1e-6)
    bare = layer(x, sequence_length=lens)  # no states: only the output
    np.testing.assert_allclose(bare.asnumpy(), out.asnumpy(), rtol=1e-6)
    layer.hybridize()
    np.testing.assert_allclose(layer(x, sequence_length=lens).asnumpy(), out.asnumpy(), rtol=1e-5, atol=1e-6)
    hout, hstates = layer(x, states, lens)
    np.testing.assert_allclose(hstates[0].asnumpy(), ref[1], rtol=1e-5, atol=1e-6)


def test_sequence_length_gradients_eager_equal_hybrid():
    grads = []
    for hybrid in (False, True):
        mx.random.seed(3)
        layer = rnn.LSTM(4, projection_size=2, use_sequence_length=True, input_size=3, prefix="l_")
        layer.initialize(mx.init.Uniform(0.5))
        if hybrid:
            layer.hybridize()
        x = nd.array(np.random.default_rng(1).uniform(-1, 1, (4, 3, 3)))
        x.attach_grad()
        with autograd.record():
            y = layer(x, sequence_length=nd.array([4, 1, 3]))
            (y * nd.arange(24).reshape((4, 3, 2))).sum().backward()
        grads.append([x.grad.asnumpy()] + [p.grad().asnumpy() for p in layer.collect_params().values()])
        assert not x.grad.asnumpy()[1:, 1].any()  # nothing flows into padded steps
    for a, b in zip(*grads):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_layer_option_errors():
    with pytest.raises(TypeError, match="GRU does not take projection_size"):
        rnn.GRU(4, projection_size=2)
    with pytest.raises(TypeError, match="RNN does not take projection_size"):
        rnn.RNN(4, projection_size=2)
    layer = rnn.LSTM(4, use_sequence_length=True, input_size=3)
    layer.initialize()
    x = nd.ones((3, 2, 3))
    with pytest.raises(ValueError, match="needs sequence_length"):
        layer(x)
    with pytest.raises(ValueError, match=r"sequence_length must have shape \(2,\)"):
        layer(x, sequence_length=nd.array([1, 2, 3]))
    plain = rnn.GRU(4, input_size=3)
    plain.initialize()
    with pytest.raises(ValueError, match="use_sequence_length=False"):
        plain(x, sequence_length=nd.array([1, 2]))
    with pytest.raises(mx.base.MXNetError,
                       match=r"rnn_with_reserve: sequence_length\[0\] = 7 must be an integer in \[0, 3\]"):
        layer(x, sequence_length=nd.array([7, 2]))


def test_state_clip_is_applied():
    layer = rnn.LSTM(4, input_size=3, state_clip_min=-0.05, state_clip_max=0.05)
    layer.initialize(mx.init.Uniform(2.0))
    _, (h, c) = layer(nd.ones((3, 2, 3)) * 3, layer.begin_state(2))
    assert np.abs(c.asnumpy()).max() <= 0.05 + 1e-7


def test_save_parameters_uses_mxnet_names(tmp_path):
    # MXNet 1.9.1 writes a fused layer's parameters under its unfused cells' names
    # (printed by MXNet: '_unfused.0.l_cell.i2h_weight', '0._unfused.0.h2h_bias', ...)
    layer = rnn.GRU(3, input_size=2, bidirectional=True, num_layers=2)
    layer.initialize()
    layer.save_parameters(str(tmp_path / "g.params"))
    keys = sorted(nd.load(str(tmp_path / "g.params")))
    assert keys[:4] == ['_unfused.0.l_cell.h2h_bias', '_unfused.0.l_cell.h2h_weight',
                        '_unfused.0.l_cell.i2h_bias', '_unfused.0.l_cell.i2h_weight'] and len(keys) == 16
    seq = nn.HybridSequential()
    seq.add(rnn.LSTM(3, input_size=2))
    seq.initialize()
    seq.save_parameters(str(tmp_path / "s.params"))
    assert sorted(nd.load(str(tmp_path / "s.params"))) == [
        '0._unfused.0.h2h_bias', '0._unfused.0.h2h_weight', '0._unfused.0.i2h_bias', '0._unfused.0.i2h_weight']
    back = nn.HybridSequential()
    back.add(rnn.LSTM(3, input_size=2))
    back.load_parameters(str(tmp_path / "s.params"))
    np.testing.assert_array_equal(back[0].l0_h2h_weight.data().asnumpy(), seq[0].l0_h2h_weight.data().asnumpy())


def test_symbolic_inference_with_projection_and_lengths():
    # MXNet 1.9.1 prints the same argument lists and shapes for these two symbols
    from mxcore import sym
    data = sym.var("data")
    out = sym.RNN(data, state_size=6, projection_size=3, num_layers=2, bidirectional=True, mode="lstm",
                  use_sequence_length=True, state_outputs=True, name="rnn")
    assert out.list_arguments() == ["data", "rnn_parameters", "rnn_state", "rnn_state_cell", "rnn_sequence_length"]
    args, outs, _ = out.infer_shape(data=(5, 4, 7))
    assert args == [(5, 4, 7), (1176,), (4, 4, 3), (4, 4, 6), (4,)]
    assert outs == [(5, 4, 6), (4, 4, 3), (4, 4, 6)]
    g = sym.RNN(data, state_size=6, num_layers=1, mode="gru", use_sequence_length=True, name="g")
    assert g.list_arguments() == ["data", "g_parameters", "g_state", "g_sequence_length"]
    assert g.infer_shape(data=(5, 4, 7)) == ([(5, 4, 7), (270,), (1, 4, 6), (4,)], [(5, 4, 6)], [])
    assert g.infer_type(data="float32")[0] == [np.float32] * 4


def test_symbol_positional_inputs_follow_the_enabled_inputs():
    from mxcore import sym
    x, p, h, n = sym.var("x"), sym.var("p"), sym.var("h"), sym.var("n")
    g = sym.RNN(x, p, h, n, state_size=4, num_layers=1, mode="gru", use_sequence_length=True)
    assert g.list_arguments() == ["x", "p", "h", "n"]  # n is the lengths, not a state_cell
    with pytest.raises(TypeError, match="RNN takes 3 inputs with these attributes"):
        sym.RNN(x, p, h, n, state_size=4, num_layers=1, mode="gru")


def test_traced_layer_nodes_equal_mxnet(tmp_path):
    # MXNet 1.9.1 writes, for this net (printed by MXNet): Reshape seq_g_reshape0..3
    # {'shape': '-1'}, _zeros 'seq_seq_g_h0_0' {'__layout__': 'LNC', 'dtype': 'float32',
    # 'shape': '(1, 0, 4)'} (its begin state is named in the caller's scope), and RNN
    # 'seq_g_rnn0' with every attribute
    net = nn.HybridSequential(prefix='seq_')
    with net.name_scope():
        net.add(rnn.GRU(4, input_size=3, prefix='g_'), nn.Dense(2, flatten=False, prefix='d_'))
    net.initialize()
    net.hybridize()
    net(nd.ones((3, 2, 3)))
    sym_file, _ = net.export(str(tmp_path / "t"))
    nodes = json.load(open(sym_file))["nodes"]
    got = [(n["op"], n["name"], n.get("attrs")) for n in nodes if n["op"] in ("_zeros", "Reshape", "RNN")]
    assert got == [("Reshape", "seq_g_reshape%d" % i, {"shape": "-1"}) for i in range(4)] + [
        ("_zeros", "seq_seq_g_h0_0", {"__layout__": "LNC", "dtype": "float32", "shape": "(1, 0, 4)"}),
        ("RNN", "seq_g_rnn0", {"bidirectional": "False", "lstm_state_clip_max": "None",
                               "lstm_state_clip_min": "None", "lstm_state_clip_nan": "False", "mode": "gru",
                               "num_layers": "1", "p": "0", "projection_size": "None", "state_outputs": "True",
                               "state_size": "4", "use_sequence_length": "False"})]
