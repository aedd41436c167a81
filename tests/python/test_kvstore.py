"""mx.kv: the single-process key-value store (sums pushes, optional optimizer) and mx.name."""
import mxcore as mx
import numpy as np
import pytest


def test_push_sums_devices_and_pull_copies_out():
    kv = mx.kv.create("device")
    assert (kv.type, kv.rank, kv.num_workers) == ("device", 0, 1)
    a = mx.nd.array(np.arange(4.0).reshape(2, 2))
    kv.init(3, a)
    a[:] = 100  # init stored a copy
    kv.push(3, [mx.nd.ones((2, 2)) * 2, mx.nd.ones((2, 2)) * 3])
    outs = [mx.nd.zeros((2, 2)), mx.nd.zeros((2, 2))]
    kv.pull(3, out=outs)
    for o in outs:
        np.testing.assert_array_equal(o.asnumpy(), np.full((2, 2), 5.0))
    kv.init(["w", "b"], [mx.nd.zeros(3), mx.nd.zeros(1)])  # string keys, lists of keys
    v = [mx.nd.array([1.0, 2, 3]), mx.nd.array([7.0])]
    kv.pushpull(["w", "b"], v)
    np.testing.assert_array_equal(v[0].asnumpy(), [1, 2, 3])


def test_push_with_an_optimizer_updates_the_stored_weight(tmp_path):
    kv = mx.kv.create("local")
    w = np.array([1.0, -2.0, 3.0], np.float32)
    kv.init(0, mx.nd.array(w))
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    g = np.array([0.5, 0.5, -1.0], np.float32)
    for _ in range(2):
        kv.push(0, mx.nd.array(g))
    out = mx.nd.zeros(3)
    kv.pull(0, out=out)
    mom = -0.1 * g
    mom2 = 0.9 * mom - 0.1 * g
    np.testing.assert_allclose(out.asnumpy(), w + mom + mom2, rtol=1e-6)
    kv.save_optimizer_states(str(tmp_path / "kv.states"))
    kv.load_optimizer_states(str(tmp_path / "kv.states"))


def test_kvstore_errors():
    kv = mx.kv.create()
    with pytest.raises(mx.MXNetError, match="never initialised"):
        kv.pull(9, out=mx.nd.zeros(1))
    kv.init(1, mx.nd.zeros(1))
    with pytest.raises(mx.MXNetError, match="already initialised"):
        kv.init(1, mx.nd.zeros(1))
    with pytest.raises(mx.MXNetError, match="dist_sync.*one process"):
        mx.kv.create("dist_sync")
    with pytest.raises(mx.MXNetError, match="2 keys need 2 values"):
        kv.push([1, 2], mx.nd.zeros(1))
    with pytest.raises(mx.MXNetError, match="no optimizer set"):
        kv.save_optimizer_states("/tmp/never-written")


def test_name_manager_module():
    with mx.name.Prefix("blk_"):
        s = mx.sym.FullyConnected(mx.sym.var("x"), num_hidden=2)
    assert s.name.startswith("blk_fullyconnected")
