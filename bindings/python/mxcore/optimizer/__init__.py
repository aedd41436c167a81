"""Optimizers: ``mx.optimizer.create('sgd', learning_rate=0.1)``."""
from . import contrib  # noqa: F401
from .composed import DCASGD, SGLD, Test  # noqa: F401
from .contrib import GroupAdaGrad  # noqa: F401
from .optimizer import (LAMB, LARS, NAG, SGD, AdaDelta, AdaGrad, Adam, Adamax, AdamW, Ftrl,  # noqa: F401
                        Nadam, Optimizer, RMSProp, Signum, Updater, create, get_updater, register)
