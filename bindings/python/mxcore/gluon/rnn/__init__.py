"""Recurrent layers and cells."""
from .rnn_cell import (GRUCell, HybridRecurrentCell, LSTMCell, RecurrentCell,  # noqa: F401
                       RNNCell, SequentialRNNCell)
from .rnn_layer import GRU, LSTM, RNN  # noqa: F401
from .hybrid_sequential import HybridSequentialRNNCell  # noqa: F401
from .dropout_cell import DropoutCell  # noqa: F401
from .modifier_cells import ModifierCell, ResidualCell, ZoneoutCell  # noqa: F401
from .bidirectional import BidirectionalCell  # noqa: F401
