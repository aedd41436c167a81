"""Layer ops (dense, convolution, pooling, normalization, embedding, matmul) -> ONNX."""
from __future__ import annotations

import numpy as np

from ._registry import register


@register("FullyConnected")
def _fully_connected(ctx, n):
    x, w = n.inputs[0], n.inputs[1]
    bias = None if n.bool("no_bias") else n.inputs[2]
    if n.bool("flatten", True):
        if len(n.in_shapes[0]) != 2:
            x = ctx.add("Flatten", [x], hint=n.name, axis=1)
        ctx.add("Gemm", [x, w] + ([bias] if bias else []), n.outputs[0], transB=1)
        return
    # flatten=False: a matmul over the last axis, any leading dims
    y = ctx.add("MatMul", [x, ctx.add("Transpose", [w], hint=n.name, perm=[1, 0])],
                n.outputs[0] if bias is None else None, hint=n.name)
    if bias is not None:
        ctx.add("Add", [y, bias], n.outputs[0])


def _spatial(n, key, ndim, fill):
    v = n.tuple(key)
    return list(v) if v else [fill] * ndim


@register("Convolution", "Convolution_v1")
def _convolution(ctx, n):
    kernel = list(n.tuple("kernel"))
    k = len(kernel)
    pad = _spatial(n, "pad", k, 0)
    if n.str("layout") not in (None, "NCW", "NCHW", "NCDHW"):
        n.fail("layout %s has no ONNX translation (ONNX Conv is channel-first)" % n.str("layout"))
    ins = n.inputs[:2] + ([] if n.bool("no_bias") else n.inputs[2:3])
    ctx.add("Conv", ins, n.outputs[0], kernel_shape=kernel, strides=_spatial(n, "stride", k, 1),
            dilations=_spatial(n, "dilate", k, 1), pads=pad + pad, group=n.int("num_group", 1))


@register("Deconvolution")
def _deconvolution(ctx, n):
    kernel = list(n.tuple("kernel"))
    k = len(kernel)
    if n.has("target_shape") and any(n.tuple("target_shape")):
        n.fail("target_shape has no ONNX translation; give pad/adj instead")
    pad = _spatial(n, "pad", k, 0)
    ins = n.inputs[:2] + ([] if n.bool("no_bias", True) else n.inputs[2:3])
    ctx.add("ConvTranspose", ins, n.outputs[0], kernel_shape=kernel, strides=_spatial(n, "stride", k, 1),
            dilations=_spatial(n, "dilate", k, 1), pads=pad + pad, output_padding=_spatial(n, "adj", k, 0),
            group=n.int("num_group", 1))


@register("Pooling", "Pooling_v1")
def _pooling(ctx, n):
    kind = n.str("pool_type", "max")
    x, out = n.inputs[0], n.outputs[0]
    k = len(n.in_shapes[0]) - 2
    if n.str("layout") not in (None, "NCW", "NCHW", "NCDHW"):
        n.fail("layout %s has no ONNX translation" % n.str("layout"))
    if n.bool("global_pool"):
        if kind == "max":
            ctx.add("GlobalMaxPool", [x], out)
        elif kind == "avg":
            ctx.add("GlobalAveragePool", [x], out)
        elif kind == "sum":  # the mean times the window size
            avg = ctx.add("GlobalAveragePool", [x], hint=n.name)
            size = float(np.prod(n.in_shapes[0][2:]))
            ctx.add("Mul", [avg, ctx.scalar(n.name + "_size", size, n.in_dtypes[0])], out)
        elif kind == "lp":
            ctx.add("GlobalLpPool", [x], out, p=n.int("p_value", 2))
        else:
            n.fail("pool_type %s has no ONNX translation" % kind)
        return
    kernel = list(n.tuple("kernel"))
    pad = _spatial(n, "pad", k, 0)
    dropped = _dropped_windows(n, kernel, pad, k)
    if any(dropped):  # pool into a temporary, then append the windows onnxruntime leaves out
        final, out = out, ctx.fresh(n.name + "_pooled")
    geo = {"kernel_shape": kernel, "strides": _spatial(n, "stride", k, 1), "pads": pad + pad,
           "ceil_mode": 1 if n.str("pooling_convention", "valid") == "full" else None}
    if kind == "max":
        ctx.add("MaxPool", [x], out, **geo)
    elif kind in ("avg", "sum"):
        include = n.bool("count_include_pad", True)
        target = out if kind == "avg" else None
        avg = ctx.add("AveragePool", [x], target, hint=n.name, count_include_pad=int(include), **geo)
        if kind == "sum":
            ctx.add("Mul", [avg, ctx.scalar(n.name + "_size", float(np.prod(kernel)), n.in_dtypes[0])], out)
    elif kind == "lp":
        geo.pop("ceil_mode")
        ctx.add("LpPool", [x], out, p=n.int("p_value", 2), **geo)
    else:
        n.fail("pool_type %s has no ONNX translation" % kind)
    if any(dropped):
        # those windows lie in the padding only: MXNet gives max -inf, avg/sum 0 there
        fill = -np.inf if kind == "max" else 0.0
        pads = [0] * (k + 2) + [0, 0] + dropped
        ctx.add("Pad", [out, ctx.int64s(n.name + "_pads", pads), ctx.scalar(n.name + "_fill", fill, n.in_dtypes[0])],
                final, mode="constant")


def _dropped_windows(n, kernel, pad, k):
    """Per spatial axis, how many trailing windows of MXNet's 'full' convention onnxruntime drops:
    with ceil_mode it leaves out a last window that starts in the right padding (PyTorch's rule)."""
    if n.str("pooling_convention", "valid") != "full":
        return [0] * k
    stride = _spatial(n, "stride", k, 1)
    out = []
    for a in range(k):
        size = n.in_shapes[0][2 + a]
        ort = -(-(size + 2 * pad[a] - kernel[a]) // stride[a]) + 1
        if (ort - 1) * stride[a] >= size + pad[a]:
            ort -= 1
        out.append(n.out_shapes[0][2 + a] - ort)
    return out


def _channel_param(ctx, n, name, ndim, axis):
    """A (C,) parameter reshaped to broadcast along ``axis`` of an ``ndim``-d tensor."""
    if axis == ndim - 1:
        return name
    c = n.in_shapes[0][axis]
    return ctx.add("Reshape", [name, ctx.int64s(n.name + "_pshape", [c] + [1] * (ndim - 1 - axis))],
                   hint=n.name)


@register("BatchNorm", "BatchNorm_v1", "_contrib_SyncBatchNorm")
def _batch_norm(ctx, n):
    x, gamma, beta, mean, var = n.inputs[:5]
    if n.bool("fix_gamma", True):  # MXNet then ignores gamma's stored values and uses ones
        c = n.in_shapes[1][0]
        gamma = ctx.const(n.name + "_gamma_ones", np.ones(c, dtype=n.in_dtypes[1]))
    axis = n.int("axis", 1) % len(n.in_shapes[0])
    if axis != 1:
        n.fail("axis=%d has no ONNX translation (BatchNormalization normalizes axis 1)" % axis)
    ctx.add("BatchNormalization", [x, gamma, beta, mean, var], n.outputs[0], epsilon=n.float("eps", 1e-3),
            momentum=n.float("momentum", 0.9))


@register("InstanceNorm")
def _instance_norm(ctx, n):
    ctx.add("InstanceNormalization", n.inputs[:3], n.outputs[0], epsilon=n.float("eps", 1e-3))


@register("LayerNorm")
def _layer_norm(ctx, n):
    # opset 13 has no LayerNormalization: mean/variance over one axis, as MXNet computes them
    x, gamma, beta = n.inputs[:3]
    ndim = len(n.in_shapes[0])
    axis = n.int("axis", -1) % ndim
    dt = n.in_dtypes[0]
    mean = ctx.add("ReduceMean", [x], hint=n.name, axes=[axis], keepdims=1)
    d = ctx.add("Sub", [x, mean], hint=n.name)
    var = ctx.add("ReduceMean", [ctx.add("Mul", [d, d], hint=n.name)], hint=n.name, axes=[axis], keepdims=1)
    std = ctx.add("Sqrt", [ctx.add("Add", [var, ctx.scalar(n.name + "_eps", n.float("eps", 1e-5), dt)],
                                   hint=n.name)], hint=n.name)
    y = ctx.add("Div", [d, std], hint=n.name)
    y = ctx.add("Mul", [y, _channel_param(ctx, n, gamma, ndim, axis)], hint=n.name)
    ctx.add("Add", [y, _channel_param(ctx, n, beta, ndim, axis)], n.outputs[0])


@register("LRN")
def _lrn(ctx, n):
    ctx.add("LRN", n.inputs[:1], n.outputs[0], alpha=n.float("alpha", 1e-4), beta=n.float("beta", 0.75),
            bias=n.float("knorm", 2.0), size=n.int("nsize"))


@register("Embedding")
def _embedding(ctx, n):
    idx = ctx.add("Cast", n.inputs[:1], hint=n.name, to=7)  # int64 indices
    ctx.add("Gather", [n.inputs[1], idx], n.outputs[0], axis=0)


@register("UpSampling")
def _upsampling(ctx, n):
    if n.str("sample_type", "nearest") != "nearest" or len(n.inputs) != 1:
        n.fail("only one input with sample_type='nearest' has an ONNX translation")
    s = float(n.int("scale", 1))
    scales = ctx.const(n.name + "_scales", np.array([1.0, 1.0, s, s], dtype=np.float32))
    ctx.add("Resize", [n.inputs[0], "", scales], n.outputs[0], mode="nearest",
            coordinate_transformation_mode="asymmetric", nearest_mode="floor")


def _transpose_last2(ctx, n, x, ndim):
    perm = list(range(ndim - 2)) + [ndim - 1, ndim - 2]
    return ctx.add("Transpose", [x], hint=n.name, perm=perm)


@register("dot")
def _dot(ctx, n):
    a, b = n.inputs[:2]
    sa, sb = n.in_shapes[:2]
    if n.bool("transpose_a"):
        a = ctx.add("Transpose", [a], hint=n.name)  # MXNet reverses all axes of a transposed operand
        sa = sa[::-1]
    if n.bool("transpose_b"):
        b = ctx.add("Transpose", [b], hint=n.name)
        sb = sb[::-1]
    if len(sb) <= 2:
        ctx.add("MatMul", [a, b], n.outputs[0])
        return
    # MXNet's N-d dot contracts a's last axis with b's first: matmul with b as (k, rest)
    b2 = ctx.add("Reshape", [b, ctx.int64s(n.name + "_b2", [sb[0], -1])], hint=n.name)
    y = ctx.add("MatMul", [a, b2], hint=n.name)
    ctx.add("Reshape", [y, ctx.int64s(n.name + "_shape", n.out_shapes[0])], n.outputs[0])


def _matmul_operands(ctx, n):
    """batch_dot / linalg_gemm2 operands with their transpose flags applied to the last two axes."""
    a, b = n.inputs[:2]
    if n.bool("transpose_a"):
        a = _transpose_last2(ctx, n, a, len(n.in_shapes[0]))
    if n.bool("transpose_b"):
        b = _transpose_last2(ctx, n, b, len(n.in_shapes[1]))
    return a, b


@register("batch_dot")
def _batch_dot(ctx, n):
    ctx.add("MatMul", list(_matmul_operands(ctx, n)), n.outputs[0])


@register("linalg_gemm2", "_linalg_gemm2")
def _gemm2(ctx, n):
    alpha = n.float("alpha", 1.0)
    if alpha == 1.0:
        ctx.add("MatMul", list(_matmul_operands(ctx, n)), n.outputs[0])
    else:
        y = ctx.add("MatMul", list(_matmul_operands(ctx, n)), hint=n.name)
        ctx.add("Mul", [y, ctx.scalar(n.name + "_alpha", alpha, n.in_dtypes[0])], n.outputs[0])
