"""DataLoader: batches a Dataset, optionally with a thread pool (num_workers > 0).

A batch of (data, label) samples is a :class:`Batch`: a list ``[data, label]`` that also
has ``.data``, ``.label`` and ``.batch_size``, so both ``data, label = batch`` and
``batch.data`` work.
"""
from __future__ import annotations

import collections
import concurrent.futures

import numpy as np

from ...numpy._core import as_np as _as_np
from ...numpy_extension._mode import _state as _np_state
from . import sampler as _sampler


def _nd():
    from ... import ndarray as nd
    return nd


class Batch(list):
    """List of batched fields with MXNet DataBatch-style attribute access."""

    @property
    def data(self):
        return self[0]

    @property
    def label(self):
        if len(self) < 2:
            raise AttributeError('this batch has no label field (the dataset yields one '
                                 'field per sample)')
        return self[1]

    @property
    def batch_size(self):
        first = self[0]
        if hasattr(first, 'shape'):
            return int(first.shape[0])
        return len(first)


def default_batchify_fn(data):
    """Stack samples; tuples are batched field by field into a :class:`Batch`
    (mx.np arrays in numpy mode)."""
    out = _batchify(data)
    if _np_state.array:
        return Batch(_as_np(b) for b in out) if isinstance(out, Batch) else _as_np(out)
    return out


def _batchify(data):
    nd = _nd()
    first = data[0]
    if isinstance(first, nd.NDArray):
        return nd.stack(*data)
    if isinstance(first, tuple):
        return Batch(_batchify(list(i)) for i in zip(*data))
    arr = np.asarray([d.asnumpy() if hasattr(d, 'asnumpy') else d for d in data])
    return nd.array(arr, dtype=arr.dtype)


default_mp_batchify_fn = default_batchify_fn


def _as_in_context(data, ctx):
    """Every NDArray of a (nested) batch moved to ``ctx``; the containers keep their type."""
    if isinstance(data, _nd().NDArray):
        return data.as_in_context(ctx)
    if isinstance(data, (list, tuple)):
        moved = [_as_in_context(d, ctx) for d in data]
        return type(data)(moved) if isinstance(data, (Batch, tuple)) else moved
    return data


class DataLoader:
    """Loads batches from a dataset; see MXNet's gluon.data.DataLoader."""

    def __init__(self, dataset, batch_size=None, shuffle=False, sampler=None,
                 last_batch=None, batch_sampler=None, batchify_fn=None, num_workers=0,
                 pin_memory=False, pin_device_id=0, prefetch=None, thread_pool=False,
                 timeout=120):
        self._dataset = dataset
        self._pin_memory = pin_memory
        self._pin_device_id = pin_device_id
        self._timeout = timeout
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError('batch_size must be specified unless batch_sampler is '
                                 'specified')
            if sampler is None:
                if shuffle:
                    sampler = _sampler.RandomSampler(len(dataset))
                else:
                    sampler = _sampler.SequentialSampler(len(dataset))
            elif shuffle:
                raise ValueError('shuffle must not be specified if sampler is specified')
            batch_sampler = _sampler.BatchSampler(sampler, batch_size,
                                                  last_batch if last_batch else 'keep')
        elif batch_size is not None or shuffle or sampler is not None or \
                last_batch is not None:
            raise ValueError('batch_size, shuffle, sampler and last_batch must not be '
                             'specified if batch_sampler is specified.')
        self._batch_sampler = batch_sampler
        self._num_workers = num_workers if num_workers >= 0 else 0
        self._prefetch = max(0, int(prefetch) if prefetch is not None
                             else 2 * self._num_workers)
        self._batchify_fn = batchify_fn if batchify_fn is not None else default_batchify_fn

    def _load(self, indices):
        batch = self._batchify_fn([self._dataset[i] for i in indices])
        if self._pin_memory:  # as MXNet: batches land in page-locked memory of pin_device_id
            from ...context import cpu_pinned
            batch = _as_in_context(batch, cpu_pinned(self._pin_device_id))
        return batch

    def __iter__(self):
        if self._num_workers == 0:
            for batch in self._batch_sampler:
                yield self._load(batch)
            return
        yield from self._iter_threaded()

    def _iter_threaded(self):
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=self._num_workers)
        pending = collections.deque()
        it = iter(self._batch_sampler)
        depth = max(self._prefetch, self._num_workers, 1)
        try:
            for _ in range(depth):
                idx = next(it, None)
                if idx is None:
                    break
                pending.append(pool.submit(self._load, idx))
            while pending:
                fut = pending.popleft()
                idx = next(it, None)
                if idx is not None:
                    pending.append(pool.submit(self._load, idx))
                yield fut.result(timeout=self._timeout)
        finally:
            for f in pending:
                f.cancel()
            pool.shutdown(wait=True)

    def __len__(self):
        return len(self._batch_sampler)
