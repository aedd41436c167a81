"""Module data parallelism over several contexts (MXNet's DataParallelExecutorGroup):
the batch split along its batch axis (work_load_list shares), gradients summed
over the devices, BatchNorm statistics per device and averaged when read. The
numbers were printed by MXNet 1.9.1 running the same program."""
import numpy as np
import pytest

import mxcore as mx


def _net(bn):
    d = mx.sym.var("data")
    h = mx.sym.FullyConnected(d, num_hidden=8, name="fc1")
    if bn:
        h = mx.sym.BatchNorm(h, name="bn", fix_gamma=False)
    h = mx.sym.Activation(h, act_type="relu")
    h = mx.sym.FullyConnected(h, num_hidden=3, name="fc2")
    return mx.sym.SoftmaxOutput(h, name="softmax")


# (bn, contexts, work_load_list): MXNet's fc1_weight[0, :3], bn_moving_mean[:3], accuracy, first output row
CASES = [
    (False, 1, None, [-0.45756, -0.26086, -0.01305], None, 0.35, [0.30661, 0.43009, 0.26329]),
    (False, 2, None, [-0.45756, -0.26086, -0.01305], None, 0.35, [0.30661, 0.43009, 0.26329]),
    (False, 3, [1, 2, 1], [-0.45756, -0.26086, -0.01305], None, 0.35, [0.30661, 0.43009, 0.26329]),
    (True, 1, None, [-0.41348, -0.24607, 0.03446], [0.12586, 0.04242, -0.05721], 0.275, [0.39055, 0.32107, 0.28838]),
    (True, 2, None, [-0.44033, -0.31028, 0.05308], [0.1245, 0.03336, -0.05732], 0.275, [0.24871, 0.49446, 0.25683]),
    (True, 3, [1, 2, 1], [-0.42501, -0.27174, -0.01335], [0.11352, 0.01333, -0.06075], 0.275,
     [0.43063, 0.34855, 0.22083]),
]


@pytest.mark.parametrize("bn, n_ctx, work_load, fc1w, mean, acc, out0", CASES)
def test_training_over_devices_matches_mxnet(bn, n_ctx, work_load, fc1w, mean, acc, out0):
    rs = np.random.RandomState(0)
    x, y = rs.randn(40, 5).astype("f"), rs.randint(0, 3, 40).astype("f")
    init = {"fc1_weight": rs.randn(8, 5) * 0.5, "fc1_bias": rs.randn(8) * 0.1, "fc2_weight": rs.randn(3, 8) * 0.5,
            "fc2_bias": np.zeros(3), "bn_gamma": np.ones(8), "bn_beta": np.zeros(8)}
    it = mx.io.NDArrayIter(x, y, batch_size=8)
    mod = mx.mod.Module(_net(bn), context=[mx.cpu(i) for i in range(n_ctx)], work_load_list=work_load)
    mod.bind(it.provide_data, it.provide_label)
    mod.init_params(arg_params={k: mx.nd.array(init[k]) for k in _net(bn).list_arguments() if k in init},
                    aux_params={"bn_moving_mean": mx.nd.zeros(8), "bn_moving_var": mx.nd.ones(8)} if bn else {})
    mod.init_optimizer(optimizer="sgd", optimizer_params={"learning_rate": 0.1, "momentum": 0.9})
    metric = mx.metric.Accuracy()
    for b in it:
        mod.forward(b, is_train=True)
        mod.backward()
        mod.update()
        mod.update_metric(metric, b.label)
    args, aux = mod.get_params()
    np.testing.assert_allclose(args["fc1_weight"].asnumpy()[0, :3], fc1w, atol=2e-5)
    if bn:
        np.testing.assert_allclose(aux["bn_moving_mean"].asnumpy()[:3], mean, atol=2e-5)
    assert metric.get()[1] == pytest.approx(acc)
    out = mod.get_outputs()[0]
    assert out.shape == (8, 3) and out.context == mx.cpu(0)
    np.testing.assert_allclose(out.asnumpy()[0], out0, atol=2e-5)
    per_device = mod.get_outputs(merge_multi_context=False)[0]
    assert len(per_device) == n_ctx and [o.context for o in per_device] == [mx.cpu(i) for i in range(n_ctx)]


def test_fit_predict_and_input_grads_over_two_devices():
    rs = np.random.RandomState(1)
    x = rs.randn(64, 5).astype("f")
    y = (x[:, 0] > 0).astype("f")
    mod = mx.mod.Module(_net(False), context=[mx.cpu(0), mx.cpu(1)])
    mod.fit(mx.io.NDArrayIter(x, y, batch_size=16, shuffle=False), num_epoch=10,
            optimizer_params={"learning_rate": 0.5}, initializer=mx.init.Xavier())
    acc = mod.score(mx.io.NDArrayIter(x, y, batch_size=16), "acc")[0][1]
    assert acc > 0.9
    pred = mod.predict(mx.io.NDArrayIter(x, batch_size=16))
    assert pred.shape == (64, 3)
    single = mx.mod.Module(_net(False), context=mx.cpu())
    single.bind([("data", (16, 5))], [("softmax_label", (16,))], inputs_need_grad=True)
    single.set_params(*mod.get_params())
    multi = mx.mod.Module(_net(False), context=[mx.cpu(0), mx.cpu(1)])
    multi.bind([("data", (16, 5))], [("softmax_label", (16,))], inputs_need_grad=True)
    multi.set_params(*mod.get_params())
    batch = mx.io.DataBatch([mx.nd.array(x[:16])], [mx.nd.array(y[:16])])
    for m in (single, multi):
        m.forward(batch, is_train=True)
        m.backward()
    np.testing.assert_allclose(multi.get_input_grads()[0].asnumpy(), single.get_input_grads()[0].asnumpy(),
                               rtol=1e-5, atol=1e-7)
