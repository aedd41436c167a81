"""``mx.contrib.onnx.import_model`` / ``import_to_gluon`` / ``get_model_metadata``.

The driver reads the model, takes initializers and Constant nodes as
constants, folds nodes whose inputs are all constant (the shape arithmetic
PyTorch exports write around Reshape) in numpy, and hands every other node to
its translator (``onnx2mx/``). Constants that end up used as tensors become
parameters: ``aux_params`` for the inputs MXNet treats as auxiliary states
(BatchNorm's running statistics), ``arg_params`` for the rest."""
from __future__ import annotations

import numpy as np

from ..base import MXNetError
from ._deps import require_onnx
from .onnx2mx import ImportContext, OnnxNode, fold, translator

__all__ = ["get_model_metadata", "import_model", "import_to_gluon"]


def _load(model_file):
    onnx = require_onnx()
    if not isinstance(model_file, str):
        return onnx, model_file  # a ModelProto already
    try:
        model = onnx.load(model_file)
    except FileNotFoundError:
        raise MXNetError("ONNX import: no such file '%s'" % model_file) from None
    except Exception as e:  # noqa: BLE001  (protobuf raises its own DecodeError)
        raise MXNetError("ONNX import: '%s' is not an ONNX model file (%s: %s)"
                         % (model_file, type(e).__name__, e)) from None
    if not model.HasField("graph") or not model.graph.node:
        raise MXNetError("ONNX import: '%s' is not an ONNX model file (no graph nodes)" % model_file)
    return onnx, model


def _attrs(onnx, node):
    out = {}
    for a in node.attribute:
        v = onnx.helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list) and v and isinstance(v[0], bytes):
            v = [x.decode() for x in v]
        out[a.name] = v
    return out


def _dims(value_info):
    return [d.dim_value if d.HasField("dim_value") else None
            for d in value_info.type.tensor_type.shape.dim]


def _default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return 13


def _build(model_file):
    onnx, model = _load(model_file)
    try:
        return _build_graph(onnx, model)
    except MXNetError:
        raise
    except Exception as e:  # noqa: BLE001  (a damaged file: names that are not text, ...)
        raise MXNetError("ONNX import: the graph of '%s' cannot be read (%s: %s)"
                         % (model_file if isinstance(model_file, str) else "the model", type(e).__name__, e)) from None


def _build_graph(onnx, model):
    g = model.graph
    ctx = ImportContext(_default_opset(model), {})
    for t in g.initializer:
        try:
            ctx.consts[t.name] = onnx.numpy_helper.to_array(t)
        except Exception as e:  # noqa: BLE001  (a damaged file: unknown data type, short raw data, ...)
            raise MXNetError("ONNX import: initializer '%s' cannot be read (%s: %s)"
                             % (t.name, type(e).__name__, e)) from None
    data_inputs = [i for i in g.input if i.name not in ctx.consts]  # IR < 4 lists initializers as inputs too
    for i in data_inputs:
        dims = _dims(i)
        ctx.input_shapes[i.name] = tuple(d if d else 1 for d in dims)
        if not all(dims):
            ctx.free_inputs.add(i.name)
        ctx._names.add(i.name)
        ctx.tensors[i.name] = ctx.sym_mod.var(i.name)
    for k, node in enumerate(g.node):
        name = node.name or "%s_%d" % (node.op_type, k)
        try:
            _import_node(onnx, ctx, node, name)
        except MXNetError:
            raise
        except Exception as e:  # noqa: BLE001  (attributes of the wrong type or value in a damaged file)
            raise MXNetError("ONNX import: node '%s' (op '%s') cannot be translated (%s: %s)"
                             % (name, node.op_type, type(e).__name__, e)) from None
    outputs = [ctx.sym(o.name) for o in g.output]
    sym = outputs[0] if len(outputs) == 1 else ctx.sym_mod.Group(outputs)
    return sym, ctx, [i.name for i in data_inputs]


def _import_node(onnx, ctx, node, name):
    n = OnnxNode(node.op_type, name, list(node.input), list(node.output), _attrs(onnx, node))
    if node.domain not in ("", "ai.onnx"):
        n.fail("domain '%s' is not supported (only the default ONNX domain)" % node.domain)
    if fold(ctx, n):
        return
    fn = translator(n.op_type)
    if fn is None:
        raise MXNetError("ONNX import: no MXNet translation for op '%s' (node '%s')" % (n.op_type, n.name))
    outs = fn(ctx, n)
    outs = outs if isinstance(outs, (list, tuple)) else [outs]
    for out_name, s in zip(n.outputs, outs):
        if out_name:
            ctx.tensors[out_name] = s


def _split_params(sym, params):
    from .. import ndarray as nd
    aux_names = set(sym.list_auxiliary_states())
    arg_names = set(sym.list_arguments())
    arg_params, aux_params = {}, {}
    for k, v in params.items():
        arr = nd.array(v, dtype=v.dtype if v.dtype != np.float64 else np.float32)
        if k in aux_names:
            aux_params[k] = arr
        elif k in arg_names:
            arg_params[k] = arr
    return arg_params, aux_params


def import_model(model_file):
    """``(sym, arg_params, aux_params)`` of an ONNX model file (or ModelProto); the symbol's data
    inputs keep the ONNX graph input names."""
    sym, ctx, _ = _build(model_file)
    arg_params, aux_params = _split_params(sym, ctx.params)
    return sym, arg_params, aux_params


def import_to_gluon(model_file, ctx):
    """A ``gluon.SymbolBlock`` of the ONNX model with its parameters loaded on ``ctx``."""
    from .. import symbol
    from ..gluon import SymbolBlock
    sym, ictx, data_names = _build(model_file)
    arg_params, aux_params = _split_params(sym, ictx.params)
    net = SymbolBlock(sym, [symbol.var(n) for n in data_names])
    values = dict(arg_params, **aux_params)
    for p in net.collect_params().values():
        if p.name in values:
            p._load_init(values[p.name], ctx)
    return net


def get_model_metadata(model_file):
    """``{'input_tensor_data': [(name, shape)], 'output_tensor_data': [(name, shape)]}`` of the
    graph's data inputs and outputs (a free dimension reads 0, as in MXNet)."""
    _, model = _load(model_file)
    g = model.graph
    inits = {t.name for t in g.initializer}
    shape = lambda vi: tuple(d or 0 for d in _dims(vi))
    return {"input_tensor_data": [(i.name, shape(i)) for i in g.input if i.name not in inits],
            "output_tensor_data": [(o.name, shape(o)) for o in g.output]}
