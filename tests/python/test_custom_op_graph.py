"""Custom Python operators (mx.operator) inside core graphs: mx.sym.Custom graphs
infer, bind, run forward/backward and train with Module; hybridized blocks with
F.Custom run in the graph; JSON round trips with MXNet 1.9.1; errors of the
user's code reach the caller and leave the executor usable.

Values marked "MXNet 1.9.1" were computed by MXNet with the same operator classes
registered (the files and scripts are described next to each)."""
import json
import os
import subprocess
import sys
import threading
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.base import MXNetError

import test_custom_op  # noqa: F401  (registers test_softmax_loss: MXNet's custom_softmax.py operator)


class _ScaledTanh(mx.operator.CustomOp):
    created = 0

    def __init__(self, scale):
        type(self).created += 1
        self.scale = scale

    def forward(self, is_train, req, in_data, out_data, aux):
        self.assign(out_data[0], req[0], nd.tanh(in_data[0]) * self.scale)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        t = nd.tanh(in_data[0])
        self.assign(in_grad[0], req[0], out_grad[0] * self.scale * (1 - t * t))


@mx.operator.register("cg_scaled_tanh")
class _ScaledTanhProp(mx.operator.CustomOpProp):
    def __init__(self, scale="1.0"):
        super().__init__(need_top_grad=True)
        self.scale = float(scale)

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _ScaledTanh(self.scale)


class _RunningSum(mx.operator.CustomOp):
    def forward(self, is_train, req, in_data, out_data, aux):
        if is_train:
            aux[0][:] = aux[0] + in_data[0].sum()
        self.assign(out_data[0], req[0], in_data[0] * 2)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        self.assign(in_grad[0], req[0], out_grad[0] * 2)


@mx.operator.register("cg_running_sum")
class _RunningSumProp(mx.operator.CustomOpProp):
    def list_auxiliary_states(self):
        return ["total"]

    def infer_shape(self, in_shape):
        return in_shape, [in_shape[0]], [(1,)]

    def create_operator(self, ctx, shapes, dtypes):
        return _RunningSum()


class _Faulty(mx.operator.CustomOp):
    """Fails where the class says (toggled by the tests)."""
    fail_in = None

    def forward(self, is_train, req, in_data, out_data, aux):
        if _Faulty.fail_in == "forward":
            raise ValueError("forward boom")
        if _Faulty.fail_in == "bad_write":
            self.assign(out_data[0], req[0], nd.ones((7,)))
        self.assign(out_data[0], req[0], in_data[0] + 1)

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        if _Faulty.fail_in == "backward":
            raise KeyError("backward boom")
        self.assign(in_grad[0], req[0], out_grad[0])


@mx.operator.register("cg_faulty")
class _FaultyProp(mx.operator.CustomOpProp):
    def infer_shape(self, in_shape):
        if _Faulty.fail_in == "infer_shape":
            raise RuntimeError("infer boom")
        if _Faulty.fail_in == "wrong_input_shape":
            return [(9, 9)], [in_shape[0]], []
        if _Faulty.fail_in == "wrong_count":
            return in_shape, [in_shape[0], in_shape[0]], []
        return in_shape, [in_shape[0]], []

    def create_operator(self, ctx, shapes, dtypes):
        return _Faulty()


@pytest.fixture
def faulty():
    yield _Faulty
    _Faulty.fail_in = None


def _bind_tanh(scale=2.0, shape=(3, 4)):
    x = mx.sym.var("x")
    y = mx.sym.Custom(x, op_type="cg_scaled_tanh", scale=scale, name="st")
    return y, y.simple_bind(mx.cpu(), x=shape)


def test_symbol_lists_shapes_and_types_come_from_the_property():
    d = mx.sym.var("data")
    fc = mx.sym.FullyConnected(d, num_hidden=3, name="fc")
    s = mx.sym.Custom(fc, op_type="test_softmax_loss", name="softmax")
    assert s.list_arguments() == ["data", "fc_weight", "fc_bias", "softmax_label"]
    assert s.list_outputs() == ["softmax_output"] and s.list_auxiliary_states() == []
    assert s.infer_shape(data=(4, 5)) == ([(4, 5), (3, 5), (3,), (4,)], [(4, 3)], [])
    args_t, outs_t, aux_t = s.infer_type(data=np.float64)
    assert args_t == [np.float64] * 4 and outs_t == [np.float64] and aux_t == []
    r = mx.sym.Custom(fc, op_type="cg_running_sum", name="rs")  # an auxiliary state
    assert r.list_auxiliary_states() == ["rs_total"] and r.list_arguments() == ["data", "fc_weight", "fc_bias"]
    assert r.infer_shape(data=(2, 4)) == ([(2, 4), (3, 4), (3,)], [(2, 3)], [(1,)])


def test_the_property_sees_shapes_and_types_as_mxnet_hands_them():
    """MXNet 1.9.1 calls infer_shape with lists ([] for an unknown shape), infer_type
    with numpy types, create_operator with the shapes of every input."""
    seen = {}

    @mx.operator.register("cg_spy")
    class _SpyProp(mx.operator.CustomOpProp):
        def list_arguments(self):
            return ["data", "label"]

        def infer_shape(self, in_shape):
            seen.setdefault("shape", in_shape)
            return [in_shape[0], in_shape[0][:1]], [in_shape[0]], []

        def infer_type(self, in_type):
            seen.setdefault("type", in_type)
            return in_type, [in_type[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            seen["create"] = (ctx, shapes, dtypes)
            return _ScaledTanh(1.0)

    s = mx.sym.Custom(mx.sym.var("data"), op_type="cg_spy", name="spy")
    assert s.infer_shape(data=(3, 2))[0] == [(3, 2), (3,)]
    assert seen["shape"] == [[3, 2], []] and seen["type"] == [np.float32, np.float32]
    s.simple_bind(mx.cpu(), data=(3, 2)).forward()
    assert seen["create"] == (mx.cpu(), [[3, 2], [3]], [np.float32, np.float32])


def test_forward_backward_match_numpy_and_finite_differences():
    _, ex = _bind_tanh(2.0, (3, 4))
    xv = np.random.RandomState(0).randn(3, 4)
    ex.arg_dict["x"][:] = xv
    og = np.arange(12.0).reshape(3, 4) / 10
    y = ex.forward(is_train=True)[0].asnumpy()
    ex.backward(nd.array(og))
    np.testing.assert_allclose(y, 2 * np.tanh(xv), rtol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), og * 2 * (1 - np.tanh(xv) ** 2), rtol=1e-5, atol=1e-6)
    # finite differences of sum(og * f(x)) in float64, through the graph
    x64 = mx.sym.var("x")
    ex64 = mx.sym.Custom(x64, op_type="cg_scaled_tanh", scale=2.0).simple_bind(
        mx.cpu(), x=(3, 4), type_dict={"x": np.float64})
    ex64.arg_dict["x"][:] = xv
    ex64.forward(is_train=True)
    ex64.backward(nd.array(og, dtype=np.float64))
    num = np.zeros_like(xv)
    for i in np.ndindex(*xv.shape):
        for sign in (1, -1):
            xp = xv.copy()
            xp[i] += sign * 1e-6
            ex64.arg_dict["x"][:] = xp
            num[i] += sign * (ex64.forward()[0].asnumpy() * og).sum() / 2e-6
    np.testing.assert_allclose(ex64.grad_dict["x"].asnumpy(), num, rtol=1e-5, atol=1e-7)
    assert ex64.outputs[0].dtype == np.float64


def test_graph_equals_eager_custom():
    xv = np.random.RandomState(1).randn(2, 5).astype("f")
    x = nd.array(xv)
    x.attach_grad()
    with autograd.record():
        y = nd.Custom(x, op_type="cg_scaled_tanh", scale=0.5)
    y.backward(nd.ones((2, 5)) * 3)
    _, ex = _bind_tanh(0.5, (2, 5))
    ex.arg_dict["x"][:] = xv
    ex.forward(is_train=True)
    ex.backward(nd.ones((2, 5)) * 3)
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), y.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), x.grad.asnumpy(), rtol=1e-6)


def test_a_custom_head_that_needs_its_top_grad_requires_it():
    """As MXNet 1.9.1: "the last operator is not Loss function, head_gradient is
    required" for need_top_grad=True; a need_top_grad=False op trains without one."""
    _, ex = _bind_tanh(2.0, (2, 2))
    ex.arg_dict["x"][:] = 0.5
    ex.forward(is_train=True)
    with pytest.raises(MXNetError, match="'st_output' comes from Custom op 'cg_scaled_tanh', which is not a loss"):
        ex.backward()
    ex.backward(nd.ones((2, 2)))  # MXNet 1.9.1: 1.5728954076766968 everywhere
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), np.full((2, 2), 1.5728954076766968), rtol=1e-6)
    s = mx.sym.Custom(mx.sym.var("x"), op_type="test_softmax_loss", name="sm")
    ex = s.simple_bind(mx.cpu(), x=(2, 3))
    ex.arg_dict["sm_label"][:] = [0, 2]
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), [[-2 / 3, 1 / 3, 1 / 3], [1 / 3, 1 / 3, -2 / 3]],
                               rtol=1e-6)


def test_operator_is_created_once_per_bound_node_and_input_shapes():
    before = _ScaledTanh.created
    _, ex = _bind_tanh(1.0, (2, 2))
    for _ in range(3):
        ex.forward(is_train=True)
        ex.backward(nd.ones((2, 2)))
    assert _ScaledTanh.created - before == 1
    ex2 = ex.reshape(allow_up_sizing=True, x=(5, 2))  # a new executor for new shapes: its own operator
    ex2.forward()
    assert _ScaledTanh.created - before == 2 and ex2.outputs[0].shape == (5, 2)


# MXNet 1.9.1 on tests' aux graph (MXNet wrote this JSON: mx.sym.Custom(FullyConnected(data,
# num_hidden=3, name='fc'), op_type='cg_running_sum', name='rs').tojson()), bound with the
# values below, two forward(is_train=True)+backward(ones) then forward(is_train=False).
_MXNET_AUX_JSON = (
    '{"nodes": [{"op": "null", "name": "data", "inputs": []}, {"op": "null", "name": "fc_weight", "attrs": '
    '{"num_hidden": "3"}, "inputs": []}, {"op": "null", "name": "fc_bias", "attrs": {"num_hidden": "3"}, "inputs": '
    '[]}, {"op": "FullyConnected", "name": "fc", "attrs": {"num_hidden": "3"}, "inputs": [[0, 0, 0], [1, 0, 0], '
    '[2, 0, 0]]}, {"op": "null", "name": "rs_total", "attrs": {"op_type": "cg_running_sum"}, "inputs": []}, '
    '{"op": "Custom", "name": "rs", "attrs": {"op_type": "cg_running_sum"}, "inputs": [[3, 0, 0], [4, 0, 1]]}], '
    '"arg_nodes": [0, 1, 2, 4], "node_row_ptr": [0, 1, 2, 3, 4, 5, 6], "heads": [[5, 0, 0]], "attrs": '
    '{"mxnet_version": ["int", 10901]}}')
_MXNET_AUX_OUT = [[0.5416666865348816, 0.0416666641831398, -0.4583333134651184],
                  [-0.9583332538604736, -0.125, 0.7083332538604736]]
_MXNET_AUX_GRAD_W = [[1.0, 1.5, 2.0, 2.5]] * 3


def test_mxnet_json_with_an_auxiliary_state_runs_as_in_mxnet():
    s = mx.sym.load_json(_MXNET_AUX_JSON)
    assert s.list_auxiliary_states() == ["rs_total"] and s.list_outputs() == ["rs_output"]
    ex = s.simple_bind(mx.cpu(), data=(2, 4))
    ex.arg_dict["data"][:] = np.arange(8).reshape(2, 4) / 8.0
    ex.arg_dict["fc_weight"][:] = np.arange(12).reshape(3, 4) / 12.0 - 0.5
    ex.arg_dict["fc_bias"][:] = np.array([0.5, 0, -0.5])
    for _ in range(2):
        out = ex.forward(is_train=True)[0]
        ex.backward(nd.ones((2, 3)))
    np.testing.assert_allclose(out.asnumpy(), _MXNET_AUX_OUT, rtol=1e-6)
    np.testing.assert_allclose(ex.aux_dict["rs_total"].asnumpy(), [-0.25], rtol=1e-6)
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy(), _MXNET_AUX_GRAD_W, rtol=1e-6)
    ex.forward(is_train=False)  # inference leaves the state alone
    np.testing.assert_allclose(ex.aux_dict["rs_total"].asnumpy(), [-0.25], rtol=1e-6)


def _softmax_mlp(custom):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data=data, name="fc1", num_hidden=16)
    act1 = mx.sym.Activation(data=fc1, name="relu1", act_type="relu")
    fc2 = mx.sym.FullyConnected(data=act1, name="fc2", num_hidden=3)
    if custom:
        return mx.sym.Custom(data=fc2, name="softmax", op_type="test_softmax_loss")
    return mx.sym.SoftmaxOutput(data=fc2, name="softmax")


# MXNet 1.9.1, the same data, initial parameters and fit (both the Custom softmax and
# SoftmaxOutput gave these): [train accuracy, cross-entropy] after each epoch
_MXNET_CURVE = [[0.941667, 0.204245], [0.966667, 0.137666], [0.966667, 0.11035], [0.966667, 0.095074]]
_MXNET_FC2_W = [[-0.19785, 0.23649, 0.37708, 0.22788], [-0.22821, 0.06766, 0.13598, 0.06844],
                [0.58219, -0.21308, 0.17347, -0.26555]]


def test_module_trains_with_the_custom_softmax_as_mxnets_example():
    rs = np.random.RandomState(0)
    centers = rs.randn(3, 8) * 2
    y = rs.randint(0, 3, 120)
    X = (centers[y] + rs.randn(120, 8)).astype(np.float32)
    params = {"fc1_weight": rs.randn(16, 8) * 0.3, "fc1_bias": np.zeros(16), "fc2_weight": rs.randn(3, 16) * 0.3,
              "fc2_bias": np.zeros(3)}

    def it():
        return mx.io.NDArrayIter(X, y.astype(np.float32), batch_size=20, label_name="softmax_label")

    curves, weights = [], []
    for custom in (True, False):
        mod = mx.mod.Module(_softmax_mlp(custom), context=mx.cpu())
        curve = []
        mod.fit(it(), num_epoch=4, optimizer="sgd", optimizer_params={"learning_rate": 0.1},
                arg_params={k: nd.array(v) for k, v in params.items()}, eval_metric="acc",
                epoch_end_callback=lambda *a: curve.append([v for _, v in mod.score(it(), ["acc", "ce"])]))
        curves.append(curve)
        weights.append(mod.get_params()[0]["fc2_weight"].asnumpy())
    np.testing.assert_allclose(curves[0], curves[1], rtol=1e-5)
    np.testing.assert_allclose(curves[0], _MXNET_CURVE, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(weights[0], weights[1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(weights[0][:, :4], _MXNET_FC2_W, atol=1e-5)


class _Net(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = gluon.nn.Dense(3, in_units=4)

    def hybrid_forward(self, F, x):
        return F.Custom(self.dense(x), op_type="cg_scaled_tanh", scale=2.5, name="st")


def _fixed_net():
    net = _Net(prefix="net_")
    net.initialize()
    net.dense.weight.set_data(nd.array(np.arange(12).reshape(3, 4) / 10.0 - 0.5))
    net.dense.bias.set_data(nd.array([0.1, -0.2, 0.3]))
    return net


def _grads(net, x):
    with autograd.record():
        y = net(x)
    y.backward(nd.array(np.arange(6).reshape(2, 3)))
    return y.asnumpy(), net.dense.weight.grad().asnumpy().copy(), net.dense.bias.grad().asnumpy().copy()


def test_hybridized_block_runs_the_graph_and_equals_eager():
    x = nd.array(np.random.RandomState(3).randn(2, 4))
    net = _fixed_net()
    eager = _grads(net, x)
    net.hybridize()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no eager fallback warning
        hybrid = _grads(net, x)
    assert net._last_cached is not None
    for a, b in zip(eager, hybrid):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_second_derivative_through_a_custom_op_is_an_error_not_a_zero():
    """create_graph gives the first derivative; differentiating it again would need
    the gradient of the host's backward, which MXNet does not have either."""
    net = _fixed_net()
    net.hybridize()
    x = nd.array(np.arange(8).reshape(2, 4) / 4.0 - 1.0)
    x.attach_grad()
    with autograd.record():
        g = autograd.grad(net(x).sum(), [x], create_graph=True)[0]
        z = (g * g).sum()
    w, b = np.arange(12).reshape(3, 4) / 10.0 - 0.5, np.array([0.1, -0.2, 0.3])
    h = x.asnumpy() @ w.T + b
    np.testing.assert_allclose(g.asnumpy(), (2.5 * (1 - np.tanh(h) ** 2)) @ w, rtol=1e-5, atol=1e-6)
    with pytest.raises(MXNetError, match="_backward_Custom' has no gradient defined"):
        z.backward()


# MXNet 1.9.1: SymbolBlock.imports of the files _fixed_net().export() writes here, with
# cg_scaled_tanh registered in MXNet, on x = arange(8).reshape(2, 4) / 4 - 1
_MXNET_EXPORT_OUT = [[2.0012476444244385, -0.4934383034706116, -1.5109193325042725],
                     [-0.7282814979553223, 0.0, 2.0012476444244385]]


def test_export_writes_mxnets_custom_node_and_imports_back(tmp_path):
    net = _fixed_net()
    net.hybridize()
    x = nd.array(np.arange(8).reshape(2, 4) / 4.0 - 1.0)
    np.testing.assert_allclose(net(x).asnumpy(), _MXNET_EXPORT_OUT, rtol=1e-6)
    sym_file, params_file = net.export(str(tmp_path / "st"), 0)
    node = json.load(open(sym_file))["nodes"][-1]
    assert node == {"op": "Custom", "name": "net_st", "attrs": {"op_type": "cg_scaled_tanh", "scale": "2.5"},
                    "inputs": [[3, 0, 0]]}
    back = gluon.SymbolBlock.imports(sym_file, ["data"], params_file)
    np.testing.assert_allclose(back(x).asnumpy(), _MXNET_EXPORT_OUT, rtol=1e-6)


def test_several_outputs_in_a_graph():
    @mx.operator.register("cg_two_out")
    class _TwoOutProp(mx.operator.CustomOpProp):
        def list_outputs(self):
            return ["scaled", "shifted"]

        def infer_shape(self, in_shape):
            return in_shape, [in_shape[0], in_shape[0]], []

        def create_operator(self, ctx, shapes, dtypes):
            class Op(mx.operator.CustomOp):
                def forward(self, is_train, req, in_data, out_data, aux):
                    self.assign(out_data[0], req[0], in_data[0] * 3)
                    self.assign(out_data[1], req[1], in_data[0] + 3)

                def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
                    self.assign(in_grad[0], req[0], out_grad[0] * 3 + out_grad[1])
            return Op()

    s = mx.sym.Custom(mx.sym.var("x"), op_type="cg_two_out", name="two")
    assert s.list_outputs() == ["two_scaled", "two_shifted"]
    ex = (s[0] + 2 * s[1]).simple_bind(mx.cpu(), x=(1, 2))
    ex.arg_dict["x"][:] = [[1.0, 2.0]]
    assert ex.forward(is_train=True)[0].asnumpy().tolist() == [[11.0, 16.0]]
    ex.backward(nd.ones((1, 2)))
    assert ex.grad_dict["x"].asnumpy().tolist() == [[5.0, 5.0]]


# ---- errors -----------------------------------------------------------------------------

def test_unregistered_op_type_is_an_error_naming_it():
    """As in MXNet 1.9.1 ("Cannot find custom operator"), a graph file whose op_type
    is not registered fails to load; mx.sym.Custom fails at once."""
    text = mx.sym.Custom(mx.sym.var("x"), op_type="cg_scaled_tanh", name="c").tojson()
    with pytest.raises(MXNetError, match="op_type='cg_never_registered' \\(node 'c'\\).*no operator registered"):
        mx.sym.load_json(text.replace("cg_scaled_tanh", "cg_never_registered")).simple_bind(mx.cpu(), x=(2, 2))
    with pytest.raises(MXNetError, match="no operator registered as op_type='cg_nope'"):
        mx.sym.Custom(mx.sym.var("x"), op_type="cg_nope")


@pytest.mark.parametrize("stage,exc,text", [("forward", "ValueError", "forward boom"),
                                            ("infer_shape", "RuntimeError", "infer boom")])
def test_exception_in_forward_or_infer_reaches_the_caller(faulty, stage, exc, text):
    s = mx.sym.Custom(mx.sym.var("x"), op_type="cg_faulty", name="f")
    ex = s.simple_bind(mx.cpu(), x=(2, 3))
    faulty.fail_in = stage
    with pytest.raises(MXNetError) as e:
        ex.forward()
    msg = str(e.value)
    assert "op_type='cg_faulty'" in msg and "node 'f'" in msg and "%s: %s" % (exc, text) in msg
    faulty.fail_in = None  # the executor stays usable
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), np.ones((2, 3)))


def test_exception_in_backward_reaches_the_caller(faulty):
    s = mx.sym.Custom(mx.sym.var("x"), op_type="cg_faulty", name="f")
    ex = s.simple_bind(mx.cpu(), x=(2, 3))
    ex.forward(is_train=True)
    faulty.fail_in = "backward"
    with pytest.raises(MXNetError, match=r"op_type='cg_faulty'.*backward failed: KeyError: 'backward boom'"):
        ex.backward(nd.ones((2, 3)))
    faulty.fail_in = None
    ex.forward(is_train=True)
    ex.backward(nd.ones((2, 3)) * 4)
    np.testing.assert_allclose(ex.grad_dict["x"].asnumpy(), 4 * np.ones((2, 3)))


def test_bad_shapes_from_infer_shape_or_forward_are_errors(faulty):
    s = mx.sym.Custom(mx.sym.var("x"), op_type="cg_faulty", name="f")
    faulty.fail_in = "wrong_input_shape"
    with pytest.raises(MXNetError, match=r"op_type='cg_faulty'.*infer_shape gave input 0 the shape \(9,9\), but it "
                                         r"is \(2,3\)"):
        s.infer_shape(x=(2, 3))
    faulty.fail_in = "wrong_count"
    with pytest.raises(MXNetError, match="infer_shape returned 2 output shapes, the operator has 1"):
        s.infer_shape(x=(2, 3))
    faulty.fail_in = None
    ex = s.simple_bind(mx.cpu(), x=(2, 3))
    faulty.fail_in = "bad_write"  # forward writes a (7,) array into the (2, 3) output
    with pytest.raises(MXNetError, match="op_type='cg_faulty'.*forward failed"):
        ex.forward()
    faulty.fail_in = None
    assert ex.forward()[0].shape == (2, 3)


def test_hybridized_block_error_then_recovery(faulty):
    class Net(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.Custom(x * 2, op_type="cg_faulty")

    net = Net()
    net.hybridize()
    x = nd.ones((2, 2))
    assert net(x).asnumpy().tolist() == [[3.0, 3.0]] * 2
    faulty.fail_in = "forward"
    with pytest.raises(MXNetError, match="ValueError: forward boom"):
        net(x)
    faulty.fail_in = None
    assert net(x).asnumpy().tolist() == [[3.0, 3.0]] * 2


# ---- threads and the per-op tape ---------------------------------------------------------

def test_graphs_with_custom_ops_run_from_several_threads():
    net = _fixed_net()
    net.hybridize()
    xs = [nd.array(np.random.RandomState(i).randn(2, 4)) for i in range(4)]
    want = [net(x).asnumpy() for x in xs]
    got, errors = {}, []

    def work(i):
        try:
            for _ in range(20):
                got[i] = net(xs[i]).asnumpy()
        except Exception as e:  # noqa: BLE001  (reported below)
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for i in range(4):
        np.testing.assert_allclose(got[i], want[i], rtol=1e-6)


def test_per_op_recording_reaches_the_custom_backward():
    """MXCORE_GRAPH_BACKWARD=0 records a graph's ops one by one: the Custom node is its
    own tape node then (a fresh process: the switch is read once)."""
    code = ("import numpy as np, mxcore as mx\n"
            "import test_custom_op_graph as t\n"
            "net = t._fixed_net(); x = mx.nd.array(np.arange(8).reshape(2, 4) / 4.0 - 1.0)\n"
            "e = t._grads(net, x); net.hybridize(); h = t._grads(net, x)\n"
            "assert all(np.allclose(a, b, rtol=1e-5, atol=1e-7) for a, b in zip(e, h)), (e, h)\n"
            "print('ok')\n")
    env = dict(os.environ, MXCORE_GRAPH_BACKWARD="0")
    env["PYTHONPATH"] = os.pathsep.join([os.path.dirname(__file__), env.get("PYTHONPATH", "")])
    res = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and "ok" in res.stdout, res.stderr[-2000:]
