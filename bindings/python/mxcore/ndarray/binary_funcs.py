"""MXNet's two-operand helper functions (``mx.nd.maximum(x, 0)``,
``mx.sym.greater(a, b)``, ``mx.nd.add(2, x)``): either operand may be an
array (NDArray or Symbol) or a number. Two arrays run the broadcast_* op (as
MXNet's nd.add does); an array and a number use the array types' operators
(their scalar ops) or, for max/min/hypot/logical ops, the _*_scalar op.
Both operands numbers: the plain Python result, as in MXNet."""
from __future__ import annotations

import math
import operator

# name -> (registry op for two arrays, Python operator otherwise)
_ARITH = {"add": ("broadcast_add", operator.add), "subtract": ("broadcast_sub", operator.sub),
          "multiply": ("broadcast_mul", operator.mul), "divide": ("broadcast_div", operator.truediv),
          "true_divide": ("broadcast_div", operator.truediv), "modulo": ("broadcast_mod", operator.mod),
          "power": ("broadcast_power", operator.pow), "pow": ("broadcast_power", operator.pow),
          "equal": ("broadcast_equal", operator.eq), "not_equal": ("broadcast_not_equal", operator.ne),
          "greater": ("broadcast_greater", operator.gt), "greater_equal": ("broadcast_greater_equal", operator.ge),
          "lesser": ("broadcast_lesser", operator.lt), "lesser_equal": ("broadcast_lesser_equal", operator.le)}

# name -> (registry op for two arrays, registry op for array and number, plain Python for two numbers);
# every one of these is symmetric, so the number may be on either side
_SYMMETRIC = {"maximum": ("broadcast_maximum", "_maximum_scalar", max),
              "minimum": ("broadcast_minimum", "_minimum_scalar", min),
              "hypot": ("broadcast_hypot", "_hypot_scalar", math.hypot),
              "logical_and": ("broadcast_logical_and", "_logical_and_scalar", lambda a, b: float(bool(a and b))),
              "logical_or": ("broadcast_logical_or", "_logical_or_scalar", lambda a, b: float(bool(a or b))),
              "logical_xor": ("broadcast_logical_xor", "_logical_xor_scalar",
                              lambda a, b: float(bool(a) != bool(b)))}

NAMES = sorted(_ARITH) + sorted(_SYMMETRIC)


def _arith(name, array_type, call, both_arrays, fn):
    def f(lhs, rhs):
        if isinstance(lhs, array_type) and isinstance(rhs, array_type):
            return call(both_arrays, (lhs, rhs), {})
        return fn(lhs, rhs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = "MXNet's %s(lhs, rhs): either operand may be an array or a number." % name
    return f


def _symmetric(name, array_type, call, both_arrays, with_scalar, numbers):
    def f(lhs, rhs):
        la, ra = isinstance(lhs, array_type), isinstance(rhs, array_type)
        if la and ra:
            return call(both_arrays, (lhs, rhs), {})
        if la or ra:
            arr, num = (lhs, rhs) if la else (rhs, lhs)
            return call(with_scalar, (arr,), {"scalar": float(num)})
        return numbers(lhs, rhs)
    f.__name__ = f.__qualname__ = name
    f.__doc__ = "MXNet's %s(lhs, rhs): either operand may be an array or a number." % name
    return f


def install(namespace: dict, array_type, call) -> list:
    """Define the helpers in `namespace`; `call(op, inputs, attrs)` runs a registry op
    and returns its one output. Returns the names defined."""
    for name, (both, fn) in _ARITH.items():
        namespace[name] = _arith(name, array_type, call, both, fn)
    for name, (both, scalar, numbers) in _SYMMETRIC.items():
        namespace[name] = _symmetric(name, array_type, call, both, scalar, numbers)
    return list(NAMES)
