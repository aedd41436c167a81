"""Symbol behaviours MXNet 1.9.1's own unit tests (test_symbol.py) rely on:
NDArray-only calls raise NotImplementedForSymbol, get_children lists a node's
inputs once, partial shape inference passes shapes through same-shape ops,
hint keys given to an op become __hints__ of its node and created arguments,
legacy "<input>_lr_mult" keys move to the input variable, and an executor's
debug_str ends with its memory total. Expected values printed by MXNet 1.9.1."""
import json
import re

import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError, NotImplementedForSymbol


def test_ndarray_only_calls_raise_not_implemented_for_symbol():
    x = mx.sym.var("x")
    with pytest.raises(NotImplementedForSymbol) as e:
        bool(x)
    assert str(e.value) == ('Function __bool__ (namely operator "bool") is not implemented for Symbol '
                            'and only available in NDArray.')
    assert isinstance(e.value, MXNetError)
    for call in (lambda: x.asnumpy(), lambda: x.wait_to_read(), lambda: x.detach()):
        with pytest.raises(NotImplementedForSymbol):
            call()
    y = x
    with pytest.raises(NotImplementedForSymbol):
        y += 1
    assert x in [x]  # identity still answers membership


def test_get_children_of_a_multi_output_node_lists_its_inputs_once():
    sliced = mx.sym.SliceChannel(mx.sym.var("data"), num_outputs=3, name="slice")
    assert sliced.get_children().list_outputs() == ["data"]
    concat = mx.sym.Concat(*list(sliced))
    assert concat.get_children().list_outputs() == ["slice_output0", "slice_output1", "slice_output2"]


def test_partial_shape_inference_passes_through_elemwise_add():
    data, prev = mx.sym.var("data"), mx.sym.var("prevstate")
    x2h = mx.sym.FullyConnected(data=data, name="x2h", num_hidden=128)
    h2h = mx.sym.FullyConnected(data=prev, name="h2h", num_hidden=128)
    out = mx.sym.Activation(data=mx.sym.elemwise_add(x2h, h2h), name="out", act_type="relu")
    arg, outs, aux = out.infer_shape_partial(data=(10, 64))
    # MXNet 1.9.1: [(10, 64), (128, 64), (128,), (), (), ()] [(10, 128)] []
    assert arg == [(10, 64), (128, 64), (128,), (), (), ()]
    assert outs == [(10, 128)] and aux == []
    with pytest.warns(UserWarning):
        assert out.infer_shape(data=(10, 64)) == (None, None, None)
    arg, outs, _ = out.infer_shape(data=(10, 64), prevstate=(10, 128))
    assert arg[4] == (128, 128) and outs == [(10, 128)]


def test_hint_keys_given_to_an_op_are_node_hints():
    with mx.AttrScope(ctx_group="stage1"):
        fc = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=3, lr_mult=2, wd_mult=0.3, name="f")
    nodes = {n["name"]: n.get("attrs", {}) for n in json.loads(fc.tojson())["nodes"]}
    # MXNet 1.9.1 writes __lr_mult__ (not lr_mult) on f and on the weight and bias it creates
    for name in ("f", "f_weight", "f_bias"):
        assert nodes[name]["__lr_mult__"] == "2" and nodes[name]["__wd_mult__"] == "0.3", nodes[name]
        assert "lr_mult" not in nodes[name]
        assert nodes[name]["__ctx_group__"] == "stage1"
    assert fc.attr_dict()["f_bias"]["lr_mult"] == "2"


def test_legacy_input_hint_keys_move_to_the_input_variable():
    # data's empty "attr" and "param" objects once freed its attribute arrays twice (a crash)
    nodes = [
        {"op": "null", "param": {}, "name": "data", "inputs": [], "backward_source_id": -1, "attr": {}},
        {"op": "null", "param": {}, "name": "fc1_weight", "inputs": [], "backward_source_id": -1,
         "attr": {"weight_lr_mult": "1.2"}},
        {"op": "null", "param": {}, "name": "fc1_bias", "inputs": [], "backward_source_id": -1,
         "attr": {"weight_lr_mult": "1.2"}},
        {"op": "FullyConnected", "param": {"no_bias": "False", "num_hidden": "4"}, "name": "fc1",
         "inputs": [[0, 0], [1, 0], [2, 0]], "backward_source_id": -1,
         "attr": {"wd_mult": "0.3", "weight_lr_mult": "1.2"}}]
    s = mx.sym.load_json(json.dumps({"nodes": nodes, "arg_nodes": [0, 1, 2], "heads": [[3, 0]]}))
    d = s.attr_dict()
    # MXNet 1.9.1 (upgrading a v0.8 file): fc1_weight gets __lr_mult__ 1.2 from fc1's key,
    # the variables keep their own weight_lr_mult as a plain attribute
    assert d["fc1_weight"]["__lr_mult__"] == "1.2"
    assert "__lr_mult__" not in d["fc1_bias"] and d["fc1_bias"]["weight_lr_mult"] == "1.2"
    assert "weight_lr_mult" not in d["fc1"] and d["fc1"]["__wd_mult__"] == "0.3"
    assert s.infer_shape(data=(2, 5))[1] == [(2, 4)]


def test_executor_debug_str_reports_memory_that_gradients_keep():
    data = mx.sym.var("data")
    for _ in range(10):
        data = data * data

    def total(sym, **kw):
        ex = sym.simple_bind(ctx=mx.cpu(), data=(10, 3, 256, 256), **kw)
        return int(re.search(r"Total (\d+) MB allocated", ex.debug_str()).group(1))
    # MXNet 1.9.1: 90, 15, 15 (its plan shares more buffers; the relations are what it promises)
    big, small1, small2 = total(data), total(data, grad_req="null"), total(mx.sym.stop_gradient(data))
    assert big > small2 and small1 == small2 == 15


def test_attr_given_to_an_op_goes_to_the_arguments_it_creates():
    op = mx.sym.Convolution(data=mx.sym.Variable("data", attr={"mood": "angry"}), name="conv", kernel=(1, 1),
                            num_filter=1, attr={"__mood__": "so so"}, lr_mult=1)
    d = op.attr_dict()
    # MXNet 1.9.1 (test_attr.py::test_attr_dict)
    assert d["conv_weight"]["__mood__"] == "so so" and d["conv_bias"]["__mood__"] == "so so"
    assert d["conv"]["__lr_mult__"] == "1" and d["conv"]["lr_mult"] == "1"
    assert d["data"] == {"mood": "angry"}


def test_proposal_outputs_histogram_symbol_and_py_str_like_mxnet():
    # values and names printed by MXNet 1.9.1
    a, b, c = (mx.sym.var(n) for n in "abc")
    assert mx.sym.contrib.MultiProposal(a, b, c, output_score=False, name="m").list_outputs() == ["m_output"]
    assert mx.sym.contrib.Proposal(a, b, c, output_score=True, name="p").list_outputs() == ["p_output", "p_score"]
    data = mx.nd.array([0.5, 1.5, 1.7, 3.2])
    s = mx.sym.histogram(a=mx.sym.var("data"), bins=mx.sym.var("bins"))
    assert s.list_arguments() == ["data", "bins"]
    counts, edges = s.bind(mx.cpu(), {"data": data, "bins": mx.nd.array([0, 1, 2, 4])}).forward()
    assert counts.asnumpy().tolist() == [1, 2, 1] and edges.asnumpy().tolist() == [0, 1, 2, 4]
    s = mx.sym.histogram(a=mx.sym.var("data"), bins=4, range=(0, 4))
    assert s.list_arguments() == ["data"]
    counts, edges = s.eval(data=data)
    assert counts.asnumpy().tolist() == [1, 2, 0, 1] and edges.asnumpy().tolist() == [0, 1, 2, 3, 4]
    assert mx.base.py_str("node_output") == "node_output" and mx.base.py_str(b"x") == "x"


def test_infer_shape_types_an_untyped_variable_from_a_float64_constant():
    # MXNet 1.9.1 infers the shapes ([(2, 2)], [(2, 2)], []); mxcore used to fix x to float32 and fail
    s = mx.sym.broadcast_mul(mx.sym.var("x"), mx.sym.ones((2, 2), dtype="float64"))
    assert s.infer_shape(x=(2, 2)) == ([(2, 2)], [(2, 2)], [])
    out = s.simple_bind(mx.cpu(), x=(2, 2), type_dict={"x": "float64"}).forward()[0]
    assert out.dtype == np.float64
    with pytest.raises(mx.MXNetError, match="dtype"):  # a real conflict still raises
        s.simple_bind(mx.cpu(), x=(2, 2), type_dict={"x": "float32"})
