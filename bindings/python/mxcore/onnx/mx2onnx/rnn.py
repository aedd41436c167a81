"""The fused ``RNN`` op (LSTM, GRU, vanilla) -> ONNX LSTM / GRU / RNN, one ONNX node per layer.

MXNet keeps every weight and bias in one flat vector (layer by layer, direction by
direction: i2h weight, h2h weight; then all the biases), with gates ordered LSTM
i, f, g, o and GRU r, z, n. ONNX wants per-layer W, R, B tensors with gates LSTM
i, o, f, c and GRU z, r, h. The flat vector is usually computed in the graph
(Gluon concatenates its per-layer parameters), so the gates are cut out of it
with Slice nodes, which onnxruntime folds when the vector is constant."""
from __future__ import annotations

from ._registry import register

# ONNX gate order as indices into MXNet's order
_GATES = {"lstm": [0, 3, 1, 2], "gru": [1, 0, 2], "rnn_tanh": [0], "rnn_relu": [0]}


@register("_rnn_param_concat")
def _rnn_param_concat(ctx, n):
    ctx.add("Concat", n.inputs, n.outputs[0], axis=n.int("dim", 0))


class _FlatParams:
    """Cuts gate blocks out of the flat parameter vector, in MXNet's layout order."""

    def __init__(self, ctx, n, flat, mode, hidden, layers, dirs, input_size):
        self.ctx, self.n, self.flat = ctx, n, flat
        self.order, self.ng, self.h = _GATES[mode], len(_GATES[mode]), hidden
        sizes = [input_size if layer == 0 else dirs * hidden for layer in range(layers)]
        # offsets of every (layer, direction) i2h/h2h weight and bias
        self.w, off = {}, 0
        for layer in range(layers):
            for d in range(dirs):
                self.w[(layer, d, "i2h")] = (off, sizes[layer])
                off += self.ng * hidden * sizes[layer]
                self.w[(layer, d, "h2h")] = (off, hidden)
                off += self.ng * hidden * hidden
        self.b = {}
        for layer in range(layers):
            for d in range(dirs):
                for kind in ("i2h", "h2h"):
                    self.b[(layer, d, kind)] = off
                    off += self.ng * hidden

    def _chunk(self, start, length):
        c = self.ctx
        return c.add("Slice", [self.flat, c.int64s(self.n.name + "_s", [start]),
                               c.int64s(self.n.name + "_e", [start + length]), c.int64s(self.n.name + "_a", [0])],
                     hint=self.n.name)

    def _gates(self, start, block):
        """One (layer, direction) tensor's gate blocks, each ``block`` long, in ONNX order (1-D)."""
        parts = [self._chunk(start + g * block, block) for g in self.order]
        return parts[0] if len(parts) == 1 else self.ctx.add("Concat", parts, hint=self.n.name, axis=0)

    def weight(self, layer, dirs, kind):
        """W (kind i2h) or R (h2h) of one layer: (dirs, ng*H, cols)."""
        c, h = self.ctx, self.h
        cols = self.w[(layer, 0, kind)][1]
        per_dir = [self._gates(self.w[(layer, d, kind)][0], h * cols) for d in range(dirs)]
        flat = per_dir[0] if dirs == 1 else c.add("Concat", per_dir, hint=self.n.name, axis=0)
        return c.add("Reshape", [flat, c.int64s(self.n.name + "_wshape", [dirs, self.ng * h, cols])],
                     hint=self.n.name)

    def bias(self, layer, dirs):
        """B of one layer: (dirs, 2*ng*H), the i2h then the h2h biases."""
        c, h = self.ctx, self.h
        per_dir = []
        for d in range(dirs):
            per_dir += [self._gates(self.b[(layer, d, kind)], h) for kind in ("i2h", "h2h")]
        flat = c.add("Concat", per_dir, hint=self.n.name, axis=0)
        return c.add("Reshape", [flat, c.int64s(self.n.name + "_bshape", [dirs, 2 * self.ng * h])], hint=self.n.name)


def _layer_state(ctx, n, state, layer, dirs):
    return ctx.add("Slice", [state, ctx.int64s(n.name + "_s", [layer * dirs]),
                             ctx.int64s(n.name + "_e", [(layer + 1) * dirs]), ctx.int64s(n.name + "_a", [0])],
                   hint=n.name)


@register("RNN")
def _rnn(ctx, n):
    mode = n.str("mode")
    if n.has("projection_size"):
        n.fail("projection_size (LSTMP) has no ONNX translation")
    if mode == "lstm" and (n.has("lstm_state_clip_min") or n.has("lstm_state_clip_max")):
        n.fail("lstm_state_clip_min/max have no ONNX translation (ONNX clips gates, not the cell)")
    lstm = mode == "lstm"
    hidden, layers = n.int("state_size"), n.int("num_layers", 1)
    dirs = 2 if n.bool("bidirectional") else 1
    params = _FlatParams(ctx, n, n.inputs[1], mode, hidden, layers, dirs, n.in_shapes[0][2])
    state, cell = n.inputs[2], n.inputs[3] if lstm else None
    lens = None
    if n.bool("use_sequence_length"):
        lens = ctx.add("Cast", [n.inputs[4 if lstm else 3]], hint=n.name, to=6)  # int32
    onnx_op = {"lstm": "LSTM", "gru": "GRU"}.get(mode, "RNN")
    extra = {"linear_before_reset": 1} if mode == "gru" else {}  # MXNet's GRU: r * (W_hn h + b_hn)
    if mode in ("rnn_tanh", "rnn_relu"):
        extra["activations"] = ["Tanh" if mode == "rnn_tanh" else "Relu"] * dirs
    x, hs, cs = n.inputs[0], [], []
    for layer in range(layers):
        ins = [x, params.weight(layer, dirs, "i2h"), params.weight(layer, dirs, "h2h"), params.bias(layer, dirs),
               lens or "", _layer_state(ctx, n, state, layer, dirs)]
        outs = [ctx.fresh(n.name + "_y"), ctx.fresh(n.name + "_hy")]
        if lstm:
            ins.append(_layer_state(ctx, n, cell, layer, dirs))
            outs.append(ctx.fresh(n.name + "_cy"))
        res = ctx.add(onnx_op, ins, outs, hidden_size=hidden, direction="bidirectional" if dirs == 2 else "forward",
                      **extra)
        hs.append(res[1])
        if lstm:
            cs.append(res[2])
        # (seq, dirs, batch, H) -> (seq, batch, dirs*H): MXNet's output, the next layer's input
        y = ctx.add("Transpose", [res[0]], hint=n.name, perm=[0, 2, 1, 3])
        last = layer == layers - 1
        x = ctx.add("Reshape", [y, ctx.int64s(n.name + "_yshape", [0, 0, -1])], n.outputs[0] if last else None,
                    hint=n.name)
    for out, parts in zip(n.outputs[1:], [hs, cs]):
        ctx.add("Concat", parts, out, axis=0) if len(parts) > 1 else ctx.add("Identity", parts, out)
