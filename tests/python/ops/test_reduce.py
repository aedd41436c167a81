"""reduce family: sum/mean/prod/max/min/nansum/nanprod/norm/logsumexp/argmax/argmin/
argmax_channel and the internal _reduce_to_shape_like, forward vs numpy and gradients."""
import numpy as np
import pytest
from harness import check_grad, check_op, expect_error, run_op

rng = np.random.default_rng(0)


def np_axis(axis):
    return None if axis is None or axis == () else axis


def ref(fn, axis, keepdims=False, exclude=False):
    def f(x):
        ax = np_axis(axis)
        if exclude and ax is not None:
            keep = {a % x.ndim for a in (ax if isinstance(ax, tuple) else (ax,))}
            ax = tuple(i for i in range(x.ndim) if i not in keep)
        r = fn(x, axis=ax, keepdims=keepdims)
        r = np.asarray(r)
        return r.reshape(1) if r.ndim == 0 else r
    return f


def lse(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


OPS = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "max": np.max, "min": np.min,
       "nansum": np.nansum, "nanprod": np.nanprod, "logsumexp": lse}
CASES = [((3, 4, 5), None), ((3, 4, 5), (1,)), ((3, 4, 5), (0, 2)), ((3, 4, 5), (0,)), ((3, 4, 5), (2,)),
         ((3, 4, 5), ()), ((2, 3), (-1,)), ((7,), (0,)), ((1000, 37), (0,)), ((37, 1000), (1,))]


@pytest.mark.parametrize("name", sorted(OPS))
@pytest.mark.parametrize("shape,axis", CASES)
def test_forward(name, shape, axis):
    x = rng.uniform(0.5, 1.5, shape).astype(np.float32)
    attrs = {} if axis is None else {"axis": axis}
    check_op(name, [x], attrs, ref(OPS[name], axis), rtol=1e-4, atol=1e-5)
    check_op(name, [x], dict(attrs, keepdims=True), ref(OPS[name], axis, keepdims=True), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod"])
def test_exclude_and_dtypes(name):
    x = rng.uniform(1, 3, (2, 3, 4))
    check_op(name, [x], {"axis": (1,), "exclude": True}, ref(OPS[name], (1,), exclude=True))
    for dt in (np.float64, np.int32, np.int64, np.float16):
        xi = (x * 2).astype(dt)
        want = ref(OPS[name], (0, 2))(xi.astype(np.float64))
        got = run_op(name, [xi], {"axis": (0, 2)})[0]
        assert got.dtype == dt
        if name == "mean" and np.issubdtype(dt, np.integer):
            want = np.floor(want)
        np.testing.assert_allclose(got.astype(np.float64), want, rtol=2e-3 if dt == np.float16 else 1e-6)


def test_aliases_and_edge_cases():
    x = rng.standard_normal((3, 4)).astype(np.float32)
    check_op("sum_axis", [x], {"axis": 1}, lambda x: x.sum(1), rtol=1e-5)
    check_op("max_axis", [x], {"axis": 0}, lambda x: x.max(0))
    check_op("min_axis", [x], {"axis": 0}, lambda x: x.min(0))
    # (the harness turns 0-d arrays into shape (1,))
    check_op("sum", [np.array(2.5, np.float32)], {}, lambda x: np.array([2.5]))
    # zero-size
    z = np.zeros((0, 3), np.float32)
    check_op("sum", [z], {"axis": 0}, lambda x: np.zeros(3))
    check_op("prod", [z], {"axis": 0}, lambda x: np.ones(3))
    check_op("sum", [z], {"axis": 1}, lambda x: np.zeros(0))
    # NaN handling
    xn = np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]], np.float32)
    check_op("nansum", [xn], {"axis": 1}, lambda x: np.nansum(x, 1))
    check_op("nanprod", [xn], {"axis": 1}, lambda x: np.nanprod(x, 1))


def test_sum_large_accuracy():
    x = rng.standard_normal(1 << 21).astype(np.float32) + 1
    got = run_op("sum", [x])[0]
    np.testing.assert_allclose(got[0], x.astype(np.float64).sum(), rtol=1e-6)
    y = x.reshape(1024, -1)
    check_op("sum", [y], {"axis": 0}, lambda a: a.astype(np.float64).sum(0), rtol=1e-5, atol=1e-3)
    check_op("mean", [y], {"axis": 1}, lambda a: a.astype(np.float64).mean(1), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("ord_", [1, 2])
def test_norm(ord_):
    x = rng.standard_normal((3, 4, 2)).astype(np.float32)
    f = (lambda a, **k: np.sum(np.abs(a), **k)) if ord_ == 1 else (lambda a, **k: np.sqrt(np.sum(a * a, **k)))
    check_op("norm", [x], {"ord": ord_}, ref(f, None), rtol=1e-5)
    check_op("norm", [x], {"ord": ord_, "axis": (1,)}, ref(f, (1,)), rtol=1e-5)
    check_op("norm", [x], {"ord": ord_, "axis": (0, 2), "keepdims": True}, ref(f, (0, 2), True), rtol=1e-5)
    out = run_op("norm", [x], {"out_dtype": "float64"})[0]
    assert out.dtype == np.float64
    check_grad("norm", [x.astype(np.float64)], {"ord": ord_, "axis": (1,)})


@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax(name):
    f = getattr(np, name)
    for dt in (np.float32, np.float64, np.int32, np.int64):
        x = rng.permutation(60).reshape(3, 4, 5).astype(dt)
        for ax in (0, 1, 2, -1):
            out = check_op(name, [x], {"axis": ax}, lambda a: f(a, axis=ax))[0]
            assert out.dtype == dt  # MXNet 1.x: indices in the input's dtype
            check_op(name, [x], {"axis": ax, "keepdims": True}, lambda a: np.expand_dims(f(a, axis=ax), ax))
        check_op(name, [x], {}, lambda a: np.array([f(a)]))
    expect_error(name, [np.zeros((2, 3), np.float32)], {"axis": 2}, contains=(name, "(2,3)"))


# argmax_channel as in MXNet 1.9.1: argmax over axis 1 (removed), indices in
# the input's dtype, first occurrence on ties, NaN counts as the maximum
def test_argmax_channel():
    for shape in [(2, 3), (4, 5, 3), (2, 3, 4, 5), (1, 1), (0, 3)]:
        for dt in (np.float32, np.float64, np.int32, np.int64, np.uint8, np.float16):
            x = rng.permutation(int(np.prod(shape))).reshape(shape).astype(dt)
            out = check_op("argmax_channel", [x], {}, lambda a: np.argmax(a, axis=1).astype(dt))[0]
            assert out.dtype == dt
    ties = np.array([[1, 5, 5], [7, 2, 7], [3, 3, 3]], np.float32)
    check_op("argmax_channel", [ties], {}, lambda a: np.array([1, 0, 0], np.float32))
    nan = np.array([[np.nan, 1, 2], [1, np.nan, 0], [-np.inf, -np.inf, -np.inf]], np.float64)
    check_op("argmax_channel", [nan], {}, lambda a: np.array([0, 1, 0], np.float64))
    expect_error("argmax_channel", [np.zeros(3, np.float32)], {}, contains=("argmax_channel", "(3,)", "2 dims"))
    expect_error("argmax_channel", [np.zeros((2, 0), np.float32)], {}, contains=("argmax_channel", "empty"))


@pytest.mark.parametrize("name", ["sum", "mean", "prod", "max", "min", "nansum", "nanprod", "logsumexp"])
@pytest.mark.parametrize("axis,keepdims", [(None, False), ((1,), False), ((0, 2), True), ((1,), True)])
def test_grad(name, axis, keepdims):
    x = rng.permutation(24).reshape(2, 3, 4).astype(np.float64) / 10 + 0.5
    attrs = {"keepdims": keepdims}
    if axis is not None:
        attrs["axis"] = axis
    check_grad(name, [x], attrs)


def test_grad_exclude():
    x = rng.standard_normal((2, 3, 4))
    check_grad("sum", [x], {"axis": (1,), "exclude": True})
    check_grad("mean", [x], {"axis": (0,), "exclude": True, "keepdims": True})


def test_reduce_to_shape_like():
    g = rng.standard_normal((2, 3, 4))
    for like in [(3, 4), (1, 4), (2, 1, 4), (1,), (2, 3, 4), (3, 1)]:
        l = np.zeros(like)
        want = g
        lead = g.ndim - l.ndim
        want = want.sum(axis=tuple(range(lead))) if lead else want
        ax = tuple(i for i, d in enumerate(like) if d == 1 and want.shape[i] != 1)
        want = want.sum(axis=ax, keepdims=True) if ax else want
        check_op("_reduce_to_shape_like", [g, l], {}, lambda a, b: want.reshape(like))
    check_grad("_reduce_to_shape_like", [g, np.zeros((3, 1))], wrt=[0])
    expect_error("_reduce_to_shape_like", [g, np.zeros((5,))], {}, contains=("_reduce_to_shape_like", "(2,3,4)", "(5,)"))


def test_bad_inputs():
    x = np.zeros((2, 3), np.float32)
    expect_error("sum", [x], {"axis": 2}, contains=("sum", "(2,3)", "axis"))
    expect_error("mean", [x], {"axis": (0, 0)}, contains=("mean", "(2,3)"))
    expect_error("norm", [x], {"ord": 3}, contains=("norm", "ord"))
    expect_error("max", [x], {"keepdims": "maybe"}, contains=("max", "keepdims"))


def test_argmax_argmin_float32_rows_match_numpy():
    # float32 rows along a contiguous axis take the vector kernel (reduce.c arg_rows_f32):
    # first occurrence wins, NaN beats any number, -0.0 ties 0.0, all -inf rows give 0
    from mxcore import nd
    rs = np.random.RandomState(0)
    for t in range(200):
        n, r = rs.randint(1, 70), rs.randint(1, 5)
        a = np.round(rs.randn(r, n) * 2).astype(np.float32)
        if t % 3 == 0:
            a.ravel()[rs.randint(0, a.size, 2)] = np.nan
        if t % 5 == 0:
            a.ravel()[rs.randint(0, a.size, 2)] = -0.0
        if t % 7 == 0:
            a[:] = -np.inf
        for op, ref in (("argmax", np.argmax), ("argmin", np.argmin)):
            got = getattr(nd, op)(nd.array(a), axis=1).asnumpy()
            np.testing.assert_array_equal(got, ref(a, axis=1).astype(np.float32), err_msg="%s %r" % (op, a))
