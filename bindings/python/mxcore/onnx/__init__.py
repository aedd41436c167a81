"""``mx.onnx``: export MXNet models to ONNX (MXNet 1.9.1's ``mx.onnx`` API).

``export_model`` writes opset 13; the ``onnx`` package is imported only when a
function runs, so ``import mxcore`` works without it. Importing ONNX files is
``mx.contrib.onnx.import_model`` / ``import_to_gluon`` (as in MXNet 1.x), also
reachable here."""
from __future__ import annotations

from .export_model import export_model
from .import_model import get_model_metadata, import_model, import_to_gluon
from .mx2onnx import supported_ops as _supported_ops

__all__ = ["export_model", "get_model_metadata", "get_operator_support", "import_model", "import_to_gluon"]


def get_operator_support(opset_version=None):
    """The MXNet op names ``export_model`` translates (opset 13; ``opset_version`` is accepted for
    MXNet's signature: other opsets are not written)."""
    return _supported_ops()
