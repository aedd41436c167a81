"""mxcore: an Apache MXNet 1.x compatible deep-learning framework on a C core.

    import mxcore as mx
    x = mx.nd.array([[1, 2], [3, 4]])
"""
from __future__ import annotations

from . import base
from .base import MXNetError, __mxcore_version__, __version__
from . import context
from .context import Context, cpu, cpu_pinned, current_context, gpu, num_gpus, opencl
from . import ndarray
from . import ndarray as nd
from .ndarray import NDArray
from . import autograd, random, runtime
from . import io
from . import test_utils

from . import gluon
from . import initializer
from . import initializer as init
from . import metric
from . import optimizer
from . import lr_scheduler
from . import model
from . import kvstore, kvstore as kv
from . import profiler

__all__ = ["MXNetError", "Context", "cpu", "gpu", "cpu_pinned", "opencl", "current_context", "num_gpus", "nd",
           "ndarray", "NDArray", "autograd", "random", "runtime", "io", "context", "test_utils", "__version__", "__mxcore_version__"]
from . import symbol, symbol as sym  # noqa: E402  (mx.sym; uses nd's manifest)
from . import name  # noqa: E402
from . import callback  # noqa: E402
from . import visualization, visualization as viz  # noqa: E402
from . import module, module as mod  # noqa: E402  (mx.mod.Module: the symbolic training API)
from . import recordio  # noqa: E402
from . import image, image as img  # noqa: E402  (mx.image / mx.img: Pillow-decoded, OpenCV-style resize)
from . import attribute  # noqa: E402  (mx.AttrScope)
from .attribute import AttrScope  # noqa: E402
from . import contrib, engine, log  # noqa: E402,F401  (mx.contrib.nd/sym, mx.engine.bulk, mx.log.get_logger)
from . import onnx  # noqa: E402  (mx.onnx: ONNX export; the onnx package is needed only when called)
from . import rnn  # noqa: E402  (mx.rnn: encode_sentences, BucketSentenceIter)
from . import monitor, monitor as mon  # noqa: E402  (mx.mon.Monitor)
from . import operator  # noqa: E402  (mx.operator: custom Python operators, mx.nd.Custom / mx.sym.Custom)
from . import numpy, numpy as np  # noqa: E402  (mx.np: the numpy-compatible interface)
from . import numpy_extension, numpy_extension as npx  # noqa: E402  (mx.npx)
from . import util  # noqa: E402  (mx.util: numpy-mode switches)
nd.np, nd.npx = numpy, numpy_extension  # F.np / F.npx in an eager hybrid_forward (F = mx.nd)
from .symbol import numpy_ns as _sym_numpy_ns  # noqa: E402
sym.np, sym.npx = _sym_numpy_ns.make(sym.__name__)  # F.np / F.npx while a hybrid_forward is traced
from .util import is_np_array, is_np_shape, np_shape, set_np_shape, use_np  # noqa: E402
