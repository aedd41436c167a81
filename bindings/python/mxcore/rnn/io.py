"""Sentence encoding and bucketed batching for language models (MXNet 1.x's
mx.rnn.io behaviour)."""
from __future__ import annotations

import bisect
import logging
import random

import numpy as np

from ..io import DataBatch, DataDesc, DataIter
from ..ndarray import array


def encode_sentences(sentences, vocab=None, invalid_label=-1, invalid_key='\n', start_label=0, unknown_token=None):
    """Words -> integer ids. Without ``vocab`` a new one is built (``invalid_key`` maps
    to ``invalid_label``, new words get ids from ``start_label`` up, skipping
    ``invalid_label``); with a ``vocab`` an unknown word is an error unless
    ``unknown_token`` names the entry to use (added if missing). Returns
    ``(encoded sentences, vocab)``."""
    new_vocab = vocab is None
    if new_vocab:
        vocab = {invalid_key: invalid_label}
    next_id = start_label
    out = []
    for sent in sentences:
        ids = []
        for word in sent:
            if word not in vocab:
                if not (new_vocab or unknown_token):
                    raise ValueError("encode_sentences: unknown token %r (pass unknown_token to map unknown words)"
                                     % (word,))
                if unknown_token:
                    word = unknown_token
                if word not in vocab:
                    if next_id == invalid_label:
                        next_id += 1
                    vocab[word] = next_id
                    next_id += 1
            ids.append(vocab[word])
        out.append(ids)
    return out, vocab


class BucketSentenceIter(DataIter):
    """Batches of equal-length sentences: each sentence goes to the smallest bucket
    that holds it, padded with ``invalid_label``; the label is the sentence shifted
    by one (next-word prediction), ending in ``invalid_label``. Batches carry
    ``bucket_key`` (the bucket length); ``buckets`` default to the lengths with at
    least ``batch_size`` sentences. ``layout`` 'NT' (batch major) or 'TN'. Each
    reset shuffles the batches (``random``) and the sentences in every bucket
    (``numpy.random``)."""

    def __init__(self, sentences, batch_size, buckets=None, invalid_label=-1, data_name='data',
                 label_name='softmax_label', dtype='float32', layout='NT'):
        super().__init__(batch_size)
        if layout not in ('NT', 'TN'):
            raise ValueError("BucketSentenceIter: layout must be 'NT' or 'TN', got %r" % (layout,))
        if not buckets:
            counts = np.bincount([len(s) for s in sentences]) if sentences else np.zeros(0, int)
            buckets = [n for n, k in enumerate(counts) if k >= batch_size]
        buckets = sorted(buckets)
        if not buckets:
            raise ValueError("BucketSentenceIter: no bucket holds %d sentences; give buckets" % batch_size)
        rows = [[] for _ in buckets]
        discarded = 0
        for sent in sentences:
            b = bisect.bisect_left(buckets, len(sent))
            if b == len(buckets):
                discarded += 1
                continue
            row = np.full(buckets[b], invalid_label, dtype=dtype)
            row[:len(sent)] = sent
            rows[b].append(row)
        if discarded:
            logging.warning("BucketSentenceIter: discarded %d sentences longer than the largest bucket", discarded)
        self.data = [np.asarray(r, dtype=dtype).reshape(len(r), n) for r, n in zip(rows, buckets)]
        self.buckets, self.invalid_label, self.dtype = buckets, invalid_label, dtype
        self.data_name, self.label_name, self.layout = data_name, label_name, layout
        self.major_axis = layout.find('N')
        self.default_bucket_key = max(buckets)
        shape = (batch_size, self.default_bucket_key) if self.major_axis == 0 else (self.default_bucket_key, batch_size)
        self.provide_data = [DataDesc(data_name, shape, layout=layout)]
        self.provide_label = [DataDesc(label_name, shape, layout=layout)]
        self.idx = [(b, start) for b, d in enumerate(self.data) for start in range(0, len(d) - batch_size + 1, batch_size)]
        self.curr_idx = 0
        self.reset()

    def reset(self):
        self.curr_idx = 0
        random.shuffle(self.idx)
        for d in self.data:
            np.random.shuffle(d)
        self.nddata, self.ndlabel = [], []
        for d in self.data:
            label = np.full_like(d, self.invalid_label)
            label[:, :-1] = d[:, 1:]
            self.nddata.append(array(d, dtype=self.dtype))
            self.ndlabel.append(array(label, dtype=self.dtype))

    def __next__(self):
        if self.curr_idx == len(self.idx):
            raise StopIteration
        b, start = self.idx[self.curr_idx]
        self.curr_idx += 1
        data = self.nddata[b][start:start + self.batch_size]
        label = self.ndlabel[b][start:start + self.batch_size]
        if self.major_axis == 1:
            data, label = data.T, label.T
        return DataBatch([data], [label], pad=0, bucket_key=self.buckets[b],
                         provide_data=[DataDesc(self.data_name, data.shape, layout=self.layout)],
                         provide_label=[DataDesc(self.label_name, label.shape, layout=self.layout)])

    next = __next__
