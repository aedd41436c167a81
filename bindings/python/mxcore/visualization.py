"""``mx.viz``: look at a Symbol, as in MXNet 1.x.

``print_summary`` prints one row per layer (output shape without the batch
axis, parameter count, the layers it reads); ``plot_network`` returns a
``graphviz.Digraph`` of the graph (needs the ``graphviz`` Python package)."""
from __future__ import annotations

import json

import numpy as np

from .base import MXNetError

__all__ = ["print_summary", "plot_network"]


def _graph(symbol):
    g = json.loads(symbol.tojson())
    return g["nodes"], set(g["arg_nodes"])


def _shapes(symbol, shape):
    """name -> shape of every internal output (op outputs as '<name>_output', variables by name)."""
    if not shape:
        return {}
    internals = symbol.get_internals()
    _, out_shapes, _ = internals.infer_shape(**shape)
    if out_shapes is None:
        raise MXNetError("print_summary: cannot infer shapes from %s" % (shape,))
    return dict(zip(internals.list_outputs(), out_shapes))


def _out_key(node):
    return node["name"] if node["op"] == "null" else node["name"] + "_output"


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print each layer's output shape (batch axis dropped), parameter count and inputs;
    ``shape`` maps input names to shapes (needed for shapes and counts)."""
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    nodes, _ = _graph(symbol)
    shapes = _shapes(symbol, shape)
    aux = set(symbol.list_auxiliary_states())
    inputs = set(shape or {})
    lines = []

    def row(fields):
        text = ""
        for i, f in enumerate(fields):
            text = (text + str(f))[:positions[i]].ljust(positions[i])
        lines.append(text)

    lines.append("_" * line_length)
    row(["Layer (type)", "Output Shape", "Param #", "Previous Layer"])
    lines.append("=" * line_length)
    total = 0
    shown = [n for n in nodes if n["op"] != "null" or n["name"] in inputs]
    for k, node in enumerate(shown):
        params, prev = 0, []
        for src, _idx, *_ in node.get("inputs", []):
            s = nodes[src]
            if s["op"] != "null" or s["name"] in inputs:
                prev.append(s["name"])
            elif s["name"] not in aux and not s["name"].endswith("label"):
                params += int(np.prod(shapes.get(s["name"], (0,))))
        total += params
        out = shapes.get(_out_key(node))
        out_s = "x".join(str(d) for d in out[1:]) if out is not None else ""
        row(["%s(%s)" % (node["name"], node["op"]), out_s, params, prev[0] if prev else ""])
        for p in prev[1:]:
            row(["", "", "", p])
        lines.append(("=" if k == len(shown) - 1 else "_") * line_length)
    lines.append("Total params: %d" % total)
    lines.append("_" * line_length)
    print("\n".join(lines))


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None, node_attrs=None,
                 hide_weights=True):
    """A ``graphviz.Digraph`` with one box per op (and per input), edges labelled with
    shapes when ``shape`` is given. Render it with ``.render()`` / ``.view()``."""
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError("mx.viz.plot_network needs the graphviz Python package (pip install graphviz)") from e
    nodes, _ = _graph(symbol)
    shapes = _shapes(symbol, shape)
    attrs = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034", "style": "filled"}
    attrs.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for i, node in enumerate(nodes):
        name, op = node["name"], node["op"]
        if op == "null":
            if hide_weights and (name.endswith(("_weight", "_bias", "_gamma", "_beta", "_moving_mean",
                                                 "_moving_var", "_running_mean", "_running_var"))):
                hidden.add(i)
                continue
            label, color = name, "#8dd3c7"
        else:
            label, color = "%s\n%s" % (op, name), "#fb8072" if "Convolution" in op else "#fccde5"
        dot.node(name=str(i), label=label, **dict(attrs, fillcolor=color))
    for i, node in enumerate(nodes):
        if i in hidden:
            continue
        for src, idx, *_ in node.get("inputs", []):
            if src in hidden:
                continue
            s = shapes.get(_out_key(nodes[src]))
            label = "x".join(str(d) for d in s[1:]) if s is not None else ""
            dot.edge(tail_name=str(src), head_name=str(i), label=label, dir="back")
    return dot
