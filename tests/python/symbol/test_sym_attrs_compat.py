"""Symbol names, attributes and creation-time checks as MXNet 1.9.1 has them
(expected values printed by MXNet 1.9.1, not computed here)."""
import json

import pytest

import mxcore as mx
from mxcore import sym
from mxcore.base import MXNetError


def test_scalar_operator_node_names():
    a = sym.var("a")
    with sym.NameManager():
        b = a * 2
        assert (3 ** a).name == "_rpower_scalar0"
        assert (-a).name == "_mulscalar1"  # MXNet: -a is a * -1.0
    assert b.name == "_mulscalar0"


def test_variable_hint_attributes_are_written_as_mxnet_writes_them():
    a = sym.var("a", shape=(2, 3), lr_mult=2.0, wd_mult=0.5)
    assert a.list_attr() == {"__shape__": "(2, 3)", "__lr_mult__": "2.0", "__wd_mult__": "0.5",
                             "lr_mult": "2.0", "wd_mult": "0.5"}
    v = sym.var("v", shape=(2,), lr_mult=3)
    assert json.loads(v.tojson())["nodes"][0]["attrs"] == {"__lr_mult__": "3", "__shape__": "(2,)"}
    assert sym.var("l", shape=[2, 3]).list_attr() == {"__shape__": "[2, 3]"}
    assert sym.var("l", shape=[2, 3]).infer_shape()[0] == [(2, 3)]


def test_attr_scope_keeps_non_hidden_keys_as_given():
    with mx.AttrScope(ctx_group="dev1", foo="bar", __x__="y"):
        b = sym.var("b")
        c = sym.var("c", attr={"foo": "baz"})
    assert b.list_attr() == {"__x__": "y", "foo": "bar", "__ctx_group__": "dev1", "ctx_group": "dev1"}
    assert c.list_attr() == {"__x__": "y", "foo": "baz", "__ctx_group__": "dev1", "ctx_group": "dev1"}


def test_hidden_keys_in_attr_and_set_attr_are_double_underscored():
    v = sym.var("v", attr={"lr_mult": "2", "ctx_group": "g"})
    assert v.list_attr() == {"__ctx_group__": "g", "__lr_mult__": "2", "ctx_group": "g", "lr_mult": "2"}
    f = sym.FullyConnected(v, num_hidden=3, attr={"lr_mult": "2", "__mood__": "x"}, name="fc")
    assert f.list_attr() == {"__lr_mult__": "2", "__mood__": "x", "lr_mult": "2", "num_hidden": "3"}
    f._set_attr(wd_mult="3")
    assert f.list_attr()["__wd_mult__"] == "3" and f.list_attr()["wd_mult"] == "3"
    with pytest.raises(ValueError):
        f._set_attr(x=3)
    assert f.simple_bind(mx.cpu(), v=(2, 4)).forward()[0].shape == (2, 3)


@pytest.mark.parametrize("make, words", [
    (lambda x: sym.FullyConnected(x, num_hidden=4, foo="bar"), ["fullyconnected", "foo"]),
    (lambda x: sym.FullyConnected(x, num_hidden=4, attr={"foo": "bar"}), ["fullyconnected", "foo"]),
    (lambda x: sym.FullyConnected(x), ["num_hidden", "missing"]),
    (lambda x: sym.Activation(x, act_type="bogus"), ["act_type", "bogus"]),
    (lambda x: sym.FullyConnected(x, num_hidden="abc"), ["num_hidden", "abc"]),
])
def test_bad_op_attributes_raise_where_the_symbol_is_made(make, words):
    """MXNet checks an op's parameters when the symbol is created, not at bind."""
    with pytest.raises(MXNetError) as e:
        make(sym.var("x"))
    assert all(w in str(e.value) for w in words)


def test_set_attr_on_an_op_rejects_an_unknown_parameter():
    c = sym.Convolution(sym.var("d"), kernel=(3, 3), num_filter=4, name="cv")
    with pytest.raises(MXNetError, match="mood"):
        c._set_attr(mood="happy")
    c._set_attr(__mood__="happy")
    assert c.attr("__mood__") == "happy"


def test_infer_with_unknown_names_or_too_many_positions_raises():
    s = sym.FullyConnected(sym.var("x"), num_hidden=2, name="fc")
    with pytest.raises(MXNetError, match="y"):
        s.infer_shape(x=(2, 3), y=(2,))
    with pytest.raises(MXNetError, match="y"):
        s.infer_shape_partial(y=(2,))
    with pytest.raises(MXNetError, match="y"):
        s.infer_type(x="float32", y="float32")
    with pytest.raises(MXNetError):
        s.infer_shape((2, 3), (2, 3), (2,), (4,))
    # simple_bind ignores names the graph lacks (MXNet too)
    assert sorted(s.simple_bind(mx.cpu(), x=(2, 3), y=(2,)).arg_dict) == ["fc_bias", "fc_weight", "x"]


def test_compose_renames_the_head_and_rejects_unknown_names():
    data = sym.var("data")
    net1 = sym.Activation(sym.FullyConnected(data, num_hidden=3, name="fc1"), act_type="relu", name="act1")
    net2 = sym.FullyConnected(sym.var("data2"), num_hidden=2, name="fc2")
    composed = net2(data2=net1, name="composite")
    assert composed.name == "composite" and composed.list_outputs() == ["composite_output"]
    assert composed.list_arguments() == ["data", "fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias"]
    assert net2.name == "fc2"  # the original is untouched
    with pytest.raises(MXNetError, match="bogus"):
        composed(data=sym.var("q"), bogus=sym.var("b"))
    with pytest.raises(TypeError):
        net2(sym.var("a"), data2=sym.var("b"))


def test_compose_uses_the_chosen_output_of_a_multi_output_replacement():
    sp = sym.SliceChannel(sym.var("d"), num_outputs=2, axis=1, name="sp")
    y = (sym.var("x") * 2)(x=sp[1])
    out = y.eval(d=mx.nd.array([[1.0, 2.0], [3.0, 4.0]]))[0].asnumpy()
    assert out.tolist() == [[4.0], [8.0]]


def test_tojson_writes_attributes_in_key_order_as_mxnet():
    v = sym.var("v", shape=(2,), lr_mult=3)
    assert json.dumps(json.loads(v.tojson())["nodes"][0]["attrs"]) == '{"__lr_mult__": "3", "__shape__": "(2,)"}'
    with mx.AttrScope(ctx_group="dev1", __x__="y"):
        fc = sym.FullyConnected(sym.var("b"), num_hidden=3, name="fc")
    assert list(json.loads(fc.tojson())["nodes"][-1]["attrs"]) == ["__ctx_group__", "__x__", "num_hidden"]
