"""Elementwise, scalar, comparison, activation and reduction ops -> ONNX."""
from __future__ import annotations

import numpy as np

from ._registry import onnx_dtype, register

_BINARY = {
    "Add": ("elemwise_add", "_plus", "_Plus", "_add", "broadcast_add", "broadcast_plus"),
    "Sub": ("elemwise_sub", "_minus", "_Minus", "_sub", "broadcast_sub", "broadcast_minus"),
    "Mul": ("elemwise_mul", "_mul", "_Mul", "broadcast_mul"),
    "Div": ("elemwise_div", "_div", "_Div", "broadcast_div"),
    "Pow": ("_power", "_Power", "broadcast_power"),
    "Max": ("_maximum", "_Maximum", "broadcast_maximum"),
    "Min": ("_minimum", "_Minimum", "broadcast_minimum"),
}

# comparisons give 0/1 in the input dtype in MXNet, bool in ONNX: a Cast follows
_COMPARE = {
    "Equal": ("_equal", "broadcast_equal", "_equal_scalar"),
    "Greater": ("_greater", "broadcast_greater", "_greater_scalar"),
    "Less": ("_lesser", "broadcast_lesser", "_lesser_scalar"),
    "GreaterOrEqual": ("_greater_equal", "broadcast_greater_equal", "_greater_equal_scalar"),
    "LessOrEqual": ("_lesser_equal", "broadcast_lesser_equal", "_lesser_equal_scalar"),
}

# scalar ops: (ONNX op, scalar on the left?)
_SCALAR = {
    "_plus_scalar": ("Add", False), "_PlusScalar": ("Add", False),
    "_minus_scalar": ("Sub", False), "_MinusScalar": ("Sub", False),
    "_rminus_scalar": ("Sub", True), "_RMinusScalar": ("Sub", True),
    "_mul_scalar": ("Mul", False), "_MulScalar": ("Mul", False),
    "_div_scalar": ("Div", False), "_DivScalar": ("Div", False),
    "_rdiv_scalar": ("Div", True), "_RDivScalar": ("Div", True),
    "_power_scalar": ("Pow", False), "_PowerScalar": ("Pow", False),
    "_rpower_scalar": ("Pow", True), "_RPowerScalar": ("Pow", True),
    "_maximum_scalar": ("Max", False), "_MaximumScalar": ("Max", False),
    "_minimum_scalar": ("Min", False), "_MinimumScalar": ("Min", False),
}

_UNARY = {
    "Neg": ("negative",), "Abs": ("abs",), "Exp": ("exp",), "Log": ("log",), "Sqrt": ("sqrt",),
    "Reciprocal": ("reciprocal",), "Sin": ("sin",), "Cos": ("cos",), "Tan": ("tan",),
    "Asin": ("arcsin",), "Acos": ("arccos",), "Atan": ("arctan",), "Sinh": ("sinh",), "Cosh": ("cosh",),
    "Asinh": ("arcsinh",), "Acosh": ("arccosh",), "Atanh": ("arctanh",), "Floor": ("floor",),
    "Ceil": ("ceil",), "Sign": ("sign",), "Relu": ("relu",), "Sigmoid": ("sigmoid",), "Tanh": ("tanh",),
    "Erf": ("erf",), "Softsign": ("softsign",),
    "Identity": ("identity", "_copy", "BlockGrad", "stop_gradient", "Dropout", "_np_copy"),
}

_ACTIVATION = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softrelu": "Softplus",
               "softsign": "Softsign"}


def _binary(onnx_op):
    def fn(ctx, n):
        ctx.add(onnx_op, n.inputs[:2], n.outputs[0])
    return fn


def _unary(onnx_op):
    def fn(ctx, n):
        ctx.add(onnx_op, n.inputs[:1], n.outputs[0])
    return fn


def _scalar_op(onnx_op, scalar_left):
    def fn(ctx, n):
        s = ctx.scalar(n.name + "_scalar", n.float("scalar", 0.0), n.in_dtypes[0])
        ins = [s, n.inputs[0]] if scalar_left else [n.inputs[0], s]
        ctx.add(onnx_op, ins, n.outputs[0])
    return fn


def _compare(onnx_op):
    def fn(ctx, n):
        rhs = n.inputs[1] if len(n.inputs) > 1 else ctx.scalar(n.name + "_scalar", n.float("scalar", 0.0),
                                                               n.in_dtypes[0])
        b = ctx.add(onnx_op, [n.inputs[0], rhs], hint=n.name)
        ctx.add("Cast", [b], n.outputs[0], to=onnx_dtype(n.out_dtypes[0]))
    return fn


for _op, _names in _BINARY.items():
    register(*_names)(_binary(_op))
for _op, _names in _UNARY.items():
    register(*_names)(_unary(_op))
for _op, _names in _COMPARE.items():
    register(*_names)(_compare(_op))
for _name, (_op, _left) in _SCALAR.items():
    register(_name)(_scalar_op(_op, _left))


@register("square")
def _square(ctx, n):
    ctx.add("Mul", [n.inputs[0], n.inputs[0]], n.outputs[0])


@register("rsqrt")
def _rsqrt(ctx, n):
    ctx.add("Reciprocal", [ctx.add("Sqrt", n.inputs[:1], hint=n.name)], n.outputs[0])


@register("log_sigmoid")
def _log_sigmoid(ctx, n):
    ctx.add("Log", [ctx.add("Sigmoid", n.inputs[:1], hint=n.name)], n.outputs[0])


def _mish(ctx, n, x, out):
    t = ctx.add("Tanh", [ctx.add("Softplus", [x], hint=n.name)], hint=n.name)
    ctx.add("Mul", [x, t], out)


def _gelu(ctx, n, x, out):
    # MXNet's gelu is the erf form: x * (1 + erf(x / sqrt 2)) / 2
    dt = n.in_dtypes[0]
    e = ctx.add("Erf", [ctx.add("Div", [x, ctx.scalar(n.name + "_sqrt2", np.sqrt(2.0), dt)], hint=n.name)],
                hint=n.name)
    one = ctx.add("Add", [e, ctx.scalar(n.name + "_one", 1.0, dt)], hint=n.name)
    half = ctx.add("Mul", [x, ctx.scalar(n.name + "_half", 0.5, dt)], hint=n.name)
    ctx.add("Mul", [half, one], out)


@register("Activation")
def _activation(ctx, n):
    kind = n.str("act_type", "relu")
    if kind in _ACTIVATION:
        ctx.add(_ACTIVATION[kind], n.inputs[:1], n.outputs[0])
    elif kind == "log_sigmoid":
        _log_sigmoid(ctx, n)
    elif kind == "mish":
        _mish(ctx, n, n.inputs[0], n.outputs[0])
    else:
        n.fail("act_type '%s' has no ONNX translation" % kind)


@register("LeakyReLU")
def _leaky_relu(ctx, n):
    kind, x, out = n.str("act_type", "leaky"), n.inputs[0], n.outputs[0]
    slope = n.float("slope", 0.25)
    if kind == "leaky":
        ctx.add("LeakyRelu", [x], out, alpha=slope)
    elif kind == "elu":
        ctx.add("Elu", [x], out, alpha=slope)
    elif kind == "selu":
        ctx.add("Selu", [x], out, alpha=1.6732632423543772, gamma=1.0507009873554805)
    elif kind == "gelu":
        _gelu(ctx, n, x, out)
    elif kind == "rrelu":  # inference: the mean of the random slopes
        ctx.add("LeakyRelu", [x], out, alpha=(n.float("lower_bound", 0.125) + n.float("upper_bound", 0.334)) / 2)
    elif kind == "prelu":
        gamma = n.inputs[1]
        ndim, c = len(n.in_shapes[0]), n.in_shapes[1][0]
        if ndim > 2 and c > 1:  # per-channel slopes broadcast along axis 1
            gamma = ctx.add("Reshape", [gamma, ctx.int64s(n.name + "_gshape", [c] + [1] * (ndim - 2))],
                            hint=n.name)
        ctx.add("PRelu", [x, gamma], out)
    else:
        n.fail("act_type '%s' has no ONNX translation" % kind)


@register("relu6")
def _relu6(ctx, n):
    _clip_to(ctx, n, 0.0, 6.0)


def _clip_to(ctx, n, lo, hi):
    dt = n.in_dtypes[0]
    ctx.add("Clip", [n.inputs[0], ctx.scalar(n.name + "_min", lo, dt), ctx.scalar(n.name + "_max", hi, dt)],
            n.outputs[0])


@register("clip")
def _clip(ctx, n):
    _clip_to(ctx, n, n.float("a_min"), n.float("a_max"))


@register("hard_sigmoid")
def _hard_sigmoid(ctx, n):
    ctx.add("HardSigmoid", n.inputs[:1], n.outputs[0], alpha=n.float("alpha", 0.2), beta=n.float("beta", 0.5))


def _softmax_input(ctx, n):
    x = n.inputs[0]
    t = n.float("temperature")
    if t is not None and t != 1.0:
        x = ctx.add("Div", [x, ctx.scalar(n.name + "_temperature", t, n.in_dtypes[0])], hint=n.name)
    if n.bool("use_length"):
        n.fail("use_length=True has no ONNX translation")
    return x


@register("softmax")
def _softmax(ctx, n):
    ctx.add("Softmax", [_softmax_input(ctx, n)], n.outputs[0], axis=n.int("axis", -1))


@register("log_softmax")
def _log_softmax(ctx, n):
    ctx.add("LogSoftmax", [_softmax_input(ctx, n)], n.outputs[0], axis=n.int("axis", -1))


@register("SoftmaxActivation")
def _softmax_activation(ctx, n):
    # instance mode is MXNet's FlatTo2D softmax: over the last axis, whatever the rank
    axis = 1 if n.str("mode", "instance") == "channel" else -1
    ctx.add("Softmax", n.inputs[:1], n.outputs[0], axis=axis)


@register("SoftmaxOutput", "Softmax")
def _softmax_output(ctx, n):
    shape = n.in_shapes[0]
    if n.bool("multi_output"):
        ctx.add("Softmax", n.inputs[:1], n.outputs[0], axis=1)
    elif n.bool("preserve_shape") or len(shape) <= 2:
        ctx.add("Softmax", n.inputs[:1], n.outputs[0], axis=-1)
    else:  # MXNet flattens to (batch, -1), softmaxes, and keeps the input shape
        flat = ctx.add("Flatten", n.inputs[:1], hint=n.name, axis=1)
        sm = ctx.add("Softmax", [flat], hint=n.name, axis=1)
        ctx.add("Reshape", [sm, ctx.int64s(n.name + "_shape", shape)], n.outputs[0])


@register("LinearRegressionOutput", "MAERegressionOutput")
def _regression_output(ctx, n):
    ctx.add("Identity", n.inputs[:1], n.outputs[0])


@register("LogisticRegressionOutput")
def _logistic_output(ctx, n):
    ctx.add("Sigmoid", n.inputs[:1], n.outputs[0])


@register("ElementWiseSum", "add_n", "_sum")
def _add_n(ctx, n):
    ctx.add("Sum", n.inputs, n.outputs[0])


def _reduce_axes(n):
    """The axes an MXNet reduction reduces (None: all), with ``exclude`` resolved."""
    ndim = len(n.in_shapes[0])
    axes = n.tuple("axis")
    if axes is None or axes == ():
        return None
    axes = [a % ndim for a in axes]
    if n.bool("exclude"):
        axes = [a for a in range(ndim) if a not in axes]
    return axes


def _reduce(onnx_op):
    def fn(ctx, n):
        axes, keep = _reduce_axes(n), n.bool("keepdims")
        out = n.outputs[0]
        full = axes is None or len(axes) == len(n.in_shapes[0])
        # MXNet's full reduction without keepdims has shape (1,), ONNX's has shape ()
        target = ctx.fresh(n.name + "_full") if full and not keep else out
        if onnx_op == "ReduceSum":  # opset 13 takes ReduceSum's axes as an input
            ins = n.inputs[:1] + ([ctx.int64s(n.name + "_axes", axes)] if axes is not None else [])
            ctx.add(onnx_op, ins, target, keepdims=int(keep))
        else:
            ctx.add(onnx_op, n.inputs[:1], target, keepdims=int(keep), axes=axes)
        if target != out:
            ctx.add("Reshape", [target, ctx.int64s(n.name + "_shape", [1])], out)
    return fn


for _op, _names in {"ReduceSum": ("sum", "sum_axis"), "ReduceMean": ("mean",), "ReduceMax": ("max", "max_axis"),
                    "ReduceMin": ("min", "min_axis"), "ReduceProd": ("prod",)}.items():
    register(*_names)(_reduce(_op))


@register("norm")
def _norm(ctx, n):
    ord_ = n.int("ord", 2)
    if ord_ not in (1, 2):
        n.fail("ord=%d has no ONNX translation" % ord_)
    _reduce("ReduceL%d" % ord_)(ctx, n)
