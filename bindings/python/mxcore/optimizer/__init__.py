"""Optimizers: ``mx.optimizer.create('sgd', learning_rate=0.1)``."""
from .composed import DCASGD, SGLD, Test  # noqa: F401,E402
from .optimizer import (  # noqa: F401
                        LAMB,
                        LARS,
                        NAG,
                        SGD,
                        AdaDelta,
                        AdaGrad,
                        Adam,
                        Adamax,
                        AdamW,
                        Ftrl,
                        Nadam,
                        Optimizer,
                        RMSProp,
                        Signum,
                        Updater,
                        create,
                        get_updater,
                        register,
)
