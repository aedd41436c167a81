"""The per-step caches of the training hot path stay correct when Parameters change:
hybridized graphs keep bound parameter handles, Trainer keeps its gathered arrays, and
SoftmaxCrossEntropyLoss takes a shorter path for 2-D predictions."""
import mxcore as mx
import numpy as np
from mxcore import autograd, gluon, nd
from mxcore.gluon import loss as gloss

R = np.random.RandomState(1)


def _mlp(hybrid):
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(6, activation='relu', in_units=4), gluon.nn.Dense(3, in_units=6))
    net.initialize(ctx=mx.cpu())
    if hybrid:
        net.hybridize()
    return net


def _eager_ref(net, x):
    """The same network evaluated from its parameters with numpy."""
    p = [v.data().asnumpy() for v in net.collect_params().values()]
    h = np.maximum(x @ p[0].T + p[1], 0)
    return h @ p[2].T + p[3]


def test_hybrid_graph_sees_reinitialized_and_set_parameters():
    net = _mlp(True)
    x = R.randn(5, 4).astype('float32')
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), _eager_ref(net, x), rtol=1e-5, atol=1e-5)
    net.initialize(mx.init.Normal(1.0), force_reinit=True)  # new arrays
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), _eager_ref(net, x), rtol=1e-5, atol=1e-5)
    w = net.collect_params()
    first = next(iter(w.values()))
    first.set_data(np.ones(first.shape, 'float32'))  # in place
    np.testing.assert_allclose(net(nd.array(x)).asnumpy(), _eager_ref(net, x), rtol=1e-5, atol=1e-5)


def test_trainer_updates_arrays_after_reinit():
    for hybrid in (False, True):
        net = _mlp(hybrid)
        trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.5})
        x, y = nd.array(R.randn(8, 4)), nd.array(R.randint(0, 3, 8).astype('float32'))
        lossf = gloss.SoftmaxCrossEntropyLoss()

        def step(net=net, trainer=trainer, lossf=lossf, x=x, y=y):
            with autograd.record():
                lo = lossf(net(x), y)
            lo.backward()
            trainer.step(8)

        step()
        net.initialize(mx.init.Normal(0.5), force_reinit=True)
        params = list(net.collect_params().values())
        before = [p.data().asnumpy().copy() for p in params]
        step()
        after = [p.data().asnumpy() for p in params]
        assert all(not np.allclose(b, a) for b, a in zip(before, after)), hybrid
        # the gradients the step used are the new parameters' own
        for p, b, a in zip(params, before, after):
            np.testing.assert_allclose(a, b - 0.5 / 8 * p.grad().asnumpy(), rtol=1e-4, atol=1e-6)


def test_trainer_skips_parameters_set_to_grad_req_null():
    net = _mlp(False)
    trainer = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 0.1})
    x = nd.array(R.randn(3, 4))
    frozen = next(iter(net.collect_params().values()))
    for i in range(2):
        if i == 1:
            frozen.grad_req = 'null'
        keep = frozen.data().asnumpy().copy()
        with autograd.record():
            out = net(x).sum()
        out.backward()
        trainer.step(3)
    np.testing.assert_array_equal(frozen.data().asnumpy(), keep)


def _log_softmax(x, axis):
    m = x.max(axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis, keepdims=True))


def test_softmax_ce_shapes_weights_and_label_dtypes():
    x = R.randn(6, 5).astype('float32')
    lab = R.randint(0, 5, 6)
    ref = -np.take_along_axis(_log_softmax(x, 1), lab[:, None], 1)[:, 0]
    for dt in ('float32', 'int32', 'float64'):
        out = gloss.SoftmaxCrossEntropyLoss()(nd.array(x), nd.array(lab, dtype=dt))
        assert out.shape == (6,)
        np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    out = gloss.SoftmaxCrossEntropyLoss(weight=0.5)(nd.array(x), nd.array(lab))
    np.testing.assert_allclose(out.asnumpy(), 0.5 * ref, rtol=1e-5, atol=1e-6)
    sw = R.rand(6, 1).astype('float32')
    out = gloss.SoftmaxCrossEntropyLoss()(nd.array(x), nd.array(lab), nd.array(sw))
    assert out.shape == (6,)
    np.testing.assert_allclose(out.asnumpy(), ref * sw[:, 0], rtol=1e-5, atol=1e-6)
    # class axis 0, batch axis 1
    out = gloss.SoftmaxCrossEntropyLoss(axis=0, batch_axis=1)(nd.array(x.T.copy()), nd.array(lab))
    np.testing.assert_allclose(out.asnumpy(), ref, rtol=1e-5, atol=1e-6)
    # (T, N, C) with batch_axis=1, as in the LSTM benchmark
    x3 = R.randn(3, 4, 5).astype('float32')
    lab3 = R.randint(0, 5, (3, 4))
    ref3 = -np.take_along_axis(_log_softmax(x3, 2), lab3[..., None], 2)[..., 0].mean(0)
    out = gloss.SoftmaxCrossEntropyLoss(batch_axis=1)(nd.array(x3), nd.array(lab3))
    np.testing.assert_allclose(out.asnumpy(), ref3, rtol=1e-5, atol=1e-6)


def test_softmax_ce_hybridized_matches_eager():
    x = R.randn(6, 5).astype('float32')
    lab = nd.array(R.randint(0, 5, 6))
    grads = []
    for hybrid in (False, True):
        lossf = gloss.SoftmaxCrossEntropyLoss(weight=2.0)
        if hybrid:
            lossf.hybridize()
        xa = nd.array(x)
        xa.attach_grad()
        with autograd.record():
            out = lossf(xa, lab)
        out.backward()
        grads.append((out.asnumpy(), xa.grad.asnumpy()))
    np.testing.assert_allclose(grads[0][0], grads[1][0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(grads[0][1], grads[1][1], rtol=1e-5, atol=1e-6)


def test_backward_inside_function_backward_and_head_lists():
    class Twice(autograd.Function):
        def forward(self, x):
            return x * 2

        def backward(self, dy):
            inner = nd.array([3.0])
            inner.attach_grad()
            with autograd.record():
                z = inner * inner
            z.backward()  # a nested backward on the same thread
            return dy * 2 * inner.grad / 6

    x = nd.array([1.0, 2.0])
    x.attach_grad()
    with autograd.record():
        y = Twice()(x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 2.0])
    with autograd.record():
        y = (x * x).sum()
    autograd.backward([y])
    np.testing.assert_allclose(x.grad.asnumpy(), [2.0, 4.0])
    assert not autograd.is_training() and not autograd.is_recording()


def test_softmax_ce_fused_path_matches_composed_ops():
    """Eager CPU calls take the fused _sparse_softmax_ce op; its loss and gradient equal
    log_softmax + pick (the from_logits route), and the other cases keep the ops."""
    x = R.randn(7, 4).astype('float64')
    lab = nd.array(R.randint(0, 4, 7))
    lossf = gloss.SoftmaxCrossEntropyLoss(weight=1.5)
    assert lossf._fused_ok(nd, nd.array(x), lab, None)
    assert not lossf._fused_ok(nd, nd.array(x), lab, nd.ones((7, 1)))
    assert not lossf._fused_ok(mx.sym, mx.sym.var('x'), mx.sym.var('y'), None)
    assert not gloss.SoftmaxCrossEntropyLoss(sparse_label=False)._fused_ok(nd, nd.array(x), lab, None)
    assert not lossf._fused_ok(nd, nd.array(x, dtype='float16'), lab, None)
    head = nd.array(np.linspace(0.5, 2, 7), dtype='float64')
    res = []
    for fused in (True, False):
        xa = nd.array(x, dtype='float64')
        xa.attach_grad()
        with autograd.record():
            if fused:
                lo = lossf(xa, lab)
            else:
                lo = gloss.SoftmaxCrossEntropyLoss(weight=1.5, from_logits=True)(nd.log_softmax(xa), lab)
        lo.backward(head)
        res.append((lo.asnumpy(), xa.grad.asnumpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=1e-12, atol=1e-12)
