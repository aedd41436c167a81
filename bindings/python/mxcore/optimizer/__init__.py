"""Optimizers: ``mx.optimizer.create('sgd', learning_rate=0.1)``."""
from . import contrib  # noqa: F401
from .composed import DCASGD, SGLD, Test  # noqa: F401
from .contrib import GroupAdaGrad  # noqa: F401
from .optimizer import (FTML, LAMB, LARS, NAG, SGD, AdaDelta, AdaGrad, Adam, Adamax, AdamW,  # noqa: F401
                        Ftrl, Nadam, Optimizer, RMSProp, Signum, Updater, ccSGD, create, get_updater, register)
