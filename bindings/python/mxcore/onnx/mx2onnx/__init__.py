"""MXNet -> ONNX translators, one module per op family; importing them fills the table."""
from ._registry import ExportContext, MxNode, onnx_dtype, register, supported_ops, translator
from . import elemwise, nn, shape, rnn  # noqa: F401  (register their translators)

__all__ = ["ExportContext", "MxNode", "onnx_dtype", "register", "supported_ops", "translator"]
