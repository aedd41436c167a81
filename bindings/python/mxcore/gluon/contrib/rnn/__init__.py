"""Contributed recurrent cells (``gluon.contrib.rnn``), MXNet 1.x layout."""
from . import conv_rnn_cell, lstmp_cell
from .conv_rnn_cell import *  # noqa: F401,F403
from .lstmp_cell import LSTMPCell  # noqa: F401
from .variational_dropout import VariationalDropoutCell

__all__ = conv_rnn_cell.__all__ + lstmp_cell.__all__ + ['VariationalDropoutCell']
