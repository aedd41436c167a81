"""MXNet 1.x's file iterators that read a whole dataset into memory: CSVIter and
MNISTIter, on a shared batching base (also used by ImageRecordIter)."""
from __future__ import annotations

import gzip
import os
import struct

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import array
from . import DataBatch, DataDesc, _CurrentBatchIter


class _SampleIter(_CurrentBatchIter):
    """Batches of samples picked by index; a subclass gives ``_arrays(indices)`` ->
    (data, label) numpy arrays. ``last`` decides the final partial batch:
      'round'   (MXNet's round_batch) wrap around to the start, report the wrapped
                count as pad, and start the next epoch after the wrapped samples;
      'pad'     wrap around and report pad, next epoch from the start;
      'discard' drop it.
    Like MXNet's C++-backed iterators (MXDataIter), getdata()/getlabel() return the one
    array itself, while next() gives a DataBatch holding lists."""

    def getdata(self):
        return self.current_batch.data[0]

    def getlabel(self):
        return self.current_batch.label[0]

    def __init__(self, batch_size, num, last, data_name, label_name, data_shape, label_shape, shuffle=False,
                 seed=0):
        super().__init__(batch_size)
        if batch_size < 1:
            raise ValueError("%s: batch_size must be >= 1, got %r" % (type(self).__name__, batch_size))
        self.num, self.last = num, last
        self.data_name, self.label_name = data_name, label_name
        self._data_shape, self._label_shape = tuple(data_shape), tuple(label_shape)
        self._order = np.arange(num)
        if shuffle:
            np.random.RandomState(seed).shuffle(self._order)
        self._overflow = 0
        self._cursor = 0
        self.dtype = np.dtype(np.float32)   # what the batches hold (CSVIter's dtype)

    @property
    def provide_data(self):
        return [DataDesc(self.data_name, (self.batch_size,) + self._data_shape, self.dtype.type)]

    @property
    def provide_label(self):
        return [DataDesc(self.label_name, (self.batch_size,) + self._label_shape, self.dtype.type)]

    def reset(self):
        self._cursor = self._overflow if self.last == "round" else 0
        self._overflow = 0

    def iter_next(self):
        if self._cursor >= self.num:
            return False
        end, pad = self._cursor + self.batch_size, 0
        if end <= self.num:
            idx = self._order[self._cursor:end]
        else:
            if self.last == "discard":
                self._cursor = self.num
                return False
            pad = end - self.num
            idx = np.concatenate([self._order[self._cursor:], np.resize(self._order, pad)])
            if self.last == "round":
                self._overflow = pad
        self._cursor = end
        data, label = self._arrays(idx)
        self.current_batch = DataBatch([array(data, dtype=self.dtype)], [array(label, dtype=self.dtype)], pad, idx)
        return True


def _load_csv(path, shape, what, dtype):
    if not os.path.isfile(path):
        raise MXNetError("CSVIter: %s file %r does not exist" % (what, path))
    try:
        a = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
    except ValueError as e:
        raise MXNetError("CSVIter: cannot parse %s file %r: %s" % (what, path, e)) from None
    per = int(np.prod(shape))
    if a.shape[1] != per:
        raise MXNetError("CSVIter: %s file %r has %d values per row but %s_shape %s needs %d"
                         % (what, path, a.shape[1], what, tuple(shape), per))
    # integer dtypes truncate toward zero ("-2.5" -> -2), as MXNet's parser does
    return a.astype(dtype).reshape((a.shape[0],) + tuple(shape))


class CSVIter(_SampleIter):
    """Rows of ``data_csv`` reshaped to ``data_shape`` (and of ``label_csv`` to
    ``label_shape``; labels are 0 without one). round_batch (default) wraps the last
    batch around as MXNet does; otherwise it is padded and reports the pad."""

    def __init__(self, data_csv, data_shape, label_csv=None, label_shape=(1,), batch_size=1, round_batch=True,
                 dtype="float32", data_name="data", label_name="softmax_label", **kwargs):
        dtype = np.dtype(dtype)
        if dtype not in (np.float32, np.int32, np.int64):
            raise MXNetError("CSVIter: dtype must be float32, int32 or int64, got %r" % (dtype.name,))
        self._data = _load_csv(data_csv, data_shape, "data", dtype)
        n = self._data.shape[0]
        if label_csv is not None:
            self._label = _load_csv(label_csv, label_shape, "label", dtype)
            if self._label.shape[0] != n:
                raise MXNetError("CSVIter: %r has %d rows but %r has %d" % (data_csv, n, label_csv,
                                                                            self._label.shape[0]))
        else:
            self._label = np.zeros((n,) + tuple(label_shape), dtype)
        if tuple(label_shape) == (1,):
            self._label = self._label.reshape(n)
        super().__init__(batch_size, n, "round" if round_batch else "pad", data_name, label_name,
                         data_shape, self._label.shape[1:])
        self.dtype = dtype

    def _arrays(self, idx):
        return self._data[idx], self._label[idx]


def _read_idx(path, magic, what):
    """An MNIST idx file (optionally gzipped): its dimensions and uint8 payload."""
    if not os.path.isfile(path):
        raise MXNetError("MNISTIter: %s file %r does not exist" % (what, path))
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = 3 if magic == 2051 else 1
    head = 4 * (1 + ndim)
    if len(raw) < head or struct.unpack(">I", raw[:4])[0] != magic:
        raise MXNetError("MNISTIter: %r is not an idx %s file (magic number %d expected)" % (path, what, magic))
    dims = struct.unpack(">" + "I" * ndim, raw[4:head])
    if len(raw) < head + int(np.prod(dims)):
        raise MXNetError("MNISTIter: %r is truncated: %d bytes for %s needs %d"
                         % (path, len(raw), "x".join(map(str, dims)), head + int(np.prod(dims))))
    return np.frombuffer(raw, np.uint8, int(np.prod(dims)), head).reshape(dims)


class MNISTIter(_SampleIter):
    """MNIST from its idx files (``image``, ``label``; .gz accepted): pixels / 256 as
    MXNet scales them, (batch, 1, rows, cols) or flat (batch, rows * cols); shuffled
    once with ``seed``; the last partial batch is dropped. num_parts/part_index take
    one contiguous slice (distributed training)."""

    def __init__(self, image, label, batch_size=128, shuffle=True, flat=False, seed=0, silent=False,
                 num_parts=1, part_index=0, **kwargs):
        img = _read_idx(image, 2051, "image")
        lab = _read_idx(label, 2049, "label")
        if img.shape[0] != lab.shape[0]:
            raise MXNetError("MNISTIter: %r has %d images but %r has %d labels"
                             % (image, img.shape[0], label, lab.shape[0]))
        if not 0 <= part_index < num_parts:
            raise MXNetError("MNISTIter: part_index %d out of range for num_parts %d" % (part_index, num_parts))
        lo, hi = img.shape[0] * part_index // num_parts, img.shape[0] * (part_index + 1) // num_parts
        img, lab = img[lo:hi], lab[lo:hi]
        rows, cols = img.shape[1:]
        shape = (rows * cols,) if flat else (1, rows, cols)
        self._img = img.reshape((img.shape[0],) + shape)
        self._lab = lab.astype(np.float32)
        super().__init__(batch_size, img.shape[0], "discard", "data", "softmax_label", shape, (),
                         shuffle=shuffle, seed=seed)

    def _arrays(self, idx):
        return self._img[idx].astype(np.float32) * np.float32(1.0 / 256.0), self._lab[idx]
