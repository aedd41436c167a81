"""Contributed recurrent cells (``gluon.contrib.rnn``), MXNet 1.x layout
(``dynamic_unroll`` lives in ``contrib.rnn.rnn_cell`` only, as in MXNet 1.9.1)."""
from . import conv_rnn_cell, lstmp_cell, rnn_cell  # noqa: F401
from .conv_rnn_cell import *  # noqa: F401,F403
from .lstmp_cell import LSTMPCell  # noqa: F401
from .variational_dropout import VariationalDropoutCell

__all__ = conv_rnn_cell.__all__ + lstmp_cell.__all__ + ['VariationalDropoutCell']
