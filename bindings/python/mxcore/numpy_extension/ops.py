"""``mx.npx`` operators: numpy-mode spellings of MXNet's neural-network ops, a
table from npx names onto registry ops (results are ``mx.np.ndarray``), plus
npx.reshape with its numpy-mode special codes."""
from __future__ import annotations

import numpy as onp

from ..ndarray.ndarray import NDArray
from ..ndarray.register import manifest, positional_attrs
from ..numpy import _core
from ..numpy._core import call

# npx name -> registry op (inputs positionally, attributes by keyword: MXNet's names)
_OPS = {
    "relu": "relu", "sigmoid": "sigmoid", "softmax": "softmax", "log_softmax": "log_softmax",
    "masked_softmax": "softmax", "activation": "Activation", "leaky_relu": "LeakyReLU", "pick": "pick",
    "one_hot": "one_hot", "topk": "topk", "sequence_mask": "SequenceMask", "batch_dot": "batch_dot",
    "batch_flatten": "flatten", "fully_connected": "FullyConnected", "convolution": "Convolution",
    "deconvolution": "Deconvolution", "pooling": "Pooling", "dropout": "Dropout", "embedding": "Embedding",
    "batch_norm": "BatchNorm", "layer_norm": "LayerNorm", "group_norm": "GroupNorm",
    "instance_norm": "InstanceNorm", "rnn": "RNN", "gather_nd": "gather_nd", "scatter_nd": "scatter_nd",
    "smooth_l1": "smooth_l1", "gamma": "gamma", "gammaln": "gammaln", "erf": "erf", "erfinv": "erfinv",
    "stop_gradient": "BlockGrad", "gelu": "gelu", "softmin": "softmin", "arange_like": "_contrib_arange_like",
    "slice": "slice", "slice_axis": "slice_axis", "shape_array": "shape_array", "roi_pooling": "ROIPooling",
    "roi_align": "_contrib_ROIAlign", "box_nms": "_contrib_box_nms", "box_iou": "_contrib_box_iou",
    "sequence_last": "SequenceLast", "sequence_reverse": "SequenceReverse", "ctc_loss": "CTCLoss",
    "bilinear_resize2d": "BilinearResize2D", "upsampling": "UpSampling", "swish": "swish",
    "index_add": "_contrib_index_copy", "broadcast_like": "broadcast_like", "reshape_like": "reshape_like",
    "log_sigmoid": "log_sigmoid", "mish": "mish",
}

__all__ = sorted(_OPS) + ["reshape", "masked_log_softmax"]


def _make(npx_name, op):
    def fn(*args, **kwargs):
        arrays, attrs = [], {}
        for i, a in enumerate(args):
            if isinstance(a, NDArray):
                arrays.append(a)
            elif isinstance(a, onp.ndarray):
                arrays.append(_core.asarray(a))
            else:  # npx.one_hot(x, 3): what follows the arrays are attributes, in the op's order
                positional_attrs("npx." + npx_name, _attr_order(op), args[i:], attrs, False)
                break
        for k, v in kwargs.items():
            if isinstance(v, NDArray):
                arrays.append(v)
            elif v is not None:
                attrs[k] = v
        if npx_name == "masked_softmax" and len(arrays) == 2:
            return _masked(arrays[0], arrays[1], attrs, "softmax")
        r = call(op, arrays, attrs)
        return r
    fn.__name__ = npx_name
    fn.__doc__ = "npx.%s: the registry op `%s` on numpy-mode arrays." % (npx_name, op)
    return fn


def _attr_order(op):
    for o in manifest()["ops"]:
        if o["name"] == op:
            return [a["name"] for a in o.get("attrs", [])]
    return []


def _masked(data, mask, attrs, op):
    """softmax over `data` where `mask` is true; masked positions get 0."""
    from ..numpy import reduction
    m = _core.cast(mask, data.dtype)
    big = (1.0 - m) * -1e18 if data.dtype != onp.float16 else (1.0 - m) * -1e4
    r = call(op, [data + big], attrs)
    return r * m if op == "softmax" else reduction.where(_core.cast(mask, onp.bool_), r, -onp.inf)


def masked_log_softmax(data, mask, axis=-1, **kw):
    return _masked(data, mask, {"axis": axis}, "log_softmax")


for _n, _op in _OPS.items():
    globals()[_n] = _make(_n, _op)


def reshape(a, newshape, reverse=False, order="C"):
    """MXNet numpy-mode reshape codes: -1 infer one dim, -2 copy this input dim,
    -3 drop this input dim (size 1), -4 copy all remaining dims, -5 merge two input
    dims, -6 split one input dim into the next two values (one may be -1)."""
    a = _core.asarray(a)
    return a.reshape(_npx_target(a.shape, newshape, reverse))


def _npx_target(src_shape, newshape, reverse=False):
    """The target shape of npx.reshape's codes for input shape `src_shape`."""
    src = list(src_shape)
    tgt = [int(newshape)] if isinstance(newshape, (int, onp.integer)) else [int(t) for t in newshape]
    if reverse:
        src, tgt = src[::-1], tgt[::-1]
    out, i, j = [], 0, 0
    while j < len(tgt):
        c = tgt[j]
        if c == -2:
            out.append(src[i])
            i += 1
        elif c == -3:
            if src[i] != 1:
                raise ValueError("npx.reshape: -3 drops input dim %d, which has size %d (expected 1)" % (i, src[i]))
            i += 1
        elif c == -4:
            out.extend(src[i:])
            i = len(src)
        elif c == -5:
            out.append(src[i] * src[i + 1])
            i += 2
        elif c == -6:
            d1, d2 = (tgt[j + 2], tgt[j + 1]) if reverse else (tgt[j + 1], tgt[j + 2])
            if d1 == -1:
                d1 = src[i] // d2
            if d2 == -1:
                d2 = src[i] // d1
            out.extend([d2, d1] if reverse else [d1, d2])
            i += 1
            j += 2
        elif c == -1 or c >= 0:
            out.append(c)
            i += 1
        else:
            raise ValueError("npx.reshape: unknown special code %d in %s" % (c, tuple(newshape)))
        j += 1
    if reverse:
        out = out[::-1]
    return tuple(out)

