"""ONNX elementwise, activation, softmax and reduction ops -> MXNet."""
from __future__ import annotations

import numpy as np

from ._registry import register

_UNARY = {
    "Neg": "negative", "Abs": "abs", "Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Reciprocal": "reciprocal",
    "Sin": "sin", "Cos": "cos", "Tan": "tan", "Asin": "arcsin", "Acos": "arccos", "Atan": "arctan",
    "Sinh": "sinh", "Cosh": "cosh", "Asinh": "arcsinh", "Acosh": "arccosh", "Atanh": "arctanh",
    "Floor": "floor", "Ceil": "ceil", "Sign": "sign", "Erf": "erf", "Softsign": "softsign", "Round": "round",
}
_ACTIVATION = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softrelu"}

# ONNX binary op -> (MXNet broadcast op, scalar op with the constant on the right, on the left)
_BINARY = {
    "Add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
    "Sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
    "Mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
    "Div": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
    "Pow": ("broadcast_power", "_power_scalar", "_rpower_scalar"),
    "Max": ("broadcast_maximum", "_maximum_scalar", "_maximum_scalar"),
    "Min": ("broadcast_minimum", "_minimum_scalar", "_minimum_scalar"),
    "Equal": ("broadcast_equal", "_equal_scalar", "_equal_scalar"),
    "Greater": ("broadcast_greater", "_greater_scalar", "_lesser_scalar"),
    "Less": ("broadcast_lesser", "_lesser_scalar", "_greater_scalar"),
    "GreaterOrEqual": ("broadcast_greater_equal", "_greater_equal_scalar", "_lesser_equal_scalar"),
    "LessOrEqual": ("broadcast_lesser_equal", "_lesser_equal_scalar", "_greater_equal_scalar"),
}


def op(ctx, name):
    """An ``mx.sym`` function by its registry name."""
    return getattr(ctx.sym_mod, name)


def _scalar_of(ctx, name):
    """A one-element constant's value (MXNet's scalar ops take it as an attribute)."""
    if name in ctx.consts and ctx.consts[name].size == 1 and ctx.consts[name].dtype.kind == "f":
        return float(ctx.consts[name].reshape(-1)[0])
    return None


def binary(ctx, n, onnx_op, a, b, name):
    bcast, right, left = _BINARY[onnx_op]
    sb, sa = _scalar_of(ctx, b), _scalar_of(ctx, a)
    if sb is not None:
        return op(ctx, right)(ctx.sym(a), scalar=sb, name=name)
    if sa is not None:
        return op(ctx, left)(ctx.sym(b), scalar=sa, name=name)
    return op(ctx, bcast)(ctx.sym(a), ctx.sym(b), name=name)


def _binary(onnx_op):
    def fn(ctx, n):
        return binary(ctx, n, onnx_op, n.inputs[0], n.inputs[1], ctx.mx_name(n.name))
    return fn


def _variadic(onnx_op):
    """Sum/Max/Min/Mean of any number of inputs, folded pairwise (operands may broadcast)."""
    def fn(ctx, n):
        pairwise = "Add" if onnx_op in ("Sum", "Mean") else onnx_op
        acc = ctx.sym(n.inputs[0])
        for k, b in enumerate(n.inputs[1:]):
            acc = op(ctx, _BINARY[pairwise][0])(acc, ctx.sym(b), name=ctx.mx_name("%s_%d" % (n.name, k)))
        if onnx_op == "Mean":
            acc = ctx.sym_mod._div_scalar(acc, scalar=float(len(n.inputs)), name=ctx.mx_name(n.name))
        return acc
    return fn


def _unary(mx_op):
    def fn(ctx, n):
        return op(ctx, mx_op)(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name))
    return fn


def _activation(kind):
    def fn(ctx, n):
        return ctx.sym_mod.Activation(ctx.sym(n.inputs[0]), act_type=kind, name=ctx.mx_name(n.name))
    return fn


for _o, _m in _UNARY.items():
    register(_o)(_unary(_m))
for _o, _m in _ACTIVATION.items():
    register(_o)(_activation(_m))
for _o in _BINARY:
    register(_o)(_binary(_o))
for _o in ("Sum", "Mean"):
    register(_o)(_variadic(_o))


@register("Max", "Min")
def _max_min(ctx, n):
    if len(n.inputs) == 2:
        return _binary(n.op_type)(ctx, n)
    return _variadic(n.op_type)(ctx, n)


@register("Not")
def _not(ctx, n):
    return ctx.sym_mod.logical_not(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name))


def _leaky(kind, key=None, default=None):
    def fn(ctx, n):
        kw = {"slope": float(n.attrs.get(key, default))} if key else {}
        return ctx.sym_mod.LeakyReLU(ctx.sym(n.inputs[0]), act_type=kind, name=ctx.mx_name(n.name), **kw)
    return fn


register("LeakyRelu")(_leaky("leaky", "alpha", 0.01))
register("Elu")(_leaky("elu", "alpha", 1.0))


@register("Selu")
def _selu(ctx, n):
    if abs(n.attrs.get("alpha", 1.6732632) - 1.6732632) > 1e-6 or abs(n.attrs.get("gamma", 1.0507010) -
                                                                      1.0507010) > 1e-6:
        n.fail("only the standard alpha/gamma have an MXNet translation (LeakyReLU selu)")
    return _leaky("selu")(ctx, n)


@register("PRelu")
def _prelu(ctx, n):
    slope = n.inputs[1]
    if ctx.is_const(slope):  # ONNX writes (C, 1, 1); MXNet's gamma is (C,)
        gamma = ctx.param(slope, ctx.consts[slope].reshape(-1))
    else:
        gamma = ctx.sym_mod.reshape(ctx.sym(slope), shape=(-1,))
    return ctx.sym_mod.LeakyReLU(ctx.sym(n.inputs[0]), gamma=gamma, act_type="prelu", name=ctx.mx_name(n.name))


@register("HardSigmoid")
def _hard_sigmoid(ctx, n):
    return ctx.sym_mod.hard_sigmoid(ctx.sym(n.inputs[0]), alpha=n.attrs.get("alpha", 0.2),
                                    beta=n.attrs.get("beta", 0.5), name=ctx.mx_name(n.name))


@register("Clip")
def _clip(ctx, n):
    if ctx.opset >= 11:
        lo, hi = ctx.const(n, 1), ctx.const(n, 2)
    else:
        lo, hi = n.attrs.get("min"), n.attrs.get("max")
    lo = -np.finfo(np.float32).max if lo is None else float(np.asarray(lo).reshape(-1)[0])
    hi = np.finfo(np.float32).max if hi is None else float(np.asarray(hi).reshape(-1)[0])
    return ctx.sym_mod.clip(ctx.sym(n.inputs[0]), a_min=lo, a_max=hi, name=ctx.mx_name(n.name))


def _softmax(mx_op):
    def fn(ctx, n):
        axis = n.attrs.get("axis", -1 if ctx.opset >= 13 else 1)
        if ctx.opset < 13 and axis not in (-1,):
            # before opset 13 Softmax flattened the dims from `axis` on; one last axis is the same op
            rank = len(ctx.shape(n.inputs[0]) or ())
            if axis % max(rank, 1) != rank - 1:
                n.fail("axis=%d over a rank-%d input (opset %d flatten semantics) has no MXNet translation"
                       % (axis, rank, ctx.opset))
            axis = -1
        return op(ctx, mx_op)(ctx.sym(n.inputs[0]), axis=axis, name=ctx.mx_name(n.name))
    return fn


register("Softmax")(_softmax("softmax"))
register("LogSoftmax")(_softmax("log_softmax"))


def _reduce(mx_op):
    def fn(ctx, n):
        axes = n.attrs.get("axes")
        if axes is None and len(n.inputs) > 1 and n.input(1):  # ReduceSum (opset 13+), all (opset 18+)
            axes = ctx.const(n, 1).tolist()
        keep = bool(n.attrs.get("keepdims", 1))
        kw = {"axis": tuple(axes)} if axes else {}
        if not axes and n.attrs.get("noop_with_empty_axes", 0):
            return ctx.sym_mod.identity(ctx.sym(n.inputs[0]), name=ctx.mx_name(n.name))
        return op(ctx, mx_op)(ctx.sym(n.inputs[0]), keepdims=keep, name=ctx.mx_name(n.name), **kw)
    return fn


for _o, _m in {"ReduceSum": "sum", "ReduceMean": "mean", "ReduceMax": "max", "ReduceMin": "min",
               "ReduceProd": "prod"}.items():
    register(_o)(_reduce(_m))


@register("ReduceL2", "ReduceL1")
def _reduce_norm(ctx, n):
    axes = n.attrs.get("axes")
    return ctx.sym_mod.norm(ctx.sym(n.inputs[0]), ord=2 if n.op_type == "ReduceL2" else 1,
                            keepdims=bool(n.attrs.get("keepdims", 1)), name=ctx.mx_name(n.name),
                            **({"axis": tuple(axes)} if axes else {}))


@register("Identity", "Dropout")
def _identity(ctx, n):
    if len(n.outputs) > 1 and n.outputs[1]:
        n.fail("the mask output has no MXNet translation")
    return ctx.sym(n.inputs[0])
