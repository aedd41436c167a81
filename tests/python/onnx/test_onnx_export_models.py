"""Models we export run in onnxruntime and give our outputs; they also import back."""
from __future__ import annotations

import numpy as np
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


def test_block_symbol_and_parameter_dict(tmp_path):
    """export_model(sym, net.collect_params()) as well as with files."""
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(8, activation="relu"), gluon.nn.BatchNorm(), gluon.nn.Dense(3))
    net.initialize()
    x = nd.random.uniform(shape=(2, 5))
    net(x)
    randomize(net.collect_params())
    want = net(x).asnumpy()
    sym = net(mx.sym.var("data"))
    path = mx.onnx.export_model(sym, net.collect_params(), [(2, 5)], onnx_file_path=str(tmp_path / "p.onnx"))
    assert_close(run_ort(path, {"data": x.asnumpy()})[0], want)


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


def test_symbol_api_module_checkpoint(tmp_path):
    """A Symbol-API program trained with mx.mod.Module, saved with save_checkpoint and exported
    from its files (the SoftmaxOutput label is not an ONNX input); verbose and shape inference on."""
    data = mx.sym.var("data")
    net = mx.sym.FullyConnected(data, num_hidden=16, name="fc1")
    net = mx.sym.Activation(net, act_type="relu", name="relu1")
    net = mx.sym.BatchNorm(net, name="bn1")
    net = mx.sym.FullyConnected(net, num_hidden=3, name="fc2")
    net = mx.sym.SoftmaxOutput(net, name="softmax")
    rng = np.random.RandomState(0)
    x = rng.uniform(-1, 1, (60, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32) + (x[:, 1] > 0.5)
    mod = mx.mod.Module(net, context=mx.cpu())
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=20), num_epoch=3, optimizer="sgd",
            optimizer_params={"learning_rate": 0.1})
    prefix = str(tmp_path / "sym")
    mod.save_checkpoint(prefix, 3)
    test = x[:10]
    want = mod.predict(mx.io.NDArrayIter(test, batch_size=10)).asnumpy()
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0003.params", [(10, 8)], np.float32,
                                str(tmp_path / "sym.onnx"), verbose=True, run_shape_inference=True)
    model = onnx.load(path)
    assert [i.name for i in model.graph.input] == ["data"]
    got = run_ort(path, {"data": test})[0]
    assert_close(got, want)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-5)
    assert_close(import_forward(path, {"data": test})[0], want)


@pytest.mark.parametrize("name", ["resnet18_v1", "mobilenetv2_0.25"])
def test_model_zoo_dynamic_batch(name, tmp_path):
    """Exported at batch 1 with a free batch dim, run at batch 3."""
    net = vision.get_model(name, classes=10)
    net.initialize()
    net(nd.zeros((1, 3, 32, 32)))
    randomize(net.collect_params(), seed=2)
    net.hybridize()
    net(nd.zeros((1, 3, 32, 32)))
    prefix = str(tmp_path / name)
    net.export(prefix, 0)
    path = mx.onnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [(1, 3, 32, 32)], np.float32,
                                prefix + ".onnx", dynamic=True, dynamic_input_shapes=[(None, 3, 32, 32)])
    x = nd.random.uniform(shape=(3, 3, 32, 32))
    assert_close(run_ort(path, {"data": x.asnumpy()})[0], net(x).asnumpy())
