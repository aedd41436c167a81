"""Symbol JSON from MXNet versions before 1.9.1 gets the upgrades MXNet 1.9.1
applies on load (core/graph_legacy.c): files before 0.9 did not list
auxiliary states as inputs, and older files spell the lr_mult/wd_mult/
ctx_group/mirror hints without underscores. Expected values were printed by
MXNet 1.9.1 loading the same JSON."""
import json
import os

import numpy as np
import pytest

import mxcore as mx

LEGACY = os.path.join(os.path.dirname(__file__), "..", "..", "data", "legacy", "bn_conv_v0_8-symbol.json")


def _legacy(version=None, hints=None):
    with open(LEGACY) as f:
        j = json.load(f)
    if version is not None:
        j["attrs"] = {"mxnet_version": ["int", version]}
    if hints:
        j["nodes"][4]["attr"] = dict(hints)
    return json.dumps(j)


def test_pre_0_9_file_gets_its_batchnorm_aux_states_like_mxnet():
    s = mx.sym.load(LEGACY)
    assert s.list_arguments() == ["data", "bn_data_gamma", "bn_data_beta", "conv0_weight", "fc1_weight",
                                  "fc1_bias", "softmax_label"]
    assert s.list_auxiliary_states() == ["bn_data_moving_mean", "bn_data_moving_var"]
    arg, out, aux = s.infer_shape(data=(2, 1, 4, 4))
    assert arg == [(2, 1, 4, 4), (1,), (1,), (4, 1, 3, 3), (3, 64), (3,), (2,)]
    assert out == [(2, 3)] and aux == [(1,), (1,)]
    nodes = json.loads(s.tojson())["nodes"]
    # MXNet inserts the variables just before their BatchNorm, with its attributes and an init hint
    assert [n["name"] for n in nodes[3:6]] == ["bn_data_moving_mean", "bn_data_moving_var", "bn_data"]
    assert nodes[3]["attrs"] == {"__init__": '["zero", {}]', "eps": "2e-05", "fix_gamma": "True", "momentum": "0.9",
                                 "use_global_stats": "False"}
    assert nodes[4]["attrs"]["__init__"] == '["one", {}]'
    assert nodes[5]["inputs"] == [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0], [4, 0, 0]]


def test_pre_0_9_file_predicts_what_mxnet_predicts():
    s = mx.sym.load(LEGACY)
    ex = s.simple_bind(mx.cpu(), data=(2, 1, 4, 4), grad_req="null")
    rs = np.random.RandomState(0)
    for v in ex.arg_dict.values():
        v[:] = rs.uniform(-1, 1, v.shape)
    for v in ex.aux_dict.values():
        v[:] = rs.uniform(0.5, 1, v.shape)
    ex.forward(is_train=False)
    mxnet_out = [[0.018094100058078766, 0.029397618025541306, 0.952508270740509],
                 [0.0007633086061105132, 0.8996981978416443, 0.09953852742910385]]
    np.testing.assert_allclose(ex.outputs[0].asnumpy(), mxnet_out, rtol=1e-5)


@pytest.mark.parametrize("version", [800, 899])
def test_aux_states_are_added_only_before_0_9(version):
    assert mx.sym.load_json(_legacy(version)).list_auxiliary_states() == ["bn_data_moving_mean",
                                                                           "bn_data_moving_var"]
    with pytest.raises(mx.MXNetError, match="bn_data.*BatchNorm.*expected 5 input"):
        mx.sym.load_json(_legacy(900)).infer_shape(data=(2, 1, 4, 4))


HINTS = {"lr_mult": "0.1", "ctx_group": "dev1", "wd_mult": "0", "weight_lr_mult": "2"}


@pytest.mark.parametrize("version,renamed", [(None, True), (905, True), (10900, True), (10901, False)])
def test_unprefixed_hints_of_older_files_are_renamed_like_mxnet(version, renamed):
    s = mx.sym.load_json(_legacy(version, HINTS))
    attrs = [n for n in json.loads(s.tojson())["nodes"] if n["name"] == "conv0_weight"][0]["attrs"]
    if renamed:
        assert attrs == {"__lr_mult__": "0.1", "__ctx_group__": "dev1", "__wd_mult__": "0", "weight_lr_mult": "2"}
    else:
        assert attrs == HINTS


def test_renamed_lr_mult_reaches_the_optimizer():
    s = mx.sym.load_json(_legacy(None, HINTS))
    opt = mx.optimizer.SGD(learning_rate=1.0, sym=s, param_idx2name={0: "conv0_weight", 1: "fc1_weight"})
    assert opt._get_lr(0) == pytest.approx(0.1) and opt._get_lr(1) == 1.0


def test_hints_on_op_nodes_of_older_files_load_and_infer():
    # an op node's unprefixed hint is an unknown op attribute in a current file (an error,
    # in MXNet too); in an older file it is renamed and the node loads
    j = json.loads(_legacy())
    j["nodes"][10]["attr"] = {"ctx_group": "dev2", "lr_mult": "3"}
    s = mx.sym.load_json(json.dumps(j))
    assert s.infer_shape(data=(2, 1, 4, 4))[1] == [(2, 3)]
    j["attrs"] = {"mxnet_version": ["int", 10901]}
    with pytest.raises(mx.MXNetError, match="fc1.*unknown attribute 'ctx_group'"):
        mx.sym.load_json(json.dumps(j))


# ---- a second pre-0.9 file (FullyConnected + BatchNorm + SoftmaxOutput) and Reshape's
# deprecated target_shape; values printed by MXNet 1.9.1
def _node(op, name, param, inputs):
    return {"op": op, "param": param, "name": name, "inputs": inputs, "backward_source_id": -1}


LEGACY_FC_BN = {
    "nodes": [
        _node("null", "data", {}, []), _node("null", "fc1_weight", {}, []), _node("null", "fc1_bias", {}, []),
        _node("FullyConnected", "fc1", {"no_bias": "False", "num_hidden": "3"}, [[0, 0], [1, 0], [2, 0]]),
        _node("Activation", "relu1", {"act_type": "relu"}, [[3, 0]]),
        _node("null", "bn_gamma", {}, []), _node("null", "bn_beta", {}, []),
        _node("BatchNorm", "bn", {"eps": "0.001", "fix_gamma": "True", "momentum": "0.9", "use_global_stats": "False"},
              [[4, 0], [5, 0], [6, 0]]),
        _node("null", "softmax_label", {}, []),
        _node("SoftmaxOutput", "softmax", {"grad_scale": "1", "ignore_label": "-1", "multi_output": "False",
                                           "normalization": "null", "use_ignore": "False"}, [[7, 0], [8, 0]]),
    ],
    "arg_nodes": [0, 1, 2, 5, 6, 8],
    "heads": [[9, 0]],
}


def test_batchnorm_without_aux_states_gets_them_as_mxnet_adds_them():
    s = mx.sym.load_json(json.dumps(LEGACY_FC_BN))
    assert s.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert s.infer_shape(data=(2, 4)) == ([(2, 4), (3, 4), (3,), (3,), (3,), (2,)], [(2, 3)], [(3,), (3,)])
    nodes = {n["name"]: n for n in json.loads(s.tojson())["nodes"]}
    assert nodes["bn_moving_var"]["attrs"] == {"__init__": '["one", {}]', "eps": "0.001", "fix_gamma": "True",
                                               "momentum": "0.9", "use_global_stats": "False"}
    assert nodes["bn"]["inputs"] == [[4, 0, 0], [5, 0, 0], [6, 0, 0], [7, 0, 0], [8, 0, 0]]
    ex = s.simple_bind(mx.cpu(), data=(2, 4), grad_req="null")
    ex.copy_params_from({"fc1_weight": mx.nd.array(np.arange(12).reshape(3, 4) / 10 - 0.5), "fc1_bias": mx.nd.zeros(3),
                         "bn_gamma": mx.nd.ones(3) * 2, "bn_beta": mx.nd.ones(3)},
                        {"bn_moving_mean": mx.nd.array([0.1, 0.2, 0.3]), "bn_moving_var": mx.nd.array([1, 2, 3])})
    out = ex.forward(data=mx.nd.array(np.arange(8).reshape(2, 4) / 8.))[0].asnumpy()
    np.testing.assert_allclose(out, [[0.31245, 0.32173, 0.36582], [0.24549, 0.2713, 0.48321]], atol=2e-5)


def test_reshape_target_shape_infers_its_zero_dim():
    r = mx.sym.load_json(json.dumps({
        "nodes": [{"op": "null", "name": "x", "inputs": []},
                  {"op": "Reshape", "name": "r", "attrs": {"target_shape": "(0, 1)"}, "inputs": [[0, 0, 0]]}],
        "arg_nodes": [0], "heads": [[1, 0, 0]]}))
    assert r.eval(x=mx.nd.array([12.0, 18.0]))[0].asnumpy().tolist() == [[12.0], [18.0]]
    keep = mx.sym.Reshape(mx.sym.var("x"), target_shape=(5, 0), keep_highest=True)
    assert keep.infer_shape(x=(2, 3, 4))[1] == [(2, 12)]
