"""Custom Python operators (mx.operator, MXNet 1.x): mx.nd.Custom forward and
autograd backward against numpy, loss-layer style ops (need_top_grad=False),
string kwargs, several outputs, errors, hybridized blocks (run in the graph,
no warning) and mx.sym.Custom's JSON node. Graph execution in depth:
test_custom_op_graph.py."""
import json
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd


class _Sigmoid(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], 1 / (1 + nd.exp(-in_data[0])))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        y = out_data[0]
        self.assign(in_grad[0], req[0], out_grad[0] * y * (1 - y))


@mx.operator.register("test_sigmoid")
class _SigmoidProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=True)

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Sigmoid()


class _SoftmaxLoss(mx.operator.CustomOp):
    """MXNet's classic example: softmax forward, (p - onehot(label)) backward, no top grad."""

    def forward(self, is_train, req, in_data, out_data, aux):
        x = in_data[0].asnumpy()
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.assign(out_data[0], req[0], nd.array(e / e.sum(axis=1, keepdims=True)))

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        label = in_data[1].asnumpy().astype(int)
        g = out_data[0].asnumpy().copy()
        g[np.arange(label.shape[0]), label] -= 1.0
        self.assign(in_grad[0], req[0], nd.array(g))
        self.assign(in_grad[1], req[1], nd.zeros_like(in_data[1]))


@mx.operator.register("test_softmax_loss")
class _SoftmaxLossProp(mx.operator.CustomOpProp):
    def __init__(self):
        super().__init__(need_top_grad=False)

    def list_arguments(self):
        return ["data", "label"]

    def infer_shape(self, in_shape):
        return [in_shape[0], (in_shape[0][0],)], [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _SoftmaxLoss()


class _ScaleSplit(mx.operator.CustomOp):
    def __init__(self, scale):
        self.scale = scale

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], in_data[0] * self.scale)
        self.assign(out_data[1], req[1], in_data[0] + self.scale)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * self.scale + out_grad[1])


@mx.operator.register("test_scale_split")
class _ScaleSplitProp(mx.operator.CustomOpProp):
    def __init__(self, scale="1.0"):
        super().__init__()
        self.scale = float(scale)  # MXNet hands kwargs over as strings

    def list_outputs(self):
        return ["scaled", "shifted"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0], in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _ScaleSplit(self.scale)


def test_custom_forward_and_backward_match_numpy():
    xv = np.random.RandomState(0).randn(3, 4).astype("f")
    x = nd.array(xv)
    x.attach_grad()
    with autograd.record():
        y = nd.Custom(x, op_type="test_sigmoid")
        (y * nd.array(np.arange(12).reshape(3, 4))).sum().backward()
    s = 1 / (1 + np.exp(-xv))
    np.testing.assert_allclose(y.asnumpy(), s, rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy(), np.arange(12).reshape(3, 4) * s * (1 - s), rtol=1e-5)


def test_loss_layer_without_top_grad():
    rs = np.random.RandomState(1)
    xv, lv = rs.randn(4, 5).astype("f"), np.array([0, 3, 1, 4], "f")
    x = nd.array(xv)
    x.attach_grad()
    with autograd.record():
        p = nd.Custom(x, nd.array(lv), op_type="test_softmax_loss")
    p.backward()
    e = np.exp(xv - xv.max(1, keepdims=True))
    want = e / e.sum(1, keepdims=True)
    np.testing.assert_allclose(p.asnumpy(), want, rtol=1e-5)
    want[np.arange(4), lv.astype(int)] -= 1
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_kwargs_as_strings_and_several_outputs():
    x = nd.array([[1.0, 2.0]])
    x.attach_grad()
    with autograd.record():
        a, b = nd.Custom(x, op_type="test_scale_split", scale=3)
        (a + 2 * b).sum().backward()
    assert a.asnumpy().tolist() == [[3.0, 6.0]] and b.asnumpy().tolist() == [[4.0, 5.0]]
    assert x.grad.asnumpy().tolist() == [[5.0, 5.0]]  # 3 from a, 2 from b


def test_errors_name_the_problem():
    with pytest.raises(mx.base.MXNetError, match="no operator registered as op_type='nope'"):
        nd.Custom(nd.ones((2,)), op_type="nope")
    with pytest.raises(mx.base.MXNetError, match="expected 2 inputs"):
        nd.Custom(nd.ones((2, 3)), op_type="test_softmax_loss")
    with pytest.raises(mx.base.MXNetError, match="not a CustomOpProp"):
        mx.operator.register("bad")(object)
    assert "test_sigmoid" in mx.operator.get_all_registered_operators()


class _Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3)

    def hybrid_forward(self, F, x):
        return F.Custom(self.dense(x), op_type="test_sigmoid")


def test_hybridized_block_with_custom_op_runs_in_the_graph_without_warning():
    x = nd.array(np.random.RandomState(2).randn(2, 4))
    net = _Net()
    net.initialize()
    eager = net(x).asnumpy()
    net.hybridize()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        first = net(x).asnumpy()
        second = net(x).asnumpy()
    assert not [m for m in w if "eager" in str(m.message)]
    assert net._last_cached is not None  # the traced graph ran
    np.testing.assert_allclose(first, eager, rtol=1e-6)
    np.testing.assert_allclose(second, eager, rtol=1e-6)
    with autograd.record():  # and it trains
        loss = net(x).sum()
    loss.backward()
    assert np.abs(net.dense.weight.grad().asnumpy()).sum() > 0


def test_symbol_custom_node_is_mxnets_and_binds():
    data = mx.sym.var("data")
    out = mx.sym.Custom(data, op_type="test_softmax_loss", name="softmax")
    nodes = json.loads(out.tojson())["nodes"]
    node = [n for n in nodes if n["op"] == "Custom"][0]
    assert node["name"] == "softmax" and node["attrs"] == {"op_type": "test_softmax_loss"}
    assert [nodes[i]["name"] for i, _, _ in node["inputs"]] == ["data", "softmax_label"]  # label made as MXNet does
    scaled = mx.sym.Custom(data, op_type="test_scale_split", scale=2.5, name="ss")
    assert len(scaled) == 2
    assert json.loads(scaled.tojson())["nodes"][-1]["attrs"] == {"op_type": "test_scale_split", "scale": "2.5"}
    ex = out.simple_bind(mx.cpu(), data=(2, 3))
    assert sorted(ex.arg_dict) == ["data", "softmax_label"] and ex.forward()[0].shape == (2, 3)


def test_export_of_a_block_with_a_custom_op(tmp_path):
    """export() of a hybridized block holding a Custom op writes MXNet's JSON (with
    the Custom node) and the arg:/aux: parameters."""

    class Net(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.dense = gluon.nn.Dense(3)
                self.bn = gluon.nn.BatchNorm()

        def hybrid_forward(self, F, x):
            return F.Custom(self.bn(self.dense(x)), op_type="test_sigmoid")

    net = Net()
    net.initialize()
    net.hybridize()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        net(nd.ones((2, 4)))
    sym_file, params_file = net.export(str(tmp_path / "c"), 1)
    nodes = json.load(open(sym_file))["nodes"]
    assert [n["op"] for n in nodes if n["op"] != "null"] == ["FullyConnected", "BatchNorm", "Custom"]
    keys = sorted(nd.load(params_file))
    assert [k.split(":")[0] for k in keys].count("aux") == 2 and len(keys) == 6
    s = mx.sym.Custom(mx.sym.var("data"), op_type="test_softmax_loss", name="sm")
    assert s.list_arguments() == ["data", "sm_label"] and s.list_outputs() == ["sm_output"]


def test_exception_in_a_custom_forward_is_an_mxnet_error():
    # MXNet raises MXNetError for an exception inside CustomOp.forward (test_custom_op_exc)
    class Boom(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            assert False, "boom"

    @mx.operator.register("boom_exc")
    class BoomProp(mx.operator.CustomOpProp):
        def list_arguments(self):
            return ["a"]

        def infer_shape(self, s):
            return s, [s[0]]

        def create_operator(self, ctx, shapes, dtypes):
            return Boom()

    with pytest.raises(mx.MXNetError, match="boom_exc.*forward raised AssertionError: boom"):
        mx.nd.Custom(mx.nd.zeros((2, 2)), op_type="boom_exc").wait_to_read()
