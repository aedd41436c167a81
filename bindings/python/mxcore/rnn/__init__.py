"""mx.rnn (MXNet 1.x): the symbolic RNN cells (RNNCell, LSTMCell, GRUCell,
SequentialRNNCell, DropoutCell with ``unroll``) and the data side of the
bucketing language-model recipe, ``encode_sentences`` and
``BucketSentenceIter`` (pair them with ``mx.mod.BucketingModule``)."""
from .io import BucketSentenceIter, encode_sentences
from .rnn_cell import (BaseRNNCell, DropoutCell, GRUCell, LSTMCell, RNNCell, RNNParams, SequentialRNNCell)

__all__ = ["BucketSentenceIter", "encode_sentences", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "DropoutCell", "RNNParams"]
