"""Executor: a Symbol bound to arrays (MXNet 1.x ``bind``/``simple_bind``).

forward() runs the core graph (mx_graph_run) in one call. When gradients are
wanted, forward(is_train=True) marks the bound argument arrays as autograd
variables (their grad buffers are the executor's grad arrays) and runs the
graph under recording, so backward() is the core's tape backward."""
from __future__ import annotations

import numpy as np

from . import autograd
from .base import MXNetError, MXNetTypeError, MXNetValueError, check_call, ffi, lib
from .context import current_context

__all__ = ["Executor"]


def _as_dict(names, values, what):
    if values is None:
        return {}
    if isinstance(values, dict):
        return dict(values)
    values = list(values)
    if len(values) != len(names):
        raise MXNetValueError("bind: %s has %d arrays, the symbol has %d (%s)" % (what, len(values), len(names), names))
    return dict(zip(names, values))


_FIX_GAMMA_OPS = ("BatchNorm", "BatchNorm_v1", "_contrib_SyncBatchNorm", "SyncBatchNorm")


def _fixed_gamma_args(symbol, arg_dict):
    """Names of the gamma arguments of BatchNorm nodes with fix_gamma (MXNet's default
    True): MXNet's graph executor writes ones into them on every forward, so a
    checkpoint of a Module trained with fix_gamma holds gamma == 1 (less weight decay)."""
    from .symbol.symbol import _topo
    names = []
    for node in _topo(symbol._outs):
        if node.op not in _FIX_GAMMA_OPS or len(node.inputs) < 2:
            continue
        if str(node.attrs.get("fix_gamma", "True")).strip().lower() in ("false", "0"):
            continue
        g, _ = node.inputs[1]
        if g.op is None and g.name in arg_dict and g.name not in names:
            names.append(g.name)
    return names


class Executor:
    def __init__(self, symbol, ctx, args, args_grad=None, grad_req="write", aux_states=None):
        self._symbol = symbol
        self._ctx = ctx or current_context()
        self._graph = symbol._graph()
        self._arg_names = self._graph.names(0)
        self._aux_names = self._graph.names(1)
        self._out_names = self._graph.names(2)
        self.arg_dict = _as_dict(self._arg_names, args, "args")
        missing = [n for n in self._arg_names if n not in self.arg_dict]
        if missing:
            raise MXNetValueError("bind: no array for argument(s) %s" % missing)
        self.aux_dict = _as_dict(self._aux_names, aux_states, "aux_states")
        missing = [n for n in self._aux_names if n not in self.aux_dict]
        if missing:
            raise MXNetValueError("bind: no array for auxiliary state(s) %s" % missing)
        if isinstance(grad_req, str):
            grad_req = {n: grad_req for n in self._arg_names}
        elif isinstance(grad_req, (list, tuple)):
            grad_req = dict(zip(self._arg_names, grad_req))
        self._grad_req = {n: grad_req.get(n, "null") for n in self._arg_names}
        given = _as_dict(self._arg_names, args_grad, "args_grad")
        from . import ndarray as nd
        # every argument has a key, None for grad_req 'null' (as MXNet's grad_dict)
        self.grad_dict = {n: given.get(n) for n in self._arg_names}
        for n in self._arg_names:
            if self._grad_req[n] != "null" and self.grad_dict.get(n) is None:
                a = self.arg_dict[n]
                self.grad_dict[n] = nd.zeros(a.shape, ctx=a.context, dtype=a.dtype)
        self._fixed_gammas = _fixed_gamma_args(symbol, self.arg_dict)
        self.outputs = self._blank_outputs()
        self._ran = None       # set by the first forward
        self._recorded = None  # the outputs of the last forward, when it ran on the tape
        self._monitor = None   # (callback, monitor_all) from set_monitor_callback

    def _blank_outputs(self):
        """Zero arrays of the output shapes (MXNet's executors hold their outputs from
        bind on); empty when the bound shapes do not determine them."""
        from . import ndarray as nd
        try:
            _, res = self._symbol._infer({n: tuple(a.shape) for n, a in self.arg_dict.items()},
                                         {n: a.dtype for n, a in self.arg_dict.items()}, True)
        except MXNetError:
            return []
        outs = res["outputs"]
        if not outs or any(o is None for o in outs):
            return []
        return [nd.zeros(o["shape"], ctx=self._ctx, dtype=o["dtype"]) for o in outs]

    @property
    def arg_arrays(self):
        return [self.arg_dict[n] for n in self._arg_names]

    @property
    def grad_arrays(self):
        return [self.grad_dict.get(n) for n in self._arg_names]

    @property
    def aux_arrays(self):
        return [self.aux_dict[n] for n in self._aux_names]

    @property
    def output_dict(self):
        return dict(zip(self._out_names, self.outputs))

    def forward(self, is_train=False, **kwargs):
        for k, v in kwargs.items():
            if k not in self.arg_dict:
                raise MXNetTypeError("forward: unknown argument '%s' (arguments: %s)" % (k, self._arg_names))
            dst = self.arg_dict[k]
            if hasattr(v, "handle"):
                if v.shape != dst.shape:
                    raise MXNetValueError("forward: '%s' has shape %s, bound shape is %s" % (k, v.shape, dst.shape))
                v.copyto(dst)
            else:
                dst[:] = v
        for n in self._fixed_gammas:  # as MXNet's executor: a fixed gamma reads 1 after forward
            self.arg_dict[n][:] = 1
        want_grad = is_train and any(r != "null" for r in self._grad_req.values())
        if want_grad:
            self._recorded = self._run_recorded(True)
            self.outputs = self._keep_outputs(self._recorded)
        else:
            self.outputs = self._keep_outputs(self._graph.run(self.arg_arrays, self.aux_arrays, is_train,
                                                              len(self._out_names)))
            self._recorded = None
        self._ran = True
        if self._monitor is not None:
            self._report_to_monitor(is_train)
        return self.outputs

    def _keep_outputs(self, results):
        """As in MXNet, an executor's output arrays are fixed: each forward writes its
        results into them (an array taken from ``outputs`` earlier sees the new values,
        and a reshaped executor's outputs share their memory). An output whose shape or
        dtype changed is replaced."""
        kept = []
        for i, r in enumerate(results):
            o = self.outputs[i] if i < len(self.outputs) else None
            if o is not None and o.shape == r.shape and o.dtype == r.dtype and o.context == r.context:
                r.copyto(o)
                kept.append(o)
            else:
                kept.append(r)
        return kept

    def set_monitor_callback(self, callback, monitor_all=False):
        """After each forward, call ``callback(name, NDArray)`` for the output of every op
        node (``<node>_output``, ...) and, with ``monitor_all``, for each node's inputs
        (``<node>_<input name>``). The values come from a second run of the graph's
        internals on the same arguments (auxiliary states copied, so BatchNorm statistics
        update once); a Dropout in training mode draws its own mask there."""
        self._monitor = (callback, bool(monitor_all))

    def _report_to_monitor(self, is_train):
        from .symbol.symbol import _op_info, _topo
        callback, monitor_all = self._monitor
        internals = self._symbol.get_internals()
        g = internals._graph()
        values = dict(zip(g.names(2), g.run([self.arg_dict[n] for n in g.names(0)],
                                            [self.aux_dict[n].copy() for n in g.names(1)],
                                            is_train, len(g.names(2)))))
        outs_of = {}
        for (node, k), name in zip(internals._outs, g.names(2)):
            outs_of.setdefault(id(node), []).append(name)
        for node in _topo(self._symbol._outs):
            if node.op is None:
                continue
            if monitor_all:
                spec = (_op_info(node.op) or {}).get("inputs", [])
                for i, (p, k) in enumerate(node.inputs):
                    src = outs_of.get(id(p), [p.name])[k] if p.op is not None else p.name
                    slot = spec[i] if i < len(spec) and not spec[i].startswith("*") else "input%d" % i
                    if src in values:
                        callback("%s_%s" % (node.name, slot), values[src])
            for name in outs_of.get(id(node), []):
                callback(name, values[name])

    def _run_recorded(self, train):
        """Run the graph on the tape with the arguments marked as variables (their
        gradients go to grad_dict per grad_req)."""
        from .autograd import _GRAD_REQ
        args = self.arg_arrays
        marked = [(a, self._grad_req[n], self.grad_dict[n]) for n, a in zip(self._arg_names, args)
                  if self._grad_req[n] != "null"]
        check_call(lib.mx_autograd_mark_variables(
            ffi.new("mx_tensor[]", [a.handle for a, _, _ in marked]),
            ffi.new("int[]", [_GRAD_REQ[r] for _, r, _ in marked]),
            ffi.new("mx_tensor[]", [g.handle for _, _, g in marked]), len(marked)))
        with autograd.record(train_mode=train):
            return self._graph.run(args, self.aux_arrays, train, len(self._out_names))

    def backward(self, out_grads=None, is_train=True):
        """Gradients of the last forward's outputs into grad_dict (per grad_req). It may
        run again for the same forward; after forward(is_train=False) the forward is
        recorded first (with inference-mode statistics), as MXNet allows; with no forward
        at all, a training forward runs first. Head gradients are converted to their
        output's dtype, as MXNet copies them into the output's gradient arrays."""
        if not any(r != "null" for r in self._grad_req.values()):
            return
        if self._ran is None:
            self.forward(is_train=True)
        if self._recorded is None:
            self._recorded = self._run_recorded(False)
        if out_grads is not None and not isinstance(out_grads, (list, tuple)):
            out_grads = [out_grads]
        if out_grads is not None:
            out_grads = [g if g is None or i >= len(self._recorded) or g.dtype == self._recorded[i].dtype
                         else g.astype(self._recorded[i].dtype) for i, g in enumerate(out_grads)]
        from .operator import needs_top_grad
        for i, (node, _) in enumerate(self._symbol._outs):
            given = out_grads is not None and i < len(out_grads) and out_grads[i] is not None
            if not given and needs_top_grad(node):
                raise MXNetError("backward: output '%s' comes from Custom op '%s', which is not a loss "
                                 "(need_top_grad=True): pass its head gradient in out_grads, as MXNet requires"
                                 % (self._out_names[i], node.attrs.get("op_type")))
        autograd.backward(self._recorded, out_grads, retain_graph=True, train_mode=is_train)

    def copy_params_from(self, arg_params, aux_params=None, allow_extra_params=False):
        for name, arr in (arg_params or {}).items():
            if name in self.arg_dict:
                arr.copyto(self.arg_dict[name])
            elif not allow_extra_params:
                raise ValueError("Find name \"%s\" that is not in the arguments" % name)
        for name, arr in (aux_params or {}).items():
            if name in self.aux_dict:
                arr.copyto(self.aux_dict[name])
            elif not allow_extra_params:
                raise ValueError("Find name %s that is not in the auxiliary states" % name)

    def reshape(self, partial_shaping=False, allow_up_sizing=False, **kwargs):
        """A new executor for new input shapes (``kwargs``: name -> shape) that shares
        every argument, gradient and aux array whose shape does not change (the
        parameters, typically). A changed shape not given in ``kwargs`` needs
        ``partial_shaping=True``; an array that grows needs ``allow_up_sizing=True``
        (MXNet's rules)."""
        _, res = self._symbol._infer(kwargs, {}, True)

        def pick(name, spec, old, what):
            shape = tuple(spec["shape"])
            if old is not None and tuple(old.shape) == shape:
                return old, False
            if name not in kwargs and not partial_shaping:
                raise MXNetError("reshape: %s '%s' would change shape from %s to %s; pass its shape or "
                                 "partial_shaping=True" % (what, name, old.shape if old is not None else None, shape))
            if old is not None and not allow_up_sizing and int(np.prod(shape)) > old.size:
                raise MXNetError("reshape: %s '%s' grows from %s to %s; pass allow_up_sizing=True"
                                 % (what, name, tuple(old.shape), shape))
            return _shrunk_or_new(old, shape, spec["dtype"], self._ctx), True

        args, grads, aux = {}, {}, {}
        for name, spec in res["arguments"].items():
            args[name], fresh = pick(name, spec, self.arg_dict.get(name), "argument")
            g = self.grad_dict.get(name)
            if g is not None:
                grads[name] = _shrunk_or_new(g, args[name].shape, g.dtype, g.context) if fresh else g
        for name, spec in res["aux_states"].items():
            aux[name], _ = pick(name, spec, self.aux_dict.get(name), "auxiliary state")
        new = Executor(self._symbol, self._ctx, args, grads, self._grad_req, aux)
        # outputs that fit in this executor's share their memory (MXNet's shared pool)
        for i, (o, mine) in enumerate(zip(new.outputs, self.outputs)):
            new.outputs[i] = _shrunk_or_new(mine, o.shape, o.dtype, o.context, o)
        return new

    def debug_str(self):
        """The symbol's node listing (as Symbol.debug_str) and, as MXNet ends it,
        'Total <n> MB allocated': the memory this binding's node outputs take at
        their peak (see _output_memory)."""
        return self._symbol.debug_str() + "Total %d MB allocated\n" % (_output_memory(self) >> 20)


def _shrunk_or_new(old, shape, dtype, ctx, fresh=None):
    """An array of `shape` for a reshaped executor: a view of the front of `old` when it
    fits there (MXNet's reshape shares memory with the executor it came from), else
    `fresh` or new zeros."""
    from . import ndarray as nd
    size = int(np.prod(shape, dtype=np.int64))
    if old is not None and 0 < size <= old.size and np.dtype(old.dtype) == np.dtype(dtype) and old.context == ctx:
        return old.reshape((-1,))[:size].reshape(shape)
    return fresh if fresh is not None else nd.zeros(shape, ctx=ctx, dtype=dtype)


def _output_memory(ex) -> int:
    """Peak bytes of the op nodes' outputs over one forward of executor `ex`: an output
    is freed after its last consumer unless backward needs it, i.e. its node computes
    from an argument with a gradient and a gradient reaches it from a head (not cut by
    BlockGrad or a non-differentiable op). So grad_req='null' and a stop_gradient'ed
    head need the same memory, as in MXNet's plan."""
    from .symbol.symbol import _op_info, _topo
    sym = ex._symbol
    internals = sym.get_internals()
    try:
        _, res = internals._infer({n: tuple(a.shape) for n, a in ex.arg_dict.items()},
                                  {n: a.dtype for n, a in ex.arg_dict.items()}, True)
    except MXNetError:
        return 0
    size = {}
    for (node, k), spec in zip(internals._outs, res["outputs"]):
        if spec is not None:
            size[(id(node), k)] = int(np.prod(spec["shape"], dtype=np.int64)) * np.dtype(spec["dtype"]).itemsize
    nodes = _topo(sym._outs)

    def passes_grad(n):
        info = _op_info(n.op) or {}
        return info.get("name") != "BlockGrad" and info.get("differentiable", True)
    grad_args = {n for n, r in ex._grad_req.items() if r != "null"}
    needs = set()  # nodes whose output depends on an argument with a gradient
    for n in nodes:
        if n.op is not None and passes_grad(n) and any(
                (p.op is None and p.name in grad_args) or id(p) in needs for p, _ in n.inputs):
            needs.add(id(n))
    reached = {id(n) for n, _ in sym._outs}  # nodes a head gradient reaches
    for n in reversed(nodes):
        if id(n) in reached and id(n) in needs:
            reached.update(id(p) for p, _ in n.inputs)
    kept = {id(n) for n in nodes if id(n) in needs and id(n) in reached}
    kept |= {id(n) for n, _ in sym._outs}
    last = {}
    for i, n in enumerate(nodes):
        for p, _ in n.inputs:
            last[id(p)] = i
    live = peak = 0
    for i, n in enumerate(nodes):
        if n.op is None:
            continue
        live += sum(size.get((id(n), k), 0) for k in range(max(n.n_vis, 1)))
        peak = max(peak, live)
        for p in {id(p): p for p, _ in n.inputs}.values():
            if p.op is not None and last[id(p)] == i and id(p) not in kept:
                live -= sum(size.get((id(p), k), 0) for k in range(max(p.n_vis, 1)))
    return peak


def simple_bind(symbol, ctx, grad_req, type_dict, shapes):
    """Allocate every argument/aux array from the given input shapes (parameter
    shapes are inferred from their layers) and bind."""
    from . import ndarray as nd
    g, res = symbol._infer(shapes, type_dict, True)
    missing = [k for k, v in res["arguments"].items() if v is None] + \
              [k for k, v in res["aux_states"].items() if v is None]
    if missing:
        raise MXNetError("simple_bind: cannot infer the shape of %s from %s; pass it as a keyword "
                         "(e.g. %s=(...))" % (missing, shapes, missing[0]))
    if not res["complete"] or any(o is None for o in res["outputs"]):
        # a node left undecided (partial inference may still pass shapes around it)
        symbol._infer(shapes, type_dict, False)  # raises, naming the node that stays unknown
    if any(o is None for o in res["outputs"]):
        raise MXNetError("simple_bind: the output shapes cannot be inferred from %s" % (shapes,))
    ctx = ctx or current_context()
    args = {k: nd.zeros(v["shape"], ctx=ctx, dtype=v["dtype"]) for k, v in res["arguments"].items()}
    aux = {k: nd.zeros(v["shape"], ctx=ctx, dtype=v["dtype"]) for k, v in res["aux_states"].items()}
    return Executor(symbol, ctx, args, None, grad_req, aux)
