"""Gluon Estimator (``gluon.contrib.estimator``), MXNet 1.x API: a fit/evaluate loop
driven by event handlers."""
from . import batch_processor, estimator, event_handler  # noqa: F401
from .batch_processor import *  # noqa: F401,F403
from .estimator import *  # noqa: F401,F403
from .event_handler import *  # noqa: F401,F403
