"""Every loss vs its numpy formula; optimizers vs hand-computed updates; Trainer."""
import math

import numpy as np
import pytest

import mxcore as mx
from mxcore import autograd, gluon, nd
from mxcore.gluon import loss as gloss

R = np.random.RandomState(0)
P = R.randn(4, 5).astype('float32')
L = R.randn(4, 5).astype('float32')


def _v(x):
    return x.asnumpy()


def _close(a, b, tol=1e-4):
    np.testing.assert_allclose(_v(a) if hasattr(a, 'asnumpy') else a, b, rtol=tol, atol=tol)


def test_l2_l1_huber():
    _close(gloss.L2Loss()(nd.array(P), nd.array(L)), (0.5 * (P - L) ** 2).mean(1))
    _close(gloss.L1Loss()(nd.array(P), nd.array(L)), np.abs(P - L).mean(1))
    d = np.abs(P - L)
    _close(gloss.HuberLoss(rho=1)(nd.array(P), nd.array(L)),
           np.where(d > 1, d - 0.5, 0.5 * d ** 2).mean(1))
    sw = np.array([[1], [0], [2], [1]], 'float32')
    _close(gloss.L1Loss(weight=3)(nd.array(P), nd.array(L), nd.array(sw)),
           3 * (np.abs(P - L) * sw).mean(1))


def test_softmax_ce_sparse_dense_logits():
    lab = np.array([0, 3, 4, 1])
    logp = P - np.log(np.exp(P).sum(1, keepdims=True))
    ref = -logp[np.arange(4), lab]
    _close(gloss.SoftmaxCrossEntropyLoss()(nd.array(P), nd.array(lab)), ref)
    oh = np.eye(5)[lab].astype('float32')
    _close(gloss.SoftmaxCrossEntropyLoss(sparse_label=False)(nd.array(P), nd.array(oh)), ref)
    _close(gloss.SoftmaxCrossEntropyLoss(from_logits=True)(nd.array(logp), nd.array(lab)), ref)
    # axis=1 on (N, C, T)
    x = R.randn(2, 3, 4).astype('float32')
    t = R.randint(0, 3, (2, 4))
    lp = x - np.log(np.exp(x).sum(1, keepdims=True))
    r = -np.take_along_axis(lp, t[:, None], 1)[:, 0].mean(1)
    _close(gloss.SoftmaxCrossEntropyLoss(axis=1)(nd.array(x), nd.array(t)), r)


def test_softmax_ce_gradient():
    x = nd.array(P)
    x.attach_grad()
    lab = np.array([0, 3, 4, 1])
    with autograd.record():
        lo = gloss.SoftmaxCrossEntropyLoss()(x, nd.array(lab))
    lo.backward()
    sm = np.exp(P) / np.exp(P).sum(1, keepdims=True)
    _close(x.grad, sm - np.eye(5)[lab])


def test_sigmoid_bce_kl_logistic_hinge():
    y = (L > 0).astype('float32')
    s = 1 / (1 + np.exp(-P))
    ref = -(y * np.log(s) + (1 - y) * np.log(1 - s))
    _close(gloss.SigmoidBinaryCrossEntropyLoss()(nd.array(P), nd.array(y)), ref.mean(1))
    _close(gloss.SigmoidBCELoss(from_sigmoid=True)(nd.array(s), nd.array(y)), ref.mean(1))
    pw = np.full((5,), 2.0, 'float32')
    refw = -(2 * y * np.log(s) + (1 - y) * np.log(1 - s))
    _close(gloss.SigmoidBCELoss()(nd.array(P), nd.array(y), None, nd.array(pw)), refw.mean(1))
    lp = P - np.log(np.exp(P).sum(1, keepdims=True))
    q = np.exp(L) / np.exp(L).sum(1, keepdims=True)
    _close(gloss.KLDivLoss()(nd.array(lp), nd.array(q)), (q * (np.log(q) - lp)).mean(1))
    _close(gloss.KLDivLoss(from_logits=False)(nd.array(P), nd.array(q)),
           (q * (np.log(q) - lp)).mean(1))
    sg = np.sign(L)
    _close(gloss.LogisticLoss()(nd.array(P), nd.array(sg)), np.log1p(np.exp(-P * sg)).mean(1))
    _close(gloss.LogisticLoss(label_format='binary')(nd.array(P), nd.array(y)),
           np.log1p(np.exp(-P * (2 * y - 1))).mean(1))
    _close(gloss.HingeLoss()(nd.array(P), nd.array(sg)), np.maximum(0, 1 - P * sg).mean(1))
    _close(gloss.SquaredHingeLoss()(nd.array(P), nd.array(sg)),
           (np.maximum(0, 1 - P * sg) ** 2).mean(1))


def test_triplet_poisson_cosine_sdml():
    N = R.randn(4, 5).astype('float32')
    ref = np.maximum(0, ((P - L) ** 2).sum(1) - ((P - N) ** 2).sum(1) + 1)
    _close(gloss.TripletLoss()(nd.array(P), nd.array(L), nd.array(N)), ref)
    t = np.abs(L)
    _close(gloss.PoissonNLLLoss()(nd.array(P), nd.array(t)), (np.exp(P) - t * P).mean())
    pp = np.abs(P) + 0.1
    _close(gloss.PoissonNLLLoss(from_logits=False)(nd.array(pp), nd.array(t)),
           (pp - t * np.log(pp + 1e-8)).mean())
    lab = np.array([1, -1, 1, -1], 'float32')
    cos = (P * L).sum(1) / np.linalg.norm(P, axis=1) / np.linalg.norm(L, axis=1)
    ref = np.where(lab == 1, 1 - cos, np.maximum(0, cos - 0.1))
    _close(gloss.CosineEmbeddingLoss(margin=0.1)(nd.array(P), nd.array(L), nd.array(lab)), ref)
    # SDML: KL between smoothed identity labels and softmax(-squared distance)
    d = ((P[:, None] - L[None]) ** 2).sum(2)
    lp = -d - np.log(np.exp(-d).sum(1, keepdims=True))
    lab = np.eye(4) * 0.7 + (1 - np.eye(4)) * 0.3 / 3
    ref = (lab * (np.log(lab + 1e-12) - lp)).mean(1) * 4
    _close(gloss.SDMLLoss()(nd.array(P), nd.array(L)), ref, tol=1e-3)


def test_ctc_loss_runs_if_op_available():
    if not (hasattr(nd, 'CTCLoss') or hasattr(nd, 'ctc_loss')):
        pytest.skip('nd.CTCLoss is not in the registry')
    pred = nd.array(R.randn(2, 6, 4))
    label = nd.array([[1, 2], [2, 0]])  # classes 0..2; 3 is the blank (last)
    assert gloss.CTCLoss()(pred, label).shape == (2,)


def _step(opt_name, params, steps=3, **kw):
    w = nd.array(np.array([1.0, -2.0, 3.0], 'float32'))
    o = mx.optimizer.create(opt_name, **kw)
    st = o.create_state(0, w)
    grads = [np.array([0.5, -1.0, 2.0], 'float32') * (i + 1) for i in range(steps)]
    for g in grads:
        o.update(0, w, nd.array(g), st)
    return _v(w), grads


def test_sgd_momentum_and_wd_vs_hand():
    w, gs = _step('sgd', None, learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5)
    ref = np.array([1.0, -2.0, 3.0])
    mom = np.zeros(3)
    for g in gs:
        mom = 0.9 * mom - 0.1 * (0.5 * g + 0.01 * ref)
        ref = ref + mom
    _close(w, ref)
    w, gs = _step('sgd', None, learning_rate=0.1, clip_gradient=0.6)
    ref = np.array([1.0, -2.0, 3.0])
    for g in gs:
        ref = ref - 0.1 * np.clip(g, -0.6, 0.6)
    _close(w, ref)


def test_adam_vs_hand():
    w, gs = _step('adam', None, learning_rate=0.01, wd=0.1)
    ref = np.array([1.0, -2.0, 3.0])
    m = v = np.zeros(3)
    for t, g in enumerate(gs, 1):
        g = g + 0.1 * ref
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        lr = 0.01 * math.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        ref = ref - lr * m / (np.sqrt(v) + 1e-8)
    _close(w, ref, 1e-5)


def test_rmsprop_adagrad_nag_vs_hand():
    w, gs = _step('rmsprop', None, learning_rate=0.01)
    ref = np.array([1.0, -2.0, 3.0])
    n = np.zeros(3)
    for g in gs:
        n = 0.1 * g * g + 0.9 * n
        ref = ref - 0.01 * g / np.sqrt(n + 1e-8)
    _close(w, ref)
    w, gs = _step('adagrad', None, learning_rate=0.1)
    ref = np.array([1.0, -2.0, 3.0])
    h = np.zeros(3)
    for g in gs:
        h = h + g * g
        ref = ref - 0.1 * g / np.sqrt(h + 1e-7)
    _close(w, ref)
    w, gs = _step('nag', None, learning_rate=0.1, momentum=0.9)
    ref = np.array([1.0, -2.0, 3.0])
    m = np.zeros(3)
    for g in gs:
        m = 0.9 * m + g
        ref = ref - 0.1 * (g + 0.9 * m)
    _close(w, ref)


@pytest.mark.parametrize('name', ['adadelta', 'ftrl', 'adamax', 'nadam', 'signum', 'lamb',
                                  'adamw'])
def test_other_optimizers_decrease_quadratic(name):
    w = nd.array(np.array([1.0, -2.0, 3.0], 'float32'))
    lr = {'adadelta': 1.0, 'ftrl': 0.5, 'signum': 0.05}.get(name, 0.05)
    o = mx.optimizer.create(name, learning_rate=lr)
    st = o.create_state(0, w)
    start = float((w * w).sum().asscalar())
    for _ in range(30):
        o.update(0, w, 2 * w.copy(), st)
    assert float((w * w).sum().asscalar()) < start


def test_trainer_step_rescales_and_lr_mult(tmp_path):
    net = gluon.nn.Dense(1, in_units=2, use_bias=False)
    net.initialize(mx.init.One())
    net.weight.lr_mult = 0.5
    tr = gluon.Trainer(net.collect_params(), 'sgd', {'learning_rate': 1.0})
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    with autograd.record():
        y = net(x).sum()
    y.backward()
    tr.step(2)
    _close(net.weight.data(), 1 - 0.5 * np.array([[4.0, 6.0]]) / 2)
    assert tr.learning_rate == 1.0
    tr.set_learning_rate(0.1)
    assert tr.learning_rate == 0.1
    tr2 = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    with autograd.record():
        y = net(x).sum()
    y.backward()
    tr2.step(2)
    f = str(tmp_path / 's.states')
    tr2.save_states(f)
    tr3 = gluon.Trainer(net.collect_params(), 'adam', {'learning_rate': 0.1})
    tr3.load_states(f)
    m0 = tr2._updaters[0].states[0][0].asnumpy()
    np.testing.assert_allclose(tr3._updaters[0].states[0][0].asnumpy(), m0)


def test_lr_schedulers():
    from mxcore import lr_scheduler as ls
    f = ls.FactorScheduler(step=10, factor=0.5, base_lr=1.0)
    assert f(5) == 1.0 and f(11) == 0.5 and f(21) == 0.25
    m = ls.MultiFactorScheduler(step=[5, 10], factor=0.1, base_lr=1.0)
    assert m(3) == 1.0 and abs(m(6) - 0.1) < 1e-12 and abs(m(11) - 0.01) < 1e-12
    p = ls.PolyScheduler(max_update=10, base_lr=1.0, pwr=2)
    assert abs(p(5) - 0.25) < 1e-12
    c = ls.CosineScheduler(max_update=10, base_lr=1.0, final_lr=0)
    assert abs(c(5) - 0.5) < 1e-12 and abs(c(10)) < 1e-12
    o = mx.optimizer.SGD(learning_rate=1.0, lr_scheduler=ls.FactorScheduler(2, 0.5))
    assert o.learning_rate == 1.0
