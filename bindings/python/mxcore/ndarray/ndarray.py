"""NDArray: the imperative tensor of mxcore (MXNet 1.x legacy semantics).

Every operation goes through one C call, mx_op_invoke. Dispatch is kept
short because `a + b` on tiny arrays is benchmarked: op handles are looked up
once and cached, attribute strings are encoded once and cached, the input/
output handle arrays are preallocated per thread, and NDArray has __slots__
with a two-line constructor. Shapes and dtypes are immutable per handle, so
they are cached on first use.
"""
from __future__ import annotations

import threading
import weakref
from builtins import slice as py_slice  # noqa: F401  (MXNet's name; user code imports it from here)
from numbers import Number

import numpy as np

from .. import base as _base
from ..base import MXNetError, MXNetValueError, _raise, attr_str, check_call, dtype_from_mx, ffi, lib, mx_dtype, np_dtype
from ..context import Context, current_context

__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace", "concat",
           "concatenate", "stack", "waitall", "from_numpy", "invoke", "moveaxis"]

_NULL = ffi.NULL
_MAX_IO = 64


# ---- op handles and attribute strings (cached) ----------------------------
_op_cache: dict = {}


def _get_op(name: str):
    h = _op_cache.get(name)
    if h is None:
        p = ffi.new("mx_op *")
        check_call(lib.mx_op_lookup(name.encode(), p))
        h = _op_cache[name] = p[0]
    return h


def _op_name(h) -> str:
    """The registry name of op handle `h` (for error messages)."""
    p = ffi.new("const char **")
    return ffi.string(p[0]).decode() if lib.mx_op_name(h, p) == 0 else "op"


def _has_op(name: str) -> bool:
    if name in _op_cache:
        return True
    p = ffi.new("mx_op *")
    if lib.mx_op_lookup(name.encode(), p) == 0:
        _op_cache[name] = p[0]
        return True
    return False


_str_cache: dict = {}


def _cstr(s: str):
    c = _str_cache.get(s)
    if c is None:
        if len(_str_cache) > 8192:
            _str_cache.clear()
        c = _str_cache[s] = ffi.new("char[]", s.encode())
    return c


class _Bufs(threading.local):
    def __init__(self):
        self.ins = ffi.new("mx_tensor[]", _MAX_IO)
        self.outs = ffi.new("mx_tensor[]", _MAX_IO)
        self.nout = ffi.new("int *")
        self.keys = ffi.new("const char *[]", 32)
        self.vals = ffi.new("const char *[]", 32)
        self.ndim = ffi.new("int *")
        self.shape = ffi.new("const int64_t **")
        self.i = ffi.new("int *")
        self.dev = ffi.new("mx_device *")
        self.io = (self.ins, self.outs, self.nout)
        self.out1 = ffi.new("mx_tensor *")  # mx_op_call1/2 result


_bufs = _Bufs()


def _encode_attrs(attrs: dict):
    """dict -> (keys, vals, n) cffi arrays; values keep their char[] alive through _str_cache."""
    n = len(attrs)
    if not n:
        return _NULL, _NULL, 0, None
    b = _bufs
    if n <= 32:
        keys, vals = b.keys, b.vals
    else:
        keys, vals = ffi.new("const char *[]", n), ffi.new("const char *[]", n)
    pins = []
    for i, (k, v) in enumerate(attrs.items()):
        s = attr_str(v)
        ck = _cstr(k)
        cv = _cstr(s) if len(s) < 64 else ffi.new("char[]", s.encode())
        pins.append(cv)
        keys[i] = ck
        vals[i] = cv
    return keys, vals, n, pins


_attr_cache: dict = {}
_tuple, _map, _type = tuple, map, type


def _encode_attrs_cached(attrs: dict):
    """Like _encode_attrs, but a call site that passes the same attributes
    again (gluon layers, optimizers) reuses arrays encoded once. The key holds
    the value types too, so True/1/1.0 (which encode differently) never share
    an entry; unhashable values take the uncached path."""
    try:
        key = (_tuple(attrs.items()), _tuple(_map(_type, attrs.values())))
        hit = _attr_cache.get(key)
    except TypeError:
        return _encode_attrs(attrs)
    if hit is None:
        n = len(attrs)
        keys, vals = ffi.new("const char *[]", n), ffi.new("const char *[]", n)
        pins = []
        for i, (k, v) in enumerate(attrs.items()):
            ck, cv = ffi.new("char[]", k.encode()), ffi.new("char[]", attr_str(v).encode())
            pins += (ck, cv)
            keys[i] = ck
            vals[i] = cv
        if len(_attr_cache) >= 4096:
            _attr_cache.clear()
        hit = _attr_cache[key] = (keys, vals, n, pins)
    return hit


def invoke(op, inputs, attrs=None, out=None, ctx=None):
    """Run registry op `op` (name or handle) on NDArray `inputs`.
    Returns a list of NDArrays (the visible outputs) or `out`."""
    if isinstance(op, str):
        op = _get_op(op)
    b = _bufs
    n = len(inputs)
    ins = b.ins if n <= _MAX_IO else ffi.new("mx_tensor[]", n)
    try:
        for i, x in enumerate(inputs):
            ins[i] = x.handle
    except AttributeError:
        name = op if isinstance(op, str) else _op_name(op)
        raise TypeError("%s: input %d must be an NDArray, got %s %r" % (name, i, type(x).__name__, x)) from None
    if attrs:
        keys, vals, na, pins = _encode_attrs_cached(attrs)
    else:
        keys = vals = _NULL
        na = 0
    nout = b.nout
    if out is not None:
        outs_list = out if isinstance(out, (list, tuple)) else [out]
        outs = b.outs
        for i, o in enumerate(outs_list):
            outs[i] = o.handle
        nout[0] = len(outs_list)
        if lib.mx_op_invoke(op, ins, n, keys, vals, na, outs, _MAX_IO, nout):
            _raise()
        return out
    nout[0] = 0
    outs = b.outs
    if lib.mx_op_invoke(op, ins, n, keys, vals, na, outs, _MAX_IO, nout):
        wide = _int_attr(attrs, 'num_outputs')
        if wide <= _MAX_IO:
            _raise()
        # split into more parts than the shared buffer holds: the core asked for room
        outs = ffi.new("mx_tensor[]", wide)
        if lib.mx_op_invoke(op, ins, n, keys, vals, na, outs, wide, nout):
            _raise()
    return [_new(outs[i]) for i in range(nout[0])]


def _int_attr(attrs, key):
    try:
        return int(attrs.get(key, 0)) if attrs else 0
    except (TypeError, ValueError):
        return 0


def _inv1(op, h, keys=_NULL, vals=_NULL, na=0):
    b = _bufs
    b.ins[0] = h
    b.nout[0] = 0
    if lib.mx_op_invoke(op, b.ins, 1, keys, vals, na, b.outs, _MAX_IO, b.nout):
        _raise()
    return _new(b.outs[0])


def _inv2(op, h1, h2, outh=None):
    ins, outs, nout = _bufs.io
    ins[0] = h1
    ins[1] = h2
    if outh is not None:
        outs[0] = outh
        nout[0] = 1
        if lib.mx_op_invoke(op, ins, 2, _NULL, _NULL, 0, outs, _MAX_IO, nout):
            _raise()
        return None
    nout[0] = 0
    if lib.mx_op_invoke(op, ins, 2, _NULL, _NULL, 0, outs, _MAX_IO, nout):
        _raise()
    a = _NEW(NDArray)
    a.handle = outs[0]
    a._shape = None
    a._dtype = None
    return a


_SCALAR_KEY = [None]


def _inv_scalar(op, h, scalar, outh=None):
    b = _bufs
    b.ins[0] = h
    keys = b.keys
    keys[0] = _SCALAR_KEY[0]
    s = repr(float(scalar)) if not isinstance(scalar, (int, np.integer)) or isinstance(scalar, bool) \
        else str(int(scalar))
    cv = _cstr(s)
    b.vals[0] = cv
    if outh is not None:
        b.outs[0] = outh
        b.nout[0] = 1
        if lib.mx_op_invoke(op, b.ins, 1, keys, b.vals, 1, b.outs, _MAX_IO, b.nout):
            _raise()
        return None
    b.nout[0] = 0
    if lib.mx_op_invoke(op, b.ins, 1, keys, b.vals, 1, b.outs, _MAX_IO, b.nout):
        _raise()
    return _new(b.outs[0])


_SCALAR_KEY[0] = _cstr("scalar")


def _new(h) -> "NDArray":
    a = _NEW(NDArray)
    a.handle = h
    a._shape = None
    a._dtype = None
    return a


_NEW = object.__new__


def _is_recording() -> bool:
    b = _bufs
    lib.mx_autograd_is_recording(b.i)
    return bool(b.i[0])


# ---- binary operator dispatch ----------------------------------------------
# op family -> (elemwise op, broadcast op, scalar op, reflected scalar op)
_BINOPS = {
    "add": ("elemwise_add", "broadcast_add", "_plus_scalar", "_plus_scalar"),
    "sub": ("elemwise_sub", "broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "mul": ("elemwise_mul", "broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "div": ("elemwise_div", "broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "mod": ("broadcast_mod", "broadcast_mod", "_mod_scalar", "_rmod_scalar"),
    "pow": ("broadcast_power", "broadcast_power", "_power_scalar", "_rpower_scalar"),
    "eq": ("broadcast_equal", "broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "ne": ("broadcast_not_equal", "broadcast_not_equal", "_not_equal_scalar", "_not_equal_scalar"),
    "gt": ("broadcast_greater", "broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "ge": ("broadcast_greater_equal", "broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "lt": ("broadcast_lesser", "broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "le": ("broadcast_lesser_equal", "broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
    "maximum": ("broadcast_maximum", "broadcast_maximum", "_maximum_scalar", "_maximum_scalar"),
    "minimum": ("broadcast_minimum", "broadcast_minimum", "_minimum_scalar", "_minimum_scalar"),
}
_binop_handles: dict = {}


def _binop_ops(kind):
    hs = _binop_handles.get(kind)
    if hs is None:
        names = _BINOPS[kind]
        ew = names[0] if _has_op(names[0]) else names[1]
        hs = _binop_handles[kind] = (_get_op(ew), _get_op(names[1]), names[2], names[3])
    return hs


def _binary(kind, lhs, rhs, reflected=False, out=None):
    if type(rhs) is NDArray or isinstance(rhs, NDArray):
        hs = _binop_handles.get(kind) or _binop_ops(kind)
        a, b = (rhs, lhs) if reflected else (lhs, rhs)
        sa = a._shape or a.shape
        sb = b._shape or b.shape
        op = hs[0] if sa == sb else hs[1]
        if out is not None:
            _inv2(op, a.handle, b.handle, out.handle)
            return out
        return _inv2(op, a.handle, b.handle)
    if isinstance(rhs, (Number, np.generic)):
        hs = _binop_handles.get(kind) or _binop_ops(kind)
        opname = hs[3] if reflected else hs[2]
        op = _op_cache.get(opname) or _get_op(opname)
        if out is not None:
            _inv_scalar(op, lhs.handle, rhs, out.handle)
            return out
        return _inv_scalar(op, lhs.handle, rhs)
    if isinstance(rhs, np.ndarray):
        return _binary(kind, lhs, array(rhs, ctx=lhs.context, dtype=lhs.dtype), reflected, out)
    return NotImplemented


def _shape_of(h):
    b = _bufs
    if lib.mx_tensor_shape(h, b.ndim, b.shape):
        _raise()
    nd = b.ndim[0]
    return tuple(b.shape[0][0:nd]) if nd else ()


# arrays whose gradient is seen as row_sparse (attach_grad(stype='row_sparse')), by id;
# the weak values drop an entry with its array
_ROW_SPARSE_GRAD = weakref.WeakValueDictionary()


class NDArray:
    """An n-dimensional array on a device, backed by a refcounted core tensor."""

    __slots__ = ("handle", "_shape", "_dtype", "__weakref__")
    __array_priority__ = 1000.0

    def __init__(self, handle, writable=True):
        self.handle = handle
        self._shape = None
        self._dtype = None

    def __del__(self, _release=lib.mx_tensor_release):
        # the release function is bound at class creation: no global lookups
        # on the hottest path, and it survives module teardown at exit
        try:
            _release(self.handle)
        except Exception:  # half-built object (no handle) or interpreter shutdown
            pass

    # ---- properties ----
    @property
    def shape(self) -> tuple:
        s = self._shape
        if s is None:
            s = self._shape = _shape_of(self.handle)
        return s

    @property
    def dtype(self):
        """The element type as MXNet 1.x gives it: the numpy scalar type (np.float32,
        not np.dtype('float32')); np.dtype(x.dtype) gives the dtype object."""
        d = self._dtype
        if d is None:
            b = _bufs
            check_call(lib.mx_tensor_dtype(self.handle, b.i))
            d = self._dtype = dtype_from_mx(b.i[0]).type
        return d

    @property
    def size(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def context(self) -> Context:
        d = _bufs.dev
        if lib.mx_tensor_device(self.handle, d):
            _raise()
        c = _NEW(Context)
        c.device_typeid = d.type
        c.device_id = d.id
        c._old = None
        return c

    ctx = context

    @property
    def stype(self) -> str:
        return "default"

    @property
    def T(self) -> "NDArray":
        """The transpose as a new array (MXNet's ``transpose(self)``: writing to it
        leaves self alone); arrays of fewer than 2 dims are returned as they are."""
        if self.ndim < 2:
            return self
        return invoke("transpose", [self])[0]

    @property
    def grad(self):
        p = ffi.new("mx_tensor *")
        check_call(lib.mx_tensor_grad(self.handle, p))
        if p[0] == _NULL:
            return None
        g = _new(p[0])
        if _ROW_SPARSE_GRAD and _ROW_SPARSE_GRAD.get(id(self)) is self:
            from .sparse import RowSparseGradView  # attach_grad(stype='row_sparse')
            return RowSparseGradView(g)
        return g

    @property
    def writable(self) -> bool:
        return True

    def _grad_fresh_flag(self, clear: int) -> bool:
        flag = ffi.new("int *")
        check_call(lib.mx_autograd_grad_fresh(ffi.new("mx_tensor[]", [self.handle]), 1, flag, clear))
        return bool(flag[0])

    @property
    def _fresh_grad(self) -> bool:
        """MXNet's flag: whether a backward wrote this variable's gradient since the
        flag was last cleared (False for an array that is not a marked variable)."""
        return self._grad_fresh_flag(0)

    @_fresh_grad.setter
    def _fresh_grad(self, state: bool) -> None:
        if state:
            raise MXNetError("_fresh_grad can only be cleared (set to False); a backward sets it")
        self._grad_fresh_flag(1)

    # ---- conversion ----
    def asnumpy(self) -> np.ndarray:
        a = np.empty(self.shape, dtype=self.dtype)
        if a.size:
            check_call(lib.mx_tensor_copy_to_host(self.handle, ffi.from_buffer(a), a.nbytes))
        return a

    def __array__(self, dtype=None, copy=None):
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def asscalar(self):
        if self.size != 1:
            raise ValueError("The current array is not a scalar")
        return self.asnumpy().reshape(())[()]

    def item(self):
        return self.asscalar().item()

    def tolist(self):
        return self.asnumpy().tolist()

    def astype(self, dtype, copy=True) -> "NDArray":
        dt = np_dtype(dtype)
        if not copy and dt == self.dtype:
            return self
        if _is_recording() and _has_op("Cast"):
            return invoke("Cast", [self], {"dtype": dt.name})[0]
        res = empty(self.shape, ctx=self.context, dtype=dt)
        check_call(lib.mx_tensor_assign(res.handle, self.handle))
        return res

    def copy(self) -> "NDArray":
        if _is_recording() and _has_op("_copy"):
            return invoke("_copy", [self])[0]
        res = empty(self.shape, ctx=self.context, dtype=self.dtype)
        check_call(lib.mx_tensor_assign(res.handle, self.handle))
        return res

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()

    def copyto(self, other):
        if isinstance(other, NDArray):
            if other.handle == self.handle:
                return other
            check_call(lib.mx_tensor_assign(other.handle, self.handle))
            return other
        if isinstance(other, Context):
            p = ffi.new("mx_tensor *")
            check_call(lib.mx_tensor_to_device(self.handle, other._cdev(), p))
            return _new(p[0])
        raise TypeError(f"copyto does not support type {type(other)}")

    def as_in_context(self, context: Context) -> "NDArray":
        if self.context == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def slice_assign(self, rhs, begin, end, step):
        """self[begin:end:step] = rhs (per axis) in place; returns self."""
        invoke("_slice_assign", [self, rhs], {"begin": begin, "end": end, "step": step}, out=self)
        return self

    def slice_assign_scalar(self, value, begin, end, step):
        """self[begin:end:step] = value (per axis) in place; returns self."""
        invoke("_slice_assign_scalar", [self], {"scalar": value, "begin": begin, "end": end, "step": step}, out=self)
        return self

    def tostype(self, stype):
        """This array in storage type 'default', 'csr' or 'row_sparse' (mx.nd.sparse)."""
        from .sparse import cast_storage
        return cast_storage(self, stype)

    def wait_to_read(self) -> None:
        """CPU work is synchronous; on a device wait for its queue (and raise
        the error of any queued op)."""
        dev = ffi.new("mx_device *")
        check_call(lib.mx_tensor_device(self.handle, dev))
        if dev.type != 1:
            check_call(lib.mx_device_synchronize(dev[0]))

    def wait_to_write(self) -> None:
        return None

    # ---- autograd ----
    def attach_grad(self, grad_req: str = "write", stype=None) -> None:
        """Mark this array as an autograd variable; stype='row_sparse' makes ``.grad`` a
        row_sparse view of the gradient (its non-zero rows), as MXNet's row_sparse grad."""
        from ..autograd import _GRAD_REQ
        if stype not in (None, "default", "row_sparse"):
            raise MXNetError(f"attach_grad: stype must be 'default' or 'row_sparse', got {stype!r}")
        if stype == "row_sparse":
            _ROW_SPARSE_GRAD[id(self)] = self
        else:
            _ROW_SPARSE_GRAD.pop(id(self), None)
        req = ffi.new("int[1]", [_GRAD_REQ[grad_req]])
        check_call(lib.mx_autograd_mark_variables(ffi.new("mx_tensor[1]", [self.handle]), req, _NULL, 1))

    def backward(self, out_grad=None, retain_graph=False, train_mode=True) -> None:
        from .. import autograd as _ag
        _ag.backward([self], None if out_grad is None else [out_grad], retain_graph=retain_graph,
                     train_mode=train_mode)

    def detach(self) -> "NDArray":
        p = ffi.new("mx_tensor *")
        check_call(lib.mx_tensor_detach(self.handle, p))
        return _new(p[0])

    # ---- python protocol ----
    def __len__(self):
        return self.shape[0]

    def __iter__(self):
        for i in range(self.shape[0]):
            yield self[i]

    def __bool__(self):
        if self.size == 0:
            return False
        if self.size == 1:
            return bool(self.asscalar())
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    __nonzero__ = __bool__

    def __float__(self):
        return float(self.asscalar())

    def __int__(self):
        return int(self.asscalar())

    def __index__(self):
        if self.size == 1 and np.dtype(self.dtype).kind in "iub":
            return int(self.asscalar())
        raise TypeError("only integer scalar arrays can be converted to a scalar index")

    def __repr__(self):
        shape_info = "x".join(str(x) for x in self.shape)
        return f"\n{self.asnumpy()}\n<{type(self).__name__} {shape_info} @{self.context}>"

    __str__ = __repr__

    def __hash__(self):
        return id(self)

    def __reduce__(self):
        return (_rebuild, (self.asnumpy(), str(self.context)))

    # ---- arithmetic ----
    # a + b, a - b, a * b, a / b on two same-shape NDArrays is the benchmarked
    # eager case: one ffi call into preallocated handle arrays, no helper frames
    def __add__(self, o):
        if type(o) is NDArray:
            sa = self._shape or self.shape
            if sa == (o._shape or o.shape):
                # the hottest path in eager code: one C call, no arrays to fill
                out = _bufs.out1
                if _call2(_EW_ADD[0], self.handle, o.handle, out):
                    _raise()
                r = _NEW(NDArray)
                r.handle = out[0]
                r._shape = sa
                r._dtype = None
                return r
            return _fast2(_EW_ADD[1], self.handle, o.handle, None)
        return _binary("add", self, o)

    def __radd__(self, o):
        return _binary("add", self, o, True)

    def __iadd__(self, o):
        return _binary("add", self, o, out=self)

    def __sub__(self, o):
        if type(o) is NDArray:
            sa = self._shape or self.shape
            if sa == (o._shape or o.shape):
                return _fast2(_EW_SUB[0], self.handle, o.handle, sa)
            return _fast2(_EW_SUB[1], self.handle, o.handle, None)
        return _binary("sub", self, o)

    def __rsub__(self, o):
        return _binary("sub", self, o, True)

    def __isub__(self, o):
        return _binary("sub", self, o, out=self)

    def __mul__(self, o):
        if type(o) is NDArray:
            sa = self._shape or self.shape
            if sa == (o._shape or o.shape):
                return _fast2(_EW_MUL[0], self.handle, o.handle, sa)
            return _fast2(_EW_MUL[1], self.handle, o.handle, None)
        return _binary("mul", self, o)

    def __rmul__(self, o):
        return _binary("mul", self, o, True)

    def __imul__(self, o):
        return _binary("mul", self, o, out=self)

    def __truediv__(self, o):
        if type(o) is NDArray:
            sa = self._shape or self.shape
            if sa == (o._shape or o.shape):
                return _fast2(_EW_DIV[0], self.handle, o.handle, sa)
            return _fast2(_EW_DIV[1], self.handle, o.handle, None)
        return _binary("div", self, o)

    def __rtruediv__(self, o):
        return _binary("div", self, o, True)

    def __itruediv__(self, o):
        return _binary("div", self, o, out=self)

    __div__, __rdiv__, __idiv__ = __truediv__, __rtruediv__, __itruediv__

    def __floordiv__(self, o):
        r = _binary("div", self, o)
        return r if r is NotImplemented else r.floor()

    def __rfloordiv__(self, o):
        r = _binary("div", self, o, True)
        return r if r is NotImplemented else r.floor()

    def __mod__(self, o):
        return _binary("mod", self, o)

    def __rmod__(self, o):
        return _binary("mod", self, o, True)

    def __imod__(self, o):
        return _binary("mod", self, o, out=self)

    def __pow__(self, o):
        return _binary("pow", self, o)

    def __rpow__(self, o):
        return _binary("pow", self, o, True)

    def __ipow__(self, o):
        return _binary("pow", self, o, out=self)

    def __matmul__(self, o):
        return invoke("dot", [self, o])[0]

    def __eq__(self, o):
        if o is None:
            return False
        return _binary("eq", self, o)

    def __ne__(self, o):
        if o is None:
            return True
        return _binary("ne", self, o)

    def __gt__(self, o):
        return _binary("gt", self, o)

    def __ge__(self, o):
        return _binary("ge", self, o)

    def __lt__(self, o):
        return _binary("lt", self, o)

    def __le__(self, o):
        return _binary("le", self, o)

    def __neg__(self):
        return _inv_scalar(_get_op("_mul_scalar"), self.handle, -1.0)

    def __pos__(self):
        return self

    def __abs__(self):
        return invoke("abs", [self])[0]

    # ---- shape manipulation ----
    def reshape(self, *shape, **kwargs) -> "NDArray":
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        elif not shape:
            shape = tuple(kwargs.pop("shape"))
        reverse = kwargs.pop("reverse", False)
        if kwargs:
            raise TypeError(f"reshape: unexpected arguments {list(kwargs)}")
        target = _infer_reshape(self.shape, shape, reverse)
        if target == self.shape and not _is_recording():
            return self
        if _is_recording():
            return invoke("reshape", [self], {"shape": target})[0]
        return _reshape_view(self, target)

    # MXNet's inplace=True forms return a view sharing this array's memory
    def flatten(self, inplace=False) -> "NDArray":
        if not inplace:
            return invoke("flatten", [self])[0]
        rest = 1
        for d in self.shape[1:]:
            rest *= d
        return self.reshape(self.shape[0], rest)

    def squeeze(self, axis=None, inplace=False) -> "NDArray":
        if not inplace:
            return invoke("squeeze", [self], {} if axis is None else {"axis": axis})[0]
        nd_ = self.ndim
        drop = [i for i, d in enumerate(self.shape) if d == 1] if axis is None else \
            [a % nd_ for a in ((axis,) if isinstance(axis, int) else axis)]
        return self.reshape(tuple(d for i, d in enumerate(self.shape) if i not in drop) or (1,))

    def expand_dims(self, axis, inplace=False) -> "NDArray":
        if not inplace:
            return invoke("expand_dims", [self], {"axis": axis})[0]
        shape = list(self.shape)
        shape.insert(axis % (self.ndim + 1), 1)
        return self.reshape(shape)

    def reshape_like(self, other) -> "NDArray":
        return self.reshape(other.shape)

    def broadcast_to(self, shape) -> "NDArray":
        shape = tuple(shape)
        cur = self.shape
        if len(shape) == len(cur):
            shape = tuple(c if s == 0 else s for s, c in zip(shape, cur))
        return invoke("broadcast_to", [self], {"shape": shape})[0]

    def broadcast_like(self, other) -> "NDArray":
        return self.broadcast_to(other.shape)

    def as_np_ndarray(self):
        """A numpy-mode array (mx.np.ndarray) on the same tensor (no copy)."""
        from ..numpy._core import as_np
        return as_np(self)

    def as_nd_ndarray(self):
        return self

    def zeros_like(self, **kw):
        return zeros(self.shape, ctx=self.context, dtype=self.dtype) if not _is_recording() \
            else invoke("zeros_like", [self])[0]

    def ones_like(self, **kw):
        return ones(self.shape, ctx=self.context, dtype=self.dtype) if not _is_recording() \
            else invoke("ones_like", [self])[0]

    # ---- indexing ----
    def __getitem__(self, key):
        key = _normalize_key(key)
        if _is_basic(key):
            return _basic_get(self, key, _is_recording())
        return _advanced_get(self, key)

    def __setitem__(self, key, value):
        key = _normalize_key(key)
        if _is_basic(key) and not _is_recording():
            view = _basic_get(self, key, False, need_view=True)
            if view is not None:
                _assign_to(view, value)
                return
        elif _is_basic(key) and _has_op("_slice_assign"):
            if _slice_assign_recorded(self, key, value):
                return
        # general path: numpy on a host copy, then copy back
        a = self.asnumpy()
        a[_np_key(key)] = value.asnumpy() if isinstance(value, NDArray) else np.asarray(value)
        src = array(a, ctx=self.context, dtype=self.dtype)
        check_call(lib.mx_tensor_assign(self.handle, src.handle))

    # ---- dlpack ----
    def __dlpack__(self, stream=None, max_version=None, dl_device=None, copy=None):
        """DLPack export (array API semantics). ``stream`` is the consumer's:
        for a CPU array it must be None; for a device array the data is made
        complete for any consumer stream (this device's queue is waited for)
        unless ``stream == -1`` (the consumer orders it itself). ``dl_device``
        other than this array's device gives a CPU copy when it asks for the
        CPU and ``copy`` is not False."""
        from .dlpack import to_capsule
        dev = self.__dlpack_device__()
        src = self
        if dl_device is not None and tuple(dl_device) != dev:
            if copy is False or tuple(dl_device)[0] != 1:
                raise BufferError("__dlpack__: cannot export an array on DLPack device %r to %r%s"
                                  % (dev, tuple(dl_device), " without a copy" if copy is False else ""))
            from ..context import cpu
            src, dev, copy = self.as_in_context(cpu()), (1, 0), False
        if dev[0] == 1:
            if stream is not None:
                raise BufferError("__dlpack__: stream must be None for an array on the CPU, got %r" % (stream,))
        elif stream != -1:
            src.wait_to_read()
        if copy:
            src = src.copy()
        return to_capsule(src, max_version)

    def __dlpack_device__(self):
        ctx = self.context
        return ({1: 1, 2: 2, 3: 3, 10: 4}.get(ctx.device_typeid, ctx.device_typeid), ctx.device_id)

    def to_dlpack_for_read(self):
        return to_dlpack_for_read(self)

    def to_dlpack_for_write(self):
        return to_dlpack_for_write(self)


_invoke = lib.mx_op_invoke


_call2 = lib.mx_op_call2


def _fast2(op, h1, h2, shape):
    """Two-input op into a fresh output; `shape` is the known output shape or None."""
    out = _bufs.out1
    if _call2(op, h1, h2, out):
        _raise()
    r = _NEW(NDArray)
    r.handle = out[0]
    r._shape = shape
    r._dtype = None
    return r


# (same-shape op, broadcasting op) handles for the arithmetic fast paths
_EW_ADD = _binop_ops("add")
_EW_SUB = _binop_ops("sub")
_EW_MUL = _binop_ops("mul")
_EW_DIV = _binop_ops("div")


def _rebuild(a, ctx):
    return array(a, dtype=a.dtype)


# ---- reshape --------------------------------------------------------------
def _infer_reshape(src: tuple, target, reverse=False) -> tuple:
    """MXNet's reshape codes: 0 copy, -1 infer, -2 copy rest, -3 merge two, -4 split."""
    target = [int(x) for x in target]
    if not any(t in (0, -2, -3, -4) for t in target) or not src:
        out = list(target)
    else:
        s = list(src)
        t = list(target)
        if reverse:
            s, t = s[::-1], t[::-1]
            # -4 a b keeps its order in the reversed list
            out, i, j = [], 0, 0
        out, i, j = [], 0, 0
        while j < len(t):
            c = t[j]
            if c == 0:
                out.append(s[i]); i += 1
            elif c == -1:
                out.append(-1); i += 1
            elif c == -2:
                out.extend(s[i:]); i = len(s)
            elif c == -3:
                out.append(s[i] * s[i + 1]); i += 2
            elif c == -4:
                a, b = t[j + 1], t[j + 2]
                if reverse:
                    a, b = b, a
                if a == -1:
                    a = s[i] // b
                if b == -1:
                    b = s[i] // a
                out.extend([a, b] if not reverse else [b, a]); i += 1; j += 2
            else:
                out.append(c); i += 1
            j += 1
        if reverse:
            out = out[::-1]
    total = 1
    for d in src:
        total *= d
    if out.count(-1) > 1:
        raise MXNetValueError(f"reshape: more than one -1 in {tuple(target)}")
    if -1 in out:
        known = 1
        for d in out:
            if d != -1:
                known *= d
        out[out.index(-1)] = total // known if known else 0
    prod = 1
    for d in out:
        prod *= d
    if prod != total:
        raise MXNetValueError(f"reshape: cannot reshape array of shape {src} into {tuple(target)}")
    return tuple(out)


def _reshape_view(x: NDArray, shape: tuple) -> NDArray:
    p = ffi.new("mx_tensor *")
    shp = ffi.new("int64_t[]", list(shape) or [0])
    if lib.mx_tensor_reshape_view(x.handle, shp, len(shape), p) == 0:
        return _new(p[0])
    # not expressible as a view (non-contiguous input): copy first
    c = x.copy()
    check_call(lib.mx_tensor_reshape_view(c.handle, shp, len(shape), p))
    return _new(p[0])


# ---- indexing helpers ------------------------------------------------------
def _normalize_key(key):
    if not isinstance(key, tuple):
        key = (key,)
    return key


def _is_basic(key) -> bool:
    for k in key:
        if not (k is None or k is Ellipsis or isinstance(k, (slice, int, np.integer))) or isinstance(k, bool):
            return False
    return True


def _np_key(key):
    out = []
    for k in key:
        if isinstance(k, NDArray):
            k = k.asnumpy()
            if np.dtype(k.dtype).kind == "f":
                k = k.astype(np.int64)
        elif isinstance(k, list):
            k = np.asarray(k)
        out.append(k)
    return tuple(out)


def _expand_key(key, ndim):
    n_real = sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > ndim:
        raise IndexError(f"too many indices ({n_real}) for array with {ndim} dimensions")
    out = []
    seen = False
    for k in key:
        if k is Ellipsis:
            if seen:
                raise IndexError("an index can only have a single ellipsis ('...')")
            seen = True
            out.extend([slice(None)] * (ndim - n_real))
        else:
            out.append(k)
    return out


def _slice_view(h, axis, begin, end, step):
    p = ffi.new("mx_tensor *")
    check_call(lib.mx_tensor_slice_view(h, axis, begin, end, step, p))
    return _new(p[0])


def _basic_get(x: NDArray, key, recording: bool, need_view=False):
    """Basic indexing. Views (zero copy) when not recording, else the recorded
    `slice` op. With need_view, returns None when a view is impossible."""
    shape = x.shape
    key = _expand_key(key, len(shape))
    begins, ends, steps, final = [], [], [], []
    axis = 0
    neg_step = False
    for k in key:
        if k is None:
            final.append(1)
            continue
        dim = shape[axis]
        if isinstance(k, slice):
            b, e, s = k.indices(dim)
            n = len(range(b, e, s))
            if s < 0:
                neg_step = True
                e = b + s * n  # may be -1: kept as a Python slice end
            elif e < b:
                e = b
            begins.append(b); ends.append(e); steps.append(s)
            final.append(n)
        else:
            i = int(k)
            if i < -dim or i >= dim:
                raise IndexError(f"index {i} is out of bounds for axis {axis} with size {dim}")
            if i < 0:
                i += dim
            begins.append(i); ends.append(i + 1); steps.append(1)
        axis += 1
    for d in shape[axis:]:
        begins.append(0); ends.append(d); steps.append(1)
        final.append(d)
    if not final:
        final = [1]  # legacy NDArray has no 0-d: x[i, j] is shape (1,)
    final = tuple(final)
    full = all(b == 0 and e == d and s == 1 for b, e, s, d in zip(begins, ends, steps, shape))
    if recording or neg_step:
        if need_view:
            return None
        if full:
            y = x
        elif neg_step:
            y = x
            for ax, (b, e, s, d) in enumerate(zip(begins, ends, steps, shape)):
                if not (b == 0 and e == d and s == 1):
                    idx = np.arange(d)[slice(b, e if e >= 0 else None, s)]
                    y = _take(y, idx, ax)
        else:
            y = invoke("slice", [x], {"begin": tuple(begins), "end": tuple(ends), "step": tuple(steps)})[0]
        if y.shape != final:
            y = invoke("reshape", [y], {"shape": final})[0] if recording else _reshape_view(y, final)
        return y
    y = x
    h = x.handle
    for ax, (b, e, s, d) in enumerate(zip(begins, ends, steps, shape)):
        if b == 0 and e == d and s == 1:
            continue
        y = _slice_view(h, ax, b, e, s)
        h = y.handle
    if not need_view and not _selects_contiguous(begins, ends, steps, shape):
        # MXNet shares memory only for a contiguous block; any other basic slice
        # (x[:, 1:3], x[::2]) is a copy that writes do not carry back to x
        y = y.copy()
    if y.shape != final:
        p = ffi.new("mx_tensor *")
        shp = ffi.new("int64_t[]", list(final))
        if lib.mx_tensor_reshape_view(y.handle, shp, len(final), p) == 0:
            y = _new(p[0])
        elif need_view:
            return None
        else:
            y = _reshape_view(y, final)
    elif y is x:
        # x[:] is a new handle on the same storage (MXNet returns a view)
        p = ffi.new("mx_tensor *")
        shp = ffi.new("int64_t[]", list(final))
        check_call(lib.mx_tensor_reshape_view(x.handle, shp, len(final), p))
        y = _new(p[0])
    return y


def _selects_contiguous(begins, ends, steps, shape) -> bool:
    """Whether a basic slice (per-axis begin/end/step) is one contiguous block of a
    row-major array: right of the last partially taken axis everything is whole, left
    of it each axis keeps at most one element, and that axis has step 1."""
    lens = [len(range(b, e, s)) for b, e, s in zip(begins, ends, steps)]
    if 0 in lens or all(n <= 1 for n in lens):
        return True
    partial = False
    for n, s, d in zip(reversed(lens), reversed(steps), reversed(shape)):
        if partial:
            if n > 1:
                return False
        elif n < d:
            if n > 1 and s != 1:
                return False
            partial = True
        elif n > 1 and s != 1:
            return False
    return True


def _advanced_get(x: NDArray, key):
    """Integer-array / boolean-mask indexing: computed as flat positions in
    numpy, then one `take` (differentiable) on the flattened array."""
    npkey = _np_key(key)
    if len(npkey) == 1 and isinstance(npkey[0], np.ndarray) and npkey[0].dtype.kind in "iu" and x.ndim >= 1:
        idx = npkey[0]
        d = x.shape[0]
        if idx.size and (idx.max() >= d or idx.min() < -d):
            raise IndexError(f"index out of bounds for axis 0 with size {d}")
        idx = np.where(idx < 0, idx + d, idx)
        return _take(x, idx, 0)
    pos = np.arange(x.size, dtype=np.int64).reshape(x.shape)[npkey]
    pos = np.asarray(pos).reshape(-1) if np.ndim(pos) == 0 else np.asarray(pos)
    return _take(x.reshape((-1,)), pos, 0)


def _take(x: NDArray, idx: np.ndarray, axis: int) -> NDArray:
    """x.take(idx, axis) through the registry's `take` (differentiable); a
    host copy when the op is not available and nothing is being recorded."""
    if _has_op("take"):
        return invoke("take", [x, array(idx, dtype=np.int64, ctx=x.context)], {"axis": axis})[0]
    if _is_recording():
        raise MXNetError("advanced indexing while recording needs the `take` op, which this build lacks")
    return array(np.take(x.asnumpy(), idx, axis=axis), ctx=x.context, dtype=x.dtype)


def _value_shape_for(vs: tuple, ts: tuple) -> tuple:
    """The value's shape without surplus leading 1s, checked to broadcast to the
    target shape `ts`. MXNet broadcasts an assigned value and never reshapes it, so an
    equal-sized value of another shape is an error there too."""
    lead = 0
    while len(vs) - lead > len(ts) and vs[lead] == 1:
        lead += 1
    out = vs[lead:]
    if len(out) > len(ts) or any(v not in (1, t) for v, t in zip(out[::-1], ts[::-1])):
        raise ValueError("NDArray.__setitem__: cannot assign a value of shape %s to a target of shape %s: "
                         "expected a value that broadcasts to the target" % (vs, ts))
    return out


def _assign_to(view: NDArray, value) -> None:
    if isinstance(value, (Number, np.generic)) and not isinstance(value, np.ndarray):
        check_call(lib.mx_tensor_fill(view.handle, float(value)))
        return
    if not isinstance(value, NDArray):
        value = array(np.asarray(value), ctx=view.context, dtype=view.dtype)
    vs, ts = value.shape, view.shape
    if vs != ts:
        vs = _value_shape_for(vs, ts)
        if vs != value.shape:
            value = value.reshape(vs)
        p = ffi.new("mx_tensor *")
        shp = ffi.new("int64_t[]", list(ts) or [0])
        check_call(lib.mx_tensor_broadcast_view(value.handle, shp, len(ts), p))
        value = _new(p[0])
    check_call(lib.mx_tensor_assign(view.handle, value.handle))


def _slice_assign_recorded(x: NDArray, key, value) -> bool:
    key = _expand_key(key, x.ndim)
    if any(k is None for k in key):
        return False
    begins, ends, steps = [], [], []
    for ax, k in enumerate(key):
        d = x.shape[ax]
        if isinstance(k, slice):
            b, e, s = k.indices(d)
            if s < 0:
                return False
            begins.append(b); ends.append(max(e, b)); steps.append(s)
        else:
            i = int(k) + (d if int(k) < 0 else 0)
            begins.append(i); ends.append(i + 1); steps.append(1)
    attrs = {"begin": tuple(begins), "end": tuple(ends), "step": tuple(steps)}
    if isinstance(value, (Number, np.generic)):
        if not _has_op("_slice_assign_scalar"):
            return False
        attrs["scalar"] = float(value)
        invoke("_slice_assign_scalar", [x], attrs, out=x)
        return True
    if not isinstance(value, NDArray):
        value = array(np.asarray(value), ctx=x.context, dtype=x.dtype)
    # dims the key does not mention are taken whole
    sub = tuple(len(range(b, e, s)) for b, e, s in zip(begins, ends, steps)) + tuple(x.shape[len(begins):])
    if value.shape != sub:
        # the value broadcasts to the indexed shape, in which integer keys drop their axis
        target = tuple(n for n, k in zip(sub, key) if isinstance(k, slice)) + sub[len(key):]
        vs = _value_shape_for(value.shape, target)
        if vs != value.shape:
            value = value.reshape(vs)
        value = value.broadcast_to(target).reshape(sub)
    invoke("_slice_assign", [x, value], attrs, out=x)
    return True


# ---- creation ---------------------------------------------------------------
def _ctx(ctx):
    return current_context() if ctx is None else ctx if isinstance(ctx, Context) else Context(ctx)


def empty(shape, ctx=None, dtype=None, stype=None) -> NDArray:
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    c = _ctx(ctx)
    p = ffi.new("mx_tensor *")
    check_call(lib.mx_tensor_create(ffi.new("int64_t[]", list(shape) or [0]), len(shape), mx_dtype(dtype),
                                    c._cdev(), p))
    return _new(p[0])


def zeros(shape, ctx=None, dtype=None, stype=None, **kwargs) -> NDArray:
    if stype not in (None, "default"):
        from .sparse import zeros as _sparse_zeros
        return _sparse_zeros(stype, shape, ctx, dtype)
    return empty(shape, ctx, dtype)  # the core zeroes new CPU tensors


def full(shape, val, ctx=None, dtype=None, out=None, **kwargs) -> NDArray:
    a = empty(shape, ctx, dtype) if out is None else out
    check_call(lib.mx_tensor_fill(a.handle, float(val)))
    return a


def ones(shape, ctx=None, dtype=None, **kwargs) -> NDArray:
    return full(shape, 1.0, ctx, dtype)


def array(source_array, ctx=None, dtype=None) -> NDArray:
    """Copy of `source_array` (NDArray, numpy array, list, scalar). The dtype
    defaults to float32 for non-NDArray sources, as in MXNet."""
    if isinstance(source_array, NDArray):
        dt = source_array.dtype if dtype is None else np_dtype(dtype)
        return source_array.as_in_context(_ctx(ctx)).astype(dt)
    dt = np_dtype(dtype)
    try:
        a = np.asarray(source_array, dtype=dt, order="C")  # keeps 0-d sources 0-d, as MXNet 1.9.1
    except OverflowError:
        # numpy 2 refuses out-of-range Python ints; MXNet (on numpy 1.x) wraps them
        a = np.asarray(np.asarray(source_array).astype(dt), order="C")
    res = empty(a.shape, ctx, dt)
    if a.size:
        check_call(lib.mx_tensor_copy_from_host(res.handle, ffi.from_buffer(a), a.nbytes))
    return res


def arange(start, stop=None, step=1.0, repeat=1, infer_range=None, ctx=None, dtype=None) -> NDArray:
    """MXNet's arange: computed by the registry op in the output dtype (an integer
    dtype truncates start and step first, as MXNet does)."""
    attrs = {"start": start, "stop": stop, "step": step, "repeat": repeat, "dtype": np_dtype(dtype).name}
    a = invoke("arange", [], attrs)[0]
    return a if ctx is None else a.as_in_context(ctx)


def eye(N, M=0, k=0, ctx=None, dtype=None, **kwargs) -> NDArray:
    dt = np_dtype(dtype)
    return array(np.eye(N, M if M else None, k, dtype=dt), ctx, dt)


def linspace(start, stop, num, endpoint=True, ctx=None, dtype=None) -> NDArray:
    dt = np_dtype(dtype)
    return array(np.linspace(start, stop, num, endpoint=endpoint).astype(dt), ctx, dt)


def concat(*data, dim=1, out=None, **kwargs) -> NDArray:
    dim = kwargs.pop("axis", dim)
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = tuple(data[0])
    r = invoke("concat", list(data), {"num_args": len(data), "dim": dim}, out=out)
    return r if out is not None else r[0]


def concatenate(arrays, axis=0, always_copy=True) -> NDArray:
    return concat(*arrays, dim=axis)


def stack(*data, axis=0, out=None, **kwargs) -> NDArray:
    if len(data) == 1 and isinstance(data[0], (list, tuple)):
        data = tuple(data[0])
    r = invoke("stack", list(data), {"num_args": len(data), "axis": axis}, out=out)
    return r if out is not None else r[0]


def _axes_list(axes, ndim: int, what: str) -> list:
    """Normalised, distinct axes from an int or a sequence (ValueError otherwise, as numpy)."""
    seq = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    out = []
    for a in seq:
        if not -ndim <= int(a) < ndim:
            raise ValueError(f"moveaxis: {what} axis {a} is out of bounds for an array of {ndim} dimensions")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"moveaxis: repeated axis in {what} {axes}")
    return out


def moveaxis(tensor, source, destination) -> NDArray:
    """Move axes ``source`` (an int or several) to positions ``destination``; the
    other axes keep their order (numpy.moveaxis)."""
    src = _axes_list(source, tensor.ndim, "source")
    dst = _axes_list(destination, tensor.ndim, "destination")
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of elements")
    order = [a for a in range(tensor.ndim) if a not in src]
    for d, s_ in sorted(zip(dst, src)):
        order.insert(d, s_)
    return invoke("transpose", [tensor], {"axes": tuple(order)})[0]


def waitall() -> None:
    """Wait for every device queue (CPU work is synchronous already)."""
    count = ffi.new("int *")
    for dev_type in (2, 10):  # CUDA, OpenCL
        if lib.mx_device_count(dev_type, count) == 0:
            for i in range(count[0]):
                check_call(lib.mx_device_synchronize(ffi.new("mx_device *", {"type": dev_type, "id": i})[0]))


# ---- numpy interop (zero copy) ---------------------------------------------
_keepalive: dict = {}
_keys = __import__("itertools").count(1)


@ffi.callback("void(void *)")
def _release_numpy(ctx):
    _keepalive.pop(int(ffi.cast("uintptr_t", ctx)), None)


def from_numpy(ndarray, zero_copy=True) -> NDArray:
    """An NDArray over a numpy array's memory (no copy when zero_copy and the
    array is C-contiguous with a supported dtype); the numpy array is kept
    alive until the NDArray and its views are gone."""
    a = ndarray
    if not zero_copy or not isinstance(a, np.ndarray) or not a.flags.c_contiguous or a.dtype not in _base._NP2MX:
        return array(a, dtype=getattr(a, "dtype", None))
    if a.ndim == 0:
        a = a.reshape(1)
    key = next(_keys)
    _keepalive[key] = a
    p = ffi.new("mx_tensor *")
    shp = ffi.new("int64_t[]", list(a.shape) or [0])
    rc = lib.mx_tensor_from_host_buffer(ffi.cast("void *", a.ctypes.data), shp, _NULL, a.ndim,
                                        _base._NP2MX[a.dtype], _release_numpy, ffi.cast("void *", key), p)
    if rc:
        _keepalive.pop(key, None)
        _raise()
    return _new(p[0])


def to_dlpack_for_read(data: NDArray):
    from .dlpack import to_capsule
    return to_capsule(data, None)


def to_dlpack_for_write(data: NDArray):
    from .dlpack import to_capsule
    return to_capsule(data, None)
