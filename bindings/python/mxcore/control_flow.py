"""MXNet 1.x's control-flow operators: ``contrib.foreach``, ``contrib.while_loop``
and ``contrib.cond``, for NDArrays (``mx.nd.contrib``) and Symbols
(``mx.sym.contrib``, i.e. ``F.contrib`` inside a hybridized block).

Eagerly they are Python loops and branches over recorded ops, so autograd
sees the ops each iteration ran. Inside a graph there are no subgraph ops:
``foreach`` is unrolled over the loop length, which tracing knows from the
input shapes; ``cond`` computes both branches and selects with ``where``
(gradients reach both branches' inputs only through the selected one);
``while_loop``'s trip count depends on values, so it raises in a graph."""
from __future__ import annotations

from .base import MXNetError

__all__ = ["nd_foreach", "nd_while_loop", "nd_cond", "sym_foreach", "sym_while_loop", "sym_cond"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _like(template, values):
    """values (a list) in the structure of template: a single item or a list."""
    return values if isinstance(template, (list, tuple)) else values[0]


def _stack_steps(F, steps):
    """steps: per iteration, a list of outputs -> one stacked array per output."""
    return [F.stack(*[s[k] for s in steps], axis=0) for k in range(len(steps[0]))]


# ---- NDArray --------------------------------------------------------------------------
def nd_foreach(body, data, init_states, name="foreach"):
    """Run ``out, states = body(data[i], states)`` for i along axis 0 of data (an
    array or a list of arrays); returns (outputs stacked along axis 0, last states)."""
    from . import ndarray as nd
    datas = _as_list(data)
    n = datas[0].shape[0]
    if any(d.shape[0] != n for d in datas):
        raise MXNetError("foreach: every data array needs the same length along axis 0, got %s"
                         % [d.shape for d in datas])
    states, steps, out = init_states, [], None
    for i in range(n):
        item = [d[i] for d in datas]
        out, states = body(_like(data, item), states)
        steps.append(_as_list(out))
    if not steps:
        raise MXNetError("foreach: data has length 0 along axis 0; nothing to iterate")
    return _like(out, _stack_steps(nd, steps)), states


def nd_while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """Run ``step_output, loop_vars = func(*loop_vars)`` while ``cond(*loop_vars)`` is
    nonzero, at most ``max_iterations`` times. Returns (step outputs stacked along axis
    0 and zero-padded to max_iterations rows, as MXNet does; [] if no step ran, final
    loop_vars)."""
    from . import ndarray as nd
    if max_iterations is None:
        raise MXNetError("while_loop: max_iterations is required (the stacked outputs have that many rows)")
    max_iterations = int(max_iterations)
    if max_iterations < 0:
        raise MXNetError("while_loop: max_iterations must be >= 0, got %d" % max_iterations)
    single_var = not isinstance(loop_vars, (list, tuple))
    lv = _as_list(loop_vars)
    steps, out = [], None
    for _ in range(max_iterations):
        c = cond(*lv)
        if not bool((c.asscalar() if hasattr(c, "asscalar") else c)):
            break
        out, new_vars = func(*lv)
        new_vars = _as_list(new_vars)
        if len(new_vars) != len(lv):
            raise MXNetError("while_loop: func returned %d loop variables, expected %d" % (len(new_vars), len(lv)))
        lv = new_vars
        steps.append(_as_list(out))
    final = lv[0] if single_var else lv
    if not steps:
        return [], final
    stacked = []
    for s in _stack_steps(nd, steps):
        if s.shape[0] < max_iterations:  # MXNet pads to max_iterations rows
            pad = nd.zeros((max_iterations - s.shape[0],) + s.shape[1:], ctx=s.context, dtype=s.dtype)
            s = nd.concat(s, pad, dim=0)
        stacked.append(s)
    return _like(out, stacked), final


def nd_cond(pred, then_func, else_func, name="cond"):
    """``then_func()`` if pred (a one-element array) is nonzero, else ``else_func()``."""
    p = pred.asscalar() if hasattr(pred, "asscalar") else pred
    return then_func() if bool(p) else else_func()


# ---- Symbol ---------------------------------------------------------------------------
def _length(sym_, what):
    shape = sym_._known_shape()
    if shape is None:
        raise MXNetError("%s: inside a symbol graph the loop length must be known from the input shapes; "
                         "call it from a hybridized block's hybrid_forward (tracing knows the shapes) or "
                         "give the data variable a shape" % what)
    return shape[0]


def sym_foreach(body, data, init_states, name="foreach"):
    """foreach unrolled in the graph over the (traced) length of axis 0."""
    from . import symbol as S
    datas = _as_list(data)
    n = _length(datas[0], "foreach")
    if n == 0:
        raise MXNetError("foreach: data has length 0 along axis 0; nothing to iterate")
    slices = []
    for d in datas:
        parts = S.split(d, num_outputs=n, axis=0, squeeze_axis=True) if n > 1 else [S.squeeze(d, axis=0)]
        slices.append([parts[i] for i in range(n)])
    states, steps, out = init_states, [], None
    for i in range(n):
        out, states = body(_like(data, [s[i] for s in slices]), states)
        steps.append(_as_list(out))
    return _like(out, _stack_steps(S, steps)), states


def sym_while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    raise MXNetError("while_loop: its number of steps depends on values, which a graph cannot express here; "
                     "inside hybridize use foreach over a fixed length, or run the loop eagerly "
                     "(a Block instead of a HybridBlock)")


def sym_cond(pred, then_func, else_func, name="cond"):
    """Both branches computed; each output selected elementwise with where(pred)."""
    from . import symbol as S
    then_out, else_out = then_func(), else_func()
    t, e = _as_list(then_out), _as_list(else_out)
    if len(t) != len(e):
        raise MXNetError("cond: then_func returned %d outputs, else_func %d" % (len(t), len(e)))
    picked = []
    for a, b in zip(t, e):
        shape = a._known_shape()
        if shape is None:
            raise MXNetError("cond: inside a symbol graph the branch output shapes must be known; call it "
                             "from a hybridized block's hybrid_forward")
        mask = S.broadcast_to(S.reshape(pred, shape=(1,) * len(shape)), shape=shape) if shape else pred
        picked.append(S.where(mask, a, b))
    return _like(then_out, picked)
