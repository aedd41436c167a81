"""Multi-tensor optimizer ops and group AdaGrad: multi_[mp_]adamw_update,
multi_[mp_]lamb_update (through mx.nd.contrib's list signatures, as MXNet 1.x calls
them) and group_adagrad_update.

The expected arrays were printed by MXNet 1.9.1 (pip mxnet 1.9.1, CPU) for the inputs
that _data(seed) makes, with the same calls and attributes; group AdaGrad's were
printed with a row_sparse gradient holding every row (MXNet has no dense CPU kernel)."""
import numpy as np
import pytest

from harness import expect_error, run_op

# MXNet 1.9.1: contrib.multi_adamw_update(out=W, rescale_grad=0.5, lrs=[.1, .2], wds=[.01, .02], etas=[.7, .9],
# beta1=.8, beta2=.95, epsilon=1e-6, clip_gradient=.4) on _data(11)
ADAMW_W = [[1.672662, -0.3587928, -0.6484374, -2.702648, -0.1008155, -0.4066585],
           [-0.7054693, 0.2420241, 0.3743104, -1.185806]]
ADAMW_M = [[0.2413412, 0.6308098, 0.6432476, 0.5377705, 0.3619071, 0.6792819],
           [0.8630224, 0.3504432, 0.1887922, 0.5688039]]
ADAMW_V = [[0.06850211, 0.3492139, 0.07246743, 0.307336, 0.07486346, 0.2837505],
           [0.7573827, 0.8681303, 0.7530023, 0.5395665]]
# the same with float16 weights/grads and float32 masters (multi_mp_adamw_update)
MP_ADAMW_W16 = [[1.672852, -0.3588867, -0.6484375, -2.703125, -0.1008301, -0.4067383],
                [-0.7055664, 0.2420654, 0.3742676, -1.185547]]
MP_ADAMW_W32 = [[1.672662, -0.3587915, -0.6484361, -2.702646, -0.1008155, -0.4066585],
                [-0.7054689, 0.2420241, 0.3743106, -1.185802]]
MP_ADAMW_M = [[0.2413412, 0.6308002, 0.6432247, 0.5377548, 0.3619071, 0.6792819],
              [0.8630203, 0.3504432, 0.1887915, 0.5687893]]
MP_ADAMW_V = [[0.06850211, 0.349215, 0.07246348, 0.3073338, 0.07486346, 0.2837505],
              [0.7573823, 0.8681303, 0.7530023, 0.539569]]
# contrib.multi_lamb_update on _data(12): LAMB with LAMB_KW, LAMB_NOBC with LAMB_NOBC_KW
LAMB_KW = dict(step_count=[1, 3], lrs=[0.1, 0.2], wds=[0.01, 0.02], beta1=0.8, beta2=0.95, epsilon=1e-6,
               rescale_grad=0.5, clip_gradient=0.4)
LAMB_W = [[0.4161566, -0.7784325, 0.1396399, -1.818701, 0.6354578, -1.655743],
          [-0.172208, -0.5246883, -1.038745, 2.543534]]
LAMB_M = [[0.2079358, 0.8296922, 0.5796657, 0.6802508, 0.6939805, 0.6477925],
          [0.4053122, 0.2810467, 0.2405053, 0.8761106]]
LAMB_V = [[0.1731534, 0.9172572, 0.4062878, 0.4108498, 0.4479914, 0.3552235],
          [0.4502327, 0.04140985, 0.08805904, 0.7038947]]
LAMB_NOBC_KW = dict(step_count=[2, 5], lrs=[0.1, 0.2], wds=[0.0, 0.02], bias_correction=False, lower_bound=2.0,
                    upper_bound=2.5)
LAMB_NOBC_W = [[0.4166509, -0.7744714, 0.1404667, -1.811461, 0.6340501, -1.652311],
               [-0.1406094, -0.47311, -0.9914024, 2.606821]]
LAMB_NOBC_M = [[0.2414005, 0.927498, 0.6717196, 0.7337652, 0.8249637, 0.7302933],
               [0.4672278, 0.3147906, 0.2576154, 1.016604]]
LAMB_NOBC_V = [[0.177744, 0.9618576, 0.4200321, 0.425105, 0.4644876, 0.3733644],
               [0.4660678, 0.03596824, 0.08524831, 0.7332518]]
# multi_mp_lamb_update with LAMB_KW, float16 weights/grads
MP_LAMB_W32 = [[0.416135, -0.7784607, 0.1396096, -1.818736, 0.6354231, -1.655779],
               [-0.1721582, -0.5245747, -1.03868, 2.543626]]
MP_LAMB_M = [[0.2079524, 0.8296877, 0.5796657, 0.6802508, 0.6939805, 0.6477943],
             [0.4053122, 0.2810467, 0.2405053, 0.8761106]]
MP_LAMB_V = [[0.1731509, 0.9172567, 0.4062878, 0.4108498, 0.4479914, 0.3552234],
             [0.4502327, 0.04140985, 0.08805904, 0.7038947]]
# the float16 weights all ones (masters from _data(12)), default betas/epsilon: the trust
# ratio's ||weight|| is the norm of the float16 weights, not of the masters
MP_LAMB_ONES_W32 = [[0.4155352, -0.7717847, 0.1403557, -1.805518, 0.632457, -1.646834],
                    [-0.1067777, -0.3894514, -0.9380985, 2.631394]]
# contrib.group_adagrad_update(out=W, lr=.1, rescale_grad=.5, clip_gradient=.6, epsilon=1e-5), RandomState(7)
GA_W = [1.645777, -0.442792, 0.05431774, 0.5137869, -0.8245532, -0.005893417, -0.01852364, -1.677628, 0.9377114,
        0.5902163, -0.5996369, -0.2514949]
GA_H = [0.3187592, 0.6056556, 0.5632408]


def _data(seed):
    """weights, grads (normal) and means, vars (uniform) for shapes (2, 3) and (4,), float32."""
    rs = np.random.RandomState(seed)
    shapes = [(2, 3), (4,)]
    return ([[rs.randn(*s).astype("float32") for s in shapes] for _ in range(2)] +
            [[rs.rand(*s).astype("float32") for s in shapes] for _ in range(2)])


def _nd(arrays, dtype="float32"):
    import mxcore as mx
    return [mx.nd.array(a, dtype=dtype) for a in arrays]


def _close(got, want, atol=2e-6):
    for g, w in zip(got, want):
        np.testing.assert_allclose(g.asnumpy().astype(np.float64).ravel(), w, rtol=0, atol=atol)


def test_multi_adamw_update_matches_mxnet():
    import mxcore as mx
    w, g, m, v = _data(11)
    W, M, V = _nd(w), _nd(m), _nd(v)
    kw = dict(lrs=[0.1, 0.2], wds=[0.01, 0.02], etas=[0.7, 0.9], beta1=0.8, beta2=0.95, epsilon=1e-6,
              clip_gradient=0.4)
    ret = mx.nd.contrib.multi_adamw_update(W, _nd(g), M, V, 0.5, out=W, **kw)
    assert len(ret) == 2
    _close(W, ADAMW_W), _close(M, ADAMW_M), _close(V, ADAMW_V)
    # without out=: new arrays, the weights unchanged; the flat registry form gives the same
    W2, M2, V2 = _nd(w), _nd(m), _nd(v)
    flat = [a for grp in zip(W2, _nd(g), M2, V2) for a in grp] + [mx.nd.array([0.5])]
    ret = getattr(mx.nd, "_multi_adamw_update")(*flat, num_weights=2, **kw)
    _close(ret, ADAMW_W)
    np.testing.assert_array_equal(W2[1].asnumpy(), w[1])


def test_multi_mp_adamw_update_matches_mxnet():
    import mxcore as mx
    w, g, m, v = _data(11)
    W16, M, V, W32 = _nd(w, "float16"), _nd(m), _nd(v), _nd(w)
    mx.nd.contrib.multi_mp_adamw_update(W16, _nd(g, "float16"), M, V, W32, mx.nd.array([0.5]), out=W16,
                                        lrs=[0.1, 0.2], wds=[0.01, 0.02], etas=[0.7, 0.9], beta1=0.8, beta2=0.95,
                                        epsilon=1e-6, clip_gradient=0.4)
    assert W16[0].dtype == np.float16
    _close(W16, MP_ADAMW_W16, atol=1e-6)
    _close(W32, MP_ADAMW_W32), _close(M, MP_ADAMW_M), _close(V, MP_ADAMW_V)


@pytest.mark.parametrize("rescale", [0.0, float("inf"), float("nan")])
def test_adamw_skips_on_zero_or_nonfinite_rescale(rescale):
    """MXNet 1.9.1 leaves weights and states untouched when rescale_grad is 0, inf or nan."""
    import mxcore as mx
    w, g, m, v = _data(11)
    W, M, V = _nd(w), _nd(m), _nd(v)
    mx.nd.contrib.multi_adamw_update(W, _nd(g), M, V, rescale, lrs=[0.1, 0.2], wds=[0.1, 0.1], etas=[1, 1], out=W)
    for got, want in zip(W + M + V, w + m + v):
        np.testing.assert_array_equal(got.asnumpy(), want)
    W, M = _nd(w), _nd(m)
    mx.nd.contrib.adamw_update(W[0], _nd(g)[0], M[0], _nd(v)[0], rescale, lr=0.1, eta=1.0, wd=0.1, out=W[0])
    np.testing.assert_array_equal(W[0].asnumpy(), w[0])
    np.testing.assert_array_equal(M[0].asnumpy(), m[0])


@pytest.mark.parametrize("kw,want", [(LAMB_KW, (LAMB_W, LAMB_M, LAMB_V)),
                                     (LAMB_NOBC_KW, (LAMB_NOBC_W, LAMB_NOBC_M, LAMB_NOBC_V))])
def test_multi_lamb_update_matches_mxnet(kw, want):
    import mxcore as mx
    w, g, m, v = _data(12)
    W, M, V = _nd(w), _nd(m), _nd(v)
    mx.nd.contrib.multi_lamb_update(W, _nd(g), M, V, out=W, **kw)
    for got, exp in zip((W, M, V), want):
        _close(got, exp)


def test_multi_lamb_update_matches_the_two_phase_ops():
    """Per tensor, multi_lamb_update is lamb_update_phase1 then phase2 with the two norms (float64)."""
    w, g, m, v = (x[0].astype(np.float64) for x in _data(3))
    outs = run_op("multi_lamb_update", [w, g, m, v], {"learning_rates": (0.05,), "wds": (0.1,), "step_count": (4,),
                                                      "rescale_grad": 2.0, "lower_bound": 0.5})
    d = run_op("lamb_update_phase1", [w, g, m, v], {"t": 4, "wd": 0.1, "rescale_grad": 2.0})[0]
    r1, r2 = np.array([np.linalg.norm(w)]), np.array([np.linalg.norm(d)])
    want = run_op("lamb_update_phase2", [w, d, r1, r2], {"lr": 0.05, "lower_bound": 0.5})[0]
    np.testing.assert_allclose(outs[0], want, rtol=1e-12)


def test_multi_mp_lamb_update_matches_mxnet():
    """One difference on purpose: MXNet 1.9.1's CPU kernel rounds each square of a float16 weight
    to float16 when it takes ||weight||; here the norm is exact, so the masters agree to ~1e-5."""
    import mxcore as mx
    w, g, m, v = _data(12)
    W16, M, V, W32 = _nd(w, "float16"), _nd(m), _nd(v), _nd(w)
    mx.nd.contrib.multi_mp_lamb_update(W16, _nd(g, "float16"), M, V, W32, out=W16, **LAMB_KW)
    assert W16[1].dtype == np.float16
    _close(M, MP_LAMB_M), _close(V, MP_LAMB_V)
    _close(W32, MP_LAMB_W32, atol=3e-5)
    for lo, hi in zip(W16, W32):
        np.testing.assert_array_equal(lo.asnumpy(), hi.asnumpy().astype(np.float16))
    # all-ones float16 weights: ||weight|| comes from them (exact in float16), not from the masters
    W16, M, V, W32 = [mx.nd.ones(x.shape, dtype="float16") for x in w], _nd(m), _nd(v), _nd(w)
    flat = [a for grp in zip(W16, _nd(g, "float16"), M, V, W32) for a in grp]
    getattr(mx.nd, "multi_mp_lamb_update")(*flat, out=W16, num_tensors=2, step_count=(1, 3),
                                           learning_rates=(0.1, 0.2), wds=(0.01, 0.02))
    _close(W32, MP_LAMB_ONES_W32)


def test_group_adagrad_update_matches_mxnet():
    import mxcore as mx
    rs = np.random.RandomState(7)
    w, g, h = rs.randn(3, 4).astype("float32"), rs.randn(3, 4).astype("float32"), rs.rand(3, 1).astype("float32")
    W, H = mx.nd.array(w), mx.nd.array(h)
    mx.nd.contrib.group_adagrad_update(W, mx.nd.array(g), H, out=W, lr=0.1, rescale_grad=0.5, clip_gradient=0.6,
                                       epsilon=1e-5)
    _close([W, H], [GA_W, GA_H], atol=1e-6)


@pytest.mark.parametrize("shape,hist_shape", [((3, 2, 2), (3, 1)), ((4,), (4,)), ((2, 70000), (2, 1))])
def test_group_adagrad_update_numpy(shape, hist_shape):
    """history += mean over each row (all axes but the first) of g^2; float64 against the documented rule."""
    rs = np.random.RandomState(1)
    w, g, h = rs.randn(*shape), rs.randn(*shape), rs.rand(*hist_shape)
    out = run_op("group_adagrad_update", [w, g, h], {"lr": 0.2, "epsilon": 1e-3})[0]
    hist = h.reshape(shape[0], 1) + (g.reshape(shape[0], -1) ** 2).mean(axis=1, keepdims=True)
    want = w.reshape(shape[0], -1) - 0.2 * g.reshape(shape[0], -1) / np.sqrt(hist + 1e-3)
    np.testing.assert_allclose(out, want.reshape(shape), rtol=1e-12, atol=1e-13)


def test_multi_optimizer_errors():
    w, g, m, v = _data(11)
    quad = [w[0], g[0], m[0], v[0]]
    adamw = {"lrs": (0.1,), "wds": (0.0,), "etas": (1.0,), "num_weights": 1}
    expect_error("multi_adamw_update", quad, adamw, contains=("multi_adamw_update",))  # rescale_grad missing
    expect_error("multi_adamw_update", quad + [np.ones(2, "float32")], adamw,
                 contains=("multi_adamw_update", "rescale_grad", "1-element"))
    expect_error("multi_adamw_update", quad + [np.ones(1, "float32")], dict(adamw, etas=(1.0, 1.0)),
                 contains=("multi_adamw_update", "etas", "num_weights=1", "got 2"))
    expect_error("multi_adamw_update", [w[0], g[0], m[1], v[0], np.ones(1, "float32")], adamw,
                 contains=("multi_adamw_update", "(4,)", "(2,3)"))
    expect_error("multi_mp_adamw_update", [w[0].astype("float16"), g[0].astype("float16"), m[0], v[0],
                                           w[0].astype("float16"), np.ones(1, "float32")], adamw,
                 contains=("multi_mp_adamw_update", "weight32", "float32"))
    lamb = {"learning_rates": (0.1,), "wds": (0.0,), "step_count": (1,), "num_tensors": 1}
    expect_error("multi_lamb_update", quad[:3], lamb, contains=("multi_lamb_update",))
    expect_error("multi_lamb_update", quad, dict(lamb, step_count=(0,)),
                 contains=("multi_lamb_update", "step_count"))
    expect_error("multi_lamb_update", quad, dict(lamb, learning_rates=(0.1, 0.2)),
                 contains=("multi_lamb_update", "learning_rates", "num_tensors=1"))
    expect_error("multi_lamb_update", quad, {"learning_rates": (0.1,), "wds": (0.0,)},
                 contains=("multi_lamb_update", "step_count"))
    expect_error("multi_lamb_update", [w[0], g[0], m[0].astype("float64"), v[0]], lamb,
                 contains=("multi_lamb_update", "float64", "float32"))
    expect_error("multi_mp_lamb_update", quad + [w[1]], lamb, contains=("multi_mp_lamb_update", "(4,)", "(2,3)"))
    ga = {"lr": 0.1}
    expect_error("group_adagrad_update", [w[0], g[0], np.zeros((3, 1), "float32")], ga,
                 contains=("group_adagrad_update", "history", "(3,1)", "(2,3)"))
    expect_error("group_adagrad_update", [w[0], g[1], np.zeros((2, 1), "float32")], ga,
                 contains=("group_adagrad_update", "(4,)", "(2,3)"))
    expect_error("group_adagrad_update", [w[0], g[0], np.zeros((2, 1), "float64")], ga,
                 contains=("group_adagrad_update", "float64"))
    expect_error("_contrib_group_adagrad_update", [w[0], g[0]], ga, contains=("group_adagrad_update",))
