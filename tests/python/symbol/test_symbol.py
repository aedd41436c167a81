"""mx.sym: composition, naming, inference, JSON (through the core), Executor."""
import json
import os

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, nd
from mxcore import sym

REF = os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref")


def _mlp():
    data = sym.var("data")
    fc1 = sym.FullyConnected(data, num_hidden=16, name="fc1")
    act = sym.Activation(fc1, act_type="relu", name="relu1")
    bn = sym.BatchNorm(act, name="bn")
    fc2 = sym.FullyConnected(data=bn, num_hidden=4, name="fc2")
    return sym.SoftmaxOutput(fc2, name="softmax")


def test_auto_variables_and_lists():
    out = _mlp()
    assert out.list_arguments() == ["data", "fc1_weight", "fc1_bias", "bn_gamma", "bn_beta", "fc2_weight",
                                    "fc2_bias", "softmax_label"]
    assert out.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert out.list_outputs() == ["softmax_output"]
    assert "fc1_output" in out.get_internals().list_outputs()
    nb = sym.FullyConnected(sym.var("x"), num_hidden=3, no_bias=True, name="f")
    assert nb.list_arguments() == ["x", "f_weight"]


def test_auto_names_and_var_attrs():
    with sym.NameManager():
        a = sym.FullyConnected(sym.var("x"), num_hidden=2)
        b = sym.FullyConnected(a, num_hidden=2)
    assert a.name == "fullyconnected0" and b.name == "fullyconnected1"
    v = sym.var("w", shape=(3, 4), dtype="float16", lr_mult=2, wd_mult=0, init="zeros")
    assert v.attr("__shape__") == "(3, 4)" and v.attr("__lr_mult__") == "2"  # MXNet 1.9.1: str(shape)
    assert v.attr("__dtype__") == "2" and v.attr("__init__") == "zeros"
    with pytest.raises(ValueError):
        sym.var("w", foo=1)


def test_infer_shape_backward_from_data():
    args, outs, aux = _mlp().infer_shape(data=(8, 10))
    assert args == [(8, 10), (16, 10), (16,), (16,), (16,), (4, 16), (4,), (8,)]
    assert outs == [(8, 4)] and aux == [(16,), (16,)]
    conv = sym.Convolution(sym.var("d"), kernel=(3, 3), num_filter=5, num_group=1, name="c")
    assert conv.infer_shape(d=(2, 3, 9, 9))[0][1] == (5, 3, 3, 3)
    dec = sym.Deconvolution(sym.var("d"), kernel=(2, 2), num_filter=6, name="dc")
    assert dec.infer_shape(d=(2, 3, 4, 4))[0][1] == (3, 6, 2, 2)
    emb = sym.Embedding(sym.var("i"), input_dim=10, output_dim=3, name="e")
    assert emb.infer_shape(i=(2, 5))[1] == [(2, 5, 3)]


def test_infer_partial_and_type():
    a, b = sym.var("a"), sym.var("b")
    c = sym.broadcast_add(a, b)
    args, outs, _ = c.infer_shape_partial(a=(2, 3))
    assert args[0] == (2, 3) and args[1] == () and outs == [()]  # MXNet 1.x: () = unknown
    with pytest.warns(UserWarning, match=r"Cannot decide shape.*\n\tb: \(\)"):
        assert c.infer_shape(a=(2, 3)) == (None, None, None)  # MXNet warns, returns Nones
    with pytest.raises(mx.MXNetError, match="b"):
        c.simple_bind(mx.cpu(), a=(2, 3))  # binding needs every shape: a clear error
    at, ot, _ = (a + b).infer_type(a="float64", b="float64")
    assert at == [np.float64, np.float64] and ot == [np.float64]


def test_group_getitem_and_multi_output():
    x = sym.var("x")
    parts = sym.split(x, num_outputs=3, axis=1, name="sp")
    assert len(parts) == 3 and parts.list_outputs() == ["sp_output0", "sp_output1", "sp_output2"]
    g = sym.Group([parts[0] * 2, parts[2]])
    assert len(g) == 2
    ex = g.bind(mx.cpu(), {"x": nd.array(np.arange(6).reshape(1, 6))})
    o = ex.forward()
    np.testing.assert_allclose(o[0].asnumpy(), [[0, 2]])
    np.testing.assert_allclose(o[1].asnumpy(), [[4, 5]])
    assert parts["sp_output1"].list_outputs() == ["sp_output1"]


def test_arithmetic_matches_nd():
    a, b = sym.var("a"), sym.var("b")
    expr = (a + b) * 2 - a / (b + 1) + 3 ** a - (-b) ** 2 + abs(a - 1) % 3
    av = np.random.RandomState(0).rand(3, 4).astype("float32")
    bv = np.random.RandomState(1).rand(3, 4).astype("float32")
    got = expr.eval(a=nd.array(av), b=nd.array(bv))[0].asnumpy()
    na, nb = nd.array(av), nd.array(bv)
    want = ((na + nb) * 2 - na / (nb + 1) + 3 ** na - (-nb) ** 2 + abs(na - 1) % 3).asnumpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)
    assert (a > b).eval(a=na, b=nb)[0].asnumpy().tolist() == (av > bv).astype("float32").tolist()


def test_fluent_and_compose():
    x = sym.var("x")
    s = x.reshape((-1,)).sum()
    assert s.eval(x=nd.ones((2, 3)))[0].asscalar() == 6
    y = sym.var("y")
    inner = sym.Activation(y, act_type="relu")
    composed = inner(y=x * 2)
    assert composed.list_arguments() == ["x"]
    assert composed.eval(x=nd.array([-1, 2]))[0].asnumpy().tolist() == [0, 4]


def test_json_round_trip_through_core(tmp_path):
    out = _mlp()
    text = out.tojson()
    d = json.loads(text)
    # the structure MXNet 1.x's loader needs
    assert set(d) >= {"nodes", "arg_nodes", "node_row_ptr", "heads", "attrs"}
    assert d["attrs"]["mxnet_version"] == ["int", 10901]
    assert all(set(n) >= {"op", "name", "inputs"} for n in d["nodes"])
    assert len(d["node_row_ptr"]) == len(d["nodes"]) + 1
    assert all(d["nodes"][i]["op"] == "null" for i in d["arg_nodes"])
    f = str(tmp_path / "m-symbol.json")
    out.save(f)
    back = sym.load(f)
    assert back.list_arguments() == out.list_arguments()
    assert back.list_auxiliary_states() == out.list_auxiliary_states()
    assert back.tojson() == text


@pytest.mark.parametrize("model", ["mlp", "cnn_bn", "lstm_lm", "resnet18_v1", "mobilenet0.25"])
def test_load_mxnet_symbol_files(model):
    s = sym.load(os.path.join(REF, model + "-symbol.json"))
    assert s.list_arguments()[0] == "data"
    assert len(s.list_outputs()) == 1
    s2 = sym.load_json(s.tojson())
    assert s2.list_arguments() == s.list_arguments()


def test_gluon_lstm_export_infers_and_binds_like_mxnet():
    """MXNet 1.9.1's Gluon LSTM export: begin states `_zeros(shape=(2, 0, 16))` and an
    i2h weight saved as `__shape__` (64, 0) behind `_rnn_param_concat`. MXNet's
    infer_shape(data=(7, 3)) fills both (printed by MXNet 1.9.1: every weight (64, 16),
    dense0_weight (50, 16), output (7, 3, 50)); so must ours, and simple_bind must run it."""
    s = sym.load(os.path.join(REF, "lstm_lm-symbol.json"))
    args, outs, aux = s.infer_shape(data=(7, 3))
    shapes = dict(zip(s.list_arguments(), args))
    assert shapes["lm0_lstm0_l0_i2h_weight"] == (64, 16)
    assert shapes["lm0_dense0_weight"] == (50, 16)
    assert outs == [(7, 3, 50)] and aux == []
    params = {k.split(":", 1)[1]: v for k, v in nd.load(os.path.join(REF, "lstm_lm-0000.params")).items()}
    io = nd.load(os.path.join(REF, "lstm_lm-io.params"))
    ex = s.simple_bind(mx.cpu(), data=io["x"].shape)
    for k, v in params.items():
        ex.arg_dict[k][:] = v
    ex.arg_dict["data"][:] = io["x"]
    np.testing.assert_allclose(ex.forward()[0].asnumpy(), io["y"].asnumpy(), rtol=1e-4, atol=1e-5)


def test_rnn_with_deferred_zero_states_infers_the_batch():
    data = sym.var("data")
    h0 = sym.zeros(shape=(1, 0, 5))
    c0 = sym.zeros(shape=(1, 0, 5))
    out = sym.RNN(data, sym.var("params"), h0, c0, state_size=5, num_layers=1, mode="lstm")
    args, outs, _ = out.infer_shape(data=(6, 4, 3))
    assert dict(zip(out.list_arguments(), args))["params"] == (4 * 5 * (3 + 5) + 2 * 4 * 5,)
    assert outs == [(6, 4, 5)]
    # a 0 dim nothing can fill is a clear error naming the node
    bad = sym.zeros(shape=(0, 5), name="lonely") + sym.var("v")
    with pytest.raises(mx.MXNetError, match="lonely"):
        bad.simple_bind(mx.cpu(), v=(3,))
    with pytest.warns(UserWarning):
        assert bad.infer_shape(v=(3,)) == (None, None, None)


def test_bad_json_names_node():
    with pytest.raises(mx.MXNetError, match="mystery"):
        sym.load_json('{"nodes":[{"op":"null","name":"x","inputs":[]},'
                      '{"op":"NoSuchOp","name":"mystery","inputs":[[0,0,0]]}],"heads":[[1,0,0]]}')


def test_simple_bind_forward_backward_matches_autograd():
    rs = np.random.RandomState(0)
    data = sym.var("data")
    net = sym.FullyConnected(sym.Activation(sym.FullyConnected(data, num_hidden=8, name="fc1"), act_type="tanh"),
                             num_hidden=3, name="fc2")
    ex = net.simple_bind(mx.cpu(), data=(5, 4))
    assert ex.arg_dict["fc1_weight"].shape == (8, 4)
    vals = {k: rs.randn(*v.shape).astype("float32") for k, v in ex.arg_dict.items()}
    for k, v in vals.items():
        ex.arg_dict[k][:] = v
    og = rs.randn(5, 3).astype("float32")
    out = ex.forward(is_train=True)[0]
    ex.backward(nd.array(og))
    # the same computation eagerly
    arrs = {k: nd.array(v) for k, v in vals.items()}
    for a in arrs.values():
        a.attach_grad()
    with autograd.record():
        h = nd.tanh(nd.FullyConnected(arrs["data"], arrs["fc1_weight"], arrs["fc1_bias"], num_hidden=8))
        y = nd.FullyConnected(h, arrs["fc2_weight"], arrs["fc2_bias"], num_hidden=3)
    y.backward(nd.array(og))
    np.testing.assert_allclose(out.asnumpy(), y.asnumpy(), rtol=1e-5, atol=1e-6)
    for k in vals:
        np.testing.assert_allclose(ex.grad_dict[k].asnumpy(), arrs[k].grad.asnumpy(), rtol=1e-5, atol=1e-5)
    # forward with new data by keyword
    o2 = ex.forward(data=nd.zeros((5, 4)))[0]
    assert o2.shape == (5, 3)


def test_simple_bind_reports_missing_shape():
    s = sym.broadcast_mul(sym.var("a"), sym.var("b"))
    with pytest.raises(mx.MXNetError, match="b"):
        s.simple_bind(mx.cpu(), a=(2, 2))


def test_bind_batchnorm_updates_aux_in_train_mode():
    # as MXNet 1.9.1 on the CPU: the training backward updates them, the forward does not
    s = sym.BatchNorm(sym.var("x"), name="bn", momentum=0.5)
    ex = s.simple_bind(mx.cpu(), grad_req="write", x=(4, 3))
    ex.arg_dict["gamma" if "gamma" in ex.arg_dict else "bn_gamma"][:] = 1
    ex.aux_dict["bn_moving_var"][:] = 1
    x = nd.array(np.arange(12).reshape(4, 3))
    ex.forward(is_train=True, x=x)
    np.testing.assert_array_equal(ex.aux_dict["bn_moving_mean"].asnumpy(), np.zeros(3))
    ex.backward(nd.ones((4, 3)))
    mm = ex.aux_dict["bn_moving_mean"].asnumpy()
    np.testing.assert_allclose(mm, 0.5 * x.asnumpy().mean(0), rtol=1e-5)


def test_make_loss_custom_loss_in_a_symbolic_graph():
    """MXNet 1.x custom losses: MakeLoss(mean-free squared error) of an FC layer; the
    executor's gradients ignore head gradients and equal the analytic ones."""
    data, label = mx.sym.var("data"), mx.sym.var("label")
    fc = mx.sym.FullyConnected(data, num_hidden=2, name="fc")
    loss = mx.sym.MakeLoss(mx.sym.sum(mx.sym.square(fc - label), axis=1), normalization="batch", name="loss")
    rs = np.random.RandomState(0)
    x, y = rs.randn(5, 3), rs.randn(5, 2)
    w, b = rs.randn(2, 3), rs.randn(2)
    ex = loss.simple_bind(mx.cpu(), data=(5, 3), label=(5, 2))
    for k, v in (("data", x), ("label", y), ("fc_weight", w), ("fc_bias", b)):
        ex.arg_dict[k][:] = v
    out = ex.forward(is_train=True)[0].asnumpy()
    r = x @ w.T + b - y
    np.testing.assert_allclose(out, (r ** 2).sum(1), rtol=1e-5)
    ex.backward()
    # normalization='batch' divides by the rows of the loss flattened to 2-D: 1 for this
    # vector loss (MXNet 1.9.1 prints fc_bias grad [-12.865466, 12.68405] for this program)
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy(), (2 * r).T @ x, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["fc_bias"].asnumpy(), (2 * r).sum(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ex.grad_dict["fc_bias"].asnumpy(), [-12.865466, 12.68405], rtol=1e-5)


def test_executor_reshape_shares_parameters():
    s = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=3, name="fc")
    ex = s.simple_bind(mx.cpu(), data=(4, 5))
    ex.arg_dict["fc_weight"][:] = 0.5
    ex2 = ex.reshape(data=(2, 5))
    assert ex2.arg_dict["fc_weight"] is ex.arg_dict["fc_weight"]  # shared, not re-created
    assert ex2.grad_dict["fc_weight"] is ex.grad_dict["fc_weight"]
    out = ex2.forward(data=nd.ones((2, 5)))[0]
    np.testing.assert_allclose(out.asnumpy(), np.full((2, 3), 2.5))
    with pytest.raises(mx.MXNetError, match="grows from \\(4, 5\\) to \\(8, 5\\); pass allow_up_sizing"):
        ex.reshape(data=(8, 5))
    assert ex.reshape(data=(8, 5), allow_up_sizing=True).arg_dict["data"].shape == (8, 5)
    with pytest.raises(mx.MXNetError, match="'fc_weight' would change shape.*partial_shaping"):
        ex.reshape(data=(4, 6), allow_up_sizing=True)
    ex4 = ex.reshape(data=(4, 6), allow_up_sizing=True, partial_shaping=True)
    assert ex4.arg_dict["fc_weight"].shape == (3, 6)


def test_infer_type_partial():
    d = mx.sym.var("data")
    s = mx.sym.elemwise_add(mx.sym.FullyConnected(d, num_hidden=3, name="fc"), mx.sym.FullyConnected(d, num_hidden=3))
    args, outs, aux = s.infer_type_partial()
    assert args == [None] * len(s.list_arguments()) and outs == [None] and aux == []
    args, outs, _ = s.infer_type_partial(data="float16")
    assert all(a == np.float16 for a in args) and outs == [np.float16]


@pytest.mark.parametrize("edit,match", [
    (lambda j: j.update(heads=[[3, 5, 0]]), "head 0 is output 5 of 'fc', which has 1 output"),
    (lambda j: j.update(heads=[[3, -1, 0]]), "output -1 of node 3"),
    (lambda j: j["nodes"][3]["inputs"][0].__setitem__(1, -2), "node 'fc' input 0 refers to output -2"),
])
def test_json_with_bad_output_indices_is_an_error_not_a_crash(edit, match):
    s = mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc")
    j = json.loads(s.tojson())
    edit(j)
    with pytest.raises(mx.MXNetError, match=match):
        mx.sym.load_json(json.dumps(j)).eval(data=nd.ones((1, 3)), fc_weight=nd.ones((2, 3)), fc_bias=nd.ones(2))


def test_split_v2_symbol_is_recorded_the_way_mxnet_records_it():
    s = mx.sym.split_v2(mx.sym.var("x"), (1, 4), axis=1)
    node = [n for n in json.loads(s.tojson())["nodes"] if n["op"] != "null"][0]
    assert node["op"] == "_split_v2" and node["attrs"]["sections"] == "0"
    assert node["attrs"]["indices"].replace(" ", "") == "(0,1,4)"
    x = np.arange(12, dtype=np.float32).reshape(2, 6)
    outs = s.eval(x=nd.array(x))
    for got, want in zip(outs, np.split(x, [1, 4], axis=1)):
        np.testing.assert_array_equal(got.asnumpy(), want)
    two = mx.sym.split_v2(mx.sym.var("x"), 2, axis=1, squeeze_axis=False).eval(x=nd.array(x))
    np.testing.assert_array_equal(two[1].asnumpy(), x[:, 3:])
    with pytest.raises(TypeError, match="int or a tuple"):
        mx.sym.split_v2(mx.sym.var("x"), "2")


def test_tojson_removes_amp_casts_by_default_like_mxnet():
    x, w = sym.var("x"), sym.var("w")
    xc = sym.amp_cast(x, dtype="float16", name="cast_x")
    a, b = sym.amp_multicast(xc, w, num_outputs=2, name="mc")
    out = sym.FullyConnected(a, b, num_hidden=3, no_bias=True, name="fc") + 1
    ops = lambda js: [n["op"] for n in json.loads(js)["nodes"]]  # noqa: E731
    assert "amp_cast" in ops(out.tojson(remove_amp_cast=False))
    assert "amp_multicast" in ops(out.tojson(remove_amp_cast=False))
    clean = out.tojson()
    assert not {"amp_cast", "amp_multicast"} & set(ops(clean))
    fc = [n for n in json.loads(clean)["nodes"] if n["name"] == "fc"][0]
    names = [json.loads(clean)["nodes"][i]["name"] for i, _, _ in fc["inputs"]]
    assert names == ["x", "w"]  # the FC reads the casts' inputs
    # the original symbol still has its casts, and both compute the same (float32 inputs)
    assert "amp_cast" in ops(out.tojson(remove_amp_cast=False))
    xv, wv = np.random.rand(2, 4).astype("f"), np.random.rand(3, 4).astype("f")
    got = sym.load_json(clean).eval(x=nd.array(xv), w=nd.array(wv))[0].asnumpy()
    np.testing.assert_allclose(got, xv @ wv.T + 1, rtol=1e-6)


def test_attr_scope_attaches_double_underscored_attributes_like_mxnet():
    """mx.AttrScope (MXNet 1.9.1: keys stored as __key__, attr('key') finds them)."""
    x = sym.var("x")
    with mx.AttrScope(ctx_group="stage1", lr_mult="0.5"):
        fc = sym.FullyConnected(x, num_hidden=3, name="fc")
        with mx.AttrScope(ctx_group="stage2"):
            v = sym.var("v", attr={"__wd_mult__": "0"})
    assert fc.attr("ctx_group") == "stage1" and fc.attr("__lr_mult__") == "0.5"
    assert v.attr("ctx_group") == "stage2" and v.attr("lr_mult") == "0.5" and v.attr("__wd_mult__") == "0"
    assert sym.var("outside").attr("ctx_group") is None  # the scope ended
    assert fc.attr_dict()["fc_weight"]["__ctx_group__"] == "stage1"  # auto-created arguments too
    ex = fc.simple_bind(mx.cpu(), x=(2, 4))  # the graph keeps and ignores them
    assert ex.forward()[0].shape == (2, 3)
    assert json.loads(fc.tojson())["nodes"][-1]["attrs"]["__ctx_group__"] == "stage1"
    with pytest.raises(ValueError, match="must be a string"):
        mx.AttrScope(lr_mult=0.5)


def test_output_names_follow_mxnet():
    """list_outputs names as MXNet 1.9.1 prints them (ops with named or hidden outputs)."""
    x = sym.var("x")
    rnn = sym.RNN(x, sym.var("p"), sym.var("s"), sym.var("c"), state_size=4, num_layers=1, mode="lstm",
                  state_outputs=True, name="n")
    assert rnn.list_outputs() == ["n_output", "n_state_output", "n_statecell_output"]
    assert sym.BatchNorm(x, output_mean_var=True, name="n").list_outputs() == ["n_output", "n_mean", "n_var"]
    assert sym.BatchNorm(x, name="n").list_outputs() == ["n_output"]
    assert sym.LayerNorm(x, output_mean_var=True, name="n").list_outputs() == ["n_output", "n_mean", "n_std"]
    assert sym.sort(x, name="n").list_outputs() == ["n_output0"]
    assert sym.topk(x, ret_typ="both", name="n").list_outputs() == ["n_output0", "n_output1"]
    assert sym.split(x, num_outputs=2, name="n").list_outputs() == ["n_output0", "n_output1"]
    assert rnn.get_internals().list_outputs()[-2:] == ["n_state_output", "n_statecell_output"]


def test_infer_type_without_shapes_like_mxnet():
    """MXNet 1.9.1 infers types without shapes; the results below are what it printed."""
    d = sym.Variable("data")
    f32, f16, i32 = np.float32, np.float16, np.int32
    conv = sym.Convolution(d, kernel=(3, 3), num_filter=2, name="c")
    assert conv.infer_type(data="float16") == ([f16, f16, f16], [f16], [])
    assert sym.argmax(d, axis=1).infer_type(data="float16") == ([f16], [f16], [])
    bn = sym.BatchNorm(d, name="bn")
    assert bn.infer_type(data="float64") == ([np.float64] * 3, [np.float64], [np.float64] * 2)
    emb = sym.Embedding(d, input_dim=5, output_dim=2, dtype="float16", name="e")
    assert emb.infer_type(data="int32") == ([i32, f16], [f16], [])
    assert sym.Embedding(d, input_dim=5, output_dim=2, name="e").infer_type(data="float16") == ([f16, f32], [f32], [])
    assert sym.Cast(d, dtype="int32").infer_type(data="float32") == ([f32], [i32], [])
    net = sym.SoftmaxOutput(sym.FullyConnected(d, num_hidden=3, name="fc"), name="sm")
    assert net.infer_type_partial(sm_label="int32") == ([None, None, None, i32], [None], [])
    with pytest.warns(UserWarning, match="Cannot decide type"):
        assert net.infer_type(sm_label="int32") == (None, None, None)


def test_softmax_output_valid_normalization_and_op_supplied_initializers():
    """Numbers printed by MXNet 1.9.1: 'valid' divides by the labels that differ from
    ignore_label even when use_ignore is off; PReLU's gamma starts at 0.25."""
    x = np.random.RandomState(0).randn(4, 3).astype("f")
    s = sym.SoftmaxOutput(sym.var("data"), sym.var("label"), normalization="valid", ignore_label=-1)
    ex = s.bind(mx.cpu(), {"data": nd.array(x), "label": nd.array([0, 2, 1, -1])},
                args_grad={"data": nd.zeros((4, 3))})
    ex.forward(is_train=True)
    ex.backward()
    np.testing.assert_allclose(ex.grad_dict["data"].asnumpy().ravel()[:6],
                               [-0.1386, 0.0498, 0.0888, 0.1928, 0.1328, -0.3256], atol=1e-4)
    net = sym.LeakyReLU(sym.BatchNorm(sym.var("data"), name="bn"), act_type="prelu", name="prelu")
    attrs = net.attr_dict()
    assert attrs["prelu_gamma"]["__init__"] == '["Constant", {"value": 0.25}]'
    assert attrs["bn_moving_var"]["__init__"] == '["one", {}]'
    mod = mx.mod.Module(net, label_names=None)
    mod.bind(data_shapes=[("data", (2, 3))])
    mod.init_params(mx.init.Xavier())
    args, aux = mod.get_params()
    np.testing.assert_array_equal(args["prelu_gamma"].asnumpy(), [0.25] * 3)
    np.testing.assert_array_equal(aux["bn_moving_var"].asnumpy(), [1] * 3)


def test_executor_details_mxnet_programs_rely_on():
    """As MXNet 1.9.1 (values printed by it for this net and these argument values)."""
    d = sym.var("data")
    out = sym.LinearRegressionOutput(sym.FullyConnected(d, num_hidden=2, name="fc"), name="lro")
    ex = out.simple_bind(mx.cpu(), data=(3, 4), grad_req={"data": "null", "fc_weight": "write",
                                                          "fc_bias": "write", "lro_label": "null"})
    assert ex.grad_dict["data"] is None and ex.grad_dict["lro_label"] is None  # keys kept, None
    assert [o.shape for o in ex.outputs] == [(3, 2)] and list(ex.output_dict) == ["lro_output"]  # before forward
    for v in ex.arg_dict.values():
        v[:] = np.arange(v.size).reshape(v.shape) / 10.0
    ex.forward(is_train=True)
    ex.backward()
    ex.backward()  # again for the same forward
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy().ravel()[:3], [0.124, 0.151, 0.178], rtol=1e-5)
    ex.grad_dict["fc_weight"][:] = 0
    ex.forward(is_train=False)
    ex.backward()  # after an inference forward too
    np.testing.assert_allclose(ex.grad_dict["fc_weight"].asnumpy().ravel()[:3], [0.124, 0.151, 0.178], rtol=1e-5)
    assert issubclass(mx.MXNetError, RuntimeError) and mx.__version__ == "1.9.1"
    assert next(iter(mx.io.NDArrayIter(np.zeros((4, 2)), batch_size=2))).index is None


def test_label_and_operand_shapes_inferred_like_mxnet():
    d = sym.var("data")
    assert sym.SoftmaxOutput(d, preserve_shape=True, name="s").infer_shape(data=(2, 3, 4))[0] == [(2, 3, 4), (2, 3)]
    assert sym.SVMOutput(d, name="svm").infer_shape(data=(2, 3))[0] == [(2, 3), (2,)]
    s = sym.Variable("x") + sym.Reshape(sym.Variable("y"), shape=(2, 3))
    assert s.infer_shape(y=(6,))[0] == [(2, 3), (6,)]


def test_parameter_shapes_inferred_from_the_data_for_every_layer_op():
    d = sym.var("data")
    x = sym.Convolution(d, kernel=(3, 3), num_filter=8, num_group=2, name="c")
    x = sym.BatchNorm(x, name="bn")
    x = sym.LeakyReLU(x, act_type="prelu", name="pr")
    x = sym.Deconvolution(x, kernel=(2, 2), num_filter=6, name="dc")
    x = sym.InstanceNorm(x, name="inorm")
    x = sym.GroupNorm(x, num_groups=3, name="gn")
    x = sym.LayerNorm(sym.FullyConnected(x, num_hidden=5, name="fc"), name="ln")
    out = sym.SoftmaxOutput(x, name="sm")
    args, outs, aux = out.infer_shape(data=(2, 4, 7, 7))
    got = dict(zip(out.list_arguments(), args))
    assert got["c_weight"] == (8, 2, 3, 3) and got["bn_gamma"] == (8,) and got["pr_gamma"] == (8,)
    assert got["dc_weight"] == (8, 6, 2, 2) and got["inorm_gamma"] == (6,) and got["gn_gamma"] == (3,)
    assert got["fc_weight"] == (5, 6 * 6 * 6) and got["ln_beta"] == (5,) and got["sm_label"] == (2,)
    assert aux == [(8,), (8,)] and outs == [(2, 5)]
    e = sym.Embedding(d, input_dim=10, output_dim=4, dtype="float16", name="e")
    assert e.infer_shape(data=(3,))[0] == [(3,), (10, 4)]
    r = sym.RNN(d, state_size=5, num_layers=2, mode="gru", bidirectional=True, name="r")
    assert r.infer_shape(data=(6, 3, 4))[0][1:] == [(3 * 5 * 2 * (4 + 5 + 2) + 3 * 5 * 2 * (10 + 5 + 2),), (4, 3, 5)]


def test_debug_str_and_datadesc_helpers_like_mxnet():
    d = sym.var("data")
    s = sym.Activation(sym.FullyConnected(d, num_hidden=2, name="fc"), act_type="relu", name="r")
    text = s.debug_str()  # the layout MXNet 1.9.1 prints
    assert text.startswith("Symbol Outputs:\n\toutput[0]=r(0)\nVariable:data\nVariable:fc_weight\n")
    assert "Op:FullyConnected, Name=fc\nInputs:\n\targ[0]=data(0) version=0\n" in text
    assert "Op:Activation, Name=r\nInputs:\n\targ[0]=fc(0)\nAttrs:\n\tact_type=relu\n" in text
    assert [mx.io.DataDesc.get_batch_axis(x) for x in ("NCHW", "TNC", None)] == [0, 1, 0]
    (desc,) = mx.io.DataDesc.get_list([("data", (2, 3))], [("data", "float16")])
    assert desc.name == "data" and desc.shape == (2, 3) and desc.dtype == "float16"


def test_tuple_attributes_are_written_as_mxnet_writes_them():
    s = sym.Convolution(sym.var("data"), kernel=(3, 3), stride=[2, 2], num_filter=2, name="c")
    assert s.list_attr() == {"kernel": "(3, 3)", "stride": "[2, 2]", "num_filter": "2"}
    assert s.infer_shape(data=(1, 1, 8, 8))[1] == [(1, 2, 3, 3)]


@pytest.mark.parametrize("split", [False, True])
def test_zero_begin_state_into_fullyconnected_takes_the_batch_like_mxnet(split):
    """MXNet's step cells write h2h = FullyConnected(_zeros(shape=(0, H))) and add it to
    i2h = FullyConnected(x_t), directly (LSTM) or after a split (GRU); MXNet infers the
    0 backwards. Exports of Gluon cells unrolled in a hybridized block look like this."""
    x = sym.var("x")
    h0 = sym.zeros(shape=(0, 4), name="h0")
    i2h = sym.FullyConnected(x, num_hidden=6, name="i2h")
    h2h = sym.FullyConnected(h0, num_hidden=6, name="h2h")
    if split:
        out = sym.split(i2h, num_outputs=2)[0] + sym.split(h2h, num_outputs=2)[0]
    else:
        out = i2h + h2h
    args, outs, _ = out.infer_shape(x=(3, 5))
    assert dict(zip(out.list_arguments(), args))["h2h_weight"] == (6, 4)
    assert outs == [(3, 3 if split else 6)]
    rs = np.random.RandomState(0)
    vals = {n: nd.array(rs.uniform(-1, 1, s)) for n, s in zip(out.list_arguments(), args)}
    got = out.bind(mx.cpu(), vals).forward()[0].asnumpy()
    v = {k: a.asnumpy() for k, a in vals.items()}
    ref = v["x"] @ v["i2h_weight"].T + v["i2h_bias"] + v["h2h_bias"]  # zero state: h2h is its bias
    np.testing.assert_allclose(got, ref[:, :3] if split else ref, rtol=1e-5)


def test_namespaced_and_aliased_ops_are_named_as_mxnet_names_them():
    """Op and node names MXNet 1.9.1 writes for the same calls (its JSON must load there)."""
    d = sym.var("d")
    with mx.name.NameManager():  # counters from 0, as in a fresh MXNet process
        cases = [(sym.contrib.box_iou(d, d), "_contrib_box_iou", "box_iou0"),
                 (sym.linalg.gemm2(d, d), "_linalg_gemm2", "gemm20"),
                 (sym.image.to_tensor(d), "_image_to_tensor", "to_tensor0"),
                 (sym.SliceChannel(d, num_outputs=2), "SliceChannel", "slicechannel0"),
                 (sym.flatten(d), "Flatten", "flatten0"),
                 (sym.stop_gradient(d), "BlockGrad", "stop_gradient0"),
                 (sym.contrib.BilinearResize2D(d, height=4, width=4), "_contrib_BilinearResize2D",
                  "bilinearresize2d0")]
    for s, op, name in cases:
        node = [n for n in json.loads(s.tojson())["nodes"] if n["op"] != "null"][0]
        assert (node["op"], node["name"]) == (op, name)


def test_gluon_rnn_layers_infer_symbolically_like_mxnet():
    """MXNet 1.9.1 infers these from the data shape alone (input size deferred)."""
    rnn = mx.gluon.rnn
    for make, shape, out in [(lambda: rnn.RNN(4, layout="NTC"), (2, 3, 3), (2, 3, 4)),
                             (lambda: rnn.GRU(4, num_layers=2, bidirectional=True), (3, 2, 3), (3, 2, 8)),
                             (lambda: rnn.LSTM(5, num_layers=2, layout="NTC", bidirectional=True), (2, 4, 3),
                              (2, 4, 10))]:
        net = make()
        net.initialize()
        assert net(sym.var("data")).infer_shape(data=shape)[1] == [out]


def test_executor_error_types_and_symbol_repr_like_mxnet():
    """MXNet 1.9.1 raises ValueError / TypeError here (ours are MXNetErrors too)."""
    d = sym.var("d")
    assert repr(sym.split(d, num_outputs=2, name="s")) == "<Symbol s>"  # one node, two outputs
    assert repr(sym.Group([d, d + 1])).startswith("<Symbol group [d, ")
    ex = (d * 2).simple_bind(mx.cpu(), d=(2, 3))
    with pytest.raises(ValueError, match="no array"):
        (d * 2).bind(mx.cpu(), {})
    with pytest.raises(ValueError, match="shape"):
        ex.forward(d=nd.ones((3, 3)))
    with pytest.raises(TypeError, match="foo"):
        ex.forward(foo=nd.ones((2, 3)))
    with pytest.raises(mx.MXNetError):
        ex.forward(foo=nd.ones((2, 3)))


def test_attribute_listings_match_mxnet():
    """MXNet 1.9.1 lists hidden keys with and without underscores, and the variables an
    op creates carry the op's attributes (its JSON shows them)."""
    v = sym.Variable("w", lr_mult=2.0, wd_mult=0.5)
    assert v.list_attr() == {"__lr_mult__": "2.0", "__wd_mult__": "0.5", "lr_mult": "2.0", "wd_mult": "0.5"}
    fc = sym.FullyConnected(sym.var("data"), num_hidden=4, name="fc")
    assert fc.attr_dict() == {"fc_weight": {"num_hidden": "4"}, "fc_bias": {"num_hidden": "4"},
                              "fc": {"num_hidden": "4"}}
    assert [n.get("attrs") for n in json.loads(fc.tojson())["nodes"]] == [None] + [{"num_hidden": "4"}] * 3
