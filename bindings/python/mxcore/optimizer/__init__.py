"""Optimizers: ``mx.optimizer.create('sgd', learning_rate=0.1)``."""
from .optimizer import (LAMB, LARS, NAG, SGD, AdaDelta, AdaGrad, Adam, Adamax, AdamW,  # noqa: F401
                        Ftrl, Nadam, Optimizer, RMSProp, Signum, Updater, create,
                        get_updater, register)
from .composed import DCASGD, SGLD, Test  # noqa: F401,E402
