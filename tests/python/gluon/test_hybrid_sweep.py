"""Gluon hybridize / export / SymbolBlock behaviours found different from MXNet 1.9.1 in a
compatibility sweep; the expected values were printed by MXNet 1.9.1."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon, nd
from mxcore.base import MXNetError
from mxcore.gluon import nn


class _ReshapeLike(gluon.HybridBlock):
    def hybrid_forward(self, F, x, y):
        return (F.reshape_like(x, y, lhs_begin=0, lhs_end=2, rhs_begin=0, rhs_end=1),
                F.reshape_like(x, y, lhs_begin=-1, lhs_end=None, rhs_begin=2, rhs_end=None),
                F.reshape_like(x, y))


@pytest.mark.parametrize("hybrid", [False, True])
def test_reshape_like_ranges(hybrid):
    net = _ReshapeLike()
    if hybrid:
        net.hybridize()
    x = nd.arange(24).reshape((2, 3, 4))
    a, b, c = net(x, nd.zeros((6, 1, 2, 2)))
    assert a.shape == (6, 4) and b.shape == (2, 3, 2, 2) and c.shape == (6, 1, 2, 2)
    np.testing.assert_array_equal(a.asnumpy().ravel(), np.arange(24))
    s = mx.sym.reshape_like(mx.sym.var('a'), mx.sym.var('b'), lhs_begin=0, lhs_end=2, rhs_begin=0, rhs_end=1)
    assert s.infer_shape(a=(2, 3, 4), b=(6, 1, 2, 2))[1] == [(6, 4)]


def test_reshape_like_bad_range_names_it():
    with pytest.raises(MXNetError, match="reshape_like.*begin must be less than end"):
        nd.reshape_like(nd.zeros((2, 3, 4)), nd.zeros((6, 1, 2, 2)), lhs_begin=1, lhs_end=1, rhs_begin=1, rhs_end=2)
    with pytest.raises(MXNetError, match="reshape_like.*cannot reshape"):
        nd.reshape_like(nd.zeros((2, 3, 4)), nd.zeros((5, 2)), lhs_begin=0, lhs_end=2, rhs_begin=0, rhs_end=1)


class _Head(gluon.HybridBlock):
    def __init__(self, body, **kw):
        super().__init__(**kw)
        self.body = body
        with self.name_scope():
            self.head = nn.Dense(2, in_units=3)

    def hybrid_forward(self, F, x):
        return self.head(self.body(x))


def test_imported_symbolblock_inside_hybridized_parent(tmp_path):
    """Fine-tuning: an imported SymbolBlock as the child of a hybridized block traces with
    its parameters as graph arguments (MXNet does; this used to fail while tracing)."""
    base = nn.HybridSequential(prefix='base_')
    with base.name_scope():
        base.add(nn.Dense(3, in_units=4, activation='tanh'))
    base.initialize(mx.init.Uniform(0.5))
    base.hybridize()
    x = nd.array(np.random.RandomState(0).uniform(-1, 1, (2, 4)))
    base(x)
    base.export(str(tmp_path / 'base'))
    imp = gluon.SymbolBlock.imports(str(tmp_path / 'base-symbol.json'), ['data'], str(tmp_path / 'base-0000.params'))
    net = _Head(imp, prefix='ft_')
    net.head.initialize(mx.init.Uniform(0.5))
    eager = net(x).asnumpy()
    net.hybridize()
    np.testing.assert_allclose(net(x).asnumpy(), eager, rtol=1e-6)
    imp.collect_params().setattr('grad_req', 'null')
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    with mx.autograd.record():
        loss = net(x).sum()
    loss.backward()
    tr.step(2)
    np.testing.assert_allclose(imp(x).asnumpy(), base(x).asnumpy(), rtol=1e-6)  # frozen
    assert not np.allclose(net(x).asnumpy(), eager)
    net.export(str(tmp_path / 'ft'))
    assert sorted(nd.load(str(tmp_path / 'ft-0000.params'))) == [
        'arg:base_dense0_bias', 'arg:base_dense0_weight', 'arg:ft_dense0_bias', 'arg:ft_dense0_weight']


def test_huber_loss_hybridizes():
    """HuberLoss traced (it read .dtype, which a Symbol lacks); values and gradient from MXNet."""
    loss = gluon.loss.HuberLoss(rho=0.5)
    loss.hybridize()
    p = nd.array([[0.1, -0.8, 2.0], [0.3, 0.3, -1.0]])
    t = nd.array([[0.0, 0.0, 1.0], [1.0, 0.2, -1.5]])
    p.attach_grad()
    with mx.autograd.record():
        v = loss(p, t)
    v.backward()
    np.testing.assert_allclose(v.asnumpy(), [0.43666664, 0.23666666], rtol=1e-5)
    np.testing.assert_allclose(p.grad.asnumpy(), [[0.0666667, -1 / 3, 1 / 3], [-1 / 3, 0.0666667, 1 / 3]], rtol=1e-5)


def _bn_net():
    body = nn.HybridSequential(prefix='body_')
    with body.name_scope():
        body.add(nn.Conv2D(2, 1, in_channels=2), nn.BatchNorm(in_channels=2), nn.GlobalAvgPool2D())
    net = nn.HybridSequential(prefix='net_')
    net.add(body, nn.Dense(1, in_units=2, prefix='head_'))
    net.initialize(mx.init.Constant(0.5))
    return net, body


@pytest.mark.parametrize("hybrid", [False, True])
def test_batchnorm_moving_stats_move_in_backward(hybrid):
    """MXNet 1.9.1 (CPU) updates BatchNorm's running statistics in the backward: a training
    forward alone leaves them; a frozen body (nothing to differentiate) keeps them while its
    head trains. Values printed by MXNet 1.9.1."""
    x = nd.array(np.arange(16, dtype='float32').reshape((2, 2, 2, 2)) / 4)
    net, body = _bn_net()
    if hybrid:
        net.hybridize()
    bn = body[1]
    with mx.autograd.record():
        net(x)
    with mx.autograd.train_mode():
        net(x)
    np.testing.assert_array_equal(bn.running_mean.data().asnumpy(), [0, 0])
    with mx.autograd.record():
        y = net(x)
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [0.1875, 0.1875], rtol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), [1.0078125, 1.0078125], rtol=1e-6)
    body.collect_params().setattr('grad_req', 'null')
    with mx.autograd.record():
        y = net(x)
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), [0.1875, 0.1875], rtol=1e-6)
