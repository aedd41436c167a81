"""ONNX shape ops (Reshape, Flatten, Transpose, Concat, Slice, Gather, Pad, Cast, ...) -> MXNet."""
from __future__ import annotations

import numpy as np

from .._deps import numpy_dtype
from ._registry import register
from .fold import DimRef


def _axes(ctx, n, i=1):
    """``axes`` from the attribute (before opset 13) or the constant input ``i`` (13+)."""
    axes = n.attrs.get("axes")
    if axes is None and n.input(i):
        axes = ctx.const(n, i).tolist()
    return axes


def _rank(ctx, n, name):
    shape = ctx.shape(name)
    if shape is None:
        n.fail("the rank of input '%s' is unknown" % name)
    return len(shape)


@register("Flatten")
def _flatten(ctx, n):
    axis = n.attrs.get("axis", 1)
    x = ctx.sym(n.inputs[0])
    name = ctx.mx_name(n.name)
    if axis == 1:
        return ctx.sym_mod.Flatten(x, name=name)
    if axis == 0:
        return ctx.sym_mod.reshape(x, shape=(1, -1), name=name)
    shape = ctx.shape(n.inputs[0])
    if shape is None or ctx.free_inputs:
        n.fail("axis=%d needs a static input shape" % axis)
    axis %= len(shape)
    return ctx.sym_mod.reshape(x, shape=(int(np.prod(shape[:axis])), -1), name=name)


@register("Reshape")
def _reshape(ctx, n):
    shape = list(ctx.const(n, 1)) if len(n.inputs) > 1 else list(n.attrs["shape"])
    for i, v in enumerate(shape):
        if isinstance(v, DimRef):  # a dynamic dim kept at its own axis is MXNet's 0 (copy)
            if v.name != n.inputs[0] or v.axis != i:
                n.fail("shape entry %d is %r, a dynamic dimension MXNet's reshape codes cannot express" % (i, v))
            shape[i] = 0
        else:
            shape[i] = int(v)
    if n.attrs.get("allowzero", 0) and 0 in shape:
        n.fail("allowzero=1 with a 0 in the shape has no MXNet translation")
    # ONNX's 0 (copy the dim) and -1 (infer) are MXNet's codes with the same meaning
    return ctx.sym_mod.reshape(ctx.sym(n.inputs[0]), shape=tuple(shape), name=ctx.mx_name(n.name))


@register("Transpose")
def _transpose(ctx, n):
    perm = n.attrs.get("perm")
    kw = {"axes": tuple(perm)} if perm else {}
    return ctx.sym_mod.transpose(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name), **kw)


@register("Concat")
def _concat(ctx, n):
    ins = [ctx.sym(i) for i in n.inputs if i]
    return ctx.sym_mod.Concat(*ins, dim=n.attrs.get("axis", 1), num_args=len(ins), name=ctx.mx_name(n.name))


@register("Squeeze")
def _squeeze(ctx, n):
    axes = _axes(ctx, n)
    kw = {"axis": tuple(axes)} if axes else {}
    return ctx.sym_mod.squeeze(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name), **kw)


@register("Unsqueeze")
def _unsqueeze(ctx, n):
    axes = _axes(ctx, n)
    rank = _rank(ctx, n, n.inputs[0]) + len(axes) if any(a < 0 for a in axes) else 0
    x = ctx.sym(n.inputs[0])
    for a in sorted(a % rank if a < 0 else a for a in axes):  # ascending: each axis in the final rank
        x = ctx.sym_mod.expand_dims(x, axis=a, name=ctx.mx_name(n.name))
    return x


@register("Slice")
def _slice(ctx, n):
    if ctx.opset >= 10:
        starts, ends = ctx.const(n, 1).tolist(), ctx.const(n, 2).tolist()
        axes = ctx.const(n, 3, np.arange(len(starts))).tolist()
        steps = ctx.const(n, 4, np.ones(len(starts), dtype=np.int64)).tolist()
    else:
        starts, ends = n.attrs["starts"], n.attrs["ends"]
        axes = n.attrs.get("axes", list(range(len(starts))))
        steps = [1] * len(starts)
    rank = _rank(ctx, n, n.inputs[0])
    big = np.iinfo(np.int32).max  # ONNX writes INT64_MAX for "to the end"
    begin, end, step = [None] * rank, [None] * rank, [None] * rank
    for s, e, a, st in zip(starts, ends, axes, steps):
        a %= rank
        begin[a] = s
        end[a] = None if abs(e) >= big else e
        step[a] = st
    return ctx.sym_mod.slice(ctx.sym(n.inputs[0]), begin=tuple(begin), end=tuple(end), step=tuple(step),
                             name=ctx.mx_name(n.name))


@register("Gather")
def _gather(ctx, n):
    axis = n.attrs.get("axis", 0)
    idx = n.inputs[1]
    if ctx.is_const(idx) and ctx.consts[idx].ndim == 0:  # one index: slice it out, drop the axis
        i = int(ctx.consts[idx])
        s = ctx.sym_mod.slice_axis(ctx.sym(n.inputs[0]), axis=axis, begin=i, end=i + 1 if i != -1 else None,
                                   name=ctx.mx_name(n.name + "_slice"))
        return ctx.sym_mod.squeeze(s, axis=axis, name=ctx.mx_name(n.name))
    return ctx.sym_mod.take(ctx.sym(n.inputs[0]), ctx.sym(idx), axis=axis, mode="clip",
                            name=ctx.mx_name(n.name))


@register("Cast")
def _cast(ctx, n):
    dt = numpy_dtype(n.attrs["to"])
    if dt == np.bool_:
        dt = np.dtype(np.uint8)  # MXNet 1.x NDArrays have no bool dtype
    return ctx.sym_mod.Cast(ctx.sym(n.inputs[0]), dtype=dt.name, name=ctx.mx_name(n.name))


@register("Pad")
def _pad(ctx, n):
    pads = list(ctx.const(n, 1)) if ctx.opset >= 11 else list(n.attrs["pads"])
    value = ctx.const(n, 2) if ctx.opset >= 11 else n.attrs.get("value", 0.0)
    value = 0.0 if value is None else float(np.asarray(value).reshape(-1)[0])
    k = len(pads) // 2
    width = tuple(int(p) for i in range(k) for p in (pads[i], pads[k + i]))
    return ctx.sym_mod.Pad(ctx.sym(n.inputs[0]), mode=n.attrs.get("mode", "constant"), pad_width=width,
                           constant_value=value, name=ctx.mx_name(n.name))


@register("Expand")
def _expand(ctx, n):
    shape = [int(v) for v in ctx.const(n, 1)]
    in_shape = ctx.shape(n.inputs[0])
    if in_shape is None:
        n.fail("the input shape is unknown")
    out = np.broadcast_shapes(tuple(in_shape), tuple(shape))
    x = ctx.sym(n.inputs[0])
    if len(out) > len(in_shape):
        x = ctx.sym_mod.reshape(x, shape=(1,) * (len(out) - len(in_shape)) + tuple(in_shape))
    return ctx.sym_mod.broadcast_to(x, shape=tuple(out), name=ctx.mx_name(n.name))


@register("Tile")
def _tile(ctx, n):
    return ctx.sym_mod.tile(ctx.sym(n.inputs[0]), reps=tuple(int(v) for v in ctx.const(n, 1)),
                            name=ctx.mx_name(n.name))


@register("Split")
def _split(ctx, n):
    axis = n.attrs.get("axis", 0)
    sizes = n.attrs.get("split")
    if sizes is None and n.input(1):
        sizes = ctx.const(n, 1).tolist()
    x = ctx.sym(n.inputs[0])
    if sizes is None or len(set(sizes)) == 1:
        parts = ctx.sym_mod.split(x, num_outputs=len(n.outputs), axis=axis, name=ctx.mx_name(n.name))
        return [parts[i] for i in range(len(n.outputs))] if len(n.outputs) > 1 else [parts]
    bounds = np.cumsum([0] + list(sizes))
    return [ctx.sym_mod.slice_axis(x, axis=axis, begin=int(b), end=int(e), name=ctx.mx_name(n.name))
            for b, e in zip(bounds[:-1], bounds[1:])]


@register("Shape")
def _shape(ctx, n):
    return ctx.sym_mod.shape_array(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name))


@register("Where")
def _where(ctx, n):
    s = ctx.sym_mod
    c, x, y = (ctx.sym(i) for i in n.inputs[:3])
    shapes = {ctx.shape(i) for i in n.inputs[:3]}
    if len(shapes) > 1 or None in shapes:
        # MXNet's where takes equal shapes: broadcast all three to ONNX's common shape first
        z = s.broadcast_add(s.broadcast_add(s.Cast(s.zeros_like(c), dtype="float32"), s.zeros_like(x)),
                            s.zeros_like(y))
        c, x, y = (s.broadcast_like(v, z) for v in (c, x, y))
    return s.where(c, x, y, name=ctx.mx_name(n.name))


def _arg_reduce(mx_op):
    """ArgMax/ArgMin: MXNet gives float indices; ONNX's are int64."""
    def fn(ctx, n):
        if n.attrs.get("select_last_index", 0):
            n.fail("select_last_index=1 has no MXNet translation")
        y = getattr(ctx.sym_mod, mx_op)(ctx.sym(n.inputs[0]), axis=n.attrs.get("axis", 0),
                                         keepdims=bool(n.attrs.get("keepdims", 1)), name=ctx.mx_name(n.name))
        return ctx.sym_mod.Cast(y, dtype="int64", name=ctx.mx_name(n.name + "_int64"))
    return fn


register("ArgMax")(_arg_reduce("argmax"))
register("ArgMin")(_arg_reduce("argmin"))


@register("TopK")
def _topk(ctx, n):
    if not n.attrs.get("sorted", 1):
        n.fail("sorted=0 has no MXNet translation")
    k = int(np.asarray(ctx.const(n, 1)).reshape(-1)[0])
    name = ctx.mx_name(n.name)
    out = ctx.sym_mod.topk(ctx.sym(n.inputs[0]), k=k, axis=n.attrs.get("axis", -1), ret_typ="both",
                           is_ascend=not n.attrs.get("largest", 1), name=name)
    return [out[0], ctx.sym_mod.Cast(out[1], dtype="int64", name=name + "_int64")]


@register("OneHot")
def _one_hot(ctx, n):
    if n.attrs.get("axis", -1) != -1:
        n.fail("axis=%d has no MXNet translation (one_hot appends the new axis)" % n.attrs["axis"])
    depth = int(np.asarray(ctx.const(n, 1)).reshape(-1)[0])
    off, on = (float(v) for v in ctx.const(n, 2))
    return ctx.sym_mod.one_hot(ctx.sym(n.inputs[0]), depth=depth, on_value=on, off_value=off,
                               dtype=ctx.const(n, 2).dtype.name, name=ctx.mx_name(n.name))
