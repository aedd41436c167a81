"""Files MXNet 1.9.1's own exporter wrote (tests/data/onnx_ref/make_refs.py) import here and
predict what MXNet predicted; onnxruntime agrees on the same files."""
from __future__ import annotations

import os

import numpy as np
import pytest

pytest.importorskip("onnx")

import mxcore as mx
from onnx_helpers import assert_close, import_forward

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "onnx_ref")
MODELS = ["mxnet_mlp", "mxnet_cnn", "mxnet_mixed"]


def _io(name):
    io = np.load(os.path.join(REF, name + "-io.npz"))
    return os.path.join(REF, name + ".onnx"), io["x"], io["y"]


@pytest.mark.parametrize("name", MODELS)
def test_import_model_predicts_what_mxnet_predicted(name):
    path, x, y = _io(name)
    got = import_forward(path, {"data": x})[0]
    assert_close(got, y)


@pytest.mark.parametrize("name", MODELS)
def test_import_to_gluon_predicts_what_mxnet_predicted(name):
    path, x, y = _io(name)
    net = mx.contrib.onnx.import_to_gluon(path, mx.cpu())
    assert_close(net(mx.nd.array(x)).asnumpy(), y)


@pytest.mark.parametrize("name", MODELS)
def test_onnxruntime_agrees_with_mxnet(name):
    pytest.importorskip("onnxruntime")
    from onnx_helpers import run_ort
    path, x, y = _io(name)
    assert_close(run_ort(path, {"data": x})[0], y)


def test_metadata_of_an_mxnet_file():
    meta = mx.contrib.onnx.get_model_metadata(os.path.join(REF, "mxnet_cnn.onnx"))
    assert meta["input_tensor_data"] == [("data", (2, 3, 16, 16))]
    assert meta["output_tensor_data"] == [("dense3_fwd", (2, 6))]
