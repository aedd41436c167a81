"""Elementwise math of ``mx.np``: tables mapping numpy names onto registry ops
(unary ops, binary ops with numpy broadcasting and scalars), plus the few numpy
functions that are compositions of registry ops (clip with open bounds, round
half to even, isnan/isinf/isfinite)."""
from __future__ import annotations

import numpy as onp

from . import _core
from ._core import call, cast, dtype_of, is_float
from .ndarray import binary

# numpy name -> registry op; the result is float for integer inputs (numpy's rule
# for transcendental functions: exp(int) is a float)
_UNARY_FLOAT = {
    "exp": "exp", "expm1": "expm1", "log": "log", "log2": "log2", "log10": "log10", "log1p": "log1p",
    "sqrt": "sqrt", "cbrt": "cbrt", "sin": "sin", "cos": "cos", "tan": "tan", "arcsin": "arcsin",
    "arccos": "arccos", "arctan": "arctan", "sinh": "sinh", "cosh": "cosh", "tanh": "tanh",
    "arcsinh": "arcsinh", "arccosh": "arccosh", "arctanh": "arctanh", "degrees": "degrees",
    "radians": "radians", "rad2deg": "degrees", "deg2rad": "radians", "reciprocal": "reciprocal",
}
# numpy name -> registry op; the dtype is kept
_UNARY_SAME = {
    "abs": "abs", "absolute": "abs", "negative": "negative", "square": "square", "sign": "sign",
    "floor": "floor", "ceil": "ceil", "trunc": "trunc", "fix": "fix",
}
# numpy name -> binary kind of ndarray.binary
_BINARY = {
    "add": "add", "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "mod": "mod", "remainder": "mod", "power": "pow", "maximum": "maximum", "minimum": "minimum",
    "hypot": "hypot", "equal": "eq", "not_equal": "ne", "greater": "gt", "greater_equal": "ge",
    "less": "lt", "less_equal": "le", "logical_and": "and", "logical_or": "or", "logical_xor": "xor",
}

__all__ = sorted(list(_UNARY_FLOAT) + list(_UNARY_SAME) + list(_BINARY)) + [
    "clip", "around", "round", "round_", "rint", "isnan", "isinf", "isfinite", "logical_not", "floor_divide",
    "positive", "copysign"]


def _make_unary(npname, op, to_float):
    def fn(x, out=None, **kwargs):
        x = _core.asarray(x)
        if to_float and not is_float(dtype_of(x)):
            x = cast(x, onp.float32)
        return call(op, [x], out=out)
    fn.__name__ = npname
    fn.__doc__ = "numpy.%s elementwise (registry op `%s`)." % (npname, op)
    return fn


def _make_binary(npname, kind):
    def fn(x1, x2, out=None, **kwargs):
        if isinstance(x1, _core.NDArray) or not _core.is_scalar(x1):
            r = binary(kind, _core.asarray(x1), x2)
        else:
            r = binary(kind, _core.asarray(x2), x1, reflected=True)
        if out is not None:
            out[...] = r
            return out
        return r
    fn.__name__ = npname
    fn.__doc__ = "numpy.%s with numpy broadcasting." % npname
    return fn


def _install(namespace):
    for n, op in _UNARY_FLOAT.items():
        namespace[n] = _make_unary(n, op, True)
    for n, op in _UNARY_SAME.items():
        namespace[n] = _make_unary(n, op, False)
    for n, kind in _BINARY.items():
        namespace[n] = _make_binary(n, kind)


_install(globals())


def floor_divide(x1, x2, out=None):
    from .ndarray import _floordiv
    return _floordiv(_core.asarray(x1), x2)


def positive(x, out=None):
    return _core.asarray(x)


def logical_not(x, out=None):
    x = _core.asarray(x)
    return cast(call("logical_not", [x]), onp.bool_)


def clip(a, a_min=None, a_max=None, out=None):
    """numpy.clip; either bound may be None (open)."""
    if a_min is None and a_max is None:
        raise ValueError("clip: one of a_min and a_max must be given")
    a = _core.asarray(a)
    lo = -onp.inf if a_min is None else a_min
    hi = onp.inf if a_max is None else a_max
    if isinstance(lo, _core.NDArray) or isinstance(hi, _core.NDArray):
        return minimum(maximum(a, lo), hi)  # noqa: F821  (installed above)
    return call("clip", [a], {"a_min": float(lo), "a_max": float(hi)}, out=out)


def rint(x, out=None):
    """Round half to even, as numpy (the registry's rint/round round halves away
    from zero): away-from-zero results that land on an odd number at an exact half
    step back by one."""
    x = _core.asarray(x)
    if not is_float(dtype_of(x)):
        return x
    r = call("round", [x])
    half = binary("eq", call("abs", [binary("sub", x, call("fix", [x]))]), 0.5)
    odd = binary("ne", binary("mod", r, 2.0), 0.0)
    fix = cast(binary("and", half, odd), dtype_of(x))
    r = binary("sub", r, binary("mul", call("sign", [x]), fix))
    if out is not None:
        out[...] = r
        return out
    return r


def around(x, decimals=0, out=None):
    x = _core.asarray(x)
    if decimals == 0:
        return rint(x, out=out)
    scale = 10.0 ** decimals
    r = binary("div", rint(binary("mul", x, scale)), scale)
    if out is not None:
        out[...] = r
        return out
    return r


round = round_ = around  # noqa: A001  (numpy's names)


def isnan(x, out=None):
    x = _core.asarray(x)
    return binary("ne", x, x)


def isinf(x, out=None):
    x = _core.asarray(x)
    if not is_float(dtype_of(x)):
        return binary("ne", x, x)
    return binary("eq", call("abs", [x]), float("inf"))


def isfinite(x, out=None):
    x = _core.asarray(x)
    return logical_not(binary("or", isnan(x), isinf(x)))


def copysign(x1, x2, out=None):
    x1 = _core.asarray(x1)
    s = binary("ge", _core.asarray(x2) if not _core.is_scalar(x2) else _core.asarray(onp.float32(x2)), 0.0)
    sign = binary("sub", binary("mul", cast(s, dtype_of(x1)), 2.0), 1.0)
    return binary("mul", call("abs", [x1]), sign)

