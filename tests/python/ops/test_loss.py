"""Tests for the loss family: SoftmaxOutput, softmax_cross_entropy,
LinearRegressionOutput, LogisticRegressionOutput, MAERegressionOutput."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(2)


def R(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def onehot(lab, C, axis=-1):
    o = np.eye(C)[lab.astype(int)]
    return np.moveaxis(o, -1, axis)


# ---------------------------------------------------------------- SoftmaxOutput
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_output_forward(dtype):
    x = R(4, 5, dtype=dtype)
    lab = np.array([0, 4, 2, 1], dtype)
    check_op("SoftmaxOutput", [x, lab], {}, lambda x, l: np_softmax(x.astype(np.float64)), rtol=1e-5)
    check_op("Softmax", [x, lab], {}, lambda x, l: np_softmax(x.astype(np.float64)), rtol=1e-5)
    x3 = R(2, 3, 4, dtype=dtype)
    check_op("SoftmaxOutput", [x3, np.zeros(2, dtype)], {},
             lambda x, l: np_softmax(x.reshape(2, -1).astype(np.float64)).reshape(2, 3, 4), rtol=1e-5)
    check_op("SoftmaxOutput", [x3, np.zeros((2, 4), dtype)], {"multi_output": True},
             lambda x, l: np_softmax(x.astype(np.float64), axis=1), rtol=1e-5)
    check_op("SoftmaxOutput", [x3, np.zeros((2, 3), dtype)], {"preserve_shape": True},
             lambda x, l: np_softmax(x.astype(np.float64), axis=-1), rtol=1e-5)
    check_op("SoftmaxOutput", [np.zeros((0, 3), dtype), np.zeros(0, dtype)], {}, lambda x, l: x)


def so_grad(x, lab, **kw):
    w = R(*x.shape)  # head gradient must be ignored
    return autograd_grads("SoftmaxOutput", [x, lab], kw, [0], w)[0]


def test_softmax_output_grad():
    x = R(4, 5)
    lab = np.array([0, 4, 2, 1], np.float64)
    p = np_softmax(x)
    np.testing.assert_allclose(so_grad(x, lab), p - onehot(lab, 5), rtol=1e-10)
    np.testing.assert_allclose(so_grad(x, lab, grad_scale=2.0, normalization="batch"), (p - onehot(lab, 5)) * 2 / 4,
                               rtol=1e-10)
    lab2 = np.array([0, -1, 2, -1], np.float64)
    g = so_grad(x, lab2, use_ignore=True, normalization="valid")
    ref = (p - onehot(np.maximum(lab2, 0), 5)) / 2
    ref[[1, 3]] = 0
    np.testing.assert_allclose(g, ref, rtol=1e-10, atol=1e-12)
    # label smoothing: alpha spread over the other C-1 classes
    a = 0.2
    t = onehot(lab, 5) * (1 - a) + (1 - onehot(lab, 5)) * a / 4
    np.testing.assert_allclose(so_grad(x, lab, smooth_alpha=a), p - t, rtol=1e-10)


def test_softmax_output_grad_multi_output_and_out_grad():
    x = R(2, 3, 4)
    lab = rng.integers(0, 3, (2, 4)).astype(np.float64)
    g = so_grad(x, lab, multi_output=True)
    # MXNet 1.9.1: normalization='null' still divides a multi_output gradient by the
    # positions per sample (4 here), 'batch' by batch * positions
    np.testing.assert_allclose(g, (np_softmax(x, axis=1) - onehot(lab, 3, axis=1)) / 4, rtol=1e-10, atol=1e-12)
    g = so_grad(x, lab, multi_output=True, normalization="batch")
    np.testing.assert_allclose(g, (np_softmax(x, axis=1) - onehot(lab, 3, axis=1)) / 8, rtol=1e-10, atol=1e-12)
    w = R(4, 3)
    x2, lab2 = R(4, 3), np.array([0, 1, 2, 0.0])
    g = autograd_grads("SoftmaxOutput", [x2, lab2], {"out_grad": True}, [0], w)[0]
    np.testing.assert_allclose(g, (np_softmax(x2) - onehot(lab2, 3)) * w, rtol=1e-10)


def test_softmax_output_errors():
    expect_error("SoftmaxOutput", [R(4, 5), np.zeros(3)], {}, contains=("SoftmaxOutput", "(4,5)", "(3,)"))
    expect_error("SoftmaxOutput", [R(4, 5), np.zeros(4)], {"normalization": "all"}, contains=("SoftmaxOutput",))


# ---------------------------------------------------------------- softmax_cross_entropy
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_cross_entropy(dtype):
    x = R(3, 4, dtype=dtype)
    lab = np.array([1, 0, 3], dtype)

    def ref(x, l):
        lp = np.log(np_softmax(x.astype(np.float64)))
        return np.array([-lp[np.arange(3), l.astype(int)].sum()])

    check_op("softmax_cross_entropy", [x, lab], {}, ref, rtol=1e-5)
    check_grad("softmax_cross_entropy", [x.astype(np.float64), lab.astype(np.float64)], {}, wrt=[0])


def test_softmax_cross_entropy_errors():
    expect_error("softmax_cross_entropy", [R(3, 4), np.zeros(2)], {},
                 contains=("softmax_cross_entropy", "(3,4)", "(2,)"))


# ---------------------------------------------------------------- _sparse_softmax_ce (per sample)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sparse_softmax_ce_per_sample(dtype):
    x = R(5, 4, dtype=dtype)
    lab = np.array([1, 0, 3, 7.5, -1.5], np.float32)  # out of range: floored, then clipped

    def ref(x, l):
        lp = np.log(np_softmax(x.astype(np.float64)))
        k = np.clip(np.floor(l).astype(int), 0, 3)
        return -lp[np.arange(5), k]

    check_op("_sparse_softmax_ce", [x, lab], {}, ref, rtol=1e-5)
    check_op("_sparse_softmax_ce", [x, lab.astype(np.int32)], {}, ref, rtol=1e-5)
    check_grad("_sparse_softmax_ce", [x.astype(np.float64), np.array([1, 0, 3, 2, 0], np.float64)], {}, wrt=[0])
    # a batch big enough to run on several threads
    xb, lb = R(3000, 7, dtype=dtype), rng.integers(0, 7, 3000).astype(np.float32)
    check_op("_sparse_softmax_ce", [xb, lb], {},
             lambda x, l: -np.log(np_softmax(x.astype(np.float64)))[np.arange(3000), l.astype(int)], rtol=1e-5)


def test_sparse_softmax_ce_float32_gradient():
    # float32 rows take the inline exp (core/ops/fast_mathf.h) both ways
    x = (R(64, 10, dtype=np.float64) * 30).astype(np.float32)
    lab = rng.integers(0, 10, 64).astype(np.float32)
    head = R(64, dtype=np.float64).astype(np.float32)
    g = autograd_grads("_sparse_softmax_ce", [x, lab], {}, [0], head)[0]
    want = np_softmax(x.astype(np.float64))
    want[np.arange(64), lab.astype(int)] -= 1
    np.testing.assert_allclose(g, want * head[:, None].astype(np.float64), rtol=2e-5, atol=1e-6)


def test_sparse_softmax_ce_errors():
    expect_error("_sparse_softmax_ce", [R(3, 4), np.zeros(2)], {}, contains=("_sparse_softmax_ce", "(3,4)", "(2,)"))
    expect_error("_sparse_softmax_ce", [R(3, 4, 2), np.zeros(3)], {}, contains=("_sparse_softmax_ce", "(N, C)"))
    expect_error("_sparse_softmax_ce", [R(3, 0), np.zeros(3)], {}, contains=("_sparse_softmax_ce", "no classes"))


# ---------------------------------------------------------------- MakeLoss, smooth_l1
# Values checked against MXNet 1.9.1 (same inputs, same attributes).
ML_X = np.array([[-2, 0.5, 3], [1, -0.2, 0.1]])


@pytest.mark.parametrize("attrs,scale", [({}, 1.0), ({"grad_scale": 2.0}, 2.0),
                                         ({"normalization": "batch"}, 0.5),
                                         ({"normalization": "valid", "valid_thresh": 0.3}, 1 / 3.0),
                                         ({"normalization": "valid", "valid_thresh": 9.0}, 1.0)])
def test_make_loss_forward_is_identity_and_gradient_ignores_the_head(attrs, scale):
    check_op("MakeLoss", [ML_X], attrs, lambda x: x)
    g = autograd_grads("MakeLoss", [ML_X], attrs, [0], 5 * np.ones_like(ML_X))[0]
    np.testing.assert_allclose(g, np.full(ML_X.shape, scale), rtol=1e-12)


def test_make_loss_errors():
    expect_error("MakeLoss", [ML_X], {"normalization": "mean"}, contains=("MakeLoss", "normalization", "mean"))
    expect_error("MakeLoss", [np.ones((2, 2), np.int32)], {}, contains=("MakeLoss", "int32"))


def np_smooth_l1(x, s):
    a = np.abs(x)
    return np.where(a < 1 / s ** 2, 0.5 * (s * x) ** 2, a - 0.5 / s ** 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("sigma", [1.0, 2.0, 0.5])
def test_smooth_l1(dtype, sigma):
    x = R(4, 5, dtype=dtype) * 3
    check_op("smooth_l1", [x], {"scalar": sigma}, lambda x: np_smooth_l1(x.astype(np.float64), sigma), rtol=1e-5)
    np.testing.assert_allclose(run_op("smooth_l1", [ML_X], {"scalar": 2.0})[0],
                               [[1.875, 0.375, 2.875], [0.875, 0.08, 0.02]], rtol=1e-6)
    xg = x.astype(np.float64)
    xg = np.where(np.abs(np.abs(xg) - 1 / sigma ** 2) < 1e-3, xg + 0.01, xg)  # keep off the kink
    check_grad("smooth_l1", [xg], {"scalar": sigma})


# ---------------------------------------------------------------- regression outputs
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_regression_outputs_forward(dtype):
    x, lab = R(4, 3, dtype=dtype), R(4, 3, dtype=dtype)
    check_op("LinearRegressionOutput", [x, lab], {}, lambda x, l: x)
    check_op("MAERegressionOutput", [x, lab], {}, lambda x, l: x)
    check_op("LogisticRegressionOutput", [x, lab], {}, lambda x, l: 1 / (1 + np.exp(-x.astype(np.float64))),
             rtol=1e-5)
    check_op("LinearRegressionOutput", [R(4, 1, dtype=dtype), R(4, dtype=dtype)], {}, lambda x, l: x)
    check_op("LinearRegressionOutput", [np.zeros((0, 2), dtype), np.zeros((0, 2), dtype)], {}, lambda x, l: x)


def test_regression_outputs_grad():
    x, lab = R(4, 3), R(4, 3)
    w = R(4, 3)
    g = autograd_grads("LinearRegressionOutput", [x, lab], {"grad_scale": 2.0}, [0], w)[0]
    np.testing.assert_allclose(g, (x - lab) * 2 / 3, rtol=1e-10)
    g = autograd_grads("MAERegressionOutput", [x, lab], {}, [0], w)[0]
    np.testing.assert_allclose(g, np.sign(x - lab) / 3, rtol=1e-10)
    g = autograd_grads("LogisticRegressionOutput", [x, lab], {}, [0], w)[0]
    np.testing.assert_allclose(g, (1 / (1 + np.exp(-x)) - lab) / 3, rtol=1e-10)
    g = autograd_grads("LinearRegressionOutput", [R(5, 1), np.zeros(5)], {}, [0], R(5, 1))[0]
    assert g.shape == (5, 1)


def test_regression_outputs_errors():
    for op in ("LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput"):
        expect_error(op, [R(4, 3), R(4, 2)], {}, contains=(op, "(4,3)", "(4,2)"))


# ---------------------------------------------------------------- CTCLoss
def ctc_brute(x, labels, blank):
    """-log sum over all alignments (x: (T, C) activations)."""
    import itertools
    T, C = x.shape
    lp = np.log(np_softmax(x))
    tot = 0.0
    for path in itertools.product(range(C), repeat=T):
        col = []
        prev = None
        for k in path:
            if k != prev and k != blank:
                col.append(k)
            prev = k
        if col == list(labels):
            tot += np.exp(sum(lp[t, k] for t, k in enumerate(path)))
    return -np.log(tot)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_ctc_loss_forward(dtype):
    T, N, C = 4, 3, 3
    x = R(T, N, C, dtype=dtype)
    lab = np.array([[1, 2], [1, 1], [2, 0]], dtype)  # blank first: 0 pads
    ref = [ctc_brute(x[:, n].astype(np.float64), [k for k in lab[n] if k != 0], 0) for n in range(N)]
    check_op("CTCLoss", [x, lab], {}, lambda x, l: np.array(ref), rtol=1e-4)
    check_op("ctc_loss", [x, lab], {}, lambda x, l: np.array(ref), rtol=1e-4)
    # blank last with -1 padding
    lab2 = np.array([[0, 1], [0, 0], [1, -1]], dtype)
    ref2 = [ctc_brute(x[:, n].astype(np.float64), [k for k in lab2[n] if k != -1], 2) for n in range(N)]
    check_op("_contrib_CTCLoss", [x, lab2], {"blank_label": "last"}, lambda x, l: np.array(ref2), rtol=1e-4)


def test_ctc_loss_lengths():
    T, N, C = 4, 2, 3
    x = R(T, N, C)
    lab = np.array([[1, 2, 2], [2, 1, 1]], np.float64)
    dl = np.array([3, 4], np.float64)
    ll = np.array([2, 1], np.float64)
    ref = [ctc_brute(x[:3, 0], [1, 2], 0), ctc_brute(x[:, 1], [2], 0)]
    check_op("CTCLoss", [x, lab, dl, ll], {"use_data_lengths": True, "use_label_lengths": True},
             lambda *a: np.array(ref), rtol=1e-6)
    check_op("CTCLoss", [x, lab, ll], {"use_label_lengths": True},
             lambda *a: np.array([ctc_brute(x[:, 0], [1, 2], 0), ref[1]]), rtol=1e-6)
    check_grad("CTCLoss", [x, lab, dl, ll], {"use_data_lengths": True, "use_label_lengths": True}, wrt=[0],
               eps=1e-6, rtol=1e-4, atol=1e-6)


def test_ctc_loss_grad():
    x = R(5, 2, 4)
    lab = np.array([[1, 3, 3], [2, 0, 0]], np.float64)
    check_grad("CTCLoss", [x, lab], {}, wrt=[0], eps=1e-6, rtol=1e-4, atol=1e-6)


def test_ctc_loss_errors():
    expect_error("CTCLoss", [R(4, 3, 5), np.ones((2, 2))], {}, contains=("CTCLoss", "(4,3,5)", "(2,2)"))
    expect_error("CTCLoss", [R(4, 2, 3), np.full((2, 2), 7.0)], {}, contains=("CTCLoss", "out of range"))


def test_ctc_loss_label_equal_to_blank():
    # A label equal to the blank index inside label_lengths is a label, not an error, and it
    # never takes a skip transition; values printed by MXNet 1.9.1 (blank_label='last').
    x = np.random.RandomState(0).randn(6, 2, 4).astype(np.float32)
    lab = np.array([[3, 1, 3, 0], [0, 3, 2, 3]], np.float32)
    ll = np.array([3, 2], np.float32)
    attrs = {"use_label_lengths": True, "blank_label": "last"}
    check_op("CTCLoss", [x, lab, ll], attrs, lambda *a: np.array([4.4136147, 6.1651011]), rtol=1e-5)
    g = autograd_grads("CTCLoss", [x, lab, ll], attrs, wrt=[0], head_weights=np.ones(2))[0]
    ref0 = [[0.300968, 0.076946, 0.137234, -0.179214], [0.114955, -0.136032, 0.147201, -0.118388],
            [0.630782, -1.659918, 0.19363, -0.159238], [0.821013, -0.418821, 0.088814, -0.81745],
            [0.169724, -0.007184, 0.29121, -0.517826], [0.044884, 0.030957, 0.023251, -0.099092]]
    np.testing.assert_allclose(g[:, 0, :], ref0, atol=2e-5)
