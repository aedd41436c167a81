"""Regressions found running MXNet's example/ programs against MXNet 1.9.1 (the
expected values are what MXNet 1.9.1 prints for the same code)."""

import json
import os

import mxcore as mx
import numpy as np

LEGACY = os.path.join(os.path.dirname(__file__), "..", "..", "data", "legacy", "bn_conv_v0_8-symbol.json")


def _op_inputs(sym):
    return [n["inputs"] for n in json.loads(sym.tojson())["nodes"] if n["op"] != "null"]


def test_json_writes_nnvm_versions_of_mutated_aux_inputs():
    # every BatchNorm of example/image-classification's models: moving_mean/var read [id, 0, 1]
    d = mx.sym.var("data")
    b = mx.sym.BatchNorm(d, name="bn")
    b2 = mx.sym.BatchNorm(b, moving_mean=mx.sym.var("bn_moving_mean"), name="bn2")
    assert _op_inputs(b2) == [
        [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]],
        [[5, 0, 0], [6, 0, 0], [7, 0, 0], [8, 0, 1], [9, 0, 1]],
    ]
    # one variable mutated twice, then read: versions 1, 2, 2
    mm = mx.sym.var("mm")
    b3 = mx.sym.BatchNorm(mx.sym.BatchNorm(d, moving_mean=mm, name="x"), moving_mean=mm, name="y") + mm
    assert _op_inputs(b3) == [
        [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]],
        [[5, 0, 0], [6, 0, 0], [7, 0, 0], [3, 0, 2], [8, 0, 1]],
        [[9, 0, 0], [3, 0, 2]],
    ]
    assert "arg[3]=bn_moving_mean(0) version=1" in b.debug_str()


def test_json_keeps_the_versions_a_file_gave():
    j = json.loads(mx.sym.BatchNorm(mx.sym.var("data"), name="bn").tojson())
    j["nodes"][-1]["inputs"][3][2] = 7
    loaded = mx.sym.load_json(json.dumps(j))
    assert json.loads(loaded.tojson())["nodes"][-1]["inputs"] == [[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 7], [4, 0, 1]]
    c = mx.sym.BatchNorm(loaded, name="z", moving_mean=mx.sym.var("bn_moving_mean"))
    assert _op_inputs(c)[1] == [[5, 0, 0], [6, 0, 0], [7, 0, 0], [8, 0, 1], [9, 0, 1]]
    # a pre-0.9 file upgraded on load: its inserted aux inputs stay version 0, as in MXNet
    assert json.loads(mx.sym.load(LEGACY).tojson())["nodes"][5]["inputs"][3:] == [[3, 0, 0], [4, 0, 0]]
    # save -> load -> save is stable
    again = mx.sym.load_json(mx.sym.BatchNorm(mx.sym.var("data"), name="bn").tojson())
    assert _op_inputs(again) == [[[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 1], [4, 0, 1]]]


def test_variable_with_an_int_shape():
    # pvanet: mx.symbol.Variable(name=..., shape=(1), dtype='float32', init=mx.initializer.One())
    a = mx.sym.Variable("alpha", shape=(1), dtype="float32", init=mx.initializer.One())
    assert a.attr("__shape__") == "1"
    y = mx.sym.broadcast_mul(mx.sym.var("x"), a)
    args, outs, _ = y.infer_shape(x=(2, 3))
    assert args == [(2, 3), (1,)] and outs == [(2, 3)]


def _fixed_gamma_executor(fix_gamma):
    s = mx.sym.BatchNorm(mx.sym.var("data"), fix_gamma=fix_gamma, name="bn")
    ex = s.simple_bind(mx.cpu(), data=(2, 3, 4, 4))
    ex.arg_dict["bn_gamma"][:] = mx.nd.array([0.5, 2, 3])
    ex.arg_dict["data"][:] = mx.nd.array(np.random.RandomState(0).randn(2, 3, 4, 4))
    return ex


def test_executor_forward_writes_ones_into_a_fixed_gamma():
    # MXNet 1.9.1: exec eval [1. 1. 1.], exec train [1. 1. 1.]; so a Module trained with
    # fix_gamma=True (BatchNorm's default; vgg, inception-v3, resnet's bn_data, pvanet)
    # saves gamma == 1 less weight decay, whatever it was initialized to
    ex = _fixed_gamma_executor(True)
    ex.forward(is_train=False)
    assert ex.arg_dict["bn_gamma"].asnumpy().tolist() == [1, 1, 1]
    ex = _fixed_gamma_executor(True)
    ex.forward(is_train=True)
    ex.backward([mx.nd.ones((2, 3, 4, 4))])
    assert ex.arg_dict["bn_gamma"].asnumpy().tolist() == [1, 1, 1]
    assert ex.grad_dict["bn_gamma"].asnumpy().tolist() == [0, 0, 0]
    ex = _fixed_gamma_executor(False)
    ex.forward(is_train=True)
    assert ex.arg_dict["bn_gamma"].asnumpy().tolist() == [0.5, 2, 3]


def test_imperative_batchnorm_leaves_a_fixed_gamma_alone():
    # MXNet 1.9.1: nd.BatchNorm(..., fix_gamma=True) does not write gamma
    g = mx.nd.array([0.5, 2, 3])
    x = mx.nd.array(np.random.RandomState(0).randn(2, 3, 4, 4))
    mx.nd.BatchNorm(x, g, mx.nd.zeros(3), mx.nd.zeros(3), mx.nd.ones(3), fix_gamma=True)
    assert g.asnumpy().tolist() == [0.5, 2, 3]


def test_module_exec_group_grad_arrays_are_the_live_gradients():
    # example/gan/dcgan.py sums two backward passes through modD._exec_group.grad_arrays
    net = mx.sym.LinearRegressionOutput(mx.sym.FullyConnected(mx.sym.var("data"), num_hidden=2, name="fc"), name="lro")
    mod = mx.mod.Module(net, label_names=["lro_label"])
    mod.bind(data_shapes=[("data", (3, 4))], label_shapes=[("lro_label", (3, 2))], inputs_need_grad=True)
    mod.init_params(initializer=mx.init.One())
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1})
    group = mod._exec_group
    assert group.param_names == ["fc_weight", "fc_bias"]
    batch = mx.io.DataBatch([mx.nd.ones((3, 4))], [mx.nd.zeros((3, 2))])
    mod.forward(batch, is_train=True)
    mod.backward()
    saved = [[g.copyto(g.context) for g in grads] for grads in group.grad_arrays]
    for grads, prev in zip(group.grad_arrays, saved):
        for g, p in zip(grads, prev):
            g += p
    mod.update()
    # MXNet 1.9.1 prints weights 0.6 and biases -0.4: W = 1, b = 0 (One() leaves biases 0), x = 1
    # -> out 4, LinearRegressionOutput's gradient 4 / 2 outputs, 3 rows: 6; doubled, rescaled by 1/3
    assert group.grad_arrays[0][0].shape == (2, 4)
    np.testing.assert_allclose(mod.get_params()[0]["fc_weight"].asnumpy(), 0.6, rtol=1e-6)
    np.testing.assert_allclose(mod.get_params()[0]["fc_bias"].asnumpy(), -0.4, rtol=1e-6)
    assert len(group.input_grad_arrays) == 1 and group.input_grad_arrays[0][0].shape == (3, 4)


def _summary(sym, shape):
    import contextlib
    import io

    f = io.StringIO()
    with contextlib.redirect_stdout(f):
        mx.viz.print_summary(sym, shape=shape)
    rows = {}
    for line in f.getvalue().splitlines():
        parts = line.split()
        if len(parts) >= 3 and "(" in parts[0]:
            rows[parts[0]] = int(parts[2])
    return rows, f.getvalue().splitlines()[-2]


def test_print_summary_counts_parameters_of_the_layers_mxnet_counts():
    # MXNet 1.9.1 prints 0 for Deconvolution and PReLU, input_dim * output_dim for Embedding
    d = mx.sym.var("data")
    y = mx.sym.Group(
        [
            mx.sym.LeakyReLU(
                mx.sym.Deconvolution(d, kernel=(2, 2), num_filter=3, name="dc"), act_type="prelu", name="pr"
            ),
            mx.sym.Embedding(mx.sym.var("tok"), input_dim=5, output_dim=2, name="em"),
        ]
    )
    rows, total = _summary(y, {"data": (1, 2, 4, 4), "tok": (1, 3)})
    assert rows == {"data(null)": 0, "dc(Deconvolution)": 0, "pr(LeakyReLU)": 0, "em(Embedding)": 10}
    assert total == "Total params: 10"
    # pvanet's learned scale/shift (broadcast_mul/add by a Variable) counts 0; MXNet's total 1085
    import excompat_symbols

    with mx.name.NameManager():
        sym, ishape = excompat_symbols.pvanet(mx)
    rows, total = _summary(sym, {"data": (1,) + ishape})
    assert rows["broadcast_mul0(broadcast_mul)"] == 0 and rows["conv1_1_conv2d(Convolution)"] == 112
    assert total == "Total params: 1085"


def test_gradient_penalty_second_order_gradients_are_the_true_ones():
    # WGAN-GP's penalty: d/dtheta of |d D(x) / dx|^2 through FullyConnected and tanh.
    # Here mxcore deliberately differs from MXNet 1.9.1, which drops terms (its
    # _backward_FullyConnected has no complete gradient: the bias and second-layer
    # weight gradients come out 0, the first layer's wrong); the expected values are
    # numpy central differences of the same function.
    rng = np.random.RandomState(0)
    w1, b1, w2 = rng.randn(6, 3) * 0.5, rng.randn(6) * 0.1, rng.randn(1, 6) * 0.5
    x = rng.randn(4, 3)

    def penalty(w1, b1, w2):
        dh = 1 - np.tanh(x @ w1.T + b1) ** 2
        return (((w2 * dh) @ w1) ** 2).sum()

    want = []
    for k, arr in enumerate((w1, b1, w2)):
        g = np.zeros_like(arr)
        for i in np.ndindex(arr.shape):
            args = [w1.copy(), b1.copy(), w2.copy()]
            args[k][i] += 1e-6
            hi = penalty(*args)
            args[k][i] -= 2e-6
            g[i] = (hi - penalty(*args)) / 2e-6
        want.append(g)
    params = [mx.nd.array(a) for a in (w1, b1, w2)]
    for p in params:
        p.attach_grad()
    xs = mx.nd.array(x)
    xs.attach_grad()
    with mx.autograd.record():
        h = mx.nd.tanh(mx.nd.FullyConnected(xs, params[0], params[1], num_hidden=6))
        d = mx.nd.FullyConnected(h, params[2], no_bias=True, num_hidden=1)
        g = mx.autograd.grad(d, [xs], create_graph=True, retain_graph=True)[0]
        loss = (g**2).sum()
    loss.backward()
    for p, w, name in zip(params, want, ("weight 1", "bias 1", "weight 2")):
        np.testing.assert_allclose(p.grad.asnumpy(), w, rtol=1e-3, atol=1e-4, err_msg=name)


def test_symbolic_rand_zipfian():
    # example/rnn/large_word_lm samples with mx.sym.contrib.rand_zipfian; MXNet 1.9.1 names
    # the outputs so and prints the expected counts [1.05774861 0.34051899 0.03021898]
    with mx.name.NameManager():  # fresh name counters: other tests made symbols before
        s, e_true, e_sampled = mx.sym.contrib.rand_zipfian(mx.sym.var("t"), 6, 50)
    g = mx.sym.Group([s, e_true, e_sampled])
    assert g.list_outputs() == ["_modscalar0_output", "_mulscalar0_output", "_mulscalar1_output"]
    assert g.infer_shape(t=(3,))[1] == [(6,), (3,), (6,)]
    assert g.infer_type(t="float32")[1] == [np.int64, np.float64, np.float64]
    out = g.bind(mx.cpu(), {"t": mx.nd.array([0, 3, 49])}).forward()
    np.testing.assert_allclose(out[1].asnumpy(), [1.05774861, 0.34051899, 0.03021898], rtol=1e-7)
    assert ((out[0].asnumpy() >= 0) & (out[0].asnumpy() < 50)).all()
    k = out[0].asnumpy().astype(np.float64)
    np.testing.assert_allclose(out[2].asnumpy(), np.log((k + 2) / (k + 1)) / np.log(51) * 6, rtol=1e-12)
    assert callable(mx.random.generalized_negative_binomial)


def test_rnn_cell_zero_begin_states_carry_the_nc_layout():
    # MXNet 1.9.1 writes mx.rnn cells' zero begin states as
    # {'op': '_zeros', 'attrs': {'__layout__': 'NC', 'dtype': 'float32', 'shape': '(0, 3)'}}
    cell = mx.rnn.LSTMCell(3, prefix="l_")
    states = cell.begin_state()
    nodes = [json.loads(s.tojson())["nodes"][0] for s in states]
    assert nodes == [
        {
            "op": "_zeros",
            "name": "l_begin_state_%d" % i,
            "inputs": [],
            "attrs": {"__layout__": "NC", "dtype": "float32", "shape": "(0, 3)"},
        }
        for i in (0, 1)
    ]
    outs, _ = cell.unroll(2, mx.sym.var("data"), layout="NTC", merge_outputs=True)
    assert outs.infer_shape(data=(5, 2, 4))[1] == [(5, 2, 3)]
