"""mx.io: DataBatch, DataDesc and NDArrayIter (in-memory batching); MXNet 1.x's
file iterators (CSVIter, MNISTIter: file_iters.py; ImageRecordIter:
image_record_iter.py) and wrappers (ResizeIter, PrefetchingIter: wrappers.py)."""
from __future__ import annotations

from collections import OrderedDict, namedtuple

import numpy as np

from ..ndarray.ndarray import NDArray, array

__all__ = ["DataDesc", "DataBatch", "DataIter", "NDArrayIter", "ResizeIter", "PrefetchingIter", "CSVIter",
           "MNISTIter", "ImageRecordIter", "LibSVMIter"]


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    def __new__(cls, name, shape, dtype=np.float32, layout="NCHW"):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self):
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout):
        """Position of 'N' in `layout` (0 when layout is None)."""
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes, types):
        """DataDescs from (name, shape) pairs and optional (name, dtype) pairs."""
        if types is not None:
            type_dict = dict(types)
            return [DataDesc(x[0], x[1], type_dict[x[0]]) for x in shapes]
        return [DataDesc(x[0], x[1]) for x in shapes]


class DataBatch:
    def __init__(self, data, label=None, pad=None, index=None, bucket_key=None, provide_data=None,
                 provide_label=None):
        self.data = data
        self.label = label
        self.pad = pad
        self.index = index
        self.bucket_key = bucket_key
        self.provide_data = provide_data
        self.provide_label = provide_label

    def __str__(self):
        ds = [d.shape for d in self.data] if self.data is not None else None
        ls = [lb.shape for lb in self.label] if self.label is not None else None
        return f"{type(self).__name__}: data shapes: {ds} label shapes: {ls}"


class DataIter:
    def __init__(self, batch_size=0):
        self.batch_size = batch_size

    def __iter__(self):
        return self

    def reset(self):
        pass

    def __next__(self):
        # through next(): a user's iterator (as MXNet's) may override only next()
        return self.next()

    def next(self):
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def iter_next(self):
        return False

    def getdata(self):
        return None

    def getlabel(self):
        return None

    def getindex(self):
        return None

    def getpad(self):
        return 0


class _CurrentBatchIter(DataIter):
    """An iterator whose iter_next() prepares ``self.current_batch`` (a DataBatch)."""

    current_batch = None

    def next(self):
        if self.iter_next():
            return self.current_batch
        raise StopIteration

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


def _init_data(data, allow_empty, default_name):
    if data is None:
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, list):
        if not allow_empty:
            assert len(data) > 0
        data = OrderedDict([(default_name if len(data) == 1 else f"_{i}_{default_name}", d)
                            for i, d in enumerate(data)])
    if not isinstance(data, dict):
        raise TypeError("Input must be NDArray, numpy.ndarray, a list of them or dict with them as values")
    # as in MXNet, numpy (and list) data become float32; NDArrays keep their dtype
    return [(k, v.asnumpy() if isinstance(v, NDArray) else np.asarray(v, dtype=np.float32)) for k, v in data.items()]


class NDArrayIter(DataIter):
    """Iterate over in-memory arrays in batches. last_batch_handle: 'pad' (the last
    batch wraps around to the start and reports the wrapped count as pad),
    'discard' (drop the last partial batch) or 'roll_over' (keep it for the next
    epoch: that epoch's first batch is the leftovers plus its first samples, and
    reports the leftover count as pad, as MXNet does). numpy data become float32."""

    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad",
                 data_name="data", label_name="softmax_label"):
        super().__init__(batch_size)
        self.data = _init_data(data, False, data_name)
        self.label = _init_data(label, True, label_name)
        self.num_data = self.data[0][1].shape[0]
        # MXNet counts samples by the first data array and batches every array by those
        # row numbers, so longer arrays are accepted (their extra rows are never used)
        for k, a in self.data + self.label:
            if a.ndim == 0 or a.shape[0] < self.num_data:
                raise ValueError(f"NDArrayIter: {k!r} has shape {a.shape}, expected at least "
                                 f"{self.num_data} samples (the first data array's count)")
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise ValueError(f"invalid last_batch_handle {last_batch_handle!r}")
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.idx = np.arange(self.num_data)
        self._order = np.arange(self.num_data)  # the rows in the order batches take them
        self._leftover = None  # roll_over: the last epoch's incomplete batch, first in the next
        self.cursor = -batch_size
        self.reset()

    @property
    def provide_data(self):
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype.type) for k, v in self.data]

    @property
    def provide_label(self):
        return [DataDesc(k, (self.batch_size,) + v.shape[1:], v.dtype.type) for k, v in self.label]

    def _shuffle(self):
        # MXNet shuffles its index in place and reorders the (already reordered) data
        # by it, so orders compound over epochs; doing the same with the same numpy
        # stream gives MXNet's batches
        np.random.shuffle(self.idx)
        self._order = self._order[self.idx]

    def hard_reset(self):
        self._leftover = None
        self.cursor = -self.batch_size
        if self.shuffle:
            self._shuffle()

    def reset(self):
        n, bs = self.num_data, self.batch_size
        rolling = self.last_batch_handle == "roll_over" and n > self.cursor > n - bs
        self._leftover = self._order[self.cursor:] if rolling else None
        if self.shuffle:
            self._shuffle()
        self.cursor = self.cursor - n - bs if rolling else -bs

    def iter_next(self):
        self.cursor += self.batch_size
        if self.last_batch_handle in ("discard", "roll_over"):
            return self.cursor + self.batch_size <= self.num_data
        return self.cursor < self.num_data

    def _take(self, arrays):
        start = self.cursor
        end = start + self.batch_size
        out = []
        for _, a in arrays:
            if start < 0:  # roll_over leftovers from the previous epoch
                sel = np.concatenate([self._leftover, self._order[:end]])
            elif end <= self.num_data:
                sel = self._order[start:end]
            else:
                sel = np.concatenate([self._order[start:], self._order[:end - self.num_data]])
            out.append(array(a[sel], dtype=a.dtype))
        return out

    def getdata(self):
        return self._take(self.data)

    def getlabel(self):
        return self._take(self.label)

    def getindex(self):
        return None  # MXNet's NDArrayIter reports no sample indices

    def getpad(self):
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0


from .wrappers import PrefetchingIter, ResizeIter  # noqa: E402
from .file_iters import CSVIter, MNISTIter  # noqa: E402
from .image_record_iter import ImageRecordIter  # noqa: E402
from .libsvm_iter import LibSVMIter  # noqa: E402
