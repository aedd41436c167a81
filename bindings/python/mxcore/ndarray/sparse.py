"""mx.nd.sparse: MXNet 1.x's CSRNDArray and RowSparseNDArray.

A sparse array here is a Python object over dense core tensors, its
components, exactly what MXNet exposes: CSR has ``data`` (nnz values),
``indices`` (nnz int64 column ids) and ``indptr`` (rows + 1 int64 offsets);
row_sparse has ``data`` (the stored rows) and ``indices`` (their int64 row
ids). The kernels are the core's ``_sparse_*`` registry ops over those
components (core/ops/sparse.c, lazy optimizer updates in core/ops/optimizer.c).

An op without a sparse kernel sees a sparse input as its dense value and
returns a dense result (MXNet's storage fallback): ``handle`` of a sparse
array is the handle of a fresh densified copy.
"""
from __future__ import annotations

from numbers import Number

import numpy as np

from ..base import MXNetError, _raise, ffi, lib, np_dtype
from ..context import Context, current_context
from . import ndarray as _ndmod
from .ndarray import NDArray, _get_op, _new, invoke

__all__ = [
    "BaseSparseNDArray",
    "CSRNDArray",
    "RowSparseNDArray",
    "adagrad_update",
    "adam_update",
    "add",
    "array",
    "cast_storage",
    "csr_matrix",
    "divide",
    "dot",
    "elemwise_add",
    "elemwise_mul",
    "elemwise_sub",
    "empty",
    "ftrl_update",
    "mean",
    "multiply",
    "retain",
    "row_sparse_array",
    "sgd_mom_update",
    "sgd_update",
    "square_sum",
    "subtract",
    "sum",
    "zeros",
    "zeros_like",
]

_STYPES = ("default", "row_sparse", "csr")
# unary ops with f(0) == 0: on a sparse array they map its stored values and keep its storage type (as MXNet)
_ZERO_PRESERVING = ("abs", "sign", "sqrt", "square", "relu", "sin", "tan", "arcsin", "arctan", "sinh", "tanh",
                    "arcsinh", "arctanh", "expm1", "log1p", "floor", "ceil", "round", "rint", "fix", "trunc",
                    "degrees", "radians", "negative", "cbrt", "erf", "softsign")


def _op(name, inputs, **attrs):
    return invoke(name, list(inputs), attrs or None)


def _shape_attr(shape):
    return "(" + ",".join(str(int(s)) for s in shape) + ")"


def _nd(x, dtype=None, ctx=None):
    """An NDArray of `x` (NDArray kept as it is unless dtype differs)."""
    if isinstance(x, NDArray) and not isinstance(x, BaseSparseNDArray):
        return x if dtype is None or np.dtype(x.dtype) == np.dtype(dtype) else x.astype(dtype)
    return _ndmod.array(np.asarray(x), ctx=ctx, dtype=dtype if dtype is not None else np.asarray(x).dtype)


def _idx(x, ctx=None):
    if isinstance(x, NDArray):
        return x if np.dtype(x.dtype) == np.int64 else x.astype(np.int64)
    return _ndmod.array(np.asarray(x, dtype=np.int64), ctx=ctx, dtype=np.int64)


class BaseSparseNDArray(NDArray):
    """Common part of CSRNDArray and RowSparseNDArray: a shape and dense components."""

    _STYPE = ""

    def __init__(self, components, shape):
        self._set_components(components, shape)

    def _set_components(self, components, shape):
        self._aux = list(components)
        self._shape = tuple(int(s) for s in shape)
        self._dtype = self._aux[0].dtype
        self._dense_keep = None

    def __del__(self):  # the components release their own tensors
        pass

    # ---- storage fallback: the dense value for ops without a sparse kernel ----
    @property
    def handle(self):
        # densified afresh on every access (the components may have been written in
        # place); the last few stay referenced so a handle is valid through the op
        # call that asked for it, even when one array is several of its inputs
        d = self._to_dense_private()
        self._dense_keep = (self._dense_keep or [])[-3:] + [d]
        return d.handle

    def _to_dense_private(self):
        """_to_dense through cffi arrays of its own: `handle` is read while mx.nd's invoke
        fills its shared input buffer, which a nested invoke would overwrite."""
        comps = self._aux
        ins = ffi.new("mx_tensor[]", [c.handle for c in comps])
        key, val = ffi.new("char[]", b"shape"), ffi.new("char[]", _shape_attr(self._shape).encode())
        keys, vals = ffi.new("const char *[1]", [key]), ffi.new("const char *[1]", [val])
        outs, nout = ffi.new("mx_tensor[1]"), ffi.new("int *")
        name = "_sparse_csr_to_dense" if self._STYPE == "csr" else "_sparse_rsp_to_dense"
        if lib.mx_op_invoke(_get_op(name), ins, len(comps), keys, vals, 1, outs, 1, nout):
            _raise()
        return _new(outs[0])

    @property
    def stype(self) -> str:
        return self._STYPE

    @property
    def shape(self) -> tuple:
        return self._shape

    @property
    def dtype(self):
        return self._aux[0].dtype

    @property
    def context(self) -> Context:
        return self._aux[0].context

    ctx = context

    @property
    def data(self) -> NDArray:
        """A copy of the stored values (a dense NDArray; a deep copy, as in MXNet)."""
        return self._aux[0].copy()

    @property
    def indices(self) -> NDArray:
        """A copy of the int64 indices (csr: column ids, row_sparse: row ids)."""
        return self._aux[1].copy()

    @property
    def _num_aux(self):
        return len(self._aux) - 1

    def _same(self, components):
        return type(self)(components, self._shape)

    def asnumpy(self) -> np.ndarray:
        return self._to_dense().asnumpy()

    def tostype(self, stype):
        return cast_storage(self, stype)

    def copy(self):
        return self._same([c.copy() for c in self._aux])

    def astype(self, dtype, copy=True):
        if not copy and np.dtype(dtype) == np.dtype(self.dtype):
            return self
        return self._same([self._aux[0].astype(dtype)] + [c.copy() for c in self._aux[1:]])

    def as_in_context(self, context):
        if self.context == context:
            return self
        return self.copyto(context)

    as_in_ctx = as_in_context

    def copyto(self, other):
        if isinstance(other, Context):
            return self._same([c.copyto(other) for c in self._aux])
        if isinstance(other, BaseSparseNDArray):
            if other.stype != self.stype or other.shape != self.shape:
                raise MXNetError(f"copyto: cannot copy a {self.stype} {self.shape} into a {other.stype} {other.shape}")
            if other is not self:
                other._set_components([c.copyto(o.context).astype(o.dtype) for c, o in zip(self._aux, other._aux)],
                                      other.shape)
            return other
        if isinstance(other, NDArray):
            return self._to_dense().copyto(other)
        raise TypeError(f"copyto does not support type {type(other)}")

    def check_format(self, full_check=True):
        """Validate the components (sorted, in-range indices; a consistent indptr); raises MXNetError."""
        _op(self._CHECK_OP, self._aux, shape=_shape_attr(self._shape))

    def __repr__(self):
        return "\n<{} {} @{}>".format(type(self).__name__, "x".join(str(s) for s in self.shape), self.context)

    __str__ = __repr__

    def __len__(self):
        return self._shape[0]

    def wait_to_read(self):
        for c in self._aux:
            c.wait_to_read()

    def attach_grad(self, grad_req="write", stype=None):
        raise MXNetError(f"attach_grad: a {self.stype} array cannot be an autograd variable in mxcore; "
                         "attach the gradient to a dense parameter (dot(csr, w) differentiates w)")

    # ---- arithmetic (MXNet's output storage types): __add__ ... are set below the functions ----
    def __neg__(self):
        return self._map("negative")

    def _assign(self, res):
        if isinstance(res, BaseSparseNDArray) and res.stype == self.stype:
            self._set_components(res._aux, res.shape)
            return self
        return res

    def __setitem__(self, key, value):
        if not (isinstance(key, slice) and key == slice(None)):
            raise MXNetError(f"{type(self).__name__}: only x[:] = value is supported for assignment, got {key!r}")
        if isinstance(value, NDArray):
            src = cast_storage(value, self.stype) if value.stype != self.stype else value
            src.copyto(self)
        else:
            raise MXNetError(f"{type(self).__name__}[:] = value: expected an NDArray, got {type(value).__name__}")

    def _map(self, opname, **attrs):
        """A zero-preserving unary op on the stored values."""
        return self._same([_op(opname, [self._aux[0]], **attrs)[0]] + self._aux[1:])

    def sum(self, axis=None, keepdims=False, **kwargs):
        return sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False, **kwargs):
        return mean(self, axis=axis, keepdims=keepdims)

    def zeros_like(self):
        return zeros(self.stype, self.shape, self.context, self.dtype)


class CSRNDArray(BaseSparseNDArray):
    """A 2-d compressed sparse row matrix (MXNet's CSRNDArray)."""

    _STYPE = "csr"
    _CHECK_OP = "_sparse_csr_check"

    @property
    def indptr(self) -> NDArray:
        """A copy of the int64 row offsets (rows + 1 entries)."""
        return self._aux[2].copy()

    def _to_dense(self):
        return _op("_sparse_csr_to_dense", self._aux, shape=_shape_attr(self._shape))[0]

    def asscipy(self):
        import scipy.sparse as sps
        data, indices, indptr = self._aux
        return sps.csr_matrix((data.asnumpy(), indices.asnumpy(), indptr.asnumpy()), shape=self.shape)

    def __getitem__(self, key):
        """Row slices ``a[i:j]`` (step 1) and single rows ``a[i]`` as CSRNDArrays."""
        rows = self._shape[0]
        if isinstance(key, (int, np.integer)):
            i = int(key) + (rows if key < 0 else 0)
            if not 0 <= i < rows:
                raise IndexError(f"CSRNDArray: row {key} out of range for shape {self.shape}")
            key = slice(i, i + 1)
        if not isinstance(key, slice):
            raise MXNetError(f"CSRNDArray: only row slices a[i:j] (and a[i]) are supported, got {key!r}")
        b, e, step = key.indices(rows)
        if step != 1:
            raise MXNetError(f"CSRNDArray: slice step must be 1, got {step}")
        e = max(b, e)
        data, indices, indptr = self._aux
        ptr = indptr.asnumpy()
        lo, hi = int(ptr[b]), int(ptr[e])
        new_ptr = _ndmod.array(ptr[b:e + 1] - lo, ctx=self.context, dtype=np.int64)
        data = data[lo:hi] if hi > lo else _ndmod.zeros((0,), self.context, self.dtype)
        idx = indices[lo:hi] if hi > lo else _ndmod.zeros((0,), self.context, np.int64)
        return CSRNDArray([data, idx, new_ptr], (e - b, self._shape[1]))


class RowSparseNDArray(BaseSparseNDArray):
    """An array of which only some rows are stored (MXNet's RowSparseNDArray)."""

    _STYPE = "row_sparse"
    _CHECK_OP = "_sparse_rsp_check"

    def _to_dense(self):
        return _op("_sparse_rsp_to_dense", self._aux, shape=_shape_attr(self._shape))[0]

    def __getitem__(self, key):
        if isinstance(key, slice) and key == slice(None):
            return self
        raise MXNetError(f"RowSparseNDArray: only x[:] is supported for indexing, got {key!r}; use retain() or "
                         "tostype('default')")

    def retain(self, indices):
        return retain(self, indices)


class RowSparseGradView(RowSparseNDArray):
    """A parameter's gradient with grad_stype='row_sparse' (Embedding(sparse_grad=True),
    SparseEmbedding): the dense gradient buffer that autograd writes, seen as row_sparse.
    Its rows are those of the buffer holding a non-zero plus the indices its eager
    Embedding forwards noted (``noted_rows``), read at each access, so the view follows
    every backward and zero_grad; writes (``g[:] = ...``, copyto) go to the buffer."""

    def __init__(self, dense, noted_rows=None):
        self._dense_buf = dense
        self._shape = dense.shape
        self._dense_keep = None
        self._noted_rows = noted_rows  # () -> index arrays whose rows belong to the gradient, or None

    @property
    def _aux(self):
        data, rows = _op("_sparse_rsp_from_dense", [self._dense_buf])
        noted = self._noted_rows() if self._noted_rows is not None else None
        if not noted:
            return [data, rows]
        # the noted rows (Embedding's batch indices, clipped into range as Embedding clips
        # them) join the non-zero ones, holding zeros where their gradient is zero
        ids = np.concatenate([np.asarray(_host(x), dtype=np.float64).ravel() for x in noted])
        ids = np.clip(ids.astype(np.int64), 0, self._shape[0] - 1)
        union = np.union1d(rows.asnumpy(), ids).astype(np.int64)
        if union.size == rows.shape[0]:
            return [data, rows]
        idx = _ndmod.array(union, ctx=self._dense_buf.context, dtype=np.int64)
        return [_ndmod.invoke("take", [self._dense_buf, idx], {"axis": 0})[0], idx]

    @property
    def handle(self):
        return self._dense_buf.handle

    @property
    def dtype(self):
        return self._dense_buf.dtype

    @property
    def context(self):
        return self._dense_buf.context

    def _to_dense(self):
        return self._dense_buf

    def _same(self, components):
        return RowSparseNDArray(components, self._shape)

    def _set_components(self, components, shape):
        self._dense_buf[:] = RowSparseNDArray(components, shape)._to_dense()


# ---- creation ---------------------------------------------------------------
def _default_dtype(src, dtype):
    if dtype is not None:
        return np_dtype(dtype)
    if isinstance(src, (NDArray, np.ndarray)):
        return np.dtype(src.dtype)
    return np.dtype(np.float32)


def _is_scipy(x):
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def csr_matrix(arg1, shape=None, ctx=None, dtype=None) -> CSRNDArray:
    """A CSRNDArray from (data, indices, indptr), (data, (row, col)), a scipy sparse matrix, a dense
    array (numpy or NDArray), another CSRNDArray, or a (rows, cols) shape (all zeros)."""
    ctx = current_context() if ctx is None else ctx
    if isinstance(arg1, tuple) and len(arg1) == 2 and all(isinstance(s, (int, np.integer)) for s in arg1):
        return zeros("csr", arg1, ctx, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = arg1
        dt = _default_dtype(data, dtype)
        indptr_n = _idx(indptr, ctx)
        indices_n = _idx(indices, ctx)
        if shape is None:
            nc = int(indices_n.asnumpy().max()) + 1 if indices_n.shape[0] else 0
            shape = (indptr_n.shape[0] - 1, nc)
        return CSRNDArray([_nd(data, dt, ctx), indices_n, indptr_n], shape)
    if isinstance(arg1, tuple) and len(arg1) == 2:
        data, (row, col) = arg1
        vals = np.asarray(_host(data))
        # MXNet 1.9.1 builds this form through scipy: a list's values keep numpy's dtype (int64 for ints)
        dt = _default_dtype(data, dtype) if dtype is not None or isinstance(data, NDArray) else vals.dtype
        return _csr_from_coo(vals, np.asarray(_host(row)), np.asarray(_host(col)), shape, ctx, dt)
    if _is_scipy(arg1):
        m = arg1.tocsr(copy=True)
        m.sum_duplicates()
        m.sort_indices()
        dt = np.dtype(dtype) if dtype is not None else m.dtype
        return CSRNDArray([_nd(m.data, dt, ctx), _idx(m.indices, ctx), _idx(m.indptr, ctx)], m.shape)
    return _convert(arg1, "csr", shape, ctx, dtype)


def _convert(arg1, stype, shape, ctx, dtype):
    """A copy of a sparse array of `stype`, or another array (dense, numpy, other stype) converted to it."""
    if isinstance(arg1, BaseSparseNDArray) and arg1.stype == stype:
        res = arg1.copyto(ctx) if arg1.context != ctx else arg1.copy()
        return res.astype(dtype) if dtype is not None else res
    if isinstance(arg1, BaseSparseNDArray):
        arg1 = arg1.tostype("default")
    dense = _nd(arg1, _default_dtype(arg1, dtype), ctx)
    if shape is not None and tuple(shape) != dense.shape:
        raise MXNetError(f"{stype} array: shape {tuple(shape)} does not match the dense input's {dense.shape}")
    return cast_storage(dense, stype)


def _host(x):
    return x.asnumpy() if isinstance(x, NDArray) else x


def _csr_from_coo(data, row, col, shape, ctx, dt):
    if not (data.ndim == row.ndim == col.ndim == 1 and data.shape == row.shape == col.shape):
        raise MXNetError(f"csr_matrix: (data, (row, col)) must be 1-d of one length, got {data.shape}, {row.shape}, "
                         f"{col.shape}")
    row, col = row.astype(np.int64), col.astype(np.int64)
    if shape is None:
        shape = (int(row.max()) + 1 if row.size else 0, int(col.max()) + 1 if col.size else 0)
    rows, cols = int(shape[0]), int(shape[1])
    if row.size and (row.min() < 0 or row.max() >= rows or col.min() < 0 or col.max() >= cols):
        raise MXNetError(f"csr_matrix: (row, col) coordinates out of range for shape {tuple(shape)}")
    order = np.lexsort((col, row))
    row, col, data = row[order], col[order], data[order]
    # duplicates are summed, as scipy does
    keep = np.ones(row.size, bool)
    keep[1:] = (row[1:] != row[:-1]) | (col[1:] != col[:-1])
    starts = np.flatnonzero(keep)
    vals = np.add.reduceat(data, starts) if data.size else data
    row, col = row[starts], col[starts]
    indptr = np.zeros(rows + 1, np.int64)
    np.cumsum(np.bincount(row, minlength=rows), out=indptr[1:])
    return CSRNDArray([_nd(vals, dt, ctx), _idx(col, ctx), _idx(indptr, ctx)], (rows, cols))


def row_sparse_array(arg1, shape=None, ctx=None, dtype=None) -> RowSparseNDArray:
    """A RowSparseNDArray from (data, indices), a dense array, another RowSparseNDArray, or a shape (zeros)."""
    ctx = current_context() if ctx is None else ctx
    if isinstance(arg1, tuple) and arg1 and all(isinstance(s, (int, np.integer)) for s in arg1):
        return zeros("row_sparse", arg1, ctx, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2:
        data, indices = arg1
        dt = _default_dtype(data, dtype)
        data_n = _nd(data, dt, ctx)
        indices_n = _idx(indices, ctx)
        if shape is None:
            nr = int(indices_n.asnumpy().max()) + 1 if indices_n.shape[0] else 0
            shape = (nr,) + tuple(data_n.shape[1:])
        if data_n.ndim == 1 and len(shape) == 2 and data_n.shape[0] == shape[1] and indices_n.shape[0] == 1:
            data_n = data_n.reshape((1, shape[1]))
        return RowSparseNDArray([data_n, indices_n], shape)
    return _convert(arg1, "row_sparse", shape, ctx, dtype)


def zeros(stype, shape, ctx=None, dtype=None, **kwargs):
    """An all-zero array of storage type `stype` ('csr', 'row_sparse' or 'default')."""
    ctx = current_context() if ctx is None else ctx
    dt = np_dtype(dtype)
    if isinstance(shape, (int, np.integer)):
        shape = (int(shape),)
    shape = tuple(int(s) for s in shape)
    if stype == "default":
        return _ndmod.zeros(shape, ctx, dt)
    if stype == "csr":
        if len(shape) != 2:
            raise MXNetError(f"zeros: a csr array must be 2-d, got shape {shape}")
        return CSRNDArray([_ndmod.zeros((0,), ctx, dt), _ndmod.zeros((0,), ctx, np.int64),
                           _ndmod.zeros((shape[0] + 1,), ctx, np.int64)], shape)
    if stype == "row_sparse":
        if not shape:
            raise MXNetError("zeros: a row_sparse array needs at least 1 dimension")
        return RowSparseNDArray([_ndmod.zeros((0,) + shape[1:], ctx, dt), _ndmod.zeros((0,), ctx, np.int64)], shape)
    raise MXNetError(f"zeros: unknown storage type {stype!r}; expected one of {_STYPES}")


def empty(stype, shape, ctx=None, dtype=None):
    return zeros(stype, shape, ctx, dtype)


def array(source_array, ctx=None, dtype=None):
    """A sparse array from a scipy sparse matrix (csr) or a sparse NDArray (a copy)."""
    if isinstance(source_array, CSRNDArray) or _is_scipy(source_array):
        return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    if isinstance(source_array, RowSparseNDArray):
        return row_sparse_array(source_array, ctx=ctx, dtype=dtype)
    raise MXNetError(f"sparse.array: expected a scipy sparse matrix or a sparse NDArray, got "
                     f"{type(source_array).__name__}")


def zeros_like(data, **kwargs):
    if isinstance(data, BaseSparseNDArray):
        return data.zeros_like()
    return _ndmod.zeros(data.shape, data.context, data.dtype)


# ---- storage conversion -----------------------------------------------------
def cast_storage(data, stype):
    """`data` in storage type `stype` ('default', 'csr', 'row_sparse')."""
    if stype not in _STYPES:
        raise MXNetError(f"cast_storage: unknown storage type {stype!r}; expected one of {_STYPES}")
    if not isinstance(data, NDArray):
        raise MXNetError(f"cast_storage: expected an NDArray, got {type(data).__name__}")
    src = data.stype
    if src == stype:
        return data.copy() if isinstance(data, BaseSparseNDArray) else data
    dense = data._to_dense() if isinstance(data, BaseSparseNDArray) else data
    if stype == "default":
        return dense
    if stype == "csr":
        if dense.ndim != 2:
            raise MXNetError(f"cast_storage: csr needs a 2-d array, got shape {dense.shape}")
        return CSRNDArray(_op("_sparse_csr_from_dense", [dense]), dense.shape)
    return RowSparseNDArray(_op("_sparse_rsp_from_dense", [dense]), dense.shape)


# ---- ops --------------------------------------------------------------------
def _dense_of(x):
    return x._to_dense() if isinstance(x, BaseSparseNDArray) else x


def dot(lhs, rhs, transpose_a=False, transpose_b=False, forward_stype=None, **kwargs):
    """MXNet's sparse dot: csr . dense -> dense, csr.T . dense -> row_sparse, dense . csr -> dense;
    other storage combinations compute on dense values (dense result)."""
    ls, rs = lhs.stype, rhs.stype
    if ls == "csr" and rs == "default":
        r = rhs.T if transpose_b else rhs
        if transpose_a and forward_stype != "default":
            res = RowSparseNDArray(_op("_sparse_csr_t_dot_rsp", lhs._aux + [r], shape=_shape_attr(lhs.shape)),
                                   (lhs.shape[1], r.shape[1]))
        else:
            res = _op("_sparse_csr_dot", lhs._aux + [r], shape=_shape_attr(lhs.shape), transpose_a=transpose_a)[0]
        return _out_stype(res, forward_stype)
    if ls == "default" and rs == "csr" and not transpose_b:
        lt = lhs.T if transpose_a else lhs
        res = _op("_sparse_dense_dot_csr", [lt] + rhs._aux, shape=_shape_attr(rhs.shape))[0]
        return _out_stype(res, forward_stype)
    res = _dense_dot(_dense_of(lhs), _dense_of(rhs), transpose_a=transpose_a, transpose_b=transpose_b)
    return _out_stype(res, forward_stype)


def _out_stype(res, forward_stype):
    if forward_stype is None or res.stype == forward_stype:
        return res
    return cast_storage(res, forward_stype)


def _same_shape_check(name, lhs, rhs):
    if lhs.shape != rhs.shape:
        raise MXNetError(f"{name}: operands of shapes {lhs.shape} ({lhs.stype}) and {rhs.shape} ({rhs.stype}) must "
                         "have the same shape")


def _binary(name, kind, lhs, rhs):
    """Elementwise lhs (kind) rhs with MXNet's storage types: same sparse stype -> that stype;
    sparse * dense -> the sparse stype; sparse (*, /) scalar -> sparse; anything else dense."""
    if isinstance(rhs, (Number, np.generic)) and isinstance(lhs, BaseSparseNDArray):
        if kind == "mul":
            return lhs._same([lhs._aux[0] * rhs] + lhs._aux[1:])
        if kind == "div":
            return lhs._same([lhs._aux[0] / rhs] + lhs._aux[1:])
        return _dense_binop(kind, _dense_of(lhs), rhs)
    if isinstance(lhs, (Number, np.generic)):
        if kind == "mul" and isinstance(rhs, BaseSparseNDArray):
            return _binary(name, kind, rhs, lhs)
        return _dense_binop(kind, lhs, _dense_of(rhs))
    if not isinstance(rhs, NDArray):
        rhs = _ndmod.array(rhs, ctx=lhs.context, dtype=lhs.dtype)
    _same_shape_check(name, lhs, rhs)
    ls, rs = lhs.stype, rhs.stype
    if ls == rs == "row_sparse" and kind in ("add", "sub", "mul"):
        return RowSparseNDArray(_op("_sparse_rsp_elemwise", lhs._aux + rhs._aux, shape=_shape_attr(lhs.shape),
                                    op=kind), lhs.shape)
    if ls == rs == "csr" and kind in ("add", "sub", "mul"):
        return CSRNDArray(_op("_sparse_csr_elemwise", lhs._aux + rhs._aux, shape=_shape_attr(lhs.shape), op=kind),
                          lhs.shape)
    if kind == "mul" and (ls == "default") != (rs == "default"):
        sp, dn = (lhs, rhs) if ls != "default" else (rhs, lhs)
        aux = sp._aux
        return sp._same([aux[0] * _values_at(sp, dn, aux)] + aux[1:])
    return _dense_binop(kind, _dense_of(lhs), _dense_of(rhs))


def _values_at(sp, dense, aux):
    """The dense array's values at the sparse array's stored positions (shaped like its data)."""
    if sp.stype == "row_sparse":
        return _ndmod.invoke("take", [dense, aux[1]], {"axis": 0})[0]
    ptr = aux[2].asnumpy()
    rows = np.repeat(np.arange(sp.shape[0], dtype=np.int64), np.diff(ptr))
    flat = _ndmod.array(rows, ctx=sp.context, dtype=np.int64) * sp.shape[1] + aux[1]
    return _ndmod.invoke("take", [dense.reshape((-1,)), flat], {"axis": 0})[0]


def _dense_binop(kind, a, b):
    import operator
    fn = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv}[kind]
    return fn(a, b)


def add(lhs, rhs):
    return _binary("add", "add", lhs, rhs)


def subtract(lhs, rhs):
    return _binary("subtract", "sub", lhs, rhs)


def multiply(lhs, rhs):
    return _binary("multiply", "mul", lhs, rhs)


def divide(lhs, rhs):
    return _binary("divide", "div", lhs, rhs)


def _install_operators():
    """BaseSparseNDArray's arithmetic dunders: x + y, y + x, x += y ... through add/subtract/multiply/divide."""
    def make(fn, reflected, inplace):
        if inplace:
            return lambda self, other: self._assign(fn(self, other))
        return (lambda self, other: fn(other, self)) if reflected else (lambda self, other: fn(self, other))
    for name, fn in (("add", add), ("sub", subtract), ("mul", multiply), ("truediv", divide), ("div", divide)):
        setattr(BaseSparseNDArray, f"__{name}__", make(fn, False, False))
        setattr(BaseSparseNDArray, f"__r{name}__", make(fn, True, False))
        setattr(BaseSparseNDArray, f"__i{name}__", make(fn, False, True))


_install_operators()


def elemwise_add(lhs, rhs, **kwargs):
    return add(lhs, rhs)


def elemwise_sub(lhs, rhs, **kwargs):
    return subtract(lhs, rhs)


def elemwise_mul(lhs, rhs, **kwargs):
    return multiply(lhs, rhs)


def add_n(*args, **kwargs):
    """Elementwise sum of the arrays: row_sparse (or csr) when all of them are, else dense."""
    arrays = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    if not arrays:
        raise MXNetError("add_n: needs at least one array")
    st = arrays[0].stype
    if st != "default" and all(a.stype == st for a in arrays):
        total = arrays[0]
        for a in arrays[1:]:
            total = add(total, a)
        return total if len(arrays) > 1 else total.copy()
    return _dense_add_n(*[_dense_of(a) for a in arrays])


def retain(data, indices):
    """The rows of a row_sparse array whose ids are in `indices` (row_sparse)."""
    if data.stype != "row_sparse":
        raise MXNetError(f"retain: expected a row_sparse array, got storage type {data.stype}")
    keep = _idx(indices, data.context)
    return RowSparseNDArray(_op("_sparse_retain", data._aux + [keep], shape=_shape_attr(data.shape)), data.shape)


def _reduce(data, axis, keepdims, is_mean):
    if data.stype == "csr" and (axis is None or isinstance(axis, (int, np.integer))):
        return _op("_sparse_csr_sum", data._aux, shape=_shape_attr(data.shape), axis=axis, keepdims=keepdims,
                   mean=is_mean)[0]
    dense = _dense_of(data)
    return _ndmod.invoke("mean" if is_mean else "sum", [dense], {"axis": axis, "keepdims": keepdims})[0]


def sum(data, axis=None, keepdims=False, **kwargs):
    """Sum over an axis (csr: axis 0, 1 or None by the sparse kernel); a dense result."""
    return _reduce(data, axis, keepdims, False)


def mean(data, axis=None, keepdims=False, **kwargs):
    """Mean over an axis; a dense result."""
    return _reduce(data, axis, keepdims, True)


def square_sum(data, axis=None, keepdims=False, **kwargs):
    """Sum of squares of a row_sparse array: over axis 1 with keepdims a row_sparse (rows x 1) result,
    as MXNet; otherwise dense."""
    if data.stype != "row_sparse":
        raise MXNetError(f"square_sum: expected a row_sparse array, got storage type {data.stype}")
    values, indices = data._aux
    sq = values.square()
    if axis in (1, -1) and data.ndim == 2:
        rows = _ndmod.invoke("sum", [sq], {"axis": 1, "keepdims": True})[0]
        if keepdims:
            return RowSparseNDArray([rows, indices], (data.shape[0], 1))
        return RowSparseNDArray([rows, indices], (data.shape[0], 1))._to_dense().reshape((data.shape[0],))
    return _ndmod.invoke("sum", [_dense_of(data).square()], {"axis": axis, "keepdims": keepdims})[0]


# ---- lazy optimizer updates over row_sparse gradients -------------------------
def _rsp_update(opname, dense_op, weight, grad, states, out, lazy_update, attrs):
    if isinstance(weight, BaseSparseNDArray):
        raise MXNetError(f"{dense_op}: a {weight.stype} weight is not supported; the weight must be dense")
    if grad.stype == "row_sparse" and lazy_update:
        attrs = {k: v for k, v in attrs.items() if v is not None}
        gdata, gidx = grad._aux  # one read: a gradient view computes its rows on each read
        return invoke(opname, [weight, gdata, gidx] + list(states), attrs, out=weight if out is None else out)
    # dense semantics (lazy_update=False or a dense gradient): every row decays
    attrs = dict(attrs)
    if dense_op in ("sgd_update", "sgd_mom_update", "adam_update"):
        attrs["lazy_update"] = False
    return invoke(dense_op, [weight, _dense_of(grad)] + list(states), attrs, out=weight if out is None else out)


def _opt_attrs(kwargs, **named):
    named.update(kwargs)
    return named


def sgd_update(weight, grad, lr, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, lazy_update=True, out=None, **kw):
    """SGD; with a row_sparse grad and lazy_update only its rows change."""
    return _rsp_update("_sparse_rsp_sgd_update", "sgd_update", weight, grad, [], out, lazy_update,
                       _opt_attrs(kw, lr=lr, wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient))


def sgd_mom_update(weight, grad, mom, lr, momentum=0.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                   lazy_update=True, out=None, **kw):
    """SGD with momentum; with a row_sparse grad and lazy_update only its rows (and their momentum) change."""
    return _rsp_update("_sparse_rsp_sgd_mom_update", "sgd_mom_update", weight, grad, [mom], out, lazy_update,
                       _opt_attrs(kw, lr=lr, momentum=momentum, wd=wd, rescale_grad=rescale_grad,
                                  clip_gradient=clip_gradient))


def adam_update(weight, grad, mean, var, lr, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=0.0, rescale_grad=1.0,
                clip_gradient=-1.0, lazy_update=True, out=None, **kw):
    """Adam; with a row_sparse grad and lazy_update only its rows (and their moments) change."""
    return _rsp_update("_sparse_rsp_adam_update", "adam_update", weight, grad, [mean, var], out, lazy_update,
                       _opt_attrs(kw, lr=lr, beta1=beta1, beta2=beta2, epsilon=epsilon, wd=wd,
                                  rescale_grad=rescale_grad, clip_gradient=clip_gradient))


def adagrad_update(weight, grad, history, lr, epsilon=1e-7, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0, out=None,
                   **kw):
    """AdaGrad over the rows of a row_sparse grad (MXNet's sparse adagrad_update)."""
    return _rsp_update("_sparse_rsp_adagrad_update", "adagrad_update", weight, grad, [history], out, True,
                       _opt_attrs(kw, lr=lr, epsilon=epsilon, wd=wd, rescale_grad=rescale_grad,
                                  clip_gradient=clip_gradient))


def ftrl_update(weight, grad, z, n, lr, lamda1=0.01, beta=1.0, wd=0.0, rescale_grad=1.0, clip_gradient=-1.0,
                out=None, **kw):
    """FTRL over the rows of a row_sparse grad."""
    return _rsp_update("_sparse_rsp_ftrl_update", "ftrl_update", weight, grad, [z, n], out, True,
                       _opt_attrs(kw, lr=lr, lamda1=lamda1, beta=beta, wd=wd, rescale_grad=rescale_grad,
                                  clip_gradient=clip_gradient))


# ---- hooks into mx.nd -------------------------------------------------------
_dense_dot = None
_dense_add_n = None


def _unary_maker(name, dense_fn):
    def fn(data, *args, **kwargs):
        if isinstance(data, BaseSparseNDArray) and not args and not kwargs.get("out"):
            return data._map(name)
        return dense_fn(data, *args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


def _dispatch_maker(name, dense_fn, sparse_fn, test):
    def fn(*args, **kwargs):
        if test(args, kwargs):
            return sparse_fn(*args, **kwargs)
        return dense_fn(*args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = dense_fn.__doc__
    return fn


def _any_sparse_list(args, kwargs):
    flat = list(args[0]) if len(args) == 1 and isinstance(args[0], (list, tuple)) else list(args)
    return any(isinstance(a, BaseSparseNDArray) for a in flat)


def _any_sparse(args, kwargs):
    return any(isinstance(a, BaseSparseNDArray) for a in list(args) + list(kwargs.values()))


def install(ns: dict) -> None:
    """Make mx.nd's dot, elemwise ops, cast_storage, sum/mean and the zero-preserving unary ops
    dispatch on sparse inputs (called once from mx.nd's __init__), and NDArray.tostype work."""
    global _dense_dot, _dense_add_n
    _dense_dot = ns["dot"]
    _dense_add_n = ns["add_n"]
    for name in ("add_n", "ElementWiseSum"):
        if name in ns:
            ns[name] = _dispatch_maker(name, ns[name], add_n, _any_sparse_list)
    ns["dot"] = _dispatch_maker("dot", ns["dot"], dot, _any_sparse)
    for name, fn in (("elemwise_add", add), ("elemwise_sub", subtract), ("elemwise_mul", multiply),
                     ("sum", sum), ("mean", mean)):
        if name in ns:
            ns[name] = _dispatch_maker(name, ns[name], fn, _any_sparse)
    for name in _ZERO_PRESERVING:
        if name in ns:
            ns[name] = _unary_maker(name, ns[name])
    for name in ("sgd_update", "sgd_mom_update", "adam_update", "adagrad_update", "ftrl_update"):
        ns[name] = _dispatch_maker(name, ns[name], globals()[name], _any_sparse)
    ns["cast_storage"] = cast_storage
    ns["retain"] = retain
    for name in _ZERO_PRESERVING:
        if name in BaseSparseNDArray.__dict__ or name == "negative":
            continue
        setattr(BaseSparseNDArray, name, lambda self, *a, _n=name, **k: self._map(_n) if not a and not k
                else getattr(NDArray, _n)(self, *a, **k))
