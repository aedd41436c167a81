"""Bad input gets an error that names what is wrong: the op and node, the missing parameter,
the file that is not a model, the missing shapes, the missing onnx package."""
from __future__ import annotations

import sys

import numpy as np
import pytest

pytest.importorskip("onnx")

import mxcore as mx
from mxcore import sym as S
from mxcore.base import MXNetError
from onnx import TensorProto, helper

X = S.var("data")


def test_export_untranslated_op_names_op_and_node(tmp_path):
    sym = S.sort(X, name="my_sort")
    with pytest.raises(MXNetError, match=r"no ONNX translation for op 'sort' \(node 'my_sort'\)"):
        mx.onnx.export_model(sym, {}, [(2, 5)], onnx_file_path=str(tmp_path / "m.onnx"))


def test_export_unsupported_attribute_names_node(tmp_path):
    sym = S.Pooling(X, kernel=(2, 2), pool_type="max", layout="NHWC", name="pool_nhwc")
    with pytest.raises(MXNetError, match=r"node 'pool_nhwc' \(op Pooling\): layout NHWC"):
        mx.onnx.export_model(sym, {}, [(1, 4, 4, 2)], onnx_file_path=str(tmp_path / "m.onnx"))


def test_export_missing_parameter(tmp_path):
    sym = S.FullyConnected(X, S.var("fc_w"), S.var("fc_b"), num_hidden=3, name="fc")
    with pytest.raises(MXNetError, match=r"'fc_b' \(input of node 'fc' \(FullyConnected\)\).*missing parameter"):
        mx.onnx.export_model(sym, {"fc_w": np.zeros((3, 4), np.float32)}, [(2, 4)],
                             onnx_file_path=str(tmp_path / "m.onnx"))


def test_export_without_shapes(tmp_path):
    sym = S.FullyConnected(X, S.var("w"), num_hidden=3, no_bias=True, name="fc")
    with pytest.raises(MXNetError, match=r"no shape in in_shapes for 'data' \(input of node 'fc'"):
        mx.onnx.export_model(sym, {"w": np.zeros((3, 4), np.float32)}, onnx_file_path=str(tmp_path / "m.onnx"))


def test_export_wrong_shapes(tmp_path):
    sym = S.FullyConnected(X, S.var("w"), num_hidden=3, no_bias=True, name="fc")
    with pytest.raises(MXNetError, match=r"shape inference failed .*'fc'"):
        mx.onnx.export_model(sym, {"w": np.zeros((3, 4), np.float32)}, [(2, 5)],
                             onnx_file_path=str(tmp_path / "m.onnx"))


def test_import_not_a_model(tmp_path):
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(b"\x00\xffthis is not a protobuf\x01\x02" * 7)
    with pytest.raises(MXNetError, match=r"'.*junk.onnx' is not an ONNX model file"):
        mx.contrib.onnx.import_model(str(bad))
    empty = tmp_path / "empty.onnx"
    empty.write_bytes(b"")
    with pytest.raises(MXNetError, match=r"is not an ONNX model file \(no graph nodes\)"):
        mx.contrib.onnx.import_model(str(empty))
    with pytest.raises(MXNetError, match=r"no such file"):
        mx.contrib.onnx.import_model(str(tmp_path / "absent.onnx"))


def _one_node_model(node, opset=13):
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 4, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


def test_import_untranslated_op_names_op_and_node():
    m = _one_node_model(helper.make_node("Hardmax", ["x"], ["y"], name="hm1"))
    with pytest.raises(MXNetError, match=r"no MXNet translation for op 'Hardmax' \(node 'hm1'\)"):
        mx.contrib.onnx.import_model(m)


def test_import_unsupported_attribute_names_node():
    m = _one_node_model(helper.make_node("Resize", ["x", "", "s"], ["y"], name="rs", mode="linear"))
    with pytest.raises(MXNetError, match=r"node 'rs' \(op Resize\): mode 'linear'"):
        mx.contrib.onnx.import_model(m)


def test_import_non_constant_shape_input():
    g = helper.make_graph([helper.make_node("Reshape", ["x", "s"], ["y"], name="rsh")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
                           helper.make_tensor_value_info("s", TensorProto.INT64, [2])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)])
    with pytest.raises(MXNetError, match=r"node 'rsh' \(op Reshape\): input 1 \('s'\) must be a constant"):
        mx.contrib.onnx.import_model(helper.make_model(g))


def test_import_damaged_attribute_and_initializer_name_them():
    # what a damaged file holds: an attribute of the wrong type, an initializer of an unknown data type
    m = _one_node_model(helper.make_node("MaxPool", ["x"], ["y"], name="mp", kernel_shape=3))
    with pytest.raises(MXNetError, match=r"node 'mp' \(op 'MaxPool'\) cannot be translated"):
        mx.contrib.onnx.import_model(m)
    m = _one_node_model(helper.make_node("Add", ["x", "w"], ["y"], name="add1"))
    w = helper.make_tensor("w", TensorProto.FLOAT, [1], [1.0])
    w.data_type = 110
    m.graph.initializer.append(w)
    with pytest.raises(MXNetError, match=r"initializer 'w' cannot be read"):
        mx.contrib.onnx.import_model(m)


def test_import_randomly_damaged_files_raise_mxnet_error(tmp_path):
    # bytes flipped anywhere in an exported CNN: the import either works or raises MXNetError
    from mxcore import gluon, nd
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(4, 3), gluon.nn.BatchNorm(), gluon.nn.Dense(3))
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 2, 8, 8)))
    net.export(str(tmp_path / "small"), 0)
    f = mx.onnx.export_model(str(tmp_path / "small-symbol.json"), str(tmp_path / "small-0000.params"),
                             [(1, 2, 8, 8)], np.float32, str(tmp_path / "small.onnx"))
    raw = open(f, "rb").read()
    rng = np.random.default_rng(0)
    raised = 0
    for _ in range(150):
        bad = bytearray(raw)
        for at in rng.integers(0, len(bad), rng.integers(1, 4)):
            bad[at] = int(rng.integers(0, 256))
        g = tmp_path / "bad.onnx"
        g.write_bytes(bytes(bad))
        try:
            mx.contrib.onnx.import_model(str(g))
        except MXNetError:
            raised += 1
    assert raised > 0


def test_missing_onnx_package_says_how_to_install(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "onnx", None)  # makes `import onnx` raise ImportError
    with pytest.raises(MXNetError, match=r"pip install onnx"):
        mx.onnx.export_model(X, {}, [(1, 2)], onnx_file_path=str(tmp_path / "m.onnx"))
    with pytest.raises(MXNetError, match=r"pip install onnx"):
        mx.contrib.onnx.import_model(str(tmp_path / "m.onnx"))


def test_export_output_without_translation(tmp_path):
    sym = S.LeakyReLU(X, act_type="rrelu", name="rr")  # its second output is the random mask
    with pytest.raises(MXNetError, match=r"output 1 of node 'rr' \(op LeakyReLU\) has no ONNX translation"):
        mx.onnx.export_model(sym, {}, [(2, 3)], onnx_file_path=str(tmp_path / "m.onnx"))


def test_import_dynamic_dim_reshape_codes_cannot_express():
    """A free batch dim moved to another axis of a Reshape has no MXNet reshape code."""
    import numpy as np
    from onnx import numpy_helper
    nodes = [helper.make_node("Shape", ["x"], ["s"]),
             helper.make_node("Gather", ["s", "zero"], ["n0"], axis=0),
             helper.make_node("Unsqueeze", ["n0", "ax0"], ["n1"]),
             helper.make_node("Concat", ["minus1", "n1"], ["shp"], axis=0),
             helper.make_node("Reshape", ["x", "shp"], ["y"], name="swap")]
    inits = [numpy_helper.from_array(np.array(0, np.int64), "zero"),
             numpy_helper.from_array(np.array([0], np.int64), "ax0"),
             numpy_helper.from_array(np.array([-1], np.int64), "minus1")]
    g = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 6])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], inits)
    with pytest.raises(MXNetError, match=r"node 'swap' \(op Reshape\): shape entry 1 is x.shape\[0\], a dynamic"):
        mx.contrib.onnx.import_model(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]))
