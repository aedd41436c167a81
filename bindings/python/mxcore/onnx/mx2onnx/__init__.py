"""MXNet -> ONNX translators, one module per op family; importing them fills the table."""
from . import elemwise, nn, rnn, shape  # noqa: F401  (register their translators)
from ._registry import ExportContext, MxNode, onnx_dtype, register, supported_ops, translator

__all__ = ["ExportContext", "MxNode", "onnx_dtype", "register", "supported_ops", "translator"]
