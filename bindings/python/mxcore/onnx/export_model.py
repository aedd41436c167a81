"""``mx.onnx.export_model``: an MXNet symbol + parameters to an ONNX file.

The driver loads the inputs (files or objects), runs the core's shape and
dtype inference over every internal output once, then walks the graph in
order and hands each node to its translator (``mx2onnx/``). Parameters become
initializers; the other variables become graph inputs, except the labels of
loss-output ops (SoftmaxOutput ...), which inference does not need."""
from __future__ import annotations

import json
import logging

import numpy as np

from ..base import MXNetError
from ._deps import OPSET, require_onnx
from .mx2onnx import ExportContext, MxNode, onnx_dtype, translator

__all__ = ["export_model"]
_LOG = logging.getLogger(__name__)

# ops whose input 1 is a training label: not a graph input of the exported model
_LABEL_OPS = ("SoftmaxOutput", "LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput",
              "SVMOutput")


def _load_sym(sym):
    from .. import symbol
    if isinstance(sym, str):
        return symbol.load(sym)
    if not isinstance(sym, symbol.Symbol):
        raise TypeError("export_model: sym must be a Symbol or a -symbol.json path, got %s" % type(sym).__name__)
    return sym


def _load_params(params):
    """One name -> numpy dict, from a dict (``arg:``/``aux:`` prefixes optional) or a .params path."""
    from .. import ndarray as nd
    if isinstance(params, str):
        params = nd.load(params)
    if isinstance(params, (list, tuple)) and len(params) == 2 and all(isinstance(p, dict) for p in params):
        params = dict(params[0], **params[1])  # (arg_params, aux_params)
    if not hasattr(params, "items"):
        raise TypeError("export_model: params must be a dict or a .params path, got %s" % type(params).__name__)
    out = {}
    for k, v in params.items():
        if hasattr(v, "list_ctx"):  # a gluon Parameter (a ParameterDict was passed): its value
            v = v.data()
        kind, sep, rest = k.partition(":")
        name = rest if sep and kind in ("arg", "aux") else k
        out[name] = v.asnumpy() if hasattr(v, "asnumpy") else np.asarray(v)
    return out


def _visible_counts(nodes):
    from ..symbol.symbol import _n_visible, _op_info
    counts = []
    for n in nodes:
        if n["op"] == "null":
            counts.append(1)
            continue
        info = _op_info(n["op"])
        counts.append(_n_visible(info, n.get("attrs", {})) if info else 1)
    return counts


def _data_inputs(nodes, arg_names, params):
    """Variables that are neither parameters nor loss labels, in list_arguments order."""
    labels = set()
    for n in nodes:
        if n["op"] in _LABEL_OPS and len(n["inputs"]) > 1:
            labels.add(nodes[n["inputs"][1][0]]["name"])
    return [a for a in arg_names if a not in params and a not in labels], labels


def _shape_list(in_shapes, n):
    if in_shapes is None:
        return []
    shapes = list(in_shapes)
    if shapes and all(isinstance(d, (int, np.integer)) or d is None for d in shapes) and n == 1:
        shapes = [tuple(shapes)]  # one input given as a bare tuple
    return [tuple(s) for s in shapes]


def _type_list(in_types, n):
    if isinstance(in_types, (list, tuple)):
        types = list(in_types)
    else:
        types = [in_types] * n
    if len(types) < n:
        types += [types[-1] if types else np.float32] * (n - len(types))
    return [np.dtype(t) for t in types]


def _infer(sym, shapes, types):
    """Shapes and dtypes of every internal output, keyed by internals name."""
    internals = sym.get_internals()
    names = internals.list_outputs()
    try:
        _, out_shapes, _ = internals.infer_shape(**shapes)
        _, out_types, _ = internals.infer_type(**types)
    except MXNetError as e:
        raise MXNetError("ONNX export: shape inference failed with in_shapes %s: %s" % (shapes, e)) from None
    if out_shapes is None or any(s is None for s in out_shapes):
        raise MXNetError("ONNX export: in_shapes %s do not determine every shape in the graph; give the shape "
                         "of each input" % shapes)
    return names, out_shapes, out_types


def export_model(sym, params, in_shapes=None, in_types=np.float32, onnx_file_path='model.onnx', verbose=False,
                 dynamic=False, dynamic_input_shapes=None, run_shape_inference=False, input_type=None,
                 input_shape=None, large_model=False, params_as_inputs=False):
    """Export ``sym`` + ``params`` to ONNX (opset 13) at ``onnx_file_path``; returns the path.

    ``in_shapes``/``in_types``: one entry per data input (variables not in ``params``, labels
    of SoftmaxOutput & co. excluded), in the symbol's argument order. ``dynamic=True`` with
    ``dynamic_input_shapes`` (None for a free dimension) writes symbolic input dimensions.
    ``input_shape``/``input_type`` are MXNet's older names for ``in_shapes``/``in_types``.
    ``large_model=True`` stores the tensors in one external data file next to the model.
    ``params_as_inputs=True`` (not in MXNet) also lists every initializer as a graph input, which
    MXNet 1.9.1's ``mx.contrib.onnx.import_model`` needs to read the file."""
    onnx = require_onnx()
    if input_shape is not None:
        in_shapes = input_shape
    if input_type is not None:
        in_types = input_type
    sym = _load_sym(sym)
    params = _load_params(params)
    graph = json.loads(sym.tojson())
    nodes = graph["nodes"]
    arg_names = sym.list_arguments()
    data_names, labels = _data_inputs(nodes, arg_names, params)
    shapes = _shape_list(in_shapes, len(data_names))
    if in_shapes is None or len(shapes) < len(data_names):
        missing = data_names[len(shapes):]
        users = _users(nodes, missing)
        raise MXNetError("ONNX export: no value in params and no shape in in_shapes for %s; pass a shape for "
                         "each data input in in_shapes and every parameter in params (missing parameter?)"
                         % ", ".join("'%s' (input of %s)" % (m, users.get(m, "no node")) for m in missing))
    types = _type_list(in_types, len(data_names))
    known_shapes = {n: s for n, s in zip(data_names, shapes)}
    known_shapes.update({k: v.shape for k, v in params.items() if k in arg_names})
    known_types = {n: t for n, t in zip(data_names, types)}
    known_types.update({k: v.dtype for k, v in params.items() if k in arg_names})
    names, out_shapes, out_types = _infer(sym, known_shapes, known_types)

    ctx = ExportContext(onnx.helper, onnx.numpy_helper, OPSET)
    ctx.dynamic = bool(dynamic)
    counts = _visible_counts(nodes)
    # ONNX tensor name, shape and dtype of every (node, output) entry
    entry_name, entry_shape, entry_type = {}, {}, {}
    k = 0
    for i, n in enumerate(nodes):
        for j in range(counts[i]):
            nm = n["name"] if n["op"] == "null" else names[k]
            entry_name[(i, j)], entry_shape[(i, j)], entry_type[(i, j)] = nm, tuple(out_shapes[k]), out_types[k]
            ctx.reserve(nm)
            k += 1

    aux_names = set(sym.list_auxiliary_states())
    for i, n in enumerate(nodes):
        if n["op"] != "null" or n["name"] in labels or n["name"] in data_names:
            continue
        if n["name"] not in params:
            raise MXNetError("ONNX export: missing parameter '%s' (input of %s): not in params"
                             % (n["name"], _users(nodes, [n["name"]]).get(n["name"])))
        value = params[n["name"]]
        if n["name"] not in aux_names and value.dtype == np.float64 and entry_type[(i, 0)] != np.float64:
            value = value.astype(entry_type[(i, 0)])
        ctx.initializers.append(onnx.numpy_helper.from_array(np.ascontiguousarray(value), n["name"]))

    for i, n in enumerate(nodes):
        if n["op"] == "null":
            continue
        fn = translator(n["op"])
        if fn is None:
            raise MXNetError("ONNX export: no ONNX translation for op '%s' (node '%s'); supported ops: "
                             "mx.onnx.get_operator_support()" % (n["op"], n["name"]))
        ins = [tuple(e[:2]) for e in n["inputs"]]
        outs = [(i, j) for j in range(counts[i])]
        fn(ctx, MxNode(n["name"], n["op"], n.get("attrs", {}),
                       [entry_name[e] for e in ins], [entry_shape[e] for e in ins], [entry_type[e] for e in ins],
                       [entry_name[e] for e in outs], [entry_shape[e] for e in outs],
                       [entry_type[e] for e in outs]))

    _check_produced(ctx, nodes, graph["heads"], entry_name, data_names)
    dyn = list(dynamic_input_shapes) if dynamic and dynamic_input_shapes else None
    inputs = []
    for idx, (nm, shp, t) in enumerate(zip(data_names, shapes, types)):
        dims = list(dyn[idx]) if dyn and idx < len(dyn) else list(shp)
        dims = [d if d is not None else "%s_dim%d" % (nm, a) for a, d in enumerate(dims)]
        inputs.append(onnx.helper.make_tensor_value_info(nm, onnx_dtype(t), dims))
    if params_as_inputs:
        # every initializer is also a graph input, as MXNet 1.9.1's importer needs (it finds tensors
        # only among the graph inputs); off by default: onnxruntime then cannot fold them (and warns)
        inputs += [onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in ctx.initializers]
    outputs, seen = [], set()
    for h in graph["heads"]:
        e = tuple(h[:2])
        name = entry_name[e]
        if name in seen or nodes[e[0]]["op"] == "null":
            name = ctx.add("Identity", [name], ctx.fresh(name + "_out"))  # ONNX outputs must be node outputs
        seen.add(name)
        shp = [None] * len(entry_shape[e]) if dynamic else list(entry_shape[e])  # dynamic: rank only
        outputs.append(onnx.helper.make_tensor_value_info(name, onnx_dtype(entry_type[e]), shp))

    g = onnx.helper.make_graph(ctx.nodes, "mxcore_graph", inputs, outputs, ctx.initializers)
    model = onnx.helper.make_model(g, producer_name="mxcore", opset_imports=[onnx.helper.make_opsetid("", OPSET)])
    # the IR version the opset needs, not the newest one the installed onnx knows (older runtimes refuse that)
    model.ir_version = 7
    if run_shape_inference:
        model = onnx.shape_inference.infer_shapes(model)
    if not large_model:
        onnx.checker.check_model(model)
    if verbose:
        printer = getattr(onnx, "printer", None)
        _LOG.info("ONNX graph:\n%s", printer.to_text(model.graph) if printer else
                     onnx.helper.printable_graph(model.graph))
    if large_model:
        import os
        onnx.save_model(model, onnx_file_path, save_as_external_data=True, all_tensors_to_one_file=True,
                        location=os.path.basename(onnx_file_path) + ".data")
    else:
        onnx.save_model(model, onnx_file_path)
    return onnx_file_path


def _check_produced(ctx, nodes, heads, entry_name, data_names):
    """Every output the graph uses must have come out of its translator (e.g. not rrelu's mask)."""
    made = {o for nd_ in ctx.nodes for o in nd_.output} | {t.name for t in ctx.initializers} | set(data_names)
    used = [tuple(e[:2]) for n in nodes for e in n["inputs"]] + [tuple(h[:2]) for h in heads]
    for e in used:
        if entry_name[e] not in made and nodes[e[0]]["op"] != "null":
            n = nodes[e[0]]
            raise MXNetError("ONNX export: output %d of node '%s' (op %s) has no ONNX translation"
                             % (e[1], n["name"], n["op"]))


def _users(nodes, names):
    """name -> "node 'x' (Op)": the first consumer of each variable, for error messages."""
    idx = {i: n["name"] for i, n in enumerate(nodes) if n["op"] == "null" and n["name"] in names}
    found = {}
    for n in nodes:
        for e in n["inputs"]:
            if e[0] in idx and idx[e[0]] not in found:
                found[idx[e[0]]] = "node '%s' (%s)" % (n["name"], n["op"])
    return found
