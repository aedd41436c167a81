"""The import translator table and the context translators read from.

A translator is ``fn(ctx, node)`` for one ONNX node (``node.attrs`` already
decoded to Python values); it returns the MXNet Symbol of each output (one
Symbol or a list). Constant inputs (initializers, Constant nodes, and
subgraphs of those that the driver folded) are read with ``ctx.const``;
tensors with ``ctx.sym``, which turns a constant into a parameter variable."""
from __future__ import annotations

import numpy as np

from ...base import MXNetError
from .._table import Table, unique_name

_TABLE = Table()
register, translator, supported_ops = _TABLE.register, _TABLE.get, _TABLE.names


class OnnxNode:
    """One ONNX node: ``op_type``, ``name`` (never empty), ``inputs``, ``outputs``, ``attrs``."""

    def __init__(self, op_type, name, inputs, outputs, attrs):
        self.op_type, self.name, self.inputs, self.outputs, self.attrs = op_type, name, inputs, outputs, attrs

    def input(self, i):
        """The i-th input name, or None when absent (ONNX writes "" for a skipped optional input)."""
        return self.inputs[i] if i < len(self.inputs) and self.inputs[i] else None

    def fail(self, why):
        raise MXNetError("ONNX import: node '%s' (op %s): %s" % (self.name, self.op_type, why))


class ImportContext:
    """Tensors built so far (ONNX name -> Symbol), constants (name -> numpy) and parameters."""

    def __init__(self, opset, input_shapes):
        from ... import symbol
        self.sym_mod = symbol
        self.opset = opset
        self.input_shapes = input_shapes  # graph input name -> static shape (free dims as 1)
        self.free_inputs = set()  # graph inputs with a free (symbolic) dim
        self.tensors, self.consts, self.params = {}, {}, {}
        self._names = set()

    def mx_name(self, hint):
        """A node name not used yet in the MXNet graph."""
        return unique_name(hint, self._names)

    def is_const(self, name):
        return name in self.consts

    def const(self, node, i, default=None):
        """Input ``i`` of ``node`` as a numpy array; it must be a constant."""
        name = node.input(i)
        if name is None:
            return default
        if name not in self.consts:
            node.fail("input %d ('%s') must be a constant (an initializer or Constant)" % (i, name))
        return self.consts[name]

    def sym(self, name):
        """The Symbol of tensor ``name``; a constant becomes a parameter variable on first use."""
        if name in self.tensors:
            return self.tensors[name]
        if name in self.consts:
            value = self.consts[name]
            if value.dtype == object:
                raise MXNetError("ONNX import: tensor '%s' is computed from a dynamic input dimension (%s); only "
                                 "Reshape's shape may be (give the input a static shape to fold it)"
                                 % (name, ", ".join(map(repr, value.reshape(-1)))))
            vname = self.mx_name(name)
            self.params[vname] = value
            s = self.sym_mod.var(vname, shape=value.shape, dtype=value.dtype if value.dtype != np.float64
                                 else np.float32)
            self.tensors[name] = s
            return s
        raise MXNetError("ONNX import: tensor '%s' is used before any node produces it" % name)

    def param(self, hint, value):
        """A new parameter variable holding ``value`` (e.g. a transposed weight)."""
        vname = self.mx_name(hint)
        self.params[vname] = np.asarray(value)
        return self.sym_mod.var(vname, shape=np.shape(value))

    def shape(self, name):
        """The static shape of tensor ``name`` (free input dims taken as 1), or None if unknown."""
        if name in self.consts:
            return tuple(self.consts[name].shape)
        s = self.tensors.get(name)
        if s is None:
            return None
        args = set(s.list_arguments())
        known = {k: v for k, v in self.input_shapes.items() if k in args}
        known.update({k: v.shape for k, v in self.params.items() if k in args})
        try:
            _, out, _ = s.infer_shape(**known)
        except MXNetError:
            return None
        return tuple(out[0]) if out and out[0] is not None else None
