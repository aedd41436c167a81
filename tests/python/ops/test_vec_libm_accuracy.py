"""Accuracy of the elementwise ops whose kernels call libm functions that GCC
vectorizes through glibc's libmvec (core/ops/vec_libm.h): sin, cos, tan, the
inverse and hyperbolic functions, cbrt, expm1, log2, log10, pow, hypot.

libmvec promises at most 4 ulp; the sweeps below (dense grids, tiny and huge
arguments, sin/cos far from 0 where the argument reduction matters) check that
bound against numpy in float64 (float32 ops) or long double (float64 ops), and
that NaN, infinities and signed zeros come out as numpy's. On a build without
libmvec the same kernels call scalar libm, and the same bounds hold."""
import numpy as np
import pytest

from mxcore import nd

MAX_ULPS = 4.0


def _ulps(got, want, dtype):
    """|got - want| in units of the dtype's spacing at the exact value."""
    wide = np.float64 if dtype == np.float32 else np.longdouble
    return np.abs(got.astype(wide) - want) / np.spacing(np.abs(want).astype(dtype)).astype(wide)


def _reference(fn, a, dtype):
    wide = np.float64 if dtype == np.float32 else np.longdouble
    with np.errstate(all="ignore"):
        return fn(a.astype(wide))


def _check(got, want, dtype, min_normal=0.9):
    fin = np.finfo(dtype)
    normal = np.isfinite(want) & (np.abs(want) > fin.tiny) & (np.abs(want) < fin.max)
    assert normal.sum() > min_normal * want.size  # the sweep tests mostly ordinary values
    worst = _ulps(got[normal], want[normal], dtype)
    assert worst.max() <= MAX_ULPS, "max %.2f ulp at x index %d" % (worst.max(), np.argmax(worst))
    # where the exact value is not a normal number, the result is numpy's rounding of it
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(got[~normal], want[~normal].astype(dtype))


_WIDE = np.concatenate([np.linspace(-10, 10, 400_001), np.geomspace(1e-30, 1e6, 50_001),
                        -np.geomspace(1e-30, 1e6, 50_001)])
SWEEPS = {
    "sin": (np.sin, np.concatenate([_WIDE, np.geomspace(10, 3e38, 20_001), -np.geomspace(10, 3e38, 20_001)])),
    "cos": (np.cos, np.concatenate([_WIDE, np.geomspace(10, 3e38, 20_001), -np.geomspace(10, 3e38, 20_001)])),
    "tan": (np.tan, _WIDE),
    "arcsin": (np.arcsin, np.concatenate([np.linspace(-1, 1, 400_001), np.geomspace(1e-30, 1, 20_001)])),
    "arccos": (np.arccos, np.linspace(-1, 1, 400_001)),
    "arctan": (np.arctan, np.concatenate([_WIDE, np.geomspace(1e6, 3e38, 20_001)])),
    "sinh": (np.sinh, np.concatenate([np.linspace(-89, 89, 400_001), np.geomspace(1e-30, 1, 50_001)])),
    "cosh": (np.cosh, np.linspace(-89, 89, 400_001)),
    "arcsinh": (np.arcsinh, np.concatenate([_WIDE, np.geomspace(1e6, 3e38, 20_001)])),
    "arccosh": (np.arccosh, np.concatenate([np.linspace(1, 10, 400_001), np.geomspace(1, 3e38, 50_001)])),
    "arctanh": (np.arctanh, np.concatenate([np.linspace(-0.9999999, 0.9999999, 400_001),
                                            np.geomspace(1e-30, 0.5, 50_001)])),
    "cbrt": (np.cbrt, np.concatenate([np.linspace(-10, 10, 400_001), np.geomspace(1e-38, 3e38, 50_001),
                                      -np.geomspace(1e-38, 3e38, 50_001)])),
    "expm1": (np.expm1, np.concatenate([np.linspace(-100, 88, 400_001), np.geomspace(1e-30, 1, 50_001),
                                        -np.geomspace(1e-30, 1, 50_001)])),
    "log2": (np.log2, np.geomspace(1e-45, 3e38, 400_001)),
    "log10": (np.log10, np.geomspace(1e-45, 3e38, 400_001)),
}
SPECIALS = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 1e-40, -1e-40])


UNARY_CASES = [(op, dt) for op in sorted(SWEEPS) for dt in (np.float32, np.float64)]


def _apply(op, a):
    got = getattr(nd, op)(nd.array(a, dtype=a.dtype)).asnumpy()
    assert got.dtype == a.dtype  # computed in the input's dtype
    return got


@pytest.mark.parametrize("op,dtype", UNARY_CASES)
def test_unary_within_4_ulp(op, dtype):
    ref, sweep = SWEEPS[op]
    a = sweep.astype(dtype)
    _check(_apply(op, a), _reference(ref, a, dtype), dtype)


@pytest.mark.parametrize("op,dtype", UNARY_CASES)
def test_unary_special_values_as_numpy(op, dtype):
    a = SPECIALS.astype(dtype)
    got = _apply(op, a)
    ref = SWEEPS[op][0]
    with np.errstate(all="ignore"):
        want = ref(a)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    keep = ~np.isnan(want)
    np.testing.assert_allclose(got[keep], want[keep], rtol=4 * np.finfo(dtype).eps, atol=0)
    # signed zeros: sin(-0) is -0, cbrt(-0) is -0, ...
    zero = keep & (want == 0)
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def _pow_grid(dtype):
    base = np.concatenate([np.geomspace(1e-3, 1e3, 1201), -np.geomspace(1e-3, 1e3, 1201),
                           np.arange(-5.0, 6.0), [0.0, -0.0, np.inf, -np.inf, np.nan]])
    expo = np.concatenate([np.linspace(-8, 8, 801), np.arange(-4.0, 5.0), [0.5, -0.5, np.inf, -np.inf, np.nan]])
    x, y = np.meshgrid(base, expo)
    return x.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_power_within_4_ulp_and_ieee_cases(dtype):
    # negative bases give real results for integer exponents only (NaN otherwise),
    # 0 ** negative is inf, x ** 0 is 1 even for NaN x: pow's rules, as numpy's
    x, y = _pow_grid(dtype)
    got = nd.power(nd.array(x, dtype=dtype), nd.array(y, dtype=dtype)).asnumpy()
    # (negative bases with fractional exponents are NaN: about half the grid)
    _check(got, _reference(lambda v: np.power(v, y.astype(v.dtype)), x, dtype), dtype, min_normal=0.4)
    with np.errstate(all="ignore"):
        np.testing.assert_array_equal(np.isnan(got), np.isnan(np.power(x, y)))
    # the scalar forms run the same kernel family
    xs = x[0]
    np.testing.assert_array_equal((nd.array(xs, dtype=dtype) ** 2.5).asnumpy(),
                                  nd.power(nd.array(xs, dtype=dtype), nd.full(xs.shape, 2.5, dtype=dtype)).asnumpy())
    pos = np.linspace(-60, 60, 2001).astype(dtype)
    _check((2.5 ** nd.array(pos, dtype=dtype)).asnumpy(), _reference(lambda v: np.power(2.5, v), pos, dtype), dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_hypot_within_4_ulp(dtype):
    x, y = _pow_grid(dtype)
    got = nd.hypot(nd.array(x, dtype=dtype), nd.array(y, dtype=dtype)).asnumpy()
    wide = np.float64 if dtype == np.float32 else np.longdouble
    with np.errstate(all="ignore"):
        want = np.hypot(x.astype(wide), y.astype(wide))
    _check(got, want, dtype)
    # broadcast form: one row against a column
    got_b = nd.broadcast_hypot(nd.array(x[:1], dtype=dtype), nd.array(y[:, :1], dtype=dtype)).asnumpy()
    with np.errstate(all="ignore"):
        _check(got_b, np.hypot(x[:1].astype(wide), y[:, :1].astype(wide)), dtype)


def test_float32_results_are_computed_in_float32():
    # float32 sin is sinf (not double sin rounded): both are within 1-2 ulp of
    # the exact value, so compare with the exact value, and check the dtype
    a = np.linspace(-3, 3, 10_001).astype(np.float32)
    got = nd.sin(nd.array(a)).asnumpy()
    assert got.dtype == np.float32
    assert _ulps(got, np.sin(a.astype(np.float64)), np.float32).max() <= MAX_ULPS
