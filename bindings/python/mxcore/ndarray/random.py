"""mx.nd.random: MXNet's sampling functions over the registry's random ops.
Scalar parameters use random_* ops; NDArray parameters use sample_* ops."""
from __future__ import annotations

from ..context import current_context
from ..base import np_dtype
from .ndarray import NDArray, invoke

__all__ = ["uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "bernoulli", "multinomial", "shuffle", "uniform_like", "normal_like",
           "exponential_like", "gamma_like", "poisson_like", "negative_binomial_like",
           "generalized_negative_binomial_like"]


def _shape(shape, out=None):
    if shape is None:
        # MXNet takes an unspecified shape from out= (nd.random.normal(0, 1, out=w))
        return tuple(out.shape) if out is not None else (1,)
    if isinstance(shape, int):
        return (shape,)
    return tuple(shape)


def _finish(res, ctx, out):
    if out is not None:
        return out
    if ctx is not None and ctx != current_context() and ctx != res.context:
        return res.as_in_context(ctx)
    if ctx is None and current_context().device_typeid != 1:
        return res.as_in_context(current_context())
    return res


def _scalar_or_tensor(op, sample_op, params: dict, shape, dtype, ctx, out, **extra):
    tensors = [v for v in params.values() if isinstance(v, NDArray)]
    if tensors:
        if len(tensors) != len(params):
            raise ValueError(f"{op}: parameters must be all NDArrays or all scalars")
        attrs = {"shape": () if shape is None else _shape(shape)}
        if dtype is not None:
            attrs["dtype"] = np_dtype(dtype).name
        attrs.update(extra)
        r = invoke(sample_op, list(params.values()), attrs, out=out)
        return out if out is not None else r[0]
    attrs = dict(params)
    attrs["shape"] = _shape(shape, out)
    if dtype is None and out is not None:
        dtype = out.dtype
    if dtype is not None:
        attrs["dtype"] = np_dtype(dtype).name
    attrs.update(extra)
    r = invoke(op, [], attrs, out=out)
    return _finish(r if out is not None else r[0], ctx, out)


def uniform(low=0, high=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_uniform", "sample_uniform", {"low": low, "high": high}, shape, dtype, ctx, out)


def normal(loc=0, scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_normal", "sample_normal", {"loc": loc, "scale": scale}, shape, dtype, ctx, out)


def randn(*shape, loc=0, scale=1, dtype=None, ctx=None, out=None, **kwargs):
    return normal(loc, scale, shape or None, dtype, ctx, out)


def randint(low, high, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    attrs = {"low": int(low), "high": int(high), "shape": _shape(shape, out)}
    if dtype is None and out is not None:
        dtype = out.dtype
    if dtype is not None:
        attrs["dtype"] = np_dtype(dtype).name
    r = invoke("random_randint", [], attrs, out=out)
    return _finish(r if out is not None else r[0], ctx, out)


def exponential(scale=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    lam = 1.0 / scale if not isinstance(scale, NDArray) else 1.0 / scale
    return _scalar_or_tensor("random_exponential", "sample_exponential", {"lam": lam}, shape, dtype, ctx, out)


def gamma(alpha=1, beta=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_gamma", "sample_gamma", {"alpha": alpha, "beta": beta}, shape, dtype, ctx, out)


def poisson(lam=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_poisson", "sample_poisson", {"lam": lam}, shape, dtype, ctx, out)


def negative_binomial(k=1, p=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_negative_binomial", "sample_negative_binomial", {"k": k, "p": p}, shape,
                             dtype, ctx, out)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    return _scalar_or_tensor("random_generalized_negative_binomial", "sample_generalized_negative_binomial",
                             {"mu": mu, "alpha": alpha}, shape, dtype, ctx, out)


def bernoulli(prob=0.5, shape=None, dtype=None, ctx=None, out=None, **kwargs):
    if isinstance(prob, NDArray):
        raise ValueError("random.bernoulli: prob must be a number (there is no per-element bernoulli op)")
    return _scalar_or_tensor("random_bernoulli", None, {"prob": prob}, shape, dtype, ctx, out)


# the *_like samplers: (function name, registry op, parameter names); mx.sym.random
# makes its functions from the same table
LIKE_SAMPLERS = (("uniform_like", "random_uniform_like", ("low", "high")),
                 ("normal_like", "random_normal_like", ("loc", "scale")),
                 ("exponential_like", "random_exponential_like", ("lam",)),
                 ("gamma_like", "random_gamma_like", ("alpha", "beta")),
                 ("poisson_like", "random_poisson_like", ("lam",)),
                 ("negative_binomial_like", "random_negative_binomial_like", ("k", "p")),
                 ("generalized_negative_binomial_like", "random_generalized_negative_binomial_like", ("mu", "alpha")))


def make_like(fname, op, names, call):
    """X_like(data, params...): its parameters by position or name become op's
    attributes; call(op, data, attrs, **other_kwargs) runs it."""
    def fn(data=None, *args, **kwargs):
        attrs = dict(zip(names, args))
        attrs.update((k, kwargs.pop(k)) for k in list(kwargs) if k in names)
        return call(op, data, attrs, **kwargs)
    fn.__name__ = fname
    fn.__doc__ = f"Samples with the shape and dtype of data ({', '.join(names)}); the op {op}."
    return fn


def _run_like(op, data, attrs, out=None, **_):
    r = invoke(op, [data], attrs, out=out)
    return out if out is not None else r[0]


(uniform_like, normal_like, exponential_like, gamma_like, poisson_like, negative_binomial_like,
 generalized_negative_binomial_like) = (make_like(*spec, _run_like) for spec in LIKE_SAMPLERS)


def multinomial(data, shape=None, get_prob=False, out=None, dtype="int32", **kwargs):
    attrs = {"shape": () if shape is None else _shape(shape), "get_prob": bool(get_prob), "dtype": dtype}
    r = invoke("sample_multinomial", [data], attrs, out=out)
    if out is not None:
        return out
    return r if get_prob else r[0]


def shuffle(data, **kwargs):
    return invoke("shuffle", [data], {})[0]
