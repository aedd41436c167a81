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


def onnx_dtype(dtype):
    """The TensorProto enum of a numpy dtype (onnx >= 1.13 helper, else its older mapping table)."""
    import numpy as np
    onnx = require_onnx()
    if hasattr(onnx.helper, "np_dtype_to_tensor_dtype"):
        return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
    return onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(dtype)]


def numpy_dtype(onnx_type):
    """The numpy dtype of a TensorProto enum."""
    import numpy as np
    onnx = require_onnx()
    if hasattr(onnx.helper, "tensor_dtype_to_np_dtype"):
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(onnx_type))
    return np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[onnx_type])
