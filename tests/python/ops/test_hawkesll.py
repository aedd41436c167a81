"""_contrib_hawkesll (core/ops/hawkesll.c): Hawkes process log likelihood.

Forward against a plain-numpy reference of MXNet's definition, the gradient of
loglike with respect to lda, alpha and beta against finite differences, state's
zero gradient, MXNet 1.9.1's printed values, and bad input."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, check_op, expect_error

rng = np.random.default_rng(3)


def ref(mu, alpha, beta, state, lags, marks, valid, max_time):
    """loglike (N,) and final states (N, K): sum of log intensities minus compensators."""
    N, K = mu.shape
    ll, out = np.zeros(N), np.zeros((N, K))
    for i in range(N):
        s, last, t = state[i].astype(np.float64).copy(), np.zeros(K), 0.0
        for j in range(int(valid[i])):
            k = int(marks[i, j])
            t += lags[i, j]
            e = np.exp(-beta[k] * (t - last[k]))
            ll[i] += np.log(mu[i, k] + alpha[k] * beta[k] * s[k] * e)
            ll[i] -= mu[i, k] * (t - last[k]) + alpha[k] * s[k] * (1 - e)
            s[k], last[k] = 1 + s[k] * e, t
        for k in range(K):
            e = np.exp(-beta[k] * (max_time[i] - last[k]))
            ll[i] -= mu[i, k] * (max_time[i] - last[k]) + alpha[k] * s[k] * (1 - e)
            out[i, k] = s[k] * e
    return ll, out


def case(N=3, K=2, T=5, dtype=np.float64):
    mu = rng.uniform(0.1, 1.1, (N, K))
    alpha, beta = rng.uniform(0, 0.5, K), rng.uniform(0.5, 1.5, K)
    state, lags = rng.uniform(0, 1, (N, K)), rng.uniform(0, 1, (N, T))
    marks = rng.integers(0, K, (N, T)).astype(np.int32)
    valid = np.array([T, T // 2] + [0] * (N - 2), dtype=np.float64)[:N]
    max_time = lags.sum(1) + 0.5
    f = [x.astype(dtype) for x in (mu, alpha, beta, state, lags)]
    return f + [marks, valid.astype(dtype), max_time.astype(dtype)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hawkesll_forward(dtype):
    x = case(dtype=dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-10)
    check_op("_contrib_hawkesll", x, {}, lambda *a: ref(*a)[0], out_index=0, **tol)
    check_op("_contrib_hawkesll", x, {}, lambda *a: ref(*a)[1], out_index=1, **tol)


def test_hawkesll_gradient():
    x = case()
    check_grad("_contrib_hawkesll", x, {}, wrt=[0, 1, 2], eps=1e-6, rtol=1e-5, atol=1e-7)
    (g_state,) = autograd_grads("_contrib_hawkesll", x, {}, [3], np.ones(3))
    assert not g_state.any()  # MXNet 1.9.1: no gradient for the initial state


def test_hawkesll_mxnet_values():
    mu, alpha, beta = np.array([[0.5, 0.2]]), np.array([0.3, 0.4]), np.array([1.0, 2.0])
    x = [mu, alpha, beta, np.zeros((1, 2)), np.array([[0.1, 0.3, 0.2, 0.5]]), np.array([[0, 1, 0, 1]], np.int32),
         np.array([3.0]), np.array([2.0])]
    ll = ref(*x)[0]
    np.testing.assert_allclose(ll, [-4.9502163], rtol=1e-6)  # printed by MXNet 1.9.1 (float32)
    check_op("_contrib_hawkesll", x, {}, lambda *a: ll, out_index=0)


def test_hawkesll_errors():
    x = case()
    bad = list(x)
    bad[5] = x[5].astype(np.float64)
    expect_error("_contrib_hawkesll", bad, {}, contains=("_contrib_hawkesll", "marks must be an integer"))
    bad = list(x)
    bad[5] = np.full_like(x[5], 7)
    expect_error("_contrib_hawkesll", bad, {}, contains=("_contrib_hawkesll", "outside [0, 2)"))
    bad = list(x)
    bad[6] = np.array([9.0, 0, 0])
    expect_error("_contrib_hawkesll", bad, {}, contains=("_contrib_hawkesll", "valid_length[0]"))
    bad = list(x)
    bad[1] = np.ones(3)
    expect_error("_contrib_hawkesll", bad, {}, contains=("_contrib_hawkesll", "alpha and beta"))
