"""Contributed Gluon layers and cells (``gluon.contrib``), MXNet 1.x layout."""
from . import cnn, data, estimator, nn, rnn  # noqa: F401
