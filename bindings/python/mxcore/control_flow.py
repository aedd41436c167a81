"""MXNet 1.x's control-flow operators: ``contrib.foreach``, ``contrib.while_loop``
and ``contrib.cond``, for NDArrays (``mx.nd.contrib``) and Symbols
(``mx.sym.contrib``, i.e. ``F.contrib`` inside a hybridized block).

Eagerly they are Python loops and branches over recorded ops, so autograd
sees the ops each iteration ran. On Symbols they build MXNet's control-flow
nodes (``_foreach``, ``_while_loop``, ``_cond``): the body functions are
called once on fresh variables, their graphs become the node's subgraphs
(what the body reads from outside becomes an input of the node), and the
core's graph executor runs the loop and its gradient
(core/graph_control_flow.c). A hybridized block's export therefore runs on
sequences of any length, as MXNet's does.
"""
from __future__ import annotations

from .base import MXNetError

__all__ = ["nd_foreach", "nd_while_loop", "nd_cond", "sym_foreach", "sym_while_loop", "sym_cond"]


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _like(template, values):
    """values (a list) in the structure of template: a single item or a list."""
    return values if isinstance(template, (list, tuple)) else values[0]


_STACK_CHUNK = 256  # stack/concat take a bounded number of inputs: long loops go in chunks


def _stack_steps(F, steps):
    """steps: per iteration, a list of outputs -> one stacked array per output."""
    def stack(items):
        if len(items) <= _STACK_CHUNK:
            return F.stack(*items, axis=0)
        parts = [F.stack(*items[i:i + _STACK_CHUNK], axis=0) for i in range(0, len(items), _STACK_CHUNK)]
        return F.concat(*parts, dim=0)
    return [stack([s[k] for s in steps]) for k in range(len(steps[0]))]


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
        steps.append([] if out is None else _as_list(out))  # a func may output nothing (None)
    final = lv[0] if single_var else lv
    if not steps or out is None:
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
def _seq_mark():
    from .symbol import symbol as _s
    return next(_s._NODE_SEQ)  # nodes made from here on belong to the body


def _cut_subgraph(entries, loop_vars, start):
    """The subgraph computing `entries` (output entries of the body), copied so
    that it ends at the loop variables (nodes of `loop_vars`, Symbols) and at
    what the body reads from outside: outer variables stay variables (same
    name), outer ops' outputs become variables named after them. Returns
    (subgraph Symbol, its inputs in node order as ('loop', k) or ('free', entry))."""
    from .symbol import symbol as _s
    loops = {id(v._outs[0][0]): k for k, v in enumerate(loop_vars)}
    memo, cut, free_of = {}, {}, {}

    def outer_op(node):
        return node.op is not None and node.seq < start

    def var_for(entry):
        node, idx = entry
        key = (id(node), idx)
        if key not in cut:
            name = node.name if node.op is None else \
                ("%s_output" % node.name if node.n_vis == 1 else "%s_output%d" % (node.name, idx))
            v = _s._Node(None, name, dict(node.attrs) if node.op is None else {})
            cut[key] = v
            free_of[id(v)] = entry
        return cut[key]

    def convert(entry):
        node, idx = entry
        if id(node) in loops:
            return (node, idx)
        if node.op is None or outer_op(node):
            return (var_for(entry), 0)
        return (memo[id(node)], idx)

    # copy the body's own nodes in post-order (iterative: bodies can be deep)
    stack = [(e[0], False) for e in entries]
    while stack:
        node, expanded = stack.pop()
        if id(node) in memo or id(node) in loops or node.op is None or outer_op(node):
            continue
        if not expanded:
            stack.append((node, True))
            stack.extend((c, False) for c, _ in node.inputs)
            continue
        new = _s._Node(node.op, node.name, node.attrs, [convert(e) for e in node.inputs], node.n_vis)
        new.subgraphs = node.subgraphs
        memo[id(node)] = new
    sub = _s.Symbol([convert(e) for e in entries])
    inputs = []
    for n in _s._topo(sub._outs):
        if n.op is None:
            inputs.append(("loop", loops[id(n)]) if id(n) in loops else ("free", free_of[id(n)]))
    return sub, inputs


def _cf_node(op, name, hint, inputs, attrs, subgraphs, n_out):
    from .symbol import symbol as _s
    node = _s._Node(op, _s.current_name_manager().get(name, hint),
                    {k: str(v) for k, v in attrs.items()}, inputs, n_out)
    node.subgraphs = subgraphs
    return [_s.Symbol([(node, k)]) for k in range(n_out)]


def _single(sym_, what):
    if len(sym_._outs) != 1:
        raise MXNetError("%s: a Symbol of %d outputs; select one with [i]" % (what, len(sym_._outs)))
    return sym_._outs[0]


def _fresh_vars(syms, what):
    from . import symbol as S
    out = []
    for k, s_ in enumerate(syms):
        node, _ = _single(s_, what)
        out.append(S.var("%s-0" % (node.name if node.op is None else "%s%d" % (what, k))))
    return out


def _locs(inputs, kind, count):
    """positions (in the subgraph's input order) of loop items 0..count-1"""
    pos = [None] * count
    for p, (k, v) in enumerate(inputs):
        if k == kind and v < count:
            pos[v] = p
    return pos


def sym_foreach(body, data, init_states, name="foreach"):
    """``out, states = body(data[i], states)`` along axis 0 of data: a ``_foreach``
    node (also when tracing knows the length: the graph, and an export, then
    take any length, as MXNet's)."""
    datas, states = _as_list(data), _as_list(init_states)
    start = _seq_mark()
    dvars, svars = _fresh_vars(datas, "data"), _fresh_vars(states, "state")
    out, new_states = body(_like(data, dvars), _like(init_states, svars) if states else init_states)
    outs, news = _as_list(out), _as_list(new_states) if states else []
    if len(news) != len(states):
        raise MXNetError("foreach: the body returned %d states, expected %d" % (len(news), len(states)))
    entries = [_single(o, "foreach output") for o in outs + news]
    sub, inputs = _cut_subgraph(entries, dvars + svars, start)
    nd, ns = len(datas), len(states)
    loc = _locs(inputs, "loop", nd + ns)
    for k, p in enumerate(loc):
        if p is None:
            raise MXNetError("foreach: the body does not use its %s %d; every data and state input must be read"
                             % ("data" if k < nd else "state", k if k < nd else k - nd))
    free = [(p, v) for p, (k, v) in enumerate(inputs) if k == "free"]
    node_in = [_single(s_, "foreach input") for s_ in datas + states] + [e for _, e in free]
    attrs = {"num_args": len(node_in) + 1, "num_outputs": len(entries), "num_out_data": len(outs),
             "in_data_locs": list(loc[:nd]), "in_state_locs": list(loc[nd:]), "remain_locs": [p for p, _ in free]}
    res = _cf_node("_foreach", None if name == "foreach" else name, "_foreach", node_in, attrs, [sub], len(entries))
    out_syms = res[:len(outs)]
    st = res[len(outs):]
    return _like(out, out_syms) if outs else [], (_like(init_states, st) if states else init_states)


def sym_while_loop(cond, func, loop_vars, max_iterations=None, name="while_loop"):
    """``step_output, loop_vars = func(*loop_vars)`` while ``cond(*loop_vars)``: a
    ``_while_loop`` node whose step outputs have max_iterations rows (zeros
    past the steps that ran)."""
    if max_iterations is None:
        raise MXNetError("while_loop: max_iterations is required (the stacked outputs have that many rows)")
    lv = _as_list(loop_vars)
    start = _seq_mark()
    vars_ = _fresh_vars(lv, "loop_var")
    c = cond(*vars_)
    step_out, new_vars = func(*vars_)
    outs = [] if step_out is None else _as_list(step_out)
    news = _as_list(new_vars)
    if len(news) != len(lv):
        raise MXNetError("while_loop: func returned %d loop variables, expected %d" % (len(news), len(lv)))
    csub, cin = _cut_subgraph([_single(c, "while_loop cond")], vars_, start)
    entries = [_single(o, "while_loop output") for o in outs + news]
    fsub, fin = _cut_subgraph(entries, vars_, start)
    node_in = [_single(v, "while_loop loop var") for v in lv]
    index = {}

    def node_pos(item):
        kind, v = item
        if kind == "loop":
            return v
        key = (id(v[0]), v[1])
        if key not in index:
            index[key] = len(node_in)
            node_in.append(v)
        return index[key]
    cond_locs = [node_pos(i) for i in cin]
    func_locs = [node_pos(i) for i in fin]
    var_locs = _locs(fin, "loop", len(lv))
    if any(p is None for p in var_locs):
        raise MXNetError("while_loop: func does not use loop variable %d; every loop variable must be read"
                         % var_locs.index(None))
    attrs = {"num_args": len(node_in) + 2, "num_outputs": len(entries), "num_out_data": len(outs),
             "max_iterations": int(max_iterations), "cond_input_locs": cond_locs, "func_input_locs": func_locs,
             "func_var_locs": var_locs}
    res = _cf_node("_while_loop", None if name == "while_loop" else name, "_while_loop", node_in, attrs,
                   [csub, fsub], len(entries))
    finals = res[len(outs):]
    final = finals[0] if not isinstance(loop_vars, (list, tuple)) else finals
    return (_like(step_out, res[:len(outs)]) if outs else []), final


def sym_cond(pred, then_func, else_func, name="cond"):
    """``then_func()`` if pred is nonzero else ``else_func()``: a ``_cond`` node that
    runs one branch."""
    from . import symbol as S
    start = _seq_mark()
    p = S.identity(pred)
    then_out, else_out = then_func(), else_func()
    t, e = _as_list(then_out), _as_list(else_out)
    if len(t) != len(e):
        raise MXNetError("cond: then_func returned %d outputs, else_func %d" % (len(t), len(e)))
    subs, maps, node_in, index = [], [], [], {}
    for outs_ in ([p], t, e):
        sub, ins = _cut_subgraph([_single(o, "cond output") for o in outs_], [], start)
        locs = []
        for _, entry in ins:
            key = (id(entry[0]), entry[1])
            if key not in index:
                index[key] = len(node_in)
                node_in.append(entry)
            locs.append(index[key])
        subs.append(sub)
        maps.append(locs)
    attrs = {"num_args": len(node_in) + 3, "num_outputs": len(t), "cond_input_locs": maps[0],
             "then_input_locs": maps[1], "else_input_locs": maps[2]}
    res = _cf_node("_cond", None if name == "cond" else name, "_cond", node_in, attrs, subs, len(t))
    return _like(then_out, res)
