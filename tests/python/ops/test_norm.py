"""Tests for the norm family: BatchNorm, LayerNorm, InstanceNorm, GroupNorm,
L2Normalization."""
import contextlib

import numpy as np
import pytest
from harness import (autograd_grads, check_grad, check_op, expect_error, ffi, from_mx, invoke_handles, lib,
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


def test_batchnorm_training_updates_moving_stats():
    x = R(8, 3, 4)
    gamma, beta = R(3), R(3)
    mm0, mv0 = R(3), rng.uniform(0.5, 2, 3)
    hs = [to_mx(a) for a in (x, gamma, beta, mm0, mv0)]
    with training():
        outs = invoke_handles("BatchNorm", hs, {"fix_gamma": False, "momentum": 0.8, "output_mean_var": True})
    assert len(outs) == 3
    y, mean, var = (from_mx(h) for h in outs)
    bm = x.mean(axis=(0, 2))
    bv = x.var(axis=(0, 2))  # biased
    np.testing.assert_allclose(mean, bm, rtol=1e-10)
    np.testing.assert_allclose(var, bv, rtol=1e-10)
    np.testing.assert_allclose(y, bn_ref(x, gamma, beta, bm, bv, 1e-3), rtol=1e-10)
    np.testing.assert_allclose(from_mx(hs[3]), mm0 * 0.8 + bm * 0.2, rtol=1e-10)
    np.testing.assert_allclose(from_mx(hs[4]), mv0 * 0.8 + bv * 0.2, rtol=1e-10)
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
    N, C = x.shape[:2]
    xr = x.reshape(N, G, -1)
    m = xr.mean(-1, keepdims=True)
    v = xr.var(-1, keepdims=True)
    y = ((xr - m) / np.sqrt(v + eps)).reshape(x.shape)
    shp = (1, -1) + (1,) * (x.ndim - 2)
    return y * g.reshape(shp) + b.reshape(shp)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_instancenorm_forward(dtype):
    for shape in [(2, 3, 5), (2, 3, 2, 3), (0, 2, 3)]:
        x, g, b = R(*shape, dtype=dtype), R(shape[1], dtype=dtype), R(shape[1], dtype=dtype)
        check_op("InstanceNorm", [x, g, b], {}, in_ref, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_groupnorm_forward(dtype):
    for shape, G in [((2, 4, 3), 2), ((2, 6, 2, 2), 3), ((3, 4), 4), ((2, 4, 3), 1)]:
        x, g, b = R(*shape, dtype=dtype), R(shape[1], dtype=dtype), R(shape[1], dtype=dtype)
        check_op("GroupNorm", [x, g, b], {"num_groups": G}, lambda x, g, b: gn_ref(x, g, b, G), rtol=1e-4, atol=1e-5)


def test_instance_group_grad():
    check_grad("InstanceNorm", [R(2, 3, 4), R(3), R(3)], {}, eps=1e-5, rtol=1e-4, atol=1e-6)
    check_grad("GroupNorm", [R(2, 4, 3), R(4), R(4)], {"num_groups": 2}, eps=1e-5, rtol=1e-4, atol=1e-6)


def test_instance_group_errors():
    expect_error("GroupNorm", [R(2, 5, 3), R(5), R(5)], {"num_groups": 2}, contains=("GroupNorm", "num_groups"))
    expect_error("InstanceNorm", [R(2, 5), R(5), R(5)], {}, contains=("InstanceNorm", "(2,5)"))
    expect_error("GroupNorm", [R(2, 4, 3), R(2), R(2)], {"num_groups": 2}, contains=("GroupNorm", "gamma"))


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
