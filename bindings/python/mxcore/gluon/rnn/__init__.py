"""Recurrent layers and cells."""
from .rnn_cell import (GRUCell, HybridRecurrentCell, LSTMCell, RecurrentCell,  # noqa: F401
                       RNNCell, SequentialRNNCell)
from .rnn_layer import GRU, LSTM, RNN  # noqa: F401
