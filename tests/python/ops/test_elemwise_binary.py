"""Binary element-wise ops: elemwise_*, broadcast_*, scalar forms and add_n,
forward against numpy over shapes/dtypes (incl. 0-d, zero-size and
broadcasting), gradients against finite differences, and bad input."""
import numpy as np
import pytest
from harness import autograd_grads, check_grad, expect_error, run_op
from harness import check_op



RNG = np.random.default_rng(42)


def _mod(a, b):
    return np.mod(a, b)


def _cmp(f):
    return lambda a, b: f(a, b).astype(np.result_type(a, b))


# key: (same-shape name, broadcast name, numpy reference, input domain, differentiable)
BIN = {
    "add": ("elemwise_add", "broadcast_add", np.add, "any", True),
    "sub": ("elemwise_sub", "broadcast_sub", np.subtract, "any", True),
    "mul": ("elemwise_mul", "broadcast_mul", np.multiply, "any", True),
    "div": ("elemwise_div", "broadcast_div", np.divide, "nonzero", True),
    "mod": ("_mod", "broadcast_mod", _mod, "nonzero", True),
    "power": ("_power", "broadcast_power", np.power, "pos", True),
    "maximum": ("_maximum", "broadcast_maximum", np.maximum, "any", True),
    "minimum": ("_minimum", "broadcast_minimum", np.minimum, "any", True),
    "hypot": ("_hypot", "broadcast_hypot", np.hypot, "any", True),
    "equal": ("_equal", "broadcast_equal", _cmp(np.equal), "small", False),
    "not_equal": ("_not_equal", "broadcast_not_equal", _cmp(np.not_equal), "small", False),
    "greater": ("_greater", "broadcast_greater", _cmp(np.greater), "small", False),
    "greater_equal": ("_greater_equal", "broadcast_greater_equal", _cmp(np.greater_equal), "small", False),
    "lesser": ("_lesser", "broadcast_lesser", _cmp(np.less), "small", False),
    "lesser_equal": ("_lesser_equal", "broadcast_lesser_equal", _cmp(np.less_equal), "small", False),
    "logical_and": ("_logical_and", "broadcast_logical_and", _cmp(np.logical_and), "small", False),
    "logical_or": ("_logical_or", "broadcast_logical_or", _cmp(np.logical_or), "small", False),
    "logical_xor": ("_logical_xor", "broadcast_logical_xor", _cmp(np.logical_xor), "small", False),
}


def _gen(shape, dtype, domain, rhs=False):
    if np.issubdtype(dtype, np.integer):
        if domain == "small":
            return RNG.integers(-1, 2, size=shape).astype(dtype)
        x = RNG.integers(1, 9, size=shape).astype(dtype)
        return x if domain in ("pos",) or not rhs else x * RNG.choice([-1, 1], size=shape).astype(dtype)
    if domain == "small":
        return RNG.integers(-1, 2, size=shape).astype(dtype)
    x = RNG.standard_normal(shape)
    if domain == "pos":
        x = np.abs(x) + 0.5 if not rhs else x
    elif domain == "nonzero" and rhs:
        x = np.sign(x + 1e-9) * (np.abs(x) + 0.5)
    return np.asarray(x).astype(dtype)


SAME_SHAPES = [(), (0,), (3, 4), (2, 3, 5), (50000,)]
BCAST_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((4, 1, 3), (1, 5, 1)), ((), (2, 3)), ((2, 3), ()),
                ((0, 3), (1, 3)), ((2, 1), (1,)), ((300, 200), (300, 1)), ((40, 1000), (1, 1000)),
                ((5, 1), (1, 7)), ((2, 1, 4, 1), (3, 1, 5))]


@pytest.mark.parametrize("key", list(BIN))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
def test_elemwise_forward(key, dtype):
    name, _, ref, dom, _ = BIN[key]
    if dtype == np.int32 and key in ("power", "hypot"):
        dom = "pos"
    for shape in SAME_SHAPES:
        a, b = _gen(shape, dtype, dom), _gen(shape, dtype, dom, rhs=True)
        if dtype == np.int32 and key == "div":
            a, b = np.abs(a), np.abs(b)
            check_op(name, [a, b], {}, lambda a, b: a // b)
            continue
        rtol = 1e-5 if dtype != np.float32 else 2e-5
        out = check_op(name, [a, b], {}, lambda a, b: np.asarray(ref(a, b)).astype(dtype), rtol=rtol)
        assert out[0].dtype == dtype


@pytest.mark.parametrize("key", list(BIN))
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64])
def test_broadcast_forward(key, dtype):
    _, name, ref, dom, _ = BIN[key]
    if np.issubdtype(dtype, np.integer) and key in ("div", "power", "hypot"):
        dom = "pos"
    for sa, sb in BCAST_SHAPES:
        a, b = _gen(sa, dtype, dom), _gen(sb, dtype, dom, rhs=True)
        if np.issubdtype(dtype, np.integer) and key == "div":
            check_op(name, [a, b], {}, lambda a, b: a // b)
            continue
        check_op(name, [a, b], {}, lambda a, b: np.asarray(ref(a, b)).astype(dtype), rtol=2e-5)


def test_float16_fallback():
    a = RNG.standard_normal((3, 4)).astype(np.float16)
    b = RNG.standard_normal((4,)).astype(np.float16)
    out = check_op("broadcast_add", [a, b], {}, lambda a, b: a + b, rtol=1e-2, atol=1e-2)
    assert out[0].dtype == np.float16
    check_op("_mul_scalar", [a], {"scalar": 2}, lambda a: a * 2, rtol=1e-2, atol=1e-2)


def test_aliases():
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    for name in ("_add", "_plus", "_Plus", "broadcast_plus"):
        check_op(name, [a, b], {}, np.add)
    for name in ("_sub", "_minus", "_Minus", "broadcast_minus"):
        check_op(name, [a, b], {}, np.subtract)
    for name in ("_mul", "_Mul"):
        check_op(name, [a, b], {}, np.multiply)
    check_op("_div", [a, b], {}, np.divide)
    check_op("_Div", [a, b], {}, np.divide)


def test_int_division_by_zero_is_zero():
    a = np.array([5, -7, 3], np.int32)
    b = np.array([0, 2, 0], np.int32)
    np.testing.assert_array_equal(run_op("elemwise_div", [a, b])[0], [0, -3, 0])
    np.testing.assert_array_equal(run_op("_mod", [a, b])[0], [0, 1, 0])
    np.testing.assert_array_equal(run_op("_mod", [np.array([-7.5, 7.5]), np.array([2.0, -2.0])])[0], [0.5, -0.5])


@pytest.mark.parametrize("key", [k for k, v in BIN.items() if v[4]])
def test_grads(key):
    name, bname, _, dom, _ = BIN[key]
    a, b = _gen((3, 4), np.float64, dom), _gen((3, 4), np.float64, dom, rhs=True)
    if key == "power":
        b = RNG.uniform(-1.5, 1.5, size=(3, 4))
    check_grad(name, [a, b])
    a, b = _gen((2, 3, 4), np.float64, dom), _gen((3, 1), np.float64, dom, rhs=True)
    if key == "power":
        b = RNG.uniform(-1.5, 1.5, size=(3, 1))
    check_grad(bname, [a, b])
    check_grad(bname, [_gen((4,), np.float64, dom), _gen((2, 1), np.float64, dom, rhs=True)])


def test_comparisons_not_differentiable_but_work():
    a = np.array([1.0, 2.0, 3.0])
    for name in ("_equal", "broadcast_greater", "_lesser_scalar"):
        attrs = {"scalar": 2} if "scalar" in name else {}
        ins = [a] if "scalar" in name else [a, a[::-1].copy()]
        assert run_op(name, ins, attrs)[0].dtype == np.float64


SCALAR = {
    "_plus_scalar": (lambda x, s: x + s, "any", True),
    "_minus_scalar": (lambda x, s: x - s, "any", True),
    "_rminus_scalar": (lambda x, s: s - x, "any", True),
    "_mul_scalar": (lambda x, s: x * s, "any", True),
    "_div_scalar": (lambda x, s: x / s, "any", True),
    "_rdiv_scalar": (lambda x, s: s / x, "nonzero", True),
    "_mod_scalar": (lambda x, s: np.mod(x, s), "any", True),
    "_rmod_scalar": (lambda x, s: np.mod(s, x), "nonzero", True),
    "_power_scalar": (lambda x, s: np.power(x, s), "pos", True),
    "_rpower_scalar": (lambda x, s: np.power(s, x), "any", True),
    "_maximum_scalar": (lambda x, s: np.maximum(x, s), "any", True),
    "_minimum_scalar": (lambda x, s: np.minimum(x, s), "any", True),
    "_hypot_scalar": (lambda x, s: np.hypot(x, s), "any", True),
    "_equal_scalar": (lambda x, s: (x == s), "small", False),
    "_not_equal_scalar": (lambda x, s: (x != s), "small", False),
    "_greater_scalar": (lambda x, s: (x > s), "small", False),
    "_greater_equal_scalar": (lambda x, s: (x >= s), "small", False),
    "_lesser_scalar": (lambda x, s: (x < s), "small", False),
    "_lesser_equal_scalar": (lambda x, s: (x <= s), "small", False),
    "_logical_and_scalar": (lambda x, s: np.logical_and(x, s), "small", False),
    "_logical_or_scalar": (lambda x, s: np.logical_or(x, s), "small", False),
    "_logical_xor_scalar": (lambda x, s: np.logical_xor(x, s), "small", False),
}


@pytest.mark.parametrize("name", list(SCALAR))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_scalar_forward(name, dtype):
    ref, dom, _ = SCALAR[name]
    s = 1.0 if dom == "small" else 1.5
    for shape in [(), (0,), (3, 4), (40000,)]:
        x = _gen(shape, dtype, dom, rhs=True) if dom == "nonzero" else _gen(shape, dtype, dom)
        check_op(name, [x], {"scalar": s}, lambda x: np.asarray(ref(x, dtype(s))).astype(dtype), rtol=2e-5)


def test_scalar_int():
    x = np.array([-3, -1, 0, 2, 7], np.int32)
    check_op("_plus_scalar", [x], {"scalar": 2}, lambda x: x + 2)
    check_op("_mul_scalar", [x], {"scalar": 3}, lambda x: x * 3)
    check_op("_greater_scalar", [x], {"scalar": 0}, lambda x: (x > 0).astype(np.int32))
    check_op("_mod_scalar", [x], {"scalar": 3}, lambda x: np.mod(x, 3))
    assert run_op("_minus_scalar", [x], {"scalar": 1})[0].dtype == np.int32


@pytest.mark.parametrize("name", [n for n, v in SCALAR.items() if v[2]])
def test_scalar_grad(name):
    _, dom, _ = SCALAR[name]
    x = _gen((3, 4), np.float64, dom, rhs=True) if dom == "nonzero" else _gen((3, 4), np.float64, dom)
    check_grad(name, [x], {"scalar": 1.7})


def test_scalar_aliases():
    x = RNG.standard_normal((2, 3))
    check_op("_PlusScalar", [x], {"scalar": 1}, lambda x: x + 1)
    check_op("_MulScalar", [x], {"scalar": 2}, lambda x: x * 2)
    check_op("_RMinusScalar", [x], {"scalar": 2}, lambda x: 2 - x)


def test_add_n():
    xs = [RNG.standard_normal((3, 4)) for _ in range(4)]
    check_op("add_n", xs, {"num_args": 4}, lambda *a: sum(a))
    check_op("ElementWiseSum", xs[:1], {"num_args": 1}, lambda a: a)
    big = [RNG.standard_normal(70000).astype(np.float32) for _ in range(3)]
    check_op("add_n", big, {"num_args": 3}, lambda *a: a[0] + a[1] + a[2], rtol=1e-5)
    ints = [np.arange(5, dtype=np.int32)] * 3
    check_op("add_n", ints, {"num_args": 3}, lambda *a: 3 * a[0])
    check_grad("add_n", xs[:3], {"num_args": 3})


def test_grad_of_broadcast_reduces_to_input_shape():
    a, b = RNG.standard_normal((4, 3)), RNG.standard_normal((1, 3))
    ga, gb = autograd_grads("broadcast_add", [a, b], {}, [0, 1], np.ones((4, 3)))
    np.testing.assert_allclose(gb, np.full((1, 3), 4.0))
    np.testing.assert_allclose(ga, np.ones((4, 3)))


def test_bad_input():
    expect_error("elemwise_div", [np.zeros((2, 3), np.float32), np.zeros((3, 2), np.float32)],
                 contains=("elemwise_div", "(2,3)", "(3,2)"))
    expect_error("broadcast_mul", [np.zeros((2, 3), np.float32), np.zeros((4,), np.float32)],
                 contains=("broadcast_mul", "(2,3)", "(4,)"))
    expect_error("broadcast_add", [np.zeros((2, 3), np.float32), np.zeros((2, 3), np.float64)],
                 contains=("broadcast_add",))
    expect_error("add_n", [np.zeros((2, 3)), np.zeros((3,))], {"num_args": 2}, contains=("add_n", "(2,3)", "(3,)"))
    expect_error("_plus_scalar", [np.zeros(3)], {"scalar": "abc"}, contains=("_plus_scalar",))
    expect_error("_mul_scalar", [np.zeros(3)], {"scalr": 1}, contains=("_mul_scalar",))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_scalar_special_exponents_equal_pow(dtype):
    # x ** 2, ** 1, ** -1, ** 0.5 run as multiply / copy / reciprocal / sqrt (elemwise_binary.c
    # POW_SPECIAL) with pow's results, including sqrt's signs at -0 and -inf (MXNet 1.9.1: 0, inf)
    from mxcore import nd
    rs = np.random.RandomState(0)
    a = np.concatenate([rs.randn(1000) * 10, [-0.0, 0.0, -np.inf, np.inf, np.nan, -1, 4, 1e-30, 3e30]]).astype(dtype)
    with np.errstate(all="ignore"):
        for e in (2, 1, -1):
            got = (nd.array(a, dtype=dtype) ** e).asnumpy()
            want = np.power(a, dtype(e))
            np.testing.assert_array_equal(got, want)
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        got = (nd.array(a, dtype=dtype) ** 0.5).asnumpy()
        want = np.where(a == -np.inf, np.inf, np.sqrt(a) + 0)  # C pow(-0, .5) = +0, pow(-inf, .5) = +inf
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))
        # other exponents keep pow
        np.testing.assert_allclose((nd.array(a, dtype=dtype) ** 3).asnumpy(), np.power(a, dtype(3)), rtol=1e-6)
