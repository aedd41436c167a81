"""NDArray details vs MXNet 1.9.1 (expected values printed by MXNet 1.9.1)."""
import numpy as np

from mxcore import nd


def _a(dt):
    return nd.array([7, -7, 100, 3], dtype=dt)


def test_array_wraps_out_of_range_ints_as_mxnet():
    # MXNet (numpy 1.x underneath) wraps; numpy 2 alone would raise OverflowError
    assert _a('uint8').asnumpy().tolist() == [7, 249, 100, 3]
    assert nd.array([300, -129], dtype='int8').asnumpy().tolist() == [44, 127]


def test_scalar_operand_takes_the_arrays_dtype_first():
    for dt, minus in (('uint8', [7, 249, 100, 3]), ('int8', [7, -7, 100, 3])):
        a = _a(dt)
        assert (a * 0.5).asnumpy().tolist() == [0, 0, 0, 0]
        assert (a - 0.6).asnumpy().tolist() == minus
        assert (1.5 * a).asnumpy().tolist() == minus
        assert (a == 3.2).asnumpy().tolist() == [0, 0, 0, 1]
        assert (a ** 0.5).asnumpy().tolist() == [1, 1, 1, 1]
        assert (a % 2.5).asnumpy().tolist() == [1, 1, 0, 1]
    assert (_a('int8') + 1.7).asnumpy().tolist() == [8, -6, 101, 4]
    assert (7.9 - _a('uint8')).asnumpy().tolist() == [0, 14, 163, 4]
    assert (2.5 ** _a('int8')).asnumpy().tolist() == [-128, 0, 0, 8]
    # int32 already did (native kernel): same numbers
    assert (_a('int32') + 1.7).asnumpy().tolist() == [8, -6, 101, 4]


def test_float16_scalar_is_rounded_to_half_first():
    r = (7.9 - _a('float16')).asnumpy().tolist()
    assert r == [0.8984375, 14.8984375, -92.125, 4.8984375]
    np.testing.assert_array_equal((_a('float16') + 1.7).asnumpy(),
                                  np.array([8.703125, -5.30078125, 101.6875, 4.69921875], np.float16))


def test_contrib_allclose_and_nan_checks():
    a = nd.contrib.allclose(nd.ones(3), nd.ones(3))
    assert a.shape == () and a.dtype == np.uint8 and a.asscalar() == 1
    assert nd.contrib.allclose(nd.array([1]), nd.array([1.00002])).asscalar() == 0
    # MXNet's nd.contrib.isnan/isfinite/isinf keep the input dtype
    r = nd.contrib.isnan(nd.array([1, 2], dtype='int32'))
    assert r.dtype == np.int32 and r.asnumpy().tolist() == [0, 0]
    r = nd.contrib.isfinite(nd.array([1, np.nan, -np.inf], dtype='float64'))
    assert r.dtype == np.float64 and r.asnumpy().tolist() == [1, 0, 0]
    r = nd.contrib.isinf(nd.array([1, -np.inf], dtype='float16'))
    assert r.dtype == np.float16 and r.asnumpy().tolist() == [0, 1]


def test_random_functions_mxnet_has():
    # shapes and dtypes as MXNet 1.9.1 gives them (values are another stream)
    R = nd.random
    assert R.generalized_negative_binomial(nd.array([1, 2]), nd.array([0.5, 0.5]), shape=3).shape == (2, 3)
    assert R.poisson(nd.array([1, 2]), shape=(3, 2)).shape == (2, 3, 2)
    assert R.gamma(nd.array([1, 2]), nd.array([1, 1])).shape == (2,)
    assert R.exponential(nd.array([1, 2]), shape=4).shape == (2, 4)
    assert R.negative_binomial(nd.array([2, 3]), nd.array([0.5, 0.4]), shape=(2,)).shape == (2, 2)
    x = R.exponential_like(nd.zeros((2, 3), dtype='float64'), lam=2)
    assert x.dtype == np.float64 and x.shape == (2, 3)
    assert R.negative_binomial_like(nd.zeros((2, 3)), k=2, p=0.5).dtype == np.float32
    for f in (R.uniform_like, R.normal_like, R.gamma_like, R.poisson_like, R.generalized_negative_binomial_like):
        assert f(nd.zeros((4, 5))).shape == (4, 5)
    a = R.generalized_negative_binomial(2, 0.5, shape=(300, 300)).asnumpy()
    assert abs(a.mean() - 2.0) < 0.05 and abs(a.std() - 2.0) < 0.05
    b = R.bernoulli(0.3, shape=(1000,)).asnumpy()
    assert set(np.unique(b)) <= {0.0, 1.0}


def test_histogram_count_dtypes():
    x = nd.array([1, 2, 2, 3, 9])
    c, e = nd.histogram(x, bins=4)   # no range: MXNet wraps numpy's answer, float32 counts
    assert c.dtype == np.float32 and c.asnumpy().tolist() == [3, 1, 0, 1]
    assert e.asnumpy().tolist() == [1, 3, 5, 7, 9]
    c, e = nd.histogram(x, bins=4, range=(0, 10))
    assert c.dtype == np.int64 and c.asnumpy().tolist() == [3, 1, 0, 1]
    c, _ = nd.histogram(x, bins=nd.array([0, 2, 5, 10]))
    assert c.dtype == np.int64 and c.asnumpy().tolist() == [1, 3, 1]


def test_slice_assign_methods():
    a = nd.zeros((3, 4))
    assert a.slice_assign(nd.ones((2, 2)), (0, 1), (2, 3), (None, None)) is a
    assert a.asnumpy().tolist() == [[0, 1, 1, 0], [0, 1, 1, 0], [0, 0, 0, 0]]
    b = nd.zeros((3, 4))
    assert b.slice_assign_scalar(5, (1, 0), (3, 4), (1, 2)) is b
    assert b.asnumpy().tolist() == [[0, 0, 0, 0], [5, 0, 5, 0], [5, 0, 5, 0]]


def test_rand_zipfian():
    s, et, es = nd.contrib.rand_zipfian(nd.array([3, 7, 0]), 20000, 50)
    assert s.shape == (20000,) and s.dtype == np.int64 and et.dtype == np.float64 and es.dtype == np.float64
    np.testing.assert_allclose(et.asnumpy(), [1135.063, 599.126, 3525.829], atol=2e-3)   # MXNet 1.9.1
    a = s.asnumpy()
    assert a.min() >= 0 and a.max() < 50
    assert abs((a < 10).mean() - np.log(11) / np.log(51)) < 0.02
    np.testing.assert_allclose(es.asnumpy(), np.log((a + 2.0) / (a + 1.0)) / np.log(51) * 20000)
