"""ONNX -> MXNet translators, one module per op family; importing them fills the table."""
from . import elemwise, nn, rnn, shape  # noqa: F401  (register their translators)
from ._registry import ImportContext, OnnxNode, register, supported_ops, translator
from .fold import fold

__all__ = ["ImportContext", "OnnxNode", "fold", "register", "supported_ops", "translator"]
