"""Custom operators written in Python (MXNet 1.x's ``mx.operator``).

    class Sigmoid(mx.operator.CustomOp):
        def forward(self, is_train, req, in_data, out_data, aux):
            self.assign(out_data[0], req[0], 1 / (1 + mx.nd.exp(-in_data[0])))
        def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
            y = out_data[0]
            self.assign(in_grad[0], req[0], out_grad[0] * y * (1 - y))

    @mx.operator.register("sigmoid")
    class SigmoidProp(mx.operator.CustomOpProp):
        def __init__(self):
            super().__init__(need_top_grad=True)
        def list_arguments(self): return ["data"]
        def list_outputs(self): return ["output"]
        def infer_shape(self, in_shape): return in_shape, [in_shape[0]], []
        def create_operator(self, ctx, shapes, dtypes): return Sigmoid()

    y = mx.nd.Custom(x, op_type="sigmoid")

``mx.nd.Custom`` runs the operator eagerly and records it for autograd (its
``backward`` becomes the gradient). ``mx.sym.Custom`` builds the node MXNet's
JSON has (op ``Custom``, ``op_type`` and the property's kwargs as strings), and
the core's graph executor runs it: ``infer_shape``/``infer_type`` ask the
property, ``bind``/``simple_bind``/``Module`` and hybridized blocks
(``F.Custom``) call ``create_operator`` once per graph node (and input
shapes) and then the operator's ``forward``/``backward`` through the host
handler in ``_custom_graph.py``. An exception there becomes an MXNetError
naming the op_type and the node; the executor stays usable.

backward gets every array (out_grad, in_data, out_data), whatever
``declare_backward_dependency`` declares; ``need_top_grad=False`` loss heads
train with Module/Executor.backward() without head gradients, as in MXNet.
"""
from __future__ import annotations

from . import _custom_graph, autograd
from .base import MXNetError

_REGISTRY: dict = {}


class CustomOp:
    """Base class of a custom operator's computation: override forward and backward."""

    def forward(self, is_train, req, in_data, out_data, aux):
        raise NotImplementedError

    def backward(self, req, out_grad, in_data, out_data, in_grad, aux):
        raise NotImplementedError

    @staticmethod
    def assign(dst, req, src):
        """Write src into dst as req says: 'write'/'inplace' copy, 'add' accumulate, 'null' nothing."""
        if req == "null":
            return
        if req in ("write", "inplace"):
            dst[:] = src
        elif req == "add":
            dst[:] = dst + src
        else:
            raise MXNetError("CustomOp.assign: unknown req %r (expected write, inplace, add or null)" % (req,))


class CustomOpProp:
    """Base class of a custom operator's properties: its inputs, outputs, shapes, types."""

    def __init__(self, need_top_grad=True):
        self.need_top_grad_ = need_top_grad

    def list_arguments(self):
        return ["data"]

    def list_outputs(self):
        return ["output"]

    def list_auxiliary_states(self):
        return []

    def infer_shape(self, in_shape):
        return in_shape, (in_shape[0],) * len(self.list_outputs()), ()

    def infer_type(self, in_type):
        return (in_type, (in_type[0],) * len(self.list_outputs()),
                (in_type[0],) * len(self.list_auxiliary_states()))

    def infer_storage_type(self, in_stype):
        return in_stype, ["default"] * len(self.list_outputs()), ["default"] * len(self.list_auxiliary_states())

    def declare_backward_dependency(self, out_grad, in_data, out_data):
        deps = []
        if self.need_top_grad_:
            deps.extend(out_grad)
        return deps + list(in_data) + list(out_data)

    def create_operator(self, ctx, in_shapes, in_dtypes):
        raise NotImplementedError


def register(reg_name):
    """Class decorator: register a CustomOpProp subclass under ``op_type=reg_name``."""
    def do_register(prop_cls):
        if not (isinstance(prop_cls, type) and issubclass(prop_cls, CustomOpProp)):
            raise MXNetError("mx.operator.register(%r): %r is not a CustomOpProp subclass" % (reg_name, prop_cls))
        _REGISTRY[reg_name] = prop_cls
        return prop_cls
    return do_register


def get_all_registered_operators():
    return sorted(_REGISTRY)


def make_prop(op_type, kwargs):
    """The registered property object for op_type, built with MXNet's string kwargs."""
    if op_type is None:
        raise MXNetError("Custom: op_type is required (the name given to mx.operator.register)")
    cls = _REGISTRY.get(op_type)
    if cls is None:
        raise MXNetError("Custom: no operator registered as op_type=%r (registered: %s)"
                         % (op_type, ", ".join(sorted(_REGISTRY)) or "none"))
    return cls(**{k: str(v) for k, v in kwargs.items()})


def needs_top_grad(node) -> bool:
    """Whether a symbol node is a Custom op whose property wants its output gradient
    (need_top_grad=True): MXNet's executors then require a head gradient for it, where
    a loss-like Custom op (need_top_grad=False) trains without one."""
    return node.op == "Custom" and bool(getattr(node_prop(node), "need_top_grad_", True))


def node_prop(node):
    """The property object of a Custom symbol node (its op_type and string kwargs;
    "__x__" hints left out)."""
    return make_prop(node.attrs.get("op_type"), {k: v for k, v in node.attrs.items()
                                                 if k != "op_type" and not k.startswith("__")})


def _triple(res, what, op_type):
    res = list(res)
    if len(res) == 2:
        res.append([])
    if len(res) != 3:
        raise MXNetError("Custom %r: %s must return (inputs, outputs[, aux])" % (op_type, what))
    return [list(r) for r in res]


class _CustomFunction(autograd.Function):
    """One eager call of a custom operator, recorded with its backward."""

    def __init__(self, op, prop, op_type, n_args, out_specs, aux):
        super().__init__()
        self.op, self.prop, self.op_type = op, prop, op_type
        self.n_args, self.out_specs, self.aux = n_args, out_specs, aux
        self.in_data, self.out_data = [], []

    def forward(self, *inputs):
        from .ndarray import zeros
        ctx = inputs[0].context if inputs else None
        self.in_data = list(inputs)
        self.out_data = [zeros(s, ctx=ctx, dtype=t) for s, t in self.out_specs]
        self._user("forward", self.op.forward, autograd.is_training(), ["write"] * len(self.out_data),
                   self.in_data, self.out_data, self.aux)
        return self.out_data[0] if len(self.out_data) == 1 else tuple(self.out_data)

    def backward(self, *out_grad):
        from .ndarray import zeros_like
        in_grad = [zeros_like(x) for x in self.in_data]
        self._user("backward", self.op.backward, ["write"] * len(in_grad), list(out_grad), self.in_data,
                   self.out_data, in_grad, self.aux)
        return in_grad[0] if len(in_grad) == 1 else tuple(in_grad)

    def _user(self, stage, fn, *args):
        """Run the user's forward/backward; its exception becomes an MXNetError naming the
        op, as MXNet reports errors raised inside a custom operator."""
        try:
            fn(*args)
        except MXNetError:
            raise
        except Exception as e:
            raise MXNetError("Custom op %r: %s raised %s: %s" % (self.op_type, stage, type(e).__name__, e)) from e


def invoke_nd(args, kwargs):
    """mx.nd.Custom(*inputs, op_type=..., **prop_kwargs)."""
    from .ndarray import NDArray
    op_type = kwargs.pop("op_type", None)
    kwargs.pop("name", None)
    out = kwargs.pop("out", None)
    prop = make_prop(op_type, {k: v for k, v in kwargs.items() if not isinstance(v, NDArray)})
    arg_names, aux_names = prop.list_arguments(), prop.list_auxiliary_states()
    named = {k: v for k, v in kwargs.items() if isinstance(v, NDArray)}
    inputs = list(args) + [named.pop(n) for n in arg_names[len(args):] + aux_names if n in named]
    if named:
        raise MXNetError("Custom %r: unknown inputs %s (arguments: %s)" % (op_type, sorted(named), arg_names))
    if len(inputs) != len(arg_names) + len(aux_names):
        raise MXNetError("Custom %r: expected %d inputs (%s), got %d" % (
            op_type, len(arg_names) + len(aux_names), ", ".join(arg_names + aux_names), len(inputs)))
    data, aux = inputs[:len(arg_names)], inputs[len(arg_names):]
    shapes = _triple(prop.infer_shape([list(x.shape) for x in data]), "infer_shape", op_type)  # lists, as MXNet
    types = _triple(prop.infer_type([x.dtype for x in data]), "infer_type", op_type)
    out_specs = [(tuple(s), t) for s, t in zip(shapes[1], types[1])]
    if len(out_specs) != len(prop.list_outputs()):
        raise MXNetError("Custom %r: infer_shape gave %d output shapes for outputs %s"
                         % (op_type, len(out_specs), prop.list_outputs()))
    ctx = data[0].context if data else None
    op = prop.create_operator(ctx, [list(x.shape) for x in inputs], [x.dtype for x in inputs])
    res = _CustomFunction(op, prop, op_type, len(data), out_specs, aux)(*data)
    if out is not None:
        outs = res if isinstance(res, tuple) else (res,)
        for o, r in zip(out if isinstance(out, (list, tuple)) else [out], outs):
            o[:] = r
        return out
    return res


def invoke_sym(args, kwargs):
    """mx.sym.Custom(*inputs, op_type=..., name=..., **prop_kwargs): the node MXNet writes."""
    from .symbol.symbol import Symbol, _make_custom_node
    op_type = kwargs.pop("op_type", None)
    name = kwargs.pop("name", None)
    named = {k: kwargs.pop(k) for k in list(kwargs) if isinstance(kwargs[k], Symbol)}
    prop = make_prop(op_type, kwargs)
    arg_names = prop.list_arguments() + prop.list_auxiliary_states()
    inputs = list(args)
    for n in arg_names[len(args):]:
        if n not in named:
            break
        inputs.append(named.pop(n))
    if named:
        raise MXNetError("Custom %r: unknown or out-of-order inputs %s (arguments: %s)"
                         % (op_type, sorted(named), arg_names))
    attrs = {"op_type": op_type}
    attrs.update({k: str(v) for k, v in kwargs.items()})
    return _make_custom_node(inputs, attrs, len(prop.list_outputs()), name, arg_names)


_custom_graph.install()  # graphs holding Custom nodes run through the registered classes
