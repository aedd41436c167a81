"""Generates mx.sym.<op> for every registry op from the core's manifest (the
same manifest and attribute encoding the nd layer uses), so the symbolic and
imperative APIs can never disagree about an op's inputs or attributes."""
from __future__ import annotations

import keyword

from ..ndarray.register import _doc, register_ops
from .symbol import _invoke_sym

# hand-written in symbol/__init__.py (MXNet's convenience signatures)
_KEEP = {"zeros", "ones", "full", "arange", "var", "Variable", "Group", "load", "load_json", "split_v2"}


def _make(op: dict):
    opname = op["name"]

    def fn(*args, **kwargs):
        return _invoke_sym(opname, args, kwargs)

    pyname = opname if not keyword.iskeyword(opname) else opname + "_"
    fn.__name__ = fn.__qualname__ = pyname
    fn.__doc__ = _doc(op).replace("NDArray", "Symbol")
    return fn


def register_all(namespace: dict) -> list:
    """Create mx.sym.<op> (and aliases) in `namespace`; returns the public names."""
    return register_ops(namespace, _make, _KEEP)
