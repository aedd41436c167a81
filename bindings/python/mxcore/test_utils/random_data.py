"""Random test inputs: arrays, shapes, coordinates and matrices with known spectra,
drawn from numpy's global generator (so ``np.random.seed`` makes them repeatable)."""
from __future__ import annotations

import numpy as np

from .tolerances import default_context, default_dtype


def random_arrays(*shapes):
    """Standard-normal float32 arrays, one per shape (a single array for one shape)."""
    out = [np.array(np.random.randn(), dtype=default_dtype()) if len(s) == 0
           else np.random.randn(*s).astype(default_dtype()) for s in shapes]
    return out[0] if len(out) == 1 else out


def random_uniform_arrays(*shapes, low=0.0, high=1.0, dtype=None) -> list:
    """Uniform [low, high) arrays, one per shape, always as a list."""
    dtype = default_dtype() if dtype is None else dtype
    return [np.random.uniform(low, high, size=s).astype(dtype) for s in shapes]


def random_sample(population, k: int) -> list:
    """``k`` distinct elements of ``population`` in random order (numpy's generator)."""
    assert 0 <= k <= len(population)
    pool = list(population)
    np.random.shuffle(pool)
    return pool[:k]


def assign_each(the_input, function):
    """``function`` applied to every element of ``the_input`` (a float64 array; a copy if None)."""
    if function is None:
        return np.array(the_input)
    src = np.asarray(the_input)
    out = np.zeros(src.shape)
    for idx in np.ndindex(src.shape):
        out[idx] = function(src[idx])
    return out


def assign_each2(input1, input2, function):
    """``function(x1, x2)`` over two same-shaped arrays, element by element (float64)."""
    if function is None:
        return np.array(input1)
    a, b = np.asarray(input1), np.asarray(input2)
    assert a.shape == b.shape
    out = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        out[idx] = function(a[idx], b[idx])
    return out


def create_2d_tensor(rows: int, columns: int, dtype=np.int64):
    """NDArray (rows, columns) whose row i holds i everywhere (large-tensor tests)."""
    from .. import ndarray as nd
    col = nd.arange(0, rows, dtype=dtype).reshape(rows, 1)
    return nd.broadcast_to(col, shape=(rows, columns))


def create_vector(size: int, dtype=np.int64):
    """NDArray 0, 1, ..., size - 1."""
    from .. import ndarray as nd
    return nd.arange(0, size, dtype=dtype)


def get_identity_mat(size: int):
    """float32 identity NDArray (size, size)."""
    from .. import ndarray as nd
    return nd.array(np.eye(size, dtype=np.float32))


def get_identity_mat_batch(size: int):
    """A batch of two identity matrices, shape (2, size, size)."""
    from .. import ndarray as nd
    return nd.array(np.stack([np.eye(size, dtype=np.float32)] * 2))


def rand_ndarray(shape, stype="default", density=None, dtype=None, modifier_func=None,
                 shuffle_csr_indices=False, distribution=None, ctx=None):
    """Standard-normal NDArray of ``shape`` on ``ctx`` (default device); dtype float32
    unless given. ``stype`` 'csr' / 'row_sparse': rand_sparse_ndarray's array."""
    from .. import ndarray as nd
    if stype != "default":
        return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype, modifier_func=modifier_func,
                                   shuffle_csr_indices=shuffle_csr_indices, distribution=distribution,
                                   ctx=ctx)[0]
    return nd.array(random_arrays(shape), dtype=dtype, ctx=ctx or default_context())


def rand_sparse_ndarray(shape, stype, density=None, dtype=None, distribution=None, data_init=None,
                        rsp_indices=None, modifier_func=None, shuffle_csr_indices=False, ctx=None):
    """A random csr or row_sparse array and its components as numpy arrays, as MXNet's:
    (arr, (data, indices, indptr)) for csr, (arr, (data, indices)) for row_sparse. Each
    element (csr) or row (row_sparse) is stored with probability ``density`` (random when
    None); values are uniform in [0, 1) (``data_init`` sets them all; ``modifier_func``
    maps them). ``rsp_indices`` fixes the stored rows of a row_sparse array.
    ``shuffle_csr_indices`` (unsorted column ids) is not supported: mxcore's csr arrays keep
    them sorted, so it raises."""
    from .. import ndarray as nd
    if shuffle_csr_indices:
        raise NotImplementedError("rand_sparse_ndarray: shuffle_csr_indices is not supported (csr column ids "
                                  "stay sorted in mxcore)")
    if distribution not in (None, "uniform"):
        raise NotImplementedError(f"rand_sparse_ndarray: distribution {distribution!r} (only 'uniform')")
    density = np.random.rand() if density is None else density
    dtype = np.dtype(dtype if dtype is not None else np.float32)
    shape = tuple(shape)
    if stype == "row_sparse":
        if rsp_indices is not None:
            rows = np.unique(np.asarray(rsp_indices, dtype=np.int64))
        else:
            rows = np.flatnonzero(np.random.rand(shape[0]) < density).astype(np.int64)
        dense = np.zeros(shape, dtype)
        vals = np.random.rand(len(rows), *shape[1:])
        dense[rows] = vals if data_init is None else data_init
        if modifier_func is not None:
            dense[rows] = np.vectorize(modifier_func)(dense[rows])
        arr = nd.sparse.row_sparse_array((dense[rows], rows), shape=shape, ctx=ctx or default_context(), dtype=dtype)
        return arr, (arr.data.asnumpy(), arr.indices.asnumpy())
    if stype == "csr":
        if len(shape) != 2:
            raise ValueError(f"rand_sparse_ndarray: a csr array is 2-d, got shape {shape}")
        mask = np.random.rand(*shape) < density
        dense = np.zeros(shape, dtype)
        dense[mask] = np.random.rand(int(mask.sum())) if data_init is None else data_init
        if modifier_func is not None:
            dense[mask] = np.vectorize(modifier_func)(dense[mask])
        arr = nd.array(dense, ctx=ctx or default_context(), dtype=dtype).tostype("csr")
        return arr, (arr.data.asnumpy(), arr.indices.asnumpy(), arr.indptr.asnumpy())
    raise ValueError(f"rand_sparse_ndarray: unknown storage type {stype!r} (csr or row_sparse)")


def create_sparse_array(shape, stype, data_init=None, rsp_indices=None, dtype=None, modifier_func=None,
                        density=0.5, shuffle_csr_indices=False):
    """A random csr / row_sparse array (rand_sparse_ndarray's array)."""
    return rand_sparse_ndarray(shape, stype, density=density, dtype=dtype, data_init=data_init,
                               rsp_indices=rsp_indices, modifier_func=modifier_func,
                               shuffle_csr_indices=shuffle_csr_indices)[0]


def _dims(highs, allow_zero_size):
    low = 0 if allow_zero_size else 1
    return tuple(int(np.random.randint(low, h + 1)) for h in highs)


def rand_shape_2d(dim0=10, dim1=10, allow_zero_size=False):
    """Random 2-d shape with each dim in [1, dim_i] ([0, dim_i] with allow_zero_size)."""
    return _dims((dim0, dim1), allow_zero_size)


def rand_shape_3d(dim0=10, dim1=10, dim2=10, allow_zero_size=False):
    """Random 3-d shape with each dim in [1, dim_i] ([0, dim_i] with allow_zero_size)."""
    return _dims((dim0, dim1, dim2), allow_zero_size)


def rand_shape_nd(num_dim, dim=10, allow_zero_size=False):
    """Random ``num_dim``-d shape with each dim in [1, dim] ([0, dim] with allow_zero_size)."""
    return _dims((dim,) * num_dim, allow_zero_size)


def rand_coord_2d(x_low, x_high, y_low, y_high):
    """Random integer (x, y) with x in [x_low, x_high) and y in [y_low, y_high)."""
    return (np.random.randint(x_low, x_high, dtype=np.int64),
            np.random.randint(y_low, y_high, dtype=np.int64))


def _householder(n):
    """A random reflection I - 2 v v^T (orthogonal and symmetric)."""
    v = np.random.uniform(-1.0, 1.0, (n, 1))
    v /= np.linalg.norm(v)
    return np.eye(n) - 2 * v @ v.T


def new_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A well-conditioned n x n matrix with real eigenvalues in (-10, 10): Q^-1 D Q for a
    random Q of condition number below 3."""
    while True:
        q = _householder(n) @ np.diag(np.random.uniform(-1.0, 1.0, n))
        if np.linalg.cond(q, 2) < 3:
            break
    return np.linalg.inv(q) @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def _batch_of(make, shape):
    count = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return np.array([make(shape[-1]) for _ in range(count)]).reshape(shape)


def new_matrix_with_real_eigvals_nd(shape) -> np.ndarray:
    """A batch of new_matrix_with_real_eigvals_2d matrices of ``shape`` (..., n, n)."""
    return _batch_of(new_matrix_with_real_eigvals_2d, shape)


def new_orthonormal_matrix_2d(n: int) -> np.ndarray:
    """A random n x n orthonormal matrix (Q of a QR factorisation)."""
    x = np.random.randn(n, n)
    return np.linalg.qr(x.T @ x)[0]


def new_sym_matrix_with_real_eigvals_2d(n: int) -> np.ndarray:
    """A random symmetric n x n matrix Q^T D Q with eigenvalues in (-10, 10)."""
    q = new_orthonormal_matrix_2d(n)
    return q.T @ np.diag(np.random.uniform(-10.0, 10.0, n)) @ q


def new_sym_matrix_with_real_eigvals_nd(shape) -> np.ndarray:
    """A batch of new_sym_matrix_with_real_eigvals_2d matrices of ``shape`` (..., n, n)."""
    return _batch_of(new_sym_matrix_with_real_eigvals_2d, shape)
