"""Constant folding at import: nodes whose inputs are all constants are computed in numpy.

PyTorch exports ``x.view(x.size(0), -1)`` as Shape -> Gather -> Unsqueeze ->
Concat -> Reshape; with the graph input shapes known, Shape is a constant and
the chain folds into Reshape's constant shape argument. When the shape depends
on a free (dynamic) input dimension, Shape gives an object array of
:class:`DimRef` and only the index shuffling ops fold it; Reshape then turns a
dimension kept at its own position into MXNet's code 0 (copy)."""
from __future__ import annotations

import numpy as np

from .._deps import numpy_dtype


def _axes(ctx, n, i=1):
    a = n.attrs.get("axes")
    if a is None and ctx.opset >= 13:
        v = ctx.const(n, i) if n.input(i) else None
        a = None if v is None else v.tolist()
    return a


def _slice(ctx, n, x):
    starts, ends = ctx.const(n, 1), ctx.const(n, 2)
    axes = ctx.const(n, 3, np.arange(len(starts)))
    steps = ctx.const(n, 4, np.ones(len(starts), dtype=np.int64))
    idx = [slice(None)] * x.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        idx[int(a)] = slice(int(s), int(e), int(st))
    return x[tuple(idx)]


def _unsqueeze(x, axes):
    for a in sorted(a % (x.ndim + len(axes)) for a in axes):
        x = np.expand_dims(x, a)
    return x


_FOLD = {
    "Identity": lambda ctx, n, xs: xs[0],
    "Cast": lambda ctx, n, xs: xs[0].astype(numpy_dtype(n.attrs["to"])),
    "Gather": lambda ctx, n, xs: np.take(xs[0], xs[1].astype(np.int64), axis=n.attrs.get("axis", 0)),
    "Unsqueeze": lambda ctx, n, xs: _unsqueeze(xs[0], _axes(ctx, n)),
    "Squeeze": lambda ctx, n, xs: np.squeeze(xs[0], axis=tuple(_axes(ctx, n)) if _axes(ctx, n) else None),
    "Concat": lambda ctx, n, xs: np.concatenate(xs, axis=n.attrs["axis"]),
    "Reshape": lambda ctx, n, xs: xs[0].reshape([d if d != 0 else xs[0].shape[i]
                                                 for i, d in enumerate(xs[1].tolist())]),
    "Add": lambda ctx, n, xs: xs[0] + xs[1], "Sub": lambda ctx, n, xs: xs[0] - xs[1],
    "Mul": lambda ctx, n, xs: xs[0] * xs[1],
    "Div": lambda ctx, n, xs: (xs[0] // xs[1]) if xs[0].dtype.kind in "iu" else xs[0] / xs[1],
    "Slice": lambda ctx, n, xs: _slice(ctx, n, xs[0]),
    "Equal": lambda ctx, n, xs: np.equal(xs[0], xs[1]), "Less": lambda ctx, n, xs: np.less(xs[0], xs[1]),
    "Greater": lambda ctx, n, xs: np.greater(xs[0], xs[1]), "Not": lambda ctx, n, xs: np.logical_not(xs[0]),
    "Where": lambda ctx, n, xs: np.where(xs[0], xs[1], xs[2]),
    "Tile": lambda ctx, n, xs: np.tile(xs[0], xs[1].astype(np.int64).tolist()),
    "Expand": lambda ctx, n, xs: xs[0] * np.ones(xs[1].astype(np.int64).tolist(), dtype=xs[0].dtype),
    "Range": lambda ctx, n, xs: np.arange(xs[0], xs[1], xs[2], dtype=xs[0].dtype),
    "Neg": lambda ctx, n, xs: -xs[0], "Abs": lambda ctx, n, xs: np.abs(xs[0]),
    "Max": lambda ctx, n, xs: np.maximum.reduce(xs), "Min": lambda ctx, n, xs: np.minimum.reduce(xs),
    "ScatterND": lambda ctx, n, xs: _scatter_nd(*xs),
    "ConstantOfShape": lambda ctx, n, xs: np.full(xs[0].astype(np.int64).tolist(), n.attrs.get("value", 0.0)),
}


def _scatter_nd(data, indices, updates):
    out = data.copy()
    for idx, upd in zip(indices.reshape(-1, indices.shape[-1]), updates.reshape((-1,) + data.shape[
            indices.shape[-1]:])):
        out[tuple(idx)] = upd
    return out


def _constant_value(n):
    import onnx
    a = n.attrs
    if "value" in a:
        return onnx.numpy_helper.to_array(a["value"]) if not isinstance(a["value"], np.ndarray) else a["value"]
    for key, dt in (("value_float", np.float32), ("value_floats", np.float32), ("value_int", np.int64),
                    ("value_ints", np.int64)):
        if key in a:
            return np.asarray(a[key], dtype=dt)
    n.fail("Constant without a value/value_float(s)/value_int(s) attribute is not supported")


class DimRef:
    """Dimension ``axis`` of tensor ``name``, known only at run time."""

    __slots__ = ("axis", "name")

    def __init__(self, name, axis):
        self.name, self.axis = name, axis

    def __repr__(self):
        return "%s.shape[%d]" % (self.name, self.axis)


# the folds that only move values around, so they also fold arrays of DimRef
_INDEXING = ("Identity", "Gather", "Unsqueeze", "Squeeze", "Concat", "Slice", "Reshape")


def fold(ctx, n) -> bool:
    """Compute ``n`` in numpy when its result is a constant; True if it did."""
    if n.op_type == "Constant":
        ctx.consts[n.outputs[0]] = _constant_value(n)
        return True
    if n.op_type == "Shape":
        src = ctx.tensors.get(n.inputs[0])
        shp = ctx.shape(n.inputs[0])
        if shp is None:
            return False
        if src is not None and ctx.free_inputs & set(src.list_arguments()):
            # depends on a free (dynamic) input dim: symbolic entries
            ctx.consts[n.outputs[0]] = np.array([DimRef(n.inputs[0], a) for a in range(len(shp))], dtype=object)
        else:
            ctx.consts[n.outputs[0]] = np.asarray(shp, dtype=np.int64)
        return True
    f = _FOLD.get(n.op_type)
    ins = [i for i in n.inputs if i]
    if f is None or not ins or not all(ctx.is_const(i) for i in ins):
        return False
    if n.op_type not in _INDEXING and any(ctx.consts[i].dtype == object for i in ins):
        return False
    if "value" in n.attrs and n.op_type == "ConstantOfShape":
        import onnx
        n.attrs["value"] = onnx.numpy_helper.to_array(n.attrs["value"]).reshape(-1)[0]
    ctx.consts[n.outputs[0]] = np.asarray(f(ctx, n, [ctx.consts[i] for i in ins]))
    return True
