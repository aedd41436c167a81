"""mx.rnn (MXNet 1.x): the symbolic RNN cells (RNNCell, LSTMCell, GRUCell,
FusedRNNCell, SequentialRNNCell, BidirectionalCell, DropoutCell, ZoneoutCell,
ResidualCell, and the convolutional ConvRNNCell, ConvLSTMCell, ConvGRUCell,
with ``unroll``), checkpoints that unpack fused weights, and the
data side of the bucketing language-model recipe, ``encode_sentences`` and
``BucketSentenceIter`` (pair them with ``mx.mod.BucketingModule``)."""
from .checkpoint import do_rnn_checkpoint, load_rnn_checkpoint, save_rnn_checkpoint
from .conv_cells import BaseConvRNNCell, ConvGRUCell, ConvLSTMCell, ConvRNNCell
from .composite_cells import BidirectionalCell, ModifierCell, ResidualCell, ZoneoutCell
from .fused_cell import FusedRNNCell
from .io import BucketSentenceIter, encode_sentences
from .rnn_cell import BaseRNNCell, DropoutCell, GRUCell, LSTMCell, RNNCell, RNNParams, SequentialRNNCell

__all__ = ["BucketSentenceIter", "encode_sentences", "BaseRNNCell", "RNNCell", "LSTMCell", "GRUCell",
           "FusedRNNCell", "SequentialRNNCell", "BidirectionalCell", "DropoutCell", "ModifierCell",
           "ZoneoutCell", "ResidualCell", "RNNParams", "save_rnn_checkpoint", "load_rnn_checkpoint",
           "do_rnn_checkpoint", "BaseConvRNNCell", "ConvRNNCell", "ConvLSTMCell", "ConvGRUCell"]
