"""Products of ``mx.np`` on the registry's ``dot`` and ``batch_dot``: dot, matmul
(``@``, batch dimensions broadcast), tensordot, inner, outer, vdot, plus trace
and diag. Vector-vector products give 0-d arrays, as numpy."""
from __future__ import annotations

import numpy as onp

from . import _core
from ._core import call, fix_shape

__all__ = ["dot", "matmul", "tensordot", "inner", "outer", "vdot", "trace", "diag", "diagonal", "kron", "einsum"]


def _pair(a, b):
    return _core.promote(_core.asarray(a), _core.asarray(b))


def dot(a, b, out=None):
    """numpy.dot: scalars multiply, 1-d x 1-d is the inner product (0-d), otherwise
    the last axis of a against the first (1-d b) or second-to-last axis of b."""
    if _core.is_scalar(a) or _core.is_scalar(b) or _core.asarray(a).ndim == 0 or _core.asarray(b).ndim == 0:
        return _core.asarray(a) * b if not _core.is_scalar(a) else _core.asarray(b) * a
    a, b = _pair(a, b)
    if b.ndim > 2:  # numpy: a's last axis against b's second-to-last
        r = tensordot(a, b, ([a.ndim - 1], [b.ndim - 2]))
    else:
        r = call("dot", [a, b])
    shape = a.shape[:-1] + (b.shape[:-2] + b.shape[-1:] if b.ndim >= 2 else ())
    r = fix_shape(r, shape)
    if out is not None:
        out[...] = r
        return out
    return r


def matmul(a, b, out=None):
    """numpy.matmul: stacks of matrices with broadcast batch dimensions."""
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: input operand does not have enough dimensions (a %s, b %s)" % (a.shape, b.shape))
    if a.ndim <= 2 and b.ndim <= 2:
        return dot(a, b, out=out)
    va, vb = a.ndim == 1, b.ndim == 1
    if va:
        a = a.reshape(1, -1)
    if vb:
        b = b.reshape(-1, 1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError("matmul: mismatch in its core dimension: a %s, b %s (n?,k),(k,m?)->(n?,m?)"
                         % (a.shape, b.shape))
    batch = onp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    from .manipulation import broadcast_to
    a3 = broadcast_to(a, batch + a.shape[-2:]).reshape((-1,) + a.shape[-2:])
    b3 = broadcast_to(b, batch + b.shape[-2:]).reshape((-1,) + b.shape[-2:])
    r = call("batch_dot", [a3, b3]).reshape(batch + (a.shape[-2], b.shape[-1]))
    if va:
        r = r.reshape(r.shape[:-2] + r.shape[-1:])
    if vb:
        r = r.reshape(r.shape[:-1])
    if out is not None:
        out[...] = r
        return out
    return r


def tensordot(a, b, axes=2):
    """Sum products over `axes` (an int: the last n of a with the first n of b; or
    two sequences of axes), as numpy: transposes and reshapes around one dot."""
    a, b = _pair(a, b)
    if isinstance(axes, (int, onp.integer)):
        n = int(axes)
        ax_a, ax_b = list(range(a.ndim - n, a.ndim)), list(range(n))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, int) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int) else list(ax_b)
    ax_a = [x % a.ndim for x in ax_a]
    ax_b = [x % b.ndim for x in ax_b]
    for i, j in zip(ax_a, ax_b):
        if a.shape[i] != b.shape[j]:
            raise ValueError("tensordot: shape-mismatch for sum: a%s axis %d vs b%s axis %d" % (a.shape, i, b.shape, j))
    free_a = [i for i in range(a.ndim) if i not in ax_a]
    free_b = [j for j in range(b.ndim) if j not in ax_b]
    k = int(onp.prod([a.shape[i] for i in ax_a])) if ax_a else 1
    at = a.transpose(free_a + ax_a).reshape(-1, k) if a.ndim else a.reshape(1, 1)
    bt = b.transpose(ax_b + free_b).reshape(k, -1) if b.ndim else b.reshape(1, 1)
    r = call("dot", [at, bt])
    return r.reshape(tuple(a.shape[i] for i in free_a) + tuple(b.shape[j] for j in free_b))


def inner(a, b):
    a, b = _pair(a, b)
    if a.ndim == 0 or b.ndim == 0:
        return a * b
    return tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


def outer(a, b):
    a, b = _pair(a, b)
    return a.reshape(-1, 1) * b.reshape(1, -1)


def vdot(a, b):
    a, b = _pair(a, b)
    return dot(a.reshape(-1), b.reshape(-1))


def kron(a, b):
    a, b = _pair(a, b)
    if a.ndim != 2 or b.ndim != 2:
        raise NotImplementedError("kron: only 2-d inputs are supported")
    r = a.reshape(a.shape[0], 1, a.shape[1], 1) * b.reshape(1, b.shape[0], 1, b.shape[1])
    return r.reshape(a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])


def diag(v, k=0):
    return call("diag", [_core.asarray(v)], {"k": k})


def diagonal(a, offset=0, axis1=0, axis2=1):
    return call("diag", [_core.asarray(a)], {"k": offset, "axis1": axis1, "axis2": axis2})


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    from .reduction import sum as _sum
    return _sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def einsum(subscripts, *operands, **kwargs):
    """A small einsum: two operands at most, by way of tensordot and transpose
    (covers matrix products, batch contractions without shared batch axes, traces
    are not supported)."""
    ops = [_core.asarray(x) for x in operands]
    ins, _, res = subscripts.replace(" ", "").partition("->")
    terms = ins.split(",")
    if not res and "->" not in subscripts:
        letters = "".join(terms)
        res = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    if len(ops) == 1:
        t = terms[0]
        from .reduction import sum as _sum
        drop = tuple(i for i, c in enumerate(t) if c not in res)
        x = _sum(ops[0], axis=drop) if drop else ops[0]
        kept = [c for c in t if c in res]
        return x.transpose([kept.index(c) for c in res]) if len(res) > 1 else x
    if len(ops) != 2:
        raise NotImplementedError("einsum: only one or two operands are supported")
    ta, tb = terms
    shared = [c for c in ta if c in tb and c not in res]
    batch = [c for c in ta if c in tb and c in res]
    if batch:
        raise NotImplementedError("einsum: indices kept in both operands (batch axes) are not supported")
    r = tensordot(ops[0], ops[1], ([ta.index(c) for c in shared], [tb.index(c) for c in shared]))
    got = [c for c in ta if c not in shared] + [c for c in tb if c not in shared]
    from .reduction import sum as _sum
    extra = tuple(i for i, c in enumerate(got) if c not in res)
    if extra:
        r = _sum(r, axis=extra)
        got = [c for c in got if c in res]
    return r.transpose([got.index(c) for c in res]) if len(res) > 1 else r
