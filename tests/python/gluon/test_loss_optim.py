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
    # MXNet 1.9.1 sums KLDivLoss over the non-batch axes
    _close(gloss.KLDivLoss()(nd.array(lp), nd.array(q)), (q * (np.log(q) - lp)).sum(1))
    _close(gloss.KLDivLoss(from_logits=False)(nd.array(P), nd.array(q)),
           (q * (np.log(q) - lp)).sum(1))
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
    # MXNet 1.9.1 returns shape (N, 1)
    _close(gloss.CosineEmbeddingLoss(margin=0.1)(nd.array(P), nd.array(L), nd.array(lab)),
           ref[:, None])
    # SDML: KL between smoothed identity labels and softmax(-squared distance)
    d = ((P[:, None] - L[None]) ** 2).sum(2)
    lp = -d - np.log(np.exp(-d).sum(1, keepdims=True))
    lab = np.eye(4) * 0.7 + (1 - np.eye(4)) * 0.3 / 3
    ref = (lab * (np.log(lab + 1e-12) - lp)).sum(1)
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


# ---- every optimizer vs a numpy transcription of its MXNet 1.x rule --------------------
# 3 steps with wd, rescale_grad, clip_gradient (some rescaled gradients exceed it) and an
# lr_mult of 0.5 on the updated index; references in float64.
W0 = np.array([1.0, -2.0, 3.0, 0.5, -0.25, 0.0], 'float32')
GRADS = [np.array([0.5, -1.0, 2.0, -3.0, 0.1, 4.0], 'float32') * (k + 1) * (-1) ** k
         for k in range(3)]
HYPER = {'wd': 0.1, 'rescale_grad': 0.5, 'clip_gradient': 1.5}
LR_MULT = 0.5


def _run_opt(name, lr=0.1, **kw):
    o = mx.optimizer.create(name, learning_rate=lr, **HYPER, **kw)
    o.set_lr_mult({0: LR_MULT})
    w = nd.array(W0)
    st = o.create_state(0, w)
    for g in GRADS:
        o.update(0, w, nd.array(g), st)
    return _v(w)


def _ref_opt(rule, lr=0.1, **kw):
    """Applies rule(t, w, g, state, lr, wd, clip) -> w over GRADS; g is already rescaled."""
    w = W0.astype('float64')
    state = {}

    def clip(x):
        return np.clip(x, -HYPER['clip_gradient'], HYPER['clip_gradient'])
    for t, g in enumerate(GRADS, 1):
        w = rule(t, w, g.astype('float64') * HYPER['rescale_grad'], state, lr * LR_MULT,
                 HYPER['wd'], clip, **kw)
    return w


def _zeros(state, *names):
    return [state.setdefault(n, np.zeros(W0.shape)) for n in names]


def r_sgd(t, w, g, s, lr, wd, clip, momentum=0.0):
    g = clip(g)
    if not momentum:
        return w - lr * (g + wd * w)
    s['m'] = momentum * _zeros(s, 'm')[0] - lr * wd * w - lr * g
    return w + s['m']


def r_nag(t, w, g, s, lr, wd, clip, momentum):
    # MXNet's state is a velocity (carries -lr); in place, its decay term sees the new weight
    g = clip(g)
    m0 = _zeros(s, 'm')[0]
    step = momentum * m0 - lr * (g + wd * w)
    w = w + momentum * step - lr * (g + wd * w)
    s['m'] = momentum * m0 - lr * (g + wd * w)
    return w


def r_adam(t, w, g, s, lr, wd, clip, b1=0.9, b2=0.999, eps=1e-8):
    g = clip(g + wd * w)
    m, v = _zeros(s, 'm', 'v')
    s['m'], s['v'] = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    lr_t = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr_t * s['m'] / (np.sqrt(s['v']) + eps)


def r_adamw(t, w, g, s, lr, wd, clip, b1=0.9, b2=0.999, eps=1e-8):
    g = clip(g)
    m, v = _zeros(s, 'm', 'v')
    s['m'], s['v'] = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    corr = math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
    return w - lr * (corr * s['m'] / (np.sqrt(s['v']) + eps) + wd * w)


def r_rmsprop(t, w, g, s, lr, wd, clip, g1=0.9, eps=1e-8):
    g = clip(g + wd * w)
    s['n'] = (1 - g1) * g * g + g1 * _zeros(s, 'n')[0]
    return w - lr * g / np.sqrt(s['n'] + eps)


def r_rmsprop_centered(t, w, g, s, lr, wd, clip, g1=0.9, g2=0.8, eps=1e-8, cw=2.5):
    g = clip(g + wd * w)
    n, gb, d = _zeros(s, 'n', 'gb', 'd')
    s['n'] = (1 - g1) * g * g + g1 * n
    s['gb'] = (1 - g1) * g + g1 * gb
    s['d'] = g2 * d - lr * g / np.sqrt(s['n'] - s['gb'] ** 2 + eps)
    return np.clip(w + s['d'], -cw, cw)


def r_adagrad(t, w, g, s, lr, wd, clip, eps=1e-7):
    g = clip(g)
    s['h'] = _zeros(s, 'h')[0] + g * g
    # MXNet 1.9.1's dense AdaGrad divides by sqrt(h + eps) (its sparse op by sqrt(h) + eps)
    return w - lr * (g / np.sqrt(s['h'] + eps) + wd * w)


def r_adadelta(t, w, g, s, lr, wd, clip, rho=0.9, eps=1e-5):
    g = clip(g)
    acc_g, acc_d = _zeros(s, 'g', 'd')
    s['g'] = rho * acc_g + (1 - rho) * g * g
    cur = np.sqrt(acc_d + eps) / np.sqrt(s['g'] + eps) * g
    s['d'] = rho * acc_d + (1 - rho) * cur * cur
    return w - (cur + wd * w)


def r_ftrl(t, w, g, s, lr, wd, clip, l1=0.01, beta=1.0):
    g = clip(g)
    z, n = _zeros(s, 'z', 'n')
    s['z'] = z + g - (np.sqrt(n + g * g) - np.sqrt(n)) * w / lr
    s['n'] = n + g * g
    z = s['z']
    return (np.sign(z) * l1 - z) / ((beta + np.sqrt(s['n'])) / lr + wd) * (np.abs(z) > l1)


def r_signum(t, w, g, s, lr, wd, clip, momentum=0.9, wd_lh=0.01):
    g = clip(g)
    s['m'] = momentum * _zeros(s, 'm')[0] - (1 - momentum) * (wd * w + g)
    return (1 - lr * wd_lh) * w + lr * np.sign(s['m'])


def r_signsgd(t, w, g, s, lr, wd, clip):
    return (1 - lr * wd) * w - lr * np.sign(g)


def r_lamb(t, w, g, s, lr, wd, clip, b1=0.9, b2=0.999, eps=1e-6, lower=None, upper=None):
    g = clip(g)
    m, v = _zeros(s, 'm', 'v')
    s['m'], s['v'] = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    r = (s['m'] / (1 - b1 ** t)) / (np.sqrt(s['v'] / (1 - b2 ** t)) + eps) + wd * w
    r1, r2 = np.linalg.norm(w), np.linalg.norm(r)
    if lower:
        r1 = max(r1, lower)
    if upper:
        r1 = min(r1, upper)
    return w - lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1.0) * r


def r_adamax(t, w, g, s, lr, wd, clip, b1=0.9, b2=0.999):
    g = clip(g + wd * w)
    m, u = _zeros(s, 'm', 'u')
    s['m'], s['u'] = b1 * m + (1 - b1) * g, np.maximum(b2 * u, np.abs(g))
    return w - lr / (1 - b1 ** t) * s['m'] / s['u']


def r_nadam(t, w, g, s, lr, wd, clip, b1=0.9, b2=0.999, eps=1e-8, decay=0.004):
    g = clip(g + wd * w)
    m, v = _zeros(s, 'm', 'v')
    mom_t = b1 * (1 - 0.5 * 0.96 ** (t * decay))
    mom_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * decay))
    s['sched'] = s.get('sched', 1.0) * mom_t
    s['m'], s['v'] = b1 * m + (1 - b1) * g, b2 * v + (1 - b2) * g * g
    m_bar = (1 - mom_t) * g / (1 - s['sched']) + mom_t1 * s['m'] / (1 - s['sched'] * mom_t1)
    return w - lr * m_bar / (np.sqrt(s['v'] / (1 - b2 ** t)) + eps)


OPT_CASES = [
    ('sgd', {}, r_sgd, {}),
    ('sgd', {'momentum': 0.9}, r_sgd, {'momentum': 0.9}),
    ('nag', {'momentum': 0.9}, r_nag, {'momentum': 0.9}),
    ('nag', {}, r_sgd, {}),
    ('adam', {}, r_adam, {}),
    ('adamw', {}, r_adamw, {}),
    ('rmsprop', {}, r_rmsprop, {}),
    ('rmsprop', {'centered': True, 'gamma2': 0.8, 'clip_weights': 2.5}, r_rmsprop_centered, {}),
    ('adagrad', {}, r_adagrad, {}),
    ('adadelta', {}, r_adadelta, {}),
    ('ftrl', {}, r_ftrl, {}),
    ('signum', {'wd_lh': 0.01}, r_signum, {}),
    ('signum', {'momentum': 0.0}, r_signsgd, {}),
    ('lamb', {}, r_lamb, {}),
    ('lamb', {'lower_bound': 4.0, 'upper_bound': 10.0}, r_lamb, {'lower': 4.0, 'upper': 10.0}),
    ('adamax', {}, r_adamax, {}),
    ('nadam', {}, r_nadam, {}),
]


@pytest.mark.parametrize('name,okw,rule,rkw', OPT_CASES,
                         ids=[f'{c[0]}-{i}' for i, c in enumerate(OPT_CASES)])
def test_optimizer_vs_numpy_rule(name, okw, rule, rkw):
    _close(_run_opt(name, **okw), _ref_opt(rule, **rkw), 1e-5)


def test_fused_ops_are_used(monkeypatch):
    """The rules with a fused op run as that op (one call per update), not composed nd math.
    AdaGrad is composed: MXNet 1.9.1's dense step divides by sqrt(h + eps), the fused op
    (MXNet's sparse one) by sqrt(h) + eps."""
    calls = []
    for op in ('sgd_mom_update', 'adam_update', 'adamw_update', 'rmspropalex_update',
               'ftrl_update', 'lamb_update_phase2'):
        real = getattr(nd, op)
        monkeypatch.setattr(nd, op, lambda *a, _r=real, _n=op, **k: calls.append(_n) or _r(*a, **k))
    for name, kw in [('sgd', {'momentum': 0.9}), ('adam', {}), ('adamw', {}),
                     ('rmsprop', {'centered': True}), ('ftrl', {}), ('lamb', {})]:
        _run_opt(name, **kw)
    assert calls == [c for c in ('sgd_mom_update', 'adam_update', 'adamw_update',
                                 'rmspropalex_update', 'ftrl_update', 'lamb_update_phase2') for _ in GRADS]


def test_adamw_rescale_is_an_array_and_non_finite_skips():
    o = mx.optimizer.AdamW(learning_rate=0.1)
    w = nd.array(W0)
    st = o.create_state(0, w)
    o.rescale_grad = float('inf')
    o.update(0, w, nd.array(GRADS[0]), st)
    _close(w, W0)
    o.rescale_grad = nd.array([0.5])
    o.update(0, w, nd.array(GRADS[0]), st)
    assert not np.allclose(_v(w), W0)
    pickle_back = __import__('pickle').loads(__import__('pickle').dumps(mx.optimizer.AdamW()))
    assert isinstance(pickle_back, mx.optimizer.AdamW)


def test_lr_scheduler_and_num_update():
    from mxcore import lr_scheduler as ls
    o = mx.optimizer.SGD(learning_rate=1.0, momentum=0.9,
                         lr_scheduler=ls.FactorScheduler(step=1, factor=0.5))
    w = nd.array(W0)
    st = o.create_state(0, w)
    ref, m = W0.astype('float64'), np.zeros(W0.shape)
    for lr, g in zip([1.0, 0.5, 0.25], GRADS):
        o.update(0, w, nd.array(g), st)
        m = 0.9 * m - lr * g
        ref = ref + m
    _close(w, ref, 1e-5)
    assert o.num_update == 3 and o._index_update_count[0] == 3
    assert o.learning_rate == 0.25


def test_sgd_list_update_matches_single():
    """update([i, j], ...) (multi_sgd_mom_update) == one sgd_mom_update per index."""
    shapes = [(3, 4), (4,), (2, 3)]
    r = np.random.RandomState(1)
    ws = [r.randn(*s).astype('float32') for s in shapes]
    gs = [[r.randn(*s).astype('float32') for s in shapes] for _ in range(3)]
    outs = []
    for many in (True, False):
        o = mx.optimizer.SGD(learning_rate=0.1, momentum=0.9, wd=0.01, rescale_grad=0.5,
                             clip_gradient=0.8)
        o.set_lr_mult({1: 2.0})
        o.set_wd_mult({2: 0.0})
        w = [nd.array(x) for x in ws]
        st = [o.create_state(i, x) for i, x in enumerate(w)]
        for step in gs:
            g = [nd.array(x) for x in step]
            if many:
                o.update([0, 1, 2], w, g, st)
            else:
                for i in range(3):
                    o.update(i, w[i], g[i], st[i])
        outs.append([_v(x) for x in w] + [_v(x) for x in st])
        assert o.num_update == 3
    for a, b in zip(*outs):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def _mlp():
    net = gluon.nn.Sequential()
    net.add(gluon.nn.Dense(5, activation='relu', in_units=4))
    net.add(gluon.nn.Dense(3, in_units=5))
    net.initialize(mx.init.Xavier())
    return net


@pytest.mark.parametrize('momentum,aggregate', [(0.0, 20), (0.9, 20), (0.9, 3), (0.9, 0)])
def test_trainer_many_params_vs_numpy(monkeypatch, momentum, aggregate):
    """Trainer.step over 4 parameters (lr_mult, wd_mult, wd, rescale by batch size) vs
    numpy, and the number of fused multi-weight calls it took."""
    mx.random.seed(3)
    net = _mlp()
    params = list(net.collect_params().values())
    params[0].lr_mult = 0.5
    params[1].wd_mult = 0.0
    opts = {'learning_rate': 0.2, 'wd': 0.01, 'clip_gradient': 0.3}
    if momentum:
        opts['momentum'] = momentum
    tr = gluon.Trainer(net.collect_params(), 'sgd', opts)
    tr.optimizer.aggregate_num = aggregate
    multi = 'multi_sgd_mom_update' if momentum else 'multi_sgd_update'
    calls = []
    real = getattr(nd, multi)
    monkeypatch.setattr(nd, multi, lambda *a, **k: calls.append(int(k['num_weights'])) or real(*a, **k))
    ref = [p.data().asnumpy().astype('float64') for p in params]
    mom = [np.zeros(r.shape) for r in ref]
    r = np.random.RandomState(0)
    for _ in range(3):
        x = nd.array(r.randn(6, 4))
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        grads = [p.grad().asnumpy() for p in params]
        tr.step(6)
        for k, p in enumerate(params):
            lr, wd = 0.2 * p.lr_mult, 0.01 * p.wd_mult
            g = np.clip(grads[k] / 6, -0.3, 0.3)
            mom[k] = momentum * mom[k] - lr * wd * ref[k] - lr * g
            ref[k] = ref[k] + mom[k]
    for p, want in zip(params, ref):
        _close(p.data(), want, 1e-5)
    per_step = {20: [4], 3: [3], 0: []}[aggregate]
    assert calls == per_step * 3


def test_trainer_states_save_load_round_trip(tmp_path):
    """Train, save states, load them into a fresh Trainer on a copy of the weights; the
    next steps of both must agree (moments, momentum and update counts restored)."""
    x = nd.array(np.random.RandomState(0).randn(6, 4))

    def grads_step(net, tr):
        with autograd.record():
            loss = (net(x) ** 2).sum()
        loss.backward()
        tr.step(6)

    for name, opts in [('adam', {'learning_rate': 0.05, 'wd': 0.01}),
                       ('sgd', {'learning_rate': 0.05, 'momentum': 0.9}),
                       ('rmsprop', {'learning_rate': 0.01, 'centered': True})]:
        mx.random.seed(1)
        # Trainer orders parameters by name (MXNet 1.9.1): give both nets the same names
        with mx.name.NameManager():
            a = _mlp()
        ta = gluon.Trainer(a.collect_params(), name, opts)
        for _ in range(2):
            grads_step(a, ta)
        f = str(tmp_path / f'{name}.states')
        ta.save_states(f)
        with mx.name.NameManager():
            b = _mlp()
        for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
            pb.set_data(pa.data().copy())
        tb = gluon.Trainer(b.collect_params(), name, opts)
        tb.load_states(f)
        assert tb.optimizer.num_update == ta.optimizer.num_update == 2
        for i, s in ta._updaters[0].states.items():
            sa = s if isinstance(s, tuple) else (s,)
            sb = tb._updaters[0].states[i]
            sb = sb if isinstance(sb, tuple) else (sb,)
            for u, v in zip(sa, sb):
                np.testing.assert_array_equal(_v(u), _v(v))
        for _ in range(2):
            grads_step(a, ta)
            grads_step(b, tb)
        for pa, pb in zip(a.collect_params().values(), b.collect_params().values()):
            np.testing.assert_allclose(_v(pa.data()), _v(pb.data()), rtol=1e-6, atol=1e-7)


def test_optimizer_reads_lr_and_wd_mult_from_the_symbol():
    """Optimizer(sym=...) takes the variables' __lr_mult__ / __wd_mult__ (MXNet 1.x);
    explicit set_lr_mult / set_wd_mult entries win."""
    w = mx.sym.var('fc_weight', lr_mult=0.5, wd_mult=2.0)
    s = mx.sym.FullyConnected(mx.sym.var('data'), weight=w, num_hidden=2, name='fc')
    o = mx.optimizer.create('sgd', sym=s, param_idx2name={0: 'fc_weight', 1: 'fc_bias'}, learning_rate=0.1, wd=0.1)
    assert o._get_lr(0) == pytest.approx(0.05) and o._get_lr(1) == pytest.approx(0.1)
    assert o._get_wd(0) == pytest.approx(0.2) and o._get_wd(1) == 0.0  # biases get no weight decay
    o.set_lr_mult({'fc_weight': 3.0})
    assert o._get_lr(0) == pytest.approx(0.3)


def test_ftml_matches_mxnet():
    """FTML weights after a few steps, as MXNet 1.9.1 computes them (same inputs)."""
    g = nd.array([0.5, 0.2, -1.0])
    cases = [(dict(learning_rate=0.1, beta1=0.6, beta2=0.999, epsilon=1e-8, wd=0.01, rescale_grad=0.5), 3,
              [0.7867477536201477, -2.2126426696777344, 3.213371992111206]),
             (dict(learning_rate=0.1, wd=0.5, clip_gradient=0.3), 2,
              [0.8375002145767212, -1.8375000953674316, 2.8375000953674316])]
    for kwargs, steps, want in cases:
        o = mx.optimizer.create('ftml', **kwargs)
        w = nd.array([1.0, -2.0, 3.0])
        st = o.create_state(0, w)
        for _ in range(steps):
            o.update(0, w, g, st)
        np.testing.assert_allclose(w.asnumpy(), want, rtol=1e-6)


def test_adagrad_tiny_gradients_match_mxnet():
    # eps sits inside the sqrt in MXNet 1.9.1's dense AdaGrad; with tiny gradients that
    # changes the step a lot. Values printed by MXNet 1.9.1 (two updates).
    for kw, ref in [({}, [0.8356472, -2.1005926, 2.8292894, 0.6707106]),
                    ({'wd': 0.1, 'clip_gradient': 0.5, 'rescale_grad': 2.0},
                     [0.8120419, -2.0995834, 2.7705891, 0.6597607])]:
        o = mx.optimizer.AdaGrad(learning_rate=0.1, **kw)
        w = nd.array([1.0, -2.0, 3.0, 0.5])
        g = nd.array([1e-3, 2e-4, 0.3, -0.4])
        s = o.create_state(0, w)
        for _ in range(2):
            o.update(0, w, g, s)
        np.testing.assert_allclose(w.asnumpy(), ref, rtol=1e-6)
