"""mx.nd.random / mx.sym.random with array parameters (the sample_* ops),
generalized_negative_binomial and the *_like samplers, as MXNet 1.9.1
exposes them (the same function names in both namespaces)."""
import numpy as np
import pytest

import mxcore as mx

N = 50_000


def test_nd_random_array_parameters():
    mx.random.seed(3)
    g = mx.nd.random.gamma(alpha=mx.nd.array([1.0, 4.0]), beta=mx.nd.array([2.0, 0.5]), shape=N)
    assert g.shape == (2, N)
    np.testing.assert_allclose(g.asnumpy().mean(axis=1), [2.0, 2.0], rtol=0.04)
    e = mx.nd.random.exponential(scale=mx.nd.array([0.5, 3.0]), shape=N)
    np.testing.assert_allclose(e.asnumpy().mean(axis=1), [0.5, 3.0], rtol=0.04)
    p = mx.nd.random.poisson(lam=mx.nd.array([[1.0], [7.0]]), shape=N)
    assert p.shape == (2, 1, N)
    np.testing.assert_allclose(p.asnumpy().mean(axis=-1).ravel(), [1.0, 7.0], rtol=0.04)
    nb = mx.nd.random.negative_binomial(k=mx.nd.array([3.0]), p=mx.nd.array([0.4]), shape=N)
    np.testing.assert_allclose(nb.asnumpy().mean(), 3 * 0.6 / 0.4, rtol=0.04)
    gnb = mx.nd.random.generalized_negative_binomial(mu=mx.nd.array([2.0]), alpha=mx.nd.array([0.5]), shape=N)
    np.testing.assert_allclose([gnb.asnumpy().mean(), gnb.asnumpy().var()], [2.0, 4.0], rtol=0.06)
    s = mx.nd.random.generalized_negative_binomial(mu=2.0, alpha=0.5, shape=(N,))
    np.testing.assert_allclose(s.asnumpy().mean(), 2.0, rtol=0.04)
    with pytest.raises(ValueError, match="all NDArrays or all scalars"):
        mx.nd.random.gamma(alpha=mx.nd.array([1.0]), beta=2.0)


@pytest.mark.parametrize("name, params, mean", [
    ("uniform_like", {"low": 1.0, "high": 3.0}, 2.0), ("normal_like", {"loc": -1.0}, -1.0),
    ("exponential_like", {"lam": 2.0}, 0.5), ("gamma_like", {"alpha": 2.0, "beta": 1.5}, 3.0),
    ("poisson_like", {"lam": 4.0}, 4.0), ("negative_binomial_like", {"k": 2, "p": 0.25}, 6.0),
    ("generalized_negative_binomial_like", {"mu": 3.0, "alpha": 0.2}, 3.0)])
def test_like_samplers(name, params, mean):
    data = mx.nd.zeros((100, 500), dtype="float64")
    y = getattr(mx.nd.random, name)(data, **params)
    assert y.shape == data.shape and y.dtype == np.float64
    np.testing.assert_allclose(y.asnumpy().mean(), mean, rtol=0.05)
    x = mx.sym.var("x")
    z = getattr(mx.sym.random, name)(x, **params).eval(x=data)[0]
    assert z.shape == data.shape
    np.testing.assert_allclose(z.asnumpy().mean(), mean, rtol=0.05)


def test_sym_random_array_parameters():
    lam, a = mx.sym.var("lam"), mx.sym.var("a")
    out = mx.sym.Group([mx.sym.random.exponential(scale=lam, shape=(N,)),
                        mx.sym.random.gamma(alpha=a, beta=lam, shape=(N,)),
                        mx.sym.random.generalized_negative_binomial(mu=a, alpha=lam, shape=(4,))])
    e, g, n = out.eval(lam=mx.nd.array([0.5, 2.0]), a=mx.nd.array([2.0, 3.0]))
    assert e.shape == (2, N) and g.shape == (2, N) and n.shape == (2, 4)
    np.testing.assert_allclose(e.asnumpy().mean(axis=1), [0.5, 2.0], rtol=0.04)
    np.testing.assert_allclose(g.asnumpy().mean(axis=1), [1.0, 6.0], rtol=0.04)


def test_pdf_ops_in_nd_and_sym():
    x = mx.nd.array([[0.5, 1.0]])
    np.testing.assert_allclose(mx.nd.random_pdf_normal(x, mx.nd.zeros(1), mx.nd.ones(1)).asnumpy(),
                               [[0.35206532, 0.24197072]], rtol=1e-6)
    s = mx.sym.random_pdf_gamma(mx.sym.var("x"), mx.sym.var("a"), mx.sym.var("b"), is_log=True)
    got = s.eval(x=x, a=mx.nd.array([2.0]), b=mx.nd.array([3.0]))[0]
    np.testing.assert_allclose(got.asnumpy(), np.log([[1.0040858, 0.44808364]]), rtol=1e-5, atol=1e-6)


def test_sample_ops_take_degenerate_zero_parameters_like_mxnet():
    """MXNet 1.9.1: _sample_gamma with alpha or beta 0 (its test_random feeds alpha=0),
    _sample_poisson with lam 0 and _sample_negative_binomial with k 0 draw 0; the scalar
    forms still reject alpha=0 / beta=0."""
    np.testing.assert_array_equal(
        mx.nd.random.gamma(mx.nd.array([0.0, 1.0, 0.0]), mx.nd.array([1.0, 0.0, 0.0]), shape=(2,)).asnumpy(),
        np.zeros((3, 2)))
    np.testing.assert_array_equal(mx.nd.random.poisson(mx.nd.array([0.0]), shape=(3,)).asnumpy(), np.zeros((1, 3)))
    np.testing.assert_array_equal(
        mx.nd.random.negative_binomial(mx.nd.array([0.0]), mx.nd.array([0.5]), shape=(3,)).asnumpy(), np.zeros((1, 3)))
    g = mx.nd.random.gamma(mx.nd.array([2.5]), mx.nd.array([0.7]), shape=(4000,)).asnumpy()
    assert abs(g.mean() - 1.75) < 0.1
    for a, b in ((0.0, 1.0), (1.0, 0.0)):
        with pytest.raises(mx.MXNetError):
            mx.nd.random.gamma(alpha=a, beta=b, shape=(2,))
    with pytest.raises(mx.MXNetError):
        mx.nd.random.gamma(mx.nd.array([-1.0]), mx.nd.array([1.0]), shape=(2,))
