"""Updater's fast path (optimizer.py: _fast_plan/_fast_valid, SGD._prepare_group): after
the first step a Trainer's SGD update reuses the gathered states and interleaved op inputs.
Every change a user can make between steps must still take effect: compared step by step
with the same training on the per-parameter path (aggregate_num 0), which never caches."""
import os
import tempfile

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd


def _net(seed):
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(5, activation='relu', in_units=4), gluon.nn.Dense(3, in_units=5))
    net.initialize(mx.init.Xavier())
    return net


def _step(net, tr, x):
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    tr.step(x.shape[0])


def _weights(net):
    return [p.data().asnumpy() for p in net.collect_params().values()]


@pytest.mark.parametrize('momentum', [0.0, 0.9])
def test_fast_path_follows_every_change(momentum):
    nets = [_net(1), _net(1)]
    opts = {'learning_rate': 0.1, 'wd': 0.01}
    if momentum:
        opts['momentum'] = momentum
    trs = [gluon.Trainer(n.collect_params(), 'sgd', dict(opts)) for n in nets]
    trs[1].optimizer.aggregate_num = 0  # reference: one sgd op per parameter, no fast path
    rs = np.random.RandomState(0)
    tmp = tempfile.mkdtemp()
    for step in range(9):
        if step == 2:
            for tr in trs:
                tr.set_learning_rate(0.05)
        if step == 3:
            for n in nets:
                list(n.collect_params().values())[0].lr_mult = 0.25
        if step == 4:  # states replaced from a file (momentum buffers restored)
            for k, tr in enumerate(trs):
                tr.save_states(os.path.join(tmp, 's%d' % k))
            for k, tr in enumerate(trs):
                tr.load_states(os.path.join(tmp, 's%d' % k))
        if step == 6:  # new parameter arrays
            for n in nets:
                mx.random.seed(5)
                n.initialize(mx.init.Xavier(), force_reinit=True)
        if step == 7:
            for tr in trs:
                tr.optimizer.wd = 0.1
        x = nd.array(rs.randn(6, 4))
        for n, tr in zip(nets, trs):
            _step(n, tr, x)
        for a, b in zip(_weights(nets[0]), _weights(nets[1])):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg='step %d' % step)
    assert trs[1].optimizer.num_update == trs[0].optimizer.num_update == 9


def test_fast_path_is_used_and_counts_updates():
    net = _net(2)
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.5})
    x = nd.ones((2, 4))
    _step(net, tr, x)
    upd = tr._updaters[0]
    assert upd._fast is not None
    groups = upd._fast[-1]
    _step(net, tr, x)
    assert upd._fast[-1] is groups  # the second step ran from the prepared groups
    assert tr.optimizer.num_update == 2
    assert all(c == 2 for c in tr.optimizer._index_update_count.values())


def test_fast_path_sees_replaced_state():
    net = _net(3)
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1, 'momentum': 0.9})
    x = nd.ones((2, 4))
    _step(net, tr, x)
    _step(net, tr, x)
    upd = tr._updaters[0]
    params = tr._params  # the Trainer's index i is params[i]
    before = params[0].data().asnumpy()
    # a user resets one momentum buffer by hand: the update must use the new array
    upd.states[0] = nd.zeros(upd.states[0].shape)
    with autograd.record():
        loss = (net(x) ** 2).sum()
    loss.backward()
    grad = params[0].grad().asnumpy()
    tr.step(2)
    # momentum 0.9 on a zero buffer: w - lr * g / batch
    np.testing.assert_allclose(params[0].data().asnumpy(), before - 0.1 * grad / 2, rtol=1e-5, atol=1e-6)
