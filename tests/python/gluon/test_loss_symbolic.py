"""Gluon losses called on Symbols (MXNet 1.x's `loss(sym_pred, sym_label)` used with
mx.sym.make_loss and Module): shapes are unknown while tracing, so the losses must use
reshape_like and exclude-axis reductions. Expected values printed by MXNet 1.9.1 for the
same graphs and numpy.random.RandomState(0) inputs."""
import numpy as np
import pytest

import mxcore as mx
from mxcore import gluon


def _inputs():
    rs = np.random.RandomState(0)
    p = rs.randn(2, 3, 4).astype('f')
    lab = rs.randint(0, 4, (2, 3)).astype('f')
    q = rs.randn(2, 3, 4).astype('f')
    r = rs.randn(2, 12).astype('f')
    return dict(p=p, l=lab, q=q, r=r)


P, L, Q, R = (mx.sym.Variable(n) for n in 'plqr')
CASES = [
    ('ce', lambda: gluon.loss.SoftmaxCrossEntropyLoss()(P, L), 'pl', [1.034631, 1.886754]),
    ('l2', lambda: gluon.loss.L2Loss()(P, R), 'pr', [1.009288, 1.212058]),
    ('l1_batch_axis1', lambda: gluon.loss.L1Loss(batch_axis=1)(P, Q), 'pq', [1.100397, 1.138698, 1.230818]),
    ('kl', lambda: gluon.loss.KLDivLoss()(P, mx.sym.softmax(Q)), 'pq', [-5.51182, -3.11903]),
    ('triplet', lambda: gluon.loss.TripletLoss()(P, Q, R), 'pqr', [0.900612, 0.0]),
    ('huber', lambda: gluon.loss.HuberLoss()(P, Q), 'pq', [0.716256, 0.725515]),
    ('bce', lambda: gluon.loss.SigmoidBCELoss()(P, mx.sym.sigmoid(Q)), 'pq', [0.797204, 0.823493]),
]


@pytest.mark.parametrize('name,build,names,expected', CASES, ids=[c[0] for c in CASES])
def test_loss_on_symbols_matches_mxnet(name, build, names, expected):
    data = _inputs()
    out = build().eval(ctx=mx.cpu(), **{k: mx.nd.array(data[k]) for k in names})[0]
    np.testing.assert_allclose(out.asnumpy(), expected, rtol=1e-5, atol=1e-5)


def test_loss_on_symbols_trains_in_module():
    rs = np.random.RandomState(0)
    x = rs.uniform(-1, 1, (20, 10)).astype('f')
    y = rs.randint(0, 10, (20,)).astype('f')
    it = mx.io.NDArrayIter(x, y, batch_size=10, label_name='label')
    net = mx.sym.FullyConnected(mx.sym.Variable('data'), num_hidden=10, name='fc')
    loss = mx.sym.make_loss(gluon.loss.SoftmaxCrossEntropyLoss()(net, mx.sym.Variable('label')))
    mod = mx.mod.Module(loss, data_names=('data',), label_names=('label',))
    mod.fit(it, num_epoch=50, optimizer='adam', optimizer_params={'learning_rate': 0.05},
            eval_metric=mx.metric.Loss())
    assert mod.score(it, eval_metric=mx.metric.Loss())[0][1] < 0.5
