"""Symbol files from MXNet before 0.9 ("param" attributes, BatchNorm without its
auxiliary states, Reshape's target_shape) load as MXNet 1.9.1 loads them
(expected values printed by MXNet 1.9.1)."""
import json

import numpy as np

import mxcore as mx


def _node(op, name, param, inputs):
    return {"op": op, "param": param, "name": name, "inputs": inputs, "backward_source_id": -1}


LEGACY = {
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
    s = mx.sym.load_json(json.dumps(LEGACY))
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
