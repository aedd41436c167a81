"""``mx.npx``: MXNet's numpy extensions. Mode switches (set_np, reset_np,
is_np_array, ...), neural-network operators on numpy-mode arrays (relu, softmax,
pick, one_hot, topk, sequence_mask, batch_dot, reshape with npx codes, ...) and
device helpers (cpu, gpu, num_gpus, waitall)."""
from __future__ import annotations

from ..context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus  # noqa: F401
from ..ndarray.ndarray import waitall  # noqa: F401
from . import ops as _ops
from ._mode import (is_np_array, is_np_shape, np_array, np_shape, reset_np, set_np, set_np_shape,  # noqa: F401
                    use_np, use_np_array, use_np_shape)
from .ops import *  # noqa: F401,F403

__all__ = ["set_np", "reset_np", "is_np_array", "is_np_shape", "set_np_shape", "np_shape", "np_array",
           "use_np", "use_np_array", "use_np_shape", "cpu", "gpu", "cpu_pinned", "num_gpus", "current_context",
           "waitall", "load", "save", "from_numpy", "to_numpy", "seed"] + list(_ops.__all__)


def current_device():
    return current_context()


def load(file):
    """Arrays saved by npx.save / nd.save, as numpy-mode arrays."""
    from ..ndarray import load as _load
    from ..numpy._core import as_np
    r = _load(file)
    return {k: as_np(v) for k, v in r.items()} if isinstance(r, dict) else [as_np(v) for v in r]


def save(file, arr):
    from ..ndarray import save as _save
    from ..numpy._core import as_nd_tree
    _save(file, {k: as_nd_tree(v) for k, v in arr.items()} if isinstance(arr, dict) else as_nd_tree(arr))


def from_numpy(ndarray, zero_copy=True):
    from ..ndarray.ndarray import from_numpy as _fn
    from ..numpy._core import wrap
    return wrap(_fn(ndarray, zero_copy))


def to_numpy(a):
    return a.asnumpy()


def seed(seed_state, ctx="all"):
    from .. import random
    random.seed(seed_state, ctx)
