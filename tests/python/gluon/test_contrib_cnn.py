"""gluon.contrib.cnn: DeformableConvolution and ModulatedDeformableConvolution
(MXNet 1.9.1's layers). Parameter names and order, the traced graph (ops,
attributes, node names) and a few outputs are what MXNet 1.9.1 gave for the
same code and values; the offset convolution starts at zero, so a fresh layer
is a plain convolution."""
import json
import os

import mxcore as mx
import numpy as np
import pytest
from mxcore import autograd, gluon, nd
from mxcore.gluon.contrib import cnn

LAYERS = [cnn.DeformableConvolution, cnn.ModulatedDeformableConvolution]

# MXNet 1.9.1: collect_params() of cls(4, kernel_size=3, padding=1) (prefix 'dc_'), before the first forward
MXNET_PARAMS = {
    "DeformableConvolution": [("dc_offset_weight", (18, 0, 3, 3)), ("dc_offset_bias", (18,)),
                              ("dc_deformable_conv_weight", (4, 0, 3, 3)), ("dc_deformable_conv_bias", (4,))],
    "ModulatedDeformableConvolution": [("dc_deformable_conv_weight", (4, 0, 3, 3)), ("dc_deformable_conv_bias", (4,)),
                                       ("dc_offset_weight", (27, 0, 3, 3)), ("dc_offset_bias", (27,))],
}
# MXNet 1.9.1's export (ops and node names, without the variables)
MXNET_NODES = {
    "DeformableConvolution": [("Convolution", "dc_convolution0"), ("_contrib_DeformableConvolution", "dc_fwd"),
                              ("Activation", "dc_relu_fwd")],
    "ModulatedDeformableConvolution": [
        ("Convolution", "dc_convolution0"), ("slice_axis", "dc_slice_axis0"), ("slice_axis", "dc_slice_axis1"),
        ("sigmoid", "dc_sigmoid0"), ("_mul_scalar", "dc__mulscalar0"),
        ("_contrib_ModulatedDeformableConvolution", "dc_fwd"), ("Activation", "dc_relu_fwd")],
}
# MXNet 1.9.1: output sum and ramp-weighted sum after setting every parameter (sorted by name) to
# RandomState(2).randn * 0.3, for x = RandomState(1).randn(2, 3, 6, 7)
MXNET_OUT = {"DeformableConvolution": [66.7057, 13.9487], "ModulatedDeformableConvolution": [63.463, 7.1581]}


def make(cls):
    return cls(4, kernel_size=3, padding=1, strides=(1, 2), activation="relu", prefix="dc_")


def x_in():
    return nd.array(np.random.RandomState(1).randn(2, 3, 6, 7).astype("f"))


def set_params(net):
    rs = np.random.RandomState(2)
    params = net.collect_params()
    for k in sorted(params.keys()):
        params[k].set_data(nd.array((rs.randn(*params[k].shape) * 0.3).astype("f")))


def summary(y):
    return [float(y.sum()), float((y * np.linspace(-1, 1, y.size).reshape(y.shape)).sum())]


def test_package_layout():
    assert gluon.contrib.cnn is cnn
    assert cnn.__all__ == ["DeformableConvolution", "ModulatedDeformableConvolution"]


@pytest.mark.parametrize("cls", LAYERS)
def test_parameters_are_mxnets(cls):
    net = cls(4, kernel_size=3, padding=1, prefix="dc_")
    assert [(k, v.shape) for k, v in net.collect_params().items()] == MXNET_PARAMS[cls.__name__]
    assert repr(net) == "%s(None -> 4, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))" % cls.__name__
    net.initialize()
    net(nd.ones((1, 2, 5, 5)))
    assert net.deformable_conv_weight.shape == (4, 2, 3, 3)
    assert net.offset_weight.shape[1:] == (2, 3, 3)
    assert not net.offset_weight.data().asnumpy().any()  # zeros: starts as a plain convolution


@pytest.mark.parametrize("cls", LAYERS)
def test_fresh_layer_is_a_plain_convolution(cls):
    net = cls(3, kernel_size=(3, 2), padding=(1, 0), in_channels=2, use_bias=False)
    net.initialize(mx.init.Xavier())
    x = nd.array(np.random.RandomState(0).randn(2, 2, 5, 6).astype("f"))
    y = net(x)
    want = nd.Convolution(x, net.deformable_conv_weight.data(), kernel=(3, 2), pad=(1, 0), num_filter=3,
                          no_bias=True)
    np.testing.assert_allclose(y.asnumpy(), want.asnumpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls", LAYERS)
def test_outputs_match_mxnet_eager_and_hybridized(cls):
    net = make(cls)
    net.initialize()
    x = x_in()
    net(x)
    set_params(net)
    y = net(x).asnumpy()
    np.testing.assert_allclose(summary(y), MXNET_OUT[cls.__name__], atol=2e-3)
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_export_writes_mxnets_graph_and_loads_back(cls, tmp_path):
    net = make(cls)
    net.initialize()
    x = x_in()
    net(x)
    set_params(net)
    net.hybridize()
    y = net(x).asnumpy()
    path = os.path.join(str(tmp_path), "dcn")
    net.export(path)
    nodes = json.load(open(path + "-symbol.json"))["nodes"]
    assert [(n["op"], n["name"]) for n in nodes if n["op"] != "null"] == MXNET_NODES[cls.__name__]
    fwd = [n for n in nodes if n["name"] == "dc_fwd"][0]
    assert fwd["attrs"] == {"kernel": "(3, 3)", "stride": "(1, 2)", "dilate": "(1, 1)", "pad": "(1, 1)",
                            "num_filter": "4", "num_group": "1", "num_deformable_group": "1", "no_bias": "False",
                            "layout": "NCHW"}
    blk = gluon.SymbolBlock.imports(path + "-symbol.json", ["data"], path + "-0000.params")
    np.testing.assert_allclose(blk(x).asnumpy(), y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cls", LAYERS)
def test_training_moves_the_offsets(cls):
    net = cls(2, kernel_size=3, padding=1, num_deformable_group=2)
    net.initialize(mx.init.Xavier())
    x = nd.array(np.random.RandomState(3).randn(2, 4, 6, 6).astype("f"))
    net(x)
    net.offset_weight.set_data(nd.array(np.random.RandomState(4).randn(*net.offset_weight.shape) * 0.1))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before = net.offset_weight.data().asnumpy().copy()
    with autograd.record():
        loss = (net(x) ** 2).mean()
    loss.backward()
    trainer.step(2)
    assert np.abs(net.offset_weight.data().asnumpy() - before).max() > 0
    for p in net.collect_params().values():
        assert np.isfinite(p.grad().asnumpy()).all()
