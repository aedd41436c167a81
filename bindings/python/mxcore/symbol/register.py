"""Generates mx.sym.<op> for every registry op from the core's manifest (the
same manifest and attribute encoding the nd layer uses), so the symbolic and
imperative APIs can never disagree about an op's inputs or attributes."""
from __future__ import annotations

import keyword

from ..ndarray.register import _doc, register_ops
from .symbol import _invoke_sym

# hand-written in symbol/__init__.py (MXNet's convenience signatures)
_KEEP = {"zeros", "ones", "full", "arange", "var", "Variable", "Group", "load", "load_json", "split_v2"}


# our aliases that MXNet registers as separate ops (same computation here)
_OWN_OPS_IN_MXNET = {"_rnn_param_concat"}


def _make(op: dict, called: str = None):
    """mx.sym.<called> for registry op `op`. Unnamed nodes are named after the
    function called, as MXNet names them (sym.SliceChannel -> slicechannel0,
    sym.contrib.box_iou -> box_iou0); `_rehint` makes the namespaced variant."""
    opname = op["name"]
    called = called or opname
    doc = _doc(op).replace("NDArray", "Symbol")

    # aliases that are ops of their own in MXNet keep their name in graphs
    record_as = called if called in _OWN_OPS_IN_MXNET else None

    def build(hint):
        def fn(*args, **kwargs):
            return _invoke_sym(opname, args, kwargs, hint, record_as)

        pyname = called if not keyword.iskeyword(called) else called + "_"
        fn.__name__ = fn.__qualname__ = pyname
        fn.__doc__ = doc
        fn._rehint = build
        return fn
    return build(called.lower())


def register_all(namespace: dict) -> list:
    """Create mx.sym.<op> (and aliases) in `namespace`; returns the public names."""
    return register_ops(namespace, _make, _KEEP, per_name=True)
