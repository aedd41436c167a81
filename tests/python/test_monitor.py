"""mx.mon.Monitor on a symbolic executor and in Module.fit (MXNet 1.x's debugging aid)."""
import logging

import numpy as np

import mxcore as mx


def _net():
    data = mx.sym.var("data")
    fc1 = mx.sym.FullyConnected(data, num_hidden=3, name="fc1")
    act = mx.sym.Activation(fc1, act_type="relu", name="relu1")
    bn = mx.sym.BatchNorm(act, name="bn")
    return mx.sym.SoftmaxOutput(mx.sym.FullyConnected(bn, num_hidden=2, name="fc2"), name="softmax")


def test_monitor_reports_node_outputs_then_arguments_with_mxnet_values():
    ex = _net().simple_bind(mx.cpu(), data=(4, 5))
    for k, v in sorted(ex.arg_dict.items()):
        v[:] = mx.nd.array(np.random.RandomState(len(k)).uniform(-1, 1, v.shape))
    mon = mx.mon.Monitor(1, pattern=".*")
    mon.install(ex)
    mon.tic()
    ex.forward(is_train=True)
    ex.backward()
    rows = {name: float(val) for _, name, val in mon.toc()}
    # statistics MXNet 1.9.1 printed for the same executor (norm / sqrt(size))
    expect = {"fc1_output": 1.3040304, "relu1_output": 1.2556612, "bn_output": 1.1602074,
              "fc2_output": 1.0682747, "softmax_output": 0.5843087, "data": 0.70330507,
              "fc1_weight": 0.6283658, "fc2_weight": 0.5530508, "bn_moving_mean": 0.10200503}
    for name, value in expect.items():
        np.testing.assert_allclose(rows[name], value, rtol=1e-5, err_msg=name)
    names = [n for _, n, _ in mon.toc()]
    assert names == []  # toc without tic reports nothing
    all_mon = mx.mon.Monitor(1, pattern="fc1_.*", monitor_all=True)
    all_mon.install(ex)
    all_mon.tic()
    ex.forward(is_train=False)
    names = [n for _, n, _ in all_mon.toc()]
    assert names[:4] == ["fc1_data", "fc1_weight", "fc1_bias", "fc1_output"]


def test_module_fit_with_a_monitor(caplog):
    x = np.random.RandomState(0).rand(8, 5).astype("f")
    y = (x.sum(axis=1) > 2.5).astype("f")
    it = mx.io.NDArrayIter(x, y, batch_size=4)
    mod = mx.mod.Module(_net())
    with caplog.at_level(logging.INFO):
        mod.fit(it, num_epoch=1, monitor=mx.mon.Monitor(1, pattern=".*output"))
    logged = [r.getMessage() for r in caplog.records if r.getMessage().startswith("Batch:")]
    assert any("fc1_output" in m for m in logged) and any("softmax_output" in m for m in logged)
