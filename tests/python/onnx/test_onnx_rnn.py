"""The fused RNN op (Gluon LSTM/GRU/RNN layers) exports as ONNX LSTM/GRU/RNN with MXNet's
gate order converted, runs in onnxruntime and imports back; ONNX LSTMs import."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import mxcore as mx
from mxcore import gluon, nd
from onnx import TensorProto, helper, numpy_helper
from onnx_helpers import assert_close, import_forward, run_ort

LAYERS = [(cls, layers, bi) for cls in ("LSTM", "GRU", "RNN") for layers, bi in ((1, False), (2, True))]


@pytest.mark.parametrize("cls,layers,bi", LAYERS, ids=["%s-%d-%s" % c for c in LAYERS])
def test_rnn_layer_with_states(cls, layers, bi, tmp_path):
    mx.random.seed(3)
    net = getattr(gluon.rnn, cls)(5, num_layers=layers, bidirectional=bi, input_size=3)
    net.initialize(mx.init.Uniform(0.5))
    net.hybridize()
    x = nd.random.uniform(shape=(4, 2, 3))
    states = [nd.random.uniform(-0.5, 0.5, shape=s.shape) for s in net.begin_state(2)]
    out, new_states = net(x, states)
    prefix = str(tmp_path / "rnn")
    net.export(prefix, 0)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [x.shape] + [s.shape for s in states], onnx_file_path=prefix + ".onnx")
    feeds = dict({"data0": x.asnumpy()}, **{"data%d" % (i + 1): s.asnumpy() for i, s in enumerate(states)})
    want = [out.asnumpy()] + [s.asnumpy() for s in new_states]
    for got in (run_ort(path, feeds), import_forward(path, feeds)):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g, w)


def test_lstm_in_a_model_without_given_states(tmp_path):
    """Begin states made inside the graph (zeros), the layer's output fed to a Dense."""
    net = gluon.nn.HybridSequential()
    net.add(gluon.rnn.LSTM(6, layout="NTC", input_size=4), gluon.nn.Dense(3, flatten=False))
    net.initialize(mx.init.Uniform(0.4))
    net.hybridize()
    x = nd.random.uniform(shape=(2, 5, 4))
    want = net(x).asnumpy()
    prefix = str(tmp_path / "m")
    net.export(prefix, 0)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [x.shape],
                                onnx_file_path=prefix + ".onnx")
    assert_close(run_ort(path, {"data": x.asnumpy()})[0], want)
    assert_close(import_forward(path, {"data": x.asnumpy()})[0], want)


def test_onnx_lstm_without_initial_states_and_with_lengths(tmp_path):
    rng = np.random.RandomState(5)
    h, i = 4, 3
    w = rng.uniform(-0.5, 0.5, (2, 4 * h, i)).astype(np.float32)
    r = rng.uniform(-0.5, 0.5, (2, 4 * h, h)).astype(np.float32)
    b = rng.uniform(-0.5, 0.5, (2, 8 * h)).astype(np.float32)
    node = helper.make_node("LSTM", ["x", "w", "r", "b", "lens"], ["y", "yh", "yc"], hidden_size=h,
                            direction="bidirectional")
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [5, 3, i]),
                                        helper.make_tensor_value_info("lens", TensorProto.INT32, [3])],
                          [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in ("y", "yh", "yc")],
                          [numpy_helper.from_array(v, k) for k, v in (("w", w), ("r", r), ("b", b))])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 7
    path = str(tmp_path / "lstm.onnx")
    import onnx
    onnx.save(m, path)
    feeds = {"x": rng.uniform(-1, 1, (5, 3, i)).astype(np.float32), "lens": np.array([5, 3, 1], np.int32)}
    for g, w_ in zip(import_forward(path, feeds), run_ort(path, feeds)):
        assert_close(g, w_)


def test_lstm_with_sequence_lengths(tmp_path):
    """use_sequence_length: outputs past a sample's length are 0 and its final state is the one
    after its last valid step, in our core and in ONNX's sequence_lens alike."""
    mx.random.seed(4)
    net = gluon.rnn.LSTM(4, bidirectional=True, input_size=3, use_sequence_length=True)
    net.initialize(mx.init.Uniform(0.5))
    net.hybridize()
    x = nd.random.uniform(shape=(5, 3, 3))
    states = [nd.random.uniform(-0.5, 0.5, shape=s.shape) for s in net.begin_state(3)]
    lens = nd.array([5, 2, 4])
    out, new_states = net(x, states, lens)
    prefix = str(tmp_path / "lstm_len")
    net.export(prefix, 0)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params",
                                [x.shape, states[0].shape, states[1].shape, lens.shape],
                                onnx_file_path=prefix + ".onnx")
    feeds = {"data0": x.asnumpy(), "data1": states[0].asnumpy(), "data2": states[1].asnumpy(),
             "data3": lens.asnumpy()}
    want = [out.asnumpy()] + [s.asnumpy() for s in new_states]
    for g, w in zip(run_ort(path, feeds), want):
        assert_close(g, w)
