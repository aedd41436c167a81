"""Gluon: the imperative/hybrid high-level API (MXNet 1.x compatible)."""
from .. import metric  # noqa: F401
from . import data, loss, nn, utils  # noqa: F401
from .block import Block, HybridBlock, SymbolBlock  # noqa: F401
from .parameter import (Constant, DeferredInitializationError, Parameter,  # noqa: F401
                        ParameterDict)
from .trainer import Trainer  # noqa: F401

try:
    from . import rnn  # noqa: F401
except ImportError:  # pragma: no cover - rnn is optional while it is written
    pass
from . import contrib  # noqa: F401  (after rnn: contrib.rnn builds on it)
try:
    from . import model_zoo  # noqa: F401
except ImportError:  # pragma: no cover
    pass
