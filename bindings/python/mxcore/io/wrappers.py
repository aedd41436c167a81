"""Iterator wrappers of MXNet 1.x's mx.io: ResizeIter (a fixed number of batches
per epoch) and PrefetchingIter (batches prepared by a background thread; several
iterators combined into one batch)."""
from __future__ import annotations

import threading

from . import DataBatch, DataDesc, _CurrentBatchIter


class ResizeIter(_CurrentBatchIter):
    """Yield exactly ``size`` batches per epoch from ``data_iter``, resetting it when
    it runs out (and at each reset if ``reset_internal``)."""

    def __init__(self, data_iter, size, reset_internal=True):
        super().__init__(data_iter.batch_size)
        self.data_iter, self.size, self.reset_internal = data_iter, size, reset_internal
        self.cur = 0
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label

    def reset(self):
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self):
        if self.cur == self.size:
            return False
        try:
            self.current_batch = next(self.data_iter)
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = next(self.data_iter)
        self.cur += 1
        return True


class PrefetchingIter(_CurrentBatchIter):
    """Prepare the next batch of each iterator in a background thread while the
    current one is used. With several iterators a batch holds all their data and
    labels (their pads must agree). rename_data / rename_label: one {old: new} dict
    per iterator."""

    def __init__(self, iters, rename_data=None, rename_label=None):
        iters = iters if isinstance(iters, list) else [iters]
        if not iters:
            raise ValueError("PrefetchingIter needs at least one iterator")
        super().__init__(iters[0].batch_size)
        self.iters = iters
        self.rename_data, self.rename_label = rename_data, rename_label
        self._next = [None] * len(iters)
        self._threads = [None] * len(iters)
        self._start_all()

    def _renamed(self, descs, renames):
        if renames is None:
            return [d for ds in descs for d in ds]
        return [DataDesc(r.get(d.name, d.name), d.shape, getattr(d, "dtype", None) or "float32")
                for r, ds in zip(renames, descs) for d in ds]

    @property
    def provide_data(self):
        return self._renamed([i.provide_data for i in self.iters], self.rename_data)

    @property
    def provide_label(self):
        return self._renamed([i.provide_label for i in self.iters], self.rename_label)

    def _fetch(self, k):
        try:
            self._next[k] = next(self.iters[k])
        except StopIteration:
            self._next[k] = None
        except Exception as e:  # surfaced on the consumer's thread
            self._next[k] = e

    def _start_all(self):
        for k in range(len(self.iters)):
            t = threading.Thread(target=self._fetch, args=(k,), daemon=True)
            t.start()
            self._threads[k] = t

    def _join(self):
        for t in self._threads:
            if t is not None:
                t.join()

    def reset(self):
        self._join()
        for it in self.iters:
            it.reset()
        self._start_all()

    def iter_next(self):
        self._join()
        got = list(self._next)
        for g in got:
            if isinstance(g, Exception):
                raise g
        if any(g is None for g in got):
            if not all(g is None for g in got):
                raise ValueError("PrefetchingIter: the iterators ran out after different numbers of batches")
            self._threads = [None] * len(self.iters)
            return False
        pads = {g.pad for g in got}
        if len(pads) > 1:
            raise ValueError("PrefetchingIter: the iterators' batches have different pads %s" % sorted(pads))
        self.current_batch = DataBatch(sum([g.data for g in got], []),
                                       sum([g.label or [] for g in got], []), got[0].pad, got[0].index)
        self._start_all()
        return True
