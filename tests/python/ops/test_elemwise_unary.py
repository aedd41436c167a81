"""Unary element-wise ops: forward against numpy/scipy over shapes and dtypes
(incl. 0-d and zero-size), gradients against finite differences, zero/one
gradients of rounding/BlockGrad/make_loss, Cast, clip, the AMP helpers
(amp_cast, amp_multicast, all_finite, multi_all_finite) and bad input."""
import numpy as np
import pytest
from scipy import special
from harness import autograd_grads, check_grad, expect_error, run_op
from harness import check_op



RNG = np.random.default_rng(7)


def _round_away(x):
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


# name: (reference, domain, kind) kind: "grad" differentiable, "zero" zero grad, "none" not differentiable
UNARY = {
    "abs": (np.abs, "any", "grad"),
    "sign": (np.sign, "any", "zero"),
    "ceil": (np.ceil, "any", "zero"),
    "floor": (np.floor, "any", "zero"),
    "round": (_round_away, "any", "zero"),
    "rint": (np.rint, "any", "zero"),
    "trunc": (np.trunc, "any", "zero"),
    "fix": (np.fix, "any", "zero"),
    "exp": (np.exp, "any", "grad"),
    "expm1": (np.expm1, "any", "grad"),
    "log": (np.log, "pos", "grad"),
    "log10": (np.log10, "pos", "grad"),
    "log2": (np.log2, "pos", "grad"),
    "log1p": (np.log1p, "pos", "grad"),
    "sqrt": (np.sqrt, "pos", "grad"),
    "rsqrt": (lambda x: 1 / np.sqrt(x), "pos", "grad"),
    "cbrt": (np.cbrt, "pos", "grad"),
    "rcbrt": (lambda x: 1 / np.cbrt(x), "pos", "grad"),
    "square": (np.square, "any", "grad"),
    "reciprocal": (np.reciprocal, "pos", "grad"),
    "negative": (np.negative, "any", "grad"),
    "sin": (np.sin, "any", "grad"),
    "cos": (np.cos, "any", "grad"),
    "tan": (np.tan, "unit", "grad"),
    "arcsin": (np.arcsin, "unit", "grad"),
    "arccos": (np.arccos, "unit", "grad"),
    "arctan": (np.arctan, "any", "grad"),
    "sinh": (np.sinh, "any", "grad"),
    "cosh": (np.cosh, "any", "grad"),
    "tanh": (np.tanh, "any", "grad"),
    "arcsinh": (np.arcsinh, "any", "grad"),
    "arccosh": (np.arccosh, "gt1", "grad"),
    "arctanh": (np.arctanh, "unit", "grad"),
    "degrees": (np.degrees, "any", "grad"),
    "radians": (np.radians, "any", "grad"),
    "erf": (special.erf, "any", "grad"),
    "erfinv": (special.erfinv, "unit", "grad"),
    "gamma": (special.gamma, "pos", "grad"),
    "gammaln": (special.gammaln, "pos", "grad"),
    "logical_not": (lambda x: (x == 0).astype(x.dtype), "small", "none"),
    "identity": (lambda x: x, "any", "grad"),
    "BlockGrad": (lambda x: x, "any", "zero"),
    "make_loss": (lambda x: x, "any", "ones"),
}
INT_NATIVE = ["abs", "sign", "ceil", "floor", "round", "rint", "trunc", "fix", "square", "negative",
              "logical_not", "identity", "BlockGrad", "make_loss"]


def _gen(shape, dtype, dom):
    if dom == "small":
        return RNG.integers(-1, 2, size=shape).astype(dtype)
    x = RNG.standard_normal(shape)
    if dom == "pos":
        x = np.abs(x) + 0.3
    elif dom == "unit":
        x = RNG.uniform(-0.9, 0.9, size=shape)
    elif dom == "gt1":
        x = np.abs(x) + 1.2
    else:
        x = x * 2
    return np.asarray(x).astype(dtype)


@pytest.mark.parametrize("name", list(UNARY))
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_forward(name, dtype):
    ref, dom, _ = UNARY[name]
    for shape in [(), (0,), (3, 4), (2, 1, 5), (40000,)]:
        x = _gen(shape, dtype, dom)
        rtol = 1e-5 if dtype == np.float32 else 1e-10
        if name in ("gamma", "gammaln", "erfinv"):
            rtol = 1e-4 if dtype == np.float32 else 1e-8
        out = check_op(name, [x], {}, lambda x: np.asarray(ref(x.astype(np.float64))).astype(dtype), rtol=rtol,
                       atol=1e-6 if dtype == np.float32 else 1e-12)
        assert out[0].dtype == dtype


@pytest.mark.parametrize("name", INT_NATIVE)
@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.int8])
def test_int_forward(name, dtype):
    ref, _, _ = UNARY[name]
    x = RNG.integers(-9, 10, size=(3, 5)).astype(dtype)
    out = check_op(name, [x], {}, lambda x: np.asarray(ref(x)).astype(dtype))
    assert out[0].dtype == dtype


def test_float16_fallback():
    x = RNG.uniform(0.5, 2, size=(3, 4)).astype(np.float16)
    out = check_op("sqrt", [x], {}, np.sqrt, rtol=2e-3, atol=1e-3)
    assert out[0].dtype == np.float16


def test_aliases():
    x = RNG.standard_normal((2, 3))
    check_op("_copy", [x], {}, lambda x: x)
    check_op("stop_gradient", [x], {}, lambda x: x)


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if v[2] == "grad"])
def test_grad(name):
    _, dom, _ = UNARY[name]
    x = _gen((2, 3), np.float64, dom)
    if name in ("abs", "sign"):
        x = np.sign(x) * (np.abs(x) + 0.2)
    check_grad(name, [x])


@pytest.mark.parametrize("name", [n for n, v in UNARY.items() if v[2] in ("zero", "ones")])
def test_constant_grads(name):
    x = _gen((2, 3), np.float64, "any") + 0.25
    w = RNG.uniform(-1, 1, size=(2, 3))
    (g,) = autograd_grads(name, [x], {}, [0], w)
    want = np.ones_like(x) if UNARY[name][2] == "ones" else np.zeros_like(x)
    np.testing.assert_allclose(g, want)


def test_cast():
    x = RNG.standard_normal((3, 4)) * 5
    out = check_op("Cast", [x], {"dtype": "int32"}, lambda x: x.astype(np.int32))
    assert out[0].dtype == np.int32
    out = check_op("cast", [x], {"dtype": "float16"}, lambda x: x.astype(np.float16), rtol=1e-3)
    assert out[0].dtype == np.float16
    xi = np.arange(-3, 4, dtype=np.int32)
    assert check_op("Cast", [xi], {"dtype": "float32"}, lambda x: x.astype(np.float32))[0].dtype == np.float32
    check_op("Cast", [xi], {"dtype": "uint8"}, lambda x: x.astype(np.uint8))
    check_op("Cast", [np.zeros((0, 2))], {"dtype": "float32"}, lambda x: x.astype(np.float32))
    check_op("Cast", [np.float64(2.5)], {"dtype": "float32"}, lambda x: np.float32(x))
    (g,) = autograd_grads("Cast", [x], {"dtype": "float32"}, [0], np.ones((3, 4)))
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, 1.0)
    check_grad("Cast", [x], {"dtype": "float64"})


# AMP casts as in MXNet 1.9.1: only float16/float32 inputs are cast (bfloat16
# too, which numpy cannot build here); float64 and integers pass through
@pytest.mark.parametrize("src,dst,want", [
    ("float32", "float16", "float16"), ("float16", "float32", "float32"), ("float16", "float64", "float64"),
    ("float32", "int32", "int32"), ("float64", "float16", "float64"), ("float64", "int32", "float64"),
    ("int32", "float32", "int32"), ("uint8", "float16", "uint8")])
def test_amp_cast(src, dst, want):
    x = (RNG.standard_normal((3, 4)) * 5).astype(src)
    out = check_op("amp_cast", [x], {"dtype": dst}, lambda a: a.astype(want), rtol=1e-3, atol=1e-3)[0]
    assert out.dtype == np.dtype(want)


def test_amp_cast_grad():
    x = RNG.standard_normal((3, 4)).astype(np.float32)
    (g,) = autograd_grads("amp_cast", [x], {"dtype": "float16"}, [0], np.full((3, 4), 2.0))
    assert g.dtype == np.float32
    np.testing.assert_allclose(g, 2.0)
    check_grad("amp_cast", [RNG.standard_normal((3, 4))], {"dtype": "float16"})  # float64 passes through
    expect_error("amp_cast", [x], {}, contains=("amp_cast", "dtype"))


@pytest.mark.parametrize("dts,narrow,want", [
    (("float16", "float32"), False, ("float32", "float32")),
    (("float16", "float32"), True, ("float16", "float16")),
    (("float16", "float64"), False, ("float16", "float64")),
    (("float32", "float64"), True, ("float32", "float64")),
    (("float16", "int32"), False, ("float16", "int32")),
    (("float32", "int32", "float16"), False, ("float32", "int32", "float32")),
    (("float32", "int32", "float16"), True, ("float16", "int32", "float16")),
    (("uint8", "float64"), True, ("uint8", "float64")),
    (("float16",), False, ("float16",))])
def test_amp_multicast(dts, narrow, want):
    xs = [(RNG.standard_normal((2, i + 2)) * 4).astype(d) for i, d in enumerate(dts)]
    attrs = {"num_outputs": len(xs), "cast_narrow": narrow}
    outs = check_op("amp_multicast", xs, attrs, lambda *a: tuple(v.astype(w) for v, w in zip(a, want)),
                    rtol=1e-3, atol=1e-3)
    assert [o.dtype for o in outs] == [np.dtype(w) for w in want]
    # each gradient comes back in its input's dtype
    fl = [i for i, d in enumerate(dts) if d.startswith("float")]
    for k in fl:
        grads = autograd_grads("amp_multicast", xs, attrs, fl, np.ones(outs[k].shape), out_index=k)
        for i, g in zip(fl, grads):
            assert g.dtype == xs[i].dtype
            np.testing.assert_array_equal(g, np.ones_like(xs[i]) if i == k else np.zeros_like(xs[i]))


def test_amp_multicast_narrow_overflow_and_errors():
    big = np.array([70000.0, 1.5], np.float32)
    out = run_op("amp_multicast", [big, np.ones(1, np.float16)], {"num_outputs": 2, "cast_narrow": True})[0]
    assert out.dtype == np.float16 and np.isinf(out[0]) and out[1] == 1.5
    x = np.ones((2, 2), np.float64)
    check_grad("amp_multicast", [x, x * 2], {"num_outputs": 2}, out_index=1)
    expect_error("amp_multicast", [x, x], {"num_outputs": 3}, contains=("amp_multicast", "expected 3 input"))
    expect_error("amp_multicast", [x], {"num_outputs": 0}, contains=("amp_multicast", "num_outputs"))


def _invoke_into(name, inputs, attrs, out):
    """Run op writing into an existing output array (MXNet's out=); returns it."""
    from harness import _attr_str, check, ffi, from_mx, lib, to_mx
    hs = [to_mx(np.asarray(a)) for a in inputs]
    o = to_mx(out)
    keys = [ffi.new("char[]", k.encode()) for k in attrs]
    vals = [ffi.new("char[]", _attr_str(v).encode()) for v in attrs.values()]
    outs = ffi.new("mx_tensor[]", [o])
    n_out = ffi.new("int *", 1)
    check(lib.mx_invoke_by_name(name.encode(), ffi.new("mx_tensor[]", hs), len(hs), ffi.new("const char *[]", keys),
                                ffi.new("const char *[]", vals), len(keys), outs, 1, n_out))
    return from_mx(o)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_all_finite(dtype):
    for bad in (np.inf, -np.inf, np.nan):
        x = np.arange(12, dtype=dtype).reshape(3, 4)
        out = check_op("all_finite", [x], {}, lambda a: np.array([1.0], np.float32))[0]
        assert out.dtype == np.float32 and out.shape == (1,)
        x[2, 1] = bad
        check_op("all_finite", [x], {}, lambda a: np.array([0.0], np.float32))
        check_op("multi_all_finite", [np.ones(3, dtype), x], {"num_arrays": 2}, lambda *a: np.array([0.0]))
    big = np.ones(1_000_003, dtype)  # several parallel chunks; the bad value is in the last one
    check_op("all_finite", [big], {}, lambda a: np.array([1.0]))
    big[-1] = np.nan
    check_op("all_finite", [big], {}, lambda a: np.array([0.0]))
    check_op("all_finite", [np.zeros((0, 3), dtype)], {}, lambda a: np.array([1.0]))
    check_op("all_finite", [np.array(np.finfo(dtype).max, dtype)], {}, lambda a: np.array([1.0]))


def test_multi_all_finite_and_init_output():
    a, b, c = np.ones((2, 3)), np.ones(4, np.float32), np.ones(1, np.float16)
    check_op("multi_all_finite", [a, b, c], {"num_arrays": 3}, lambda *t: np.array([1.0]))
    check_op("multi_all_finite", [a], {}, lambda *t: np.array([1.0]))
    c2 = c.copy()
    c2[0] = np.inf
    check_op("multi_all_finite", [a, b, c2], {"num_arrays": 3}, lambda *t: np.array([0.0]))
    # init_output=False ANDs into the out= array (MXNet's loss scaler over chunks of gradients)
    acc = np.ones(1, np.float32)
    acc = _invoke_into("multi_all_finite", [a, b], {"num_arrays": 2, "init_output": False}, acc)
    assert acc[0] == 1.0
    acc = _invoke_into("multi_all_finite", [c2], {"num_arrays": 1, "init_output": False}, acc)
    assert acc[0] == 0.0
    acc = _invoke_into("all_finite", [a], {"init_output": False}, acc)
    assert acc[0] == 0.0
    acc = _invoke_into("all_finite", [a], {"init_output": True}, acc)
    assert acc[0] == 1.0
    expect_error("all_finite", [np.arange(3, dtype=np.int32)], {}, contains=("all_finite", "int32", "floating"))
    expect_error("multi_all_finite", [a, b], {}, contains=("multi_all_finite", "expected 1 input"))
    expect_error("multi_all_finite", [a, np.arange(2)], {"num_arrays": 2}, contains=("multi_all_finite", "input 1"))


def test_clip():
    for dtype in (np.float32, np.float64):
        for shape in [(), (0,), (4, 5), (40000,)]:
            x = _gen(shape, dtype, "any")
            check_op("clip", [x], {"a_min": -0.5, "a_max": 1.0}, lambda x: np.clip(x, -0.5, 1.0))
    xi = np.arange(-5, 6, dtype=np.int32)
    out = check_op("clip", [xi], {"a_min": -2, "a_max": 3}, lambda x: np.clip(x, -2, 3))
    assert out[0].dtype == np.int32
    x = np.array([-2.0, -0.3, 0.2, 0.9, 3.0])
    check_grad("clip", [x], {"a_min": -0.5, "a_max": 1.0})


def test_erfinv_edges():
    out = run_op("erfinv", [np.array([-1.0, 0.0, 1.0])])[0]
    assert out[0] == -np.inf and out[1] == 0 and out[2] == np.inf


def test_bad_input():
    expect_error("clip", [np.zeros((2, 3))], {"a_min": 2, "a_max": 1}, contains=("clip", "(2,3)"))
    expect_error("clip", [np.zeros((2, 3))], {"a_min": 0}, contains=("clip",))
    expect_error("Cast", [np.zeros((2, 3))], {"dtype": "float99"}, contains=("Cast",))
    expect_error("Cast", [np.zeros((2, 3))], {}, contains=("Cast",))
    expect_error("sqrt", [np.zeros(3), np.zeros(3)], contains=("sqrt",))


def _ulps(got, want):
    """Error of float32 results in units of the float32 spacing at the exact value."""
    want32 = np.abs(want).astype(np.float32)
    return np.abs(got.astype(np.float64) - want) / np.spacing(want32).astype(np.float64)


@pytest.mark.parametrize("op,ref,max_ulps", [
    ("exp", np.exp, 3.5),
    ("tanh", np.tanh, 4.5),
    ("sigmoid", lambda v: 1 / (1 + np.exp(-v)), 3.5),
])
def test_float32_fast_transcendentals_accuracy(op, ref, max_ulps):
    # float32 exp/tanh/sigmoid run inline polynomials (fast_mathf.h), not libm: check the
    # error over a dense sweep, across tanh's series/exp switch at 0.25, and the specials
    from mxcore import nd
    a = np.concatenate([np.linspace(-104, 89, 1_000_001), np.linspace(-1, 1, 200_001),
                        np.linspace(0.2499, 0.2501, 1001), -np.linspace(0.2499, 0.2501, 1001)]).astype(np.float32)
    got = getattr(nd, op)(nd.array(a)).asnumpy()
    with np.errstate(over="ignore", under="ignore"):
        want = ref(a.astype(np.float64))
    normal = np.isfinite(want) & (np.abs(want) > 1.2e-38) & (np.abs(want) < 3.4e38)
    assert _ulps(got[normal], want[normal]).max() <= max_ulps
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-30, -1e-30, 200, -200], np.float32)
    with np.errstate(over="ignore", under="ignore"):
        np.testing.assert_array_equal(getattr(nd, op)(nd.array(special)).asnumpy(),
                                      ref(special.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("op,ref,sweep,max_ulps", [
    ("log", np.log, np.geomspace(1e-45, 3e38, 1_000_001), 2.5),
    ("log1p", np.log1p, np.concatenate([np.linspace(-0.999999, 10, 1_000_001), np.geomspace(1e-30, 1e30, 200_001),
                                        -np.geomspace(1e-30, 0.5, 100_001)]), 3),
])
def test_float32_fast_log_accuracy(op, ref, sweep, max_ulps):
    # float32 log/log1p are inline too (fast_mathf.h), denormal inputs included
    from mxcore import nd
    a = sweep.astype(np.float32)
    got = getattr(nd, op)(nd.array(a)).asnumpy()
    want = ref(a.astype(np.float64))
    normal = np.abs(want) > 1.2e-38
    assert _ulps(got[normal], want[normal]).max() <= max_ulps
    special = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, -1.0, -2.0, 1e-40], np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.testing.assert_array_equal(getattr(nd, op)(nd.array(special)).asnumpy(),
                                      ref(special.astype(np.float64)).astype(np.float32))


@pytest.mark.parametrize("act,ref,max_ulps", [
    ("softrelu", lambda v: np.logaddexp(0, v), 5),
    ("log_sigmoid", lambda v: -np.logaddexp(0, -v), 5),
    ("mish", lambda v: v * np.tanh(np.logaddexp(0, v)), 12),
])
def test_float32_softplus_family_accuracy(act, ref, max_ulps):
    # softplus = max(x, 0) + log1p(exp(-|x|)) inline: no overflow at large |x|, NaN/inf kept
    from mxcore import nd
    a = np.concatenate([np.linspace(-100, 100, 400_001), np.linspace(-1, 1, 100_001)]).astype(np.float32)
    got = nd.Activation(nd.array(a), act_type=act).asnumpy()
    want = ref(a.astype(np.float64))
    normal = np.abs(want) > 1e-30
    assert _ulps(got[normal], want[normal]).max() <= max_ulps
    special = np.array([np.nan, np.inf, -np.inf, 0.0], np.float32)
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(nd.Activation(nd.array(special), act_type=act).asnumpy(),
                                      ref(special.astype(np.float64)).astype(np.float32))


def test_float32_fast_erf_and_gelu_accuracy():
    # float32 erf and GELU's 1 + erf(x / sqrt 2) are inline (fast_mathf.h); GELU keeps its
    # relative accuracy for negative x (erfc there, no 1 + erf cancellation)
    from mxcore import autograd, nd
    a = np.concatenate([np.linspace(-14, 14, 1_000_001), np.geomspace(1e-38, 1, 50_001)]).astype(np.float32)
    got = nd.erf(nd.array(a)).asnumpy()
    want = special.erf(a.astype(np.float64))
    normal = np.abs(want) > 1e-37
    assert _ulps(got[normal], want[normal]).max() <= 3
    a64 = a.astype(np.float64)
    x = nd.array(a)
    x.attach_grad()
    with autograd.record():
        y = nd.LeakyReLU(x, act_type='gelu')
    y.backward()
    want = 0.5 * a64 * special.erfc(-a64 / np.sqrt(2))
    normal = np.abs(want) > 1e-36
    assert _ulps(y.asnumpy()[normal], want[normal]).max() <= 10
    dwant = 0.5 * special.erfc(-a64 / np.sqrt(2)) + a64 * np.exp(-0.5 * a64 * a64) / np.sqrt(2 * np.pi)
    # the two terms cancel near the root of the derivative (x = -0.75) and for x << 0
    np.testing.assert_allclose(x.grad.asnumpy(), dwant, rtol=2e-6, atol=3e-7)
    special_in = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0], np.float32)
    np.testing.assert_array_equal(nd.erf(nd.array(special_in)).asnumpy(), [np.nan, 1, -1, 0, -0.0])
    np.testing.assert_array_equal(nd.LeakyReLU(nd.array(special_in), act_type='gelu').asnumpy(),
                                  [np.nan, np.inf, np.nan, 0, -0.0])


def test_sqrt_negative_is_nan_without_errno():
    # built with -fno-math-errno (sqrt is a vector instruction): negatives still give NaN
    from mxcore import nd
    got = nd.sqrt(nd.array([-1.0, 4.0, 0.0, -0.0, np.inf])).asnumpy()
    np.testing.assert_array_equal(got, np.array([np.nan, 2.0, 0.0, -0.0, np.inf], np.float32))


def test_float16_casts_bit_exact_against_numpy():
    # float32 <-> float16 use the F16C instructions where the CPU has them (dtype.c): same
    # round-to-nearest-even bits as numpy (and as the software path) on random bit patterns
    from mxcore import nd
    rs = np.random.RandomState(0)
    a = rs.randint(0, 2 ** 32, 1_000_003, dtype=np.uint64).astype(np.uint32).view(np.float32)
    a = np.concatenate([a, np.array([np.inf, -np.inf, 0, -0.0, 65504, 65520, 65519.99, 6e-8, 3e-8, 1e-45],
                                    np.float32)])
    got = nd.array(a).astype("float16").asnumpy()
    with np.errstate(over="ignore"):
        want = a.astype(np.float16)
    nan = np.isnan(a)
    np.testing.assert_array_equal(got[~nan].view(np.uint16), want[~nan].view(np.uint16))
    assert np.isnan(got[nan]).all()
    h = rs.randint(0, 2 ** 16, 300_001, dtype=np.uint64).astype(np.uint16).view(np.float16)
    back = nd.array(h, dtype="float16").astype("float32").asnumpy()
    finite = ~np.isnan(h)
    np.testing.assert_array_equal(back[finite].view(np.uint32), h[finite].astype(np.float32).view(np.uint32))
    assert np.isnan(back[~finite]).all()


def test_where_same_shape_fast_path():
    from mxcore import nd
    cond = np.array([1.0, 0.0, -0.0, np.nan, 2.5, 0.0, 1.0], np.float32)
    for dt in ("float32", "int32", "float64", "uint8"):
        x = np.arange(7).astype(dt)
        y = (np.arange(7) + 10).astype(dt)
        got = nd.where(nd.array(cond), nd.array(x, dtype=dt), nd.array(y, dtype=dt)).asnumpy()
        np.testing.assert_array_equal(got, np.where(cond != 0, x, y))  # NaN counts as true
