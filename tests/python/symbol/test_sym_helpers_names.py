"""mx.sym.maximum / minimum / hypot / pow / power node names and scalar text, and
Symbol.attr / list_attr lookups, as MXNet 1.9.1 gives them (values printed by
MXNet 1.9.1 for the same programs)."""
import json

import numpy as np
import pytest

import mxcore as mx

a, b = mx.sym.var("a"), mx.sym.var("b")


def _last(s):
    return json.loads(s.tojson())["nodes"][-1]


@pytest.mark.parametrize("fn,names", [
    ("maximum", ("_maximum0", "_maximumscalar0", "_maximumscalar1")),
    ("minimum", ("_minimum0", "_minimumscalar0", "_minimumscalar1")),
    ("hypot", ("_hypot0", "_hypotscalar0", "_hypotscalar1")),
    ("power", ("_power0", "_powerscalar0", "_rpowerscalar0")),
    ("pow", ("_power0", "_powerscalar0", "_rpowerscalar0")),
])
def test_helper_node_names_and_scalar_text(fn, names):
    f = getattr(mx.sym, fn)
    with mx.name.NameManager():
        two, left, right = f(a, b), f(a, 2), f(2, a)
    assert (two.name, left.name, right.name) == names
    assert _last(left)["attrs"] == {"scalar": "2"} and _last(right)["attrs"] == {"scalar": "2"}


def test_helper_values():
    A = mx.nd.array([[1., -2.], [3., 0.5]])
    B = mx.nd.array([[0., 1.], [4., 0.]])
    np.testing.assert_allclose(mx.sym.maximum(0.7, a).eval(a=A)[0].asnumpy(), [[1., 0.7], [3., 0.7]])
    np.testing.assert_allclose(mx.sym.minimum(a, b).eval(a=A, b=B)[0].asnumpy(), [[0., -2.], [3., 0.]])
    np.testing.assert_allclose(mx.sym.pow(2, a).eval(a=A)[0].asnumpy(), 2 ** A.asnumpy(), rtol=1e-6)
    np.testing.assert_allclose(mx.sym.hypot(a, b).eval(a=A, b=B)[0].asnumpy(), np.hypot(A.asnumpy(), B.asnumpy()))
    assert mx.sym.maximum(2, 3) == 3 and mx.sym.pow(2, 3) == 8


def test_attr_finds_only_hidden_keys_without_underscores():
    v = mx.sym.var("v", lr_mult=2.0, attr={"__mood__": "x", "plain": "y"})
    assert (v.attr("lr_mult"), v.attr("__lr_mult__"), v.attr("mood"), v.attr("__mood__"), v.attr("plain")) == \
        ("2.0", "2.0", None, "x", "y")
    c = mx.sym.Convolution(v, kernel=(3, 3), num_filter=2, name="c", attr={"__mood__": "happy", "ctx_group": "g1"})
    got = (c.attr("mood"), c.attr("__mood__"), c.attr("ctx_group"), c.attr("kernel"))
    assert got == (None, "happy", "g1", "(3, 3)")


def test_list_attr_of_a_group_is_its_first_node():
    with mx.AttrScope(ctx_group="dev1"):
        f = mx.sym.FullyConnected(a, num_hidden=2, name="f", wd_mult=0.1)
    c = mx.sym.Convolution(a, kernel=(3, 3), num_filter=2, name="c")
    g = mx.sym.Group([f, c])
    assert g.list_attr() == {"num_hidden": "2", "__ctx_group__": "dev1", "ctx_group": "dev1", "__wd_mult__": "0.1",
                             "wd_mult": "0.1"}
    assert g.attr("num_hidden") is None


def test_same_shape_op_error_names_the_broadcast_op():
    with pytest.raises(mx.base.MXNetError, match=r"_power: .*\(3,4\) and \(1,4\) \(use broadcast_power for"):
        mx.nd._power(mx.nd.ones((3, 4)), mx.nd.ones((1, 4)))
