"""Lazy access to the third-party ``onnx`` package.

``import mxcore`` must not need onnx: the exporter and importer call
:func:`require_onnx` when they run, which raises one clear error naming the
pip command when the package is missing."""
from __future__ import annotations

from ..base import MXNetError

OPSET = 13  # the ONNX opset the exporter writes (docs/onnx.md)


def require_onnx():
    """The ``onnx`` module, or an MXNetError that says how to install it."""
    try:
        import onnx
    except ImportError as e:
        raise MXNetError("mx.onnx needs the 'onnx' package: pip install onnx (%s)" % e) from None
    return onnx
