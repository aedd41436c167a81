"""mx.mod.Module (MXNet 1.x symbolic training API) and mx.callback."""
import logging
import os
import warnings

import numpy as np
import pytest

import mxcore as mx
from mxcore import callback, nd
from mxcore.base import MXNetError
from mxcore.module import BaseModule, Module

REF = os.path.join(os.path.dirname(__file__), "..", "data", "mxnet_ref")


def _mlp(hidden=4, classes=3):
    data = mx.sym.Variable("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=hidden, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    fc2 = mx.sym.FullyConnected(act, num_hidden=classes, name="fc2")
    return mx.sym.SoftmaxOutput(fc2, name="softmax")


def _blobs(n, seed=0):
    rs = np.random.RandomState(seed)
    centers = np.array([[0, 3], [3, -2], [-3, -2]], dtype="float32")
    y = rs.randint(0, 3, n)
    x = (centers[y] + rs.randn(n, 2) * 0.7).astype("float32")
    return x, y.astype("float32")


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _trained_module(n=203, batch=20, epochs=8, **fit_kwargs):
    mx.random.seed(1)
    np.random.seed(1)
    x, y = _blobs(n)
    train = mx.io.NDArrayIter(x, y, batch_size=batch, shuffle=True)
    val = mx.io.NDArrayIter(x, y, batch_size=batch, last_batch_handle="pad")
    mod = Module(_mlp(hidden=16), context=mx.cpu())
    mod.fit(train, eval_data=val, optimizer="sgd", optimizer_params={"learning_rate": 0.2},
            eval_metric="acc", num_epoch=epochs, **fit_kwargs)
    return mod, x, y, val


def test_sgd_step_matches_numpy():
    rs = np.random.RandomState(3)
    B, lr = 5, 0.5
    x = rs.randn(B, 2).astype("float32")
    y = np.array([0, 2, 1, 2, 0], dtype="float32")
    p = {"fc1_weight": rs.randn(4, 2), "fc1_bias": rs.randn(4), "fc2_weight": rs.randn(3, 4), "fc2_bias": rs.randn(3)}
    p = {k: v.astype("float32") for k, v in p.items()}

    mod = Module(_mlp(), data_names=["data"], label_names=["softmax_label"])
    mod.bind(data_shapes=[("data", (B, 2))], label_shapes=[("softmax_label", (B,))], inputs_need_grad=True)
    mod.init_params(arg_params={k: mx.nd.array(v) for k, v in p.items()})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": lr})
    assert mod._optimizer.rescale_grad == pytest.approx(1.0 / B)
    mod.forward(mx.io.DataBatch([mx.nd.array(x)], [mx.nd.array(y)]), is_train=True)
    mod.backward()
    dx = mod.get_input_grads()[0].asnumpy()
    mod.update()
    new = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}

    h = x @ p["fc1_weight"].T + p["fc1_bias"]
    a = np.maximum(h, 0)
    prob = _softmax(a @ p["fc2_weight"].T + p["fc2_bias"])
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), prob, rtol=1e-5, atol=1e-6)
    dz = prob - np.eye(3)[y.astype(int)]              # SoftmaxOutput, normalization='null'
    dh = (dz @ p["fc2_weight"]) * (h > 0)
    grads = {"fc2_weight": dz.T @ a, "fc2_bias": dz.sum(0), "fc1_weight": dh.T @ x, "fc1_bias": dh.sum(0)}
    for k, g in grads.items():
        np.testing.assert_allclose(new[k], p[k] - lr * g / B, rtol=1e-5, atol=1e-6, err_msg=k)
        np.testing.assert_allclose((p[k] - new[k]) / lr, g / B, rtol=1e-4, atol=1e-5, err_msg=k)
    np.testing.assert_allclose(dx, dh @ p["fc1_weight"], rtol=1e-5, atol=1e-6)
    assert [name for name, _ in mod.output_shapes] == ["softmax_output"]
    assert mod.output_shapes[0][1] == (B, 3)


def test_fit_score_predict_iter_predict():
    mod, x, y, val = _trained_module()
    assert isinstance(mod, BaseModule) and mod.binded and mod.params_initialized and mod.optimizer_initialized
    (name, acc), = mod.score(val, "acc")
    assert name == "accuracy" and acc > 0.9

    probs = mod.predict(val)                     # 203 = 10*20 + 3: the last batch has 17 padded rows
    assert probs.shape == (203, 3)
    np.testing.assert_allclose(probs.asnumpy().sum(1), np.ones(203), rtol=1e-5)
    assert (probs.asnumpy().argmax(1) == y).mean() > 0.9

    batches = list(mod.iter_predict(val))
    assert len(batches) == 11
    assert [nb for _, nb, _ in batches] == list(range(11))
    assert batches[-1][0][0].shape == (3, 3) and batches[-1][2].pad == 17
    per_batch = mod.predict(val, merge_batches=False)
    assert len(per_batch) == 11 and per_batch[0][0].shape == (20, 3)
    assert isinstance(mod.predict(val, always_output_list=True), list)
    assert len(mod.predict(val, num_batch=2)) == 40

    # a whole array at once rebinds to batch 203; the parameters survive the reshape
    direct = mod.predict(x)
    assert direct.shape == (203, 3)
    np.testing.assert_allclose(direct.asnumpy(), probs.asnumpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mod.predict(val).asnumpy(), probs.asnumpy(), rtol=1e-5, atol=1e-6)

    multi = dict(mod.score(val, ["acc", "ce"]))
    assert set(multi) == {"accuracy", "cross-entropy"} and multi["accuracy"] > 0.9


def test_checkpoint_roundtrip_and_callbacks(tmp_path, caplog):
    prefix = str(tmp_path / "mlp")
    caplog.set_level(logging.INFO)
    mod, _, _, val = _trained_module(epochs=4, batch_end_callback=callback.Speedometer(20, frequent=2),
                                     epoch_end_callback=callback.do_checkpoint(prefix, period=2))
    assert os.path.exists(prefix + "-symbol.json")
    assert os.path.exists(prefix + "-0002.params") and os.path.exists(prefix + "-0004.params")
    assert not os.path.exists(prefix + "-0001.params") and not os.path.exists(prefix + "-0003.params")
    text = caplog.text
    assert "samples/sec" in text and "accuracy=" in text
    assert "Epoch[0] Train-accuracy=" in text and "Epoch[3] Validation-accuracy=" in text
    assert "Epoch[3] Time cost=" in text

    # epoch-4 checkpoint = the final parameters
    mod.save_checkpoint(prefix + "-mod", 7)
    expected = mod.predict(val).asnumpy()
    for pre, ep in ((prefix, 4), (prefix + "-mod", 7)):
        loaded = Module.load(pre, ep)
        assert loaded.params_initialized and not loaded.binded
        loaded.bind(data_shapes=val.provide_data, label_shapes=val.provide_label, for_training=False)
        np.testing.assert_array_equal(loaded.predict(val).asnumpy(), expected)
    args, _ = loaded.get_params()
    np.testing.assert_array_equal(args["fc1_weight"].asnumpy(), mod.get_params()[0]["fc1_weight"].asnumpy())


def test_optimizer_states_roundtrip(tmp_path):
    prefix = str(tmp_path / "m")
    x, y = _blobs(40)
    batch = mx.io.DataBatch([mx.nd.array(x[:8])], [mx.nd.array(y[:8])])
    opt = {"learning_rate": 0.1, "momentum": 0.9}
    mod = Module(_mlp())
    mod.bind([("data", (8, 2))], [("softmax_label", (8,))])
    mx.random.seed(0)
    mod.init_params()
    mod.init_optimizer(optimizer_params=opt)
    for _ in range(2):
        mod.forward_backward(batch)
        mod.update()
    mod.save_checkpoint(prefix, 2, save_optimizer_states=True)
    assert os.path.exists(prefix + "-0002.states")

    other = Module.load(prefix, 2, load_optimizer_states=True)
    other.bind([("data", (8, 2))], [("softmax_label", (8,))])
    other.init_optimizer(optimizer_params=opt)
    for m in (mod, other):                      # momentum carries over: identical next step
        m.forward_backward(batch)
        m.update()
    for k, v in mod.get_params()[0].items():
        np.testing.assert_allclose(other.get_params()[0][k].asnumpy(), v.asnumpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["mlp", "cnn_bn"])
def test_mxnet_checkpoint_outputs(name):
    io = mx.nd.load(os.path.join(REF, name + "-io.params"))
    x, y = io["x"], io["y"].asnumpy()
    mod = Module.load(os.path.join(REF, name), 0, label_names=None)
    mod.bind(data_shapes=[("data", x.shape)], for_training=False)
    mod.forward(mx.io.DataBatch([x]))
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), y, rtol=1e-4, atol=1e-4)
    # through a padding iterator with a batch size that does not divide the inputs
    it = mx.io.NDArrayIter(x, batch_size=x.shape[0] - 1, last_batch_handle="pad")
    np.testing.assert_allclose(mod.predict(it).asnumpy(), y, rtol=1e-4, atol=1e-4)


def test_batchnorm_aux_states_train():
    data = mx.sym.Variable("data")
    fc = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    bn = mx.sym.BatchNorm(fc, name="bn", fix_gamma=False)
    net = mx.sym.SoftmaxOutput(bn, name="softmax")
    rs = np.random.RandomState(0)
    batch = mx.io.DataBatch([mx.nd.array(rs.randn(8, 3) * 3 + 1)], [mx.nd.array(np.arange(8) % 4)])
    mod = Module(net)
    mod.bind([("data", (8, 3))], [("softmax_label", (8,))])
    mod.init_params(initializer=mx.init.Xavier())
    aux = mod.get_params()[1]
    assert sorted(aux) == ["bn_moving_mean", "bn_moving_var"]
    np.testing.assert_array_equal(aux["bn_moving_mean"].asnumpy(), np.zeros(4))
    np.testing.assert_array_equal(aux["bn_moving_var"].asnumpy(), np.ones(4))
    mod.init_optimizer(optimizer_params={"learning_rate": 0.1})

    # train mode: the moving mean moves toward the batch mean of fc's output (momentum 0.9)
    w = mod.get_params()[0]["fc_weight"].asnumpy()
    fc_out = batch.data[0].asnumpy() @ w.T
    # MXNet 1.9.1 on the CPU updates them in BatchNorm's backward, not its forward
    mod.forward(batch, is_train=True)
    np.testing.assert_array_equal(mod.get_params()[1]["bn_moving_mean"].asnumpy(), np.zeros(4))
    mod.backward()
    mod.update()
    mean1 = mod.get_params()[1]["bn_moving_mean"].asnumpy().copy()
    np.testing.assert_allclose(mean1, 0.1 * fc_out.mean(0), rtol=1e-4, atol=1e-5)
    for _ in range(2):
        mod.forward_backward(batch)
        mod.update()
    aux = mod.get_params()[1]
    assert not np.allclose(aux["bn_moving_mean"].asnumpy(), mean1)
    assert not np.allclose(aux["bn_moving_var"].asnumpy(), np.ones(4))
    # inference mode leaves them alone
    before = {k: v.asnumpy().copy() for k, v in aux.items()}
    mod.forward(batch, is_train=False)
    for k, v in mod.get_params()[1].items():
        np.testing.assert_array_equal(v.asnumpy(), before[k])


def test_fixed_params_stay_fixed():
    x, y = _blobs(60)
    it = mx.io.NDArrayIter(x, y, batch_size=10)
    mod = Module(_mlp(hidden=8), fixed_param_names=["fc1_weight"])
    mod.bind(it.provide_data, it.provide_label)
    mx.random.seed(0)
    mod.init_params()
    before = {k: v.asnumpy().copy() for k, v in mod.get_params()[0].items()}
    with pytest.warns(UserWarning, match="already initialized"):   # fit keeps our initial values
        mod.fit(it, num_epoch=2, optimizer_params={"learning_rate": 0.5})
    after = {k: v.asnumpy() for k, v in mod.get_params()[0].items()}
    np.testing.assert_array_equal(after["fc1_weight"], before["fc1_weight"])
    assert not np.allclose(after["fc2_weight"], before["fc2_weight"])
    assert not np.allclose(after["fc1_bias"], before["fc1_bias"])


def test_rebind_keeps_params_and_set_params(caplog):
    mod = Module(_mlp())
    mod.bind([("data", (4, 2))], [("softmax_label", (4,))])
    mod.init_params()
    w = mod.get_params()[0]["fc2_weight"].asnumpy().copy()
    with caplog.at_level(logging.WARNING):
        mod.bind([("data", (4, 2))], [("softmax_label", (4,))])
    assert "Already bound" in caplog.text
    mod.bind([("data", (6, 2))], [("softmax_label", (6,))], force_rebind=True)
    assert mod.data_shapes[0].shape == (6, 2)
    np.testing.assert_array_equal(mod.get_params()[0]["fc2_weight"].asnumpy(), w)

    new = {k: mx.nd.ones(v.shape) for k, v in mod.get_params()[0].items()}
    mod.set_params(new, {})
    mod.forward(mx.io.DataBatch([mx.nd.ones((6, 2))]), is_train=False)
    # all-ones weights: every class scores the same
    np.testing.assert_allclose(mod.get_outputs()[0].asnumpy(), np.full((6, 3), 1 / 3.0), rtol=1e-6)
    with pytest.raises(ValueError, match="not_a_param"):
        mod.set_params({"not_a_param": mx.nd.ones(2)}, {}, allow_missing=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="already initialized"):
            mod.init_params()


def test_errors():
    net = _mlp()
    batch = mx.io.DataBatch([mx.nd.ones((4, 2))], [mx.nd.zeros((4,))])
    mod = Module(net)
    with pytest.raises(MXNetError, match="bind"):
        mod.forward(batch)
    with pytest.raises(MXNetError, match="init_params"):
        mod.get_params()
    mod.bind([("data", (4, 2))], [("softmax_label", (4,))])
    mod.init_params()
    with pytest.raises(MXNetError, match="init_optimizer"):
        mod.update()

    fresh = Module(net)
    fresh.bind([("data", (4, 2))], [("softmax_label", (4,))])
    args = {k: v for k, v in mod.get_params()[0].items() if k != "fc2_bias"}
    with pytest.raises(RuntimeError, match="fc2_bias"):
        fresh.init_params(arg_params=args)
    fresh.init_params(arg_params=args, allow_missing=True)     # the initializer fills fc2_bias
    np.testing.assert_array_equal(fresh.get_params()[0]["fc2_bias"].asnumpy(), np.zeros(3))

    with pytest.raises(ValueError, match="'x'"):
        Module(net, data_names=["x"])
    with pytest.raises(ValueError, match=r"\['x'\]"):
        Module(net).bind([("x", (4, 2))], [("softmax_label", (4,))])
    with pytest.raises(ValueError, match="shape"):
        mod.init_params(arg_params={k: mx.nd.ones((7, 7)) for k in args}, allow_missing=True, force_init=True)

    x, y = _blobs(20)
    with pytest.raises(ValueError, match="softmax_label"):
        Module(net).fit(mx.io.NDArrayIter(x, batch_size=5), num_epoch=1)
    with pytest.raises(ValueError, match="num_epoch"):
        Module(net).fit(mx.io.NDArrayIter(x, y, batch_size=5))
    with pytest.raises(ValueError, match="work_load_list"):
        Module(net, context=[mx.cpu(0), mx.cpu(1)], work_load_list=[1])
    with pytest.raises(ValueError, match="no samples"):
        Module(net, context=[mx.cpu(0), mx.cpu(1), mx.cpu(2)]).bind([("data", (2, 2))], [("softmax_label", (2,))])

    infer = Module(net)
    infer.bind([("data", (4, 2))], for_training=False)
    infer.init_params()
    infer.forward(batch)
    with pytest.raises(MXNetError, match="for_training"):
        infer.backward()
    with pytest.raises(MXNetError, match="inputs_need_grad"):
        infer.get_input_grads()


def test_callbacks_log(caplog):
    caplog.set_level(logging.INFO)
    metric = mx.metric.create("acc")
    metric.update([mx.nd.array([0, 1])], [mx.nd.array([[0.9, 0.1], [0.2, 0.8]])])
    speed = callback.Speedometer(batch_size=4, frequent=2, auto_reset=False)
    for nbatch in range(5):
        speed(callback.BatchEndParam(epoch=1, nbatch=nbatch, eval_metric=metric, locals=None))
    lines = [r.getMessage() for r in caplog.records if "samples/sec" in r.getMessage()]
    assert len(lines) == 2 and lines[0].startswith("Epoch[1] Batch [0-2]") and "accuracy=1.000000" in lines[0]

    caplog.clear()
    callback.log_train_metric(period=1)(callback.BatchEndParam(2, 3, metric, None))
    assert "Iter[2] Batch[3] Train-accuracy=1.000000" in caplog.text
    caplog.clear()
    callback.ProgressBar(total=4, length=8)(callback.BatchEndParam(0, 2, metric, None))
    assert "[====----] 50%" in caplog.text


def test_mxnet_1x_names_are_wired():
    """The names MXNet 1.x scripts use: mx.mod.Module, mx.callback.*, mx.model.BatchEndParam."""
    assert mx.mod.Module is Module and mx.module.BaseModule is BaseModule
    assert mx.callback.Speedometer is callback.Speedometer
    assert mx.model.BatchEndParam is callback.BatchEndParam
    x, y = _blobs(64)
    mod = mx.mod.Module(_mlp(hidden=8))
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=16), num_epoch=2, optimizer_params={"learning_rate": 0.3},
            batch_end_callback=mx.callback.Speedometer(16, 2))
    assert mod.score(mx.io.NDArrayIter(x, y, batch_size=16), "acc")[0][0] == "accuracy"


# ---- BucketingModule ---------------------------------------------------------------------
def _bucket_sym_gen(T):
    data, label = mx.sym.var("data"), mx.sym.var("softmax_label")
    h = mx.sym.mean(mx.sym.Embedding(data, input_dim=10, output_dim=4, name="emb"), axis=1)
    fc = mx.sym.FullyConnected(h, num_hidden=3, name="fc")
    return mx.sym.SoftmaxOutput(fc, label, name="softmax"), ("data",), ("softmax_label",)


class _ListIter(mx.io.DataIter):
    def __init__(self, batches):
        super().__init__(4)
        self.batches, self.i = batches, 0
        self.provide_data = [mx.io.DataDesc("data", (4, 5))]
        self.provide_label = [mx.io.DataDesc("softmax_label", (4,))]

    def reset(self):
        self.i = 0

    def __next__(self):
        if self.i >= len(self.batches):
            raise StopIteration
        self.i += 1
        return self.batches[self.i - 1]


def test_bucketing_module_trains_like_mxnet(tmp_path):
    """Buckets of sequence length 3 and 5 share one set of parameters and one optimizer;
    two epochs of fit (SGD with momentum) give MXNet 1.9.1's weights."""
    rs = np.random.RandomState(0)
    batches = []
    for T in (3, 5, 3, 5, 5):
        x, y = rs.randint(0, 10, (4, T)).astype("f"), rs.randint(0, 3, 4).astype("f")
        batches.append(mx.io.DataBatch([nd.array(x)], [nd.array(y)], bucket_key=T,
                                       provide_data=[mx.io.DataDesc("data", (4, T))],
                                       provide_label=[mx.io.DataDesc("softmax_label", (4,))]))
    arg = {"emb_weight": nd.array(rs.uniform(-0.5, 0.5, (10, 4))), "fc_weight": nd.array(rs.uniform(-0.5, 0.5, (3, 4))),
           "fc_bias": nd.zeros(3)}
    mod = mx.mod.BucketingModule(_bucket_sym_gen, default_bucket_key=5, context=mx.cpu())
    mod.fit(_ListIter(batches), num_epoch=2, optimizer="sgd",
            optimizer_params={"learning_rate": 0.5, "momentum": 0.9}, arg_params=arg)
    assert sorted(mod._buckets) == [3, 5]
    a, _ = mod.get_params()
    np.testing.assert_allclose(a["fc_weight"].asnumpy(), [  # MXNet 1.9.1's, same data and init
        [0.46101, -0.04193, 0.30788, -0.75568], [0.45543, -0.16003, 0.65279, 0.28489],
        [-0.1106, 0.08199, 0.19094, 0.70382]], atol=2e-5)
    np.testing.assert_allclose(a["emb_weight"].asnumpy()[0], [0.48723, 0.03206, 0.19699, -0.55203], atol=2e-5)
    assert mod._buckets[3]._exec.arg_dict["fc_weight"] is mod._buckets[5]._exec.arg_dict["fc_weight"] or \
        np.array_equal(mod._buckets[3]._exec.arg_dict["fc_weight"].asnumpy(), a["fc_weight"].asnumpy())
    mod.save_checkpoint(str(tmp_path / "bk"), 2)  # MXNet 1.9.1's files: one symbol per bucket + .buckets
    assert sorted(os.listdir(tmp_path)) == ["bk-0002.params", "bk-3-symbol.json", "bk-5-symbol.json", "bk.buckets"]
    assert nd.load(str(tmp_path / "bk.buckets"))[0].dtype == np.int32
    loaded = mx.mod.BucketingModule.load(str(tmp_path / "bk"), 2, sym_gen=_bucket_sym_gen, default_bucket_key=5)
    assert loaded.params_initialized and not loaded.binded
    loaded.bind([("data", (4, 5))], [("softmax_label", (4,))], for_training=False)
    np.testing.assert_allclose(loaded.get_params()[0]["fc_weight"].asnumpy(), a["fc_weight"].asnumpy())
    loaded.forward(batches[0], is_train=False)
    mod.forward(batches[0], is_train=False)
    np.testing.assert_allclose(loaded.get_outputs()[0].asnumpy(), mod.get_outputs()[0].asnumpy(), rtol=1e-6)
    mod.bind([("data", (4, 5))], [("softmax_label", (4,))], for_training=False, force_rebind=True)
    np.testing.assert_allclose(mod.get_params()[0]["fc_weight"].asnumpy(), a["fc_weight"].asnumpy())  # kept
    with pytest.raises(ValueError, match="default_bucket_key"):
        mx.mod.BucketingModule(_bucket_sym_gen)


def test_output_shapes_report_bound_batch_on_batch_axis():
    # MXNet 1.9.1 reports each output's batch axis as the bound batch size, even where the
    # output holds batch*T rows: ('softmax_output', (2, 3)) for a (10, 3) output.
    data = mx.sym.var("data")
    emb = mx.sym.Embedding(data, input_dim=10, output_dim=4, name="emb")
    fc = mx.sym.FullyConnected(mx.sym.reshape(emb, shape=(-1, 4)), num_hidden=3, name="fc")
    out = mx.sym.SoftmaxOutput(fc, mx.sym.reshape(mx.sym.var("softmax_label"), shape=(-1,)), name="softmax")
    mod = Module(out)
    mod.bind(data_shapes=[("data", (2, 5))], label_shapes=[("softmax_label", (2, 5))])
    mod.init_params(mx.init.Constant(0.1))
    mod.forward(mx.io.DataBatch([nd.zeros((2, 5))], [nd.zeros((2, 5))]), is_train=False)
    assert mod.get_outputs()[0].shape == (10, 3)
    assert mod.output_shapes == [("softmax_output", (2, 3))]
