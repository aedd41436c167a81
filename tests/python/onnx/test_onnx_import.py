"""ONNX graphs as PyTorch and other exporters write them (built here with onnx.helper) import
and give onnxruntime's outputs on the same inputs."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import mxcore as mx
from onnx import TensorProto, helper, numpy_helper
from onnx_helpers import assert_close, import_forward, run_ort

RNG = np.random.RandomState(1)
F = TensorProto.FLOAT


def _u(*shape, lo=-1.0, hi=1.0):
    return RNG.uniform(lo, hi, shape).astype(np.float32)


def _init(name, value):
    return numpy_helper.from_array(np.asarray(value), name)


def _model(nodes, inputs, outputs, inits, opset=13):
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(n, F, s) for n, s in inputs],
                          [helper.make_tensor_value_info(n, F, None) for n in outputs], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def _check(model, feeds, tmp_path):
    path = str(tmp_path / "m.onnx")
    import onnx
    onnx.save(model, path)  # onnxruntime validates it on load (outputs are left without shapes)
    want = run_ort(path, feeds)
    got = import_forward(path, feeds)
    for g, w in zip(got, want):
        assert_close(g.reshape(w.shape) if w.ndim == 0 else g, w)
    return path, want


def torch_mlp():
    """Linear -> ReLU -> Dropout -> Linear -> Softmax, as torch.onnx.export writes it (Gemm, transB=1)."""
    n = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], alpha=1.0, beta=1.0, transB=1),
         helper.make_node("Relu", ["h"], ["r"]), helper.make_node("Dropout", ["r"], ["d"]),
         helper.make_node("Gemm", ["d", "w2", "b2"], ["o"], transB=1), helper.make_node("Softmax", ["o"], ["y"],
                                                                                       axis=1)]
    inits = [_init("w1", _u(16, 8)), _init("b1", _u(16)), _init("w2", _u(4, 16)), _init("b2", _u(4))]
    return _model(n, [("x", [3, 8])], ["y"], inits), {"x": _u(3, 8)}


def torch_cnn():
    """Conv -> BatchNormalization -> Relu -> MaxPool -> Conv (asymmetric pads) -> AveragePool ->
    GlobalAveragePool -> Flatten -> Gemm, plus x.view(x.size(0), -1) as Shape/Gather/Unsqueeze/Concat."""
    c = 4
    n = [helper.make_node("Conv", ["x", "cw", "cb"], ["c1"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
         helper.make_node("BatchNormalization", ["c1", "g", "b", "m", "v"], ["bn"], epsilon=1e-5),
         helper.make_node("Relu", ["bn"], ["r"]),
         helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2]),
         helper.make_node("Conv", ["p", "cw2"], ["c2"], kernel_shape=[3, 3], pads=[0, 0, 1, 1], strides=[2, 2]),
         helper.make_node("AveragePool", ["c2"], ["a"], kernel_shape=[3, 3], pads=[1, 1, 1, 1],
                          count_include_pad=0, ceil_mode=1),
         helper.make_node("Shape", ["a"], ["s"]),
         helper.make_node("Constant", [], ["zero"], value=numpy_helper.from_array(np.array(0, np.int64))),
         helper.make_node("Gather", ["s", "zero"], ["n0"], axis=0),
         helper.make_node("Unsqueeze", ["n0", "ax0"], ["n1"]),
         helper.make_node("Concat", ["n1", "minus1"], ["shp"], axis=0),
         helper.make_node("Reshape", ["a", "shp"], ["flat"]),
         helper.make_node("Gemm", ["flat", "fw"], ["y"], transB=1),
         helper.make_node("GlobalAveragePool", ["c2"], ["gp"]), helper.make_node("Flatten", ["gp"], ["y2"])]
    inits = [_init("cw", _u(c, 3, 3, 3)), _init("cb", _u(c)), _init("g", _u(c)), _init("b", _u(c)),
             _init("m", _u(c)), _init("v", _u(c, lo=0.5, hi=1.5)), _init("cw2", _u(6, c, 3, 3)),
             _init("ax0", np.array([0], np.int64)), _init("minus1", np.array([-1], np.int64)),
             _init("fw", _u(5, 6 * 3 * 3))]
    return _model(n, [("x", [2, 3, 12, 12])], ["y", "y2"], inits), {"x": _u(2, 3, 12, 12)}


def elementwise():
    """Scalar constants on either side (0-d initializers), broadcasting, MatMul with a weight and
    with a tensor, Transpose, Concat, Clip, Slice, Squeeze/Unsqueeze, Identity, reductions."""
    n = [helper.make_node("Mul", ["x", "half"], ["a"]), helper.make_node("Sub", ["one", "a"], ["b"]),
         helper.make_node("Div", ["b", "z"], ["c"]), helper.make_node("Add", ["c", "row"], ["d"]),
         helper.make_node("MatMul", ["d", "mw"], ["e"]),
         helper.make_node("Transpose", ["e"], ["t"], perm=[1, 0]),
         helper.make_node("MatMul", ["e", "t"], ["f"]),
         helper.make_node("Concat", ["f", "f"], ["g"], axis=1),
         helper.make_node("Clip", ["g", "lo", "hi"], ["h"]),
         helper.make_node("Slice", ["h", "st", "en", "axs", "stp"], ["s"]),
         helper.make_node("Unsqueeze", ["s", "ax0"], ["u"]), helper.make_node("Squeeze", ["u", "ax0"], ["q"]),
         helper.make_node("Identity", ["q"], ["i"]),
         helper.make_node("ReduceMean", ["i"], ["y1"], axes=[1], keepdims=0),
         helper.make_node("ReduceSum", ["i", "ax0"], ["y2"], keepdims=1),
         helper.make_node("Sigmoid", ["i"], ["y3"]), helper.make_node("LeakyRelu", ["i"], ["y4"], alpha=0.3),
         helper.make_node("Pow", ["z", "two"], ["y5"]), helper.make_node("Max", ["x", "z", "row"], ["y6"]),
         helper.make_node("Sum", ["x", "z"], ["y7"]), helper.make_node("Tanh", ["x"], ["y8"])]
    inits = [_init("half", np.array(0.5, np.float32)), _init("one", np.array(1.0, np.float32)),
             _init("row", _u(1, 6)), _init("mw", _u(6, 4)), _init("lo", np.array(-0.5, np.float32)),
             _init("hi", np.array(0.5, np.float32)), _init("st", np.array([0, 1], np.int64)),
             _init("en", np.array([2, 1000000], np.int64)), _init("axs", np.array([0, 1], np.int64)),
             _init("stp", np.array([1, 2], np.int64)), _init("ax0", np.array([0], np.int64)),
             _init("two", np.array(2.0, np.float32))]
    return (_model(n, [("x", [3, 6]), ("z", [3, 6])], ["y%d" % i for i in range(1, 9)], inits),
            {"x": _u(3, 6), "z": _u(3, 6, lo=0.5, hi=2.0)})


def resize_pad_gather():
    n = [helper.make_node("Resize", ["x", "", "sc"], ["r"], mode="nearest"),
         helper.make_node("Pad", ["r", "pads", "pv"], ["p"], mode="constant"),
         helper.make_node("Gather", ["emb", "idx"], ["y2"], axis=0),
         helper.make_node("Split", ["x", "sp"], ["s1", "s2"], axis=1),
         helper.make_node("Add", ["s1", "s2"], ["y3"]),
         helper.make_node("PRelu", ["x", "slope"], ["y4"]), helper.make_node("Elu", ["x"], ["y5"]),
         helper.make_node("InstanceNormalization", ["x", "ig", "ib"], ["y6"]),
         helper.make_node("LRN", ["x"], ["y7"], size=3, alpha=1e-3, beta=0.75, bias=1.0),
         helper.make_node("ConvTranspose", ["x", "tw"], ["y8"], strides=[2, 2], pads=[1, 1, 1, 1],
                          output_padding=[1, 1]),
         helper.make_node("Cast", ["p"], ["y1"], to=TensorProto.FLOAT)]
    inits = [_init("sc", np.array([1, 1, 2, 2], np.float32)), _init("pads", np.array([0, 0, 1, 2, 0, 0, 2, 1],
                                                                                      np.int64)),
             _init("pv", np.array(0.25, np.float32)), _init("emb", _u(7, 3)),
             _init("idx", np.array([[1, 6], [0, 2]], np.int64)), _init("sp", np.array([2, 2], np.int64)),
             _init("slope", _u(4, 1, 1)), _init("ig", _u(4)), _init("ib", _u(4)), _init("tw", _u(4, 2, 3, 3))]
    return (_model(n, [("x", [1, 4, 3, 3])], ["y1", "y2", "y3", "y4", "y5", "y6", "y7", "y8"], inits),
            {"x": _u(1, 4, 3, 3)})


def more_ops():
    """Gemm's general form, MatMul of two 3-d tensors, SAME padding, asymmetric max-pool pads,
    Flatten at axis 2, unequal Split, Where/Greater/Not, Expand, Tile and more activations."""
    n = [helper.make_node("Gemm", ["m", "gw", "gc"], ["g"], alpha=0.5, beta=2.0, transA=1),
         helper.make_node("Reshape", ["x", "s3"], ["x3"]),
         helper.make_node("Transpose", ["x3"], ["x3t"], perm=[0, 2, 1]),
         helper.make_node("MatMul", ["x3", "x3t"], ["mm"]),
         helper.make_node("Conv", ["x", "cw"], ["c"], auto_pad="SAME_UPPER", strides=[2, 2]),
         helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[2, 2], pads=[0, 0, 1, 1]),
         helper.make_node("GlobalMaxPool", ["x"], ["gmp"]),
         helper.make_node("LpPool", ["x"], ["lp"], kernel_shape=[2, 2], strides=[2, 2], p=2),
         helper.make_node("Flatten", ["x"], ["f2"], axis=2),
         helper.make_node("Split", ["x", "sizes"], ["s1", "s2"], axis=3),
         helper.make_node("Greater", ["x", "zero"], ["gt"]), helper.make_node("Not", ["gt"], ["ng"]),
         helper.make_node("Where", ["ng", "x", "zero"], ["w"]),
         helper.make_node("Expand", ["bias", "eshape"], ["e"]),
         helper.make_node("Tile", ["x", "reps"], ["t"]),
         helper.make_node("HardSigmoid", ["x"], ["hs"], alpha=0.3), helper.make_node("Selu", ["x"], ["se"]),
         helper.make_node("Softplus", ["x"], ["sp"]), helper.make_node("Softsign", ["x"], ["ss"]),
         helper.make_node("ReduceL2", ["x"], ["l2"], axes=[1], keepdims=1),
         helper.make_node("LogSoftmax", ["x"], ["ls"], axis=1), helper.make_node("Min", ["x", "zero"], ["mn"]),
         helper.make_node("Mean", ["x", "x", "zero"], ["me"])]
    inits = [_init("gw", _u(3, 5)), _init("gc", _u(5)), _init("s3", np.array([2, 4, 4], np.int64)),
             _init("cw", _u(2, 2, 3, 3)), _init("zero", np.array(0.0, np.float32)),
             _init("bias", _u(4, 1)), _init("eshape", np.array([2, 4, 3], np.int64)),
             _init("reps", np.array([1, 2, 1, 1], np.int64)), _init("sizes", np.array([1, 3], np.int64))]
    outs = ["g", "mm", "c", "p", "gmp", "lp", "f2", "s1", "s2", "w", "e", "t", "hs", "se", "sp", "ss", "l2", "ls",
            "mn", "me"]
    return (_model(n, [("x", [1, 2, 4, 4]), ("m", [3, 4])], outs, inits),
            {"x": _u(1, 2, 4, 4), "m": _u(3, 4)})


MODELS = {"torch_mlp": torch_mlp, "torch_cnn": torch_cnn, "elementwise": elementwise,
          "resize_pad_gather": resize_pad_gather, "more_ops": more_ops}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_import_matches_onnxruntime(name, tmp_path):
    model, feeds = MODELS[name]()
    _check(model, feeds, tmp_path)


def test_import_to_gluon_and_reexport(tmp_path):
    """ONNX -> SymbolBlock -> export -> ONNX again: onnxruntime gives the first file's outputs."""
    model, feeds = torch_cnn()
    path, want = _check(model, feeds, tmp_path)
    net = mx.contrib.onnx.import_to_gluon(path, mx.cpu())
    out = net(mx.nd.array(feeds["x"]))
    assert_close(out[0].asnumpy(), want[0])
    sym, arg_params, aux_params = mx.contrib.onnx.import_model(path)
    params = dict(arg_params, **{"aux:" + k: v for k, v in aux_params.items()})
    again = mx.onnx.export_model(sym, params, [feeds["x"].shape], onnx_file_path=str(tmp_path / "again.onnx"))
    for g, w in zip(run_ort(again, feeds), want):
        assert_close(g, w)


def test_opset_11_softmax_and_clip_attributes(tmp_path):
    """Older opsets: Clip's bounds as attributes (opset 6), Softmax's default axis 1 (opset < 13)."""
    n = [helper.make_node("Clip", ["x"], ["c"], min=-0.2, max=0.3),
         helper.make_node("Softmax", ["c"], ["y"])]
    model = _model(n, [("x", [2, 5])], ["y"], [], opset=6)
    _check(model, {"x": _u(2, 5)}, tmp_path)


def test_dynamic_batch_input(tmp_path):
    model, _ = torch_mlp()
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    path = str(tmp_path / "dyn.onnx")
    import onnx
    onnx.save(model, path)
    assert mx.contrib.onnx.get_model_metadata(path)["input_tensor_data"] == [("x", (0, 8))]
    x = _u(9, 8)
    assert_close(import_forward(path, {"x": x})[0], run_ort(path, {"x": x})[0])


def test_layer_normalization_opset17_and_upsample_opset9(tmp_path):
    ln = [helper.make_node("LayerNormalization", ["x", "g", "b"], ["y"], axis=-1, epsilon=1e-5)]
    model = _model(ln, [("x", [2, 3, 4])], ["y"], [_init("g", _u(4)), _init("b", _u(4))], opset=17)
    _check(model, {"x": _u(2, 3, 4)}, tmp_path)
    up = [helper.make_node("Upsample", ["x", "sc"], ["y"], mode="nearest")]
    model = _model(up, [("x", [1, 2, 3, 3])], ["y"], [_init("sc", np.array([1, 1, 3, 3], np.float32))], opset=9)
    _check(model, {"x": _u(1, 2, 3, 3)}, tmp_path)


def test_dynamic_batch_view_chain(tmp_path):
    """x.view(x.size(0), -1) with a free batch dim: Shape/Gather/Unsqueeze/Concat -> Reshape code 0."""
    model, _ = torch_cnn()
    model.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    path = str(tmp_path / "dyn_cnn.onnx")
    import onnx
    onnx.save(model, path)
    for batch in (1, 5):
        x = _u(batch, 3, 12, 12)
        for g, w in zip(import_forward(path, {"x": x}), run_ort(path, {"x": x})):
            assert_close(g, w)
