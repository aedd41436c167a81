"""``mx.contrib.onnx`` (MXNet 1.x): ONNX import and the older home of ``export_model``.

The same functions as ``mx.onnx``; see docs/onnx.md."""
from ...onnx import export_model, get_model_metadata, import_model, import_to_gluon

__all__ = ["export_model", "get_model_metadata", "import_model", "import_to_gluon"]
