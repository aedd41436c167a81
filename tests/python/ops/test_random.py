"""random family: moments of large samples, bounds, dtypes, determinism under
mx_random_seed, parameter errors."""
import numpy as np
import pytest

from harness import expect_error, lib, manifest, run_op

N = 200_000


def draw(name, attrs, inputs=()):
    return run_op(name, list(inputs), attrs)[0]


def seeded(name, attrs, inputs=(), seed=42):
    lib.mx_random_seed(seed)
    return draw(name, attrs, inputs)


def moments(x):
    x = x.astype(np.float64)
    return x.mean(), x.var()


def close(got, want, tol):
    assert abs(got - want) <= tol, f"{got} vs {want}"


@pytest.mark.parametrize("name", ["random_uniform", "uniform", "_random_uniform"])
def test_uniform(name):
    x = draw(name, {"low": -2, "high": 3, "shape": (N,)})
    assert x.dtype == np.float32 and x.shape == (N,)
    assert x.min() >= -2 and x.max() < 3
    m, v = moments(x)
    close(m, 0.5, 0.03)
    close(v, 25 / 12, 0.05)
    # no shape draws one sample with shape (1,), as MXNet's legacy ops
    assert draw(name, {}).shape == (1,)
    y = draw(name, {"shape": (3, 4), "dtype": "float64"})
    assert y.dtype == np.float64 and y.shape == (3, 4) and np.all((y >= 0) & (y < 1))
    y = draw(name, {"shape": (2, 0)})
    assert y.shape == (2, 0)
    y = draw(name, {"shape": (5,), "dtype": "float16", "ctx": "cpu(0)"})
    assert y.dtype == np.float16


@pytest.mark.parametrize("name", ["random_normal", "normal", "_random_normal"])
def test_normal(name):
    x = draw(name, {"loc": 1.5, "scale": 2.0, "shape": (N,)})
    m, v = moments(x)
    close(m, 1.5, 0.03)
    close(v, 4.0, 0.08)
    y = draw(name, {"shape": (100, 10), "dtype": "float64"})
    assert y.dtype == np.float64 and y.shape == (100, 10)


@pytest.mark.parametrize("name", ["random_randint", "randint", "_random_randint"])
def test_randint(name):
    x = draw(name, {"low": -3, "high": 5, "shape": (N,)})
    assert x.dtype == np.int32
    assert x.min() == -3 and x.max() == 4
    counts = np.bincount(x + 3)
    assert np.all(np.abs(counts / N - 1 / 8) < 0.01)
    y = draw(name, {"low": 0, "high": 2**40, "shape": (1000,), "dtype": "int64"})
    assert y.dtype == np.int64 and y.min() >= 0 and y.max() < 2**40 and y.max() > 2**32


@pytest.mark.parametrize("name", ["random_exponential", "exponential", "_random_exponential"])
def test_exponential(name):
    x = draw(name, {"lam": 4.0, "shape": (N,)})
    assert x.min() > 0
    m, v = moments(x)
    close(m, 0.25, 0.01)
    close(v, 1 / 16, 0.005)


@pytest.mark.parametrize("name", ["random_gamma", "_random_gamma"])
@pytest.mark.parametrize("alpha,beta", [(0.5, 2.0), (3.0, 0.5), (9.0, 1.0)])
def test_gamma(name, alpha, beta):
    x = draw(name, {"alpha": alpha, "beta": beta, "shape": (N,)})
    assert x.min() >= 0
    m, v = moments(x)
    close(m, alpha * beta, 0.03 * alpha * beta + 0.01)
    close(v, alpha * beta**2, 0.06 * alpha * beta**2 + 0.01)


@pytest.mark.parametrize("name", ["random_poisson", "poisson", "_random_poisson"])
@pytest.mark.parametrize("lam", [0.5, 4.0, 30.0, 500.0])
def test_poisson(name, lam):
    x = draw(name, {"lam": lam, "shape": (N,)})
    assert x.dtype == np.float32 and np.all(x == np.round(x)) and x.min() >= 0
    m, v = moments(x)
    close(m, lam, 0.02 * lam + 0.01)
    close(v, lam, 0.05 * lam + 0.01)


@pytest.mark.parametrize("name", ["random_negative_binomial", "negative_binomial", "_random_negative_binomial"])
def test_negative_binomial(name):
    k, p = 5, 0.4
    x = draw(name, {"k": k, "p": p, "shape": (N,)})
    m, v = moments(x)
    close(m, k * (1 - p) / p, 0.1)
    close(v, k * (1 - p) / p**2, 0.6)


@pytest.mark.parametrize("name", ["random_bernoulli", "bernoulli", "_random_bernoulli"])
def test_bernoulli(name):
    x = draw(name, {"prob": 0.3, "shape": (N,)})
    assert set(np.unique(x)) <= {0.0, 1.0}
    close(x.mean(), 0.3, 0.01)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, np.int32])
def test_like_ops(dtype):
    data = np.zeros((400, 500), dtype)
    for name in ["random_uniform_like", "_random_uniform_like", "uniform_like"]:
        x = draw(name, {"low": 1, "high": 2}, [data])
        assert x.dtype == dtype and x.shape == data.shape
        if np.issubdtype(dtype, np.floating):
            assert x.min() >= 1 and x.max() <= 2
            close(x.astype(np.float64).mean(), 1.5, 0.01)
    for name in ["random_normal_like", "_random_normal_like", "normal_like"]:
        x = draw(name, {"loc": -1, "scale": 0.5}, [data])
        assert x.dtype == dtype and x.shape == data.shape
        if np.issubdtype(dtype, np.floating):
            m, v = moments(x)
            close(m, -1, 0.01)
            close(v, 0.25, 0.01 if dtype != np.float16 else 0.02)
    assert draw("random_uniform_like", {}, [np.zeros((0, 3), dtype)]).shape == (0, 3)


@pytest.mark.parametrize("name", ["sample_uniform", "_sample_uniform"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sample_uniform(name, dtype):
    low = np.array([[0, 10], [-5, 100]], dtype)
    high = np.array([[1, 20], [-4, 200]], dtype)
    x = draw(name, {"shape": (20000,)}, [low, high])
    assert x.shape == (2, 2, 20000) and x.dtype == dtype
    assert np.all(x >= low[..., None]) and np.all(x < high[..., None])
    np.testing.assert_allclose(x.mean(axis=-1), (low + high) / 2, rtol=0.02, atol=0.02)
    y = draw(name, {}, [low, high])
    assert y.shape == (2, 2)
    y = draw(name, {"shape": (3, 2), "dtype": "float64"}, [low[0], high[0]])
    assert y.shape == (2, 3, 2) and y.dtype == np.float64


@pytest.mark.parametrize("name", ["sample_normal", "_sample_normal"])
def test_sample_normal(name):
    mu = np.array([0.0, 5.0, -3.0], np.float32)
    sigma = np.array([1.0, 0.1, 3.0], np.float32)
    x = draw(name, {"shape": (50000,)}, [mu, sigma])
    assert x.shape == (3, 50000)
    np.testing.assert_allclose(x.mean(axis=1), mu, atol=0.05)
    np.testing.assert_allclose(x.std(axis=1), sigma, rtol=0.03)


def test_sample_errors():
    expect_error("sample_uniform", [np.zeros(3, np.float32), np.ones(4, np.float32)], {},
                 contains=("sample_uniform", "(3,)", "(4,)"))
    expect_error("sample_normal", [np.zeros(2, np.float32), -np.ones(2, np.float32)], {},
                 contains=("sample_normal", "scale"))


@pytest.mark.parametrize("name", ["shuffle", "_shuffle"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64, np.uint8, np.float16, np.bool_])
def test_shuffle(name, dtype):
    data = (np.arange(1000 * 3).reshape(1000, 3) % 256).astype(dtype)
    out = draw(name, {}, [data])
    assert out.dtype == dtype and out.shape == data.shape
    rows_in = sorted(map(tuple, data.tolist()))
    assert sorted(map(tuple, out.tolist())) == rows_in
    if dtype != np.bool_:
        assert not np.array_equal(out, data)
    x = np.arange(10, dtype=np.float32)
    o = draw(name, {}, [x])
    assert sorted(o.tolist()) == x.tolist()
    assert draw(name, {}, [np.zeros((0, 2), dtype)]).shape == (0, 2)
    assert draw(name, {}, [np.ones((1, 4), dtype)]).shape == (1, 4)


@pytest.mark.parametrize("name", ["sample_multinomial", "multinomial", "_sample_multinomial"])
def test_multinomial(name):
    p = np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0]], np.float32)
    x = draw(name, {"shape": (50000,)}, [p])
    assert x.shape == (2, 50000) and x.dtype == np.int32
    for r in range(2):
        freq = np.bincount(x[r], minlength=3) / 50000
        np.testing.assert_allclose(freq, p[r], atol=0.01)
    assert np.all(x[1] != 2)
    # 1-D data without shape gives (1,), 2-D data without shape gives (batch,)
    assert draw(name, {}, [p[0]]).shape == (1,)
    assert draw(name, {}, [p]).shape == (2,)
    assert draw(name, {"shape": (2, 3)}, [p[0]]).shape == (2, 3)
    outs = run_op(name, [p], {"shape": (4,), "get_prob": True, "dtype": "int64"})
    assert len(outs) == 2 and outs[0].dtype == np.int64 and outs[1].dtype == np.float32
    np.testing.assert_allclose(outs[1], np.log(p[np.arange(2)[:, None], outs[0]]), rtol=1e-6)
    expect_error(name, [np.ones((2, 0), np.float32)], {"shape": (3,)}, contains=("sample_multinomial", "(2,0)"))


ALL_RANDOM = [
    ("random_uniform", {"shape": (1000,)}, []),
    ("random_normal", {"shape": (1000,)}, []),
    ("random_randint", {"low": 0, "high": 100, "shape": (1000,)}, []),
    ("random_exponential", {"shape": (1000,)}, []),
    ("random_gamma", {"alpha": 0.7, "shape": (1000,)}, []),
    ("random_poisson", {"lam": 20, "shape": (1000,)}, []),
    ("random_negative_binomial", {"k": 3, "p": 0.5, "shape": (1000,)}, []),
    ("random_bernoulli", {"shape": (1000,)}, []),
    ("random_uniform_like", {}, [np.zeros((40, 25), np.float32)]),
    ("random_normal_like", {}, [np.zeros((40, 25), np.float32)]),
    ("sample_uniform", {"shape": (100,)}, [np.zeros(10, np.float32), np.ones(10, np.float32)]),
    ("sample_normal", {"shape": (100,)}, [np.zeros(10, np.float32), np.ones(10, np.float32)]),
    ("shuffle", {}, [np.arange(1000, dtype=np.float32)]),
    ("sample_multinomial", {"shape": (1000,)}, [np.array([0.2, 0.3, 0.5], np.float32)]),
]


@pytest.mark.parametrize("name,attrs,inputs", ALL_RANDOM)
def test_determinism(name, attrs, inputs):
    a = seeded(name, attrs, inputs, seed=7)
    a2 = draw(name, attrs, inputs)  # next call in the sequence differs
    b = seeded(name, attrs, inputs, seed=7)
    c = seeded(name, attrs, inputs, seed=8)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, a2)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize("name,attrs,inputs", ALL_RANDOM)
def test_thread_count_independence(name, attrs, inputs):
    n = __import__("harness").ffi.new("int *")
    lib.mx_get_num_threads(n)
    try:
        big = dict(attrs)
        if "shape" in big:
            big["shape"] = (100_000,) if name != "sample_uniform" and name != "sample_normal" else (10_000,)
        lib.mx_set_num_threads(1)
        a = seeded(name, big, inputs, seed=3)
        lib.mx_set_num_threads(4)
        b = seeded(name, big, inputs, seed=3)
        np.testing.assert_array_equal(a, b)
    finally:
        lib.mx_set_num_threads(n[0])


def test_flags_in_manifest():
    ops = {op["name"]: op for op in manifest()["ops"]}
    for name, _, _ in ALL_RANDOM:
        assert name in ops


def test_random_param_errors():
    expect_error("random_uniform", [], {"low": 2, "high": 1, "shape": (3,)}, contains=("random_uniform", "low"))
    expect_error("random_normal", [], {"scale": -1, "shape": (3,)}, contains=("random_normal", "scale"))
    expect_error("random_randint", [], {"low": 5, "high": 5, "shape": (3,)}, contains=("random_randint",))
    expect_error("random_randint", [], {"shape": (3,)}, contains=("random_randint", "low"))
    expect_error("random_exponential", [], {"lam": 0}, contains=("random_exponential", "lam"))
    expect_error("random_gamma", [], {"alpha": -1}, contains=("random_gamma", "alpha"))
    expect_error("random_poisson", [], {"lam": -2}, contains=("random_poisson", "lam"))
    expect_error("random_bernoulli", [], {"prob": 1.5}, contains=("random_bernoulli", "prob"))
    expect_error("random_uniform", [], {"shape": (2, -3)}, contains=("random_uniform", "shape"))
    expect_error("random_uniform", [np.zeros(3)], {"shape": (3,)}, contains=("random_uniform",))
    expect_error("random_uniform", [], {"shape": (3,), "dtype": "int32x"}, contains=("random_uniform", "dtype"))


@pytest.mark.parametrize("name", ["random_generalized_negative_binomial", "_random_generalized_negative_binomial"])
def test_generalized_negative_binomial(name):
    # mean mu, variance mu + alpha mu^2 (alpha 0: Poisson)
    m, v = moments(draw(name, {"mu": 2, "alpha": 0.5, "shape": (N,)}))
    close(m, 2.0, 0.03)
    close(v, 4.0, 0.1)
    m, v = moments(draw(name, {"mu": 3, "alpha": 0, "shape": (N,)}))
    close(m, 3.0, 0.03)
    close(v, 3.0, 0.1)
    expect_error(name, [], {"mu": -1, "alpha": 1}, contains=("generalized_negative_binomial", "mu"))


LIKE_CASES = [("random_exponential_like", {"lam": 2}, 0.5, 0.25), ("random_gamma_like", {"alpha": 2, "beta": 3}, 6, 18),
              ("random_poisson_like", {"lam": 4}, 4, 4),
              ("random_negative_binomial_like", {"k": 3, "p": 0.4}, 4.5, 11.25),
              ("random_generalized_negative_binomial_like", {"mu": 2, "alpha": 0.5}, 2, 4)]


@pytest.mark.parametrize("name,attrs,mean,var", LIKE_CASES)
def test_more_like_ops(name, attrs, mean, var):
    x = draw(name, attrs, [np.zeros((N,), np.float64)])
    assert x.dtype == np.float64 and x.shape == (N,)
    m, v = moments(x)
    close(m, mean, 0.03 * max(1, mean))
    close(v, var, 0.05 * var)


SAMPLE_CASES = [("sample_exponential", [[0.5, 2.0]], [2.0, 0.5], [4.0, 0.25]),
                ("sample_gamma", [[2.0, 1.0], [3.0, 1.0]], [6.0, 1.0], [18.0, 1.0]),
                ("sample_poisson", [[4.0, 20.0]], [4.0, 20.0], [4.0, 20.0]),
                ("sample_negative_binomial", [[3.0, 1.0], [0.4, 0.5]], [4.5, 1.0], [11.25, 2.0]),
                ("sample_generalized_negative_binomial", [[2.0, 1.0], [0.5, 0.0]], [2.0, 1.0], [4.0, 1.0])]


@pytest.mark.parametrize("name,params,mean,var", SAMPLE_CASES)
def test_more_sample_ops(name, params, mean, var):
    x = draw(name, {"shape": (N // 2,)}, [np.array(p, np.float32) for p in params])
    assert x.shape == (2, N // 2) and x.dtype == np.float32
    for row, m0, v0 in zip(x, mean, var):
        m, v = moments(row)
        close(m, m0, 0.04 * max(1, m0))
        close(v, v0, 0.06 * v0)
