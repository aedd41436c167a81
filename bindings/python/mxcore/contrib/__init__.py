"""mx.contrib (MXNet 1.x): ``mx.contrib.nd`` / ``mx.contrib.ndarray`` and
``mx.contrib.sym`` / ``mx.contrib.symbol`` are the ``contrib`` namespaces of
``mx.nd`` and ``mx.sym`` (the same functions); ``mx.contrib.autograd`` is MXNet's
legacy autograd interface; ``mx.contrib.onnx`` imports and exports ONNX models."""
from . import autograd, onnx
from ..ndarray import contrib as ndarray
from ..symbol import contrib as symbol

nd = ndarray
sym = symbol

__all__ = ["autograd", "onnx", "ndarray", "nd", "symbol", "sym"]
