"""mx.autograd.get_symbol: the Symbol of a computation recorded under
autograd.record (MXNet 1.x). Node and variable numbers are process-wide
counters (as in MXNet), so the tests read names from the symbol; the graph
layout and values are what MXNet 1.9.1 gives for the same program
(var0, _mul_scalar, _plus_scalar, Reshape, null1, FullyConnected, exp, sum, sum, add)."""
import json

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def _recorded():
    x = mx.nd.array([1., 2., 3.])
    x.attach_grad()
    w = mx.nd.array([[1., 0, 1], [0, 1, 1]])
    with mx.autograd.record():
        y = x * 2 + 1
        h = mx.nd.FullyConnected(y.reshape((1, 3)), w, num_hidden=2, no_bias=True)
        z = mx.nd.sum(mx.nd.exp(h)) + mx.nd.sum(x)
    return x, w, y, z


def test_graph_layout_names_and_attributes():
    x, w, y, z = _recorded()
    s = mx.autograd.get_symbol(z)
    var, const = s.list_arguments()
    assert var.startswith("var") and const.startswith("null")
    nodes = json.loads(s.tojson())["nodes"]
    assert [n["op"] for n in nodes] == ["null", "_mul_scalar", "_plus_scalar", "Reshape", "null", "FullyConnected",
                                        "exp", "sum", "sum", "elemwise_add"]
    assert all(n["name"].startswith("node_") for n in nodes if n["op"] != "null")
    assert nodes[1]["attrs"] == {"scalar": "2.0"}
    assert nodes[3]["attrs"] == {"shape": "(1, 3)"}
    assert nodes[5]["attrs"] == {"no_bias": "True", "num_hidden": "2"}
    assert s.list_outputs() == [nodes[-1]["name"] + "_output"]
    assert mx.autograd.get_symbol(y).list_arguments() == [var]


def test_symbol_evaluates_to_the_recorded_value():
    x, w, _, z = _recorded()
    s = mx.autograd.get_symbol(z)
    var, const = s.list_arguments()
    got = s.eval(**{var: x, const: w})[0].asnumpy()
    np.testing.assert_allclose(got, z.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(got, [184787.25], rtol=1e-5)  # MXNet 1.9.1's value
    ex = s.bind(mx.cpu(), {var: x, const: w}, args_grad={var: mx.nd.zeros(3)}, grad_req={var: "write", const: "null"})
    ex.forward(is_train=True)
    ex.backward(mx.nd.ones(1))
    z.backward()
    np.testing.assert_allclose(ex.grad_dict[var].asnumpy(), x.grad.asnumpy(), rtol=1e-5)


def test_multi_output_op_and_marked_variable():
    x = mx.nd.array([1., 2., 3.])
    x.attach_grad()
    with mx.autograd.record():
        a, b, _ = mx.nd.split(x.reshape((1, 3)), num_outputs=3, axis=1)
        q = a + b
    s = mx.autograd.get_symbol(q)
    assert len(s.list_arguments()) == 1
    heads = json.loads(s.tojson())["heads"]
    assert heads == [[3, 0, 0]]  # MXNet 1.9.1: var, Reshape, split, add
    assert mx.autograd.get_symbol(b).list_outputs()[0].endswith("_output1")
    assert mx.autograd.get_symbol(x).list_arguments() == s.list_arguments()
    np.testing.assert_allclose(s.eval(**{s.list_arguments()[0]: x})[0].asnumpy(), [[3.]])


def test_arrays_without_history_raise():
    with pytest.raises(MXNetError, match="not part of a computation graph"):
        mx.autograd.get_symbol(mx.nd.relu(mx.nd.ones(2)))
    with pytest.raises(TypeError):
        mx.autograd.get_symbol(mx.sym.var("a"))


def test_history_freed_by_backward_raises():
    x = mx.nd.ones(2)
    x.attach_grad()
    with mx.autograd.record():
        y = mx.nd.sum(x * 3)
    y.backward()
    with pytest.raises(MXNetError, match="freed by backward"):
        mx.autograd.get_symbol(y)


def test_executor_run_under_record_has_no_symbol_form():
    x = mx.nd.ones((1, 2))
    x.attach_grad()
    net = mx.gluon.nn.Dense(2, in_units=2)
    net.initialize()
    net.hybridize()
    net(x)
    with mx.autograd.record():
        y = net(x)
    with pytest.raises(MXNetError, match="no symbol form"):
        mx.autograd.get_symbol(y)
