"""``mx.np.random``: numpy's sampling functions on the registry's generators
(one seeded, counter-based generator shared with ``mx.random``). ``size=None``
gives a 0-d array; floats are float32 unless ``dtype`` says otherwise; integers
(randint, choice) are int64, as MXNet 1.9.1."""
from __future__ import annotations

import numpy as onp

from .. import random as _mxrandom
from ..ndarray.ndarray import NDArray
from . import _core
from ._core import call, default_ctx

__all__ = ["seed", "uniform", "normal", "randn", "rand", "randint", "choice", "shuffle", "permutation",
           "random", "random_sample", "bernoulli", "exponential", "gamma", "multinomial", "poisson"]


def seed(seed=None, ctx="all"):  # noqa: A002
    _mxrandom.seed(0 if seed is None else int(seed), ctx)


def _size(size):
    if size is None:
        return ()
    return (int(size),) if isinstance(size, (int, onp.integer)) else tuple(int(s) for s in size)


def _attrs(size, dtype, ctx, device, **kw):
    c = default_ctx(ctx, device)
    kw.update(shape=_size(size) or (1,), dtype=onp.dtype(dtype or onp.float32).name, ctx=str(c))
    return kw


def _finish(r, size, ctx, device):
    c = default_ctx(ctx, device)
    if r.context != c:
        r = r.as_in_context(c)
    return _core.fix_shape(r, _size(size))


def _param_sample(op, a, b, size, dtype, ctx, device, names):
    """Sample with scalar parameters; array parameters broadcast a standard sample."""
    if isinstance(a, NDArray) or isinstance(b, NDArray) or isinstance(a, onp.ndarray) or isinstance(b, onp.ndarray):
        a_, b_ = (_core.asarray(v) if not _core.is_scalar(v) else v for v in (a, b))
        shape = _size(size) if size is not None else onp.broadcast_shapes(*[onp.shape(v) for v in (a_, b_)])
        base = _param_sample(op, 0.0, 1.0, shape, dtype, ctx, device, names)
        if op == "random_uniform":
            return base * (b_ - a_) + a_
        return base * b_ + a_
    r = call(op, [], _attrs(size, dtype, ctx, device, **{names[0]: float(a), names[1]: float(b)}))
    return _finish(r, size, ctx, device)


def uniform(low=0.0, high=1.0, size=None, dtype=None, ctx=None, device=None, out=None):
    return _param_sample("random_uniform", low, high, size, dtype, ctx, device, ("low", "high"))


def normal(loc=0.0, scale=1.0, size=None, dtype=None, ctx=None, device=None, out=None):
    return _param_sample("random_normal", loc, scale, size, dtype, ctx, device, ("loc", "scale"))


def rand(*size, **kwargs):
    return uniform(size=size or None, **kwargs)


def randn(*size, **kwargs):
    return normal(size=size or None, **kwargs)


def random(size=None, dtype=None, ctx=None, device=None):
    return uniform(size=size, dtype=dtype, ctx=ctx, device=device)


random_sample = random


def randint(low, high=None, size=None, dtype=None, ctx=None, device=None, out=None):
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError("randint: low >= high (%r >= %r)" % (low, high))
    dt = onp.dtype(dtype or onp.int64)
    r = call("random_randint", [], _attrs(size, dt, ctx, device, low=int(low), high=int(high)))
    return _finish(r, size, ctx, device)


def shuffle(x):
    """Shuffle `x` along its first axis, in place."""
    if not isinstance(x, NDArray):
        raise TypeError("shuffle: x must be an mx.np.ndarray, got %s" % type(x).__name__)
    r = call("shuffle", [x])
    x[...] = r


def permutation(x):
    if isinstance(x, (int, onp.integer)):
        a = _core.asarray(onp.arange(int(x), dtype=onp.int64))
    else:
        a = _core.asarray(x).copy()
    return call("shuffle", [a])


def choice(a, size=None, replace=True, p=None, ctx=None, device=None, out=None):
    """Samples from arange(a) (an int) or the elements of the 1-d array `a`;
    with replacement uniformly or with probabilities `p`, else a permutation's head."""
    n = int(a) if isinstance(a, (int, onp.integer)) else _core.asarray(a).shape[0]
    shape = _size(size)
    count = int(onp.prod(shape)) if shape else 1
    if not replace:
        if count > n:
            raise ValueError("choice: cannot take a larger sample than population when replace=False")
        idx = permutation(n)[:count] if count else _core.asarray(onp.zeros(0, onp.int64))
    elif p is None:
        idx = randint(0, n, size=(count,), ctx=ctx, device=device)
    else:
        probs = _core.asarray(p, dtype=onp.float32)
        idx = _core.cast(call("sample_multinomial", [probs], {"shape": (count,)}), onp.int64)
    idx = idx.reshape(shape)
    if isinstance(a, (int, onp.integer)):
        return idx
    return _core.asarray(a)[idx]


def bernoulli(prob=None, logit=None, size=None, dtype=None, ctx=None, device=None):
    if prob is None:
        from ..numpy_extension.ops import sigmoid
        prob = sigmoid(_core.asarray(logit))
    u = uniform(size=size if size is not None else onp.shape(prob), ctx=ctx, device=device)
    return _core.cast(u < prob, dtype or onp.float32)


def exponential(scale=1.0, size=None, ctx=None, device=None):
    r = call("random_exponential", [], _attrs(size, None, ctx, device, lam=1.0 / float(scale)))
    return _finish(r, size, ctx, device)


def gamma(shape, scale=1.0, size=None, dtype=None, ctx=None, device=None):
    r = call("random_gamma", [], _attrs(size, dtype, ctx, device, alpha=float(shape), beta=float(scale)))
    return _finish(r, size, ctx, device)


def poisson(lam=1.0, size=None, ctx=None, device=None):
    r = call("random_poisson", [], _attrs(size, None, ctx, device, lam=float(lam)))
    return _finish(r, size, ctx, device)


def multinomial(n, pvals, size=None):
    """Counts of `n` draws over the categories of `pvals` (host loop over size)."""
    pv = _core.asarray(pvals, dtype=onp.float32)
    shape = _size(size)
    draws = call("sample_multinomial", [pv], {"shape": shape + (int(n),)})
    d = onp.asarray(draws.asnumpy(), dtype=onp.int64)
    counts = onp.stack([(d == k).sum(-1) for k in range(pv.shape[0])], -1)
    return _core.asarray(counts.astype(onp.int64))
