"""ONNX LSTM / GRU / RNN -> MXNet's fused ``RNN`` op (one layer per ONNX node).

The inverse of ``mx2onnx/rnn.py``: W, R and B must be constants; their gate blocks
are put back in MXNet's order and packed into one flat parameter vector."""
from __future__ import annotations

import numpy as np

from ._registry import register

# MXNet gate order as indices into ONNX's (LSTM i, o, f, c -> i, f, g, o; GRU z, r, h -> r, z, n)
_TO_MX = {"LSTM": [0, 2, 3, 1], "GRU": [1, 0, 2], "RNN": [0]}


def _regate(block, op_type, hidden):
    """Rows of one direction's (ng*H, ...) tensor reordered from ONNX's gate order to MXNet's."""
    return np.concatenate([block[g * hidden:(g + 1) * hidden] for g in _TO_MX[op_type]], axis=0)


def _flat_params(ctx, n, hidden, dirs):
    w, r = ctx.const(n, 1), ctx.const(n, 2)
    ng = len(_TO_MX[n.op_type])
    b = ctx.const(n, 3, np.zeros((dirs, 2 * ng * hidden), dtype=w.dtype))
    weights, biases = [], []
    for d in range(dirs):
        weights += [_regate(w[d], n.op_type, hidden).reshape(-1), _regate(r[d], n.op_type, hidden).reshape(-1)]
        biases += [_regate(b[d][:ng * hidden], n.op_type, hidden), _regate(b[d][ng * hidden:], n.op_type, hidden)]
    return np.concatenate(weights + biases).astype(w.dtype)


def _zero_state(ctx, n, x, dirs, hidden):
    """(dirs, batch, H) zeros, the batch taken from the data at run time."""
    s = ctx.sym_mod
    step = s.slice_axis(x, axis=0, begin=0, end=1)
    z = s.sum(s.zeros_like(step), axis=2, keepdims=True)  # (1, batch, 1)
    return s.broadcast_to(z, shape=(dirs, 0, hidden), name=ctx.mx_name(n.name + "_zero_state"))


@register("LSTM", "GRU", "RNN")
def _rnn(ctx, n):
    a = n.attrs
    hidden = a["hidden_size"]
    direction = a.get("direction", "forward")
    if direction == "reverse":
        n.fail("direction='reverse' has no MXNet translation")
    if a.get("layout", 0) or "clip" in a or a.get("input_forget", 0):
        n.fail("layout=1, clip and input_forget have no MXNet translation")
    if n.op_type == "GRU" and not a.get("linear_before_reset", 0):
        n.fail("linear_before_reset=0 has no MXNet translation (MXNet's GRU resets after the linear map)")
    mode = {"LSTM": "lstm", "GRU": "gru"}.get(n.op_type)
    if mode is None:
        acts = {x.lower() for x in a.get("activations", ["Tanh"])}
        if acts not in ({"tanh"}, {"relu"}):
            n.fail("activations %s have no MXNet translation" % a.get("activations"))
        mode = "rnn_" + acts.pop()
    elif "activations" in a:
        n.fail("custom activations have no MXNet translation")
    dirs = 2 if direction == "bidirectional" else 1
    name = ctx.mx_name(n.name)
    x = ctx.sym(n.inputs[0])
    params = ctx.param(name + "_parameters", _flat_params(ctx, n, hidden, dirs))
    h0 = ctx.sym(n.input(5)) if n.input(5) else _zero_state(ctx, n, x, dirs, hidden)
    ins = [x, params, h0]
    if mode == "lstm":
        ins.append(ctx.sym(n.input(6)) if n.input(6) else _zero_state(ctx, n, x, dirs, hidden))
    kw = {}
    if n.input(4):
        ins.append(ctx.sym_mod.Cast(ctx.sym(n.input(4)), dtype="float32"))
        kw["use_sequence_length"] = True
    out = ctx.sym_mod.RNN(*ins, state_size=hidden, num_layers=1, mode=mode, bidirectional=dirs == 2,
                          state_outputs=True, name=name, **kw)
    # MXNet's (seq, batch, dirs*H) -> ONNX's Y (seq, dirs, batch, H)
    y = ctx.sym_mod.transpose(ctx.sym_mod.reshape(out[0], shape=(0, 0, dirs, hidden)), axes=(0, 2, 1, 3),
                              name=name + "_y")
    return [y, out[1]] + ([out[2]] if mode == "lstm" else [])
