"""Tests for the norm family: BatchNorm, LayerNorm, InstanceNorm, GroupNorm,
L2Normalization, LRN, moments."""
import contextlib

import numpy as np
import pytest
from harness import (autograd_grads, check, check_grad, check_op, expect_error, ffi, from_mx, invoke_handles, lib,
                     run_op, to_mx)

rng = np.random.default_rng(1)


def R(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@contextlib.contextmanager
def training(on=True):
    prev = ffi.new("int *")
    lib.mx_autograd_set_training(1 if on else 0, prev)
    try:
        yield
    finally:
        lib.mx_autograd_set_training(prev[0], ffi.NULL)


def fd_grad_train(name, inputs, attrs, wrt, eps=1e-5, rtol=1e-4, atol=1e-6):
    """check_grad for training-mode ops: finite differences with training on."""
    inputs = [np.array(x, copy=True) for x in inputs]
    with training():
        out0 = run_op(name, inputs, attrs)[0]
    w = rng.uniform(-1, 1, out0.shape)
    analytic = autograd_grads(name, inputs, attrs, wrt, w, training=True)

    def f():
        with training():
            return float(np.sum(run_op(name, [np.array(x, copy=True) for x in inputs], attrs)[0] * w))

    for gi, i in zip(analytic, wrt):
        x = inputs[i]
        num = np.zeros_like(x)
        for idx in np.ndindex(x.shape):
            o = x[idx]
            x[idx] = o + eps
            fp = f()
            x[idx] = o - eps
            fm = f()
            x[idx] = o
            num[idx] = (fp - fm) / (2 * eps)
        np.testing.assert_allclose(gi, num, rtol=rtol, atol=atol, err_msg=f"{name} grad wrt {i}")


# ---------------------------------------------------------------- BatchNorm
def bn_ref(x, gamma, beta, mean, var, eps, axis=1, fix_gamma=False):
    shp = [1] * x.ndim
    shp[axis] = -1
    g = np.ones_like(gamma) if fix_gamma else gamma
    return (x - mean.reshape(shp)) / np.sqrt(var.reshape(shp) + eps) * g.reshape(shp) + beta.reshape(shp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((4, 3, 5, 2), 1), ((6, 4), 1), ((2, 3, 4), -1), ((0, 3), 1)])
def test_batchnorm_inference(dtype, shape, axis):
    C = shape[axis]
    x = R(*shape, dtype=dtype)
    gamma, beta, mm = R(C, dtype=dtype), R(C, dtype=dtype), R(C, dtype=dtype)
    mv = rng.uniform(0.5, 2, C).astype(dtype)
    for fg in (True, False):
        check_op("BatchNorm", [x, gamma, beta, mm, mv], {"axis": axis, "fix_gamma": fg},
                 lambda x, g, b, m, v: bn_ref(x, g, b, m, v, 1e-3, axis, fg), rtol=1e-4, atol=1e-5)


def test_batchnorm_training_uses_batch_stats():
    x = R(8, 3, 4)
    gamma, beta = R(3), R(3)
    mm0, mv0 = R(3), rng.uniform(0.5, 2, 3)
    hs = [to_mx(a) for a in (x, gamma, beta, mm0, mv0)]
    with training():
        outs = invoke_handles("BatchNorm", hs, {"fix_gamma": False, "momentum": 0.8, "output_mean_var": True})
    assert len(outs) == 3
    y, mean, invstd = (from_mx(h) for h in outs)
    bm = x.mean(axis=(0, 2))
    bv = x.var(axis=(0, 2))  # biased
    np.testing.assert_allclose(mean, bm, rtol=1e-10)
    # MXNet 1.9.1's third output is the inverse std 1/sqrt(var + eps), not the variance
    np.testing.assert_allclose(invstd, 1 / np.sqrt(bv + 1e-3), rtol=1e-10)
    np.testing.assert_allclose(y, bn_ref(x, gamma, beta, bm, bv, 1e-3), rtol=1e-10)
    # the forward leaves them: MXNet 1.9.1 updates them in the backward on the CPU
    np.testing.assert_array_equal(from_mx(hs[3]), mm0)
    np.testing.assert_array_equal(from_mx(hs[4]), mv0)
    # inference leaves moving stats untouched; use_global_stats in training too
    for train, attrs in ((False, {}), (True, {"use_global_stats": True})):
        hs = [to_mx(a) for a in (x, gamma, beta, mm0, mv0)]
        with training(train):
            invoke_handles("BatchNorm", hs, attrs)
        np.testing.assert_array_equal(from_mx(hs[3]), mm0)


def test_batchnorm_f16_data():
    x = R(4, 3, 2, dtype=np.float16)
    p = [np.ones(3, np.float32), np.zeros(3, np.float32), np.zeros(3, np.float32), np.ones(3, np.float32)]
    out = run_op("BatchNorm", [x] + p, {})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, x / np.sqrt(1 + 1e-3), rtol=1e-2, atol=1e-2)


def test_batchnorm_grad_training():
    x, gamma, beta = R(4, 3, 2), R(3), R(3)
    mm, mv = R(3), rng.uniform(0.5, 2, 3)
    fd_grad_train("BatchNorm", [x, gamma, beta, mm, mv], {"fix_gamma": False}, [0, 1, 2])
    fd_grad_train("BatchNorm", [R(5, 4), R(4), R(4), mm[:1].repeat(4), mv[:1].repeat(4)], {"fix_gamma": False,
                                                                                       "axis": -1}, [0, 1, 2])
    g = autograd_grads("BatchNorm", [x, gamma, beta, mm, mv], {}, [1], R(4, 3, 2), training=True)[0]
    np.testing.assert_array_equal(g, 0)  # fix_gamma=True


def test_batchnorm_grad_inference():
    x, gamma, beta = R(3, 2, 3), R(2), R(2)
    mm, mv = R(2), rng.uniform(0.5, 2, 2)
    check_grad("BatchNorm", [x, gamma, beta, mm, mv], {"fix_gamma": False}, wrt=[0, 1, 2], training=False)
    check_grad("BatchNorm", [x, gamma, beta, mm, mv], {"use_global_stats": True, "fix_gamma": False},
               wrt=[0, 1, 2], training=True)


def test_batchnorm_errors():
    expect_error("BatchNorm", [R(2, 3), R(4), R(3), R(3), R(3)], {}, contains=("BatchNorm", "gamma", "(2,3)", "(4,)"))
    expect_error("BatchNorm", [R(2, 3), R(3), R(3), R(3), R(3)], {"axis": 2}, contains=("BatchNorm",))


# ---------------------------------------------------------------- LayerNorm
def ln_ref(x, g, b, axis=-1, eps=1e-5):
    m = x.mean(axis=axis, keepdims=True)
    v = x.var(axis=axis, keepdims=True)
    shp = [1] * x.ndim
    shp[axis] = -1
    return (x - m) / np.sqrt(v + eps) * g.reshape(shp) + b.reshape(shp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((2, 4, 3), 1), ((6,), 0), ((0, 4), -1)])
def test_layernorm_forward(dtype, shape, axis):
    C = shape[axis]
    x, g, b = R(*shape, dtype=dtype), R(C, dtype=dtype), R(C, dtype=dtype)
    check_op("LayerNorm", [x, g, b], {"axis": axis}, lambda x, g, b: ln_ref(x, g, b, axis), rtol=1e-4, atol=1e-5)


def test_layernorm_output_mean_var():
    x, g, b = R(3, 4), R(4), R(4)
    out, mean, std = run_op("LayerNorm", [x, g, b], {"output_mean_var": True})
    np.testing.assert_allclose(mean, x.mean(-1, keepdims=True))
    np.testing.assert_allclose(std, np.sqrt(x.var(-1, keepdims=True) + 1e-5))


def test_layernorm_grad():
    check_grad("LayerNorm", [R(3, 4), R(4), R(4)], {}, eps=1e-5, rtol=1e-4, atol=1e-6)
    check_grad("LayerNorm", [R(2, 3, 2), R(3), R(3)], {"axis": 1}, eps=1e-5, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("shape", [(7, 13), (5, 1000), (2, 3, 520)])
def test_layernorm_float32_last_axis_values_and_grads(shape):
    # float32 over a contiguous last axis runs plain-loop kernels (norm.c, gamma_f): features
    # not a multiple of 8, and more than one 512-feature block for dgamma/dbeta
    from mxcore import autograd, nd
    rs = np.random.RandomState(1)
    a = rs.randn(*shape).astype(np.float32) * 3 + 1
    C = shape[-1]
    gv, bv, wv = rs.rand(C).astype(np.float32) + 0.5, rs.randn(C).astype(np.float32), rs.randn(*shape)
    x, g, b = nd.array(a), nd.array(gv), nd.array(bv)
    for t in (x, g, b):
        t.attach_grad()
    with autograd.record():
        y = nd.LayerNorm(x, g, b)
    y.backward(nd.array(wv.astype(np.float32)))
    a64 = a.astype(np.float64)
    m, v = a64.mean(-1, keepdims=True), a64.var(-1, keepdims=True)
    inv = 1 / np.sqrt(v + 1e-5)
    xh = (a64 - m) * inv
    np.testing.assert_allclose(y.asnumpy(), xh * gv + bv, rtol=1e-5, atol=1e-5)
    gp = wv * gv
    dx = inv * (gp - gp.mean(-1, keepdims=True) - xh * (gp * xh).mean(-1, keepdims=True))
    np.testing.assert_allclose(x.grad.asnumpy(), dx, rtol=1e-4, atol=1e-5)
    red = tuple(range(len(shape) - 1))
    np.testing.assert_allclose(g.grad.asnumpy(), (wv * xh).sum(red), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b.grad.asnumpy(), wv.sum(red), rtol=1e-4, atol=1e-4)


def test_layernorm_errors():
    expect_error("LayerNorm", [R(2, 3), R(2), R(3)], {}, contains=("LayerNorm", "gamma", "(2,3)"))


# ---------------------------------------------------------------- InstanceNorm / GroupNorm
def in_ref(x, g, b, eps=1e-3):
    ax = tuple(range(2, x.ndim))
    m = x.mean(axis=ax, keepdims=True)
    v = x.var(axis=ax, keepdims=True)
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return (x - m) / np.sqrt(v + eps) * g.reshape(shp) + b.reshape(shp)


def gn_ref(x, g, b, G, eps=1e-5):
    """gamma/beta per channel (C entries) or per group (G entries, MXNet 1.x)."""
    N, C = x.shape[:2]
    xr = x.reshape(N, G, -1)
    m = xr.mean(-1, keepdims=True)
    v = xr.var(-1, keepdims=True)
    y = (xr - m) / np.sqrt(v + eps)
    if g.size == G and G != C:
        return (y * g.reshape(1, G, 1) + b.reshape(1, G, 1)).reshape(x.shape)
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return y.reshape(x.shape) * g.reshape(shp) + b.reshape(shp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_instancenorm_forward(dtype):
    for shape in [(2, 3, 5), (2, 3, 2, 3), (0, 2, 3)]:
        x, g, b = R(*shape, dtype=dtype), R(shape[1], dtype=dtype), R(shape[1], dtype=dtype)
        check_op("InstanceNorm", [x, g, b], {}, in_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_groupnorm_forward(dtype):
    for shape, G in [((2, 4, 3), 2), ((2, 6, 2, 2), 3), ((3, 4), 4), ((2, 4, 3), 1)]:
        for n_par in {shape[1], G}:  # per channel, and per group as MXNet 1.x
            x, g, b = R(*shape, dtype=dtype), R(n_par, dtype=dtype), R(n_par, dtype=dtype)
            check_op("GroupNorm", [x, g, b], {"num_groups": G}, lambda x, g, b: gn_ref(x, g, b, G),
                     rtol=1e-4, atol=1e-5)


# mx.nd.GroupNorm(x, [2, 3], [0.5, -1], num_groups=2) in MXNet 1.9.1, x = RandomState(0).rand(2, 4, 3)
MXNET_GN_FIRST6 = [-0.1887004, 3.462047, 0.9951089, -0.2749428, -2.935031, 1.941518]


def test_groupnorm_gamma_per_group_matches_mxnet_1x():
    x = np.random.RandomState(0).rand(2, 4, 3).astype("f")
    g, b = np.array([2.0, 3.0], "f"), np.array([0.5, -1.0], "f")
    y = run_op("GroupNorm", [x, g, b], {"num_groups": 2})[0]
    np.testing.assert_allclose(y.ravel()[:6], MXNET_GN_FIRST6, rtol=1e-5, atol=1e-6)


def test_instance_group_grad():
    check_grad("InstanceNorm", [R(2, 3, 4), R(3), R(3)], {}, eps=1e-5, rtol=1e-4, atol=1e-6)
    check_grad("GroupNorm", [R(2, 4, 3), R(4), R(4)], {"num_groups": 2}, eps=1e-5, rtol=1e-4, atol=1e-6)
    check_grad("GroupNorm", [R(2, 6, 2), R(3), R(3)], {"num_groups": 3}, eps=1e-5, rtol=1e-4, atol=1e-6)


def test_instance_group_errors():
    expect_error("GroupNorm", [R(2, 5, 3), R(5), R(5)], {"num_groups": 2}, contains=("GroupNorm", "num_groups"))
    expect_error("InstanceNorm", [R(2, 5), R(5), R(5)], {}, contains=("InstanceNorm", "(2,5)"))
    expect_error("GroupNorm", [R(2, 4, 3), R(3), R(3)], {"num_groups": 2}, contains=("GroupNorm", "gamma", "(2,)", "(4,)"))
    expect_error("GroupNorm", [R(2, 4, 3), R(2), R(4)], {"num_groups": 2}, contains=("GroupNorm", "beta"))


# ---------------------------------------------------------------- L2Normalization
def l2_ref(x, mode, eps=1e-10):
    if mode == "instance":
        ax = tuple(range(1, x.ndim))
    elif mode == "channel":
        ax = (1,)
    else:
        ax = tuple(range(2, x.ndim))
    return x / np.sqrt((x * x).sum(axis=ax, keepdims=True) + eps)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode", ["instance", "channel", "spatial"])
def test_l2normalization(dtype, mode):
    for shape in [(2, 3, 4), (3, 2, 2, 2), (0, 3, 2)]:
        x = R(*shape, dtype=dtype)
        check_op("L2Normalization", [x], {"mode": mode}, lambda x: l2_ref(x.astype(np.float64), mode),
                 rtol=1e-5, atol=1e-6)
    check_grad("L2Normalization", [R(2, 3, 2)], {"mode": mode}, eps=1e-5, rtol=1e-4, atol=1e-6)


def test_l2normalization_2d_and_errors():
    check_op("L2Normalization", [R(3, 4)], {}, lambda x: l2_ref(x, "instance"))
    check_op("L2Normalization", [R(3, 4)], {"mode": "channel"}, lambda x: l2_ref(x, "channel"))
    expect_error("L2Normalization", [R(3)], {"mode": "channel"}, contains=("L2Normalization", "(3,)"))
    expect_error("L2Normalization", [R(3, 2)], {"mode": "bogus"}, contains=("L2Normalization", "mode"))


# ---------------------------------------------------------------- LRN
def lrn_ref(x, nsize, alpha=1e-4, beta=0.75, knorm=2.0):
    """MXNet 1.9.1's LRN: a symmetric window of (nsize-1)//2 channels on each
    side (clipped at the edges; an even nsize thus sums nsize-1 channels) and
    the scale alpha/nsize. Returns (out, norm)."""
    x = x.astype(np.float64)
    C, h = x.shape[1], (nsize - 1) // 2
    sq = x * x
    norm = np.empty_like(x)
    for c in range(C):
        norm[:, c] = knorm + alpha / nsize * sq[:, max(0, c - h):c + h + 1].sum(axis=1)
    return x * norm ** -beta, norm


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(2, 7, 3, 4), (2, 5, 6), (1, 4, 2, 2, 2), (0, 3, 2, 2), (2, 3, 0, 2)])
def test_lrn_forward(dtype, shape):
    x = (R(*shape) * 2).astype(dtype)
    for nsize in (1, 2, 3, 4, 5, 9):
        check_op("LRN", [x], {"nsize": nsize}, lambda x: lrn_ref(x, nsize)[0], rtol=1e-5, atol=1e-6)
        for beta in (0.6, 0.5, 1.0):  # the kernel has fast paths for beta 0.75 (default), 0.5 and 1
            attrs = {"nsize": nsize, "alpha": 0.7, "beta": beta, "knorm": 1.3}
            check_op("LRN", [x], attrs, lambda x: lrn_ref(x, nsize, 0.7, beta, 1.3)[0], rtol=1e-5, atol=1e-6)


def test_lrn_matches_mxnet_values():
    # outputs of MXNet 1.9.1 (float32, alpha=0.5, beta=0.75, knorm=1): nsize 2 and 4 use windows of 1 and 3 channels
    x = np.array([1.0, -2.0, 3.0, 0.5, -1.5], np.float32).reshape(1, 5, 1, 1)
    want = {2: [0.845897, -1.1892071, 1.2393922, 0.47777486, -1.0733126],
            3: [0.63470066, -0.8107201, 1.2514447, 0.22402935, -1.1551557],
            4: [0.69480026, -0.93654895, 1.4418482, 0.25630763, -1.2232543]}
    for nsize, w in want.items():
        out = run_op("LRN", [x], {"nsize": nsize, "alpha": 0.5, "beta": 0.75, "knorm": 1.0})[0]
        np.testing.assert_allclose(out.ravel(), w, rtol=1e-6)


def test_lrn_hidden_norm_and_f16():
    outs = invoke_handles("LRN", [to_mx(R(2, 5, 3))], {"nsize": 3, "alpha": 0.2})
    assert len(outs) == 1  # tmp_norm is hidden
    xh = R(2, 4, 3, dtype=np.float16)
    out = run_op("LRN", [xh], {"nsize": 3, "alpha": 0.5, "knorm": 1.0})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, lrn_ref(xh, 3, 0.5, 0.75, 1.0)[0], rtol=1e-2, atol=1e-2)


def test_lrn_grad():
    check_grad("LRN", [R(2, 5, 3)], {"nsize": 3, "alpha": 0.3, "beta": 0.6, "knorm": 1.2}, eps=1e-5, rtol=1e-4,
               atol=1e-6)
    check_grad("LRN", [R(2, 6, 2, 2)], {"nsize": 4, "alpha": 0.5, "beta": 1.5, "knorm": 0.8}, eps=1e-5, rtol=1e-4,
               atol=1e-6)
    check_grad("LRN", [R(1, 3, 2, 1, 2)], {"nsize": 7, "alpha": 0.9}, eps=1e-5, rtol=1e-4, atol=1e-6)
    check_grad("LRN", [R(1, 4, 3)], {"nsize": 1, "alpha": 2.0, "knorm": 0.5}, eps=1e-5, rtol=1e-4, atol=1e-6)
    for beta in (0.5, 1.0):
        check_grad("LRN", [R(2, 5, 2)], {"nsize": 3, "alpha": 0.8, "beta": beta, "knorm": 1.1}, eps=1e-5, rtol=1e-4,
                   atol=1e-6)


def test_lrn_grad_f32_matches_formula():
    x, w = R(2, 6, 3, dtype=np.float32), R(2, 6, 3, dtype=np.float32)
    g = autograd_grads("LRN", [x], {"nsize": 5, "alpha": 0.4, "beta": 0.75, "knorm": 1.0}, [0], w)[0]
    y, n = lrn_ref(x, 5, 0.4, 0.75, 1.0)
    t = w * y / n
    s = np.stack([t[:, max(0, c - 2):c + 3].sum(1) for c in range(6)], axis=1)
    np.testing.assert_allclose(g, w * n ** -0.75 - 2 * 0.75 * 0.4 / 5 * x * s, rtol=1e-4, atol=1e-6)


def test_lrn_errors():
    expect_error("LRN", [R(2, 3)], {"nsize": 3}, contains=("LRN", "(2,3)", "3 dimensions"))
    expect_error("LRN", [R(2, 3, 4)], {}, contains=("LRN", "nsize"))
    expect_error("LRN", [R(2, 3, 4)], {"nsize": 0}, contains=("LRN", "nsize"))
    expect_error("LRN", [np.ones((2, 3, 4), np.int32)], {"nsize": 3}, contains=("LRN", "floating point"))


# ---------------------------------------------------------------- moments
def moments_ref(x, axes, keepdims=False):
    x = x.astype(np.float64)
    m, v = x.mean(axis=axes, keepdims=keepdims), x.var(axis=axes, keepdims=keepdims)
    return (m.reshape(1), v.reshape(1)) if m.ndim == 0 else (m, v)  # MXNet: a full reduction has shape (1,)


MOMENT_CASES = [((3, 4, 5), (0,)), ((3, 4, 5), (1,)), ((3, 4, 5), (2,)), ((3, 4, 5), (0, 2)), ((3, 4, 5), (-1, 0)),
                ((3, 4, 5), (0, 1, 2)), ((3, 4, 5), (1, 2)), ((3, 4, 5), (0, 1)), ((2, 1, 3, 1, 4), (1, 3)),
                ((2, 1, 3, 1, 4), (0, 4)), ((6,), (0,)), ((5, 300), (0,)), ((4, 3, 2, 5), (0, 2, 3))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("keepdims", [False, True])
def test_moments_forward(dtype, keepdims):
    for shape, axes in MOMENT_CASES:
        x = (R(*shape) * 2 + 1).astype(dtype)
        check_op("moments", [x], {"axes": axes, "keepdims": keepdims}, lambda x: moments_ref(x, axes, keepdims),
                 rtol=1e-5, atol=1e-6)


def test_moments_matches_mxnet_values():
    x = np.array([[[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]], np.float32)  # MXNet 1.9.1: mean [2, 1], var [2/3, 14/3]
    mean, var = run_op("moments", [x], {"axes": (0, 2)})
    np.testing.assert_allclose(mean, [2.0, 1.0])
    np.testing.assert_allclose(var, [0.6666667, 4.6666665], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_moments_long_reductions(dtype):
    # long reductions split across threads in fixed chunks; statistics accumulate in double
    for shape, axes in [((300001,), (0,)), ((2, 150000), (1,)), ((3, 70000, 2), (0, 1)), ((5000, 40), (0,))]:
        x = (R(*shape) * 3 + 5).astype(dtype)
        check_op("moments", [x], {"axes": axes}, lambda x: moments_ref(x, axes), rtol=1e-5, atol=1e-6)


def test_moments_empty_and_f16():
    mean, var = run_op("moments", [np.zeros((0, 3))], {"axes": (0,)})
    assert mean.shape == (3,) and np.isnan(mean).all() and np.isnan(var).all()  # 0/0, as in MXNet
    mean, var = run_op("moments", [np.zeros((0, 3))], {"axes": (1,), "keepdims": True})
    assert mean.shape == (0, 1) and var.shape == (0, 1)
    xh = R(4, 6, dtype=np.float16)
    mean, var = run_op("moments", [xh], {"axes": (1,)})
    assert mean.dtype == var.dtype == np.float16
    m, v = moments_ref(xh, (1,))
    np.testing.assert_allclose(mean, m, rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(var, v, rtol=1e-2, atol=1e-2)


def test_moments_grad():
    for shape, axes, keepdims in [((3, 4, 2), (1,), False), ((3, 4, 2), (0, 2), True), ((2, 3), (0, 1), False),
                                  ((2, 1, 3, 2), (0, 3), False), ((4, 3), (0,), False)]:
        for out_index in (0, 1):
            check_grad("moments", [R(*shape)], {"axes": axes, "keepdims": keepdims}, out_index=out_index, eps=1e-5,
                       rtol=1e-4, atol=1e-6)


def test_moments_grad_both_outputs():
    # d/dx sum(wm * mean + wv * var) = (wm + 2 wv (x - mean)) / n, both heads in one backward
    x = R(3, 4, 5)
    wm, wv = R(3, 1, 5), R(3, 1, 5)
    hs = [to_mx(x)]
    check(lib.mx_autograd_mark_variables(ffi.new("mx_tensor[]", hs), ffi.new("int[]", [1]), ffi.NULL, 1))
    check(lib.mx_autograd_set_recording(1, ffi.NULL))
    try:
        outs = invoke_handles("moments", hs, {"axes": (1,), "keepdims": True})
    finally:
        check(lib.mx_autograd_set_recording(0, ffi.NULL))
    hgrads = [to_mx(wm), to_mx(wv)]  # kept alive until backward is done
    check(lib.mx_autograd_backward(ffi.new("mx_tensor[]", outs), ffi.new("mx_tensor[]", hgrads), 2, 0, 0))
    g = ffi.new("mx_tensor *")
    check(lib.mx_tensor_grad(hs[0], g))
    got = from_mx(g[0])
    lib.mx_tensor_release(g[0])
    want = (wm + 2 * wv * (x - x.mean(1, keepdims=True))) / 4
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_moments_errors():
    expect_error("moments", [R(2, 3)], {}, contains=("moments", "axes", "(2,3)"))
    expect_error("moments", [R(2, 3)], {"axes": ()}, contains=("moments", "axes"))
    expect_error("moments", [R(2, 3)], {"axes": (1, -1)}, contains=("moments", "more than once"))
    expect_error("moments", [R(2, 3)], {"axes": (2,)}, contains=("moments", "(2,3)"))


def test_sync_batchnorm_is_batchnorm_in_one_process():
    """_contrib_SyncBatchNorm (MXNet contrib; GluonCV exports) computes BatchNorm over axis 1
    and accepts ndev/key; MXNet 1.9.1's export of it is in tests/data/mxnet_ref (syncbn)."""
    x, g, b = R(2, 3, 4), R(3), R(3)
    mm, mv = np.zeros(3), np.ones(3)
    want = run_op("BatchNorm", [x, g, b, mm.copy(), mv.copy()], {"fix_gamma": False})[0]
    got = run_op("_contrib_SyncBatchNorm", [x, g, b, mm.copy(), mv.copy()],
                 {"fix_gamma": False, "ndev": 2, "key": "k"})[0]
    np.testing.assert_allclose(got, want)
    fd_grad_train("_contrib_SyncBatchNorm", [x, g, b, mm, mv], {"fix_gamma": False}, [0, 1, 2])
    check_grad("_contrib_SyncBatchNorm", [x, g, b, mm, mv + 0.5], {"fix_gamma": False}, wrt=[0, 1, 2], training=False)


def test_batchnorm_output_mean_var_is_inverse_std():
    """Values printed by MXNet 1.9.1: the third output is 1/sqrt(var + eps) of the statistics used
    (batch statistics in training, the moving ones otherwise); the moving update still uses the variance."""
    import mxcore as mx
    x = mx.nd.array(np.arange(12).reshape(3, 4) * 0.5)
    g, b, m, v = mx.nd.ones(4), mx.nd.zeros(4), mx.nd.zeros(4), mx.nd.ones(4)
    for train, ugs, mean, istd in [(True, False, [2.0, 2.5, 3.0, 3.5], 0.6122576594352722),
                                   (True, True, [0.0] * 4, 0.9995003938674927),
                                   (False, False, [0.0] * 4, 0.9995003938674927)]:
        with mx.autograd.record(train_mode=train):
            o = mx.nd.BatchNorm(x, g, b, m, v, output_mean_var=True, use_global_stats=ugs, fix_gamma=False)
        np.testing.assert_allclose(o[1].asnumpy(), mean, rtol=1e-6)
        np.testing.assert_allclose(o[2].asnumpy(), [istd] * 4, rtol=1e-6)
    x.attach_grad()
    with mx.autograd.record():
        o = mx.nd.BatchNorm(x, g, b, m, v, output_mean_var=True, fix_gamma=False, momentum=0.5)
    o[0].backward()
    np.testing.assert_allclose(v.asnumpy(), [0.5 + 0.5 * 8 / 3] * 4, rtol=1e-5)  # biased batch variance 8/3
