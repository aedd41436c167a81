import numpy as np
import pytest

import mxcore as mx
from mxcore.base import MXNetError


def A(x, dtype=np.float32):
    return np.array(x, dtype=dtype)


def test_array_dtypes_and_props():
    a = mx.nd.array(np.arange(6.0).reshape(2, 3))
    assert a.dtype == np.float32 and a.shape == (2, 3) and a.size == 6 and a.ndim == 2
    assert a.stype == "default" and a.context == mx.cpu()
    assert mx.nd.array([1, 2], dtype="int64").dtype == np.int64
    assert mx.nd.array(np.arange(3, dtype=np.float64), dtype=np.float64).dtype == np.float64
    for dt in ["float32", "float64", "float16", "uint8", "int8", "int32", "int64"]:
        x = mx.nd.array([1, 2, 3], dtype=dt)
        assert x.dtype == np.dtype(dt)
        np.testing.assert_array_equal(x.asnumpy(), np.array([1, 2, 3], dtype=dt))


def test_creation():
    np.testing.assert_array_equal(mx.nd.zeros((2, 3)).asnumpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(mx.nd.ones(4, dtype="int32").asnumpy(), np.ones(4, np.int32))
    np.testing.assert_array_equal(mx.nd.full((2, 2), 7).asnumpy(), np.full((2, 2), 7, np.float32))
    np.testing.assert_allclose(mx.nd.arange(0, 5, 0.5).asnumpy(), np.arange(0, 5, 0.5, dtype=np.float32))
    np.testing.assert_array_equal(mx.nd.eye(3, k=1).asnumpy(), np.eye(3, k=1, dtype=np.float32))
    np.testing.assert_allclose(mx.nd.linspace(0, 1, 5).asnumpy(), np.linspace(0, 1, 5).astype(np.float32))
    assert mx.nd.empty((0, 3)).shape == (0, 3)


def test_repr_matches_mxnet():
    a = mx.nd.array([[1, 2], [3, 4]])
    assert repr(a) == "\n[[1. 2.]\n [3. 4.]]\n<NDArray 2x2 @cpu(0)>"


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "%", "==", "!=", ">", ">=", "<", "<="])
def test_operators_vs_numpy(op):
    rng = np.random.RandomState(0)
    x = rng.uniform(1, 2, (3, 4)).astype(np.float32)
    y = rng.uniform(1, 2, (3, 4)).astype(np.float32)
    yb = rng.uniform(1, 2, (1, 4)).astype(np.float32)
    a, b, bb = mx.nd.array(x), mx.nd.array(y), mx.nd.array(yb)
    f = eval(f"lambda p, q: p {op} q")
    for got, want in [(f(a, b), f(x, y)), (f(a, bb), f(x, yb)), (f(a, 1.5), f(x, np.float32(1.5))),
                      (f(2.0, a) if op not in ("==", "!=", ">", ">=", "<", "<=") else f(a, 2.0),
                       f(np.float32(2.0), x) if op not in ("==", "!=", ">", ">=", "<", "<=") else f(x, np.float32(2)))]:
        assert got.dtype == np.float32
        np.testing.assert_allclose(got.asnumpy(), np.asarray(want, dtype=np.float32), rtol=1e-5, atol=1e-6)


def test_inplace_and_unary():
    a = mx.nd.array([1, 2, 3])
    h = a.handle
    a += 1
    a *= mx.nd.array([2, 2, 2])
    a -= 1
    a /= 2
    assert a.handle == h
    np.testing.assert_allclose(a.asnumpy(), [1.5, 2.5, 3.5])
    np.testing.assert_allclose((-a).asnumpy(), [-1.5, -2.5, -3.5])
    np.testing.assert_allclose(abs(-a).asnumpy(), [1.5, 2.5, 3.5])


def test_getitem_basic_and_views():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    a = mx.nd.array(x)
    keys = [0, -1, (1, 2), (0, 1, 3), slice(0, 1), (slice(None), 1), (Ellipsis, 2), (0, slice(None, None, 2)),
            (slice(None), slice(1, 3), slice(None, None, -1)), (None, 0), (1, None, slice(1, 2)), (slice(5, 1),)]
    for k in keys:
        want = x[k]
        if want.ndim == 0:
            want = want.reshape(1)
        got = a[k]
        assert got.shape == want.shape, k
        np.testing.assert_array_equal(got.asnumpy(), want)
    v = a[1]
    v[:] = 0  # basic slices are views
    assert a.asnumpy()[1].sum() == 0
    with pytest.raises(IndexError):
        a[5]


def test_getitem_advanced():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = mx.nd.array(x)
    np.testing.assert_array_equal(a[mx.nd.array([2, 0], dtype="int64")].asnumpy(), x[[2, 0]])
    np.testing.assert_array_equal(a[[0, 2], [1, 3]].asnumpy(), x[[0, 2], [1, 3]])
    np.testing.assert_array_equal(a[x > 5].asnumpy(), x[x > 5])
    np.testing.assert_array_equal(a[:, [3, 1]].asnumpy(), x[:, [3, 1]])


def test_setitem():
    x = np.zeros((3, 4), np.float32)
    a = mx.nd.zeros((3, 4))
    for k, v in [(0, 1.0), ((1, slice(1, 3)), 2.0), ((slice(None), 3), np.array([5, 6, 7])), (2, mx.nd.ones(4) * 9),
                 ((slice(None, None, 2), slice(None)), 4.0), ([0, 2], 3.0), (x > 3, -1.0)]:
        a[k] = v
        x[k] = v.asnumpy() if isinstance(v, mx.nd.NDArray) else v
        np.testing.assert_array_equal(a.asnumpy(), x, err_msg=str(k))
    a[:] = 0
    assert a.asnumpy().sum() == 0


def test_reshape_codes():
    a = mx.nd.zeros((2, 3, 4))
    assert a.reshape((6, 4)).shape == (6, 4)
    assert a.reshape(-1).shape == (24,)
    assert a.reshape((0, -1)).shape == (2, 12)
    assert a.reshape((-2,)).shape == (2, 3, 4)
    assert a.reshape((-3, 4)).shape == (6, 4)
    assert a.reshape((-4, 1, 2, -2)).shape == (1, 2, 3, 4)
    assert a.reshape((-1, 0), reverse=True).shape == (6, 4)
    assert a.reshape(4, 6).shape == (4, 6)
    b = mx.nd.zeros((2, 3))
    r = b.reshape(3, 2)
    r[:] = 1  # view
    assert b.asnumpy().sum() == 6
    with pytest.raises(MXNetError):
        a.reshape((5, 5))


def test_conversion_and_misc():
    a = mx.nd.array([[1.5, 2], [3, 4]])
    assert a.astype("int32").dtype == np.int32
    c = a.copy()
    c[:] = 0
    assert a.asnumpy().sum() == 10.5
    assert mx.nd.array([3]).asscalar() == 3
    assert len(a) == 2 and [r.shape for r in a] == [(2,), (2,)]
    assert bool(mx.nd.array([1])) and not bool(mx.nd.array([0]))
    with pytest.raises(ValueError):
        bool(a)
    np.testing.assert_array_equal(np.asarray(a), a.asnumpy())
    b = mx.nd.zeros((2, 2))
    a.copyto(b)
    np.testing.assert_array_equal(b.asnumpy(), a.asnumpy())
    np.testing.assert_array_equal(a.T.asnumpy(), a.asnumpy().T)
    assert a.as_in_context(mx.cpu()) is a


def test_generated_ops_and_fluent():
    x = np.random.RandomState(1).uniform(-1, 1, (3, 4)).astype(np.float32)
    a = mx.nd.array(x)
    s = a.sum()
    assert s.shape == (1,)
    np.testing.assert_allclose(s.asnumpy(), [x.sum()], rtol=1e-5)
    np.testing.assert_allclose(mx.nd.sum(a, axis=1).asnumpy(), x.sum(1), rtol=1e-5)
    np.testing.assert_allclose(a.mean(axis=0, keepdims=True).asnumpy(), x.mean(0, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(mx.nd.relu(a).asnumpy(), np.maximum(x, 0))
    np.testing.assert_allclose(a.exp().asnumpy(), np.exp(x), rtol=1e-5)
    np.testing.assert_allclose(mx.nd.dot(a, a.T).asnumpy(), x @ x.T, rtol=1e-5)
    c = mx.nd.concat(a, a, dim=0)
    assert c.shape == (6, 4)
    assert mx.nd.stack(a, a, a).shape == (3, 3, 4)
    np.testing.assert_allclose(mx.nd.add_n(a, a, a).asnumpy(), 3 * x, rtol=1e-6)
    out = mx.nd.zeros((3, 4))
    r = mx.nd.elemwise_add(a, a, out=out)
    assert r is out
    np.testing.assert_allclose(out.asnumpy(), 2 * x)
    assert "Parameters" in mx.nd.sum.__doc__
    with pytest.raises(MXNetError):
        mx.nd.elemwise_add(a, mx.nd.zeros((2, 2)))


def test_random():
    mx.random.seed(42)
    u = mx.nd.random.uniform(-1, 1, shape=(100,))
    mx.random.seed(42)
    u2 = mx.nd.random.uniform(-1, 1, shape=(100,))
    np.testing.assert_array_equal(u.asnumpy(), u2.asnumpy())
    assert u.shape == (100,) and (u.asnumpy() >= -1).all() and (u.asnumpy() < 1).all()
    n = mx.nd.random.normal(0, 1, shape=(2, 3))
    assert n.shape == (2, 3)
    r = mx.nd.random.randint(0, 5, shape=(50,))
    assert r.asnumpy().min() >= 0 and r.asnumpy().max() < 5


def test_from_numpy_zero_copy():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    a = mx.nd.from_numpy(x)
    x[0, 0] = 42
    assert a.asnumpy()[0, 0] == 42
    del x
    assert a.asnumpy()[1, 2] == 5


def test_errors_are_mxneterror():
    assert issubclass(MXNetError, Exception)
    with pytest.raises(MXNetError):
        mx.nd.zeros((2, 3)) + mx.nd.zeros((4, 5))


def test_ops_with_one_visible_output_return_an_ndarray():
    # MXNet returns a single NDArray whenever an op yields one output, also for
    # ops whose output count depends on attributes (BatchNorm, split)
    x = mx.nd.ones((2, 3))
    bn = mx.nd.BatchNorm(x, mx.nd.ones((3,)), mx.nd.zeros((3,)), mx.nd.zeros((3,)), mx.nd.ones((3,)))
    assert isinstance(bn, mx.nd.NDArray) and bn.shape == (2, 3)
    assert isinstance(mx.nd.split(x, num_outputs=1, axis=1), mx.nd.NDArray)
    parts = mx.nd.split(x, num_outputs=3, axis=1)
    assert isinstance(parts, list) and len(parts) == 3
    three = mx.nd.BatchNorm(x, mx.nd.ones((3,)), mx.nd.zeros((3,)), mx.nd.zeros((3,)), mx.nd.ones((3,)),
                            output_mean_var=True)
    assert isinstance(three, list) and len(three) == 3


def test_errors_name_the_op_the_shapes_and_the_users_line():
    a, b = mx.nd.ones((2, 3)), mx.nd.ones((4,))
    with pytest.raises(mx.base.MXNetError) as e:
        mx.nd.elemwise_add(a, b)
    msg = str(e.value)
    assert "elemwise_add" in msg and "(2,3)" in msg and "(4,)" in msg
    assert f"{__file__}:" in msg  # the caller's own line, not a line inside mxcore


def test_attributes_positionally_after_the_inputs():
    """MXNet's generated functions take attributes positionally after the inputs, in the
    op's declared order: nd.clip(x, 0, 1), nd.topk(x, 1, 2), sym.clip(s, 0, 1)."""
    xn = np.array([[1, 5, 3], [4, 2, 6]], np.float32)
    x = mx.nd.array(xn)
    np.testing.assert_array_equal(mx.nd.clip(x, 2, 4).asnumpy(), np.clip(xn, 2, 4))
    assert mx.nd.transpose(x, (1, 0)).shape == (3, 2)
    np.testing.assert_array_equal(mx.nd.sum(x, 1).asnumpy(), xn.sum(1))
    np.testing.assert_array_equal(mx.nd.topk(x, 1, 2).asnumpy(), [[1, 2], [2, 0]])
    np.testing.assert_array_equal(mx.nd.FullyConnected(x, mx.nd.ones((2, 3)), mx.nd.zeros(2), 2).asnumpy(),
                                  xn @ np.ones((3, 2)))
    s = mx.sym.clip(mx.sym.var("a"), 2, 4)
    np.testing.assert_array_equal(s.eval(a=x)[0].asnumpy(), np.clip(xn, 2, 4))
    with pytest.raises(TypeError, match=r"clip: got 3 positional attribute\(s\).*a_min, a_max"):
        mx.nd.clip(x, 1, 2, 3)
    with pytest.raises(TypeError, match="'a_min' given positionally and by keyword"):
        mx.nd.clip(x, 1, a_min=2)
    with pytest.raises(TypeError, match="concat: input 1 must be an NDArray, got int"):
        mx.nd.concat(x, 1)
    with pytest.raises(TypeError, match="takes any number"):
        mx.nd.add_n(x, 2)


def test_output_array_positionally_after_the_inputs():
    """MXNet's generated signature is op(inputs..., out=None): nd.exp(x, y) writes y."""
    x, y = mx.nd.array([[0.5, 1.0]]), mx.nd.zeros((1, 2))
    assert mx.nd.exp(x, y) is y
    np.testing.assert_allclose(y.asnumpy(), np.exp([[0.5, 1.0]]), rtol=1e-6)
    assert mx.nd.elemwise_add(x, x, y) is y and y.asnumpy().tolist() == [[1.0, 2.0]]
    with pytest.raises(mx.base.MXNetError, match="expected 1 input"):
        mx.nd.exp(x, y, y)


@pytest.mark.parametrize("name,ref", [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply), ("divide", np.divide),
    ("true_divide", np.true_divide), ("modulo", np.mod), ("power", np.power), ("pow", np.power),
    ("maximum", np.maximum), ("minimum", np.minimum), ("hypot", np.hypot),
    ("equal", np.equal), ("not_equal", np.not_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("lesser", np.less), ("lesser_equal", np.less_equal),
    ("logical_and", np.logical_and), ("logical_or", np.logical_or), ("logical_xor", np.logical_xor)])
def test_two_operand_helpers(name, ref):
    """mx.nd.<name> / mx.sym.<name> with arrays, broadcasting and numbers on either side."""
    rs = np.random.RandomState(3)
    a = (rs.rand(3, 4) * 4 + 0.5).round(1).astype(np.float32)
    b = (rs.rand(1, 4) * 4 + 0.5).round(1).astype(np.float32)
    a[0, 0] = b[0, 0]  # one tie for the comparisons
    fn, sfn = getattr(mx.nd, name), getattr(mx.sym, name)
    for lhs, rhs in ((a, b), (a, 2.0), (3.0, a)):
        want = ref(lhs, rhs).astype(np.float32)
        L = mx.nd.array(lhs) if isinstance(lhs, np.ndarray) else lhs
        R = mx.nd.array(rhs) if isinstance(rhs, np.ndarray) else rhs
        np.testing.assert_allclose(fn(L, R).asnumpy(), want, rtol=1e-5, atol=1e-6)
        SL = mx.sym.var("l") if isinstance(lhs, np.ndarray) else lhs
        SR = mx.sym.var("r") if isinstance(rhs, np.ndarray) else rhs
        feed = {k: mx.nd.array(v) for k, v in (("l", lhs), ("r", rhs)) if isinstance(v, np.ndarray)}
        np.testing.assert_allclose(sfn(SL, SR).eval(**feed)[0].asnumpy(), want, rtol=1e-5, atol=1e-6)
    assert float(fn(3.0, 2.0)) == float(ref(3.0, 2.0))


def test_T_is_a_copy_and_rint_sends_halves_down_like_mxnet():
    nd = mx.nd
    a = nd.arange(6).reshape((2, 3))
    t = a.T
    t[0, 1] = 9  # MXNet's T is transpose(a): a new array
    np.testing.assert_array_equal(a.asnumpy(), [[0, 1, 2], [3, 4, 5]])
    a[:] = 0
    np.testing.assert_array_equal(t.asnumpy(), [[0, 9], [1, 4], [2, 5]])
    # values printed by MXNet 1.9.1: exact halves go to the floor
    x = [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.4, -2.6, 3.7]
    for dt in ("float32", "float64"):
        np.testing.assert_array_equal(nd.rint(nd.array(x, dtype=dt)).asnumpy(), [-3, -2, -1, 0, 1, 2, 2, -3, 4])


def test_dtype_is_the_numpy_scalar_type_like_mxnet():
    x = mx.nd.ones((2,), dtype="float16")
    assert x.dtype is np.float16 and str(mx.nd.ones(1).dtype) == "<class 'numpy.float32'>"
    assert x.dtype == np.float16 and np.dtype(x.dtype).itemsize == 2 and x.astype(x.dtype).dtype is np.float16


def test_max_min_propagate_nan_like_mxnet():
    # MXNet 1.9.1: max/min over a row holding NaN give NaN (numpy's rule); sum too
    x = mx.nd.array([[1, np.nan, 3], [np.inf, -np.inf, 2]])
    np.testing.assert_array_equal(mx.nd.max(x, axis=1).asnumpy(), [np.nan, np.inf])
    np.testing.assert_array_equal(mx.nd.min(x, axis=1).asnumpy(), [np.nan, -np.inf])
    assert np.isnan(mx.nd.max(x).asscalar()) and np.isnan(mx.nd.min(x).asscalar())
    np.testing.assert_array_equal(mx.nd.max(x, axis=0).asnumpy(), [np.inf, np.nan, 3])


def test_inplace_flatten_squeeze_expand_dims_are_views():
    """MXNet 1.9.1's x.flatten/squeeze/expand_dims(..., inplace=True) share x's memory."""
    x = mx.nd.arange(6).reshape(1, 2, 3)
    f, s, e = x.flatten(inplace=True), x.squeeze(axis=0, inplace=True), x.expand_dims(axis=-1, inplace=True)
    assert (f.shape, s.shape, e.shape) == ((1, 6), (2, 3), (1, 2, 3, 1))
    assert x.squeeze(inplace=True).shape == (2, 3) and mx.nd.ones((1, 1)).squeeze(inplace=True).shape == (1,)
    copy = x.flatten()
    x[0] = -1
    assert (f.asnumpy() == -1).all() and (s.asnumpy() == -1).all() and (e.asnumpy() == -1).all()
    assert copy.asnumpy().tolist() == [[0, 1, 2, 3, 4, 5]]


def test_reshape_to_wrong_size_is_a_value_error():
    with pytest.raises(ValueError):  # MXNet 1.9.1 raises ValueError here
        mx.nd.ones((2, 3, 5)).reshape((2, 3))


def test_array_from_0d_source_is_0d():
    # MXNet 1.9.1: mx.nd.array(np.ones([])).shape == () (and for Python scalars); [5] stays (1,)
    assert mx.nd.array(np.ones([])).shape == () and mx.nd.array(2.5).shape == ()
    assert mx.nd.array([5]).shape == (1,)
    assert mx.nd.array(np.array(7, dtype=np.int32)).dtype == np.float32
    assert mx.nd.array(3.0).asscalar() == 3.0


def test_broadcast_like_rejects_empty_axes():
    lhs, rhs = mx.nd.ones((1, 3)), mx.nd.ones((4, 3))
    with pytest.raises(mx.MXNetError, match="Empty axes"):
        mx.nd.broadcast_like(lhs, rhs, lhs_axes=(), rhs_axes=())
    assert mx.nd.broadcast_like(lhs, rhs, lhs_axes=(0,), rhs_axes=(0,)).shape == (4, 3)
    assert mx.nd.broadcast_like(lhs, rhs).shape == (4, 3)


def test_mxnet_type_tuples_and_py_slice_import():
    from mxcore.base import integer_types, numeric_types, string_types
    from mxcore.ndarray.ndarray import py_slice
    assert isinstance(np.int64(1), integer_types) and isinstance(np.float16(1), numeric_types)
    assert isinstance("a", string_types) and py_slice is slice
    from mxcore.base import _as_list  # MXNet's tests import it: [x] for one object, lists and tuples kept
    assert _as_list(1) == [1] and _as_list([1, 2]) == [1, 2] and _as_list((1, 2)) == (1, 2)


def test_moveaxis_takes_several_axes_and_checks_them():
    # shapes printed by MXNet 1.9.1
    x = mx.nd.zeros((4, 1, 2, 3))
    assert mx.nd.moveaxis(x, [0, 1], [2, 3]).shape == (2, 3, 4, 1)
    assert mx.nd.moveaxis(x, [3, 0], [1, 0]).shape == (4, 3, 1, 2)
    assert mx.nd.moveaxis(x, -1, 0).shape == (3, 4, 1, 2)
    y = mx.nd.arange(24).reshape(2, 3, 4)
    np.testing.assert_array_equal(mx.nd.moveaxis(y, [0, 2], [2, 0]).asnumpy(),
                                  np.moveaxis(y.asnumpy(), [0, 2], [2, 0]))
    for src, dst in ((4, 0), (0, -5), ([0, 0], [0, 1]), ([0, 1], [1, 1]), (0, [0, 1])):
        with pytest.raises(ValueError):
            mx.nd.moveaxis(x, src, dst)
