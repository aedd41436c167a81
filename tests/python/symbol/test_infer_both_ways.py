"""infer_shape / infer_shape_partial / infer_type on small MXNet 1.x programs:
shapes flowing backwards through shape-keeping ops, declared unknown (0) dims,
and the dtype conflicts MXNet's infer_type rejects. Expected results printed
by MXNet 1.9.1 for the same programs."""
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError

a, b, c = mx.sym.var("a"), mx.sym.var("b"), mx.sym.var("c")


@pytest.mark.parametrize("build,given,expected", [
    (lambda: (a + b) * c, {"c": (2, 3)}, ([(2, 3), (2, 3), (2, 3)], [(2, 3)], [])),
    (lambda: mx.sym.relu(a) + b, {"b": (2, 3)}, ([(2, 3), (2, 3)], [(2, 3)], [])),
    (lambda: mx.sym.sigmoid(a * 2) - b, {"b": (2, 3)}, ([(2, 3), (2, 3)], [(2, 3)], [])),
    (lambda: mx.sym.Cast(a, dtype="float16") + b, {"b": (2, 3)}, ([(2, 3), (2, 3)], [(2, 3)], [])),
    (lambda: mx.sym.FullyConnected(a, num_hidden=3, name="fc") + mx.sym.relu(b), {"a": (2, 5)},
     ([(2, 5), (3, 5), (3,), (2, 3)], [(2, 3)], [])),
])
def test_shapes_flow_back_through_shape_keeping_ops(build, given, expected):
    assert build().infer_shape(**given) == expected


@pytest.mark.parametrize("build,given", [
    (lambda: mx.sym.broadcast_add(a + b, c), {"c": (2, 3)}),  # broadcasting decides nothing backwards
    (lambda: mx.sym.sum(a, axis=1) + b, {"b": (2,)}),          # nor does a reduction
])
def test_undecided_shapes_stay_undecided(build, given):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert build().infer_shape(**given) == (None, None, None)


def test_backward_shapes_bind_and_run():
    y = (a + b) * mx.sym.relu(c)
    ex = y.simple_bind(mx.cpu(), c=(2, 3))
    assert {k: v.shape for k, v in ex.arg_dict.items()} == {"a": (2, 3), "b": (2, 3), "c": (2, 3)}
    out = ex.forward(a=mx.nd.ones((2, 3)), b=mx.nd.ones((2, 3)), c=mx.nd.array([[1, -1, 2], [0, 3, -2]]))[0]
    np.testing.assert_allclose(out.asnumpy(), [[2, 0, 4], [0, 6, 0]])


def test_declared_unknown_dims_are_reported_by_partial_inference():
    x = mx.sym.var("x", shape=(0, 3))
    assert x.infer_shape_partial() == ([(0, 3)], [(0, 3)], [])
    assert mx.sym.relu(x).infer_shape_partial() == ([(0, 3)], [(0, 3)], [])
    fc = mx.sym.FullyConnected(x, num_hidden=4, name="fc")
    assert fc.infer_shape_partial() == ([(0, 3), (4, 3), (4,)], [(0, 4)], [])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert x.infer_shape() == (None, None, None)  # a 0 dim is undecided: MXNet warns and returns Nones


@pytest.mark.parametrize("build,types,node", [
    (lambda: a + b, {"a": "float32", "b": "float64"}, "elemwise_add"),
    (lambda: a * b + c, {"a": "float32", "c": "float16"}, "elemwise_add"),
    (lambda: mx.sym.broadcast_add(a, b), {"a": "float32", "b": "int32"}, "broadcast_add"),
    (lambda: mx.sym.FullyConnected(a, weight=b, num_hidden=2, name="fc"), {"a": "float32", "b": "float64"},
     "FullyConnected"),
])
def test_infer_type_rejects_mixed_input_types(build, types, node):
    with pytest.raises(MXNetError, match="op %s.*same dtype" % node):
        build().infer_type(**types)


def test_infer_type_after_a_cast_is_not_a_conflict():
    y = mx.sym.Cast(a, dtype="float16") + b
    assert y.infer_type(a="float32", b="float16") == ([np.float32, np.float16], [np.float16], [])
    assert y.infer_type(a="float32") == ([np.float32, np.float16], [np.float16], [])
