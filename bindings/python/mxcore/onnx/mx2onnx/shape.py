"""Shape ops (reshape, transpose, concat, slice, squeeze, pad, cast, ...) -> ONNX."""
from __future__ import annotations

import numpy as np

from ._registry import onnx_dtype, register

_INT_MAX = np.iinfo(np.int64).max


def reshape_segments(in_shape, codes, reverse=False):
    """MXNet's reshape codes as one entry per output dim: ``('dims', [i, ...])`` (the product of
    those input dims), ``('const', v)`` or ``('infer',)`` (-1). Mirrors MXNet's rules for
    0 (copy), -1 (infer), -2 (copy the rest), -3 (merge two), -4 (split one into two)."""
    shape, codes = list(in_shape), list(codes)
    if reverse:
        shape, codes = shape[::-1], codes[::-1]
    out, i, c = [], 0, 0
    while c < len(codes):
        v = codes[c]
        if v == 0:
            out.append(("dims", [i]))
            i += 1
        elif v == -1:
            out.append(("infer",))
            i += 1
        elif v == -2:
            out.extend(("dims", [j]) for j in range(i, len(shape)))
            i = len(shape)
        elif v == -3:
            out.append(("dims", [i, i + 1]))
            i += 2
        elif v == -4:
            # the -1 half stays "infer" so that it follows a dynamic input dim
            out.extend(("infer",) if v2 == -1 else ("const", v2) for v2 in codes[c + 1:c + 3])
            i += 1
            c += 2
        else:
            out.append(("const", v))
            i += 1
        c += 1
    if reverse:
        n = len(shape) - 1
        out = [("dims", [n - j for j in s[1]]) if s[0] == "dims" else s for s in out[::-1]]
    return out


def _dynamic_shape(ctx, n, x, segs):
    """An int64 shape tensor for ``segs`` computed from Shape(x) (for dynamic input dims)."""
    shp = ctx.add("Shape", [x], hint=n.name)
    parts = []
    for s in segs:
        if s[0] == "const":
            parts.append(ctx.int64s(n.name + "_dim", [s[1]]))
        elif s[0] == "infer":
            parts.append(ctx.int64s(n.name + "_dim", [-1]))
        else:
            lo, hi = min(s[1]), max(s[1]) + 1
            sl = ctx.add("Slice", [shp, ctx.int64s(n.name + "_lo", [lo]), ctx.int64s(n.name + "_hi", [hi])],
                         hint=n.name)
            parts.append(sl if hi - lo == 1 else ctx.add("ReduceProd", [sl], hint=n.name, keepdims=1))
    return ctx.add("Concat", parts, hint=n.name, axis=0)


@register("Reshape", "reshape")
def _reshape(ctx, n):
    codes = n.tuple("shape") or n.tuple("target_shape")
    if codes is None:
        n.fail("no shape attribute")
    plain = all(v >= -1 for v in codes) and not n.bool("reverse")
    if plain:  # ONNX's 0 (copy) and -1 (infer) mean what MXNet's do
        shape = ctx.int64s(n.name + "_shape", codes)
    elif getattr(ctx, "dynamic", False):
        shape = _dynamic_shape(ctx, n, n.inputs[0], reshape_segments(n.in_shapes[0], codes, n.bool("reverse")))
    else:
        shape = ctx.int64s(n.name + "_shape", n.out_shapes[0])
    ctx.add("Reshape", [n.inputs[0], shape], n.outputs[0])


@register("reshape_like")
def _reshape_like(ctx, n):
    if any(n.has(k) for k in ("lhs_begin", "lhs_end", "rhs_begin", "rhs_end")):
        n.fail("lhs/rhs ranges have no ONNX translation")
    ctx.add("Reshape", [n.inputs[0], ctx.add("Shape", [n.inputs[1]], hint=n.name)], n.outputs[0])


@register("Flatten", "flatten")
def _flatten(ctx, n):
    ctx.add("Flatten", n.inputs[:1], n.outputs[0], axis=1)


@register("transpose")
def _transpose(ctx, n):
    axes = n.tuple("axes")
    ctx.add("Transpose", n.inputs[:1], n.outputs[0], perm=list(axes) if axes else None)


@register("SwapAxis", "swapaxes")
def _swapaxes(ctx, n):
    perm = list(range(len(n.in_shapes[0])))
    a, b = n.int("dim1", 0), n.int("dim2", 0)
    perm[a], perm[b] = perm[b], perm[a]
    ctx.add("Transpose", n.inputs[:1], n.outputs[0], perm=perm)


@register("Concat", "concat")
def _concat(ctx, n):
    ctx.add("Concat", n.inputs, n.outputs[0], axis=n.int("dim", 1))


@register("stack")
def _stack(ctx, n):
    axis = n.int("axis", 0)
    axes = ctx.int64s(n.name + "_axis", [axis])
    parts = [ctx.add("Unsqueeze", [x, axes], hint=n.name) for x in n.inputs]
    ctx.add("Concat", parts, n.outputs[0], axis=axis)


@register("SliceChannel", "split")
def _split(ctx, n):
    axis = n.int("axis", 1)
    if not n.bool("squeeze_axis"):
        ctx.add("Split", n.inputs[:1], n.outputs, axis=axis)  # equal parts, one per output
        return
    parts = ctx.add("Split", n.inputs[:1], [ctx.fresh(o + "_keep") for o in n.outputs], axis=axis)
    parts = [parts] if isinstance(parts, str) else parts
    axes = ctx.int64s(n.name + "_axis", [axis])
    for p, o in zip(parts, n.outputs):
        ctx.add("Squeeze", [p, axes], o)


def _slice_bounds(begin, end, step, shape):
    starts, ends, steps, axes = [], [], [], []
    for ax, b in enumerate(begin):
        e = end[ax] if ax < len(end) else None
        s = (step[ax] if step and ax < len(step) else None) or 1
        if b is None and e is None and s == 1:
            continue
        starts.append(b if b is not None else (0 if s > 0 else shape[ax] - 1))
        ends.append(e if e is not None else (_INT_MAX if s > 0 else -_INT_MAX))
        steps.append(s)
        axes.append(ax)
    return starts, ends, axes, steps


def _emit_slice(ctx, n, starts, ends, axes, steps):
    if not axes:
        ctx.add("Identity", n.inputs[:1], n.outputs[0])
        return
    ctx.add("Slice", [n.inputs[0], ctx.int64s(n.name + "_starts", starts), ctx.int64s(n.name + "_ends", ends),
                      ctx.int64s(n.name + "_axes", axes), ctx.int64s(n.name + "_steps", steps)], n.outputs[0])


@register("slice", "crop")
def _slice(ctx, n):
    _emit_slice(ctx, n, *_slice_bounds(n.tuple("begin"), n.tuple("end"), n.tuple("step", ()), n.in_shapes[0]))


@register("slice_axis")
def _slice_axis(ctx, n):
    axis = n.int("axis") % len(n.in_shapes[0])
    b, e = n.int("begin", 0), n.int("end")
    _emit_slice(ctx, n, [b], [_INT_MAX if e is None else e], [axis], [1])


@register("slice_like")
def _slice_like(ctx, n):
    ndim = len(n.in_shapes[0])
    axes = list(n.tuple("axes") or range(ndim))
    ends = [n.in_shapes[1][a] for a in axes]
    _emit_slice(ctx, n, [0] * len(axes), ends, axes, [1] * len(axes))


@register("squeeze")
def _squeeze(ctx, n):
    axes = n.tuple("axis")
    if axes is None:
        axes = [a for a, d in enumerate(n.in_shapes[0]) if d == 1]
    if not n.out_shapes[0] or len(axes) == len(n.in_shapes[0]):
        # MXNet keeps (1,) when every axis goes; ONNX would give a 0-d tensor
        ctx.add("Reshape", [n.inputs[0], ctx.int64s(n.name + "_shape", [1])], n.outputs[0])
        return
    ctx.add("Squeeze", [n.inputs[0], ctx.int64s(n.name + "_axes", axes)], n.outputs[0])


@register("expand_dims")
def _expand_dims(ctx, n):
    ctx.add("Unsqueeze", [n.inputs[0], ctx.int64s(n.name + "_axes", [n.int("axis")])], n.outputs[0])


@register("Pad", "pad")
def _pad(ctx, n):
    width = list(n.tuple("pad_width"))
    pads = width[0::2] + width[1::2]  # MXNet interleaves (before, after) per axis
    mode = n.str("mode", "constant")
    ins = [n.inputs[0], ctx.int64s(n.name + "_pads", pads)]
    if mode == "constant":
        ins.append(ctx.scalar(n.name + "_value", n.float("constant_value", 0.0), n.in_dtypes[0]))
    ctx.add("Pad", ins, n.outputs[0], mode=mode)


@register("Cast", "cast", "amp_cast")
def _cast(ctx, n):
    ctx.add("Cast", n.inputs[:1], n.outputs[0], to=onnx_dtype(n.out_dtypes[0]))


def _filled_like(value):
    def fn(ctx, n):
        t = np.asarray([value], dtype=n.out_dtypes[0])
        ctx.add("ConstantOfShape", [ctx.add("Shape", n.inputs[:1], hint=n.name)], n.outputs[0],
                value=ctx.numpy_helper.from_array(t, "value"))
    return fn


register("zeros_like")(_filled_like(0))
register("ones_like")(_filled_like(1))


@register("broadcast_to")
def _broadcast_to(ctx, n):
    ctx.add("Expand", [n.inputs[0], ctx.int64s(n.name + "_shape", n.out_shapes[0])], n.outputs[0])


@register("broadcast_like")
def _broadcast_like(ctx, n):
    ctx.add("Expand", [n.inputs[0], ctx.add("Shape", [n.inputs[1]], hint=n.name)], n.outputs[0])


@register("tile")
def _tile(ctx, n):
    reps = list(n.tuple("reps"))
    ndim = len(n.in_shapes[0])
    x = n.inputs[0]
    if len(reps) > ndim:  # MXNet prepends unit axes to the input first
        x = ctx.add("Reshape", [x, ctx.int64s(n.name + "_shape", [1] * (len(reps) - ndim) + list(n.in_shapes[0]))],
                    hint=n.name)
    reps = [1] * (ndim - len(reps)) + reps
    ctx.add("Tile", [x, ctx.int64s(n.name + "_reps", reps)], n.outputs[0])


@register("take")
def _take(ctx, n):
    if n.str("mode", "clip") == "wrap":
        n.fail("mode='wrap' has no ONNX translation")
    idx = ctx.add("Cast", [n.inputs[1]], hint=n.name, to=7)
    ctx.add("Gather", [n.inputs[0], idx], n.outputs[0], axis=n.int("axis", 0))


@register("where")
def _where(ctx, n):
    cond = ctx.add("Cast", [n.inputs[0]], hint=n.name, to=9)  # bool
    ctx.add("Where", [cond] + n.inputs[1:3], n.outputs[0])


@register("shape_array")
def _shape_array(ctx, n):
    ctx.add("Shape", n.inputs[:1], n.outputs[0])


def _filled(value):
    """_zeros/_ones/_full: a constant-shaped fill (a 0 dim MXNet left open is the inferred size)."""
    def fn(ctx, n):
        v = n.float("value", 0.0) if value is None else value
        t = np.asarray([v], dtype=n.out_dtypes[0])
        ctx.add("ConstantOfShape", [ctx.int64s(n.name + "_shape", n.out_shapes[0])], n.outputs[0],
                value=ctx.numpy_helper.from_array(t, "value"))
    return fn


register("_zeros", "zeros", "_zeros_without_dtype")(_filled(0))
register("_ones", "ones")(_filled(1))
register("_full", "full")(_filled(None))


def _arg_reduce(onnx_op):
    """argmax/argmin: ONNX gives int64 indices, MXNet the input's float dtype."""
    def fn(ctx, n):
        x, axis, keep = n.inputs[0], n.int("axis"), int(n.bool("keepdims"))
        if axis is None:  # MXNet: over the flattened array, shape (1,) (or all ones with keepdims)
            x = ctx.add("Reshape", [x, ctx.int64s(n.name + "_flat", [-1])], hint=n.name)
            axis, keep = 0, 1
        idx = ctx.add(onnx_op, [x], hint=n.name, axis=axis, keepdims=keep)
        if n.int("axis") is None and len(n.out_shapes[0]) != 1:
            idx = ctx.add("Reshape", [idx, ctx.int64s(n.name + "_shape", n.out_shapes[0])], hint=n.name)
        ctx.add("Cast", [idx], n.outputs[0], to=onnx_dtype(n.out_dtypes[0]))
    return fn


register("argmax")(_arg_reduce("ArgMax"))
register("argmin")(_arg_reduce("ArgMin"))


@register("one_hot")
def _one_hot(ctx, n):
    dt = n.out_dtypes[0]
    values = ctx.const(n.name + "_values", np.array([n.float("off_value", 0.0), n.float("on_value", 1.0)], dtype=dt))
    idx = ctx.add("Cast", n.inputs[:1], hint=n.name, to=7)
    ctx.add("OneHot", [idx, ctx.int64s(n.name + "_depth", [n.int("depth")]), values], n.outputs[0], axis=-1)


@register("topk")
def _topk(ctx, n):
    kind = n.str("ret_typ", "indices")
    if kind not in ("indices", "value", "both") or n.out_dtypes[-1] != n.in_dtypes[0] and kind != "value":
        n.fail("ret_typ='%s' / integer index dtypes have no ONNX translation" % kind)
    axis = n.int("axis", -1)
    vals, idx = ctx.add("TopK", [n.inputs[0], ctx.int64s(n.name + "_k", [n.int("k", 1)])],
                        [ctx.fresh(n.name + "_values"), ctx.fresh(n.name + "_indices")], axis=axis,
                        largest=int(not n.bool("is_ascend")))
    if kind == "value":
        ctx.add("Identity", [vals], n.outputs[0])
        return
    if kind == "both":
        ctx.add("Identity", [vals], n.outputs[0])
    ctx.add("Cast", [idx], n.outputs[-1], to=onnx_dtype(n.out_dtypes[-1]))


@register("_arange", "arange")
def _arange(ctx, n):
    # no inputs: the values are a constant of the exported model
    start, stop = n.float("start", 0.0), n.float("stop")
    if stop is None:
        start, stop = 0.0, start
    v = np.repeat(np.arange(start, stop, n.float("step", 1.0)), n.int("repeat", 1)).astype(n.out_dtypes[0])
    ctx.add("Identity", [ctx.const(n.name + "_values", v.reshape(n.out_shapes[0]))], n.outputs[0])
