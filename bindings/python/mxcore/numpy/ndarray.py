"""``mx.np.ndarray``: the numpy-compatible array of MXNet 1.6+ (``from mxnet import np``).

It is a Python subclass of the legacy NDArray over the same core tensor handle;
only what numpy defines differently is overridden: operators (numpy broadcasting,
dtype promotion, boolean comparisons, true division, ``@`` as matmul), indexing
(integer keys give 0-d arrays), reductions (numpy keyword names, 0-d results),
``reshape``/``flatten``/``transpose`` signatures, ``dtype`` (a numpy dtype object)
and ``repr`` (``array([1., 2.])``; float32, the default dtype, is not printed).
Every other inherited method runs unchanged and its array results come back as
numpy-mode arrays. Autograd is the core's: every operation is a registry op.
"""
from __future__ import annotations

import re

import numpy as onp

from ..ndarray import ndarray as _legacy
from ..ndarray.ndarray import NDArray, _get_op
from . import _core
from ._core import as_nd, call, cast, dtype_of, fix_shape, is_float, is_scalar, wrap

__all__ = ["ndarray"]

# kind -> (array op, scalar op, reflected scalar op)
_ARITH = {
    "add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "div": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
    "maximum": ("broadcast_maximum", "_maximum_scalar", "_maximum_scalar"),
    "minimum": ("broadcast_minimum", "_minimum_scalar", "_minimum_scalar"),
    "hypot": ("broadcast_hypot", "_hypot_scalar", "_hypot_scalar"),
}
_COMPARE = {
    "eq": ("broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": ("broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
    "and": ("broadcast_logical_and", "_logical_and_scalar", "_logical_and_scalar"),
    "or": ("broadcast_logical_or", "_logical_or_scalar", "_logical_or_scalar"),
    "xor": ("broadcast_logical_xor", "_logical_xor_scalar", "_logical_xor_scalar"),
}


def _operand(v, like):
    """The other operand of a binary op: an array, or None for a Python scalar."""
    if isinstance(v, NDArray):
        return v
    if is_scalar(v):
        return None
    if isinstance(v, (onp.ndarray, list, tuple)):
        a = onp.asarray(v)
        return _core.asarray(a, dtype=None if a.dtype.kind in "biuf" and isinstance(v, onp.ndarray)
                             else onp.float32, ctx=like.context)
    raise TypeError("unsupported operand type for mx.np.ndarray: %s" % type(v).__name__)


def binary(kind: str, a, b, reflected=False):
    """a <kind> b with numpy broadcasting; `a` is an array, `b` an array or a scalar.
    A scalar keeps the array's dtype (MXNet 1.9.1: int32 array + 1.5 stays int32);
    division of integers is true division (float32); comparisons give bool."""
    compare = kind in _COMPARE
    if not compare and type(a) is ndarray:
        # fast path (the common eager case): float arrays of one dtype, or a float
        # array and a Python number; one registry call, no promotion
        da = NDArray.dtype.fget(a)
        if da in _FAST_FLOATS:
            tb = type(b)
            if tb is ndarray and NDArray.dtype.fget(b) is da:
                h = _handles(kind)
                r = _legacy._fast2(h[0], b.handle, a.handle, None) if reflected else \
                    _legacy._fast2(h[0], a.handle, b.handle, None)
                r.__class__ = ndarray
                return r
            if tb is float or tb is int:
                h = _handles(kind)
                r = _legacy._inv_scalar(h[2] if reflected else h[1], a.handle, b)
                r.__class__ = ndarray
                return r
    ops = _COMPARE[kind] if compare else _ARITH[kind]
    if not isinstance(a, NDArray):
        a = _core.asarray(a)
    other = _operand(b, a)
    if other is None:
        x = a
        if not compare and (kind in ("div", "pow") and not is_float(dtype_of(x))
                            or dtype_of(x) == onp.bool_):
            x = cast(x, onp.float32)
        if isinstance(b, (bool, onp.bool_)):
            b = int(b)
        r = call(ops[2] if reflected else ops[1], [x], {"scalar": b})
    else:
        x, y = (other, a) if reflected else (a, other)
        x, y = _core.promote(x, y)
        if not compare and (kind == "div" and not is_float(dtype_of(x)) or dtype_of(x) == onp.bool_):
            x, y = cast(x, onp.float32), cast(y, onp.float32)
        r = call(ops[0], [x, y])
    return cast(r, onp.bool_) if compare else r


_FAST_FLOATS = (onp.float32, onp.float64, onp.float16)
_HANDLES: dict = {}


def _handles(kind):
    h = _HANDLES.get(kind)
    if h is None:
        h = _HANDLES[kind] = tuple(_get_op(n) for n in _ARITH[kind])
    return h


def _floordiv(a, b, reflected=False):
    q = binary("div", a, b, reflected)
    dt = dtype_of(a) if not isinstance(b, NDArray) else _core.promote(a, b)[0].dtype
    r = call("floor", [q])
    return r if is_float(dt) else cast(r, dt)


_DTYPE_SUFFIX = re.compile(r",\s*dtype=[a-z0-9_]+\)$")


def _repr_body(a: onp.ndarray) -> str:
    """numpy's repr, with MXNet 1.9.1's dtype rule: float32 (the default) and bool
    are not printed, every other dtype is (``array([1, 2], dtype=int64)``)."""
    text = _DTYPE_SUFFIX.sub(")", repr(a))
    if a.dtype not in (onp.float32, onp.bool_):
        text = text[:-1] + ", dtype=%s)" % a.dtype.name
    return text


class ndarray(NDArray):
    """An n-dimensional array with numpy semantics on an mxcore device."""

    __slots__ = ()

    # ---- properties ----
    @property
    def dtype(self):
        return onp.dtype(NDArray.dtype.fget(self))

    @property
    def device(self):
        return self.context

    @property
    def T(self):
        return self.transpose()

    @property
    def grad(self):
        g = NDArray.grad.fget(self)
        return wrap(g)

    # ---- conversion ----
    def __repr__(self):
        return _repr_body(self.asnumpy())

    def __str__(self):
        return str(self.asnumpy())

    def item(self, *args):
        return self.asnumpy().item(*args)

    def tolist(self):
        return self.asnumpy().tolist()

    def asscalar(self):
        return self.item()

    def astype(self, dtype, copy=True, **kwargs):
        dt = onp.dtype(dtype)
        if not copy and dt == self.dtype:
            return self
        return wrap(NDArray.astype(self, dt, copy=True))

    def as_nd_ndarray(self):
        return as_nd(self)

    def as_np_ndarray(self):
        return self

    def __array__(self, dtype=None, copy=None):
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(),))

    def __hash__(self):
        return id(self)

    def __bool__(self):
        if self.size != 1:
            raise ValueError("The truth value of an ndarray with more than one element is ambiguous. "
                             "Use a.any() or a.all()")
        return bool(self.item())

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object")
        return self.shape[0]

    # ---- operators ----
    def __add__(self, o):
        return binary("add", self, o)

    def __radd__(self, o):
        return binary("add", self, o, True)

    def __sub__(self, o):
        return binary("sub", self, o)

    def __rsub__(self, o):
        return binary("sub", self, o, True)

    def __mul__(self, o):
        return binary("mul", self, o)

    def __rmul__(self, o):
        return binary("mul", self, o, True)

    def __truediv__(self, o):
        return binary("div", self, o)

    def __rtruediv__(self, o):
        return binary("div", self, o, True)

    def __floordiv__(self, o):
        return _floordiv(self, o)

    def __rfloordiv__(self, o):
        return _floordiv(self, o, True)

    def __mod__(self, o):
        return binary("mod", self, o)

    def __rmod__(self, o):
        return binary("mod", self, o, True)

    def __pow__(self, o):
        return binary("pow", self, o)

    def __rpow__(self, o):
        return binary("pow", self, o, True)

    def __matmul__(self, o):
        from .linalg_ops import matmul
        return matmul(self, o)

    def __rmatmul__(self, o):
        from .linalg_ops import matmul
        return matmul(_core.asarray(o), self)

    def _inplace(self, kind, o):
        r = binary(kind, self, o)
        if r.dtype != self.dtype:
            r = cast(r, self.dtype)
        self[...] = r
        return self

    def __iadd__(self, o):
        return self._inplace("add", o)

    def __isub__(self, o):
        return self._inplace("sub", o)

    def __imul__(self, o):
        return self._inplace("mul", o)

    def __itruediv__(self, o):
        return self._inplace("div", o)

    def __imod__(self, o):
        return self._inplace("mod", o)

    def __ipow__(self, o):
        return self._inplace("pow", o)

    def __eq__(self, o):
        if o is None:
            return False
        return binary("eq", self, o)

    def __ne__(self, o):
        if o is None:
            return True
        return binary("ne", self, o)

    def __gt__(self, o):
        return binary("gt", self, o)

    def __ge__(self, o):
        return binary("ge", self, o)

    def __lt__(self, o):
        return binary("lt", self, o)

    def __le__(self, o):
        return binary("le", self, o)

    def __and__(self, o):
        return binary("and", self, o)

    __rand__ = __and__

    def __or__(self, o):
        return binary("or", self, o)

    __ror__ = __or__

    def __xor__(self, o):
        return binary("xor", self, o)

    __rxor__ = __xor__

    def __invert__(self):
        if self.dtype != onp.bool_:
            raise TypeError("mx.np.ndarray: ~ is implemented for boolean arrays only, got %s" % self.dtype)
        return cast(call("logical_not", [self]), onp.bool_)

    def __neg__(self):
        return call("negative", [self])

    def __pos__(self):
        return self

    def __abs__(self):
        return call("abs", [self])

    # ---- indexing ----
    def __getitem__(self, key):
        r = wrap(NDArray.__getitem__(self, key))
        keys = key if isinstance(key, tuple) else (key,)
        if (all(isinstance(k, (int, onp.integer)) and not isinstance(k, bool) for k in keys)
                and len(keys) == self.ndim and r.shape != ()):
            r = fix_shape(r, ())  # numpy: a full integer index gives a 0-d array
        return r

    def __setitem__(self, key, value):
        if isinstance(value, NDArray) and value.dtype != self.dtype:
            value = cast(value, self.dtype)
        if isinstance(key, NDArray):
            key = key.asnumpy()
            key = key if key.dtype == onp.bool_ else key.astype(onp.int64)
        if isinstance(key, onp.ndarray) and key.dtype == onp.bool_ and is_scalar(value) \
                and key.shape == self.shape:
            # x[mask] = v (d2l's relu from scratch, clipping): one recorded where()
            m = _core.asarray(key, dtype=self.dtype, ctx=self.context)
            r = call("where", [m, _full_like(self, value), self])
            NDArray.__setitem__(self, slice(None), r)
            return
        NDArray.__setitem__(self, key, value)

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d array")
        for i in range(self.shape[0]):
            yield self[i]

    # ---- shape ----
    def reshape(self, *shape, order="C", **kwargs):
        if "newshape" in kwargs:
            shape = (kwargs.pop("newshape"),)
        if kwargs:
            raise TypeError("reshape: unexpected arguments %s" % list(kwargs))
        if order != "C":
            raise NotImplementedError("reshape: only order='C' is supported")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        elif len(shape) == 1 and shape[0] is None:
            shape = ()
        shape = tuple(int(s) for s in shape)
        if shape.count(-1) > 1:
            raise ValueError("reshape: can only specify one unknown dimension (-1), got %s" % (shape,))
        if any(s < -1 for s in shape):
            raise ValueError("reshape: negative dimension %s (numpy mode knows only -1)" % (shape,))
        size = self.size
        if -1 in shape:
            known = 1
            for s in shape:
                if s != -1:
                    known *= s
            if known == 0 or size % known:
                raise ValueError("cannot reshape array of size %d into shape %s" % (size, shape))
            shape = tuple(size // known if s == -1 else s for s in shape)
        n = 1
        for s in shape:
            n *= s
        if n != size:
            raise ValueError("cannot reshape array of size %d into shape %s" % (size, shape))
        if shape == self.shape and not _legacy._is_recording():
            return self
        return call("reshape", [self], {"shape": shape})

    def flatten(self, order="C"):
        return self.reshape(-1)

    def ravel(self, order="C"):
        return self.reshape(-1)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (list, tuple))):
            axes = axes[0] or ()
        if self.ndim < 2 and not axes:
            return self
        return call("transpose", [self], {"axes": tuple(axes)} if axes else None)

    def swapaxes(self, axis1, axis2):
        return call("swapaxes", [self], {"dim1": axis1, "dim2": axis2})

    def squeeze(self, axis=None):
        from .manipulation import squeeze
        return squeeze(self, axis)

    def expand_dims(self, axis):
        return call("expand_dims", [self], {"axis": axis})

    def broadcast_to(self, shape):
        from .manipulation import broadcast_to
        return broadcast_to(self, shape)

    def repeat(self, repeats, axis=None):
        from .manipulation import repeat
        return repeat(self, repeats, axis)

    def tile(self, reps):
        from .manipulation import tile
        return tile(self, reps)

    def split(self, indices_or_sections, axis=0):
        from .manipulation import split
        return split(self, indices_or_sections, axis)

    # ---- reductions and friends (numpy keyword names) ----
    def sum(self, axis=None, dtype=None, out=None, keepdims=False):
        from .reduction import sum as f
        return f(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, out=None, keepdims=False):
        from .reduction import mean as f
        return f(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        from .reduction import prod as f
        return f(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def max(self, axis=None, out=None, keepdims=False):
        from .reduction import max as f
        return f(self, axis=axis, out=out, keepdims=keepdims)

    def min(self, axis=None, out=None, keepdims=False):
        from .reduction import min as f
        return f(self, axis=axis, out=out, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        from .reduction import std as f
        return f(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        from .reduction import var as f
        return f(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis=None, out=None):
        from .reduction import argmax as f
        return f(self, axis=axis, out=out)

    def argmin(self, axis=None, out=None):
        from .reduction import argmin as f
        return f(self, axis=axis, out=out)

    def cumsum(self, axis=None, dtype=None, out=None):
        from .reduction import cumsum as f
        return f(self, axis=axis, dtype=dtype, out=out)

    def all(self, axis=None, out=None, keepdims=False):
        from .reduction import all as f
        return f(self, axis=axis, keepdims=keepdims)

    def any(self, axis=None, out=None, keepdims=False):
        from .reduction import any as f
        return f(self, axis=axis, keepdims=keepdims)

    def sort(self, axis=-1, kind=None, order=None):
        from .reduction import sort as f
        r = f(self, axis=axis)
        self[...] = r  # numpy's ndarray.sort is in place

    def argsort(self, axis=-1, kind=None, order=None):
        from .reduction import argsort as f
        return f(self, axis=axis)

    def clip(self, a_min=None, a_max=None, out=None):
        from .math_ops import clip
        return clip(self, a_min, a_max, out=out)

    def round(self, decimals=0, out=None):
        from .math_ops import around
        return around(self, decimals, out=out)

    def dot(self, b, out=None):
        from .linalg_ops import dot
        return dot(self, b, out=out)

    def nonzero(self):
        from .reduction import nonzero
        return nonzero(self)

    def take(self, indices, axis=None, mode="raise"):
        from .indexing import take
        return take(self, indices, axis=axis, mode=mode)


def _full_like(x, value):
    r = _legacy.full(x.shape, value, ctx=x.context, dtype=x.dtype)
    return wrap(r)


def _rebuild(a):
    return _core.asarray(a, dtype=a.dtype)


def _result_wrapping(fn):
    def method(self, *args, **kwargs):
        return wrap(fn(self, *args, **kwargs))
    method.__name__ = getattr(fn, "__name__", "method")
    method.__doc__ = fn.__doc__
    return method


# every other public legacy method returns numpy-mode arrays on a numpy-mode array
for _name, _fn in list(vars(NDArray).items()):
    if _name.startswith("_") or _name in vars(ndarray) or not callable(_fn):
        continue
    setattr(ndarray, _name, _result_wrapping(_fn))

_core._NP_CLASS.append(ndarray)
