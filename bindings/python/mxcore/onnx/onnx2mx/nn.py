"""ONNX layer ops (Gemm, MatMul, Conv, pooling, normalization, resize) -> MXNet."""
from __future__ import annotations

import numpy as np

from ._registry import register


@register("Gemm")
def _gemm(ctx, n):
    a_name, b_name, c_name = n.input(0), n.input(1), n.input(2)
    alpha, beta = n.attrs.get("alpha", 1.0), n.attrs.get("beta", 1.0)
    ta, tb = n.attrs.get("transA", 0), n.attrs.get("transB", 0)
    name = ctx.mx_name(n.name)
    c_ok = c_name is None or (ctx.is_const(c_name) and ctx.consts[c_name].ndim == 1)
    if not ta and alpha == 1.0 and beta == 1.0 and ctx.is_const(b_name) and c_ok:
        # the dense layer: y = x W^T + b with W (N, K), MXNet's FullyConnected
        w = ctx.consts[b_name]
        weight = ctx.sym(b_name) if tb else ctx.param(b_name + "_T", np.ascontiguousarray(w.T))
        num_hidden = w.shape[0] if tb else w.shape[1]
        if c_name is not None and ctx.consts[c_name].shape[0] != num_hidden:  # a broadcast (1,) bias
            c_name = ctx.param(c_name, np.broadcast_to(ctx.consts[c_name], (num_hidden,)).copy())
        bias = None if c_name is None else (c_name if not isinstance(c_name, str) else ctx.sym(c_name))
        return ctx.sym_mod.FullyConnected(ctx.sym(a_name), weight, bias, num_hidden=num_hidden,
                                          no_bias=bias is None, flatten=True, name=name)
    y = ctx.sym_mod.dot(ctx.sym(a_name), ctx.sym(b_name), transpose_a=bool(ta), transpose_b=bool(tb),
                        name=name + "_dot")
    if alpha != 1.0:
        y = ctx.sym_mod._mul_scalar(y, scalar=float(alpha), name=name + "_alpha")
    if c_name is None:
        return y
    c = ctx.sym(c_name)
    if beta != 1.0:
        c = ctx.sym_mod._mul_scalar(c, scalar=float(beta), name=name + "_beta")
    return ctx.sym_mod.broadcast_add(y, c, name=name)


@register("MatMul")
def _matmul(ctx, n):
    a, b = n.inputs[:2]
    name = ctx.mx_name(n.name)
    if ctx.is_const(b) and ctx.consts[b].ndim == 2:  # x @ W: a dense layer over the last axis
        w = ctx.consts[b]
        return ctx.sym_mod.FullyConnected(ctx.sym(a), ctx.param(b + "_T", np.ascontiguousarray(w.T)),
                                          num_hidden=w.shape[1], no_bias=True, flatten=False, name=name)
    ra, rb = len(ctx.shape(a) or ()), len(ctx.shape(b) or ())
    if rb == 2 and ra >= 1:
        return ctx.sym_mod.dot(ctx.sym(a), ctx.sym(b), name=name)
    if ra == rb == 3:
        return ctx.sym_mod.batch_dot(ctx.sym(a), ctx.sym(b), name=name)
    if ra == rb and ra > 3:
        return ctx.sym_mod.linalg.gemm2(ctx.sym(a), ctx.sym(b), name=name)
    n.fail("operands of rank %d and %d (shapes unknown or not matched) have no MXNet translation" % (ra, rb))


def _split_pads(n, pads, k):
    """ONNX pads (begins..., ends...) -> MXNet's symmetric pad, or None when asymmetric."""
    pads = list(pads or [0] * (2 * k))
    return tuple(pads[:k]) if pads[:k] == pads[k:] else None


def _auto_pads(ctx, n, kernel, strides, dilations):
    """Explicit pads for auto_pad SAME_UPPER/SAME_LOWER (needs the input's spatial shape)."""
    mode = n.attrs.get("auto_pad", "NOTSET")
    k = len(kernel)
    if mode in ("NOTSET", ""):
        return n.attrs.get("pads", [0] * 2 * k)
    if mode == "VALID":
        return [0] * 2 * k
    shape = ctx.shape(n.inputs[0])
    if shape is None:
        n.fail("auto_pad=%s needs the input shape, which is unknown" % mode)
    begins, ends = [], []
    for i in range(k):
        size = shape[2 + i]
        out = -(-size // strides[i])
        total = max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size)
        small, big = total // 2, total - total // 2
        begins.append(small if mode == "SAME_UPPER" else big)
        ends.append(big if mode == "SAME_UPPER" else small)
    return begins + ends


def _pad_first(ctx, n, x, pads, k, value=0.0):
    """An explicit Pad for asymmetric ONNX pads (MXNet layers pad both sides equally)."""
    width = [0, 0, 0, 0] + [p for i in range(k) for p in (pads[i], pads[k + i])]
    if k not in (2, 3):
        n.fail("asymmetric pads on a %d-d input have no MXNet translation" % (k + 2))
    return ctx.sym_mod.Pad(x, mode="constant", pad_width=tuple(width), constant_value=value,
                           name=ctx.mx_name(n.name + "_pad"))


def _conv_geometry(ctx, n, kernel):
    k = len(kernel)
    strides = list(n.attrs.get("strides", [1] * k))
    dilations = list(n.attrs.get("dilations", [1] * k))
    pads = _auto_pads(ctx, n, kernel, strides, dilations)
    return strides, dilations, pads


def _kernel(ctx, n):
    """(weight shape, kernel, spatial rank) of a Conv / ConvTranspose node."""
    wshape = ctx.shape(n.inputs[1])
    if wshape is None:
        n.fail("the weight's shape is unknown")
    kernel = list(n.attrs.get("kernel_shape", wshape[2:]))
    return wshape, kernel, len(kernel)


@register("Conv")
def _conv(ctx, n):
    wshape, kernel, k = _kernel(ctx, n)
    strides, dilations, pads = _conv_geometry(ctx, n, kernel)
    x = ctx.sym(n.inputs[0])
    pad = _split_pads(n, pads, k)
    if pad is None:
        x, pad = _pad_first(ctx, n, x, pads, k), (0,) * k
    bias = n.input(2)
    return ctx.sym_mod.Convolution(x, ctx.sym(n.inputs[1]), *([ctx.sym(bias)] if bias else []),
                                   kernel=tuple(kernel), stride=tuple(strides), dilate=tuple(dilations),
                                   pad=pad, num_filter=wshape[0], num_group=n.attrs.get("group", 1),
                                   no_bias=bias is None, name=ctx.mx_name(n.name))


@register("ConvTranspose")
def _conv_transpose(ctx, n):
    wshape, kernel, k = _kernel(ctx, n)
    if n.attrs.get("auto_pad", "NOTSET") not in ("NOTSET", "", "VALID") or "output_shape" in n.attrs:
        n.fail("auto_pad SAME / output_shape have no MXNet translation")
    strides = list(n.attrs.get("strides", [1] * k))
    pad = _split_pads(n, n.attrs.get("pads"), k)
    if pad is None:
        n.fail("asymmetric pads have no MXNet translation")
    group = n.attrs.get("group", 1)
    bias = n.input(2)
    return ctx.sym_mod.Deconvolution(ctx.sym(n.inputs[0]), ctx.sym(n.inputs[1]),
                                     *([ctx.sym(bias)] if bias else []), kernel=tuple(kernel),
                                     stride=tuple(strides), dilate=tuple(n.attrs.get("dilations", [1] * k)),
                                     pad=pad, adj=tuple(n.attrs.get("output_padding", [0] * k)),
                                     num_filter=wshape[1] * group, num_group=group, no_bias=bias is None,
                                     name=ctx.mx_name(n.name))


def _pool(kind):
    def fn(ctx, n):
        kernel = list(n.attrs["kernel_shape"])
        k = len(kernel)
        if any(d != 1 for d in n.attrs.get("dilations", [1] * k)):
            n.fail("dilated pooling has no MXNet translation")
        strides, _, pads = _conv_geometry(ctx, n, kernel)
        include = bool(n.attrs.get("count_include_pad", 0))
        x = ctx.sym(n.inputs[0])
        pad = _split_pads(n, pads, k)
        if pad is None:
            if kind == "avg" and not include:
                n.fail("asymmetric pads with count_include_pad=0 have no MXNet translation")
            x = _pad_first(ctx, n, x, pads, k, -3.4e38 if kind == "max" else 0.0)
            pad = (0,) * k
        conv = "full" if n.attrs.get("ceil_mode", 0) else "valid"
        kw = {"count_include_pad": include} if kind == "avg" else {}
        if kind == "lp":
            kw["p_value"] = n.attrs.get("p", 2)
        name = ctx.mx_name(n.name)
        y = ctx.sym_mod.Pooling(x, kernel=tuple(kernel), stride=tuple(strides), pad=pad, pool_type=kind,
                                pooling_convention=conv, name=name, **kw)
        if conv == "full" and _split_pads(n, pads, k) is not None:
            y = _drop_padding_windows(ctx, n, y, kernel, strides, pad, name)
        return y
    return fn


def _drop_padding_windows(ctx, n, y, kernel, strides, pad, name):
    """ONNX's ceil_mode leaves out a last window that starts in the right padding; MXNet's 'full'
    convention keeps it: slice it off (needs the input's spatial shape)."""
    shape = ctx.shape(n.inputs[0])
    if shape is None:
        return y
    for a in range(len(kernel)):
        size = shape[2 + a]
        out = -(-(size + 2 * pad[a] - kernel[a]) // strides[a]) + 1
        if (out - 1) * strides[a] >= size + pad[a]:
            y = ctx.sym_mod.slice_axis(y, axis=2 + a, begin=0, end=out - 1, name=ctx.mx_name(name + "_ceil"))
    return y


register("MaxPool")(_pool("max"))
register("AveragePool")(_pool("avg"))
register("LpPool")(_pool("lp"))


def _global_pool(kind):
    def fn(ctx, n):
        kw = {"p_value": n.attrs.get("p", 2)} if kind == "lp" else {}
        return ctx.sym_mod.Pooling(ctx.sym(n.inputs[0]), kernel=(1, 1), global_pool=True, pool_type=kind,
                                   name=ctx.mx_name(n.name), **kw)
    return fn


register("GlobalMaxPool")(_global_pool("max"))
register("GlobalAveragePool")(_global_pool("avg"))
register("GlobalLpPool")(_global_pool("lp"))


@register("BatchNormalization")
def _batch_norm(ctx, n):
    if len([o for o in n.outputs if o]) > 1:
        n.fail("training-mode outputs (running mean/var) have no MXNet translation")
    return ctx.sym_mod.BatchNorm(*[ctx.sym(i) for i in n.inputs[:5]], eps=n.attrs.get("epsilon", 1e-5),
                                 momentum=n.attrs.get("momentum", 0.9), fix_gamma=False, name=ctx.mx_name(n.name))


@register("InstanceNormalization")
def _instance_norm(ctx, n):
    return ctx.sym_mod.InstanceNorm(*[ctx.sym(i) for i in n.inputs[:3]], eps=n.attrs.get("epsilon", 1e-5),
                                    name=ctx.mx_name(n.name))


@register("LayerNormalization")
def _layer_norm(ctx, n):
    if not n.input(2):
        n.fail("LayerNormalization without a bias has no MXNet translation")
    return ctx.sym_mod.LayerNorm(*[ctx.sym(i) for i in n.inputs[:3]], axis=n.attrs.get("axis", -1),
                                 eps=n.attrs.get("epsilon", 1e-5), name=ctx.mx_name(n.name))


@register("LRN")
def _lrn(ctx, n):
    return ctx.sym_mod.LRN(ctx.sym(n.inputs[0]), alpha=n.attrs.get("alpha", 1e-4), beta=n.attrs.get("beta", 0.75),
                           knorm=n.attrs.get("bias", 1.0), nsize=n.attrs["size"], name=ctx.mx_name(n.name))


@register("Resize", "Upsample")
def _resize(ctx, n):
    mode = n.attrs.get("mode", "nearest")
    if mode != "nearest":
        n.fail("mode '%s' has no MXNet translation (nearest only)" % mode)
    if n.op_type == "Upsample":
        scales = n.attrs.get("scales") if "scales" in n.attrs else ctx.const(n, 1)
    else:
        scales = ctx.const(n, 2) if n.input(2) else None
        if scales is None or scales.size == 0:
            sizes, shape = ctx.const(n, 3), ctx.shape(n.inputs[0])
            scales = None if shape is None else np.asarray(sizes, dtype=np.float64) / np.asarray(shape)
    scales = None if scales is None else [float(s) for s in np.asarray(scales).reshape(-1)]
    if (scales is None or len(scales) != 4 or scales[:2] != [1.0, 1.0] or scales[2] != scales[3]
            or scales[2] != int(scales[2])):
        n.fail("scales %s: only equal integer H/W scales of an NCHW input have an MXNet translation" % scales)
    return ctx.sym_mod.UpSampling(ctx.sym(n.inputs[0]), scale=int(scales[2]), sample_type="nearest", num_args=1,
                                  name=ctx.mx_name(n.name))
