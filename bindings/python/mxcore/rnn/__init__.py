"""mx.rnn (MXNet 1.x): the data side of the bucketing language-model recipe,
``encode_sentences`` and ``BucketSentenceIter`` (pair them with
``mx.mod.BucketingModule``). The legacy symbolic cells (``mx.rnn.LSTMCell`` and
friends) are not provided: build the network with ``mx.sym.RNN`` or Gluon's
``gluon.rnn`` layers."""
from .io import BucketSentenceIter, encode_sentences

__all__ = ["BucketSentenceIter", "encode_sentences"]
