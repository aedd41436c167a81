"""The export translator table and the context translators write into.

A translator is ``fn(ctx, node)``: it reads one MXNet node (attributes, the
ONNX names, shapes and dtypes of its inputs and outputs, all known because the
driver ran shape/dtype inference first) and appends ONNX nodes and constants
to ``ctx``. It must produce ``node.outputs`` under exactly those names."""
from __future__ import annotations

import ast

import numpy as np

from ...base import MXNetError
from .._deps import onnx_dtype  # noqa: F401  (translators import it from here)
from .._table import Table, unique_name

_TABLE = Table()
register, translator, supported_ops = _TABLE.register, _TABLE.get, _TABLE.names


class MxNode:
    """One MXNet graph node as translators see it."""

    def __init__(self, name, op, attrs, inputs, in_shapes, in_dtypes, outputs, out_shapes, out_dtypes):
        self.name, self.op, self.attrs = name, op, attrs
        self.inputs, self.in_shapes, self.in_dtypes = inputs, in_shapes, in_dtypes
        self.outputs, self.out_shapes, self.out_dtypes = outputs, out_shapes, out_dtypes

    # MXNet keeps every attribute as a string ("(3, 3)", "True", "None")
    def has(self, key):
        v = self.attrs.get(key)
        return v is not None and v not in ("None", "")

    def str(self, key, default=None):
        return self.attrs[key] if self.has(key) else default

    def int(self, key, default=None):
        return int(self.attrs[key]) if self.has(key) else default

    def float(self, key, default=None):
        return float(self.attrs[key]) if self.has(key) else default

    def bool(self, key, default=False):
        return self.attrs[key].strip().lower() in ("true", "1") if self.has(key) else default

    def tuple(self, key, default=None):
        """A tuple attribute; ``None`` entries (slice bounds) stay None."""
        if not self.has(key):
            return default
        v = ast.literal_eval(self.attrs[key])
        return tuple(v) if isinstance(v, (tuple, list)) else (v,)

    def fail(self, why):
        raise MXNetError("ONNX export: node '%s' (op %s): %s" % (self.name, self.op, why))


class ExportContext:
    """Collects the ONNX nodes and initializers of the graph being built."""

    def __init__(self, helper, numpy_helper, opset):
        self.helper, self.numpy_helper, self.opset = helper, numpy_helper, opset
        self.nodes, self.initializers = [], []
        self._used = set()
        self.dynamic = False  # symbolic input dims: shape-dependent ops compute shapes at run time

    def reserve(self, name):
        self._used.add(name)

    def fresh(self, hint):
        return unique_name(hint, self._used)

    def add(self, op_type, inputs, outputs=None, hint=None, **attrs):
        """Append one ONNX node; ``outputs`` None makes one fresh output. Returns the output name
        (or the list when there are several)."""
        if outputs is None:
            outputs = [self.fresh(hint or op_type.lower())]
        elif isinstance(outputs, str):
            outputs = [outputs]
        name = self.fresh("%s_%s" % (hint or outputs[0], op_type))
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), list(outputs), name=name, **attrs))
        return outputs[0] if len(outputs) == 1 else list(outputs)

    def const(self, hint, value, dtype=None):
        """An initializer holding ``value`` (numpy-convertible); returns its name."""
        arr = np.asarray(value, dtype=dtype)
        name = self.fresh(hint)
        self.initializers.append(self.numpy_helper.from_array(arr, name))
        return name

    def int64s(self, hint, values):
        return self.const(hint, np.asarray(list(values), dtype=np.int64))

    def scalar(self, hint, value, dtype):
        """A 0-d constant in ``dtype`` (the dtype of the tensor it combines with)."""
        return self.const(hint, np.asarray(value, dtype=np.dtype(dtype)))
