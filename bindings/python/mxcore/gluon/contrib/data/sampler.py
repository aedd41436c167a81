"""IntervalSampler (``gluon.contrib.data.sampler``), MXNet 1.9.1's API."""
from __future__ import annotations

from ...data.sampler import Sampler

__all__ = ['IntervalSampler']


class IntervalSampler(Sampler):
    """Indices of [0, length) taken every ``interval``: 0, interval, 2*interval, ...;
    with ``rollover`` it goes on from 1, then 2, ... until every index is visited
    (IntervalSampler(13, 3) gives 0, 3, 6, 9, 12, 1, 4, 7, 10, 2, 5, 8, 11), without it
    it stops after the first pass. len() is ``length`` either way, as in MXNet."""

    def __init__(self, length, interval, rollover=True):
        if interval > length:
            raise AssertionError('IntervalSampler: interval %d must be smaller than or equal to '
                                 'length %d' % (interval, length))
        self._length = length
        self._interval = interval
        self._rollover = rollover

    def __iter__(self):
        for start in range(self._interval if self._rollover else 1):
            yield from range(start, self._length, self._interval)

    def __len__(self):
        return self._length
