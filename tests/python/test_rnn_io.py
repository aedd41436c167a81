"""mx.rnn.encode_sentences and BucketSentenceIter: the ids, buckets, padding,
shifted labels and even the shuffled batch order MXNet 1.9.1 gives for the same
sentences and seeds."""
import random

import numpy as np
import pytest

import mxcore as mx

SENTS = [["a", "b", "c"], ["b", "d"], ["a"], ["c", "c", "d", "e", "f"], ["e", "a"], ["f", "b", "a"], ["d"],
         ["a", "b"], ["x", "y", "z", "w", "v", "u"]]


def test_encode_sentences_like_mxnet():
    enc, vocab = mx.rnn.encode_sentences(SENTS, invalid_label=0, start_label=1)
    assert enc == [[1, 2, 3], [2, 4], [1], [3, 3, 4, 5, 6], [5, 1], [6, 2, 1], [4], [1, 2], [7, 8, 9, 10, 11, 12]]
    assert vocab["\n"] == 0 and vocab["u"] == 12
    with pytest.raises(ValueError, match="unknown token 'q'"):
        mx.rnn.encode_sentences([["a", "q"]], vocab=dict(vocab))
    enc2, v2 = mx.rnn.encode_sentences([["a", "q"]], vocab=dict(vocab), unknown_token="<unk>", invalid_label=0,
                                       start_label=1)
    assert enc2 == [[1, 1]] and v2["<unk>"] == 1  # MXNet 1.9.1 restarts ids at start_label, colliding


def test_bucket_sentence_iter_like_mxnet():
    enc, _ = mx.rnn.encode_sentences(SENTS, invalid_label=0, start_label=1)
    random.seed(1)
    np.random.seed(1)
    it = mx.rnn.BucketSentenceIter(enc, 2, buckets=[2, 3, 5], invalid_label=0)  # the 6-word sentence is discarded
    assert it.provide_data[0].shape == (2, 5) and it.default_bucket_key == 5 and len(it.idx) == 3
    got = [(b.bucket_key, b.data[0].asnumpy().tolist(), b.label[0].asnumpy().tolist()) for b in it]
    assert got == [(2, [[1, 2], [2, 4]], [[2, 0], [4, 0]]),  # MXNet 1.9.1's, same seeds
                   (3, [[1, 2, 3], [6, 2, 1]], [[2, 3, 0], [2, 1, 0]]),
                   (2, [[5, 1], [1, 0]], [[1, 0], [0, 0]])]
    tn = mx.rnn.BucketSentenceIter(enc, 2, buckets=[3, 5], invalid_label=0, layout="TN")
    assert tn.provide_data[0].shape == (5, 2) and next(iter(tn)).data[0].shape[1] == 2
    with pytest.raises(ValueError, match="no bucket holds"):
        mx.rnn.BucketSentenceIter(enc, 50)
