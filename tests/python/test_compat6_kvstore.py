"""mx.kv single-process store vs MXNet 1.9.1: the low-level updater hook,
broadcast, is_capable and row_sparse_pull's refusal of dense values."""
import pytest

import mxcore as mx
from mxcore import nd
from mxcore.base import MXNetError


def test_set_updater_hook():
    kv = mx.kv.create('local')

    def upd(key, pushed, stored):
        stored += pushed * 2
    kv._set_updater(upd)
    kv.init('w', nd.zeros(2))
    kv.push('w', nd.ones(2))
    o = nd.zeros(2)
    kv.pull('w', out=o)
    assert o.asnumpy().tolist() == [2.0, 2.0]   # MXNet 1.9.1


def test_broadcast_inits_then_pulls():
    kv = mx.kv.create('local')
    out = [nd.zeros(2), nd.zeros(2)]
    kv.broadcast('q', nd.array([4, 5]), out=out)
    assert [o.asnumpy().tolist() for o in out] == [[4, 5], [4, 5]]
    kv.broadcast(['r', 's'], [nd.array([1]), nd.array([2])], out=[nd.zeros(1), nd.zeros(1)])
    o = nd.zeros(1)
    kv.pull('s', out=o)
    assert o.asnumpy().tolist() == [2]
    with pytest.raises(MXNetError, match="already initialised"):
        kv.broadcast('q', nd.array([4, 5]), out=out)


def test_is_capable_and_row_sparse_pull():
    kv = mx.kv.create('local')
    assert kv.is_capable('optimizer') is True
    with pytest.raises(ValueError, match="capability"):
        kv.is_capable('foo')
    kv.init('a', nd.ones((3, 2)))
    with pytest.raises(MXNetError, match="row_sparse_pull.*'a'.*dense"):
        kv.row_sparse_pull('a', out=nd.zeros((3, 2)), row_ids=nd.array([0]))


def test_two_cpu_contexts_train_as_in_mxnet():
    # host arrays on cpu(0) and cpu(1) mix (results take the first input's context)
    a, b = nd.ones(2, ctx=mx.cpu(0)), nd.ones(2, ctx=mx.cpu(1))
    assert (a + b).context == mx.cpu(0) and (b * 2).context == mx.cpu(1)
    from mxcore import autograd, gluon
    import numpy as np
    ctx = [mx.cpu(0), mx.cpu(1)]
    net = gluon.nn.Dense(2, in_units=3)
    net.initialize(mx.init.Constant(0.2), ctx=ctx)
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9}, kvstore='device')
    x = nd.array(np.arange(12).reshape(4, 3) / 10.0)
    for _ in range(3):
        xs = gluon.utils.split_and_load(x, ctx)
        with autograd.record():
            losses = [(net(xi) ** 2).sum() for xi in xs]
        for loss in losses:
            loss.backward()
        tr.step(4)
    for c in ctx:   # MXNet 1.9.1
        assert net.weight.data(c).context == c
        np.testing.assert_allclose(net.weight.data(c).asnumpy().ravel(),
                                   [0.03134, 0.0074, -0.01654] * 2, atol=1e-5)
