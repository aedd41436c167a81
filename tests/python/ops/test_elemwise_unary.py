"""Unary element-wise ops: forward against numpy/scipy over shapes and dtypes
(incl. 0-d and zero-size), gradients against finite differences, zero/one
gradients of rounding/BlockGrad/make_loss, Cast, clip and bad input."""
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
