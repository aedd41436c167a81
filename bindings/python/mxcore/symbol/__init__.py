"""mx.sym: the symbolic API (MXNet 1.x). Op functions are generated from the
core's registry manifest (register.py); graphs are validated, serialised,
inferred and run by the core's graph executor (symbol.py, ../executor.py)."""
from . import symbol as _symmod
from ..ndarray.register import prefixed_namespace, split_namespaces
from .register import register_all
from .symbol import (Group, NameManager, Prefix, Symbol, Variable, fromjson, load, load_json,  # noqa: F401
                     var)
from .symbol import _invoke_sym, sym_binary_func

_OP_NAMES = register_all(globals())
contrib = prefixed_namespace(globals(), "contrib", __name__ + ".contrib")
linalg = prefixed_namespace(globals(), "linalg", __name__ + ".linalg")
image = prefixed_namespace(globals(), "image", __name__ + ".image")
_internal, op = split_namespaces(globals(), _OP_NAMES, __name__)
from . import random  # noqa: E402  (F.random inside a traced hybrid_forward)
from ..control_flow import sym_cond, sym_foreach, sym_while_loop  # noqa: E402
from ..ndarray.contrib_sampling import sym_rand_zipfian  # noqa: E402
contrib.foreach, contrib.while_loop, contrib.cond = sym_foreach, sym_while_loop, sym_cond
contrib.rand_zipfian = sym_rand_zipfian
contrib.__all__ += ["foreach", "while_loop", "cond", "rand_zipfian"]


def zeros(shape, dtype=None, name=None, **kwargs):
    return _invoke_sym("_zeros", (), dict(shape=tuple(shape) if not isinstance(shape, int) else (shape,),
                                          dtype=dtype or "float32", name=name, **kwargs))


def ones(shape, dtype=None, name=None, **kwargs):
    return _invoke_sym("_ones", (), dict(shape=tuple(shape) if not isinstance(shape, int) else (shape,),
                                         dtype=dtype or "float32", name=name, **kwargs))


def full(shape, val, dtype=None, name=None, **kwargs):
    return _invoke_sym("_full", (), dict(shape=tuple(shape) if not isinstance(shape, int) else (shape,),
                                         value=val, dtype=dtype or "float32", name=name, **kwargs))


def arange(start, stop=None, step=1.0, repeat=1, infer_range=False, name=None, dtype=None):
    return _invoke_sym("_arange", (), dict(start=start, stop=stop, step=step, repeat=repeat,
                                           dtype=dtype or "float32", name=name))


def split_v2(ary, indices_or_sections, axis=0, squeeze_axis=False, name=None, **kwargs):
    """MXNet's split_v2, recorded as MXNet records it (op ``_split_v2`` with ``indices``
    (split starts, leading 0) or ``sections``), so exported graphs load in MXNet 1.x."""
    if isinstance(indices_or_sections, int):
        indices, sections = (), indices_or_sections
    elif isinstance(indices_or_sections, (list, tuple)):
        indices, sections = (0,) + tuple(int(i) for i in indices_or_sections), 0
    else:
        raise TypeError("split_v2: indices_or_sections must be an int or a tuple of ints, got %r"
                        % (indices_or_sections,))
    return _invoke_sym("_split_v2", (ary,), dict(indices=indices, sections=sections, axis=axis,
                                                  squeeze_axis=squeeze_axis, name=name))


def _sparse_namespace(ns: dict):
    """mx.sym.sparse: MXNet's sparse symbol ops under their names. Graphs have no sparse
    storage here: these are the dense ops (the executor computes on dense values, and
    csr / row_sparse arrays fed to a graph are densified), so MXNet programs that build
    sparse symbols (a csr `data` Variable into sparse.dot) run and train."""
    import sys
    import types

    from ..ndarray.sparse import _ZERO_PRESERVING
    mod = types.ModuleType(__name__ + ".sparse", _sparse_namespace.__doc__)
    names = ["dot", "elemwise_add", "elemwise_sub", "elemwise_mul", "sum", "mean", "add_n", "ElementWiseSum",
             "Embedding", "broadcast_add", "broadcast_sub", "broadcast_mul", "broadcast_div", "clip", "where",
             "slice", "zeros_like", "ones_like", "sgd_update", "sgd_mom_update", "adam_update", "adagrad_update",
             "ftrl_update"] + list(_ZERO_PRESERVING)
    mod.__all__ = [n for n in names if n in ns]
    for n in mod.__all__:
        setattr(mod, n, ns[n])

    def cast_storage(data, stype, name=None, **kwargs):
        """Storage casts are identities in a (dense) graph."""
        return ns["identity"](data, name=name)

    mod.cast_storage = cast_storage
    mod.__all__.append("cast_storage")
    sys.modules[mod.__name__] = mod
    return mod


sparse = _sparse_namespace(globals())

from ..ndarray import binary_funcs as _binary_funcs  # noqa: E402
_BINARY_NAMES = _binary_funcs.install(globals(), Symbol, lambda op, ins, attrs: _invoke_sym(op, ins, attrs))
# the helpers MXNet's symbol module has itself: its ops and node names
maximum, minimum, hypot = sym_binary_func("maximum"), sym_binary_func("minimum"), sym_binary_func("hypot")
pow = power = sym_binary_func("power")  # noqa: A001


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002  (MXNet's argument name)
    """MXNet's sym.histogram: a ``_histogram`` node on ``bins`` equal bins over ``range``,
    or between the edges of a ``bins`` Symbol; outputs (counts, bin_edges)."""
    if isinstance(bins, Symbol):
        return _internal._histogram(data=a, bins=bins, **kwargs)
    return _internal._histogram(data=a, bin_cnt=bins, range=range, **kwargs)


def Custom(*args, **kwargs):
    """A custom Python operator node (op ``Custom``, as MXNet writes it); graphs
    holding one run eagerly only (see mx.operator)."""
    from ..operator import invoke_sym
    return invoke_sym(args, kwargs)


__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "zeros", "ones", "full", "arange",
           "random", "contrib", "linalg", "image", "split_v2", "Custom"] + _BINARY_NAMES + _OP_NAMES
