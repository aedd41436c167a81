"""random_pdf_<dist> densities and their gradients (values and gradients
printed by MXNet 1.9.1, kept in tests/data/mxnet_ref/random_pdf.json, plus
finite differences), the parameter-array samplers sample_<dist> and the
*_like samplers added with them (moments of large samples)."""
import json
import os

import numpy as np
import pytest

from harness import autograd_grads, check_grad, expect_error, run_op

# every density op, by the name the coverage check looks for
PDF_OPS = ("random_pdf_normal", "random_pdf_uniform", "random_pdf_gamma", "random_pdf_exponential",
           "random_pdf_poisson", "random_pdf_negative_binomial", "random_pdf_generalized_negative_binomial",
           "random_pdf_dirichlet")
REF = json.load(open(os.path.join(os.path.dirname(__file__), "..", "..", "data", "mxnet_ref", "random_pdf.json")))
N = 100_000


def test_reference_covers_every_density():
    assert {"random_pdf_" + k.rsplit("_", 1)[0] for k in REF} == set(PDF_OPS)


@pytest.mark.parametrize("case", sorted(REF))
def test_pdf_matches_mxnet(case):
    """density / log density and the gradients of sum(out * head) w.r.t. the
    sample and every parameter, as MXNet 1.9.1 computed them (float64)"""
    dist, is_log = case.rsplit("_", 1)
    v = REF[case]
    inputs = [np.array(v["sample"])] + [np.array(p) for p in v["params"]]
    attrs = {"is_log": bool(int(is_log))}
    out = run_op("random_pdf_" + dist, inputs, attrs)[0]
    np.testing.assert_allclose(out, v["out"], rtol=1e-7, atol=1e-12)
    head = np.linspace(0.5, 1.5, out.size).reshape(out.shape)
    grads = autograd_grads("random_pdf_" + dist, inputs, attrs, list(range(len(inputs))), head)
    for got, want in zip(grads, v["grads"]):
        # MXNet's digamma is less precise than ours (up to 5e-8 absolute on gamma's alpha)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("dist, params, sample", [
    ("normal", [[0.3, -1.0], [0.8, 1.5]], [[0.1, 0.9, -0.2], [-2.0, 0.5, 1.0]]),
    ("gamma", [[1.5, 3.0], [2.0, 0.7]], [[0.4, 1.2, 2.5], [3.0, 0.6, 5.0]]),
    ("exponential", [[0.5, 2.0]], [[0.4, 1.2, 2.5], [0.1, 0.6, 1.0]]),
    ("uniform", [[0.0, -1.0], [1.0, 2.0]], [[0.2, 0.5, 0.7], [0.0, 1.0, 1.5]]),
    ("poisson", [[1.5, 4.0]], [[0.0, 2.0, 5.0], [1.0, 3.0, 4.0]]),
    ("negative_binomial", [[2.0, 3.0], [0.4, 0.7]], [[0.0, 2.0, 5.0], [1.0, 3.0, 4.0]]),
    ("generalized_negative_binomial", [[2.0, 3.0], [0.4, 0.7]], [[0.0, 2.0, 5.0], [1.0, 3.0, 4.0]]),
])
@pytest.mark.parametrize("is_log", [False, True])
def test_pdf_gradients_by_finite_differences(dist, params, sample, is_log):
    inputs = [np.array(sample)] + [np.array(p) for p in params]
    discrete = dist in ("poisson", "negative_binomial", "generalized_negative_binomial")
    wrt = list(range(1, len(inputs))) if discrete else None  # counts have no sample gradient
    check_grad("random_pdf_" + dist, inputs, {"is_log": is_log}, wrt=wrt, eps=1e-6, rtol=1e-4, atol=1e-7)


def test_dirichlet_gradient_by_finite_differences():
    alpha = np.array([[1.5, 2.0, 0.7], [3.0, 1.2, 2.2]])
    x = np.array([[[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]], [[0.1, 0.1, 0.8], [0.3, 0.4, 0.3]]])
    for is_log in (False, True):
        check_grad("random_pdf_dirichlet", [x, alpha], {"is_log": is_log}, eps=1e-6, rtol=1e-4, atol=1e-7)


def test_pdf_support_and_scalar_draws():
    # outside the support the density is 0 (MXNet evaluates the formula: uniform gives 1 there)
    u = run_op("random_pdf_uniform", [np.array([[-1.0, 0.0, 0.5, 1.0, 2.0]]), np.array([0.0]), np.array([1.0])])[0]
    np.testing.assert_array_equal(u, [[0, 1, 1, 1, 0]])
    e = run_op("random_pdf_exponential", [np.array([[-1.0, 0.0, 0.5]]), np.array([2.0])], {"is_log": True})[0]
    np.testing.assert_allclose(e, [[-np.inf, np.log(2), np.log(2) - 1]])
    # MXNet 1.9.1: Poisson(2) at 1.5 (lgamma form) = 0.28795183; gamma (rate 3) at 0.5 = 1.0040858
    np.testing.assert_allclose(run_op("random_pdf_poisson", [np.array([[1.5]]), np.array([2.0])])[0], [[0.28795183]],
                               rtol=1e-6)
    np.testing.assert_allclose(
        run_op("random_pdf_gamma", [np.array([[0.5]]), np.array([2.0]), np.array([3.0])])[0], [[1.0040858]],
        rtol=1e-6)
    # a 1-d sample of the parameters' shape: one draw each
    assert run_op("random_pdf_normal", [np.array([0.5, 1.0]), np.zeros(2), np.ones(2)])[0].shape == (2,)
    f32 = run_op("random_pdf_normal", [np.array([[0.5, 1.0]], np.float32), np.zeros(1, np.float32),
                                       np.ones(1, np.float32)])[0]
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, [[0.35206532, 0.24197072]], rtol=1e-6)


def test_pdf_errors_name_the_shapes():
    expect_error("random_pdf_normal", [np.zeros((1, 2)), np.zeros(2), np.ones(2)],
                 contains=("random_pdf_normal", "(1,2)", "(2,)", "must start with"))
    expect_error("random_pdf_normal", [np.zeros((2, 3)), np.zeros(2), np.ones(3)],
                 contains=("random_pdf_normal", "one shape"))
    expect_error("random_pdf_dirichlet", [np.zeros((2, 4)), np.ones((2, 3))],
                 contains=("random_pdf_dirichlet", "last dimension"))


def moments(x):
    x = x.astype(np.float64)
    return x.mean(axis=-1), x.var(axis=-1)


@pytest.mark.parametrize("name, params, mean, var", [
    ("sample_exponential", [[1.0, 2.0, 5.0]], [1.0, 0.5, 0.2], [1.0, 0.25, 0.04]),
    ("sample_gamma", [[1.0, 2.0, 5.0], [0.5, 1.0, 2.0]], [0.5, 2.0, 10.0], [0.25, 2.0, 20.0]),
    ("sample_poisson", [[1.0, 2.0, 12.0]], [1.0, 2.0, 12.0], [1.0, 2.0, 12.0]),
    ("sample_negative_binomial", [[1.0, 2.0, 5.0], [0.5, 0.3, 0.9]], [1.0, 14 / 3, 5 / 9],
     [2.0, 14 / 0.9, 5 / 9 / 0.9]),
    # mean mu, variance mu + alpha mu^2
    ("sample_generalized_negative_binomial", [[1.0, 2.0, 5.0], [0.5, 1.0, 2.0]], [1.0, 2.0, 5.0],
     [1.5, 6.0, 55.0]),
])
def test_parameter_array_samplers(name, params, mean, var):
    x = run_op(name, [np.array(p, np.float32) for p in params], {"shape": (N,)})[0]
    assert x.shape == (3, N) and x.dtype == np.float32
    m, v = moments(x)
    np.testing.assert_allclose(m, mean, rtol=0.03)
    np.testing.assert_allclose(v, var, rtol=0.08)
    assert run_op(name, [np.array(p) for p in params], {"shape": (2, 2)})[0].shape == (3, 2, 2)
    assert run_op(name, [np.array(p) for p in params], {"shape": (2,), "dtype": "float64"})[0].dtype == np.float64


def test_generalized_negative_binomial_and_like_samplers():
    x = run_op("random_generalized_negative_binomial", [], {"mu": 3.0, "alpha": 0.5, "shape": (N,)})[0]
    m, v = moments(x)
    np.testing.assert_allclose([m, v], [3.0, 3.0 + 0.5 * 9], rtol=0.05)
    data = np.zeros((200, 500), np.float64)
    for name, attrs, mean in [("random_exponential_like", {"lam": 4.0}, 0.25),
                              ("_random_gamma_like", {"alpha": 2.0, "beta": 3.0}, 6.0),
                              ("random_poisson_like", {"lam": 3.0}, 3.0),
                              ("random_negative_binomial_like", {"k": 2, "p": 0.5}, 2.0),
                              ("random_generalized_negative_binomial_like", {"mu": 2.0, "alpha": 0.3}, 2.0)]:
        y = run_op(name, [data], attrs)[0]
        assert y.shape == data.shape and y.dtype == np.float64, name
        np.testing.assert_allclose(y.mean(), mean, rtol=0.05, err_msg=name)
    expect_error("sample_gamma", [np.array([1.0, -1.0]), np.array([1.0, 1.0])], {"shape": (2,)},
                 contains=("sample_gamma", "alpha and beta must be > 0"))
    expect_error("random_generalized_negative_binomial", [], {"mu": -1.0},
                 contains=("random_generalized_negative_binomial", "mu >= 0"))
