"""Tests for the nn_basic family: FullyConnected, softmax, log_softmax,
softmin, SoftmaxActivation, Dropout, Embedding."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(0)


def R(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# ---------------------------------------------------------------- FullyConnected
def fc_ref(x, w, b=None, flatten=True):
    if flatten:
        x = x.reshape(x.shape[0], int(np.prod(x.shape[1:])))
    y = x @ w.T
    return y + b if b is not None else y


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(4, 5), (3, 2, 3), (0, 5), (2, 1)])
def test_fully_connected_forward(dtype, shape):
    x = R(*shape, dtype=dtype)
    k = int(np.prod(shape[1:]))
    w, b = R(6, k, dtype=dtype), R(6, dtype=dtype)
    check_op("FullyConnected", [x, w, b], {"num_hidden": 6}, lambda x, w, b: fc_ref(x, w, b), rtol=1e-4, atol=1e-5)
    check_op("FullyConnected", [x, w], {"num_hidden": 6, "no_bias": True}, lambda x, w: fc_ref(x, w),
             rtol=1e-4, atol=1e-5)


def test_fully_connected_no_flatten_and_f16():
    x, w, b = R(2, 3, 4), R(5, 4), R(5)
    check_op("FullyConnected", [x, w, b], {"num_hidden": 5, "flatten": False},
             lambda x, w, b: fc_ref(x, w, b, flatten=False))
    out = run_op("FullyConnected", [x.astype(np.float16), w.astype(np.float16), b.astype(np.float16)],
                 {"num_hidden": 5, "flatten": False})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, fc_ref(x, w, b, flatten=False), rtol=2e-2, atol=2e-2)


def test_fully_connected_grad():
    check_grad("FullyConnected", [R(3, 2, 2), R(4, 4), R(4)], {"num_hidden": 4})
    check_grad("FullyConnected", [R(2, 3, 4), R(5, 4)], {"num_hidden": 5, "no_bias": True, "flatten": False})


def test_fully_connected_errors():
    expect_error("FullyConnected", [R(2, 3), R(4, 5), R(4)], {"num_hidden": 4},
                 contains=("FullyConnected", "(2,3)", "(4,5)"))
    expect_error("FullyConnected", [R(2, 3), R(4, 3), R(5)], {"num_hidden": 4}, contains=("FullyConnected", "bias"))
    expect_error("FullyConnected", [R(2, 3), R(4, 3)], {"num_hidden": 4}, contains=("FullyConnected",))
    expect_error("FullyConnected", [R(2, 3), R(4, 3), R(4)], {}, contains=("FullyConnected", "num_hidden"))


# ---------------------------------------------------------------- softmax family
def np_softmax(x, axis=-1, t=1.0):
    z = x / t
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(x, axis=-1, t=1.0):
    z = x / t
    m = z.max(axis=axis, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((2, 3, 4), 1), ((4,), 0), ((2, 0, 3), -1), ((3, 4), 0)])
def test_softmax_family_forward(dtype, shape, axis):
    x = (R(*shape) * 5).astype(dtype)
    a = {"axis": axis}
    check_op("softmax", [x], a, lambda x: np_softmax(x.astype(np.float64), axis), rtol=1e-5, atol=1e-6)
    check_op("log_softmax", [x], a, lambda x: np_log_softmax(x.astype(np.float64), axis), rtol=1e-5, atol=1e-5)
    check_op("softmin", [x], a, lambda x: np_softmax(-x.astype(np.float64), axis), rtol=1e-5, atol=1e-6)


def test_softmax_stable_temperature_dtype():
    x = np.array([[1000.0, 1001.0, 999.0]], np.float32)
    check_op("softmax", [x], {}, lambda x: np_softmax(x.astype(np.float64)))
    x = R(3, 4, dtype=np.float32)
    check_op("softmax", [x], {"temperature": 2.5}, lambda x: np_softmax(x.astype(np.float64), t=2.5))
    check_op("log_softmax", [x], {"temperature": 0.5}, lambda x: np_log_softmax(x.astype(np.float64), t=0.5),
             atol=1e-5)
    out = run_op("softmax", [x], {"dtype": "float64"})[0]
    assert out.dtype == np.float64
    out = run_op("softmax", [x.astype(np.float16)], {})[0]
    assert out.dtype == np.float16


@pytest.mark.parametrize("width", [1, 7, 8, 29, 512])
def test_softmax_float32_rows_wide_spread_inf_nan(width):
    # the float32 last-axis kernel computes exp inline (core/ops/fast_mathf.h):
    # values over the whole exp range, rows with -inf entries, a NaN row, and
    # widths around its 8-wide partial sums
    x = (R(6, width, dtype=np.float64) * 60).astype(np.float32)
    x[1, 0] = -np.inf if width > 1 else 0
    x[2] = x[2] - 200  # large negatives only: all shifted exps still in range
    x[3, ::2] = 88.0
    want = np_softmax(x.astype(np.float64))
    want_log = np_log_softmax(x.astype(np.float64))
    x[5, width // 2] = np.nan
    got = run_op("softmax", [x], {})[0]
    got_log = run_op("log_softmax", [x], {})[0]
    np.testing.assert_allclose(got[:5], want[:5], rtol=2e-6, atol=1e-30)
    ok = np.isfinite(want_log[:5])
    np.testing.assert_allclose(got_log[:5][ok], want_log[:5][ok], rtol=2e-6, atol=2e-5)
    assert np.isnan(got[5]).all() and np.isnan(got_log[5]).all()
    if width > 1:
        assert got[1, 0] == 0 and got_log[1, 0] == -np.inf


def test_float16_output_by_dtype_attr_and_its_gradient():
    # dtype=float16 on a float32 kernel: the kernel writes float32 and the
    # result is converted (it used to write floats into a half-sized buffer)
    x = R(2, 4, dtype=np.float32)
    out = run_op("softmax", [x], {"dtype": "float16"})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, np_softmax(x.astype(np.float64)), rtol=2e-3, atol=2e-3)
    # log_softmax backward in float16 (its gradient op gets dtype=float16)
    xh = R(3, 5, dtype=np.float16)
    head = np.ones((3, 5))
    g = autograd_grads("log_softmax", [xh], {}, [0], head)[0]
    y = np_log_softmax(xh.astype(np.float64))
    want = 1 - np.exp(y) * 5
    assert g.dtype == np.float16
    np.testing.assert_allclose(g, want, rtol=1e-2, atol=1e-2)


def test_softmax_use_length():
    x = R(2, 5)
    length = np.array([3, 5], np.int32)
    out = run_op("softmax", [x, length], {"use_length": True})[0]
    np.testing.assert_allclose(out[0, :3], np_softmax(x[0, :3]), rtol=1e-6)
    np.testing.assert_allclose(out[0, 3:], 0)
    np.testing.assert_allclose(out[1], np_softmax(x[1]), rtol=1e-6)
    check_grad("softmax", [x, length.astype(np.float64)], {"use_length": True}, wrt=[0])


@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_grad(op):
    check_grad(op, [R(3, 4)], {})
    check_grad(op, [R(2, 3, 2)], {"axis": 1, "temperature": 2.0})


def test_softmax_grad_f32_matches():
    x = R(4, 6, dtype=np.float32)
    w = R(4, 6, dtype=np.float32)
    g = autograd_grads("softmax", [x], {}, [0], w)[0]
    y = np_softmax(x.astype(np.float64))
    ref = (w - (w * y).sum(-1, keepdims=True)) * y
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-6)


def test_softmax_errors():
    expect_error("softmax", [R(2, 3)], {"axis": 2}, contains=("softmax", "(2,3)"))
    expect_error("softmax", [R(2, 3), np.array([1.0, 2, 3])], {"use_length": True},
                 contains=("softmax", "length", "(2,)"))
    expect_error("log_softmax", [R(2, 3)], {"temperature": 0}, contains=("log_softmax",))


# ---------------------------------------------------------------- SoftmaxActivation
def softmax_activation_ref(x, mode):
    # MXNet 1.9.1: instance mode flattens the data to (all leading axes, last axis), so N-D data get a softmax
    # over the last axis (not over all non-batch axes); channel mode is a softmax over axis 1
    return np_softmax(x.astype(np.float64), axis=-1 if mode == "instance" else 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,mode", [((3, 5), "instance"), ((2, 3, 4), "instance"), ((5,), "instance"),
                                        ((2, 3, 2, 2), "instance"), ((2, 3, 4), "channel"), ((2, 3, 2, 2), "channel"),
                                        ((2, 1, 3), "channel"), ((0, 3, 2), "channel"), ((0, 4), "instance")])
def test_softmax_activation_forward(dtype, shape, mode):
    x = (R(*shape) * 3).astype(dtype)
    check_op("SoftmaxActivation", [x], {"mode": mode}, lambda x: softmax_activation_ref(x, mode), rtol=1e-5,
             atol=1e-7)


def test_softmax_activation_matches_mxnet_values():
    x = np.array([[[1.0, 2.0, 3.0], [0.0, -1.0, 4.0]]], np.float32)  # default mode=instance: rows of the last axis
    want = [[[0.09003057, 0.24472848, 0.66524094], [0.017867982, 0.006573263, 0.9755587]]]
    np.testing.assert_allclose(run_op("SoftmaxActivation", [x])[0], want, rtol=1e-6)
    xh = R(2, 3, 4, dtype=np.float16)
    out = run_op("SoftmaxActivation", [xh], {"mode": "channel"})[0]
    assert out.dtype == np.float16
    np.testing.assert_allclose(out, softmax_activation_ref(xh, "channel"), rtol=1e-2, atol=1e-3)


@pytest.mark.parametrize("mode", ["instance", "channel"])
def test_softmax_activation_grad(mode):
    check_grad("SoftmaxActivation", [R(2, 3, 4)], {"mode": mode})
    check_grad("SoftmaxActivation", [R(2, 3, 2, 2)], {"mode": mode})
    x, w = R(3, 4, 2, dtype=np.float32), R(3, 4, 2, dtype=np.float32)
    g = autograd_grads("SoftmaxActivation", [x], {"mode": mode}, [0], w)[0]
    ax = -1 if mode == "instance" else 1
    y = softmax_activation_ref(x, mode)
    np.testing.assert_allclose(g, (w - (w * y).sum(ax, keepdims=True)) * y, rtol=1e-4, atol=1e-6)


def test_softmax_activation_errors():
    expect_error("SoftmaxActivation", [R(3, 5)], {"mode": "channel"}, contains=("SoftmaxActivation", "(3,5)", "3 dim"))
    expect_error("SoftmaxActivation", [R(3, 5)], {"mode": "bogus"}, contains=("SoftmaxActivation", "mode"))
    expect_error("SoftmaxActivation", [np.ones((2, 3), np.int32)], {}, contains=("SoftmaxActivation", "floating"))
    expect_error("SoftmaxActivation", [np.float64(1.0)], {}, contains=("SoftmaxActivation",))


# ---------------------------------------------------------------- Dropout
def test_dropout_inference_identity():
    x = R(10, 10, dtype=np.float32)
    check_op("Dropout", [x], {"p": 0.5}, lambda x: x)
    g = autograd_grads("Dropout", [x], {"p": 0.5}, [0], np.ones_like(x), training=False)[0]
    np.testing.assert_allclose(g, 1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dropout_always(dtype):
    x = np.ones((200, 100), dtype)
    y = run_op("Dropout", [x], {"p": 0.3, "mode": "always"})[0]
    assert y.dtype == x.dtype
    kept = y != 0
    assert 0.65 < kept.mean() < 0.75
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    y0 = run_op("Dropout", [x], {"p": 0.0, "mode": "always"})[0]
    np.testing.assert_array_equal(y0, x)


def test_dropout_training_grad_uses_mask():
    x = R(50, 40) + 3
    w = R(50, 40)
    g = autograd_grads("Dropout", [x], {"p": 0.4}, [0], w, training=True)[0]
    # gradient is w * mask, mask in {0, 1/0.6}; same zero pattern as a forward in training is random,
    # so check structure: values are 0 or w/0.6
    ratio = g / w
    assert np.all(np.isclose(ratio, 0) | np.isclose(ratio, 1 / 0.6))
    assert 0.5 < np.isclose(ratio, 1 / 0.6).mean() < 0.7


def test_dropout_axes_shared_mask():
    x = np.ones((6, 50, 4), np.float32)
    y = run_op("Dropout", [x], {"p": 0.5, "mode": "always", "axes": (0, 2)})[0]
    # mask shared along axes 0 and 2
    assert np.all(y == y[:1, :, :1])
    assert 0 < (y[0, :, 0] != 0).mean() < 1


def test_dropout_errors():
    expect_error("Dropout", [R(2, 3)], {"p": 1.5}, contains=("Dropout", "p"))
    expect_error("Dropout", [R(2, 3)], {"axes": (3,)}, contains=("Dropout", "(2,3)"))


# ---------------------------------------------------------------- Embedding
@pytest.mark.parametrize("idx_dtype", [np.float32, np.int32, np.int64])
def test_embedding_forward(idx_dtype):
    w = R(7, 3, dtype=np.float32)
    idx = np.array([[0, 6, 2], [3, 3, 1]], idx_dtype)
    check_op("Embedding", [idx, w], {"input_dim": 7, "output_dim": 3}, lambda i, w: w[i.astype(np.int64)])
    # out-of-range indices are clipped
    check_op("Embedding", [np.array([-1, 9], idx_dtype), w], {"input_dim": 7, "output_dim": 3},
             lambda i, w: w[[0, 6]])
    check_op("Embedding", [np.zeros((0,), idx_dtype), w], {"input_dim": 7, "output_dim": 3},
             lambda i, w: np.zeros((0, 3), np.float32))


def test_embedding_grad():
    w = R(5, 4)
    idx = np.array([[1, 1], [4, 0]], np.float64)
    check_grad("Embedding", [idx, w], {"input_dim": 5, "output_dim": 4}, wrt=[1])
    hw = R(2, 2, 4)
    g = autograd_grads("Embedding", [idx, w], {"input_dim": 5, "output_dim": 4}, [1], hw)[0]
    ref = np.zeros_like(w)
    np.add.at(ref, idx.astype(int).ravel(), hw.reshape(-1, 4))
    np.testing.assert_allclose(g, ref)


def test_embedding_errors():
    expect_error("Embedding", [np.zeros(3), R(5, 4)], {"input_dim": 5, "output_dim": 3},
                 contains=("Embedding", "(5,4)", "(5,3)"))


@pytest.mark.parametrize("shape,axis", [((300, 7), 0), ((2, 21, 17, 19), 1), ((3, 5, 600), 1), ((4, 2, 3), 0)])
@pytest.mark.parametrize("op", ["softmax", "log_softmax", "softmin"])
def test_softmax_float32_inner_axis_forward_and_grad(shape, axis, op):
    # float32 over a non-last axis runs on blocks of contiguous columns (softmax_cols.h):
    # inner extents below, at and above one block (256), with temperature
    x = R(*shape, dtype=np.float32) * 4
    w = R(*shape, dtype=np.float32)
    t = 1.5
    z = x.astype(np.float64) * (-1 if op == "softmin" else 1)
    want = np_log_softmax(z, axis, t) if op == "log_softmax" else np_softmax(z, axis, t)
    check_op(op, [x], {"axis": axis, "temperature": t}, lambda _: want, rtol=1e-5, atol=2e-6)
    g = autograd_grads(op, [x], {"axis": axis, "temperature": t}, [0], w)[0]
    y = want
    s = (-1 if op == "softmin" else 1) / t
    if op == "log_softmax":
        ref = (w - np.exp(y) * w.sum(axis, keepdims=True)) * s
    else:
        ref = (w - (w * y).sum(axis, keepdims=True)) * y * s
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-6)
