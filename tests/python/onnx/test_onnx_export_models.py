"""Models we export run in onnxruntime and give our outputs; they also import back."""
from __future__ import annotations

import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import mxcore as mx
import onnx
from mxcore import gluon, nd
from mxcore.gluon.model_zoo import vision
from onnx_helpers import assert_close, export_block, import_forward, randomize, run_ort


def _check(net, x, tmp_path, name):
    path, want = export_block(net, x, tmp_path / (name + ".onnx"))
    onnx.checker.check_model(onnx.load(path))
    got = run_ort(path, {"data": x.asnumpy()})[0]
    assert_close(got, want.asnumpy())
    back = import_forward(path, {"data": x.asnumpy()})[0]
    assert_close(back, want.asnumpy())
    return path


def test_mlp(tmp_path):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(32, activation="relu"), gluon.nn.Dropout(0.5), gluon.nn.Dense(16, activation="tanh"),
            gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier())
    _check(net, nd.random.uniform(-1, 1, shape=(5, 20)), tmp_path, "mlp")


def test_lenet_batchnorm(tmp_path):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(6, 5, padding=2), gluon.nn.BatchNorm(), gluon.nn.Activation("relu"),
            gluon.nn.MaxPool2D(2), gluon.nn.Conv2D(16, 5), gluon.nn.BatchNorm(), gluon.nn.Activation("sigmoid"),
            gluon.nn.AvgPool2D(2), gluon.nn.Flatten(), gluon.nn.Dense(32, activation="relu"), gluon.nn.Dense(10))
    net.initialize(mx.init.Xavier())
    net(nd.zeros((1, 1, 28, 28)))
    randomize(net.collect_params())
    _check(net, nd.random.uniform(shape=(3, 1, 28, 28)), tmp_path, "lenet")


ZOO = [
    ("resnet18_v1", 32), ("resnet18_v2", 32), ("resnet50_v1", 32), ("mobilenet0.25", 32),
    ("mobilenetv2_0.25", 32), ("vgg11", 32), ("vgg11_bn", 32), ("alexnet", 67), ("squeezenet1.0", 224),
    ("squeezenet1.1", 224), ("densenet121", 224), ("inceptionv3", 299),
]


@pytest.mark.parametrize("name,size", ZOO, ids=[z[0] for z in ZOO])
def test_model_zoo(name, size, tmp_path):
    net = vision.get_model(name, classes=10)
    net.initialize(mx.init.Xavier())
    x = nd.random.uniform(shape=(1, 3, size, size))
    net(x)
    randomize(net.collect_params(), seed=1)
    _check(net, x, tmp_path, name)
