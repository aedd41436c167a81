"""mxcore: an Apache MXNet 1.x compatible deep-learning framework on a C core.

    import mxcore as mx
    x = mx.nd.array([[1, 2], [3, 4]])
"""
from __future__ import annotations

from . import base
from .base import MXNetError, __version__
from . import context
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus, opencl
from . import ndarray
from . import ndarray as nd
from .ndarray import NDArray
from . import autograd, random, runtime
from . import io
from . import test_utils

# Gluon and friends are written alongside; a missing module must not break import.
try:
    from . import gluon
except ImportError as _e:  # pragma: no cover
    if "gluon" not in str(_e):
        raise
try:
    from . import initializer
    from . import initializer as init
except ImportError as _e:  # pragma: no cover
    if "initializer" not in str(_e):
        raise
try:
    from . import metric
except ImportError as _e:  # pragma: no cover
    if "metric" not in str(_e):
        raise
try:
    from . import optimizer
except ImportError as _e:  # pragma: no cover
    if "optimizer" not in str(_e):
        raise
try:
    from . import lr_scheduler
except ImportError as _e:  # pragma: no cover
    if "lr_scheduler" not in str(_e):
        raise

__all__ = ["MXNetError", "Context", "cpu", "gpu", "cpu_pinned", "opencl", "current_context", "num_gpus", "nd",
           "ndarray", "NDArray", "autograd", "random", "runtime", "io", "context", "test_utils", "__version__"]
from . import symbol, symbol as sym  # noqa: E402  (mx.sym; uses nd's manifest)
