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


def _infer_internals(symbol, given, what):
    """name -> shape (what='shape') or dtype (what='type') of every internal output (op
    outputs as '<name>_output', variables by name), from the inputs' ``given`` values."""
    if not given:
        return {}
    internals = symbol.get_internals()
    _, outs, _ = getattr(internals, "infer_" + what)(**given)
    if outs is None:
        raise MXNetError("mx.viz: cannot infer the %ss of the graph from %s" % (what, given))
    return dict(zip(internals.list_outputs(), outs))


def _shapes(symbol, shape):
    return _infer_internals(symbol, shape, "shape")


def _out_key(node):
    return node["name"] if node["op"] == "null" else node["name"] + "_output"


# MXNet's print_summary counts the parameters of these layers only (a broadcast_mul by a
# learned scale, Deconvolution, a PReLU's gamma count 0 there)
_COUNTED_OPS = ("Convolution", "FullyConnected", "BatchNorm", "Embedding")


def print_summary(symbol, shape=None, line_length=120, positions=(.44, .64, .74, 1.)):
    """Print each layer's output shape (batch axis dropped), parameter count and inputs;
    ``shape`` maps input names to shapes (needed for shapes and counts)."""
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    nodes, _ = _graph(symbol)
    shapes = _shapes(symbol, shape)
    aux = set(symbol.list_auxiliary_states())
    # MXNet's rows: the graph's first node (the first input) and every op; a layer's
    # "previous layers" are its op inputs and that first input, with or without shapes.
    inputs = {nodes[0]["name"]} if nodes and nodes[0]["op"] == "null" else set()
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
            elif node["op"] in _COUNTED_OPS and s["name"] not in aux and not s["name"].endswith("label"):
                params += int(np.prod(shapes.get(s["name"], (0,))))
        if node["op"] == "Embedding":  # MXNet: input_dim * output_dim (its token input is no parameter)
            attrs = node.get("attrs", {})
            params = int(attrs.get("input_dim", 0)) * int(attrs.get("output_dim", 0))
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


_WEIGHT_SUFFIXES = ("_weight", "_bias", "_beta", "_gamma", "_moving_var", "_moving_mean",
                    "_running_var", "_running_mean")
# MXNet's palette, by layer family: inputs, conv/fc, activations, batchnorm, pooling,
# reshaping, softmax, everything else.
_COLORS = ("#8dd3c7", "#fb8072", "#ffffb3", "#bebada", "#80b1d3", "#fdb462", "#b3de69", "#fccde5")


def _tuple_text(value):
    """'(3, 3)' -> '3x3', as MXNet writes kernel and stride in node labels."""
    return "x".join(p.strip() for p in value.strip("()[] ").split(",") if p.strip())


def _node_look(node):
    """(label, fill colour) of an op node, following MXNet's plot_network."""
    op, name, attrs = node["op"], node["name"], node.get("attrs", {})
    if op == "Convolution":
        stride = _tuple_text(attrs["stride"]) if "stride" in attrs else "1"
        return "Convolution\n%s/%s, %s" % (_tuple_text(attrs["kernel"]), stride, attrs["num_filter"]), _COLORS[1]
    if op == "FullyConnected":
        return "FullyConnected\n%s" % attrs["num_hidden"], _COLORS[1]
    if op == "BatchNorm":
        return name, _COLORS[3]
    if op in ("Activation", "LeakyReLU"):
        return "%s\n%s" % (op, attrs.get("act_type", "Leaky" if op == "LeakyReLU" else "")), _COLORS[2]
    if op == "Pooling":
        kernel = _tuple_text(attrs["kernel"]) if "kernel" in attrs else "[]"
        stride = _tuple_text(attrs["stride"]) if "stride" in attrs else "1"
        return "Pooling\n%s, %s/%s" % (attrs.get("pool_type"), kernel, stride), _COLORS[4]
    if op in ("Concat", "Flatten", "Reshape"):
        return name, _COLORS[5]
    if op == "Softmax":
        return name, _COLORS[6]
    return (attrs["op_type"] if op == "Custom" else name), _COLORS[7]


def _edge_label(nodes, src, idx, shapes, dtypes):
    node = nodes[src]
    if node["op"] == "null":
        key = node["name"]
    else:
        n_out = int(node.get("attrs", {}).get("num_outputs", 1))
        key = node["name"] + ("_output%d" % idx if n_out > 1 else "_output")
    label = "x".join(str(d) for d in shapes.get(key, ())[1:]) if shapes else ""
    if dtypes and key in dtypes:
        label += "(%s)" % np.dtype(dtypes[key]).name  # MXNet: '5(float16)'
    return label


def plot_network(symbol, title="plot", save_format="pdf", shape=None, dtype=None, node_attrs=None,
                 hide_weights=True):
    """A ``graphviz.Digraph`` of the graph as MXNet draws it: nodes named as the symbol's
    nodes, an oval per input, a labelled box per op, edges from each op back to its inputs
    (``dir=back``, so arrows show the data flow), labelled with shapes when ``shape`` is
    given and dtypes when ``dtype`` is. Weights are not drawn as nodes; with
    ``hide_weights=False`` their edges are kept (graphviz draws them as plain ovals).
    Render it with ``.render()`` / ``.view()``."""
    try:
        from graphviz import Digraph
    except ImportError as e:
        raise ImportError("mx.viz.plot_network needs the graphviz Python package (pip install graphviz)") from e
    nodes, _ = _graph(symbol)
    shapes = _shapes(symbol, shape)
    dtypes = _infer_internals(symbol, dtype, "type")
    attrs = {"shape": "box", "fixedsize": "true", "width": "1.3", "height": "0.8034", "style": "filled"}
    attrs.update(node_attrs or {})
    dot = Digraph(name=title, format=save_format)
    hidden = set()
    for node in nodes:
        name = node["name"]
        if node["op"] == "null":
            if name.endswith(_WEIGHT_SUFFIXES):
                if hide_weights:
                    hidden.add(name)
                continue
            dot.node(name=name, label=name, **dict(attrs, shape="oval", fillcolor=_COLORS[0]))
        else:
            label, color = _node_look(node)
            dot.node(name=name, label=label, **dict(attrs, fillcolor=color))
    for node in nodes:
        if node["op"] == "null":
            continue
        for src, idx, *_ in node.get("inputs", []):
            src_name = nodes[src]["name"]
            if src_name in hidden:
                continue
            label = _edge_label(nodes, src, idx, shapes, dtypes)
            dot.edge(tail_name=node["name"], head_name=src_name, label=label, dir="back", arrowtail="open")
    return dot
