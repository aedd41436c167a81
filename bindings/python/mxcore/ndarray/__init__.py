"""mx.nd: the imperative NDArray API. Op functions are generated from the
core's registry manifest at import (see register.py)."""
from . import ndarray as _ndmod
from .dlpack import from_dlpack
from .ndarray import (NDArray, arange, array, concat, concatenate, empty, eye, from_numpy, full, invoke, linspace,
                      moveaxis, ones, stack, to_dlpack_for_read, to_dlpack_for_write, waitall, zeros)
from .register import attach_fluent, manifest, prefixed_namespace, register_all, split_namespaces
from .utils import load, load_frombuffer, save

_OP_NAMES = register_all(globals())
attach_fluent(globals())
contrib = prefixed_namespace(globals(), "contrib", __name__ + ".contrib")
linalg = prefixed_namespace(globals(), "linalg", __name__ + ".linalg")
image = prefixed_namespace(globals(), "image", __name__ + ".image")
_internal, op = split_namespaces(globals(), _OP_NAMES, __name__)

from . import binary_funcs as _binary_funcs  # noqa: E402
_BINARY_NAMES = _binary_funcs.install(globals(), NDArray, lambda op, ins, attrs: invoke(op, list(ins), attrs)[0])
from . import random  # noqa: E402  (uses the generated ops)
from ..control_flow import nd_cond, nd_foreach, nd_while_loop  # noqa: E402
contrib.foreach, contrib.while_loop, contrib.cond = nd_foreach, nd_while_loop, nd_cond
from .contrib_checks import isfinite as _isfinite, isinf as _isinf, isnan as _isnan  # noqa: E402
contrib.isfinite, contrib.isinf, contrib.isnan = _isfinite, _isinf, _isnan
from .contrib_sampling import rand_zipfian as _rand_zipfian  # noqa: E402
contrib.rand_zipfian = _rand_zipfian
contrib.__all__ += ["foreach", "while_loop", "cond", "isfinite", "isinf", "isnan", "rand_zipfian"]
from . import contrib_optimizer as _contrib_optimizer  # noqa: E402  (MXNet's list/number signatures)
for _n in _contrib_optimizer.__all__:
    setattr(contrib, _n, getattr(_contrib_optimizer, _n))
del _n
from . import sparse  # noqa: E402
sparse.install(globals())
for _n in sparse._ZERO_PRESERVING + ("cast_storage",):
    if _n in globals() and not hasattr(sparse, _n):
        setattr(sparse, _n, globals()[_n])
del _n


_histogram_op = histogram  # noqa: F821  (generated above)


def histogram(a, bins=10, range=None, **kwargs):  # noqa: A002  (MXNet's argument name)
    """Counts of `a` in `bins` equal bins over `range` (default: a's min and max), or
    between the edges of a `bins` array; returns (counts, bin_edges) as MXNet."""
    if isinstance(bins, NDArray):
        return _histogram(a, bins, **kwargs)  # noqa: F821  (generated above)
    counts, edges = _histogram_op(a, bins=bins, range=range, **kwargs)
    if range is None:
        # MXNet answers this case with numpy's result wrapped by nd.array: float32 counts
        counts = counts.astype('float32')
    return counts, edges


def Custom(*args, **kwargs):
    """Run a custom Python operator registered with mx.operator.register
    (``op_type=``); recorded for autograd with the operator's backward."""
    from ..operator import invoke_nd
    return invoke_nd(args, kwargs)


def onehot_encode(indices, out):
    """MXNet's legacy one-hot: writes one-hot rows of ``indices`` into ``out``
    (shape (len(indices), depth)) and returns ``out``."""
    if out.ndim != 2 or indices.ndim != 1 or indices.shape[0] != out.shape[0]:
        raise ValueError("onehot_encode: indices %s and out %s: expected indices (N,) and out (N, depth)"
                         % (indices.shape, out.shape))
    out[:] = one_hot(indices, depth=out.shape[1], dtype=out.dtype)  # noqa: F821  (generated above)
    return out

__all__ = ["NDArray", "array", "empty", "zeros", "ones", "full", "arange", "eye", "linspace", "concat",
           "concatenate", "stack", "moveaxis", "waitall", "from_numpy", "from_dlpack", "to_dlpack_for_read",
           "to_dlpack_for_write", "save", "load", "load_frombuffer", "random", "invoke", "contrib",
           "linalg", "image", "Custom", "onehot_encode"] + _BINARY_NAMES + _OP_NAMES
