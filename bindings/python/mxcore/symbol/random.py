"""mx.sym.random: MXNet's sampling functions for symbols (what ``F.random`` is
inside a hybridized ``hybrid_forward``). Scalar parameters use the registry's
random_* ops; Symbol parameters use its sample_* ops, as mx.nd.random does."""
from __future__ import annotations

from ..base import np_dtype
from ..ndarray.random import __all__  # noqa: F401  (the same function names as mx.nd.random)
from ..ndarray.random import LIKE_SAMPLERS, _shape, make_like
from .symbol import Symbol, _invoke_sym


def _attrs(shape, dtype, name, **extra):
    attrs = {"shape": shape, "name": name}
    if dtype is not None:
        attrs["dtype"] = np_dtype(dtype).name
    attrs.update(extra)
    return attrs


def _scalar_or_symbol(op, sample_op, params: dict, shape, dtype, name):
    syms = [v for v in params.values() if isinstance(v, Symbol)]
    if syms:
        if len(syms) != len(params):
            raise ValueError(f"{op}: parameters must be all Symbols or all scalars, got {params}")
        return _invoke_sym(sample_op, tuple(params.values()),
                           _attrs(() if shape is None else _shape(shape), dtype, name))
    return _invoke_sym(op, (), _attrs(_shape(shape), dtype, name, **params))


def uniform(low=0, high=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_uniform", "sample_uniform", {"low": low, "high": high}, shape, dtype, name)


def normal(loc=0, scale=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_normal", "sample_normal", {"loc": loc, "scale": scale}, shape, dtype, name)


def randn(*shape, loc=0, scale=1, dtype=None, name=None, **kwargs):
    return normal(loc, scale, shape or None, dtype, name)


def randint(low, high, shape=None, dtype=None, name=None, **kwargs):
    return _invoke_sym("random_randint", (), _attrs(_shape(shape), dtype, name, low=int(low), high=int(high)))


def exponential(scale=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_exponential", "sample_exponential", {"lam": 1.0 / scale}, shape, dtype, name)


def gamma(alpha=1, beta=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_gamma", "sample_gamma", {"alpha": alpha, "beta": beta}, shape, dtype, name)


def poisson(lam=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_poisson", "sample_poisson", {"lam": lam}, shape, dtype, name)


def negative_binomial(k=1, p=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_negative_binomial", "sample_negative_binomial", {"k": k, "p": p}, shape,
                             dtype, name)


def generalized_negative_binomial(mu=1, alpha=1, shape=None, dtype=None, name=None, **kwargs):
    return _scalar_or_symbol("random_generalized_negative_binomial", "sample_generalized_negative_binomial",
                             {"mu": mu, "alpha": alpha}, shape, dtype, name)


def _run_like(op, data, attrs, name=None, **_):
    return _invoke_sym(op, (data,), dict(attrs, name=name))


(uniform_like, normal_like, exponential_like, gamma_like, poisson_like, negative_binomial_like,
 generalized_negative_binomial_like) = (make_like(*spec, _run_like) for spec in LIKE_SAMPLERS)


def bernoulli(prob=0.5, shape=None, dtype=None, name=None, **kwargs):
    if isinstance(prob, Symbol):
        raise ValueError("random.bernoulli: prob must be a number (there is no per-element bernoulli op)")
    return _scalar_or_symbol("random_bernoulli", None, {"prob": prob}, shape, dtype, name)


def multinomial(data, shape=None, get_prob=False, dtype="int32", name=None, **kwargs):
    return _invoke_sym("sample_multinomial", (data,),
                       {"shape": () if shape is None else _shape(shape), "get_prob": bool(get_prob), "dtype": dtype,
                        "name": name})


def shuffle(data, name=None, **kwargs):
    return _invoke_sym("shuffle", (data,), {"name": name})
