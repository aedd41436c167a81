"""Contributed recurrent cells (``gluon.contrib.rnn``), MXNet 1.x layout."""
from .variational_dropout import VariationalDropoutCell

__all__ = ['VariationalDropoutCell']
